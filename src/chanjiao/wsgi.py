import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chanjiao.settings")
application = get_wsgi_application()

# Import the URL configuration, and with it every app's views and API, at start-up rather than on
# the first request (over a second of imports: openpyxl, reportlab, the API schemas). With
# gunicorn --preload this happens once, before the workers fork.
_ = get_resolver().url_patterns

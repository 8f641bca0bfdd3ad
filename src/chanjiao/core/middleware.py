from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from .errors import Forbidden, NotFound


class DomainExceptionMiddleware:
    """Pages raise the same NotFound / Forbidden as services; they become Django's 404 / 403."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotFound):
            raise Http404 from exception
        if isinstance(exception, Forbidden):
            raise PermissionDenied(exception.message) from exception
        return None


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Pages are in Chinese unless the person chose English with the switch in the header.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a browser set to
    English would show English to a Chinese official who never asked for it. Here only the
    language cookie the switch sets counts for pages; the API still honours Accept-Language, for
    integrations that want English messages.
    """

    def process_request(self, request):
        if settings.LANGUAGE_COOKIE_NAME in request.COOKIES or request.path.startswith("/api/"):
            return super().process_request(request)
        translation.activate(settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()
        return None

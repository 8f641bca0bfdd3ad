from django.core.exceptions import PermissionDenied
from django.http import Http404

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

from django.utils.functional import SimpleLazyObject

from chanjiao.core.audit import set_request_ip

from .selectors import actor_for_request


def client_ip(request) -> str | None:
    # Behind a reverse proxy, configure it to set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR") or None


class ActorMiddleware:
    """Puts `request.actor` (person, acting organisation, roles) on every request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        set_request_ip(client_ip(request))
        request.actor = SimpleLazyObject(lambda: actor_for_request(request))
        try:
            return self.get_response(request)
        finally:
            set_request_ip(None)

from django.utils.functional import SimpleLazyObject

from chanjiao.core.notifications import unread_count
from chanjiao.core.permissions import Role
from chanjiao.navigation import navigation_for


def actor(request):
    actor = getattr(request, "actor", None)
    if actor is None or not actor.is_authenticated:
        return {"actor": actor, "nav": [], "actor_role_labels": []}
    return {
        "actor": actor,
        "nav": navigation_for(actor, request.path),
        "actor_role_labels": [Role(r).label for r in sorted(actor.roles)],
        # one query, and only when a page shows the header's badge (not for htmx fragments)
        "unread_notifications": SimpleLazyObject(lambda: unread_count(actor.user)),
    }

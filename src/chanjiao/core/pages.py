"""Helpers every app's pages share: pagination, role guards, file downloads."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse

from .errors import Forbidden

PAGE_SIZES = (20, 50, 100, 200)


def paginate(request, queryset, default_size: int = 20):
    try:
        size = int(request.GET.get("page_size", default_size))
    except ValueError:
        size = default_size
    size = size if size in PAGE_SIZES else default_size
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def role_required(*roles: str):
    """A page for logged-in people with one of `roles` in the organisation they act for (else 403)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.actor.has_role(*roles):
                raise Forbidden()
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def attachment_response(attachment) -> FileResponse:
    """The stored file as a download, under its original name and the type found from its content."""
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )

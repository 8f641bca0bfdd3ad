from __future__ import annotations

from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date

from .exports import workbook_bytes, xlsx_response
from .pages import paginate, role_required
from .permissions import Role
from .selectors import attachment_get_for, audit_search

AUDIT_ROLES = (Role.PROVINCE_ADMIN, Role.OBSERVER)
AUDIT_EXPORT_LIMIT = 100_000


def _audit_filters(request) -> dict:
    return {
        "q": request.GET.get("q", "").strip(),
        "action": request.GET.get("action", "").strip(),
        "object_type": request.GET.get("object_type", "").strip(),
        "date_from": parse_date(request.GET.get("date_from", "") or "") or None,
        "date_to": parse_date(request.GET.get("date_to", "") or "") or None,
    }


@role_required(*AUDIT_ROLES)
def audit_list(request):
    filters = _audit_filters(request)
    page_obj = paginate(request, audit_search(actor=request.actor, **filters), default_size=50)
    return render(request, "core/audit_list.html", {"page_obj": page_obj, "filters": filters})


@role_required(*AUDIT_ROLES)
def audit_export(request):
    filters = _audit_filters(request)
    qs = audit_search(actor=request.actor, **filters)[:AUDIT_EXPORT_LIMIT]
    rows = (
        (
            timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor_name,
            e.organization_name,
            e.action,
            e.object_type,
            e.object_id,
            e.object_repr,
            ", ".join(
                f"{k}: {v[0]} → {v[1]}" if isinstance(v, list) and len(v) == 2 else f"{k}: {v}"
                for k, v in e.changes.items()
            ),
            e.ip_address or "",
        )
        for e in qs.iterator()
    )
    content = workbook_bytes(
        "审计日志",
        [
            "时间",
            "操作人",
            "代表单位",
            "操作",
            "对象类型",
            "对象ID",
            "对象",
            "变更内容（前 → 后）",
            "来源地址",
        ],
        rows,
    )
    return xlsx_response(f"审计日志-{timezone.localdate():%Y%m%d}.xlsx", content)


@role_required(*Role.values)
def attachment_download(request, pk: int):
    attachment = attachment_get_for(actor=request.actor, pk=pk)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name)

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .audit import action_label
from .errors import DomainError, apply_to_form
from .exports import workbook_bytes, xlsx_response
from .forms import HolidayForm
from .models import AuditEntry
from .pages import attachment_response, paginate, role_required
from .permissions import Role
from .selectors import (
    attachment_get_for,
    audit_filter_choices,
    audit_search,
    holiday_get,
    holiday_years,
    holidays_search,
    job_get_for,
    notification_get_for,
    notification_search,
)

AUDIT_ROLES = (Role.PROVINCE_ADMIN, Role.OBSERVER)
AUDIT_EXPORT_LIMIT = 100_000
VALUE_MAX_CHARS = 200


def _audit_filters(request) -> dict:
    try:
        organization_id = int(request.GET.get("organization_id") or 0) or None
    except ValueError:
        organization_id = None
    return {
        "q": request.GET.get("q", "").strip(),
        "action": request.GET.get("action", "").strip(),
        "object_type": request.GET.get("object_type", "").strip(),
        "organization_id": organization_id,
        "date_from": parse_date(request.GET.get("date_from", "") or "") or None,
        "date_to": parse_date(request.GET.get("date_to", "") or "") or None,
    }


def _model_of(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def object_type_label(object_type: str) -> str:
    model = _model_of(object_type)
    return str(model._meta.verbose_name) if model is not None else object_type


def _field_label(model, name: str) -> str:
    if model is None:
        return name
    for candidate in (name, name.removesuffix("_id")):
        try:
            field = model._meta.get_field(candidate)
        except FieldDoesNotExist:
            continue
        # a reverse relation (an assignment run's `assignments`) has no verbose name of its own
        label = getattr(field, "verbose_name", None)
        if label is None and field.related_model is not None:
            label = field.related_model._meta.verbose_name_plural
        return str(label or name)
    return name


def _aware_datetime(value: str):
    if "T" not in value:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    return moment if moment is not None and timezone.is_aware(moment) else None


def _value_text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    if isinstance(value, list | tuple):
        text = "、".join(_value_text(v) for v in value)
    elif isinstance(value, dict):
        text = "；".join(f"{k}：{_value_text(v)}" for k, v in value.items())
    elif isinstance(value, str) and (moment := _aware_datetime(value)) is not None:
        # Times are stored as ISO 8601 in UTC; people read them in local time, to the second.
        text = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
    else:
        text = str(value)
    return text if len(text) <= VALUE_MAX_CHARS else text[: VALUE_MAX_CHARS - 1] + "…"


def readable_changes(entry: AuditEntry) -> list[dict[str, str]]:
    """The entry's changes as rows of (field label, before, after) for people to read."""
    model = _model_of(entry.object_type)
    rows = []
    changes = entry.changes if isinstance(entry.changes, dict) else {"": entry.changes}
    for name, value in changes.items():
        if isinstance(value, list | tuple) and len(value) == 2:
            before, after = value
        else:
            before, after = None, value
        rows.append(
            {
                "field": _field_label(model, name),
                "name": name,
                "before": _value_text(before),
                "after": _value_text(after),
                "added": before is None,
            }
        )
    return rows


@role_required(*AUDIT_ROLES)
def audit_list(request):
    filters = _audit_filters(request)
    page_obj = paginate(request, audit_search(actor=request.actor, **filters), default_size=50)
    for entry in page_obj:
        entry.change_rows = readable_changes(entry)
        entry.object_type_label = object_type_label(entry.object_type)
        entry.action_label = action_label(entry.action)
    choices = audit_filter_choices(request.actor)
    choices["object_types"] = [(t, object_type_label(t)) for t in choices["object_types"]]
    choices["actions"] = [(a, action_label(a)) for a in choices["actions"]]
    return render(
        request, "core/audit_list.html", {"page_obj": page_obj, "filters": filters, "choices": choices}
    )


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
            object_type_label(e.object_type),
            e.object_id,
            e.object_repr,
            "\n".join(f"{r['field']}：{r['before']} → {r['after']}" for r in readable_changes(e)),
            e.ip_address or "",
        )
        for e in qs.iterator()
    )
    content = workbook_bytes(
        _("审计日志"),
        [
            _("时间"),
            _("操作人"),
            _("代表单位"),
            _("操作"),
            _("对象类型"),
            _("对象ID"),
            _("对象"),
            _("变更内容（前 → 后）"),
            _("来源地址"),
        ],
        rows,
    )
    return xlsx_response(_("审计日志-%(date)s.xlsx") % {"date": f"{timezone.localdate():%Y%m%d}"}, content)


@role_required(*Role.values)
def attachment_download(request, pk: int):
    return attachment_response(attachment_get_for(actor=request.actor, pk=pk))


@login_required
def job_detail(request, pk: int):
    """A job's progress: the whole page, or (for htmx polling) only the progress partial."""
    job = job_get_for(actor=request.actor, pk=pk)
    context = {"job": job}
    if getattr(request, "htmx", False):
        return render(request, "core/partials/job_progress.html", context)
    return render(request, "core/job_detail.html", context)


# --- the inbox ---------------------------------------------------------------------------------------


@login_required
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    qs = notification_search(actor=request.actor, unread=True if unread_only else None)
    return render(
        request,
        "core/notifications.html",
        {"page_obj": paginate(request, qs), "unread_only": unread_only},
    )


@login_required
@require_POST
def notification_read(request, pk: int):
    """Marks one of the person's notifications read; with `open`, goes on to what it is about."""
    note = notification_get_for(actor=request.actor, pk=pk)
    services.notification_read(actor=request.actor, notification=note)
    target = note.url if request.POST.get("open") else request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    if getattr(request, "htmx", False):
        return render(request, "core/partials/notification_item.html", {"n": note})
    return redirect("core:notification_list")


@login_required
@require_POST
def notifications_read_all(request):
    count = services.notifications_read_all(actor=request.actor)
    messages.success(request, _("已将%(n)d条通知标为已读") % {"n": count})
    return redirect("core:notification_list")


# --- the holiday list ----------------------------------------------------------------------------------


def _holiday_context(request, form: HolidayForm) -> dict:
    years = holiday_years()
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or 0)
    except ValueError:
        year = 0
    if not year:
        year = today.year if today.year in years or not years else years[0]
    rows = list(holidays_search(year=year))
    for row in rows:
        row.weekday = services.weekday_name(row.date)
    return {
        "rows": rows,
        "year": year,
        "years": sorted(set(years) | {year}, reverse=True),
        "form": form,
        "can_edit": request.actor.is_province_staff,
        "off_count": sum(1 for r in rows if not r.is_workday),
        "workday_count": sum(1 for r in rows if r.is_workday),
    }


@login_required
def holiday_list(request):
    """The national holiday list: everyone logged in reads it; province staff add days to it."""
    form = HolidayForm(request.POST or None)
    if request.method == "POST":
        request.actor.require(Role.PROVINCE_ADMIN)
        if form.is_valid():
            data = form.cleaned_data
            try:
                holiday = services.holiday_add(
                    actor=request.actor,
                    date=data["date"],
                    name=data["name"],
                    is_workday=data["is_workday"],
                    note=data["note"],
                )
            except DomainError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("已添加 %(date)s %(name)s") % {"date": holiday.date.isoformat(), "name": holiday.name},
                )
                return redirect(f"{reverse('core:holiday_list')}?year={holiday.date.year}")
    context = _holiday_context(request, form)
    return render(request, "core/holidays.html", context, status=422 if form.errors else 200)


@role_required(Role.PROVINCE_ADMIN)
@require_POST
def holiday_remove(request, day: str):
    try:
        date = parse_date(day)
    except ValueError:  # well formed, but no such day (2026-02-30)
        date = None
    holiday = holiday_get(date)
    services.holiday_remove(actor=request.actor, holiday=holiday)
    messages.success(
        request, _("已删除 %(date)s %(name)s") % {"date": holiday.date.isoformat(), "name": holiday.name}
    )
    return redirect(f"{reverse('core:holiday_list')}?year={holiday.date.year}")

"""Pages of the policy app: packs, project types, indicator systems and calls. Thin: selectors and services."""

from __future__ import annotations

import yaml
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chanjiao.catalog.models import CatalogueEdition
from chanjiao.core.errors import DomainError, Forbidden, NotFound, apply_to_form
from chanjiao.core.models import Region
from chanjiao.core.pages import paginate, role_required
from chanjiao.core.permissions import Role
from chanjiao.orgs.models import Organization

from . import rules, selectors, services
from .forms import CallForm, ExtensionForm, IndicatorSystemForm
from .models import DEFAULT_MARK, IndicatorSystem, PolicyPack
from .permissions import is_province_staff_of

CALL_STATUS_FILTERS = (
    ("", _("全部")),
    ("open", _("可申报")),
    ("draft", _("草稿")),
    ("closed", _("已截止")),
)


# --- packs --------------------------------------------------------------------------------------


@login_required
def pack_list(request):
    packs = list(selectors.packs_for(request.actor))
    counts = {p.pk: p.project_types.count() for p in packs}
    rows = [{"pack": p, "project_types": counts[p.pk]} for p in packs]
    return render(request, "policy/pack_list.html", {"rows": rows})


@login_required
def pack_detail(request, code: str):
    actor = request.actor
    version = request.GET.get("version") or None
    pack = selectors.pack_get_for(actor=actor, code=code, version=version)
    project_types = list(selectors.project_types_for(actor=actor, pack=pack))
    programmes = []
    for programme in pack.content.get("programmes", []):
        programmes.append(
            {
                "programme": programme,
                "types": [pt for pt in project_types if pt.programme_code == programme["code"]],
            }
        )
    ungrouped = [pt for pt in project_types if not pt.programme_code]
    context = {
        "pack": pack,
        "content": pack.content,
        "programmes": programmes,
        "ungrouped": ungrouped,
        "project_types": project_types,
        "versions": selectors.pack_versions(actor, code),
        "systems": selectors.indicator_systems_for(actor=actor, pack=pack),
        "can_open_call": is_province_staff_of(actor, pack.region_id),
        "default_mark": DEFAULT_MARK,
    }
    return render(request, "policy/pack_detail.html", context)


@login_required
def project_type_detail(request, pk: int):
    actor = request.actor
    pt = selectors.project_type_get_for(actor=actor, pk=pk)
    eligibility = None
    if actor.organization is not None and actor.is_org_staff:
        eligibility = rules.applicant_errors(pt, actor.organization)
    systems = [
        s
        for s in selectors.indicator_systems_for(actor=actor, pack=pt.pack)
        if pt.code in s.project_type_codes
    ]
    context = {
        "pt": pt,
        "pack": pt.pack,
        "spec": pt.spec,
        "rules": rules.rules_for(pt),
        "tasks": pt.tasks(),
        "task_rows": [{**t, "label": rules.task_label(str(t["code"]))} for t in pt.spec.get("tasks", [])],
        "fields": pt.fields(),
        "attachments": pt.attachments(),
        "kpis": pt.kpis(),
        "kpi_specs": {k["code"]: k for k in pt.spec.get("kpis", [])},
        "funding_sources": pt.funding_sources(),
        "contribution_kinds": pt.contribution_kinds(),
        "min_total": rules.money_text(pt.min_total_investment)
        if pt.min_total_investment is not None
        else None,
        "min_share": rules.share_text(pt.min_enterprise_share)
        if pt.min_enterprise_share is not None
        else None,
        "workstation_share": (
            rules.share_text(_fraction(pt.spec["workstations"]["social_training_share"]))
            if pt.spec.get("workstations")
            else None
        ),
        "eligibility": eligibility,
        "systems": systems,
        "default_mark": DEFAULT_MARK,
        "cadences": {
            "yearly": _("每年"),
            "half_yearly": _("每半年"),
            "quarterly": _("每季度"),
            "monthly": _("每月"),
        },
    }
    return render(request, "policy/project_type_detail.html", context)


def _fraction(text: str):
    from fractions import Fraction

    return Fraction(text)


# --- indicator systems ----------------------------------------------------------------------------


@login_required
def indicator_system_detail(request, pk: int):
    actor = request.actor
    system = selectors.indicator_system_get_for(actor=actor, pk=pk)
    roots, vetoes = selectors.indicator_tree(system)
    versions = IndicatorSystem.objects.filter(pack=system.pack, code=system.code).order_by("-version")
    context = {
        "system": system,
        "roots": roots,
        "vetoes": vetoes,
        "versions": versions,
        "inputs": {i["code"]: i for i in system.inputs},
        "can_edit": is_province_staff_of(actor, system.pack.region_id) and system.is_current,
        "default_mark": DEFAULT_MARK,
    }
    return render(request, "policy/indicator_system_detail.html", context)


@role_required(Role.PROVINCE_ADMIN)
def indicator_system_edit(request, pk: int):
    actor = request.actor
    system = selectors.indicator_system_get_for(actor=actor, pk=pk)
    if not is_province_staff_of(actor, system.pack.region_id):
        raise Forbidden(_("只有本省的省级管理员可以修改本省政策包的指标体系"))
    initial = yaml.safe_dump(
        services.indicator_system_document(system), allow_unicode=True, sort_keys=False, width=120
    )
    form = IndicatorSystemForm(request.POST or None, initial={"document": initial})
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            new = services.indicator_system_edit(
                actor=actor, system=system, text=form.cleaned_data["document"]
            )
        except DomainError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("已保存为第%(v)d版") % {"v": new.version})
            return redirect("policy:indicator_system_detail", pk=new.pk)
    return render(
        request, "policy/indicator_system_edit.html", {"system": system, "form": form, "errors": errors}
    )


# --- calls --------------------------------------------------------------------------------------


@login_required
def call_list(request):
    actor = request.actor
    status = request.GET.get("status", "")
    if status not in {v for v, _label in CALL_STATUS_FILTERS}:
        status = ""
    qs = selectors.calls_for(actor, status=status)
    page_obj = paginate(request, qs)
    packs = []
    if actor.is_province_staff:
        packs = [p for p in selectors.packs_for(actor) if is_province_staff_of(actor, p.region_id)]
    context = {
        "page_obj": page_obj,
        "status": status,
        "statuses": CALL_STATUS_FILTERS,
        "packs": packs,
        "now": timezone.now(),
    }
    template = "policy/partials/call_table.html" if request.htmx else "policy/call_list.html"
    return render(request, template, context)


def _call_form(pack: PolicyPack, data=None, initial=None) -> CallForm:
    cities = Region.objects.filter(level=Region.Level.CITY, code__startswith=pack.region_id[:2]).order_by(
        "code"
    )
    return CallForm(
        data,
        initial=initial,
        project_types=list(pack.project_types.order_by("position")),
        editions=list(CatalogueEdition.objects.order_by("-year", "code")),
        cities=list(cities),
    )


@role_required(Role.PROVINCE_ADMIN)
def call_create(request):
    actor = request.actor
    code = request.GET.get("pack", "")
    own_packs = [
        p for p in selectors.packs_for(actor, all_versions=True) if is_province_staff_of(actor, p.region_id)
    ]
    if not code:
        return render(
            request, "policy/call_pack_choice.html", {"packs": [p for p in own_packs if p.is_current]}
        )
    pack = next(
        (
            p
            for p in own_packs
            if p.code == code and (p.version == request.GET.get("version") or p.is_current)
        ),
        None,
    )
    if pack is None:
        raise NotFound
    form = _call_form(pack, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            call = services.call_create(actor=actor, pack=pack, data=form.service_data())
        except DomainError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("已创建申报通知（草稿）：%(t)s") % {"t": call.title})
            return redirect("policy:call_detail", pk=call.pk)
    return render(request, "policy/call_form.html", {"form": form, "pack": pack, "title": _("新建申报通知")})


def _apply(form, exc: DomainError) -> None:
    """Service errors at the form's fields; a city's quota at its own field."""
    for e in exc.errors:
        if e.field.startswith("quotas."):
            name = "quota_" + e.field.split(".", 1)[1]
            form.add_error(name if name in form.fields else None, e.message)
        else:
            apply_to_form(form, type(exc)([e]))


@role_required(Role.PROVINCE_ADMIN)
def call_edit(request, pk: int):
    actor = request.actor
    call = selectors.call_get_for(actor=actor, pk=pk)
    if not call.is_draft:
        messages.error(request, _("申报通知已发布，不能再修改"))
        return redirect("policy:call_detail", pk=call.pk)
    initial = {
        "title": call.title,
        "description": call.description,
        "project_types": [pt.code for pt in call.project_types.all()],
        "opens_at": timezone.localtime(call.opens_at),
        "closes_at": timezone.localtime(call.closes_at),
        "limit_per_applicant": call.limit_per_applicant,
        "start_batch": call.start_batch,
        "catalogue_edition": call.catalogue_edition.code if call.catalogue_edition_id else "",
        **{f"quota_{q.city_id}": q.quota for q in call.quotas.all()},
    }
    form = _call_form(call.pack, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.call_update(actor=actor, call=call, data=form.service_data())
        except DomainError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("policy:call_detail", pk=call.pk)
    return render(
        request,
        "policy/call_form.html",
        {"form": form, "pack": call.pack, "call": call, "title": _("修改申报通知")},
    )


@login_required
def call_detail(request, pk: int):
    actor = request.actor
    call = selectors.call_get_for(actor=actor, pk=pk)
    is_staff = is_province_staff_of(actor, call.pack.region_id)
    eligible = None
    if actor.is_org_staff and actor.organization is not None and not is_staff:
        eligible = selectors.eligible_project_types(call, actor.organization)
    now = timezone.now()
    deadline = getattr(call, "applicant_deadline", None) or call.closes_at
    context = {
        "call": call,
        "project_types": list(call.project_types.all()),
        "quotas": list(call.quotas.all()),
        "extensions": list(selectors.extensions_of(call)) if (is_staff or actor.is_observer) else [],
        "is_staff": is_staff,
        "eligible": eligible,
        "deadline": deadline,
        "extended": deadline != call.closes_at,
        "is_open": call.is_open_for(actor.organization.pk if actor.organization else None, now),
        "effective_status": call.effective_status(now),
    }
    return render(request, "policy/call_detail.html", context)


@role_required(Role.PROVINCE_ADMIN)
@require_POST
def call_publish(request, pk: int):
    actor = request.actor
    call = selectors.call_get_for(actor=actor, pk=pk)
    try:
        services.call_publish(actor=actor, call=call)
    except DomainError as exc:
        for error in exc.errors:
            messages.error(request, error.message)
    else:
        messages.success(request, _("已发布：%(t)s") % {"t": call.title})
    return redirect("policy:call_detail", pk=call.pk)


@role_required(Role.PROVINCE_ADMIN)
def call_extension(request, pk: int):
    actor = request.actor
    call = selectors.call_get_for(actor=actor, pk=pk)
    applicants = Organization.objects.filter(
        region__code__startswith=call.pack.region_id[:2],
        kind__in={k for pt in call.project_types.all() for k in pt.eligible_kinds},
        is_active=True,
    ).order_by("name")[:2000]
    form = ExtensionForm(request.POST or None, applicants=applicants)
    if request.method == "POST" and form.is_valid():
        applicant = Organization.objects.filter(pk=form.cleaned_data["applicant"]).first()
        try:
            extension = services.deadline_extend(
                actor=actor,
                call=call,
                applicant=applicant,
                until=form.cleaned_data["until"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            for e in exc.errors:
                field = {"applicant_id": "applicant"}.get(e.field, e.field)
                form.add_error(field if field in form.fields else None, e.message)
        else:
            messages.success(
                request,
                _("已为%(org)s延期至%(until)s（北京时间）")
                % {
                    "org": extension.applicant.name,
                    "until": timezone.localtime(extension.until).strftime("%Y-%m-%d %H:%M"),
                },
            )
            return redirect("policy:call_detail", pk=call.pk)
    return render(request, "policy/call_extension.html", {"call": call, "form": form})

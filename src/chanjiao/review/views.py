"""Expert review pages: thin views over the same selectors and services as the API."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chanjiao.applications.snapshots import build as build_snapshot
from chanjiao.core.errors import DomainError, FieldError, apply_to_form
from chanjiao.core.exports import xlsx_response
from chanjiao.core.pages import paginate, role_required
from chanjiao.orgs.models import Organization, User
from chanjiao.policy import selectors as policy_selectors
from chanjiao.policy.models import IndicatorSystem

from . import assignment as assigning
from . import conflicts, importers, selectors, services
from .explain import alternatives, assignment_lines
from .forms import (
    AssignForm,
    AvailabilityForm,
    ConflictForm,
    DrawForm,
    ExclusionForm,
    ExpertEditForm,
    ExpertForm,
    GroupForm,
    ImportForm,
    ReasonForm,
    RoundForm,
    RoundSettingsForm,
)
from .models import Assignment, Conflict, ReviewRound, RoundSubject
from .panel_selectors import round_quota
from .permissions import APPLICANT_ROLES, EXCLUSION_READ_ROLES, EXPERT_ROLES, READ_ROLES, STAFF_ROLES
from .scoring_selectors import figure_text, layout_of


def _is_staff_of(request, review_round) -> bool:
    return request.actor.is_province_staff and request.actor.province_prefix == review_round.province_code


def _flag(value: str) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


def _employer(text: str) -> Organization | None:
    text = (text or "").strip()
    if not text:
        return None
    org = Organization.objects.filter(uscc=text.upper(), is_active=True).first()
    if org is not None:
        return org
    matches = list(Organization.objects.filter(name=text, is_active=True)[:2])
    return matches[0] if len(matches) == 1 else None


def _errors_to_messages(request, exc: DomainError) -> None:
    for e in exc.errors:
        messages.error(request, e.message)


# --- the pool --------------------------------------------------------------------------------------


POOL_FILTERS = ("q", "is_industry", "category", "industry", "region", "active")


@role_required(*READ_ROLES)
def expert_list(request):
    f = {k: (request.GET.get(k) or "").strip() for k in POOL_FILTERS}
    qs = selectors.expert_search(
        actor=request.actor,
        q=f["q"],
        is_industry=_flag(f["is_industry"]),
        category=f["category"],
        industry=f["industry"],
        region=f["region"],
        active=_flag(f["active"]),
    )
    context = {"page_obj": paginate(request, qs), "filters": f, "can_edit": request.actor.is_province_staff}
    template = "review/partials/expert_table.html" if request.htmx else "review/expert_list.html"
    return render(request, template, context)


def _expert_values(form) -> dict:
    data = form.cleaned_data
    values = {
        "title": data.get("title", ""),
        "programme_categories": data.get("programme_categories", ""),
        "industries": data.get("industries", ""),
        "region": data.get("region", ""),
        "note": data.get("note", ""),
    }
    return values


@role_required(*STAFF_ROLES)
def expert_new(request):
    form = ExpertForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = User.objects.filter(username=data["username"].strip(), is_active=True).first()
        employer = _employer(data["employer"])
        if user is None:
            form.add_error("username", _("没有该用户名的人员，请先在人员管理中建立账号"))
        if employer is None:
            form.add_error("employer", _("单位名录中找不到该单位（请填写统一社会信用代码或单位全称）"))
        if user is not None and employer is not None:
            values = {**_expert_values(form), "user_id": user.pk, "employer_id": employer.pk}
            values["is_industry"] = _flag(data.get("is_industry", ""))
            try:
                profile = services.expert_profile_create(actor=request.actor, data=values)
            except DomainError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("已将“%(name)s”加入专家库") % {"name": profile.name})
                return redirect("review:expert_detail", pk=profile.pk)
    return render(request, "review/expert_form.html", {"form": form}, status=422 if form.errors else 200)


@role_required(*READ_ROLES)
def expert_detail(request, pk: int):
    profile = selectors.expert_get_for(actor=request.actor, pk=pk)
    rows = (
        selectors.assignments_for(request.actor)
        .filter(expert=profile)
        .order_by("-round__created_at", "application_id")
    )
    return render(
        request,
        "review/expert_detail.html",
        {
            "profile": profile,
            "page_obj": paginate(request, rows),
            "can_edit": request.actor.is_province_staff,
        },
    )


@role_required(*STAFF_ROLES)
def expert_edit(request, pk: int):
    profile = selectors.expert_get_for(actor=request.actor, pk=pk)
    initial = {
        "employer": profile.employer.uscc or profile.employer.name,
        "title": profile.title,
        "is_industry": profile.is_industry,
        "programme_categories": ",".join(profile.programme_categories or []),
        "industries": ",".join(profile.industries or []),
        "region": profile.region_id or "",
        "is_active": profile.is_active,
        "note": profile.note,
    }
    form = ExpertEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        employer = _employer(form.cleaned_data["employer"])
        if employer is None:
            form.add_error("employer", _("单位名录中找不到该单位（请填写统一社会信用代码或单位全称）"))
        else:
            values = {
                **_expert_values(form),
                "employer_id": employer.pk,
                "is_industry": form.cleaned_data["is_industry"],
                "is_active": form.cleaned_data["is_active"],
            }
            try:
                services.expert_profile_update(actor=request.actor, profile=profile, data=values)
            except DomainError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("已保存"))
                return redirect("review:expert_detail", pk=profile.pk)
    return render(
        request,
        "review/expert_form.html",
        {"form": form, "profile": profile},
        status=422 if form.errors else 200,
    )


@role_required(*STAFF_ROLES)
def expert_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[FieldError] = []
    if request.method == "POST" and form.is_valid():
        try:
            counts = importers.experts_import(actor=request.actor, file=form.cleaned_data["file"])
        except DomainError as exc:
            errors = exc.errors
        else:
            messages.success(
                request,
                _("导入成功：新增 %(c)d 人，更新 %(u)d 人，新建账号 %(a)d 个")
                % {"c": counts["created"], "u": counts["updated"], "a": counts["accounts_created"]},
            )
            return redirect("review:expert_list")
    return render(
        request, "review/expert_import.html", {"form": form, "errors": errors}, status=422 if errors else 200
    )


@role_required(*STAFF_ROLES)
def expert_import_template(request):
    return xlsx_response(_("专家库导入模板") + ".xlsx", importers.expert_template_bytes())


def _group_members(text: str) -> tuple[list[int], list[str]]:
    ids, unknown = [], []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        org = _employer(line)
        if org is None:
            unknown.append(line)
        else:
            ids.append(org.pk)
    return ids, unknown


@role_required(*READ_ROLES)
def groups(request):
    form = GroupForm(request.POST or None)
    if request.method == "POST":
        request.actor.require(*STAFF_ROLES)
        if form.is_valid():
            ids, unknown = _group_members(form.cleaned_data["members"])
            if unknown:
                form.add_error("members", _("单位名录中找不到：%(names)s") % {"names": "、".join(unknown)})
            else:
                try:
                    services.education_group_create(
                        actor=request.actor, name=form.cleaned_data["name"], member_ids=ids
                    )
                except DomainError as exc:
                    apply_to_form(form, exc)
                else:
                    messages.success(request, _("已登记职业教育集团"))
                    return redirect("review:groups")
    qs = selectors.education_groups_for(request.actor)
    return render(
        request,
        "review/groups.html",
        {"page_obj": paginate(request, qs), "form": form, "can_edit": request.actor.is_province_staff},
        status=422 if form.errors else 200,
    )


# --- rounds ----------------------------------------------------------------------------------------


@role_required(*READ_ROLES)
def round_list(request):
    qs = selectors.rounds_for(request.actor).order_by("-created_at", "-id")
    return render(
        request,
        "review/round_list.html",
        {"page_obj": paginate(request, qs), "can_edit": request.actor.is_province_staff},
    )


def _indicator_choices(actor, packs) -> list[tuple[str, str]]:
    systems = IndicatorSystem.objects.filter(pack__in=packs, is_current=True).order_by("pack_id", "code")
    return [("", "—")] + [(str(s.pk), f"{s.name}（{s.get_purpose_display()}）") for s in systems]


def _settings_values(data: dict) -> dict:
    values = {
        k: data.get(k)
        for k in (
            "name",
            "reviews_per_application",
            "load_cap",
            "max_exclusions",
            "exclusions_close_at",
            "same_city_conflict",
            "reserves",
            "review_deadline",
            "ranking_method",
            "quota",
            "disagreement_threshold",
            "publicity_days",
        )
    }
    values["indicator_system_id"] = int(data["indicator_system"]) if data.get("indicator_system") else None
    return values


@role_required(*STAFF_ROLES)
def round_new(request):
    actor = request.actor
    calls = list(policy_selectors.calls_for(actor))
    choices = [(f"{c.pk}:{pt.pk}", f"{c.title} · {pt.name}") for c in calls for pt in c.project_types.all()]
    form = RoundForm(request.POST or None)
    form.fields["call_type"].choices = [("", "—"), *choices]
    form.fields["indicator_system"].choices = _indicator_choices(actor, {c.pack_id for c in calls})
    if request.method == "POST" and form.is_valid():
        call_id, type_id = form.cleaned_data["call_type"].split(":")
        values = {
            **_settings_values(form.cleaned_data),
            "call_id": int(call_id),
            "project_type_id": int(type_id),
            "kind": ReviewRound.Kind.SELECTION,
        }
        try:
            review_round = services.review_round_create(actor=actor, data=values)
        except DomainError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("已建立评审轮次"))
            return redirect("review:round_detail", pk=review_round.pk)
    return render(request, "review/round_form.html", {"form": form}, status=422 if form.errors else 200)


@role_required(*STAFF_ROLES)
def round_edit(request, pk: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    initial = {
        "name": review_round.name,
        "indicator_system": review_round.indicator_system_id or "",
        "reviews_per_application": review_round.reviews_per_application,
        "load_cap": review_round.load_cap,
        "max_exclusions": review_round.max_exclusions,
        "exclusions_close_at": review_round.exclusions_close_at,
        "same_city_conflict": review_round.same_city_conflict,
        "reserves": review_round.reserves,
        "review_deadline": review_round.review_deadline,
        "ranking_method": review_round.ranking_method,
        "quota": review_round.quota,
        "disagreement_threshold": review_round.disagreement_threshold,
        "publicity_days": review_round.publicity_days,
    }
    form = RoundSettingsForm(request.POST or None, initial=initial)
    form.fields["indicator_system"].choices = _indicator_choices(request.actor, {review_round.call.pack_id})
    if request.method == "POST" and form.is_valid():
        try:
            services.review_round_update(
                actor=request.actor, review_round=review_round, data=_settings_values(form.cleaned_data)
            )
        except DomainError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("review:round_detail", pk=review_round.pk)
    return render(
        request,
        "review/round_form.html",
        {"form": form, "round": review_round},
        status=422 if form.errors else 200,
    )


def later_round_context(review_round: ReviewRound) -> dict:
    """What the round's pages say of an acceptance or performance round: that it is one (`later`),
    what its subjects are called (验收对象 / 评价对象), and where its batch concludes (the projects
    app's batch page, linked when that page exists: review never imports projects)."""
    if review_round.kind == ReviewRound.Kind.SELECTION:
        return {"later": False, "subject_label": _("申报"), "conclusion_url": ""}
    url = ""
    # the batch's reverse one-to-one: absent (None) until the batch is stored
    assessment = getattr(review_round, "assessment", None)
    if assessment is not None:
        try:
            url = reverse("projects:assessment_detail", args=[assessment.pk])
        except NoReverseMatch:
            url = ""
    acceptance = review_round.kind == ReviewRound.Kind.ACCEPTANCE
    return {
        "later": True,
        "subject_label": _("验收对象") if acceptance else _("评价对象"),
        "conclusion_url": url,
    }


def _with_figures(review_round: ReviewRound, page_obj) -> None:
    """Each subject on the page with the figures its batch computed (`figures`: texts with names and units)."""
    layout = layout_of(review_round)
    ids = [a.pk for a in page_obj]
    inputs = dict(
        RoundSubject.objects.filter(round=review_round, application_id__in=ids).values_list(
            "application_id", "inputs"
        )
    )
    for app in page_obj:
        values = inputs.get(app.pk) or {}
        app.figures = [
            figure_text(layout.input_def(code) if layout else None, code, value)
            for code, value in values.items()
        ]


def _round_context(request, review_round: ReviewRound) -> dict:
    qs = selectors.coverage(review_round)
    short = request.GET.get("short") == "1"
    if short:
        qs = [a for a in qs if a.assigned < review_round.reviews_per_application]
    runs = list(
        selectors.runs_for(request.actor).filter(round=review_round).order_by("-created_at", "-id")[:5]
    )
    page_obj = paginate(request, qs)
    later = later_round_context(review_round)
    if later["later"]:
        _with_figures(review_round, page_obj)
    return {
        **later,
        "round": review_round,
        "page_obj": page_obj,
        "short": short,
        "runs": runs,
        "last_run": runs[0] if runs else None,
        "conflict_count": Conflict.objects.filter(round=review_round).count(),
        "pool_count": selectors.round_pool(review_round).count(),
        "can_edit": _is_staff_of(request, review_round),
        "draw_form": DrawForm(initial={"reserves": review_round.reserves}),
        "quota_effective": round_quota(review_round),
    }


@role_required(*READ_ROLES)
def round_detail(request, pk: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    return render(request, "review/round_detail.html", _round_context(request, review_round))


@role_required(*READ_ROLES)
def round_availability(request, pk: int):
    if request.method == "POST":
        request.actor.require(*STAFF_ROLES)
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    if request.method == "POST":
        form = AvailabilityForm(request.POST)
        if form.is_valid():
            expert = selectors.expert_get_for(actor=request.actor, pk=form.cleaned_data["expert"])
            try:
                services.availability_set(
                    actor=request.actor,
                    review_round=review_round,
                    expert=expert,
                    available=form.cleaned_data["available"],
                    load_cap=form.cleaned_data["load_cap"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                _errors_to_messages(request, exc)
            else:
                messages.success(request, _("已保存“%(name)s”的参加情况") % {"name": expert.name})
        else:
            messages.error(request, _("请检查填写的评审上限"))
        return redirect(request.get_full_path())
    experts = selectors.expert_loads(review_round)
    q = (request.GET.get("q") or "").strip()
    if q:
        experts = experts.filter(user__display_name__icontains=q)
    page_obj = paginate(request, experts)
    availability = selectors.availabilities_of(review_round)
    for expert in page_obj:
        expert.availability = availability.get(expert.pk)
    return render(
        request,
        "review/round_availability.html",
        {
            "round": review_round,
            "page_obj": page_obj,
            "q": q,
            "can_edit": _is_staff_of(request, review_round),
        },
    )


@role_required(*READ_ROLES)
def round_experts(request, pk: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    experts = selectors.expert_loads(review_round).prefetch_related(
        Prefetch(
            "assignments",
            queryset=Assignment.objects.filter(round=review_round)
            .select_related("application")
            .order_by("reserve", "application_id"),
            to_attr="round_assignments",
        )
    )
    only = request.GET.get("assigned") == "1"
    if only:
        experts = experts.filter(assigned__gt=0)
    return render(
        request,
        "review/round_experts.html",
        {"round": review_round, "page_obj": paginate(request, experts), "only": only},
    )


# --- conflicts -------------------------------------------------------------------------------------


@role_required(*READ_ROLES)
def round_conflicts(request, pk: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    kind = request.GET.get("kind") or ""
    waived = _flag(request.GET.get("waived") or "")
    q = (request.GET.get("q") or "").strip()
    qs = selectors.conflict_search(
        actor=request.actor, review_round=review_round, kind=kind, waived=waived, q=q
    )
    page_obj = paginate(request, qs)
    for conflict in page_obj:
        conflict.text = conflicts.conflict_text(conflict)
    return render(
        request,
        "review/round_conflicts.html",
        {
            "round": review_round,
            "page_obj": page_obj,
            "kinds": Conflict.Kind.choices,
            "filters": {"kind": kind, "waived": request.GET.get("waived") or "", "q": q},
            "can_edit": _is_staff_of(request, review_round),
        },
    )


@role_required(*STAFF_ROLES)
@require_POST
def conflicts_compute(request, pk: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    try:
        counts = conflicts.conflicts_compute(actor=request.actor, review_round=review_round)
    except DomainError as exc:
        _errors_to_messages(request, exc)
    else:
        messages.success(
            request,
            _("已重新计算回避关系：共%(total)d条（新增%(created)d，移除%(removed)d）") % counts,
        )
    return redirect("review:round_conflicts", pk=review_round.pk)


@role_required(*STAFF_ROLES)
def conflict_new(request, pk: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    form = ConflictForm(request.POST or None, initial={"application": request.GET.get("application", "")})
    form.fields["expert"].choices = [("", "—")] + [
        (str(e.pk), f"{e.name}（{e.employer.name}）") for e in selectors.round_pool(review_round)
    ]
    form.fields["application"].choices = [("", "—")] + [
        (str(a.pk), f"{a.title}（{a.applicant.name}）") for a in selectors.round_applications(review_round)
    ]
    if request.method == "POST" and form.is_valid():
        try:
            expert = selectors.expert_get_for(actor=request.actor, pk=form.cleaned_data["expert"])
            application = selectors.round_application_get(review_round, form.cleaned_data["application"])
            conflicts.conflict_add(
                actor=request.actor,
                review_round=review_round,
                expert=expert,
                application=application,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("已认定回避"))
            return redirect("review:round_conflicts", pk=review_round.pk)
    return render(
        request,
        "review/conflict_form.html",
        {"round": review_round, "form": form},
        status=422 if form.errors else 200,
    )


@role_required(*STAFF_ROLES)
def conflict_waive(request, pk: int):
    conflict = selectors.conflict_get_for(actor=request.actor, pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            conflicts.conflict_waive(
                actor=request.actor, conflict=conflict, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("已豁免该回避关系"))
            return redirect("review:round_conflicts", pk=conflict.round_id)
    return render(
        request,
        "review/conflict_waive.html",
        {"conflict": conflict, "text": conflicts.conflict_text(conflict), "form": form},
        status=422 if form.errors else 200,
    )


# --- assignment ------------------------------------------------------------------------------------


@role_required(*STAFF_ROLES)
@require_POST
def round_assign(request, pk: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    try:
        run = assigning.assign_exact(actor=request.actor, review_round=review_round)
    except DomainError as exc:
        context = _round_context(request, review_round)
        context["refusal"] = exc.errors
        return render(request, "review/round_detail.html", context, status=exc.status)
    messages.success(
        request,
        _("最优分配完成：%(n)d项分配，%(c)d项申报配有行业企业专家，总匹配度%(a)d")
        % {
            "n": run.result["assignments"],
            "c": run.result["industry_covered"],
            "a": run.result["affinity_total"],
        },
    )
    return redirect("review:round_detail", pk=review_round.pk)


@role_required(*STAFF_ROLES)
@require_POST
def round_draw(request, pk: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    form = DrawForm(request.POST)
    if not form.is_valid():
        context = _round_context(request, review_round)
        context["draw_form"] = form
        return render(request, "review/round_detail.html", context, status=422)
    try:
        run = assigning.assign_draw(
            actor=request.actor,
            review_round=review_round,
            seed=form.cleaned_data["seed"],
            reserves=form.cleaned_data["reserves"],
        )
    except DomainError as exc:
        context = _round_context(request, review_round)
        context["refusal"] = exc.errors
        context["draw_form"] = form
        return render(request, "review/round_detail.html", context, status=exc.status)
    messages.success(request, _("随机抽取完成，随机种子 %(seed)d") % {"seed": run.seed})
    return redirect("review:run_detail", pk=run.pk)


@role_required(*READ_ROLES)
def run_detail(request, pk: int):
    run = selectors.run_get_for(actor=request.actor, pk=pk)
    log = (run.result or {}).get("log", [])
    page_obj = Paginator(log, 50).get_page(request.GET.get("page"))
    ids = {int(e) for entry in page_obj for e in [*entry["drawn"], *entry["reserves"]]}
    apps = {entry["application"] for entry in page_obj}
    names = {p.pk: p.name for p in selectors.experts_for(request.actor).filter(pk__in=ids)}
    titles = dict(selectors.round_applications(run.round).filter(pk__in=apps).values_list("pk", "title"))
    titles.update(
        dict(
            selectors.assignments_for(request.actor)
            .filter(application_id__in=apps - set(titles))
            .values_list("application_id", "application__title")
        )
    )
    rows = [
        {
            "application": entry["application"],
            "title": titles.get(entry["application"], entry["application"]),
            "drawn": [(names.get(e, e), entry["numbers"].get(str(e))) for e in entry["drawn"]],
            "reserves": [(names.get(e, e), entry["numbers"].get(str(e))) for e in entry["reserves"]],
        }
        for entry in page_obj
    ]
    replay = assigning.draw_replay(run) if request.GET.get("replay") == "1" and run.method == "draw" else None
    return render(
        request,
        "review/run_detail.html",
        {"run": run, "page_obj": page_obj, "rows": rows, "replay": replay, "result": run.result or {}},
    )


def _application_context(request, review_round, application, form=None) -> dict:
    rows = list(selectors.assignments_of_round(review_round).filter(application=application))
    for row in rows:
        row.lines = assignment_lines(row.explanation, with_alternatives=False)
    first = next((r for r in rows if not r.reserve and r.explanation.get("alternatives")), None)
    found = list(
        selectors.conflicts_for(request.actor)
        .filter(round=review_round, application=application)
        .order_by("expert_id")
    )
    for conflict in found:
        conflict.text = conflicts.conflict_text(conflict)
    can_edit = _is_staff_of(request, review_round)
    if form is None and can_edit:
        form = AssignForm()
    if form is not None:
        taken = {r.expert_id for r in rows if not r.reserve}
        form.fields["expert"].choices = [("", "—")] + [
            (str(e.pk), f"{e.name}（{e.employer.name}）")
            for e in selectors.round_pool(review_round)
            if e.pk not in taken
        ]
    return {
        "round": review_round,
        "application": application,
        "rows": [r for r in rows if not r.reserve],
        "reserves": [r for r in rows if r.reserve],
        "alternatives": alternatives(first.explanation) if first else [],
        "conflicts": found,
        "form": form,
        "can_edit": can_edit,
        "remove_form": ReasonForm(),
    }


@role_required(*READ_ROLES)
def round_application(request, pk: int, application_id: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    application = selectors.reviewed_application_get(review_round, application_id)
    return render(
        request, "review/round_application.html", _application_context(request, review_round, application)
    )


@role_required(*STAFF_ROLES)
@require_POST
def round_application_add(request, pk: int, application_id: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    application = selectors.round_application_get(review_round, application_id)
    form = AssignForm(request.POST)
    context = _application_context(request, review_round, application, form)
    if form.is_valid():
        try:
            expert = selectors.expert_get_for(actor=request.actor, pk=form.cleaned_data["expert"])
            assigning.assignment_add(
                actor=request.actor,
                review_round=review_round,
                expert=expert,
                application=application,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            apply_to_form(form, exc)
            return render(request, "review/round_application.html", context, status=exc.status)
        messages.success(request, _("已分配“%(name)s”") % {"name": expert.name})
        return redirect("review:round_application", pk=review_round.pk, application_id=application.pk)
    return render(request, "review/round_application.html", context, status=422)


@role_required(*READ_ROLES)
def assignment_detail(request, pk: int):
    row = selectors.assignment_get_for(actor=request.actor, pk=pk)
    return render(
        request,
        "review/assignment_detail.html",
        {
            "row": row,
            "lines": assignment_lines(row.explanation, with_alternatives=False),
            "alternatives": alternatives(row.explanation),
            "can_edit": _is_staff_of(request, row.round),
            "remove_form": ReasonForm(),
        },
    )


@role_required(*STAFF_ROLES)
@require_POST
def assignment_remove(request, pk: int):
    row = selectors.assignment_get_for(actor=request.actor, pk=pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        assigning.assignment_remove(
            actor=request.actor, assignment=row, reason=form.cleaned_data.get("reason", "")
        )
    except DomainError as exc:
        _errors_to_messages(request, exc)
        return redirect("review:assignment_detail", pk=row.pk)
    messages.success(request, _("已移除“%(name)s”的分配") % {"name": row.expert.name})
    return redirect("review:round_application", pk=row.round_id, application_id=row.application_id)


# --- the expert's own ------------------------------------------------------------------------------


@role_required(*EXPERT_ROLES)
def my_reviews(request):
    from .scoring_selectors import my_progress

    qs = selectors.expert_assignments(request.actor).select_related("sheet")
    return render(
        request,
        "review/my_reviews.html",
        {"page_obj": paginate(request, qs), "progress": my_progress(request.actor)},
    )


@role_required(*EXPERT_ROLES)
def my_review(request, application_id: int):
    application, row = selectors.assigned_application_get_for(
        actor=request.actor, application_id=application_id
    )
    version = selectors.latest_version(application)
    content = version.snapshot if version is not None else build_snapshot(application)
    return render(
        request,
        "review/my_review.html",
        {
            "application": application,
            "row": row,
            "version": version,
            "content": content,
            "lines": assignment_lines(row.explanation, with_alternatives=False),
        },
    )


@role_required(*EXPERT_ROLES)
def my_review_declare(request, application_id: int):
    application, row = selectors.assigned_application_get_for(
        actor=request.actor, application_id=application_id
    )
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            conflicts.conflict_declare(
                actor=request.actor, assignment=row, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("已申报回避，该申报将另行安排专家评审"))
            return redirect("review:my_reviews")
    return render(
        request,
        "review/my_review_declare.html",
        {"application": application, "row": row, "form": form},
        status=422 if form.errors else 200,
    )


# --- exclusions (申请回避) ---------------------------------------------------------------------------


@role_required(*APPLICANT_ROLES)
def my_exclusions(request):
    """The applicant's own applications, each with where asking for exclusions stands."""
    applications = list(selectors.own_applications_for_exclusions(request.actor))
    rounds = selectors.selection_rounds_by_call_and_type(applications)
    rows = []
    for application in applications:
        review_round, limit, open_ = services.round_exclusion_window(
            rounds.get((application.call_id, application.project_type_id))
        )
        rows.append({"application": application, "round": review_round, "limit": limit, "open": open_})
    return render(request, "review/my_exclusions.html", {"rows": rows})


@role_required(*EXCLUSION_READ_ROLES)
def exclusions(request, application_id: int):
    if request.method == "POST":
        request.actor.require(*APPLICANT_ROLES)
    application = selectors.exclusion_application_get_for(actor=request.actor, pk=application_id)
    form = ExclusionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.exclusion_add(actor=request.actor, application=application, **form.cleaned_data)
        except DomainError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("已申请回避"))
            return redirect("review:exclusions", application_id=application.pk)
    review_round, limit, open_ = services.exclusion_window(application)
    is_applicant = request.actor.is_org_staff and application.applicant_id == request.actor.organization.pk
    return render(
        request,
        "review/exclusions.html",
        {
            "application": application,
            "rows": list(selectors.exclusions_of(application)),
            "form": form,
            "limit": limit,
            "open": open_,
            "round": review_round,
            "can_edit": is_applicant and open_,
        },
        status=422 if form.errors else 200,
    )


@role_required(*APPLICANT_ROLES)
@require_POST
def exclusion_remove(request, application_id: int, exclusion_id: int):
    application = selectors.exclusion_application_get_for(actor=request.actor, pk=application_id)
    exclusion = selectors.exclusion_get(application, exclusion_id)
    try:
        services.exclusion_remove(actor=request.actor, exclusion=exclusion)
    except DomainError as exc:
        _errors_to_messages(request, exc)
    else:
        messages.success(request, _("已撤回对“%(name)s”的回避申请") % {"name": exclusion.expert_name})
    return redirect("review:exclusions", application_id=application.pk)

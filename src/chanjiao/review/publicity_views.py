"""Publicity pages (公示): the public list and each publicity with its objection form (no login), and
the round's publicity page for province staff (publish, record and answer objections) and the
observer (reads it all)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chanjiao.core.calendar import working_days_from
from chanjiao.core.errors import DomainError, apply_to_form
from chanjiao.core.pages import paginate, role_required

from . import publicity_selectors as selectors
from . import publicity_services as services
from .models import ReviewRound
from .permissions import READ_ROLES, STAFF_ROLES
from .publicity_forms import AnswerForm, ObjectionForm, ObjectionRecordForm, PublishForm
from .selectors import round_get_for


def _is_staff_of(request, review_round) -> bool:
    return request.actor.is_province_staff and request.actor.province_prefix == review_round.province_code


def _conflict(request, exc: DomainError, review_round):
    """A refusal because of the state (409: already published, already answered, the round closed)
    is told at the top of the round's page, where the form it came from may no longer be shown."""
    if exc.status != 409:
        return None
    for e in exc.errors:
        messages.error(request, e.message)
    return redirect("review:round_publicity", pk=review_round.pk)


# --- the public pages --------------------------------------------------------------------------------


def publicity_list(request):
    page_obj = paginate(request, selectors.publicities_public())
    today = timezone.localdate()
    for p in page_obj:
        p.phase = selectors.phase(p, today)
    return render(request, "review/publicity/public_list.html", {"page_obj": page_obj})


def publicity_public(request, pk: int):
    """A publicity for anyone: the list, the period, how to object, and the objection form."""
    publicity = selectors.publicity_public_get(pk)
    entries = selectors.publicity_entries(publicity)
    form = ObjectionForm(request.POST or None, entries=entries)
    if request.method == "POST" and form.is_valid():
        try:
            services.objection_submit(data=form.values(), publicity=publicity)
        except DomainError as exc:
            if exc.status == 409:  # the period is over (or not begun): the form is no longer shown
                for e in exc.errors:
                    messages.error(request, e.message)
                return redirect("review:publicity_public", pk=publicity.pk)
            apply_to_form(form, exc)
        else:
            messages.success(request, _("您的异议已收到，我们将核实后答复。"))
            return redirect("review:publicity_public", pk=publicity.pk)
    return render(
        request,
        "review/publicity/public_detail.html",
        {
            "publicity": publicity,
            "entries": entries,
            "period": selectors.publicity_period(
                publicity.starts_on, publicity.ends_on, publicity.working_days
            ),
            "phase": selectors.phase(publicity),
            "form": form,
        },
        status=422 if form.errors else 200,
    )


# --- the round's publicity page (staff and the observer) -------------------------------------------


def _round_context(request, review_round: ReviewRound, **forms) -> dict:
    publicity = selectors.publicity_of(review_round)
    context = {
        "round": review_round,
        "publicity": publicity,
        "can_edit": _is_staff_of(request, review_round),
    }
    if publicity is None:
        entries = list(selectors.recommended_entries(review_round))
        form = forms.get("publish_form") or PublishForm(
            initial={
                "working_days": review_round.publicity_days,
                "starts_on": timezone.localdate(),
                "title": _("关于%(call)s拟立项名单的公示") % {"call": review_round.call.title},
            }
        )
        context.update(
            entries=entries,
            publish_form=form,
            can_publish=review_round.status == ReviewRound.Status.RECOMMENDED and bool(entries),
            preview=_preview(review_round, form),
        )
        return context
    entries = selectors.publicity_entries(publicity)
    objections = list(selectors.objections_for(request.actor, publicity))
    failed_answer = forms.get("answer_form")
    for o in objections:
        o.answer_form = (
            failed_answer
            if failed_answer is not None and failed_answer.objection_pk == o.pk
            else AnswerForm()
        )
    context.update(
        entries=entries,
        period=selectors.publicity_period(publicity.starts_on, publicity.ends_on, publicity.working_days),
        phase=selectors.phase(publicity),
        objections=objections,
        open_count=sum(1 for o in objections if not o.is_answered),
        record_form=forms.get("record_form") or ObjectionRecordForm(entries=entries),
    )
    return context


def _preview(review_round: ReviewRound, form: PublishForm) -> dict | None:
    """The period a publish form would give, or None while its dates are not usable."""
    data = form.data if form.is_bound else None
    today = timezone.localdate()
    if data is None:
        starts_on, days = today, review_round.publicity_days
    else:
        probe = PublishForm(data)
        if not probe.is_valid():
            return None
        starts_on = probe.cleaned_data["starts_on"] or today
        days = probe.cleaned_data["working_days"] or review_round.publicity_days
    if not 1 <= days <= services.WORKING_DAYS[1]:
        return None
    ends_on = working_days_from(starts_on, days)
    return {
        "period": selectors.publicity_period(starts_on, ends_on, days),
        "in_past": starts_on < today,
    }


@role_required(*READ_ROLES)
def round_publicity(request, pk: int):
    if request.method == "POST":
        request.actor.require(*STAFF_ROLES)
    review_round = round_get_for(actor=request.actor, pk=pk)
    if request.method == "POST":
        form = PublishForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                publicity = services.publicity_publish(
                    actor=request.actor,
                    review_round=review_round,
                    title=data["title"],
                    body=data["body"],
                    contact=data["contact"],
                    starts_on=data["starts_on"],
                    working_days=data["working_days"],
                )
            except DomainError as exc:
                if (response := _conflict(request, exc, review_round)) is not None:
                    return response
                apply_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("已发布公示：%(start)s至%(end)s，共%(n)d个工作日")
                    % {
                        "start": publicity.starts_on.isoformat(),
                        "end": publicity.ends_on.isoformat(),
                        "n": publicity.working_days,
                    },
                )
                return redirect("review:round_publicity", pk=review_round.pk)
        context = _round_context(request, review_round, publish_form=form)
        return render(request, "review/publicity/round.html", context, status=422)
    return render(request, "review/publicity/round.html", _round_context(request, review_round))


@role_required(*READ_ROLES)
def publicity_preview(request, pk: int):
    """The end date and the days skipped for the dates typed in the publish form (htmx)."""
    review_round = round_get_for(actor=request.actor, pk=pk)
    preview = _preview(review_round, PublishForm(request.GET))
    return render(request, "review/publicity/partials/preview.html", {"preview": preview})


@role_required(*STAFF_ROLES)
@require_POST
def objection_record(request, pk: int):
    review_round = round_get_for(actor=request.actor, pk=pk)
    publicity = selectors.publicity_of(review_round)
    if publicity is None:
        messages.error(request, _("本轮尚未公示，不能登记异议"))
        return redirect("review:round_publicity", pk=review_round.pk)
    form = ObjectionRecordForm(request.POST, entries=selectors.publicity_entries(publicity))
    if form.is_valid():
        try:
            services.objection_record(actor=request.actor, publicity=publicity, data=form.values())
        except DomainError as exc:
            if (response := _conflict(request, exc, review_round)) is not None:
                return response
            apply_to_form(form, exc)
        else:
            messages.success(request, _("已登记异议"))
            return redirect("review:round_publicity", pk=review_round.pk)
    context = _round_context(request, review_round, record_form=form)
    return render(request, "review/publicity/round.html", context, status=422)


@role_required(*STAFF_ROLES)
@require_POST
def objection_answer(request, pk: int):
    objection = selectors.objection_get_for(actor=request.actor, pk=pk)
    review_round = objection.publicity.round
    form = AnswerForm(request.POST)
    form.objection_pk = objection.pk
    if form.is_valid():
        try:
            services.objection_answer(
                actor=request.actor,
                objection=objection,
                answer=form.cleaned_data["answer"],
                outcome=form.cleaned_data["outcome"],
            )
        except DomainError as exc:
            if (response := _conflict(request, exc, review_round)) is not None:
                return response
            apply_to_form(form, exc)
        else:
            messages.success(request, _("已答复异议"))
            return redirect("review:round_publicity", pk=review_round.pk)
    context = _round_context(request, review_round, answer_form=form)
    return render(request, "review/publicity/round.html", context, status=422)

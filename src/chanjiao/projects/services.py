"""The province's decision on a publicised application (立项决定), and the project it makes.

The plans: 专家评审推荐、行政决定立项 (Jiangsu 三(二)). Experts recommend, the list is publicised, and
once the publicity period is over and every objection to it has been answered, the province decides
on each application: awarded (立项), with the approved provincial support and the batch it starts in,
or rejected (不予立项), with its reasons. An award makes a `Project`. Each decision is made once.

Every write is one transaction: permission first, the application's move along the workflow inside
it, an audit entry, and notices to the applicant's people (and, for an award, to the partner
enterprises' administrators) that are emailed after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chanjiao.applications import services as application_services
from chanjiao.applications import workflow
from chanjiao.applications.models import Application, Status
from chanjiao.applications.permissions import call_province
from chanjiao.core.audit import audit_record, diff, snapshot
from chanjiao.core.errors import ConflictError, ErrorCollector, FieldError, ValidationFailed
from chanjiao.core.notifications import notify
from chanjiao.core.permissions import Actor, Role
from chanjiao.orgs.models import OrgKind, User
from chanjiao.review.models import Publicity, ReviewRound
from chanjiao.review.publicity_selectors import ENDED, objections_open, phase

from . import selectors, taskbook_services
from .models import AwardDecision, Project
from .permissions import NOTIFIED_ROLES, require_decider

DECISION_FIELDS = (
    "application_id",
    "outcome",
    "approved_budget",
    "start_batch",
    "reasons",
    "document_number",
)
PROJECT_FIELDS = (
    "code",
    "title",
    "application_id",
    "organization_id",
    "approved_budget",
    "planned_total",
    "planned_enterprise",
    "start_batch",
    "starts_on",
    "construction_years",
    "ends_on",
    "status",
)
CODE_LENGTH = Project._meta.get_field("code").max_length
CODE_ATTEMPTS = 5


# --- what a decision reads ------------------------------------------------------------------


def today() -> dt.date:
    """The decision's date: today in the platform's time zone (Asia/Shanghai), by the server's clock."""
    return timezone.localdate()


def start_batches(project_type) -> int:
    """How many yearly batches the plan starts construction in (江苏: 分三年启动建设 → 3)."""
    review = project_type.spec.get("review") if isinstance(project_type.spec, dict) else None
    try:
        return max(1, int((review or {}).get("start_batches") or 1))
    except (TypeError, ValueError):
        return 1


def construction_years(project_type) -> int:
    """The plan's construction period in years (江苏: 建设期为3年)."""
    years = project_type.construction_years
    if years:
        return int(years)
    return application_services.construction_years(project_type)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February falls on 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def construction_end(starts_on: dt.date, years: int) -> dt.date:
    """The last day of a construction period of `years` years beginning on `starts_on`."""
    return add_years(starts_on, years) - dt.timedelta(days=1)


def clean_reasons(reasons: Iterable[str] | str | None) -> list[str]:
    """Reasons from a list or from text, one per line; blank ones dropped."""
    if reasons is None:
        return []
    if isinstance(reasons, str):
        reasons = reasons.splitlines()
    return [str(r).strip() for r in reasons if str(r or "").strip()]


def _day(value: dt.date) -> str:
    return value.isoformat()


def _objection_words(objection) -> str:
    target = _("针对本项目") if objection.application_id is not None else _("针对整个公示名单")
    return _("%(name)s（%(when)s收到，%(target)s）") % {
        "name": objection.name,
        "when": timezone.localtime(objection.received_at).strftime("%Y-%m-%d"),
        "target": target,
    }


def _locked(application: Application) -> tuple[Application, ReviewRound | None]:
    """The round (locked first, so decisions on one round take turns) and the application's row."""
    review_round = selectors.round_of(application)
    if review_round is not None:
        review_round = (
            ReviewRound.objects.select_for_update(of=("self",)).select_related("call").get(pk=review_round.pk)
        )
    app = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "call__pack", "project_type", "applicant")
        .get(pk=application.pk)
    )
    return app, review_round


def _require_undecided(app: Application) -> None:
    """A decision is made once (409, saying when and what it was)."""
    earlier = AwardDecision.objects.filter(application_id=app.pk).first()
    if earlier is not None:
        raise ConflictError.single(
            "application",
            "award.already_decided",
            _("该申报已于%(when)s作出决定（%(outcome)s），不能再次决定")
            % {
                "when": timezone.localtime(earlier.decided_at).strftime("%Y-%m-%d"),
                "outcome": earlier.get_outcome_display(),
            },
        )


def _require_decidable(app: Application, action: str, review_round: ReviewRound | None) -> Publicity | None:
    """Once only; the application publicised; the publicity over and no objection open to it (409)."""
    _require_undecided(app)
    workflow.transition_for(app.status, action)
    publicity = selectors.publicity_of(review_round)
    day = today()
    problems: list[FieldError] = []
    if publicity is None:
        problems.append(
            FieldError(
                "publicity",
                "award.no_publicity",
                _("该申报所在的评审轮次还没有发布公示，公示期满后方可作出立项决定"),
            )
        )
    else:
        if phase(publicity, day) != ENDED:
            problems.append(
                FieldError(
                    "publicity",
                    "award.publicity_not_over",
                    _("公示期至%(end)s，公示期满后方可立项（当前：%(today)s）")
                    % {"end": _day(publicity.ends_on), "today": _day(day)},
                )
            )
        pending = list(objections_open(publicity, app))
        if pending:
            problems.append(
                FieldError(
                    "objections",
                    "award.objections_open",
                    _("还有%(n)d件异议未答复：%(list)s；答复后方可作出立项决定")
                    % {"n": len(pending), "list": "、".join(_objection_words(o) for o in pending)},
                )
            )
    if problems:
        raise ConflictError(problems)
    return publicity


def _parse_batch(errors: ErrorCollector, value: Any, *, default: int, most: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        batch = int(str(value).strip())
    except (TypeError, ValueError):
        batch = None
    if batch is None or isinstance(value, bool) or not 1 <= batch <= most:
        errors.add(
            "start_batch",
            "award.start_batch_out_of_range",
            _("启动批次应为1至%(max)d之间的整数（当前：%(cur)s）") % {"max": most, "cur": value},
        )
        return None
    return batch


def _clean_document_number(errors: ErrorCollector, value: Any) -> str:
    text = str(value or "").strip()
    limit = AwardDecision._meta.get_field("document_number").max_length
    if len(text) > limit:
        errors.add(
            "document_number",
            "award.document_number_too_long",
            _("立项文号最多%(max)d个字（当前：%(n)d个）") % {"max": limit, "n": len(text)},
        )
    return text


# --- the project's code ---------------------------------------------------------------------


def _code_prefix(app: Application, year: int) -> str:
    province = call_province(app.call) or (app.city_code or "")[:2]
    head = f"{province}-{year}-"
    type_code = app.project_type.code[: CODE_LENGTH - len(head) - 4]
    return f"{head}{type_code}-"


def _next_sequence(prefix: str) -> int:
    numbers = [
        int(code[len(prefix) :])
        for code in Project.objects.filter(code__startswith=prefix).values_list("code", flat=True)
        if code[len(prefix) :].isdigit()
    ]
    return max(numbers, default=0) + 1


def _create_project(values: dict[str, Any], prefix: str) -> Project:
    """The project under the next free code of its type and year (a rare clash takes the next one)."""
    sequence = _next_sequence(prefix)
    for _attempt in range(CODE_ATTEMPTS):
        code = f"{prefix}{sequence:03d}"
        try:
            with transaction.atomic():
                return Project.objects.create(code=code, **values)
        except IntegrityError:
            if not Project.objects.filter(code=code).exists():
                raise
            sequence = _next_sequence(prefix)
    raise ConflictError.single(
        "application",
        "award.code_busy",
        _("项目编号“%(prefix)s…”正被同时占用，请稍后重试") % {"prefix": prefix},
    )


# --- who is told ----------------------------------------------------------------------------


def _people(organization_ids: Iterable[int], roles: Iterable[str]) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organization_id__in=list(organization_ids),
            memberships__role__in=list(roles),
            memberships__is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def _applicant_people(app: Application) -> list[User]:
    return _people([app.applicant_id], NOTIFIED_ROLES)


def _partner_enterprise_admins(app: Application) -> list[User]:
    ids = app.partners.filter(organization__kind=OrgKind.ENTERPRISE).values_list("organization_id", flat=True)
    return _people(ids, (Role.ORG_ADMIN,))


def _round_close_if_done(actor: Actor, review_round: ReviewRound | None) -> None:
    """A round whose applications have all been decided on is over."""
    if review_round is None or review_round.status == ReviewRound.Status.CLOSED:
        return
    pending = Application.objects.filter(
        call_id=review_round.call_id, project_type_id=review_round.project_type_id, status=Status.PUBLICISED
    ).exists()
    if pending:
        return
    before = review_round.status
    review_round.status = ReviewRound.Status.CLOSED
    review_round.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="review_round.update",
        obj=review_round,
        changes={"status": [before, review_round.status]},
    )


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


# --- the decisions --------------------------------------------------------------------------


def _award_terms(
    errors: ErrorCollector, app: Application, approved_budget: Any, start_batch: Any, document_number: Any
) -> tuple[Decimal | None, int | None, str]:
    """The award's budget (at most what the application asked of the provincial fund), start batch
    and document number, each problem added to `errors`."""
    budget = application_services.parse_amount(
        errors, "approved_budget", approved_budget, label=_("批准的省级财政支持")
    )
    requested = selectors.requested_provincial_fund(app)
    if budget is not None and budget > requested:
        errors.add(
            "approved_budget",
            "award.budget_above_request",
            _("批准的省级财政支持不能超过申报书申请的省财政专项资金（当前：%(cur)s元，申请：%(req)s元）")
            % {"cur": budget, "req": requested},
        )
    batch = _parse_batch(
        errors, start_batch, default=app.call.start_batch or 1, most=start_batches(app.project_type)
    )
    return budget, batch, _clean_document_number(errors, document_number)


def _award(
    actor: Actor, app: Application, budget: Decimal, batch: int, number: str, *, starts_on: dt.date
) -> tuple[AwardDecision, Project]:
    """The award decision and its project, construction starting on `starts_on`."""
    decision = AwardDecision.objects.create(
        application=app,
        outcome=AwardDecision.Outcome.AWARDED,
        approved_budget=budget,
        start_batch=batch,
        document_number=number,
        decided_by=actor.user,
    )
    years = construction_years(app.project_type)
    planned_total, planned_enterprise = selectors.planned_totals(app)
    project = _create_project(
        {
            "application": app,
            "decision": decision,
            "title": app.title or str(app),
            "call": app.call,
            "project_type": app.project_type,
            "organization": app.applicant,
            "city_code": app.city_code,
            "province_code": (call_province(app.call) or app.city_code[:2]) + "0000",
            "approved_budget": budget,
            "planned_total": planned_total,
            "planned_enterprise": planned_enterprise,
            "start_batch": batch,
            "starts_on": starts_on,
            "construction_years": years,
            "ends_on": construction_end(starts_on, years),
        },
        _code_prefix(app, starts_on.year),
    )
    return decision, project


def _record_project(actor: Actor, project: Project) -> None:
    """The new project in the audit trail, and its task book's first version from the application."""
    audit_record(
        actor=actor,
        action="project.create",
        obj=project,
        changes=diff({}, snapshot(project, PROJECT_FIELDS)),
    )
    taskbook_services.task_book_generate(project, actor=actor)


def decision_award(
    *,
    actor: Actor,
    application: Application,
    approved_budget: Any,
    start_batch: Any = None,
    document_number: str = "",
) -> AwardDecision:
    """Province staff award a publicised application: the decision and its project, at once.

    Refused (and nothing stored): not province staff of the call's province (403); decided before,
    not publicised, the publicity not over or an objection to it open (409); the budget not an
    amount, or above the provincial funds the application asked for, or the batch outside the
    plan's batches (422).
    """
    require_decider(actor, application)
    with transaction.atomic():
        app, review_round = _locked(application)
        _require_decidable(app, "award", review_round)
        errors = ErrorCollector()
        budget, batch, number = _award_terms(errors, app, approved_budget, start_batch, document_number)
        errors.raise_if_any()

        decision, project = _award(actor, app, budget, batch, number, starts_on=today())
        application_services.application_move(
            actor=actor,
            application=app,
            action="award",
            note=_("项目编号%(code)s") % {"code": project.code},
            audit_extra={"project": project.code},
        )
        audit_record(
            actor=actor,
            action="award_decision.create",
            obj=decision,
            changes=diff({}, snapshot(decision, DECISION_FIELDS)),
        )
        _record_project(actor, project)
        _round_close_if_done(actor, review_round)
        words = {
            "title": project.title,
            "code": project.code,
            "budget": _money(budget),
            "batch": batch,
            "start": _day(project.starts_on),
            "end": _day(project.ends_on),
        }
        body = (
            _(
                "省级教育部门决定立项：项目编号%(code)s，批准的省级财政支持%(budget)s元，"
                "第%(batch)s批启动建设，建设期%(start)s至%(end)s。"
            )
            % words
        )
        if number:
            body += _("立项文号：%(number)s。") % {"number": number}
        url = reverse("projects:detail", args=[project.pk])
        notify(
            _applicant_people(app),
            subject=_("“%(title)s”已立项") % words,
            body=body,
            url=url,
            kind="project.awarded",
        )
        notify(
            _partner_enterprise_admins(app),
            subject=_("贵单位参与共建的“%(title)s”已立项") % words,
            body=body,
            url=url,
            kind="project.awarded_partner",
        )
    application.__dict__.update({"status": app.status, "row_version": app.row_version})
    return decision


def decision_reject(*, actor: Actor, application: Application, reasons: Iterable[str] | str) -> AwardDecision:
    """Province staff decide not to award a publicised application, with their reasons.

    The same checks of state as an award (once; publicised; publicity over; no objection open), and
    at least one reason (422).
    """
    require_decider(actor, application)
    cleaned = clean_reasons(reasons)
    with transaction.atomic():
        app, review_round = _locked(application)
        _require_decidable(app, "reject", review_round)
        if not cleaned:
            raise ValidationFailed.single(
                "reasons", "award.reasons_required", _("请写明不予立项的理由（当前：空）")
            )
        decision = AwardDecision.objects.create(
            application=app,
            outcome=AwardDecision.Outcome.REJECTED,
            reasons=cleaned,
            decided_by=actor.user,
        )
        application_services.application_move(
            actor=actor,
            application=app,
            action="reject",
            note="；".join(cleaned),
            audit_extra={"reasons": cleaned},
        )
        audit_record(
            actor=actor,
            action="award_decision.create",
            obj=decision,
            changes=diff({}, snapshot(decision, DECISION_FIELDS)),
        )
        _round_close_if_done(actor, review_round)
        title = app.title or str(app)
        lines = "\n".join(f"{i}. {r}" for i, r in enumerate(cleaned, start=1))
        notify(
            _applicant_people(app),
            subject=_("“%(title)s”未予立项") % {"title": title},
            body=_("省级教育部门决定不予立项，理由如下：\n%(reasons)s") % {"reasons": lines},
            url=reverse("projects:application_decision", args=[app.pk]),
            kind="project.rejected",
        )
    application.__dict__.update({"status": app.status, "row_version": app.row_version})
    return decision


# --- awards made before the platform ----------------------------------------------------------

EARLIER_AWARDABLE = (Status.SUBMITTED, Status.ENDORSED, Status.UNDER_REVIEW, Status.PUBLICISED)


def award_record_earlier(
    *,
    actor: Actor,
    application: Application,
    approved_budget: Any,
    starts_on: dt.date,
    document_number: str = "",
    start_batch: Any = None,
) -> AwardDecision:
    """Records an award the province made before it ran selection on the platform (历史立项): the
    application (submitted on the platform, its review held elsewhere) is marked awarded, with the
    decision and the project as they were made, construction starting on `starts_on`, and the task
    book's first version generated as for any award. A province moving its running projects onto
    the platform does this once per project; the demo's earlier cohort is made this way.

    Refused: not province staff of the call's province (403); decided before, or the application
    not submitted (409); the budget not an amount or above the request, the batch outside the plan's,
    the start in the future (422).
    """
    require_decider(actor, application)
    with transaction.atomic():
        app = (
            Application.objects.select_for_update()
            .select_related("call", "project_type")
            .get(pk=application.pk)
        )
        _require_undecided(app)
        if app.status not in EARLIER_AWARDABLE:
            raise ConflictError.single(
                "status",
                "award.earlier_not_submitted",
                _("只有已提交的申报可以登记历史立项（当前状态：%(cur)s）")
                % {"cur": workflow.status_label(app.status)},
            )
        errors = ErrorCollector()
        budget, batch, number = _award_terms(errors, app, approved_budget, start_batch, document_number)
        if starts_on > today():
            errors.add(
                "starts_on",
                "award.earlier_starts_in_future",
                _("历史立项的建设开始日期应不晚于今天（当前：%(cur)s，今天：%(today)s）")
                % {"cur": _day(starts_on), "today": _day(today())},
            )
        errors.raise_if_any()

        decision, project = _award(actor, app, budget, batch, number, starts_on=starts_on)
        before = app.status
        Application.objects.filter(pk=app.pk).update(status=Status.AWARDED)
        audit_record(
            actor=actor,
            action="award_decision.record_earlier",
            obj=decision,
            changes={
                **diff({}, snapshot(decision, DECISION_FIELDS)),
                "application_status": [before, Status.AWARDED],
            },
        )
        _record_project(actor, project)
    return decision

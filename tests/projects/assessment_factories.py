"""Builders for the acceptance and performance tests (and for the pages' tests, which import them):

- `add_assessment_systems(pack)`: the Jiangsu pack's own acceptance and performance indicator
  systems (jiangsu-acceptance, jiangsu-performance), stored into a test pack;
- `make_awarded_project(...)`: a Jiangsu-like project awarded through the province's real decision,
  its construction begun `years_ago` years before today, with a submitted report per period
  (money received, usage, KPI values);
- `drive_to_panel(...)`: a batch's round driven through the review's own services — conflicts
  computed, experts assigned by the exact solve, every sheet submitted by its expert through
  scoring_services, the panel opened — so `assessment_conclude` reads a real ranking.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import yaml
from django.utils import timezone

from chanjiao.applications.models import Status
from chanjiao.core.permissions import Role
from chanjiao.policy.models import Indicator, IndicatorSystem, PolicyPack
from chanjiao.policy.schema import IndicatorSystemDoc
from chanjiao.policy.services import _store_indicator_system
from chanjiao.projects import assessment_services, reports_selectors, services
from chanjiao.projects.models import Assessment, AssessmentEntry, Funding, ProgressReport, Project, Usage
from chanjiao.review import assignment as review_assignment
from chanjiao.review import conflicts as review_conflicts
from chanjiao.review import panel_services, scoring_services
from chanjiao.review.models import Assignment, ExpertProfile, ReviewRound, RoundSubject
from tests.applications.factories import PACKS
from tests.conftest import actor_of
from tests.factories import make_person
from tests.projects.factories import add_budget, make_publicised_round
from tests.review.factories import make_application, make_expert, make_school

_serial = itertools.count(1)
# A year's KPI values that reach every performance threshold (四技 250万元 ≥ 200, 3 projects ≥ 3,
# 5 patents ≥ 5, and at least one transfer and one incubated project).
FULL_KPIS = {
    "tech_service_income": "250",
    "transfer_projects": "1",
    "incubated_student_projects": "2",
    "research_projects": "3",
    "patents": "5",
}
SYSTEM_CODES = ("jiangsu-acceptance", "jiangsu-performance")


@functools.cache
def _system_documents() -> dict[str, dict]:
    document = yaml.safe_load((PACKS / "jiangsu-integration-platform.yaml").read_text(encoding="utf-8"))
    return {s["code"]: s for s in document["indicator_systems"] if s["code"] in SYSTEM_CODES}


def add_assessment_systems(pack: PolicyPack) -> dict[str, IndicatorSystem]:
    """The Jiangsu acceptance and performance systems in `pack` (once): purpose → system."""
    out = {}
    for code, doc in _system_documents().items():
        system = IndicatorSystem.objects.filter(pack=pack, code=code, is_current=True).first()
        if system is None:
            system = _store_indicator_system(
                pack, IndicatorSystemDoc.model_validate(doc), version=1, actor=None
            )
        out[system.purpose] = system
    return out


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def backdate(project: Project, starts_on: dt.date) -> Project:
    """Test set-up: construction began on `starts_on` (the award made it today)."""
    project.starts_on = starts_on
    project.ends_on = services.construction_end(starts_on, project.construction_years)
    project.save(update_fields=["starts_on", "ends_on"])
    return project


def add_report(
    project: Project,
    period: int,
    *,
    status: str = ProgressReport.Status.ACCEPTED,
    enterprise: str = "4000000",
    school: str = "6000000",
    social_hours: str = "400",
    teaching_hours: str = "600",
    kpis: dict | None = None,
) -> ProgressReport:
    """Test set-up: the project's report of `period` with its money received, usage and KPI values
    (the reports' own services are tested in test_reports_services; here only the figures matter)."""
    p = reports_selectors.report_periods(project)[period - 1]
    report = ProgressReport.objects.create(
        project=project,
        period=p.number,
        period_start=p.start,
        period_end=p.end,
        due_on=p.due_on,
        status=status,
        narrative=f"第{period}期建设进展",
        kpi_values=dict(FULL_KPIS) if kpis is None else kpis,
        submitted_at=timezone.now(),
    )
    for source, amount in (("enterprise", enterprise), ("school", school)):
        if Decimal(amount):
            Funding.objects.create(
                report=report, source=source, kind="cash", received=Decimal(amount), spent=Decimal("0")
            )
    for purpose, hours in (("social", social_hours), ("teaching", teaching_hours)):
        if Decimal(hours):
            Usage.objects.create(
                report=report,
                purpose=purpose,
                group="other" if purpose == "social" else "",
                hours=Decimal(hours),
                people=10,
            )
    return report


@dataclass
class World:
    """A call of the Jiangsu-like type in a province, its staff, and its awarded projects."""

    call: Any
    project_type: Any
    staff: Any
    systems: dict[str, IndicatorSystem]
    projects: list[Project] = field(default_factory=list)

    @property
    def actor(self):
        return actor_of(self.staff)


def make_world(region, staff, *, code: str = "assessment-test") -> World:
    """The call's selection round publicised and its publicity over (the state awards are made in),
    and the pack's acceptance and performance systems."""
    selection, _apps = make_publicised_round(
        region, staff, [], code=code, ends_on=timezone.localdate() - dt.timedelta(days=2)
    )
    call, project_type = selection.call, selection.project_type
    return World(call, project_type, staff, add_assessment_systems(call.pack))


def make_awarded_project(
    world: World,
    school,
    *,
    years_ago: int = 3,
    reports: bool = True,
    title: str = "",
    **report_values,
) -> Project:
    """A publicised application of `school` awarded by the province's staff through
    `services.decision_award`, its construction begun `years_ago` years before today (so with
    years_ago=3 it ended yesterday), with an accepted report for each period that has ended: by
    default 10,000,000 yuan a year (4,000,000 of it the enterprise's, 40%), 400 of 1,000
    workstation hours to society (40%) and FULL_KPIS, so every computed acceptance and performance
    indicator is met and the figures' gates and formulas score full marks."""
    app = make_application(
        world.call,
        world.project_type,
        school,
        status=Status.PUBLICISED,
        title=title or f"验收测试集成平台{next(_serial)}",
        created_by=world.staff,
    )
    add_budget(app)
    services.decision_award(actor=world.actor, application=app, approved_budget="1000000.00")
    project = Project.objects.get(application=app)
    backdate(project, add_years(timezone.localdate(), -years_ago))
    if reports:
        for period in reports_selectors.report_periods(project):
            if period.end < timezone.localdate():
                add_report(project, period.number, **report_values)
    world.projects.append(project)
    return project


def school_people(school) -> tuple[Any, Any]:
    """An administrator and a staff member of the school (who write the self-assessment)."""
    n = next(_serial)
    return (
        make_person(f"assess_admin_{n}", school, Role.ORG_ADMIN),
        make_person(f"assess_staff_{n}", school, Role.ORG_STAFF),
    )


def open_batch(world: World, projects: list[Project], *, kind: str = "acceptance", **data) -> Assessment:
    """A batch opened by the province's staff through `assessment_create`."""
    values = {
        "kind": kind,
        "call_id": world.call.pk,
        "project_type_id": world.project_type.pk,
        "project_ids": [p.pk for p in projects],
        "year": max(p.ends_on.year for p in projects) if kind == "acceptance" else timezone.localdate().year,
        "self_assessment_due": (timezone.localdate() + dt.timedelta(days=14)).isoformat(),
        "reviews_per_application": 2,
        **data,
    }
    return assessment_services.assessment_create(actor=world.actor, data=values)


def submit_self_assessments(batch: Assessment, *, text: str = "建设任务全部完成，平台运行良好。") -> None:
    for entry in batch.entries.select_related("project", "project__organization"):
        admin, _staff = school_people(entry.project.organization)
        actor = actor_of(admin)
        assessment_services.self_assessment_save(
            actor=actor, entry=entry, data={"self_assessment": text, "self_score": "88"}
        )
        assessment_services.self_assessment_submit(actor=actor, entry=entry)


def make_experts(region, count: int = 3) -> list[ExpertProfile]:
    """Experts of the province's pool, each employed by a school of another city than the projects'
    (the review's conflicts keep same-city experts away)."""
    return [
        make_expert(region, make_school(region, name=f"评审专家单位{next(_serial)}"), name=f"验收专家{i + 1}")
        for i in range(count)
    ]


# A full acceptance sheet: every expert leaf scaled by `level` (1 = full marks: 66 points), the
# gate and formula leaves as the default reports' figures score them (34 points), a comment per
# first-level indicator. Level 0.9 → 93.40 (优秀), 0.5 → 67.00 (合格), 0.2 → 47.20 (不合格).
ACCEPTANCE_EXPERT_LEAVES = {"1.1": 8, "1.2": 8, "1.3": 8, "1.4": 8, "1.5": 8, "1.6": 8, "1.7": 8, "3.1.2": 10}
PERFORMANCE_EXPERT_LEAVES = {"2.2": 10, "3.1": 15, "3.2": 10}


def acceptance_sheet(
    level: Decimal | str = "1", *, gates: bool = True, formula: str = "10", vetoes=()
) -> dict:
    level = Decimal(str(level))
    scores: dict[str, Any] = {
        k: str((Decimal(v) * level).quantize(Decimal("0.01"))) for k, v in ACCEPTANCE_EXPERT_LEAVES.items()
    }
    scores.update({"2.1.1": gates, "2.1.2": gates, "2.2.1": gates, "3.1.1": formula})
    return {
        "scores": scores,
        "vetoes": list(vetoes),
        "comments": {"1": "建设任务完成", "2": "资金到位、按时上报", "3": "平台效益明显"},
        "overall_comment": "同意验收。",
        "recommendation": "not_recommended" if vetoes else "recommend",
    }


def performance_sheet(level: Decimal | str = "1", *, vetoes=()) -> dict:
    level = Decimal(str(level))
    scores: dict[str, Any] = {
        k: str((Decimal(v) * level).quantize(Decimal("0.01"))) for k, v in PERFORMANCE_EXPERT_LEAVES.items()
    }
    scores.update({"1.1": "15", "1.2": True, "1.3": True, "1.4": "8", "1.5": "7", "2.1": "15"})
    return {
        "scores": scores,
        "vetoes": list(vetoes),
        "comments": {"1": "技术创新成效显著", "2": "社会培训扎实", "3": "运行机制完善"},
        "overall_comment": "绩效突出。",
        "recommendation": "not_recommended" if vetoes else "recommend",
    }


def _fraction(value: Any) -> Fraction | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None


def computed_leaves(review_round: ReviewRound, application_id: int) -> dict[str, Any]:
    """The gate and formula leaves as the subject's figures score them (what an expert would read
    off the sheet): a gate passes when its figure reaches `min` or equals `equals`; a formula takes
    the score of the first threshold its figure reaches (0 below all, or with no figure)."""
    inputs = RoundSubject.objects.get(round=review_round, application_id=application_id).inputs or {}
    out: dict[str, Any] = {}
    for row in Indicator.objects.filter(
        system=review_round.indicator_system_id, method__in=("gate", "formula")
    ):
        rule = row.formula or {}
        value = inputs.get(rule.get("input"))
        if row.method == "gate":
            if "equals" in rule:
                out[row.code] = value == rule["equals"]
            else:
                number, least = _fraction(value), _fraction(rule.get("min"))
                out[row.code] = number is not None and least is not None and number >= least
        else:
            number = _fraction(value)
            score = "0"
            for threshold in rule.get("thresholds") or []:
                if number is not None and number >= Fraction(str(threshold["min"])):
                    score = str(threshold["score"])
                    break
            out[row.code] = score
    return out


def drive_to_panel(
    batch: Assessment,
    staff,
    experts: list[ExpertProfile],
    sheets: dict[int, dict] | None = None,
) -> ReviewRound:
    """The batch's round through the review's own services: conflicts computed, the exact assignment
    (k as the round says), each assigned expert submits `sheets[project_id]` (default: a full
    sheet; the gate and formula leaves as the subject's figures score them) through
    scoring_services, and the panel opens. The batch must be reviewing."""
    actor = actor_of(staff)
    review_round = batch.round
    review_conflicts.conflicts_compute(actor=actor, review_round=review_round)
    review_assignment.assign_exact(actor=actor, review_round=review_round)
    review_round.refresh_from_db()
    default = acceptance_sheet() if batch.kind == Assessment.Kind.ACCEPTANCE else performance_sheet()
    by_application = {e.project.application_id: e.project_id for e in batch.entries.select_related("project")}
    for assignment in Assignment.objects.filter(round=review_round, reserve=False).select_related(
        "expert", "expert__user", "round", "application"
    ):
        data = dict((sheets or {}).get(by_application[assignment.application_id], default))
        data["scores"] = {**data["scores"], **computed_leaves(review_round, assignment.application_id)}
        scoring_services.sheet_submit(
            actor=actor_of(assignment.expert.user), assignment=assignment, expected_version=0, data=data
        )
    panel_services.panel_open(actor=actor, review_round=review_round)
    review_round.refresh_from_db()
    return review_round


def concluded_batch(
    world: World,
    projects: list[Project],
    experts: list[ExpertProfile],
    *,
    kind: str = "acceptance",
    sheets: dict[int, dict] | None = None,
    **data,
) -> Assessment:
    """A batch opened, every self-assessment submitted, the review started, scored, and concluded."""
    batch = open_batch(world, projects, kind=kind, **data)
    submit_self_assessments(batch)
    assessment_services.assessment_start_review(actor=world.actor, assessment=batch)
    drive_to_panel(batch, world.staff, experts, sheets)
    assessment_services.assessment_conclude(actor=world.actor, assessment=batch)
    batch.refresh_from_db()
    return batch


def entry_of(batch: Assessment, project: Project) -> AssessmentEntry:
    return AssessmentEntry.objects.select_related("assessment", "project", "project__organization").get(
        assessment=batch, project=project
    )


def assessment_state() -> tuple:
    """Everything a refused write of this stage must leave as it was."""
    from chanjiao.core.models import AuditEntry, Notification
    from chanjiao.projects.models import Rectification
    from chanjiao.review.models import RoundSubject

    return (
        list(Assessment.objects.order_by("pk").values_list("pk", "status", "name")),
        list(
            AssessmentEntry.objects.order_by("pk").values_list(
                "pk",
                "result",
                "grade",
                "outcome",
                "score",
                "reason",
                "self_assessment",
                "self_score",
                "self_submitted_at",
                "inputs",
            )
        ),
        list(Rectification.objects.order_by("pk").values_list("pk", "status", "report", "recheck_note")),
        list(ReviewRound.objects.order_by("pk").values_list("pk", "status")),
        list(RoundSubject.objects.order_by("pk").values_list("pk", "inputs")),
        list(Project.objects.order_by("pk").values_list("pk", "status")),
        AuditEntry.objects.count(),
        Notification.objects.count(),
    )


def make_attachment(organization, name: str = "佐证材料.pdf", uploaded_by=None):
    """An uploaded file of `organization` (the row only: the tests do not read the file)."""
    from chanjiao.core.models import Attachment

    n = next(_serial)
    uploaded_by = uploaded_by or make_person(f"uploader_{n}", organization, Role.ORG_STAFF)
    return Attachment.objects.create(
        file=f"attachments/assessment-{n}.pdf",
        original_name=name,
        size=100,
        content_type="application/pdf",
        sha256=f"{n:0>64}",
        owner_organization_id=organization.pk,
        owner_region_code=organization.region_id,
        uploaded_by=uploaded_by,
    )

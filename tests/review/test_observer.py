"""The observer (纪检监察) over one whole round: reads every step, changes nothing.

A round is walked through the services of every stage as it happens: the applicant asks for an
expert to be kept away (and withdraws a second request), staff set one expert as not taking part,
compute the conflicts and waive one with a reason, solve exactly, then draw with a recorded seed,
remove one drawn reviewer and call in a reserve by hand, each with a reason; the experts submit
their score sheets (one saves a draft and never submits it); the deadline passes, the panel opens,
moves one application with a reason and settles the recommended list; the list is publicised, an
objection is recorded and answered; the province awards two applications and rejects one, which
closes the round. Then the observer — Role.OBSERVER in the province's education department — asks
for every review page and API operation of that round (and the award decisions'): each read
answers 200, each write 403 with nothing changed. Pages and operations that are an expert's own
(my reviews, assigned applications) or public (answered to anyone) are not the observer's to read
and are left out; every other route must be filled here with the object it is asked about, so a new
route with a parameter this test does not know fails it until it is added.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from unittest import mock

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from chanjiao.applications.models import Application
from chanjiao.core.audit import audit_record
from chanjiao.core.models import AuditEntry, Notification
from chanjiao.projects import services as award_services
from chanjiao.review import assignment as assigning
from chanjiao.review import conflicts, panel_services, publicity_services, scoring_services, services
from chanjiao.review.models import (
    Assignment,
    AssignmentRun,
    Conflict,
    Exclusion,
    ExpertProfile,
    Objection,
    Publicity,
    RankingOverride,
    ReviewRound,
    ScoreSheet,
)
from tests.conftest import ApiClient, actor_of, client_for
from tests.projects.factories import add_budget

from .factories import (
    make_application,
    make_enterprise,
    make_expert,
    make_review_call,
    make_round,
    make_school,
)
from .scoring_factories import full_sheet, make_scoring_system

A = "/api/v1"
SEED = 20261122
WAIVE_REASON = "该专家已于2026年9月从合作企业离职，与本申报无利害关系（人事证明见附件）"
REMOVE_REASON = "专家因病住院，无法参加本轮评审"
CALL_IN_REASON = "按抽取顺序由第1候补递补"
OVERRIDE_REASON = "专家组合议认为该项目企业投入真实、示范性强，一致同意调整至第3名"
ANSWER = "经核查，企业投入有合同和到账凭证，异议不成立"
REJECT_REASON = "建设资金来源尚未全部落实"
DRAFT_SCORE = "6.75"
DRAFT_COMMENT = "草稿：企业投入的证明材料尚需核实"


@dataclass
class Walked:
    round: ReviewRound
    apps: list[Application]
    pool: list[ExpertProfile]
    waived: Conflict
    exact: AssignmentRun
    draw: AssignmentRun
    removed_pk: int
    called_in: Assignment
    exclusion: Exclusion
    withdrawn_pk: int
    sheet: ScoreSheet
    draft: ScoreSheet
    override: RankingOverride
    publicity: Publicity
    objection: Objection
    awarded: Application


def walk_round(regions, officer) -> Walked:
    """One selection round from its setting up to the award decisions, through each stage's services."""
    staff = actor_of(officer)
    call, project_type = make_review_call(regions.anhui, code="observer-walk")
    review_round = make_round(
        call,
        project_type,
        officer,
        reviews_per_application=2,
        load_cap=4,
        quota=3,
        indicator_system=make_scoring_system(call.pack, code="observer-walk"),
    )
    apps_ = []
    for i in range(6):
        region = regions.hefei_shushan if i % 2 == 0 else regions.wuhu_jinghu
        partner = make_enterprise(region)
        app = make_application(
            call,
            project_type,
            make_school(region),
            partners=[(partner, "co_building_enterprise")],
            title=f"全程监督申报{i + 1}",
        )
        add_budget(app)
        apps_.append(app)
    pool = [
        make_expert(regions.anhui, make_school(regions.hefei_shushan), name=f"院校专家{i}") for i in range(4)
    ]
    pool += [
        make_expert(regions.anhui, make_enterprise(regions.hefei_shushan), name=f"企业专家{i}")
        for i in range(3)
    ]
    partner = apps_[0].partners.get().organization
    pool.append(make_expert(regions.anhui, partner, name="合作企业专家"))

    # 准备: the applicant asks for one expert to be kept away, and withdraws a second request
    applicant = actor_of(apps_[0].created_by)
    exclusion = services.exclusion_add(
        actor=applicant, application=apps_[0], expert_name="院校专家0", reason="曾参与本申报的方案论证"
    )
    withdrawn = services.exclusion_add(
        actor=applicant, application=apps_[0], expert_name="企业专家0", reason="误填"
    )
    withdrawn_pk = withdrawn.pk
    services.exclusion_remove(actor=applicant, exclusion=withdrawn)
    # one expert does not take part; conflicts are computed and one is waived with its reason
    services.availability_set(
        actor=staff, review_round=review_round, expert=pool[3], available=False, note="出国交流"
    )
    conflicts.conflicts_compute(actor=staff, review_round=review_round)
    waived = Conflict.objects.get(
        round=review_round, expert=pool[7], application=apps_[0], kind="employer_is_party"
    )
    conflicts.conflict_waive(actor=staff, conflict=waived, reason=WAIVE_REASON)
    # 分配: the exact solve, then the draw that replaces it
    exact = assigning.assign_exact(actor=staff, review_round=review_round)
    draw = assigning.assign_draw(actor=staff, review_round=review_round, seed=SEED, reserves=2)
    # one drawn reviewer removed by hand, a reserve called in by hand, each with a reason
    gone = (
        Assignment.objects.filter(round=review_round, application=apps_[1], reserve=False)
        .order_by("id")
        .first()
    )
    removed_pk = gone.pk
    assigning.assignment_remove(actor=staff, assignment=gone, reason=REMOVE_REASON)
    reserve = Assignment.objects.get(round=review_round, application=apps_[1], reserve=True, reserve_rank=1)
    called_in = assigning.assignment_add(
        actor=staff,
        review_round=review_round,
        expert=reserve.expert,
        application=apps_[1],
        reason=CALL_IN_REASON,
    )
    # 专家评分: each reviewer submits a full sheet (the applications scored 2.1 = 3…8, so their
    # totals differ); the first saves a draft and never submits it
    reviewers = list(
        Assignment.objects.filter(round=review_round, reserve=False)
        .select_related("expert__user")
        .order_by("id")
    )
    index = {app.pk: i for i, app in enumerate(apps_)}
    for a in reviewers[1:]:
        data = full_sheet(scores={"1.1": "7.5", "1.2": "5", "2.1": str(3 + index[a.application_id])})
        scoring_services.sheet_submit(
            actor=actor_of(a.expert.user), assignment=a, expected_version=0, data=data
        )
    first = reviewers[0]
    draft = scoring_services.sheet_save(
        actor=actor_of(first.expert.user),
        assignment=first,
        expected_version=0,
        data={"scores": {"1.1": DRAFT_SCORE}, "comments": {"1": DRAFT_COMMENT}},
    )
    # The service's entry for a draft names the parts changed, not what they say. This one carries
    # the draft's contents, as a careless writer might: the record must leave it out all the same.
    audit_record(
        actor=actor_of(first.expert.user),
        action="score_sheet.save",
        obj=draft,
        changes={"scores": [None, {"1.1": DRAFT_SCORE}], "comments": [None, {"1": DRAFT_COMMENT}]},
    )
    # 专家组合议: the deadline passes with the draft unsubmitted, the panel opens, moves the fourth
    # to third with its reason, and settles the list of three
    services.review_round_update(
        actor=staff,
        review_round=review_round,
        data={"review_deadline": timezone.now() - dt.timedelta(minutes=1)},
    )
    panel_services.panel_open(actor=staff, review_round=review_round)
    fourth = sorted(apps_, key=lambda app: -index[app.pk])[3]
    override = panel_services.ranking_override(
        actor=staff, review_round=review_round, application_id=fourth.pk, to_rank=3, reason=OVERRIDE_REASON
    )
    panel_services.recommendation_confirm(actor=staff, review_round=review_round)
    # 公示: published from today; an objection by letter, answered
    publicity = publicity_services.publicity_publish(
        actor=staff, review_round=review_round, title="全程监督申报拟立项名单公示", contact="025-83335555"
    )
    objection = publicity_services.objection_record(
        actor=staff,
        publicity=publicity,
        data={
            "channel": "letter",
            "name": "王异议",
            "phone": "13800000000",
            "content": "申报材料中的企业投入与实际不符",
            "application_id": fourth.pk,
        },
    )
    publicity_services.objection_answer(actor=staff, objection=objection, answer=ANSWER, outcome="dismissed")
    # 立项: once the period is over, two awarded and one rejected, which closes the round
    listed = list(Application.objects.filter(call=call, status="publicised").order_by("id"))
    with mock.patch.object(award_services, "today", return_value=publicity.ends_on + dt.timedelta(days=1)):
        for app in listed[:2]:
            award_services.decision_award(actor=staff, application=app, approved_budget="8000000.00")
        award_services.decision_reject(actor=staff, application=listed[2], reasons=[REJECT_REASON])
    review_round.refresh_from_db()
    return Walked(
        round=review_round,
        apps=apps_,
        pool=pool,
        waived=waived,
        exact=exact,
        draw=draw,
        removed_pk=removed_pk,
        called_in=called_in,
        exclusion=exclusion,
        withdrawn_pk=withdrawn_pk,
        sheet=ScoreSheet.objects.filter(round=review_round, status="submitted").order_by("id").first(),
        draft=draft,
        override=override,
        publicity=publicity,
        objection=objection,
        awarded=listed[0],
    )


@pytest.fixture
def walked(regions, province_officer) -> Walked:
    return walk_round(regions, province_officer)


# --- what the observer may not change -------------------------------------------------------------


def state() -> tuple:
    """Every table a review step writes, the applications' states and the audit log."""
    counts = tuple(
        apps.get_model(label).objects.count()
        for label in (
            "review.expertprofile",
            "review.educationgroup",
            "review.reviewround",
            "review.availability",
            "review.exclusion",
            "review.conflict",
            "review.assignmentrun",
            "review.assignment",
            "review.scoresheet",
            "review.rankingoverride",
            "review.rankingentry",
            "review.publicity",
            "review.objection",
            "projects.awarddecision",
            "projects.project",
        )
    )
    return (
        counts,
        AuditEntry.objects.count(),
        Notification.objects.count(),
        list(ReviewRound.objects.order_by("pk").values_list("pk", "status", "name", "updated_at")),
        list(Application.objects.order_by("pk").values_list("pk", "status", "row_version")),
        list(Conflict.objects.order_by("pk").values_list("pk", "waived_at")),
        list(ScoreSheet.objects.order_by("pk").values_list("pk", "status", "row_version")),
        list(ExpertProfile.objects.order_by("pk").values_list("pk", "is_active", "title")),
    )


# --- every route, with what it is asked about -----------------------------------------------------


def page_routes() -> list[tuple[str, str]]:
    """(route, name) of every page of the review namespace and of the award decisions."""

    def walk(patterns, prefix, namespace):
        out = []
        for p in patterns:
            if isinstance(p, URLResolver):
                out += walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            elif isinstance(p, URLPattern) and namespace in {"review", "projects"}:
                out.append((prefix + str(p.pattern), f"{namespace}:{p.name}"))
        return out

    routes = walk(get_resolver().url_patterns, "", None)
    return [(r, n) for r, n in routes if n.startswith("review:") or r.startswith("projects/decisions/")]


def is_experts_own(route: str, name: str) -> bool:
    tokens = set(re.split(r"[_:]", name))
    return bool(tokens & {"my", "mine"}) or "/mine/" in f"/{route}"


# Pages that are forms for a staff write (their GET shows the form, nothing of the round's to read):
# the observer is refused them as the write itself. Every other page is a read.
STAFF_FORMS = {
    "review:expert_new",
    "review:expert_import",
    "review:expert_import_template",  # the blank import template, for staff who import
    "review:expert_edit",
    "review:round_new",
    "review:round_edit",
    "review:conflict_new",
    "review:conflict_waive",
}


def objects(w: Walked) -> dict[str, int]:
    """The object each path parameter names, by the parameter or by the path segment before `pk`."""
    return {
        "rounds": w.round.pk,
        "round_id": w.round.pk,
        "experts": w.pool[0].pk,
        "profile_id": w.pool[0].pk,
        "expert_id": w.pool[0].pk,
        "conflicts": w.waived.pk,
        "conflict_id": w.waived.pk,
        "runs": w.draw.pk,
        "run_id": w.draw.pk,
        "assignments": w.called_in.pk,
        "assignment_id": w.called_in.pk,
        "application_id": w.awarded.pk,
        "exclusions": w.apps[0].pk,
        "exclusion_id": w.exclusion.pk,
        "sheets": w.sheet.pk,
        "sheet_id": w.sheet.pk,
        "score-sheets": w.sheet.pk,
        "decisions": w.round.pk,
        "publicity": w.publicity.pk,
        "publicity_id": w.publicity.pk,
        "objections": w.objection.pk,
        "objection_id": w.objection.pk,
    }


PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\{(\w+)\}")


def fill(route: str, w: Walked) -> str | None:
    """The route with each parameter replaced by the walked round's object, or None if unknown."""
    known = objects(w)
    out, pos = [], 0
    for match in PARAM.finditer(route):
        name = match.group(1) or match.group(2)
        if name == "pk":
            segment = route[: match.start()].rstrip("/").rsplit("/", 1)[-1]
            value = known.get(segment)
        else:
            value = known.get(name)
        if value is None:
            return None
        out.append(route[pos : match.start()] + str(value))
        pos = match.end()
    out.append(route[pos:])
    return "".join(out)


def test_the_observer_reads_every_page_of_the_round_and_changes_nothing(walked, province_officer, observer):
    """Each page staff can read, the observer reads (200); a page that is a staff form, or a write
    with no page, is refused (403; a write refused for staff too may answer 405). A POST to any page
    is refused (403), or — a page that only reads — answered like a GET; either way nothing changes."""
    staff, reader, anonymous = client_for(province_officer), client_for(observer), Client()
    for client in (staff, reader, anonymous):
        client.raise_request_exception = False  # a page that fails is reported with the others
    unknown, problems, read = [], [], []
    for route, name in page_routes():
        if is_experts_own(route, name):
            continue
        url = "/" + (fill(route, walked) or "")
        if url == "/":
            unknown.append(route)
            continue
        if anonymous.get(url).status_code == 200:  # public: anyone reads it
            continue
        staff_status = staff.get(url).status_code
        status = reader.get(url).status_code
        reads = staff_status == 200 and name not in STAFF_FORMS
        expected = {200} if reads else {403, 405} if staff_status in (403, 405) else {403}
        if reads:
            read.append(route)
        if status not in expected:
            problems.append(
                f"GET {url} ({name}): {status}, expected {sorted(expected)} (staff: {staff_status})"
            )
        before = state()
        status = reader.post(
            url, {"reason": "观察", "seed": 1, "answer": "观察", "outcome": "upheld"}
        ).status_code
        if status not in ({403, 200, 405} if reads else {403}):
            problems.append(f"POST {url} ({name}): {status}, expected 403")
        if state() != before:
            problems.append(f"POST {url} ({name}): answered {status}, but something changed")
    assert unknown == [], f"routes with a parameter this test cannot fill: {unknown}"
    assert problems == [], "\n".join(problems)
    # the round's own pages, after the fact, were among those read
    for route in (
        "review/rounds/<int:pk>/",
        "review/rounds/<int:pk>/conflicts/",
        "review/rounds/<int:pk>/applications/<int:application_id>/",
        "review/runs/<int:pk>/",
        "review/rounds/<int:pk>/ranking/",
        "review/rounds/<int:pk>/publicity/",
        "review/rounds/<int:pk>/trail/",
        "projects/decisions/<int:round_id>/",
    ):
        assert route in read, route


def _schema_value(schema: dict, spec: dict, name: str = ""):
    """A value of the schema's type that passes its constraints (the role is checked after the body
    is read, so a refused write must be sent a body that can be read)."""
    if "$ref" in schema:
        ref = schema["$ref"].rsplit("/", 1)[-1]
        return _schema_value(spec["components"]["schemas"][ref], spec, name)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _schema_value(options[0], spec, name) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: _schema_value(v, spec, k) for k, v in props.items() if k in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-12-01"
    if schema.get("format") == "date-time":
        return "2026-12-01T09:00:00+08:00"
    if schema.get("format") == "binary":
        return b"x"
    return "观察员测试"


def api_operations() -> list[tuple[str, str, dict]]:
    from chanjiao.api import api

    spec = api.get_openapi_schema()
    out = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            module = op.get("operationId", "")
            review = module.startswith("chanjiao_review_")
            award = module.startswith("chanjiao_projects_") and re.search(r"award|reject|decision", path)
            if review or award:
                out.append((path, method.upper(), op))
    return out


def test_the_observer_reads_every_api_operation_of_the_round_and_changes_nothing(walked, observer):
    from chanjiao.api import api

    spec = api.get_openapi_schema()
    reader = ApiClient(observer)
    reader.client.raise_request_exception = False  # an operation that fails is reported with the others
    unknown, problems, reads, writes = [], [], [], []
    for path, method, op in api_operations():
        if path.startswith(f"{A}/assigned-") or not op.get("security"):
            continue  # the expert's own, and what anyone may read or send without logging in
        url = fill(path, walked)
        if url is None:
            unknown.append(path)
            continue
        if method == "GET":
            response = reader.get(url)
            reads.append(path)
            if response.status_code != 200:
                problems.append(
                    f"GET {url}: {response.status_code}, expected 200: {response.content[:200]!r}"
                )
            continue
        writes.append(f"{method} {path}")
        body = op.get("requestBody", {}).get("content", {})
        before = state()
        if "multipart/form-data" in body:
            from django.core.files.uploadedfile import SimpleUploadedFile

            response = reader.client.post(
                url, {"file": SimpleUploadedFile("x.xlsx", b"x")}, headers=reader.headers
            )
        else:
            schema = body.get("application/json", {}).get("schema")
            data = _schema_value(schema, spec) if schema else None
            response = reader._call(method.lower(), url, data)
        if response.status_code != 403:
            problems.append(
                f"{method} {url}: {response.status_code}, expected 403: {response.content[:200]!r}"
            )
        if state() != before:
            problems.append(f"{method} {url}: refused, but something changed")
    assert unknown == [], f"API paths with a parameter this test cannot fill: {unknown}"
    assert problems == [], "\n".join(problems)
    assert len(reads) >= 20
    assert len(writes) >= 20
    assert f"{A}/review-rounds/{{round_id}}/trail" in reads
    assert f"{A}/conflicts/{{conflict_id}}/waive" not in reads


# --- what the record shows the observer ----------------------------------------------------------


def test_the_record_lists_the_waiver_reason_the_seed_and_the_hand_made_changes(walked, observer):
    reader = ApiClient(observer)
    body = reader.get(f"{A}/review-rounds/{walked.round.pk}/trail?page_size=200").json()
    items = body["items"]
    by_action = {}
    for item in items:
        by_action.setdefault(item["action"], []).append(item)
    # the waiver: who, when, for which organisation, and the reason in full
    (waiver,) = by_action["review_conflict.waive"]
    assert waiver["reason"] == WAIVE_REASON
    assert waiver["actor"] == "province"
    assert waiver["organization"] == "安徽省教育厅"
    assert waiver["action_display"] == "豁免回避"
    # the draw with its seed, and the exact solve before it
    (draw,) = by_action["review_round.draw"]
    assert {"field": "随机种子", "name": "seed", "before": "—", "after": str(SEED)} in draw["change_rows"]
    assert draw["kind"] == "assignment"
    assert len(by_action["review_round.assign"]) == 1
    # the drawn reviewer removed by hand (their row is gone; the record keeps it) and the reserve called in
    (removed,) = [
        i for i in by_action["review_assignment.remove"] if i["object_id"] == str(walked.removed_pk)
    ]
    assert removed["reason"] == REMOVE_REASON
    (called,) = by_action["review_assignment.add"]
    assert called["reason"] == CALL_IN_REASON
    assert called["object_id"] == str(walked.called_in.pk)
    # the exclusion asked for, and the one withdrawn (its row is gone too)
    assert {i["object_id"] for i in by_action["review_exclusion.create"]} == {
        str(walked.exclusion.pk),
        str(walked.withdrawn_pk),
    }
    assert [i["object_id"] for i in by_action["review_exclusion.revoke"]] == [str(walked.withdrawn_pk)]
    # the expert not taking part, with the note
    (availability,) = by_action["review_availability.update"]
    assert {"field": "说明", "name": "note", "before": "—", "after": "出国交流"} in availability[
        "change_rows"
    ]
    # the panel: the sheet never submitted named when it opened, the override with its reason in full
    (opened,) = by_action["review_round.panel_open"]
    assert opened["kind"] == "panel"
    (override,) = by_action["ranking_override.create"]
    assert override["reason"] == OVERRIDE_REASON
    assert {"field": "名次", "name": "rank", "before": "4", "after": "3"} in override["change_rows"]
    assert len(by_action["review_round.recommend"]) == 1
    # the publicity, the objection and its answer
    assert by_action["publicity.create"][0]["kind"] == "publicity"
    assert by_action["objection.create"][0]["object_id"] == str(walked.objection.pk)
    (answered,) = by_action["objection.answer"]
    assert answered["reason"] == ANSWER
    # each application's steps, and the three decisions: two awards with their projects, one rejection
    assert len(by_action["application.recommend"]) == 3
    assert len(by_action["application.not_recommend"]) == 3
    assert len(by_action["application.publicise"]) == 3
    assert sorted(i["action_display"] for i in by_action["award_decision.create"]) == [
        "立项决定：不予立项",
        "立项决定：立项",
        "立项决定：立项",
    ]
    assert len(by_action["project.create"]) == 2
    builders = {
        r["after"]
        for i in by_action["project.create"]
        for r in i["change_rows"]
        if r["name"] == "organization_id"
    }
    assert walked.awarded.applicant.name in builders
    (rejected,) = [i for i in by_action["award_decision.create"] if i["reason"]]
    assert rejected["reason"] == REJECT_REASON
    # every entry in time order
    times = [(i["created_at"], i["id"]) for i in items]
    assert times == sorted(times)
    assert body["count"] == len(items)


def test_a_draft_sheets_scores_never_appear_in_the_record(walked, observer):
    # given: the draft's score 6.75 and its comment, saved by the service and in an entry that carried them
    assert AuditEntry.objects.filter(object_type="review.scoresheet", action="score_sheet.save").count() == 2
    assert ScoreSheet.objects.get(pk=walked.draft.pk).scores == {"1.1": DRAFT_SCORE}
    reader, page = ApiClient(observer), client_for(observer)
    api_text = json.dumps(
        reader.get(f"{A}/review-rounds/{walked.round.pk}/trail?page_size=200").json(), ensure_ascii=False
    )
    html = page.get(f"/review/rounds/{walked.round.pk}/trail/?page_size=200").content.decode()
    # then neither the API nor the page shows them, nor the save
    for text in (api_text, html):
        # as a number of its own: a submitted total such as 86.75 holds the same characters
        assert not re.search(r"(?<![\d.])" + re.escape(DRAFT_SCORE) + r"(?![\d])", text)
        assert DRAFT_COMMENT not in text
        assert "score_sheet.save" not in text
    # while the submitted sheets are there with what they gave: 6 applications × 2 reviewers = 12
    # sheets, one of them the draft, so 11 submitted
    scoring = reader.get(f"{A}/review-rounds/{walked.round.pk}/trail?kind=scoring&page_size=200").json()
    submitted = scoring["items"]
    assert len(submitted) == 11
    assert all(i["action"] == "score_sheet.submit" for i in submitted)
    # the first submitted sheet is the sheet on record: its scores and total as the table holds them
    sheet = walked.sheet
    first = next(i for i in submitted if i["object_id"] == str(sheet.pk))
    rows = {r["name"]: r["after"] for r in first["change_rows"]}
    assert rows["scores"] == "；".join(f"{k}：{v}" for k, v in sheet.scores.items())
    assert rows["total"] == str(sheet.total)
    assert rows["recommendation"] == "推荐"


def test_nothing_the_observer_sends_changes_the_round(walked, observer):
    """The writes of the walk, sent by the observer: each refused, and the round as it was."""
    reader = ApiClient(observer)
    before = state()
    round_pk = walked.round.pk
    attempts = [
        ("post", f"{A}/conflicts/{walked.waived.pk}/waive", {"reason": "观察员豁免"}),
        ("post", f"{A}/review-rounds/{round_pk}/draw", {"seed": SEED + 1}),
        ("post", f"{A}/review-rounds/{round_pk}/assign", None),
        ("post", f"{A}/review-rounds/{round_pk}/conflicts/compute", None),
        ("post", f"{A}/assignments/{walked.called_in.pk}/remove", {"reason": "观察员移除"}),
        ("patch", f"{A}/review-rounds/{round_pk}", {"name": "观察员改名"}),
    ]
    for method, url, data in attempts:
        response = getattr(reader, method)(url, data)
        assert response.status_code == 403, (url, response.content)
    assert state() == before
    assert ReviewRound.objects.get(pk=round_pk).name == walked.round.name


def test_the_walk_is_what_the_record_says(walked):
    """The walk itself, checked against the tables: so the record above is of a real round."""
    assert walked.draw.seed == SEED
    assert Conflict.objects.get(pk=walked.waived.pk).waive_reason == WAIVE_REASON
    assert not Assignment.objects.filter(pk=walked.removed_pk).exists()
    assert not Exclusion.objects.filter(pk=walked.withdrawn_pk).exists()
    assert Assignment.objects.get(pk=walked.called_in.pk).method == "manual"
    assert ScoreSheet.objects.filter(round=walked.round, status="submitted").count() == 11
    assert ScoreSheet.objects.get(pk=walked.draft.pk).status == "draft"
    assert walked.override.reason == OVERRIDE_REASON
    assert Objection.objects.get(pk=walked.objection.pk).outcome == "dismissed"
    assert list(
        Application.objects.filter(call=walked.round.call).order_by("status").values_list("status", flat=True)
    ) == ["awarded", "awarded", "not_recommended", "not_recommended", "not_recommended", "rejected"]
    assert walked.round.status == ReviewRound.Status.CLOSED

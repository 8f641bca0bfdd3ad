"""The construction task book (建设任务书) and change requests (变更申请), through the API as an
integration would use them, with the figures checked by hand and every refusal storing nothing.

The worked example (tests/projects/factories.py BUDGET): 30,000,000.00 yuan in all — the provincial
fund 10,000,000.00, the partner enterprise 12,000,000.00 (5,000,000 equipment in year 1, 4,000,000
equipment in year 2, 3,000,000 technology in year 3), the school 8,000,000.00 in year 1: the
enterprise brings 40.0%.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from chanjiao.applications.models import KpiTarget, TaskPlan
from chanjiao.core.models import Attachment, AuditEntry, Notification
from chanjiao.projects import services
from chanjiao.projects.models import ChangeRequest, Project, TaskBook
from chanjiao.projects.taskbook_selectors import current_task_book, task_book_diff
from tests.conftest import ApiClient, actor_of, error_codes
from tests.projects.factories import BUDGET

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
TASKS = {str(n): f"第{n}项任务的建设举措" for n in range(1, 8)}  # the seven mandatory tasks 一–七


def budget_rows(changes: dict | None = None) -> list[dict]:
    """The worked example's budget lines as the API takes them, with `changes` {(year, source, kind): amount}."""
    rows = {(y, s, k): a for y, s, k, a in BUDGET}
    rows.update(changes or {})
    return [{"year": y, "source": s, "kind": k, "amount": a} for (y, s, k), a in rows.items()]


def stored() -> tuple:
    return (
        list(TaskBook.objects.order_by("pk").values_list("pk", "version", "status", "agreement_id")),
        list(ChangeRequest.objects.order_by("pk").values_list("pk", "status", "decision_reason")),
        list(Project.objects.order_by("pk").values_list("pk", "planned_total", "planned_enterprise")),
        AuditEntry.objects.exclude(action__startswith="api_token.").count(),  # a client's token is audited
        Notification.objects.count(),
    )


def make_agreement(org, user) -> Attachment:
    return Attachment.objects.create(
        file="attachments/agreement.pdf",
        original_name="共建协议.pdf",
        size=len(PDF),
        content_type="application/pdf",
        sha256="a" * 64,
        owner_organization_id=org.pk,
        owner_region_code=org.region_id,
        uploaded_by=user,
    )


@pytest.fixture
def project(award, province_officer) -> Project:
    """The Hefei school's application with its seven tasks and two KPI targets, awarded."""
    app = award.school_app
    for code, plan in TASKS.items():
        TaskPlan.objects.create(
            application=app, task_code=code, plan=plan, yearly_targets={"1": f"任务{code}首年目标"}
        )
    KpiTarget.objects.create(application=app, kpi_code="patents", year=1, value=Decimal("2"))
    KpiTarget.objects.create(application=app, kpi_code="patents", year=3, value=Decimal("5"))
    app.contact_name = "张建设"
    app.save(update_fields=["contact_name"])
    decision = services.decision_award(
        actor=actor_of(province_officer), application=app, approved_budget="10000000.00"
    )
    return decision.project


@pytest.fixture
def confirmed(project, school_admin, province_officer) -> Project:
    """The project's task book v1 confirmed by the school (with the agreement), then the province."""
    agreement = make_agreement(project.organization, school_admin)
    ApiClient(school_admin).post(
        f"/api/v1/task-books/{project.task_books.get().pk}/confirm", {"agreement_id": agreement.pk}
    )
    ApiClient(province_officer).post(f"/api/v1/task-books/{project.task_books.get().pk}/confirm", {})
    assert project.task_books.get().status == TaskBook.Status.CONFIRMED
    return project


# --- generation ----------------------------------------------------------------------------------


def test_award_generates_version_one_from_the_application(project, observer, enterprise):
    book = current_task_book(project)
    assert (book.version, book.status) == (1, TaskBook.Status.DRAFT)
    content = book.content
    assert [t["code"] for t in content["tasks"]] == ["1", "2", "3", "4", "5", "6", "7"]
    assert content["tasks"][0]["name"] == "服务高水平专业群建设目标"
    assert content["tasks"][0]["mandatory"] is True
    assert content["tasks"][0]["yearly_targets"] == {"1": "任务1首年目标"}
    assert content["kpis"] == [
        {"code": "patents", "name": "技术专利", "unit": "项", "targets": {"1": "2.00", "3": "5.00"}}
    ]
    assert len(content["budget"]) == 7
    assert content["leader"] == "张建设"
    assert [(p["organization_id"], p["role"]) for p in content["partners"]] == [
        (enterprise.pk, "co_building_enterprise")
    ]
    # by hand: 4,000,000 + 3,000,000 + 3,000,000 + 5,000,000 + 4,000,000 + 3,000,000 + 8,000,000
    response = ApiClient(observer).get(f"/api/v1/projects/{project.pk}/task-books/1")
    assert response.status_code == 200
    body = response.json()
    assert (body["planned_total"], body["planned_enterprise"]) == ("30000000.00", "12000000.00")
    assert AuditEntry.objects.filter(action="task_book.create", object_id=str(book.pk)).exists()


# --- confirmation ---------------------------------------------------------------------------------


def test_school_confirms_with_the_agreement_then_the_province(project, school_admin, province_officer):
    book = project.task_books.get()
    url = f"/api/v1/task-books/{book.pk}/confirm"
    # the province cannot confirm before the school
    before = stored()
    response = ApiClient(province_officer).post(url, {})
    assert response.status_code == 409
    assert error_codes(response) == ["task_book.not_school_confirmed"]
    # the plan lists a co-building agreement: the school cannot confirm without one
    response = ApiClient(school_admin).post(url, {})
    assert response.status_code == 422
    assert error_codes(response) == ["task_book.agreement_required"]
    assert "共建协议" in response.json()["errors"][0]["message"]
    assert stored() == before
    agreement = make_agreement(project.organization, school_admin)
    response = ApiClient(school_admin).post(url, {"agreement_id": agreement.pk})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["agreement_id"]) == ("school_confirmed", agreement.pk)
    # the province's staff are told
    assert (
        Notification.objects.filter(recipient=province_officer, kind="task_book.school_confirmed").count()
        == 1
    )
    response = ApiClient(province_officer).post(url, {})
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    assert Notification.objects.filter(recipient=school_admin, kind="task_book.confirmed").count() == 1
    # once confirmed, confirming again is refused
    response = ApiClient(province_officer).post(url, {})
    assert response.status_code == 409
    actions = set(AuditEntry.objects.filter(object_id=str(book.pk)).values_list("action", flat=True))
    assert {"task_book.confirm_school", "task_book.confirm_province"} <= actions


def test_who_may_confirm(
    project, school_staff, observer, enterprise_contact, other_school_admin, school_admin
):
    book = project.task_books.get()
    agreement = make_agreement(project.organization, school_admin)
    url = f"/api/v1/task-books/{book.pk}/confirm"
    before = stored()
    for user, status in (
        (school_staff, 403),
        (observer, 403),
        (enterprise_contact, 403),
        (other_school_admin, 404),
    ):
        response = ApiClient(user).post(url, {"agreement_id": agreement.pk})
        assert response.status_code == status, user.username
    assert stored() == before


def test_another_schools_file_is_not_an_agreement(project, school_admin, other_school, other_school_admin):
    book = project.task_books.get()
    theirs = make_agreement(other_school, other_school_admin)
    before = stored()
    response = ApiClient(school_admin).post(
        f"/api/v1/task-books/{book.pk}/confirm", {"agreement_id": theirs.pk}
    )
    assert response.status_code == 422
    assert error_codes(response) == ["task_book.agreement_not_own"]
    assert stored() == before


# --- change requests --------------------------------------------------------------------------------


def test_a_budget_below_one_third_is_refused_with_the_figure(confirmed, school_admin):
    # year 1 enterprise equipment 5,000,000 → 2,000,000 and the school 8,000,000 → 11,000,000:
    # total still 30,000,000, the enterprise 2,000,000 + 4,000,000 + 3,000,000 = 9,000,000 = 30.0%
    proposed = {
        "budget": budget_rows(
            {(1, "enterprise", "equipment"): "2000000.00", (1, "school", "cash"): "11000000.00"}
        )
    }
    before = stored()
    response = ApiClient(school_admin).post(
        f"/api/v1/projects/{confirmed.pk}/change-requests",
        {"kind": "budget", "reason": "企业设备到货推迟", "proposed": proposed},
    )
    assert response.status_code == 422
    assert error_codes(response) == ["budget.enterprise_share_below_minimum"]
    assert "合作企业投入不少于总投入的三分之一（当前：30.0%" in response.json()["errors"][0]["message"]
    assert stored() == before


def test_a_budget_below_the_minimum_total_is_refused(confirmed, school_admin):
    # the school 8,000,000 → 7,000,000: total 29,000,000, below the plan's 30,000,000 (3,000万元)
    before = stored()
    response = ApiClient(school_admin).post(
        f"/api/v1/projects/{confirmed.pk}/change-requests",
        {
            "kind": "budget",
            "reason": "自筹资金减少",
            "proposed": {"budget": budget_rows({(1, "school", "cash"): "7000000.00"})},
        },
    )
    assert response.status_code == 422
    assert error_codes(response) == ["budget.total_below_minimum"]
    assert stored() == before


def test_dropping_a_mandatory_task_is_refused(confirmed, school_admin):
    tasks = [{"code": c, "plan": p} for c, p in TASKS.items() if c != "7"]
    before = stored()
    response = ApiClient(school_admin).post(
        f"/api/v1/projects/{confirmed.pk}/change-requests",
        {"kind": "scope", "reason": "调整建设内容", "proposed": {"tasks": tasks}},
    )
    assert response.status_code == 422
    assert error_codes(response) == ["tasks.mandatory_missing"]
    assert stored() == before


def test_bad_requests_store_nothing(confirmed, school_admin, project):
    url = f"/api/v1/projects/{confirmed.pk}/change-requests"
    client = ApiClient(school_admin)
    before = stored()
    # no reason
    response = client.post(url, {"kind": "leader", "reason": " ", "proposed": {"leader": "李新"}})
    assert (response.status_code, error_codes(response)) == (422, ["change_request.reason_required"])
    # nothing changes
    response = client.post(url, {"kind": "leader", "reason": "人事调整", "proposed": {"leader": "张建设"}})
    assert (response.status_code, error_codes(response)) == (422, ["change_request.no_change"])
    # a section of another kind
    response = client.post(url, {"kind": "leader", "reason": "人事调整", "proposed": {"budget": []}})
    assert (response.status_code, error_codes(response)) == (422, ["change_request.section_not_of_kind"])
    # an unknown kind
    response = client.post(url, {"kind": "money", "reason": "x", "proposed": {"leader": "李新"}})
    assert (response.status_code, error_codes(response)) == (422, ["change_request.kind_unknown"])
    # a budget year outside the construction period (3 years)
    response = client.post(
        url,
        {
            "kind": "budget",
            "reason": "x",
            "proposed": {"budget": budget_rows({(4, "school", "cash"): "1.00"})},
        },
    )
    assert response.status_code == 422
    assert "change_request.budget_year" in error_codes(response)
    assert "（当前：4）" in response.json()["errors"][0]["message"]
    assert stored() == before


def test_no_change_before_the_province_confirms(project, school_admin):
    before = stored()
    response = ApiClient(school_admin).post(
        f"/api/v1/projects/{project.pk}/change-requests",
        {"kind": "leader", "reason": "人事调整", "proposed": {"leader": "李新"}},
    )
    assert (response.status_code, error_codes(response)) == (409, ["change_request.no_confirmed_task_book"])
    assert stored() == before


def test_approval_makes_version_two_with_exactly_the_changes(
    confirmed, school_admin, province_officer, observer
):
    # year 1 enterprise equipment 5,000,000 → 6,000,000, the school 8,000,000 → 7,000,000:
    # total 30,000,000, the enterprise 6,000,000 + 4,000,000 + 3,000,000 = 13,000,000 (43.3%)
    proposed = {
        "budget": budget_rows(
            {(1, "enterprise", "equipment"): "6000000.00", (1, "school", "cash"): "7000000.00"}
        )
    }
    response = ApiClient(school_admin).post(
        f"/api/v1/projects/{confirmed.pk}/change-requests",
        {"kind": "budget", "reason": "企业追加设备投入", "proposed": proposed},
    )
    assert response.status_code == 201, response.json()
    cr = response.json()
    assert (cr["status"], cr["base_version"]) == ("submitted", 1)
    assert (
        Notification.objects.filter(recipient=province_officer, kind="change_request.submitted").count() == 1
    )
    # a second request while this one is open is refused
    response = ApiClient(school_admin).post(
        f"/api/v1/projects/{confirmed.pk}/change-requests",
        {"kind": "leader", "reason": "人事调整", "proposed": {"leader": "李新"}},
    )
    assert (response.status_code, error_codes(response)) == (409, ["change_request.already_open"])
    # the observer cannot decide
    response = ApiClient(observer).post(f"/api/v1/change-requests/{cr['id']}/decide", {"approve": True})
    assert response.status_code == 403
    response = ApiClient(province_officer).post(
        f"/api/v1/change-requests/{cr['id']}/decide", {"approve": True, "reason": "同意"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["task_book_version"]) == ("approved", 2)
    books = {b.version: b for b in confirmed.task_books.all()}
    assert (books[1].status, books[2].status) == (TaskBook.Status.SUPERSEDED, TaskBook.Status.CONFIRMED)
    assert current_task_book(confirmed).version == 2
    confirmed.refresh_from_db()
    assert (confirmed.planned_total, confirmed.planned_enterprise) == (
        Decimal("30000000.00"),
        Decimal("13000000.00"),
    )
    assert books[2].content["tasks"] == books[1].content["tasks"]
    # the diff lists exactly the two changed lines, with old → new amounts
    lines = task_book_diff(books[1], books[2])
    assert [line["text"] for line in lines] == [
        "预算第1年 合作企业 · 设备：5,000,000.00元 → 6,000,000.00元",
        "预算第1年 学校自筹 · 资金：8,000,000.00元 → 7,000,000.00元",
    ]
    response = ApiClient(observer).get(f"/api/v1/projects/{confirmed.pk}/task-books/diff?a=1&b=2")
    assert response.status_code == 200
    assert [x["text"] for x in response.json()] == [line["text"] for line in lines]
    assert Notification.objects.filter(recipient=school_admin, kind="change_request.decided").count() == 1
    assert AuditEntry.objects.filter(action="change_request.decide").count() == 1
    assert AuditEntry.objects.filter(action="project.update", object_id=str(confirmed.pk)).count() == 1


def test_leader_and_partner_changes_in_the_diff(
    confirmed, school_admin, province_officer, enterprise, other_school
):
    client, staff = ApiClient(school_admin), ApiClient(province_officer)
    url = f"/api/v1/projects/{confirmed.pk}/change-requests"
    cr = client.post(url, {"kind": "leader", "reason": "原负责人调离", "proposed": {"leader": "李新"}}).json()
    staff.post(f"/api/v1/change-requests/{cr['id']}/decide", {"approve": True})
    partners = [
        {"organization_id": enterprise.pk, "role": "co_building_enterprise"},
        {"organization_id": other_school.pk, "role": "school"},
    ]
    response = client.post(
        url, {"kind": "partner", "reason": "增加合作院校", "proposed": {"partners": partners}}
    )
    assert response.status_code == 201, response.json()
    staff.post(f"/api/v1/change-requests/{response.json()['id']}/decide", {"approve": True})
    books = {b.version: b for b in confirmed.task_books.all()}
    assert [b.status for _v, b in sorted(books.items())] == ["superseded", "superseded", "confirmed"]
    assert [x["text"] for x in task_book_diff(books[1], books[2])] == ["项目负责人：张建设 → 李新"]
    assert [x["text"] for x in task_book_diff(books[2], books[3])] == [
        f"新增合作单位：{other_school.name}（合作院校）"
    ]
    # dropping the only enterprise breaks the plan's partner rule
    before = stored()
    response = client.post(
        url, {"kind": "partner", "reason": "企业退出", "proposed": {"partners": [partners[1]]}}
    )
    assert (response.status_code, error_codes(response)) == (422, ["partners.enterprise_required"])
    assert stored() == before


def test_rejection_needs_a_reason_and_withdrawal(confirmed, school_admin, province_officer, school_staff):
    client, staff = ApiClient(school_admin), ApiClient(province_officer)
    cr = client.post(
        f"/api/v1/projects/{confirmed.pk}/change-requests",
        {"kind": "leader", "reason": "人事调整", "proposed": {"leader": "李新"}},
    ).json()
    before = stored()
    response = staff.post(f"/api/v1/change-requests/{cr['id']}/decide", {"approve": False, "reason": ""})
    assert (response.status_code, error_codes(response)) == (
        422,
        ["change_request.rejection_reason_required"],
    )
    assert stored() == before
    response = staff.post(
        f"/api/v1/change-requests/{cr['id']}/decide", {"approve": False, "reason": "理由不充分"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decision_reason"]) == ("rejected", "理由不充分")
    assert confirmed.task_books.count() == 1
    # a decided request cannot be withdrawn; a new one can, by the school's administrator only
    response = client.post(f"/api/v1/change-requests/{cr['id']}/withdraw", {})
    assert (response.status_code, error_codes(response)) == (409, ["change_request.not_open"])
    cr = client.post(
        f"/api/v1/projects/{confirmed.pk}/change-requests",
        {"kind": "leader", "reason": "人事调整", "proposed": {"leader": "王新"}},
    ).json()
    assert ApiClient(school_staff).post(f"/api/v1/change-requests/{cr['id']}/withdraw", {}).status_code == 403
    response = client.post(f"/api/v1/change-requests/{cr['id']}/withdraw", {})
    assert (response.status_code, response.json()["status"]) == (200, "withdrawn")


def test_scope_reads_and_other_school(
    confirmed, school_admin, observer, other_school_admin, jiangsu_officer, city_officer
):
    cr = (
        ApiClient(school_admin)
        .post(
            f"/api/v1/projects/{confirmed.pk}/change-requests",
            {"kind": "leader", "reason": "人事调整", "proposed": {"leader": "李新"}},
        )
        .json()
    )
    for user in (observer, city_officer, school_admin):
        client = ApiClient(user)
        assert client.get(f"/api/v1/projects/{confirmed.pk}/task-books").json()["count"] == 1
        assert client.get(f"/api/v1/projects/{confirmed.pk}/change-requests").json()["count"] == 1
    for user in (other_school_admin, jiangsu_officer):
        client = ApiClient(user)
        assert client.get(f"/api/v1/projects/{confirmed.pk}/task-books").status_code == 404
        assert client.get(f"/api/v1/projects/{confirmed.pk}/task-books/1").status_code == 404
        assert client.get(f"/api/v1/projects/{confirmed.pk}/change-requests").status_code == 404
    before = stored()
    assert (
        ApiClient(other_school_admin).post(f"/api/v1/change-requests/{cr['id']}/withdraw", {}).status_code
        == 404
    )
    assert (
        ApiClient(jiangsu_officer)
        .post(f"/api/v1/change-requests/{cr['id']}/decide", {"approve": True})
        .status_code
        == 404
    )
    assert (
        ApiClient(observer)
        .post(
            f"/api/v1/projects/{confirmed.pk}/change-requests",
            {"kind": "leader", "reason": "x", "proposed": {"leader": "赵"}},
        )
        .status_code
        == 403
    )
    assert stored() == before


def test_a_scope_change_adds_the_optional_task_and_moves_a_kpi_target(
    confirmed, school_admin, province_officer
):
    # task 8 (提升国际合作与交流能力, optional) added with a year-2 target; task 3's plan reworded;
    # the patents target of year 3 raised from 5 to 6
    tasks = [{"code": c, "plan": p, "yearly_targets": {"1": f"任务{c}首年目标"}} for c, p in TASKS.items()]
    tasks[2]["plan"] = "组建跨企业的教师教学创新团队"
    tasks.append(
        {"code": "8", "plan": "与海外企业共建培训中心", "yearly_targets": {"2": "完成1个海外培训包"}}
    )
    kpis = [{"code": "patents", "targets": {"1": "2", "3": "6"}}]
    response = ApiClient(school_admin).post(
        f"/api/v1/projects/{confirmed.pk}/change-requests",
        {"kind": "scope", "reason": "增加国际合作任务", "proposed": {"tasks": tasks, "kpis": kpis}},
    )
    assert response.status_code == 201, response.json()
    ApiClient(province_officer).post(
        f"/api/v1/change-requests/{response.json()['id']}/decide", {"approve": True}
    )
    books = {b.version: b for b in confirmed.task_books.all()}
    assert [x["text"] for x in task_book_diff(books[1], books[2])] == [
        "任务3 组建高水平教师教学创新团队的建设内容：“第3项任务的建设举措” → “组建跨企业的教师教学创新团队”",
        "新增任务：8 提升国际合作与交流能力",
        "绩效指标“技术专利”第3年目标：5.00 → 6.00项",
    ]
    assert books[2].content["tasks"][-1]["mandatory"] is False
    # the budget did not change, so neither did the project's planned figures
    confirmed.refresh_from_db()
    assert (confirmed.planned_total, confirmed.planned_enterprise) == (
        Decimal("30000000.00"),
        Decimal("12000000.00"),
    )

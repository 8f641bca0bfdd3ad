"""Who sees which projects and decisions, through the API and the pages: the province and its
observer, the city, the applicant, its partner enterprise; another province, another school, an
expert and a learner see none of it (404 outside the scope, 403 for a role that never may)."""

from __future__ import annotations

import pytest

from chanjiao.applications.models import Application, ApplicationEvent
from chanjiao.core.errors import Forbidden
from chanjiao.core.models import AuditEntry
from chanjiao.projects import selectors, services
from chanjiao.projects.models import AwardDecision, Project
from tests.conftest import ApiClient, actor_of, client_for

from .factories import make_publicised_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(award, province_officer):
    """The Hefei school's application awarded, the Wuhu school's rejected."""
    actor = actor_of(province_officer)
    services.decision_award(actor=actor, application=award.school_app, approved_budget="9500000.00")
    services.decision_reject(actor=actor, application=award.other_app, reasons=["企业投入不足三分之一"])
    return Project.objects.get(application=award.school_app)


def codes(response) -> list[str]:
    return [p["code"] for p in response.json()["items"]]


def test_province_staff_and_observer_read_their_provinces_projects(decided, province_officer, observer):
    for user in (province_officer, observer):
        api = ApiClient(user)
        assert codes(api.get("/api/v1/projects")) == [decided.code]
        assert api.get(f"/api/v1/projects/{decided.pk}").status_code == 200
        page = client_for(user)
        assert decided.code in page.get("/projects/").content.decode()
        assert page.get(f"/projects/{decided.pk}/").status_code == 200


def test_another_province_gets_404(decided, award, jiangsu_officer):
    api = ApiClient(jiangsu_officer)
    assert codes(api.get("/api/v1/projects")) == []
    assert api.get(f"/api/v1/projects/{decided.pk}").status_code == 404
    assert api.get("/api/v1/award-decisions").json()["count"] == 0
    page = client_for(jiangsu_officer)
    assert page.get(f"/projects/{decided.pk}/").status_code == 404
    assert page.get(f"/projects/decisions/{award.round.pk}/").status_code == 404
    assert page.get(f"/projects/decisions/application/{award.other_app.pk}/").status_code == 404


def test_another_province_cannot_decide_here(award, jiangsu_officer):
    api = ApiClient(jiangsu_officer)
    before = (AwardDecision.objects.count(), AuditEntry.objects.count())
    response = api.post(f"/api/v1/applications/{award.school_app.pk}/award", {"approved_budget": "1.00"})
    assert response.status_code == 404
    page = client_for(jiangsu_officer).post(
        f"/projects/decisions/{award.round.pk}/applications/{award.school_app.pk}/award/",
        {"approved_budget": "1.00"},
    )
    assert page.status_code == 404
    assert (AwardDecision.objects.count(), AuditEntry.objects.count()) == before


def test_a_province_officer_of_another_province_is_refused_by_the_service(award, jiangsu_officer):
    # the service checks on its own, whatever path calls it
    with pytest.raises(Forbidden) as refused:
        services.decision_award(
            actor=actor_of(jiangsu_officer), application=award.school_app, approved_budget="1.00"
        )
    assert refused.value.message == "只有申报通知所在省的省级管理员可以作出立项决定"
    assert AwardDecision.objects.count() == 0


def test_the_partner_enterprise_sees_the_project(decided, award, enterprise_contact):
    api = ApiClient(enterprise_contact)
    assert codes(api.get("/api/v1/projects")) == [decided.code]
    detail = api.get(f"/api/v1/projects/{decided.pk}")
    assert detail.status_code == 200
    assert detail.json()["organization"]["name"] == "合肥职业技术学院"
    html = client_for(enterprise_contact).get(f"/projects/{decided.pk}/").content.decode()
    assert decided.code in html
    assert "合肥智能装备有限公司" in html


def test_the_applicant_sees_its_project_and_another_school_does_not(
    decided, school_admin, school_staff, other_school_admin
):
    for user in (school_admin, school_staff):
        assert codes(ApiClient(user).get("/api/v1/projects")) == [decided.code]
    other = ApiClient(other_school_admin)
    assert codes(other.get("/api/v1/projects")) == []
    assert other.get(f"/api/v1/projects/{decided.pk}").status_code == 404
    assert client_for(other_school_admin).get(f"/projects/{decided.pk}/").status_code == 404


def test_city_staff_see_their_citys_projects_only(
    decided, regions, province_officer, other_school, city_officer
):
    # given a Wuhu project besides the Hefei one
    _round, (wuhu_app,) = make_publicised_round(regions.anhui, province_officer, [other_school], code="wuhu")
    services.decision_award(actor=actor_of(province_officer), application=wuhu_app, approved_budget="1.00")
    wuhu = Project.objects.get(application=wuhu_app)
    assert len(codes(ApiClient(province_officer).get("/api/v1/projects"))) == 2
    # then the Hefei bureau sees the Hefei project only
    api = ApiClient(city_officer)
    assert codes(api.get("/api/v1/projects")) == [decided.code]
    assert api.get(f"/api/v1/projects/{wuhu.pk}").status_code == 404
    assert client_for(city_officer).get(f"/projects/{wuhu.pk}/").status_code == 404
    assert client_for(city_officer).get(f"/projects/{decided.pk}/").status_code == 200


def test_an_expert_and_a_learner_see_none(decided, expert, learner):
    for user in (expert, learner):
        assert selectors.projects_for(actor_of(user)).count() == 0
        assert selectors.decisions_for(actor_of(user)).count() == 0
        assert ApiClient(user).get("/api/v1/projects").status_code == 403
        assert client_for(user).get("/projects/").status_code == 403
        assert client_for(user).get(f"/projects/{decided.pk}/").status_code == 403


def test_the_observer_reads_every_decision_page_and_decides_nothing(decided, award, observer):
    page = client_for(observer)
    queue = page.get(f"/projects/decisions/{award.round.pk}/")
    assert queue.status_code == 200
    html = queue.content.decode()
    assert decided.code in html
    assert "企业投入不足三分之一" in html
    assert "data-award-form" not in html  # no forms for the observer
    assert page.get(f"/projects/decisions/application/{award.other_app.pk}/").status_code == 200
    assert ApiClient(observer).get("/api/v1/award-decisions").json()["count"] == 2


def test_the_observer_cannot_decide(award, observer):
    api, page = ApiClient(observer), client_for(observer)

    def state():
        return (
            AwardDecision.objects.count(),
            Project.objects.count(),
            AuditEntry.objects.count(),
            ApplicationEvent.objects.count(),
            list(Application.objects.order_by("pk").values_list("pk", "status")),
        )

    before = state()
    app = award.school_app
    assert api.post(f"/api/v1/applications/{app.pk}/award", {"approved_budget": "1.00"}).status_code == 403
    assert api.post(f"/api/v1/applications/{app.pk}/reject", {"reasons": ["x"]}).status_code == 403
    base = f"/projects/decisions/{award.round.pk}/applications/{app.pk}"
    assert page.post(f"{base}/award/", {"approved_budget": "1.00"}).status_code == 403
    assert page.post(f"{base}/reject/", {"reasons": "x"}).status_code == 403
    with pytest.raises(Forbidden):
        services.decision_award(actor=actor_of(observer), application=app, approved_budget="1.00")
    assert state() == before


def test_a_rejected_applicant_reads_the_reasons(decided, award, other_school_admin, school_admin):
    url = f"/projects/decisions/application/{award.other_app.pk}/"
    html = client_for(other_school_admin).get(url).content.decode()
    assert 'data-outcome="rejected"' in html
    assert "企业投入不足三分之一" in html
    # another school does not see it
    assert client_for(school_admin).get(url).status_code == 404
    # and an application not yet decided has no decision page
    assert client_for(school_admin).get("/projects/decisions/application/999999/").status_code == 404

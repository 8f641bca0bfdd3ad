"""Personas and helpers every test shares.

Personas: province officer (Anhui), city officer (Hefei), school admin and staff, enterprise
contact, expert, learner, observer; and an "other" school in another city for scope tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from chanjiao.core.permissions import Role
from chanjiao.orgs.selectors import actor_for
from tests.factories import RegionsFixture, make_org, make_person, make_person_without_org

PASSWORD = "Test-pass-2026"


@pytest.fixture
def regions(db) -> RegionsFixture:
    return RegionsFixture.create()


@pytest.fixture
def province_dept(regions):
    return make_org("安徽省教育厅", kind="department", region=regions.anhui, dept_level="province")


@pytest.fixture
def city_dept(regions):
    return make_org("合肥市教育局", kind="department", region=regions.hefei, dept_level="city")


@pytest.fixture
def school(regions):
    return make_org("合肥职业技术学院", kind="school", region=regions.hefei_shushan, school_level="associate")


@pytest.fixture
def other_school(regions):
    return make_org("芜湖职业技术学院", kind="school", region=regions.wuhu_jinghu, school_level="associate")


@pytest.fixture
def enterprise(regions):
    return make_org("合肥智能装备有限公司", kind="enterprise", region=regions.hefei_shushan)


@pytest.fixture
def jiangsu_dept(regions):
    return make_org("江苏省教育厅", kind="department", region=regions.jiangsu, dept_level="province")


@pytest.fixture
def province_officer(province_dept):
    return make_person("province", province_dept, Role.PROVINCE_ADMIN, password=PASSWORD)


@pytest.fixture
def observer(province_dept):
    return make_person("observer", province_dept, Role.OBSERVER, password=PASSWORD)


@pytest.fixture
def city_officer(city_dept):
    return make_person("city", city_dept, Role.CITY_ADMIN, password=PASSWORD)


@pytest.fixture
def school_admin(school):
    return make_person("school_admin", school, Role.ORG_ADMIN, password=PASSWORD)


@pytest.fixture
def school_staff(school):
    return make_person("school_staff", school, Role.ORG_STAFF, password=PASSWORD)


@pytest.fixture
def other_school_admin(other_school):
    return make_person("other_admin", other_school, Role.ORG_ADMIN, password=PASSWORD)


@pytest.fixture
def enterprise_contact(enterprise):
    return make_person("enterprise", enterprise, Role.ORG_ADMIN, password=PASSWORD)


@pytest.fixture
def expert(enterprise):
    return make_person("expert", enterprise, Role.EXPERT, password=PASSWORD)


@pytest.fixture
def learner(school):
    return make_person("learner", school, Role.LEARNER, password=PASSWORD)


@pytest.fixture
def jiangsu_officer(jiangsu_dept):
    return make_person("js_province", jiangsu_dept, Role.PROVINCE_ADMIN, password=PASSWORD)


@pytest.fixture
def wuhu_dept(regions):
    return make_org("芜湖市教育局", kind="department", region=regions.wuhu, dept_level="city")


@pytest.fixture
def jiangsu_school(regions):
    return make_org(
        "南京工业职业技术大学",
        kind="school",
        region=regions.nanjing_xuanwu,
        school_level="vocational_bachelor",
    )


@pytest.fixture
def jiangsu_school_admin(jiangsu_school):
    return make_person("js_school_admin", jiangsu_school, Role.ORG_ADMIN, password=PASSWORD)


@pytest.fixture
def stranger(db):
    """A person with an account but no membership in any organisation."""
    return make_person_without_org("stranger", password=PASSWORD)


def actor_of(user, organization=None):
    return actor_for(user, organization.pk if organization is not None else None)


def client_for(user, organization=None) -> Client:
    """A browser session logged in as `user`, acting for `organization` (default: their first)."""
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    if organization is not None:
        from chanjiao.orgs.selectors import ACTING_ORG_SESSION_KEY

        session = client.session
        session[ACTING_ORG_SESSION_KEY] = organization.pk
        session.save()
    return client


class ApiClient:
    """Calls the API as `user` with a bearer token, like an integration would."""

    def __init__(self, user=None, organization=None):
        self.client = Client()
        self.headers = {}
        if user is not None:
            from chanjiao.orgs.services import api_token_create

            actor = actor_for(user, organization.pk if organization is not None else None)
            _token, key = api_token_create(actor=actor, name="test")
            self.headers = {"Authorization": f"Bearer {key}"}

    def _call(self, method, path, data=None, **extra):
        kwargs = {"headers": {**self.headers, **extra.pop("headers", {})}}
        if data is not None:
            kwargs["data"] = data if isinstance(data, str | bytes) else json.dumps(data)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(path, **kwargs, **extra)

    def get(self, path, **extra):
        return self.client.get(path, headers=self.headers, **extra)

    def post(self, path, data=None, **extra):
        return self._call("post", path, data, **extra)

    def patch(self, path, data=None, **extra):
        return self._call("patch", path, data, **extra)

    def put(self, path, data=None, **extra):
        return self._call("put", path, data, **extra)

    def delete(self, path, data=None, **extra):
        return self._call("delete", path, data, **extra)


@pytest.fixture
def api():
    return ApiClient


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or a skip saying why (CI has it; a packaged checkout may not)."""
    path = Path(settings.SHARED_DATA_DIR)
    if not path.is_dir():
        pytest.skip(f"shared reference data not found at {path} (set CHANJIAO_SHARED_DATA)")
    return path


def error_codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def error_fields(response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]

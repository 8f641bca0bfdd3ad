from __future__ import annotations

import pytest

from chanjiao.core.permissions import Role
from tests.conftest import PASSWORD
from tests.factories import make_org, make_person

from .factories import load_packs, make_edition


@pytest.fixture
def packs(regions):
    return load_packs()


@pytest.fixture
def anhui(packs):
    return packs[0]


@pytest.fixture
def jiangsu(packs):
    return packs[1]


@pytest.fixture
def edition(db):
    return make_edition()


@pytest.fixture
def js_school(regions):
    """An independent 高职 school in Nanjing: may apply for the Jiangsu platform."""
    return make_org(
        "江苏信息职业技术学院", kind="school", region=regions.nanjing_xuanwu, school_level="associate"
    )


@pytest.fixture
def js_enterprise(regions):
    return make_org("南京智造装备有限公司", kind="enterprise", region=regions.nanjing_xuanwu)


@pytest.fixture
def js_school_admin(js_school):
    return make_person("js_school", js_school, Role.ORG_ADMIN, password=PASSWORD)

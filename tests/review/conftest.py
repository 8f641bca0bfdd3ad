from __future__ import annotations

from dataclasses import dataclass

import pytest

from chanjiao.applications.models import Application
from chanjiao.policy.models import Call, ProjectType
from chanjiao.review.models import ReviewRound

from .factories import make_application, make_enterprise, make_review_call, make_round, make_school


@dataclass
class Review:
    call: Call
    project_type: ProjectType
    round: ReviewRound


@pytest.fixture
def review(regions, province_officer) -> Review:
    call, project_type = make_review_call(regions.anhui)
    return Review(call, project_type, make_round(call, project_type, province_officer))


@pytest.fixture
def applications(review, regions) -> list[Application]:
    """Six applications of six schools (Hefei and Wuhu), each with a partner enterprise."""
    apps = []
    for i in range(6):
        region = regions.hefei_shushan if i % 2 == 0 else regions.wuhu_jinghu
        school = make_school(region)
        partner = make_enterprise(region)
        apps.append(
            make_application(
                review.call, review.project_type, school, partners=[(partner, "co_building_enterprise")]
            )
        )
    return apps

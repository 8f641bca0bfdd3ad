"""Acceptance and performance rounds reuse the review: they are opened over named subjects
(`later_round_open`), never from the review's own round form, and review exactly those."""

from __future__ import annotations

import pytest

from chanjiao.applications.models import Status
from chanjiao.core.errors import ValidationFailed
from chanjiao.core.models import AuditEntry
from chanjiao.policy.models import IndicatorSystem
from chanjiao.review import selectors, services
from chanjiao.review.models import ReviewRound, RoundSubject
from tests.conftest import actor_of

from .factories import make_application, make_review_call, make_school
from .scoring_factories import make_scoring_system


@pytest.fixture
def call_and_type(regions):
    return make_review_call(regions.anhui)


def _acceptance_system(call):
    system = make_scoring_system(call.pack, code="acceptance-test")
    IndicatorSystem.objects.filter(pk=system.pk).update(purpose=IndicatorSystem.Purpose.ACCEPTANCE)
    system.refresh_from_db()
    return system


def test_review_round_form_refuses_acceptance_kind(call_and_type, province_officer):
    call, project_type = call_and_type
    with pytest.raises(ValidationFailed) as caught:
        services.review_round_create(
            actor=actor_of(province_officer),
            data={"call_id": call.pk, "project_type_id": project_type.pk, "kind": "acceptance"},
        )
    assert [e.code for e in caught.value.errors] == ["review_round.later_kind_from_batch"]
    assert not ReviewRound.objects.exists()


def test_later_round_reviews_its_subjects_only(regions, call_and_type, province_officer):
    call, project_type = call_and_type
    school = make_school(regions.hefei)
    awarded = make_application(call, project_type, school, status=Status.AWARDED)
    other_awarded = make_application(call, project_type, make_school(regions.hefei), status=Status.AWARDED)
    under_review = make_application(call, project_type, make_school(regions.hefei))
    system = _acceptance_system(call)
    actor = actor_of(province_officer)

    first = services.later_round_open(
        actor=actor,
        call=call,
        project_type=project_type,
        kind=ReviewRound.Kind.ACCEPTANCE,
        name="第一批验收",
        indicator_system=system,
        subjects={awarded.pk: {"enterprise_share": "0.4"}},
    )
    # a second batch of the same call and type is a round of its own
    second = services.later_round_open(
        actor=actor,
        call=call,
        project_type=project_type,
        kind=ReviewRound.Kind.ACCEPTANCE,
        name="第二批验收",
        indicator_system=system,
        subjects={other_awarded.pk: {}},
    )

    assert list(selectors.round_applications(first)) == [awarded]
    assert list(selectors.reviewed_applications(first)) == [awarded]
    assert list(selectors.round_applications(second)) == [other_awarded]
    assert RoundSubject.objects.get(round=first).inputs == {"enterprise_share": "0.4"}
    assert under_review not in selectors.round_applications(first)
    entry = AuditEntry.objects.get(action="review_round.create", object_id=str(first.pk))
    assert entry.changes["subjects"] == [None, [awarded.pk]]

    services.subject_inputs_refresh(review_round=first, inputs={awarded.pk: {"enterprise_share": "0.5"}})
    assert RoundSubject.objects.get(round=first).inputs == {"enterprise_share": "0.5"}


def test_later_round_refuses_a_selection_system(call_and_type, province_officer):
    call, project_type = call_and_type
    system = make_scoring_system(call.pack, code="selection-only")
    with pytest.raises(ValidationFailed) as caught:
        services.later_round_open(
            actor=actor_of(province_officer),
            call=call,
            project_type=project_type,
            kind=ReviewRound.Kind.ACCEPTANCE,
            name="验收",
            indicator_system=system,
            subjects={},
        )
    assert [e.field for e in caught.value.errors] == ["indicator_system_id"]
    assert not ReviewRound.objects.exists()

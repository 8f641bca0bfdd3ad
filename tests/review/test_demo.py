"""The review's demo data: people with an expert role join their province's pool, calls get rounds."""

from __future__ import annotations

from chanjiao.review.demo import seed_review_demo
from chanjiao.review.models import ExpertProfile, ReviewRound

from .factories import make_review_call


def test_demo_seed_is_reproducible_and_idempotent(expert, enterprise, regions, province_officer):
    call, _project_type = make_review_call(regions.anhui)
    call.created_by = province_officer
    call.save()
    first = seed_review_demo()
    assert first == {"profiles": 1, "rounds": 1}
    profile = ExpertProfile.objects.get(user=expert)
    assert (profile.province_id, profile.employer_id, profile.is_industry) == ("340000", enterprise.pk, True)
    assert profile.categories_text.startswith(",")
    assert ReviewRound.objects.get().call == call
    assert seed_review_demo() == {"profiles": 0, "rounds": 0}

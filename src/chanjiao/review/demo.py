"""Demo data for the review: every person with an expert role joins their province's pool, and each
published call gets a selection round per project type. Deterministic and re-runnable.

For the operator commands (`ops`), which call it after the demo people and the calls exist:

    from chanjiao.review.demo import seed_review_demo
    seed_review_demo()
"""

from __future__ import annotations

import random

from django.db import transaction

from chanjiao.catalog.models import CatalogueEdition, ProgrammeCategory
from chanjiao.core.audit import audit_record
from chanjiao.core.permissions import Role
from chanjiao.orgs.models import Membership
from chanjiao.policy.models import Call

from .models import ExpertProfile, ReviewRound, codes_text
from .services import INDUSTRY_KINDS


def _categories() -> list[str]:
    """The current edition's associate-level categories that hold programmes (an application's fields
    are its programmes' categories, so an expert's overlap them), else all of them."""
    current = CatalogueEdition.objects.filter(is_current=True).first()
    qs = ProgrammeCategory.objects.all()
    if current is not None:
        qs = qs.filter(edition=current, level="associate")
    codes = sorted(set(qs.values_list("code", flat=True)))
    used = sorted(set(qs.filter(programme__isnull=False).values_list("code", flat=True)))
    return used or codes or ["46", "51", "53"]


@transaction.atomic
def seed_review_demo(*, rounds: bool = True) -> dict[str, int]:
    """Profiles for the people with an expert role (one per province pool), and selection rounds for
    the published calls that have none. Returns what it made."""
    categories = _categories()
    existing = set(ExpertProfile.objects.values_list("province_id", "user_id"))
    profiles = []
    memberships = (
        Membership.objects.filter(role=Role.EXPERT, is_active=True)
        .select_related("user", "organization", "organization__industry")
        .order_by("user__username", "organization_id")
    )
    seen = set()
    for m in memberships:
        province = (m.organization.region_id or "")[:2] + "0000"
        key = (province, m.user_id)
        if key in existing or key in seen or province == "0000":
            continue
        seen.add(key)
        rng = random.Random(m.user.username)  # noqa: S311 - demo data, reproducible by name
        industries = [m.organization.industry.code] if m.organization.industry_id else []
        chosen = sorted(rng.sample(categories, min(len(categories), rng.randint(1, 3))))
        profiles.append(
            ExpertProfile(
                user=m.user,
                province_id=province,
                employer=m.organization,
                title=m.user.title,
                is_industry=m.organization.kind in INDUSTRY_KINDS,
                programme_categories=chosen,
                industries=industries,
                # bulk_create skips save(), which fills the columns the pool page filters on
                categories_text=codes_text(chosen),
                industries_text=codes_text(industries),
            )
        )
    ExpertProfile.objects.bulk_create(profiles, batch_size=1000)
    made_rounds = 0
    if rounds:
        for call in Call.objects.filter(status=Call.Status.PUBLISHED).select_related("created_by", "pack"):
            creator = call.created_by
            if creator is None:
                continue
            for project_type in call.project_types.all():
                _round, created = ReviewRound.objects.get_or_create(
                    call=call,
                    project_type=project_type,
                    kind=ReviewRound.Kind.SELECTION,
                    defaults={
                        "name": f"{call.title} · {project_type.name} · 遴选评审",
                        "created_by": creator,
                    },
                )
                made_rounds += int(created)
    counts = {"profiles": len(profiles), "rounds": made_rounds}
    if any(counts.values()):
        audit_record(
            actor=None,
            action="review.demo_seed",
            object_type="review.expertprofile",
            object_repr=f"评审演示数据：专家 {counts['profiles']} 人，评审轮次 {counts['rounds']} 个",
            changes={k: [0, v] for k, v in counts.items()},
        )
    return counts

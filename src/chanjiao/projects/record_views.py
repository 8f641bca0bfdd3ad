"""A school's track record (往期验收与绩效评价结果), shown on its later applications.

A read-only htmx fragment: the organisation's projects with the conclusions of their acceptance
and performance batches (AssessmentEntry: the kind, the year, the grade or outcome, the reason and
when it was decided), so whoever reads a new application sees how the applicant's earlier projects
ended. The applications and review pages include it by URL only (`hx-get`), as they may not import
projects.

Who may read it: province staff and the observer for an organisation of their province, city staff
for one of their city, and the organisation's own staff; anyone else gets 404, as for an object
outside their scope.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q
from django.shortcuts import render

from chanjiao.core.errors import NotFound
from chanjiao.core.pages import role_required
from chanjiao.core.permissions import Actor
from chanjiao.orgs.models import Organization

from .models import Assessment, AssessmentEntry, Project
from .permissions import READ_ROLES

# A batch has a conclusion to show once the province has concluded it.
CONCLUDED = (Assessment.Status.CONCLUDED, Assessment.Status.CLOSED)


def record_organization_for(*, actor: Actor, org_id: Any) -> Organization:
    """The organisation whose record the actor may read, or NotFound (404) outside their scope."""
    if not actor.is_authenticated or actor.organization is None:
        raise NotFound
    scope = Q(pk__in=[])
    if actor.sees_province and actor.province_prefix:
        scope |= Q(region__code__startswith=actor.province_prefix)
    if actor.is_city_staff and actor.city_prefix:
        scope |= Q(region__code__startswith=actor.city_prefix)
    if actor.is_org_staff:
        scope |= Q(pk=actor.organization.pk)
    try:
        return Organization.objects.filter(scope).get(pk=int(org_id))
    except (Organization.DoesNotExist, TypeError, ValueError):
        raise NotFound from None


def track_record(organization: Organization) -> list[Project]:
    """The organisation's projects (as the lead organisation), newest first, each with `concluded`:
    its entries of concluded batches, latest first, and `ongoing`: how many of its batches are
    still running. Three queries whatever the number of projects."""
    entries = AssessmentEntry.objects.select_related("assessment").order_by(
        "-assessment__year", "-assessment__created_at", "-id"
    )
    projects = list(
        Project.objects.filter(organization=organization)
        .select_related("project_type", "call")
        .prefetch_related(Prefetch("assessment_entries", queryset=entries, to_attr="all_entries"))
        .order_by("-id")
    )
    for project in projects:
        project.concluded = [e for e in project.all_entries if e.assessment.status in CONCLUDED]
        project.ongoing = len(project.all_entries) - len(project.concluded)
    return projects


@role_required(*READ_ROLES)
def track_record_fragment(request, org_id: int):
    organization = record_organization_for(actor=request.actor, org_id=org_id)
    projects = track_record(organization)
    return render(
        request,
        "projects/record_fragment.html",
        {
            "organization": organization,
            "projects": projects,
            "concluded_count": sum(len(p.concluded) for p in projects),
        },
    )

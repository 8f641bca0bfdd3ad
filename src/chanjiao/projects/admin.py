"""The back office for award decisions and projects: read only. A decision and its project are made
by `services.decision_award` / `decision_reject` (the pages and the API), with their checks, the
application's move and the audit entry; the admin only shows them."""

from __future__ import annotations

from django.contrib import admin

from chanjiao.core.admin import ReadOnlyAdmin

from .models import AwardDecision, Project


@admin.register(AwardDecision)
class AwardDecisionAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "application",
        "outcome",
        "approved_budget",
        "start_batch",
        "document_number",
        "decided_at",
    )
    list_filter = ("outcome",)
    search_fields = ("application__title", "application__applicant__name", "document_number")
    list_select_related = ("application",)
    show_full_result_count = False


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("code", "title", "organization", "city_code", "approved_budget", "start_batch", "status")
    list_filter = ("status", "start_batch")
    search_fields = ("code", "title", "organization__name")
    list_select_related = ("organization",)
    show_full_result_count = False

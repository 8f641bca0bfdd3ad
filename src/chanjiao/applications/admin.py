"""The back office for applications: read only. Every change of an application is a service with
its permission check and audit entry (the pages and the API); the admin only shows."""

from __future__ import annotations

from django.contrib import admin

from chanjiao.core.admin import ReadOnlyAdmin

from .models import Application, ApplicationEvent, ApplicationVersion, CallPublication, ReturnNote


class VersionInline(admin.TabularInline):
    model = ApplicationVersion
    fields = ("number", "submitted_at", "submitted_by", "idempotency_key")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = ApplicationEvent
    fields = ("created_at", "action", "from_status", "to_status", "actor", "actor_org", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "title",
        "applicant",
        "call",
        "project_type",
        "status",
        "city_code",
        "city_rank",
        "submitted_at",
    )
    list_filter = ("status",)
    search_fields = ("title", "applicant__name")
    list_select_related = ("applicant", "call", "project_type")
    inlines = (VersionInline, EventInline)
    show_full_result_count = False


@admin.register(ApplicationVersion)
class ApplicationVersionAdmin(ReadOnlyAdmin):
    list_display = ("application", "number", "submitted_at", "submitted_by")
    list_select_related = ("application", "submitted_by")
    search_fields = ("application__title", "application__applicant__name")


@admin.register(ReturnNote)
class ReturnNoteAdmin(ReadOnlyAdmin):
    list_display = ("application", "created_at", "returned_by_org", "from_status")
    list_select_related = ("application",)


@admin.register(CallPublication)
class CallPublicationAdmin(ReadOnlyAdmin):
    list_display = ("call", "received_list_published_at", "published_by")

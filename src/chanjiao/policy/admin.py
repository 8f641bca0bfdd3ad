"""The back office for packs and calls: read-only.

Packs are loaded from their files (`chanjiao policy load`), indicator systems are edited as new
versions on their page, and calls are opened, changed and published on theirs: every write goes
through a service that checks, audits and refuses what it must, so the admin only shows.
"""

from __future__ import annotations

from django.contrib import admin

from chanjiao.core.admin import ReadOnlyAdmin

from .models import Call, CityQuota, DeadlineExtension, IndicatorSystem, PolicyPack, ProjectType


@admin.register(PolicyPack)
class PolicyPackAdmin(ReadOnlyAdmin):
    list_display = ("code", "version", "name", "region", "is_current", "loaded_at", "loaded_by")
    list_filter = ("code", "is_current")
    search_fields = ("code", "name")
    list_select_related = ("region", "loaded_by")


@admin.register(ProjectType)
class ProjectTypeAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "pack", "programme_name", "target_count")
    list_filter = ("pack",)
    search_fields = ("code", "name")
    list_select_related = ("pack",)


@admin.register(IndicatorSystem)
class IndicatorSystemAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "version", "purpose", "pack", "is_default", "is_current")
    list_filter = ("purpose", "is_default", "is_current")
    list_select_related = ("pack",)


class CityQuotaInline(admin.TabularInline):
    model = CityQuota
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = ("title", "pack", "status", "opens_at", "closes_at", "limit_per_applicant")
    list_filter = ("status", "pack__code")
    search_fields = ("title",)
    list_select_related = ("pack",)
    inlines = [CityQuotaInline]


@admin.register(DeadlineExtension)
class DeadlineExtensionAdmin(ReadOnlyAdmin):
    list_display = ("call", "applicant", "until", "granted_by", "granted_at")
    list_select_related = ("call", "applicant", "granted_by")
    search_fields = ("applicant__name", "reason")

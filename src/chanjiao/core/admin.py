"""The back office for core data.

The audit log, attachments and jobs are read-only for everyone. Regions and pilot zones may be
corrected here; each save is audited like a service write, and neither is deleted here (regions
are what organisations point at; zones are defined by documents and shipped in the seed).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .audit import audit_record, diff, snapshot
from .models import Attachment, AuditEntry, Job, PilotZone, Region


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted, not even by a superuser."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "full_name", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name", "full_name")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        # The code is the primary key that organisations point at; a new code is a new region.
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        before = snapshot(Region.objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        audit_record(
            actor=getattr(request, "actor", None),
            action="region.update" if change else "region.create",
            obj=obj,
            changes=diff(before, snapshot(obj)),
        )


@admin.register(PilotZone)
class PilotZoneAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "member_count")
    search_fields = ("code", "name")
    autocomplete_fields = ("regions",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("regions"))

    @admin.display(description=_("成员区划数"), ordering="member_total")
    def member_count(self, obj) -> int:
        return obj.member_total

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _state(self, zone: PilotZone) -> dict:
        return {
            "name": zone.name,
            "source": zone.source,
            "regions": sorted(zone.regions.values_list("code", flat=True)),
        }

    def save_model(self, request, obj, form, change):
        request._pilot_zone_before = self._state(PilotZone.objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # Members are saved with the related objects, so the entry is written after them.
        super().save_related(request, form, formsets, change)
        zone = form.instance
        audit_record(
            actor=getattr(request, "actor", None),
            action="pilot_zone.update" if change else "pilot_zone.create",
            obj=zone,
            changes=diff(getattr(request, "_pilot_zone_before", {}), self._state(zone)),
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "actor_name",
        "organization_name",
        "action",
        "object_type",
        "object_repr",
        "ip_address",
    )
    list_filter = ("action", "object_type")
    search_fields = ("actor_name", "organization_name", "object_repr", "object_id")
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = (
        "original_name",
        "content_type",
        "size",
        "owner_organization_id",
        "uploaded_by",
        "created_at",
    )
    list_filter = ("content_type",)
    search_fields = ("original_name", "sha256")
    list_select_related = ("uploaded_by",)


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "label", "status", "done", "total", "created_by", "finished_at")
    list_filter = ("status", "kind")
    search_fields = ("kind", "label")
    list_select_related = ("created_by",)

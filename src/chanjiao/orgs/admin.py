"""The back office for organisations and people. Writes here bypass the services, so the admin is
for province operators' corrections; the audit log records admin changes through Django's own log."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, Membership, Organization, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("organization",)
    fields = ("organization", "role", "is_active", "created_at")
    readonly_fields = ("created_at",)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region", "uscc", "school_level", "size", "is_active")
    list_filter = ("kind", "school_level", "dept_level", "size", "ownership", "is_active")
    search_fields = ("name", "short_name", "uscc")
    autocomplete_fields = ("region", "parent", "industry")
    list_select_related = ("region",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "email", "mobile", "is_active", "locked_until")
    search_fields = ("username", "display_name", "email", "mobile")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("平台信息"),
            {"fields": ("display_name", "mobile", "title", "failed_login_count", "locked_until")},
        ),
    )
    readonly_fields = ("failed_login_count",)
    inlines = (MembershipInline,)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "role", "is_active", "created_at")
    list_filter = ("role", "is_active")
    search_fields = ("user__username", "user__display_name", "organization__name")
    autocomplete_fields = ("user", "organization")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are read here and revoked in the application; the key itself is never stored."""

    list_display = ("name", "prefix", "user", "organization", "expires_at", "revoked_at", "last_used_at")
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = [f.name for f in ApiToken._meta.fields]

    def has_add_permission(self, request):
        return False

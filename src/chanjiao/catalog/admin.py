"""Back office for the catalogue. Bulk changes go through the import pages (all or nothing, audited);
the admin is for looking things up and for a single correction."""

from django.contrib import admin

from .models import CatalogueEdition, Industry, Occupation, Programme, ProgrammeCategory, ProgrammeClass


@admin.register(CatalogueEdition)
class CatalogueEditionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "year", "is_current", "previous", "created_at")
    list_filter = ("is_current", "year")
    search_fields = ("code", "name")
    list_select_related = ("previous",)
    readonly_fields = ("created_at",)


@admin.register(ProgrammeCategory)
class ProgrammeCategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "edition")
    list_filter = ("edition", "level")
    search_fields = ("code", "name")
    list_select_related = ("edition",)


@admin.register(ProgrammeClass)
class ProgrammeClassAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "category", "edition")
    list_filter = ("edition", "level")
    search_fields = ("code", "name")
    list_select_related = ("edition", "category")
    raw_id_fields = ("category",)


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "category", "klass", "edition")
    list_filter = ("edition", "level")
    search_fields = ("code", "name")
    list_select_related = ("edition", "category", "klass")
    raw_id_fields = ("category", "klass")


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "tier", "parent")
    list_filter = ("tier",)
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)


@admin.register(Occupation)
class OccupationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "tier", "parent", "edition")
    list_filter = ("edition", "tier")
    search_fields = ("code", "name", "keywords_text")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)
    readonly_fields = ("keywords_text",)

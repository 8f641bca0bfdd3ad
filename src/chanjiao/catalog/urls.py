from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.programme_list, name="programme_list"),
    path("industries/", views.industry_list, name="industry_list"),
    path("occupations/", views.occupation_list, name="occupation_list"),
    path("editions/", views.edition_list, name="edition_list"),
    path("editions/diff/", views.edition_diff, name="edition_diff"),
    path("editions/diff.xlsx", views.edition_diff_export, name="edition_diff_export"),
    path("editions/<slug:code>/make-current/", views.edition_make_current, name="edition_make_current"),
    path("import/", views.import_home, name="import_home"),
    path("import/programmes/", views.import_programmes, name="import_programmes"),
    path("import/programmes/template.xlsx", views.programme_template, name="programme_template"),
    path("import/industries/", views.import_industries, name="import_industries"),
    path("import/occupations/", views.import_occupations, name="import_occupations"),
    path("import/jobs/<int:pk>/", views.import_job, name="import_job"),
]

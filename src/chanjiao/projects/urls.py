from django.urls import path

from . import assessment_urls, record_views, reports_urls, taskbook_urls, views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("export.xlsx", views.project_export, name="export"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("decisions/<int:round_id>/", views.decision_queue, name="decision_queue"),
    path(
        "decisions/<int:round_id>/applications/<int:application_id>/award/",
        views.decision_award,
        name="decision_award",
    ),
    path(
        "decisions/<int:round_id>/applications/<int:application_id>/reject/",
        views.decision_reject,
        name="decision_reject",
    ),
    path(
        "decisions/application/<int:application_id>/",
        views.application_decision,
        name="application_decision",
    ),
    path("record/<int:org_id>/", record_views.track_record_fragment, name="track_record"),
]

# each stage keeps its own pages (ADR 0003)
urlpatterns += taskbook_urls.urlpatterns + reports_urls.urlpatterns + assessment_urls.urlpatterns

from django.urls import path

from . import panel_urls, publicity_urls, scoring_urls, trail_urls, views

app_name = "review"
urlpatterns = [
    path("experts/", views.expert_list, name="expert_list"),
    path("experts/new/", views.expert_new, name="expert_new"),
    path("experts/import/", views.expert_import, name="expert_import"),
    path("experts/import/template.xlsx", views.expert_import_template, name="expert_import_template"),
    path("experts/<int:pk>/", views.expert_detail, name="expert_detail"),
    path("experts/<int:pk>/edit/", views.expert_edit, name="expert_edit"),
    path("groups/", views.groups, name="groups"),
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/new/", views.round_new, name="round_new"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("rounds/<int:pk>/availability/", views.round_availability, name="round_availability"),
    path("rounds/<int:pk>/experts/", views.round_experts, name="round_experts"),
    path("rounds/<int:pk>/conflicts/", views.round_conflicts, name="round_conflicts"),
    path("rounds/<int:pk>/conflicts/compute/", views.conflicts_compute, name="conflicts_compute"),
    path("rounds/<int:pk>/conflicts/new/", views.conflict_new, name="conflict_new"),
    path("rounds/<int:pk>/assign/", views.round_assign, name="round_assign"),
    path("rounds/<int:pk>/draw/", views.round_draw, name="round_draw"),
    path(
        "rounds/<int:pk>/applications/<int:application_id>/",
        views.round_application,
        name="round_application",
    ),
    path(
        "rounds/<int:pk>/applications/<int:application_id>/add/",
        views.round_application_add,
        name="round_application_add",
    ),
    path("conflicts/<int:pk>/waive/", views.conflict_waive, name="conflict_waive"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment_detail"),
    path("assignments/<int:pk>/remove/", views.assignment_remove, name="assignment_remove"),
    path("mine/", views.my_reviews, name="my_reviews"),
    path("mine/<int:application_id>/", views.my_review, name="my_review"),
    path("mine/<int:application_id>/declare/", views.my_review_declare, name="my_review_declare"),
    path("exclusions/", views.my_exclusions, name="my_exclusions"),
    path("exclusions/<int:application_id>/", views.exclusions, name="exclusions"),
    path(
        "exclusions/<int:application_id>/<int:exclusion_id>/remove/",
        views.exclusion_remove,
        name="exclusion_remove",
    ),
]

# each stage keeps its own pages (ADR 0003)
urlpatterns += scoring_urls.urlpatterns + panel_urls.urlpatterns + publicity_urls.urlpatterns
urlpatterns += trail_urls.urlpatterns

"""Pages of the review's panel stage (included by review/urls.py, in the review namespace)."""

from django.urls import path

from . import panel_views

urlpatterns: list = [
    path("rounds/<int:pk>/ranking/", panel_views.ranking, name="panel_ranking"),
    path(
        "rounds/<int:pk>/ranking/<int:application_id>/",
        panel_views.application,
        name="panel_application",
    ),
    path("rounds/<int:pk>/panel/open/", panel_views.panel_open, name="panel_open"),
    path("rounds/<int:pk>/overrides/", panel_views.override, name="panel_override"),
    path("rounds/<int:pk>/recommendation/", panel_views.recommend, name="panel_recommend"),
    path("rounds/<int:pk>/scores.xlsx", panel_views.scores_export, name="panel_scores_export"),
    path("mine/rounds/<int:round_id>/panel/", panel_views.my_panel, name="panel_mine"),
    path(
        "mine/rounds/<int:round_id>/panel/scores.xlsx",
        panel_views.my_panel_export,
        name="panel_mine_export",
    ),
]

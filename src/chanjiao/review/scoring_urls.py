"""Pages of the review's scoring stage (included by review/urls.py, in the review namespace)."""

from django.urls import path

from . import scoring_views

urlpatterns: list = [
    path("mine/<int:application_id>/sheet/", scoring_views.my_sheet, name="my_sheet"),
    path("mine/<int:application_id>/sheet/total/", scoring_views.my_sheet_total, name="my_sheet_total"),
    path("mine/<int:application_id>/recuse/", scoring_views.my_sheet_recuse, name="my_sheet_recuse"),
    path("rounds/<int:pk>/sheets/", scoring_views.round_sheets, name="round_sheets"),
    path("sheets/<int:pk>/", scoring_views.sheet_detail, name="sheet_detail"),
]

"""Pages of the round's whole-process record (included by review/urls.py, in the review namespace)."""

from django.urls import path

from . import trail_views

urlpatterns = [
    path("rounds/<int:pk>/trail/", trail_views.round_trail, name="round_trail"),
    path("rounds/<int:pk>/trail.xlsx", trail_views.round_trail_xlsx, name="round_trail_xlsx"),
]

"""Pages of the review's scoring stage (included by review/urls.py, in the review namespace)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []

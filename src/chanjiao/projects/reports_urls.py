"""Pages of the project's reports stage (included by projects/urls.py, in the projects namespace)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []

"""Pages of the project's taskbook stage (included by projects/urls.py, in the projects namespace)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []

"""Pages of acceptance (验收) and performance assessment (绩效评价) batches (included by
projects/urls.py, in the projects namespace)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []

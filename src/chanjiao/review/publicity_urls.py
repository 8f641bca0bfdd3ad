"""Pages of the review's publicity stage (included by review/urls.py, in the review namespace)."""

from django.urls import path

from . import publicity_views as views

urlpatterns: list = [
    # public: no login
    path("publicity/", views.publicity_list, name="publicity_list"),
    path("publicity/<int:pk>/", views.publicity_public, name="publicity_public"),
    # province staff (the observer reads)
    path("rounds/<int:pk>/publicity/", views.round_publicity, name="round_publicity"),
    path("rounds/<int:pk>/publicity/preview/", views.publicity_preview, name="publicity_preview"),
    path("rounds/<int:pk>/publicity/objections/", views.objection_record, name="objection_record"),
    path("objections/<int:pk>/answer/", views.objection_answer, name="objection_answer"),
]

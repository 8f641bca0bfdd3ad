"""Pages of acceptance (验收) and performance assessment (绩效评价) batches (included by
projects/urls.py, in the projects namespace)."""

from django.urls import path

from . import assessment_views as views

urlpatterns: list = [
    path("assessments/", views.assessment_list, name="assessment_list"),
    path("assessments/new/", views.assessment_new, name="assessment_new"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("assessments/<int:pk>/export.xlsx", views.assessment_export, name="assessment_export"),
    path("assessments/<int:pk>/trail/", views.assessment_trail, name="assessment_trail"),
    path("assessments/<int:pk>/start-review/", views.assessment_start_review, name="assessment_start_review"),
    path("assessments/<int:pk>/conclude/", views.assessment_conclude, name="assessment_conclude"),
    path("assessments/entries/<int:pk>/", views.assessment_entry, name="assessment_entry"),
    path("assessments/entries/<int:pk>/decide/", views.entry_decide, name="entry_decide"),
    path("rectifications/<int:pk>/", views.rectification, name="rectification"),
    path("rectifications/<int:pk>/recheck/", views.rectification_recheck, name="rectification_recheck"),
    path("<int:pk>/assessments/", views.project_assessments, name="project_assessments"),
]

from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/export.xlsx", views.audit_export, name="audit_export"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("jobs/<int:pk>/", views.job_detail, name="job_detail"),
]

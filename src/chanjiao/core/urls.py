from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/export.xlsx", views.audit_export, name="audit_export"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("jobs/<int:pk>/", views.job_detail, name="job_detail"),
]

# the inbox and the holiday list
urlpatterns += [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("holidays/", views.holiday_list, name="holiday_list"),
    path("holidays/<str:day>/remove/", views.holiday_remove, name="holiday_remove"),
]

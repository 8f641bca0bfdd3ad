from django.urls import path

from . import views

app_name = "policy"
urlpatterns = [
    path("", views.pack_list, name="pack_list"),
    path("packs/<slug:code>/", views.pack_detail, name="pack_detail"),
    path("project-types/<int:pk>/", views.project_type_detail, name="project_type_detail"),
    path("indicator-systems/<int:pk>/", views.indicator_system_detail, name="indicator_system_detail"),
    path("indicator-systems/<int:pk>/edit/", views.indicator_system_edit, name="indicator_system_edit"),
    path("calls/", views.call_list, name="call_list"),
    path("calls/new/", views.call_create, name="call_create"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("calls/<int:pk>/edit/", views.call_edit, name="call_edit"),
    path("calls/<int:pk>/publish/", views.call_publish, name="call_publish"),
    path("calls/<int:pk>/extensions/", views.call_extension, name="call_extension"),
]

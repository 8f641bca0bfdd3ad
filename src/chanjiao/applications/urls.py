from django.urls import path

from . import views

app_name = "applications"
urlpatterns = [
    path("", views.my_list, name="my_list"),
    path("calls/", views.open_calls, name="open_calls"),
    path("new/", views.create, name="create"),
    path("city/", views.city_queue, name="city_queue"),
    path("province/", views.province_queue, name="province_queue"),
    path("calls/<int:call_id>/export.xlsx", views.call_export, name="call_export"),
    path("calls/<int:call_id>/publish/", views.call_publish, name="call_publish"),
    path("public/calls/<int:call_id>/", views.public_list, name="public_list"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/edit/<slug:section>/", views.save_section, name="save_section"),
    path("<int:pk>/partners/search/", views.partner_search, name="partner_search"),
    path("<int:pk>/programmes/search/", views.programme_lookup, name="programme_search"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/return/", views.return_, name="return"),
    path("<int:pk>/endorse/", views.endorse, name="endorse"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("<int:pk>/attachments/<int:link_id>/remove/", views.attachment_remove, name="attachment_remove"),
    path("<int:pk>/versions/", views.versions, name="versions"),
    path("<int:pk>/versions/<int:number>/", views.version_detail, name="version_detail"),
    path("<int:pk>/versions/<int:a>/diff/<int:b>/", views.version_diff, name="version_diff"),
    path("<int:pk>/pdf/", views.pdf, name="pdf"),
]

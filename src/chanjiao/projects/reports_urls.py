"""Pages of the project's reports stage (included by projects/urls.py, in the projects namespace)."""

from django.urls import path

from . import reports_views as views

urlpatterns: list = [
    path("<int:pk>/reports/", views.report_list, name="report_list"),
    path("<int:pk>/reports/<int:period>/", views.report_form, name="report_form"),
    path("reports/equipment-row/", views.equipment_row, name="report_equipment_row"),
    path("reports/<int:report_id>/submit/", views.report_submit, name="report_submit"),
    path("reports/<int:report_id>/return/", views.report_return, name="report_return"),
    path("reports/<int:report_id>/accept/", views.report_accept, name="report_accept"),
    path("reports/overdue/", views.reports_overdue, name="reports_overdue"),
    path("alerts/", views.plan_alerts, name="plan_alerts"),
]

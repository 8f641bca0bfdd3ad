"""Pages of the project's taskbook stage (included by projects/urls.py, in the projects namespace)."""

from django.urls import path

from . import taskbook_views as views

urlpatterns: list = [
    path("<int:pk>/task-book/", views.task_book, name="task_book"),
    path("<int:pk>/task-book/v/<int:version>/", views.task_book_version, name="task_book_version"),
    path("<int:pk>/task-book/v/<int:version>/confirm/", views.task_book_confirm, name="task_book_confirm"),
    path("<int:pk>/task-book/diff/", views.task_book_diff, name="task_book_diff"),
    path("<int:pk>/changes/", views.change_list, name="change_list"),
    path("<int:pk>/changes/new/", views.change_new, name="change_new"),
    path("<int:pk>/changes/<int:change_id>/", views.change_detail, name="change_detail"),
    path("<int:pk>/changes/<int:change_id>/decide/", views.change_decide, name="change_decide"),
    path("<int:pk>/changes/<int:change_id>/withdraw/", views.change_withdraw, name="change_withdraw"),
]

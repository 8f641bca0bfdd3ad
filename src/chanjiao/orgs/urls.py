from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views
from .forms import LoginForm
from .views import PasswordSetView

# Templates are named under orgs/: the admin app, listed first, ships registration/*.html that
# would otherwise be found before ours.
app_name = "orgs"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True, template_name="orgs/login.html"
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            success_url=reverse_lazy("orgs:password_change_done"),
            template_name="orgs/password_change_form.html",
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="orgs/password_change_done.html"),
        name="password_change_done",
    ),
    path(
        "password/set/<uidb64>/<token>/",
        PasswordSetView.as_view(),
        name="password_set",
    ),
    path("acting/", views.acting_switch, name="acting_switch"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organizations/import/", views.organization_import, name="organization_import"),
    path(
        "organizations/import/template.xlsx",
        views.organization_import_template,
        name="organization_import_template",
    ),
    path("organizations/<int:pk>/", views.organization_detail, name="organization_detail"),
    path("organizations/<int:pk>/edit/", views.organization_edit, name="organization_edit"),
    path("people/", views.person_list, name="person_list"),
    path("people/invite/", views.person_invite, name="person_invite"),
    path("memberships/<int:pk>/revoke/", views.membership_revoke, name="membership_revoke"),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]

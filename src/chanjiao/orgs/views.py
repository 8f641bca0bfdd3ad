from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chanjiao.core.errors import DomainError, apply_to_form
from chanjiao.core.exports import xlsx_response
from chanjiao.core.pages import paginate, role_required
from chanjiao.core.permissions import Role

from . import importers, selectors, services
from .forms import ImportForm, OrganizationContactForm, OrganizationForm, PersonInviteForm, TokenForm
from .models import OrgKind, SchoolLevel
from .permissions import (
    CONTACT_FIELDS,
    DIRECTORY_ROLES,
    ORG_EDIT_ROLES,
    PEOPLE_ROLES,
    assignable_roles,
    can_edit_all_fields,
    can_edit_organization,
    can_manage_people,
    require_can_edit_organization,
)

INVITE_ORG_CHOICES_LIMIT = 500


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The page an invitation's link opens: the invited person chooses a password, then logs in."""

    template_name = "orgs/password_set.html"
    success_url = reverse_lazy("orgs:login")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("密码已设置，请使用新密码登录"))
        return response


@login_required
def acting_switch(request):
    choices = selectors.acting_choices(request.actor)
    if request.method == "POST":
        try:
            services.acting_organization_switch(
                request=request, actor=request.actor, organization_id=int(request.POST.get("organization", 0))
            )
        except (DomainError, ValueError):
            messages.error(request, _("您不是该单位的成员，不能代表其操作"))
            return redirect("orgs:acting_switch")
        return redirect("dashboards:home")
    return render(request, "orgs/acting_switch.html", {"choices": choices})


@role_required(*DIRECTORY_ROLES)
def organization_list(request):
    filters = {k: request.GET.get(k, "").strip() for k in ("q", "kind", "region", "school_level", "industry")}
    qs = selectors.organization_search(actor=request.actor, **filters)
    page_obj = paginate(request, qs)
    context = {
        "page_obj": page_obj,
        "filters": filters,
        "kinds": OrgKind.choices,
        "school_levels": SchoolLevel.choices,
        "can_create": request.actor.is_province_staff,
    }
    template = "orgs/partials/organization_table.html" if request.htmx else "orgs/organization_list.html"
    return render(request, template, context)


@role_required(*DIRECTORY_ROLES)
def organization_detail(request, pk: int):
    actor = request.actor
    org = selectors.organization_get_for(actor=actor, pk=pk)
    memberships = (
        selectors.memberships_for(actor)
        .filter(organization=org, is_active=True)
        .order_by("user__display_name", "user__username", "role")[:200]
    )
    return render(
        request,
        "orgs/organization_detail.html",
        {
            "org": org,
            "memberships": memberships,
            "can_edit": can_edit_organization(actor, org),
            "can_manage_people": can_manage_people(actor, org),
        },
    )


def _org_form_data(org) -> dict:
    data = services.organization_data(org)
    data["uscc"] = data["uscc"] or ""
    data.pop("parent", None)
    return data


@role_required(Role.PROVINCE_ADMIN)
def organization_create(request):
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_create(actor=request.actor, data=form.cleaned_data)
        except DomainError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("已创建单位：%(name)s") % {"name": org.name})
            return redirect("orgs:organization_detail", pk=org.pk)
    return render(request, "orgs/organization_form.html", {"form": form, "title": _("新建单位")})


@role_required(*ORG_EDIT_ROLES)
def organization_edit(request, pk: int):
    actor = request.actor
    org = selectors.organization_get_for(actor=actor, pk=pk)
    require_can_edit_organization(actor, org)
    full = can_edit_all_fields(actor, org)
    form_class = OrganizationForm if full else OrganizationContactForm
    initial = _org_form_data(org)
    if not full:
        initial = {k: v for k, v in initial.items() if k in CONTACT_FIELDS}
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(actor=actor, organization=org, data=form.cleaned_data)
        except DomainError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("orgs:organization_detail", pk=org.pk)
    return render(request, "orgs/organization_form.html", {"form": form, "title": _("修改单位"), "org": org})


@role_required(Role.PROVINCE_ADMIN)
def organization_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            result = importers.organizations_import(actor=request.actor, file=form.cleaned_data["file"])
        except DomainError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("导入成功：共 %(n)d 个单位") % {"n": len(result)})
            return redirect("orgs:organization_list")
    return render(request, "orgs/organization_import.html", {"form": form, "errors": errors})


@role_required(Role.PROVINCE_ADMIN)
def organization_import_template(request):
    return xlsx_response(_("单位导入模板") + ".xlsx", importers.organization_template_bytes())


@role_required(*PEOPLE_ROLES)
def person_list(request):
    q = request.GET.get("q", "").strip()
    qs = selectors.person_search(actor=request.actor, q=q)
    return render(request, "orgs/person_list.html", {"page_obj": paginate(request, qs), "q": q})


@role_required(*PEOPLE_ROLES)
def person_invite(request):
    actor = request.actor
    orgs = selectors.organizations_for(actor).order_by("name", "id")
    if not actor.is_province_staff:
        orgs = orgs.filter(pk=actor.organization.pk)
    try:
        preselected = int(request.GET.get("organization") or actor.organization.pk)
    except ValueError:
        preselected = actor.organization.pk
    choices = [(o.pk, o.name) for o in orgs[:INVITE_ORG_CHOICES_LIMIT]]
    if all(pk != preselected for pk, _name in choices):
        extra = orgs.filter(pk=preselected).first()
        if extra is not None:
            choices.insert(0, (extra.pk, extra.name))
    form = PersonInviteForm(request.POST or None, initial={"organization": preselected})
    form.fields["organization"].widget.choices = choices
    # No role is preselected: granting one is a decision, not a default.
    form.fields["role"].choices = [
        (r, lbl) for r, lbl in form.fields["role"].choices if not r or r in assignable_roles(actor)
    ]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            org = selectors.organization_get_for(actor=actor, pk=data["organization"])
            user = services.person_invite(
                actor=actor,
                organization=org,
                role=data["role"],
                username=data["username"],
                display_name=data["display_name"],
                email=data["email"],
                mobile=data["mobile"],
                request=request,
            )
        except DomainError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("已邀请 %(name)s；设置密码的链接已发送到其邮箱") % {"name": user})
            return redirect("orgs:person_list")
    return render(request, "orgs/person_invite.html", {"form": form})


@role_required(*PEOPLE_ROLES)
@require_POST
def membership_revoke(request, pk: int):
    membership = selectors.membership_get_for(actor=request.actor, pk=pk)
    try:
        services.membership_revoke(actor=request.actor, membership=membership)
    except DomainError as exc:
        for error in exc.errors:
            messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("已撤销 %(user)s 在“%(org)s”的%(role)s角色")
            % {
                "user": membership.user,
                "org": membership.organization.name,
                "role": membership.get_role_display(),
            },
        )
    return redirect("orgs:organization_detail", pk=membership.organization_id)


@login_required
def token_list(request):
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_key = services.api_token_create(
                actor=request.actor, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except DomainError as exc:
            apply_to_form(form, exc)
    tokens = selectors.tokens_for(request.actor)
    return render(request, "orgs/token_list.html", {"form": form, "tokens": tokens, "new_key": new_key})


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = selectors.token_get_for(actor=request.actor, pk=pk)
    services.api_token_revoke(actor=request.actor, token=token)
    messages.success(request, _("令牌已撤销"))
    return redirect("orgs:token_list")

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chanjiao.core.errors import DomainError, apply_to_form
from chanjiao.core.pages import paginate, role_required
from chanjiao.core.permissions import Role

from . import importers, selectors, services
from .forms import ImportForm, OrganizationForm, PersonInviteForm, TokenForm
from .models import OrgKind, SchoolLevel

DIRECTORY_ROLES = (Role.PROVINCE_ADMIN, Role.CITY_ADMIN, Role.OBSERVER, Role.ORG_ADMIN, Role.ORG_STAFF)


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
    org = selectors.organization_get_for(actor=request.actor, pk=pk)
    people = selectors.people_for(request.actor).filter(memberships__organization=org).distinct()[:50]
    can_edit = request.actor.is_province_staff or (
        request.actor.has_role(Role.ORG_ADMIN) and request.actor.organization.pk == org.pk
    )
    return render(
        request, "orgs/organization_detail.html", {"org": org, "people": people, "can_edit": can_edit}
    )


def _org_form_data(org) -> dict:
    return {
        "name": org.name,
        "short_name": org.short_name,
        "kind": org.kind,
        "region": org.region_id,
        "uscc": org.uscc or "",
        "dept_level": org.dept_level,
        "school_level": org.school_level,
        "sponsor": org.sponsor,
        "sponsor_kind": org.sponsor_kind,
        "is_independent": org.is_independent,
        "industry": org.industry.code if org.industry_id else "",
        "size": org.size,
        "ownership": org.ownership,
        "contact_name": org.contact_name,
        "contact_phone": org.contact_phone,
        "address": org.address,
        "website": org.website,
    }


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


@role_required(Role.PROVINCE_ADMIN, Role.ORG_ADMIN)
def organization_edit(request, pk: int):
    org = selectors.organization_get_for(actor=request.actor, pk=pk)
    form = OrganizationForm(request.POST or None, initial=_org_form_data(org))
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(actor=request.actor, organization=org, data=form.cleaned_data)
        except DomainError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("orgs:organization_detail", pk=org.pk)
    return render(request, "orgs/organization_form.html", {"form": form, "title": _("修改单位"), "org": org})


@role_required(Role.PROVINCE_ADMIN)
def organization_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
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
    response = HttpResponse(
        importers.organization_template_bytes(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = "attachment; filename*=UTF-8''organization-import-template.xlsx"
    return response


@role_required(Role.PROVINCE_ADMIN, Role.ORG_ADMIN)
def person_list(request):
    q = request.GET.get("q", "").strip()
    qs = selectors.people_for(request.actor).prefetch_related("memberships__organization")
    if q:
        qs = qs.filter(display_name__icontains=q) | qs.filter(username__icontains=q)
    return render(request, "orgs/person_list.html", {"page_obj": paginate(request, qs), "q": q})


@role_required(Role.PROVINCE_ADMIN, Role.ORG_ADMIN)
def person_invite(request):
    actor = request.actor
    orgs = selectors.organizations_for(actor).order_by("name")
    if not actor.is_province_staff:
        orgs = orgs.filter(pk=actor.organization.pk)
    form = PersonInviteForm(request.POST or None, initial={"organization": actor.organization.pk})
    form.fields["organization"].widget.choices = [(o.pk, o.name) for o in orgs[:500]]
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

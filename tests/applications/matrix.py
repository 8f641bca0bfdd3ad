"""The applications' rows of the role matrix (tests/test_role_matrix.py), and the data they ask about.

The data is made the first time a row asks for it, in the matrix's own world: a call in the
world's province (Anhui) and one in the other (Jiangsu), a submitted application of each school
in scope, and a fresh application in the right state for every write that should succeed.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chanjiao.applications import services, snapshots
from chanjiao.applications.models import Application, ApplicationVersion, CallPublication, Status
from chanjiao.applications.permissions import (
    APPLICANT_ROLES,
    CITY_ROLES,
    EXPORT_ROLES,
    PROVINCE_ROLES,
    READ_ROLES,
    RETURN_ROLES,
)
from chanjiao.core.permissions import Role
from tests.conftest import actor_of
from tests.test_role_matrix import API, PUBLIC, Row, World, fixed

from .factories import PDF, complete_draft, integration_platform_spec, make_call, make_pack, make_project_type

# Whose organisation applies (and so has applications of its own) in the matrix's world.
APPLICANT_ORG = {"school_admin": "school", "school_staff": "school", "other_admin": "other_school"}
# The application each persona reads: their own school's, or the one in their city / province.
READS = {
    "school_admin": "school",
    "school_staff": "school",
    "learner": "school",
    "city": "school",
    "province": "school",
    "observer": "school",
    "other_admin": "other_school",
    "jiangsu": "jiangsu_school",
}
# One outside each persona's scope.
FOREIGN_READ = {
    "province": "jiangsu_school",
    "observer": "jiangsu_school",
    "jiangsu": "school",
    "other_admin": "school",
}


@dataclass
class Data:
    calls: dict[str, Any]  # province key → call
    project_types: dict[str, Any]
    submitted: dict[str, Application]  # organisation key → a submitted application with version 1
    drafts: dict[str, Application]  # organisation key → a draft (with one attachment)


def data(w: World) -> Data:
    cached = w.__dict__.get("_applications")
    if cached is not None:
        return cached
    anhui_pack = make_pack(w.org("province_dept").region, code="matrix-anhui")
    jiangsu_pack = make_pack(w.org("jiangsu_dept").region, code="matrix-jiangsu")
    anhui_pt = make_project_type(anhui_pack)
    jiangsu_spec = copy.deepcopy(integration_platform_spec())
    jiangsu_spec["applicants"]["school_levels"] = ["associate", "vocational_bachelor"]
    jiangsu_pt = make_project_type(jiangsu_pack, spec=jiangsu_spec)
    calls = {
        "anhui": make_call(anhui_pack, [anhui_pt], limit=50),
        "jiangsu": make_call(jiangsu_pack, [jiangsu_pt], limit=50),
    }
    d = Data(calls=calls, project_types={"anhui": anhui_pt, "jiangsu": jiangsu_pt}, submitted={}, drafts={})
    w.__dict__["_applications"] = d
    for key in ("school", "other_school", "jiangsu_school"):
        d.submitted[key] = _fresh(w, key, Status.SUBMITTED)
        ApplicationVersion.objects.create(
            application=d.submitted[key],
            number=1,
            snapshot=snapshots.build(d.submitted[key]),
            submitted_at=timezone.now(),
            submitted_by=w.users["province"],
        )
        d.drafts[key] = _fresh(w, key, Status.DRAFT)
    for key in ("school", "other_school"):
        owner = _staff(w, key)
        services.application_attach(
            actor=actor_of(owner, w.org(key)),
            application=d.drafts[key],
            spec_code="construction_plan",
            file=SimpleUploadedFile("plan.pdf", PDF + key.encode()),
        )
    return d


def _province_of(org_key: str) -> str:
    return "jiangsu" if org_key.startswith("jiangsu") else "anhui"


STAFF_OF = {"school": "school_admin", "other_school": "other_admin"}


def _staff(w: World, org_key: str):
    return w.users[STAFF_OF[org_key]]


def _fresh(w: World, org_key: str, status: str) -> Application:
    """An application of `org_key`'s in its province's call, put straight into `status`."""
    d = w.__dict__["_applications"]
    org = w.org(org_key)
    province = _province_of(org_key)
    call = d.calls[province]
    used = set(Application.objects.filter(call=call, applicant=org).values_list("slot", flat=True))
    now = timezone.now()
    submitted = status != Status.DRAFT
    return Application.objects.create(
        call=call,
        project_type=d.project_types[province],
        applicant=org,
        city_code=org.region_id[:4] + "00",
        slot=min(set(range(1, 51)) - used),
        title=f"矩阵申报{w.n()}",
        status=status,
        first_submitted_at=now - dt.timedelta(hours=1) if submitted else None,
        submitted_at=now - dt.timedelta(hours=1) if submitted else None,
        city_rank=100 + w.n() if status == Status.ENDORSED else None,
        endorsed_at=now if status == Status.ENDORSED else None,
        created_by=w.users["province"],
    )


def _complete(w: World, persona: str) -> Application:
    """A fresh draft of the persona's school that satisfies every rule, ready to submit."""
    data(w)
    d = w.__dict__["_applications"]
    org_key = APPLICANT_ORG[persona]
    org = w.org(org_key)
    user = w.users[persona]
    actor = actor_of(user, org)
    app = services.application_create(
        actor=actor, call=d.calls["anhui"], project_type=d.project_types["anhui"]
    )
    body = complete_draft(w.org("enterprise"))
    body["programmes"] = ["460101"]
    services.application_save_draft(actor=actor, application=app, data=body)
    for code, signers in (
        ("co_building_agreement", [org.pk, w.org("enterprise").pk]),
        ("construction_plan", []),
    ):
        services.application_attach(
            actor=actor,
            application=app,
            spec_code=code,
            file=SimpleUploadedFile(f"{code}.pdf", PDF + f"{code}{w.n()}".encode()),
            signed_by=signers,
        )
    app.refresh_from_db()
    return app


# --- URL builders ---------------------------------------------------------------------------------


def fixed_with_data(path: str):
    """A fixed URL; asking for it makes the data first, so a request's own writes are all it changes."""

    def url(w: World, p: str):
        data(w)
        return path

    return url


def _remember(w: World, persona: str, app: Application) -> Application:
    w.__dict__.setdefault("_asked", {})[persona] = app
    return app


def version_of(w: World, persona: str) -> dict:
    app = w.__dict__.get("_asked", {}).get(persona)
    return {"expected_version": app.row_version if app is not None else 1}


def read(template: str):
    def url(w: World, p: str):
        key = READS.get(p)
        return None if key is None else template.format(data(w).submitted[key].pk)

    return url


def read_foreign(template: str):
    def url(w: World, p: str):
        return template.format(data(w).submitted[FOREIGN_READ.get(p, "other_school")].pk)

    return url


def own_draft(template: str):
    def url(w: World, p: str):
        key = APPLICANT_ORG.get(p)
        return None if key is None else template.format(data(w).drafts[key].pk)

    return url


def foreign_draft(template: str):
    def url(w: World, p: str):
        return template.format(data(w).drafts["school" if p == "other_admin" else "other_school"].pk)

    return url


def fresh_draft(template: str):
    def url(w: World, p: str):
        key = APPLICANT_ORG.get(p)
        if key is None:
            return None
        data(w)
        return template.format(_remember(w, p, _fresh(w, key, Status.DRAFT)).pk)

    return url


def fresh_complete(template: str):
    def url(w: World, p: str):
        if p not in APPLICANT_ORG:
            return None
        return template.format(_remember(w, p, _complete(w, p)).pk)

    return url


# Who acts on whose application in the chain: city staff on the school's (their city), province
# staff on their province's school's.
CHAIN_ORG = {"city": "school", "province": "school", "jiangsu": "jiangsu_school"}
CHAIN_FOREIGN = {"city": "other_school", "province": "jiangsu_school", "jiangsu": "school"}


def fresh_in_chain(template: str, status: str):
    def url(w: World, p: str):
        key = CHAIN_ORG.get(p)
        if key is None:
            return None
        data(w)
        return template.format(_fresh(w, key, status).pk)

    return url


def foreign_in_chain(template: str, status: str):
    def url(w: World, p: str):
        data(w)
        return template.format(_fresh(w, CHAIN_FOREIGN.get(p, "other_school"), status).pk)

    return url


def call_of(template: str):
    def url(w: World, p: str):
        return template.format(data(w).calls["jiangsu" if p == "jiangsu" else "anhui"].pk)

    return url


def foreign_call(template: str):
    def url(w: World, p: str):
        return template.format(data(w).calls["anhui" if p == "jiangsu" else "jiangsu"].pk)

    return url


def published_call(template: str):
    def url(w: World, p: str):
        call = data(w).calls["anhui"]
        CallPublication.objects.get_or_create(
            call=call,
            defaults={"received_list_published_at": timezone.now(), "published_by": w.users["province"]},
        )
        return template.format(call.pk)

    return url


def own_attachment_link(w: World, p: str):
    key = APPLICANT_ORG.get(p)
    if key is None:
        return None
    data(w)
    draft = _fresh(w, key, Status.DRAFT)
    services.application_attach(
        actor=actor_of(w.users[p], w.org(key)),
        application=draft,
        spec_code="construction_plan",
        file=SimpleUploadedFile("plan.pdf", PDF + f"{p}{w.n()}".encode()),
    )
    return f"/applications/{draft.pk}/attachments/{draft.attachments.get().pk}/remove/"


def foreign_attachment_link(w: World, p: str):
    draft = data(w).drafts["school" if p == "other_admin" else "other_school"]
    return f"/applications/{draft.pk}/attachments/{draft.attachments.first().pk}/remove/"


def create_form(w: World, p: str) -> dict:
    d = data(w)
    province = "jiangsu" if p == "jiangsu" else "anhui"
    return {"call": d.calls[province].pk, "project_type": d.project_types[province].pk}


def create_json(w: World, p: str) -> dict:
    form = create_form(w, p)
    return {"call_id": form["call"], "project_type_id": form["project_type"]}


def upload(w: World, p: str) -> dict:
    return {
        "file": SimpleUploadedFile(f"方案{w.n()}.pdf", PDF + str(w.n()).encode()),
        "spec_code": "construction_plan",
    }


A = "/applications"
# An enterprise's staff hold an applicant's role, but this project type is for schools: the rules
# refuse them (422) and nothing is stored.
NOT_ELIGIBLE = {"enterprise": 422}

PAGE_ROWS = [
    Row("applications/", "GET", APPLICANT_ROLES, fixed(f"{A}/")),
    Row("applications/calls/", "GET", APPLICANT_ROLES, fixed(f"{A}/calls/")),
    Row(
        "applications/new/",
        "POST",
        APPLICANT_ROLES,
        fixed_with_data(f"{A}/new/"),
        data=create_form,
        ok=302,
        overrides=NOT_ELIGIBLE,
        write=True,
        audited=True,
    ),
    Row("applications/city/", "GET", CITY_ROLES, fixed(f"{A}/city/")),
    Row("applications/province/", "GET", (Role.PROVINCE_ADMIN, Role.OBSERVER), fixed(f"{A}/province/")),
    Row(
        "applications/calls/<int:call_id>/export.xlsx",
        "GET",
        EXPORT_ROLES,
        call_of(A + "/calls/{}/export.xlsx"),
        foreign=foreign_call(A + "/calls/{}/export.xlsx"),
    ),
    Row(
        "applications/calls/<int:call_id>/publish/",
        "POST",
        PROVINCE_ROLES,
        call_of(A + "/calls/{}/publish/"),
        foreign=foreign_call(A + "/calls/{}/publish/"),
        ok=302,
        write=True,
        audited=True,
    ),
    Row("applications/public/calls/<int:call_id>/", "GET", PUBLIC, published_call(A + "/public/calls/{}/")),
    Row("applications/<int:pk>/", "GET", READ_ROLES, read(A + "/{}/"), foreign=read_foreign(A + "/{}/")),
    Row(
        "applications/<int:pk>/edit/",
        "GET",
        APPLICANT_ROLES,
        own_draft(A + "/{}/edit/"),
        foreign=foreign_draft(A + "/{}/edit/"),
    ),
    Row(
        "applications/<int:pk>/edit/<slug:section>/",
        "POST",
        APPLICANT_ROLES,
        own_draft(A + "/{}/edit/basic/"),
        foreign=foreign_draft(A + "/{}/edit/basic/"),
        data=lambda w, p: {"title": f"矩阵名称{w.n()}"},
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "applications/<int:pk>/partners/search/",
        "GET",
        APPLICANT_ROLES,
        own_draft(A + "/{}/partners/search/?q=合肥"),
        foreign=foreign_draft(A + "/{}/partners/search/?q=合肥"),
    ),
    Row(
        "applications/<int:pk>/programmes/search/",
        "GET",
        APPLICANT_ROLES,
        own_draft(A + "/{}/programmes/search/?q=4601"),
        foreign=foreign_draft(A + "/{}/programmes/search/?q=4601"),
    ),
    Row(
        "applications/<int:pk>/submit/",
        "POST",
        APPLICANT_ROLES,
        fresh_complete(A + "/{}/submit/"),
        foreign=foreign_draft(A + "/{}/submit/"),
        data=version_of,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "applications/<int:pk>/withdraw/",
        "POST",
        APPLICANT_ROLES,
        fresh_draft(A + "/{}/withdraw/"),
        foreign=foreign_draft(A + "/{}/withdraw/"),
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "applications/<int:pk>/return/",
        "GET",
        RETURN_ROLES,
        fresh_in_chain(A + "/{}/return/", Status.SUBMITTED),
        foreign=foreign_in_chain(A + "/{}/return/", Status.SUBMITTED),
    ),
    Row(
        "applications/<int:pk>/return/",
        "POST",
        RETURN_ROLES,
        fresh_in_chain(A + "/{}/return/", Status.SUBMITTED),
        foreign=foreign_in_chain(A + "/{}/return/", Status.SUBMITTED),
        data=lambda w, p: {"reasons": "请补充共建协议"},
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "applications/<int:pk>/endorse/",
        "POST",
        CITY_ROLES,
        fresh_in_chain(A + "/{}/endorse/", Status.SUBMITTED),
        foreign=foreign_in_chain(A + "/{}/endorse/", Status.SUBMITTED),
        data=lambda w, p: {"rank": w.n() + 1},
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "applications/<int:pk>/accept/",
        "POST",
        PROVINCE_ROLES,
        fresh_in_chain(A + "/{}/accept/", Status.ENDORSED),
        foreign=foreign_in_chain(A + "/{}/accept/", Status.ENDORSED),
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "applications/<int:pk>/attachments/",
        "POST",
        APPLICANT_ROLES,
        fresh_draft(A + "/{}/attachments/"),
        foreign=foreign_draft(A + "/{}/attachments/"),
        data=upload,
        ok=302,
        write=True,
        audited=True,
        multipart=True,
    ),
    Row(
        "applications/<int:pk>/attachments/<int:link_id>/remove/",
        "POST",
        APPLICANT_ROLES,
        own_attachment_link,
        foreign=foreign_attachment_link,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "applications/<int:pk>/versions/",
        "GET",
        READ_ROLES,
        read(A + "/{}/versions/"),
        foreign=read_foreign(A + "/{}/versions/"),
    ),
    Row(
        "applications/<int:pk>/versions/<int:number>/",
        "GET",
        READ_ROLES,
        read(A + "/{}/versions/1/"),
        foreign=read_foreign(A + "/{}/versions/1/"),
    ),
    Row(
        "applications/<int:pk>/versions/<int:a>/diff/<int:b>/",
        "GET",
        READ_ROLES,
        read(A + "/{}/versions/1/diff/1/"),
        foreign=read_foreign(A + "/{}/versions/1/diff/1/"),
    ),
    Row(
        "applications/<int:pk>/pdf/",
        "GET",
        READ_ROLES,
        read(A + "/{}/pdf/"),
        foreign=read_foreign(A + "/{}/pdf/"),
    ),
]

AA = f"{API}/applications"
API_ROWS = [
    Row(f"{AA}", "GET", READ_ROLES, fixed(AA)),
    Row(
        f"{AA}",
        "POST",
        APPLICANT_ROLES,
        fixed_with_data(AA),
        data=create_json,
        ok=201,
        overrides=NOT_ELIGIBLE,
        write=True,
        audited=True,
    ),
    Row(f"{AA}/{{application_id}}", "GET", READ_ROLES, read(AA + "/{}"), foreign=read_foreign(AA + "/{}")),
    Row(
        f"{AA}/{{application_id}}",
        "PATCH",
        APPLICANT_ROLES,
        own_draft(AA + "/{}"),
        foreign=foreign_draft(AA + "/{}"),
        data=lambda w, p: {"title": f"矩阵名称{w.n()}"},
        write=True,
        audited=True,
    ),
    Row(
        f"{AA}/{{application_id}}/submit",
        "POST",
        APPLICANT_ROLES,
        fresh_complete(AA + "/{}/submit"),
        foreign=foreign_draft(AA + "/{}/submit"),
        data=version_of,
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{AA}/{{application_id}}/withdraw",
        "POST",
        APPLICANT_ROLES,
        fresh_draft(AA + "/{}/withdraw"),
        foreign=foreign_draft(AA + "/{}/withdraw"),
        data=lambda w, p: {},
        write=True,
        audited=True,
    ),
    Row(
        f"{AA}/{{application_id}}/return",
        "POST",
        RETURN_ROLES,
        fresh_in_chain(AA + "/{}/return", Status.SUBMITTED),
        foreign=foreign_in_chain(AA + "/{}/return", Status.SUBMITTED),
        data=lambda w, p: {"reasons": ["请补充共建协议"]},
        write=True,
        audited=True,
    ),
    Row(
        f"{AA}/{{application_id}}/endorse",
        "POST",
        CITY_ROLES,
        fresh_in_chain(AA + "/{}/endorse", Status.SUBMITTED),
        foreign=foreign_in_chain(AA + "/{}/endorse", Status.SUBMITTED),
        data=lambda w, p: {"rank": w.n() + 1},
        write=True,
        audited=True,
    ),
    Row(
        f"{AA}/{{application_id}}/accept",
        "POST",
        PROVINCE_ROLES,
        fresh_in_chain(AA + "/{}/accept", Status.ENDORSED),
        foreign=foreign_in_chain(AA + "/{}/accept", Status.ENDORSED),
        data=lambda w, p: {},
        write=True,
        audited=True,
    ),
    Row(
        f"{AA}/{{application_id}}/versions",
        "GET",
        READ_ROLES,
        read(AA + "/{}/versions"),
        foreign=read_foreign(AA + "/{}/versions"),
    ),
    Row(
        f"{AA}/{{application_id}}/versions/{{number}}",
        "GET",
        READ_ROLES,
        read(AA + "/{}/versions/1"),
        foreign=read_foreign(AA + "/{}/versions/1"),
    ),
    Row(
        f"{AA}/{{application_id}}/versions/{{a}}/diff/{{b}}",
        "GET",
        READ_ROLES,
        read(AA + "/{}/versions/1/diff/1"),
        foreign=read_foreign(AA + "/{}/versions/1/diff/1"),
    ),
    Row(
        f"{AA}/{{application_id}}/attachments",
        "POST",
        APPLICANT_ROLES,
        fresh_draft(AA + "/{}/attachments"),
        foreign=foreign_draft(AA + "/{}/attachments"),
        data=upload,
        ok=201,
        write=True,
        audited=True,
        multipart=True,
    ),
    Row(
        f"{AA}/{{application_id}}/pdf",
        "GET",
        READ_ROLES,
        read(AA + "/{}/pdf"),
        foreign=read_foreign(AA + "/{}/pdf"),
    ),
    Row(
        f"{API}/calls/{{call_id}}/applications.xlsx",
        "GET",
        EXPORT_ROLES,
        call_of(API + "/calls/{}/applications.xlsx"),
        foreign=foreign_call(API + "/calls/{}/applications.xlsx"),
    ),
    Row(
        f"{API}/calls/{{call_id}}/received-list/publish",
        "POST",
        PROVINCE_ROLES,
        call_of(API + "/calls/{}/received-list/publish"),
        foreign=foreign_call(API + "/calls/{}/received-list/publish"),
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/public/calls/{{call_id}}/applications",
        "GET",
        PUBLIC,
        published_call(API + "/public/calls/{}/applications"),
    ),
]

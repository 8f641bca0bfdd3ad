"""The role matrix: every page and every API operation, asked by every kind of caller.

The matrix is data: one `Row` per route and method says who may (`who`), which object each
caller is asked about (`url`), which object lies outside their scope (`foreign`), and what the
right role gets (`ok`). From it each caller's expected answer follows:

- anonymous: a page redirects to the login page, the API answers 401 (unless the row is PUBLIC);
- a caller whose role may not: 403, for pages and the API alike;
- a caller whose role may, asked about an object outside their scope (other organisation, other
  city, other province): 404, never 403;
- a caller whose role may, within their scope: `ok` (200, 201 or the 302 after a form).

For a write (`write=True`) every refused call must change nothing: row counts, the audit log and
the organisations' values are compared before and after. An `audited` write must add an entry
when it succeeds.

`test_every_route_is_in_the_matrix` enumerates the project's URL patterns and the API's OpenAPI
operations and fails for any that has no row (and for any row whose route is gone), so a new
endpoint cannot be added without saying who may call it. A later app adds its rows here.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from openpyxl import Workbook

from chanjiao.catalog.models import (
    CatalogueEdition,
    Industry,
    Occupation,
    Programme,
    ProgrammeCategory,
    ProgrammeClass,
)
from chanjiao.core.models import Attachment, AuditEntry, Job
from chanjiao.core.permissions import Role
from chanjiao.orgs.importers import COLUMNS
from chanjiao.orgs.models import ApiToken, Membership, Organization, User
from chanjiao.orgs.permissions import DIRECTORY_ROLES, ORG_EDIT_ROLES, PEOPLE_ROLES
from chanjiao.orgs.services import api_token_create, organization_data
from tests.conftest import PASSWORD, ApiClient, actor_of, client_for
from tests.factories import RegionsFixture, make_org, make_person, make_person_without_org

# --- who may ----------------------------------------------------------------------------------

PUBLIC = "public"  # anyone, logged in or not
ANY = "any"  # any logged-in person, with or without an organisation
MEMBER = "member"  # anyone acting for an organisation, whatever their role there

PROVINCE_ONLY = (Role.PROVINCE_ADMIN,)
AUDIT_ROLES = (Role.PROVINCE_ADMIN, Role.OBSERVER)

ANON = "anonymous"

# persona → (their organisation, their role); the stranger has an account and no organisation.
PERSONAS: dict[str, tuple[str | None, str | None]] = {
    "province": ("province_dept", Role.PROVINCE_ADMIN),
    "observer": ("province_dept", Role.OBSERVER),
    "city": ("city_dept", Role.CITY_ADMIN),
    "school_admin": ("school", Role.ORG_ADMIN),
    "school_staff": ("school", Role.ORG_STAFF),
    "learner": ("school", Role.LEARNER),
    "enterprise": ("enterprise", Role.ORG_ADMIN),
    "expert": ("enterprise", Role.EXPERT),
    "other_admin": ("other_school", Role.ORG_ADMIN),  # another organisation, another city
    "jiangsu": ("jiangsu_dept", Role.PROVINCE_ADMIN),  # another province
    "stranger": (None, None),
}
# The organisation each persona works on, inside their scope (stranger: any, they are refused).
TARGET = {
    "province": "school",
    "observer": "school",
    "city": "school",
    "school_admin": "school",
    "school_staff": "school",
    "learner": "school",
    "enterprise": "enterprise",
    "expert": "enterprise",
    "other_admin": "other_school",
    "jiangsu": "jiangsu_school",
    "stranger": "school",
}
# An organisation outside each persona's scope.
FOREIGN = {
    **dict.fromkeys(PERSONAS, "other_school"),
    "province": "jiangsu_school",
    "observer": "jiangsu_school",
    "jiangsu": "school",
    "other_admin": "school",
}
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


# --- the world every row is asked in ----------------------------------------------------------


@dataclass
class World:
    orgs: dict[str, Organization]
    users: dict[str, User]
    spares: dict[str, User]  # a spare staff member per persona, in their TARGET organisation
    spare_tokens: dict[str, ApiToken]  # a second token per persona, to be revoked
    attachments: dict[str, Attachment]  # one per organisation
    jobs: dict[str, Job]  # one per person
    import_job: Job
    api: dict[str, Any] = field(default_factory=dict)
    pages: dict[str, Client] = field(default_factory=dict)
    serial: itertools.count = field(default_factory=itertools.count)

    def org(self, key: str) -> Organization:
        return self.orgs[key]

    def home(self, persona: str) -> Organization | None:
        key = PERSONAS[persona][0]
        return self.orgs[key] if key else None

    def target(self, persona: str) -> Organization:
        return self.orgs[TARGET[persona]]

    def foreign(self, persona: str) -> Organization:
        return self.orgs[FOREIGN[persona]]

    def spare_in(self, org_key: str) -> User:
        return next(u for p, u in self.spares.items() if TARGET[p] == org_key)

    def attachment_for(self, persona: str) -> Attachment:
        """Province staff and the observer reach their province's files; others their own organisation's."""
        if PERSONAS[persona][1] in AUDIT_ROLES:
            return self.attachments[TARGET[persona]]
        return self.attachments[PERSONAS[persona][0] or "school"]

    def other_persona(self, persona: str) -> str:
        return "school_staff" if persona == "school_admin" else "school_admin"

    def n(self) -> int:
        return next(self.serial)

    def client(self, persona: str, api: bool):
        if persona == ANON:
            return Client()
        if api and persona in self.api:
            return self.api[persona]
        return self.pages[persona]


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    regions = RegionsFixture.create()
    orgs = {
        "province_dept": make_org(
            "安徽省教育厅", kind="department", region=regions.anhui, dept_level="province"
        ),
        "city_dept": make_org("合肥市教育局", kind="department", region=regions.hefei, dept_level="city"),
        "school": make_org(
            "合肥职业技术学院", kind="school", region=regions.hefei_shushan, school_level="associate"
        ),
        "other_school": make_org(
            "芜湖职业技术学院", kind="school", region=regions.wuhu_jinghu, school_level="associate"
        ),
        "enterprise": make_org("合肥智能装备有限公司", kind="enterprise", region=regions.hefei_shushan),
        "jiangsu_dept": make_org(
            "江苏省教育厅", kind="department", region=regions.jiangsu, dept_level="province"
        ),
        "jiangsu_school": make_org(
            "南京工业职业技术大学",
            kind="school",
            region=regions.nanjing_xuanwu,
            school_level="vocational_bachelor",
        ),
    }
    users = {}
    for persona, (org_key, role) in PERSONAS.items():
        if org_key is None:
            users[persona] = make_person_without_org(persona, password=PASSWORD)
        else:
            users[persona] = make_person(persona, orgs[org_key], role, password=PASSWORD)
    spares = {p: make_person(f"spare_{p}", orgs[TARGET[p]], Role.ORG_STAFF) for p in PERSONAS}
    api = {p: ApiClient(users[p]) for p, (org_key, _role) in PERSONAS.items() if org_key is not None}
    api["stranger"] = client_for(users["stranger"])  # no organisation, so no token: a session
    spare_tokens = {
        p: api_token_create(actor=actor_of(users[p]), name="spare")[0]
        for p, (org_key, _role) in PERSONAS.items()
        if org_key is not None
    }
    attachments = {}
    for key, org in orgs.items():
        name = default_storage.save(f"attachments/{key}.pdf", ContentFile(PDF))
        attachments[key] = Attachment.objects.create(
            file=name,
            original_name=f"{key}.pdf",
            size=len(PDF),
            content_type="application/pdf",
            sha256=f"{key:0<64}"[:64],
            owner_organization_id=org.pk,
            owner_region_code=org.region_id,
            uploaded_by=users["province"],
        )
    jobs = {p: Job.objects.create(kind="test", label=p, created_by=u) for p, u in users.items()}
    import_job = Job.objects.create(
        kind="catalog.import.programmes", label="x.xlsx", created_by=users["province"]
    )
    old = CatalogueEdition.objects.create(code="2021", name="2021年专业目录", year=2021)
    new = CatalogueEdition.objects.create(
        code="2024", name="2024年专业目录", year=2024, previous=old, is_current=True
    )
    for edition in (old, new):
        category = ProgrammeCategory.objects.create(
            edition=edition, level="associate", code="46", name="装备制造大类"
        )
        klass = ProgrammeClass.objects.create(
            edition=edition, category=category, level="associate", code="4601", name="机械设计制造类"
        )
        Programme.objects.create(
            edition=edition,
            level="associate",
            code="460101",
            name="机械设计与制造",
            category=category,
            klass=klass,
        )
    Industry.objects.create(code="C", name="制造业", tier=1)
    Occupation.objects.create(code="2-02", name="工程技术人员", tier=2)
    world = World(
        orgs=orgs,
        users=users,
        spares=spares,
        spare_tokens=spare_tokens,
        attachments=attachments,
        jobs=jobs,
        import_job=import_job,
        api=api,
    )
    world.pages = {p: client_for(u) for p, u in users.items()}
    return world


def state() -> tuple:
    """Everything a refused write must leave as it was."""
    return (
        Organization.objects.count(),
        list(Organization.objects.order_by("pk").values_list("pk", "name", "contact_name", "updated_at")),
        User.objects.count(),
        Membership.objects.filter(is_active=True).count(),
        ApiToken.objects.count(),
        ApiToken.objects.filter(revoked_at__isnull=False).count(),
        AuditEntry.objects.count(),
        Attachment.objects.count(),
        Job.objects.count(),
        list(CatalogueEdition.objects.filter(is_current=True).values_list("code", flat=True)),
        list(User.objects.order_by("pk").values_list("password", flat=True)),
        policy_state(),
        review_state(),
    )


def policy_state() -> tuple:
    from chanjiao.policy.models import Call, CityQuota, DeadlineExtension, IndicatorSystem, PolicyPack

    return (
        PolicyPack.objects.count(),
        list(Call.objects.order_by("pk").values_list("pk", "title", "status", "closes_at")),
        CityQuota.objects.count(),
        list(DeadlineExtension.objects.order_by("pk").values_list("pk", "until", "reason")),
        list(IndicatorSystem.objects.order_by("pk").values_list("pk", "is_current")),
    )


# --- rows -------------------------------------------------------------------------------------

Url = Callable[[World, str], "str | None"]


@dataclass(frozen=True)
class Row:
    route: str  # the URL pattern (pages) or the OpenAPI path (API)
    method: str
    who: str | tuple[str, ...]  # PUBLIC, ANY, MEMBER or the roles that may
    url: Url  # what each persona is asked about (None: nothing of theirs to ask about)
    foreign: Url | None = None  # an object outside the persona's scope: 404
    data: Callable[[World, str], Any] | None = None
    ok: int = 200
    anon: int | None = None  # what anonymous gets on a PUBLIC row, when it differs from `ok`
    overrides: dict[str, int] = field(default_factory=dict)  # persona → status, with the reason
    write: bool = False
    audited: bool = False
    multipart: bool = False

    @property
    def is_api(self) -> bool:
        return self.route.startswith("/api/")

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}"


def fixed(path: str) -> Url:
    return lambda w, p: path


def org_url(template: str, pick: Callable[[World, str], Organization] = World.target) -> Url:
    return lambda w, p: template.format(pick(w, p).pk)


def foreign_org_url(template: str) -> Url:
    return lambda w, p: template.format(w.foreign(p).pk)


def spare_membership(w: World, p: str) -> int:
    return Membership.objects.get(user=w.spares[p]).pk


def foreign_membership(w: World, p: str) -> int:
    return Membership.objects.get(user=w.spare_in(FOREIGN[p])).pk


def own_token(w: World, p: str) -> int | None:
    token = w.spare_tokens.get(p)
    return token.pk if token else None


def others_token(w: World, p: str) -> int:
    return w.spare_tokens[w.other_persona(p)].pk


def maybe(template: str, pick: Callable[[World, str], Any]) -> Url:
    def url(w, p):
        value = pick(w, p)
        return None if value is None else template.format(value)

    return url


def new_org_form(w: World, p: str) -> dict:
    region = "320102" if p == "jiangsu" else "340104"
    return {"name": f"矩阵研究所{w.n()}", "kind": "research", "region": region}


def edit_org_form(w: World, p: str) -> dict:
    data = {k: ("" if v is None else v) for k, v in organization_data(w.target(p)).items()}
    data.pop("parent", None)
    data["contact_name"] = f"联系人{w.n()}"
    return data


def invite_form(w: World, p: str) -> dict:
    n = w.n()
    return {
        "organization": w.target(p).pk,
        "role": Role.ORG_STAFF,
        "username": f"invited{n}",
        "display_name": f"新人{n}",
        "email": f"invited{n}@example.cn",
    }


def invite_json(w: World, p: str) -> dict:
    data = invite_form(w, p)
    data["organization_id"] = data.pop("organization")
    return data


def import_upload(w: World, p: str) -> dict:
    wb = Workbook()
    ws = wb.active
    ws.append([header for header, *_rest in COLUMNS])
    region = "320102" if p == "jiangsu" else "340104"
    values = {"name": f"导入研究所{w.n()}", "kind": "research", "region": region}
    ws.append([values.get(f, "") for _header, f, *_rest in COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return {"file": SimpleUploadedFile("orgs.xlsx", buf.getvalue())}


def credentials(w: World, p: str) -> dict:
    return {"username": p, "password": PASSWORD}


def password_change(w: World, p: str) -> dict:
    return {
        "old_password": PASSWORD,
        "new_password1": "Matrix-pass-2027",
        "new_password2": "Matrix-pass-2027",
    }


def pdf_upload(w: World, p: str) -> dict:
    return {"file": SimpleUploadedFile(f"材料{w.n()}.pdf", PDF + str(w.n()).encode())}


TARGET_ORG = org_url("/organizations/{}/")
FOREIGN_ORG = foreign_org_url("/organizations/{}/")

PAGE_ROWS = [
    # dashboards
    Row("", "GET", ANY, fixed("/")),
    # orgs: signing in and out
    Row("login/", "GET", PUBLIC, fixed("/login/"), ok=302, anon=200),  # the logged-in go home
    Row("login/", "POST", PUBLIC, fixed("/login/"), data=credentials, ok=302),
    Row("logout/", "POST", PUBLIC, fixed("/logout/"), ok=302),
    Row("password/", "GET", ANY, fixed("/password/")),
    Row("password/", "POST", ANY, fixed("/password/"), data=password_change, ok=302, write=True),
    Row("password/done/", "GET", ANY, fixed("/password/done/")),
    # a made-up link: the page says it is invalid, for anyone
    Row("password/set/<uidb64>/<token>/", "GET", PUBLIC, fixed("/password/set/MQ/not-a-token/")),
    Row("acting/", "GET", ANY, fixed("/acting/")),
    Row(
        "acting/",
        "POST",
        ANY,
        fixed("/acting/"),
        data=lambda w, p: {"organization": getattr(w.home(p), "pk", 0)},
        ok=302,
        write=True,
    ),
    # orgs: the directory and its writes
    Row("organizations/", "GET", DIRECTORY_ROLES, fixed("/organizations/")),
    Row("organizations/<int:pk>/", "GET", DIRECTORY_ROLES, TARGET_ORG, foreign=FOREIGN_ORG),
    Row("organizations/new/", "GET", PROVINCE_ONLY, fixed("/organizations/new/")),
    Row(
        "organizations/new/",
        "POST",
        PROVINCE_ONLY,
        fixed("/organizations/new/"),
        data=new_org_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "organizations/<int:pk>/edit/",
        "GET",
        ORG_EDIT_ROLES,
        org_url("/organizations/{}/edit/"),
        foreign=foreign_org_url("/organizations/{}/edit/"),
    ),
    Row(
        "organizations/<int:pk>/edit/",
        "POST",
        ORG_EDIT_ROLES,
        org_url("/organizations/{}/edit/"),
        foreign=foreign_org_url("/organizations/{}/edit/"),
        data=edit_org_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row("organizations/import/", "GET", PROVINCE_ONLY, fixed("/organizations/import/")),
    Row(
        "organizations/import/",
        "POST",
        PROVINCE_ONLY,
        fixed("/organizations/import/"),
        data=import_upload,
        ok=302,
        write=True,
        audited=True,
        multipart=True,
    ),
    Row(
        "organizations/import/template.xlsx",
        "GET",
        PROVINCE_ONLY,
        fixed("/organizations/import/template.xlsx"),
    ),
    # orgs: people
    Row("people/", "GET", PEOPLE_ROLES, fixed("/people/")),
    Row("people/invite/", "GET", PEOPLE_ROLES, fixed("/people/invite/")),
    Row(
        "people/invite/",
        "POST",
        PEOPLE_ROLES,
        fixed("/people/invite/"),
        data=invite_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "memberships/<int:pk>/revoke/",
        "POST",
        PEOPLE_ROLES,
        maybe("/memberships/{}/revoke/", spare_membership),
        foreign=maybe("/memberships/{}/revoke/", foreign_membership),
        ok=302,
        write=True,
        audited=True,
    ),
    # orgs: tokens (a person's own; the stranger has none and acts for no organisation)
    Row("tokens/", "GET", ANY, fixed("/tokens/")),
    Row(
        "tokens/",
        "POST",
        MEMBER,
        fixed("/tokens/"),
        data=lambda w, p: {"name": "矩阵", "days": 30},
        write=True,
        audited=True,
    ),
    Row(
        "tokens/<int:pk>/revoke/",
        "POST",
        ANY,
        maybe("/tokens/{}/revoke/", own_token),
        foreign=maybe("/tokens/{}/revoke/", others_token),
        ok=302,
        write=True,
        audited=True,
    ),
    # core: audit log, attachments (owner organisation and province staff), jobs (their creator)
    Row("audit/", "GET", AUDIT_ROLES, fixed("/audit/")),
    Row("audit/export.xlsx", "GET", AUDIT_ROLES, fixed("/audit/export.xlsx")),
    Row(
        "attachments/<int:pk>/",
        "GET",
        MEMBER,
        maybe("/attachments/{}/", lambda w, p: w.attachment_for(p).pk),
        foreign=maybe("/attachments/{}/", lambda w, p: w.attachments[FOREIGN[p]].pk),
    ),
    Row(
        "jobs/<int:pk>/",
        "GET",
        ANY,
        maybe("/jobs/{}/", lambda w, p: w.jobs[p].pk),
        foreign=maybe("/jobs/{}/", lambda w, p: w.jobs[w.other_persona(p)].pk),
    ),
    # catalog: browsing is for anyone logged in; editions and imports for province staff.
    # The catalogue is national reference data, so it has no province scope.
    Row("catalog/", "GET", ANY, fixed("/catalog/")),
    Row("catalog/industries/", "GET", ANY, fixed("/catalog/industries/")),
    Row("catalog/occupations/", "GET", ANY, fixed("/catalog/occupations/")),
    Row("catalog/editions/", "GET", ANY, fixed("/catalog/editions/")),
    Row("catalog/editions/diff/", "GET", ANY, fixed("/catalog/editions/diff/")),
    Row("catalog/editions/diff.xlsx", "GET", ANY, fixed("/catalog/editions/diff.xlsx")),
    Row(
        "catalog/editions/<slug:code>/make-current/",
        "POST",
        PROVINCE_ONLY,
        fixed("/catalog/editions/2021/make-current/"),
        ok=302,
        write=True,
    ),
    Row("catalog/import/", "GET", PROVINCE_ONLY, fixed("/catalog/import/")),
    Row("catalog/import/programmes/", "GET", PROVINCE_ONLY, fixed("/catalog/import/programmes/")),
    # an empty form: the page shows what is missing and imports nothing
    Row(
        "catalog/import/programmes/", "POST", PROVINCE_ONLY, fixed("/catalog/import/programmes/"), write=True
    ),
    Row(
        "catalog/import/programmes/template.xlsx",
        "GET",
        PROVINCE_ONLY,
        fixed("/catalog/import/programmes/template.xlsx"),
    ),
    Row("catalog/import/industries/", "GET", PROVINCE_ONLY, fixed("/catalog/import/industries/")),
    Row(
        "catalog/import/industries/", "POST", PROVINCE_ONLY, fixed("/catalog/import/industries/"), write=True
    ),
    Row("catalog/import/occupations/", "GET", PROVINCE_ONLY, fixed("/catalog/import/occupations/")),
    Row(
        "catalog/import/occupations/",
        "POST",
        PROVINCE_ONLY,
        fixed("/catalog/import/occupations/"),
        write=True,
    ),
    Row(
        "catalog/import/jobs/<int:pk>/",
        "GET",
        PROVINCE_ONLY,
        lambda w, p: f"/catalog/import/jobs/{w.import_job.pk}/",
    ),
    # the API's own pages: its description is public; its root has no view
    Row("api/v1/openapi.json", "GET", PUBLIC, fixed("/api/v1/openapi.json")),
    Row("api/v1/docs", "GET", PUBLIC, fixed("/api/v1/docs")),
    Row("api/v1/", "GET", PUBLIC, fixed("/api/v1/"), ok=404),
]

API = "/api/v1"
API_ROWS = [
    # orgs: authentication and the caller (the stranger has no organisation to bind a token to)
    Row(
        f"{API}/auth/token",
        "POST",
        PUBLIC,
        fixed(f"{API}/auth/token"),
        data=credentials,
        overrides={"stranger": 403},
        write=True,
        audited=True,
    ),
    Row(f"{API}/me", "GET", ANY, fixed(f"{API}/me")),
    Row(f"{API}/tokens", "GET", ANY, fixed(f"{API}/tokens")),
    Row(
        f"{API}/tokens",
        "POST",
        MEMBER,
        fixed(f"{API}/tokens"),
        data=lambda w, p: {"name": "矩阵"},
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/tokens/{{token_id}}/revoke",
        "POST",
        ANY,
        maybe(f"{API}/tokens/{{}}/revoke", own_token),
        foreign=maybe(f"{API}/tokens/{{}}/revoke", others_token),
        write=True,
        audited=True,
    ),
    # orgs: organisations
    Row(f"{API}/organizations", "GET", DIRECTORY_ROLES, fixed(f"{API}/organizations")),
    Row(
        f"{API}/organizations",
        "POST",
        PROVINCE_ONLY,
        fixed(f"{API}/organizations"),
        data=new_org_form,
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/organizations/{{org_id}}",
        "GET",
        DIRECTORY_ROLES,
        org_url(f"{API}/organizations/{{}}"),
        foreign=foreign_org_url(f"{API}/organizations/{{}}"),
    ),
    Row(
        f"{API}/organizations/{{org_id}}",
        "PATCH",
        ORG_EDIT_ROLES,
        org_url(f"{API}/organizations/{{}}"),
        foreign=foreign_org_url(f"{API}/organizations/{{}}"),
        data=lambda w, p: {"contact_name": f"联系人{w.n()}"},
        write=True,
        audited=True,
    ),
    # orgs: people and memberships
    Row(f"{API}/people", "GET", PEOPLE_ROLES, fixed(f"{API}/people")),
    Row(
        f"{API}/people",
        "POST",
        PEOPLE_ROLES,
        fixed(f"{API}/people"),
        data=invite_json,
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/people/{{person_id}}",
        "GET",
        PEOPLE_ROLES,
        lambda w, p: f"{API}/people/{w.spares[p].pk}",
        foreign=lambda w, p: f"{API}/people/{w.spare_in(FOREIGN[p]).pk}",
    ),
    Row(
        f"{API}/memberships/{{membership_id}}/revoke",
        "POST",
        PEOPLE_ROLES,
        maybe(f"{API}/memberships/{{}}/revoke", spare_membership),
        foreign=maybe(f"{API}/memberships/{{}}/revoke", foreign_membership),
        write=True,
        audited=True,
    ),
    # core
    Row(f"{API}/regions", "GET", ANY, fixed(f"{API}/regions")),
    Row(
        f"{API}/attachments",
        "POST",
        MEMBER,
        fixed(f"{API}/attachments"),
        data=pdf_upload,
        ok=201,
        write=True,
        audited=True,
        multipart=True,
    ),
    # The API answers 404 (not 403) to the stranger: it has no role gate, and a person acting for
    # no organisation sees no attachment. The page answers 403. Both refuse; neither confirms.
    Row(
        f"{API}/attachments/{{attachment_id}}",
        "GET",
        MEMBER,
        maybe(f"{API}/attachments/{{}}", lambda w, p: w.attachment_for(p).pk),
        foreign=maybe(f"{API}/attachments/{{}}", lambda w, p: w.attachments[FOREIGN[p]].pk),
        overrides={"stranger": 404},
    ),
    Row(
        f"{API}/attachments/{{attachment_id}}/download",
        "GET",
        MEMBER,
        maybe(f"{API}/attachments/{{}}/download", lambda w, p: w.attachment_for(p).pk),
        foreign=maybe(f"{API}/attachments/{{}}/download", lambda w, p: w.attachments[FOREIGN[p]].pk),
        overrides={"stranger": 404},
    ),
    Row(
        f"{API}/jobs/{{job_id}}",
        "GET",
        ANY,
        lambda w, p: f"{API}/jobs/{w.jobs[p].pk}",
        foreign=lambda w, p: f"{API}/jobs/{w.jobs[w.other_persona(p)].pk}",
    ),
    # catalog: reference data for anyone logged in
    Row(f"{API}/programmes", "GET", ANY, fixed(f"{API}/programmes")),
    Row(f"{API}/programmes/{{code}}", "GET", ANY, fixed(f"{API}/programmes/460101")),
    Row(f"{API}/industries", "GET", ANY, fixed(f"{API}/industries")),
    Row(f"{API}/industries/{{code}}", "GET", ANY, fixed(f"{API}/industries/C")),
    Row(f"{API}/occupations", "GET", ANY, fixed(f"{API}/occupations")),
    Row(f"{API}/occupations/{{code}}", "GET", ANY, fixed(f"{API}/occupations/2-02")),
    Row(f"{API}/catalogue-editions", "GET", ANY, fixed(f"{API}/catalogue-editions")),
    Row(f"{API}/catalogue-editions/{{code}}/diff", "GET", ANY, fixed(f"{API}/catalogue-editions/2024/diff")),
]

# Later apps keep their rows beside their tests and add them here.
from tests.applications.matrix import API_ROWS as APPLICATION_API_ROWS  # noqa: E402
from tests.applications.matrix import PAGE_ROWS as APPLICATION_PAGE_ROWS  # noqa: E402
from tests.core import matrix_notifications  # noqa: E402
from tests.dashboards import matrix as dashboards_matrix  # noqa: E402
from tests.policy.matrix import API_ROWS as POLICY_API_ROWS  # noqa: E402
from tests.policy.matrix import PAGE_ROWS as POLICY_PAGE_ROWS  # noqa: E402
from tests.projects import matrix as projects_matrix  # noqa: E402
from tests.projects import (  # noqa: E402
    matrix_assessment,
    matrix_assessment_pages,
    matrix_record,
    matrix_reports,
    matrix_taskbook,
)
from tests.review import matrix_panel, matrix_publicity, matrix_scoring, matrix_trail  # noqa: E402
from tests.review.matrix import API_ROWS as REVIEW_API_ROWS  # noqa: E402
from tests.review.matrix import PAGE_ROWS as REVIEW_PAGE_ROWS  # noqa: E402
from tests.review.matrix import review_state  # noqa: E402

PAGE_ROWS += POLICY_PAGE_ROWS + APPLICATION_PAGE_ROWS + REVIEW_PAGE_ROWS
API_ROWS += POLICY_API_ROWS + APPLICATION_API_ROWS + REVIEW_API_ROWS
for _rows in (
    matrix_scoring,
    matrix_panel,
    matrix_publicity,
    projects_matrix,
    matrix_taskbook,
    matrix_reports,
    matrix_notifications,
    matrix_trail,
    matrix_assessment,
    matrix_assessment_pages,
    matrix_record,
    dashboards_matrix,
):
    PAGE_ROWS += _rows.PAGE_ROWS
    API_ROWS += _rows.API_ROWS

ROWS = PAGE_ROWS + API_ROWS

# Routes the matrix leaves out on purpose, each with its reason. Nothing else may be left out.
EXCLUDED_PREFIXES = {
    "admin/": "Django's admin: the back office, guarded by Django's own is_staff check",
    "i18n/": "Django's set_language: switches the interface language, for anyone",
    "media/": "uploaded files, served by static() only when DEBUG is on",
    "static/": "static files, served by static() only when DEBUG is on",
}


# --- enumerating the project's routes ---------------------------------------------------------


def url_routes(patterns=None, prefix: str = "") -> list[str]:
    """Every URL pattern of the project as its full route string, e.g. organizations/<int:pk>/."""
    routes = []
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            routes += url_routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            routes.append(prefix + str(p.pattern))
    return routes


def as_openapi_path(route: str) -> str:
    """api/v1/tokens/<token_id>/revoke → /api/v1/tokens/{token_id}/revoke"""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def api_operations() -> set[tuple[str, str]]:
    from chanjiao.api import api

    schema = api.get_openapi_schema()
    return {(path, method.upper()) for path, ops in schema["paths"].items() for method in ops}


def test_every_route_is_in_the_matrix():
    # given the project's URL patterns and the API's OpenAPI operations
    operations = api_operations()
    api_paths = {path for path, _method in operations}
    page_routes = {r.route for r in PAGE_ROWS}
    routes = set(url_routes())
    # then every page route has a row (routes under the API are its operations), or an excuse
    missing_pages = sorted(
        r
        for r in routes
        if r not in page_routes
        and as_openapi_path(r) not in api_paths
        and not any(r.startswith(prefix) for prefix in EXCLUDED_PREFIXES)
    )
    # and every API operation has a row for its method
    missing_ops = sorted(operations - {(r.route, r.method) for r in API_ROWS})
    # and no row names a route that is gone
    stale = sorted(
        {r.id for r in PAGE_ROWS if r.route not in routes}
        | {r.id for r in API_ROWS if r.route not in api_paths}
    )
    assert missing_pages == [], f"pages without a row in the role matrix: {missing_pages}"
    assert missing_ops == [], f"API operations without a row in the role matrix: {missing_ops}"
    assert stale == [], f"role matrix rows for routes that no longer exist: {stale}"


def test_rows_are_unique():
    ids = [r.id for r in ROWS]
    assert len(ids) == len(set(ids))


# --- asking every persona ---------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    persona: str
    url: str
    expected: int
    refused: bool


def asks(row: Row, world: World) -> list[Ask]:
    """What each persona is asked and should get; refusals first, so the writes that succeed
    come after every check that nothing changed."""
    result = []
    anon_url = row.url(world, "school_admin") or row.foreign(world, "school_admin")
    if row.who == PUBLIC:
        status = row.anon if row.anon is not None else row.ok
        result.append(Ask(ANON, anon_url, status, refused=status >= 400))
    else:
        result.append(Ask(ANON, anon_url, 401 if row.is_api else 302, refused=True))
    for persona, (org_key, role) in PERSONAS.items():
        if row.who in (PUBLIC, ANY):
            may = True
        elif row.who == MEMBER:
            may = org_key is not None
        else:
            may = role in row.who
        url = row.url(world, persona)
        if persona in row.overrides:
            status = row.overrides[persona]
            result.append(Ask(persona, url or row.foreign(world, persona), status, refused=status >= 400))
            continue
        if not may:
            result.append(Ask(persona, url or anon_url, 403, refused=True))
            continue
        if row.foreign is not None:
            result.append(Ask(persona, row.foreign(world, persona), 404, refused=True))
        if url is not None:
            result.append(Ask(persona, url, row.ok, refused=False))
    return sorted(result, key=lambda a: not a.refused)


def send(row: Row, world: World, ask: Ask):
    client = world.client(ask.persona, row.is_api)
    # anonymous sends what the school's admin would, so only the missing login differs
    data = row.data(world, "school_admin" if ask.persona == ANON else ask.persona) if row.data else None
    method = row.method.lower()
    if isinstance(client, ApiClient):
        if row.multipart:
            return client.client.post(ask.url, data=data, headers=client.headers)
        return getattr(client, method)(ask.url, data) if method != "get" else client.get(ask.url)
    if method == "get":
        return client.get(ask.url)
    if row.is_api and not row.multipart:
        return getattr(client, method)(ask.url, data=json.dumps(data or {}), content_type="application/json")
    return getattr(client, method)(ask.url, data or {})


def check_row(row: Row, world: World) -> list[str]:
    """Asks every persona; returns what went against the matrix (empty when all is as it says)."""
    problems = []
    for ask in asks(row, world):
        assert ask.url, f"{row.id}: no URL for {ask.persona}"
        match = resolve(ask.url.split("?")[0])
        asked_route = as_openapi_path(match.route) if row.is_api else match.route
        assert asked_route == row.route, f"{row.id}: {ask.url} is {asked_route}, not this row's route"
        before = state() if row.write else None
        response = send(row, world, ask)
        status = response.status_code
        if status != ask.expected:
            problems.append(f"{row.id} as {ask.persona} ({ask.url}): {status}, expected {ask.expected}")
            continue
        login_expected = ask.persona == ANON and not row.is_api and row.who != PUBLIC
        if login_expected and not response["Location"].startswith("/login/"):
            problems.append(f"{row.id} as {ANON}: redirected to {response['Location']}, not the login page")
        if row.write and ask.refused and state() != before:
            problems.append(f"{row.id} as {ask.persona}: refused with {status}, but something changed")
        if row.audited and not ask.refused and AuditEntry.objects.count() <= before[6]:
            problems.append(f"{row.id} as {ask.persona}: succeeded with {status}, but wrote no audit entry")
    return problems


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_role_matrix(row, world):
    problems = check_row(row, world)
    assert problems == [], "\n".join(problems)


def test_the_matrix_check_fails_when_a_row_is_wrong(world):
    # given rows that claim what is not so: learners browsing the directory, experts creating
    # organisations, and a scoped page whose out-of-scope object is in fact in scope
    wrong = [
        Row("organizations/", "GET", (Role.LEARNER,), fixed("/organizations/")),
        Row(
            f"{API}/organizations",
            "POST",
            (Role.EXPERT,),
            fixed(f"{API}/organizations"),
            data=new_org_form,
            ok=201,
            write=True,
        ),
        Row("organizations/<int:pk>/", "GET", DIRECTORY_ROLES, TARGET_ORG, foreign=TARGET_ORG),
    ]
    # then the check reports each of them
    for row in wrong:
        assert check_row(row, world), row.id

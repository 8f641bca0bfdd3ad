"""The policy app's rows of the role matrix (tests/test_role_matrix.py), and the data they ask about.

The data is made the first time a row asks for it, in the matrix's own world: both shipped packs,
and in each province (Anhui, the world's own; Jiangsu, the other) a draft and a published call.
Packs, project types and indicator systems are the plans themselves: anyone logged in reads them.
Calls are scoped: province staff and the observer see their province's, city staff its published
ones, school and enterprise staff the published ones they may apply for; learners, experts and
people without an organisation none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from chanjiao.core.permissions import Role
from chanjiao.policy.models import Call, IndicatorSystem, PolicyPack, ProjectType
from chanjiao.policy.services import indicator_system_document, load_shipped_packs
from tests.test_role_matrix import ANY, API, Row, World, fixed

from .factories import make_call

PROVINCE_ONLY = (Role.PROVINCE_ADMIN,)
ANHUI, JIANGSU = "anhui-wanjiang", "jiangsu-integration-platform"

# The published call each persona reads (None: they see no call) and one outside their scope.
READS = {
    "province": "anhui",
    "observer": "anhui",
    "city": "anhui",
    "school_admin": "anhui",
    "school_staff": "anhui",
    "enterprise": "anhui",
    "other_admin": "anhui",
    "jiangsu": "jiangsu",
}
FOREIGN = {"jiangsu": "anhui"}  # everyone else: the Jiangsu call


@dataclass
class Data:
    packs: dict[str, PolicyPack]
    drafts: dict[str, Call]
    published: dict[str, Call]
    systems: dict[str, IndicatorSystem]
    project_type: ProjectType


def data(w: World) -> Data:
    cached = w.__dict__.get("_policy")
    if cached is not None:
        return cached
    list(load_shipped_packs())
    packs = {
        "anhui": PolicyPack.objects.get(code=ANHUI, is_current=True),
        "jiangsu": PolicyPack.objects.get(code=JIANGSU, is_current=True),
    }
    types = {"anhui": ["training-base", "iei-enterprise"], "jiangsu": None}
    d = Data(
        packs=packs,
        drafts={
            k: make_call(p, types=types[k], status=Call.Status.DRAFT, title=f"{k}草稿")
            for k, p in packs.items()
        },
        published={k: make_call(p, types=types[k], title=f"{k}通知") for k, p in packs.items()},
        systems={
            k: IndicatorSystem.objects.filter(pack=p).order_by("code").first() for k, p in packs.items()
        },
        project_type=ProjectType.objects.get(pack=packs["anhui"], code="training-base"),
    )
    w.__dict__["_policy"] = d
    return d


def own_province(p: str) -> str:
    return "jiangsu" if p == "jiangsu" else "anhui"


def other_province(p: str) -> str:
    return "anhui" if p == "jiangsu" else "jiangsu"


def with_data(template: str, pick):
    def url(w: World, p: str):
        value = pick(data(w), p)
        return None if value is None else template.format(value)

    return url


def read_call(template: str):
    return with_data(template, lambda d, p: d.published[READS[p]].pk if p in READS else None)


def foreign_call(template: str):
    return with_data(template, lambda d, p: d.published[FOREIGN.get(p, "jiangsu")].pk)


def own_draft(template: str):
    return with_data(template, lambda d, p: d.drafts[own_province(p)].pk)


def foreign_draft(template: str):
    return with_data(template, lambda d, p: d.drafts[other_province(p)].pk)


def own_published(template: str):
    return with_data(template, lambda d, p: d.published[own_province(p)].pk)


def foreign_published(template: str):
    return with_data(template, lambda d, p: d.published[other_province(p)].pk)


def own_system(template: str):
    return with_data(template, lambda d, p: d.systems[own_province(p)].pk)


def _pack_code(p: str) -> str:
    return JIANGSU if p == "jiangsu" else ANHUI


def call_form(w: World, p: str) -> dict[str, Any]:
    return {
        "title": f"矩阵通知{w.n()}",
        "project_types": ["integration-platform"] if p == "jiangsu" else ["training-base"],
        "opens_at": "2030-03-01T09:00",
        "closes_at": "2030-03-31T17:00",
    }


def call_json(w: World, p: str) -> dict[str, Any]:
    return {
        "pack": _pack_code(p),
        "title": f"矩阵通知{w.n()}",
        "project_types": ["integration-platform"] if p == "jiangsu" else ["training-base"],
        "opens_at": "2030-03-01T09:00:00+08:00",
        "closes_at": "2030-03-31T17:00:00+08:00",
    }


def extension_form(w: World, p: str) -> dict[str, Any]:
    applicant = w.org("jiangsu_school" if p == "jiangsu" else "school")
    return {"applicant": applicant.pk, "until": "2099-01-01T00:00", "reason": f"矩阵延期{w.n()}"}


def extension_json(w: World, p: str) -> dict[str, Any]:
    applicant = w.org("jiangsu_school" if p == "jiangsu" else "school")
    return {"applicant_id": applicant.pk, "until": "2099-01-01T00:00:00+08:00", "reason": f"矩阵延期{w.n()}"}


def system_yaml(w: World, p: str) -> dict[str, Any]:
    system = data(w).systems[own_province(p)]
    document = indicator_system_document(system)
    document["name"] = f"{document['name']}（修订{w.n()}）"
    return {"document": yaml.safe_dump(document, allow_unicode=True, sort_keys=False)}


def system_json(w: World, p: str) -> dict[str, Any]:
    system = data(w).systems[own_province(p)]
    document = indicator_system_document(system)
    return {
        "name": f"{document['name']}（修订{w.n()}）",
        "note": document["note"],
        "total": document["total"],
        "inputs": document["inputs"],
        "indicators": document["indicators"],
        "vetoes": document["vetoes"],
    }


PAGE_ROWS = [
    Row("policy/", "GET", ANY, fixed("/policy/")),
    Row("policy/packs/<slug:code>/", "GET", ANY, with_data("/policy/packs/{}/", lambda d, p: ANHUI)),
    Row(
        "policy/project-types/<int:pk>/",
        "GET",
        ANY,
        with_data("/policy/project-types/{}/", lambda d, p: d.project_type.pk),
    ),
    Row(
        "policy/indicator-systems/<int:pk>/",
        "GET",
        ANY,
        own_system("/policy/indicator-systems/{}/"),
    ),
    # editing another province's system is refused with 403: the system itself is public
    Row(
        "policy/indicator-systems/<int:pk>/edit/",
        "GET",
        PROVINCE_ONLY,
        own_system("/policy/indicator-systems/{}/edit/"),
    ),
    Row(
        "policy/indicator-systems/<int:pk>/edit/",
        "POST",
        PROVINCE_ONLY,
        own_system("/policy/indicator-systems/{}/edit/"),
        data=system_yaml,
        ok=302,
        write=True,
        audited=True,
    ),
    Row("policy/calls/", "GET", ANY, fixed("/policy/calls/")),
    Row(
        "policy/calls/new/",
        "GET",
        PROVINCE_ONLY,
        with_data("/policy/calls/new/?pack={}", lambda d, p: _pack_code(p)),
    ),
    Row(
        "policy/calls/new/",
        "POST",
        PROVINCE_ONLY,
        with_data("/policy/calls/new/?pack={}", lambda d, p: _pack_code(p)),
        data=call_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "policy/calls/<int:pk>/",
        "GET",
        ANY,
        read_call("/policy/calls/{}/"),
        foreign=foreign_call("/policy/calls/{}/"),
    ),
    Row(
        "policy/calls/<int:pk>/edit/",
        "GET",
        PROVINCE_ONLY,
        own_draft("/policy/calls/{}/edit/"),
        foreign=foreign_draft("/policy/calls/{}/edit/"),
    ),
    Row(
        "policy/calls/<int:pk>/edit/",
        "POST",
        PROVINCE_ONLY,
        own_draft("/policy/calls/{}/edit/"),
        foreign=foreign_draft("/policy/calls/{}/edit/"),
        data=call_form,
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "policy/calls/<int:pk>/publish/",
        "POST",
        PROVINCE_ONLY,
        own_draft("/policy/calls/{}/publish/"),
        foreign=foreign_draft("/policy/calls/{}/publish/"),
        ok=302,
        write=True,
        audited=True,
    ),
    Row(
        "policy/calls/<int:pk>/extensions/",
        "GET",
        PROVINCE_ONLY,
        own_published("/policy/calls/{}/extensions/"),
        foreign=foreign_published("/policy/calls/{}/extensions/"),
    ),
    Row(
        "policy/calls/<int:pk>/extensions/",
        "POST",
        PROVINCE_ONLY,
        own_published("/policy/calls/{}/extensions/"),
        foreign=foreign_published("/policy/calls/{}/extensions/"),
        data=extension_form,
        ok=302,
        write=True,
        audited=True,
    ),
]

API_ROWS = [
    Row(f"{API}/policy-packs", "GET", ANY, fixed(f"{API}/policy-packs")),
    Row(
        f"{API}/policy-packs/{{code}}", "GET", ANY, with_data(f"{API}/policy-packs/{{}}", lambda d, p: ANHUI)
    ),
    Row(f"{API}/project-types", "GET", ANY, with_data(f"{API}/project-types?pack={{}}", lambda d, p: ANHUI)),
    Row(
        f"{API}/project-types/{{type_id}}",
        "GET",
        ANY,
        with_data(f"{API}/project-types/{{}}", lambda d, p: d.project_type.pk),
    ),
    Row(f"{API}/indicator-systems/{{system_id}}", "GET", ANY, own_system(f"{API}/indicator-systems/{{}}")),
    Row(
        f"{API}/indicator-systems/{{system_id}}/versions",
        "POST",
        PROVINCE_ONLY,
        own_system(f"{API}/indicator-systems/{{}}/versions"),
        data=system_json,
        ok=201,
        write=True,
        audited=True,
    ),
    Row(f"{API}/calls", "GET", ANY, fixed(f"{API}/calls")),
    Row(
        f"{API}/calls",
        "POST",
        PROVINCE_ONLY,
        with_data(f"{API}/calls", lambda d, p: ""),
        data=call_json,
        ok=201,
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/calls/{{call_id}}",
        "GET",
        ANY,
        read_call(f"{API}/calls/{{}}"),
        foreign=foreign_call(f"{API}/calls/{{}}"),
    ),
    Row(
        f"{API}/calls/{{call_id}}",
        "PATCH",
        PROVINCE_ONLY,
        own_draft(f"{API}/calls/{{}}"),
        foreign=foreign_draft(f"{API}/calls/{{}}"),
        data=lambda w, p: {"title": f"改名{w.n()}"},
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/calls/{{call_id}}/publish",
        "POST",
        PROVINCE_ONLY,
        own_draft(f"{API}/calls/{{}}/publish"),
        foreign=foreign_draft(f"{API}/calls/{{}}/publish"),
        write=True,
        audited=True,
    ),
    Row(
        f"{API}/calls/{{call_id}}/extensions",
        "POST",
        PROVINCE_ONLY,
        own_published(f"{API}/calls/{{}}/extensions"),
        foreign=foreign_published(f"{API}/calls/{{}}/extensions"),
        data=extension_json,
        ok=201,
        write=True,
        audited=True,
    ),
]

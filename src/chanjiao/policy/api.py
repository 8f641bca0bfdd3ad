"""Policy packs, project types, indicator systems and calls over the API: thin endpoints.

No `from __future__ import annotations` here: ninja must see the `Query[...]` class itself.
"""

from typing import Any

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from chanjiao.core.api_support import PagePagination
from chanjiao.core.errors import NotFound, ValidationFailed
from chanjiao.orgs.models import Organization

from . import selectors, services
from .models import DEFAULT_MARK, Indicator, IndicatorSystem
from .permissions import require_call_writer
from .schemas import (
    CallIn,
    CallOut,
    CallPatch,
    ExtensionIn,
    ExtensionOut,
    IndicatorSystemEditIn,
    IndicatorSystemOut,
    PackDetailOut,
    PackOut,
    ProjectTypeDetailOut,
    ProjectTypeOut,
)

router = Router(tags=["政策包与申报通知"])


# --- packs and project types -------------------------------------------------------------------


@router.get("/policy-packs", response=list[PackOut], summary="政策包（各政策包的现行版本）")
@paginate(PagePagination)
def pack_list(request):
    return selectors.packs_for(request.actor)


@router.get("/policy-packs/{code}", response=PackDetailOut, summary="政策包详情及其全部版本")
def pack_detail(request, code: str, version: str | None = None):
    pack = selectors.pack_get_for(actor=request.actor, code=code, version=version)
    pack.versions = list(selectors.pack_versions(request.actor, code))
    pack.project_type_count = pack.project_types.count()
    pack.indicator_system_ids = list(
        selectors.indicator_systems_for(actor=request.actor, pack=pack).values_list("pk", flat=True)
    )
    return pack


class ProjectTypeFilters(Schema):
    pack: str = ""
    version: str = ""


@router.get(
    "/project-types", response=list[ProjectTypeOut], summary="项目类型（?pack=政策包代码&version=版本）"
)
@paginate(PagePagination)
def project_type_list(request, filters: Query[ProjectTypeFilters]):
    actor = request.actor
    if filters.pack:
        pack = selectors.pack_get_for(actor=actor, code=filters.pack, version=filters.version or None)
        return selectors.project_types_for(actor=actor, pack=pack)
    if filters.version:
        raise ValidationFailed.single(
            "version", "policy.version_without_pack", _("指定版本时须同时指定政策包（pack）")
        )
    return selectors.project_types_for(actor=actor, pack=None)


@router.get(
    "/project-types/{type_id}",
    response=ProjectTypeDetailOut,
    summary="项目类型详情：申报单位须满足的每条规则及其依据",
)
def project_type_detail(request, type_id: int):
    return selectors.project_type_get_for(actor=request.actor, pk=type_id)


# --- indicator systems ---------------------------------------------------------------------------


def _indicator(node: dict[str, Any], system: IndicatorSystem) -> dict[str, Any]:
    row: Indicator = node["indicator"]
    return _row(row, system, [_indicator(c, system) for c in node["children"]])


def _row(row: Indicator, system: IndicatorSystem, children: list) -> dict[str, Any]:
    return {
        "code": row.code,
        "level": row.level,
        "name": row.name,
        "description": row.description,
        "method": row.method,
        "weight": str(row.weight),
        "min_score": None if row.min_score is None else str(row.min_score),
        "max_score": None if row.max_score is None else str(row.max_score),
        "formula": row.formula,
        "is_default": row.is_default,
        "source": {"plan": system.pack.plan_name, "section": row.source_section}
        if row.source_section
        else None,
        "children": children,
    }


def _system_out(system: IndicatorSystem) -> dict[str, Any]:
    roots, vetoes = selectors.indicator_tree(system)
    return {
        "id": system.pk,
        "code": system.code,
        "version": system.version,
        "name": system.name,
        "purpose": system.purpose,
        "pack_code": system.pack.code,
        "pack_version": system.pack.version,
        "project_types": list(system.project_type_codes),
        "total": str(system.total),
        "inputs": list(system.inputs),
        "is_default": system.is_default,
        "default_label": DEFAULT_MARK if system.is_default else None,
        "is_current": system.is_current,
        "note": system.note,
        "source": {"plan": system.pack.plan_name, "section": system.source_section},
        "created_at": system.created_at,
        "indicators": [_indicator(n, system) for n in roots],
        "vetoes": [_row(v, system, []) for v in vetoes],
    }


@router.get(
    "/indicator-systems/{system_id}",
    response=IndicatorSystemOut,
    summary="指标体系：一级、二级、三级指标及分值、评分方式、达标项和一票否决项",
)
def indicator_system_detail(request, system_id: int):
    return _system_out(selectors.indicator_system_get_for(actor=request.actor, pk=system_id))


@router.post(
    "/indicator-systems/{system_id}/versions",
    response={201: IndicatorSystemOut},
    summary="修改指标体系：保存为新版本（本省省级管理员）",
)
def indicator_system_edit(request, system_id: int, payload: IndicatorSystemEditIn):
    require_call_writer(request.actor)
    system = selectors.indicator_system_get_for(actor=request.actor, pk=system_id)
    data = payload.dict(exclude_none=True)
    new = services.indicator_system_edit(actor=request.actor, system=system, data=data)
    return Status(201, _system_out(selectors.indicator_system_get_for(actor=request.actor, pk=new.pk)))


# --- calls ---------------------------------------------------------------------------------------


class CallFilters(Schema):
    status: str = ""
    pack: str = ""


@router.get(
    "/calls",
    response=list[CallOut],
    summary="申报通知（按权限范围；申报单位只见可申报的通知及本单位的截止时间）",
)
@paginate(PagePagination)
def call_list(request, filters: Query[CallFilters]):
    return selectors.calls_for(request.actor, status=filters.status, pack=filters.pack).prefetch_related(
        "quotas"
    )


@router.post("/calls", response={201: CallOut}, summary="新建申报通知（草稿；本省省级管理员）")
def call_create(request, payload: CallIn):
    actor = request.actor
    require_call_writer(actor)
    try:
        pack = selectors.pack_get_for(actor=actor, code=payload.pack, version=payload.version)
    except NotFound:
        raise ValidationFailed.single(
            "pack",
            "call.pack_unknown",
            _("政策包“%(code)s”（版本 %(v)s）不存在")
            % {"code": payload.pack, "v": payload.version or "现行"},
        ) from None
    data = payload.dict(exclude={"pack", "version"})
    call = services.call_create(actor=actor, pack=pack, data=data)
    return Status(201, selectors.call_get_for(actor=actor, pk=call.pk))


@router.get("/calls/{call_id}", response=CallOut, summary="申报通知详情")
def call_detail(request, call_id: int):
    return selectors.call_get_for(actor=request.actor, pk=call_id)


@router.patch("/calls/{call_id}", response=CallOut, summary="修改申报通知（仅草稿；本省省级管理员）")
def call_update(request, call_id: int, payload: CallPatch):
    actor = request.actor
    require_call_writer(actor)
    call = selectors.call_get_for(actor=actor, pk=call_id)
    services.call_update(actor=actor, call=call, data=payload.dict(exclude_unset=True))
    return selectors.call_get_for(actor=actor, pk=call_id)


@router.post("/calls/{call_id}/publish", response=CallOut, summary="发布申报通知（本省省级管理员）")
def call_publish(request, call_id: int):
    actor = request.actor
    require_call_writer(actor)
    call = selectors.call_get_for(actor=actor, pk=call_id)
    services.call_publish(actor=actor, call=call)
    return selectors.call_get_for(actor=actor, pk=call_id)


@router.post(
    "/calls/{call_id}/extensions",
    response={201: ExtensionOut},
    summary="为一个申报单位延长截止时间（须填写理由，记入审计日志；本省省级管理员）",
)
def call_extend(request, call_id: int, payload: ExtensionIn):
    actor = request.actor
    require_call_writer(actor)
    call = selectors.call_get_for(actor=actor, pk=call_id)
    applicant = Organization.objects.filter(pk=payload.applicant_id).first()
    extension = services.deadline_extend(
        actor=actor, call=call, applicant=applicant, until=payload.until, reason=payload.reason
    )
    return Status(201, extension)

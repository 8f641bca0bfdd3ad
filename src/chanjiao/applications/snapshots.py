"""An application as plain JSON (what a version keeps), its totals, and the diff of two snapshots."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chanjiao.policy.contract import CONTRIBUTION_KINDS, FUNDING_SOURCES, PARTNER_ROLES

from .models import ApplicationAttachment, BudgetLine, KpiTarget, Partner, ProgrammeChoice, TaskPlan

SOURCE_NAMES = dict(FUNDING_SOURCES)
KIND_NAMES = dict(CONTRIBUTION_KINDS)
ROLE_NAMES = dict(PARTNER_ROLES)
ZERO = Decimal("0")
CENT = Decimal("0.01")


def money(value: Decimal | None) -> str:
    return str((value or ZERO).quantize(CENT))


def share_percent(part: Decimal, total: Decimal) -> Decimal | None:
    """part / total in percent, two places; None when there is no total."""
    if not total:
        return None
    return (part * 100 / total).quantize(CENT, rounding=ROUND_HALF_UP)


# The relations holding an application's sections.
SECTION_NAMES = ("partners", "programmes", "tasks", "budget_lines", "kpis", "attachments")


def already_read(instance, name: str) -> bool:
    """Whether `instance.<name>.all()` answers without a query (read or remembered)."""
    return name in getattr(instance, "_prefetched_objects_cache", {})


def prefetch_sections(*applications) -> None:
    """Reads the sections of the applications, one query a section and one for who signed the
    attachments; `application.partners.all()` and the rest then answer from what was read. A
    section already read (or just written, see `remember`) is not read again.

    Plain queries, each in its model's order, rather than `prefetch_related`, which takes half as
    long again to build the same queries.
    """
    by_pk = {a.pk: a for a in applications if a.pk is not None}
    for name, queryset in (
        ("partners", Partner.objects.select_related("organization")),
        ("programmes", ProgrammeChoice.objects.all()),
        ("tasks", TaskPlan.objects.all()),
        ("budget_lines", BudgetLine.objects.all()),
        ("kpis", KpiTarget.objects.all()),
        ("attachments", ApplicationAttachment.objects.select_related("attachment")),
    ):
        wanted = [pk for pk, a in by_pk.items() if not already_read(a, name)]
        if not wanted:
            continue
        rows: dict[int, list] = {pk: [] for pk in wanted}
        for row in queryset.filter(application_id__in=wanted):
            row.application = by_pk[row.application_id]
            rows[row.application_id].append(row)
        for pk, found in rows.items():
            remember(by_pk[pk], name, found)
    links = {
        link.pk: link
        for a in by_pk.values()
        for link in a.attachments.all()
        if not already_read(link, "signed_by")
    }
    if links:
        signers: dict[int, list] = {pk: [] for pk in links}
        through = ApplicationAttachment.signed_by.through.objects.select_related("organization")
        for row in through.filter(applicationattachment_id__in=list(links)).order_by(
            "organization__name", "organization_id"
        ):
            signers[row.applicationattachment_id].append(row.organization)
        for pk, organizations in signers.items():
            remember(links[pk], "signed_by", organizations)


def remember(instance, name: str, rows) -> None:
    """Keeps rows as what `instance.<name>.all()` answers, as a prefetch would have: rows just
    written are shown without being read back."""
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache.pop(name, None)
    queryset = getattr(instance, name).all()
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    cache[name] = queryset


class Totals:
    """Budget totals over lines given as (year, source, kind, amount)."""

    def __init__(self, lines):
        self.by_source: dict[str, Decimal] = defaultdict(lambda: ZERO)
        self.by_kind: dict[str, Decimal] = defaultdict(lambda: ZERO)
        self.by_year: dict[int, Decimal] = defaultdict(lambda: ZERO)
        self.by_year_source: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
        self.by_source_kind: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        self.cells: dict[tuple[int, str, str], Decimal] = {}
        self.total = ZERO
        for year, source, kind, amount in lines:
            amount = Decimal(amount)
            self.cells[(year, source, kind)] = amount
            self.by_source[source] += amount
            self.by_kind[kind] += amount
            self.by_year[year] += amount
            self.by_year_source[(year, source)] += amount
            self.by_source_kind[(source, kind)] += amount
            self.total += amount

    @property
    def enterprise_total(self) -> Decimal:
        return self.by_source.get("enterprise", ZERO)

    @property
    def enterprise_share(self) -> Decimal | None:
        return share_percent(self.enterprise_total, self.total)

    def as_json(self) -> dict[str, Any]:
        share = self.enterprise_share
        return {
            "total": money(self.total),
            "by_source": {code: money(self.by_source.get(code)) for code, _n in FUNDING_SOURCES},
            "by_kind": {code: money(self.by_kind.get(code)) for code, _n in CONTRIBUTION_KINDS},
            "by_year": {str(y): money(v) for y, v in sorted(self.by_year.items())},
            "enterprise_total": money(self.enterprise_total),
            "enterprise_share_percent": None if share is None else str(share),
        }


def build(application) -> dict[str, Any]:
    """The whole application as submitted: every section with its labels, and computed totals."""
    prefetch_sections(application)
    project_type = application.project_type
    tasks = {t.code: t for t in project_type.tasks()}
    kpis = {k.code: k for k in project_type.kpis()}
    specs = {a.code: a for a in project_type.attachments()}
    fields = {f.code: f for f in project_type.fields()}
    lines = list(application.budget_lines.all())
    totals = Totals((line.year, line.source, line.kind, line.amount) for line in lines)
    applicant = application.applicant
    return {
        "application": {
            "id": application.pk,
            "title": application.title,
            "summary": application.summary,
            "contact_name": application.contact_name,
            "contact_phone": application.contact_phone,
            "call": {"id": application.call_id, "title": str(application.call)},
            "project_type": {"id": project_type.pk, "code": project_type.code, "name": project_type.name},
            "applicant": {
                "id": applicant.pk,
                "name": applicant.name,
                "kind": applicant.kind,
                "uscc": applicant.uscc or "",
                "region": applicant.region_id,
            },
        },
        "fields": {
            code: {"label": fields[code].label if code in fields else code, "value": value}
            for code, value in sorted((application.fields or {}).items())
        },
        "partners": [
            {
                "organization_id": p.organization_id,
                "name": p.organization.name,
                "kind": p.organization.kind,
                "role": p.role,
                "role_name": ROLE_NAMES.get(p.role, p.role),
                "contribution": p.contribution,
                "contribution_amount": None
                if p.contribution_amount is None
                else money(p.contribution_amount),
            }
            for p in application.partners.all()
        ],
        "programmes": [{"code": p.code, "name": p.name} for p in application.programmes.all()],
        "tasks": [
            {
                "task_code": t.task_code,
                "title": tasks[t.task_code].title if t.task_code in tasks else t.task_code,
                "mandatory": bool(tasks[t.task_code].mandatory) if t.task_code in tasks else False,
                "plan": t.plan,
                "yearly_targets": {str(k): v for k, v in sorted((t.yearly_targets or {}).items())},
            }
            for t in application.tasks.all()
        ],
        "budget": {
            "lines": [
                {"year": line.year, "source": line.source, "kind": line.kind, "amount": money(line.amount)}
                for line in lines
            ],
            **totals.as_json(),
        },
        "kpis": [
            {
                "kpi_code": k.kpi_code,
                "name": kpis[k.kpi_code].name if k.kpi_code in kpis else k.kpi_code,
                "unit": kpis[k.kpi_code].unit if k.kpi_code in kpis else "",
                "year": k.year,
                "value": money(k.value),
            }
            for k in application.kpis.all()
        ],
        "attachments": [
            {
                "id": a.pk,
                "spec_code": a.spec_code,
                "spec_name": specs[a.spec_code].name if a.spec_code in specs else a.spec_code,
                "attachment_id": a.attachment_id,
                "original_name": a.attachment.original_name,
                "sha256": a.attachment.sha256,
                "size": a.attachment.size,
                "signed_by": sorted(o.pk for o in a.signed_by.all()),
            }
            for a in application.attachments.all()
        ],
    }


# --- diff ---------------------------------------------------------------------------------------

# Lists are compared by a natural key, so moving a row is no change and a changed amount is one.
LIST_KEYS = {
    "partners": lambda r: str(r["organization_id"]),
    "programmes": lambda r: r["code"],
    "tasks": lambda r: r["task_code"],
    "budget.lines": lambda r: f"{r['year']}/{r['source']}/{r['kind']}",
    "kpis": lambda r: f"{r['kpi_code']}/{r['year']}",
    "attachments": lambda r: str(r["attachment_id"]),
}


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{"budget.by_source.enterprise": "1000.00", "partners[12].role": "lead", …}"""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and prefix in LIST_KEYS:
        key_of = LIST_KEYS[prefix]
        for item in value:
            out.update(flatten(item, f"{prefix}[{key_of(item)}]"))
    elif isinstance(value, list):
        out[prefix] = value
    else:
        out[prefix] = value
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Field-level changes between two snapshots: [{"field", "before", "after"}], sorted by field."""
    a, b = flatten(before), flatten(after)
    return [
        {"field": key, "before": a.get(key), "after": b.get(key)}
        for key in sorted(set(a) | set(b))
        if a.get(key) != b.get(key)
    ]

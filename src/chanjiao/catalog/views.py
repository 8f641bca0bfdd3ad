"""Catalogue pages: browsing is for any logged-in person; imports are for province staff."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from chanjiao.core.errors import DomainError
from chanjiao.core.exports import workbook_bytes, xlsx_response
from chanjiao.core.models import Job
from chanjiao.core.pages import paginate, role_required
from chanjiao.core.permissions import Role
from chanjiao.core.progress import job_finish, job_progress

from . import importers, selectors, services
from .forms import IndustryImportForm, OccupationImportForm, ProgrammeImportForm
from .models import Industry, Level, Occupation

IMPORT_JOB_PREFIX = "catalog.import."


def _template(request, full: str, partial: str) -> str:
    return partial if request.htmx and not request.htmx.boosted else full


def _tier(value: str) -> int | None:
    return int(value) if value in {"1", "2", "3", "4"} else None


# --- browsing ---------------------------------------------------------------------------------


@login_required
def programme_list(request):
    editions = list(selectors.editions_list())
    code = request.GET.get("edition", "").strip()
    if code:
        edition = next((e for e in editions if e.code == code), None) or selectors.edition_get(code)
    else:
        edition = next((e for e in editions if e.is_current), editions[0] if editions else None)
    level = request.GET.get("level", "").strip()
    level = level if level in Level.values else ""
    filters = {
        "q": request.GET.get("q", "").strip(),
        "edition": edition.code if edition else "",
        "level": level,
        "category": request.GET.get("category", "").strip(),
    }
    qs = selectors.programme_search(
        edition=edition, q=filters["q"], level=level, category=filters["category"]
    )
    context = {
        "page_obj": paginate(request, qs),
        "filters": filters,
        "edition": edition,
        "editions": editions,
        "levels": Level.choices,
        "categories": selectors.category_choices(edition, level),
        "tab": "programmes",
    }
    return render(
        request,
        _template(request, "catalog/programme_list.html", "catalog/partials/programme_table.html"),
        context,
    )


def _tree_context(request, *, search, get, children_of_root: dict, model) -> dict:
    """Drill-down through a code tree (?parent=), or a flat search (?q= or ?tier=)."""
    q = request.GET.get("q", "").strip()
    tier = _tier(request.GET.get("tier", "").strip())
    parent_code = request.GET.get("parent", "").strip()
    node = get(parent_code) if parent_code and not (q or tier) else None
    if q or tier:
        qs = search(q=q, tier=tier)
    elif node is not None:
        qs = search(parent=node.code)
    else:
        qs = search(**children_of_root)
    return {
        "page_obj": paginate(request, qs, default_size=50),
        "filters": {"q": q, "tier": tier or "", "parent": parent_code},
        "node": node,
        "ancestors": selectors.ancestors(node) if node is not None else [],
        "tiers": model.Tier.choices,
        "searching": bool(q or tier),
    }


@login_required
def industry_list(request):
    context = _tree_context(
        request,
        search=selectors.industry_search,
        get=selectors.industry_get,
        children_of_root={"tier": Industry.Tier.SECTION},
        model=Industry,
    )
    context["tab"] = "industries"
    return render(
        request,
        _template(request, "catalog/industry_list.html", "catalog/partials/industry_table.html"),
        context,
    )


@login_required
def occupation_list(request):
    editions = selectors.occupation_editions()
    edition = request.GET.get("edition", "").strip()
    edition = edition if edition in editions else selectors.DEFAULT_OCCUPATION_EDITION

    def search(**kwargs):
        return selectors.occupation_search(edition=edition, **kwargs)

    def get(code):
        return selectors.occupation_get(code, edition=edition)

    context = _tree_context(
        request, search=search, get=get, children_of_root={"tier": Occupation.Tier.MAJOR}, model=Occupation
    )
    context.update({"tab": "occupations", "edition": edition, "editions": editions})
    return render(
        request,
        _template(request, "catalog/occupation_list.html", "catalog/partials/occupation_table.html"),
        context,
    )


@login_required
def edition_list(request):
    return render(
        request,
        "catalog/edition_list.html",
        {
            "editions": selectors.editions_list(),
            "tab": "editions",
            "can_manage": request.actor.has_role(Role.PROVINCE_ADMIN),
        },
    )


@role_required(Role.PROVINCE_ADMIN)
@require_POST
def edition_make_current(request, code: str):
    edition = selectors.edition_get(code)
    services.edition_set_current(actor=request.actor, edition=edition)
    messages.success(request, _("“%(name)s”已设为现行版本") % {"name": edition.name})
    return redirect("catalog:edition_list")


def _diff_editions(request):
    new_code, old_code = request.GET.get("new", "").strip(), request.GET.get("old", "").strip()
    new = selectors.edition_get(new_code) if new_code else selectors.current_edition()
    old = selectors.edition_get(old_code) if old_code else (new.previous if new else None)
    return new, old


@login_required
def edition_diff(request):
    new, old = _diff_editions(request)
    diff = selectors.edition_diff(new, old) if new and old and new.pk != old.pk else None
    return render(
        request,
        "catalog/edition_diff.html",
        {
            "new": new,
            "old": old,
            "diff": diff,
            "editions": selectors.editions_list(),
            "tab": "editions",
        },
    )


@login_required
def edition_diff_export(request):
    new, old = _diff_editions(request)
    if not (new and old):
        return redirect("catalog:edition_diff")
    diff = selectors.edition_diff(new, old)
    rows = (
        [(_("新增"), r["code"], r["level_display"], r["klass"], "", r["name"]) for r in diff.added]
        + [
            (_("更名"), r["code"], r["level_display"], r["klass"], r["old_name"], r["new_name"])
            for r in diff.renamed
        ]
        + [
            (pgettext("programme change", "撤销"), r["code"], r["level_display"], r["klass"], r["name"], "")
            for r in diff.dropped
        ]
    )
    headers = [
        _("变化"),
        _("专业代码"),
        _("层次"),
        _("专业类"),
        _("%(edition)s 名称") % {"edition": old.code},
        _("%(edition)s 名称") % {"edition": new.code},
    ]
    content = workbook_bytes(_("版本对比"), headers, rows)
    filename = _("专业目录版本对比-%(new)s-%(old)s.xlsx") % {"new": new.code, "old": old.code}
    return xlsx_response(filename, content)


# --- imports (province staff) -------------------------------------------------------------------


def _run_import(request, kind: str, label: str, run):
    """Runs an importer with its progress on a Job row; answers (job, errors)."""
    actor = request.actor
    job = Job.objects.create(
        kind=IMPORT_JOB_PREFIX + kind,
        label=label[:255],
        status=Job.Status.RUNNING,
        created_by=request.user,
        organization_id=getattr(actor.organization, "pk", None),
    )
    try:
        result = run(job_progress(job))
    except DomainError as exc:
        job_finish(job, ok=False, result={"errors": [e.as_dict() for e in exc.errors]})
        return job, exc.errors
    except Exception:
        job_finish(job, ok=False, result={"errors": [{"field": "", "code": "import.crashed", "message": ""}]})
        raise
    job_finish(job, ok=True, result=result)
    return job, []


@role_required(Role.PROVINCE_ADMIN)
def import_home(request):
    jobs = Job.objects.filter(kind__startswith=IMPORT_JOB_PREFIX).select_related("created_by")[:20]
    return render(request, "catalog/import_home.html", {"jobs": jobs, "tab": "import"})


def _import_page(request, form, *, kind: str, title: str, run, template_url: str = ""):
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job, errors = _run_import(request, kind, upload.name, lambda progress: run(form, upload, progress))
        if not errors:
            messages.success(
                request,
                _("导入成功（%(summary)s）") % {"summary": importers.summary_line(job.result)},
            )
            return redirect("catalog:import_job", pk=job.pk)
    return render(
        request,
        "catalog/import_form.html",
        {"form": form, "errors": errors, "title": title, "template_url": template_url, "tab": "import"},
    )


@role_required(Role.PROVINCE_ADMIN)
def import_programmes(request):
    form = ProgrammeImportForm(
        request.POST or None, request.FILES or None, editions=selectors.editions_list()
    )

    def run(form, upload, progress):
        data = form.cleaned_data
        importer = (
            importers.import_programmes_xlsx
            if upload.name.lower().endswith(".xlsx")
            else importers.import_programmes_jsonl
        )
        return importer(
            upload,
            edition_code=data["edition_code"],
            edition_name=data["edition_name"],
            year=data["year"],
            source=upload.name,
            previous=data["previous"] or None,
            make_current=form.make_current_value(),
            progress=progress,
            actor=request.actor,
        )

    return _import_page(
        request,
        form,
        kind="programmes",
        title=_("导入专业目录"),
        run=run,
        template_url="catalog:programme_template",
    )


@role_required(Role.PROVINCE_ADMIN)
def import_industries(request):
    form = IndustryImportForm(request.POST or None, request.FILES or None)
    return _import_page(
        request,
        form,
        kind="industries",
        title=_("导入国民经济行业分类（GB/T 4754-2017）"),
        run=lambda form, upload, progress: importers.import_industries_xlsx(
            upload, progress=progress, actor=request.actor
        ),
    )


@role_required(Role.PROVINCE_ADMIN)
def import_occupations(request):
    form = OccupationImportForm(request.POST or None, request.FILES or None)
    return _import_page(
        request,
        form,
        kind="occupations",
        title=_("导入职业分类大典"),
        run=lambda form, upload, progress: importers.import_occupations_jsonl(
            upload, edition=form.cleaned_data["edition"], progress=progress, actor=request.actor
        ),
    )


@role_required(Role.PROVINCE_ADMIN)
def import_job(request, pk: int):
    job = get_object_or_404(
        Job.objects.select_related("created_by"), pk=pk, kind__startswith=IMPORT_JOB_PREFIX
    )
    return render(request, "catalog/import_job.html", {"job": job, "tab": "import"})


@role_required(Role.PROVINCE_ADMIN)
def programme_template(request):
    return xlsx_response(_("职业教育专业目录导入模板") + ".xlsx", importers.programme_template_bytes())

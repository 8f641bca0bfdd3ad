"""What applications produce: the 申报书 as PDF (Chinese text in an embedded TrueType font) and the
call's Excel summary (one row per application, numbers as numbers)."""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db.models import Sum
from django.http import HttpResponse
from django.utils import timezone

from chanjiao.core.exports import workbook_bytes
from chanjiao.core.models import Region
from chanjiao.policy.contract import CONTRIBUTION_KINDS, FUNDING_SOURCES

from . import snapshots
from .models import Application, BudgetLine

FONT = "NotoSansSC"
FONT_BOLD = "NotoSansSC-Bold"
FONT_FILES = {FONT: "NotoSansSC_400Regular.ttf", FONT_BOLD: "NotoSansSC_700Bold.ttf"}


class FontMissing(RuntimeError):
    pass


def font_dir() -> Path:
    return Path(getattr(settings, "PDF_FONT_DIR", Path(settings.VAR_DIR) / "vendor" / "fonts"))


def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    registered = set(pdfmetrics.getRegisteredFontNames())
    for name, filename in FONT_FILES.items():
        if name in registered:
            continue
        path = font_dir() / filename
        if not path.is_file():
            raise FontMissing(
                f"PDF font {path} not found: run `make assets` (it installs Noto Sans SC from the npm "
                "registry) or set CHANJIAO_PDF_FONT_DIR to a folder holding " + ", ".join(FONT_FILES.values())
            )
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def _yuan(value: Any) -> str:
    amount = Decimal(str(value or "0"))
    return f"{amount:,.2f}"


def _wan(value: Any) -> str:
    return f"{Decimal(str(value or '0')) / 10000:,.2f}"


def render_pdf(content: dict[str, Any], *, status: str, version: int | None = None) -> bytes:
    """The 申报书 from a snapshot (`snapshots.build` or a version's): every section, then signatures."""
    _register_fonts()
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    base = ParagraphStyle("base", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK")
    small = ParagraphStyle("small", parent=base, fontSize=9, leading=13)
    h1 = ParagraphStyle("h1", parent=base, fontName=FONT_BOLD, fontSize=24, leading=34, alignment=TA_CENTER)
    h2 = ParagraphStyle(
        "h2", parent=base, fontName=FONT_BOLD, fontSize=14, leading=22, spaceBefore=10, spaceAfter=6
    )
    cover_line = ParagraphStyle("cover", parent=base, fontSize=13, leading=26)

    def p(text: Any, style=base) -> Paragraph:
        escaped = str(text if text not in (None, "") else "—")
        escaped = (
            escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")
        )
        return Paragraph(escaped, style)

    def table(rows: list[list[Any]], widths: list[float] | None = None, header_rows: int = 1) -> Table:
        data = [[c if isinstance(c, Paragraph) else p(c, small) for c in row] for row in rows]
        t = Table(data, colWidths=widths, repeatRows=header_rows)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#DDE7F5")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        return t

    app = content["application"]
    budget = content["budget"]
    _source_names, _kind_names = dict(FUNDING_SOURCES), dict(CONTRIBUTION_KINDS)
    story: list[Any] = []
    # cover
    story += [Spacer(1, 40 * mm), p("产教融合项目申报书", h1), Spacer(1, 25 * mm)]
    for label, value in (
        ("申报通知", app["call"]["title"]),
        ("项目类型", app["project_type"]["name"]),
        ("项目名称", app["title"]),
        ("申报单位（盖章）", app["applicant"]["name"]),
        ("统一社会信用代码", app["applicant"]["uscc"]),
        ("状态", status + (f"（第{version}版）" if version else "")),
        ("日期", timezone.localdate().isoformat()),
    ):
        story.append(p(f"{label}：{value or '—'}", cover_line))
    story.append(PageBreak())

    # 一、基本信息
    story.append(p("一、基本信息", h2))
    rows = [
        ["项目", "内容"],
        ["项目名称", app["title"]],
        ["申报单位", app["applicant"]["name"]],
        ["所在地区代码", app["applicant"]["region"]],
        ["联系人", app["contact_name"]],
        ["联系电话", app["contact_phone"]],
        ["建设基础与目标", app["summary"]],
    ]
    rows += [
        [f["label"], "是" if f["value"] is True else "否" if f["value"] is False else f["value"]]
        for f in content["fields"].values()
    ]
    story.append(table(rows, [40 * mm, 130 * mm]))

    # 二、共建单位
    story.append(p("二、共建单位及其投入", h2))
    rows = [["单位名称", "角色", "投入与分工", "承诺投入（元）"]]
    rows.append([app["applicant"]["name"], "牵头单位（申报单位）", "—", "—"])
    rows += [
        [
            x["name"],
            x["role_name"],
            x["contribution"],
            _yuan(x["contribution_amount"]) if x["contribution_amount"] else "—",
        ]
        for x in content["partners"]
    ]
    story.append(table(rows, [50 * mm, 30 * mm, 60 * mm, 30 * mm]))

    # 三、专业群
    story.append(p("三、专业群", h2))
    rows = [["专业代码", "专业名称"]] + [[x["code"], x["name"]] for x in content["programmes"]]
    story.append(table(rows, [40 * mm, 130 * mm]))

    # 四、建设任务
    story.append(p("四、建设任务", h2))
    rows = [["任务", "必选", "建设内容与举措", "年度目标"]]
    for t in content["tasks"]:
        targets = "\n".join(
            f"第{y}年：{v}" for y, v in sorted(t["yearly_targets"].items(), key=lambda kv: int(kv[0]))
        )
        rows.append(
            [f"（{t['task_code']}）{t['title']}", "必选" if t["mandatory"] else "可选", t["plan"], targets]
        )
    story.append(table(rows, [40 * mm, 12 * mm, 68 * mm, 50 * mm]))

    # 五、预算
    story.append(p("五、建设资金预算（元）", h2))
    lines = budget["lines"]
    years = sorted({int(x["year"]) for x in lines})
    by_year_source: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    by_source_kind: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for x in lines:
        by_year_source[(int(x["year"]), x["source"])] += Decimal(x["amount"])
        by_source_kind[(x["source"], x["kind"])] += Decimal(x["amount"])
    story.append(p("按年度和资金来源", small))
    rows = [["资金来源"] + [f"第{y}年" for y in years] + ["合计"]]
    for code, name in FUNDING_SOURCES:
        rows.append(
            [name]
            + [_yuan(by_year_source.get((y, code))) for y in years]
            + [_yuan(budget["by_source"].get(code))]
        )
    rows.append(["合计"] + [_yuan(budget["by_year"].get(str(y))) for y in years] + [_yuan(budget["total"])])
    story.append(table(rows))
    story.append(Spacer(1, 4 * mm))
    story.append(p("按资金来源和投入方式（资本、技术、知识、设施、设备、管理）", small))
    rows = [["资金来源"] + [n for _c, n in CONTRIBUTION_KINDS] + ["合计"]]
    for code, name in FUNDING_SOURCES:
        rows.append(
            [name]
            + [_yuan(by_source_kind.get((code, k))) for k, _n in CONTRIBUTION_KINDS]
            + [_yuan(budget["by_source"].get(code))]
        )
    rows.append(
        ["合计"]
        + [_yuan(budget["by_kind"].get(k)) for k, _n in CONTRIBUTION_KINDS]
        + [_yuan(budget["total"])]
    )
    story.append(table(rows))
    share = budget["enterprise_share_percent"]
    story.append(
        p(
            f"总投入：{_yuan(budget['total'])} 元（{_wan(budget['total'])} 万元）；合作企业投入："
            f"{_yuan(budget['enterprise_total'])} 元，占总投入 {share + '%' if share is not None else '—'}。"
        )
    )

    # 六、绩效目标
    story.append(p("六、绩效目标", h2))
    rows = [["指标", "年度", "目标值", "单位"]] + [
        [k["name"], f"第{k['year']}年", k["value"], k["unit"]] for k in content["kpis"]
    ]
    story.append(table(rows, [70 * mm, 25 * mm, 45 * mm, 30 * mm]))

    # 七、附件
    story.append(p("七、附件清单", h2))
    names = {app["applicant"]["id"]: app["applicant"]["name"]} | {
        x["organization_id"]: x["name"] for x in content["partners"]
    }
    rows = [["类别", "文件名", "签署单位", "SHA-256"]] + [
        [
            a["spec_name"],
            a["original_name"],
            "、".join(names.get(o, str(o)) for o in a["signed_by"]),
            a["sha256"][:16] + "…",
        ]
        for a in content["attachments"]
    ]
    story.append(table(rows, [35 * mm, 50 * mm, 55 * mm, 30 * mm]))

    # 八、签章
    story.append(p("八、申报单位与共建单位承诺及签章", h2))
    story.append(p("本单位承诺申报书所填内容真实、准确，并按共建协议履行各自的责任、权利和义务。"))
    story.append(Spacer(1, 3 * mm))
    rows = [["单位", "盖章", "负责人签字", "日期"], [app["applicant"]["name"], "", "", "    年  月  日"]]
    rows += [[x["name"], "", "", "    年  月  日"] for x in content["partners"]]
    sign = table(rows, [60 * mm, 40 * mm, 40 * mm, 30 * mm])
    sign.setStyle(
        TableStyle(
            [
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white]),
                ("MINROWHEIGHT", (0, 1), (-1, -1), 18 * mm),
            ]
        )
    )
    story.append(sign)

    buf = io.BytesIO()

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"{app['title'] or '申报书'} · 第 {doc.page} 页")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        title=f"申报书：{app['title'] or app['applicant']['name']}",
        author=app["applicant"]["name"],
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def application_pdf(application: Application) -> bytes:
    """The 申报书 as it stands now (a draft, or the submitted content while it cannot change)."""
    version = application.versions.order_by("-number").first()
    if version is not None and not application.is_editable:
        return render_pdf(version.snapshot, status=application.get_status_display(), version=version.number)
    return render_pdf(snapshots.build(application), status=application.get_status_display())


def pdf_response(application: Application) -> HttpResponse:
    response = HttpResponse(application_pdf(application), content_type="application/pdf")
    name = f"申报书-{application.applicant.name}-{application.pk}.pdf"
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
    return response


# --- the call's summary spreadsheet ------------------------------------------------------------

SUMMARY_HEADERS = (
    ["申报单位", "所在市", "项目类型", "项目名称"]
    + [f"{name}（元）" for _code, name in FUNDING_SOURCES]
    + ["总投入（元）", "企业投入占比（%）", "状态", "市级推荐排序", "提交时间"]
)


def summary_filename(call) -> str:
    return f"申报汇总-{call.title}.xlsx"


def call_summary_rows(applications) -> list[list[Any]]:
    apps = list(
        applications.select_related("applicant", "project_type").order_by("city_code", "city_rank", "id")
    )
    ids = [a.pk for a in apps]
    sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in (
        BudgetLine.objects.filter(application_id__in=ids)
        .values("application_id", "source")
        .annotate(total=Sum("amount"))
    ):
        sums[row["application_id"]][row["source"]] = row["total"]
    cities = dict(Region.objects.filter(code__in={a.city_code for a in apps}).values_list("code", "name"))
    rows = []
    for a in apps:
        by_source = sums.get(a.pk, {})
        total = sum(by_source.values(), Decimal("0"))
        share = snapshots.share_percent(by_source.get("enterprise", Decimal("0")), total)
        submitted = timezone.localtime(a.submitted_at).replace(tzinfo=None) if a.submitted_at else None
        rows.append(
            [a.applicant.name, cities.get(a.city_code, a.city_code), a.project_type.name, a.title]
            + [by_source.get(code, Decimal("0")) for code, _n in FUNDING_SOURCES]
            + [total, share, a.get_status_display(), a.city_rank, submitted]
        )
    return rows


def call_summary_xlsx(call, applications) -> bytes:
    return workbook_bytes("申报汇总", SUMMARY_HEADERS, call_summary_rows(applications))

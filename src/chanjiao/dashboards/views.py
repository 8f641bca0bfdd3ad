from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from chanjiao.core.exports import workbook_bytes, xlsx_response
from chanjiao.core.pages import role_required
from chanjiao.projects.permissions import READ_ROLES

from .selectors import dashboard_for, home_figures


@login_required
def home(request):
    return render(request, "dashboards/home.html", {"figures": home_figures(request.actor)})


@role_required(*READ_ROLES)
def dashboard(request):
    """数据看板: the province, city or organisation view, by the acting person's role."""
    board = dashboard_for(request.actor)
    tables = [
        {"table": t, "rows": t.cell_rows(), "chart_id": f"chart-{t.key}", "height": _chart_height(t)}
        for t in board.tables
    ]
    return render(request, "dashboards/dashboard.html", {"board": board, "tables": tables})


def _chart_height(table) -> int:
    """Horizontal bars get a row each; the rest a fixed height."""
    if table.chart and table.chart.get("yAxis", {}).get("type") == "category":
        return max(220, 40 + 30 * len(table.rows))
    return 300


@role_required(*READ_ROLES)
def dashboard_export(request, table: str):
    """One table of the dashboard as an Excel sheet: the rows the page shows, amounts in 万元."""
    board = dashboard_for(request.actor)
    found = board.table(table)
    if found is None:
        raise Http404
    content = workbook_bytes(str(found.title), [str(c.label) for c in found.columns], found.export_rows())
    return xlsx_response(f"{found.title}.xlsx", content)

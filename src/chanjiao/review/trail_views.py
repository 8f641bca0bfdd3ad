"""The round's whole-process record (全过程记录) and its Excel export, for province staff and the
observer (纪检监察部门全程参与): thin views over trail_selectors."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chanjiao.core.errors import DomainError
from chanjiao.core.exports import workbook_bytes, xlsx_response
from chanjiao.core.pages import paginate, role_required

from . import selectors, trail_selectors
from .permissions import READ_ROLES


class TrailFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("步骤"),
        choices=[("", gettext_lazy("全部步骤")), *trail_selectors.KINDS],
        required=False,
    )
    since = forms.DateField(label=gettext_lazy("开始日期"), required=False)
    until = forms.DateField(label=gettext_lazy("结束日期"), required=False)


def _filters(request) -> tuple[TrailFilterForm, dict]:
    """The filters asked for; a bad one is shown on the form and left out of the query."""
    form = TrailFilterForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    values: dict[str, list[str] | dt.date | None] = {
        "kinds": [data["kind"]] if data.get("kind") else None,
        "since": data.get("since"),
        "until": data.get("until"),
    }
    try:
        trail_selectors.trail_filters_check(values["kinds"], values["since"], values["until"])
    except DomainError as exc:
        for e in exc.errors:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        values["until"] = None
    return form, values


@role_required(*READ_ROLES)
def round_trail(request, pk: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    form, values = _filters(request)
    qs = trail_selectors.round_trail(request.actor, review_round, **values)
    page_obj = paginate(request, qs, default_size=50)
    context = {
        "round": review_round,
        "form": form,
        "page_obj": page_obj,
        "items": trail_selectors.describe(page_obj),
        "kinds": trail_selectors.KINDS,
    }
    template = "review/trail/table.html" if request.htmx else "review/trail/page.html"
    return render(request, template, context, status=422 if form.errors else 200)


@role_required(*READ_ROLES)
def round_trail_xlsx(request, pk: int):
    review_round = selectors.round_get_for(actor=request.actor, pk=pk)
    _form, values = _filters(request)
    qs = trail_selectors.round_trail(request.actor, review_round, **values)
    content = workbook_bytes(_("全过程记录"), trail_selectors.trail_headers(), trail_selectors.trail_rows(qs))
    return xlsx_response(trail_selectors.trail_filename(review_round), content)

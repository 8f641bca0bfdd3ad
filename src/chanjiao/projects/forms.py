"""The decision page's forms. They only carry what is typed; the services check it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AwardForm(forms.Form):
    approved_budget = forms.CharField(
        label=_("批准的省级财政支持（元）"),
        max_length=32,
        required=False,
        help_text=_("不超过申报书申请的省财政专项资金"),
    )
    start_batch = forms.CharField(label=_("启动批次"), max_length=8, required=False)
    document_number = forms.CharField(label=_("立项文号"), max_length=200, required=False)


class RejectForm(forms.Form):
    reasons = forms.CharField(
        label=_("不予立项的理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("每行一条"),
    )


class ProjectFilterForm(forms.Form):
    """The list page's filters, read from the query string (every one optional)."""

    project_type = forms.CharField(required=False)
    city = forms.CharField(required=False, max_length=6)
    status = forms.CharField(required=False)
    start_batch = forms.IntegerField(required=False, min_value=1)
    q = forms.CharField(required=False, max_length=100)

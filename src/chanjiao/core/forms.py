"""Forms of the core pages. Fields are not required here: the services say what is missing, in the
same words as the API."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class HolidayForm(forms.Form):
    date = forms.DateField(
        label=_("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    name = forms.CharField(label=_("名称"), max_length=64, required=False, help_text=_("如 国庆节"))
    is_workday = forms.BooleanField(
        label=_("调休上班（周末上班，计入工作日）"), required=False, help_text=_("不勾选为放假")
    )
    note = forms.CharField(
        label=_("依据"),
        max_length=200,
        required=False,
        help_text=_("如 国务院办公厅关于2027年部分节假日安排的通知"),
    )

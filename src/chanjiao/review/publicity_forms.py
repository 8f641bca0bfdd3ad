"""Forms of the publicity pages (ADR 0003: the stage keeps its own rooms). Fields are not required
here: the services say what is missing, in the same words as the API."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Objection

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # what <input type=date> reads


class PublishForm(forms.Form):
    title = forms.CharField(label=_("公示标题"), max_length=255, required=False)
    starts_on = forms.DateField(
        label=_("公示开始日期"), required=False, widget=DATE, help_text=_("不填为今天；不能早于今天")
    )
    working_days = forms.IntegerField(
        label=_("公示期（工作日）"),
        required=False,
        help_text=_("1至30个工作日；不填时按评审轮次的设置。周末和节假日不计入，调休上班日计入"),
    )
    contact = forms.CharField(
        label=_("异议受理联系方式"),
        max_length=255,
        required=False,
        help_text=_("如 省教育厅职成处，025-8333xxxx，地址……"),
    )
    body = forms.CharField(label=_("公示说明"), widget=forms.Textarea, required=False)


class ObjectionForm(forms.Form):
    """An objection from the public: in the objector's real name, with a telephone number."""

    application = forms.ChoiceField(label=_("针对的项目"), required=False)
    name = forms.CharField(label=_("异议人姓名"), max_length=64, required=False)
    organization_name = forms.CharField(label=_("异议人单位"), max_length=128, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    email = forms.CharField(
        label=_("电子邮箱"), max_length=254, required=False, help_text=_("可不填；填写后答复也发送到该邮箱")
    )
    content = forms.CharField(label=_("异议内容"), widget=forms.Textarea, required=False)

    def __init__(self, *args, entries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].choices = [("", _("不针对具体项目（对名单整体）"))] + [
            (str(e.application_id), f"{e.application.applicant.name} · {e.application.title}")
            for e in entries
        ]

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["application_id"] = data.pop("application") or None
        return data


class ObjectionRecordForm(ObjectionForm):
    """An objection staff record from a letter, a call or a visit, with the day it came in."""

    channel = forms.ChoiceField(
        label=_("提交方式"),
        required=False,
        choices=[("", "—")]
        + [(c.value, c.label) for c in Objection.Channel if c != Objection.Channel.ONLINE],
    )
    received_on = forms.DateField(
        label=_("收到日期"), required=False, widget=DATE, help_text=_("不填为今天；须在公示期内")
    )

    field_order = ["channel", "received_on"]


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("处理结论"), required=False, choices=[("", "—"), *Objection.Outcome.choices]
    )
    answer = forms.CharField(label=_("处理意见"), widget=forms.Textarea, required=False)

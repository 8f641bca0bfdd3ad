from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chanjiao.core.models import Region

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class CallForm(forms.Form):
    """A call's values; quotas are one field per city of the pack's province (quota_<code>)."""

    title = forms.CharField(label=_("标题"), max_length=255)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea)
    project_types = forms.MultipleChoiceField(
        label=_("项目类型"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("至少选择一个项目类型")},
    )
    opens_at = forms.DateTimeField(
        label=_("开始时间（北京时间）"), input_formats=DATETIME_FORMATS, widget=LocalDateTimeInput()
    )
    closes_at = forms.DateTimeField(
        label=_("截止时间（北京时间）"), input_formats=DATETIME_FORMATS, widget=LocalDateTimeInput()
    )
    limit_per_applicant = forms.IntegerField(
        label=_("每单位限报数"), required=False, help_text=_("不填则取项目类型的规定（无规定时为1）")
    )
    start_batch = forms.IntegerField(
        label=_("启动批次"), required=False, help_text=_("分批启动建设的计划：本通知立项的项目属第几批")
    )
    catalogue_edition = forms.ChoiceField(label=_("专业目录版本"), required=False)

    def __init__(self, *args, project_types=(), editions=(), cities: list[Region] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project_types"].choices = [(pt.code, f"{pt.name}") for pt in project_types]
        self.fields["catalogue_edition"].choices = [("", pgettext_lazy("catalogue edition", "现行版本"))] + [
            (e.code, e.name) for e in editions
        ]
        self.cities = list(cities)
        for city in self.cities:
            self.fields[f"quota_{city.code}"] = forms.IntegerField(label=city.name, required=False)

    def quota_fields(self):
        return [self[f"quota_{city.code}"] for city in self.cities]

    def service_data(self) -> dict:
        data = {k: self.cleaned_data.get(k) for k in ("title", "description", "opens_at", "closes_at")}
        data["project_types"] = list(self.cleaned_data.get("project_types") or [])
        data["limit_per_applicant"] = self.cleaned_data.get("limit_per_applicant")
        data["start_batch"] = self.cleaned_data.get("start_batch")
        data["catalogue_edition"] = self.cleaned_data.get("catalogue_edition") or None
        data["quotas"] = {
            city.code: self.cleaned_data[f"quota_{city.code}"]
            for city in self.cities
            if self.cleaned_data.get(f"quota_{city.code}") is not None
        }
        return data


class ExtensionForm(forms.Form):
    applicant = forms.ChoiceField(label=_("申报单位"))
    until = forms.DateTimeField(
        label=_("延至（北京时间）"), input_formats=DATETIME_FORMATS, widget=LocalDateTimeInput()
    )
    reason = forms.CharField(
        label=_("理由"),
        widget=forms.Textarea,
        max_length=2000,
        help_text=_("将记入审计日志"),
        error_messages={"required": _("请填写延期理由（将记入审计日志）")},
    )

    def __init__(self, *args, applicants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["applicant"].choices = [("", "—")] + [(str(o.pk), o.name) for o in applicants]


class IndicatorSystemForm(forms.Form):
    document = forms.CharField(
        label=_("指标体系（YAML）"),
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false"}),
        help_text=_(
            "与政策包中的写法相同：一级、二级、三级指标的分值之和须相等；保存后成为新版本，原版本保留。"
        ),
    )

"""Forms of the acceptance (验收) and performance assessment (绩效评价) pages. They carry what is
typed and parse what must be a number or a date; the services check the rules and say what is
missing, in the same words as the API. A service's error lands at the field it names (`place`)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chanjiao.core.errors import DomainError

from .models import Assessment, AssessmentEntry

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _score_field(label, help_text=""):
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=6,
        decimal_places=2,
        help_text=help_text,
        error_messages={
            "invalid": _("请填写数字"),
            "max_digits": _("最多6位数字"),
            "max_decimal_places": _("最多保留两位小数"),
        },
    )


class IdsField(forms.TypedMultipleChoiceField):
    """Ticked project ids: any id passes here, so the service says why a project cannot be in the
    batch (another call, another province, already in a batch, construction not ended)."""

    def valid_value(self, value) -> bool:
        return str(value).isdigit()


class AssessmentCreateForm(forms.Form):
    """A new batch: the call and project type (one choice, `<call id>-<type id>`), the year, the
    due date of the self-assessments, the grade lines (acceptance) or yearly / final (performance),
    and the projects ticked from the eligible ones."""

    kind = forms.ChoiceField(label=_("类型"), choices=Assessment.Kind.choices, widget=forms.HiddenInput)
    subject = forms.ChoiceField(label=_("申报通知与项目类型"), required=False)
    year = forms.IntegerField(
        label=_("年度"),
        required=False,
        min_value=2000,
        max_value=2100,
        error_messages={"invalid": _("请填写四位年份")},
    )
    is_final = forms.TypedChoiceField(
        label=_("评价类型"),
        required=False,
        choices=(("0", _("年度绩效评价")), ("1", _("期末绩效评价"))),
        coerce=lambda v: v == "1",
        empty_value=False,
    )
    batch = forms.IntegerField(
        label=_("批次"),
        required=False,
        min_value=1,
        help_text=_("不填时取该年度的下一个批次"),
        error_messages={"invalid": _("请填写正整数")},
    )
    self_assessment_due = forms.DateField(
        label=_("自评报告截止日期"),
        required=False,
        widget=DATE,
        error_messages={"invalid": _("请填写日期，如 2027-03-31")},
    )
    excellent_min = _score_field(_("优秀分数线"), _("专家评分不低于此分且未被一票否决为优秀"))
    pass_min = _score_field(_("合格分数线"), _("专家评分不低于此分且未被一票否决为合格，低于为不合格"))
    name = forms.CharField(
        label=_("批次名称"), max_length=200, required=False, help_text=_("不填时按申报通知、类型和批次生成")
    )
    project_ids = IdsField(
        label=_("纳入的项目"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    # a service's field → the form's field that shows it
    PLACES = {
        "kind": "subject",
        "call_id": "subject",
        "project_type_id": "subject",
        "call": "subject",
        "project_type": "subject",
    }

    def __init__(self, *args, subjects=(), projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = [("", _("请选择"))] + list(subjects)
        self.fields["project_ids"].choices = [(p.pk, p.title) for p in projects]

    def data_for_service(self) -> dict:
        d = self.cleaned_data
        call_id, type_id = (d.get("subject") or "-").split("-", 1)
        data = {
            "kind": d["kind"],
            "call_id": int(call_id) if call_id.isdigit() else None,
            "project_type_id": int(type_id) if type_id.isdigit() else None,
            "project_ids": list(d.get("project_ids") or []),
            "year": d.get("year"),
            "self_assessment_due": d.get("self_assessment_due"),
        }
        if d.get("batch"):
            data["batch"] = d["batch"]
        if (d.get("name") or "").strip():
            data["name"] = d["name"].strip()
        if d["kind"] == Assessment.Kind.ACCEPTANCE:
            for key in ("excellent_min", "pass_min"):
                if d.get(key) is not None:
                    data[key] = d[key]
        else:
            data["is_final"] = bool(d.get("is_final"))
        return data


class SelfAssessmentForm(forms.Form):
    self_assessment = forms.CharField(
        label=_("自评报告"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("对照验收（绩效评价）指标逐项说明建设任务完成情况、资金投入与使用、平台运行成效"),
    )
    self_score = _score_field(_("自评得分"), _("0–100 分，可不填"))


class AcceptanceDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("决定"),
        required=False,
        choices=(("pass", _("通过验收")), ("rectify", _("限期整改")), ("fail", _("不予通过"))),
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    requirements = forms.CharField(
        label=_("整改要求"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("限期整改时填写"),
    )
    deadline = forms.DateField(
        label=_("整改期限"),
        required=False,
        widget=DATE,
        help_text=_("限期整改时填写"),
        error_messages={"invalid": _("请填写日期，如 2027-06-30")},
    )

    def data_for_service(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class OutcomeDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("绩效评价结果"),
        required=False,
        choices=[("", _("请选择"))] + list(AssessmentEntry.Outcome.choices),
    )
    reason = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def data_for_service(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class RectificationReportForm(forms.Form):
    report = forms.CharField(
        label=_("整改报告"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("逐条说明整改要求的落实情况"),
    )


class RecheckForm(forms.Form):
    passed = forms.ChoiceField(
        label=_("复核结论"),
        required=False,
        choices=(("1", _("复核通过（通过验收）")), ("0", _("复核未通过（不予通过验收）"))),
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("复核意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def data_for_service(self) -> dict:
        d = self.cleaned_data
        data = {"note": d.get("note") or ""}
        if d.get("passed") in ("0", "1"):
            data["passed"] = d["passed"] == "1"
        return data


def place(form: forms.Form, error: DomainError, places: dict[str, str] | None = None) -> None:
    """A service's errors at the form's fields: a field the form has gets its own message (with
    the current and the required value the service gave); anything else goes to the form's top."""
    places = places or {}
    for e in error.errors:
        name = (e.field or "").split(".")[0]
        name = places.get(name, name)
        form.add_error(name if name in form.fields else None, e.message)

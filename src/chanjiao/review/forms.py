from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import (
    DEFAULT_LOAD_CAP,
    DEFAULT_MAX_EXCLUSIONS,
    DEFAULT_PUBLICITY_DAYS,
    DEFAULT_RESERVES,
    DEFAULT_REVIEWS_PER_APPLICATION,
    ReviewRound,
)

SOURCE_CHOICES = [("", "—"), ("1", _("行业企业")), ("0", _("院校及其他"))]


class ExpertForm(forms.Form):
    username = forms.CharField(
        label=_("用户名"), max_length=150, help_text=_("专家的登录账号；须已在人员管理中建立")
    )
    employer = forms.CharField(
        label=_("工作单位"), max_length=128, help_text=_("统一社会信用代码，或单位名录中的单位全称")
    )
    title = forms.CharField(label=_("职称 / 职务"), max_length=64, required=False)
    is_industry = forms.ChoiceField(
        label=_("来源"),
        choices=SOURCE_CHOICES,
        required=False,
        help_text=_("不选时按工作单位类型：企业、行业协会为行业企业"),
    )
    programme_categories = forms.CharField(
        label=_("专业大类代码"),
        max_length=200,
        required=False,
        help_text=_("两位代码，多个用逗号分隔，如 46,51"),
    )
    industries = forms.CharField(
        label=_("行业代码（GB/T 4754）"),
        max_length=200,
        required=False,
        help_text=_("如 C,38,3821，多个用逗号分隔"),
    )
    region = forms.CharField(
        label=_("所在地区代码"), max_length=6, required=False, help_text=_("不填时取工作单位所在地区")
    )
    note = forms.CharField(label=_("备注"), widget=forms.Textarea, required=False)


class ExpertEditForm(forms.Form):
    employer = forms.CharField(
        label=_("工作单位"), max_length=128, help_text=_("统一社会信用代码，或单位名录中的单位全称")
    )
    title = forms.CharField(label=_("职称 / 职务"), max_length=64, required=False)
    is_industry = forms.BooleanField(label=_("来自行业企业"), required=False)
    programme_categories = forms.CharField(label=_("专业大类代码"), max_length=200, required=False)
    industries = forms.CharField(label=_("行业代码（GB/T 4754）"), max_length=200, required=False)
    region = forms.CharField(label=_("所在地区代码"), max_length=6, required=False)
    is_active = forms.BooleanField(label=_("在库"), required=False)
    note = forms.CharField(label=_("备注"), widget=forms.Textarea, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))


class GroupForm(forms.Form):
    name = forms.CharField(label=_("职业教育集团名称"), max_length=128)
    members = forms.CharField(
        label=_("成员单位"),
        widget=forms.Textarea,
        help_text=_("每行一个：统一社会信用代码或单位名录中的单位全称"),
    )


class RoundSettingsForm(forms.Form):
    name = forms.CharField(
        label=_("名称"), max_length=200, required=False, help_text=_("不填时按通知、项目类型和评审类型生成")
    )
    indicator_system = forms.ChoiceField(label=_("指标体系"), required=False)
    reviews_per_application = forms.IntegerField(
        label=_("每项申报评审专家数"), min_value=1, max_value=15, initial=DEFAULT_REVIEWS_PER_APPLICATION
    )
    load_cap = forms.IntegerField(
        label=_("每位专家评审上限"),
        min_value=1,
        max_value=500,
        initial=DEFAULT_LOAD_CAP,
        help_text=_("本通知同类评审中每位专家最多评审的申报数"),
    )
    max_exclusions = forms.IntegerField(
        label=_("每项申报可申请回避的专家数"), min_value=0, max_value=10, initial=DEFAULT_MAX_EXCLUSIONS
    )
    exclusions_close_at = forms.DateTimeField(
        label=_("申请回避截止时间"), required=False, help_text=_("如 2026-12-01 17:00；不填时到分配专家为止")
    )
    same_city_conflict = forms.BooleanField(label=_("同城专家回避"), required=False)
    reserves = forms.IntegerField(
        label=_("随机抽取的候补人数"), min_value=0, max_value=10, initial=DEFAULT_RESERVES
    )
    review_deadline = forms.DateTimeField(
        label=_("评审截止时间"), required=False, help_text=_("如 2026-12-20 17:00")
    )
    ranking_method = forms.ChoiceField(
        label=_("排序方法"),
        choices=ReviewRound.RankingMethod.choices,
        initial=ReviewRound.RankingMethod.TRIMMED_MEAN,
        required=False,
        help_text=_("专家组合议开始后不能再改"),
    )
    quota = forms.IntegerField(
        label=_("本批推荐名额"),
        required=False,
        min_value=1,
        max_value=9999,
        help_text=_(
            "不填时为项目类型的目标数量除以分批启动的批次数（如 30 ÷ 3 = 10）；专家组合议开始后不能再改"
        ),
    )
    disagreement_threshold = forms.DecimalField(
        label=_("分歧提示阈值（分）"),
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=2,
        initial=15,
        help_text=_("同一申报最高分与最低分之差超过此值时提示“分歧较大”；专家组合议开始后不能再改"),
    )
    publicity_days = forms.IntegerField(
        label=_("公示期（工作日）"),
        required=False,
        min_value=1,
        max_value=30,
        initial=DEFAULT_PUBLICITY_DAYS,
    )


class RoundForm(RoundSettingsForm):
    """A selection round; acceptance and performance rounds are opened by their batches."""

    call_type = forms.ChoiceField(label=_("申报通知与项目类型"))

    field_order = ["call_type"]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea, required=False)


class ConflictForm(forms.Form):
    expert = forms.ChoiceField(label=_("专家"))
    application = forms.ChoiceField(label=_("申报"))
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea, required=False)


class AssignForm(forms.Form):
    expert = forms.ChoiceField(label=_("专家"))
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea, required=False)


class DrawForm(forms.Form):
    seed = forms.IntegerField(
        label=_("随机种子"), required=False, min_value=0, help_text=_("不填时随机生成并记录")
    )
    reserves = forms.IntegerField(label=_("候补人数"), required=False, min_value=0, max_value=10)


class AvailabilityForm(forms.Form):
    expert = forms.IntegerField()
    available = forms.BooleanField(required=False)
    load_cap = forms.IntegerField(required=False, min_value=0, max_value=500)
    note = forms.CharField(max_length=200, required=False)


class ExclusionForm(forms.Form):
    expert_name = forms.CharField(label=_("专家姓名"), max_length=64, required=False)
    employer_name = forms.CharField(
        label=_("专家所在单位"), max_length=128, required=False, help_text=_("可不填；同名专家以单位区分")
    )
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea, required=False)


class OverrideForm(forms.Form):
    """The panel moves an application to another rank, with its reason (the service checks both)."""

    application = forms.IntegerField(widget=forms.HiddenInput)
    to_rank = forms.IntegerField(label=_("调整后名次"), required=False)
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea, required=False)

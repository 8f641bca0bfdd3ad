from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from chanjiao.core.permissions import Role

from .auth import AccountLocked
from .models import DeptLevel, EnterpriseSize, OrgKind, Ownership, SchoolLevel, SponsorKind


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码错误。连续失败多次后账户将被临时锁定。"),
        "inactive": _("该账户已停用"),
    }

    def clean(self):
        try:
            return super().clean()
        except AccountLocked as exc:
            raise forms.ValidationError(exc.message, code="locked") from None


def _blank(choices):
    return [("", "—")] + list(choices.choices)


class OrganizationForm(forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=128)
    short_name = forms.CharField(label=_("简称"), max_length=64, required=False)
    kind = forms.ChoiceField(label=_("单位类型"), choices=OrgKind.choices)
    region = forms.CharField(
        label=_("所在地区（行政区划代码）"), max_length=6, help_text=_("6位代码，如 340104 合肥市蜀山区")
    )
    uscc = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=18,
        required=False,
        help_text=_("18位；学校、企业、行业协会、培训评价组织必填"),
    )
    dept_level = forms.ChoiceField(label=_("行政层级"), choices=_blank(DeptLevel), required=False)
    school_level = forms.ChoiceField(label=_("办学层次"), choices=_blank(SchoolLevel), required=False)
    sponsor = forms.CharField(label=_("举办方"), max_length=128, required=False)
    sponsor_kind = forms.ChoiceField(label=_("举办性质"), choices=_blank(SponsorKind), required=False)
    is_independent = forms.BooleanField(label=_("独立设置"), required=False, initial=True)
    industry = forms.CharField(label=_("所属行业代码（GB/T 4754）"), max_length=5, required=False)
    size = forms.ChoiceField(label=_("企业规模"), choices=_blank(EnterpriseSize), required=False)
    ownership = forms.ChoiceField(label=_("所有制"), choices=_blank(Ownership), required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    address = forms.CharField(label=_("地址"), max_length=255, required=False)
    website = forms.URLField(label=_("网址"), required=False)


class OrganizationContactForm(forms.Form):
    """What an organisation's own admin may change: its contact details, not its identity or kind."""

    short_name = forms.CharField(label=_("简称"), max_length=64, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    address = forms.CharField(label=_("地址"), max_length=255, required=False)
    website = forms.URLField(label=_("网址"), required=False)


class PersonInviteForm(forms.Form):
    organization = forms.IntegerField(label=_("单位"), widget=forms.Select)
    role = forms.ChoiceField(label=_("角色"), choices=_blank(Role))
    username = forms.CharField(label=_("用户名"), max_length=150)
    display_name = forms.CharField(label=_("姓名"), max_length=64)
    email = forms.EmailField(label=_("电子邮箱"), required=False, help_text=_("将向此邮箱发送设置密码的链接"))
    mobile = forms.CharField(label=_("手机号码"), max_length=20, required=False)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("令牌名称"), max_length=64)
    days = forms.IntegerField(label=_("有效天数"), min_value=1, max_value=365, initial=90)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))

from __future__ import annotations

from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MAX_UPLOAD_MB = 20


class _UploadForm(forms.Form):
    suffixes: tuple[str, ...] = ()

    def clean_file(self):
        file = self.cleaned_data["file"]
        suffix = Path(file.name).suffix.lower()
        if suffix not in self.suffixes:
            raise forms.ValidationError(
                _("文件类型应为 %(want)s（当前：%(got)s）")
                % {"want": "、".join(self.suffixes), "got": suffix or _("无扩展名")}
            )
        if file.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("文件不得超过 %(max)d MB（当前：%(size).1f MB）")
                % {"max": MAX_UPLOAD_MB, "size": file.size / 1024 / 1024}
            )
        return file


class ProgrammeImportForm(_UploadForm):
    suffixes = (".xlsx", ".jsonl")

    file = forms.FileField(
        label=_("专业目录文件（.xlsx 或 .jsonl）"),
        help_text=_("Excel 请按模板填写；.jsonl 为全国招生信息网专业库的导出格式"),
    )
    edition_code = forms.SlugField(
        label=_("版本代码"), max_length=32, help_text=_("如 2025。再次导入同一版本时按专业代码更新，不会重复")
    )
    edition_name = forms.CharField(
        label=_("版本名称"), max_length=128, help_text=_("如 职业教育专业目录（2025年）")
    )
    year = forms.IntegerField(label=_("目录年份"), min_value=1949, max_value=2100)
    previous = forms.ChoiceField(label=_("上一版本（版本对比的基准）"), required=False)
    make_current = forms.ChoiceField(
        label=pgettext_lazy("catalogue edition", "现行版本"),
        required=False,
        choices=[
            ("", _("自动：没有现行版本或本版本更新时设为现行版本")),
            ("yes", _("设为现行版本")),
            ("no", _("不设为现行版本")),
        ],
    )

    def __init__(self, *args, editions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["previous"].choices = [("", _("自动：导入时的现行版本"))] + [
            (e.code, f"{e.code} · {e.name}") for e in editions
        ]

    def make_current_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("make_current") or "")


class IndustryImportForm(_UploadForm):
    suffixes = (".xlsx",)

    file = forms.FileField(
        label=_("国民经济行业分类文件（.xlsx）"),
        help_text=_(
            "列：industry_id（代码）、name（名称）、parent_id、level_type（0 门类 … 3 小类）、description"
        ),
    )


class OccupationImportForm(_UploadForm):
    suffixes = (".jsonl",)

    file = forms.FileField(
        label=_("职业分类大典文件（.jsonl）"),
        help_text=_(
            "每行一个职业（细类）：occupation_code、occupation_name、definition、keywords 及三级上级的代码与名称"
        ),
    )
    edition = forms.RegexField(
        label=_("大典版本"), regex=r"^[0-9A-Za-z+]{1,16}$", initial="2022", max_length=16
    )

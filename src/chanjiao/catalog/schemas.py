from __future__ import annotations

from ninja import Field, Schema


class CodeName(Schema):
    code: str
    name: str


class EditionOut(Schema):
    code: str
    name: str
    year: int
    source: str
    previous: str | None = Field(None, description="上一版本的代码")
    is_current: bool
    programme_count: int = Field(0, description="专业数")

    @staticmethod
    def resolve_previous(obj) -> str | None:
        return obj.previous.code if obj.previous_id else None


class ProgrammeOut(Schema):
    code: str = Field(..., description="专业代码，如 460702")
    name: str
    level: str = Field(..., description="secondary / associate / vocational_bachelor / applied_bachelor")
    level_display: str = Field(..., alias="get_level_display")
    edition: str = Field(..., description="目录版本代码")
    category: CodeName = Field(..., description="专业大类")
    klass: CodeName = Field(..., description="专业类")

    @staticmethod
    def resolve_edition(obj) -> str:
        return obj.edition.code


class IndustryOut(Schema):
    code: str = Field(..., description="GB/T 4754-2017 代码：门类字母，大类2位，中类3位，小类4位")
    name: str
    tier: int = Field(..., description="1 门类，2 大类，3 中类，4 小类")
    tier_display: str = Field(..., alias="get_tier_display")
    parent: str | None = Field(None, description="上级代码")
    description: str

    @staticmethod
    def resolve_parent(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None


class TreeNodeOut(Schema):
    code: str
    name: str
    tier: int


class IndustryDetailOut(IndustryOut):
    ancestors: list[TreeNodeOut] = Field(..., description="上级，自门类起")
    children: list[TreeNodeOut] = Field(..., description="下级")


class OccupationOut(Schema):
    code: str = Field(..., description="职业代码，如 2-02-10-03（细类）或 2-02（中类）")
    name: str
    tier: int = Field(..., description="1 大类，2 中类，3 小类，4 细类（职业）")
    tier_display: str = Field(..., alias="get_tier_display")
    edition: str
    parent: str | None = None
    definition: str
    keywords: list[str]

    @staticmethod
    def resolve_parent(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None


class OccupationDetailOut(OccupationOut):
    ancestors: list[TreeNodeOut]
    children: list[TreeNodeOut]


class ProgrammeChangeOut(Schema):
    code: str
    name: str
    level: str
    klass: str


class ProgrammeRenameOut(ProgrammeChangeOut):
    old_name: str
    new_name: str


class EditionDiffOut(Schema):
    new: str
    old: str
    added: list[ProgrammeChangeOut]
    renamed: list[ProgrammeRenameOut]
    dropped: list[ProgrammeChangeOut]
    unchanged: int

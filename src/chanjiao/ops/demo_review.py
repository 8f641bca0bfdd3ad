"""The demo's review scenario, in Jiangsu: a call, twelve applications taken into review, the pool and a
selection round ready for the province to compute conflicts and assign the experts.

Everything goes through the services the pages use (a call created and published by the province,
applications created, filled, signed and submitted by each school, endorsed by its city and taken
into review by the province; experts added to the pool, an education group, an applicant's
exclusion, the round's settings), so the audit trail reads as if people had done it. Two things stand
for time passing and are written directly: the call's deadline is moved to the moment the last
application was submitted, and the people the services cannot create (schools' and cities' staff,
experts) are made the way the demo data makes people, without a usable password.

Deterministic and re-runnable: what exists is found (the call by its title, an application by its
school, a person by username, an organisation by USCC) and nothing is made twice.

Two aids move a walkthrough past what one person cannot do alone (`chanjiao manage demo_review`):
`submit_demo_sheets` (the panel's other experts score) and `end_publicity` (the period runs out).

    from chanjiao.ops.demo_review import seed_review_scenario
    seed_review_scenario()
"""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from chanjiao.applications import services as applications
from chanjiao.applications.models import Application, Status
from chanjiao.core.models import Region
from chanjiao.core.permissions import Actor, Role
from chanjiao.orgs.models import Membership, Organization, User
from chanjiao.orgs.selectors import actor_for
from chanjiao.policy import services as policy
from chanjiao.policy.models import Call, IndicatorSystem, PolicyPack
from chanjiao.review import services as review
from chanjiao.review.demo import seed_review_demo
from chanjiao.review.models import EducationGroup, Exclusion, ExpertProfile, ReviewRound

from .demo_data import make_uscc, person_name

PACK_CODE = "jiangsu-integration-platform"
PROJECT_TYPE = "integration-platform"
INDICATOR_SYSTEM = "jiangsu-selection"
CALL_TITLE = "2026年江苏省高职产教融合集成平台建设项目申报"
CALL_DESCRIPTION = (
    "根据《江苏省高等职业教育产教融合集成平台建设计划》，启动第一批省产教融合集成平台建设项目遴选。"
    "全省独立设置、有符合条件的专业群为依托的高职院校联合合作企业申报，每校限报1项；"
    "各设区市教育局审核后排序推荐，省教育厅、省财政厅组织专家评审，纪检监察部门全程参与。"
)
EDUCATION_GROUP = "江苏现代交通职业教育集团"
REVIEWS_PER_APPLICATION = 5
LOAD_CAP = 8
RESERVES = 2
REVIEW_DAYS = 14
CITY_QUOTA = 2

# Area codes of the cities, for the contact telephone numbers.
AREA_CODES = {
    "320100": "025",
    "320200": "0510",
    "320300": "0516",
    "320400": "0519",
    "320500": "0512",
    "320600": "0513",
    "320700": "0518",
    "320800": "0517",
    "320900": "0515",
    "321000": "0514",
    "321100": "0511",
    "321200": "0523",
}


@dataclass(frozen=True)
class Theme:
    """One application: the city whose school applies (a school of the demo data there, or `school`
    made for it), its programme cluster, and what it invests (万元, the enterprise share)."""

    city: str
    school: str  # the school made when the city has no associate-level school yet
    focus: str  # 聚焦的区域重点行业或产业（链）领域
    cluster: str  # 依托的专业群
    programmes: tuple[str, ...]
    industries: tuple[str, ...]  # partners' industries (GB/T 4754 大类), one partner per code
    total_wan: int
    enterprise_share: str  # of the total, e.g. "0.40"
    workstation_share: str
    international: bool = False  # task 八 (optional) chosen
    upgrades_2016: bool = False
    group_partner: bool = False  # the first partner is a subsidiary of a Jiangsu enterprise group
    with_js_enterprise: bool = False  # the demo's Jiangsu enterprise (js_enterprise_admin) is a partner


THEMES = (
    Theme("320100", "南京交通职业技术学院", "智能网联汽车", "智能网联汽车技术专业群",
          ("460704", "460703", "460702", "510102"), ("36", "39"), 5600, "0.50", "0.35",
          international=True, upgrades_2016=True),
    Theme("320200", "无锡交通职业技术学院", "轨道交通装备", "轨道交通智能控制专业群",
          ("460306", "460301", "460303"), ("37",), 4200, "0.40", "0.34", with_js_enterprise=True),
    Theme("320300", "徐州信息职业技术学院", "软件和信息技术服务", "软件技术专业群",
          ("510203", "510205", "510206", "510209"), ("65",), 3600, "0.36", "0.40", international=True),
    Theme("320400", "常州智能制造职业技术学院", "智能电气装备", "电气自动化技术专业群",
          ("460306", "460303", "460305", "460301"), ("38",), 4800, "0.45", "0.34", upgrades_2016=True),
    Theme("320500", "苏州电子信息职业技术学院", "集成电路与电子元器件", "电子信息工程技术专业群",
          ("510101", "510103", "510102"), ("39",), 6000, "0.55", "0.38", international=True,
          group_partner=True),
    Theme("320600", "南通信息职业技术学院", "工业互联网", "物联网应用技术专业群",
          ("510102", "510301", "510206", "460303"), ("64",), 3800, "0.38", "0.30"),
    Theme("320700", "连云港职业技术学院", "港口物流与跨境电商", "现代物流管理专业群",
          ("530802", "530701", "530702"), ("54", "51"), 3200, "0.34", "0.36", upgrades_2016=True),
    Theme("320800", "淮安财经职业技术学院", "数字商贸", "大数据与会计专业群",
          ("530302", "530301", "530701", "510205"), ("51", "72"), 3000, "0.35", "0.34"),
    Theme("320900", "盐城汽车工程职业技术学院", "新能源汽车制造", "新能源汽车技术专业群",
          ("460702", "460701", "460306"), ("36", "38"), 5200, "0.42", "0.35", international=True),
    Theme("321000", "扬州职业技术学院", "高端装备制造", "智能制造专业群",
          ("460101", "460104", "460301", "460305"), ("34", "35"), 4500, "0.48", "0.37",
          upgrades_2016=True),
    Theme("321100", "镇江交通职业技术学院", "汽车检测与后市场服务", "汽车检测与维修技术专业群",
          ("500211", "500212", "500210", "460703"), ("36",), 3400, "0.37", "0.33"),
    Theme("321200", "泰州船舶工程职业技术学院", "船舶与海工装备", "智能焊接技术专业群",
          ("460110", "460113", "460101", "460104"), ("35", "26"), 5000, "0.52", "0.35",
          international=True),
)  # fmt: skip

# 江苏现代交通职业教育集团: the schools of these cities, and the employer of the expert marked `edu_group`.
GROUP_SCHOOL_CITIES = ("320100", "321100")
# The exclusion: the school of this city asks to keep the expert marked `group` away.
EXCLUDING_CITY = "320200"
EXCLUSION_REASON = "该专家所在集团与我校合作企业在轨道交通电气装备领域存在直接竞争关系，申请回避。"


@dataclass(frozen=True)
class ExpertSpec:
    """An expert the scenario adds to the pool. `employer` names where they work:
    js_expert: the demo account's employer; partner:N: the first partner of theme N's application;
    group: the enterprise group above the subsidiary partner; association: 江苏省软件行业协会;
    edu_group: an enterprise of the education group; school:N: theme N's school;
    institution:N: the N-th Jiangsu school or training centre that does not apply."""

    username: str
    employer: str
    title: str
    categories: tuple[str, ...]
    industries: tuple[str, ...] = ()  # none: the employer's industry, for an enterprise


EXPERTS = (
    ExpertSpec("js_expert", "js_expert", "正高级工程师", ("46", "51"), ("34", "35", "38")),
    ExpertSpec("jsexpert01", "partner:9", "高级工程师", ("46",)),
    ExpertSpec("jsexpert02", "partner:6", "高级经济师", ("53",), ("54", "58")),
    ExpertSpec("jsexpert03", "group", "正高级工程师", ("46", "51"), ("38", "39")),
    ExpertSpec("jsexpert04", "association", "研究员", ("51",), ("65", "64")),
    ExpertSpec("jsexpert05", "edu_group", "高级工程师", ("46", "50")),
    ExpertSpec("jsexpert06", "school:0", "教授", ("46", "50")),
    ExpertSpec("jsexpert07", "school:9", "副教授", ("46",)),
    ExpertSpec("jsexpert08", "institution:0", "教授", ("46", "51")),
    ExpertSpec("jsexpert09", "institution:1", "副教授", ("53", "51")),
    ExpertSpec("jsexpert10", "institution:2", "教授", ("51",)),
    ExpertSpec("jsexpert11", "institution:3", "副教授", ("46", "53")),
    ExpertSpec("jsexpert12", "institution:4", "高级讲师", ("46",)),
    ExpertSpec("jsexpert13", "institution:5", "教授", ("50", "46")),
    ExpertSpec("jsexpert14", "institution:6", "副教授", ("53",)),
    ExpertSpec("jsexpert15", "institution:7", "研究员", ("46", "51")),
)

TASK_PLANS = {
    "1": "围绕{focus}，按专业群间共享、专业群内共享、专业核心能力和公共基础通用能力四个方面整体设计{cluster}实践教学体系，建设共享型实训中心。",
    "2": "与{partner}共同引入真实生产项目，创设不同复杂程度的多种岗位，推行项目教学、案例教学和工作过程导向教学，开展“1+X”证书制度试点。",
    "3": "从{partner}选聘企业高级技术人员担任产业导师，与专业群建设带头人、骨干教师组成结构化教师教学创新团队，培育技术技能大师。",
    "4": "对接行业国际标准，联合{partner}依据企业典型工作任务开发标准化实践案例资源和模块化课程，配套编制实践操作手册。",
    "5": "组建面向{focus}的科技研发团队，联合企业开展关键技术研发和“四技”服务，每年推动成果转移转化，孵化大学生实践创新创业项目。",
    "6": "每年向企业和社会提供约{share}的工位，开展高技能人才培训、职工继续教育和退役军人再培训，参与“学分银行”试点。",
    "7": "按照“共建、共管、共用、共享”原则成立平台理事会，建立企业化管理、市场化运作、集成化展示的平台运行机制。",
    "8": "服务江苏企业“走出去”，与{partner}共同开发国际通用的专业标准和双语课程资源，为海外员工开展教育培训。",
}
TASK_TARGETS = {
    "1": ("完成实践教学体系设计", "建成共享型实训中心", "体系全面运行"),
    "2": ("引入真实生产项目", "完成岗位化实训改造", "“1+X”证书通过率达到90%"),
    "3": ("聘任产业导师", "组建教学创新团队", "培育技术技能大师"),
    "4": ("完成案例资源开发方案", "建成模块化课程", "出版实践操作手册"),
    "5": ("组建科技研发团队", "完成关键技术攻关", "实现成果转移转化"),
    "6": ("开放培训工位", "开展职工继续教育", "形成区域共享培训品牌"),
    "7": ("成立平台理事会", "完善运行制度", "形成可复制的运行模式"),
    "8": ("确定海外合作伙伴", "开发双语课程资源", "建成海外培训中心"),
}
# Budget: the enterprises bring equipment and technology; the rest is asked of the provincial fund
# (省财政专项资金, the support an award approves), the school (cash, facilities) and the local
# government. Each over the three construction years, 40% / 35% / 25%.
YEAR_SHARES = (40, 35, 25)


@dataclass
class ScenarioResult:
    call: Call
    review_round: ReviewRound
    applications: int  # of the call, under review
    pool: int  # active experts of Jiangsu's pool
    industry: int  # of whom from industry or an enterprise
    created: dict[str, int] = field(default_factory=dict)


def _rng(kind: str, key: str) -> random.Random:
    return random.Random(f"chanjiao-demo-review:{kind}:{key}")  # noqa: S311 - demo data, not security


def _beijing(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)), timezone.get_default_timezone())


def _actor(user: User, organization: Organization) -> Actor:
    return actor_for(user, organization.pk)


def _person(username: str, organization: Organization, role: str, *, title: str = "", created: dict) -> User:
    """A person with a role in `organization`, made as the demo data makes people (no usable password:
    they would set one through an invitation)."""
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create(
            username=username,
            display_name=person_name(_rng("person", username)),
            title=title,
            password=make_password(None),
        )
        created["people"] += 1
    Membership.objects.get_or_create(user=user, organization=organization, role=role)
    return user


def _demo_account(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise RuntimeError(f"演示账号 {username} 不存在：请先运行 chanjiao demo-data")
    return user


# --- organisations -----------------------------------------------------------------------------------


def _school_for(theme: Theme, js_school: Organization, created: dict) -> Organization:
    """The school that applies in the theme's city: js_school_admin's in its own city, else the first
    independent associate-level school there (by name), else one made in the demo data's style."""
    if js_school.region_id[:4] == theme.city[:4]:
        return js_school
    existing = (
        Organization.objects.filter(
            kind="school",
            school_level="associate",
            is_independent=True,
            is_active=True,
            region__code__startswith=theme.city[:4],
        )
        .order_by("name", "pk")
        .first()
    )
    if existing is not None:
        return existing
    city = Region.objects.get(code=theme.city)
    county = (
        Region.objects.filter(code__startswith=theme.city[:4], level=Region.Level.COUNTY)
        .exclude(code=theme.city)
        .order_by("code")
        .first()
    ) or city
    serial = f"J{THEMES.index(theme) + 1:08d}"
    uscc = make_uscc("12", county.code, serial)
    school = Organization.objects.filter(uscc=uscc).first()
    if school is None:
        rng = _rng("school", theme.city)
        school = Organization.objects.create(
            name=theme.school,
            kind="school",
            school_level="associate",
            region=county,
            uscc=uscc,
            sponsor=f"{city.name}人民政府",
            sponsor_kind="government",
            is_independent=True,
            contact_name=person_name(rng),
            contact_phone=f"{AREA_CODES[theme.city]}-{rng.randrange(10**7, 10**8)}",
            address=f"{county.full_name or county.name}职教路{rng.randrange(1, 300)}号",
        )
        created["organizations"] += 1
    return school


def _jiangsu_enterprises() -> list[Organization]:
    return list(
        Organization.objects.filter(kind="enterprise", is_active=True, region__code__startswith="32")
        .select_related("industry", "parent")
        .order_by("name", "pk")
    )


def _choose_partners(
    themes_schools: list[tuple[Theme, Organization]], js_enterprise: Organization, avoid: set[int]
) -> dict[int, list[Organization]]:
    """The partners of each theme's application, by theme index: one enterprise per industry code,
    of the school's city when there is one, each enterprise in one application only. Groups (an
    enterprise with subsidiaries) and `avoid` are left out."""
    enterprises = _jiangsu_enterprises()
    parents = {o.parent_id for o in enterprises if o.parent_id}
    used = set(avoid) | {js_enterprise.pk}
    chosen: dict[int, list[Organization]] = {}
    for n, (theme, school) in enumerate(themes_schools):

        def rank(o: Organization, school=school) -> tuple:
            return (o.region_id[:4] != school.region_id[:4], o.name)

        partners: list[Organization] = []
        for i, code in enumerate(theme.industries):
            candidates = [
                o
                for o in enterprises
                if o.pk not in used
                and o.pk not in parents
                and o.industry is not None
                and o.industry.code == code
                and (
                    not (theme.group_partner and i == 0)
                    or (o.parent is not None and o.parent.region_id.startswith("32"))
                )
            ]
            if not candidates:
                raise RuntimeError(f"演示数据中没有可作{theme.focus}共建企业的江苏企业（行业 {code}）")
            partner = min(candidates, key=rank)
            used.add(partner.pk)
            partners.append(partner)
        if theme.with_js_enterprise:
            partners.append(js_enterprise)
        chosen[n] = partners
    return chosen


# --- applications ------------------------------------------------------------------------------------


def _wan(amount: int) -> int:
    return amount * 10_000


def _split_years(total: int) -> list[int]:
    first = total * YEAR_SHARES[0] // 100
    second = total * YEAR_SHARES[1] // 100
    return [first, second, total - first - second]


def budget_lines(theme: Theme) -> list[dict]:
    """The theme's budget in yuan: the enterprise share of the total from the enterprises (60% equipment,
    40% technology); of the rest, 20% asked of the provincial fund, 45% school cash, 15% school
    facilities and what remains (20%) from the local government."""
    total = _wan(theme.total_wan)
    enterprise = int(total * Decimal(theme.enterprise_share))
    rest = total - enterprise
    equipment = enterprise * 60 // 100
    provincial = rest * 20 // 100
    school_cash = rest * 45 // 100
    facilities = rest * 15 // 100
    parts = [
        ("enterprise", "equipment", equipment),
        ("enterprise", "technology", enterprise - equipment),
        ("provincial_fund", "cash", provincial),
        ("school", "cash", school_cash),
        ("school", "facilities", facilities),
        ("local_government", "cash", rest - provincial - school_cash - facilities),
    ]
    lines = []
    for source, kind, amount in parts:
        for year, value in enumerate(_split_years(amount), start=1):
            lines.append({"year": year, "source": source, "kind": kind, "amount": f"{value}.00"})
    return lines


def _kpis(n: int) -> list[dict]:
    rng = _rng("kpis", str(n))
    base = {
        "tech_service_income": rng.randrange(80, 260, 10),
        "transfer_projects": rng.randint(1, 4),
        "incubated_student_projects": rng.randint(4, 10),
        "research_projects": rng.randint(1, 3),
        "patents": rng.randint(2, 8),
    }
    rows = []
    for code, value in base.items():
        for year in (1, 2, 3):
            grown = (
                value + (value * (year - 1) * 3) // 10 if code == "tech_service_income" else value + year - 1
            )
            rows.append({"kpi_code": code, "year": year, "value": str(grown)})
    return rows


def _draft(theme: Theme, partners: list[Organization], contact: User, n: int) -> dict:
    enterprise_total = int(_wan(theme.total_wan) * Decimal(theme.enterprise_share))
    enterprises = [p for p in partners if p.kind == "enterprise"]
    amounts = [enterprise_total] if len(enterprises) == 1 else []
    if len(enterprises) > 1:
        first = enterprise_total * 70 // 100
        each = (enterprise_total - first) // (len(enterprises) - 1)
        amounts = [first] + [each] * (len(enterprises) - 2)
        amounts.append(enterprise_total - sum(amounts))
    lead = partners[0].name
    share = f"{Decimal(theme.workstation_share) * 100:.0f}%"
    tasks = ["1", "2", "3", "4", "5", "6", "7"] + (["8"] if theme.international else [])
    rng = _rng("phone", theme.city)
    return {
        "title": f"{theme.focus}产教融合集成平台",
        "summary": (
            f"学校以{theme.cluster}为依托，联合{'、'.join(p.name for p in partners)}，"
            f"面向{theme.focus}领域共建产教融合集成平台，"
            f"建成集实践教学、社会培训、技术研发和创新创业于一体的区域共享平台。"
        ),
        "contact_name": contact.display_name,
        "contact_phone": f"{AREA_CODES[theme.city]}-{rng.randrange(10**7, 10**8)}",
        "fields": {
            "programme_cluster_name": theme.cluster,
            "industry_focus": theme.focus,
            "upgrades_2016_platform": theme.upgrades_2016,
            "social_training_workstation_share": theme.workstation_share,
        },
        "partners": [
            {
                "organization_id": p.pk,
                "role": "co_building_enterprise",
                "contribution": "投入生产设备与技术人员，共建实训基地，共同开发课程与实践案例"
                if i == 0
                else "提供技术标准与企业真实项目，参与平台运行管理和人员培训",
                "contribution_amount": f"{amount}.00",
            }
            for i, (p, amount) in enumerate(zip(enterprises, amounts, strict=True))
        ],
        "programmes": list(theme.programmes),
        "tasks": [
            {
                "task_code": code,
                "plan": TASK_PLANS[code].format(
                    focus=theme.focus, cluster=theme.cluster, partner=lead, share=share
                ),
                "yearly_targets": {str(y): t for y, t in enumerate(TASK_TARGETS[code], start=1)},
            }
            for code in tasks
        ],
        "budget_lines": budget_lines(theme),
        "kpis": _kpis(n),
    }


def _pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF in Chinese (a standard CJK font the reader supplies), the same bytes every run."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page.setTitle(title)
    width, height = A4
    page.setFont(font, 18)
    page.drawCentredString(width / 2, height - 80, title)
    page.setFont(font, 11)
    y = height - 130
    for line in lines:
        while line:
            page.drawString(60, y, line[:40])
            line = line[40:]
            y -= 20
    page.showPage()
    page.save()
    return buffer.getvalue()


def _attach(actor: Actor, app: Application, theme: Theme, partners: list[Organization]) -> None:
    parties = [app.applicant, *partners]
    total = Decimal(theme.total_wan)
    agreement = _pdf(
        "共建协议",
        [
            f"项目：{app.title}",
            "共建各方：" + "、".join(o.name for o in parties),
            "一、各方责权利：按照“共建、共管、共用、共享”原则，成立平台理事会，共同管理平台。",
            f"二、设备与经费投入方式：建设资金总投入{total}万元，其中合作企业投入占{Decimal(theme.enterprise_share) * 100:.0f}%，"
            "以设备和技术投入为主。",
            "三、使用和管理办法：平台设备由学校统一管理，企业优先使用，每年向社会开放培训工位。",
            "各方已签字盖章。",
        ],
    )
    plan = _pdf(
        "建设方案",
        [
            f"项目：{app.title}（{app.applicant.name}）",
            f"建设目标：面向{theme.focus}，依托{theme.cluster}建成省产教融合集成平台。",
            "具体措施：按计划“二、重点任务”逐项建设，见申报书建设任务。",
            "建设进度：第一年完成设计与设备采购，第二年建成运行，第三年完善机制并通过验收。",
            "保障措施：学校成立项目领导小组，设立专项资金账户，实行过程监管和绩效考核。",
        ],
    )
    for code, name, content, signers in (
        ("co_building_agreement", "共建协议.pdf", agreement, [o.pk for o in parties]),
        ("construction_plan", "建设方案.pdf", plan, []),
    ):
        applications.application_attach(
            actor=actor,
            application=app,
            spec_code=code,
            file=ContentFile(content, name=name),
            signed_by=signers,
        )


def _applicant_staff(school: Organization, js_school: Organization, created: dict) -> User:
    if school.pk == js_school.pk:
        return _demo_account("js_school_admin")
    member = (
        Membership.objects.filter(
            organization=school, role__in=(Role.ORG_ADMIN, Role.ORG_STAFF), is_active=True
        )
        .select_related("user")
        .order_by("role", "user__username")
        .first()
    )
    if member is not None:
        return member.user
    return _person(f"applicant_{school.region_id[:4]}00", school, Role.ORG_ADMIN, created=created)


def _city_staff(city_code: str, created: dict) -> tuple[User, Organization]:
    bureau = Organization.objects.get(kind="department", dept_level="city", region_id=city_code)
    member = (
        Membership.objects.filter(organization=bureau, role=Role.CITY_ADMIN, is_active=True)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    if member is not None:
        return member.user, bureau
    return _person(f"city_{city_code}", bureau, Role.CITY_ADMIN, created=created), bureau


# --- the scenario ------------------------------------------------------------------------------------


def _call(province: Actor, pack: PolicyPack, created: dict) -> Call:
    call = Call.objects.filter(pack__code=PACK_CODE, title=CALL_TITLE).first()
    if call is not None:
        return call
    today = timezone.localdate()
    cities = Region.objects.filter(level=Region.Level.CITY, code__startswith="32").values_list(
        "code", flat=True
    )
    call = policy.call_create(
        actor=province,
        pack=pack,
        data={
            "title": CALL_TITLE,
            "description": CALL_DESCRIPTION,
            "opens_at": _beijing(today - dt.timedelta(days=30), 9),
            "closes_at": _beijing(today + dt.timedelta(days=15), 17),
            "project_types": [PROJECT_TYPE],
            "limit_per_applicant": 1,
            "start_batch": 1,
            "quotas": {code: CITY_QUOTA for code in cities},
        },
    )
    policy.call_publish(actor=province, call=call)
    created["calls"] += 1
    return call


def _application(
    theme: Theme, n: int, call: Call, school: Organization, partners: list[Organization], staff: User, created
) -> Application:
    app = Application.objects.filter(call=call, applicant=school).exclude(status=Status.WITHDRAWN).first()
    if app is not None:
        return app
    actor = _actor(staff, school)
    project_type = call.project_types.get(code=PROJECT_TYPE)
    app = applications.application_create(actor=actor, call=call, project_type=project_type)
    applications.application_save_draft(actor=actor, application=app, data=_draft(theme, partners, staff, n))
    _attach(actor, app, theme, partners)
    app.refresh_from_db()
    applications.application_submit(actor=actor, application=app, expected_version=app.row_version)
    created["applications"] += 1
    return app


def _pool(
    province: Actor,
    experts: tuple[ExpertSpec, ...],
    employers: dict[str, Organization],
    js_expert: User,
    created: dict,
) -> dict[str, ExpertProfile]:
    """The scenario's experts in Jiangsu's pool, through the pool's own service."""
    profiles = {}
    for spec in experts:
        employer = employers[spec.employer]
        if spec.username == "js_expert":
            user = js_expert
        else:
            user = _person(spec.username, employer, Role.EXPERT, title=spec.title, created=created)
        profile = ExpertProfile.objects.filter(province_id="320000", user=user).first()
        if profile is None:
            industries = spec.industries or ((employer.industry.code,) if employer.industry_id else ())
            profile = review.expert_profile_create(
                actor=province,
                data={
                    "user_id": user.pk,
                    "employer_id": employer.pk,
                    "title": spec.title,
                    "programme_categories": list(spec.categories),
                    "industries": list(industries),
                },
            )
            created["experts"] += 1
        profiles[spec.username] = profile
    return profiles


@transaction.atomic
def seed_review_scenario() -> ScenarioResult:
    """Makes what is missing of the Jiangsu review scenario; returns it, with counts of what it made."""
    from .demo_data import generate

    created = {
        "calls": 0,
        "applications": 0,
        "organizations": 0,
        "people": 0,
        "experts": 0,
        "other_profiles": 0,
        "rounds": 0,
    }
    if not User.objects.filter(username="js_province").exists():
        generate("small")
    province_user = _demo_account("js_province")
    province_dept = Organization.objects.get(name="江苏省教育厅", kind="department")
    province = _actor(province_user, province_dept)
    pack = PolicyPack.objects.get(code=PACK_CODE, is_current=True)
    js_school = Membership.objects.get(user__username="js_school_admin", role=Role.ORG_ADMIN).organization
    js_enterprise = Membership.objects.get(
        user__username="js_enterprise_admin", role=Role.ORG_ADMIN
    ).organization
    js_expert = _demo_account("js_expert")
    js_expert_employer = Membership.objects.get(user=js_expert, role=Role.EXPERT).organization

    # 1. the call, and each school's application, submitted before the deadline
    call = _call(province, pack, created)
    schools = [(theme, _school_for(theme, js_school, created)) for theme in THEMES]
    existing = {
        a.applicant_id: a
        for a in Application.objects.filter(call=call)
        .exclude(status=Status.WITHDRAWN)
        .prefetch_related("partners__organization")
    }
    if len(existing) == len(THEMES):
        partners = {
            n: [p.organization for p in existing[school.pk].partners.all()]
            for n, (_theme, school) in enumerate(schools)
        }
    else:
        partners = _choose_partners(schools, js_enterprise, avoid={js_expert_employer.pk})
    apps = []
    for n, (theme, school) in enumerate(schools):
        staff = _applicant_staff(school, js_school, created)
        apps.append(_application(theme, n, call, school, partners[n], staff, created))

    # 2. time passes: the call closes just after the last submission. No service moves a published
    # call's deadline (the province only extends it for one applicant), so this stands for the clock.
    now = timezone.now()
    if call.closes_at > now:
        Call.objects.filter(pk=call.pk).update(closes_at=now)
        call.refresh_from_db()

    # 3. each city endorses its school's application; the province takes them into review
    for app in apps:
        app.refresh_from_db()
        if app.status == Status.SUBMITTED:
            city_user, bureau = _city_staff(app.city_code, created)
            ranked = Application.objects.filter(call=call, city_code=app.city_code, city_rank__isnull=False)
            applications.city_endorse(
                actor=_actor(city_user, bureau), application=app, rank=ranked.count() + 1
            )
        if app.status == Status.ENDORSED:
            applications.province_accept_into_review(actor=province, application=app)

    # 4. the pool: the scenario's experts (some where conflicts will show), then everyone else with
    # an expert role, as the demo's review data gives them
    employers = _employers(schools, partners, js_expert_employer)
    profiles = _pool(province, EXPERTS, employers, js_expert, created)
    created["other_profiles"] = seed_review_demo(rounds=False)["profiles"]
    if not EducationGroup.objects.filter(province_id="320000", name=EDUCATION_GROUP).exists():
        members = [school.pk for theme, school in schools if theme.city in GROUP_SCHOOL_CITIES]
        review.education_group_create(
            actor=province, name=EDUCATION_GROUP, member_ids=[*members, employers["edu_group"].pk]
        )

    # 5. the selection round, set up by the province; one applicant asks to keep an expert away;
    # then the province closes exclusions. Left in setup: the walkthrough computes the conflicts.
    project_type = call.project_types.get(code=PROJECT_TYPE)
    review_round = ReviewRound.objects.filter(
        call=call, project_type=project_type, kind=ReviewRound.Kind.SELECTION
    ).first()
    if review_round is None:
        system = IndicatorSystem.objects.get(pack=pack, code=INDICATOR_SYSTEM, is_current=True)
        deadline = _beijing(timezone.localdate() + dt.timedelta(days=REVIEW_DAYS), 17)
        review_round = review.review_round_create(
            actor=province,
            data={
                "call_id": call.pk,
                "project_type_id": project_type.pk,
                "kind": ReviewRound.Kind.SELECTION,
                "indicator_system_id": system.pk,
                "reviews_per_application": REVIEWS_PER_APPLICATION,
                "load_cap": LOAD_CAP,
                "reserves": RESERVES,
                "review_deadline": deadline,
                "ranking_method": ReviewRound.RankingMethod.TRIMMED_MEAN,
            },
        )
        created["rounds"] += 1
        excluding = next(app for app in apps if app.city_code == EXCLUDING_CITY)
        excluded = profiles["jsexpert03"]
        if not Exclusion.objects.filter(application=excluding).exists():
            review.exclusion_add(
                actor=_actor(excluding.created_by, excluding.applicant),
                application=excluding,
                expert_name=excluded.user.display_name,
                employer_name=excluded.employer.name,
                reason=EXCLUSION_REASON,
            )
        review.review_round_update(
            actor=province, review_round=review_round, data={"exclusions_close_at": timezone.now()}
        )
    pool = ExpertProfile.objects.filter(province_id="320000", is_active=True)
    return ScenarioResult(
        call=call,
        review_round=review_round,
        applications=Application.objects.filter(call=call, status=Status.UNDER_REVIEW).count(),
        pool=pool.count(),
        industry=pool.filter(is_industry=True).count(),
        created=created,
    )


def _employers(
    schools: list[tuple[Theme, Organization]],
    partners: dict[int, list[Organization]],
    js_expert_employer: Organization,
) -> dict[str, Organization]:
    """Where each of the scenario's experts works (see ExpertSpec)."""
    group_partner = next(partners[n][0] for n, (theme, _s) in enumerate(schools) if theme.group_partner)
    group = group_partner.parent
    while group.parent_id is not None:
        group = group.parent
    applying = {school.pk for _theme, school in schools}
    taken = {o.pk for rows in partners.values() for o in rows} | {js_expert_employer.pk, group.pk}
    edu_group = (
        Organization.objects.filter(
            kind="enterprise",
            is_active=True,
            region__code__startswith="32",
            industry__code__in=("36", "37"),
            parent__isnull=True,
            subsidiaries__isnull=True,
        )
        .exclude(pk__in=taken)
        .order_by("name", "pk")
        .first()
    )
    institutions = list(
        Organization.objects.filter(
            kind__in=("school", "evaluation_org"), is_active=True, region__code__startswith="32"
        )
        .exclude(pk__in=applying)
        .order_by("kind", "name", "pk")
    )
    employers = {
        "js_expert": js_expert_employer,
        "group": group,
        "association": Organization.objects.get(name="江苏省软件行业协会", kind="association"),
        "edu_group": edu_group,
    }
    for n in range(len(THEMES)):
        employers[f"partner:{n}"] = partners[n][0]
        employers[f"school:{n}"] = schools[n][1]
    for n, org in enumerate(institutions):
        employers[f"institution:{n}"] = org
    missing = [spec.employer for spec in EXPERTS if employers.get(spec.employer) is None]
    if missing:
        raise RuntimeError(f"演示数据中找不到这些专家的工作单位：{'、'.join(missing)}")
    return employers


# --- moving the walkthrough on -----------------------------------------------------------------------
# A person walking the review plays js_province, js_expert and the public. Two steps need what the demo
# cannot give them: the other experts of the panel (people without a password) scoring their sheets,
# and the publicity period running out before the award. These stand for both.

DEMO_EXPERT = "js_expert"
COMMENTS = (
    "基础扎实，目标明确，措施具体可行",
    "建设内容较完整，部分举措有待细化",
    "特色不够突出，建议加强与企业的实质合作",
)


def _quality(application_key: str) -> float:
    """How good the demo judges an application (0.55–0.92): the same for every expert, so the ranking
    has a shape; each expert adds their own leniency and a little noise. Keyed by names, not row ids,
    so that the same demo scores the same on any database."""
    return 0.55 + _rng("quality", application_key).random() * 0.37


def _sheet_values(layout, assignment) -> dict:
    from chanjiao.review.models import ScoreSheet

    application_key = f"{assignment.application.applicant.name}:{assignment.application.title}"
    expert_key = assignment.expert.user.username
    q = _quality(application_key)
    q += (_rng("leniency", expert_key).random() - 0.5) * 0.1
    q += (_rng("noise", f"{expert_key}:{application_key}").random() - 0.5) * 0.12
    q = min(max(q, 0.3), 1.0)
    scores: dict[str, object] = {}
    for code, leaf in layout.tree.leaves.items():
        if leaf.kind == "gate":
            scores[code] = True
            continue
        value = leaf.min + (leaf.max - leaf.min) * Decimal(str(round(q, 3)))
        value = (value * 2).quantize(Decimal(1)) / 2  # to half points
        scores[code] = str(min(max(value, leaf.min), leaf.max))
    # an acceptance or performance round scores its formula and gate leaves from the batch's figures
    from chanjiao.review.scoring_selectors import computation_of, prefill

    vetoes: list[str] = []
    prefill(layout, computation_of(assignment.round, assignment.application_id, layout), scores, vetoes)
    comment = COMMENTS[0] if q >= 0.8 else COMMENTS[1] if q >= 0.65 else COMMENTS[2]
    if q >= 0.85:
        recommendation = ScoreSheet.Recommendation.STRONG
    elif q >= 0.72:
        recommendation = ScoreSheet.Recommendation.RECOMMEND
    elif q >= 0.6:
        recommendation = ScoreSheet.Recommendation.RESERVED
    else:
        recommendation = ScoreSheet.Recommendation.NOT_RECOMMENDED
    if assignment.round.kind != "selection":
        recommendation = ""  # an acceptance or performance batch grades; its experts recommend nothing
    return {
        "scores": scores,
        "vetoes": vetoes,
        "comments": {code: f"{name}：{comment}。" for code, name in layout.tree.first_level.items()},
        "overall_comment": f"{assignment.application.title}{comment}。",
        "recommendation": recommendation,
    }


@transaction.atomic
def submit_demo_sheets(review_round: ReviewRound, *, leave_to: str | None = DEMO_EXPERT) -> int:
    """Every reviewer of the round but `leave_to` (a username; None: everyone) submits their score
    sheet, through the scoring service as that expert, with scores that differ by application and by
    expert. Sheets already submitted or recused are left as they are. Returns how many were submitted."""
    from chanjiao.review.models import Assignment, ScoreSheet
    from chanjiao.review.scoring_selectors import layout_of
    from chanjiao.review.scoring_services import sheet_submit
    from chanjiao.review.selectors import unwaived_conflict

    layout = layout_of(review_round)
    if layout is None:
        return 0
    assignments = (
        Assignment.objects.filter(round=review_round, reserve=False)
        .filter(~unwaived_conflict())
        .select_related("round", "expert", "expert__user", "application", "application__applicant")
        .order_by("application_id", "expert_id")
    )
    if leave_to:
        assignments = assignments.exclude(expert__user__username=leave_to)
    done = 0
    for assignment in assignments:
        sheet = ScoreSheet.objects.filter(assignment=assignment).first()
        if sheet is not None and sheet.status != ScoreSheet.Status.DRAFT:
            continue
        sheet_submit(
            actor=actor_for(assignment.expert.user, assignment.expert.employer_id),
            assignment=assignment,
            expected_version=sheet.row_version if sheet is not None else 0,
            data=_sheet_values(layout, assignment),
        )
        done += 1
    return done


@transaction.atomic
def end_publicity(review_round: ReviewRound):
    """Stands for the publicity period running out: its dates move back by whole weeks (so its working
    days stay working days) until it ended yesterday or earlier. No service moves a published
    publicity, as none moves time. Returns the publicity (None when the round has none)."""
    from django.db.models import F

    from chanjiao.review.models import Publicity

    publicity = Publicity.objects.filter(round=review_round).first()
    today = timezone.localdate()
    if publicity is None or publicity.ends_on < today:
        return publicity
    weeks = (publicity.ends_on - today).days // 7 + 1
    shift = dt.timedelta(weeks=weeks)
    Publicity.objects.filter(pk=publicity.pk).update(
        starts_on=F("starts_on") - shift, ends_on=F("ends_on") - shift
    )
    publicity.refresh_from_db()
    return publicity


def scenario_round() -> ReviewRound | None:
    """The scenario's selection round, once made."""
    return (
        ReviewRound.objects.filter(
            call__pack__code=PACK_CODE, call__title=CALL_TITLE, kind=ReviewRound.Kind.SELECTION
        )
        .select_related("call", "call__pack", "indicator_system")
        .first()
    )

"""A deterministic generator of demo data.

Entity number i of each kind is always generated the same way (its random stream is seeded by
kind and number), so `--scale small` is a prefix of `--scale province`, and running the generator
again creates only what is missing. Names are realistic and fictitious; USCCs carry correct check
characters; regions and industry codes are real.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from chanjiao.catalog.models import Industry
from chanjiao.core.audit import audit_record
from chanjiao.core.models import Region
from chanjiao.core.permissions import Role
from chanjiao.core.validators import uscc_check_char
from chanjiao.orgs.models import Membership, Organization, User

from .names import BRAND_CHARS, ENTERPRISE_TRADES, ENTERPRISE_WORDS, GIVEN_CHARS, SCHOOL_PATTERNS, SURNAMES

DEMO_PASSWORD = "Chanjiao2026"

# 皖江: 合肥 芜湖 马鞍山 铜陵 安庆 池州 滁州 宣城 (cities), and 六安's 金安区 and 舒城县.
WANJIANG_CITIES = ("340100", "340200", "340500", "340700", "340800", "341700", "341100", "341800")
WANJIANG_COUNTIES = ("341502", "341523")


@dataclass(frozen=True)
class Scale:
    schools: int
    enterprises: int
    experts: int


SCALES = {
    "small": Scale(schools=40, enterprises=150, experts=60),
    "province": Scale(schools=500, enterprises=20_000, experts=2_000),
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: str
    organization: str  # the organisation's name
    note: str


DEMO_ACCOUNTS = (
    DemoAccount("ah_province", "陈立新", Role.PROVINCE_ADMIN, "安徽省教育厅", "安徽省教育厅 · 省级管理员"),
    DemoAccount("js_province", "周文博", Role.PROVINCE_ADMIN, "江苏省教育厅", "江苏省教育厅 · 省级管理员"),
    DemoAccount("hf_city", "刘晓东", Role.CITY_ADMIN, "合肥市教育局", "合肥市教育局 · 市级管理员"),
    DemoAccount("school_admin", "王建华", Role.ORG_ADMIN, "@school", "学校 · 单位管理员"),
    DemoAccount("school_staff", "李思远", Role.ORG_STAFF, "@school", "学校 · 单位工作人员"),
    DemoAccount("enterprise_admin", "张海燕", Role.ORG_ADMIN, "@enterprise", "企业 · 单位管理员"),
    DemoAccount("expert", "赵志明", Role.EXPERT, "@enterprise2", "评审专家（企业）"),
    DemoAccount("learner", "孙雨桐", Role.LEARNER, "@school", "学习者"),
    DemoAccount("observer", "吴卫东", Role.OBSERVER, "安徽省教育厅", "纪检监察 · 只读"),
    DemoAccount("js_school_admin", "钱嘉禾", Role.ORG_ADMIN, "@js_school", "江苏高职院校 · 单位管理员"),
    DemoAccount("js_city", "沈晓明", Role.CITY_ADMIN, "@js_city", "江苏设区市教育局 · 市级管理员"),
    DemoAccount("js_enterprise_admin", "蒋志强", Role.ORG_ADMIN, "@js_enterprise", "江苏企业 · 单位管理员"),
    DemoAccount("js_observer", "陆正平", Role.OBSERVER, "江苏省教育厅", "江苏省 · 纪检监察 · 只读"),
    DemoAccount("js_expert", "许振华", Role.EXPERT, "@js_expert_employer", "江苏评审专家（企业）"),
)


def _rng(kind: str, number: int) -> random.Random:
    return random.Random(f"chanjiao-demo:{kind}:{number}")  # noqa: S311 - demo data, not security


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def make_uscc(prefix: str, region_code: str, serial: str) -> str:
    body = f"{prefix}{region_code}{serial}"
    return body + uscc_check_char(body)


class _Regions:
    def __init__(self):
        regions = list(Region.objects.filter(code__regex=r"^3[24]").order_by("code"))
        self.by_code = {r.code: r for r in regions}
        self.counties: dict[str, list[Region]] = {}
        for r in regions:
            # Codes ending 70–99 are development zones listed beside the counties; demo data uses counties.
            if r.level == Region.Level.COUNTY and int(r.code[4:]) < 70:
                self.counties.setdefault(r.code[:4] + "00", []).append(r)
        self.anhui_cities = [r.code for r in regions if r.level == "city" and r.code.startswith("34")]
        self.jiangsu_cities = [r.code for r in regions if r.level == "city" and r.code.startswith("32")]
        if not self.anhui_cities or not self.jiangsu_cities:
            raise RuntimeError("区划数据未加载：请先运行 chanjiao demo 或 chanjiao import regions")

    def city_short(self, code: str) -> str:
        """The short city name of a city or county code (舒城县 → 六安)."""
        return self.by_code[code[:4] + "00"].name.removesuffix("市")

    def county_in(self, code: str, rng: random.Random) -> Region:
        """A county of the city `code`, or the county itself when `code` is one."""
        if self.by_code[code].level == Region.Level.COUNTY:
            return self.by_code[code]
        counties = self.counties.get(code) or [self.by_code[code]]
        return rng.choice(counties)


WANJIANG_MEMBERS = WANJIANG_CITIES + WANJIANG_COUNTIES


def _school_city(i: int, regions: _Regions) -> str:
    """The first 40 schools sit in the 皖江 zone (24) and Jiangsu (16); later ones anywhere in both provinces."""
    if i < 40:
        if i % 5 in (3, 4):
            return regions.jiangsu_cities[(i // 5 * 2 + i % 5 - 3) % len(regions.jiangsu_cities)]
        return WANJIANG_MEMBERS[(i // 5 * 3 + i % 5) % len(WANJIANG_MEMBERS)]
    pool = regions.anhui_cities + regions.jiangsu_cities
    return pool[i % len(pool)]


def _school_level(i: int) -> str:
    if i == 0:
        return "associate"
    return (
        "associate",
        "associate",
        "associate",
        "secondary",
        "associate",
        "secondary",
        "associate",
        "vocational_bachelor",
        "associate",
        "applied_bachelor",
    )[i % 10]


def _enterprise_city(i: int, regions: _Regions) -> str:
    if i < 150:
        wanjiang_or_js = list(WANJIANG_CITIES) + regions.jiangsu_cities[:5]
        return wanjiang_or_js[i % len(wanjiang_or_js)]
    pool = regions.anhui_cities + regions.jiangsu_cities
    return pool[i % len(pool)]


def _departments(regions: _Regions) -> list[Organization]:
    depts = [
        Organization(
            name="安徽省教育厅", kind="department", dept_level="province", region=regions.by_code["340000"]
        ),
        Organization(
            name="安徽省财政厅", kind="department", dept_level="province", region=regions.by_code["340000"]
        ),
        Organization(
            name="江苏省教育厅", kind="department", dept_level="province", region=regions.by_code["320000"]
        ),
        Organization(
            name="江苏省财政厅", kind="department", dept_level="province", region=regions.by_code["320000"]
        ),
    ]
    for code in regions.anhui_cities + regions.jiangsu_cities:
        city = regions.by_code[code]
        depts.append(
            Organization(name=f"{city.name}教育局", kind="department", dept_level="city", region=city)
        )
    return depts


def _school(i: int, regions: _Regions, used_names: set[str]) -> Organization:
    rng = _rng("school", i)
    city = _school_city(i, regions)
    county = regions.county_in(city, rng)
    level = _school_level(i)
    patterns = SCHOOL_PATTERNS[level]
    base = regions.city_short(city)
    name = base + patterns[i % len(patterns)]
    if name in used_names:
        name = (
            base
            + county.name.removesuffix("区").removesuffix("县").removesuffix("市")
            + patterns[i % len(patterns)]
        )
    suffix = 2
    while name in used_names:
        name = f"{base}第{suffix}{patterns[i % len(patterns)]}"
        suffix += 1
    used_names.add(name)
    public = rng.random() < 0.8
    return Organization(
        name=name,
        kind="school",
        school_level=level,
        region=county,
        uscc=make_uscc("12" if public else "52", county.code, f"5{i:08d}"),
        sponsor=(
            f"{regions.by_code[city[:4] + '00'].name}人民政府"
            if public
            else f"{rng.choice(ENTERPRISE_WORDS)}教育集团"
        ),
        sponsor_kind="government" if public else "private",
        is_independent=True,
        contact_name=person_name(rng),
        contact_phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
        address=f"{county.full_name or county.name}{rng.choice(ENTERPRISE_WORDS)}路{rng.randrange(1, 999)}号",
    )


def _enterprise(
    i: int, regions: _Regions, industries: dict[str, Industry], used_names: set[str]
) -> Organization:
    rng = _rng("enterprise", i)
    city = _enterprise_city(i, regions)
    county = regions.county_in(city, rng)
    code, trade, suffix = ENTERPRISE_TRADES[i % len(ENTERPRISE_TRADES)]
    is_group = i % 20 == 0
    ending = "集团有限公司" if is_group else suffix
    while True:
        word = rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
        name = f"{regions.city_short(city)}{word}{trade}{ending}"
        if word[0] != word[1] and name not in used_names:
            break
    used_names.add(name)
    return Organization(
        name=name,
        kind="enterprise",
        region=county,
        uscc=make_uscc("91", county.code, f"M{i:08d}"),
        industry=industries.get(code),
        size="large" if is_group else rng.choice(("medium", "small", "small", "micro", "large")),
        ownership=rng.choice(("private", "private", "state", "mixed", "foreign")),
        contact_name=person_name(rng),
        contact_phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
        address=f"{county.full_name or county.name}{word}大道{rng.randrange(1, 999)}号",
    )


def _others(regions: _Regions) -> list[Organization]:
    hefei, nanjing = regions.by_code["340100"], regions.by_code["320100"]
    rows = [
        ("安徽省装备制造行业协会", "association", hefei, "51", "A00000001"),
        ("江苏省软件行业协会", "association", nanjing, "51", "A00000002"),
        ("皖江新能源汽车产业联盟", "association", regions.by_code["340200"], "51", "A00000003"),
        ("华职技能评价有限公司", "evaluation_org", hefei, "91", "E00000001"),
        ("苏职智能制造培训评价中心", "evaluation_org", nanjing, "52", "E00000002"),
        ("安徽省职业教育研究院", "research", hefei, "12", "R00000001"),
    ]
    orgs = []
    for name, kind, city, prefix, serial in rows:
        county = regions.counties.get(city.code, [city])[0]
        orgs.append(
            Organization(name=name, kind=kind, region=county, uscc=make_uscc(prefix, county.code, serial))
        )
    return orgs


Progress = Callable[[int, int], None]


def generate(scale_name: str, *, progress: Progress | None = None) -> dict[str, int]:
    """Creates what is missing of the demo data at `scale_name`; returns counts created."""
    scale = SCALES[scale_name]
    regions = _Regions()
    industries = {i.code: i for i in Industry.objects.filter(tier=2)}
    created = {"organizations": 0, "people": 0}
    report = progress or (lambda done, total: None)
    total_steps = scale.schools + scale.enterprises + scale.experts
    with transaction.atomic():
        existing_names = set(Organization.objects.values_list("name", flat=True))
        existing_usccs = set(Organization.objects.exclude(uscc=None).values_list("uscc", flat=True))

        new_orgs = [
            o
            for o in _departments(regions) + _others(regions)
            if o.name not in existing_names and (o.uscc is None or o.uscc not in existing_usccs)
        ]
        Organization.objects.bulk_create(new_orgs)
        created["organizations"] += len(new_orgs)

        used: set[str] = set()
        schools = [_school(i, regions, used) for i in range(scale.schools)]
        report(scale.schools, total_steps)
        used = set()
        enterprises = [_enterprise(i, regions, industries, used) for i in range(scale.enterprises)]
        report(scale.schools + scale.enterprises, total_steps)
        fresh = [o for o in schools + enterprises if o.uscc not in existing_usccs]
        Organization.objects.bulk_create(fresh, batch_size=2000)
        created["organizations"] += len(fresh)

        by_uscc = dict(
            Organization.objects.filter(uscc__in=[o.uscc for o in enterprises]).values_list("uscc", "pk")
        )
        subsidiaries = []
        for i, ent in enumerate(enterprises):
            if i % 20 in (1, 2, 3) and ent.uscc in {o.uscc for o in fresh}:
                group = enterprises[i - i % 20]
                subsidiaries.append(Organization(pk=by_uscc[ent.uscc], parent_id=by_uscc[group.uscc]))
        Organization.objects.bulk_update(subsidiaries, ["parent"], batch_size=2000)

        created["people"] += _people(scale, schools, enterprises, progress=report, total=total_steps)
        audit_record(
            actor=None,
            action="demo_data.generate",
            object_type="ops.demo_data",
            object_repr=f"演示数据（{scale_name}）",
            changes={k: [0, v] for k, v in created.items()},
        )
    report(total_steps, total_steps)
    return created


def _people(scale: Scale, schools, enterprises, *, progress: Progress, total: int) -> int:
    org_ids = dict(
        Organization.objects.filter(uscc__in=[o.uscc for o in schools + enterprises]).values_list(
            "uscc", "pk"
        )
    )
    named = dict(Organization.objects.filter(kind="department").values_list("name", "pk"))
    existing = set(User.objects.values_list("username", flat=True))
    demo_hash = make_password(DEMO_PASSWORD)
    unusable = make_password(None)
    users: list[User] = []
    memberships: list[tuple[str, int, str]] = []

    js_school = next(o for o in schools if o.region_id.startswith("32") and o.school_level == "associate")
    js_enterprise = next(o for o in enterprises if o.region_id[:4] == js_school.region_id[:4])
    js_city_name = Region.objects.get(code=js_school.region_id[:4] + "00").name + "教育局"
    # the Jiangsu expert works for an intelligent-equipment maker (行业 34) in another city than js_school
    js_expert_employer = next(
        o
        for o in enterprises
        if o.region_id.startswith("32")
        and o.region_id[:4] != js_school.region_id[:4]
        and o.industry is not None
        and o.industry.code == "34"
    )
    special = {
        "@js_school": org_ids[js_school.uscc],
        "@js_enterprise": org_ids[js_enterprise.uscc],
        "@js_city": named[js_city_name],
        "@js_expert_employer": org_ids[js_expert_employer.uscc],
        "@school": org_ids[schools[0].uscc],
        "@enterprise": org_ids[enterprises[0].uscc],
        "@enterprise2": org_ids[enterprises[1].uscc],
    }
    for account in DEMO_ACCOUNTS:
        org_id = special.get(account.organization) or named[account.organization]
        if account.username not in existing:
            users.append(
                User(
                    username=account.username,
                    display_name=account.display_name,
                    password=demo_hash,
                    email=f"{account.username}@demo.chanjiao.local",
                )
            )
        memberships.append((account.username, org_id, account.role))

    for i in range(scale.experts):
        rng = _rng("expert", i)
        username = f"expert{i + 1:04d}"
        employer = enterprises[i % len(enterprises)] if i % 2 == 0 else schools[i % len(schools)]
        if username not in existing:
            users.append(
                User(
                    username=username,
                    display_name=person_name(rng),
                    password=unusable,
                    title=rng.choice(("高级工程师", "教授", "副教授", "正高级工程师", "高级技师", "研究员")),
                )
            )
        memberships.append((username, org_ids[employer.uscc], Role.EXPERT))
        if i % 200 == 0:
            progress(scale.schools + scale.enterprises + i, total)

    User.objects.bulk_create(users, batch_size=2000)
    user_ids = dict(
        User.objects.filter(username__in=[m[0] for m in memberships]).values_list("username", "pk")
    )
    have = set(
        Membership.objects.filter(user_id__in=user_ids.values()).values_list(
            "user_id", "organization_id", "role"
        )
    )
    Membership.objects.bulk_create(
        [
            Membership(user_id=user_ids[u], organization_id=o, role=r)
            for u, o, r in memberships
            if (user_ids[u], o, r) not in have
        ],
        batch_size=2000,
    )
    return len(users)


def demo_accounts() -> list[tuple[DemoAccount, str]]:
    """The demo accounts with the organisation each acts for, for printing."""
    rows = []
    for account in DEMO_ACCOUNTS:
        m = (
            Membership.objects.filter(user__username=account.username, role=account.role)
            .select_related("organization")
            .first()
        )
        rows.append((account, m.organization.name if m else "—"))
    return rows

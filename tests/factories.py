"""Small builders for test data. Regions are the real GB/T 2260 codes the tests need."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from chanjiao.core.models import Region
from chanjiao.core.validators import uscc_check_char
from chanjiao.orgs.models import Membership, Organization, User

_serial = itertools.count(1)


def valid_uscc(region_code: str = "340100", serial: int | None = None) -> str:
    """A USCC with a correct GB 32100-2015 check character (企业 '91', the region, a serial)."""
    n = next(_serial) if serial is None else serial
    body = f"91{region_code}{n:09d}"[:17]
    body = body.replace("I", "1").replace("O", "0")
    return body + uscc_check_char(body)


@dataclass
class RegionsFixture:
    anhui: Region
    hefei: Region
    hefei_shushan: Region
    wuhu: Region
    wuhu_jinghu: Region
    jiangsu: Region
    nanjing: Region
    nanjing_xuanwu: Region

    @classmethod
    def create(cls) -> RegionsFixture:
        def region(code, name, level, parent=None, full=""):
            obj, _ = Region.objects.get_or_create(
                code=code,
                defaults={"name": name, "level": level, "parent": parent, "full_name": full or name},
            )
            return obj

        anhui = region("340000", "安徽省", "province")
        hefei = region("340100", "合肥市", "city", anhui, "安徽省合肥市")
        wuhu = region("340200", "芜湖市", "city", anhui, "安徽省芜湖市")
        jiangsu = region("320000", "江苏省", "province")
        nanjing = region("320100", "南京市", "city", jiangsu, "江苏省南京市")
        return cls(
            anhui=anhui,
            hefei=hefei,
            hefei_shushan=region("340104", "蜀山区", "county", hefei, "安徽省合肥市蜀山区"),
            wuhu=wuhu,
            wuhu_jinghu=region("340202", "镜湖区", "county", wuhu, "安徽省芜湖市镜湖区"),
            jiangsu=jiangsu,
            nanjing=nanjing,
            nanjing_xuanwu=region("320102", "玄武区", "county", nanjing, "江苏省南京市玄武区"),
        )


def make_org(name: str, *, kind: str, region: Region, **fields) -> Organization:
    if kind in {"school", "enterprise", "association", "evaluation_org"} and "uscc" not in fields:
        fields["uscc"] = valid_uscc(region.code)
    return Organization.objects.create(name=name, kind=kind, region=region, **fields)


def make_person(
    username: str, organization: Organization, role: str, *, password: str | None = None, **fields
) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, display_name=fields.pop("display_name", username), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    Membership.objects.get_or_create(user=user, organization=organization, role=role)
    return user


def make_person_without_org(username: str, *, password: str | None = None, **fields) -> User:
    user = User(username=username, display_name=fields.pop("display_name", username), **fields)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user

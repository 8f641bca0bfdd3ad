import pytest
from django.core.management import call_command

from chanjiao.core.models import AuditEntry
from chanjiao.core.validators import check_uscc
from chanjiao.ops.demo_data import DEMO_ACCOUNTS, DEMO_PASSWORD, generate
from chanjiao.ops.reference import load_reference_seeds
from chanjiao.orgs.models import Membership, Organization, User


@pytest.fixture
def seeded(db):
    list(load_reference_seeds())


def _snapshot():
    rows = Organization.objects.values_list(
        "uscc", "name", "region_id", "kind", "school_level", "parent__uscc"
    )
    return sorted(rows, key=repr)


def test_small_scale_makes_the_promised_population_with_valid_codes(seeded):
    # when the small demo data is generated
    created = generate("small")
    # then the counts are those of the issue: about 40 schools, 150 enterprises, 60 experts
    assert Organization.objects.filter(kind="school").count() == 40
    assert Organization.objects.filter(kind="enterprise").count() == 150
    assert (
        Membership.objects.filter(role="expert").values("user").distinct().count() == 60 + 2
    )  # + the demo experts (expert, js_expert)
    assert created["organizations"] == Organization.objects.count()
    # every USCC carries a correct GB 32100-2015 check character
    assert all(
        check_uscc(u) is None for u in Organization.objects.exclude(uscc=None).values_list("uscc", flat=True)
    )
    # schools sit in the 皖江 zone (cities or 六安's two counties) and in Jiangsu
    anhui = Organization.objects.filter(kind="school", region__code__startswith="34")
    jiangsu = Organization.objects.filter(kind="school", region__code__startswith="32")
    assert anhui.count() == 24
    assert jiangsu.count() == 16
    wanjiang_prefixes = ("3401", "3402", "3405", "3407", "3408", "3417", "3411", "3418", "341502", "341523")
    assert all(code.startswith(wanjiang_prefixes) for code in anhui.values_list("region_id", flat=True))
    # every enterprise has a real industry, and some belong to a group
    assert not Organization.objects.filter(kind="enterprise", industry=None).exists()
    assert Organization.objects.filter(kind="enterprise").exclude(parent=None).exists()
    # the generator's run is in the audit trail
    assert AuditEntry.objects.filter(action="demo_data.generate").count() == 1


def test_generation_is_deterministic_and_a_rerun_adds_nothing(seeded):
    generate("small")
    first = _snapshot()
    # when it runs again
    again = generate("small")
    # then nothing is added
    assert again == {"organizations": 0, "people": 0}
    assert _snapshot() == first


def test_the_same_entities_come_out_on_every_run(seeded):
    generate("small")
    names = set(Organization.objects.filter(kind="enterprise").values_list("uscc", "name"))
    Organization.objects.filter(parent__isnull=False).update(parent=None)
    Membership.objects.all().delete()
    Organization.objects.all().delete()
    generate("small")
    assert set(Organization.objects.filter(kind="enterprise").values_list("uscc", "name")) == names


def test_every_demo_account_logs_in_and_acts_for_its_organisation(seeded, client):
    generate("small")
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        assert user.check_password(DEMO_PASSWORD), account.username
        assert Membership.objects.filter(user=user, role=account.role).exists(), account.username
    response = client.post("/login/", {"username": "school_admin", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    home = client.get("/")
    assert "合肥职业技术学院" in home.content.decode()


def test_demo_command_prepares_everything_without_serving(db, capsys):
    call_command("demo", no_serve=True)
    out = capsys.readouterr().out
    assert "ah_province" in out
    assert DEMO_PASSWORD in out
    assert Organization.objects.filter(name="安徽省教育厅").exists()


def test_the_reference_seeds_bring_the_holiday_list_once(seeded):
    # given the reference seeds loaded once (the fixture)
    from chanjiao.core.calendar import working_days_from
    from chanjiao.core.models import Holiday

    count = Holiday.objects.count()
    # then the 2026 arrangement is there: 国庆 off, the 10 October makeup Saturday worked
    assert Holiday.objects.get(date="2026-10-01").is_workday is False
    assert Holiday.objects.get(date="2026-10-10").is_workday is True
    # so five working days from 30 September end on 12 October (30 Sep, 8, 9, 10, 12 Oct)
    import datetime as dt

    assert working_days_from(dt.date(2026, 9, 30), 5) == dt.date(2026, 10, 12)
    # and loading again adds nothing
    list(load_reference_seeds())
    assert Holiday.objects.count() == count

"""The audit log: what an entry holds, that nothing edits or deletes it, the admin, the page and export."""

from __future__ import annotations

import datetime as dt
import io
from unittest import mock

import pytest
from django.contrib.admin.sites import site
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from chanjiao.core.audit import audit_record, diff, set_request_ip, snapshot
from chanjiao.core.models import Attachment, AuditEntry, Job
from chanjiao.orgs.models import User
from tests.conftest import actor_of, client_for

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def record_at(when: dt.datetime, **kwargs) -> AuditEntry:
    """An entry written at `when` (auto_now_add reads the clock, so the clock is set)."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        return audit_record(**kwargs)


@pytest.fixture
def entries(province_officer, school_admin, jiangsu_officer, province_dept, school, jiangsu_dept):
    """Entries of an Anhui department, an Anhui school and the Jiangsu department, on three days."""
    anhui, school_actor, jiangsu = (
        actor_of(province_officer),
        actor_of(school_admin),
        actor_of(jiangsu_officer),
    )
    return {
        "dept_update": record_at(
            dt.datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI),
            actor=anhui,
            action="organization.update",
            obj=school,
            changes={"name": ["合肥职院", "合肥职业技术学院"], "contact_phone": ["", "0551-12345678"]},
        ),
        "school_token": record_at(
            dt.datetime(2026, 3, 2, 23, 30, tzinfo=SHANGHAI),  # 15:30 UTC: the date is Shanghai's
            actor=school_actor,
            action="api_token.create",
            object_type="orgs.apitoken",
            object_id="7",
            object_repr="对接教务系统",
            changes={"name": [None, "对接教务系统"]},
        ),
        "school_upload": record_at(
            dt.datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI),
            actor=school_actor,
            action="attachment.upload",
            object_type="core.attachment",
            object_id="3",
            object_repr="申报书.pdf",
            changes={"size": [None, 1024]},
        ),
        "jiangsu": record_at(
            dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI),
            actor=jiangsu,
            action="organization.update",
            obj=jiangsu_dept,
            changes={"address": ["", "南京市"]},
        ),
    }


# --- what an entry holds ------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_entry_holds_who_for_whom_what_which_object_changes_when_and_where(province_officer, school):
    # given the caller's address, as the middleware sets it, and an object changed by a service
    set_request_ip("203.0.113.9")
    before = snapshot(school)
    school.contact_name = "王老师"
    after = snapshot(school)
    try:
        # when the change is recorded
        entry = audit_record(
            actor=actor_of(province_officer),
            action="organization.update",
            obj=school,
            changes=diff(before, after),
        )
    finally:
        set_request_ip(None)
    # then the entry names the person, the organisation they act for, the object and the change
    entry.refresh_from_db()
    assert entry.actor == province_officer
    assert entry.actor_name == "province"
    assert entry.organization_name == "安徽省教育厅"
    assert entry.region_code == "340000"
    assert (entry.action, entry.object_type, entry.object_id) == (
        "organization.update",
        "orgs.organization",
        str(school.pk),
    )
    assert entry.object_repr == "合肥职业技术学院"
    assert entry.changes == {"contact_name": ["", "王老师"]}
    assert entry.ip_address == "203.0.113.9"
    assert timezone.now() - entry.created_at < dt.timedelta(minutes=1)


def test_diff_lists_only_changed_and_added_fields():
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {"b": [2, 3]}
    assert diff({}, {"a": 1}) == {"a": [None, 1]}
    assert diff({"a": 1}, {}) == {"a": [1, None]}


# --- append-only --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_nothing_edits_or_deletes_an_entry(entries):
    # given entries
    entry = entries["dept_update"]
    rows_before = list(AuditEntry.objects.order_by("pk").values())
    # when anyone tries to change or remove them, every way is refused
    entry.action = "tampered"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.save(update_fields=["action"])
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="tampered")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    # (these two run their own transaction; a savepoint keeps the test's usable after the refusal)
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEntry.objects.bulk_update([entry], ["action"])
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEntry.objects.update_or_create(pk=entry.pk, defaults={"action": "tampered"})
    # then every row is as it was
    assert list(AuditEntry.objects.order_by("pk").values()) == rows_before


@pytest.mark.django_db
def test_a_person_with_entries_cannot_be_deleted(entries, province_officer):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        province_officer.delete()
    assert AuditEntry.objects.filter(actor=province_officer).count() == 1


# --- the admin ----------------------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.com", "Root-pass-2026")


@pytest.mark.django_db
@pytest.mark.parametrize("model", [AuditEntry, Attachment, Job])
def test_admin_of_records_gives_nobody_add_change_or_delete(model, superuser):
    # given the admin of a record model and a superuser
    admin = site._registry[model]
    request = RequestFactory().get("/admin/")
    request.user = superuser
    # then even the superuser may only look
    assert admin.has_view_permission(request)
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request)
    assert not admin.has_delete_permission(request)
    assert "delete_selected" not in admin.get_actions(request)


@pytest.mark.django_db
def test_admin_pages_of_the_audit_log_are_read_only(entries, superuser):
    # given a superuser in the admin
    client = Client()
    client.force_login(superuser)
    entry = entries["dept_update"]
    # when they list, open, add, change and delete
    listing = client.get(reverse("admin:core_auditentry_changelist"))
    detail = client.get(reverse("admin:core_auditentry_change", args=[entry.pk]))
    add = client.get(reverse("admin:core_auditentry_add"))
    change = client.post(reverse("admin:core_auditentry_change", args=[entry.pk]), {"action": "tampered"})
    delete = client.post(reverse("admin:core_auditentry_delete", args=[entry.pk]), {"post": "yes"})
    # then they can read, and every write is refused
    assert listing.status_code == 200
    assert "合肥职业技术学院" in listing.content.decode()
    assert detail.status_code == 200
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert AuditEntry.objects.get(pk=entry.pk).action == "organization.update"


@pytest.mark.django_db
def test_admin_lists_regions_pilot_zones_and_jobs(superuser):
    from chanjiao.core.seeds import load_seed

    load_seed()
    client = Client()
    client.force_login(superuser)
    for name in (
        "core_region_changelist",
        "core_pilotzone_changelist",
        "core_job_changelist",
        "core_attachment_changelist",
    ):
        assert client.get(reverse(f"admin:{name}")).status_code == 200, name
    assert "皖江" in client.get(reverse("admin:core_pilotzone_changelist")).content.decode()


# --- the audit page -----------------------------------------------------------------------------


def rows_of(response) -> set[int]:
    return {e.pk for e in response.context["page_obj"]}


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["province_officer", "observer"])
def test_province_staff_and_observer_see_their_province_only(request, persona, entries):
    # given entries from Anhui and Jiangsu
    client = client_for(request.getfixturevalue(persona))
    # when an Anhui officer or the observer opens the audit page
    response = client.get(reverse("core:audit_list"))
    # then they see Anhui's three entries and not Jiangsu's
    assert response.status_code == 200
    assert rows_of(response) == {entries[k].pk for k in ("dept_update", "school_token", "school_upload")}


@pytest.mark.django_db
def test_jiangsu_officer_sees_jiangsu_only(jiangsu_officer, entries):
    response = client_for(jiangsu_officer).get(reverse("core:audit_list"))
    assert rows_of(response) == {entries["jiangsu"].pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "对接教务"}, {"school_token"}),
        ({"q": "province"}, {"dept_update"}),  # the person's name
        ({"q": "合肥职业技术学院"}, {"dept_update", "school_token", "school_upload"}),  # the organisation
        ({"action": "organization"}, {"dept_update"}),
        ({"action": "attachment.upload"}, {"school_upload"}),
        ({"object_type": "orgs.apitoken"}, {"school_token"}),
        ({"date_from": "2026-03-02", "date_to": "2026-03-02"}, {"school_token"}),
        ({"date_from": "2026-03-02"}, {"school_token", "school_upload"}),
        ({"date_to": "2026-03-01"}, {"dept_update"}),
        ({"date_from": "not-a-date"}, {"dept_update", "school_token", "school_upload"}),
    ],
)
def test_audit_page_filters(province_officer, entries, query, expected):
    response = client_for(province_officer).get(reverse("core:audit_list"), query)
    assert rows_of(response) == {entries[k].pk for k in expected}


@pytest.mark.django_db
def test_audit_page_filters_by_organisation(province_officer, province_dept, school, entries):
    client = client_for(province_officer)
    by_school = client.get(reverse("core:audit_list"), {"organization_id": school.pk})
    by_dept = client.get(reverse("core:audit_list"), {"organization_id": province_dept.pk})
    assert rows_of(by_school) == {entries["school_token"].pk, entries["school_upload"].pk}
    assert rows_of(by_dept) == {entries["dept_update"].pk}
    # and the filter offers only organisations of the province
    offered = dict(by_school.context["choices"]["organizations"])
    assert offered == {province_dept.pk: "安徽省教育厅", school.pk: "合肥职业技术学院"}


@pytest.mark.django_db
def test_audit_page_shows_changes_with_field_names_before_and_after(province_officer, entries):
    html = (
        client_for(province_officer)
        .get(reverse("core:audit_list"), {"action": "organization"})
        .content.decode()
    )
    # the field's Chinese name, the old value struck out and the new one
    assert "单位名称" in html
    assert (
        '<del class="text-danger">合肥职院</del> → <ins class="text-success">合肥职业技术学院</ins>' in html
    )
    assert "联系电话" in html
    # and the object's type by its name
    assert ">单位 #" in html


@pytest.mark.django_db
def test_audit_page_queries_do_not_grow_with_rows(province_officer, school_admin):
    # given a few entries, then many
    client = client_for(province_officer)
    actor = actor_of(school_admin)
    audit_record(actor=actor, action="x.one", object_type="orgs.organization", changes={"name": ["a", "b"]})
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("core:audit_list"))
    for i in range(30):
        audit_record(
            actor=actor, action=f"x.{i}", object_type="orgs.organization", changes={"name": ["a", "b"]}
        )
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("core:audit_list"))
    # then the page runs the same number of queries
    assert len(many) == len(few)


# --- the export ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_opens_in_excel_with_the_filtered_rows(province_officer, entries):
    # when the officer exports what the action filter selects
    response = client_for(province_officer).get(reverse("core:audit_export"), {"action": "api_token"})
    # then it is a workbook with a header and the one matching row
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment;" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("时间", "操作人", "代表单位", "操作")
    assert len(rows) == 2
    assert rows[1][0] == "2026-03-02 23:30:00"
    assert rows[1][1:4] == ("school_admin", "合肥职业技术学院", "api_token.create")
    assert rows[1][7] == "名称：— → 对接教务系统"  # the field by its Chinese name


@pytest.mark.django_db
def test_export_holds_only_the_province_of_the_reader(province_officer, entries):
    response = client_for(province_officer).get(reverse("core:audit_export"))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))[1:]
    assert sorted(r[3] for r in rows) == ["api_token.create", "attachment.upload", "organization.update"]
    assert all("江苏" not in (r[2] or "") for r in rows)


# --- who may open them --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona", ["city_officer", "school_admin", "school_staff", "enterprise_contact", "expert", "learner"]
)
@pytest.mark.parametrize("url_name", ["core:audit_list", "core:audit_export"])
def test_other_roles_are_refused(request, persona, url_name, entries):
    response = client_for(request.getfixturevalue(persona)).get(reverse(url_name))
    assert response.status_code == 403
    assert b"organization.update" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["core:audit_list", "core:audit_export"])
def test_anonymous_is_sent_to_login(url_name, entries):
    response = Client().get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("orgs:login"))


@pytest.mark.django_db
def test_admin_corrections_of_regions_and_zones_are_audited(superuser):
    from chanjiao.core.models import PilotZone, Region
    from chanjiao.core.seeds import load_seed

    # given the seed and a superuser in the admin
    load_seed()
    client = Client()
    client.force_login(superuser)
    # when they rename a county and drop a member from the zone
    region_response = client.post(
        reverse("admin:core_region_change", args=["340104"]),
        {"name": "蜀山区", "level": "county", "parent": "340100", "full_name": "安徽省合肥市蜀山区（改）"},
    )
    zone = PilotZone.objects.get(code="wanjiang")
    members = sorted(zone.regions.values_list("code", flat=True))
    zone_response = client.post(
        reverse("admin:core_pilotzone_change", args=[zone.pk]),
        {
            "code": zone.code,
            "name": zone.name,
            "source": zone.source,
            "regions": [c for c in members if c != "341523"],
        },
    )
    # then both saves are in the audit log with before and after
    assert (region_response.status_code, zone_response.status_code) == (302, 302)
    assert Region.objects.get(code="340104").full_name == "安徽省合肥市蜀山区（改）"
    region_entry = AuditEntry.objects.get(action="region.update")
    assert region_entry.changes == {"full_name": ["安徽省合肥市蜀山区", "安徽省合肥市蜀山区（改）"]}
    assert region_entry.actor == superuser
    zone_entry = AuditEntry.objects.get(action="pilot_zone.update")
    assert zone_entry.changes == {"regions": [members, [c for c in members if c != "341523"]]}
    # and neither may be deleted there
    assert (
        client.post(reverse("admin:core_region_delete", args=["340104"]), {"post": "yes"}).status_code == 403
    )
    assert Region.objects.filter(code="340104").exists()


@pytest.mark.django_db
def test_an_entry_naming_a_reverse_relation_reads_as_its_models_name(province_officer):
    # given an entry about an assignment run whose changes name its reverse relation `assignments`
    from chanjiao.review.models import AssignmentRun

    audit_record(
        actor=actor_of(province_officer),
        action="review.assign",
        object_type="review.assignmentrun",
        object_id="1",
        object_repr="最优分配",
        changes={"assignments": [0, 60]},
    )
    # when the province officer opens the audit page
    response = client_for(province_officer).get(reverse("core:audit_list"))
    # then it shows, naming the change by the related model's name
    assert response.status_code == 200
    assert str(AssignmentRun._meta.get_field("assignments").related_model._meta.verbose_name_plural) in (
        response.content.decode()
    )

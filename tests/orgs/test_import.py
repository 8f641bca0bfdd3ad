"""Bulk import of organisations from the Excel template: all or nothing, every bad row reported."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from chanjiao.catalog.models import Industry
from chanjiao.core.errors import ValidationFailed
from chanjiao.core.models import AuditEntry
from chanjiao.orgs.importers import COLUMNS, EXAMPLE_NAME, organizations_import
from chanjiao.orgs.models import Organization
from tests.conftest import actor_of, client_for
from tests.factories import valid_uscc

pytestmark = pytest.mark.django_db

HEADERS = [header + ("*" if required else "") for header, _field, _choices, required in COLUMNS]


def row(name, kind="企业", uscc=None, region="340104", **cells):
    """A data row in template order; `cells` by field name (dept_level, school_level, industry, …)."""
    values = {"name": name, "kind": kind, "uscc": uscc, "region": region, **cells}
    return [values.get(field, "") for _header, field, _choices, _required in COLUMNS]


def workbook(rows, headers=HEADERS) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile(
        "orgs.xlsx", buf.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def state():
    return Organization.objects.count(), AuditEntry.objects.count()


@pytest.fixture
def industry(db):
    return Industry.objects.create(code="3821", name="变压器、整流器和电感器制造", tier=4)


def test_a_good_workbook_imports_every_row_with_audit_entries(province_officer, province_dept, industry):
    # given a workbook with an enterprise, a school (Chinese labels for coded columns) and a department
    upload = workbook(
        [
            row(
                "合肥变压器有限公司", uscc=valid_uscc("340104"), industry=3821, size="中型", ownership="民营"
            ),
            row("合肥城市职业学院", kind="学校", uscc=valid_uscc("340104"), school_level="高职专科"),
            row("芜湖市镜湖区教育局", kind="department", region=340202, dept_level="county"),
        ]
    )
    before = state()
    # when the province officer imports it
    created = organizations_import(actor=actor_of(province_officer), file=upload)
    # then all three exist with their coded values
    assert len(created) == 3
    assert Organization.objects.count() == before[0] + 3
    enterprise = Organization.objects.get(name="合肥变压器有限公司")
    assert (enterprise.size, enterprise.ownership, enterprise.industry) == ("medium", "private", industry)
    assert Organization.objects.get(name="合肥城市职业学院").school_level == "associate"
    assert Organization.objects.get(name="芜湖市镜湖区教育局").region_id == "340202"
    # and the audit holds one entry for the import and one per organisation, with its values
    summary = AuditEntry.objects.get(action="organization.import")
    assert summary.changes == {"count": [0, 3]}
    per_org = AuditEntry.objects.filter(action="organization.create")
    assert per_org.count() == 3
    entry = per_org.get(object_id=str(enterprise.pk))
    assert entry.changes["name"] == [None, "合肥变压器有限公司"]
    assert entry.changes["import"] == [None, summary.pk]


def test_every_bad_row_is_reported_with_its_number_and_nothing_is_stored(province_officer, school):
    # given a workbook in which rows 3 to 9 are each wrong in a different way
    dup = valid_uscc("340104")
    upload = workbook(
        [
            row("正常企业", uscc=valid_uscc("340104")),  # 2: fine
            row("校验位错误企业", uscc="91340104MA2C8GJ001"),  # 3: bad USCC
            row("未知地区企业", uscc=valid_uscc("340104"), region="349999"),  # 4: unknown region
            row("重复一", uscc=dup),  # 5: first of a pair
            row("重复二", uscc=dup),  # 6: duplicate in the file
            row("已有企业", uscc=school.uscc),  # 7: duplicate in the database
            row("", kind="", uscc=valid_uscc("340104"), region=""),  # 8: missing name, kind and region
            row(school.name, kind="学校", uscc=valid_uscc("340104"), school_level="中职"),  # 9: name taken
        ]
    )
    before = state()
    # when it is imported
    with pytest.raises(ValidationFailed) as exc:
        organizations_import(actor=actor_of(province_officer), file=upload)
    # then each problem names its row and field, and nothing (not even the good row) is stored
    found = {(e.field, e.code) for e in exc.value.errors}
    assert found == {
        ("rows[3].uscc", "uscc.check_char"),
        ("rows[4].region", "region.unknown"),
        ("rows[6].uscc", "uscc.duplicate_in_file"),
        ("rows[7].uscc", "uscc.duplicate"),
        ("rows[8].name", "required"),
        ("rows[8].kind", "required"),
        ("rows[8].region", "required"),
        ("rows[9].name", "name.duplicate"),
    }
    messages = {e.field: e.message for e in exc.value.errors}
    assert messages["rows[6].uscc"].startswith("第6行")
    assert "第5行" in messages["rows[6].uscc"]
    assert school.name in messages["rows[7].uscc"]
    assert state() == before


def test_a_duplicate_name_within_the_file_is_reported(province_officer):
    upload = workbook([row("同名研究所", kind="research"), row("同名研究所", kind="research")])
    with pytest.raises(ValidationFailed) as exc:
        organizations_import(actor=actor_of(province_officer), file=upload)
    assert [(e.field, e.code) for e in exc.value.errors] == [("rows[3].name", "name.duplicate_in_file")]


def test_a_row_outside_the_province_is_refused(province_officer, regions):
    upload = workbook([row("南京某企业", uscc=valid_uscc("320102"), region="320102")])
    before = state()
    with pytest.raises(ValidationFailed) as exc:
        organizations_import(actor=actor_of(province_officer), file=upload)
    assert [e.code for e in exc.value.errors] == ["region.out_of_scope"]
    assert state() == before


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"this is not a workbook", "import.not_xlsx"),
        (None, "import.bad_header"),
        (b"", "import.not_xlsx"),
    ],
)
def test_unreadable_files_are_refused(province_officer, content, code):
    if content is None:
        upload = workbook([row("某企业")], headers=["名称", "类型"])
    else:
        upload = SimpleUploadedFile("x.xlsx", content)
    with pytest.raises(ValidationFailed) as exc:
        organizations_import(actor=actor_of(province_officer), file=upload)
    assert [e.code for e in exc.value.errors] == [code]


def test_an_empty_workbook_is_refused(province_officer):
    with pytest.raises(ValidationFailed) as exc:
        organizations_import(actor=actor_of(province_officer), file=workbook([]))
    assert [e.code for e in exc.value.errors] == ["import.empty"]


def test_the_downloaded_template_imports_once_filled_and_its_example_row_is_skipped(
    province_officer, regions
):
    # given the template downloaded from the page
    client = client_for(province_officer)
    response = client.get("/organizations/import/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == HEADERS
    assert ws.cell(row=2, column=1).value == EXAMPLE_NAME
    assert "填写说明" in wb.sheetnames
    # when a row is added under the example and the file uploaded on the page
    ws.append(row("合肥市职业教育研究院", kind="科研院所", region="340100"))
    buf = io.BytesIO()
    wb.save(buf)
    upload = SimpleUploadedFile("filled.xlsx", buf.getvalue())
    response = client.post("/organizations/import/", {"file": upload})
    # then only the new row is imported
    assert response.status_code == 302
    assert list(Organization.objects.filter(kind="research").values_list("name", flat=True)) == [
        "合肥市职业教育研究院"
    ]
    assert not Organization.objects.filter(name=EXAMPLE_NAME).exists()


def test_the_import_page_lists_the_bad_rows_and_stores_nothing(province_officer):
    client = client_for(province_officer)
    upload = workbook([row("坏企业", uscc="123"), row("无地区", region="")])
    before = state()
    response = client.post("/organizations/import/", {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "未导入任何单位" in html
    assert "第2行" in html
    assert "第3行" in html
    assert 'data-error-code="uscc.length"' in html
    assert state() == before


def test_only_province_staff_import(school_admin, city_officer):
    for user in (school_admin, city_officer):
        client = client_for(user)
        before = state()
        assert client.get("/organizations/import/").status_code == 403
        assert client.get("/organizations/import/template.xlsx").status_code == 403
        response = client.post(
            "/organizations/import/", {"file": workbook([row("某研究所", kind="research")])}
        )
        assert response.status_code == 403
        assert state() == before

"""The expert pool's Excel import: the template, every row or none, every bad row with its number."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from chanjiao.core.models import AuditEntry
from chanjiao.orgs.models import Membership, User
from chanjiao.review.importers import COLUMNS
from chanjiao.review.models import ExpertProfile
from tests.conftest import ApiClient, client_for, error_codes


def sheet(rows: list[dict]) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append([header + ("*" if required else "") for header, _key, required in COLUMNS])
    for row in rows:
        ws.append([row.get(key, "") for _header, key, _required in COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("experts.xlsx", buf.getvalue())


def test_template_downloads_with_its_headers(province_officer):
    response = client_for(province_officer).get("/review/experts/import/template.xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value.rstrip("*") for c in ws[1]] == [h for h, _k, _r in COLUMNS]


def test_import_creates_accounts_and_profiles(province_officer, enterprise, school, regions):
    rows = [
        {
            "username": "wang_gong",
            "display_name": "王工",
            "employer_uscc": enterprise.uscc,
            "employer_name": enterprise.name,
            "title": "高级工程师",
            "source": "行业企业",
            "programme_categories": "46、51",
            "industries": "C,38",
        },
        {
            "username": "li_laoshi",
            "display_name": "李老师",
            "employer_name": school.name,
            "source": "院校",
            "region": "340104",
        },
    ]
    response = ApiClient(province_officer).client.post(
        "/api/v1/expert-profiles/import", {"file": sheet(rows)}, headers=ApiClient(province_officer).headers
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "updated": 0, "accounts_created": 2}
    wang = ExpertProfile.objects.get(user__username="wang_gong")
    assert (wang.is_industry, wang.programme_categories, wang.industries, wang.province_id) == (
        True,
        ["46", "51"],
        ["C", "38"],
        "340000",
    )
    assert Membership.objects.filter(user=wang.user, organization=enterprise, role="expert").exists()
    assert not User.objects.get(username="wang_gong").has_usable_password()
    # a second import of the same person updates the profile
    rows[0]["title"] = "正高级工程师"
    again = client_for(province_officer).post("/review/experts/import/", {"file": sheet(rows[:1])})
    assert again.status_code == 302
    wang.refresh_from_db()
    assert wang.title == "正高级工程师"
    assert ExpertProfile.objects.count() == 2


def test_bad_rows_are_all_listed_and_nothing_is_imported(province_officer, enterprise, regions):
    rows = [
        {
            "username": "ok_person",
            "display_name": "甲",
            "employer_name": enterprise.name,
            "source": "行业企业",
        },
        {"username": "bad person", "display_name": "", "employer_name": "不存在的公司", "source": "外星"},
        {
            "username": "ok_person",
            "display_name": "乙",
            "employer_name": enterprise.name,
            "source": "院校",
            "programme_categories": "4X",
            "industries": "ZZ9",
            "region": "999999",
        },
    ]
    client = ApiClient(province_officer)
    before = (ExpertProfile.objects.count(), User.objects.count(), AuditEntry.objects.count())
    response = client.client.post(
        "/api/v1/expert-profiles/import", {"file": sheet(rows)}, headers=client.headers
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    by_row = {}
    for e in errors:
        by_row.setdefault(e["field"].split(".")[0], set()).add(e["code"])
    assert by_row["rows[3]"] == {
        "import.required",
        "username.invalid",
        "expert.unknown_employer",
        "expert.unknown_source",
    }
    assert by_row["rows[4]"] == {
        "import.duplicate_in_file",
        "expert.unknown_category",
        "expert.unknown_industry",
        "region.unknown",
    }
    assert "rows[2]" not in by_row
    assert all(e["message"].startswith(("第3行", "第4行")) for e in errors)
    assert (ExpertProfile.objects.count(), User.objects.count(), AuditEntry.objects.count()) == before
    # the page lists the same problems
    html = (
        client_for(province_officer).post("/review/experts/import/", {"file": sheet(rows)}).content.decode()
    )
    assert "未导入任何专家" in html
    assert "第4行" in html


def test_a_file_that_is_not_a_workbook_is_refused(province_officer):
    client = ApiClient(province_officer)
    response = client.client.post(
        "/api/v1/expert-profiles/import",
        {"file": SimpleUploadedFile("x.xlsx", b"not excel")},
        headers=client.headers,
    )
    assert response.status_code == 422
    assert error_codes(response) == ["import.not_xlsx"]

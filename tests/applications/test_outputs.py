"""The 申报书 PDF (Chinese rendered from an embedded font), the call's Excel summary, the public list."""

from __future__ import annotations

import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from chanjiao.applications import outputs, services
from tests.conftest import actor_of, client_for

API = "/api/v1"


def _submit(app, user, org):
    return services.application_submit(
        actor=actor_of(user, org), application=app, expected_version=app.row_version
    )


@pytest.fixture
def fonts():
    missing = [n for n in outputs.FONT_FILES.values() if not (outputs.font_dir() / n).is_file()]
    if missing:
        pytest.fail(f"PDF fonts missing in {outputs.font_dir()}: {missing}; run `make assets`")


def test_the_pdf_renders_chinese_with_an_embedded_font(
    api, fonts, school_admin, school, complete_application
):
    import pymupdf

    # given a complete application
    app = complete_application()
    # when its PDF is asked for over the API
    response = api(school_admin).get(f"{API}/applications/{app.pk}/pdf")
    # then it is a PDF whose first page shows the Chinese title, from an embedded font
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    document = pymupdf.open(stream=response.content, filetype="pdf")
    assert document.page_count >= 3
    first = document[0]
    text = first.get_text()
    assert "产教融合项目申报书" in text
    assert "智能制造产教融合集成平台" in text
    assert school.name in text
    fonts_used = {f[3] for f in first.get_fonts(full=True)}
    assert any("NotoSansSC" in name for name in fonts_used), fonts_used
    # the page rendered to PNG is not blank: a good share of its pixels are ink
    pixmap = first.get_pixmap(dpi=60)
    png = pixmap.tobytes("png")
    assert png.startswith(b"\x89PNG")
    samples = pixmap.samples
    dark = sum(1 for i in range(0, len(samples), pixmap.n) if samples[i] < 128)
    assert dark > 500, dark
    # and every section is there, with the budget tables and the signature block
    whole = "".join(page.get_text() for page in document)
    for heading in (
        "一、基本信息",
        "二、共建单位及其投入",
        "三、专业群",
        "四、建设任务",
        "五、建设资金预算",
        "六、绩效目标",
        "七、附件清单",
        "八、申报单位与共建单位承诺及签章",
        "盖章",
        "负责人签字",
    ):
        assert heading in whole, heading
    assert "30,000,000.00" in whole
    assert "40.00%" in whole


def test_a_submitted_pdf_shows_the_version(fonts, school_admin, school, complete_application):
    app = complete_application()
    _submit(app, school_admin, school)
    app.refresh_from_db()
    import pymupdf

    document = pymupdf.open(stream=outputs.application_pdf(app), filetype="pdf")
    assert "第1版" in document[0].get_text()


def test_the_call_summary_has_a_row_per_application_with_numbers(
    api, school_admin, school, city_officer, province_officer, setting, complete_application, tmp_path
):
    app = complete_application()
    _submit(app, school_admin, school)
    response = api(province_officer).get(f"{API}/calls/{setting.call.pk}/applications.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["申报单位", "所在市", "项目类型", "项目名称"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["申报单位"] == school.name
    assert row["所在市"] == "合肥市"
    assert row["合作企业（元）"] == 12000000
    assert isinstance(row["总投入（元）"], int | float | Decimal)
    assert row["总投入（元）"] == 30000000
    assert row["企业投入占比（%）"] == 40
    assert row["状态"] == "已提交"
    # the city sees its city's; a school may not have the summary
    assert api(city_officer).get(f"{API}/calls/{setting.call.pk}/applications.xlsx").status_code == 200
    assert api(school_admin).get(f"{API}/calls/{setting.call.pk}/applications.xlsx").status_code == 403
    # LibreOffice opens it, where it is installed
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice:
        path = tmp_path / "summary.xlsx"
        path.write_bytes(response.content)
        subprocess.run(  # noqa: S603
            # CSV in UTF-8 (filter options: comma, double quote, character set 76)
            [
                soffice,
                "--headless",
                "--convert-to",
                "csv:Text - txt - csv (StarCalc):44,34,76",
                "--outdir",
                str(tmp_path),
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        csv = (tmp_path / "summary.csv").read_text(encoding="utf-8")
        assert school.name in csv
        assert ",30000000," in csv  # a number, as LibreOffice reads it


def test_the_public_list_appears_once_the_province_publishes_it(
    api, school_admin, school, province_officer, setting, complete_application
):
    from django.test import Client

    app = complete_application()
    _submit(app, school_admin, school)
    anonymous = Client()
    url = f"{API}/public/calls/{setting.call.pk}/applications"
    page = f"/applications/public/calls/{setting.call.pk}/"
    assert anonymous.get(url).status_code == 404
    assert anonymous.get(page).status_code == 404
    # a school may not publish; the province may
    assert api(school_admin).post(f"{API}/calls/{setting.call.pk}/received-list/publish").status_code == 403
    published = api(province_officer).post(f"{API}/calls/{setting.call.pk}/received-list/publish")
    assert published.status_code == 200, published.json()
    body = anonymous.get(url).json()
    assert body["count"] == 1
    assert body["items"][0]["applicant_name"] == school.name
    html = anonymous.get(page).content.decode()
    assert school.name in html
    assert "合肥市" in html


def test_province_page_publishes_and_exports(
    province_officer, school_admin, school, setting, complete_application
):
    app = complete_application()
    _submit(app, school_admin, school)
    client = client_for(province_officer)
    page = client.get("/applications/province/")
    assert page.status_code == 200
    assert app.title in page.content.decode()
    assert client.post(f"/applications/calls/{setting.call.pk}/publish/").status_code == 302
    assert client.get(f"/applications/calls/{setting.call.pk}/export.xlsx").status_code == 200

import pytest

from chanjiao import cli


def test_cli_without_arguments_prints_the_commands(capsys):
    cli.main([])
    out = capsys.readouterr().out
    assert "chanjiao demo" in out
    assert "chanjiao import KIND FILE" in out


def test_cli_refuses_an_unknown_command(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["frobnicate"])
    assert exc.value.code == 2
    assert "未知命令" in capsys.readouterr().err


@pytest.fixture
def keep_connection(monkeypatch):
    """A command run from the command line closes every connection at its end; the test's must stay."""
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)


@pytest.mark.django_db
def test_cli_import_regions_reads_the_shared_tables(shared_data, capsys, keep_connection):
    # given the three divisions tables
    # when an operator imports them through the command line
    cli.main(["import", "regions", str(shared_data)])
    # then every province, city and county is there
    from chanjiao.core.models import Region

    assert Region.objects.filter(level="province").count() == 31
    assert Region.objects.filter(code="340104", name="蜀山区").exists()
    assert "导入完成" in capsys.readouterr().out


@pytest.mark.django_db
def test_cli_import_organisations_needs_a_province_officer(tmp_path, capsys, keep_connection):
    path = tmp_path / "orgs.xlsx"
    path.write_bytes(b"not used")
    with pytest.raises(SystemExit) as exc:
        cli.main(["import", "organisations", str(path)])
    assert exc.value.code == 1
    assert "--as" in capsys.readouterr().err

"""`chanjiao policy check FILE` and `chanjiao policy load FILE`."""

from __future__ import annotations

import pytest
import yaml

from chanjiao import cli
from chanjiao.core.seeds import load_seed
from chanjiao.policy.models import PolicyPack
from chanjiao.policy.services import PACKS_DIR, load_shipped_packs

JIANGSU = PACKS_DIR / "jiangsu-integration-platform.yaml"


@pytest.fixture
def keep_connection(monkeypatch):
    """A command run from the command line closes every connection at its end; the test's must stay."""
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)


@pytest.mark.django_db
def test_check_accepts_a_good_pack_and_writes_nothing(capsys, keep_connection):
    cli.main(["policy", "check", str(JIANGSU)])
    out = capsys.readouterr().out
    assert (
        "校验通过：江苏省高等职业教育产教融合集成平台建设计划（jiangsu-integration-platform 2019.1）" in out
    )
    assert "项目类型 1 个，指标体系 3 个" in out
    assert PolicyPack.objects.count() == 0


@pytest.mark.django_db
def test_check_lists_every_problem_with_its_path_and_line(tmp_path, capsys, keep_connection):
    data = yaml.safe_load(JIANGSU.read_text(encoding="utf-8"))
    data["project_types"][0]["investment"]["min_total"]["amount"] = "很多"
    data["project_types"][0]["construction"]["years"] = 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        cli.main(["policy", "check", str(bad)])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "project_types[0].investment.min_total.amount: 应为金额" in err
    assert "project_types[0].construction.years: 应不小于1" in err
    assert "行）" in err
    assert "共 2 个问题" in err


@pytest.mark.django_db
def test_check_names_the_line_of_a_syntax_error(tmp_path, capsys, keep_connection):
    bad = tmp_path / "broken.yaml"
    bad.write_text("schema_version: 1\ncode: x\nversion: [1\nname: y\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        cli.main(["policy", "check", str(bad)])
    assert "YAML 语法错误（第4行" in capsys.readouterr().err


@pytest.mark.django_db
def test_load_stores_a_version_once(regions, capsys, keep_connection):
    cli.main(["policy", "load", str(JIANGSU)])
    assert (
        "已载入：江苏省高等职业教育产教融合集成平台建设计划（jiangsu-integration-platform 2019.1），现行版本"
        in (capsys.readouterr().out)
    )
    cli.main(["policy", "load", str(JIANGSU)])
    assert "无变化" in capsys.readouterr().out
    assert PolicyPack.objects.count() == 1


@pytest.mark.django_db
def test_load_refuses_a_missing_file(tmp_path, capsys, keep_connection):
    with pytest.raises(SystemExit):
        cli.main(["policy", "load", str(tmp_path / "missing.yaml")])
    assert "文件不存在" in capsys.readouterr().err


@pytest.mark.django_db
def test_the_shipped_packs_load_idempotently():
    load_seed()
    first = list(load_shipped_packs())
    again = list(load_shipped_packs())
    assert [line.endswith("已载入") for line in first] == [True, True]
    assert [line.endswith("无变化") for line in again] == [True, True]
    assert PolicyPack.objects.filter(is_current=True).count() == 2

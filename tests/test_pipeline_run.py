"""`qaf-kobo run --config`: sync → score → report against the local KoboToolbox-compatible server."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.devserver import DevServer
from qaf_kobo.framework.catalogue import texts
from qaf_kobo.report.sheets import SHEET_KEYS as SHEETS
from qaf_kobo.workflows.demo import seed_server

from kobo_server import TOKEN


def config(tmp_path: Path, server: str, asset: str, extra: str = "") -> Path:
    path = tmp_path / "run.toml"
    path.write_text(
        f'[kobo]\nserver = "{server}"\nasset_uid = "{asset}"\ntoken_env = "QAF_TEST_TOKEN"\n'
        f'[store]\npath = "{tmp_path / "qaf.sqlite"}"\n[report]\nout_dir = "{tmp_path / "reports"}"\n{extra}',
        encoding="utf-8",
    )
    return path


def test_run_syncs_scores_and_reports(tmp_path: Path, fw, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("QAF_TEST_TOKEN", TOKEN)
    with DevServer(token=TOKEN) as server:
        asset = seed_server(server, fw).asset_uid
        n_server = len(server.submissions(asset))
        result = CliRunner().invoke(main, ["run", "--config", str(config(tmp_path, server.url, asset, 'countries = ["JOR"]\nlang = "fr"\n'))])
    assert result.exit_code == 0, result.output
    assert f"{n_server} new" in result.output and TOKEN not in result.output
    workbooks = sorted((tmp_path / "reports").glob("*/*.xlsx"))
    assert [p.name.split("_")[1] for p in workbooks] == ["JOR", "summary"]
    wb = openpyxl.load_workbook(next(p for p in workbooks if "summary" in p.name))
    assert wb.sheetnames == [texts(fw, "fr").get(f"report.sheet.{key}") for key in SHEETS]
    assert "Plan d’action" in wb.sheetnames or "Plan d'action" in wb.sheetnames
    countries = {row[0] for row in wb.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert countries == {"JOR"}


def test_missing_token_is_one_clear_line(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("QAF_TEST_TOKEN", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no token file either
    result = CliRunner().invoke(main, ["run", "--config", str(config(tmp_path, "http://127.0.0.1:9", "aX"))])
    assert result.exit_code == 2 and result.output.startswith("error: ") and "$QAF_TEST_TOKEN, which is not set" in result.output


def test_invalid_config_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[kobo]\nserver = "https://kf.kobotoolbox.org"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "--config", str(path)])
    assert result.exit_code == 2 and "kobo.asset_uid: missing key" in result.output

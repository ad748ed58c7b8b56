"""`qaf-kobo run --config`: sync → score → report against the local KoboToolbox-compatible server."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.devserver import DevServer
from qaf_kobo.framework.catalogue import texts
from qaf_kobo.report.plan_marker import MARKER_SHEET
from qaf_kobo.report.sheets import REGIONAL_KEYS
from qaf_kobo.workflows.demo import seed_server
from workbooks import load_workbook

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
    wb = load_workbook(next(p for p in workbooks if "summary" in p.name))
    assert wb.sheetnames == [*(texts(fw, "fr").get(f"report.sheet.{key}") for key in REGIONAL_KEYS), MARKER_SHEET]
    assert "Plan d’action du pays" in wb.sheetnames
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


def test_run_combines_kobo_central_and_an_export_folder_in_one_report(tmp_path: Path, fw, monkeypatch) -> None:  # noqa: ANN001
    from qaf_kobo.central.credentials import load_credentials
    from qaf_kobo.devserver.central import CentralDevServer
    from qaf_kobo.workflows.demo import CENTRAL_COUNTRIES, build_demo_forms, seed_central

    from central_server import EMAIL, PASSWORD, session, write_config

    monkeypatch.setenv("QAF_TEST_TOKEN", TOKEN)
    config_file = tmp_path / "pyodk.toml"
    folder = tmp_path / "exports"
    folder.mkdir()
    with DevServer(token=TOKEN) as kobo, CentralDevServer(email=EMAIL, password=PASSWORD) as central:
        forms = build_demo_forms(tmp_path / "forms", fw)
        asset = seed_server(kobo, fw, leave_out=CENTRAL_COUNTRIES, forms=forms).asset_uid
        write_config(config_file, central.url)
        on_central = seed_central(central, load_credentials(config_file), fw, forms[1].xml)
        # the same Central form downloaded by hand too: a third source, whose submissions count again
        url = f"{central.url}/v1/projects/{on_central.project_id}/forms/{on_central.form_id}/submissions.csv.zip"
        (folder / "central.zip").write_bytes(session(central).get(url, timeout=30).content)
        path = tmp_path / "run.toml"
        path.write_text(
            f'[[sources]]\nname = "jordan"\nkind = "kobo"\nserver = "{kobo.url}"\nasset_uid = "{asset}"\n'
            'token_env = "QAF_TEST_TOKEN"\n'
            f'[[sources]]\nname = "iraq"\nkind = "central"\nserver = "{central.url}"\nproject = {on_central.project_id}\n'
            f'form = "{on_central.form_id}"\nconfig_file = "{config_file}"\n'
            f'[[sources]]\nname = "downloads"\nkind = "export"\nfolder = "{folder}"\n'
            f'[store]\npath = "{tmp_path / "qaf.sqlite"}"\n[report]\nout_dir = "{tmp_path / "reports"}"\n',
            encoding="utf-8")
        result = CliRunner().invoke(main, ["run", "--config", str(path)])
        n_kobo = len(kobo.submissions(asset))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("sync   jordan: ") and lines[1].startswith(f"       {n_kobo} new")
    assert lines[2].startswith("sync   iraq: ") and lines[3].startswith(f"       {on_central.count} new")
    assert lines[4].startswith("import downloads: ") and "note: exports carry no deletions" in result.output
    total = n_kobo + 2 * on_central.count
    assert f"score  {total} assessments from 3 source(s)" in result.output
    wb = load_workbook(next((tmp_path / "reports").glob("*/qaf_summary_*.xlsx")))
    sheet = wb[texts(fw, "en").get("report.sheet.assessments")]
    header = [c.value for c in sheet[1]]
    sources = [row[header.index("Source")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(set(sources)) == ["downloads", "iraq", "jordan"] and len(sources) == total
    about = {row[0]: row[1] for row in wb[texts(fw, "en").get("report.sheet.about")].iter_rows(values_only=True)}
    listed = about[texts(fw, "en").get("report.about.sources")]
    assert [line.split(" — ")[0] for line in listed.splitlines()] == ["jordan", "iraq", "downloads"]
    assert PASSWORD not in listed and TOKEN not in result.output and PASSWORD not in result.output

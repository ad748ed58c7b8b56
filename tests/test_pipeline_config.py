"""Pipeline configs: the shipped example is valid; an invalid one names the key and the problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.errors import QafError
from qaf_kobo.workflows.pipeline_config import load_pipeline_config

from test_import import submissions

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_is_valid() -> None:
    config = load_pipeline_config(ROOT / "pipelines" / "example.toml")
    assert [(s.name, s.kind) for s in config.all_sources()] == [("jordan", "kobo"), ("iraq", "central"),
                                                                ("syria-exports", "export")]
    assert config.sources[0].token_env == "KOBO_TOKEN" and config.sources[1].project == 3
    assert config.scoring.rule == "min" and config.report.lang == "en"
    assert config.report.horizons == {"critical": 3, "requires_improvement": 6, "meets_minimum": 12}
    text = (ROOT / "pipelines" / "example.toml").read_text()
    assert "token =" not in text and "password" not in text


def test_a_config_of_one_kobo_project_still_reads_as_one_source(tmp_path: Path) -> None:
    config = load_pipeline_config(write(tmp_path, '[kobo]\nserver = "https://kf.kobotoolbox.org/"\nasset_uid = "aX"\n'
                                                  'full_scan = true\n'))
    source, = config.all_sources()
    assert (source.name, source.kind, source.asset_uid, source.full_scan) == ("kobo:kf.kobotoolbox.org/aX", "kobo",
                                                                              "aX", True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[kobo]\nserver = "https://x"\nasset_uid = "a"\n[[sources]]\nname = "b"\nkind = "export"\nfolder = "f"\n',
         'give either [kobo] (one KoboToolbox project) or [[sources]], not both: move the [kobo] table into a '
         '[[sources]] entry with kind = "kobo"'),
        ("[store]\npath = 'x.sqlite'\n", "no sources: add [[sources]] entries"),
        ('[[sources]]\nname = "a"\nkind = "central"\nserver = "https://c.org"\nform = "f"\n',
         "sources.0: a central source needs project"),
        ('[[sources]]\nname = "a"\nkind = "kobo"\nserver = "https://k.org"\nasset_uid = "aX"\nfolder = "f"\n',
         "a kobo source has no folder"),
        ('[[sources]]\nname = "a"\nkind = "ona"\n', "sources.0.kind"),
        ('[[sources]]\nname = "a"\nkind = "export"\nfolder = "f"\npassword = "x"\n', "sources.0.password: unknown key"),
        ('[[sources]]\nname = "a"\nkind = "export"\nfolder = "f"\n[[sources]]\nname = "a"\nkind = "export"\n'
         'folder = "g"\n', "two sources named 'a'"),
    ],
)
def test_invalid_sources_name_the_problem(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(QafError) as info:
        load_pipeline_config(write(tmp_path, text))
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[kobo]\nserver = "https://kf.kobotoolbox.org"\n', "kobo.asset_uid: missing key"),
        ('[kobo]\nserver = "kf.kobotoolbox.org"\nasset_uid = "a"\n', "kobo.server: String should match pattern"),
        ('[kobo]\nserver = "https://x"\nasset_uid = "a"\ntoken = "secret"\n', "kobo.token: unknown key"),
        ('[kobo]\nserver = "https://x"\nasset_uid = "a"\n[scoring]\nrule = "mean"\n', "scoring.rule: expected one of min, median, found 'mean'"),
        ('[kobo]\nserver = "https://x"\nasset_uid = "a"\n[report]\nlang = "fra"\n', "report.lang: expected one of en, fr, ar, es, found 'fra'"),
        ('[kobo]\nserver = "https://x"\nasset_uid = "a"\n[report]\ncountries = ["jordan"]\n', "report.countries: expected ISO 3166-1 alpha-3 codes such as JOR, found 'jordan'"),
        ('[kobo]\nserver = "https://x"\nasset_uid = "a"\n[report]\ncountries = "JOR"\n', "report.countries: Input should be a valid list"),
        ('[kobo]\nserver = "https://x"\nasset_uid = "a"\n[report.horizons]\ncritical = "soon"\n', "report.horizons.critical: Input should be a valid integer"),
        ('[kobo]\nserver = "https://x"\nasset_uid = "a"\n[report.horizons]\nurgent = 2\n', "report.horizons: unknown level 'urgent' for a horizon"),
        ('[kobo]\nserver = "https://x"\nasset_uid = "a"\n[report.horizons]\ngood_practice = 2\n', "report.horizons: no horizon for Good practice"),
        ("[kobo\n", "TOML syntax error"),
    ],
)
def test_invalid_config_names_key_and_problem(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(QafError) as info:
        load_pipeline_config(path)
    assert str(info.value).startswith(f"{path}: ") and expected in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(QafError, match="cannot read the pipeline config"):
        load_pipeline_config(tmp_path / "none.toml")


def test_framework_must_be_known(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[kobo]\nserver = "https://kf.kobotoolbox.org"\nasset_uid = "a1"\n[scoring]\nframework = "nope"\n',
                    encoding="utf-8")
    with pytest.raises(QafError, match=r"scoring\.framework: no framework named 'nope' \(shipped: qaf, cpss"):
        load_pipeline_config(path)


def test_a_problem_of_the_whole_file_names_the_file_and_no_empty_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[store]\npath = 'x.sqlite'\n")
    with pytest.raises(QafError) as info:
        load_pipeline_config(path)
    assert str(info.value) == f'{path}: no sources: add [[sources]] entries (kind = "kobo", "central" or "export")'


def test_a_store_path_that_is_a_folder_names_the_config_key(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    path = write(tmp_path, f'[store]\npath = "{tmp_path / "data"}"\n[[sources]]\nname = "a"\nkind = "export"\n'
                           f'folder = "{tmp_path}"\n')
    with pytest.raises(QafError) as info:
        load_pipeline_config(path)
    assert str(info.value) == (f"{path}: store.path: {tmp_path / 'data'} is a folder; give the store's file, such as "
                               f'path = "{tmp_path / "data" / "qaf.sqlite"}"')


def test_every_export_folder_is_checked_before_any_source_is_synced(tmp_path: Path) -> None:
    rows = tmp_path / "first"
    rows.mkdir()
    (rows / "rows.json").write_text(json.dumps(submissions(2)))
    store = tmp_path / "s.sqlite"
    path = write(tmp_path, f'[store]\npath = "{store}"\n[report]\nout_dir = "{tmp_path / "reports"}"\n'
                           f'[[sources]]\nname = "first"\nkind = "export"\nfolder = "{rows}"\n'
                           f'[[sources]]\nname = "second"\nkind = "export"\nfolder = "{tmp_path / "missing"}"\n')
    result = CliRunner().invoke(main, ["run", "--config", str(path)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"error: the source second: its folder {tmp_path / 'missing'} does not exist; nothing "
                             "was synced — fix sources.folder in the config (or make the folder) and run again\n")
    assert not store.exists()


def test_an_out_dir_that_cannot_hold_the_reports_stops_the_run_before_any_sync(tmp_path: Path) -> None:
    rows = tmp_path / "first"
    rows.mkdir()
    (rows / "rows.json").write_text(json.dumps(submissions(2)))
    (tmp_path / "reports").write_text("not a folder\n")
    store = tmp_path / "s.sqlite"
    path = write(tmp_path, f'[store]\npath = "{store}"\n[report]\nout_dir = "{tmp_path / "reports"}"\n'
                           f'[[sources]]\nname = "first"\nkind = "export"\nfolder = "{rows}"\n')
    result = CliRunner().invoke(main, ["run", "--config", str(path)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: cannot make the folder {tmp_path / 'reports'}/") and not store.exists()

"""The commands with ODK Central and with exports: ``form deploy`` and ``sync`` choose the kind of server,
``import`` reads exports and says that they carry no deletions, ``status`` shows each source; the password and
the session token appear in no output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.devserver.central import CentralDevServer

from central_server import EMAIL, PASSWORD, central, seed, session, write_config  # noqa: F401


def run(args: list[str], env: dict[str, str] | None = None):
    return CliRunner().invoke(main, args, env=env)


def test_deploy_sync_and_status_against_central(central: CentralDevServer, tmp_path: Path) -> None:
    config = write_config(tmp_path / "pyodk.toml", central.url)
    env = {"PYODK_CONFIG_FILE": str(config)}
    pid = central.create_project("Iraq")
    deployed = run(["form", "deploy", "--server", central.url, "--project", str(pid), "--out", str(tmp_path / "f")], env)
    assert deployed.exit_code == 0, deployed.output
    assert "form: qaf_case_management in project" in deployed.output and "web form: " in deployed.output
    detected = run(["form", "deploy", "--server", central.url, "--kind", "central", "--out", str(tmp_path / "f")], env)
    assert detected.exit_code == 2 and "needs --project N" in detected.output
    central.add_submissions([{"details_scope/country": "IRQ"}] * 3)
    store = str(tmp_path / "s.sqlite")
    synced = run(["sync", "--server", central.url, "--project", str(pid), "--form", "qaf_case_management",
                  "--source", "iraq", "--store", store], env)
    assert synced.exit_code == 0, synced.output
    assert synced.output.strip() == ("synced iraq: 3 new, 0 updated, 0 deleted, 3 submissions from this source in the "
                                     f"store ({synced.output.split('(')[-1].split()[0]} requests)")
    status = json.loads(run(["status", "--store", store, "--json"]).output)
    assert [(s["name"], s["kind"], s["ref"], s["submissions"]) for s in status["sources"]] == [
        ("iraq", "central", f"{pid}/qaf_case_management", 3)]
    both = run(["sync", "--server", central.url, "--project", str(pid), "--asset", "aX", "--store", store], env)
    assert both.exit_code == 2 and "either --asset" in both.output
    no_form = run(["sync", "--server", central.url, "--project", str(pid), "--store", store], env)
    assert no_form.exit_code == 2 and "needs --project N and --form ID" in no_form.output
    elsewhere = run(["sync", "--server", "http://127.0.0.1:9", "--project", "1", "--form", "x", "--store", store], env)
    assert elsewhere.exit_code == 2 and f"are for {central.url}" in elsewhere.output


def test_import_reads_exports_from_a_folder_and_says_they_carry_no_deletions(central: CentralDevServer,
                                                                              tmp_path: Path) -> None:
    pid, fid, ids = seed(central, 4)
    folder = tmp_path / "exports"
    folder.mkdir()
    zipped = session(central).get(f"{central.url}/v1/projects/{pid}/forms/{fid}/submissions.csv.zip", timeout=30)
    (folder / f"{fid}.zip").write_bytes(zipped.content)
    store = str(tmp_path / "s.sqlite")
    result = run(["import", str(folder), "--source", "iraq-files", "--store", store])
    assert result.exit_code == 0, result.output
    first, note = result.output.strip().splitlines()
    assert first.startswith("imported 4 submissions from 1 file(s) into iraq-files: 4 new")
    assert note == ("note: exports carry no deletions: a submission deleted on the server since stays in the store "
                    "(a sync from the server finds deletions)")
    bad = folder / "labels.csv"
    bad.write_text('"What is the country?";"_id";"_uuid"\n"JOR";"1";"u1"\n', encoding="utf-8")
    refused = run(["import", str(folder), "--store", store])
    assert refused.exit_code == 2 and "labels.csv: the columns are question labels" in refused.output


def test_no_password_or_token_in_the_output_of_the_commands(central: CentralDevServer, tmp_path: Path) -> None:
    config = write_config(tmp_path / "pyodk.toml", central.url)
    wrong = write_config(tmp_path / "wrong.toml", central.url, password=PASSWORD[::-1])
    pid, fid, _ = seed(central, 5)
    cli = str(Path(sys.executable).with_name("qaf-kobo"))
    base = {k: v for k, v in os.environ.items() if k != "PYODK_CONFIG_FILE"}
    store = str(tmp_path / "s.sqlite")
    runs = [(["sync", "--server", central.url, "--project", str(pid), "--form", fid, "--store", store], config, 0),
            (["sync", "--server", central.url, "--project", str(pid), "--form", fid, "--store", store, "--full"],
             config, 0),
            (["sync", "--server", central.url, "--project", str(pid), "--form", fid, "--store", store], wrong, 2),
            (["form", "deploy", "--server", central.url, "--project", str(pid), "--out", str(tmp_path / "f")],
             config, 0),
            (["status", "--store", store, "--json"], config, 0)]
    texts = []
    for args, path, code in runs:
        done = subprocess.run([cli, "-v", *args], env={**base, "PYODK_CONFIG_FILE": str(path)}, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == code, (args, done.stderr[-2000:])
        texts.append(done.stdout + done.stderr)
    assert "POST /v1/sessions" in texts[0] or "/v1/sessions" in texts[0]  # -v: the HTTP traffic is logged
    tokens = list(central.state.sessions)  # every session token the server gave out
    assert len(tokens) == 3  # sync, sync --full, deploy
    for text in texts:
        assert PASSWORD not in text and PASSWORD[::-1] not in text
        assert all(t not in text for t in tokens)
    for path in tmp_path.rglob("*.sqlite*"):
        data = path.read_bytes()
        assert PASSWORD.encode() not in data and all(t.encode() not in data for t in tokens), path
    assert EMAIL in texts[2] and "401.2" in texts[2]

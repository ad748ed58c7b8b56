"""`qaf-kobo framework show` from the checkout and from a wheel installed in a separate virtual environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from click.testing import CliRunner

from qaf_kobo.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_show_outline() -> None:
    result = CliRunner().invoke(main, ["framework", "show"])
    assert result.exit_code == 0, result.output
    assert "8 domains, 17 sections, 43 criteria" in result.output
    assert "2a.1  Identification of cases" in result.output
    assert "[3] Meets minimum levels: Cases can be identified and referred" in result.output


def test_show_json() -> None:
    result = CliRunner().invoke(main, ["framework", "show", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert len(data["sections"]) == 17 and sum(len(s["criteria"]) for s in data["sections"]) == 43


def test_invalid_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["framework", "show", "--framework", str(bad)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith(f"error: {bad}: YAML syntax error")
    assert "Traceback" not in result.output


def test_bad_option_exit_2() -> None:
    result = CliRunner().invoke(main, ["framework", "show", "--nope"])
    assert result.exit_code == 2 and "No such option" in result.output


def test_every_command_has_help() -> None:
    def walk(group, path):  # noqa: ANN001
        for name, command in group.commands.items():
            yield path + [name]
            if hasattr(command, "commands"):
                yield from walk(command, path + [name])

    for path in [[], *walk(main, [])]:
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, path


def test_wheel_installed_outside_the_checkout(tmp_path: Path) -> None:
    """Build the wheel, install it with no deps into a fresh venv that borrows this venv's dependencies."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True,
    )
    wheel = next((tmp_path / "dist").glob("qaf_kobo-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)  # pip too is borrowed through the .pth below (ensurepip: 3 CPU-seconds)
    python = env_dir / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True).stdout.strip()
    # Dependencies come from this venv (a path line in a .pth file: its own .pth files, including the
    # editable install of the checkout, are not processed), the package itself only from the wheel.
    Path(site, "borrowed_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run([python, "-c", "import qaf_kobo, qaf_kobo.framework.files as r; print(qaf_kobo.__file__); print(r.framework_path())"],
                           capture_output=True, text=True, check=True, cwd=tmp_path, env=env).stdout.split()
    assert all(str(env_dir) in p for p in where), where
    result = subprocess.run([env_dir / "bin" / "qaf-kobo", "framework", "show", "--json"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["sections"]) == 17

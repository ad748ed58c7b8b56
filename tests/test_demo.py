"""`qaf-kobo demo` end to end in a temporary directory: server, deploy, seed, sync, score, workbooks."""

from __future__ import annotations

import re
import sqlite3
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.form.build import build_form
from qaf_kobo.form.contract import criterion_field, section_group
from qaf_kobo.form.structure import read_form_structure
from qaf_kobo.scoring import score
from qaf_kobo.workflows.demo_data import FORMULA_AGENCY, generate_assessments
from test_round_figures import check_figures
from workbooks import load_workbook

from conftest import DemoRun

SIX = ["EGY", "IRQ", "JOR", "LBN", "SYR", "YEM"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(demo_run: DemoRun) -> tuple[Path, str]:
    """The session's demo (see conftest): its folder, read only, and what it printed."""
    assert demo_run.returncode == 0, demo_run.stderr[-3000:]
    return demo_run.folder, demo_run.stdout


def rows(path: Path, sheet: str) -> list[dict[str, object]]:
    ws = load_workbook(path)[sheet]
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], row)) for row in values[1:]]


def summary(folder: Path) -> Path:
    return next((folder / "reports").glob("qaf_summary_*.xlsx"))


def readme_demo_lines() -> list[str]:
    """The lines of the README's demo output block (after "`make demo` takes about …")."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("`make demo` takes about", 1)[1].split("```\n", 1)[1].split("```", 1)[0]
    return block.rstrip("\n").split("\n")


def as_in_readme(line: str, folder: Path) -> str:
    """A demo output line with what differs from run to run — port, asset uid, store and output paths — put as
    the README shows it."""
    ports = iter(("34263", "41717"))  # the Kobo server's, then the Central server's
    line = re.sub(r"http://127\.0\.0\.1:\d+", lambda _: f"http://127.0.0.1:{next(ports)}", line)
    line = re.sub(r"asset a[0-9A-Za-z]{21}", "asset a34aD8cTM0vVaMLb5DQ4vo", line)
    return line.replace(str(folder / "demo.sqlite"), "data/demo.sqlite").replace(str(folder / "reports"), "reports/demo")


def test_the_readme_shows_the_demo_output(demo: tuple[Path, str]) -> None:
    folder, output = demo
    shown = readme_demo_lines()
    assert [as_in_readme(line, folder) for line in output.split("\n")[:len(shown)]] == shown
    assert "demo-token" not in output


def test_the_counts_printed_are_those_of_the_store_the_tables_and_the_workbooks(demo: tuple[Path, str], fw) -> None:
    folder, output = demo
    numbers = lambda pattern: tuple(int(n) for n in re.search(pattern, output).groups())  # noqa: E731
    kobo, central, exported = numbers(r"\[3/7\] Seeded (\d+) synthetic assessments into Kobo .*, (\d+) \(IRQ\) into "
                                      r"Central .* and (\d+) \(YEM\) into a second Central project, downloaded")
    new, new_central, new_exported, *changes = numbers(
        r"\[4/7\] Synced into .*: (\d+) new from Kobo, (\d+) from Central, (\d+) imported from the export; .* "
        r"\((\d+) updated, (\d+) deleted\) .* \((\d+) updated, (\d+) deleted\)")
    scored, sources, left_out, findings, not_supported = numbers(
        r"\[5/7\] Scored (\d+) assessments from (\d+) sources: (\d+) left out of their round's figures "
        r"\(duplicates, dates out of range\), (\d+) data-quality findings \((\d+) ratings not supported by the "
        r"evidence figures\)")
    tracked, = numbers(r"\[6/7\] A coordinator filled in EGY's action plan of its first round and read it back: "
                       r"(\d+) actions tracked")
    workbooks, = numbers(r"\[7/7\] Wrote (\d+) workbooks")
    with sqlite3.connect(folder / "demo.sqlite") as db:
        in_store = db.execute("SELECT COUNT(*), COUNT(deleted_at) FROM submissions").fetchone()
        per_source = dict(db.execute("SELECT name, COUNT(*) FROM submissions JOIN sources ON sources.id = source_id "
                                     "GROUP BY name"))
        edits = db.execute("SELECT COUNT(*) FROM submission_history").fetchone()[0]
        assert db.execute("SELECT COUNT(DISTINCT action_id) FROM plan_cells").fetchone()[0] == tracked > 0
    assert (kobo, central, exported) == (new, new_central, new_exported) == (
        per_source["kobo-demo"], per_source["central-demo"], per_source["central-export"])
    assert sources == len(per_source) == 3 and exported > 0
    assert kobo + central + exported == in_store[0] and changes == [1, 1, 1, 1] and (edits, in_store[1]) == (2, 2)
    tables = folder / "reports"
    assessments = pd.read_csv(tables / "assessments.csv", keep_default_na=False)
    assert scored == len(assessments) == len(rows(summary(folder), "Assessments")) == in_store[0] - in_store[1]
    assert left_out == int((assessments["left_out"] != "").sum()) > 0
    quality = pd.read_csv(tables / "quality.csv")
    assert findings == len(quality) == len(rows(summary(folder), "Data quality"))
    assert not_supported == int((quality["check"] == "rating_not_supported_by_evidence").sum()) > 0
    assert workbooks == len(list(tables.glob("*.xlsx")))
    codes = sorted(set(assessments["country"]))
    assert f"Countries: {', '.join(c for c in codes if c in SIX)} (and LEB: not an ISO 3166 code, see Data " \
           "quality)" in output and set(codes) == {*SIX, "LEB"}
    assert f"Assessments scored: {scored} ({left_out} left out of their round's figures); data-quality findings: " \
           f"{findings}" in output
    overview = pd.read_excel(summary(folder), sheet_name="Overview")
    for row in overview.itertuples(index=False):  # the closing lines state the Overview's figures
        code, _, latest, _, meets, previous, meets_before, index, index_before = row[:9]
        before = f" ({previous}: {int(meets_before)}, {index_before:.1f})" if isinstance(previous, str) else ""
        assert f"  {code} {latest}: {meets} of {len(fw.sections)} sections, index {index:.1f}{before}" in output
    assert str(summary(folder)) in output


def test_every_figure_of_the_demo_workbooks_shown_twice_agrees(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    regional = summary(folder)
    countries = sorted(p for p in (folder / "reports").glob("qaf_*.xlsx") if p != regional)
    check_figures(score(folder / "demo.sqlite"), [regional, *countries])


def test_workbooks_for_the_six_countries(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    for code in SIX:
        assert next((folder / "reports").glob(f"qaf_{code}_*.xlsx"))
    overview = {r["Country code"] for r in rows(summary(folder), "Overview")}
    assert set(SIX) <= overview
    heat = {r["Country code"] for r in rows(summary(folder), "Heat map") if r["Country code"]}
    assert set(SIX) <= heat
    rounds = {r["Round"] for r in rows(summary(folder), "Heat map")}
    assert {"baseline 2025", "follow-up 2026"} <= rounds


def test_duplicate_and_older_version_are_flagged(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    quality = rows(summary(folder), "Data quality")
    checks = {r["Check"] for r in quality}
    assert {"Duplicate assessment", "Older form version", "Unknown country", "Criteria not assessed"} <= checks
    assert sum(r["Check"] == "Duplicate assessment" for r in quality) == 2
    details = [r for path in (folder / "reports").glob("qaf_*.xlsx") if "summary" not in path.name
               for r in rows(path, "Assessments")]  # every detail is in the country workbooks
    flags = [r["Older form version"] for r in details]
    assert set(flags) == {True, False} and flags.count(True) == 1
    older = [r for r in details if r["Older form version"] is True]
    assert any(r["Check"] == "Older form version" and r["Submission id"] == older[0]["Submission id"] for r in quality)


def test_formula_agency_stays_text(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    for path in (summary(folder), next((folder / "reports").glob("qaf_LBN_*.xlsx"))):
        ws = load_workbook(path)["Assessments"]
        cells = [c for row in ws.iter_rows() for c in row if c.value == FORMULA_AGENCY]
        assert cells and all(c.data_type != "f" for c in cells)
        with zipfile.ZipFile(path) as archive:
            assert not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))
    country_plan = rows(summary(folder), "Country action plan")
    assert any(FORMULA_AGENCY in (r["Agencies"] or "").split("; ") for r in country_plan)


def test_a_followed_up_plan_shows_in_this_years_workbooks(demo: tuple[Path, str]) -> None:
    """The demo's coordinator filled in EGY's plan of its first round: this year's plan carries it forward, shows
    what the reassessment closed, and the profile counts the progress."""
    folder, output = demo
    assert "[6/7] A coordinator filled in EGY's action plan of its first round and read it back:" in output
    path = next((folder / "reports").glob("qaf_EGY_*.xlsx"))
    book = load_workbook(path)
    assert book.sheetnames[:2] == ["Country profile", "Heat map"] and "Action plan by assessment" in book.sheetnames
    plan, closed = rows(path, "Country action plan"), rows(path, "Closed actions")
    tracked = [r for r in plan + closed if r["Last updated"] is not None]
    assert tracked and closed and all(r["Priority"] is None and r["Note"] for r in closed)
    assert not any(r["Note"] for r in plan)
    assert {r["Implementation stage"] for r in tracked} >= {"Completed", "Underway"}
    profile = {r[0]: r[1] for r in book["Country profile"].iter_rows(values_only=True) if r[0]}
    assert profile["Underway"] == sum(r["Implementation stage"] == "Underway" for r in plan)  # open work: needed ones
    assert profile["Completed"] == sum(r["Implementation stage"] == "Completed" for r in plan + closed) > 0
    assert profile["No longer needed"] == len(closed)
    assert book["Country profile"]["A1"].value == "Country profile: Egypt (EGY)"


def test_edit_and_deletion_reached_the_store(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    with sqlite3.connect(folder / "demo.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM submissions WHERE deleted_at IS NOT NULL").fetchone()[0] == 2
        assert db.execute("SELECT COUNT(*) FROM submission_history").fetchone()[0] == 2
        active = db.execute("SELECT COUNT(*) FROM submissions WHERE deleted_at IS NULL").fetchone()[0]
    assert len(rows(summary(folder), "Assessments")) == active


def test_generation_is_deterministic(tmp_path: Path, fw) -> None:  # noqa: ANN001
    form = read_form_structure(build_form(tmp_path, languages=["en"], framework=fw).xml)
    first, again, other = (generate_assessments(fw, form, seed=s) for s in (7, 7, 8))
    assert [a.answers for a in first] == [a.answers for a in again]
    assert [a.answers for a in first] != [a.answers for a in other]
    fields = set(form.paths.values())
    off_choices = []
    for number, assessment in enumerate(first):
        assert set(assessment.answers) <= fields  # every key is a field of the built form
        for section in fw.sections:
            for criterion in section.criteria:
                key = form.key(criterion_field(criterion))
                assert key.split("/")[0] == section_group(section)  # on its section's page
                if assessment.answers[key] not in form.choices[criterion_field(criterion)]:
                    off_choices.append((number, criterion.id, assessment.answers[key]))
    assert off_choices == [(5, fw.criteria[-1].id, "7")]  # the one code typed in by hand, for Data quality


def test_demo_refuses_to_replace_a_real_store(tmp_path: Path) -> None:
    from qaf_kobo.store import open_store

    real = tmp_path / "qaf.sqlite"
    with open_store(real) as store:
        store.add_source("office", "kobo", "https://kf.kobotoolbox.org", "aReal")
    before = real.read_bytes()
    result = CliRunner().invoke(main, ["demo", "--store", str(real), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "refusing to replace" in result.output and "kf.kobotoolbox.org" in result.output
    assert real.read_bytes() == before and not (tmp_path / "out").exists()


def test_demo_evidence_supports_the_ratings_but_three(fw, tmp_path) -> None:
    """The demo's figures back every cross-checked rating except the three planted contradictions."""
    form = read_form_structure(build_form(tmp_path, languages=["en"], framework=fw).xml)
    assessments = generate_assessments(fw, form)
    by_name = lambda answers: {key.rsplit("/", 1)[-1]: value for key, value in answers.items()}  # noqa: E731
    contradicted, with_figures = [], 0
    for assessment in assessments:
        row = by_name(assessment.answers)
        if not any(name.startswith("ev_") for name in row):
            continue
        with_figures += 1
        figures = {f.name: float(row[f.name]) for f in fw.evidence.fields}
        assert figures["ev_female_caseworkers"] <= figures["ev_caseworkers"]
        assert all(f.minimum <= figures[f.name] <= f.maximum for f in fw.evidence.fields)
        for ratio in fw.evidence.ratios:
            figures[ratio.name] = round(figures[ratio.numerator] / figures[ratio.denominator], 1)
        for check in fw.evidence.cross_checks:
            rating = row.get(criterion_field(fw.criterion(check.criterion_id)), "")
            indicator = fw.evidence.indicator(check.indicator)
            if rating.isdigit() and int(rating) in check.levels and not indicator.met(figures[indicator.value]):
                contradicted.append((check.indicator, rating))
    assert len(contradicted) == 3 and len({name for name, _ in contradicted}) == 3, contradicted
    assert 0.7 * len(assessments) < with_figures < len(assessments)  # some assessments give no figures


def test_the_readmes_own_framework_example_runs_in_the_demo_as_shown(tmp_path: Path) -> None:
    """The one-section framework of the README, copied as a user copies it, through `demo --framework`."""
    example = re.search(r"```yaml\n(id: mine .*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    assert example is not None
    path = tmp_path / "framework.yaml"
    path.write_text(example.group(1), encoding="utf-8")
    result = CliRunner().invoke(main, ["demo", "--framework", str(path), "--out", str(tmp_path / "reports"),
                                       "--store", str(tmp_path / "demo.sqlite")])
    assert result.exit_code == 0, result.output
    workbooks = sorted(p.name for p in (tmp_path / "reports").glob("*.xlsx"))
    assert workbooks[0].startswith("mine_") and len(workbooks) == 1 + len(SIX) + 1  # and LEB, the mistyped code
    assert load_workbook(tmp_path / "reports" / next(n for n in workbooks if "summary" in n), read_only=True)

"""Fuzz: generated JSON rows (wrong types in every known key, lone surrogates, deep nesting, huge numbers,
formula-like text) go through ``import``, then ``score`` and ``report``: each exits 0 or 2, never with a
traceback, and the submissions already in the store stay exactly as they were."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qaf_kobo.cli import main
from qaf_kobo.form.contract import criterion_field, level_field
from qaf_kobo.framework import default_framework
from qaf_kobo.store import open_store

from kobo_server import qaf_answers, qaf_form

BASE_ROWS = 4


@cache
def base_store() -> Path:
    """A store holding BASE_ROWS ordinary QAF submissions (made once; each example works on a copy)."""
    folder = Path(tempfile.mkdtemp(prefix="qaf-fuzz-base-"))
    rows = [{**qaf_answers(i), "_id": i + 1, "_uuid": f"base-u{i}", "meta/rootUuid": f"uuid:base-{i}",
             "__version__": "vBase", "_submission_time": "2026-03-01T10:00:00", "_xform_id_string": "aFuzz",
             "_validation_status": {}} for i in range(BASE_ROWS)]
    (folder / "base.json").write_text(json.dumps(rows))
    assert invoke("import", str(folder / "base.json"), "--store", str(folder / "s.sqlite")).exit_code == 0
    return folder / "s.sqlite"


def stored(store: Path) -> list[tuple]:
    """The base submissions as the store holds them, every column."""
    with open_store(store, read_only=True) as st_:
        return st_.conn.execute("SELECT * FROM submissions WHERE root_uuid LIKE 'base-%' ORDER BY root_uuid").fetchall()


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


DEEP = "\x00deep:"
"""A generated string ``DEEP + "5000"`` becomes lists nested 5000 deep in the file (too deep to pass around as
Python objects: Hypothesis itself could not print them)."""


def as_file_text(rows: list[dict[str, Any]]) -> str:
    """The rows as a JSON file, with each DEEP marker replaced by its nesting."""
    text = json.dumps(rows)
    return re.sub(r'"\\u0000deep:(\d+)"', lambda m: "[" * int(m.group(1)) + "]" * int(m.group(1)), text)


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"n": value}
    return value


surrogate_text = st.builds(lambda a, s, b: a + s + b, st.text(max_size=5),
                           st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), st.text(max_size=5))
kept = st.one_of(  # values the store keeps: scoring and reports must cope with each
    st.none(), st.booleans(), st.integers(min_value=-(10 ** 30), max_value=10 ** 30),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
    st.sampled_from(["1", "2", "3", "4", "na", "0", "5", "", " 3", "=1+1", "@SUM(A1)", "-2", "+4", "JOR", "LBN",
                     "xyz", "2026-02-30", "1899-01-01", "2026-03-01T10:00:00", "uuid:", "validation_status_approved"]))
accepted = st.one_of(kept, st.integers(min_value=1, max_value=8).map(nested),
                     st.recursive(kept, lambda inner: st.lists(inner, max_size=3)
                                  | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6))
refused = st.one_of(st.sampled_from([float("nan"), float("inf"), -float("inf")]), surrogate_text,
                    st.integers(min_value=65, max_value=5000).map(lambda depth: f"{DEEP}{depth}"))  # store refuses
values = st.one_of(accepted, refused)


@cache
def known_keys() -> tuple[str, ...]:
    """The keys scoring reads: the details, and the criteria and levels of two sections (real form paths)."""
    form, fw = qaf_form(), default_framework()
    details = [form.key(name) for name in ("country", "agency", "area", "purpose", "assessment_date", "round",
                                           "assessment_scope")]
    sections = [fw.sections[0], fw.sections[-1]]
    return (*details, *(form.key(criterion_field(c)) for s in sections for c in s.criteria),
            *(form.key(level_field(s)) for s in sections))


METADATA = {"meta/rootUuid": "uuid:fz-{n}", "_uuid": "fz-u{n}", "_id": "{n}", "_submission_time": "2026-04-01T10:00:00",
            "__version__": "vFuzz", "_validation_status": "", "_xform_id_string": "aFuzz"}
"""Each generated row's metadata when not fuzzed ("{n}" is the row's number; ``_id`` becomes a number)."""


@st.composite
def rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    """1–3 submissions with fuzzed answers to the keys scoring reads and unknown keys; in two files out of five,
    one metadata value fuzzed or one value the store refuses (so that most files reach scoring and reports).
    Root uuids are never those of the base rows."""
    found = []
    for number in range(draw(st.integers(min_value=1, max_value=3))):
        row: dict[str, Any] = {key: value.format(n=number) for key, value in METADATA.items()}
        row["_id"], row["_validation_status"] = 1000 + number, {"uid": draw(st.sampled_from(
            ["", "validation_status_approved", "validation_status_not_approved", "validation_status_on_hold"]))}
        for key in draw(st.lists(st.sampled_from(known_keys()), unique=True, max_size=len(known_keys()))):
            row[key] = draw(accepted)
        row.update(draw(st.dictionaries(st.text(max_size=8), accepted, max_size=2)))
        found.append(row)
    spoilt = draw(st.sampled_from(found))
    kind = draw(st.sampled_from(["none", "none", "none", "metadata", "refused"]))
    if kind == "metadata":
        key = draw(st.sampled_from(sorted(METADATA)))
        value = draw(values)
        if not (isinstance(value, str) and "base-" in value):
            spoilt[key] = value
    elif kind == "refused":
        spoilt[draw(st.sampled_from(known_keys()))] = draw(refused)
    return found


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows())
def test_fuzzed_rows_through_import_score_and_report(generated: list[dict[str, Any]]) -> None:
    work = Path(tempfile.mkdtemp(prefix="qaf-fuzz-"))
    try:
        store = work / "s.sqlite"
        shutil.copy(base_store(), store)
        before = stored(store)
        (work / "rows.json").write_text(as_file_text(generated), encoding="utf-8")
        imported = invoke("import", str(work / "rows.json"), "--store", str(store))
        check(imported)
        assert stored(store) == before
        if imported.exit_code == 0:
            check(invoke("score", "--store", str(store), "--out", str(work / "scores")))
            check(invoke("report", "--store", str(store), "--out", str(work / "reports")))
            assert stored(store) == before
    finally:
        shutil.rmtree(work)


def check(result: Result) -> None:
    """Exit 0, or exit 2 with one ``error:`` line — never an exception escaping the command."""
    assert not isinstance(result.exception, Exception), "".join(
        __import__("traceback").format_exception(result.exception))
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr

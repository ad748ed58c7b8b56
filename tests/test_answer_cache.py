"""The answers kept beside a store: a later run parses only the submissions whose JSON changed, and gives exactly
what a run that parses every submission gives, whatever was kept, damaged or unwritable."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from unittest import mock

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qaf_kobo.cli import main
from qaf_kobo.scoring import TABLES, score
from qaf_kobo.scoring import load as scoring_load
from qaf_kobo.scoring.answer_cache import AnswerCache, cache_path
from qaf_kobo.scoring.load import load_submissions
from qaf_kobo.scoring.tidy import scoring_fields
from qaf_kobo.store import open_store

from scoring_rows import make_store, submission


def same_scores(a, b) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


def test_a_second_run_parses_nothing_and_scores_the_same(fw, tmp_path):
    rows = [submission(fw, f"s{i}", details={"agency": f"A{i}", "country": "KEN"}) for i in range(6)]
    store = make_store(tmp_path / "qaf.sqlite", rows)
    first = load_submissions(store, ["agency", "country", "c_1_1"])
    assert first.parsed == 6 and cache_path(store).stat().st_mode & 0o777 == 0o600  # it holds answers: owner only
    again = load_submissions(store, ["agency", "country", "c_1_1"])
    assert again.parsed == 0
    pd.testing.assert_frame_equal(first.raw, again.raw)
    same_scores(score(store), score(store, keep_answers=False))


def test_a_changed_answer_of_the_same_length_is_parsed_again(fw, tmp_path):
    rows = [submission(fw, f"s{i}", {"1.1": "2"}) for i in range(4)]
    store = make_store(tmp_path / "qaf.sqlite", rows)
    before = score(store)
    assert set(before.criteria.query("criterion_id == '1.1'")["level"]) == {2}
    changed = dict(rows[2], **{next(k for k in rows[2] if k.endswith("/c_1_1")): "3"})  # "2" → "3": same length
    with open_store(store) as st_:
        assert st_.upsert_page([changed], source="test").updated == 1

    assert load_submissions(store, ["c_1_1"]).parsed == 4  # other fields: the kept answers are not used
    after = score(store)
    levels = after.criteria.query("criterion_id == '1.1'").set_index("root_uuid")["level"]
    assert levels.to_dict() == {"s0": 2, "s1": 2, "s2": 3, "s3": 2}
    same_scores(after, score(store, keep_answers=False))


def test_a_damaged_or_foreign_file_is_ignored_and_replaced(fw, tmp_path):
    store = make_store(tmp_path / "qaf.sqlite", [submission(fw, f"s{i}") for i in range(3)])
    kept = cache_path(store)
    for content in (b"", b"not an arrow file", b"ARROW1\x00\x00" + b"\xff" * 100):
        kept.write_bytes(content)
        data = load_submissions(store, ["country"])
        assert data.parsed == 3 and set(data.raw["details_scope/country"]) == {"KEN"}
        assert load_submissions(store, ["country"]).parsed == 0  # replaced by a readable one
    assert load_submissions(store, ["country", "agency"]).parsed == 3  # made for other fields: not used


def test_where_the_answers_cannot_be_kept_scoring_carries_on(fw, tmp_path):
    store = make_store(tmp_path / "qaf.sqlite", [submission(fw, f"s{i}") for i in range(3)])
    cache_path(store).mkdir()  # the name is taken: the file cannot be written (as in a read-only folder or a full disk)
    same_scores(score(store), score(store, keep_answers=False))
    assert load_submissions(store, ["country"]).parsed == 3
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []  # no temporary file left


def test_an_approved_only_run_reads_from_the_kept_answers_and_leaves_them(fw, tmp_path):
    rows = [submission(fw, "a", status="validation_status_approved"), submission(fw, "b")]
    store = make_store(tmp_path / "qaf.sqlite", rows)
    assert load_submissions(store, ["country"]).parsed == 2
    written = cache_path(store).stat().st_mtime_ns
    only = load_submissions(store, ["country"], only_approved=True)
    assert (only.parsed, len(only.raw)) == (0, 1)
    assert cache_path(store).stat().st_mtime_ns == written


@pytest.fixture
def held_write() -> Iterator[threading.Event]:
    """The answers file's write held back (in the background writer) until the event is set."""
    release, save = threading.Event(), AnswerCache.save

    def held_save(self, answers, digests):
        assert release.wait(10)
        save(self, answers, digests)

    with mock.patch.object(AnswerCache, "save", held_save):
        yield release


def test_scoring_writes_the_answers_after_it_scores_and_the_next_run_waits_for_them(fw, tmp_path, held_write):
    """score() leaves the file to a background write once it has scored; a run that starts while the write is
    still going waits for it and parses nothing."""
    store = make_store(tmp_path / "qaf.sqlite", [submission(fw, f"s{i}") for i in range(3)])
    first = score(store)
    assert not cache_path(store).exists()  # scored; the file is not written yet
    threading.Timer(0.2, held_write.set).start()
    again = load_submissions(store, scoring_fields(fw))
    assert again.parsed == 0 and cache_path(store).exists()
    same_scores(first, score(store, keep_answers=False))


def test_a_command_returns_with_the_answers_written(fw, tmp_path, held_write):
    """The command line waits for the background write before it returns, also when called from Python (a caller
    may then remove the folder)."""
    store = make_store(tmp_path / "qaf.sqlite", [submission(fw, f"s{i}") for i in range(3)])
    threading.Timer(0.3, held_write.set).start()
    result = CliRunner().invoke(main, ["score", "--store", str(store), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert cache_path(store).exists()


# --------------------------------------------------------------------------- kept or not: the same table
PATHS = ("g/country", "g/agency", "h/agency", "g/c_1_1", "note")
VALUES = st.one_of(st.none(), st.sampled_from(["", "KEN", "2", "na", "2025-03-01", "2025-03-01T10:00:00+03:00"]),
                   st.integers(-3, 3), st.floats(allow_nan=False, allow_infinity=False, width=32), st.booleans(),
                   st.lists(st.integers(0, 2), max_size=2), st.dictionaries(st.sampled_from("ab"), st.integers(0, 2), max_size=1))
ROW = st.dictionaries(st.sampled_from(PATHS), VALUES, max_size=len(PATHS))
STEP = st.lists(st.tuples(st.integers(0, 5), ROW), min_size=1, max_size=4)  # (submission number, its content)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=4), broken=st.integers(0, 5), slices=st.sampled_from([0, 256]))
def test_kept_or_not_every_run_reads_the_same_table(tmp_path_factory, steps, broken, slices):
    """Submissions added and changed (to values of any JSON type, under paths that share a field name) over several
    syncs, then one JSON text broken by hand: after each, the table read with the kept answers is the one read
    without (the rows joined as slices, or with ``slices`` 0 copied in order)."""
    store = tmp_path_factory.mktemp("kept") / "qaf.sqlite"
    fields = ["country", "agency", "c_1_1", "note"]

    def same_either_way() -> None:
        with mock.patch.object(scoring_load, "MAX_SLICES", slices):
            kept = load_submissions(store, fields)
        pd.testing.assert_frame_equal(kept.raw, load_submissions(store, fields, keep=False).raw)
        assert load_submissions(store, fields).parsed == 0

    with open_store(store) as st_:
        for step in steps:
            page = dict(step)  # one version of a submission per page (the last given)
            st_.upsert_page([{**content, "meta/rootUuid": f"uuid:r{n}", "_uuid": f"r{n}-{json.dumps(content)}"}
                             for n, content in page.items()])
            same_either_way()
        st_.conn.execute("UPDATE submissions SET raw_json = '{\"g/country\": ' WHERE root_uuid = ?", (f"r{broken}",))
        st_.conn.commit()
    same_either_way()

"""``qaf-kobo import`` of rows the store cannot keep, or rows of another asset: one ``error:`` line naming the
file and the submission, exit 2, and the store exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.devserver import DevServer
from qaf_kobo.sync.kobo import sync

from kobo_server import TOKEN, kobo, seed  # noqa: F401
from test_import import snapshot, submissions

DEEP = "[" * 5000 + "]" * 5000


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def second_row(**changes: object) -> str:
    """A JSON list of two good submissions, the second changed by ``changes``."""
    first, second = submissions(2, 10)
    return json.dumps([first, {**second, **changes}])


BAD_FILES = {
    "_id object": (second_row(_id={"$oid": "5f1"}), "submission 2 (_id {\"$oid\": \"5f1\"}, meta/rootUuid "
                                                    "\"uuid:r11\"): _id is an object, not a whole number"),
    "_id list": (second_row(_id=[11]), "submission 2 (_id [11], meta/rootUuid \"uuid:r11\"): _id is a list, not a "
                                       "whole number"),
    "_id 10^23": (second_row(_id=10 ** 23), "submission 2 (_id 100000000000000000000000, meta/rootUuid \"uuid:r11\"): "
                                            "_id 100000000000000000000000 is out of range (a whole number of at most "
                                            "19 digits)"),
    "__version__ 10^20": (second_row(__version__=10 ** 20),
                          "submission 2 (_id 12, meta/rootUuid \"uuid:r11\"): __version__ 100000000000000000000 is out "
                          "of range (a whole number of at most 19 digits)"),
    "_submission_time object": (second_row(_submission_time={"$date": 1}),
                                "submission 2 (_id 12, meta/rootUuid \"uuid:r11\"): _submission_time is an object, "
                                "not text"),
    "_submission_time list": (second_row(_submission_time=["2026-03-01"]),
                              "submission 2 (_id 12, meta/rootUuid \"uuid:r11\"): _submission_time is a list, not text"),
    "__version__ object": (second_row(__version__={"uid": "v1"}),
                           "submission 2 (_id 12, meta/rootUuid \"uuid:r11\"): __version__ is an object, not text"),
    "__version__ list": (second_row(__version__=["v1"]),
                         "submission 2 (_id 12, meta/rootUuid \"uuid:r11\"): __version__ is a list, not text"),
    "lone surrogate": (second_row(note="x").replace('"note": "x"', '"note": "caf\\ud800"'),
                       "submission 2 (_id 12, meta/rootUuid \"uuid:r11\"): the value of \"note\" holds \\ud800, half "
                       "of a surrogate pair, which is not valid Unicode text"),
    "lone surrogate in a key": (second_row(note="x").replace('"note"', '"\\udfffnote"'),
                                "submission 2 (_id 12, meta/rootUuid \"uuid:r11\"): a key in the row holds \\udfff, "
                                "half of a surrogate pair, which is not valid Unicode text"),
    "nested 5,000 deep": (second_row(note="x").replace('"note": "x"', f'"note": {DEEP}'),
                          "submission 2 (line 1) is nested more than 64 levels deep"),
    "nested 100 deep": (second_row(note="x").replace('"note": "x"', '"note": ' + "[" * 100 + "]" * 100),
                        "submission 2 (_id 12, meta/rootUuid \"uuid:r11\"): it is nested more than 64 levels deep"),
    "nested in a page": (json.dumps({"count": 2, "next": None, "results": json.loads(second_row(note="x"))}
                                    ).replace('"note": "x"', f'"note": {DEEP}'),
                         "submission 2 (line 1) is nested more than 64 levels deep"),
    "nested in JSON lines": ("\n".join(json.dumps(r) for r in submissions(3, 10)).replace('"_id": 12', f'"_id": 12, '
                                                                                            f'"note": {DEEP}'),
                             "line 2 is nested more than 64 levels deep"),
    "NaN": (second_row(note="x").replace('"note": "x"', '"note": NaN'),
            "submission 2 (_id 12, meta/rootUuid \"uuid:r11\"): it holds a number that is not finite (NaN or Infinity)"),
    "1e400": (second_row(note="x").replace('"note": "x"', '"note": 1e400'),
              "submission 2 (_id 12, meta/rootUuid \"uuid:r11\"): it holds a number that is not finite (NaN or "
              "Infinity)"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_row_the_store_cannot_keep_is_one_error_naming_file_and_row(case: str, tmp_path: Path) -> None:
    text, problem = BAD_FILES[case]
    store = tmp_path / "s.sqlite"
    (tmp_path / "good.json").write_text(json.dumps(submissions(3)))
    assert run("import", str(tmp_path / "good.json"), "--store", str(store)).exit_code == 0
    before = snapshot(store)
    bad = tmp_path / "bad.json"
    bad.write_text(text, encoding="utf-8")
    result = run("import", str(bad), "--store", str(store))
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {bad}: {problem}\n")
    assert snapshot(store) == before


def test_ids_and_metadata_of_another_single_type_are_kept_as_sent(tmp_path: Path) -> None:
    rows = submissions(3)
    rows[0]["_id"], rows[1]["_submission_time"], rows[2]["__version__"] = "12", 1741000000, True
    (tmp_path / "odd.json").write_text(json.dumps(rows))
    store = tmp_path / "s.sqlite"
    result = run("import", str(tmp_path / "odd.json"), "--store", str(store))
    assert result.exit_code == 0 and "3 new" in result.stdout
    assert sorted(snapshot(store)[1], key=lambda row: row["meta/rootUuid"]) == rows


def synced_store(kobo: DevServer, tmp_path: Path) -> tuple[Path, str]:
    uid = seed(kobo, 5)
    store = tmp_path / "s.sqlite"
    sync(kobo.url, uid, TOKEN, store)
    return store, uid


def test_rows_of_another_asset_are_refused_in_one_source(kobo: DevServer, tmp_path: Path) -> None:
    store, uid = synced_store(kobo, tmp_path)
    other = seed(kobo, 2)
    before = snapshot(store)
    mine, theirs = tmp_path / "mine.json", tmp_path / "theirs.json"
    mine.write_text(json.dumps(kobo.submissions(uid)))
    theirs.write_text(json.dumps(kobo.submissions(other)))
    result = run("import", str(mine), str(theirs), "--store", str(store))
    assert (result.exit_code, result.stderr) == (2, f"error: {theirs}: submission 1 is from form {other} "
                                                    f"(_xform_id_string), but the source export:imported of {store} "
                                                    f"holds the submissions of form {uid} (from {mine}); import it "
                                                    "with another --source\n")
    assert snapshot(store) == before
    again = run("import", str(mine), "--store", str(store))
    assert again.exit_code == 0 and "5 new, 0 updated" in again.stdout  # a source of its own: counted again
    assert run("import", str(theirs), "--source", "other", "--store", str(store)).exit_code == 0
    # a full sync of the asset's source leaves the other sources alone
    assert sync(kobo.url, uid, TOKEN, store, full=True).deleted == 0


def test_a_new_store_takes_the_form_of_its_first_file(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps([{**row, "_xform_id_string": "aFirst"} for row in submissions(2)]))
    second.write_text(json.dumps([{**row, "_xform_id_string": "aSecond"} for row in submissions(2, 5)]))
    store = tmp_path / "s.sqlite"
    mixed = run("import", str(first), str(second), "--store", str(store))
    assert mixed.exit_code == 2
    assert mixed.stderr == (f"error: {second}: submission 1 is from form aSecond (_xform_id_string), but the source "
                            f"export:imported of {store} holds the submissions of form aFirst (from {first}); import "
                            "it with another --source\n")
    assert run("import", str(first), "--store", str(store)).exit_code == 0
    later = run("import", str(second), "--store", str(store))
    assert later.exit_code == 2 and "holds the submissions of form aFirst;" in later.stderr

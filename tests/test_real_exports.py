"""Exports that KoboToolbox and ODK Central really produced (``../shared/data/real-exports``, beside the project;
see the README there for each file's source): every file is read by ``read_export`` without a form (accepted with
its rows and paths, or refused with what is wrong), and through ``qaf-kobo import`` with the QAF form (none is a
QAF export: each is refused naming the file and the form it looks like, and nothing is written; JSON pages from
the API are accepted). Skipped only where the folder is absent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from qaf_kobo.cli import main
from qaf_kobo.errors import QafError
from qaf_kobo.store import open_store
from qaf_kobo.sync.exports import read_export

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real-exports"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} is absent (the shared data beside the project)")

ACCEPTED: dict[str, tuple[int, set[str]]] = {
    # file: (rows, answer paths of the first row)
    "build_Flora-Quadrat-0-2_1558575936.csv": (2, {"location/area_name", "location/corner1", "habitat/morphological_type"}),
    "build_Flora-Quadrat-0-4_1564384341.csv": (2, {"location/area_name", "perimeter/corner2", "encounter_end_datetime"}),
    "zips/build_Flora-Quadrat-0-2_1558575936.zip": (2, {"location/area_name", "taxon_encounter"}),
    "zips/build_Flora-Quadrat-0-4_1564384341.zip": (2, {"location/area_name", "taxon_encounter", "vegetation_stratum"}),
    "formpack/all_geo_types_groups.csv": (2, {"start", "end", "Point", "geo_group/Trace", "geo_group/Shape"}),
    "formpack/all_geo_types_groups.xlsx": (2, {"start", "end", "Point", "geo_group/Trace", "geo_group/Shape"}),
    "formpack/all_geo_types_nogroups.csv": (2, {"start", "end", "Point", "Trace", "Shape"}),
    "formpack/all_geo_types_nogroups.xlsx": (2, {"start", "end", "Point", "Trace", "Shape"}),
    "kc_data.xlsx": (5, {"start", "end", "location", "profile/country", "profile/reason", "members"}),
    "repro/hxl_row.csv": (1, {"start", "end", "q"}),
    "repro/numeric_choices.csv": (1, {"start", "end", "langs"}),
}
NO_IDS = r"row {} has neither an _id nor a _uuid"
SAME_ID = r"rows 2 and 4 have the same _id 123: an export holds each submission once"
REFUSED: dict[str, str] = {
    "build_Flora-Quadrat-0-2_1558575936-taxon_encounter.csv": "a repeat table of ODK Central's export.*import the zip",
    "build_Flora-Quadrat-0-4_1564384341-taxon_encounter.csv": "a repeat table of ODK Central's export.*import the zip",
    "build_Flora-Quadrat-0-4_1564384341-vegetation_stratum.csv": "a repeat table of ODK Central's export",
    "ct_clean_data.xlsx": r"re-saved from R \(columns X_id, X_uuid",
    "ct_inst_data.xlsx": r"re-saved from R \(columns X_id, X_uuid",
    "kc_data_likert.xlsx": "no _id or _uuid column",
    "kobocat_tutorial_w_repeats.csv": r"an old KoBoCAT CSV export .*'children\[1\]/childs_age'",
    "kpi_labels_default.csv": "the columns are question labels.*XML values and headers",
    **{f"formpack/{name}_{groups}.{suffix}": NO_IDS.format(3 if name.startswith("hxl") else 2)
       for name in ("grouped_repeatable", "hxl_grouped_repeatable", "long_names")
       for groups in ("groups", "nogroups") for suffix in ("csv", "xlsx")},
    **{f"formpack/nested_grouped_repeatable_{groups}.{suffix}": SAME_ID
       for groups in ("groups", "nogroups") for suffix in ("csv", "xlsx")},
    "repro/nested_groups_parentfixed.xlsx": SAME_ID,
    "repro/nested_nogroups_parentfixed.xlsx": SAME_ID,
}
JSON_PAGES = {"kobo_data_page.json": 5, "kobo_dm_page.json": 3, "kobo_validation_page.json": 3,
              "kobo_geodata_page.json": 1, "kobo_group_names_page.json": 6}
LOOKS_LIKE = {"build_Flora-Quadrat-0-2_1558575936.csv": "Central form 'build_Flora-Quadrat-0-2_1558575936'",
              "zips/build_Flora-Quadrat-0-4_1564384341.zip": "Central form 'build_Flora-Quadrat-0-4_1564384341'",
              "kc_data.xlsx": "its first sheet is 'Sample Dataset KoboloadeR'",
              "formpack/all_geo_types_groups.xlsx": "its first sheet is 'I have points, traces, and s...'"}


def real_files() -> list[str]:
    if not REAL.is_dir():
        return []
    return sorted(str(p.relative_to(REAL)) for p in REAL.rglob("*") if p.is_file() and p.name != "README.md")


def test_every_real_file_has_an_expectation() -> None:
    assert set(real_files()) == {*ACCEPTED, *REFUSED, *JSON_PAGES}


def answers(row: dict[str, Any]) -> set[str]:
    return {k for k in row if not k.startswith(("_", "meta/"))}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_without_a_form_with_its_rows_and_paths(name: str) -> None:
    count, paths = ACCEPTED[name]
    read = read_export(REAL / name)
    assert len(read.rows) == count
    assert paths <= answers(read.rows[0])
    for row in read.rows:
        assert not any("." in k or k.startswith(("group_tree/group_tree", "_Point")) for k in answers(row))
        assert not any(k.rsplit("/", 1)[-1].startswith("_") for k in answers(row)), "geopoint parts are no answers"
        assert row["meta/rootUuid"]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_without_a_form_saying_what_is_wrong(name: str) -> None:
    with pytest.raises(QafError, match=REFUSED[name]) as caught:
        read_export(REAL / name)
    assert str(caught.value).startswith(f"{REAL / name}: ")


def test_dot_separator_select_multiple_repeats_and_date_cells_of_kc_data() -> None:
    rows = read_export(REAL / "kc_data.xlsx").rows
    first = rows[0]
    assert first["profile/reason"] == "accomodation employment education community"
    assert not any(k.startswith("profile/reason/") for k in first)  # choice columns are not answers
    assert first["start"] == "2022-10-27T08:57:57.907" and first["end"] == "2022-11-10T08:49:09.542"
    assert first["members"][0] == {"members/age": "56", "members/sex": "male"}
    assert sum(len(r.get("members", [])) for r in rows) == 12  # every row of the members sheet is linked


def test_hxl_row_skipped_and_numeric_choices_read() -> None:
    assert answers(read_export(REAL / "repro/hxl_row.csv").rows[0]) == {"start", "end", "q"}
    row = read_export(REAL / "repro/numeric_choices.csv").rows[0]
    assert row["langs"] == "1 3" and row["_id"] == 7


def test_central_zip_repeats_are_linked() -> None:
    rows = read_export(REAL / "zips/build_Flora-Quadrat-0-4_1564384341.zip").rows
    assert [len(r["taxon_encounter"]) for r in rows] == [2, 5] and len(rows[0]["vegetation_stratum"]) == 5
    assert rows[0]["taxon_encounter"][0]["taxon_encounter/field_name"] == "Conostylis yellow"


def unique_ids_copy(name: str, folder: Path) -> Path:
    """The nested formpack export with its second version's rows given ids of their own (formpack's fixture shows
    each submission under two form versions, which no real export does)."""
    book = openpyxl.load_workbook(REAL / name)
    root = book.worksheets[0]
    id_column = [c.value for c in root[1]].index("_id") + 1
    for row in range(4, root.max_row + 1):
        root.cell(row, id_column).value += 1000
    path = folder / Path(name).name
    book.save(path)
    return path


@pytest.mark.parametrize("groups", ["groups", "nogroups"])
def test_nested_repeats_under_a_cut_title_are_linked(groups: str, tmp_path: Path) -> None:
    """The first sheet's name is cut to 'Bird nest survey with nested...' while the repeat rows name the full
    title: every repeat row is linked; with groups in headers the paths are the form's without it."""
    rows = read_export(unique_ids_copy(f"formpack/nested_grouped_repeatable_{groups}.xlsx", tmp_path)).rows
    trees = [t for r in rows for t in r["group_tree"]]
    assert len(rows) == 4 and len(trees) == 6
    nest = "group_tree/group_nest" if groups == "groups" else "group_nest"
    egg = f"{nest}/group_egg" if groups == "groups" else "group_egg"
    nests = [n for t in trees for n in t.get(nest, [])]
    assert len(nests) == 8 and sum(len(n.get(egg, [])) for n in nests) == 14
    assert trees[0]["group_tree/What_kind_of_tree_is_this"] == "pine"
    paths = {"group_tree": "group_tree", "What_kind_of_tree_is_this": "group_tree/What_kind_of_tree_is_this",
             "group_nest": "group_tree/group_nest", "How_many_eggs_are_in_the_nest":
             "group_tree/group_nest/How_many_eggs_are_in_the_nest", "How_high_above_the_ground_is_the_nest":
             "group_tree/group_nest/How_high_above_the_ground_is_the_nest", "group_egg":
             "group_tree/group_nest/group_egg", "Describe_the_egg": "group_tree/group_nest/group_egg/Describe_the_egg"}
    with_form = read_export(unique_ids_copy(f"formpack/nested_grouped_repeatable_{groups}.xlsx", tmp_path), paths)
    first_nest = with_form.rows[0]["group_tree"][0]["group_tree/group_nest"][0]
    assert first_nest["group_tree/group_nest/How_many_eggs_are_in_the_nest"] == "3"
    assert len(first_nest["group_tree/group_nest/group_egg"]) == 3


@pytest.mark.parametrize("name", sorted({*ACCEPTED, *REFUSED}))
def test_import_with_the_qaf_form_refuses_and_writes_nothing(name: str, tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    result = CliRunner().invoke(main, ["import", str(REAL / name), "--store", str(store)])
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert line.startswith(f"error: {REAL / name}: ") and "\n" not in line and "Traceback" not in line
    if name in ACCEPTED:
        assert "an export of another form" in line and "this form's own fields" in line
    if name in LOOKS_LIKE:
        assert LOOKS_LIKE[name] in line
    if store.exists():
        with open_store(store) as st:
            assert st.status().to_dict()["submissions"] == 0


@pytest.mark.parametrize("name", sorted(JSON_PAGES))
def test_api_pages_import(name: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["import", str(REAL / name), "--store", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 0, result.output
    assert f"imported {JSON_PAGES[name]} submissions" in result.output and f"{JSON_PAGES[name]} new" in result.output

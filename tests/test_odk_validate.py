"""ODK Validate (JavaRosa, shipped inside the pyxform wheel) accepts the built XForm and rejects a broken one."""

from __future__ import annotations

import pytest

from qaf_kobo.errors import QafError
from qaf_kobo.form.build import build_form, convert_xlsform, write_xlsform
from qaf_kobo.form.xlsform import build_xlsform, form_languages

from conftest import require_tool

pytestmark = pytest.mark.system


def test_odk_validate_accepts_the_full_form_in_every_language(tmp_path):
    require_tool("java", why="ODK Validate is a Java program")
    built = build_form(tmp_path, validate=True, stamp="202601010000")
    assert [w for w in built.warnings if w.startswith("pyxform")] == []
    assert built.xml.stat().st_size > 100_000


def test_odk_validate_rejects_a_broken_calculation(tmp_path, fw):
    require_tool("java", why="ODK Validate is a Java program")
    short = fw.with_sections(["2c"])
    form = build_xlsform(short, "1.0.0.1", form_languages(short, ["en"]))
    calc = next(row for row in form.survey if row["name"] == "calc_2c")
    calc["calculation"] = calc["calculation"].replace("min(", "lowest_of(", 1)
    xlsx = write_xlsform(form, tmp_path / "broken.xlsx")
    convert_xlsform(xlsx, tmp_path / "broken.xml", validate=False)  # pyxform alone does not notice
    with pytest.raises(QafError, match="ODK Validate rejected the form.*lowest_of"):
        convert_xlsform(xlsx, tmp_path / "broken2.xml", validate=True)

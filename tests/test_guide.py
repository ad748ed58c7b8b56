"""The coordinator's guide (reports/README.md) stays true to the workbooks: every sheet they have is described,
no sheet they no longer have is, and its rules are the About sheet's, word for word."""

from __future__ import annotations

import re

from qaf_kobo.report.guide import END, START, guide_path, rules_block, with_rules
from qaf_kobo.report.sheets import COUNTRY_SHEETS, REGIONAL_SHEETS
from qaf_kobo.report.wording import wording


def _sheets_section(text: str) -> str:
    return text.split("## The sheets", 1)[1].split("\n## ", 1)[0]


def test_the_guide_describes_every_sheet_and_no_other(fw):
    words = wording(fw, "en")
    sheets = {words.sheet(sheet.KEY) for sheet in (*REGIONAL_SHEETS, *COUNTRY_SHEETS)}
    described = set(re.findall(r"^- \*\*(.+?)\*\*", _sheets_section(guide_path().read_text(encoding="utf-8")), re.M))
    assert described == sheets, (f"sheets the guide does not describe: {sorted(sheets - described)}; "
                                 f"sheets it describes that no workbook has: {sorted(described - sheets)}")


def test_the_guides_rules_are_the_about_sheets(fw):
    guide = guide_path().read_text(encoding="utf-8")
    assert with_rules(guide, fw) == guide, "the guide's rules are out of date: run `make guide`"
    block = guide.split(START, 1)[1].split(END, 1)[0]
    assert "so a domain is never below all of its sections" in block and block.strip() == rules_block(fw)


def test_the_main_readme_links_the_guide():
    assert "reports/README.md" in (guide_path().parents[1] / "README.md").read_text(encoding="utf-8")

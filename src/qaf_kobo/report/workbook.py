"""Write the coordinators' workbooks: the regional ``qaf_summary_<date>.xlsx`` and one ``qaf_<ISO3>_<date>.xlsx`` per country."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from qaf_kobo.errors import QafError
from qaf_kobo.framework import Framework
from qaf_kobo.framework.catalogue import ENGLISH
from qaf_kobo.report.sheet_data import splice_rows
from qaf_kobo.report.sheets import (
    add_sections_chart,
    add_share_chart,
    add_stage_dropdown,
    write_about,
    write_heat_map,
)
from qaf_kobo.report.table import MAX_ROWS, Table, prepare_table_sheet
from qaf_kobo.report.tables import (
    ACTION_PLAN_STAGE_COLUMN,
    action_plan_table,
    assessments_table,
    data_quality_table,
    overview_table,
    sections_table,
)
from qaf_kobo.report.wording import Wording, wording
from qaf_kobo.scoring import Scores

_FRAMES = ("assessments", "criteria", "sections", "domains", "quality")


def limit_to_countries(scores: Scores, countries: list[str]) -> Scores:
    """The same Scores with only these countries' assessments (and their rows in every table)."""
    keep = set(scores.assessments.loc[scores.assessments["country"].isin(countries), "root_uuid"])
    changes = {name: getattr(scores, name)[getattr(scores, name)["root_uuid"].isin(keep)] for name in _FRAMES}
    changes["countries"] = scores.countries[scores.countries["country"].isin(countries)]
    return dataclasses.replace(scores, **changes)


def write_workbook(scores, fw: Framework, words: Wording, path: Path) -> Path:
    """One workbook with the seven sheets for these scores."""
    wb = Workbook()
    wb.remove(wb.active)
    tables: dict[str, Table] = {}

    def table_sheet(key: str, table: Table):
        ws = wb.create_sheet(words.sheet(key))
        prepare_table_sheet(ws, table)
        tables[ws.title] = table
        return ws

    overview = overview_table(scores, words)
    add_share_chart(table_sheet("overview", overview), overview, words)
    write_heat_map(wb.create_sheet(words.sheet("heat_map")), scores, fw, words)
    sections = sections_table(scores, fw, words)
    add_sections_chart(table_sheet("sections", sections), sections, words)
    table_sheet("assessments", assessments_table(scores, fw, words))
    plan = action_plan_table(scores, fw, words)
    if len(plan.frame) >= MAX_ROWS:
        raise QafError(
            f"the action plan has {len(plan.frame):,} rows, more than an Excel sheet holds; "
            "write it per country with --country"
        )
    add_stage_dropdown(table_sheet("action_plan", plan), plan, ACTION_PLAN_STAGE_COLUMN, words)
    table_sheet("data_quality", data_quality_table(scores, words))
    write_about(wb.create_sheet(words.sheet("about")), scores, fw, words)
    for ws in wb.worksheets:
        ws.sheet_view.rightToLeft = words.right_to_left
    draft = path.with_name(path.name + ".draft")
    try:
        wb.save(draft)
        splice_rows(draft, path, tables)
    finally:
        draft.unlink(missing_ok=True)
    return path


def _file_code(country: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", country)


def write_reports(
    scores, fw: Framework, out_dir: str | Path, countries: list[str] | None = None, lang: str = ENGLISH,
    date: dt.date | None = None,
) -> list[Path]:
    """Write the regional workbook and one workbook per country (only ``countries`` when given); return their paths.

    An unknown language, or a requested country without assessments, raises QafError.
    """
    words = wording(fw, lang)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamp = (date or dt.date.today()).isoformat()
    present = [c for c in pd.unique(scores.assessments["country"].dropna()) if str(c).strip()]
    if countries:
        wanted = list(dict.fromkeys(c.strip().upper() for c in countries))
        missing = [c for c in wanted if c not in present]
        if missing:
            raise QafError(f"no assessments for country {', '.join(missing)} (found: {', '.join(sorted(map(str, present))) or 'none'})")
        scores = limit_to_countries(scores, wanted)
        present = wanted
    paths = [write_workbook(scores, fw, words, out / f"qaf_summary_{stamp}.xlsx")]
    for country in sorted(map(str, present)):
        paths.append(write_workbook(limit_to_countries(scores, [country]), fw, words, out / f"qaf_{_file_code(country)}_{stamp}.xlsx"))
    return paths

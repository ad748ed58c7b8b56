"""The Country action plan sheet: one row per country × action the latest round needs (``plans.country_plan``),
by priority, in the tracking format of seed 000 — the sheet coordinators fill in and ``qaf-kobo actions import``
reads back (by Action id, columns found by their headings in the report's language). The tracked actions the
latest round no longer needs are in the Closed actions sheet (``closed_actions``), with the same columns.

Columns: Action id, Priority, Domain, Section, Criterion, Action, Current level, Target level, Agencies needing it,
Agencies, Responsible section / agency, Responsible person, Expected completion date, Implementation stage
(dropdown), Action taken, Last updated, Note; the regional workbook starts with Country. A suggested date (not
confirmed by a person, no Responsible) is in grey italics, with a note on its heading. Rows past a confirmed date
and neither completed nor cancelled are highlighted as overdue by conditional formats (TODAY(), so it stays right
when the file is opened later; a Responsible typed in later confirms the row's date there too).
"""

from __future__ import annotations

import pandas as pd
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.plans.country_plan import AGENCY_SEPARATOR
from qaf_kobo.report.cells import MAX_CELL_TEXT, Cells
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.sheets.action_plan import stage_dropdown
from qaf_kobo.report.table_sheet import Column, Table, fitted_widths, print_in_parts, write_table
from qaf_kobo.report.wording import Wording

KEY = "country_plan"
COLUMNS: dict[str, tuple[str, str, float]] = {
    "country": ("report.col.country", "text", 14),
    "action_id": ("report.col.action_id", "text", 17),
    "priority": ("report.col.priority", "rank", 8),
    "domain": ("report.col.domain", "wrap", 14),
    "section": ("report.col.section", "wrap", 18),
    "criterion": ("report.col.criterion", "wrap", 22),
    "action": ("report.col.action", "wrap", 50),
    "current_level": ("report.col.current_level", "level", 15),
    "target_level": ("report.col.target_level", "level", 15),
    "n_agencies": ("report.col.n_agencies_needing", "rank", 9),
    "agencies": ("report.col.agency_names", "wrap", 20),
    "responsible_section": ("report.col.responsible_section", "wrap", 20),
    "responsible_person": ("report.col.responsible_person", "wrap", 20),
    "expected_completion": ("report.col.expected_completion", "date", 14),
    "implementation_stage": ("report.col.implementation_stage", "text", 16),
    "action_taken": ("report.col.action_taken", "wrap", 36),
    "last_updated": ("report.col.last_updated", "datetime", 16),
    "note": ("report.col.note", "wrap", 36),
}
"""Per column key: the heading's string id, the kind and the width."""
TRACKED = ("responsible_section", "responsible_person", "expected_completion", "implementation_stage", "action_taken",
           "last_updated")
"""The columns coordinators fill in (read back by ``qaf-kobo actions import``)."""
OVERDUE_LOOK = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}


def column_keys(regional: bool) -> tuple[str, ...]:
    """The plan's columns in order: with Country first in the regional workbook."""
    keys = tuple(COLUMNS)
    return keys if regional else keys[1:]


def heading(key: str, words: Wording) -> str:
    """The heading of a column in the report's language."""
    return words(COLUMNS[key][0])


def fitted_names(names: str, limit: int = MAX_CELL_TEXT) -> str:
    """The agencies' names as one cell holds them: when longer than Excel's limit, cut after the last whole name
    that fits, followed by `` … (+N)``, N the names left out."""
    if len(names) <= limit:
        return names
    listed = names.split(AGENCY_SEPARATOR)
    kept, length = 0, 0
    for name in listed:
        more = len(listed) - kept - 1
        if length + len(name) + len(f"{AGENCY_SEPARATOR} … (+{more})") > limit:
            break
        length += len(name) + (len(AGENCY_SEPARATOR) if kept else 0)
        kept += 1
    return f"{AGENCY_SEPARATOR.join(listed[:kept])} … (+{len(listed) - kept})"


def plan_rows(data: ReportData, needed: bool = True) -> pd.DataFrame:
    """The rows of the Country action plan (``needed``) or of the Closed actions sheet."""
    return data.plans[data.plans["needed"].astype(bool) == needed]


def country_plan_table(data: ReportData, fw: Framework, words: Wording, needed: bool = True) -> Table:
    """The plans of ``data``'s countries in the report language: the needed actions, or (``needed=False``) those
    no longer needed."""
    plan = plan_rows(data, needed)
    names = data.scores.assessments.drop_duplicates("country").set_index("country")["country_name"]
    domains = {d.id: words.domain(d) for d in fw.domains}
    sections = {s.id: words.section(s) for s in fw.sections}
    criteria = {c.id: words.criterion(c) for c in fw.criteria}
    actions = {key: words(key) if key else words("report.action_plan.no_action") for key in plan["action_key"].unique()}
    notes = [words(f"report.note.{note}", round=words.round_label(round_)) if note else None
             for note, round_ in zip(plan["note"], plan["round"])]
    values = {
        "country": plan["country"].map(names).fillna(plan["country"]),
        "action_id": plan["action_id"],
        "priority": plan["priority"],
        "domain": plan["domain_id"].map(domains),
        "section": plan["section_id"].map(sections),
        "criterion": plan["criterion_id"].map(criteria),
        "action": plan["action_key"].map(actions),
        "current_level": plan["current_level"],
        "target_level": plan["target_level"],
        "n_agencies": plan["n_agencies"],
        "agencies": plan["agencies"].map(fitted_names, na_action="ignore"),
        "responsible_section": plan["responsible_section"],
        "responsible_person": plan["responsible_person"],
        "expected_completion": plan["expected_completion"],
        "implementation_stage": plan["stage"].map(words.stage),
        "action_taken": plan["action_taken"],
        "last_updated": plan["last_updated"],
        "note": pd.Series(notes, index=plan.index, dtype=object),
    }
    keys = column_keys(data.country is None)
    frame = pd.DataFrame({key: values[key].reset_index(drop=True) for key in keys})
    level_width = max(len(words.level(code)) for code in fw.level_codes) + 2  # a level name is read whole
    columns = tuple(Column(heading(key, words), COLUMNS[key][1],
                           level_width if COLUMNS[key][1] == "level" else COLUMNS[key][2]) for key in keys)
    return Table(columns, frame)


def _ranges(n_columns: int, skip: set[int], first: int, last: int) -> str:
    """Cell ranges over the columns but ``skip``, rows ``first`` to ``last`` (0-based), e.g. "A2:F9 I2:Q9"."""
    spans, run = [], []
    for col in range(n_columns + 1):
        if col < n_columns and col not in skip:
            run.append(col)
            continue
        if run:
            spans.append(f"{xl_col_to_name(run[0])}{first + 1}:{xl_col_to_name(run[-1])}{last + 1}")
            run = []
    return " ".join(spans)


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """The (first, last) 0-based indexes of each run of True."""
    runs, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def write_plan(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording, needed: bool) -> None:
    """The table, suggested dates in their own look with a note on the heading, the stage dropdown and its looks,
    and (needed actions) the overdue highlight on all but the level columns; frozen on the Action id column."""
    table = country_plan_table(data, fw, words, needed)
    keys = column_keys(data.country is None)
    col = {key: i for i, key in enumerate(keys)}
    confirmed = plan_rows(data, needed)["date_confirmed"].astype(bool).tolist()
    suggested = [None if sure else "suggested_date" for sure in confirmed]
    write_table(ws, cells, table, restyle={col["expected_completion"]: suggested},
                heading_notes={col["expected_completion"]: words("report.plan.suggested_dates")})
    print_in_parts(ws, [c.width for c in fitted_widths(table, words).columns], repeat=col["priority"] + 1,
                   breaks=[col[TRACKED[0]]])
    last = max(len(table), 1)
    stage_dropdown(ws, cells, words, last, col["implementation_stage"])
    ws.freeze_panes(1, col["action_id"] + 1)
    if not needed:
        return
    letter = {key: xl_col_to_name(i) for key, i in col.items()}
    levels = {col["current_level"], col["target_level"]}
    look = cells.book.add_format(OVERDUE_LOOK)

    def past(row: int) -> str:  # a formula is relative to the first cell of its first range (Excel row ``row``)
        due, stage = f'${letter["expected_completion"]}{row}', f'${letter["implementation_stage"]}{row}'
        closed = ",".join(f'{stage}<>"{words.stage(s)}"' for s in ("completed", "cancelled"))
        return f"ISNUMBER({due}),{due}<TODAY(),{closed}"

    assigned = f'OR(${letter["responsible_section"]}2<>"",${letter["responsible_person"]}2<>"")'
    ws.conditional_format(1, 0, last, len(keys) - 1, {
        "type": "formula", "criteria": f"=AND({past(2)},{assigned})", "format": look,
        "multi_range": _ranges(len(keys), levels, 1, last),
    })
    runs = _runs(confirmed)  # dates a person set: overdue without a Responsible too
    if runs:
        first, end = runs[0][0] + 1, runs[-1][1] + 1
        ws.conditional_format(first, 0, end, len(keys) - 1, {
            "type": "formula", "criteria": f"=AND({past(first + 1)})", "format": look,
            "multi_range": " ".join(_ranges(len(keys), levels, a + 1, b + 1) for a, b in runs),
        })


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The needed actions (see ``write_plan``)."""
    write_plan(ws, cells, data, fw, words, needed=True)

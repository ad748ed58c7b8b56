"""Sheets written cell by cell with openpyxl (Heat map, About) and the extras of table sheets (charts, dropdown)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Border, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.framework.catalogue import LANGUAGE_NAMES
from qaf_kobo.report.styles import LEVEL_COLOURS, apply_style, write_text
from qaf_kobo.report.summaries import has_rounds, heat_map
from qaf_kobo.report.table import Table, setup_print
from qaf_kobo.report.wording import Wording

_BLOCK_EDGE = Side(style="medium", color="000000")


def write_heat_map(ws: Worksheet, scores, fw: Framework, words: Wording) -> None:
    """Countries × sections, each cell the level's name on the level's colour; one block per round; a legend."""
    frame = heat_map(scores, fw)
    rounds = has_rounds(scores.assessments)
    heads = ([words("report.col.round")] if rounds else []) + [
        words("report.col.country_code"), words("report.col.country"), words("report.col.assessments"),
    ]
    first_section = len(heads) + 1
    level_width = max(len(words.level(code)) for code in [*words.fw.level_codes, None]) + 2  # a level name is read whole
    for col, text in enumerate(heads + [words.section(s) for s in fw.sections], 1):
        write_text(ws.cell(row=1, column=col), text, "header")
        ws.column_dimensions[get_column_letter(col)].width = level_width if col >= first_section else 12
    ws.column_dimensions[get_column_letter(first_section - 2)].width = 20
    if rounds:
        ws.column_dimensions["A"].width = max(12, *(len(str(r)) + 2 for r in frame["round"].dropna()))
    ws.row_dimensions[1].height = 75
    previous_round = None
    for row, values in enumerate(frame.to_dict("records"), 2):
        col = 1
        if rounds:
            write_text(ws.cell(row=row, column=col), values["round"], "text")
            col += 1
        write_text(ws.cell(row=row, column=col), _blank_if_missing(values["country"]), "text")
        write_text(ws.cell(row=row, column=col + 1), _blank_if_missing(values["country_name"]), "text")
        count = ws.cell(row=row, column=col + 2, value=int(values["n_assessments"]))
        apply_style(count, "int")
        for offset, section in enumerate(fw.sections):
            level = values[section.id]
            code = None if pd.isna(level) else int(level)
            write_text(ws.cell(row=row, column=first_section + offset), words.level(code), f"level_{code or 'none'}")
        if rounds and previous_round is not None and values["round"] != previous_round:
            for c in range(1, first_section + len(fw.sections)):
                cell = ws.cell(row=row, column=c)
                cell.border = Border(left=cell.border.left, right=cell.border.right, bottom=cell.border.bottom, top=_BLOCK_EDGE)
        previous_round = values["round"]
    last_col = first_section + len(fw.sections) - 1
    ws.freeze_panes = ws.cell(row=2, column=first_section).coordinate
    ws.auto_filter.ref = f"A1:{get_column_letter(last_col)}{len(frame) + 1}"
    _legend(ws, last_col + 2, words)
    setup_print(ws)


def _blank_if_missing(value: object) -> object:
    return "" if value is None or pd.isna(value) else value


def _legend(ws: Worksheet, col: int, words: Wording) -> None:
    """The colours with the level names, and how a cell of several assessments is computed."""
    write_text(ws.cell(row=1, column=col), words("report.legend.title"), "header")
    for row, code in enumerate([*words.fw.level_codes, None], 2):
        write_text(ws.cell(row=row, column=col), words.level(code), f"level_{code or 'none'}")
    write_text(ws.cell(row=8, column=col), words("report.about.median_rule"), "wrap")
    write_text(ws.cell(row=9, column=col), words("report.about.level_source"), "wrap")
    ws.column_dimensions[get_column_letter(col)].width = 40


def add_share_chart(ws: Worksheet, table: Table, words: Wording) -> None:
    """Overview: a bar chart of the share of section ratings meeting the minimum, by country."""
    rows = len(table.frame)
    if not rows:
        return
    share_col = next(i for i, c in enumerate(table.columns, 1) if c.kind == "percent")
    chart = BarChart()
    chart.type = "bar"
    chart.title = words("report.chart.share_meets_minimum")
    chart.add_data(Reference(ws, min_col=share_col, min_row=1, max_row=rows + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=2, min_row=2, max_row=rows + 1))
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.y_axis.numFmt = "0%"
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.legend = None
    chart.series[0].graphicalProperties.solidFill = LEVEL_COLOURS[words.fw.minimum]
    chart.height = max(8, 0.9 * rows + 4)  # room for every country's label
    chart.width = 18
    ws.add_chart(chart, f"{get_column_letter(len(table.columns) + 2)}2")


def add_sections_chart(ws: Worksheet, table: Table, words: Wording) -> None:
    """Sections: a stacked bar chart of the level distribution of every section, one colour per level."""
    rows = len(table.frame)
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = words("report.chart.sections")
    chart.add_data(Reference(ws, min_col=2, max_col=1 + len(words.fw.levels), min_row=1, max_row=rows + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=rows + 1))
    for series, code in zip(chart.series, words.fw.level_codes):
        series.graphicalProperties.solidFill = LEVEL_COLOURS[code]
        series.graphicalProperties.line.solidFill = LEVEL_COLOURS[code]
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.x_axis.scaling.orientation = "maxMin"  # first section at the top
    chart.height = 12
    chart.width = 22
    ws.add_chart(chart, f"{get_column_letter(len(table.columns) + 2)}2")


def add_stage_dropdown(ws: Worksheet, table: Table, column: int, words: Wording) -> None:
    """The Implementation stage list (Not started, Underway, Completed, Cancelled) on every action row."""
    letter = get_column_letter(column)
    validation = DataValidation(type="list", formula1='"' + ",".join(words.stages()) + '"', allow_blank=True)
    validation.add(f"{letter}2:{letter}{max(len(table.frame), 1) + 1}")
    ws.add_data_validation(validation)


def _public_server(url: object) -> str:
    """The server address without user, password, query or fragment (a token must never reach a report)."""
    if not url:
        return ""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _filters_text(filters: object, words: Wording) -> str:
    if not isinstance(filters, dict):
        return str(filters) if filters else words("report.about.none")
    shown = []
    for key, value in filters.items():
        if value in (None, False, "", [], ()):
            continue
        shown.append(f"{key}={','.join(map(str, value)) if isinstance(value, (list, tuple)) else value}")
    return "; ".join(shown) or words("report.about.none")


def _as_datetime(value: object) -> object:
    stamp = pd.to_datetime(value, errors="coerce", utc=True) if value else pd.NaT
    return str(value or "") if pd.isna(stamp) else stamp.tz_convert(None).to_pydatetime()


def write_about(ws: Worksheet, scores, fw: Framework, words: Wording) -> None:
    """Where the figures come from: framework and form versions, rule, data source (never a token), counts, filters."""
    about = dict(getattr(scores, "about", {}) or {})
    rule = str(about.get("rule", ""))
    versions = about.get("form_versions") or []
    items: list[tuple[str, object]] = [
        ("framework_version", about.get("framework_version") or fw.version),
        ("framework_edition", fw.edition),
        ("form_versions", ", ".join(map(str, versions)) if isinstance(versions, (list, tuple)) else str(versions)),
        ("current_version", about.get("current_version") or ""),
        ("rule", words.optional(f"report.about.rule.{rule}", rule)),
        ("server", _public_server(about.get("server"))),
        ("asset_uid", about.get("asset_uid") or ""),
        ("store_path", about.get("store_path") or ""),
        ("generated_at", _as_datetime(about.get("generated_at"))),
        ("n_submissions", about.get("n_submissions")),
        ("n_assessments", int(scores.assessments["root_uuid"].nunique())),
        ("n_countries", int(scores.assessments["country"].nunique())),
        ("filters", _filters_text(about.get("filters"), words)),
        ("language", LANGUAGE_NAMES.get(words.lang, words.lang)),
    ]
    if words.status:
        items.append(("translation_status", words.status))
    write_text(ws.cell(row=1, column=1), words("report.about.item"), "header")
    write_text(ws.cell(row=1, column=2), words("report.about.value"), "header")
    for row, (key, value) in enumerate(items, 2):
        write_text(ws.cell(row=row, column=1), words(f"report.about.{key}"), "wrap")
        cell = ws.cell(row=row, column=2)
        if isinstance(value, dt.datetime):
            cell.value = value
            apply_style(cell, "datetime")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            cell.value = value
            apply_style(cell, "int")
        else:
            write_text(cell, "" if value is None else value, "wrap")
    notes = len(items) + 3
    write_text(ws.cell(row=notes, column=1), words("report.about.median_rule"), "wrap")
    write_text(ws.cell(row=notes + 1, column=1), words("report.about.level_source"), "wrap")
    ws.merge_cells(start_row=notes, start_column=1, end_row=notes, end_column=2)
    ws.merge_cells(start_row=notes + 1, start_column=1, end_row=notes + 1, end_column=2)
    ws.row_dimensions[notes].height = 45
    ws.row_dimensions[notes + 1].height = 30
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 80
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:B{len(items) + 1}"
    setup_print(ws)

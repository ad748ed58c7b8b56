"""The About sheet: where the figures come from — framework and form versions, scoring rule, data source (never a
token), counts, filters, language, the horizons of the expected completion dates — and notes: how the summaries
read section levels, the priority rule of the country action plans, the regional median and the round trip."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit, urlunsplit

from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.framework.catalogue import LANGUAGE_NAMES
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.table_sheet import wrapped_lines
from qaf_kobo.report.wording import Wording

KEY = "about"
FILTER_WORDS = {("validation_status", "approved only"): "report.about.filter.approved_only",
                ("validation_status", "all except not approved"): "report.about.filter.not_rejected"}
FILTER_LABELS = {"validation_status": "report.col.validation_status", "countries": "report.col.country_code"}
"""Filters scoring records in English (``scores.about["filters"]``), by key and value: their report wording."""
DRAFT = "draft, to be reviewed by a native-speaking child-protection specialist"
"""The status of the shipped translations (their files say it in English): shown in the report language."""


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
        listed = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
        label = words(FILTER_LABELS[key]) if key in FILTER_LABELS else key
        shown.append(f"{label}: {words(FILTER_WORDS[key, listed]) if (key, listed) in FILTER_WORDS else listed}")
    return "; ".join(shown) or words("report.about.none")


def _horizons(data: ReportData, words: Wording) -> str:
    return "; ".join(words("report.about.horizon", level=words.level(code), months=words.count("months", months))
                     for code, months in sorted(data.horizons.items()))


def _sources_text(sources: object) -> str:
    """One line per source: its name, kind, server (without credentials), project or form, submissions."""
    if not isinstance(sources, list):
        return ""
    return "\n".join(" — ".join(str(part) for part in (s.get("name"), s.get("kind"), _public_server(s.get("server")),
                                                        s.get("ref"), s.get("submissions")) if part not in (None, ""))
                     for s in sources if isinstance(s, dict))


def about_items(data: ReportData, fw: Framework, words: Wording) -> list[tuple[str, object]]:
    """(item id, value) in the order shown; the item's label is ``report.about.<id>``."""
    scores = data.scores
    about = dict(getattr(scores, "about", {}) or {})
    rule = str(about.get("rule", ""))
    versions = about.get("form_versions") or []
    items: list[tuple[str, object]] = [
        ("framework_version", about.get("framework_version") or fw.version),
        ("framework_edition", fw.edition),
        ("form_versions", ", ".join(map(str, versions)) if isinstance(versions, (list, tuple)) else str(versions or "")),
        ("current_version", about.get("current_version") or ""),
        ("rule", words.optional(f"report.about.rule.{rule}", rule)),
        ("server", _public_server(about.get("server"))),
        ("asset_uid", about.get("asset_uid") or ""),
        ("sources", _sources_text(about.get("sources"))),
        ("store_path", about.get("store_path") or ""),
        ("generated_at", data.generated_at.replace(tzinfo=None)),
        ("n_submissions", about.get("n_submissions")),
        ("n_assessments", int(scores.assessments["root_uuid"].nunique())),
        ("n_countries", int(scores.assessments["country"].nunique())),
        ("filters", _filters_text(about.get("filters"), words)),
        ("language", LANGUAGE_NAMES.get(words.lang, words.lang)),
        ("horizons", _horizons(data, words)),
        ("guide", words("report.about.guide_where")),
    ]
    if words.status:
        items.append(("translation_status", words("report.about.translation_draft") if words.status == DRAFT
                      else words.status))
    return [(key, value) for key, value in items if value is not None and value != ""]  # no empty rows


NOTES = ("rounds", "level_source", "domain_rule", "level_and_index", "median_rule", "regional_median",
         "priority_rule", "round_trip")
"""The rules behind the figures, in the order the About sheet states them (``report.about.<key>``); the coordinator's
guide (reports/README.md) quotes the same texts."""


def rules(fw: Framework, words: Wording) -> list[str]:
    """The rules behind the figures (NOTES) in the report language: rounds, a section's and a domain's level, the
    index, the medians, the priority of the action plans, and how a plan is filled in and read back."""
    levels = " → ".join(words.level(code) for code in fw.level_codes[:-1])
    return [words(f"report.about.{key}", levels=levels) if key == "priority_rule" else words(f"report.about.{key}")
            for key in NOTES]


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """Item and value columns, then the notes across both columns."""
    items = about_items(data, fw, words)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 80)
    cells.text(ws, 0, 0, words("report.about.item"), "header")
    cells.text(ws, 0, 1, words("report.about.value"), "header")
    for row, (key, value) in enumerate(items, 1):
        label, text = words(f"report.about.{key}"), value if isinstance(value, str) else ""
        ws.set_row(row, 15 * max(wrapped_lines(label, 34), wrapped_lines(text, 80)))  # its wrapped text whole
        cells.text(ws, row, 0, label, "wrap")
        if isinstance(value, dt.datetime):
            cells.date(ws, row, 1, value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            cells.number(ws, row, 1, value)
        else:
            cells.text(ws, row, 1, "" if value is None else value, "wrap")
    for row, text in enumerate(rules(fw, words), len(items) + 2):
        ws.set_row(row, 15 * wrapped_lines(text, 34 + 80) + 3)
        ws.merge_range(row, 0, row, 1, None, cells.format("wrap"))
        cells.text(ws, row, 0, text, "wrap")
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(items), 1)

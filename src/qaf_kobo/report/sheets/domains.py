"""The Domains sheet: one row per country × round (rounds in time order), each domain's level (on its colour) and
index (0–100), as ``report.country_levels`` makes them."""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.table_sheet import Column, Table, write_table
from qaf_kobo.report.wording import Wording

KEY = "domains"


def domains_table(data: ReportData, fw: Framework, words: Wording) -> Table:
    """Country code, country, round, assessments, latest assessment date, then per domain its level and index."""
    rounds = data.rounds
    names = data.scores.assessments.drop_duplicates("country").set_index("country")["country_name"]
    domains = data.levels.domains.set_index(["country", "round", "domain_id"])
    keys = list(zip(rounds["country"], rounds["round"]))
    frame = pd.DataFrame({
        "country": rounds["country"].to_numpy(),
        "country_name": rounds["country"].map(names).fillna(rounds["country"]).to_numpy(),
        "round": rounds["round"].to_numpy(),
        "n_assessments": rounds["n_assessments"].to_numpy(),
        "latest_date": rounds["latest_date"].to_numpy(),
    })
    columns = [
        Column(words("report.col.country_code"), "text", 10),
        Column(words("report.col.country"), "text", 18),
        Column(words("report.col.round"), "wrap", 14),
        Column(words("report.col.assessments"), "int", 12),
        Column(words("report.col.latest_date"), "date", 13),
    ]
    for domain in fw.domains:
        label = words.domain(domain)
        for field, kind, string_id in (("level", "level", "report.col.domain_level"), ("index", "number", "report.col.domain_index")):
            values = domains[field].reindex([(c, r, domain.id) for c, r in keys]) if len(domains) else pd.Series(dtype=float)
            frame[f"{field}:{domain.id}"] = values.to_numpy() if len(keys) else []
            columns.append(Column(words(string_id, domain=label), kind, 16 if kind == "level" else 11))
    return Table(tuple(columns), frame)


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The table, frozen on the round column."""
    write_table(ws, cells, domains_table(data, fw, words))
    ws.freeze_panes(1, 3)

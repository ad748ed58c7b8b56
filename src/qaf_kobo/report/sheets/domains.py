"""The Domains sheet: one row per country × round (rounds in time order; the regional workbook: each country's latest
and previous round), each domain's level (on its colour) and index (0–100) from ``scores.country_domains``."""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.table_sheet import Column, Table, fitted_widths, print_in_parts, write_table
from qaf_kobo.report.wording import Wording, round_labels

KEY = "domains"


def domains_table(data: ReportData, fw: Framework, words: Wording) -> Table:
    """Country code, country, round, assessments, latest assessment date, then per domain its level and index."""
    rounds = data.rounds
    if data.country is None:
        rounds = rounds[rounds["from_latest"] <= 1]
    rounds = rounds.reset_index(drop=True)
    names = data.scores.assessments.drop_duplicates("country").set_index("country")["country_name"]
    frame = pd.DataFrame({
        "country": rounds["country"],
        "country_name": rounds["country"].map(names).fillna(rounds["country"]),
        "round": round_labels(rounds["round"], words),
        "n_assessments": rounds["n_assessments"],
        "latest_date": rounds["latest_date"],
    })
    columns = [
        Column(words("report.col.country_code"), "text", 10),
        Column(words("report.col.country"), "text", 18),
        Column(words("report.col.round"), "wrap", 14),
        Column(words("report.col.assessments"), "int", 12),
        Column(words("report.col.latest_date"), "date", 13),
    ]
    wide = data.scores.country_domains.set_index(["country", "round", "domain_id"])[["level", "index"]].unstack("domain_id")
    rows = pd.MultiIndex.from_frame(rounds[["country", "round"]])
    per_domain: dict[str, object] = {}  # every domain's columns joined at once (one by one fragments the frame)
    for domain in fw.domains:
        label = words.domain(domain)
        for field, kind, heading in (("level", "level", "report.col.domain_level"),
                                     ("index", "number", "report.col.domain_index")):
            values = wide[(field, domain.id)].reindex(rows) if (field, domain.id) in wide else \
                pd.Series(float("nan"), index=rows)
            per_domain[f"{field}:{domain.id}"] = values.to_numpy()
            columns.append(Column(words(heading, domain=label), kind, 16 if kind == "level" else 11))
    frame = pd.concat([frame, pd.DataFrame(per_domain, index=frame.index)], axis=1)
    return Table(tuple(columns), frame)


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The table, frozen on the round column; printed in parts (country and round on each) when the domains do not
    fit one legible page wide, a domain's level and index kept together."""
    table = domains_table(data, fw, words)
    write_table(ws, cells, table)
    ws.freeze_panes(1, 3)
    fitted = fitted_widths(table, words).columns
    print_in_parts(ws, [c.width for c in fitted], repeat=3, starts=[i for i, c in enumerate(fitted) if c.kind == "level"])

"""The Country profile sheet (a country workbook's first sheet): two or three sentences to paste into a report; the
level of every domain and section in the latest and the previous round, the change (↑ ↓ =) and the regional
median; sections per level; the action plan's progress on the report date; and the domain index by round, with a
native chart of it."""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from qaf_kobo.framework import Framework
from qaf_kobo.plans.stages import STAGES
from qaf_kobo.report.cells import Cells
from qaf_kobo.report.profile_figures import PROGRESS, CountryFigures, change, country_figures, summary_sentences
from qaf_kobo.report.report_data import ReportData
from qaf_kobo.report.wording import Wording

KEY = "profile"
WIDTHS = (48, 18, 18, 9, 18)
"""Column widths; the level columns (1, 2, 4) widen to the longest level name of the report language."""
LAST_COL = len(WIDTHS) - 1


def _line(ws: Worksheet, cells: Cells, row: int, text: str, kind: str = "wrap", height: float | None = None) -> None:
    """A text across the profile's columns."""
    if height:
        ws.set_row(row, height)
    ws.merge_range(row, 0, row, LAST_COL, None, cells.format(kind))
    cells.text(ws, row, 0, text, kind)


def _heads(ws: Worksheet, cells: Cells, row: int, texts: list[str]) -> int:
    ws.set_row(row, 30)
    for col, text in enumerate(texts):
        cells.text(ws, row, col, text, "header")
    return row + 1


def _levels(ws: Worksheet, cells: Cells, row: int, figures: CountryFigures, fw: Framework, words: Wording) -> int:
    """Per domain, its row then its sections' rows (unless it has one): latest, previous, change, regional median."""
    row = _heads(ws, cells, row, [words("report.col.domain_section"), f"{words('report.col.latest_round')}: "
                                  f"{words.round_label(figures.latest_round)}", f"{words('report.col.previous_round')}: "
                                  f"{words.round_label(figures.previous_round) or '—'}", words("report.col.change"),
                                  words("report.col.regional_median")])
    for domain in fw.domains:
        entries = [(words.domain(domain), figures.domains.loc[domain.id], "strong")]
        if len(domain.section_ids) > 1:  # a domain of one section: its row is the section's
            entries += [(f"    {words.section(fw.section(sid))}", figures.sections.loc[sid], "wrap")
                        for sid in domain.section_ids]
        for label, levels, kind in entries:
            cells.text(ws, row, 0, label, kind)
            cells.level(ws, row, 1, levels["latest"])
            cells.level(ws, row, 2, levels["previous"])
            cells.text(ws, row, 3, change(levels["latest"], levels["previous"]))
            cells.level(ws, row, 4, levels["regional"])
            row += 1
    return row


def _per_level(ws: Worksheet, cells: Cells, row: int, figures: CountryFigures, fw: Framework, words: Wording) -> int:
    row = _heads(ws, cells, row, [words("report.profile.sections_per_level"), words("report.col.latest_round"),
                                  words("report.col.previous_round")])
    counts = figures.per_level(fw)
    for code, (latest, previous) in counts.iterrows():
        cells.level(ws, row, 0, code or None)
        cells.number(ws, row, 1, latest)
        cells.number(ws, row, 2, previous)
        row += 1
    return row


def _progress(ws: Worksheet, cells: Cells, row: int, figures: CountryFigures, data: ReportData, words: Wording) -> int:
    row = _heads(ws, cells, row, [words("report.profile.progress", date=data.report_date.isoformat()),
                                  words("report.col.actions")])
    labels = {**{stage: words(f"report.stage.{stage}") for stage in STAGES},
              "closed_since": words("report.col.closed_since"), "overdue": words("report.col.overdue"),
              "unassigned": words("report.col.unassigned"), "no_longer_needed": words("report.col.no_longer_needed")}
    for key in PROGRESS:
        cells.text(ws, row, 0, labels[key])
        cells.number(ws, row, 1, figures.progress[key])
        row += 1
    for name, count in figures.progress.overdue_by_responsible.items():
        cells.text(ws, row, 0, words("report.profile.overdue_of", responsible=name or words("report.col.unassigned")))
        cells.number(ws, row, 1, count)
        row += 1
    return row


def _index_by_round(ws: Worksheet, cells: Cells, row: int, data: ReportData, fw: Framework, words: Wording) -> tuple[int, int, int]:
    """The domain index per round (rounds oldest first): returns the header row, the last row and the last column."""
    rounds = list(data.rounds.sort_values("position")["round"])
    top = row
    _heads(ws, cells, row, [words("report.chart.domain_index"), *map(words.round_label, rounds)])
    index = data.scores.country_domains.set_index(["domain_id", "round"])["index"]
    for domain in fw.domains:
        row += 1
        cells.text(ws, row, 0, words.domain(domain))
        for col, round_ in enumerate(rounds, 1):
            cells.number(ws, row, col, index.get((domain.id, round_)), "number")
    return top, row, len(rounds)


def _chart(ws: Worksheet, cells: Cells, top: int, last: int, n_rounds: int, fw: Framework, words: Wording) -> None:
    """A clustered bar chart of the domain index, one series per round (the latest in the minimum level's colour),
    the first domain at the top."""
    name = ws.get_name()
    chart = cells.book.add_chart({"type": "bar"})
    for col in range(1, n_rounds + 1):
        series: dict[str, object] = {"name": [name, top, col], "categories": [name, top + 1, 0, last, 0], "values": [name, top + 1, col, last, col]}
        if col == n_rounds:
            series["fill"] = {"color": f"#{fw.minimum_level.colour}"}
        chart.add_series(series)
    chart.set_title({"name": words("report.chart.domain_index")})
    chart.set_x_axis({"min": 0, "max": 100})
    chart.set_y_axis({"reverse": True, "crossing": "max", "interval_unit": 1})  # every domain labelled
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 560, "height": 480})  # beside the figures, the page prints at about 70 %
    ws.insert_chart(7, LAST_COL + 2, chart)


def write(ws: Worksheet, cells: Cells, data: ReportData, fw: Framework, words: Wording) -> None:
    """The profile of the workbook's country, top to bottom (title frozen, printed on A4 landscape)."""
    level_width = max(len(words.level(code)) for code in [*fw.level_codes, None]) + 2  # a level name whole
    for col, width in enumerate(WIDTHS):
        ws.set_column(col, col, width if col in (0, 3) else max(width, level_width))
    country = data.country or ""
    names = data.scores.assessments.drop_duplicates("country").set_index("country")["country_name"]
    _line(ws, cells, 0, words("report.profile.title", country=f"{words.country(country, names.get(country))} ({country})"),
          "header", 24)
    if country not in set(data.rounds["country"]):
        return
    figures = country_figures(data, country, fw)
    date = figures.latest_date.date().isoformat() if pd.notna(figures.latest_date) else "—"
    rounds = {"round": words.round_label(figures.latest_round), "n": words.count("assessments", figures.n_assessments),
              "date": date}
    _line(ws, cells, 1, words("report.profile.rounds", **rounds, previous=words.round_label(figures.previous_round))
          if figures.previous_round is not None else words("report.profile.rounds_first", **rounds), height=30)
    row = 3
    for sentence in summary_sentences(figures, fw, words, data.report_date):
        _line(ws, cells, row, sentence, height=32)
        row += 1
    row = _levels(ws, cells, row + 1, figures, fw, words)
    row = _per_level(ws, cells, row + 1, figures, fw, words)
    row = _progress(ws, cells, row + 1, figures, data, words)
    top, last, n_rounds = _index_by_round(ws, cells, row + 1, data, fw, words)
    _chart(ws, cells, top, last, n_rounds, fw, words)
    ws.freeze_panes(1, 0)

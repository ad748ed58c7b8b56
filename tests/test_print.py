"""Workbooks a working group prints and reads in its own language: the demo's workbooks (and ten countries') as
LibreOffice prints them to PDF, read back with pdftotext; the page setup of every sheet read from the files; the
English left in the Arabic, French and Spanish workbooks; plural forms by each language's rules.

The demo runs once per test session (conftest's demo_run) and each workbook is converted to PDF once (LibreOffice is slow to start): one
``soffice`` call per folder of workbooks.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl.utils.cell import coordinate_to_tuple

from qaf_kobo.cli import main
from qaf_kobo.form.contract import criterion_field, level_field
from qaf_kobo.framework import Framework, default_framework
from qaf_kobo.framework.catalogue import texts
from qaf_kobo.report.wording import wording
from qaf_kobo.report.workbook import write_reports
from qaf_kobo.scoring import score_submissions
from workbooks import load_workbook

from conftest import DemoRun, require, require_tool
from print_setup import assert_printed_to_width
from qaf_rows import qaf_form

TRANSLATED = ("ar", "fr", "es")
TEN = ("SYR", "JOR", "LBN", "IRQ", "EGY", "YEM", "SDN", "LBY", "TUN", "MAR")
DAY = dt.date(2026, 6, 1)
FREE_TEXT = ("report.col.agency", "report.col.agency_names", "report.col.area",
             "report.col.submission_id", "report.col.action_id", "report.col.responsible_section", "report.col.responsible_person", "report.col.action_taken",
             "report.col.source", "report.about.sources", "report.about.store_path",
             "report.about.framework_edition")
"""Columns (and About items) of what people typed or named (agencies, areas, actions taken, data sources, the
store's path), ids and the framework's publication (a citation): not the report's wording."""
WORD = re.compile(r"[A-Za-z][A-Za-z’'-]*[A-Za-z]")
FIELD_NAME = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
"""A form field's name or a code (``assessment_scope``, ``inter_agency``): in Data quality's details, not wording."""


def convert(folders: dict[str, Path], profile: Path) -> dict[str, dict[str, list[str]]]:
    """Every workbook of each folder as PDF in the folder's ``pdf/`` (one soffice call for them all: LibreOffice
    starts once), then its text page by page (pdftotext -layout), each page's footer on its last line; by folder's
    key, then workbook name."""
    books = {key: sorted(folder.glob("*.xlsx")) for key, folder in folders.items()}
    out = profile.parent / "pdf"
    out.mkdir()
    named = {}  # the same workbook name may be in several folders: each goes to soffice as <key>-<name>
    for key, paths in books.items():
        for book in paths:
            named[key, book.name] = out / f"{key}-{book.name}"
            named[key, book.name].symlink_to(book)
    done = subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                           "--outdir", str(out), *map(str, named.values())], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    pages: dict[str, dict[str, list[str]]] = {key: {} for key in folders}
    for (key, name), link in named.items():
        pdf = folders[key] / "pdf" / f"{Path(name).stem}.pdf"  # beside its workbook, as one call per folder left it
        pdf.parent.mkdir(exist_ok=True)
        link.with_suffix(".pdf").rename(pdf)
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        footers = [footer for footer, _ in word_heights(pdf)]
        # the text ends with a form feed; each page's footer last (the layout may split it among a page's lines)
        pages[key][name] = [f"{page}\n{footer}" for page, footer in zip(text.split("\f")[:-1], footers, strict=True)]
    return pages


@pytest.fixture(scope="module")
def demo(demo_run: DemoRun, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo's workbooks in English (from ``qaf-kobo demo``: the session's, see conftest) and in every
    translation, from a copy of its store."""
    assert demo_run.returncode == 0, demo_run.stderr[-3000:]
    folder = tmp_path_factory.mktemp("print")
    store = folder / "demo.sqlite"
    shutil.copytree(demo_run.folder / "reports", folder / "en")
    shutil.copy(demo_run.folder / "demo.sqlite", store)
    for lang in TRANSLATED:
        result = CliRunner().invoke(main, ["report", "--store", str(store), "--out", str(folder / lang), "--lang", lang])
        assert result.exit_code == 0, result.output
    return {lang: folder / lang for lang in ("en", *TRANSLATED)}


def ten_country_scores(fw: Framework, n: int = 120):
    """Scores of ``n`` submissions from ten countries in two rounds, answers at random (1 in 10 not assessed)."""
    form, rng = qaf_form(), random.Random(11)
    records = []
    for i in range(n):
        year = 2024 + i % 2
        record = {"_id": i, "meta/rootUuid": f"uuid:{i:012d}", "__version__": "v1",
                  "_submission_time": f"{year}-05-10T09:30:00", form.key("country"): TEN[i % len(TEN)],
                  form.key("agency"): f"Agency {i % 4}", form.key("area"): "District", form.key("round"): str(year),
                  form.key("assessment_date"): f"{year}-05-0{1 + i % 9}",
                  form.key("assessment_scope"): form.choices["assessment_scope"][0]}
        for section in fw.sections:
            answers = [rng.choice(("1", "2", "3", "4", "1", "2", "3", "4", "2", "na")) for _ in section.criteria]
            record |= {form.key(criterion_field(c)): a for c, a in zip(section.criteria, answers)}
            rated = [int(a) for a in answers if a != "na"]
            if rated:
                record[form.key(level_field(section))] = str(min(rated))
        records.append(record)
    return score_submissions(pd.DataFrame(records), fw, today=pd.Timestamp(DAY))


@pytest.fixture(scope="module")
def printed(demo: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[str]]]:
    """The pages of every workbook of the demo in English and French, and of the ten countries' regional workbook
    (English)."""
    require_tool("soffice", "pdftotext", why="prints the workbooks to PDF and reads them back")
    profile = tmp_path_factory.mktemp("lo-profile")
    ten = tmp_path_factory.mktemp("ten")
    for path in write_reports(ten_country_scores(default_framework()), default_framework(), ten, date=DAY):
        if "summary" not in path.name:  # the regional workbook is what ten countries test (the demo's print the rest)
            path.unlink()
    return convert({"en": demo["en"], "fr": demo["fr"], "ten": ten}, profile)


def footer_of(page: str) -> str:
    """The footer's text: the page's last line (``convert`` puts it there, read from where it is printed)."""
    return page.rstrip("\n").rsplit("\n", 1)[-1]


@pytest.mark.system
@pytest.mark.slow
def test_every_printed_page_has_the_footer(printed, fw) -> None:
    """Workbook and country, sheet, report date and page N of M at the foot of every page."""
    for lang, books in printed.items():
        words = wording(fw, "fr" if lang == "fr" else "en")
        for name, pages in books.items():
            country = None if "summary" in name else name.split("_")[1]
            title = words("report.print.regional", framework="QAF") if country is None else f"({country})"
            date = name.rsplit("_", 1)[1].removesuffix(".xlsx")
            for number, page in enumerate(pages, 1):
                foot = footer_of(page)
                page_n = words("report.print.page", date=date, page=str(number), pages=str(len(pages)))
                assert title in foot and page_n in foot, (lang, name, number, foot)


@pytest.mark.system
@pytest.mark.slow
def test_every_level_name_prints_whole(printed, fw) -> None:
    """Every level's name (the legend's full names, the short names of the heat maps) is on paper, none cut
    ("Requires improveme")."""
    for lang in ("en", "fr"):
        words = wording(fw, lang)
        names = [words.level(code) for code in [*fw.level_codes, None]]
        shorts = [words.level_short(code) for code in fw.level_codes]
        for name, pages in printed[lang].items():
            text = "\n".join(pages)
            for full in names + shorts:
                assert full in text, (lang, name, full)
            for full in names:  # cut within a word (a heading may wrap between words)
                cuts = [k for k in range(len(full.split()[0]) + 2, len(full)) if full[k - 1:k + 1].isalpha()]
                for k in cuts:
                    assert not re.search(re.escape(full[:k]) + f"(?!{re.escape(full[k])})", text), (name, full[:k])


@pytest.mark.system
@pytest.mark.slow
def test_the_overview_of_ten_countries_prints_one_page_wide_and_two_long(printed, fw) -> None:
    words = wording(fw)
    pages = next(p for name, p in printed["ten"].items() if "summary" in name)
    overview = [page for page in pages if words.sheet("overview") in footer_of(page)]
    assert 1 <= len(overview) <= 2
    first_heading = words("report.col.country_code").split()[0]
    assert all(first_heading in page for page in overview)  # the header row repeated on every page
    text = "\n".join(overview)
    assert all(words.country(code) in text for code in TEN)  # ten rows, one page wide: no column left for later


def word_heights(pdf: Path) -> list[tuple[str, float]]:
    """Per page of ``pdf``: its footer and the median height (points) of the words above it: about 1.2 times the
    printed font size."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in xml.split("<page ")[1:]:
        words = [(float(y0), float(y1), text) for y0, y1, text in
                 re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', page)]
        bottom = max(y1 for _, y1, _ in words)
        footer = " ".join(text for _, y1, text in words if y1 > bottom - 2)  # in the order printed
        heights = sorted(y1 - y0 for y0, y1, _ in words if y1 < bottom - 10)
        pages.append((footer, heights[len(heights) // 2] if heights else 0.0))
    return pages


def calibri_metrics() -> bool:
    """Whether LibreOffice draws Calibri (the workbooks' font) with its own metrics (Carlito), as Excel prints."""
    found = subprocess.run(["fc-match", "Calibri"], capture_output=True, text=True)
    return found.returncode == 0 and "Carlito" in found.stdout


@pytest.mark.system
@pytest.mark.slow
def test_every_page_prints_legibly(printed, demo, fw) -> None:
    """Every page of every demo workbook (English and French) prints its text at about 6.5 pt or more: wide tables (the
    Country action plan, Domains, Assessments) in parts side by side rather than one page wide at 3–4 pt; each
    part of the Country action plan repeats the Action id."""
    require(calibri_metrics(), "needs the Carlito font (Calibri's metrics; fonts-crosextra-carlito) to print as Excel")
    for lang in ("en", "fr"):
        words = wording(fw, lang)
        for name, pages in printed[lang].items():
            pdf = demo[lang] / "pdf" / f"{Path(name).stem}.pdf"
            for number, (footer, height) in enumerate(word_heights(pdf), 1):
                assert height >= 8.0, (lang, name, number, footer, height)  # ≈ 6.5 pt type or more
            plan = [page for page in pages if words.sheet("country_plan") in footer_of(page)]
            assert len(plan) >= 2 and all(re.search(r"\b[A-Z]{3}-\d", page) for page in plan), (lang, name)


def sheets_of(path: Path):
    book = load_workbook(path)
    return [ws for ws in book.worksheets if ws.sheet_state == "visible"]


def test_every_sheet_is_set_up_for_print(demo, fw) -> None:
    """Read from the files: A4 landscape, one page wide, header row repeated, a print area, the footer."""
    for lang in ("en", "ar"):
        words = wording(fw, lang)
        for path in sorted(demo[lang].glob("*.xlsx")):
            for ws in sheets_of(path):
                where = (lang, path.name, ws.title)
                assert_printed_to_width(ws, where)
                frozen = int("".join(c for c in ws.freeze_panes if c.isdigit())) - 1 if ws.freeze_panes else 1
                assert ws.print_title_rows == f"$1:${max(frozen, 1)}", where  # the header rows, as frozen on screen
                last_row, last_col = coordinate_to_tuple(ws.print_area.split(":")[-1].replace("$", ""))
                assert last_row >= ws.max_row and last_col >= ws.max_column, where  # every cell on paper
                footer = ws.oddFooter
                assert footer.center.text == "&A", where  # the sheet's name
                assert "&P" in footer.right.text and "&N" in footer.right.text, where
                assert path.name.rsplit("_", 1)[1].removesuffix(".xlsx") in footer.right.text, where
                code = None if "summary" in path.name else path.name.split("_")[1]
                expected = words("report.print.regional", framework="QAF") if code is None else f"({code})"
                assert expected in footer.left.text, where
                assert all(chart.x_axis.tickLblSkip == 1 for chart in ws._charts), where  # every category labelled


def words_of(path: Path, skipped: set[str], typed: re.Pattern[str] | None = None) -> dict[str, str]:
    """The Latin-script words of every visible sheet and chart title, with where each was first seen, but the
    columns headed ``skipped`` (in any of a sheet's first three rows: a note or a title may come first), About's
    items labelled so (what people typed, names and addresses), field names and codes (FIELD_NAME), and the typed
    part of cells ``typed`` matches (its group: a responsible's name in a line of the report's own words)."""
    found: dict[str, str] = {}
    for ws in sheets_of(path):
        values = list(ws.iter_rows(values_only=True))
        skip = {i for row in values[:3] for i, heading in enumerate(row) if heading in skipped}
        for r, row in enumerate(values, 1):
            if row and row[0] in skipped:
                continue  # About: an item whose value is names and addresses
            for i, value in enumerate(row):
                if isinstance(value, str) and i not in skip:
                    match = typed.fullmatch(value) if typed else None
                    if match:
                        value = value[:match.start(1)] + value[match.end(1):]
                    for word in WORD.findall(FIELD_NAME.sub(" ", value)):
                        found.setdefault(word, f"{path.name} {ws.title}!R{r}C{i + 1}: {value[:60]}")
        for chart in ws._charts:
            rich = chart.title.tx.rich if chart.title and chart.title.tx else None
            for word in WORD.findall(" ".join(run.t for p in (rich.p if rich else []) for run in (p.r or []))):
                found.setdefault(word, f"{path.name} {ws.title} chart")
    return found


def test_no_english_is_left_in_the_translated_workbooks(demo, fw) -> None:
    """For each translation: the words of the English workbooks still found in that language's workbooks, but for
    words that language's own wording uses too (French "Minimum", Arabic "QAF"), codes in capitals and what
    people typed (FREE_TEXT columns, the About sheet's data sources)."""
    en = wording(fw)
    vocabulary = {w for text in texts(fw).english.values() for w in WORD.findall(text)}  # the English wording's
    english_words: set[str] = set()
    for path in demo["en"].glob("*.xlsx"):
        english_words |= set(words_of(path, {en(key) for key in FREE_TEXT})) & vocabulary
    for lang in TRANSLATED:
        words = wording(fw, lang)
        own = {w.casefold() for text in texts(fw, lang).translated.values() for w in WORD.findall(text)}
        skipped = {words(key) for key in FREE_TEXT}
        overdue_of = re.escape(words("report.profile.overdue_of", responsible="\x00")).replace("\x00", "(.+)")
        left = {}
        for path in sorted(demo[lang].glob("*.xlsx")):
            for word, where in words_of(path, skipped, re.compile(overdue_of, re.S)).items():
                if word in english_words and word.casefold() not in own and not word.isupper():
                    left.setdefault(word, where)
        assert left == {}, (lang, sorted(left.items()))


@pytest.mark.parametrize(("n", "expected"), [
    (0, "0 قسم"), (1, "قسم واحد"), (2, "قسمان"), (3, "3 أقسام"), (11, "11 قسماً"), (100, "100 قسم"),
])
def test_arabic_counts_follow_its_plural_rules(fw, n, expected) -> None:
    assert wording(fw, "ar").count("sections", n) == expected


def test_counts_in_english_french_and_spanish(fw) -> None:
    en, fr, es = (wording(fw, lang) for lang in ("en", "fr", "es"))
    assert [en.count("criteria", n) for n in (0, 1, 2)] == ["0 criteria", "1 criterion", "2 criteria"]
    assert [fr.count("sections", n) for n in (0, 1, 2, 1_000_000)] == [
        "0 section", "1 section", "2 sections", "1000000 de sections"]
    assert [es.count("actions", n) for n in (1, 5)] == ["1 acción", "5 acciones"]


def test_arabic_sentences_keep_their_punctuation_after_latin_values(fw) -> None:
    """A value in right-to-left text is followed by a right-to-left mark: the full stop after "2025" or a Latin
    round label stays at the end of the Arabic sentence."""
    words = wording(fw, "ar")
    sentence = words("report.profile.minimum_first", n="3", total=words.count("sections", 17), round="Round 2025")
    assert sentence.endswith("Round 2025\u200f.")
    assert "17 قسماً" in sentence
    assert wording(fw)("report.profile.minimum_first", n="3", total="17 sections", round="2025").endswith("2025.")


def test_country_names_and_round_words_in_the_report_language(fw) -> None:
    ar, fr, es = (wording(fw, lang) for lang in ("ar", "fr", "es"))
    assert (ar.country("EGY"), fr.country("EGY"), es.country("EGY")) == ("مصر", "Égypte", "Egipto")
    assert wording(fw).country("EGY") == "Egypt" and fr.country("XKX", "Kosovo") == "Kosovo"
    assert fr.round_label("baseline 2025") == "Référence 2025" and es.round_label("follow-up 2026") == "Seguimiento 2026"
    assert ar.round_label("Round 3") == "الجولة 3" and fr.round_label("Mars 2025") == "Mars 2025"

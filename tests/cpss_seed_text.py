"""Re-parse the CPSS seed (002: UNICEF, Child Protection Systems Strengthening, 2021) independently of the
framework file.

Two parts of the seed matter: the table of section 3 ("Identifying Key Interventions for CPSS"), which marks
the phases each intervention suits, and the Annex ("The State of Play"), which describes each phase in prose.
Tests compare forms/cpss/framework.yaml against what this module reads; it knows only the seed's layout,
nothing of the YAML.

The Annex was converted from a two-column page layout, so several paragraphs are cut at a column or page
break and their second half ("fragment") turns up later in the text, after other paragraphs. A cut paragraph
ends without closing punctuation and a fragment starts with a lower-case letter. Read in document order, the
k-th cut paragraph is continued by the k-th fragment; :func:`phase_paragraphs` checks that this pairing is
one-to-one and rejoins them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SEED = Path(__file__).resolve().parent / "seeds" / "002_d41d31a1d5ecb9b8.txt"
"""A byte-exact copy of the CPSS benchmarks document (tests/seeds/002_*.txt) as the project received it."""

PHASES = ("System Building", "System Enhancement", "System Integration", "System Maturity")
"""The four phases, in order; phase P (1..4) is ``PHASES[P - 1]``."""

MARK = "●"
_TABLE_START = "3. Identifying Key Interventions for CPSS"
_ANNEX_START = "Annex The State of Play – Systems Building to Systems Maturity"
_ANNEX_END = "Endnotes"
_PHASE_HEAD = re.compile(r"^Phase ([1-4]): (.+)$")
_OUTCOME_CELL = re.compile(r"^\s*(?:<p>)?([1-7])\. (.+?)(?:</p>)?\s*$")
_CLOSED = re.compile(r"[.!?)”\"]$")  # a paragraph that ends like this was not cut by the layout
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _lines() -> list[str]:
    return SEED.read_text(encoding="utf-8").splitlines()


def fold(text: str) -> str:
    """Fold runs of white space to one space and strip the ends."""
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Intervention:
    """One row of section 3's table: its outcome (as laid out in the table), text and marked phases."""

    outcome: str
    text: str
    phases: tuple[int, ...]


def _table_lines() -> list[str]:
    lines = _lines()
    start = next(i for i, line in enumerate(lines) if line.strip() == _TABLE_START)
    end = next(i for i, line in enumerate(lines) if line.strip() == _ANNEX_START)
    return lines[start:end]


def interventions() -> list[Intervention]:
    """The rows of section 3's table in document order. A row has six tab-separated cells: the outcome (only on
    an outcome's first row), the intervention, and one cell per phase holding a mark or nothing."""
    rows: list[Intervention] = []
    outcome = ""
    for line in _table_lines():
        cells = line.split("\t")
        if len(cells) != 6 or any(c.strip() not in ("", MARK) for c in cells[2:]):
            continue  # prose, blank lines and the repeated header rows
        head = _OUTCOME_CELL.match(cells[0])
        if head:
            outcome = head.group(1)
        else:
            assert outcome and not cells[0].strip(), line
        phases = tuple(p for p, cell in enumerate(cells[2:], start=1) if cell.strip() == MARK)
        rows.append(Intervention(outcome, fold(cells[1]), phases))
    return rows


def outcome_titles() -> dict[str, str]:
    """Outcome id ("1".."7") -> its title as written in section 3's table."""
    titles: dict[str, str] = {}
    for line in _table_lines():
        head = _OUTCOME_CELL.match(line.split("\t")[0])
        if head and line.count("\t") == 5:
            titles[head.group(1)] = head.group(2)
    return titles


def _clean(paragraph: str) -> str:
    """Remove the conversion artefacts of a single Annex paragraph (a stray backslash at its end)."""
    return fold(paragraph.rstrip("\\"))


def _join(head: str, fragment: str) -> str:
    """Rejoin a cut paragraph; a word split at the cut ("Ad-" / "hoc") is joined without a space."""
    return head + fragment if head.endswith("-") else f"{head} {fragment}"


def phase_paragraphs() -> dict[int, list[str]]:
    """Phase (1..4) -> the Annex's paragraphs for that phase in reading order, cut paragraphs rejoined.

    A rejoined paragraph stands where its first half stands. A fragment belongs to the phase of the paragraph
    it continues, and so do the whole paragraphs right after a fragment (they continue the same column): e.g.
    the data paragraph of phase 1 comes after the "Phase 2" heading, but follows the fragment that ends phase
    1's participation paragraph. Any other paragraph belongs to the phase whose heading precedes it. The
    paragraphs before "Phase 1" (the Annex's introduction) belong to no phase.
    """
    lines = _lines()
    start = next(i for i, line in enumerate(lines) if line.strip() == _ANNEX_START)
    end = next(i for i, line in enumerate(lines) if line.strip() == _ANNEX_END)
    phases: list[int] = []  # per paragraph after the first phase heading: the phase of the heading above it
    texts: list[str] = []
    for line in lines[start + 1 : end]:
        head = _PHASE_HEAD.match(line.strip())
        if head:
            assert head.group(2) == PHASES[int(head.group(1)) - 1], line
            phases.append(int(head.group(1)))  # the heading itself, as an empty paragraph that ends a column
            texts.append("")
        elif line.strip() and phases:
            phases.append(phases[-1])
            texts.append(_clean(line))
    cut = [i for i, t in enumerate(texts) if t and not t[0].islower() and not _CLOSED.search(t)]
    fragments = [i for i, t in enumerate(texts) if t and t[0].islower()]
    assert len(cut) == len(fragments), (len(cut), len(fragments))
    continues = dict(zip(fragments, cut, strict=True))  # fragment -> the cut paragraph it continues
    for fragment, head in continues.items():
        assert _CLOSED.search(texts[fragment]), texts[fragment]  # no fragment is cut again
        texts[head] = _join(texts[head], texts[fragment])
    column_phase: int | None = None  # while whole paragraphs follow a fragment: the phase of its column
    for i, text in enumerate(texts):
        if i in continues:
            column_phase = phases[i] = phases[continues[i]]
        elif not text or i in cut:
            column_phase = None
        elif column_phase is not None:
            phases[i] = column_phase
    result: dict[int, list[str]] = {p: [] for p in range(1, 5)}
    for i, text in enumerate(texts):
        if text and i not in continues:
            result[phases[i]].append(text)
    return result


def phase_text(phase: int) -> str:
    """The Annex's text for one phase (1..4): its paragraphs joined by a space."""
    return " ".join(phase_paragraphs()[phase])


def sentences(text: str) -> list[str]:
    """Split prose into sentences: at white space after ".", "!" or "?" and before a capital letter."""
    return [s for s in _SENTENCE_END.split(fold(text)) if s]

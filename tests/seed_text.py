"""Re-parse the QAF source documents in tests/seeds/ (004_*.txt: the framework, 001_*.txt: its action plan)
independently of the framework file.

Tests compare the framework YAML against what this parser reads from the seeds, so that no descriptor or
action can drift from the source text. It knows only the documents' layout, nothing of the YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SEEDS = Path(__file__).resolve().parent / "seeds"
"""The source documents as the project received them: 001_*.txt (the action plan), 004_*.txt (the QAF)."""

_BOOKMARK = re.compile(r"\[bookmark: [^\]]*\]")
_FOOTNOTE_TEXT = re.compile(r"\[(\d+):\s+(.*?)\]\s*(?=\[\d+:|$|\n)", re.S)
_FOOTNOTE_REF = re.compile(r"\[footnoteRef:(\d+)\]")
# A footnote number glued to the word it annotates: "criteria11", "in-context16.", "CPIMS+28)", "factors)18".
_GLUED_NUMBER = re.compile(r"(?<=[A-Za-z)’'+])(\d{1,2})(?=[\s.,;:)]|$)")
_SECTION_HEAD = re.compile(r"^\s*(\d)\. [A-Z ,]+?\s*$")
_SUBSECTION = re.compile(r"^([a-f])\. (.+?)\s*$")


def seed_path(prefix: str) -> Path:
    """The seed file whose name starts with ``prefix`` (e.g. "004")."""
    return next(SEEDS.glob(f"{prefix}_*.txt"))


def clean(text: str, footnotes: int = 29) -> str:
    """Remove conversion artefacts and fold line-wrap white space."""
    text = _BOOKMARK.sub("", text)
    text = _FOOTNOTE_REF.sub("", text)
    text = re.sub(r"\[\d+:\s+[^\]]*\]", "", text)
    text = _GLUED_NUMBER.sub(lambda m: "" if 1 <= int(m.group(1)) <= footnotes else m.group(1), text)
    text = re.sub(r"-\s*\n\s*", "-", text)  # a hyphen at a line end joins the two halves of a word
    text = re.sub(r"\s+", " ", text)
    return text.strip()


@dataclass(frozen=True)
class SeedSection:
    """One section as laid out in a seed: its id and its raw lines."""

    id: str
    lines: tuple[str, ...]


def _sections(text: str) -> list[SeedSection]:
    lines = text.splitlines()
    found: list[tuple[str, int, int]] = []  # id, heading line, first body line
    for i, line in enumerate(lines):
        head = _SECTION_HEAD.match(line)
        if not head:
            continue
        sub = _SUBSECTION.match(lines[i + 1]) if i + 1 < len(lines) else None
        found.append((head.group(1) + (sub.group(1) if sub else ""), i, i + (2 if sub else 1)))
    out = []
    for k, (sid, _, start) in enumerate(found):
        end = found[k + 1][1] if k + 1 < len(found) else len(lines)
        out.append(SeedSection(sid, tuple(lines[start:end])))
    return out


def section_titles() -> dict[str, str]:
    """Section and domain id -> the heading text of the QAF document (domain heading, or sub-section title)."""
    lines = seed_path("004").read_text(encoding="utf-8").splitlines()
    titles: dict[str, str] = {}
    for i, line in enumerate(lines):
        head = _SECTION_HEAD.match(line)
        if head:
            titles.setdefault(f"domain {head.group(1)}", line.strip().split(". ", 1)[1])
            sub = _SUBSECTION.match(lines[i + 1])
            if sub:
                titles[head.group(1) + sub.group(1)] = sub.group(2)
            else:
                titles[head.group(1)] = line.strip().split(". ", 1)[1]
    return titles


def descriptors() -> dict[str, list[list[str]]]:
    """Section id -> criteria, each the four cleaned level descriptors in document order (the QAF document)."""
    text = seed_path("004").read_text(encoding="utf-8")
    result: dict[str, list[list[str]]] = {}
    for section in _sections(text):
        found = []
        for line in section.lines:
            line = _BOOKMARK.sub("", line)
            if line.startswith("\t[  ]"):
                found.append(clean(line.split("[  ]", 1)[1]))
        assert len(found) % 4 == 0, (section.id, len(found))
        result[section.id] = [found[i : i + 4] for i in range(0, len(found), 4)]
    return result


def footnotes() -> dict[int, str]:
    """Footnote number -> footnote text of the QAF document."""
    text = seed_path("004").read_text(encoding="utf-8")
    return {int(m.group(1)): re.sub(r"\s+", " ", m.group(2)).strip() for m in re.finditer(r"\[(\d+):\s+([^\]]*)\]", text)}


def cited_footnotes(raw_descriptor_lines: list[str]) -> set[int]:
    """Footnote numbers a criterion's raw descriptor lines cite, as markers or as glued numbers."""
    cited: set[int] = set()
    for line in raw_descriptor_lines:
        line = re.sub(r"\[\d+:\s+[^\]]*\]", "", _BOOKMARK.sub("", line))
        cited |= {int(n) for n in _FOOTNOTE_REF.findall(line)}
        cited |= {int(n) for n in _GLUED_NUMBER.findall(_FOOTNOTE_REF.sub("", line)) if 1 <= int(n) <= 29}
    return cited


def raw_descriptor_lines() -> dict[str, list[list[str]]]:
    """Like :func:`descriptors`, but the raw lines (to read which footnotes they cite)."""
    text = seed_path("004").read_text(encoding="utf-8")
    result: dict[str, list[list[str]]] = {}
    for section in _sections(text):
        found = [line for line in section.lines if _BOOKMARK.sub("", line).startswith("\t[  ]")]
        result[section.id] = [found[i : i + 4] for i in range(0, len(found), 4)]
    return result


TRANSITIONS = ("1-2", "2-3", "3-4")


def actions() -> dict[str, dict[str, list[str]]]:
    """Section id -> transition ("1-2", "2-3", "3-4") -> cleaned action texts in order (the action plan document)."""
    text = seed_path("001").read_text(encoding="utf-8").split("\nimage1.png")[0]
    text = re.sub(r"\n1\s*$", "\n", text.rstrip())  # the page number before the logo
    result: dict[str, dict[str, list[str]]] = {}
    for section in _sections(text):
        columns: list[list[list[str]]] = []
        for line in section.lines:
            line = _FOOTNOTE_TEXT.sub("", _BOOKMARK.sub("", line))
            if re.match(r"^\t\s*\[  \]", line):
                columns.append([[line.split("[  ]", 1)[1]]])
            elif re.match(r"^\s*\[  \]", line):
                columns[-1].append([line.split("[  ]", 1)[1]])
            elif line.strip() and columns:
                columns[-1][-1].append(line)
        assert len(columns) == 3, (section.id, len(columns))
        result[section.id] = {t: [clean("\n".join(a), footnotes=28) for a in col] for t, col in zip(TRANSITIONS, columns)}
    return result

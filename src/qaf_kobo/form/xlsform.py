"""A framework as an XLSForm: Framework (+ languages) -> the rows of the survey, choices and settings sheets (pure).

Field names come from the Framework object (``c_2a_3``, ``calc_2a``, ``level_2a`` …); every visible string comes
from the catalogue by id, in each selected language, with English as the fallback (listed as a warning, or an
error with ``strict``). The design choices (pages, calculations, appearances) are explained in the comments below.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import pycountry

from qaf_kobo.errors import QafError
from qaf_kobo.form.contract import (
    DETAILS_GROUPS,
    FRAMEWORK_FIELD,
    FRAMEWORK_VERSION_FIELD,
    NOT_ASSESSED,
    OTHER_PURPOSE,
    PURPOSES,
    SCOPES,
    SUMMARY_GROUP,
    calc_field,
    criterion_field,
    descriptor_list,
    level_field,
    not_assessed_field,
    notes_field,
    section_group,
    suggested_name_field,
    summary_line_field,
    why_field,
)
from qaf_kobo.form.evidence import evidence_pages, evidence_summary
from qaf_kobo.form.rows import Language, Strings, cells, row
from qaf_kobo.framework.catalogue import (
    ENGLISH,
    LANGUAGE_NAMES,
    Texts,
    Translation,
    available_languages,
    english,
    installed_translations,
    texts,
)
from qaf_kobo.framework.model import Criterion, Framework, Level, Section

DEFAULT_LANGUAGE = f"{LANGUAGE_NAMES[ENGLISH]} ({ENGLISH})"
MAX_QUESTIONS_PER_PAGE = 6
"""Mobile rule: no page with more than about six questions (notes and calculations not counted)."""

COUNTRY_APPEARANCE = "autocomplete"
"""A type-to-filter list: offline in ODK Collect, Enketo and Web Forms (``search`` needs Collect and a CSV)."""

TRANSLATED_COLUMNS = ("label", "hint", "guidance_hint", "required_message", "constraint_message")
PLAIN_COLUMNS = ("required", "relevant", "constraint", "calculation", "default", "appearance")


@dataclass
class XlsForm:
    """The three sheets as rows of column -> value, plus the warnings met while building them."""

    survey: list[dict[str, str]]
    choices: list[dict[str, str]]
    settings: dict[str, str]
    languages: list[str]
    warnings: list[str] = field(default_factory=list)

    def survey_columns(self) -> list[str]:
        """The survey sheet's header: type, name, then each translated column per language, then the rest."""
        return _columns(["type", "name"], self.languages, TRANSLATED_COLUMNS, PLAIN_COLUMNS, self.survey)

    def choices_columns(self) -> list[str]:
        """The choices sheet's header."""
        return _columns(["list_name", "name"], self.languages, ("label",), (), self.choices)


def _columns(first: list[str], languages: list[str], translated: Sequence[str], plain: Sequence[str], rows: list[dict[str, str]]) -> list[str]:
    used = {key for row in rows for key, value in row.items() if value}
    out = list(first)
    for column in translated:
        if any(f"{column}::{lang}" in used for lang in languages):  # every language gets the column (no "-" filler)
            out += [f"{column}::{lang}" for lang in languages]
    return out + [column for column in plain if column in used]


# --------------------------------------------------------------------------- the form's parts
def _details(s: Strings) -> list[dict[str, str]]:
    required = s.get("form.required_message")
    title = s.get("form.details.label", title=s.get("framework.title"))
    ask = lambda type_, name, **more: row(  # noqa: E731
        type_, name, label=s.get(f"form.{name}.label"), **({"required": "yes", "required_message": required} | more)
    )
    return [
        row("begin_group", DETAILS_GROUPS[0], label=title, appearance="field-list"),
        row("note", "details_intro", label=s.get("form.details.instruction")),
        ask("select_one purpose", "purpose", hint=s.get("form.purpose.hint")),
        ask("text", "purpose_other", appearance="multiline", relevant=f"${{purpose}} = '{OTHER_PURPOSE}'"),
        ask(
            "date", "assessment_date", default="today()", constraint=". <= today()",
            constraint_message=s.get("form.assessment_date.constraint_message"),
        ),
        row("text", "round", label=s.get("form.round.label"), hint=s.get("form.round.hint")),
        row("end_group"),
        # seven questions are too many for one phone screen: where and by whom on a second page
        row("begin_group", DETAILS_GROUPS[1], label=title, appearance="field-list"),
        ask("select_one country", "country", hint=s.get("form.country.hint"), appearance=COUNTRY_APPEARANCE),
        row("text", "area", label=s.get("form.area.label"), hint=s.get("form.area.hint")),
        ask("text", "agency", hint=s.get("form.agency.hint")),
        ask("select_one scope", "assessment_scope"),
        row("end_group"),
    ]


def suggested_level_xpath(section: Section, n_levels: int) -> str:
    """The lowest assessed level of a section's criteria, ignoring ``na`` and unanswered ones; '' when none.

    Each criterion counts as n + 1 (above every level) unless answered with a level, so ``min()`` never sees an
    empty string (which clients turn into NaN); a minimum of n + 1 means nothing was assessed and gives ''.
    """
    above = n_levels + 1
    terms = [f"if(${{{criterion_field(c)}}} = '' or ${{{criterion_field(c)}}} = '{NOT_ASSESSED}', {above}, "
             f"number(${{{criterion_field(c)}}}))" for c in section.criteria]
    lowest = terms[0] if len(terms) == 1 else f"min({', '.join(terms)})"
    return f"if({lowest} = {above}, '', {lowest})"


def why_required_xpath(section: Section) -> str:
    """``why_<id>`` is required when the assessor's level differs from the suggested level, or when a level is
    given although no criterion was rated (no suggested level)."""
    calc, level = f"${{{calc_field(section)}}}", f"${{{level_field(section)}}}"
    return f"{level} != '' and ({calc} = '' or {level} != {calc})"


def not_assessed_xpath(section: Section) -> str:
    """How many of the section's criteria are answered Not assessed."""
    return " + ".join(f"if(${{{criterion_field(c)}}} = '{NOT_ASSESSED}', 1, 0)" for c in section.criteria)


def section_pages(section: Section) -> bool:
    """Whether the section needs two pages: its criteria plus level, reason and notes exceed the page limit."""
    return len(section.criteria) + 3 > MAX_QUESTIONS_PER_PAGE


def _suggested_level(levels: Sequence[Level], section: Section, s: Strings) -> list[dict[str, str]]:
    """The assessed level's question, whose label (bold in every client) names the suggested level in the active
    language (``Assessed level of the section — Suggested: Requires improvement``, or ``none (no criterion rated)``).

    Per language a calculate (``suggested_name_2a_ar``) spells the level's name in that language, and each
    language's label holds an output of its own calculate: every client shows the active language's label with
    its outputs, so the name follows a language switch (a ``jr:choice-name()`` calculate is computed once, in one
    language, and Enketo does not recompute it). The comparison is numeric (``2`` equals ``'2'``).

    Speed: Enketo's transformer rewrites its whole HTML once per output and once per label with markdown, in each
    language, so the suggested level is said once per section (no separate notes, no markdown) and the choices stay
    static.
    """
    calc = f"${{{calc_field(section)}}}"
    names = {str(lv.code): s.get(f"level.{lv.name}") for lv in levels}
    none = s.get("form.summary.no_suggestion")
    rows, name = [], {}
    for lang in s.languages:
        field = suggested_name_field(section, lang.code)
        by_code = {code: level_name[lang.name] for code, level_name in names.items()}
        rows.append(row("calculate", field, calculation=level_name_xpath(calc, by_code, none[lang.name])))
        name[lang.name] = f"${{{field}}}"
    label, suggested = s.get("form.level.label"), s.get("form.level.suggested", level=name)
    return [
        *rows,
        row(
            "select_one level", level_field(section), label={lang: f"{label[lang]} — {suggested[lang]}" for lang in label},
            hint=s.get("form.level.hint"), required="yes", required_message=s.get("form.required_message"),
        ),
    ]


def _guidance(criterion: Criterion, s: Strings) -> tuple[dict[str, str] | str, dict[str, str] | str]:
    """A criterion's hint and its guidance (the documents it cites, each document once with its pages joined).

    The hint says what to look at: the framework's hint for the criterion (``Look at … Check whether …``) followed
    by its footnotes that explain, not cite; with no hint of its own, the footnotes after ``What to look at:``.
    """
    notes = [s.get(f"reference.{r.id}") for r in criterion.references if not r.source]
    cited = [r for r in criterion.references if r.source]
    hint: dict[str, str] | str
    if criterion.hint:
        hint = _sentences([s.get(f"criterion.{criterion.id}.hint"), *notes])
    else:
        hint = s.get("form.criterion.look_at", notes=s.join(notes)) if notes else ""
    if not cited:
        return hint, ""
    documents: dict[str, list[tuple[dict[str, str], dict[str, str]]]] = {}  # English document -> (document, page)s
    for r in cited:
        text = s.get(f"reference.{r.id}")
        split = {name: _split_citation(value) if r.locator else (value, "") for name, value in text.items()}
        documents.setdefault(split[DEFAULT_LANGUAGE][0], []).append(
            ({name: d for name, (d, _) in split.items()}, {name: page for name, (_, page) in split.items()})
        )
    parts = []
    for cites in documents.values():
        document = cites[0][0]
        pages = {name: list(dict.fromkeys(page[name] for _, page in cites if page[name])) for name in document}
        parts.append({name: document[name] + (_locator_separator(document[name]) + ", ".join(pages[name]) if pages[name] else "")
                      for name in document})
    return hint, s.get("form.criterion.guidance", references=s.join(parts))


def _sentences(parts: list[dict[str, str]]) -> dict[str, str]:
    """Texts by language, each once, one after the other as sentences."""
    return {name: " ".join(dict.fromkeys(p[name] for p in parts)) for name in parts[0]}


_CITATION_SEPARATORS = (", ", "\u060c ")
"""What separates a document from its page in a citation (an Arabic one uses the Arabic comma)."""


def _split_citation(text: str) -> tuple[str, str]:
    """``Template SOPs, p. 25`` -> (``Template SOPs``, ``p. 25``): the document and the page or section."""
    cut = max(text.rfind(sep) for sep in _CITATION_SEPARATORS)
    return (text[:cut], text[cut:].split(" ", 1)[1]) if cut > 0 else (text, "")


def _locator_separator(document: str) -> str:
    return "\u060c " if any("\u0600" <= ch <= "\u06ff" for ch in document) else ", "


def _heading(string_id: str, section: Section, number: int, total: int, s: Strings) -> dict[str, str]:
    """A section page's heading with its place in the form: ``Section 2a (4 of 17): Identification``."""
    return s.get(string_id, id=s.code(section.id), title=s.get(f"section.{section.id}.title"), n=str(number), total=str(total))


def _section(section: Section, levels: Sequence[Level], s: Strings, number: int, total: int) -> list[dict[str, str]]:
    required = s.get("form.required_message")
    heading = _heading("form.section.label", section, number, total, s)
    criteria = [row("note", f"intro_{section.id}", label=s.get("form.section.instruction"))]
    for c in section.criteria:
        hint, guidance = _guidance(c, s)
        code = s.code(c.id)
        criterion_title = s.get(f"criterion.{c.id}.title")
        criteria.append(
            row(
                f"select_one {descriptor_list(c)}", criterion_field(c),
                label={name: f"{code[name]} {text}" for name, text in criterion_title.items()},
                hint=hint, guidance_hint=guidance, required="yes", required_message=required,
            )
        )
    level = [
        row("calculate", calc_field(section), calculation=suggested_level_xpath(section, len(levels))),
        *_suggested_level(levels, section, s),
        row(
            "text", why_field(section), label=s.get("form.why.label"), hint=s.get("form.why.hint"),
            required=why_required_xpath(section), required_message=s.get("form.why.required_message"), appearance="multiline",
        ),
        row("text", notes_field(section), label=s.get("form.notes.label"), hint=s.get("form.notes.hint"), appearance="multiline"),
        row("calculate", not_assessed_field(section), calculation=not_assessed_xpath(section)),
    ]
    if not section_pages(section):
        return [row("begin_group", section_group(section), label=heading, appearance="field-list"), *criteria, *level, row("end_group")]
    # Too long for one page: the section stays one group (same name, no heading of its own, so that no client
    # shows "section » page") holding two field-list pages, each with the section's heading.
    return [
        row("begin_group", section_group(section)),
        row("begin_group", f"{section_group(section)}_criteria", label=heading, appearance="field-list"),
        *criteria,
        row("end_group"),
        row("begin_group", f"{section_group(section)}_level", label=_heading("form.section.level_page", section, number, total, s),
            appearance="field-list"),
        *level,
        row("end_group"),
        row("end_group"),
    ]


def summary_note(section: Section) -> str:
    """The summary's line of a section, e.g. ``summary_2a``."""
    return f"summary_{section.id}"


def xpath_literal(text: str) -> str:
    """``text`` as an XPath 1.0 string literal (``concat()`` of pieces when it holds both kinds of quote)."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in text.split("'")) + ")"


_REFERENCE = re.compile(r"(\$\{\w+\})")


def text_xpath(text: str) -> str:
    """Text holding ``${field}`` references as an XPath string expression (``concat('… ', ${why_2a}, '…')``)."""
    parts = [part if _REFERENCE.fullmatch(part) else xpath_literal(part) for part in _REFERENCE.split(text) if part]
    if not parts:
        return "''"
    return parts[0] if len(parts) == 1 else f"concat({', '.join(parts)})"


def level_name_xpath(code: str, names: Mapping[str, str], none: str) -> str:
    """The name of the level ``code`` holds (``${calc_2a}``), ``none`` when it is empty (numeric comparison, as the
    suggested-level notes). ``code`` holds a level's code or nothing, so the last level needs no test (Enketo reads
    every character of a calculate each time it computes it)."""
    *tested, last = names.items()
    out = xpath_literal(last[1])
    for level_code, name in reversed(tested):
        out = f"if({code} = {level_code}, {xpath_literal(name)}, {out})"
    return f"if({code} = '', {xpath_literal(none)}, {out})"


_SUGGESTED, _ASSESSED = "\x00suggested\x00", "\x00assessed\x00"
_MARKERS = re.compile(f"({_SUGGESTED}|{_ASSESSED})")


def _summary_lines(fw: Framework, section: Section, number: int, s: Strings) -> list[dict[str, str]]:
    """One line per section: number and name, suggested and assessed level, a mark and the reason when they differ
    (or when a level is given with no criterion rated), and how many criteria were not assessed.

    One note per section. Its label in each language is the section's name followed by that language's own
    calculate (``summary_line_2a_ar``), which spells the rest of the line — level names (the suggested one from the
    assessed level's question, ``suggested_name_2a_ar``), mark, reason, count — in that language: every client
    shows the active language's label with its outputs, so the line follows a language switch (a
    ``jr:choice-name()`` calculate is computed once, in one language, and Enketo does not recompute it). One note
    instead of one per pair of levels keeps the XForm small and quick to transform.
    """
    level = f"${{{level_field(section)}}}"
    title = _heading("form.summary.section", section, number, len(fw.sections), s)
    line = s.get("form.summary.line", section=title, suggested=_SUGGESTED, assessed=_ASSESSED)
    differs = s.get("form.summary.differs", reason=s.isolated(f"${{{why_field(section)}}}"))
    counted = s.get("form.summary.not_assessed", count=f"${{{not_assessed_field(section)}}}")
    names = {str(lv.code): s.get(f"level.{lv.name}") for lv in fw.levels}
    no_level = s.get("form.summary.no_level")
    rows, label = [], {}
    for lang in s.languages:
        text = line[lang.name]
        cut = min(text.index(_SUGGESTED), text.index(_ASSESSED))
        field = summary_line_field(section, lang.code)
        level_names = {code: name[lang.name] for code, name in names.items()}
        rest = [
            f"${{{suggested_name_field(section, lang.code)}}}" if part == _SUGGESTED
            else level_name_xpath(level, level_names, no_level[lang.name]) if part == _ASSESSED
            else text_xpath(part)
            for part in _MARKERS.split(text[cut:]) if part
        ]
        rest.append(f"if({why_required_xpath(section)}, {text_xpath(differs[lang.name])}, '')")
        rest.append(text_xpath(counted[lang.name]))
        rows.append(row("calculate", field, calculation=f"concat({', '.join(rest)})"))
        label[lang.name] = text[:cut] + f"${{{field}}}"
    return [*rows, row("note", summary_note(section), label=label)]


def _summary(fw: Framework, s: Strings) -> list[dict[str, str]]:
    lowest = fw.levels[0]
    critical = " + ".join(f"if(${{{level_field(sec)}}} = '{lowest.code}', 1, 0)" for sec in fw.sections)
    rows = [
        row("begin_group", SUMMARY_GROUP, label=s.get("form.summary.label"), appearance="field-list"),
        row("note", "summary_intro", label=s.get("form.summary.instruction")),
        row("calculate", "critical_sections", calculation=critical),
        row("note", "summary_critical", label=s.get("form.summary.critical", level=s.get(f"level.{lowest.name}"), count="${critical_sections}")),
    ]
    for number, sec in enumerate(fw.sections, 1):
        rows += _summary_lines(fw, sec, number, s)
    rows += evidence_summary(fw, s)
    return [*rows, row("end_group")]


@cache
def _country_names(code: str) -> dict[str, str]:
    """ISO 3166-1 English name -> name in this language (pycountry's own translations; English when it has none)."""
    translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[code], fallback=True)
    return {name: translation.gettext(name) for name in (_country_label(c) for c in pycountry.countries)}


def _country_label(country: object) -> str:
    return getattr(country, "common_name", None) or country.name  # type: ignore[attr-defined]


def _choices(fw: Framework, s: Strings) -> list[dict[str, str]]:
    choice = lambda list_name, name, label: {"list_name": list_name, "name": name} | cells("label", label)  # noqa: E731
    rows = [choice("level", str(lv.code), s.get(f"level.{lv.name}")) for lv in fw.levels]
    rows += [choice("scope", scope, s.get(f"form.scope.{scope}")) for scope in SCOPES]
    rows += [choice("purpose", purpose, s.get(f"form.purpose.{purpose}")) for purpose in PURPOSES]
    for c in fw.criteria:
        rows += [
            choice(descriptor_list(c), str(lv.code), s.get(
                "form.criterion.choice", level=s.get(f"level.{lv.name}"), descriptor=s.get(f"criterion.{c.id}.level.{lv.code}"),
            ))
            for lv in fw.levels
        ]
        rows.append(choice(descriptor_list(c), NOT_ASSESSED, s.get("form.not_assessed")))
    countries = sorted(pycountry.countries, key=_country_label)
    for country in countries:
        english_name = _country_label(country)
        labels = {lang.name: _country_names(lang.code)[english_name] for lang in s.languages}
        rows.append(choice("country", country.alpha_3, labels))
    return rows


# --------------------------------------------------------------------------- the whole form
def form_languages(fw: Framework, codes: Sequence[str] | None = None, translations: Mapping[str, Translation] | None = None) -> list[Language]:
    """English first, then the requested languages (default: every available one); unknown codes raise QafError.

    ``translations`` replaces the installed translation files (tests, or an office's own file).
    """
    wanted = list(dict.fromkeys(codes)) if codes else (
        [ENGLISH, *sorted(translations)] if translations is not None else available_languages()
    )
    out = [Language(ENGLISH, DEFAULT_LANGUAGE, texts(fw, ENGLISH))]
    for code in (c for c in wanted if c != ENGLISH):
        if translations is None:
            strings = texts(fw, code)  # FrameworkError for an unknown code
            installed = installed_translations()[code]
            out.append(Language(code, installed.label, strings, installed.status))
        elif code in translations:
            t = translations[code]
            out.append(Language(code, t.label, Texts(code, english(fw), t.strings, t.direction), t.status))
        else:
            raise QafError(f"no translation for language {code!r} (available: {', '.join([ENGLISH, *sorted(translations)])})")
    return out


def build_xlsform(
    fw: Framework,
    version: str,
    languages: list[Language] | None = None,
    strict: bool = False,
    opens_in: str = ENGLISH,
) -> XlsForm:
    """The XLSForm of this framework (already limited to the wanted sections) in these languages.

    ``version`` goes to settings.version; missing translations fall back to English and are listed in
    ``warnings`` (``strict``: a QafError naming them instead).
    """
    languages = languages or form_languages(fw, [ENGLISH])
    opening = next((lang.name for lang in languages if lang.code == opens_in), None)
    if opening is None:
        raise QafError(f"the form cannot open in {opens_in!r}: it is not one of its languages "
                       f"({', '.join(lang.code for lang in languages)})")
    s = Strings(languages)
    survey = [
        row("start", "start"), row("end", "end"),
        row("calculate", FRAMEWORK_FIELD, calculation=f"'{fw.id}'"),
        row("calculate", FRAMEWORK_VERSION_FIELD, calculation=f"'{fw.version}'"),
        *_details(s),
        *evidence_pages(fw, s),
    ]
    for number, section in enumerate(fw.sections, 1):
        survey += _section(section, fw.levels, s, number, len(fw.sections))
    survey += _summary(fw, s)
    choices = _choices(fw, s)
    settings = {
        "form_title": s.get("framework.title")[opening],  # the one title a client shows (its title bar)
        "form_id": fw.form_id,
        "version": version,
        "default_language": opening,
        "style": "pages",
        "instance_name": "concat(${country}, ' ', ${agency}, ' ', ${assessment_date})",
    }
    statuses = [f"{lang.code}: {lang.status}" for lang in languages if lang.status]
    if statuses:  # pyxform ignores this column; it shows people who open the XLSForm how far to trust it
        settings["translation_status"] = "; ".join(statuses)
    warnings = []
    for lang in languages:
        for kind, ids in (("not translated, English used", s.missing[lang.code]), ("placeholders differ from English, English used", s.broken[lang.code])):
            if ids:
                shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
                warnings.append(f"{lang.name}: {len(ids)} string(s) {kind}: {shown}")
    if strict and warnings:
        raise QafError("missing or broken translations (--strict): " + " | ".join(warnings))
    return XlsForm(survey, choices, settings, [lang.name for lang in languages], warnings)

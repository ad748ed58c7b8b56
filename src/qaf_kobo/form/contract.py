"""The form's field contract: every name the form writes and the rest of qaf-kobo reads.

The field names become the keys of the Kobo API (``details_scope/country``, ``s_2a/c_2a_3``); scoring finds a
field by the last segment of its path, so group names may change between form versions but field names may not.
"""

from __future__ import annotations

from qaf_kobo.framework.model import Criterion, Section

DETAILS_GROUPS: tuple[str, ...] = ("details", "details_scope")
"""The two pages of assessment details (what, when and which round; where and by whom)."""
DETAIL_FIELDS: tuple[str, ...] = ("purpose", "purpose_other", "assessment_date", "round", "country", "area", "agency",
                                  "assessment_scope")
"""The assessment details, in form order."""
REQUIRED_DETAILS: tuple[str, ...] = ("country", "agency", "assessment_date", "assessment_scope")
"""The details the form requires (scoring flags a submission without them)."""
SCOPES: tuple[str, ...] = ("agency", "inter_agency", "inter_agency_gov")
"""The answer codes of ``assessment_scope``."""
PURPOSES: tuple[str, ...] = ("baseline", "progress_review", "planning", "transition", "other")
"""The answer codes of ``purpose`` (the QAF's "specify the purpose of completing the QAF"); ``other`` asks for
``purpose_other``, typed. Forms before these choices had a typed purpose: scoring keeps whatever text it finds."""
OTHER_PURPOSE = "other"
NOT_ASSESSED = "na"
"""The answer of a criterion the assessor did not rate (the rated answers are the level codes 1 … n)."""
FRAMEWORK_FIELD = "framework"
"""A calculated field holding the id of the framework the form was built from (``qaf``): every submission
carries it, so a store knows which framework its submissions answer."""
FRAMEWORK_VERSION_FIELD = "framework_version"
"""A calculated field holding the version of that framework file."""
SUMMARY_GROUP = "summary"
"""The last page: both levels of every section, before submitting."""


def criterion_field(criterion: Criterion) -> str:
    """The field of a criterion, e.g. ``c_2a_3``."""
    return f"c_{criterion.section_id}_{criterion.number}"


def descriptor_list(criterion: Criterion) -> str:
    """The choice list of a criterion's level descriptors (each criterion has its own), e.g. ``descriptors_2a_3``."""
    return f"descriptors_{criterion.section_id}_{criterion.number}"


def section_group(section: Section) -> str:
    """The group (page) of a section, e.g. ``s_2a``."""
    return f"s_{section.id}"


def calc_field(section: Section) -> str:
    """The suggested level the form computes from the section's criteria, e.g. ``calc_2a``."""
    return f"calc_{section.id}"


def level_field(section: Section) -> str:
    """The assessor's level of the section, e.g. ``level_2a``."""
    return f"level_{section.id}"


def why_field(section: Section) -> str:
    """The reason given when the assessed level differs from the suggested one, e.g. ``why_2a``."""
    return f"why_{section.id}"


def notes_field(section: Section) -> str:
    """The free notes of the section (the QAF's NOTES box), e.g. ``notes_2a``."""
    return f"notes_{section.id}"


def not_assessed_field(section: Section) -> str:
    """How many of the section's criteria were answered Not assessed (computed by the form), e.g. ``not_assessed_2a``."""
    return f"not_assessed_{section.id}"


def summary_line_field(section: Section, language: str) -> str:
    """The summary's line of a section in one language, computed by the form from the levels and the reason
    (``summary_line_2a_ar``); display only: scoring reads the codes, never this text."""
    return f"summary_line_{section.id}_{language}"


def suggested_name_field(section: Section, language: str) -> str:
    """The name of the section's suggested level in one language, computed by the form (``suggested_name_2a_ar``);
    display only: scoring reads the codes, never this text."""
    return f"suggested_name_{section.id}_{language}"

"""Whether an export file belongs to the form: judged by the form's own fields (criteria, section levels,
details, evidence) among the file's columns — never by metadata such as ``start`` and ``end``, which nearly every
form has — and, for a file of another form, which form it looks like."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from qaf_kobo.errors import QafError

GENERIC = frozenset({"start", "end", "today", "deviceid", "username", "phonenumber", "simserial", "subscriberid",
                     "audit", "meta", "instanceID", "instanceName", "framework", "framework_version", "__version__"})
"""Field names that many forms share: a column of one of these says nothing about which form a file is of."""


def own_paths(field_paths: Mapping[str, str]) -> frozenset[str]:
    """The form's own field paths: every field but the generic metadata ones."""
    return frozenset(path for name, path in field_paths.items()
                     if name not in GENERIC and not path.startswith("meta/") and path not in GENERIC)


def check_same_form(path: object, columns: Iterable[tuple[str, str | None]], own: frozenset[str],
                    looks_like: str) -> None:
    """Refuse a file of another form. ``columns`` are (header, the form's field path or None) for the file's answer
    columns (metadata and generic columns left out); the file belongs to the form when at least one column is one
    of the form's own fields and no more columns are unknown than known."""
    known = [(h, p) for h, p in columns if p is not None and p in own]
    unknown = [h for h, p in columns if p is None]
    if known and len(unknown) <= len(known):
        return
    example = f" (e.g. {', '.join(repr(h) for h in unknown[:3])})" if unknown else ""
    raise QafError(f"{path}: an export of another form ({looks_like}): it has {len(known)} of this form's own "
                   f"fields (criteria, section levels, details) and {len(unknown)} column(s) this form does not "
                   f"have{example}; import only exports of this form (or give the framework it answers with "
                   "--framework)")

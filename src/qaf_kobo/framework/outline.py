"""A readable text outline of the framework (what ``qaf-kobo framework show`` prints)."""

from __future__ import annotations

import textwrap

from qaf_kobo.framework.model import Framework


def framework_outline(fw: Framework, width: int = 100) -> str:
    """Domains, sections and criteria with their level descriptors and action counts, indented."""
    wrap = lambda text, indent: textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent + "   ")  # noqa: E731
    out = [f"{fw.title} {fw.version} — {len(fw.domains)} domains, {len(fw.sections)} sections, {len(fw.criteria)} criteria"]
    for domain in fw.domains:
        out.append(f"\n{domain.id}. {domain.title.upper()}")
        for section in (fw.section(sid) for sid in domain.section_ids):
            out.append(f"  Section {section.id}: {section.title}")
            for criterion in section.criteria:
                out.append(f"    {criterion.id}  {criterion.title}")
                for level, text in zip(fw.levels, criterion.levels):
                    out.append(wrap(f"[{level.code}] {level.label}: {text}", "        "))
                counts = ", ".join(f"{t}: {len(a)}" for t, a in zip(fw.transitions, criterion.actions))
                out.append(f"        actions ({counts})")
    return "\n".join(out)

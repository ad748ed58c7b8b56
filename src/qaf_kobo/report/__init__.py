"""Excel workbooks for coordinators — country profiles, heat map, sections, domains, assessments, the country action
plans (read back by ``plan_import``), data quality, about.

``write_reports`` (and pandas and XlsxWriter with it) is imported when first used, so that a module of this package
such as ``wording`` loads without them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qaf_kobo.report.workbook import write_reports

__all__ = ["write_reports"]


def __getattr__(name: str) -> object:
    if name == "write_reports":
        from qaf_kobo.report.workbook import write_reports

        return write_reports
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

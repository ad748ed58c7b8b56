"""Excel workbooks for coordinators: overview, heat map, sections, assessments, action plan, data quality, about."""

from qaf_kobo.report.workbook import write_reports

__all__ = ["write_reports"]

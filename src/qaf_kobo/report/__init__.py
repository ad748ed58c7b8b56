"""Excel workbooks for coordinators — country profiles, heat map, sections, domains, assessments, the country action
plans (read back by ``plan_import``), data quality, about."""

from qaf_kobo.report.workbook import write_reports

__all__ = ["write_reports"]

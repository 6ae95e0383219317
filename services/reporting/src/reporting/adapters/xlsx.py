"""XLSX workbooks come from ``anjian_shared.xlsx`` (shared with equipment's registry export)."""

from anjian_shared.xlsx import build_workbook

__all__ = ["build_workbook"]

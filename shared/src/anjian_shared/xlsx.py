"""XLSX workbooks with openpyxl: one sheet, bold frozen header, safe cells (HN-10 station search,
HEB-06 crane registry export)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _cell(value: Any) -> Any:
    """Text without the control characters XML 1.0 (and so XLSX) cannot hold; a leading
    ``=``, ``+``, ``-`` or ``@`` is prefixed with ``'`` so no text of a user becomes a formula."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value[:1] in ("=", "+", "-", "@"):
            value = "'" + value
    return value


def build_workbook(*, title: str, headers: Sequence[tuple[str, int]], rows: Iterable[Sequence[Any]],
                   datetime_columns: set[int], date_columns: set[int]) -> bytes:
    """One sheet named ``title`` (≤ 31 characters): a bold header row (frozen, auto-filter),
    column widths in characters as given, text cleaned by ``_cell``, ``datetime``/``date`` cells formatted
    ``yyyy-mm-dd hh:mm`` / ``yyyy-mm-dd`` (real Excel dates). Columns are 1-based in the sets.
    Returns the file's bytes."""
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([h for h, _ in headers])
    for i, (_, width) in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(i)].width = width
    n = 1
    for row in rows:
        ws.append([_cell(v) for v in row])
        n += 1
        for c in datetime_columns:
            ws.cell(row=n, column=c).number_format = "yyyy-mm-dd hh:mm"
        for c in date_columns:
            ws.cell(row=n, column=c).number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{n}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

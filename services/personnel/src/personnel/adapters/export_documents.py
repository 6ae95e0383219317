"""The one export helper of personnel (HUN-03, HUN-09..18 summaries): a ``domain.exports.Table``
as XLSX (``anjian_shared.xlsx.build_workbook``, to download) or as a landscape A4 PDF (ReportLab
with the platform's embedded CJK font, ``anjian_shared.pdf_fonts``, to preview and print), and
one agency's annual record as a portrait A4 PDF. ReportLab keeps module-level state: rendering
is serialised here and the caller runs it in a worker thread.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from anjian_shared.pdf_fonts import CjkFont
from anjian_shared.xlsx import build_workbook

from ..domain.exports import Table as ExportTable

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
_lock = threading.Lock()
_GRID = [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9a9a9a")), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]


def _styles(font: CjkFont, size: float) -> dict[str, ParagraphStyle]:
    base: dict[str, Any] = {"fontName": font.name, "fontSize": size, "leading": size * 1.3, "wordWrap": "CJK"}
    return {"title": ParagraphStyle("t", **{**base, "fontSize": 15, "leading": 20, "alignment": TA_CENTER}),
            "sub": ParagraphStyle("s", **{**base, "fontSize": 9, "leading": 12, "alignment": TA_CENTER}),
            "h": ParagraphStyle("h", **{**base, "fontSize": 11, "leading": 15, "spaceBefore": 6}),
            "cell": ParagraphStyle("c", **base)}


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4f}".rstrip("0").rstrip(".")
    return str(v)


def _build(story: list[Any], *, pagesize: tuple[float, float], title: str) -> bytes:
    buf = io.BytesIO()
    with _lock:
        SimpleDocTemplate(buf, pagesize=pagesize, leftMargin=1 * cm, rightMargin=1 * cm, topMargin=1.2 * cm,
                          bottomMargin=1 * cm, title=title, author="Anjian").build(story)
    return buf.getvalue()


def table_pdf(font: CjkFont, table: ExportTable) -> bytes:
    """``table`` on landscape A4 pages: title, subtitle, the header row repeated on every page,
    the rows and the 合计 row (shaded). Column widths follow the table's character widths."""
    st = _styles(font, 6.5)
    width = landscape(A4)[0] - 2 * cm
    chars = sum(w for _, w in table.headers)
    widths = [width * w / chars for _, w in table.headers]
    data = [[Paragraph(escape(h), st["cell"]) for h, _ in table.headers]]
    data += [[Paragraph(escape(_text(v)), st["cell"]) for v in row] for row in table.rows]
    style = [*_GRID, ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde8f5"))]
    if table.total is not None:
        data.append([Paragraph(escape(_text(v)), st["cell"]) for v in table.total])
        style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f1f1f1")))
    grid = Table(data, colWidths=widths, repeatRows=1, style=TableStyle(style))
    story = [Paragraph(escape(table.title), st["title"]), Paragraph(escape(table.subtitle), st["sub"]),
             Spacer(1, 6), grid]
    return _build(story, pagesize=landscape(A4), title=table.title)


def table_xlsx(table: ExportTable) -> bytes:
    """``table`` as one XLSX sheet: the header row, the rows and the 合计 row last."""
    rows = [*table.rows, *([table.total] if table.total is not None else [])]
    return build_workbook(title=table.title, headers=table.headers, rows=rows, datetime_columns=set(),
                          date_columns=set())


def record_pdf(font: CjkFont, *, title: str, subtitle: str,
               sections: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> bytes:
    """One agency's annual record (portrait A4): per section a heading and a four-column grid
    of label/value pairs."""
    st = _styles(font, 9)
    width = A4[0] - 2 * cm
    story: list[Any] = [Paragraph(escape(title), st["title"]), Paragraph(escape(subtitle), st["sub"])]
    for heading, pairs in sections:
        story.append(Paragraph(escape(heading), st["h"]))
        cells = [[Paragraph(escape(k), st["cell"]), Paragraph(escape(v), st["cell"])] for k, v in pairs]
        rows = [cells[i] + (cells[i + 1] if i + 1 < len(cells) else ["", ""]) for i in range(0, len(cells), 2)]
        story.append(Table(rows, colWidths=[width * 0.2, width * 0.3] * 2, style=TableStyle(
            [*_GRID, ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f1f1f1")),
             ("BACKGROUND", (2, 0), (2, -1), colors.HexColor("#f1f1f1"))])))
    return _build(story, pagesize=A4, title=title)


def render(font: CjkFont | None, table: ExportTable, fmt: str) -> tuple[bytes, str]:
    """The one export helper: ``table`` as ``fmt`` (``pdf`` | ``xlsx``); returns (bytes, media type).
    ``font`` is needed for PDF only."""
    if fmt == "xlsx":
        return table_xlsx(table), XLSX
    assert font is not None
    return table_pdf(font, table), PDF

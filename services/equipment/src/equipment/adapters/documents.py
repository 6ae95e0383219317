"""The registration sign (登记标志, HEB-07) as an A5 PDF and the registry (HEB-06) as XLSX.

PDF: ReportLab with the platform's embedded CJK TrueType font (``anjian_shared.pdf_fonts``, so
``pdftotext`` reads the Chinese back) and a QR code (``anjian_shared.qr``) of the sign's public
status URL. XLSX: ``anjian_shared.xlsx.build_workbook``. ReportLab keeps module-level state:
rendering is serialised and run in a worker thread by the caller.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from anjian_shared.pdf_fonts import CjkFont
from anjian_shared.qr import qr_png
from anjian_shared.xlsx import build_workbook

_lock = threading.Lock()


def render_sign(font: CjkFont, *, title: str, rows: Sequence[tuple[str, str]],
                operators: Sequence[tuple[str, str, str]], status_url: str, footer: str) -> bytes:
    """An A5 sign: ``title``, a two-column table of ``rows`` (label, value), the operators
    (name, role, certificate number), a QR code of ``status_url`` and ``footer``. PDF bytes."""
    def style(name: str, **kw: Any) -> ParagraphStyle:
        base: dict[str, Any] = {"fontName": font.name, "fontSize": 10, "leading": 14, "wordWrap": "CJK"}
        base.update(kw)
        return ParagraphStyle(name, **base)

    s_title = style("title", fontSize=16, leading=22, alignment=TA_CENTER, spaceAfter=8)
    s_cell = style("cell")
    s_small = style("small", fontSize=8, leading=11, alignment=TA_CENTER, textColor=colors.HexColor("#555555"))
    width = A5[0] - 3 * cm
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#9a9a9a")),
                       ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f1f1f1")),
                       ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])
    table = Table([[Paragraph(escape(k), s_cell), Paragraph(escape(v), s_cell)] for k, v in rows],
                  colWidths=[3.2 * cm, width - 3.2 * cm], style=grid)
    ops = Table([[Paragraph(h, s_cell) for h in ("特种作业人员", "岗位", "证书编号")]]
                + [[Paragraph(escape(c), s_cell) for c in op] for op in operators],
                colWidths=[width * 0.3, width * 0.2, width * 0.5], style=grid)
    qr = Image(io.BytesIO(qr_png(status_url, box_size=6, border=2)), width=3.6 * cm, height=3.6 * cm)
    story = [Paragraph(escape(title), s_title), table, Spacer(1, 6), ops, Spacer(1, 8), qr,
             Paragraph("扫码查看登记状态", s_small), Paragraph(escape(footer), s_small)]
    buf = io.BytesIO()
    with _lock:
        SimpleDocTemplate(buf, pagesize=A5, leftMargin=1.5 * cm, rightMargin=1.5 * cm, topMargin=1.5 * cm,
                          bottomMargin=1.2 * cm, title=title, author="Anjian").build(story)
    return buf.getvalue()


REGISTRY_HEADERS = (("备案编号", 22), ("设备类型", 14), ("型号", 12), ("制造单位", 20), ("出厂编号", 16),
                    ("出厂日期", 12), ("产权单位", 24), ("备案状态", 10), ("所在工程", 28), ("操作人员", 36))


def registry_workbook(rows: Sequence[Sequence[Any]]) -> bytes:
    """HEB-06 the registry export: one row per machine (columns ``REGISTRY_HEADERS``)."""
    return build_workbook(title="起重机械登记台账", headers=REGISTRY_HEADERS, rows=rows, datetime_columns=set(),
                          date_columns={6})

"""Draws a ``domain.documents.Document`` as an A4 PDF with ReportLab (HB-09).

Text uses the embedded CJK TrueType font (subset into the file, with a ToUnicode map,
so ``pdftotext`` and screen readers get the Chinese back) and ``wordWrap='CJK'``.
Photos are scaled down (longest side ``photo_max_px``) and re-encoded as JPEG before
embedding; signature and seal keep their transparency. An image that can't be read
is replaced by a bracketed note instead of failing the document.

ReportLab is synchronous and keeps some module-level state: ``render`` runs in a
worker thread (``asyncio.to_thread``) and renders one document at a time.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from xml.sax.saxutils import escape

from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..domain.documents import Document, ProjectSection, ReplyBlock, ResultBlock, media_key
from .fonts import CjkFont

PAGE_W, PAGE_H = A4
MARGIN = 2 * cm
CONTENT_W = PAGE_W - 2 * MARGIN
GRID = colors.HexColor("#9a9a9a")
LABEL_BG = colors.HexColor("#f1f1f1")
MAJOR_RED = colors.HexColor("#c00000")

_render_lock = threading.Lock()


def _text(value: str) -> str:
    """User text as Paragraph markup: escaped, line breaks kept."""
    return escape(value).replace("\r\n", "\n").replace("\n", "<br/>")


class PdfRenderer:
    """Renders documents with one CJK font; ``render(doc, images)`` → PDF bytes."""

    def __init__(self, font: CjkFont, *, photo_max_px: int = 1400) -> None:
        self.font = font
        self.photo_max_px = photo_max_px
        f = font.name

        def style(name: str, **kw: object) -> ParagraphStyle:
            base: dict[str, object] = {"fontName": f, "fontSize": 10.5, "leading": 16, "wordWrap": "CJK"}
            base.update(kw)
            return ParagraphStyle(name, **base)  # type: ignore[arg-type]

        self.s_title = style("title", fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=4)
        self.s_number = style("number", fontSize=11, leading=16, alignment=TA_CENTER, spaceAfter=10)
        self.s_h2 = style("h2", fontSize=13, leading=20, spaceBefore=10, spaceAfter=4)
        self.s_h3 = style("h3", fontSize=11.5, leading=18, spaceBefore=6, spaceAfter=2)
        self.s_body = style("body")
        self.s_intro = style("intro", firstLineIndent=21, spaceAfter=8)
        self.s_label = style("label", fontSize=10, leading=14)
        self.s_cell = style("cell", fontSize=10, leading=14)
        self.s_small = style("small", fontSize=8.5, leading=12, textColor=colors.HexColor("#555555"))
        self.s_right = style("right", alignment=TA_RIGHT)

    # ---- entry point -------------------------------------------------------------------------

    def render(self, doc: Document, images: dict[str, bytes | None]) -> bytes:
        """The PDF of ``doc``; ``images`` maps ``media_key(ref)`` to the object's bytes (None: unreadable)."""
        with _render_lock:
            buf = io.BytesIO()
            template = SimpleDocTemplate(
                buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                bottomMargin=MARGIN, title=doc.title if not doc.number else f"{doc.title} {doc.number}",
                author=doc.issuer or "安监平台", subject=doc.subject, creator="Anjian reporting",
            )
            story = self._story(doc, images)
            footer = self._footer(doc)
            template.build(story, onFirstPage=footer, onLaterPages=footer)
            return buf.getvalue()

    # ---- layout --------------------------------------------------------------------------------

    def _story(self, doc: Document, images: dict[str, bytes | None]) -> list[Flowable]:
        story: list[Flowable] = [Paragraph(_text(doc.title), self.s_title)]
        if doc.number:
            story.append(Paragraph(_text(doc.number), self.s_number))
        else:
            story.append(Spacer(1, 8))
        if doc.addressee:
            story.append(Paragraph(_text(doc.addressee), self.s_body))
        if doc.intro:
            story.append(Paragraph(_text(doc.intro), self.s_intro))
        if doc.fields:
            story.append(self._fields_table(doc.fields))
        for section in doc.sections:
            story.extend(self._section(section, images))
        story.append(Spacer(1, 14))
        story.append(self._signature_block(doc, images))
        if doc.kind == "notice":
            story.extend(self._replies(doc, images))
        return story

    def _fields_table(self, fields: list[tuple[str, str]]) -> Table:
        rows = [[Paragraph(_text(k), self.s_label), Paragraph(_text(v), self.s_cell)] for k, v in fields]
        t = Table(rows, colWidths=[3.2 * cm, CONTENT_W - 3.2 * cm])
        t.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, GRID),
            ("BACKGROUND", (0, 0), (0, -1), LABEL_BG),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]))
        return t

    def _section(self, section: ProjectSection, images: dict[str, bytes | None]) -> list[Flowable]:
        out: list[Flowable] = [Paragraph(_text(section.heading), self.s_h2)]
        if section.fields:
            out.append(self._fields_table(section.fields))
            out.append(Spacer(1, 4))
        if not section.results:
            out.append(Paragraph("无检查记录。", self.s_body))
        for result in section.results:
            out.append(self._result(result, images))
            out.append(Spacer(1, 6))
        return out

    def _result(self, r: ResultBlock, images: dict[str, bytes | None]) -> Flowable:
        head = f"（{r.index}）单体名称：{_text(r.building_name)}"
        if r.major_hazard:
            head += f'　<font color="{MAJOR_RED.hexval()}">【重大事故隐患】</font>'
        hazard_lines = []
        for h in r.hazards:
            mark = f'<font color="{MAJOR_RED.hexval()}">【重大事故隐患】</font>' if h.major else ""
            code = f"{_text(h.code)} " if h.code else ""
            hazard_lines.append(f"· {code}{_text(h.name)}{mark}")
        rows: list[list[Flowable | str]] = [
            [Paragraph(head, self.s_h3), ""],
            [Paragraph("隐患", self.s_label),
             Paragraph("<br/>".join(hazard_lines) if hazard_lines else "无", self.s_cell)],
            [Paragraph("检查结果", self.s_label), Paragraph(_text(r.finding) or "无", self.s_cell)],
        ]
        if r.photos:
            rows.append([Paragraph("照片", self.s_label),
                         self._photo_grid(r.photos, images, CONTENT_W - 3.2 * cm - 12)])
        rows.append([Paragraph("记录人", self.s_label),
                     Paragraph(_text(f"{r.recorded_by}　{r.recorded_at}"), self.s_cell)])
        t = Table(rows, colWidths=[3.2 * cm, CONTENT_W - 3.2 * cm])
        t.setStyle(TableStyle([
            ("SPAN", (0, 0), (1, 0)),
            ("GRID", (0, 0), (-1, -1), 0.5, GRID),
            ("BACKGROUND", (0, 1), (0, -1), LABEL_BG),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))
        return t

    def _photo_grid(self, refs: list, images: dict[str, bytes | None], width: float) -> Flowable:
        per_row = 3
        cell_w = width / per_row
        cells: list[Flowable] = [self._image(images.get(media_key(ref)), cell_w - 6, 4.6 * cm, photo=True)
                                 for ref in refs]
        rows = [cells[i:i + per_row] for i in range(0, len(cells), per_row)]
        rows[-1] = rows[-1] + [""] * (per_row - len(rows[-1]))  # type: ignore[list-item]
        t = Table(rows, colWidths=[cell_w] * per_row)
        t.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2)]))
        return t

    def _signature_block(self, doc: Document, images: dict[str, bytes | None]) -> Flowable:
        sig: Flowable = (self._image(images.get(media_key(doc.signature)), 4.5 * cm, 2.0 * cm, photo=False)
                         if doc.signature else Paragraph(_text(doc.signer), self.s_body))
        rows: list[list[Flowable | str]] = []
        if doc.issuer:
            rows.append([Paragraph("监督机构：", self.s_right), Paragraph(_text(doc.issuer), self.s_body)])
        rows.append([Paragraph("责任监督员：", self.s_right), sig])
        if doc.seal:
            rows.append([Paragraph("盖章：", self.s_right),
                         self._image(images.get(media_key(doc.seal)), 3.8 * cm, 3.8 * cm, photo=False)])
        label = "签发日期：" if doc.kind == "notice" else "提交日期："
        rows.append([Paragraph(label, self.s_right), Paragraph(_text(doc.issue_date), self.s_body)])
        t = Table(rows, colWidths=[3.2 * cm, 7.5 * cm], hAlign="RIGHT")
        t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (1, 0), (1, -1), "LEFT")]))
        return KeepTogether([t])

    def _replies(self, doc: Document, images: dict[str, bytes | None]) -> list[Flowable]:
        out: list[Flowable] = [Paragraph("整改回复及审核情况", self.s_h2)]
        if doc.status:
            out.append(Paragraph(_text(doc.status), self.s_body))
        for rep in doc.replies:
            out.append(Spacer(1, 4))
            out.append(self._reply(rep, images))
        return out

    def _reply(self, rep: ReplyBlock, images: dict[str, bytes | None]) -> Flowable:
        rows: list[list[Flowable | str]] = [[Paragraph(f"第{rep.round}次整改回复", self.s_h3), ""]]
        if rep.text is not None:
            rows.append([Paragraph("回复人", self.s_label),
                         Paragraph(_text(f"{rep.replied_by}　{rep.submitted_at}"), self.s_cell)])
            rows.append([Paragraph("回复内容", self.s_label), Paragraph(_text(rep.text) or "无", self.s_cell)])
            if rep.photos:
                rows.append([Paragraph("整改照片", self.s_label),
                             self._photo_grid(rep.photos, images, CONTENT_W - 3.2 * cm - 12)])
        if rep.review is None:
            rows.append([Paragraph("审核结果", self.s_label), Paragraph("待审核", self.s_cell)])
        else:
            verdict = "通过" if rep.review.passed else f'<font color="{MAJOR_RED.hexval()}">不通过</font>'
            rows.append([Paragraph("审核结果", self.s_label), Paragraph(verdict, self.s_cell)])
            rows.append([Paragraph("审核意见", self.s_label),
                         Paragraph(_text(rep.review.comment) or "无", self.s_cell)])
            rows.append([Paragraph("审核人", self.s_label),
                         Paragraph(_text(f"{rep.review.reviewer}　{rep.review.reviewed_at}"), self.s_cell)])
        t = Table(rows, colWidths=[3.2 * cm, CONTENT_W - 3.2 * cm])
        t.setStyle(TableStyle([
            ("SPAN", (0, 0), (1, 0)),
            ("GRID", (0, 0), (-1, -1), 0.5, GRID),
            ("BACKGROUND", (0, 1), (0, -1), LABEL_BG),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))
        return t

    def _footer(self, doc: Document) -> Callable[[Canvas, object], None]:
        left = doc.title + (f"　{doc.number}" if doc.number else "")

        def draw(canvas: Canvas, _doc: object) -> None:
            canvas.saveState()
            canvas.setFont(self.font.name, 8.5)
            canvas.setFillColor(colors.HexColor("#666666"))
            canvas.drawString(MARGIN, MARGIN / 2, left[:60])
            canvas.drawRightString(PAGE_W - MARGIN, MARGIN / 2, f"第 {canvas.getPageNumber()} 页")
            canvas.restoreState()

        return draw

    # ---- images --------------------------------------------------------------------------------

    def _image(self, data: bytes | None, max_w: float, max_h: float, *, photo: bool) -> Flowable:
        """An image scaled to fit ``max_w`` x ``max_h`` points, or a note when it can't be read."""
        prepared = _prepare_image(data, max_px=self.photo_max_px if photo else 800, photo=photo)
        if prepared is None:
            return Paragraph("［图片无法读取］" if photo else "［签章图片无法读取］", self.s_small)
        raw, w, h = prepared
        scale = min(max_w / w, max_h / h)
        return Image(io.BytesIO(raw), width=w * scale, height=h * scale)


def _prepare_image(data: bytes | None, *, max_px: int, photo: bool) -> tuple[bytes, int, int] | None:
    """Decode, orient (EXIF), shrink and re-encode an image; None if it isn't a readable image.

    Photos become RGB JPEG; signatures and seals stay PNG so transparency is kept.
    """
    if not data:
        return None
    try:
        with PILImage.open(io.BytesIO(data)) as src:
            img = ImageOps.exif_transpose(src)
            img.thumbnail((max_px, max_px))
            out = io.BytesIO()
            if photo:
                img.convert("RGB").save(out, format="JPEG", quality=82, optimize=True)
            else:
                mode = "RGBA" if ("A" in img.getbands() or "transparency" in img.info) else "RGB"
                img.convert(mode).save(out, format="PNG", optimize=True)
            return out.getvalue(), img.width, img.height
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None

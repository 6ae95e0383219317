"""Prints a JGJ 59-2011 safety check evaluation (安全检查评分) as an A4 PDF with ReportLab:
first the summary table (检查评分汇总表: project, each row's weight, score and weighted score,
total, grade, signatures), then each checked table's sheet (检查评分表: items, points,
deductions, points earned, findings). Tables whose points are not yet checked against the
published standard (``verified`` false in the seed data) carry the mark ``UNVERIFIED_MARK``.

The CJK font is the platform's one setup (``anjian_shared.pdf_fonts``, as in reporting);
text is embedded with a ToUnicode map, so ``pdftotext`` reads the Chinese back.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from anjian_shared.pdf_fonts import CjkFont

PAGE_W, PAGE_H = A4
MARGIN = 1.6 * cm
CONTENT_W = PAGE_W - 2 * MARGIN
GRID = colors.HexColor("#9a9a9a")
HEAD_BG = colors.HexColor("#f1f1f1")
RED = colors.HexColor("#c00000")
UNVERIFIED_MARK = "分值未核验"
"""Printed next to a table whose points the seed data marks ``verified: false``."""
ZERO_REASONS = {"guarantee_item_zero": "保证项目有一项得分为零，本表得零分",
                "guarantee_under_minimum": "保证项目小计不足40分，本表得零分"}

_lock = threading.Lock()


def _t(value: Any) -> str:
    return escape("" if value is None else str(value)).replace("\n", "<br/>")


def _num(value: float | int | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


class EvaluationPdf:
    """``render(view)`` → PDF bytes; ``view``: the evaluation document (``project_name,
    check_date, status, evaluated_by, rectification_deadline, submitted_at, summary`` as
    ``scoring.summary_doc`` gives it, ``photos``)."""

    def __init__(self, font: CjkFont) -> None:
        f = font.name

        def style(name: str, **kw: Any) -> ParagraphStyle:
            base: dict[str, Any] = {"fontName": f, "fontSize": 9.5, "leading": 13, "wordWrap": "CJK"}
            base.update(kw)
            return ParagraphStyle(name, **base)

        self.s_title = style("title", fontSize=17, leading=24, alignment=TA_CENTER, spaceAfter=2)
        self.s_sub = style("sub", fontSize=10, leading=14, alignment=TA_CENTER, spaceAfter=8)
        self.s_cell = style("cell")
        self.s_head = style("head", alignment=TA_CENTER)
        self.s_center = style("center", alignment=TA_CENTER)
        self.s_mark = style("mark", textColor=RED)
        self.s_body = style("body", fontSize=10.5, leading=16)

    def render(self, view: Mapping[str, Any]) -> bytes:
        with _lock:
            buf = io.BytesIO()
            doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                                    bottomMargin=MARGIN, title="建筑施工安全检查评分汇总表",
                                    subject=str(view.get("project_name", "")), creator="Anjian inspections")
            story: list[Any] = self._summary(view)
            for table in view["summary"]["tables"]:
                if table["applicable"]:
                    story.append(PageBreak())
                    story.extend(self._sheet(table, view))
            doc.build(story)
            return buf.getvalue()

    def _grid(self, rows: list[list[Any]], widths: list[float], extra: list[tuple[Any, ...]] = ()) -> Table:
        t = Table(rows, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, GRID), ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), *extra]))
        return t

    def _summary(self, view: Mapping[str, Any]) -> list[Any]:
        s = view["summary"]
        out: list[Any] = [Paragraph("建筑施工安全检查评分汇总表", self.s_title),
                          Paragraph("（JGJ 59-2011 附录A 表A）", self.s_sub)]
        if view.get("status") != "submitted":
            out.append(Paragraph("【草稿】未提交，得分与等级可能变化", self.s_mark))
        c = self.s_cell
        info = [[Paragraph("工程名称", c), Paragraph(_t(view.get("project_name")), c),
                 Paragraph("检查日期", c), Paragraph(_t(view.get("check_date")), c)]]
        out += [self._grid(info, [2.4 * cm, CONTENT_W / 2 - 2.4 * cm, 2.4 * cm, CONTENT_W / 2 - 2.4 * cm],
                           [("BACKGROUND", (0, 0), (-1, 0), colors.white)]), Spacer(1, 6)]
        by_code = {t["code"]: t for t in s["tables"]}
        head = [Paragraph(h, self.s_head) for h in ("项目名称", "满分（权重）", "检查评分表", "得分 C", "折算得分 A1")]
        rows: list[list[Any]] = [head]
        for g in s["groups"]:
            names = []
            for code in g["table_codes"]:
                t = by_code.get(code, {})
                unverified = not t.get("verified", True)
                mark = f'<font color="{RED.hexval()}">（{UNVERIFIED_MARK}）</font>' if unverified else ""
                names.append(f"{_t(code)} {_t(t.get('name'))} {_num(t.get('score'))}{mark}")
            if g["applicable"] and len(g["table_codes"]) > 1:
                names.append("（各表得分的算术平均值）")
            rows.append([Paragraph(_t(g["name"]), c), Paragraph(str(g["weight"]), self.s_center),
                         Paragraph("<br/>".join(names) if names else "缺项", c),
                         Paragraph(_num(g["score"]), self.s_center), Paragraph(_num(g["weighted"]), self.s_center)])
        rows.append([Paragraph("合计", c), Paragraph(str(s["weight_checked"]), self.s_center),
                     Paragraph("实查项目满分合计 ΣB，缺项不计", c), "",
                     Paragraph(_num(s["weighted_sum"]), self.s_center)])
        rows.append([Paragraph("总得分", c), Paragraph(f"{_num(s['total'])} 分", c),
                     Paragraph(f"= ΣA1 / ΣB × 100 = {_num(s['weighted_sum'])} / {s['weight_checked']} × 100", c),
                     "", ""])
        color = RED.hexval() if s["grade"] == "fail" else "#000000"
        rows.append([Paragraph("评定等级", c), Paragraph(f'<font color="{color}">{_t(s["grade_label"])}</font>', c),
                     Paragraph("零分表：" + ("、".join(s["zero_tables"]) or "无"), c), "", ""])
        widths = [3.0 * cm, 2.3 * cm, CONTENT_W - 3.0 * cm - 2.3 * cm - 2.2 * cm - 2.6 * cm, 2.2 * cm, 2.6 * cm]
        n = len(rows)
        out.append(self._grid(rows, widths, [("SPAN", (2, n - 3), (3, n - 3)), ("SPAN", (2, n - 2), (4, n - 2)),
                                             ("SPAN", (2, n - 1), (4, n - 1))]))
        out.append(Spacer(1, 8))
        notes = []
        if view.get("rectification_deadline"):
            notes.append(f"整改期限：{_t(view['rectification_deadline'])}（评定不合格的工程必须限期整改）")
        unverified = [t["code"] for t in s["tables"] if not t.get("verified", True)]
        if unverified:
            notes.append(f"注：{'、'.join(unverified)} 的分值{UNVERIFIED_MARK}（尚未与正式发布的标准核对）。")
        notes.append("评分规则：保证项目有一项为零或小计不足40分的检查表得零分；缺项按 A2 = D / E × 100 换算；"
                     "A1 = B × C / 100；总得分 ≥ 80 且无零分表为优良，70～80 为合格，不足70 或有零分表为不合格。")
        out += [Paragraph(n_, self.s_cell) for n_ in notes]
        out.append(Spacer(1, 14))
        person = view.get("evaluated_by", {}).get("name", "")
        sign = [[Paragraph("检查人（监督员）：", c), Paragraph(_t(person), c),
                 Paragraph("受检项目负责人：", c), Paragraph("", c)],
                [Paragraph("提交时间：", c), Paragraph(_t(view.get("submitted_at") or "未提交"), c),
                 Paragraph("签字日期：", c), Paragraph("", c)]]
        out.append(Table(sign, colWidths=[3.8 * cm, CONTENT_W / 2 - 3.8 * cm, 3.4 * cm, CONTENT_W / 2 - 3.4 * cm]))
        return out

    def _sheet(self, table: Mapping[str, Any], view: Mapping[str, Any]) -> list[Any]:
        c = self.s_cell
        out: list[Any] = [Paragraph(f"表{_t(table['code'])}　{_t(table['name'])}检查评分表", self.s_title)]
        if not table.get("verified", True):
            out.append(Paragraph(f"【{UNVERIFIED_MARK}】本表分值尚未与正式发布的 JGJ 59-2011 核对", self.s_mark))
        out.append(Paragraph(f"工程名称：{_t(view.get('project_name'))}　检查日期：{_t(view.get('check_date'))}",
                             self.s_sub))
        photos: dict[int, int] = {}
        for p in view.get("photos", []):
            if p.get("table_code") == table["code"]:
                photos[int(p["item_no"])] = photos.get(int(p["item_no"]), 0) + 1
        head = [Paragraph(h, self.s_head) for h in ("序号", "检查项目", "类别", "应得分数", "扣减分数", "实得分数",
                                                    "扣分说明")]
        rows: list[list[Any]] = [head]
        for i in table["items"]:
            finding = _t(i.get("finding"))
            if photos.get(i["no"]):
                finding += f"（照片{photos[i['no']]}张）"
            if not i["applicable"]:
                finding = "缺项"
            rows.append([Paragraph(str(i["no"]), self.s_center), Paragraph(_t(i["name"]), c),
                         Paragraph(_t(i["kind"]), c), Paragraph(str(i["points"]), self.s_center),
                         Paragraph(_num(i["deduction"]), self.s_center), Paragraph(_num(i["score"]), self.s_center),
                         Paragraph(finding, c)])
        if table.get("guarantee_total") is not None:
            rows.append([Paragraph("保证项目小计", c), "", "", "", "", Paragraph(_num(table["guarantee_total"]),
                                                                             self.s_center), ""])
        rows.append([Paragraph(f"实查项目应得 E = {_num(table['possible'])}，实得 D = {_num(table['earned'])}", c),
                     "", "", "", "", "", ""])
        reason = ZERO_REASONS.get(table.get("zero_reason") or "", "")
        rows.append([Paragraph(f"本表得分：{_num(table['score'])} 分　{reason}", c), "", "", "", "", "", ""])
        widths = [1.1 * cm, 4.2 * cm, 2.0 * cm, 1.6 * cm, 1.6 * cm, 1.6 * cm]
        widths.append(CONTENT_W - sum(widths))
        n = len(rows)
        spans = [("SPAN", (0, n - 2), (-1, n - 2)), ("SPAN", (0, n - 1), (-1, n - 1))]
        if table.get("guarantee_total") is not None:
            spans += [("SPAN", (0, n - 3), (4, n - 3))]
        out.append(self._grid(rows, widths, spans))
        return out

"""The PDF renderer on its own: CJK text survives (pdftotext reads it back), images embed."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import reporting_testkit as kit

from reporting.adapters.fonts import CjkFontNotFound, resolve_cjk_font
from reporting.adapters.pdf import PdfRenderer
from reporting.domain.access import PlanView
from reporting.domain.documents import ReplyRecord, media_key, notice_document, plan_document
from reporting.settings import Settings

ZHANG, LI = kit.person("u-zhang", "张伟"), kit.person("u-li", "李娜")
LIU = kit.person("u-liu", "刘洋")
P1 = kit.project(project_id="p1", station="st", owner="ow", contractor="ct", supervision="sv", managers=["u-liu"])
P2 = kit.project(project_id="p2", station="st", owner="ow2", contractor="ct2", supervision="sv2", managers=[],
                 name="汉阳钢厂改造工程")


def pdftotext(pdf: bytes) -> str:
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed"
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode("utf-8")


@pytest.fixture(scope="module")
def renderer() -> PdfRenderer:
    s = Settings()
    return PdfRenderer(resolve_cjk_font(s.cjk_font_path, s.cjk_font_subfont_index, s.cjk_font_candidates))


def _plan():  # type: ignore[no-untyped-def]
    results = [kit.result(project_id="p1", recorder=LI, photos=[kit.ref("ph1"), kit.ref("ph2")], building="3号楼"),
               kit.result(project_id="p2", recorder=LI, photos=[kit.ref("ph3")], building="汉阳7号厂房",
                          finding="塔吊附着装置螺栓松动", major=False, minute=5)]
    return kit.plan_submitted(plan_id="pl", station="st", projects=[P1, P2], responsible=ZHANG,
                              supervisors=[ZHANG, LI], results=results, signature=kit.ref("sig", "image/png"),
                              seal=kit.ref("seal", "image/png"))


def _images(doc) -> dict[str, bytes | None]:  # type: ignore[no-untyped-def]
    images: dict[str, bytes | None] = {media_key(r): kit.jpeg() for r in doc.images()}
    images["test-bucket/sig"] = kit.png()
    images["test-bucket/seal"] = kit.png((300, 300))
    return images


def test_notice_pdf_reads_back_title_number_finding_and_rounds(renderer: PdfRenderer) -> None:
    plan = _plan()
    n = kit.notice_issued(notice_id="n1", plan_id="pl", project=P1, station="st", issuer=ZHANG, repliers=["u-liu"],
                          number="鄂安监告〔2026〕0007号")
    sub = kit.reply_submitted(notice_id="n1", number=n.number, reply_id="r1", round=1, replier=LIU,
                              reviewer=ZHANG.user_id, photos=[kit.ref("rph")])
    rev = kit.reply_reviewed(notice_id="n1", number=n.number, reply_id="r1", round=1, passed=False, reviewer=ZHANG,
                             repliers=["u-liu"], comment="支护桩间距仍不符合方案要求")
    doc = notice_document(n, plan, replies=[ReplyRecord("r1", 1, sub, rev)], closed=None,
                          org_names={"ct": "中建三局第一建设工程有限责任公司", "st": "武汉市建设工程安全监督站"})
    images = _images(doc)
    images["test-bucket/ph2"] = b"not an image"  # a broken photo is noted, not fatal
    pdf = renderer.render(doc, images)
    assert pdf.startswith(b"%PDF")
    text = pdftotext(pdf)
    flat = text.replace(" ", "").replace("\n", "")
    for expected in ("安全隐患整改告知书", "鄂安监告〔2026〕0007号", "中建三局第一建设工程有限责任公司", "项目部",
                     "武汉光谷科技园二期", "主体结构施工", "限期整改", "2026年3月20日", "3号楼", "重大事故隐患",
                     kit.FINDING, "武汉市建设工程安全监督站", "第1次整改回复", "不通过", "支护桩间距仍不符合方案要求",
                     "图片无法读取"):
        assert expected in flat, expected
    assert "塔吊附着装置螺栓松动" not in flat  # another project's result stays out of this notice


def test_plan_pdf_for_a_company_shows_its_own_project_only(renderer: PdfRenderer) -> None:
    plan = _plan()
    everyone = pdftotext(renderer.render(doc := plan_document(plan, view=PlanView(None), org_names={}),
                                         _images(doc))).replace(" ", "").replace("\n", "")
    assert "日常抽查检查结果" in everyone and "塔吊附着装置螺栓松动" in everyone and kit.FINDING in everyone
    own = plan_document(plan, view=PlanView(frozenset({"p2"})), org_names={})
    text = pdftotext(renderer.render(own, _images(own))).replace(" ", "").replace("\n", "")
    assert "塔吊附着装置螺栓松动" in text and kit.FINDING not in text


def test_missing_cjk_font_is_a_clear_error_naming_the_package() -> None:
    with pytest.raises(CjkFontNotFound, match="fonts-wqy-zenhei"):
        resolve_cjk_font("/nonexistent/font.ttc", 0, ["/also/missing.ttf"])


def test_service_without_cjk_font_answers_503_naming_the_package() -> None:
    from starlette.requests import Request

    from anjian_shared.problems import ServiceUnavailable
    from reporting.entrypoints.api.deps import get_renderer
    from reporting.main import create_app

    app = create_app(Settings(cjk_font_path="/nonexistent/font.ttc", cjk_font_candidates=[]))
    with pytest.raises(ServiceUnavailable, match="fonts-wqy-zenhei"):
        get_renderer(Request({"type": "http", "app": app}))

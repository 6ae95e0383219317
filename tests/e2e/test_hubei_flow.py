"""The whole Hubei spot-check flow across the seven services, as ``make demo`` plays it."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from anjian_local.demo import play_hubei
from anjian_local.testing.fixtures import eventually


@pytest.mark.slow
async def test_hubei_flow_end_to_end_writes_a_readable_chinese_pdf(platform, tmp_path):
    lines: list[str] = []
    result = await play_hubei(platform.api, admin_password=platform.admin_password, out_dir=tmp_path,
                              say=lines.append)
    assert result["final_status"] == "closed"
    assert result["number"].startswith("鄂安监告〔") and result["number"].endswith("号")
    pdf = result["pdf_path"].read_bytes()
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is required: run `make install`")
    text = subprocess.run(["pdftotext", "-layout", str(result["pdf_path"]), "-"], capture_output=True,
                          text=True, check=True).stdout
    compact = "".join(text.split())
    assert result["number"] in compact
    assert "建设工程安全隐患整改告知书" in compact
    assert "临边防护栏杆缺失" in compact
    assert "停工整改" in compact  # a 重大事故隐患 forced it (HB-06)
    await plan_links_to_its_notice(platform, result)


async def plan_links_to_its_notice(platform, result) -> None:  # type: ignore[no-untyped-def]
    """Issue 11 (front ends): the submitted plan names its 告知书; ``?plan_id=`` finds it."""
    token = result["world"].token("zhang")
    async with platform.api(token) as c:
        async def linked() -> dict:
            plan = (await c.get(f"/api/inspections/v1/plans/{result['plan_id']}")).json()
            assert [n["notice_id"] for n in plan["notices"]] == [result["notice_id"]], plan.get("notices")
            return plan

        plan = await eventually(linked, timeout=20)
        assert plan["notices"][0]["number"] == result["number"] and plan["status_label"] == "已提交"
        assert plan["submission"]["disposition_label"] == "停工整改"
        page = (await c.get("/api/notices/v1/notices", params={"plan_id": result["plan_id"]})).json()
        assert [n["id"] for n in page["items"]] == [result["notice_id"]]
        other = (await c.get("/api/notices/v1/notices", params={"plan_id": "f" * 32})).json()
        assert other["items"] == []

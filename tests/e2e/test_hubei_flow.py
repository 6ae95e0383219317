"""The whole Hubei spot-check flow across the seven services, as ``make demo`` plays it."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from anjian_local.demo import play_hubei


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
    assert "限期整改" in compact

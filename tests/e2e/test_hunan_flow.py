"""The Hunan agencies' flow across the services, as ``make demo`` plays it (HUN-01, HUN-02..08,
HUN-03, HUN-10, HUN-14/15, HUN-17, HUN-18): a county agency completes its record, a certificate
change returned once then approved, two continuing-education registrations within the quota and
a third refused, the city's assessment, a dynamic score approved by the leader (its to-do first,
when reporting runs), the annual record PDF (read back) and the province summary XLSX (totals
recomputed from its rows)."""

from __future__ import annotations

import shutil
import subprocess

import openpyxl
import pytest

from anjian_local.demo_hunan import play_hunan


@pytest.mark.slow
async def test_hun_flow_end_to_end_record_certificate_quota_assessment_score_and_exports(platform, tmp_path):
    """HUN-01/02/03/10/14/15/17/18 the demo's Hunan story with its refusal."""
    lines: list[str] = []
    result = await play_hunan(platform.api, admin_password=platform.admin_password, out_dir=tmp_path,
                              say=lines.append, with_todos="reporting" in platform.services)
    assert result["certificate_application"]["stage"] == "approved"
    assert result["certificate_application"]["steps"] == ["create", "submit", "return", "submit", "accept",
                                                          "approve"]
    assert set(result["refusals"]) == {"training-quota-exhausted"}
    assert result["score"]["status"] == "approved"
    if "reporting" in platform.services:
        assert result["todo"]["kind"] == "dynamic_score_to_approve"
        assert result["todo"]["api_path"].startswith("/api/personnel/v1/dynamic-scores")
    assert shutil.which("pdftotext")
    text = subprocess.run(["pdftotext", str(result["record_pdf_path"]), "-"], capture_output=True, check=True,
                          text=True).stdout.replace(" ", "").replace("\n", "")
    assert "监督机构年度情况表" in text and result["agency_name"] in text
    sheet = openpyxl.load_workbook(result["summary_xlsx_path"], read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header, body, total = rows[0], rows[1:-1], rows[-1]
    assert header[0] == "机构名称" and total[0] == "合计"
    ours = next(r for r in body if r[0] == result["agency_name"])
    col = {h: i for i, h in enumerate(header)}
    assert ours[col["在职人数"]] == 3 and ours[col["持一证"]] == 3 and ours[col["监督工程(个)"]] == 128
    for name in ("在职人数", "核定编制", "监督工程(个)", "经费收入(万元)"):
        assert total[col[name]] == pytest.approx(sum(r[col[name]] or 0 for r in body)), name

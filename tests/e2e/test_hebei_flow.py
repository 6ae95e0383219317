"""The Hebei crane-registry flow across the services, as ``make demo`` plays it (HEB-01, HEB-06,
HEB-07, HEB-11, HEB-14, HEB-15): online registration, a filing refused for a missing certificate
then approved, the machine lock naming project A, the operator lock on 王某, dismantling that
releases the machine, the registration sign PDF (read back) and the registry XLSX (cells read)."""

from __future__ import annotations

import shutil
import subprocess

import openpyxl
import pytest

from anjian_local.demo_hebei import play_hebei
from anjian_local.testing.fixtures import eventually


@pytest.mark.slow
async def test_heb_flow_end_to_end_locks_sign_and_registry(platform, tmp_path):
    """HEB-01/06/07/14/15 the demo's Hebei story, with its three refusals."""
    lines: list[str] = []
    result = await play_hebei(platform.api, admin_password=platform.admin_password, out_dir=tmp_path,
                              say=lines.append)
    assert set(result["refusals"]) == {"certificates-missing", "machine-locked", "operator-locked"}
    assert result["filing_number"].startswith("冀130102-T-")
    assert result["registration_number"].startswith("冀130102-DJ-")
    assert result["b_after_dismantling"] == "submitted"
    assert result["public_status"] == "dismantled"
    assert shutil.which("pdftotext")
    text = subprocess.run(["pdftotext", str(result["sign_path"]), "-"], capture_output=True, check=True,
                          text=True).stdout.replace(" ", "").replace("\n", "")
    assert "建筑起重机械使用登记标志" in text and result["registration_number"] in text and "王某" in text
    sheet = openpyxl.load_workbook(result["xlsx_path"], read_only=True).worksheets[0]
    rows = [[("" if c is None else str(c)) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "备案编号"
    assert any(r[0] == result["filing_number"] for r in rows[1:])
    if "reporting" in platform.services:  # HEB-03 to-dos and decisions reach both sides as notifications
        async def kinds(who: str) -> set[str]:
            async with platform.api(result["tokens"][who]) as c:
                r = await c.get("/api/reporting/v1/notifications", params={"limit": 100})
                return {n["kind"] for n in r.json()["items"]}

        async def arrived() -> bool:
            return ("application_to_handle" in await kinds("zhang")
                    and "application_decided" in await kinds("lease"))

        assert await eventually(arrived, timeout=60)

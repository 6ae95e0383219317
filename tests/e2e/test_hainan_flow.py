"""The whole Hainan mobile-supervision flow across the services, as ``make demo`` plays it
(HN-03..HN-11): positioning, attendance, a reviewed record, a document replied to and
closed, an overdue backdated document escalated by the platform's own sweep, and the
station search exported to XLSX."""

from __future__ import annotations

import openpyxl
import pytest

from anjian_local.demo_hainan import play_hainan


@pytest.mark.slow
async def test_hainan_flow_end_to_end_escalates_once_and_exports_the_station(platform, tmp_path):
    lines: list[str] = []
    result = await play_hainan(platform.api, admin_password=platform.admin_password, out_dir=tmp_path,
                               say=lines.append, escalation_timeout=90)
    assert result["document_status"] == "closed"
    assert result["document_number"].startswith("琼安监") and result["document_number"].endswith("号")
    escalation = result["escalation"]
    assert escalation["kind"] in ("penalty_recommendation", "bad_conduct_record")
    assert escalation["number"].startswith("琼安监") and escalation["document_id"] == result["stop_work_id"]

    # exactly once: one escalation row and one escalated event for the document
    notices = platform.app("notices").state.mongo
    tenant = result["world"].tenant
    assert await notices.repo("escalations", tenant).count({"document_id": result["stop_work_id"]}) == 1
    assert await notices.db["outbox"].count_documents(
        {"event.type": "notices.document.escalated.v1", "event.data.document_id": result["stop_work_id"]}) == 1

    # the XLSX lists what the station search found, the escalated document with its penalty number
    sheet = openpyxl.load_workbook(result["xlsx_path"], read_only=True).worksheets[0]
    rows = [[("" if c is None else str(c)) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert len(rows) - 1 >= 3, rows
    flat = "\n".join("|".join(r) for r in rows)
    assert escalation["number"] in flat and result["document_number"] in flat

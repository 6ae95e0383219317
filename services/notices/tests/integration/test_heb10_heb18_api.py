"""Hebei over HTTP on real servers: HEB-10 the contractor's safety rectification report (the
documents' reply, 600 KB per file) and HEB-18 the discretion table (自由裁量基准) with the
station's penalty of a 处罚建议书. The table's figures are a LABELLED SAMPLE, not official."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from documents_testkit import API, DocKit, today

from anjian_local.demo_hebei import SHIJIAZHUANG
from anjian_local.scenario import build_world, expect
from notices.service_layer.escalation import escalate_document

SAMPLE = {"violation_name": "样例：临边防护缺失", "legal_basis": "样例（示例，非官方数值）",
          "ranges": {"minor": {"min_yuan": 0, "max_yuan": 10000}, "general": {"min_yuan": 10000, "max_yuan": 50000},
                     "serious": {"min_yuan": 50000, "max_yuan": 100000}}}


def pdf_of(size: int) -> tuple[str, tuple[str, bytes, str]]:
    return ("attachments", ("整改报告.pdf", b"%PDF-1.4\n" + b"0" * (size - 9), "application/pdf"))


@pytest_asyncio.fixture(loop_scope="session")
async def heb(platform) -> DocKit:  # type: ignore[no-untyped-def]
    w = await build_world(platform.api, admin_password=platform.admin_password, tenant="hebei", place=SHIJIAZHUANG)
    hn = await build_world(platform.api, admin_password=platform.admin_password, tenant="hainan",
                           register_project=False)
    kit = DocKit(platform=platform, hn=w, other=w, hb=hn)
    await kit.known(w)
    return kit


async def test_heb10_a_hebei_contractor_answers_with_its_report_600kb_per_file(heb: DocKit):
    """HEB-10 (HEB-17): reply = report + attachments; above 600 KB → 413 naming attachments."""
    w = heb.hn
    doc = await heb.document(w)
    too_big = await heb.reply(w, "liu", doc["id"], text="整改报告", files=[pdf_of(600 * 1024 + 1)])
    assert too_big.status_code == 413, too_big.text
    assert "attachments" in too_big.text
    reply = expect(await heb.reply(w, "liu", doc["id"], text="整改报告：临边防护已恢复",
                                   files=[pdf_of(600 * 1024)]), 201)
    assert len(reply["attachments"]) == 1
    expect(await heb.review_reply(w, "zhang", doc["id"], reply["id"], "approve"), 201)
    assert (await heb.read(w, "zhang", doc["id"]))["status"] == "closed"


async def test_heb18_the_table_over_http_and_the_penalty_of_a_penalty_recommendation(heb: DocKit):
    """HEB-18: the province admin keeps the table (others 403, other tenants don't see it); the
    station sets a penalty citing an entry inside its range, once."""
    w, platform = heb.hn, heb.platform
    admin = await platform.admin_token("hebei")
    code = f"SAMPLE-{secrets.token_hex(4)}"
    async with platform.api(admin) as c:
        expect(await c.put(f"{API}/discretion-table/{code}", json=SAMPLE), 201)
        expect(await c.put(f"{API}/discretion-table/{code}", json=SAMPLE), 200)
        bad = await c.put(f"{API}/discretion-table/{code}", json={
            **SAMPLE, "ranges": {**SAMPLE["ranges"], "general": {"min_yuan": 9, "max_yuan": 1}}})
        assert bad.status_code == 422 and "ranges.general" in bad.text, bad.text
        listed = expect(await c.get(f"{API}/discretion-table", params={"violation_code": code}), 200)["items"]
        assert [e["violation_code"] for e in listed] == [code]
    async with platform.api(w.token("zhang")) as c:
        assert (await c.put(f"{API}/discretion-table/{code}", json=SAMPLE)).status_code == 403
    async with platform.api(await platform.admin_token("hainan")) as c:
        assert expect(await c.get(f"{API}/discretion-table", params={"violation_code": code}), 200)["items"] == []

    doc = await heb.document(w, deadline=(today() - timedelta(days=2)).isoformat(), backdated=True)
    await escalate_document(platform.app("notices").state.mongo, "hebei", doc["id"], now=datetime.now(UTC))
    url = f"{API}/documents/{doc['id']}/escalation/penalty"
    async with platform.api(w.token("zhang")) as c:
        out = await c.put(url, json={"violation_code": code, "severity": "general", "penalty_amount": 60000})
        assert out.status_code == 422 and "penalty_amount" in out.text and "10000..50000" in out.text, out.text
        none = await c.put(url, json={"penalty_amount": 20000})
        assert none.status_code == 422 and "penalty_citation" in none.text, none.text
        done = expect(await c.put(url, json={"violation_code": code, "severity": "general",
                                             "penalty_amount": 20000}), 200)
        assert done["penalty"]["penalty_amount"] == 20000 and done["penalty"]["max_yuan"] == 50000
        assert (await c.put(url, json={"violation_code": code, "severity": "minor",
                                       "penalty_amount": 100})).status_code == 409
    async with platform.api(w.token("liu")) as c:  # the contractor is not the station side
        assert (await c.put(url, json={"violation_code": code, "severity": "general",
                                       "penalty_amount": 20000})).status_code in (403, 404)

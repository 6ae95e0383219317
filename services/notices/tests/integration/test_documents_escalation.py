"""Escalation of overdue enforcement documents (HN-07: 处罚建议书 / 不良行为记录) — exactly once,
even with several processes sweeping at once — and the tenant's numbering configuration."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from documents_testkit import API, DocKit, today

from anjian_local.scenario import expect
from anjian_local.subprocess_service import settings_env
from anjian_local.testing.fixtures import eventually
from notices.service_layer.escalation import escalate_document, escalation_loop, sweep


def past(days: int) -> str:
    return (today() - timedelta(days=days)).isoformat()


async def cli_sweep(kit: DocKit) -> tuple[int, str, str]:
    """``python -m notices.escalation`` in its own OS process against the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANJIAN_")}
    env.update(settings_env(kit.platform.infra.settings_overrides()))
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "notices.escalation", env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


async def escalations_of(kit: DocKit, document_id: str) -> list[dict[str, Any]]:
    return await kit.db["escalations"].find({"document_id": document_id}).to_list()


async def test_overdue_document_escalates_exactly_once_across_processes(docs: DocKit):
    w = docs.hn
    # due tomorrow while 刘洋 replies: the replica's own sweep (every 2 s) must not escalate it before
    # his reply is accepted; then its deadline is moved three days back, as if time had passed
    doc = await docs.document(w, deadline=past(-1), replier_user_ids=docs.ids(w, "liu", "zhao"))
    did = doc["id"]
    reply = expect(await docs.reply(w, "liu", did), 201)
    expect(await docs.review_reply(w, "zhang", did, reply["id"], True), 201)      # 刘洋 done, 赵敏 not
    await docs.db["documents"].update_one({"_id": did}, {"$set": {"deadline": past(3)}})

    more = [(await docs.document(w, deadline=past(1 + i), backdated=True))["id"] for i in range(5)]
    ours = [did, *more]

    mongo, settings = docs.mongo, docs.settings
    # two OS processes running the operator command and three sweeps of this (service) process at once
    first, second, *here = await asyncio.gather(cli_sweep(docs), cli_sweep(docs), sweep(mongo, settings),
                                                sweep(mongo, settings), sweep(mongo, settings))
    assert first[0] == 0 and second[0] == 0, (first[2][-2000:], second[2][-2000:])
    catch_up = await sweep(mongo, settings)       # a document whose every attempt lost a conflict: next sweep
    by_cli = [line for out in (first[1], second[1]) for line in out.splitlines() if any(d in line for d in ours)]
    by_service = [e for batch in [*here, catch_up] for e in batch if e.document_id in ours]
    assert len(by_cli) + len(by_service) <= len(ours)   # fewer only if the replica's own loop came first
    numbers = set()
    for document_id in ours:
        assert len(await escalations_of(docs, document_id)) == 1
        assert len(await docs.outbox("hainan", "notices.document.escalated.v1", document_id)) == 1
        numbers.add((await escalations_of(docs, document_id))[0]["number"])
    assert len(numbers) == len(ours)                 # every escalation its own number

    [stored] = await escalations_of(docs, did)
    assert stored["kind"] == "penalty_recommendation" and stored["missing_replier_ids"] == docs.ids(w, "zhao")
    assert re.fullmatch(rf"琼安监罚建〔{today().year}〕\d{{4}}号", stored["number"]), stored["number"]
    assert w.people["wang"].user_id in stored["station_leader_ids"]
    [event] = await docs.outbox("hainan", "notices.document.escalated.v1", did)
    assert event["data"]["escalation_number"] == stored["number"]
    assert event["data"]["issuer_user_id"] == w.people["zhang"].user_id
    assert w.people["wang"].user_id in event["data"]["station_leader_ids"]

    again = await cli_sweep(docs)                      # a rerun (cron, restart) adds nothing
    assert again[0] == 0 and again[1].strip().endswith("document(s)")
    assert not any(d in again[1] for d in ours)
    assert await escalate_document(mongo, "hainan", did, now=datetime.now(UTC)) is None
    assert len(await escalations_of(docs, did)) == 1
    assert len(await docs.outbox("hainan", "notices.document.escalated.v1", did)) == 1

    seen = await docs.read(w, "zhang", did)
    assert seen["escalated"] and seen["escalation"]["number"] == stored["number"]
    assert seen["escalation"]["kind_label"] == "处罚建议书"
    assert (await docs.read(w, "zhao", did))["escalation"] is None            # the replier sees the fact only
    got = expect(await docs.get(w, "wang", did, "/escalation"), 200)
    assert got["number"] == stored["number"] and got["missing_replier_ids"] == docs.ids(w, "zhao")
    assert (await docs.get(w, "zhao", did, "/escalation")).status_code == 403
    assert (await docs.get(w, "chen", did, "/escalation")).status_code == 404
    assert (await docs.get(docs.hb, "zhang", did, "/escalation")).status_code == 404
    for who in ("wang", "zhang"):                                              # station leader, issuer
        assert stored["_id"] in await docs.view(w, who, "/escalations")
    assert stored["_id"] not in await docs.view(w, "li", "/escalations")
    assert stored["_id"] not in await docs.view(docs.other, "wang", "/escalations")

    # 赵敏 replies late; once accepted the document closes but stays escalated
    late = expect(await docs.reply(w, "zhao", did, text="已整改（逾期）"), 201)
    expect(await docs.review_reply(w, "zhang", did, late["id"], True), 201)
    closed = await docs.read(w, "zhang", did)
    assert closed["status"] == "closed" and closed["escalated"] and closed["closed_after_escalation"]
    assert closed["escalation"]["id"] == stored["_id"]


async def test_a_closed_document_never_escalates(docs: DocKit):
    w = docs.hn
    doc = await docs.document(w, deadline=today().isoformat())
    reply = expect(await docs.reply(w, "liu", doc["id"]), 201)
    expect(await docs.review_reply(w, "zhang", doc["id"], reply["id"], True), 201)
    assert (await docs.read(w, "zhang", doc["id"]))["status"] == "closed"
    next_week = datetime.now(UTC) + timedelta(days=7)
    assert await escalate_document(docs.mongo, "hainan", doc["id"], now=next_week) is None
    assert await escalations_of(docs, doc["id"]) == []
    assert (await docs.get(w, "zhang", doc["id"], "/escalation")).json()["type"].endswith("/not-escalated")


async def test_the_deadline_day_itself_is_not_overdue(docs: DocKit):
    w = docs.hn
    doc = await docs.document(w, deadline=today().isoformat())
    now = datetime.now(UTC)
    assert await escalate_document(docs.mongo, "hainan", doc["id"], now=now) is None      # deadline is today
    tomorrow_beijing = now + timedelta(days=1)
    assert (await escalate_document(docs.mongo, "hainan", doc["id"], now=tomorrow_beijing)) is not None


async def test_the_services_own_loop_escalates_backdated_documents(docs: DocKit):
    w = docs.hn
    fast = docs.settings.model_copy(update={"escalation_interval_seconds": 0.2})
    app = SimpleNamespace(state=SimpleNamespace(settings=fast, mongo=docs.mongo))
    assert any(t.get_name() == "notices-escalation_loop" for t in asyncio.all_tasks())  # started by the app
    task = asyncio.create_task(escalation_loop(app))  # type: ignore[arg-type]
    try:
        doc = await docs.document(w, deadline=past(10), backdated=True)

        async def escalated() -> bool:
            return len(await escalations_of(docs, doc["id"])) == 1

        await eventually(escalated, timeout=30)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert (await docs.read(w, "zhang", doc["id"]))["escalated"]


# --- configuration ------------------------------------------------------------------------------

async def test_numbering_configuration_is_the_province_admins(docs: DocKit):
    admin = await docs.platform.admin_token("hainan")
    w = docs.hn
    async with docs.platform.api(admin) as c:
        default = expect(await c.get(f"{API}/document-config"), 200)
        assert default["source"] == "default" and default["abbr"] == "琼"
        assert default["example_numbers"]["rectification"] == "琼安监整〔2026〕0001号"
        assert default["example_numbers"]["penalty_recommendation"] == "琼安监罚建〔2026〕0001号"
        body = {k: default[k] for k in ("format", "abbr", "short_names", "escalation_kinds")}
        for change, field in (({"format": "{abbr}{type}{year}"}, "format"),
                              ({"format": "{abbr}{type}{year}{seq}{nope}"}, "format"),
                              ({"short_names": {**body["short_names"], "stop_work": "整"}}, "short_names"),
                              ({"escalation_kinds": {**body["escalation_kinds"], "stop_work": "fine"}},
                               "escalation_kinds")):
            r = await c.put(f"{API}/document-config", json={**body, **change})
            assert r.status_code == 422 and r.json()["field"].startswith(field), r.text
        for who in ("zhang", "wang", "liu"):
            async with docs.platform.api(w.token(who)) as other:
                assert (await other.get(f"{API}/document-config")).status_code == 403
                assert (await other.put(f"{API}/document-config", json=body)).status_code == 403
        custom = {**body, "format": "{abbr}建监{type}字〔{year}〕第{seq}号",
                  "short_names": {**body["short_names"], "stop_work": "停工"},
                  "escalation_kinds": {**body["escalation_kinds"], "stop_work": "bad_conduct_record"}}
        try:
            saved = expect(await c.put(f"{API}/document-config", json=custom), 200)
            assert saved["source"] == "tenant" and saved["updated_by"]
            assert saved["example_numbers"]["stop_work"] == "琼建监停工字〔2026〕第0001号"
            doc = await docs.document(w, document_type="stop_work", deadline=past(2), backdated=True)
            assert re.fullmatch(rf"琼建监停工字〔{today().year}〕第\d{{4}}号", doc["number"]), doc["number"]
            result = await escalate_document(docs.mongo, "hainan", doc["id"], now=datetime.now(UTC))
            if result is None:                          # the replica's loop was quicker: read what it made
                [stored] = await escalations_of(docs, doc["id"])
                kind, number = stored["kind"], stored["number"]
            else:
                kind, number = result.kind, result.number
            assert kind == "bad_conduct_record"
            assert re.fullmatch(rf"琼建监不良字〔{today().year}〕第\d{{4}}号", number), number
        finally:
            await docs.db["document_config"].delete_one({"_id": "hainan", "tenant_id": "hainan"})
        async with docs.platform.api(await docs.platform.admin_token("hubei")) as hubei:
            assert expect(await hubei.get(f"{API}/document-config"), 200)["abbr"] == "鄂"   # its own tenant's

"""``make demo``: the Hubei spot-check flow (HB-01..HB-09) over HTTP, as real users would,
then a JGJ 59-2011 safety check evaluation of the same project (``demo_jgj59``), the
Hainan mobile-supervision flow (``demo_hainan``, HN-03..HN-11), then Fujian's projects
from the province's platform, code sign-in and staff roles (``demo_fujian``, FJ-01..FJ-03),
then Hebei's crane registry and its locks (``demo_hebei``, HEB-01/06/07/11/14/15), then Hunan's
supervision agencies (``demo_hunan``, HUN-01..HUN-18: record, certificate change, training quota,
assessment, dynamic score, annual record PDF and province summary XLSX).

Two supervisors of a Wuhan station (张伟, responsible; 李娜) and the contractor's
project manager (刘洋): plan → confirm → on-site results with JPEG photos →
signature (PNG) and seal → submit: 限期整改 refused because a result is a 重大事故隐患,
停工整改 accepted → notice, listed on the station leader's 挂牌督办 register → reply →
review fails → new reply → review passes (the register entry closes) → the notice PDF is
downloaded and shared by link.

Around it a partner system follows the province's events (PLAT-03): the Hubei admin
registers a partner client, the partner (client credentials) subscribes a small local
webhook receiver to ``#``; the receiver verifies every delivery's Standard Webhooks
signature and acknowledges it; at the end the demo prints how many events arrived
and verified, then unsubscribes and disables the client (``partner_stream``).

``play_hubei`` is also what the end-to-end test runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from anjian_shared.settings import DEV_ADMIN_PASSWORD, SERVICE_PORTS

from .gatewayclient import RoutingTransport
from .media import seal_png, signature_png, site_photo
from .scenario import ApiFactory, World, build_world, expect, sign_in
from .webhooks import WebhookReceiver

Say = Callable[[str], None]


async def poll(fn: Callable[[], Awaitable[Any]], *, what: str, timeout: float = 30) -> Any:
    """Retry ``fn`` until it returns something truthy (events travel asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def play_hubei(api: ApiFactory, *, admin_password: str, out_dir: Path, say: Say = print) -> dict[str, Any]:
    """Play the whole HB flow; returns what happened (ids, number, PDF path, share URL)."""
    say("① 湖北省管理员登记监督站、参建单位和人员；张伟登记项目 (HB-01, projects)")
    world: World = await build_world(api, admin_password=admin_password)
    zhang, li, liu = world.people["zhang"], world.people["li"], world.people["liu"]
    say(f"   项目 {world.project['name']} ({world.project['code']})，"
        f"监督员 {zhang.name}、{li.name}，项目经理 {liu.name}")

    async with api(zhang.token) as zc, api(li.token) as lc, api(liu.token) as pc:
        say("② 张伟制定抽查计划 (HB-02)")

        async def create_plan() -> dict[str, Any] | None:
            r = await zc.post("/api/inspections/v1/plans", json={
                "title": "2026年11月光谷片区日常抽查", "project_ids": [world.project_id],
                "planned_date": time.strftime("%Y-%m-%d"),
                "supervisor_user_ids": [zhang.user_id, li.user_id], "responsible_supervisor_id": zhang.user_id})
            return r.json() if r.status_code == 201 else None

        plan = await poll(create_plan, what="inspections to learn the project")
        plan_id = plan["id"]
        say(f"   计划 {plan_id} 状态 {plan['status']}")

        say("③ 确认计划：李娜收到站内通知 (HB-03)")
        expect(await zc.post(f"/api/inspections/v1/plans/{plan_id}/confirm"), 200)

        async def li_notified() -> Any:
            items = expect(await lc.get("/api/reporting/v1/notifications"), 200)["items"]
            return [n for n in items if n.get("plan_id") == plan_id]

        note = (await poll(li_notified, what="李娜's notification"))[0]
        say(f"   李娜的通知：{note['title']}")

        say("④ 现场检查：两位监督员各加入检查清单，附现场照片 (HB-04)")
        catalog = expect(await zc.get("/api/inspections/v1/catalog/items", params={"q": "临边"}), 200)["items"]
        major = expect(await zc.get("/api/inspections/v1/catalog/items", params={"source": "major2024", "q": "防坠"}),
                       200)["items"]
        hazard_a = catalog[0]["code"] if catalog else "JGJ59-A.0.1-01"
        hazard_b = major[0]["code"] if major else "ZD2024-4.1"
        r1 = expect(await zc.post(f"/api/inspections/v1/plans/{plan_id}/results", data={
            "project_id": world.project_id, "building_name": "3#楼", "hazard_codes": [hazard_a],
            "finding": "3#楼第12层东侧临边防护栏杆缺失，未设置挡脚板。"},
            files=[("photos", ("site-1.jpg", site_photo(1), "image/jpeg")),
                   ("photos", ("site-2.jpg", site_photo(2), "image/jpeg"))]), 201)
        r2 = expect(await lc.post(f"/api/inspections/v1/plans/{plan_id}/results", data={
            "project_id": world.project_id, "building_name": "1#塔吊", "hazard_codes": [hazard_b],
            "finding": "1#塔式起重机起重力矩限制器失灵，仍在吊装作业。"},
            files=[("photos", ("crane.jpg", site_photo(3), "image/jpeg"))]), 201)
        say(f"   结果 {r1['building_name']}（{hazard_a}），{r2['building_name']}（{hazard_b}，"
            f"重大事故隐患={r2.get('major_hazard')}）")
        listed = expect(await lc.get(f"/api/inspections/v1/plans/{plan_id}/results"), 200)
        say(f"   清单共 {len(listed['items'])} 条 (HB-05/07)")

        say("⑤ 张伟签名、盖章并提交 (HB-06)：重大事故隐患只能停工整改")
        expect(await zc.put(f"/api/inspections/v1/plans/{plan_id}/signature",
                            files={"file": ("signature.png", signature_png(), "image/png")}), 200)
        expect(await zc.put(f"/api/inspections/v1/plans/{plan_id}/seal",
                            files={"file": ("seal.png", seal_png(), "image/png")}), 200)
        deadline_day = time.strftime("%Y-%m-%d", time.localtime(time.time() + 7 * 86400))
        body = {"disposition": "限期整改", "seal_required": True,
                "notice": {"title": "建设工程安全隐患整改告知书", "construction_stage": "主体结构施工",
                           "rectification_date": deadline_day}}
        weaker = await zc.post(f"/api/inspections/v1/plans/{plan_id}/submit", json=body)
        problem = expect(weaker, 422)
        assert problem["code"] == "major-hazard-requires-stop-work", problem
        say(f"   限期整改 被拒绝（{problem['title']}）：{problem['detail'][:60]}…")
        submitted = expect(await zc.post(f"/api/inspections/v1/plans/{plan_id}/submit",
                                         json={**body, "disposition": "停工整改"}), 200)
        say(f"   停工整改：计划状态 {submitted['status']}")

        say("⑥ 项目部收到告知书 (HB-08)")

        async def notice_for_liu() -> Any:
            items = expect(await pc.get("/api/notices/v1/notices"), 200)["items"]
            return next((n for n in items if n["plan_id"] == plan_id), None)

        notice = await poll(notice_for_liu, what="the notice")
        notice_id = notice["id"]
        say(f"   告知书 {notice['number']}，状态 {notice['status']}")

        async def register(status: str) -> Any:
            async with api(world.token("wang")) as wc:
                items = expect(await wc.get("/api/notices/v1/major-hazards", params={"status": status}),
                               200)["items"]
            return next((e for e in items if e["source_id"] == notice_id), None)

        listed = await poll(lambda: register("open"), what="the major-hazard register")
        say(f"   站长王强的挂牌督办：{listed['project_name']} {listed['measure_label']} "
            f"{', '.join(h['code'] for h in listed['hazards'])}，期限 {listed['deadline']}，逾期={listed['overdue']}")

        async def reply(text: str, seed: int) -> dict[str, Any]:
            """Returns the new reply round (the answer is the whole notice)."""
            updated = expect(await pc.post(f"/api/notices/v1/notices/{notice_id}/replies", data={"text": text},
                                           files=[("photos", ("fixed.jpg", site_photo(seed), "image/jpeg"))]), 201)
            return updated["replies"][-1]

        async def review(reply_id: str, passed: bool, comment: str) -> dict[str, Any]:
            return expect(await zc.post(f"/api/notices/v1/notices/{notice_id}/replies/{reply_id}/review",
                                        json={"passed": passed, "comment": comment}), 200)

        first = await reply("已对3#楼12层临边补设防护栏杆。", 10)
        say("   第1轮整改回复已提交")
        await review(first["id"], False, "塔吊力矩限制器未见整改，请补充维修记录和照片。")
        say("   第1轮审核：不通过")
        second = await reply("已补设临边防护；1#塔吊力矩限制器已更换并经检测合格，附检测报告照片。", 11)
        await review(second["id"], True, "整改到位，同意闭环。")
        final = expect(await zc.get(f"/api/notices/v1/notices/{notice_id}"), 200)
        say(f"   第2轮审核：通过；告知书状态 {final['status']}，共 {len(final.get('replies', []))} 轮")
        closed = await poll(lambda: register("closed"), what="the register entry closed")
        say(f"   挂牌督办已销号：{closed['status_label']}")

        say("⑦ 下载并分享告知书 PDF (HB-09)")

        async def pdf() -> bytes | None:
            r = await pc.get(f"/api/reporting/v1/notices/{notice_id}/document.pdf")
            return r.content if r.status_code == 200 else None

        content = await poll(pdf, what="the notice PDF")
        out_dir.mkdir(parents=True, exist_ok=True)
        pdf_path = out_dir / f"notice-{notice_id}.pdf"
        pdf_path.write_bytes(content)
        link = expect(await zc.post(f"/api/reporting/v1/notices/{notice_id}/share-links",
                                    json={"expires_in_minutes": 60}), 201)
        async with api() as anon:
            shared = await anon.get(httpx.URL(link["url"]).path)
            assert shared.status_code == 200 and shared.content.startswith(b"%PDF"), shared.text[:200]
        say(f"   PDF 已写入 {pdf_path}（{len(content)} 字节）")
        say(f"   分享链接（免登录，{link['expires_at']} 前有效）：{link['url']}")
    return {"world": world, "plan_id": plan_id, "notice_id": notice_id, "number": notice["number"],
            "pdf_path": pdf_path, "share_url": link["url"], "final_status": final["status"]}


@dataclass
class PartnerStream:
    """What the demo's partner got: the receiver and the subscription (PLAT-03)."""

    receiver: WebhookReceiver
    subscription: dict[str, Any]
    token: str
    expected: list[str] = field(default_factory=list)
    """Ids of the events the subscription had to deliver (from the replay API)."""

    @property
    def verified(self) -> int:
        return len(self.receiver.events)

    def counts(self) -> dict[str, int]:
        return dict(Counter(e.type for e in self.receiver.events.values()))

    async def wait_for(self, event_type: str, *, timeout: float = 60, **data: Any) -> None:
        """Wait until an event of ``event_type`` whose data has ``data`` arrived and verified
        (events reach the partner asynchronously, after the request that caused them)."""

        async def arrived() -> bool:
            return any(e.type == event_type and all(e.data.get(k) == v for k, v in data.items())
                       for e in self.receiver.events.values())

        await poll(arrived, what=f"the partner to receive {event_type}", timeout=timeout)


async def _replayed_ids(api: ApiFactory, stream: PartnerStream) -> list[str]:
    ids: list[str] = []
    cursor = None
    async with api(stream.token) as c:
        while True:
            params: dict[str, Any] = {"since": stream.subscription["created_at"], "limit": 100}
            if cursor:
                params["cursor"] = cursor
            page = expect(await c.get(f"/api/partners/v1/subscriptions/{stream.subscription['id']}/events",
                                      params=params), 200)
            ids += [e["id"] for e in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                return ids


@contextlib.asynccontextmanager
async def partner_stream(api: ApiFactory, *, admin_password: str, tenant: str = "hubei", say: Say = print,
                         timeout: float = 60) -> AsyncIterator[PartnerStream]:
    """A partner system following ``tenant``'s events on a local webhook receiver (PLAT-03).

    Before the body runs: the province admin registers a client, the partner gets a token
    (client credentials) and subscribes the receiver to ``#``. After it: waits until
    every event the replay API lists for the subscription was received and verified,
    says how many, then deletes the subscription and disables the client.
    """
    admin = await sign_in(api, tenant, "admin", admin_password)
    async with api(admin) as c:
        client = expect(await c.post("/api/identity/v1/clients", json={
            "name": "省住建大数据中心（演示合作方）", "scopes": ["events:read", "events:personal"]}), 201)
    async with api() as c:
        token = expect(await c.post("/api/identity/v1/oauth/token", data={
            "grant_type": "client_credentials", "client_id": client["client_id"],
            "client_secret": client["client_secret"]}), 200)["access_token"]
    receiver = WebhookReceiver()
    await receiver.start()
    try:
        async with api(token) as c:
            sub = expect(await c.post("/api/partners/v1/subscriptions", json={
                "kind": "webhook", "url": receiver.url, "event_types": ["#"]}), 201)
        receiver.secret = sub["secret"]
        say(f"⓪ 合作方 {client['client_id']} 以 Webhook 订阅本省全部事件 (PLAT-03)：{receiver.url}")
        stream = PartnerStream(receiver, sub, token)
        yield stream

        async def caught_up() -> bool:
            stream.expected = await _replayed_ids(api, stream)
            return bool(stream.expected) and set(stream.expected) <= set(receiver.events)

        await poll(caught_up, what="the partner to receive every event", timeout=timeout)
        counts = ", ".join(f"{t} ×{n}" for t, n in sorted(stream.counts().items()))
        say(f"⑧ 合作方收到并验证（Standard Webhooks 签名）{stream.verified} 个事件，"
            f"应收 {len(stream.expected)} 个，拒收 {receiver.rejected} 个：{counts}")
    finally:
        await receiver.stop()
        with contextlib.suppress(Exception):
            async with api(token) as c:
                await c.delete(f"/api/partners/v1/subscriptions/{sub['id']}")
        with contextlib.suppress(Exception):
            async with api(admin) as c:
                await c.delete(f"/api/identity/v1/clients/{client['client_id']}")


async def run_demo(api: ApiFactory, *, admin_password: str, out_dir: Path, say: Say = print,
                   ws_base: str | None = None) -> dict[str, Any]:
    """``make demo``: the Hubei flow followed by a partner over signed webhooks, then the
    Hainan flow (``demo_hainan.play_hainan``) with its escalation, then two of its users chatting
    in the project's conversation (``demo_conversations``, HN-12; ``ws_base``: where the live
    WebSocket channel is reached — the gateway, or the conversations service's port), then Fujian's
    projects, code sign-in and staff roles (``demo_fujian.play_fujian``) and a self-inspection on
    them (``demo_fujian_inspection.play_fujian_inspection``), then Hebei's crane registry and its
    locks (``demo_hebei.play_hebei``), then Hunan's agencies (``demo_hunan.play_hunan``)."""
    from .demo_conversations import play_conversation
    from .demo_fujian import play_fujian  # imports this module's helpers
    from .demo_fujian_inspection import play_fujian_inspection
    from .demo_hainan import play_hainan
    from .demo_hebei import play_hebei
    from .demo_hunan import play_hunan
    from .demo_jgj59 import play_jgj59

    async with partner_stream(api, admin_password=admin_password, say=say) as stream:
        result = await play_hubei(api, admin_password=admin_password, out_dir=out_dir, say=say)
        await stream.wait_for("notices.notice.closed.v1", notice_id=result["notice_id"])
    jgj59 = await play_jgj59(api, result["world"], out_dir=out_dir, say=say)
    hainan = await play_hainan(api, admin_password=admin_password, out_dir=out_dir, say=say)
    if ws_base is not None:
        hainan["conversation"] = await play_conversation(api, hainan["world"], ws_base=ws_base, say=say)
    fujian = await play_fujian(api, admin_password=admin_password, say=say)
    fujian["inspection"] = await play_fujian_inspection(api, admin_password=admin_password, fujian=fujian, say=say)
    hebei = await play_hebei(api, admin_password=admin_password, out_dir=out_dir, say=say)
    hunan = await play_hunan(api, admin_password=admin_password, out_dir=out_dir, say=say, with_todos=True)
    return {**result, "partner_events_verified": stream.verified, "partner_events_expected": len(stream.expected),
            "hainan": hainan, "jgj59": jgj59, "fujian": fujian, "hebei": hebei, "hunan": hunan}


def _api_factory(base: str | None) -> ApiFactory:
    def api(token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if base:
            return httpx.AsyncClient(base_url=base, headers=headers, timeout=60)
        urls = {n: f"http://127.0.0.1:{p}" for n, p in SERVICE_PORTS.items()}
        return httpx.AsyncClient(base_url="http://127.0.0.1", headers=headers, timeout=60,
                                 transport=RoutingTransport(urls))
    return api


def main() -> None:
    base = os.environ.get("ANJIAN_BASE_URL", "http://127.0.0.1:8100")
    try:
        httpx.get(f"{base}/api/identity/v1/tenants", timeout=3).raise_for_status()
    except httpx.HTTPError:
        try:
            httpx.get(f"http://127.0.0.1:{SERVICE_PORTS['identity']}/readyz", timeout=3).raise_for_status()
        except httpx.HTTPError:
            sys.exit("The platform is not running: start it with `make run` in another terminal.")
        base = None  # no gateway: talk to each service's port
    out_dir = Path(os.environ.get("ANJIAN_DEMO_OUT", "demo-output")).resolve()
    password = os.environ.get("ANJIAN_BOOTSTRAP_ADMIN_PASSWORD", DEV_ADMIN_PASSWORD)
    ws_base = base or f"http://127.0.0.1:{SERVICE_PORTS['conversations']}"
    result = asyncio.run(run_demo(_api_factory(base), admin_password=password, out_dir=out_dir,
                                  say=lambda s: print(s, flush=True), ws_base=ws_base))
    print(json.dumps({"notice": result["number"], "status": result["final_status"],
                      "pdf": str(result["pdf_path"]), "share_url": result["share_url"],
                      "partner_events_verified": result["partner_events_verified"],
                      "jgj59": {"total": result["jgj59"]["total"], "grade": result["jgj59"]["grade_label"],
                                "pdf": str(result["jgj59"]["pdf_path"])},
                      "hainan": {"document": result["hainan"]["document_number"],
                                 "document_status": result["hainan"]["document_status"],
                                 "escalation": result["hainan"]["escalation"]["number"],
                                 "xlsx": str(result["hainan"]["xlsx_path"]),
                                 "conversation": result["hainan"].get("conversation")},
                      "fujian": {"projects": list(result["fujian"]["projects"]),
                                 "refused_sign_in": result["fujian"]["refused_sign_in"]["code"],
                                 "illegal_role": result["fujian"]["illegal_role"]["code"]},
                      "hebei": {"filing": result["hebei"]["filing_number"],
                                "registration": result["hebei"]["registration_number"],
                                "sign_pdf": str(result["hebei"]["sign_path"]),
                                "registry_xlsx": str(result["hebei"]["xlsx_path"])},
                      "hunan": {"certificate_change": result["hunan"]["certificate_application"]["stage"],
                                "refused": list(result["hunan"]["refusals"]),
                                "annual_record_pdf": str(result["hunan"]["record_pdf_path"]),
                                "province_summary_xlsx": str(result["hunan"]["summary_xlsx_path"])}},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()

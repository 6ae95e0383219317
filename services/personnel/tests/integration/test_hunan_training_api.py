"""HUN-13..HUN-15 over HTTP on the real servers (identity + personnel): the province office
opens sessions and gives seats, a county agency registers its staff, concurrent registrations
and assignments never take more seats than the quota or the capacity (exactly that many
succeed), review, result and deletion rules answer RFC 9457 problems naming the field."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from hunan_testkit import hunan_world

from anjian_local.scenario import expect
from anjian_local.testing.fixtures import Platform, eventually
from anjian_shared.testing.media import image_bytes

T = "hunan"
API = "/api/personnel/v1"
PERSONAL = {"id_number": "430102198804120012", "mobile": "13800000000"}


async def _world(platform: Platform) -> dict[str, Any]:
    return await hunan_world(platform)


async def _staff(platform: Platform, c: Any, agency: str, n: int, *certificates: str) -> list[str]:
    """``n`` staff of the agency; certificates are written straight to the record (issuing them
    is the certificate work of HUN-09..12)."""
    ids = []
    for i in range(n):
        async def add(i: int = i) -> dict[str, Any]:  # 404 until identity's organisation event has arrived
            return expect(await c.post(f"{API}/agencies/{agency}/staff", json={
                "name": f"员{i:02d}", "gender": "male", "birth_date": "1988-04-12", "post": "supervisor",
                "education": "bachelor", "title": "intermediate"}), 201)
        ids.append((await eventually(add, timeout=30))["id"])
    if certificates:
        repo = platform.app("personnel").state.mongo.repo("agency_staff", T)
        for sid in ids:
            await repo.update({"_id": sid}, {"$set": {"certificates": list(certificates)}})
    return ids


async def test_hun14_hun15_concurrent_continuing_registrations_take_exactly_the_agencys_seats(platform: Platform):
    """HUN-14/15: the office gives the agency 2 seats of a 3-seat session; five registrations
    fired at once: exactly 2 succeed, 3 are 409 training-quota-exhausted naming session_id;
    deletion of an unreviewed own registration gives its seat back; others may not delete."""
    w = await _world(platform)
    start = date.today() + timedelta(days=30)
    async with platform.api(w["furong"]) as c:
        staff = await _staff(platform, c, w["furong_org"], 5, "safety")
    async with platform.api(w["office"]) as office:
        session = expect(await office.post(f"{API}/training-sessions", json={
            "kind": "continuing", "title": "2027 年第一期继续教育", "starts_on": start.isoformat(),
            "ends_on": (start + timedelta(days=2)).isoformat(), "capacity": 3}), 201)
        sid = session["id"]
        over = await office.put(f"{API}/training-sessions/{sid}/quotas/{w['furong_org']}", json={"seats": 4})
        assert over.status_code == 409 and over.json()["code"] == "quota-exceeds-capacity"
        expect(await office.put(f"{API}/training-sessions/{sid}/quotas/{w['furong_org']}", json={"seats": 2}), 200)
    async with platform.api(w["yuelu"]) as other:
        refused = await other.put(f"{API}/training-sessions/{sid}/quotas/{w['yuelu_org']}", json={"seats": 1})
        assert refused.status_code == 403 and refused.json()["code"] == "not-province-office"
    async with platform.api(w["furong"]) as c:
        racing = await asyncio.gather(*(c.post(f"{API}/training-registrations", json={
            "kind": "continuing", "staff_id": s, "session_id": sid, "personal": PERSONAL}) for s in staff))
        codes = sorted(r.status_code for r in racing)
        assert codes == [201, 201, 409, 409, 409], [r.text for r in racing]
        for r in racing:
            if r.status_code == 409:
                assert r.json()["code"] == "training-quota-exhausted" and r.json()["field"] == "session_id"
        detail = expect(await c.get(f"{API}/training-sessions/{sid}"), 200)
        assert detail["taken"] == 2 and [(q["seats"], q["used"]) for q in detail["quotas"]] == [(2, 2)]
        first = next(r.json() for r in racing if r.status_code == 201)
        missing = await c.post(f"{API}/training-registrations", json={
            "kind": "continuing", "staff_id": staff[0], "session_id": sid, "personal": {"id_number": "1"}})
        assert missing.status_code == 422
    async with platform.api(w["yuelu"]) as other:
        gone = await other.delete(f"{API}/training-registrations/{first['id']}")
        assert gone.status_code == 404
    async with platform.api(w["furong"]) as c:
        expect(await c.delete(f"{API}/training-registrations/{first['id']}"), 204)
        assert expect(await c.get(f"{API}/training-sessions/{sid}"), 200)["taken"] == 1


async def test_hun13_hun15_concurrent_assignments_never_exceed_capacity_then_review_and_result(platform: Platform):
    """HUN-13/15: six new-staff registrants assigned at once to a 3-seat session: exactly 3
    succeed (409 training-session-full for the rest); the office approves one and records a
    pass, which goes on the staff record's training history; a reviewed one cannot be deleted."""
    w = await _world(platform)
    start = date.today() + timedelta(days=30)
    async with platform.api(w["furong"]) as c:
        staff = await _staff(platform, c, w["furong_org"], 6)
        regs = [expect(await c.post(f"{API}/training-registrations", json={
            "kind": "new_staff", "staff_id": s, "personal": PERSONAL}), 201) for s in staff]
        assert all(r["session_id"] is None and r["status"] == "submitted" for r in regs)
    async with platform.api(w["office"]) as office:
        sid = expect(await office.post(f"{API}/training-sessions", json={
            "kind": "new_staff", "title": "2027 新进人员培训", "starts_on": start.isoformat(),
            "ends_on": (start + timedelta(days=5)).isoformat(), "capacity": 3}), 201)["id"]
        racing = await asyncio.gather(*(office.put(f"{API}/training-registrations/{r['id']}/session",
                                                   json={"session_id": sid}) for r in regs))
        assert sorted(r.status_code for r in racing) == [200, 200, 200, 409, 409, 409], [r.text for r in racing]
        assert {r.json()["code"] for r in racing if r.status_code == 409} == {"training-session-full"}
        session = expect(await office.get(f"{API}/training-sessions/{sid}"), 200)
        assert (session["taken"], session["free"]) == (3, 0)
        assigned = next(r.json() for r in racing if r.status_code == 200)
        rid = assigned["id"]
        no_reason = await office.post(f"{API}/training-registrations/{rid}/review", json={"decision": "reject"})
        assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
        expect(await office.post(f"{API}/training-registrations/{rid}/review", json={"decision": "approve"}), 200)
        done = expect(await office.put(f"{API}/training-registrations/{rid}/result", json={"score": 88}), 200)
        assert done["result"]["passed"] is True
        again = await office.put(f"{API}/training-registrations/{rid}/result", json={"score": 90})
        assert again.status_code == 409 and again.json()["code"] == "result-recorded"
    photo = ("me.png", image_bytes("PNG"), "image/png")
    taken = {r.json()["id"] for r in racing if r.status_code == 200}
    unassigned = next(r for r in regs if r["id"] not in taken)  # still unreviewed: photos may be added
    async with platform.api(w["yuelu"]) as other:
        hidden = await other.post(f"{API}/training-registrations/{unassigned['id']}/photos",
                                  files=[("photos", photo)])
        assert hidden.status_code == 404, hidden.text
    async with platform.api(w["furong"]) as c:
        with_photo = expect(await c.post(f"{API}/training-registrations/{unassigned['id']}/photos",
                                         files=[("photos", photo)]), 200)
        assert len(with_photo["photos"]) == 1
        reviewed = await c.delete(f"{API}/training-registrations/{rid}")
        assert reviewed.status_code == 409 and reviewed.json()["code"] == "registration-reviewed"
        self_review = await c.post(f"{API}/training-registrations/{rid}/review", json={"decision": "approve"})
        assert self_review.status_code == 403
    staff_doc = await platform.app("personnel").state.mongo.repo("agency_staff", T).get(assigned["staff_id"])
    assert [(h["kind"], h["score"]) for h in staff_doc["training_history"]] == [("new_staff", 88)]

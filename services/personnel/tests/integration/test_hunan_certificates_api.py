"""HUN-09..HUN-12 over HTTP on the real servers (identity + personnel, S3): a county agency's
leader completes a supervisor's record and enters the certificate with its photo, applies for a
change that the province office returns, resubmits, and the office approves — the certificate
changes and the event is published; deletion is refused once accepted, and by anyone else."""

from __future__ import annotations

import asyncio
from typing import Any

from hunan_testkit import hunan_world

from anjian_local.scenario import expect
from anjian_local.testing.fixtures import Platform, eventually
from anjian_shared.testing.media import image_bytes

T = "hunan"
AGENCIES = "/api/personnel/v1/agencies"
APPS = "/api/personnel/v1/certificate-applications"


async def _world(platform: Platform) -> dict[str, Any]:
    return await hunan_world(platform)


def _png(name: str = "cert.png") -> dict[str, Any]:
    return {"photo": (name, image_bytes("PNG"), "image/png")}


async def test_hun09_to_hun12_certificate_change_returned_resubmitted_approved(platform: Platform):
    """HUN-09, HUN-10, HUN-11, HUN-12 over HTTP."""
    w = await _world(platform)
    base = f"{AGENCIES}/{w['furong_org']}"
    async with platform.api(w["furong"]) as c:
        async def add() -> dict[str, Any]:  # 404 until identity's organisation event has arrived
            return expect(await c.post(f"{base}/staff", json={
                "name": "李明", "gender": "male", "birth_date": "1988-04-12", "post": "supervisor",
                "education": "bachelor", "title": "intermediate"}), 201)
        staff = await eventually(add, timeout=30)
        record_url = f"{base}/staff/{staff['id']}/record"
        record = expect(await c.get(record_url), 200)
        assert record["missing"] == ["mobile"]
        incomplete = await c.put(record_url, json={"name": "李明", "gender": "male"})
        assert incomplete.status_code == 422 and "birth_date" in incomplete.text
        done = expect(await c.put(record_url, json={
            "name": "李明", "gender": "male", "birth_date": "1988-04-12", "post": "supervisor",
            "education": "bachelor", "title": "intermediate", "mobile": "13800000002"}), 200)
        assert done["missing"] == []

        cert_form = {"kind": "safety", "number": "湘安监2021-0042", "issued_on": "2021-05-01",
                     "valid_until": "2026-04-30"}
        not_photo = await c.post(f"{base}/staff/{staff['id']}/certificates", data=cert_form,
                                 files={"photo": ("cert.png", b"<html>not an image</html>", "image/png")})
        assert not_photo.status_code == 415 and not_photo.json()["field"] == "photo"
        held = expect(await c.post(f"{base}/staff/{staff['id']}/certificates", data=cert_form, files=_png()), 201)
        cert = held["certificates"][0]
        assert cert["photo"]["url"] and cert["status"] == "valid"
        listed = expect(await c.get(f"{base}/staff"), 200)["items"]  # HUN-05's list shows the certificate too
        assert listed[0]["certificates"][0]["number"] == "湘安监2021-0042"
        twice = await c.post(f"{base}/staff/{staff['id']}/certificates", data=cert_form, files=_png())
        assert twice.status_code == 409 and twice.json()["code"] == "certificate-kind-held"

        no_number = await c.post(APPS, data={"kind": "cert_change", "staff_id": staff["id"],
                                             "certificate_id": cert["id"], "change_types": ["number"]}, files=_png())
        assert no_number.status_code == 422 and no_number.json()["field"] == "new_number"
        app = expect(await c.post(APPS, data={
            "kind": "cert_change", "staff_id": staff["id"], "certificate_id": cert["id"],
            "change_types": ["number"], "new_number": "湘安监2026-0188"}, files=_png("new.png")), 201)
        assert app["stage"] == "draft"
        submit = {"authority_org_id": w["office_org"]}
        expect(await c.post(f"{APPS}/{app['id']}/submit", json=submit), 200)

    async with platform.api(w["yuelu"]) as other:
        assert (await other.get(f"{APPS}/{app['id']}")).status_code == 404
        assert (await other.delete(f"{APPS}/{app['id']}")).status_code == 404
    async with platform.api(w["office"]) as office:
        inbox = expect(await office.get(APPS, params={"box": "inbox"}), 200)
        assert app["id"] in [a["id"] for a in inbox]
        no_reason = await office.post(f"{APPS}/{app['id']}/decision", json={"action": "return"})
        assert no_reason.status_code == 422 and no_reason.json()["field"] == "comment"
        expect(await office.post(f"{APPS}/{app['id']}/decision", json={"action": "return", "comment": "照片不清晰"}),
               200)
    async with platform.api(w["furong"]) as c:
        expect(await c.post(f"{APPS}/{app['id']}/submit", json={**submit, "comment": "已重拍"}), 200)
    async with platform.api(w["office"]) as office:
        expect(await office.post(f"{APPS}/{app['id']}/decision", json={"action": "accept"}), 200)
    async with platform.api(w["furong"]) as c:
        busy = await c.delete(f"{APPS}/{app['id']}")
        assert busy.status_code == 409 and busy.json()["code"] == "application-not-deletable"
    async with platform.api(w["office"]) as office:
        racing = await asyncio.gather(*(office.post(f"{APPS}/{app['id']}/decision", json={"action": "approve"})
                                        for _ in range(3)))
        assert sorted(r.status_code for r in racing) == [200, 409, 409], "approved exactly once"
    async with platform.api(w["furong"]) as c:
        after = expect(await c.get(record_url), 200)
        assert after["certificates"][0]["number"] == "湘安监2026-0188"
        assert after["certificates"][0]["photo"]["key"] != cert["photo"]["key"]
        revisions_event = [e async for e in _events(platform, staff["id"])]
        assert [e["data"]["number"] for e in revisions_event] == ["湘安监2026-0188"]

        cancel = expect(await c.post(APPS, data={
            "kind": "cert_cancellation", "staff_id": staff["id"], "certificate_id": cert["id"],
            "category": "retired", "reason": "退休"}), 201)
        expect(await c.post(f"{APPS}/{cancel['id']}/submit", json=submit), 200)
        assert (await c.delete(f"{APPS}/{cancel['id']}")).status_code == 204, "未受理: deletable"
        reissue_no_photo = await c.post(APPS, data={"kind": "cert_reissue", "staff_id": staff["id"],
                                                    "certificate_id": cert["id"], "reason": "lost"})
        assert reissue_no_photo.status_code == 422 and reissue_no_photo.json()["field"] == "photo"


async def _events(platform: Platform, staff_id: str):  # type: ignore[no-untyped-def]
    """The certificate-changed events of ``staff_id`` in personnel's outbox."""
    outbox = platform.app("personnel").state.mongo.db["outbox"]
    rows = await outbox.find({"type": "personnel.supervisor_certificate.changed.v1",
                              "event.data.staff_id": staff_id}).to_list(None)
    for row in rows:
        yield row["event"]

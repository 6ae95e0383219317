"""HEB-06/07/11/14/17 over HTTP on the real servers: every refusal of the crane registry answers
an RFC 9457 problem naming its field, and the allowed path next to it (the Shijiazhuang world of
``make demo``: real projects, real people, the authority answered from GB/T 2260 codes)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pytest

from anjian_local.demo_hebei import (
    CERTIFICATES,
    approve,
    build_hebei,
    draft,
    settled,
    submit,
    tower_crane,
)
from anjian_local.scenario import PASSWORD, expect
from anjian_local.testing.fixtures import Platform
from anjian_shared.types import utcnow

EQ = "/api/equipment/v1"


@pytest.fixture
async def heb(platform: Platform) -> dict[str, Any]:
    world, extra = await build_hebei(platform.api, admin_password=platform.admin_password)
    return {**extra, "world": world, "zhang": world.token("zhang"), "liu": world.token("liu"),
            "project_a": world.project_id}


def problem(r: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code, r.text
    if field is not None:
        assert body.get("field") == field or field in {e["field"] for e in body.get("errors", [])}, r.text
    return body


async def test_heb06_filing_refusals_and_authority_from_codes(platform: Platform, heb):
    """HEB-06 missing certificate (422 naming ``attachments``), a named authority that is not
    the one of the owner's division (422 ``wrong-authority``), an installer filing (403), a
    duplicate maker + factory number (409), a banned model (409); the allowed filing goes to the
    district's station without naming it."""
    factory = f"HTTP-{secrets.token_hex(3)}"
    async with platform.api(heb["lease"]) as c:
        app_id = await draft(c, "filing", tower_crane(factory), CERTIFICATES[:2])
        station = heb["world"].station_id
        problem(await submit(c, app_id, station), 422, "certificates-missing", "attachments")
        expect(await c.post(f"{EQ}/applications/{app_id}/attachments", params={"slot": CERTIFICATES[2]},
                            files={"file": ("c.pdf", b"%PDF-1.4\n", "application/pdf")}), 201)
        r = await c.post(f"{EQ}/applications/{app_id}/submission", json={"authority_org_id": heb["world"].owner_id})
        problem(r, 422, "wrong-authority", "authority_org_id")
        done = expect(await submit(c, app_id, station), 200)
        assert done["authority_org_id"] == station
        twin = await draft(c, "filing", tower_crane(factory), CERTIFICATES)
        problem(await submit(c, twin, station), 409, "machine-already-filed")
    async with platform.api(heb["inst1"]) as c:
        problem(await c.post(f"{EQ}/applications", json={"kind": "filing", "form": tower_crane("X")}), 403,
                "company-role-required")
    async with platform.api(heb["admin"]) as c:
        expect(await c.post(f"{EQ}/banned-models", json={"model": f"QTZ40-{factory}", "reason": "淘汰"}), 201)
    async with platform.api(heb["lease"]) as c:
        banned = await draft(c, "filing", {**tower_crane(f"{factory}-b"), "model": f"QTZ40-{factory}"}, CERTIFICATES)
        problem(await submit(c, banned, station), 409, "model-banned", "form.model")


async def test_heb17_attachment_over_600kb_refused_naming_the_limit(platform: Platform, heb):
    """HEB-17 Hebei's attachment limit is 600 KB: 413 ``attachment-too-large`` asking to split."""
    async with platform.api(heb["lease"]) as c:
        app = expect(await settled(lambda: c.post(f"{EQ}/applications", json={
            "kind": "filing", "form": tower_crane(f"BIG-{secrets.token_hex(3)}")})), 201)
        big = b"%PDF-1.4\n" + b"0" * (600 * 1024 + 1)
        r = await c.post(f"{EQ}/applications/{app['id']}/attachments", params={"slot": CERTIFICATES[0]},
                         files={"file": ("big.pdf", big, "application/pdf")})
        body = problem(r, 413, "attachment-too-large", "file")
        assert "600 KB" in body["detail"]


async def _filed(platform: Platform, heb: dict[str, Any]) -> str:
    async with platform.api(heb["lease"]) as c:
        app_id = await draft(c, "filing", tower_crane(f"M-{secrets.token_hex(4)}"), CERTIFICATES)
        expect(await submit(c, app_id, heb["world"].station_id), 200)
    async with platform.api(heb["zhang"]) as c:
        return str((await approve(c, app_id))["machine_id"])


async def test_heb14_heb07_refusals_naming_project_and_operator(platform: Platform, heb):
    """HEB-14 an unknown project (409 ``project-not-yet-known`` + Retry-After naming
    ``form.project_id``), a machine not installed (409); HEB-07/11 an expired driver's
    certificate (422 ``certificate-expired`` naming the operator), more than 30 days after
    acceptance (422); the allowed registration gets a sign whose public page needs no sign-in;
    another company does not see it (404); an unknown token is 404."""
    machine = await _filed(platform, heb)
    today = utcnow().date()
    window = {"start_date": today.isoformat(), "end_date": (today + timedelta(days=1)).isoformat()}
    async with platform.api(heb["inst1"]) as c:
        r = await c.post(f"{EQ}/applications", json={"kind": "installation", "form": {
            "machine_id": machine, "project_id": "no-such-project", **window}})
        problem(r, 409, "project-not-yet-known", "form.project_id")
        assert r.headers.get("Retry-After")
    async with platform.api(heb["con_admin"]) as c:
        expired = expect(await c.post("/api/personnel/v1/people", json={
            "name": "赵某", "category": "crane_driver", "certificate_number": f"冀A{secrets.token_hex(4)}",
            "issued_on": (today - timedelta(days=3 * 365)).isoformat()}), 201)
    wang = heb["drivers"]["王某"]

    def registration(person: dict[str, Any], accepted_days_ago: int = 1) -> dict[str, Any]:
        return {"machine_id": machine, "project_id": heb["project_a"],
                "acceptance_date": (today - timedelta(days=accepted_days_ago)).isoformat(),
                "operators": [{"person_id": person["id"], "name": person["name"], "role": "driver",
                               "certificate_number": person["certificate_number"]}]}

    async with platform.api(heb["liu"]) as c:
        not_installed = await draft(c, "use_registration", registration(wang), ("acceptance_record",))
        problem(await submit(c, not_installed), 409, "machine-not-installed", "form.machine_id")
    async with platform.api(heb["inst1"]) as c:
        expect(await submit(c, await draft(c, "installation", {"machine_id": machine,
                                                               "project_id": heb["project_a"], **window},
                                           ("special_plan",))), 200)
    async with platform.api(heb["liu"]) as c:
        r = await settled(lambda: c.post(f"{EQ}/applications", json={"kind": "use_registration",
                                                                     "form": registration(expired)}))
        problem(r, 422, "certificate-expired", "form.operators.0.person_id")
        late = await draft(c, "use_registration", registration(wang, 31), ("acceptance_record",))
        problem(await submit(c, late), 422, "registration-window-passed", "form.acceptance_date")
        expect(await c.put(f"{EQ}/applications/{late}/form", json={"form": registration(wang)}), 200)
        expect(await submit(c, late), 200)
    async with platform.api(heb["zhang"]) as c:
        registered = await approve(c, late)
    async with platform.api(heb["liu"]) as c:
        sign = await c.get(f"{EQ}/applications/{late}/sign.pdf")
        assert sign.status_code == 200 and sign.content.startswith(b"%PDF")
    async with platform.api(heb["inst2"]) as c:
        problem(await c.get(f"{EQ}/applications/{late}/sign.pdf"), 404, "application-not-found")
    async with platform.api() as c:  # no sign-in
        public = expect(await c.get(f"{EQ}/public/signs/{registered['sign_token']}"), 200)
        assert public["status"] == "valid" and public["registration_number"] == registered["number"]
        assert "operators" not in public
        problem(await c.get(f"{EQ}/public/signs/hebei.{secrets.token_urlsafe(24)}"), 404, "sign-not-found")


async def test_heb07_unlock_only_in_the_jurisdiction(platform: Platform, heb):
    """HEB-07 another city's authority (唐山, 130200) may not unlock an operator registered with
    Shijiazhuang's station (403 ``outside-jurisdiction``); the station does, with a reason."""
    machine = await _filed(platform, heb)
    today = utcnow().date()
    async with platform.api(heb["inst1"]) as c:
        expect(await submit(c, await draft(c, "installation", {
            "machine_id": machine, "project_id": heb["project_a"], "start_date": today.isoformat(),
            "end_date": today.isoformat()}, ("special_plan",))), 200)
    li = heb["drivers"]["李某"]
    async with platform.api(heb["liu"]) as c:
        expect(await submit(c, await draft(c, "use_registration", {
            "machine_id": machine, "project_id": heb["project_a"], "acceptance_date": today.isoformat(),
            "operators": [{"person_id": li["id"], "name": li["name"], "role": "driver",
                           "certificate_number": li["certificate_number"]}]}, ("acceptance_record",))), 200)
    sfx = secrets.token_hex(3)
    async with platform.api(heb["admin"]) as c:
        tangshan = expect(await c.post("/api/identity/v1/organizations", json={
            "name": f"唐山市住房和城乡建设局{sfx}", "kind": "authority", "division_code": "130200"}), 201)["id"]
        expect(await c.post("/api/identity/v1/users", json={
            "org_id": tangshan, "username": f"ts.{sfx}", "display_name": "唐山监督员", "password": PASSWORD,
            "roles": ["supervisor"]}), 201)
    ts = await platform.sign_in("hebei", f"ts.{sfx}", PASSWORD)
    async with platform.api(ts) as c:
        r = await settled(lambda: c.request("DELETE", f"{EQ}/operator-locks/{li['id']}", json={"reason": "调离"}))
        problem(r, 403, "outside-jurisdiction")
    async with platform.api(heb["zhang"]) as c:
        problem(await c.request("DELETE", f"{EQ}/operator-locks/{li['id']}", json={"reason": " "}), 422,
                "validation-error", "reason")
        expect(await c.request("DELETE", f"{EQ}/operator-locks/{li['id']}", json={"reason": "调离本工程"}), 200)


async def test_heb11_people_paginated_and_other_company_404(platform: Platform, heb):
    """HEB-11 the company's people page with ``next_cursor``; another company's person is 404;
    an expired certificate cannot be picked (422 ``certificate-expired``)."""
    async with platform.api(heb["con_admin"]) as c:
        first = expect(await c.get("/api/personnel/v1/people", params={"limit": 1}), 200)
        assert len(first["items"]) == 1 and first["next_cursor"]
        rest = expect(await c.get("/api/personnel/v1/people", params={"limit": 1, "cursor": first["next_cursor"]}),
                      200)
        assert rest["items"][0]["id"] != first["items"][0]["id"]
        problem(await c.get("/api/personnel/v1/people", params={"cursor": "broken"}), 422, "validation-error", "cursor")
    async with platform.api(heb["inst1"]) as c:
        wang = heb["drivers"]["王某"]
        r = await c.post(f"/api/personnel/v1/people/{wang['id']}/pick-check", json={})
        assert r.status_code == 404, r.text


async def test_heb06_registry_paginated_and_exported(platform: Platform, heb):
    """HEB-06 ``GET /machines`` pages (``next_cursor``); the XLSX export answers for the station."""
    for _ in range(2):
        await _filed(platform, heb)
    async with platform.api(heb["lease"]) as c:
        first = expect(await c.get(f"{EQ}/machines", params={"limit": 1}), 200)
        assert len(first["items"]) == 1 and first["next_cursor"]
        rest = expect(await c.get(f"{EQ}/machines", params={"limit": 5, "cursor": first["next_cursor"]}), 200)
        assert len(rest["items"]) == 1 and rest["next_cursor"] is None
        assert {m["owner_org_id"] for m in first["items"] + rest["items"]} == {heb["lease_org"]}
    async with platform.api(heb["zhang"]) as c:
        xlsx = await c.get(f"{EQ}/machines.xlsx")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

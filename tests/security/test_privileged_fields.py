"""S2: privileged fields sent by a client are refused (422) or ignored, and no response
carries password hashes, keys, secrets, refresh-token hashes or another tenant's data.

"Privileged" = what the server decides: status, tenant, organisation, author/reviewer,
timestamps, ids, computed flags. JSON bodies are strict (``extra="forbid"`` → 422 naming
the field); multipart forms ignore unknown fields, so there the test checks that the
stored record carries the server's values, not the client's.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Any

from anjian_local.media import site_photo
from anjian_local.scenario import expect

FORGED = {"tenant": "hainan", "tenant_id": "hainan", "id": "f" * 32, "_id": "f" * 32,
          "created_at": "2020-01-01T00:00:00Z", "status": "closed"}


def refused_naming(r: Any, *names: str) -> bool:
    if r.status_code != 422:
        return False
    fields = {e["field"] for e in r.json().get("errors", [])} | {r.json().get("field")}
    return any(any(n == f or f.endswith("." + n) for f in fields if f) for n in names)


async def test_privileged_fields_are_refused_or_ignored(platform, played, report):
    w, ids = played.hubei, played.ids
    zhang, li, liu = w.people["zhang"], w.people["li"], w.people["liu"]
    api = played.recorder.factory(platform, "hubei")
    rows: list[str] = []

    def row(what: str, outcome: str) -> None:
        rows.append(f"{what:<58} {outcome}")

    async with api(played.admin_token) as admin, api(zhang.token) as zc:
        # identity
        r = await admin.post("/api/identity/v1/organizations", json={"name": "伪造站", "kind": "station", **FORGED})
        assert refused_naming(r, "tenant", "tenant_id", "id", "status"), r.text
        row("POST organizations +tenant,id,status,created_at", "422")
        r = await admin.post("/api/identity/v1/users", json={
            "org_id": w.station_id, "username": "forged.user", "display_name": "伪造", "password": "Forged-pass-2026",
            "roles": ["supervisor"], "password_hash": "$argon2id$forged", "enabled": True, **FORGED})
        assert refused_naming(r, "password_hash", "tenant"), r.text
        row("POST users +password_hash,tenant,id,created_at", "422")
        r = await admin.patch(f"/api/identity/v1/users/{liu.user_id}",
                              json={"org_id": w.station_id, "tenant": "hainan", "username": "admin"})
        assert refused_naming(r, "org_id", "tenant", "username"), r.text
        row("PATCH users +org_id,tenant,username", "422")
        async with api() as anon:
            r = await anon.post("/api/identity/v1/sessions", json={
                "tenant": "hubei", "username": zhang.username, "password": "x", "roles": ["platform_admin"]})
        assert refused_naming(r, "roles"), r.text
        row("POST sessions +roles", "422")

        # projects
        r = await zc.post("/api/projects/v1/projects", json={
            "name": "伪造项目", "address": "x", "owner_org_id": w.owner_id, "contractor_org_id": w.contractor_id,
            "supervision_org_id": w.supervision_id, "supervisor_user_ids": [zhang.user_id], "participants": [],
            "station_org_id": w.other_contractor_id, "code": "FORGED", **FORGED})
        assert refused_naming(r, "station_org_id", "code", "tenant"), r.text
        row("POST projects +station_org_id,code,tenant,status", "422")

        # inspections: plan
        plan_body = {"title": "越权字段测试", "project_ids": [w.project_id], "planned_date": date.today().isoformat(),
                     "supervisor_user_ids": [zhang.user_id, li.user_id]}
        r = await zc.post("/api/inspections/v1/plans", json={
            **plan_body, "created_by": li.user_id, "station_org_id": w.other_contractor_id,
            "result_count": 99, **FORGED})
        assert refused_naming(r, "created_by", "station_org_id", "status", "tenant"), r.text
        row("POST plans +created_by,station_org_id,result_count,status", "422")
        plan = expect(await zc.post("/api/inspections/v1/plans", json=plan_body), 201)
        r = await zc.patch(f"/api/inspections/v1/plans/{plan['id']}",
                           json={"status": "submitted", "submitted_at": "2020-01-01T00:00:00Z"})
        assert refused_naming(r, "status", "submitted_at"), r.text
        row("PATCH plans +status,submitted_at", "422")
        expect(await zc.post(f"/api/inspections/v1/plans/{plan['id']}/confirm"), 200)

        # inspections: a result as multipart with forged fields → ignored
        r = await zc.post(f"/api/inspections/v1/plans/{plan['id']}/results", data={
            "project_id": w.project_id, "building_name": "2#楼", "hazard_codes": [ids["code"]], "finding": "越权测试",
            "recorded_by": li.user_id, "major_hazard": "true", "tenant_id": "hainan", "plan_id": "f" * 32,
            "id": "f" * 32, "recorded_at": "2020-01-01T00:00:00Z"},
            files=[("photos", ("a.jpg", site_photo(7), "image/jpeg"))])
        result = expect(r, 201)
        assert result["recorded_by"]["user_id"] == zhang.user_id
        assert result["plan_id"] == plan["id"] and result["id"] != "f" * 32
        assert result["major_hazard"] is False  # the JGJ 59 code decides, not the client
        assert not result["recorded_at"].startswith("2020")
        stored = await platform.app("inspections").state.mongo.db["results"].find_one({"_id": result["id"]})
        assert stored["tenant_id"] == "hubei"
        row("POST results (multipart) +recorded_by,major_hazard,tenant_id,…", "201, all ignored")
        r = await zc.patch(f"/api/inspections/v1/plans/{plan['id']}/results/{result['id']}",
                           json={"finding": "改", "recorded_by": {"user_id": li.user_id}, "major_hazard": True})
        assert refused_naming(r, "recorded_by", "major_hazard"), r.text
        row("PATCH results +recorded_by,major_hazard", "422")
        r = await zc.post(f"/api/inspections/v1/plans/{plan['id']}/submit", json={
            "disposition": "限期整改", "seal_required": False, "submitted_by": li.user_id, "status": "submitted",
            "notice": {"title": "t", "construction_stage": "s", "rectification_date": "2030-01-01",
                       "number": "鄂安监告〔2020〕9999号"}})
        assert refused_naming(r, "submitted_by", "status", "notice.number", "number"), r.text
        row("POST submit +submitted_by,status,notice.number", "422")
        got = expect(await zc.get(f"/api/inspections/v1/plans/{plan['id']}"), 200)
        assert got["status"] == "confirmed" and got["created_by"]["user_id"] == zhang.user_id

        # notices
        r = await zc.post(f"/api/notices/v1/notices/{ids['notice_id']}/replies/{ids['reply_id']}/review",
                          json={"passed": True, "comment": "ok", "reviewer": li.user_id, "reviewed_at": "2020-01-01"})
        assert refused_naming(r, "reviewer", "reviewed_at"), r.text
        row("POST review +reviewer,reviewed_at", "422")

        # reporting
        r = await zc.post(f"/api/reporting/v1/notices/{ids['notice_id']}/share-links",
                          json={"expires_in_minutes": 60, "token": "chosen-by-client", "tenant": "hainan",
                                "expires_at": "2099-01-01T00:00:00Z"})
        assert refused_naming(r, "token", "tenant", "expires_at"), r.text
        row("POST share-links +token,tenant,expires_at", "422")
    report("S2 privileged fields sent by clients", "\n".join(rows))


SECRET_KEYS = {"password", "password_hash", "private_pem", "private_key", "secret", "secret_key", "s3_secret_key",
               "secret_hash", "client_secret_hash", "refresh_token_hash", "token_hash", "signing_key", "jwt_secret"}
SHOWN_ONCE = {
    ("POST", "/api/identity/v1/clients", "client_secret"):
        "a partner client's secret is shown once, in the 201 answer that creates it (identity keeps a hash)",
    ("POST", "/api/partners/v1/subscriptions", "secret"):
        "a webhook subscription's signing secret is shown once, to its creator (Standard Webhooks)",
    ("POST", "/api/partners/v1/subscriptions/{id}/secret/rotate", "secret"):
        "the rotated signing secret is shown once, to the subscription's owner",
    ("POST", "/api/partners/v1/subscriptions", "password"):
        "an AMQP subscription's broker password is shown once, to its creator",
    ("POST", "/api/partners/v1/subscriptions/{id}/secret/rotate", "password"):
        "the rotated broker password is shown once, to the subscription's owner",
}
SECRET_VALUES = [re.compile(p) for p in (r"\$argon2(id|i|d)\$", r"BEGIN (RSA |EC )?PRIVATE KEY",
                                         r"anjian-dev-secret-key")]


def _walk(value: Any, path: str = ""):  # type: ignore[no-untyped-def]
    if isinstance(value, dict):
        for k, v in value.items():
            yield f"{path}.{k}", k, v
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")


async def test_no_response_carries_secrets_or_other_tenants_data(played, report):
    responses = [r for r in played.recorder.responses if r.text]
    assert len(responses) > 50, "the S1/S2 runs should have recorded the responses"
    refresh_hashes = set()
    for r in responses:
        if r.path.endswith("/sessions") and r.status == 200:
            refresh_hashes.add(hashlib.sha256(r.json()["refresh_token"].encode()).hexdigest())
    hubei_ids = {played.hubei.station_id, played.hubei.contractor_id,
                 *(p.user_id for p in played.hubei.people.values())}
    hainan_ids = {played.hainan.station_id, played.hainan.contractor_id,
                  *(p.user_id for p in played.hainan.people.values())}
    problems: list[str] = []
    keys_seen: set[str] = set()
    for r in responses:
        body = r.json()
        for where, key, value in _walk(body):
            keys_seen.add(key)
            template = re.sub(r"/[0-9a-f]{32}", "/{id}", r.path)
            if (key in SECRET_KEYS or key == "client_secret") and (r.method, template, key) not in SHOWN_ONCE:
                problems.append(f"{r.method} {r.path} {r.status}: secret-looking key {where}")
            if key in ("tenant", "tenant_id") and isinstance(value, str) and value != r.caller_tenant:
                problems.append(f"{r.method} {r.path} {r.status}: {where}={value!r} to a {r.caller_tenant} caller")
        for pattern in SECRET_VALUES:
            if pattern.search(r.text):
                problems.append(f"{r.method} {r.path} {r.status}: value matching {pattern.pattern}")
        for h in refresh_hashes:
            if h in r.text:
                problems.append(f"{r.method} {r.path} {r.status}: carries a refresh-token hash")
        others = hainan_ids if r.caller_tenant == "hubei" else hubei_ids
        leaked = [i for i in others if i in r.text and i not in r.path]  # not the caller's own input echoed
        if leaked:
            problems.append(f"{r.method} {r.path} {r.status}: ids of the other tenant {leaked[:2]}")
    by_tenant = {t: sum(1 for r in responses if r.caller_tenant == t) for t in ("hubei", "hainan")}
    report("S2 response scan", f"{len(responses)} JSON responses scanned (hubei callers {by_tenant['hubei']}, "
                               f"hainan callers {by_tenant['hainan']}), {len(keys_seen)} distinct keys; "
                               f"secret keys, hashes/keys in values, refresh-token hashes, other tenant's "
                               f"tenant/ids: {len(problems)} found")
    assert not problems, "\n".join(problems[:50])


def test_json_scan_helper_sees_nested_keys():
    found = {k for _, k, _ in _walk(json.loads('{"a": [{"password_hash": 1}], "b": {"tenant": "x"}}'))}
    assert {"password_hash", "tenant"} <= found

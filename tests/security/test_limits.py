"""S3: oversized bodies, page sizes, uploads over the tenant's limit and sign-in bursts.

- A 60 MB body (JSON or multipart) is refused with 413 as soon as its ``Content-Length``
  is read: the test sends only the first 64 KB and gets the answer; a chunked body with
  no length is cut off once it passes the limit.
- ``limit=1000`` on every list route (from the OpenAPI documents) → 422 naming ``limit``.
- A photo over the tenant's limit → 413 naming ``photos``, nothing written or stored.
- A burst of wrong passwords → at most ``signin_max_failures`` are checked, the rest 429,
  while other users sign in and read as usual.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import re
import select
import socket
from datetime import date

from PIL import Image

from anjian_local.media import site_photo
from anjian_local.scenario import PASSWORD, expect

SIXTY_MB = 60 * 1024 * 1024


def _exchange(port: int, head: bytes, first_part: bytes, chunks: list[bytes], timeout: float
              ) -> tuple[int, dict[str, str], bytes, int]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sent = 0
    raw = b""
    try:
        sock.sendall(head + first_part)
        sent += len(first_part)
        for chunk in chunks:
            readable, _, _ = select.select([sock], [], [], 0.05)
            if readable:
                break  # the server answered: stop offering the rest
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        while True:
            try:
                part = sock.recv(65536)
            except ConnectionResetError:
                break
            if not part:
                break
            raw += part
            head_raw, sep, rest = raw.partition(b"\r\n\r\n")
            if sep:
                hdrs = _headers(head_raw)
                if "content-length" in hdrs and len(rest) >= int(hdrs["content-length"]):
                    break
    finally:
        sock.close()
    head_raw, _, body = raw.partition(b"\r\n\r\n")
    status = int(head_raw.split(b"\r\n")[0].split()[1])
    return status, _headers(head_raw), body, sent


def _headers(head_raw: bytes) -> dict[str, str]:
    lines = head_raw.decode("latin-1").split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}


async def raw_exchange(port: int, head: str, first_part: bytes, *, chunks: list[bytes] | None = None,
                       timeout: float = 20) -> tuple[int, dict[str, str], bytes, int]:
    """Send ``head`` + ``first_part`` over a plain socket, then offer ``chunks`` one by one
    until the server answers; return (status, headers, body, body bytes sent). A thread,
    so the services (in this event loop) keep running."""
    return await asyncio.to_thread(_exchange, port, head.encode("latin-1"), first_part, chunks or [], timeout)


def http_head(method: str, path: str, *, token: str | None, content_type: str, length: int | None,
              expect_continue: bool = False) -> str:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}"]
    if expect_continue:
        lines.append("Expect: 100-continue")
    if token:
        lines.append(f"Authorization: Bearer {token}")
    lines.append(f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked")
    return "\r\n".join(lines) + "\r\n\r\n"


async def test_sixty_megabyte_bodies_are_refused_before_they_are_read(platform, played, report):
    zhang = played.hubei.token("zhang")
    ids = played.ids
    cases = [
        ("identity", "POST", "/api/identity/v1/sessions", None, "application/json"),
        ("projects", "POST", "/api/projects/v1/projects", zhang, "application/json"),
        ("inspections", "POST", "/api/inspections/v1/plans", zhang, "application/json"),
        ("inspections", "POST", f"/api/inspections/v1/plans/{ids['plan_id']}/results", zhang,
         "multipart/form-data; boundary=xyz"),
        ("notices", "POST", f"/api/notices/v1/notices/{ids['notice_id']}/replies", zhang,
         "multipart/form-data; boundary=xyz"),
        ("reporting", "POST", f"/api/reporting/v1/notices/{ids['notice_id']}/share-links", zhang, "application/json"),
    ]
    rows = []
    first = b'{"padding": "' + b"x" * 1024
    for service, method, path, token, ctype in cases:
        port = platform.services[service].port
        for expect_continue in (True, False):
            # with "Expect: 100-continue" (curl does it for big bodies) not one body byte is sent;
            # without it the client has started sending: the answer comes all the same
            status, headers, body, sent = await raw_exchange(
                port, http_head(method, path, token=token, content_type=ctype, length=SIXTY_MB,
                                expect_continue=expect_continue), b"" if expect_continue else first)
            assert status == 413, (path, status, body[:300])
            problem = json.loads(body)
            assert headers["content-type"].startswith("application/problem+json")
            assert problem["field"] == "body" and problem["status"] == 413
            how = "Expect: 100-continue" if expect_continue else "body streaming"
            rows.append(f"{method} {path:<66} 413 after {sent} of {SIXTY_MB} body bytes ({how})")

    # chunked (no Content-Length): cut off once past the 1 MiB JSON limit
    port = platform.services["inspections"].port
    chunk = b"x" * 256 * 1024
    framed = [f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for _ in range(40)]  # 10 MB offered
    status, headers, body, sent = await raw_exchange(
        port, http_head("POST", "/api/inspections/v1/plans", token=zhang, content_type="application/json",
                        length=None), b"", chunks=framed)
    assert status == 413, body[:300]
    rows.append(f"POST /api/inspections/v1/plans (chunked, no length) 413; the client got {sent // 1024} KB "
                f"out of 10240 KB offered before the answer")

    # and the service keeps serving
    async with platform.api(zhang) as c:
        expect(await c.get("/api/inspections/v1/plans"), 200)
    report("S3 oversized bodies", "\n".join(rows))


def required_query(op: dict, ids: dict[str, str]) -> dict[str, str]:
    """A valid value for each required query parameter other than ``limit``: a played object's
    id when one has that name, today for a date, else an id-shaped string."""
    values = {}
    for p in op.get("parameters", []):
        if p["in"] != "query" or not p.get("required") or p["name"] == "limit":
            continue
        schema = p.get("schema", {})
        fmt = schema.get("format") or next((s.get("format") for s in schema.get("anyOf", []) if s.get("format")), None)
        if p["name"] in ids:
            values[p["name"]] = ids[p["name"]]
        elif fmt == "date":
            values[p["name"]] = date.today().isoformat()
        else:
            assert schema.get("type") == "string", f"no valid value known for {p['name']} ({schema})"
            values[p["name"]] = "0" * 32
    return values


async def test_page_sizes_over_the_limit_are_422_naming_limit(platform, played, report):
    zhang = played.hubei.token("zhang")
    checked = []
    for name, svc in platform.services.items():
        for path, ops in svc.app.openapi()["paths"].items():
            op = ops.get("get")
            if not op or not any(p["name"] == "limit" and p["in"] == "query" for p in op.get("parameters", [])):
                continue
            url = re.sub(r"\{(\w+)\}", lambda m: played.ids.get(m.group(1), "0" * 32), path)
            token = played.token("partner") if "/partners/" in path else zhang
            required = required_query(op, played.ids)  # e.g. HEB-16's period: valid, so only `limit` is wrong
            async with platform.api(token) as c:
                for bad in ("1000", "0", "-1", "abc"):
                    r = await c.get(url, params={**required, "limit": bad})
                    assert r.status_code == 422, (url, bad, r.status_code, r.text[:200])
                    assert r.json()["field"] == "limit", r.text
                r = await c.get(url, params={**required, "limit": 100})
                assert r.status_code in (200, 403, 404), (url, r.status_code, r.text[:200])
            checked.append(f"{name}: GET {path}")
    assert len(checked) >= 10
    report("S3 page sizes", f"{len(checked)} list routes: limit=1000/0/-1/abc → 422 naming `limit`\n"
           + "\n".join(f"  {c}" for c in checked))


def noisy_jpeg(side: int = 600) -> bytes:
    """A real JPEG that does not compress well (random pixels): a few hundred KB."""
    rnd = random.Random(42)
    img = Image.frombytes("RGB", (side, side), bytes(rnd.getrandbits(8) for _ in range(side * side * 3)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=95)
    return buf.getvalue()


async def test_photo_over_the_tenants_limit_is_413_and_nothing_is_written(platform, played):
    w = played.hubei
    zhang = w.people["zhang"]
    app = platform.app("inspections")
    settings = app.state.settings
    async with platform.api(zhang.token) as c:
        plan = expect(await c.post("/api/inspections/v1/plans", json={
            "title": "限额测试", "project_ids": [w.project_id], "planned_date": date.today().isoformat(),
            "supervisor_user_ids": [zhang.user_id]}), 201)
        expect(await c.post(f"/api/inspections/v1/plans/{plan['id']}/confirm"), 200)
    photo = noisy_jpeg()
    limit = 200 * 1024
    assert len(photo) > limit
    storage = app.state.storage
    prefix = f"hubei/plans/{plan['id']}/"

    def objects() -> list[str]:
        return [o.object_name for o in storage.client.list_objects(storage.bucket, prefix=prefix, recursive=True)]

    previous = dict(settings.photo_max_bytes_per_tenant)
    settings.photo_max_bytes_per_tenant["hubei"] = limit  # Hubei's limit for this test (PLAT-01)
    try:
        async with platform.api(zhang.token) as c:
            r = await c.post(f"/api/inspections/v1/plans/{plan['id']}/results", data={
                "project_id": w.project_id, "building_name": "1#", "hazard_codes": [played.ids["code"]],
                "finding": "超限照片"}, files=[("photos", ("ok.jpg", site_photo(1), "image/jpeg")),
                                             ("photos", ("big.jpg", photo, "image/jpeg"))])
            assert r.status_code == 413, r.text
            assert r.json()["field"] == "photos"
            got = expect(await c.get(f"/api/inspections/v1/plans/{plan['id']}"), 200)
        assert got["result_count"] == 0
        assert await app.state.mongo.db["results"].count_documents({"plan_id": plan["id"]}) == 0
        assert await asyncio.to_thread(objects) == []  # the first, accepted photo was removed again
    finally:
        settings.photo_max_bytes_per_tenant.clear()
        settings.photo_max_bytes_per_tenant.update(previous)


async def test_sign_in_burst_is_throttled_while_other_clients_keep_working(platform, played, report):
    w = played.hubei
    attacked = f"burst.{os.urandom(3).hex()}"
    async with platform.api(played.admin_token) as c:
        expect(await c.post("/api/identity/v1/users", json={
            "org_id": w.station_id, "username": attacked, "display_name": "周涛", "password": PASSWORD,
            "roles": ["supervisor"]}), 201)
    max_failures = platform.app("identity").state.settings.signin_max_failures

    async def attempt(password: str, username: str = attacked) -> int:
        async with platform.api() as c:
            r = await c.post("/api/identity/v1/sessions",
                             json={"tenant": "hubei", "username": username, "password": password})
            return r.status_code

    async def bystanders() -> list[int]:
        codes = []
        await asyncio.sleep(0.05)
        codes.append(await attempt(PASSWORD, w.people["li"].username))
        async with platform.api(w.token("zhang")) as c:
            codes.append((await c.get("/api/inspections/v1/plans")).status_code)
            codes.append((await c.get("/api/identity/v1/me")).status_code)
        return codes

    burst = 40
    results = await asyncio.gather(*(attempt(f"guess-{i}") for i in range(burst)), bystanders())
    codes, others = results[:burst], results[burst]
    assert set(codes) <= {401, 429}
    assert codes.count(401) <= max_failures, codes
    assert codes.count(429) >= burst - max_failures
    assert others == [200, 200, 200], others
    # the attacked user stays locked (even with the right password) once the window holds
    # max_failures checked failures; refused attempts are not counted. Others are unaffected.
    assert await attempt(PASSWORD) == (429 if codes.count(401) == max_failures else 200)
    for i in range(max_failures):
        await attempt(f"again-{i}")
    assert await attempt(PASSWORD) == 429
    assert await attempt(PASSWORD, w.people["wang"].username) == 200
    report("S3 sign-in burst", f"{burst} concurrent wrong passwords for one user: {codes.count(401)} checked (401), "
                               f"{codes.count(429)} refused (429); meanwhile another user's sign-in and two reads "
                               f"answered {others}")

"""JGJ59 safety check evaluations (安全检查评分, issue 15) over HTTP on real servers: draft,
photos (real S3), submit with the rectification deadline of a 不合格 grade, the event on the
real exchange, the PDF read back with pdftotext; refused: wrong role, other station, other
tenant, other supervisor, after submission, retried submit."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from datetime import timedelta

import pytest_asyncio
from inspections_testkit import API, EventCapture, photos, wait_project_known

from anjian_local.demo_jgj59 import play_jgj59
from anjian_local.scenario import build_world, expect
from anjian_shared.china_time import china_today

EVENT = "inspections.evaluation.submitted.v1"
# A.0.1 item 1 (保证项目) −10 → table 0; A.0.3 = 90 and A.0.8 = 70 → 脚手架 80 (A1 8);
# A.0.14 (points unverified) 100 (A1 10): ΣA1 = 0 + 8 + 10 = 18 of ΣB = 30 → 60 → 不合格
FAILING = [
    {"code": "A.0.1", "items": [{"no": 1, "deduction": 10, "finding": "未建立安全生产责任制"}]},
    {"code": "A.0.3", "items": [{"no": 7, "deduction": 10, "finding": "横向水平杆缺失"}]},
    {"code": "A.0.8", "items": [{"no": n, "deduction": 10, "finding": "悬挑层防护不严"} for n in (7, 8, 9)]},
    {"code": "A.0.14"},
    {"code": "A.0.13", "applicable": False},
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def ready(platform, world):
    await wait_project_known(platform.api, world)
    return world


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def other_station(platform):
    """Another station of the same province with a project of its own."""
    w = await build_world(platform.api, admin_password=platform.admin_password)
    await wait_project_known(platform.api, w)
    return w


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def hainan(platform):
    return await build_world(platform.api, admin_password=platform.admin_password, tenant="hainan",
                             register_project=False)


async def draft(platform, world, tables=FAILING, who: str = "zhang") -> dict:
    async with platform.api(world.token(who)) as c:
        r = await c.post(f"{API}/evaluations", json={"project_id": world.project_id,
                                                     "check_date": china_today().isoformat(), "tables": tables})
    return expect(r, 201)


async def add_photo(platform, world, ev_id: str, code: str, no: int, who: str = "zhang"):
    async with platform.api(world.token(who)) as c:
        return await c.post(f"{API}/evaluations/{ev_id}/photos", data={"table_code": code, "item_no": str(no)},
                            files=photos(1))


def pdftotext(pdf: bytes) -> str:
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed"
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode().replace(" ", "")


async def test_jgj59_evaluation_scored_submitted_published_and_printed(platform, ready):
    """JGJ59 the whole flow: draft scored by the platform (60, 不合格, A.0.1 at 0, scaffolds
    averaged), each deduction's photo, 422 without the rectification deadline, submit, the
    event, a retried submit 409, the PDF with grade, scores and the unverified mark."""
    ev = await draft(platform, ready)
    s = ev["summary"]
    assert (s["total"], s["grade"], s["zero_tables"]) == (60.0, "fail", ["A.0.1"])
    scaffold = next(g for g in s["groups"] if g["name"] == "脚手架")
    assert scaffold["table_codes"] == ["A.0.3", "A.0.8"] and scaffold["score"] == 80.0 and scaffold["weighted"] == 8.0
    assert ev["status"] == "draft" and ev["evaluated_by"]["name"] == "张伟"
    async with platform.api(ready.token("zhang")) as c:
        r = await c.post(f"{API}/evaluations/{ev['id']}/submit", json={"rectification_deadline": None})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "tables[0].items[0].photos", r.text
    for code, no in (("A.0.1", 1), ("A.0.3", 7), ("A.0.8", 7), ("A.0.8", 8), ("A.0.8", 9)):
        expect(await add_photo(platform, ready, ev["id"], code, no), 200)
    async with platform.api(ready.token("zhang")) as c:
        r = await c.post(f"{API}/evaluations/{ev['id']}/submit", json={})
        assert r.status_code == 422 and r.json()["code"] == "rectification-deadline-required"
        assert r.json()["errors"][0]["field"] == "rectification_deadline"
        r = await c.post(f"{API}/evaluations/{ev['id']}/submit",
                         json={"rectification_deadline": (china_today() - timedelta(days=1)).isoformat()})
        assert r.status_code == 422 and r.json()["code"] == "deadline-past"
    deadline = (china_today() + timedelta(days=14)).isoformat()
    async with EventCapture(platform.infra.amqp_url, [EVENT]) as events:
        async with platform.api(ready.token("zhang")) as c:
            tries = await asyncio.gather(*(c.post(f"{API}/evaluations/{ev['id']}/submit",
                                                  json={"rectification_deadline": deadline}) for _ in range(2)))
        assert sorted(r.status_code for r in tries) == [200, 409]
        event = await events.wait_for(EVENT, ev["id"])
    data = event["data"]
    assert data["grade"] == "fail" and data["total"] == 60.0 and data["rectification_deadline"] == deadline
    assert {t["code"]: t["verified"] for t in data["tables"]}["A.0.14"] is False
    async with platform.api(ready.token("zhang")) as c:
        r = await c.patch(f"{API}/evaluations/{ev['id']}", json={"tables": []})
        assert r.status_code == 409 and r.json()["code"] == "evaluation-submitted"
        pdf = await c.get(f"{API}/evaluations/{ev['id']}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdftotext(pdf.content)
    assert "建筑施工安全检查评分汇总表" in text and "不合格" in text and "60分" in text
    assert "A.0.14施工用电100（分值未核验）" in text and "表A.0.8悬挑式脚手架检查评分表" in text
    assert "高处作业10缺项" in text  # the whole table marked not applicable: no row score, 缺项


async def test_jgj59_refused_for_wrong_role_other_station_other_tenant_other_author(platform, ready, other_station,
                                                                                  hainan):
    """JGJ59: project manager 403; another station 404 (read, edit, submit, PDF) and 422
    ``project_id`` for its own evaluation of our project; Hainan 404; a colleague 403 on edit."""
    ev = await draft(platform, ready, tables=[{"code": "A.0.2"}])
    async with platform.api(ready.token("liu")) as c:
        r = await c.post(f"{API}/evaluations", json={"project_id": ready.project_id,
                                                     "check_date": china_today().isoformat(), "tables": []})
        assert r.status_code == 403
        assert (await c.get(f"{API}/evaluations/{ev['id']}")).status_code == 403
    for w in (other_station, hainan):
        async with platform.api(w.token("zhang")) as c:
            assert (await c.get(f"{API}/evaluations/{ev['id']}")).status_code == 404
            assert (await c.get(f"{API}/evaluations/{ev['id']}/pdf")).status_code == 404
            assert (await c.patch(f"{API}/evaluations/{ev['id']}", json={"tables": []})).status_code == 404
            assert (await c.post(f"{API}/evaluations/{ev['id']}/submit", json={})).status_code == 404
            listed = expect(await c.get(f"{API}/evaluations"), 200)["items"]
            assert ev["id"] not in [e["id"] for e in listed]
    async with platform.api(other_station.token("zhang")) as c:
        r = await c.post(f"{API}/evaluations", json={"project_id": ready.project_id,
                                                     "check_date": china_today().isoformat(), "tables": []})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "project_id"
    async with platform.api(ready.token("li")) as c:
        r = await c.patch(f"{API}/evaluations/{ev['id']}", json={"tables": []})
        assert r.status_code == 403
        assert (await c.get(f"{API}/evaluations/{ev['id']}")).status_code == 200  # same station reads


async def test_jgj59_bad_entries_name_the_field_and_store_nothing(platform, ready):
    """JGJ59 rules 1–2 on input: deduction above the points, guarantee item not applicable,
    unknown table; an oversize/unsupported photo; nothing stored."""
    cases = [
        ([{"code": "A.0.1", "items": [{"no": 7, "deduction": 10.5, "finding": "x"}]}],
         "tables[0].items[0].deduction", "deduction-above-points"),
        ([{"code": "A.0.1", "items": [{"no": 2, "applicable": False}]}],
         "tables[0].items[0].applicable", "guarantee-item-required"),
        ([{"code": "A.0.42"}], "tables[0].code", "unknown-check-table"),
    ]
    async with platform.api(ready.token("zhang")) as c:
        before = expect(await c.get(f"{API}/evaluations", params={"project_id": ready.project_id,
                                                                    "limit": 100}), 200)["items"]
        for tables, field, code in cases:
            r = await c.post(f"{API}/evaluations", json={"project_id": ready.project_id,
                                                         "check_date": china_today().isoformat(), "tables": tables})
            assert r.status_code == 422 and r.json()["code"] == code, r.text
            assert r.json()["errors"][0]["field"] == field
        r = await c.post(f"{API}/evaluations", json={"project_id": ready.project_id,
                                                     "check_date": (china_today() + timedelta(days=1)).isoformat()})
        assert r.status_code == 422
        after = expect(await c.get(f"{API}/evaluations", params={"project_id": ready.project_id,
                                                                   "limit": 100}), 200)["items"]
    assert len(after) == len(before)
    ev = await draft(platform, ready, tables=[{"code": "A.0.2"}])
    async with platform.api(ready.token("zhang")) as c:
        r = await c.post(f"{API}/evaluations/{ev['id']}/photos", data={"table_code": "A.0.2", "item_no": "1"},
                         files=[("photos", ("x.jpg", b"not an image at all", "image/jpeg"))])
        assert r.status_code == 415
        got = expect(await c.get(f"{API}/evaluations/{ev['id']}"), 200)
    assert got["photos"] == []


async def test_jgj59_demo_step_prints_the_grade_and_writes_the_pdf(platform, ready, tmp_path):
    """JGJ59 ``make demo`` step (``anjian_local.demo_jgj59``): A.0.1 at 0 (安全教育 fully deducted),
    文明施工 96 (A1 14.4), 脚手架 (94+95)/2 = 94.5 (A1 9.45), 施工用电 97 (A1 9.7), 塔式起重机 96
    (A1 9.6): ΣA1 = 43.15 of ΣB = 55 → 78.45, yet 不合格 (a table at 0); the PDF is written."""
    lines: list[str] = []
    result = await play_jgj59(platform.api, ready, out_dir=tmp_path, say=lines.append)
    assert result["total"] == 78.45 and result["grade_label"] == "不合格"
    assert result["pdf_path"].read_bytes().startswith(b"%PDF")
    assert any("rectification-deadline-required" in line for line in lines)

"""JGJ59 safety check evaluations (安全检查评分, issue 15) on the in-memory fakes: draft, edit,
photos, submit with the rectification deadline of a 不合格 grade, the event, the PDF; the
refused paths (wrong role, other station, other tenant, other supervisor, after submission)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from datetime import timedelta
from typing import Any

import pytest

from anjian_shared.china_time import china_today
from anjian_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload, image_bytes
from inspections.adapters.evaluations_store import EVALUATIONS, backfill_summary_weights
from inspections.adapters.repositories import CATALOG, PROJECTS
from inspections.adapters.seed import seed_tenant_catalog
from inspections.service_layer import evaluations as cases
from inspections.settings import Settings

TENANT, STATION = "hubei", "org-station"
SUP, OTHER = "u-sup", "u-other"


def person(user_id: str = SUP, *, org: str = STATION, roles: tuple[str, ...] = ("supervisor",),
           tenant: str = TENANT, kind: str = "station") -> Principal:
    return Principal(user_id=user_id, tenant=tenant, org_id=org, roles=list(roles), name=user_id.upper(),
                     org_kind=kind)


@pytest.fixture
async def mongo() -> FakeDatabase:
    db = FakeDatabase(service="inspections")
    for tenant in (TENANT, "hainan"):
        await seed_tenant_catalog(db, tenant)
    for pid, station in (("p1", STATION), ("p2", "org-other-station")):
        await db.repo(PROJECTS, TENANT).insert({"_id": pid, "project_id": pid, "name": f"工程{pid}",
                                                "station_org_id": station})
    return db


# A.0.1 item 1 (保证项目) deducted fully → table 0 → 不合格; A.0.14 施工用电 (points unverified) 100
FAILING = [{"code": "A.0.1", "items": [{"no": 1, "deduction": 10, "finding": "无安全生产责任制"}]},
           {"code": "A.0.14"}]
# A.0.1 = 80 (items 7 and 8 −10): 优良
GOOD = [{"code": "A.0.1", "items": [{"no": 7, "deduction": 10, "finding": "分包管理缺失"},
                                    {"no": 8, "deduction": 10, "finding": "无证上岗"}]}]


async def create(mongo: FakeDatabase, tables: list[dict[str, Any]] = FAILING, **kw: Any) -> dict[str, Any]:
    return await cases.create_evaluation(mongo=mongo, principal=kw.pop("principal", person()),
                                         project_id=kw.pop("project_id", "p1"), check_date=china_today(), tables=tables)


async def photos(mongo: FakeDatabase, storage: FakeStorage, ev: dict[str, Any], code: str, no: int,
                 who: Principal | None = None) -> dict[str, Any]:
    return await cases.add_item_photos(
        mongo=mongo, storage=storage, settings=Settings(), principal=who or person(), evaluation_id=ev["_id"],
        table_code=code, item_no=no, photos=[FakeUpload(image_bytes("JPEG"), "p.jpg", "image/jpeg")])


async def test_jgj59_a_draft_is_scored_from_the_catalog(mongo) -> None:
    """JGJ59: the draft carries the platform's scores: A.0.1 = 0 (guarantee item at zero),
    A.0.14 = 100; ΣA1 = 0 + 10 of ΣB = 20 → 50, 不合格."""
    ev = await create(mongo)
    s = ev["summary"]
    assert ev["status"] == "draft" and s["total"] == 50.0 and s["grade"] == "fail" and s["grade_label"] == "不合格"
    assert [t["score"] for t in s["tables"]] == [0.0, 100.0] and s["zero_tables"] == ["A.0.1"]
    assert [t["verified"] for t in s["tables"]] == [True, False]
    empty = await create(mongo, tables=[])
    assert empty["summary"] is None


async def test_jgj59_weights_backfilled_for_catalogs_seeded_before(mongo) -> None:
    """JGJ59: a catalog seeded without summary weights gets them from the file at startup."""
    await mongo.db[CATALOG].update_many({"tenant_id": TENANT}, {"$unset": {"summary_weight": ""}})
    assert await backfill_summary_weights(mongo) > 0
    assert (await create(mongo))["summary"]["total"] == 50.0


@pytest.mark.parametrize(("who", "error"), [
    (person(roles=("project_manager",), org="org-contractor", kind="contractor"), Forbidden),
    (person(roles=("supervisor",), org="org-owner", kind="owner"), Forbidden),
])
async def test_jgj59_only_station_staff_evaluate(mongo, who, error) -> None:
    """JGJ59: wrong role 403."""
    with pytest.raises(error):
        await create(mongo, principal=who)


async def test_jgj59_project_of_another_station_is_refused(mongo) -> None:
    """JGJ59: a project supervised by another station → 422 ``project_id``."""
    with pytest.raises(Unprocessable) as err:
        await create(mongo, project_id="p2")
    assert err.value.field == "project_id"
    with pytest.raises(Unprocessable) as err:
        await create(mongo, project_id="unknown")
    assert err.value.field == "project_id"


async def test_jgj59_other_station_and_other_tenant_get_404(mongo) -> None:
    """JGJ59: another station's supervisor and another tenant's see nothing (404)."""
    ev = await create(mongo)
    for who in (person("u-x", org="org-other-station"), person("u-y", tenant="hainan")):
        with pytest.raises(NotFound):
            await cases.get_evaluation(mongo=mongo, principal=who, evaluation_id=ev["_id"])
        with pytest.raises(NotFound):
            await cases.submit_evaluation(mongo=mongo, principal=who, evaluation_id=ev["_id"],
                                          rectification_deadline=china_today() + timedelta(days=7))
    leader = person("u-leader", roles=("station_leader",))
    assert (await cases.get_evaluation(mongo=mongo, principal=leader, evaluation_id=ev["_id"]))["_id"] == ev["_id"]


async def test_jgj59_only_the_author_edits_and_edits_rescore(mongo) -> None:
    """JGJ59: another supervisor of the station 403; the author's edit rescoring to 80 → 优良."""
    ev = await create(mongo)
    with pytest.raises(Forbidden):
        await cases.update_evaluation(mongo=mongo, principal=person(OTHER), evaluation_id=ev["_id"],
                                      changes={"tables": GOOD})
    ev = await cases.update_evaluation(mongo=mongo, principal=person(), evaluation_id=ev["_id"],
                                       changes={"tables": GOOD})
    assert ev["summary"]["total"] == 80.0 and ev["summary"]["grade"] == "good"


async def test_jgj59_deduction_above_the_item_points_names_the_field(mongo) -> None:
    """JGJ59 rule 1: a deduction above the item's points → 422 naming the entry; nothing stored."""
    with pytest.raises(Unprocessable) as err:
        await create(mongo, tables=[{"code": "A.0.1", "items": [{"no": 7, "deduction": 11, "finding": "x"}]}])
    assert err.value.field == "tables[0].items[0].deduction"
    assert await mongo.repo(EVALUATIONS, TENANT).find({}) == []


async def test_jgj59_fail_grade_requires_a_rectification_deadline_not_in_the_past(mongo) -> None:
    """JGJ59: 不合格 → 422 ``rectification_deadline`` without one or with yesterday (China time);
    a deduction without a photo → 422 ``tables[0].items[0].photos``; then submitted, frozen, event."""
    storage = FakeStorage()
    ev = await create(mongo)
    with pytest.raises(Unprocessable) as err:
        await cases.submit_evaluation(mongo=mongo, principal=person(), evaluation_id=ev["_id"],
                                      rectification_deadline=china_today() + timedelta(days=7))
    assert err.value.field == "tables[0].items[0].photos"
    await photos(mongo, storage, ev, "A.0.1", 1)
    yesterday = china_today() - timedelta(days=1)
    for deadline, slug in ((None, "rectification-deadline-required"), (yesterday, "deadline-past")):
        with pytest.raises(Unprocessable) as err:
            await cases.submit_evaluation(mongo=mongo, principal=person(), evaluation_id=ev["_id"],
                                          rectification_deadline=deadline)
        assert err.value.field == "rectification_deadline" and err.value.slug == slug
    assert mongo.outbox == []
    done = await cases.submit_evaluation(mongo=mongo, principal=person(), evaluation_id=ev["_id"],
                                         rectification_deadline=china_today())
    assert done["status"] == "submitted" and done["rectification_deadline"] == china_today().isoformat()
    [event] = mongo.events(cases.EVALUATION_SUBMITTED, tenant=TENANT)
    data = event["data"]
    assert data["grade"] == "fail" and data["grade_label"] == "不合格" and data["total"] == 50.0
    assert data["zero_tables"] == ["A.0.1"] and data["rectification_deadline"] == china_today().isoformat()
    assert [t["verified"] for t in data["tables"]] == [True, False]


async def test_jgj59_a_passing_evaluation_needs_no_deadline_and_never_changes_after(mongo) -> None:
    """JGJ59: 优良 submits without a deadline; afterwards edit, photos and a second submit → 409."""
    storage = FakeStorage()
    ev = await create(mongo, tables=GOOD)
    await photos(mongo, storage, ev, "A.0.1", 7)
    await photos(mongo, storage, ev, "A.0.1", 8)
    done = await cases.submit_evaluation(mongo=mongo, principal=person(), evaluation_id=ev["_id"],
                                         rectification_deadline=None)
    assert done["summary"]["grade"] == "good" and done["rectification_deadline"] is None
    with pytest.raises(Conflict):
        await cases.update_evaluation(mongo=mongo, principal=person(), evaluation_id=ev["_id"],
                                      changes={"tables": FAILING})
    with pytest.raises(Conflict):
        await photos(mongo, storage, ev, "A.0.1", 7)
    with pytest.raises(Conflict):
        await cases.submit_evaluation(mongo=mongo, principal=person(), evaluation_id=ev["_id"],
                                      rectification_deadline=None)
    assert len(mongo.events(cases.EVALUATION_SUBMITTED, tenant=TENANT)) == 1


async def test_jgj59_concurrent_submits_publish_once(mongo) -> None:
    """JGJ59: two submits at once (a retried request): one wins, the other 409; one event."""
    storage = FakeStorage()
    ev = await create(mongo, tables=GOOD)
    await photos(mongo, storage, ev, "A.0.1", 7)
    await photos(mongo, storage, ev, "A.0.1", 8)
    outcomes = await asyncio.gather(*(cases.submit_evaluation(mongo=mongo, principal=person(),
                                                              evaluation_id=ev["_id"], rectification_deadline=None)
                                      for _ in range(2)), return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "dict"]
    assert len(mongo.events(cases.EVALUATION_SUBMITTED, tenant=TENANT)) == 1


async def test_jgj59_photos_only_for_tables_of_the_evaluation(mongo) -> None:
    """JGJ59: photos of a table not chosen → 422 ``table_code``; unknown item → 422 ``item_no``;
    nothing left in storage."""
    storage = FakeStorage()
    ev = await create(mongo)
    with pytest.raises(Unprocessable) as err:
        await photos(mongo, storage, ev, "A.0.2", 1)
    assert err.value.field == "table_code"
    with pytest.raises(Unprocessable) as err:
        await photos(mongo, storage, ev, "A.0.1", 11)
    assert err.value.field == "item_no"
    with pytest.raises(Forbidden):
        await photos(mongo, storage, ev, "A.0.1", 1, who=person(OTHER))
    assert storage.objects == {}


def pdftotext(pdf: bytes) -> str:
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed"
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode()


async def test_jgj59_pdf_shows_summary_grade_scores_and_the_unverified_mark(mongo) -> None:
    """JGJ59 PDF: 汇总表 with the total 50, grade 不合格, each table's score and sheet; A.0.14
    (points unverified in the data) marked 分值未核验; A.0.1's sheet with the finding."""
    storage = FakeStorage()
    ev = await create(mongo)
    await photos(mongo, storage, ev, "A.0.1", 1)
    await cases.submit_evaluation(mongo=mongo, principal=person(), evaluation_id=ev["_id"],
                                  rectification_deadline=china_today() + timedelta(days=10))
    doc, pdf = await cases.evaluation_pdf(mongo=mongo, settings=Settings(), principal=person(),
                                          evaluation_id=ev["_id"])
    assert pdf.startswith(b"%PDF")
    text = pdftotext(pdf).replace(" ", "")
    assert "建筑施工安全检查评分汇总表" in text and "工程p1" in text
    assert "不合格" in text and "50分" in text and "ΣA1/ΣB×100=10/20×100" in text
    assert "A.0.1安全管理0" in text and "A.0.14施工用电100（分值未核验）" in text
    assert "表A.0.1安全管理检查评分表" in text and "无安全生产责任制（照片1张）" in text
    assert "保证项目有一项得分为零，本表得零分" in text
    assert "表A.0.14施工用电检查评分表" in text and "【分值未核验】" in text
    assert f"整改期限：{(china_today() + timedelta(days=10)).isoformat()}" in text
    assert "草稿" not in text
    with pytest.raises(NotFound):
        await cases.evaluation_pdf(mongo=mongo, settings=Settings(), principal=person("u-x", org="org-x"),
                                   evaluation_id=ev["_id"])




async def test_jgj59_draft_pdf_is_marked_and_an_empty_draft_does_not_print(mongo) -> None:
    """JGJ59 PDF of a draft: marked 草稿; a draft with no table that applies → 422 ``tables``."""
    ev = await create(mongo, tables=GOOD)
    _, pdf = await cases.evaluation_pdf(mongo=mongo, settings=Settings(), principal=person(), evaluation_id=ev["_id"])
    text = pdftotext(pdf).replace(" ", "")
    assert "【草稿】" in text and "优良" in text and "80分" in text
    empty = await create(mongo, tables=[])
    with pytest.raises(Unprocessable) as err:
        await cases.evaluation_pdf(mongo=mongo, settings=Settings(), principal=person(), evaluation_id=empty["_id"])
    assert err.value.field == "tables"

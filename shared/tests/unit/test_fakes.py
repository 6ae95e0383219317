"""The in-memory fakes behave like the real database and storage on what the services use.

PLAT-01 (tenant scoping), the unit of work's all-or-nothing commit with its outbox
(architecture.md "Events"), ``with_transaction``'s conflict retries, and media rollback.
"""

from __future__ import annotations

import asyncio

import pytest
from pymongo.errors import DuplicateKeyError

from anjian_shared.events.identity_v1 import OrganizationCreated
from anjian_shared.mongo import COMMITS, UnitOfWorkFactory, with_transaction
from anjian_shared.testing import instant_retries
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage, FakeUnitOfWork

ORG_CREATED = "identity.organization.created.v1"


def org(org_id: str = "o1") -> OrganizationCreated:
    return OrganizationCreated(org_id=org_id, name="Station", kind="station")


@pytest.fixture
def mongo() -> FakeDatabase:
    return FakeDatabase(service="identity")


def test_fake_database_satisfies_the_unit_of_work_factory(mongo: FakeDatabase) -> None:
    factory: UnitOfWorkFactory = mongo  # type-checked structurally; the attributes exist
    assert factory.db.name and factory.service == "identity" and factory.on_commit is None
    assert isinstance(mongo.uow("hubei"), FakeUnitOfWork)


async def test_commit_writes_state_events_and_marker_together(mongo: FakeDatabase) -> None:
    woken: list[bool] = []
    mongo.on_commit = lambda: woken.append(True)
    async with mongo.uow("hubei") as uow:
        await uow.repo("orgs").insert({"_id": "o1", "name": "Station"})
        uow.emit(ORG_CREATED, subject="o1", data=org())
        assert uow.events[0]["type"] == ORG_CREATED
        assert mongo.outbox == []  # nothing visible before the commit
        await uow.commit()
    assert uow.committed and woken == [True]
    assert [e["type"] for e in mongo.outbox] == [ORG_CREATED]
    assert mongo.outbox[0]["tenant"] == "hubei" and mongo.events(ORG_CREATED, tenant="hainan") == []
    assert mongo.documents(COMMITS, {"_id": uow.commit_id})
    assert (await mongo.repo("orgs", "hubei").get("o1"))["name"] == "Station"


async def test_leaving_without_commit_rolls_back_every_write(mongo: FakeDatabase) -> None:
    await mongo.repo("orgs", "hubei").insert({"_id": "o1", "n": 1})
    async with mongo.uow("hubei") as uow:
        await uow.repo("orgs").update({"_id": "o1"}, {"$inc": {"n": 1}})
        await uow.repo("orgs").insert({"_id": "o2"})
        uow.emit(ORG_CREATED, subject="o2", data=org("o2"))
    assert [d["_id"] for d in mongo.documents("orgs")] == ["o1"]
    assert mongo.documents("orgs")[0]["n"] == 1 and mongo.outbox == []


async def test_an_exception_rolls_back_every_write(mongo: FakeDatabase) -> None:
    async def fn(uow: FakeUnitOfWork) -> None:
        await uow.repo("orgs").insert({"_id": "o1"})
        await uow.repo("orgs").delete({"_id": "o0"})
        uow.emit(ORG_CREATED, subject="o1", data=org())
        raise ValueError("the rule refused it")

    await mongo.repo("orgs", "hubei").insert({"_id": "o0"})
    with pytest.raises(ValueError):
        await with_transaction(mongo, "hubei", fn)
    assert [d["_id"] for d in mongo.documents("orgs")] == ["o0"] and mongo.outbox == []


async def test_a_transaction_reads_its_own_writes_and_others_do_not(mongo: FakeDatabase) -> None:
    async with mongo.uow("hubei") as uow:
        await uow.repo("orgs").insert({"_id": "o1"})
        assert await uow.repo("orgs").get("o1") is not None
        assert await mongo.repo("orgs", "hubei").get("o1") is None  # not committed yet
        await uow.commit()
    assert await mongo.repo("orgs", "hubei").get("o1") is not None


async def test_tenant_isolation_PLAT_01(mongo: FakeDatabase) -> None:
    hubei, hainan = mongo.repo("orgs", "hubei"), mongo.repo("orgs", "hainan")
    await hubei.insert({"_id": "h1", "name": "x"})
    await hainan.insert({"_id": "n1", "name": "x"})
    assert [d["_id"] for d in await hubei.find({"name": "x"})] == ["h1"]
    assert await hainan.get("h1") is None and await hainan.count() == 1
    assert await hainan.update({"_id": "h1"}, {"$set": {"name": "stolen"}}) is None
    assert await hainan.delete({"_id": "h1"}) == 0
    assert (await hubei.get("h1"))["name"] == "x"
    stored = await hubei.insert({"_id": "h2", "tenant_id": "hainan"})  # cannot be forged
    assert stored["tenant_id"] == "hubei"


async def test_find_with_sort_limit_skip_projection(mongo: FakeDatabase) -> None:
    repo = mongo.repo("plans", "hubei")
    for i, day in enumerate([3, 1, 2, 5, 4]):
        await repo.insert({"_id": f"p{i}", "day": day, "title": f"t{day}"})
    got = await repo.find({"day": {"$gte": 2}}, sort=[("day", -1)], limit=2, skip=1,
                          projection={"title": 1})
    assert got == [{"_id": "p4", "title": "t4"}, {"_id": "p0", "title": "t3"}]
    assert await repo.count({"day": {"$lt": 3}}) == 2
    rows = await mongo.db["plans"].find({"tenant_id": "hubei"}).sort([("day", 1)]).limit(3).to_list()
    assert [r["day"] for r in rows] == [1, 2, 3]
    assert [d["day"] async for d in mongo.db.plans.find({"day": 5})] == [5]


async def test_update_operators_return_the_document_after(mongo: FakeDatabase) -> None:
    repo = mongo.repo("records", "hubei")
    await repo.insert({"_id": "r1", "n": 1, "tags": ["a"], "photos": ["x", "y"]})
    after = await repo.update({"_id": "r1"}, {"$set": {"status": "submitted"}, "$inc": {"n": 2},
                                              "$push": {"tags": "b"}, "$pull": {"photos": "x"}})
    assert after == {"_id": "r1", "n": 3, "tags": ["a", "b"], "photos": ["y"], "status": "submitted",
                     "tenant_id": "hubei"}
    after = await repo.update({"_id": "r1"}, {"$addToSet": {"tags": {"$each": ["a", "c"]}}})
    assert after is not None and after["tags"] == ["a", "b", "c"]
    assert await repo.update({"_id": "nope"}, {"$set": {"n": 0}}) is None


async def test_collection_upsert_update_many_and_find_one_and_update(mongo: FakeDatabase) -> None:
    repo = mongo.repo("users", "hubei")
    col = repo.collection
    await col.update_one({"_id": "u1", "tenant_id": "hubei"}, {"$set": {"name": "Li"}}, upsert=True)
    await col.update_one({"_id": "u1", "tenant_id": "hubei"}, {"$set": {"name": "Li Lei"}}, upsert=True)
    assert await repo.get("u1") == {"_id": "u1", "tenant_id": "hubei", "name": "Li Lei"}
    await repo.insert({"_id": "u2", "read": False})
    res = await col.update_many({"tenant_id": "hubei"}, {"$set": {"read": True}})
    assert res.modified_count == 2
    counter = await mongo.db["counters"].find_one_and_update(
        {"_id": "hubei:2026"}, {"$inc": {"seq": 1}}, upsert=True, return_document=True)
    assert counter == {"_id": "hubei:2026", "seq": 1}


async def test_duplicate_id_raises_duplicate_key_error(mongo: FakeDatabase) -> None:
    await mongo.db["inbox"].insert_one({"_id": "c:e1"})
    with pytest.raises(DuplicateKeyError):
        await mongo.db["inbox"].insert_one({"_id": "c:e1"})
    async with mongo.uow("hubei") as uow:
        with pytest.raises(DuplicateKeyError):
            await uow.db["inbox"].insert_one({"_id": "c:e1"}, session=uow.session)


async def test_with_transaction_retries_write_conflicts_until_all_apply(mongo: FakeDatabase) -> None:
    await mongo.repo("plans", "hubei").insert({"_id": "p1", "n": 0})
    attempts = 0

    async def increment(uow: FakeUnitOfWork) -> None:
        nonlocal attempts
        attempts += 1
        plan = await uow.repo("plans").get("p1")
        await asyncio.sleep(0)  # let the others read the same version
        await uow.repo("plans").update({"_id": "p1"}, {"$set": {"n": plan["n"] + 1}})

    with instant_retries():
        await asyncio.gather(*(with_transaction(mongo, "hubei", increment) for _ in range(4)))
    assert (await mongo.repo("plans", "hubei").get("p1"))["n"] == 4
    assert attempts > 4  # some lost the race and ran again


async def test_with_transaction_aggregate_lock_serialises_units(mongo: FakeDatabase) -> None:
    await mongo.repo("plans", "hubei").insert({"_id": "p1", "n": 0})
    attempts = 0

    async def increment(uow: FakeUnitOfWork) -> None:
        nonlocal attempts
        attempts += 1
        plan = await uow.repo("plans").get("p1")
        await asyncio.sleep(0)
        await uow.repo("plans").update({"_id": "p1"}, {"$set": {"n": plan["n"] + 1}})

    await asyncio.gather(*(with_transaction(mongo, "hubei", increment, aggregate="plan:p1")
                           for _ in range(4)))
    assert (await mongo.repo("plans", "hubei").get("p1"))["n"] == 4 and attempts == 4


async def test_injected_faults_raise_once(mongo: FakeDatabase) -> None:
    mongo.fail("find_one", ConnectionError("down"), collection="orgs")
    with pytest.raises(ConnectionError):
        await mongo.repo("orgs", "hubei").get("o1")
    assert await mongo.repo("orgs", "hubei").get("o1") is None


async def test_fake_storage_keeps_objects_and_fails_the_nth_put() -> None:
    storage = FakeStorage()
    first = await storage.put_bytes(tenant="hubei", folder="photos", data=b"a", content_type="image/png")
    assert first.key.startswith("hubei/photos/") and first.key.endswith(".png")
    assert await storage.get_bytes(first) == b"a"
    assert "expires=900" in await storage.presigned_get(first)
    storage.fail_put_at(2)
    await storage.put_bytes(tenant="hubei", folder="photos", data=b"b", content_type="image/jpeg")
    with pytest.raises(ConnectionError):
        await storage.put_bytes(tenant="hubei", folder="photos", data=b"c", content_type="image/jpeg")
    await storage.delete(first)
    assert len(storage.objects) == 1 and storage.removed == [(first.bucket, first.key)]

"""``with_transaction`` on the real database: conflicting units of one aggregate."""

from __future__ import annotations

import asyncio

from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.types import new_id


async def _read_modify_write(mongo: Mongo, doc_id: str, runs: list[str], *, aggregate: str | None) -> int:
    """One unit: read the counter, take a while (as a unit with an upload check would), write +1."""

    async def unit(uow: UnitOfWork) -> int:
        runs.append(doc_id)
        doc = await uow.db["counters"].find_one({"_id": doc_id}, session=uow.session)
        await asyncio.sleep(0.02)
        value = doc["value"] + 1
        await uow.db["counters"].update_one({"_id": doc_id, "value": doc["value"]}, {"$set": {"value": value}},
                                            session=uow.session)
        return value

    return await with_transaction(mongo, "hubei", unit, aggregate=aggregate)


async def test_units_of_one_aggregate_run_once_each_in_arrival_order(infra):
    """12 units updating one plan-like document at once: with ``aggregate`` each runs exactly
    once (no conflict, no retry), in the order they came, and every increment lands."""
    mongo = Mongo(infra.mongo_url, f"anjian_tx_{new_id()[:8]}", "tests")
    try:
        doc_id = new_id()
        await mongo.db["counters"].insert_one({"_id": doc_id, "value": 0})
        runs: list[str] = []
        values = await asyncio.gather(*(_read_modify_write(mongo, doc_id, runs, aggregate=f"plan:{doc_id}")
                                        for _ in range(12)))
        assert values == list(range(1, 13))  # first come, first served
        assert len(runs) == 12  # no unit had to run again
        assert (await mongo.db["counters"].find_one({"_id": doc_id}))["value"] == 12

        # the same without ``aggregate``: the units race, conflicts are retried (the database
        # still keeps every increment: the retry re-reads), so units ran more than once
        other = new_id()
        await mongo.db["counters"].insert_one({"_id": other, "value": 0})
        raced: list[str] = []
        outcomes = await asyncio.gather(*(_read_modify_write(mongo, other, raced, aggregate=None)
                                          for _ in range(12)), return_exceptions=True)
        done = [v for v in outcomes if isinstance(v, int)]
        assert len(raced) > 12, "the contrast needs contention: units must have conflicted"
        assert (await mongo.db["counters"].find_one({"_id": other}))["value"] == len(done)
    finally:
        await mongo.client.drop_database(mongo.db.name)
        await mongo.close()


async def test_repository_update_in_a_transaction_returns_the_post_image_of_its_tenants_document(infra):
    """``TenantRepository.update`` by ``_id`` inside a unit (update_one + find_one, issue 16):
    the same answers as findAndModify — the post-image when the filter matches, None when its
    condition fails, another tenant's document with the same id untouched — and a unit that
    fails after it keeps nothing."""
    mongo = Mongo(infra.mongo_url, f"anjian_tx_{new_id()[:8]}", "tests")
    try:
        plan_id = new_id()
        await mongo.db["plans"].insert_many([
            {"_id": plan_id, "tenant_id": "hubei", "status": "confirmed", "result_count": 0},
        ])
        await mongo.db["plans"].insert_one({"_id": f"{plan_id}-x", "tenant_id": "hainan", "status": "confirmed"})

        async def add(uow: UnitOfWork) -> dict | None:
            return await uow.repo("plans").update({"_id": plan_id, "status": {"$ne": "submitted"}},
                                                  {"$inc": {"result_count": 1}})

        after = await with_transaction(mongo, "hubei", add)
        assert after is not None and after["result_count"] == 1 and after["tenant_id"] == "hubei"

        async def other_tenant(uow: UnitOfWork) -> dict | None:
            return await uow.repo("plans").update({"_id": plan_id}, {"$set": {"status": "submitted"}})

        assert await with_transaction(mongo, "hainan", other_tenant) is None  # not hainan's document

        async def submit_then_fail(uow: UnitOfWork) -> None:
            await uow.repo("plans").update({"_id": plan_id}, {"$set": {"status": "submitted"}})
            raise RuntimeError("a later step failed")

        try:
            await with_transaction(mongo, "hubei", submit_then_fail)
        except RuntimeError:
            pass
        assert (await mongo.db["plans"].find_one({"_id": plan_id}))["status"] == "confirmed"  # rolled back

        async def submit(uow: UnitOfWork) -> dict | None:
            return await uow.repo("plans").update({"_id": plan_id, "status": "confirmed"},
                                                  {"$set": {"status": "submitted"}})

        async def touch(uow: UnitOfWork) -> dict | None:  # a caller that only asks whether it matched
            return await uow.repo("plans").update({"_id": plan_id, "status": "confirmed"},
                                                  {"$inc": {"result_count": 1}}, returning=False)

        assert await with_transaction(mongo, "hubei", touch) == {"_id": plan_id}
        assert (await mongo.db["plans"].find_one({"_id": plan_id}))["result_count"] == 2
        assert (await with_transaction(mongo, "hubei", submit))["status"] == "submitted"
        assert await with_transaction(mongo, "hubei", add) is None  # the condition no longer holds
        assert await with_transaction(mongo, "hubei", touch) is None
    finally:
        await mongo.client.drop_database(mongo.db.name)
        await mongo.close()

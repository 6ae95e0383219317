"""The audit trail (issue 16; architecture.md "Identity, tenancy, access"; 网络安全法 art. 21):
every write through a unit of work is recorded in the same transaction (staged), then
hash-chained per tenant by the sealer; verification detects an edited, deleted or reordered
entry; concurrent units never conflict over the trail nor fork the chain; entries are kept
≥ 183 days. On the fakes (mongomock transactions that conflict like MongoDB's)."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from typing import Any

import pytest

from anjian_shared import audit
from anjian_shared.audit_api import audit_filter, workbook
from anjian_shared.errors import Unprocessable
from anjian_shared.events.identity_v1 import OrganizationCreated
from anjian_shared.mongo import with_transaction
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from anjian_shared.types import utcnow

TENANT = "hubei"


@pytest.fixture
def mongo() -> FakeDatabase:
    return FakeDatabase(service="inspections")


@pytest.fixture(autouse=True)
def actor() -> Any:
    audit.clear()
    audit.set_origin(address="203.0.113.7", user_agent="mini-program/2.1", request_id="req-1", trace_id="t" * 32)
    audit.set_actor(Principal(user_id="u-sup", tenant=TENANT, org_id="o-station", roles=["supervisor"],
                              name="张监督"))
    yield
    audit.clear()


async def sealed(mongo: FakeDatabase) -> list[dict[str, Any]]:
    """Run the sealer's pass; the chain's entries, by tenant and seq."""
    await audit.seal_pending(mongo)
    return sorted(mongo.documents(audit.AUDIT), key=lambda e: (e["tenant_id"], e["seq"]))


async def create_plan(mongo: FakeDatabase, plan_id: str, *, tenant: str = TENANT) -> None:
    async def fn(uow: Any) -> None:
        await uow.repo("plans").insert({"_id": plan_id, "status": "draft"})
        uow.emit("identity.organization.created.v1", subject=plan_id,
                 data=OrganizationCreated(org_id=plan_id, name="x", kind="station"))

    await with_transaction(mongo, tenant, fn)


async def submit_plan(mongo: FakeDatabase, plan_id: str) -> None:
    async def fn(uow: Any) -> None:
        uow.audit_action = "plan.submitted"
        await uow.repo("plans").update({"_id": plan_id}, {"$set": {"status": "submitted"}})

    await with_transaction(mongo, TENANT, fn)


async def test_a_change_is_recorded_in_its_transaction_with_who_when_what_and_where(mongo: FakeDatabase) -> None:
    await create_plan(mongo, "p1")
    await submit_plan(mongo, "p1")
    [staged_one, staged_two] = mongo.documents(audit.PENDING)  # committed with the change
    assert {staged_one["action"], staged_two["action"]} == {"identity.organization.created", "plan.submitted"}
    first, second = await sealed(mongo)
    assert mongo.documents(audit.PENDING) == []
    assert (first["seq"], second["seq"]) == (1, 2)
    assert first["prev_hash"] == audit.GENESIS and second["prev_hash"] == first["hash"]
    assert first["action"] == "identity.organization.created"  # from the event it emitted
    assert second["action"] == "plan.submitted"
    assert second["actor"]["user_id"] == "u-sup" and second["actor"]["name"] == "张监督"
    assert second["origin"] == {"address": "203.0.113.7", "user_agent": "mini-program/2.1", "request_id": "req-1",
                                "trace_id": "t" * 32}
    assert second["objects"] == [{"collection": "plans", "id": "p1"}]
    assert '"$set":{"status":"submitted"}' in second["changes"]
    assert second["expires_at"] - second["at"] >= timedelta(days=183)
    [head] = mongo.documents(audit.HEADS)
    assert head["seq"] == 2 and head["hash"] == second["hash"]


async def test_secrets_never_enter_the_trail(mongo: FakeDatabase) -> None:
    async def create_user(uow: Any) -> None:
        await uow.repo("users").insert({"_id": "u9", "username": "li", "password_hash": "$argon2id$v=19$secret",
                                        "profile": {"webhook_secret": "whsec_x"}})
        await uow.repo("keys").update({"_id": "k1"}, {"$set": {"private_pem": "-----BEGIN"}})

    await uow_run(mongo, create_user)
    [entry] = await sealed(mongo)
    assert "argon2" not in entry["changes"] and "whsec_x" not in entry["changes"]
    assert '"password_hash":"<redacted>"' in entry["changes"] and '"username":"li"' in entry["changes"]


async def uow_run(mongo: FakeDatabase, fn: Any) -> None:
    await mongo.db["keys"].insert_one({"_id": "k1", "tenant_id": TENANT})
    await with_transaction(mongo, TENANT, fn)


async def test_an_aborted_unit_leaves_no_entry(mongo: FakeDatabase) -> None:
    async def fails(uow: Any) -> None:
        await uow.repo("plans").insert({"_id": "p9"})
        raise RuntimeError("rule broken")

    with pytest.raises(RuntimeError):
        await with_transaction(mongo, TENANT, fails)
    assert await sealed(mongo) == [] and mongo.documents("plans") == []


async def test_a_unit_that_changes_nothing_writes_no_entry(mongo: FakeDatabase) -> None:
    async def reads(uow: Any) -> None:
        await uow.repo("plans").get("nope")

    await with_transaction(mongo, TENANT, reads)
    assert await sealed(mongo) == []


async def test_verify_accepts_an_intact_chain_per_tenant(mongo: FakeDatabase) -> None:
    for i in range(3):
        await create_plan(mongo, f"p{i}")
    await create_plan(mongo, "q1", tenant="hainan")
    await sealed(mongo)
    result = await audit.verify(mongo.db, TENANT)
    assert result.ok, result.problems
    assert (result.entries, result.first_seq, result.last_seq) == (3, 1, 3)
    assert (await audit.verify(mongo.db, "hainan")).entries == 1


async def test_verify_detects_an_edited_entry(mongo: FakeDatabase) -> None:
    for i in range(3):
        await create_plan(mongo, f"p{i}")
    await sealed(mongo)
    await mongo.db[audit.AUDIT].update_one({"tenant_id": TENANT, "seq": 2}, {"$set": {"actor.user_id": "u-other"}})
    result = await audit.verify(mongo.db, TENANT)
    assert not result.ok and any("seq 2" in p and "edited" in p for p in result.problems), result.problems


async def test_verify_detects_an_edit_with_a_recomputed_hash(mongo: FakeDatabase) -> None:
    """Whoever edits an entry and recomputes its hash still breaks the next entry's prev_hash."""
    for i in range(3):
        await create_plan(mongo, f"p{i}")
    await sealed(mongo)
    entry = await mongo.db[audit.AUDIT].find_one({"tenant_id": TENANT, "seq": 2})
    entry["action"] = "nothing.happened"
    entry["hash"] = audit.entry_hash(entry)
    await mongo.db[audit.AUDIT].replace_one({"_id": entry["_id"]}, entry)
    result = await audit.verify(mongo.db, TENANT)
    assert any("seq 3: prev_hash" in p for p in result.problems), result.problems


@pytest.mark.parametrize("seq", [1, 2, 3])
async def test_verify_detects_a_deleted_entry(mongo: FakeDatabase, seq: int) -> None:
    for i in range(3):
        await create_plan(mongo, f"p{i}")
    await sealed(mongo)
    await mongo.db[audit.AUDIT].delete_one({"tenant_id": TENANT, "seq": seq})
    assert not (await audit.verify(mongo.db, TENANT)).ok


async def test_expired_entries_at_the_start_are_not_an_error(mongo: FakeDatabase) -> None:
    for i in range(3):
        await create_plan(mongo, f"p{i}")
    await sealed(mongo)
    await mongo.db[audit.AUDIT].delete_one({"tenant_id": TENANT, "seq": 1})  # as the TTL index would
    later = utcnow() + timedelta(days=200)
    assert (await audit.verify(mongo.db, TENANT, now=later)).ok


async def test_concurrent_units_never_conflict_over_the_trail_nor_fork_the_chain(mongo: FakeDatabase) -> None:
    commits_before = mongo.commits
    await asyncio.gather(*(create_plan(mongo, f"p{i}") for i in range(12)))
    assert mongo.commits - commits_before == 12  # no unit retried because of the trail
    await asyncio.gather(audit.seal_pending(mongo), audit.seal_pending(mongo))  # two sealers at once
    entries = await sealed(mongo)
    assert [e["seq"] for e in entries] == list(range(1, 13))
    assert (await audit.verify(mongo.db, TENANT)).ok


async def test_entries_left_unsealed_are_reported(mongo: FakeDatabase) -> None:
    await create_plan(mongo, "p1")
    assert (await audit.verify(mongo.db, TENANT)).ok  # just committed: the sealer has time
    later = utcnow() + timedelta(minutes=10)
    result = await audit.verify(mongo.db, TENANT, now=later)
    assert any("not sealed" in p for p in result.problems)


async def test_record_writes_an_entry_without_a_change(mongo: FakeDatabase) -> None:
    await audit.record(mongo, TENANT, action="session.sign_in_failed", objects=[("users", "u-sup")],
                       details={"username": "zhang", "reason": "bad-password"})
    [entry] = await sealed(mongo)
    assert entry["action"] == "session.sign_in_failed" and entry["objects"] == [{"collection": "users", "id": "u-sup"}]
    assert "password\"" not in entry["changes"] or "bad-password" in entry["changes"]


async def test_read_model_snapshots_are_not_audited(mongo: FakeDatabase) -> None:
    async def snapshot(uow: Any) -> None:
        uow.journal.enabled = False
        await uow.repo("projects").insert({"_id": "prj"})

    await with_transaction(mongo, TENANT, snapshot)
    assert await sealed(mongo) == []


async def test_the_tenant_retention_limit_extends_expiry(mongo: FakeDatabase) -> None:
    from anjian_shared import mongo as mongo_module

    mongo_module._RETENTION_CACHE.clear()
    await mongo.db["tenant_policy"].insert_one({"_id": TENANT, "tenant_id": TENANT,
                                                "limits": {"audit_retention_days": 400}})
    await create_plan(mongo, "p1")
    [entry] = await sealed(mongo)
    assert entry["expires_at"] - entry["at"] == timedelta(days=400)
    mongo_module._RETENTION_CACHE.clear()


def test_query_filter_by_user_object_action_and_period() -> None:
    now = utcnow()
    flt = audit_filter(user_id="u1", object_id="p1", action="plan.submitted", since=now - timedelta(days=1),
                       until=now)
    assert flt == {"actor.user_id": "u1", "objects.id": "p1", "action": "plan.submitted",
                   "at": {"$gte": now - timedelta(days=1), "$lt": now}}
    with pytest.raises(Unprocessable) as err:
        audit_filter(user_id=None, object_id=None, action=None, since=now, until=now - timedelta(days=1))
    assert err.value.field == "since"


async def test_export_is_a_workbook_with_the_chain(mongo: FakeDatabase) -> None:
    from openpyxl import load_workbook

    await create_plan(mongo, "p1")
    wb = load_workbook(io.BytesIO(workbook(await sealed(mongo))))
    rows = list(wb["审计日志"].values)
    assert rows[0][0] == "序号 seq" and rows[1][0] == 1 and rows[1][4] == "u-sup" and len(rows[1][14]) == 64


def test_verify_command_parses_its_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    async def fake(url: str, prefix: str, tenant: str, services: list[str]) -> int:
        seen.update(url=url, tenant=tenant, services=services)
        return 0

    monkeypatch.setattr(audit, "_verify_cli", fake)
    assert audit.main(["verify", "--tenant", "hubei", "--service", "inspections", "--mongo-url", "mongodb://x/"]) == 0
    assert seen == {"url": "mongodb://x/", "tenant": "hubei", "services": ["inspections"]}

"""Commit-outcome resolution (``UnitOfWork._commit_resolving_unknown_result``) on the fake database.

Fault test F4 (a SIGKILLed database) found requests failing on a commit that had in fact
happened; the unit's marker in ``commits`` now decides instead of a guess.
"""

from __future__ import annotations

import pytest
from pymongo.errors import AutoReconnect, OperationFailure

from anjian_shared.mongo import COMMITS, with_transaction
from anjian_shared.testing import instant_retries
from anjian_shared.testing.fakes import FakeDatabase, FakeUnitOfWork

TENANT = "hainan"


def commit_answer_lost() -> AutoReconnect:
    exc = AutoReconnect("connection closed during commitTransaction")
    exc._add_error_label("UnknownTransactionCommitResult")
    return exc


def transaction_forgotten() -> OperationFailure:
    """What a restarted server answers to a repeated commit: it no longer knows the transaction."""
    return OperationFailure("Transaction 3 has been aborted.", code=251,
                            details={"code": 251, "codeName": "NoSuchTransaction"})


async def write_notice(uow: FakeUnitOfWork) -> None:
    await uow.repo("notices").insert({"_id": "n1", "title": "整改通知"})


@pytest.fixture
def mongo() -> FakeDatabase:
    return FakeDatabase(service="notices")


async def test_unknown_result_with_the_marker_present_is_a_success(mongo: FakeDatabase) -> None:
    mongo.fail_commit(commit_answer_lost(), applied=True)  # applied, then the answer was lost
    mongo.fail_commit(transaction_forgotten(), applied=False)  # the server restarted meanwhile
    with instant_retries():
        async with mongo.uow(TENANT) as uow:
            await write_notice(uow)
            await uow.commit()
    assert uow.committed and mongo.documents("notices")[0]["title"] == "整改通知"
    assert mongo.documents(COMMITS, {"_id": uow.commit_id})


async def test_unknown_result_with_the_marker_absent_propagates_the_error(mongo: FakeDatabase) -> None:
    lost = commit_answer_lost()
    mongo.fail_commit(lost, applied=False)  # the commit never happened
    mongo.fail_commit(transaction_forgotten(), applied=False)
    with instant_retries(), pytest.raises(AutoReconnect) as raised:
        async with mongo.uow(TENANT) as uow:
            await write_notice(uow)
            await uow.commit()
    assert raised.value is lost and not uow.committed
    assert mongo.documents("notices") == [] and mongo.documents(COMMITS) == []


async def test_with_transaction_runs_the_unit_again_only_when_it_did_not_commit(mongo: FakeDatabase) -> None:
    """Not applied + transient label: ``with_transaction`` may safely run the unit again."""
    failed = OperationFailure("interrupted", code=112, details={
        "code": 112, "errorLabels": ["TransientTransactionError", "UnknownTransactionCommitResult"]})
    mongo.fail_commit(failed, applied=False)
    mongo.fail_commit(transaction_forgotten(), applied=False)
    runs = 0

    async def fn(uow: FakeUnitOfWork) -> None:
        nonlocal runs
        runs += 1
        await write_notice(uow)

    with instant_retries():
        await with_transaction(mongo, TENANT, fn)
    assert runs == 2 and len(mongo.documents("notices")) == 1


async def test_still_unreachable_is_retried_until_patience_then_fails(mongo: FakeDatabase) -> None:
    lost = commit_answer_lost()
    mongo.fail_commit(lost, applied=False)
    mongo.fail_commit(AutoReconnect("database still down"), applied=False, times=10**9)
    with instant_retries():
        async with mongo.uow(TENANT) as uow:
            await write_notice(uow)
            with pytest.raises(AutoReconnect) as raised:
                await uow._commit_resolving_unknown_result(patience=0.05)
    assert raised.value is lost  # the first, unknown, outcome is what the caller learns (503)
    assert 10**9 - mongo.commit_faults[0].times > 2  # the commit was repeated, not given up at once
    assert mongo.documents("notices") == []


async def test_an_ordinary_commit_error_is_not_resolved(mongo: FakeDatabase) -> None:
    mongo.fail_commit(OperationFailure("not authorized", code=13), applied=False)
    with pytest.raises(OperationFailure):
        async with mongo.uow(TENANT) as uow:
            await write_notice(uow)
            await uow.commit()
    assert mongo.documents("notices") == []

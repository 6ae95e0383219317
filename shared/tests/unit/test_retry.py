"""The named retry policies (issue 10 "one retry vocabulary"): jitter, caps, what they retry."""

from __future__ import annotations

import pytest
from pymongo.errors import AutoReconnect

from anjian_shared.retry import DEPENDENCY_WAIT, RECONNECT, REDELIVERY, TRANSACTION_CONFLICT, Policy
from anjian_shared.testing import instant_retries


@pytest.mark.parametrize("policy", [DEPENDENCY_WAIT, TRANSACTION_CONFLICT, RECONNECT, REDELIVERY])
def test_waits_grow_are_jittered_and_capped(policy: Policy) -> None:
    for failures in range(1, 12):
        mean = min(policy.initial * 2 ** (failures - 1), policy.maximum)
        waits = {policy.backoff(failures) for _ in range(50)}
        assert all(0.5 * mean - 1e-9 <= w <= 1.5 * mean + 1e-9 for w in waits)
        assert len(waits) > 1  # jittered: replicas that failed together do not retry together


def test_every_policy_has_a_cap_or_is_meant_to_run_until_stopped() -> None:
    assert DEPENDENCY_WAIT.timeout == 30 and (DEPENDENCY_WAIT.initial, DEPENDENCY_WAIT.maximum) == (0.2, 2.0)
    assert TRANSACTION_CONFLICT.attempts == 8 and TRANSACTION_CONFLICT.initial == 0.02
    assert RECONNECT.attempts is None and RECONNECT.timeout is None and RECONNECT.maximum == 5.0


def _failing(times: int, error: BaseException) -> tuple[list[int], object]:
    calls: list[int] = []

    async def op() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return "done"

    return calls, op


async def test_dependency_wait_retries_only_an_unavailable_dependency() -> None:
    with instant_retries():
        calls, op = _failing(3, AutoReconnect("restarting"))
        assert await DEPENDENCY_WAIT.call(op) == "done" and len(calls) == 4
        calls, op = _failing(3, ValueError("a bug"))
        with pytest.raises(ValueError):
            await DEPENDENCY_WAIT.call(op)
        assert len(calls) == 1


async def test_dependency_wait_gives_up_after_its_time_limit() -> None:
    with instant_retries():
        calls, op = _failing(10**9, AutoReconnect("gone"))
        with pytest.raises(AutoReconnect):
            await DEPENDENCY_WAIT.call(op, timeout=0.02)
        assert len(calls) > 1


async def test_transaction_conflict_gives_up_after_8_attempts() -> None:
    with instant_retries():
        calls, op = _failing(100, RuntimeError("conflict"))
        with pytest.raises(RuntimeError):
            await TRANSACTION_CONFLICT.call(op)
        assert len(calls) == 8


async def test_reconnect_goes_on_until_it_succeeds_and_stops_when_told() -> None:
    with instant_retries():
        calls, op = _failing(50, ConnectionError("broker away"))
        assert await RECONNECT.call(op) == "done" and len(calls) == 51
        calls, op = _failing(50, ConnectionError("broker away"))
        with pytest.raises(ConnectionError):
            await RECONNECT.call(op, give_up_when=lambda: len(calls) >= 3)
        assert len(calls) == 3

"""PLAT-02 (every capability is an HTTP API with an OpenAPI document).
S5: schemathesis runs every operation of every service's OpenAPI document against the
running services: no 5xx, no response that breaks its own schema (status code, content
type, body), for valid (positive) and invalid (negative) generated requests.

Schemathesis 4's Python API: the document of each running app (``app.openapi()``) is
loaded with ``schemathesis.openapi.from_dict``; each operation's hypothesis strategy
(``APIOperation.as_strategy``) generates cases that are sent over real HTTP with
``Case.call`` and judged with ``Case.validate_response``. It runs in a worker thread
because the services serve from this test's event loop. Examples per operation are
bounded (``ANJIAN_FUZZ_EXAMPLES``, default 15 positive + 10 negative) to keep the run short.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from anjian_local.testing.fixtures import SERVICES

schemathesis = pytest.importorskip("schemathesis")
# the imports below need schemathesis (and its hypothesis), skipped above when it is absent
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
POSITIVE = int(os.environ.get("ANJIAN_FUZZ_EXAMPLES", "15"))
NEGATIVE = max(POSITIVE * 2 // 3, 1)


@dataclass
class Tally:
    operations: int = 0
    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    nothing_negative: int = 0
    """operations without any input to break (no parameters, no body): no negative case exists"""
    failures: dict[str, str] = field(default_factory=dict)


def fuzz_service(name: str, document: dict[str, Any], base_url: str, token: str, tally: Tally) -> None:
    """Run every operation of one service (in a worker thread)."""
    schema = schemathesis.openapi.from_dict(document)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    for result in schema.get_all_operations():
        operation = result.ok()
        tally.operations += 1
        label = f"{name} {operation.method.upper()} {operation.path}"
        for mode, examples in ((GenerationMode.POSITIVE, POSITIVE), (GenerationMode.NEGATIVE, NEGATIVE)):
            try:
                strategy = operation.as_strategy(generation_mode=mode)
            except Exception as exc:  # noqa: BLE001 - e.g. nothing negative to generate
                tally.failures.setdefault(f"{label} [{mode.value}: strategy]", repr(exc)[:300])
                continue

            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def run(case: Any) -> None:
                response = case.call(base_url=base_url, session=session, timeout=30)
                tally.cases += 1
                tally.statuses[response.status_code] += 1
                try:
                    case.validate_response(response, checks=CHECKS)
                except Exception as exc:  # noqa: BLE001 - collected, reported together
                    key = f"{label} → {response.status_code}"  # noqa: B023 - run() is called in this loop
                    tally.failures.setdefault(key, f"{type(exc).__name__}: {str(exc)[:600]}\n"
                                                   f"   request: {case.method} {case.formatted_path} "
                                                   f"query={case.query} body={str(case.body)[:200]}")

            try:
                run()
            except Unsatisfiable:
                if mode is GenerationMode.NEGATIVE:
                    tally.nothing_negative += 1
                else:
                    tally.failures.setdefault(f"{label} [positive]", "no valid request can be generated")
            except Exception as exc:  # noqa: BLE001 - generation errors (unsatisfiable schemas…)
                tally.failures.setdefault(f"{label} [{mode.value}]", f"{type(exc).__name__}: {str(exc)[:300]}")


@pytest.mark.slow
@pytest.mark.parametrize("name", SERVICES)
async def test_every_operation_survives_generated_requests(name, platform, played, report):
    """One service per test: each has its own time budget (the whole platform's 366
    operations took 245-256 s here and over 300 s on a slower runner as one test), and a
    failure names the service it is in."""
    if name not in platform.services:
        pytest.skip(f"{name} is not running (ANJIAN_TEST_SERVICES)")
    svc = platform.services[name]
    tally = Tally()
    started = time.monotonic()
    token = played.admin_token if name == "identity" else played.hubei.token("zhang")
    await asyncio.to_thread(fuzz_service, name, svc.app.openapi(), svc.url, token, tally)
    seconds = time.monotonic() - started
    statuses = ", ".join(f"{k}×{v}" for k, v in sorted(tally.statuses.items()))
    text = (f"{name}: {tally.operations} operations, {tally.cases} cases ({POSITIVE} positive + {NEGATIVE} "
            f"negative examples per operation) in {seconds:.0f} s; {tally.nothing_negative} operations take "
            f"no input to break (no negative cases); statuses: {statuses}"
            + f"\nfailures: {len(tally.failures)}"
            + "".join(f"\n  {k}: {v}" for k, v in sorted(tally.failures.items())))
    report(f"S5 schemathesis {name}", text)
    assert tally.operations, f"{name} documents no operation"
    assert not any(500 <= s for s in tally.statuses), statuses
    assert not tally.failures, "\n".join(f"{k}: {v}" for k, v in tally.failures.items())

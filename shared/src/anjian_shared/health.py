"""``/healthz`` (the process is alive) and ``/readyz`` (MongoDB, RabbitMQ and S3 answer).

Both are mounted at the root (for orchestrators) and under ``/api/<service>/v1``.
``/readyz`` answers 503 with the failing checks until every dependency answers.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse


async def _check(coro, timeout: float = 2.0) -> str:  # type: ignore[no-untyped-def]
    try:
        result = await asyncio.wait_for(coro, timeout)
        return "ok" if result is not False else "failing"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return f"failing: {type(exc).__name__}"


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        """Always ``{"status": "ok"}`` while the process serves HTTP."""
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness", responses={503: {"description": "a dependency is down"}})
    async def readyz(request: Request) -> JSONResponse:
        """``{"status": "ready"|"unavailable", "checks": {mongodb, rabbitmq, s3, startup}}``."""
        state = request.app.state

        async def bus_ok() -> bool:
            return state.bus.connected

        async def started() -> bool:
            return bool(getattr(state, "started", False))

        checks = dict(zip(
            ("mongodb", "rabbitmq", "s3", "startup"),
            await asyncio.gather(_check(state.mongo.ping()), _check(bus_ok()), _check(state.storage.ready()),
                                 _check(started())),
            strict=True,
        ))
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                            status_code=200 if ready else 503)

    return router

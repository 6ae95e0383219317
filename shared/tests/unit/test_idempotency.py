"""The ``Idempotency-Key`` middleware on the fake database (architecture.md "HTTP": writes a
mobile client may retry accept an ``Idempotency-Key``)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from pymongo.errors import AutoReconnect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from anjian_shared.idempotency import COLLECTION, IdempotencyMiddleware
from anjian_shared.principal import Principal
from anjian_shared.testing import instant_retries
from anjian_shared.testing.fakes import FakeDatabase

PATH = "/api/inspections/v1/plans"


class Verifier:
    async def verify(self, token: str) -> Principal:
        return Principal(user_id=token, tenant="hubei", org_id="s1", roles=["supervisor"])


class Endpoint:
    """Counts executions; answers 201, or 500 for ``{"fail": true}``; can be held mid-request."""

    def __init__(self) -> None:
        self.runs = 0
        self.release = asyncio.Event()
        self.release.set()
        self.entered = asyncio.Event()

    async def __call__(self, request: Request) -> JSONResponse:
        self.runs += 1
        body = await request.json()
        self.entered.set()
        await self.release.wait()
        if body.get("fail"):
            return JSONResponse({"detail": "boom"}, status_code=500)
        return JSONResponse({"id": f"plan-{self.runs}", **body}, status_code=201,
                            headers={"Location": f"{PATH}/plan-{self.runs}"})


@pytest.fixture
def endpoint() -> Endpoint:
    return Endpoint()


@pytest.fixture
def mongo() -> FakeDatabase:
    return FakeDatabase(service="inspections")


@pytest.fixture
def client(endpoint: Endpoint, mongo: FakeDatabase) -> httpx.AsyncClient:
    async def create_plan(request: Request) -> JSONResponse:
        return await endpoint(request)

    app = Starlette(routes=[Route(PATH, create_plan, methods=["POST"])])
    app.add_middleware(IdempotencyMiddleware)
    app.state.mongo = mongo
    app.state.verifier = Verifier()
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def post(client: httpx.AsyncClient, body: dict[str, Any], key: str = "k-1", user: str = "u1") -> Any:
    return client.post(PATH, json=body, headers={"Idempotency-Key": key, "Authorization": f"Bearer {user}"})


async def test_same_key_same_body_replays_the_stored_answer(client: httpx.AsyncClient, endpoint: Endpoint) -> None:
    first = await post(client, {"title": "春季检查"})
    again = await post(client, {"title": "春季检查"})
    assert first.status_code == again.status_code == 201 and endpoint.runs == 1
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers


async def test_same_key_different_body_is_refused_422(client: httpx.AsyncClient, endpoint: Endpoint) -> None:
    await post(client, {"title": "a"})
    reused = await post(client, {"title": "b"})
    assert reused.status_code == 422 and reused.json()["type"].endswith("idempotency-key-reused")
    assert endpoint.runs == 1


async def test_the_key_is_per_caller(client: httpx.AsyncClient, endpoint: Endpoint) -> None:
    await post(client, {"title": "a"}, user="u1")
    other = await post(client, {"title": "a"}, user="u2")
    assert other.status_code == 201 and "idempotent-replayed" not in other.headers and endpoint.runs == 2


async def test_concurrent_same_key_executes_once_the_other_gets_409(
        client: httpx.AsyncClient, endpoint: Endpoint) -> None:
    endpoint.release.clear()
    first = asyncio.create_task(post(client, {"title": "a"}))
    await endpoint.entered.wait()
    meanwhile = await post(client, {"title": "a"})
    endpoint.release.set()
    assert (await first).status_code == 201
    assert meanwhile.status_code == 409 and meanwhile.headers["retry-after"] == "1"
    assert endpoint.runs == 1
    assert (await post(client, {"title": "a"})).headers["idempotent-replayed"] == "true"


async def test_a_5xx_answer_is_not_stored(client: httpx.AsyncClient, endpoint: Endpoint, mongo: FakeDatabase) -> None:
    assert (await post(client, {"fail": True})).status_code == 500
    assert mongo.documents(COLLECTION) == []  # the claim is forgotten: the client may try again
    assert (await post(client, {"fail": True})).status_code == 500 and endpoint.runs == 2


async def test_the_answer_is_stored_even_while_the_database_restarts(
        client: httpx.AsyncClient, endpoint: Endpoint, mongo: FakeDatabase) -> None:
    mongo.fail("update_one", AutoReconnect("database restarting"), collection=COLLECTION, times=2)
    with instant_retries():
        assert (await post(client, {"title": "a"})).status_code == 201
    assert (await post(client, {"title": "a"})).headers["idempotent-replayed"] == "true"
    assert endpoint.runs == 1


async def test_requests_without_key_or_token_pass_through(client: httpx.AsyncClient, endpoint: Endpoint,
                                                          mongo: FakeDatabase) -> None:
    await client.post(PATH, json={"title": "a"}, headers={"Authorization": "Bearer u1"})
    await client.post(PATH, json={"title": "a"}, headers={"Idempotency-Key": "k"})
    assert endpoint.runs == 2 and mongo.documents(COLLECTION) == []
    too_long = await post(client, {"title": "a"}, key="k" * 201)
    assert too_long.status_code == 422 and endpoint.runs == 2

"""Deeply nested JSON bodies (issue 11, security): refused with 422 ``json-too-deep`` naming
``body`` by every service (the app factory), before any parser or serializer recurses.
Before: a body nested ~1000 levels answered 500 (pydantic's serializer gave up)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel

from anjian_shared.app import ServiceSpec, create_service_app
from anjian_shared.jsontext import json_depth_exceeds, loads_limited
from anjian_shared.settings import ServiceSettings

router = APIRouter()


class Body(BaseModel):
    data: dict[str, Any] = {}


@router.post("/echo")
async def echo(body: Body) -> dict[str, Any]:
    return {"data": body.data}


def _client() -> httpx.AsyncClient:
    app = create_service_app(
        ServiceSpec(name="demo", title="demo", description="demo", routers=[router]),
        ServiceSettings(service_name="demo", environment="test", log_level="ERROR"),
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://demo.test")


def _nested(depth: int) -> str:
    return '{"data":{"k":' + "[" * depth + "]" * depth + "}}"


@pytest.mark.parametrize("content_type", ["application/json", "application/merge-patch+json", None])
async def test_json_nested_1000_levels_is_422_naming_the_body(content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    async with _client() as c:
        r = await c.post("/api/demo/v1/echo", content=_nested(1000), headers=headers)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"].endswith("/json-too-deep") and problem["field"] == "body"


async def test_ordinary_nesting_still_passes_and_brackets_in_strings_do_not_count() -> None:
    async with _client() as c:
        r = await c.post("/api/demo/v1/echo", content=_nested(20), headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text
        text = '{"data":{"k":"' + "[{" * 500 + '\\"' + '"}}'
        r = await c.post("/api/demo/v1/echo", content=text, headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text


def test_depth_scan_counts_only_structure() -> None:
    assert not json_depth_exceeds(b'{"a":[1,{"b":"[[[[[["}]}', 3)
    assert json_depth_exceeds(b'{"a":[1,{"b":[[]]}]}', 4)
    assert not json_depth_exceeds(b'{"a":[1,{"b":[[]]}]}', 5)
    assert not json_depth_exceeds(b'"\\\\"' + b"[" * 10, 20)


def test_form_fields_holding_json_refuse_deep_text_as_malformed() -> None:
    """JSON inside form fields (hazard codes, lists, photo annotations) goes through
    ``loads_limited``: too deep is a ``ValueError`` like malformed JSON (their 422), not a
    ``RecursionError`` (a 500)."""
    assert loads_limited('["a", ["b"]]') == ["a", ["b"]]
    with pytest.raises(ValueError):
        loads_limited("[" * 100_000 + "]" * 100_000)

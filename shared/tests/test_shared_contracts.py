"""The shared library's contracts that need no servers: envelope, trace context, problems, cursors."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from anjian_shared.events import EVENT_TYPES, make_event
from anjian_shared.events.common import PersonRef
from anjian_shared.events.inspections_v1 import PlanConfirmed
from anjian_shared.logging import RequestContextMiddleware, bind_context, trace_id_of
from anjian_shared.pagination import NEWEST_FIRST, decode_cursor
from anjian_shared.problems import Conflict, Unprocessable, install_problem_handlers
from anjian_shared.settings import SERVICE_PORTS


def _confirmed() -> PlanConfirmed:
    p = PersonRef(user_id="u1", name="张伟")
    return PlanConfirmed(plan_id="p1", title="抽查", planned_date=date(2026, 11, 21), project_ids=["x"],
                         project_names=["项目"], responsible_supervisor=p, supervisors=[p], confirmed_by="u1")


def test_every_event_type_follows_the_naming_rule():
    for t in EVENT_TYPES:
        service, aggregate, verb, version = t.split(".")
        assert service in SERVICE_PORTS  # one of the platform's services
        assert version.startswith("v") and version[1:].isdigit()


def test_envelope_is_cloudevents_with_tenant_and_trace():
    bind_context(traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01")
    e = make_event(type="inspections.plan.confirmed.v1", tenant="hubei", service="inspections", subject="p1",
                   data=_confirmed())
    assert e.specversion == "1.0" and e.source == "/hubei/inspections" and e.subject == "p1"
    assert e.tenant == "hubei" and e.data["responsible_supervisor"]["name"] == "张伟"
    assert trace_id_of(e.traceparent) == "a" * 32, "events continue the caller's trace"
    assert e.traceparent.split("-")[2] != "b" * 16, "with a span of their own"


def test_envelope_refuses_unknown_type_and_wrong_payload():
    with pytest.raises(KeyError):
        make_event(type="inspections.plan.exploded.v1", tenant="hubei", service="x", subject="s", data=_confirmed())

    class Other(BaseModel):
        x: int = 1

    with pytest.raises(TypeError):
        make_event(type="inspections.plan.confirmed.v1", tenant="hubei", service="x", subject="s", data=Other())


class Body(BaseModel):
    title: str


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware)

    @app.post("/things")
    async def things(body: Body) -> dict:
        if body.title == "busy":
            raise Conflict("plan already submitted")
        raise Unprocessable("bad date", field="rectification_date")

    @app.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("secret internals")

    return app


def test_problem_responses_name_the_field_and_hide_internals():
    c = TestClient(_app(), raise_server_exceptions=False)
    r = c.post("/things", json={"note": "no title"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == "title" and r.json()["errors"][0]["field"] == "title"
    r = c.post("/things", json={"title": "x"})
    assert r.status_code == 422 and r.json()["field"] == "rectification_date"
    assert r.json()["type"].endswith("/validation-error")
    r = c.post("/things", json={"title": "busy"})
    assert r.status_code == 409 and r.json()["type"].endswith("/conflict")
    r = c.get("/boom")
    assert r.status_code == 500 and "secret internals" not in r.text


def test_request_id_and_trace_are_echoed():
    c = TestClient(_app())
    tp = "00-" + "c" * 32 + "-" + "d" * 16 + "-01"
    r = c.post("/things", json={"title": "x"}, headers={"x-request-id": "req-42", "traceparent": tp})
    assert r.headers["x-request-id"] == "req-42"
    assert trace_id_of(r.headers["traceparent"]) == "c" * 32


def test_malformed_cursor_is_a_422_naming_cursor():
    with pytest.raises(Unprocessable) as exc:
        decode_cursor("not-a-cursor", NEWEST_FIRST)
    assert exc.value.field == "cursor"

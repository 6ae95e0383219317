"""Traces (issue 16): an HTTP request's trace reaches the consumer, in another service, that
applied its event — linked by the ``traceparent`` the event carries. Recorded with an
in-memory exporter (no collector); runs with ``ANJIAN_TEST_SERVICES=identity,projects``."""

from __future__ import annotations

import secrets

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from anjian_local.scenario import PASSWORD, expect
from anjian_local.testing.fixtures import eventually
from anjian_shared import tracing


async def test_a_request_trace_links_to_the_consumer_that_applied_its_event_in_another_service(platform):
    admin = await platform.admin_token("hubei")
    exporter = InMemorySpanExporter()
    processor = tracing.install(exporter)
    try:
        async with platform.api(admin) as c:
            org = expect(await c.post("/api/identity/v1/organizations",
                                      json={"name": "追踪测试监督站", "kind": "station"}), 201)
            r = await c.post("/api/identity/v1/users", json={
                "org_id": org["id"], "username": f"traced.{secrets.token_hex(3)}", "display_name": "追踪",
                "password": PASSWORD, "roles": ["supervisor"]})
            user = expect(r, 201)
        server = next(s for s in exporter.get_finished_spans()
                      if s.kind == SpanKind.SERVER and s.name == "POST /api/identity/v1/users")
        trace_id = server.context.trace_id
        # the response names the same trace (and the log lines carry it: logging.bind_context)
        assert r.headers["traceparent"].split("-")[1] == f"{trace_id:032x}"
        assert server.attributes["http.response.status_code"] == 201

        def consumer_spans() -> list:
            return [s for s in exporter.get_finished_spans()
                    if s.kind == SpanKind.CONSUMER and s.context.trace_id == trace_id
                    and s.attributes["messaging.destination.name"].startswith("projects.")]

        async def applied() -> bool:
            return bool(consumer_spans())

        await eventually(applied, timeout=30)
        [consumed] = consumer_spans()[:1]
        assert consumed.attributes["anjian.event_type"] == "identity.user.created.v1"
        assert consumed.parent is not None and consumed.parent.trace_id == trace_id
        producers = [s for s in exporter.get_finished_spans()
                     if s.kind == SpanKind.PRODUCER and s.context.trace_id == trace_id]
        assert producers and producers[0].attributes["messaging.message.id"] == consumed.attributes[
            "messaging.message.id"]
        assert user["id"]
    finally:
        processor.shutdown()


async def test_mongodb_commands_are_spans_of_the_current_trace(platform):
    """PyMongo's command instrumentation applies to clients created after tracing is on (the
    app factory configures tracing before it connects); here a fresh client."""
    from opentelemetry import trace

    from anjian_shared.mongo import connect

    exporter = InMemorySpanExporter()
    processor = tracing.install(exporter)
    client = connect(platform.app("identity").state.settings.mongo_url)
    try:
        with tracing._tracer().start_as_current_span("parent") as parent:
            await client["anjian_tracing_probe"]["probe"].find_one({"_id": "x"})
        trace_id = parent.get_span_context().trace_id
        db_spans = [s for s in exporter.get_finished_spans()
                    if s.context.trace_id == trace_id and s is not None and s.name != "parent"]
        assert db_spans and any("find" in s.name for s in db_spans), [s.name for s in db_spans]
        assert trace.get_current_span() is not parent
    finally:
        processor.shutdown()
        await client.close()

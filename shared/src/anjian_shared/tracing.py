"""OpenTelemetry traces: HTTP, MongoDB and the broker, one trace from a request to the
consumers that applied its events — off unless an OTLP endpoint is configured.

- ``configure(service)`` (the app factory calls it): when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
  ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set, installs the SDK tracer provider with a batch
  OTLP/HTTP exporter (``service.name`` = ``OTEL_SERVICE_NAME`` or ``anjian-<service>``) and
  PyMongo's command instrumentation (one span per database command). Otherwise nothing is
  installed: no span is recorded and the platform keeps its own ``traceparent`` ids.
- HTTP: ``http_span`` (in ``logging.RequestContextMiddleware``) is a SERVER span, child of an
  incoming W3C ``traceparent``; its name is ``<METHOD> <route template>``. Its context becomes
  the request's ``traceparent``, which every event the request emits carries (``make_event``).
- Broker: ``publish_span`` (``Bus.publish``) is a PRODUCER span and ``consume_span``
  (``bus.handle_message``) a CONSUMER span, both children of the event's ``traceparent``: the
  consumer that applied an event in another service is in the request's trace. Events a
  handler emits carry the consumer span's ``traceparent`` in turn.
- Log lines carry ``trace_id`` (``logging.bind_context``): the same id as the spans.

``install(exporter)`` is for tests (an in-memory exporter) and for operators wiring another
exporter in code.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

_TRACER_NAME = "anjian"
_state: dict[str, Any] = {"provider": None, "pymongo": False}


def enabled() -> bool:
    """Spans are recorded (an SDK provider was installed by ``configure`` or ``install``)."""
    return _state["provider"] is not None


def _provider(service: str) -> Any:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    if _state["provider"] is None:
        name = os.environ.get("OTEL_SERVICE_NAME") or f"anjian-{service}"
        provider = TracerProvider(resource=Resource.create({"service.name": name, "service.namespace": "anjian"}))
        trace.set_tracer_provider(provider)
        _state["provider"] = trace.get_tracer_provider()
        if not hasattr(_state["provider"], "add_span_processor"):  # another provider was set first
            _state["provider"] = provider
    return _state["provider"]


def _instrument_pymongo() -> None:
    if not _state["pymongo"]:
        from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

        PymongoInstrumentor().instrument(tracer_provider=_state["provider"])
        _state["pymongo"] = True


def configure(service: str) -> bool:
    """Install tracing for this process when an OTLP endpoint is configured; True if on."""
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not endpoint or os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return enabled()
    if enabled():
        return True
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    _provider(service).add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    _instrument_pymongo()
    return True


def install(exporter: Any, *, service: str = "test", simple: bool = True) -> Any:
    """Record spans into ``exporter`` (e.g. ``InMemorySpanExporter``); returns the processor
    (``processor.shutdown()`` stops it)."""
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    processor = SimpleSpanProcessor(exporter) if simple else BatchSpanProcessor(exporter)
    _provider(service).add_span_processor(processor)
    _instrument_pymongo()
    return processor


def _tracer() -> trace.Tracer:
    return _state["provider"].get_tracer(_TRACER_NAME)


def traceparent_of(span: Any) -> str | None:
    """The W3C traceparent naming ``span`` (None for a non-recording span)."""
    ctx = span.get_span_context()
    if not ctx.is_valid:
        return None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def _parent(traceparent: str | None) -> Any:
    return propagate.extract({"traceparent": traceparent} if traceparent else {})


@contextlib.contextmanager
def http_span(method: str, path: str, traceparent: str | None, *, service: str) -> Iterator[Any]:
    """A SERVER span for one request (None when tracing is off)."""
    if not enabled():
        yield None
        return
    with _tracer().start_as_current_span(method, context=_parent(traceparent), kind=SpanKind.SERVER,
                                         record_exception=False, set_status_on_exception=False,
                                         attributes={"http.request.method": method, "url.path": path,
                                                     "anjian.service": service}) as span:
        yield span


def finish_http_span(span: Any, *, route: str, method: str, status: int | None) -> None:
    if span is None:
        return
    span.update_name(f"{method} {route}")
    span.set_attribute("http.route", route)
    if status is not None:
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR))


@contextlib.contextmanager
def publish_span(event: dict[str, Any], *, exchange: str, service: str) -> Iterator[Any]:
    """A PRODUCER span, child of the event's traceparent, around the confirmed publish."""
    if not enabled():
        yield None
        return
    with _tracer().start_as_current_span(f"publish {event.get('type')}", context=_parent(event.get("traceparent")),
                                         kind=SpanKind.PRODUCER, attributes={
                                             "messaging.system": "rabbitmq", "messaging.operation.type": "publish",
                                             "messaging.destination.name": exchange,
                                             "messaging.rabbitmq.destination.routing_key": event.get("type", ""),
                                             "messaging.message.id": event.get("id", ""),
                                             "anjian.service": service}) as span:
        yield span


@contextlib.contextmanager
def consume_span(queue: str, *, event_id: str, event_type: str, traceparent: str | None,
                 service: str) -> Iterator[Any]:
    """A CONSUMER span, child of the event's traceparent, around applying the event."""
    if not enabled():
        yield None
        return
    with _tracer().start_as_current_span(f"process {queue}", context=_parent(traceparent), kind=SpanKind.CONSUMER,
                                         attributes={"messaging.system": "rabbitmq",
                                                     "messaging.operation.type": "process",
                                                     "messaging.destination.name": queue,
                                                     "messaging.message.id": event_id,
                                                     "anjian.event_type": event_type,
                                                     "anjian.service": service}) as span:
        yield span

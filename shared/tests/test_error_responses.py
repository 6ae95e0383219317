"""Errors no handler took become problem responses inside the app, and the client's
keep-alive connection survives them (uvicorn closes the connection when an exception
reaches it — ``make bench`` saw the next request on that connection fail)."""

from __future__ import annotations

import asyncio
import json
import socket

import uvicorn
from fastapi import FastAPI
from pymongo.errors import OperationFailure

from anjian_shared.problems import UnexpectedErrorMiddleware, install_problem_handlers


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(UnexpectedErrorMiddleware)

    @app.get("/conflict")
    async def conflict() -> dict:
        raise OperationFailure("WriteConflict", 112, {"errorLabels": ["TransientTransactionError"]})

    @app.get("/bug")
    async def bug() -> dict:
        raise ValueError("a bug")

    @app.get("/ok")
    async def ok() -> dict:
        return {"ok": True}

    return app


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:] if ":" in x)}
    body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), timeout=10)
    return status, headers, body


async def test_unavailable_and_unexpected_errors_answer_problems_and_keep_the_connection() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(make_app(), host="127.0.0.1", port=port, log_level="critical",
                                           lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        seen = []
        for path in ("/conflict", "/bug", "/ok"):  # one keep-alive connection for all three
            writer.write(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            await writer.drain()
            status, headers, body = await read_response(reader)
            seen.append((path, status, headers, json.loads(body)))
        writer.close()
    finally:
        server.should_exit = True
        await task
    (_, s1, h1, b1), (_, s2, h2, b2), (_, s3, _, b3) = seen
    assert s1 == 503 and h1["retry-after"] == "2" and h1["content-type"] == "application/problem+json"
    assert b1["type"].endswith("/service-unavailable") and b1["instance"] == "/conflict"
    assert s2 == 500 and b2["type"].endswith("/internal-error") and "a bug" not in json.dumps(b2)
    assert s3 == 200 and b3 == {"ok": True}, "the connection must still serve the next request"

"""Operator command for dead letters: list them, replay them into their queue.

A message lands in ``<queue>.dead`` when it could not be decoded or its handler kept
failing until the queue's delivery limit (``ANJIAN_AMQP_DELIVERY_LIMIT``). Once the
cause is fixed, replay it::

    python -m anjian_shared.deadletters list notices.plan-submissions
    python -m anjian_shared.deadletters replay notices.plan-submissions            # all of them
    python -m anjian_shared.deadletters replay notices.plan-submissions --id <event id>

(``anjian-deadletters`` is the same command as a console script.) ``<queue>`` is the
consumer queue (``<service>.<purpose>``) or its ``.dead`` queue. The broker comes from
``--amqp-url`` or ``ANJIAN_AMQP_URL``.

``list`` takes up to ``--limit`` messages without acknowledging them and gives them back
by closing its channel: nothing is removed. ``replay`` publishes each selected message
(same body, id, type and headers, minus the broker's ``x-death`` bookkeeping) to the
original queue through the default exchange, waits for the broker's confirm, and only
then acknowledges — removes — the dead letter: a crash in between replays a message
twice, never loses one (consumers drop the duplicate through their inbox). Only the
original queue gets the message again, not every subscriber of its event type.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

BOOKKEEPING = ("x-death", "x-first-death-queue", "x-first-death-reason", "x-first-death-exchange",
               "x-last-death-queue", "x-last-death-reason", "x-last-death-exchange", "x-delivery-count")


def dead_queue_of(queue: str) -> tuple[str, str]:
    """(consumer queue, dead-letter queue) for either name."""
    base = queue.removesuffix(".dead")
    return base, f"{base}.dead"


def describe(message: AbstractIncomingMessage) -> dict[str, Any]:
    """What an operator needs to decide: ids, type, tenant, why and how often it died, the body."""
    headers = dict(message.headers or {})
    deaths = headers.get("x-death") or []
    first = deaths[0] if deaths else {}
    body = message.body.decode("utf-8", errors="replace")
    return {
        "message_id": message.message_id,
        "type": message.type,
        "tenant": _text(headers.get("tenant")),
        "queue": _text(first.get("queue")) or _text(headers.get("x-first-death-queue")),
        "reason": _text(first.get("reason")) or _text(headers.get("x-first-death-reason")),
        "deaths": int(first.get("count", 0) or 0),
        "died_at": str(first.get("time", "")),
        "delivery_count": int(headers.get("x-delivery-count", 0) or 0),
        "body": body if len(body) <= 2000 else body[:2000] + "…",
    }


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)


async def _take(channel: aio_pika.abc.AbstractChannel, dead: str, limit: int) -> list[AbstractIncomingMessage]:
    queue = await channel.get_queue(dead, ensure=True)  # passive: fails if the queue does not exist
    taken: list[AbstractIncomingMessage] = []
    while len(taken) < limit:
        message = await queue.get(no_ack=False, fail=False, timeout=10)
        if message is None:
            break
        taken.append(message)
    return taken


async def list_dead(url: str, queue: str, *, limit: int = 100) -> list[dict[str, Any]]:
    """Up to ``limit`` dead letters of ``queue``, left in place."""
    _, dead = dead_queue_of(queue)
    connection = await aio_pika.connect(url, timeout=10)
    try:
        channel = await connection.channel()
        messages = await _take(channel, dead, limit)
        described = [describe(m) for m in messages]
        await channel.close()  # unacknowledged: every message goes back to the dead-letter queue
        return described
    finally:
        await connection.close()


async def replay(url: str, queue: str, *, ids: set[str] | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Move dead letters of ``queue`` (all, or those whose message id is in ``ids``) back to
    the queue they died in; returns what was replayed."""
    base, dead = dead_queue_of(queue)
    connection = await aio_pika.connect(url, timeout=10)
    replayed: list[dict[str, Any]] = []
    try:
        channel = await connection.channel(publisher_confirms=True)
        checked: set[str] = set()
        for message in await _take(channel, dead, limit):
            if ids and message.message_id not in ids:
                continue  # not selected: returned to the dead-letter queue when the channel closes
            info = describe(message)
            target = info["queue"] or base
            if target not in checked:  # never publish into the void: the queue must exist
                await channel.get_queue(target, ensure=True)
                checked.add(target)
            headers = {k: v for k, v in (message.headers or {}).items() if k not in BOOKKEEPING}
            headers["x-replayed-from"] = dead
            await channel.default_exchange.publish(aio_pika.Message(
                body=message.body, content_type=message.content_type, message_id=message.message_id,
                type=message.type, headers=headers, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                timestamp=message.timestamp), routing_key=target)  # returns once the broker confirmed
            await message.ack()
            replayed.append({**info, "replayed_to": target})
        await channel.close()
        return replayed
    finally:
        await connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="anjian-deadletters", description=__doc__.split("\n\n")[0])
    parser.add_argument("--amqp-url", default=os.environ.get("ANJIAN_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="show dead letters (they stay where they are)")
    p_list.add_argument("queue")
    p_list.add_argument("--limit", type=int, default=100)
    p_replay = sub.add_parser("replay", help="put dead letters back into their queue")
    p_replay.add_argument("queue")
    p_replay.add_argument("--id", action="append", dest="ids", help="only this message id (repeatable)")
    p_replay.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.command == "list":
        rows = asyncio.run(list_dead(args.amqp_url, args.queue, limit=args.limit))
    else:
        rows = asyncio.run(replay(args.amqp_url, args.queue, ids=set(args.ids) if args.ids else None,
                                  limit=args.limit))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        verb = "dead letters" if args.command == "list" else "replayed"
        print(f"{len(rows)} {verb} ({dead_queue_of(args.queue)[1]})")
        for r in rows:
            print(f"  {r['message_id'] or '-':<34} {r['type'] or '-':<36} tenant={r['tenant'] or '-':<7} "
                  f"reason={r['reason'] or '-':<9} deaths={r['deaths']}"
                  + (f" → {r['replayed_to']}" if "replayed_to" in r else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

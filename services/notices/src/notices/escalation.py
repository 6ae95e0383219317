"""Operator command: one escalation sweep (HN-07) against the configured database.

    python -m notices.escalation            # settings from ANJIAN_* like the service

Runs ``service_layer.escalation.sweep`` once — for cron, or to catch up after the service
was down — and prints one line per document it escalated (``hainan 琼安监整〔2026〕0012号 →
处罚建议书 琼安监罚建〔2026〕0001号 (…)``), then a total. Safe to run while the service's
replicas sweep too: every overdue document is escalated exactly once, whoever gets there
first. The events go to the outbox; a running notices replica publishes them.
Exit status 0 on success, 1 when the database could not be reached.
"""

from __future__ import annotations

import asyncio
import sys

from anjian_shared.logging import configure_logging
from anjian_shared.mongo import Mongo

from .service_layer.escalation import describe, sweep
from .settings import Settings


async def run_once(settings: Settings | None = None) -> int:
    """One sweep; prints what it escalated; returns the count."""
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_json)  # logs to stderr; stdout is the result
    mongo = Mongo(settings.mongo_url, settings.mongo_db, settings.service_name)
    try:
        done = await sweep(mongo, settings)
    finally:
        await mongo.close()
    for item in done:
        print(describe(item), flush=True)
    print(f"escalated {len(done)} document(s)", flush=True)
    return len(done)


def main() -> int:
    try:
        asyncio.run(run_once())
    except Exception as exc:  # noqa: BLE001 - an operator command: say what went wrong
        print(f"escalation sweep failed: {exc!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

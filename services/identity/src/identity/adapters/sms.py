"""SMS gateways that deliver one-time codes (FJ-01, HN-01).

``SmsGateway`` is the interface: ``await gateway.send(tenant=…, mobile=…, code=…, ttl_seconds=…)``.

- ``DevelopmentGateway`` sends nothing: it records each message in identity's database
  (collection ``dev_sms_outbox``, read back by ``GET /api/identity/v1/dev/sms``) and, when
  ``sms_outbox_path`` is set, appends a JSON line to that file — where a developer (or a
  test, or ``make demo``) reads the code. Refused in production: the settings do not start
  with ``ANJIAN_SMS_GATEWAY=development`` and ``ANJIAN_ENVIRONMENT=production``, and with no
  gateway configured production has none (``NoGateway``: 503 ``sms-unavailable``).
- ``HttpGateway`` posts ``{mobile, template_id, sign_name, params: {code, minutes}}`` as JSON
  with ``Authorization: Bearer <api key>`` to ``sms_gateway_url``: a skeleton for a
  province's SMS platform or a vendor's HTTP API (each vendor signs requests its own way:
  adapt ``HttpGateway.send`` to the vendor chosen). It is not tested against a real vendor.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Protocol

import httpx

from anjian_shared.errors import ServiceUnavailable
from anjian_shared.types import new_id, utcnow


class SmsGateway(Protocol):
    async def send(self, *, tenant: str, mobile: str, code: str, ttl_seconds: int) -> None:
        """Deliver the code to ``mobile``; raise ``ServiceUnavailable`` when it cannot."""


def _text(code: str, ttl_seconds: int) -> str:
    return f"【安监】您的验证码是 {code}，{ttl_seconds // 60} 分钟内有效。请勿告诉他人。"


class DevelopmentGateway:
    """Writes messages where a developer reads them (never a phone); development and tests only."""

    def __init__(self, db: Any, path: str | None = None) -> None:
        self.db, self.path = db, path

    async def send(self, *, tenant: str, mobile: str, code: str, ttl_seconds: int) -> None:
        row = {"_id": new_id(), "tenant_id": tenant, "mobile": mobile, "code": code,
               "text": _text(code, ttl_seconds), "at": utcnow()}
        await self.db.dev_sms_outbox.insert_one(row)
        if self.path:
            line = json.dumps({**row, "at": row["at"].isoformat()}, ensure_ascii=False) + "\n"
            await asyncio.to_thread(_append, Path(self.path), line)


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(line)


class HttpGateway:
    """Posts the message to an SMS platform's HTTP API (see the module docstring)."""

    def __init__(self, url: str, api_key: str, *, sign_name: str, template_id: str, timeout: float = 10.0) -> None:
        self.url, self.api_key, self.sign_name, self.template_id, self.timeout = (
            url, api_key, sign_name, template_id, timeout)

    async def send(self, *, tenant: str, mobile: str, code: str, ttl_seconds: int) -> None:
        body = {"mobile": mobile, "template_id": self.template_id, "sign_name": self.sign_name,
                "params": {"code": code, "minutes": ttl_seconds // 60}}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                r = await client.post(self.url, json=body, headers={"Authorization": f"Bearer {self.api_key}"})
                r.raise_for_status()
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("the SMS gateway did not take the message; try again shortly",
                                     slug="sms-unavailable") from exc


class NoGateway:
    """No gateway configured (production without ``ANJIAN_SMS_GATEWAY``): codes cannot be sent."""

    async def send(self, *, tenant: str, mobile: str, code: str, ttl_seconds: int) -> None:
        raise ServiceUnavailable("no SMS gateway is configured; one-time codes cannot be sent",
                                 slug="sms-unavailable")


def gateway_for(settings: Any, db: Any) -> SmsGateway:
    """The gateway ``settings`` choose (``identity.settings.Settings.sms_gateway_kind``)."""
    kind = settings.sms_gateway_kind()
    if kind == "development":
        return DevelopmentGateway(db, settings.sms_outbox_path)
    if kind == "http":
        return HttpGateway(settings.sms_gateway_url, settings.sms_gateway_api_key,
                           sign_name=settings.sms_sign_name, template_id=settings.sms_template_id)
    return NoGateway()

"""The SMS gateway of the running app (built once from the settings, ``adapters.sms``)."""

from __future__ import annotations

from typing import Any

from ..adapters.sms import SmsGateway, gateway_for


def gateway(app: Any) -> SmsGateway:
    """``app``'s gateway (created at the first use; tests may set ``app.state.sms_gateway``)."""
    held = getattr(app.state, "sms_gateway", None)
    if held is None:
        held = gateway_for(app.state.settings, app.state.mongo.db)
        app.state.sms_gateway = held
    return held

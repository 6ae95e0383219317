"""Access tokens end with the account (issue 11, security): every service refuses, on every
request, an access token of a user who was disabled, or whose password, roles or organisation
changed after the token was issued — at once, not when the token expires (15 minutes).

identity stamps the user with ``tokens_valid_after`` when such a change happens and publishes it
in ``identity.user.updated.v1`` (with ``enabled``). Every other service keeps the read model
``accounts`` of those events (``accounts_subscription()``, wired by the app factory; applied
with ``read_models.apply_snapshot``, so an older event never overwrites a newer one); identity
reads its own ``users``. ``TokenVerifier`` asks ``check_account`` after the signature: a token
whose ``iat`` (milliseconds) is before ``tokens_valid_after``, or of a disabled account, is 401
``token-revoked``. An account the read model doesn't hold yet (created before this existed, or
its event still on the way) is let through: the token itself is valid. Partner tokens (client
credentials) have their own check in the partners service.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .errors import Unauthorized
from .principal import Principal, Role
from .read_models import IdOf, ToDoc, read_model, user_fields

ACCOUNTS = "accounts"
"""The read model of users' token state in every service but identity (per tenant, ``_id`` =
user id): ``enabled``, ``tokens_valid_after`` and the user's organisation, names and roles."""


def account_fields(payload: Any) -> dict[str, Any]:
    """The read-model document of ``identity.user.created.v1`` / ``identity.user.updated.v1``."""
    return {**user_fields(payload), "tokens_valid_after": getattr(payload, "tokens_valid_after", None)}


ACCOUNT_EVENTS: dict[str, tuple[IdOf, ToDoc]] = {
    t: (lambda p: p.user_id, account_fields)
    for t in ("identity.user.created.v1", "identity.user.updated.v1")}


def accounts_subscription(purpose: str = "accounts") -> Any:
    """The consumer keeping this service's ``accounts`` read model (queue ``<service>.accounts``)."""
    from .bus import Subscription  # aio-pika only where a service wires consumers

    return read_model(Subscription(purpose), collection=ACCOUNTS, events=ACCOUNT_EVENTS)


def _instant(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    return None


def revocation_reason(account: Mapping[str, Any] | None, issued_at: float | None) -> str | None:
    """Why a token issued at ``issued_at`` (epoch seconds, milliseconds kept) no longer works for
    ``account`` (its stored document), or None while it does."""
    if account is None:
        return None
    if account.get("enabled", True) is False:
        return "the account is disabled"
    valid_after = _instant(account.get("tokens_valid_after"))
    if valid_after is not None and (issued_at is None or issued_at < round(valid_after, 3) - 1e-6):
        return "the token was issued before the account's password, roles or organisation changed; sign in again"
    return None


async def check_account(mongo: Any, principal: Principal, *, collection: str = ACCOUNTS) -> None:
    """401 ``token-revoked`` when ``principal``'s token no longer works (``revocation_reason``);
    one point read of ``collection`` in the service's database. Partner tokens pass."""
    if principal.has(Role.PARTNER):
        return
    account = await mongo.repo(collection, principal.tenant).get(principal.user_id)
    reason = revocation_reason(account, principal.issued_at)
    if reason is not None:
        raise Unauthorized(reason, slug="token-revoked",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})

"""conversations settings (env prefix ``ANJIAN_``)."""

from __future__ import annotations

from pydantic import Field

from anjian_shared.settings import ServiceSettings
from anjian_shared.tenant_policy import PolicyDefaults


class Settings(ServiceSettings):
    """``ServiceSettings`` plus conversations'.

    - ``presign_minutes``: how long photo/file URLs in messages stay valid;
    - ``live_queue_prefix``: each replica consumes ``conversations.message.posted.v1`` from
      an exclusive, auto-deleted queue ``<prefix>.<random>`` of its own (fan-out per replica);
    - ``live_heartbeat_seconds``: a WebSocket ping every so often keeps proxies from closing
      an idle connection;
    - ``max_group_members``: largest ad-hoc group (a project's conversation follows the project).
    Tenant limits ``conversation_photo_max_bytes`` / ``conversation_file_max_bytes`` are read
    through ``tenant_policy(mongo, tenant, settings)``.
    """

    service_name: str = "conversations"
    presign_minutes: int = Field(default=15, ge=1, le=7 * 24 * 60)
    live_queue_prefix: str = "conversations.live"
    live_heartbeat_seconds: float = Field(default=25.0, gt=0)
    max_group_members: int = Field(default=200, ge=2, le=2000)

    def policy_defaults(self, tenant: str) -> PolicyDefaults:
        """Uploads never above the request ceiling (``max_upload_bytes``)."""
        return PolicyDefaults(ceilings={"conversation_photo_max_bytes": self.max_upload_bytes,
                                        "conversation_file_max_bytes": self.max_upload_bytes})

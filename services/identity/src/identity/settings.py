"""identity settings (env prefix ``ANJIAN_``)."""

from __future__ import annotations

from pydantic import model_validator

from anjian_shared.settings import DEV_ADMIN_PASSWORD, ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "identity"
    bootstrap_admin_password: str = DEV_ADMIN_PASSWORD
    """Initial password of each province's ``admin`` user, set only when it is first created."""
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    signin_max_failures: int = 5
    """Failed sign-ins for one user name within ``signin_window_seconds`` before 429."""
    signin_window_seconds: int = 900

    @model_validator(mode="after")
    def _admin_password_set_in_production(self) -> "Settings":
        if self.environment == "production" and self.bootstrap_admin_password == DEV_ADMIN_PASSWORD:
            raise ValueError("ANJIAN_BOOTSTRAP_ADMIN_PASSWORD must be set outside development")
        return self

"""identity settings (env prefix ``ANJIAN_``)."""

from __future__ import annotations

from anjian_shared.settings import DEV_ADMIN_PASSWORD, ServiceSettings, is_placeholder


class Settings(ServiceSettings):
    service_name: str = "identity"
    bootstrap_admin_password: str = DEV_ADMIN_PASSWORD
    """Initial password of each province's ``admin`` user, set only when it is first created."""
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    signin_max_failures: int = 5
    """Failed sign-ins for one user name within ``signin_window_seconds`` before 429."""
    signin_window_seconds: int = 900

    def production_problems(self) -> list[str]:
        """The shared checks plus identity's: the province admins' initial password."""
        problems = super().production_problems()
        if self.bootstrap_admin_password.strip() in ("", DEV_ADMIN_PASSWORD) \
                or is_placeholder(self.bootstrap_admin_password):
            problems.append("ANJIAN_BOOTSTRAP_ADMIN_PASSWORD is empty, a CHANGE-ME placeholder or "
                            "the development default")
        return problems

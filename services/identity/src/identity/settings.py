"""identity settings (env prefix ``ANJIAN_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from anjian_shared.settings import DEV_ADMIN_PASSWORD, ServiceSettings, is_placeholder
from anjian_shared.tenant_policy import LIMITS, PolicyDefaults


class Settings(ServiceSettings):
    service_name: str = "identity"
    bootstrap_admin_password: str = DEV_ADMIN_PASSWORD
    """Initial password of each province's ``admin`` user, set only when it is first created."""
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    signin_max_failures: int = 5
    """Failed sign-ins for one user name within ``signin_window_seconds`` before 429."""
    signin_window_seconds: int = 900
    signin_max_failures_per_address: int = Field(default=20, ge=1)
    """Failed sign-ins from one client address (any user names, any province) within
    ``signin_address_window_seconds`` before 429: random user names from one client cost Argon2
    time each. The address is the peer's, or the forwarded one from ``trusted_proxies``."""
    signin_address_window_seconds: int = Field(default=600, ge=1)
    password_min_length: int = Field(default=LIMITS["password_min_length"].default,
                                     ge=LIMITS["password_min_length"].minimum,
                                     le=LIMITS["password_min_length"].maximum)
    """The default of the tenant policy's ``password_min_length`` (a province's administrator may
    set another, within 8..64)."""
    username_refusals_per_hour: int = Field(default=10, ge=1)
    """``username-unavailable`` answers one user (not a province administrator) gets per hour
    before 429: trying names one by one to learn which exist is slow."""

    # --- one-time-code sign-in by mobile number (FJ-01, HN-01) ---
    otp_ttl_seconds: int = Field(default=300, ge=60, le=1800, description="how long a one-time code is valid")
    otp_max_per_mobile: int = Field(default=5, ge=1, description=(
        "codes sent to one mobile number within otp_window_seconds before 429 too-many-codes"))
    otp_window_seconds: int = Field(default=900, ge=60)
    otp_max_failures: int = Field(default=5, ge=1, description=(
        "wrong codes for one mobile number within otp_window_seconds before 429 too-many-sign-ins"))
    otp_pepper: str = Field(default="anjian-development-otp-pepper", description=(
        "ANJIAN_OTP_PEPPER: the key codes are hashed with (HMAC-SHA256) before they are stored"))
    sms_gateway: Literal["development", "http"] | None = Field(default=None, description=(
        "ANJIAN_SMS_GATEWAY: development (codes written to dev_sms_outbox / sms_outbox_path; refused in "
        "production) or http (sms_gateway_url); unset: development outside production, none in production"))
    sms_outbox_path: str | None = Field(default=None, description=(
        "development gateway: also append each message as a JSON line to this file"))
    verified_mobile_tenants: list[str] = Field(
        default_factory=lambda: ["hainan"],
        description="HN-01: provinces where every user must have a verified mobile number (tenant policy "
                    "feature verified_mobile_required's default; its administrator may switch it)")
    sms_gateway_url: str = ""
    sms_gateway_api_key: str = ""
    sms_sign_name: str = "安监"
    sms_template_id: str = ""

    def sms_gateway_kind(self) -> str:
        """``development``, ``http`` or ``none`` (production without a configured gateway)."""
        if self.sms_gateway is not None:
            return self.sms_gateway
        return "none" if self.environment == "production" else "development"

    def policy_defaults(self, tenant: str) -> PolicyDefaults:
        """identity's part of the tenant policy's defaults: ``password_min_length``."""
        return PolicyDefaults(limits={"password_min_length": self.password_min_length},
                              features={"verified_mobile_required": tenant in self.verified_mobile_tenants})

    def production_problems(self) -> list[str]:
        """The shared checks plus identity's: the province admins' initial password."""
        problems = super().production_problems()
        if self.bootstrap_admin_password.strip() in ("", DEV_ADMIN_PASSWORD) \
                or is_placeholder(self.bootstrap_admin_password):
            problems.append("ANJIAN_BOOTSTRAP_ADMIN_PASSWORD is empty, a CHANGE-ME placeholder or "
                            "the development default")
        if self.sms_gateway == "development":
            problems.append("ANJIAN_SMS_GATEWAY=development writes one-time codes where anyone reading the "
                            "database can see them; configure ANJIAN_SMS_GATEWAY=http with ANJIAN_SMS_GATEWAY_URL")
        if self.sms_gateway == "http" and not (self.sms_gateway_url and self.sms_gateway_api_key):
            problems.append("ANJIAN_SMS_GATEWAY=http needs ANJIAN_SMS_GATEWAY_URL and ANJIAN_SMS_GATEWAY_API_KEY")
        if self.sms_gateway_kind() != "none" and self.otp_pepper in ("", "anjian-development-otp-pepper"):
            problems.append("ANJIAN_OTP_PEPPER is empty or the development default")
        return problems

"""identity service: ``create_app()`` for uvicorn (``uvicorn --factory identity.main:create_app``)."""

from __future__ import annotations

from fastapi import FastAPI

from anjian_shared.app import ServiceSpec, create_service_app

from .adapters import keys
from .entrypoints.api.clients import router as clients_router
from .entrypoints.api.otp import router as otp_router
from .entrypoints.api.permissions import router as permissions_router
from .entrypoints.api.policy import router as policy_router
from .entrypoints.api.registrations import router as registrations_router
from .entrypoints.api.routes import router
from .entrypoints.consumers import platform
from .service_layer import account_applications, clients, otp, policy, registrations, use_cases
from .settings import Settings


async def _startup(app: FastAPI) -> None:
    await use_cases.ensure_indexes(app.state.mongo)
    await clients.ensure_indexes(app.state.mongo)
    await policy.ensure_indexes(app.state.mongo)
    await registrations.ensure_indexes(app.state.mongo)
    await otp.ensure_indexes(app.state.mongo)
    await account_applications.ensure_indexes(app.state.mongo)
    await use_cases.seed_tenants(mongo=app.state.mongo, settings=app.state.settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The identity app: tenants, organisations, users, sign-in, tokens, JWKS."""
    settings = settings or Settings()

    def key_source(app: FastAPI):  # type: ignore[no-untyped-def]
        async def fetch() -> dict:  # type: ignore[type-arg]
            return await keys.jwks(app.state.mongo.db)
        return fetch

    spec = ServiceSpec(
        name="identity",
        title="Anjian identity",
        description="Tenants (provinces), organisations, users and roles; sign-in, access and refresh tokens, "
                    "JWKS (HB-01, PLAT-01); company self-registration and the authority of a GB/T 2260 "
                    "division (HEB-01); each province's tenant policy (feature switches, limits), "
                    "changed by its administrator, audited; one-time-code sign-in by a verified mobile "
                    "number (FJ-01, HN-01) and the accounts of Fujian's platform projects (FJ-01); named "
                    "permissions, user and permission applications, bureau staff's account filings and "
                    "the business-process help (HUN-19..HUN-22, HN-01).",
        routers=[router, clients_router, policy_router, registrations_router, otp_router, permissions_router],
        subscriptions=[platform],
        startup=[_startup],
        key_source=key_source,
        accounts_collection="users",  # tokens_valid_after and enabled, read where they are written
    )
    return create_service_app(spec, settings)

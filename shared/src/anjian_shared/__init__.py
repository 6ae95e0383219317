"""Anjian platform library shared by every service.

One module per concern; look here before writing a helper in a service:

- ``settings``   ServiceSettings loaded from the environment (pydantic-settings)
- ``logging``    structlog JSON logs carrying request id, tenant and trace id
- ``errors``     domain errors (no HTTP in them)
- ``problems``   RFC 9457 problem responses: maps domain errors to HTTP in one place
- ``types``      shared constrained types (``TenantCode``, ``Id``) and ``new_id``
- ``events``     CloudEvents envelope and the pydantic payload of every event
- ``mongo``      tenant-scoped repositories and the unit of work (state + outbox)
- ``outbox``     the relay publishing outbox rows with publisher confirms
- ``bus``        aio-pika topology, publisher and idempotent consumers (inbox)
- ``auth``       JWT verification against identity's JWKS, ``CurrentPrincipal``
- ``storage``    S3 media through the minio SDK, type/size checks, presigned URLs
- ``pagination`` cursor pages
- ``idempotency`` replay of retried writes carrying ``Idempotency-Key``
- ``limits``     request body size limits (413 before a body is read)
- ``failpoints`` named crash/failure points for fault tests (off unless switched on)
- ``deadletters`` operator command: list and replay dead-lettered messages
- ``app``        ``create_service_app``: the FastAPI factory every service uses
"""

"""HTTP API (``entrypoints.api``) and event consumers (``entrypoints.consumers``)."""

"""identity: tenants, organisations, users, roles, credentials and tokens (HB-01, PLAT-01)."""

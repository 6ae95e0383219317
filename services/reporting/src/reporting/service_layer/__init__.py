"""reporting's use cases: keyword-only async functions over units of work and repositories."""

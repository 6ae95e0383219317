"""identity's unit tests hash with cheap Argon2 parameters: the rules, not the cost, are tested
here (the bench measures the real cost)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from identity.adapters import passwords


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> PasswordHasher:
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY", hasher.hash("anjian-dummy-password"))
    return hasher

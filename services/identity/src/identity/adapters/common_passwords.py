"""The common-password list: the 30 000 most used passwords (Xato's list as shipped, ranked, in
the maintained ``zxcvbn`` package's frequency lists, MIT), loaded once on first use."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # ~1 MB of lists: only when first needed

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    """True when ``password`` (compared in lower case) is on the list."""
    return password.lower() in _common()

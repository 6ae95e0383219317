"""Unified social credit code (统一社会信用代码, GB 32100-2015): format and check character.

The check is python-stdnum's ``stdnum.cn.uscc`` (maintained; the standard's weights
1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 and its 31-character
alphabet ``0-9 A-H J-N P-R T U W-Y``): this module only turns its answers into the
platform's refusals (422 naming the field, with a slug a front end can key on).

Structure (18 characters): 1 registering department, 2 entity kind, 3-8 the GB/T 2260
division of registration, 9-17 the organisation code, 18 the check character.
"""

from __future__ import annotations

from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

from .errors import Unprocessable

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters GB 32100 allows (no I, O, S, V, Z)."""


def compact(code: str) -> str:
    """The code without spaces or hyphens, upper case."""
    return uscc.compact(code)


def check_character(first17: str) -> str:
    """The check character GB 32100 computes from the first 17 characters."""
    return uscc.calc_check_digit(first17)


def is_valid(code: str) -> bool:
    """True when ``code`` has 18 characters of the alphabet and the right check character."""
    return uscc.is_valid(code)


def validate(code: str, *, field: str = "credit_code") -> str:
    """The compacted code, or ``Unprocessable`` (422) naming ``field``: slug
    ``credit-code-check-character`` for a wrong 18th character (with the expected one),
    ``credit-code-format`` for a wrong length or a character outside the alphabet."""
    number = compact(code or "")
    try:
        return uscc.validate(number)
    except InvalidChecksum as exc:
        raise Unprocessable(
            f"the check character of {number} is wrong (GB 32100 gives "
            f"{check_character(number[:17])!r}); check the code on the business licence",
            field=field,
            slug="credit-code-check-character",
        ) from exc
    except ValidationError as exc:
        raise Unprocessable(
            "a unified social credit code has 18 characters: digits and capital letters "
            "without I, O, S, V, Z (GB 32100)",
            field=field,
            slug="credit-code-format",
        ) from exc

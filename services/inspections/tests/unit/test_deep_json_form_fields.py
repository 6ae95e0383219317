"""JSON inside form fields nested ~100 000 levels (issue 11, security): a 422 naming the field,
never a RecursionError (500). HB-04 hazard codes, HN-04 lists and photo annotations."""

from __future__ import annotations

import pytest

from anjian_shared.errors import Unprocessable
from inspections.domain.records import parse_annotations
from inspections.entrypoints.api.records import parse_list
from inspections.entrypoints.api.results import parse_hazard_codes

DEEP = "[" * 100_000 + "]" * 100_000


def test_hb04_hn04_deep_json_in_form_fields_is_422_naming_the_field() -> None:
    with pytest.raises(Unprocessable) as e:
        parse_hazard_codes([DEEP])
    assert e.value.field == "hazard_codes"
    with pytest.raises(Unprocessable) as e:
        parse_list([DEEP], "recipient_user_ids")
    assert e.value.field == "recipient_user_ids"
    with pytest.raises(Unprocessable) as e:
        parse_annotations(DEEP, 1)
    assert e.value.field == "annotations"

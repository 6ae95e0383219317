"""The one cursor codec and ``paginate`` (architecture "HTTP": lists are paginated by cursor and
never unbounded; issue 10: one codec instead of four), on the in-memory fakes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from anjian_shared.errors import Unprocessable
from anjian_shared.pagination import (
    NEWEST_FIRST,
    decode_cursor,
    encode_cursor,
    paginate,
    total_order,
)
from anjian_shared.testing.fakes import FakeDatabase

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def test_cursor_round_trips_every_sort_key_type():
    order = [("at", -1), ("name", 1), ("seq", 1), ("score", -1), ("flag", 1), ("gone", 1),
             ("_id", 1)]
    values = (T0, "张三", 7, 2.5, True, None, "id-1")
    cursor = encode_cursor(values, order)
    assert decode_cursor(cursor, order) == values
    assert cursor.replace("-", "").replace("_", "").isalnum()  # url-safe, no padding


NO_CHECKSUM = base64.urlsafe_b64encode(b"x.{}").decode()


@pytest.mark.parametrize("bad", ["", "not-a-cursor", "%%%", "YQ", NO_CHECKSUM])
def test_a_malformed_cursor_is_a_422_naming_cursor(bad):
    with pytest.raises(Unprocessable) as exc:
        decode_cursor(bad, NEWEST_FIRST)
    assert exc.value.field == "cursor"


def test_an_edited_cursor_is_refused():
    """Changing one character of the position (e.g. a later date) breaks the checksum."""
    order = total_order(None)
    raw = base64.urlsafe_b64decode(encode_cursor((T0, "abc"), order) + "==")
    forged = base64.urlsafe_b64encode(raw.replace(b"2026", b"2027")).decode().rstrip("=")
    with pytest.raises(Unprocessable) as exc:
        decode_cursor(forged, order)
    assert exc.value.field == "cursor"


def test_a_cursor_of_another_order_is_refused():
    cursor = encode_cursor((1, "a"), [("seq", 1), ("_id", 1)])
    with pytest.raises(Unprocessable, match="another order"):
        decode_cursor(cursor, [("seq", -1), ("_id", -1)])


def test_id_is_appended_to_make_the_order_total():
    assert total_order(None) == [("created_at", -1), ("_id", -1)]
    assert total_order([("seq", 1)]) == [("seq", 1), ("_id", 1)]
    assert total_order([("seq", 1), ("_id", -1)]) == [("seq", 1), ("_id", -1)]


async def _seed(docs: list[dict[str, Any]], tenant: str = "hubei") -> FakeDatabase:
    mongo = FakeDatabase()
    repo = mongo.repo("things", tenant)
    for d in docs:
        await repo.insert(d)
    return mongo


async def _walk(repo: Any, flt: dict[str, Any] | None = None, **kw: Any) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = await paginate(repo, flt, cursor=cursor, **kw)
        pages.append([d["_id"] for d in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages


async def test_newest_first_by_default_with_ties_broken_by_id():
    """Three documents share a created_at: the pages still neither repeat nor skip one."""
    docs = [{"_id": f"d{i}", "created_at": T0 + timedelta(minutes=i // 3)} for i in range(8)]
    mongo = await _seed(docs)
    pages = await _walk(mongo.repo("things", "hubei"), limit=3)
    assert pages == [["d7", "d6", "d5"], ["d4", "d3", "d2"], ["d1", "d0"]]


async def test_ascending_on_any_key_with_ties_on_the_first():
    docs = [{"_id": f"e{i}", "seq": i // 2, "code": f"c{9 - i}"} for i in range(7)]
    mongo = await _seed(docs)
    pages = await _walk(mongo.repo("things", "hubei"), sort=[("seq", 1), ("code", 1)], limit=2)
    assert pages == [["e1", "e0"], ["e3", "e2"], ["e5", "e4"], ["e6"]]


async def test_descending_numbers_and_filters_combine():
    docs = [{"_id": f"n{i}", "seq": i, "kind": "a" if i % 2 else "b"} for i in range(10)]
    mongo = await _seed(docs)
    pages = await _walk(mongo.repo("things", "hubei"), {"kind": "a"}, sort=[("seq", -1)], limit=2)
    assert pages == [["n9", "n7"], ["n5", "n3"], ["n1"]]


async def test_the_last_page_has_no_cursor_even_when_it_is_full():
    mongo = await _seed([{"_id": f"x{i}", "created_at": T0 + timedelta(seconds=i)}
                         for i in range(4)])
    first = await paginate(mongo.repo("things", "hubei"), {}, limit=2)
    assert first.next_cursor is not None
    last = await paginate(mongo.repo("things", "hubei"), {}, limit=2, cursor=first.next_cursor)
    assert [d["_id"] for d in last.items] == ["x1", "x0"] and last.next_cursor is None
    docs, nxt = last  # unpacks like the (docs, next_cursor) pairs the services use
    assert nxt is None and len(docs) == 2


async def test_null_sort_keys_page_in_mongodb_order():
    """A missing sort key sorts as null, before every value, and paging still covers all."""
    docs = [{"_id": "a", "seq": None}, {"_id": "b"}, {"_id": "c", "seq": 1}, {"_id": "d", "seq": 2}]
    mongo = await _seed(docs)
    repo = mongo.repo("things", "hubei")
    assert await _walk(repo, sort=[("seq", 1)], limit=1) == [["a"], ["b"], ["c"], ["d"]]
    assert await _walk(repo, sort=[("seq", -1)], limit=3) == [["d", "c", "b"], ["a"]]


async def test_pages_are_scoped_to_the_tenant():
    mongo = await _seed([{"_id": "h1", "created_at": T0}])
    await mongo.repo("things", "hainan").insert({"_id": "n1", "created_at": T0})
    page = await paginate(mongo.repo("things", "hainan"), {}, limit=10)
    assert [d["_id"] for d in page.items] == ["n1"] and page.next_cursor is None


async def test_a_bad_cursor_is_refused_before_any_query():
    mongo = FakeDatabase()
    with pytest.raises(Unprocessable) as exc:
        await paginate(mongo.repo("things", "hubei"), {}, limit=5, cursor="bogus")
    assert exc.value.field == "cursor"

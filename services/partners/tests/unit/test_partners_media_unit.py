"""Media named by an event, by name (issue 11, PLAT-03): pure rules of ``domain.media``."""

from __future__ import annotations

from anjian_shared.events.notices_v1 import DocumentReplied
from partners.domain.media import NAME, media_name, media_refs


def test_plat03_every_media_reference_of_an_event_is_found_by_the_last_segment_of_its_key() -> None:
    example = DocumentReplied.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    found = media_refs(example)
    assert set(found) == {"9c0d1e2f3a4b.jpg", "0d1e2f3a4b5c.pdf"}
    assert found["0d1e2f3a4b5c.pdf"]["content_type"] == "application/pdf"
    assert media_name("hubei/results/abc.jpg") == "abc.jpg"


def test_plat03_nested_lists_count_and_lookalikes_do_not() -> None:
    data = {"results": [{"photos": [{"bucket": "b", "key": "t/r/1.jpg", "content_type": "image/jpeg"}]}],
            "signature": {"bucket": "b", "key": "t/s/2.png", "content_type": "image/png"},
            "not_media": {"bucket": "b", "key": 3, "content_type": "x"}, "text": "t/s/2.png"}
    assert sorted(media_refs(data)) == ["1.jpg", "2.png"]
    assert media_refs(None) == {} and media_refs("x") == {}


def test_plat03_a_media_name_is_one_safe_path_segment() -> None:
    assert NAME.match("0d1e2f3a4b5c.pdf")
    for bad in ("", "..", "../x", "a/b", ".hidden", "a b.jpg", "x" * 201):
        assert not NAME.match(bad), bad

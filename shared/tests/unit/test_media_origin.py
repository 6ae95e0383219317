"""Media from the platform's own origin (issue 11): every presigned URL starts with the public
gateway origin plus ``/media`` and is signed for the path the gateway passes to S3."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from minio import Minio
from pydantic import ValidationError

from anjian_shared.events.common import MediaRef
from anjian_shared.media import download_headers
from anjian_shared.settings import ServiceSettings
from anjian_shared.storage import Storage, split_media_url, with_prefix

REF = MediaRef(bucket="anjian-inspections", key="hubei/results/abc.jpg", content_type="image/jpeg", size=3,
               filename="边坡.jpg")
KEYS = {"access_key": "ak-test", "secret_key": "sk-test", "region": "us-east-1"}
WHEN = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


def _storage(**kw: object) -> Storage:
    return Storage("s3.internal:9000", KEYS["access_key"], KEYS["secret_key"], bucket="anjian-inspections",
                   region=KEYS["region"], **kw)  # type: ignore[arg-type]


async def test_issue_11_presigned_urls_start_with_the_public_origin_and_media_prefix() -> None:
    url = await _storage(media_url="https://anjian.example.com/media").presigned_get(REF)
    assert url.startswith("https://anjian.example.com/media/anjian-inspections/hubei/results/abc.jpg?")
    assert "s3.internal" not in url
    assert "response-content-type=image%2Fjpeg" in url and "response-content-disposition=inline" in url
    assert "X-Amz-SignedHeaders=host" in url and "X-Amz-Expires=900" in url


def test_issue_11_the_signature_is_the_one_s3_computes_for_the_stripped_path_and_the_clients_host() -> None:
    """What the gateway sends S3 (``/media`` stripped, the client's ``Host``) is exactly what
    was signed: the same URL signed by a client of ``anjian.example.com`` without the prefix."""
    storage = _storage(media_url="https://anjian.example.com/media")
    ours = with_prefix(storage.presigner.presigned_get_object(
        REF.bucket, REF.key, expires=timedelta(minutes=5), response_headers=download_headers(REF),
        request_date=WHEN), storage.media_origin, storage.media_prefix)
    direct = Minio("anjian.example.com", secure=True, **KEYS).presigned_get_object(
        REF.bucket, REF.key, expires=timedelta(minutes=5), response_headers=download_headers(REF),
        request_date=WHEN)
    assert ours == direct.replace("https://anjian.example.com/", "https://anjian.example.com/media/", 1)


def test_issue_11_a_signing_host_signs_for_the_host_the_gateway_sets() -> None:
    """Managed S3 that routes by Host: the URL stays on the platform's origin, the signature is
    for ``ANJIAN_MEDIA_SIGNING_HOST`` (the gateway sends that Host)."""
    storage = _storage(media_url="https://anjian.example.com/media", signing_host="oss.example.com")
    ours = with_prefix(storage.presigner.presigned_get_object(REF.bucket, REF.key, expires=timedelta(minutes=5),
                                                              request_date=WHEN),
                       storage.media_origin, storage.media_prefix)
    direct = Minio("oss.example.com", secure=True, **KEYS).presigned_get_object(
        REF.bucket, REF.key, expires=timedelta(minutes=5), request_date=WHEN)
    assert ours.startswith("https://anjian.example.com/media/anjian-inspections/")
    assert ours.split("?", 1)[1] == direct.split("?", 1)[1]


async def test_without_a_media_url_urls_point_at_s3_itself() -> None:
    url = await _storage().presigned_get(REF)
    assert url.startswith("http://s3.internal:9000/anjian-inspections/")


def test_issue_11_media_base_url_defaults_to_the_public_base_url_plus_media() -> None:
    s = ServiceSettings(service_name="inspections", environment="test", public_base_url="https://a.example.gov.cn/")
    assert s.media_base_url == "https://a.example.gov.cn/media"
    s = ServiceSettings(service_name="inspections", environment="test",
                        media_public_url="https://static.example.gov.cn/anjian-media")
    assert s.media_base_url == "https://static.example.gov.cn/anjian-media"


@pytest.mark.parametrize("bad", ["ftp://a.example/media", "a.example/media", "https://a.example/m?x=1",
                                 "https://user@a.example/media", "https://a.example/m#f"])
def test_issue_11_a_malformed_media_url_stops_the_service_at_start(bad: str) -> None:
    with pytest.raises(ValidationError, match="media URL"):
        ServiceSettings(service_name="inspections", environment="test", media_public_url=bad)
    with pytest.raises(ValueError):
        split_media_url(bad)

"""Media in S3-compatible storage through the minio SDK (PLAT-05): the adapter under
``anjian_shared.media``.

One bucket per service (``<prefix>-<service>``); keys are ``<tenant>/<folder>/<id>.<ext>``.
What an upload may be (size, sniffed type, pixels) and the rollback of a failed request are
``anjian_shared.media`` (``MediaIntake``); this class only stores, reads, deletes and presigns.
Every presigned URL carries the response overrides of ``media.download_headers`` (the
sniffed content type; images inline, everything else as a download). The minio SDK is
synchronous: every call runs in a thread.

**Media from the platform's own origin** (issue 11): every presigned URL the platform hands
out starts with ``media_url`` (``Settings.media_base_url``: ``<ANJIAN_PUBLIC_BASE_URL>/media``
unless ``ANJIAN_MEDIA_PUBLIC_URL`` says otherwise), e.g.
``https://anjian.example.com/media/anjian-inspections/hubei/results/<id>.jpg?X-Amz-…``. The
URL is signed (SigV4, signed header ``host``) for that URL's host and the path *without* the
prefix; the gateway (``deploy/gateway``: ``location /media/``) strips the prefix and proxies
to S3 with the client's ``Host``, so S3 checks the very signature it was given. A WeChat
mini-program registers one download domain (the platform's), a partner never needs S3's host,
and a tampered or expired URL is refused by S3 through the gateway (403/400).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from minio import Minio
from minio.error import S3Error

from .events.common import MediaRef
from .media import download_headers, extension
from .types import new_id


def split_media_url(media_url: str) -> tuple[str, bool, str]:
    """``media_url`` (``http(s)://host[:port][/prefix]``) as (``host[:port]`` the URLs are signed
    for, ``https?``, path prefix without a trailing ``/``, e.g. ``/media``). Raises ``ValueError``
    for anything else (a query, a fragment, user info, another scheme)."""
    parts = urlsplit(media_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment \
            or "@" in parts.netloc:
        raise ValueError(f"media URL must be http(s)://host[:port][/prefix], got {media_url!r}")
    return parts.netloc, parts.scheme == "https", parts.path.rstrip("/")


def with_prefix(presigned: str, origin: str, prefix: str) -> str:
    """The presigned URL ``presigned`` (``scheme://host/bucket/key?X-Amz-…``) moved to ``origin``
    (``scheme://host[:port]``) with ``prefix`` put before its path; path and query (the
    signature) are kept byte for byte."""
    parts, to = urlsplit(presigned), urlsplit(origin)
    return urlunsplit((to.scheme, to.netloc, prefix + parts.path, parts.query, parts.fragment))


class Storage:
    """A service's bucket. ``media_url``: where clients fetch media (``http(s)://host[:port]/prefix``,
    the gateway's ``/media``; module doc); None: S3's own endpoint (scripts and tests that read
    S3 directly)."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, *, bucket: str, region: str,
                 secure: bool = False, media_url: str | None = None, signing_host: str | None = None) -> None:
        self.bucket = bucket
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        host, public_secure, self.media_prefix = (split_media_url(media_url) if media_url
                                                  else (endpoint, secure, ""))
        self.media_origin = f"{'https' if public_secure else 'http'}://{host}"
        # region given: presigning is a local computation, the presigner never calls its host.
        # signing_host: the Host S3 will see when it is not the client's (a managed S3 that
        # routes by Host; the gateway then sets that Host, ANJIAN_MEDIA_SIGNING_HOST)
        self.presigner = Minio(signing_host or host, access_key=access_key, secret_key=secret_key,
                               secure=public_secure, region=region)

    async def ensure_bucket(self) -> None:
        def _ensure() -> None:
            if not self.client.bucket_exists(self.bucket):
                try:
                    self.client.make_bucket(self.bucket)
                except S3Error as exc:
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
        await asyncio.to_thread(_ensure)

    async def ready(self) -> bool:
        return await asyncio.to_thread(self.client.bucket_exists, self.bucket)

    async def put_bytes(self, *, tenant: str, folder: str, data: bytes, content_type: str,
                        filename: str | None = None) -> MediaRef:
        """Store ``data`` at ``<tenant>/<folder>/<id>.<ext>``; returns its reference."""
        key = f"{tenant}/{folder}/{new_id()}.{extension(content_type)}"
        digest = hashlib.sha256(data).hexdigest()
        await asyncio.to_thread(self.client.put_object, self.bucket, key, io.BytesIO(data), len(data),
                                content_type=content_type)
        return MediaRef(bucket=self.bucket, key=key, content_type=content_type, size=len(data), sha256=digest,
                        filename=filename)

    async def get_bytes(self, ref: MediaRef) -> bytes:
        """Read an object named by a reference (any bucket this platform's credentials can read)."""
        def _get() -> bytes:
            resp = self.client.get_object(ref.bucket, ref.key)
            try:
                return resp.read()
            finally:
                resp.close()
                resp.release_conn()
        return await asyncio.to_thread(_get)

    async def delete(self, ref: MediaRef) -> None:
        await asyncio.to_thread(self.client.remove_object, ref.bucket, ref.key)

    async def presigned_get(self, ref: MediaRef, *, expires: timedelta = timedelta(minutes=15)) -> str:
        """A URL that reads the object without credentials until it expires, served with the
        sniffed ``Content-Type`` and a ``Content-Disposition`` (``inline`` for images,
        ``attachment`` otherwise; ``media.download_headers``) whatever the bytes also are.
        The URL starts with the platform's media origin and prefix (module doc)."""
        url = await asyncio.to_thread(self.presigner.presigned_get_object, ref.bucket, ref.key, expires=expires,
                                      response_headers=download_headers(ref))
        return with_prefix(url, self.media_origin, self.media_prefix)

"""Media in S3-compatible storage through the minio SDK (PLAT-05): the adapter under
``anjian_shared.media``.

One bucket per service (``<prefix>-<service>``); keys are ``<tenant>/<folder>/<id>.<ext>``.
What an upload may be (size, sniffed type, pixels) and the rollback of a failed request are
``anjian_shared.media`` (``MediaIntake``); this class only stores, reads, deletes and presigns.
Every presigned URL carries the response overrides of ``media.download_headers`` (the
sniffed content type; images inline, everything else as a download). The minio SDK is
synchronous: every call runs in a thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import timedelta

from minio import Minio
from minio.error import S3Error

from .events.common import MediaRef
from .media import download_headers, extension
from .types import new_id


class Storage:
    """A service's bucket. ``public_endpoint`` is the host:port put into presigned URLs."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, *, bucket: str, region: str,
                 secure: bool = False, public_endpoint: str | None = None) -> None:
        self.bucket = bucket
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        self.presigner = Minio(public_endpoint or endpoint, access_key=access_key, secret_key=secret_key,
                               secure=secure, region=region)

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
        ``attachment`` otherwise; ``media.download_headers``) whatever the bytes also are."""
        return await asyncio.to_thread(self.presigner.presigned_get_object, ref.bucket, ref.key, expires=expires,
                                       response_headers=download_headers(ref))

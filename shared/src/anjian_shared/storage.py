"""Media in S3-compatible storage through the minio SDK (PLAT-05).

One bucket per service (``<prefix>-<service>``); keys start with the tenant.
``Storage.put_upload`` reads an upload with a size cap, checks its real type (an
image must decode as one), stores it and returns a ``MediaRef`` claim check that
events and records carry. The minio SDK is synchronous: every call runs in a thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import timedelta

from fastapi import UploadFile
from minio import Minio
from minio.error import S3Error
from PIL import Image, UnidentifiedImageError

from .events.common import MediaRef
from .problems import PayloadTooLarge, UnsupportedMedia
from .types import new_id

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
_EXT = {"image/jpeg": "jpg", "image/png": "png"}


def sniff_image(data: bytes, *, field: str) -> str:
    """The content type of ``data`` if it is a JPEG or PNG image; 415 problem otherwise."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedMedia(f"{field} is not a JPEG or PNG image", field=field) from exc
    if fmt not in IMAGE_TYPES:
        raise UnsupportedMedia(f"{field} must be JPEG or PNG, got {fmt}", field=field)
    return IMAGE_TYPES[fmt]


async def read_limited(upload: UploadFile, *, max_bytes: int, field: str) -> bytes:
    """Read an upload, refusing (413) anything over ``max_bytes``."""
    chunks, total = [], 0
    while True:
        chunk = await upload.read(64 * 1024)
        if not chunk:
            break
        total += len(chunk)
        if total > max_bytes:
            raise PayloadTooLarge(f"{field} exceeds {max_bytes} bytes", field=field)
        chunks.append(chunk)
    return b"".join(chunks)


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
        ext = _EXT.get(content_type, "bin")
        key = f"{tenant}/{folder}/{new_id()}.{ext}"
        digest = hashlib.sha256(data).hexdigest()
        await asyncio.to_thread(self.client.put_object, self.bucket, key, io.BytesIO(data), len(data),
                                content_type=content_type)
        return MediaRef(bucket=self.bucket, key=key, content_type=content_type, size=len(data), sha256=digest,
                        filename=filename)

    async def put_image(self, upload: UploadFile, *, tenant: str, folder: str, max_bytes: int,
                        field: str) -> MediaRef:
        """Check an uploaded photo/signature/seal (size, real image type) and store it."""
        data = await read_limited(upload, max_bytes=max_bytes, field=field)
        if not data:
            from .problems import Unprocessable

            raise Unprocessable(f"{field} is empty", field=field)
        content_type = sniff_image(data, field=field)
        return await self.put_bytes(tenant=tenant, folder=folder, data=data, content_type=content_type,
                                    filename=upload.filename)

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
        """A URL that reads the object without credentials until it expires."""
        return await asyncio.to_thread(self.presigner.presigned_get_object, ref.bucket, ref.key, expires=expires)

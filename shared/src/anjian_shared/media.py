"""Media intake, one building block for every upload (PLAT-05; HB-04/05/06/08, HN-03/04/09).

A photo, video, audio clip, attachment, signature or seal goes through the same steps::

    async with MediaIntake(storage, tenant=tenant, folder=f"plans/{plan_id}/results") as intake:
        refs = await intake.take(uploads, MediaPolicy.photo(max_bytes=limit))
        doc = await with_transaction(mongo, tenant, apply)      # uses ``refs``
        intake.replaced(old_ref)                               # removed after the commit
    return doc

1. **size**: each upload is read with a cap (``MediaPolicy.max_bytes``, the tenant's limit the
   caller passes in) — 413 ``PayloadTooLarge`` naming the field. An upload whose size is
   already known (Starlette spools multipart bodies and sets ``size``) is refused before
   anything of the request is stored;
2. **type**: the real type is sniffed from the bytes, never taken from the name or the declared
   type: images must decode as JPEG/PNG with Pillow and stay within ``max_pixels``
   (:data:`MAX_IMAGE_PIXELS`, 413 naming the field — a 13000×13000 PNG of 20 KB is a
   decompression bomb, not a photo); video/audio by their container signature; attachments by
   an allow-list (PDF, DOCX, XLSX, JPEG/PNG). A type the field does not accept → 415
   ``UnsupportedMedia`` naming the field; an empty file → 422;
3. **store**: ``<tenant>/<folder>/<id>.<ext>`` with its sha256, as a :class:`MediaRef`;
4. **rollback**: leaving the ``async with`` block by an exception (a refused upload, a rule of
   the use case, a transaction that did not commit) removes every object stored by it; leaving
   it normally removes the objects marked :meth:`MediaIntake.replaced`. A commit whose outcome
   is unknown keeps the new objects (an orphan object is harmless, a record pointing to a
   deleted one is not);
5. **read back**: :func:`download_headers` gives the response overrides every presigned URL
   carries (``Storage.presigned_get``): ``Content-Type`` = the sniffed type and
   ``Content-Disposition`` ``inline`` for images, ``attachment`` for everything else, so a
   polyglot file (a JPEG that is also HTML) is never rendered as a page by a browser.

No FastAPI, no minio, no pymongo here (domain modules import the sniffers): an upload is
anything with ``filename`` and ``async read(size)`` (:class:`Upload`), the object store
anything with ``put_bytes``/``delete`` (:class:`ObjectStore`, e.g. ``anjian_shared.storage.Storage``
or ``anjian_shared.testing.fakes.FakeStorage``).
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.utils import encode_rfc2231
from enum import StrEnum
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

import structlog
from PIL import Image, UnidentifiedImageError

from .errors import PayloadTooLarge, Unprocessable, UnsupportedMedia
from .events.common import MediaRef

log = structlog.get_logger("anjian.media")

MAX_IMAGE_PIXELS = 40_000_000
"""Largest image accepted (width × height), 40 megapixels: a phone camera takes ≤ 50 MP only in
special modes; decoding one costs ~160 MB (RGBA), and every PDF render decodes it again."""

READ_CHUNK = 64 * 1024

# --- content types ------------------------------------------------------------------------------

JPEG = "image/jpeg"
PNG = "image/png"
MP4 = "video/mp4"
QUICKTIME = "video/quicktime"
M4A = "audio/mp4"
AAC = "audio/aac"
MP3 = "audio/mpeg"
AMR = "audio/amr"
AMR_WB = "audio/amr-wb"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

EXTENSIONS: dict[str, str] = {
    JPEG: "jpg",
    PNG: "png",
    MP4: "mp4",
    QUICKTIME: "mov",
    M4A: "m4a",
    AAC: "aac",
    MP3: "mp3",
    AMR: "amr",
    AMR_WB: "awb",
    PDF: "pdf",
    DOCX: "docx",
    XLSX: "xlsx",
}
"""File name extension of every accepted content type (the stored key and default file name)."""

IMAGE_TYPES = frozenset({JPEG, PNG})
_PILLOW_FORMATS = {"JPEG": JPEG, "PNG": PNG}


def extension(content_type: str) -> str:
    """The file name extension of ``content_type`` (``bin`` if not in :data:`EXTENSIONS`)."""
    return EXTENSIONS.get(content_type, "bin")


class MediaKind(StrEnum):
    """What an upload is for; decides which sniffed types are accepted."""

    PHOTO = "photo"
    SIGNATURE = "signature"
    SEAL = "seal"
    VIDEO = "video"
    AUDIO = "audio"
    ATTACHMENT = "attachment"


ACCEPTED: dict[MediaKind, frozenset[str]] = {
    MediaKind.PHOTO: IMAGE_TYPES,
    MediaKind.SIGNATURE: IMAGE_TYPES,
    MediaKind.SEAL: IMAGE_TYPES,
    MediaKind.VIDEO: frozenset({MP4, QUICKTIME}),
    MediaKind.AUDIO: frozenset({M4A, AAC, MP3, AMR, AMR_WB}),
    MediaKind.ATTACHMENT: frozenset({PDF, DOCX, XLSX, JPEG, PNG}),
}
"""The content types each kind accepts (after sniffing)."""

_ACCEPTED_WORDS = {
    MediaKind.PHOTO: "a JPEG or PNG image",
    MediaKind.SIGNATURE: "a JPEG or PNG image",
    MediaKind.SEAL: "a JPEG or PNG image",
    MediaKind.VIDEO: "MP4 or QuickTime",
    MediaKind.AUDIO: "M4A, AAC, MP3 or AMR",
    MediaKind.ATTACHMENT: "PDF, DOCX, XLSX, JPEG or PNG",
}


# --- sniffing (pure) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sniffed:
    """What an upload really is: its content type and, for an image, its size in pixels."""

    content_type: str
    width: int | None = None
    height: int | None = None


def sniff_image(data: bytes, *, field: str, max_pixels: int = MAX_IMAGE_PIXELS) -> Sniffed:
    """A JPEG or PNG image that Pillow can open and verify, of at most ``max_pixels`` pixels.

    415 ``UnsupportedMedia`` naming ``field`` when it is not a JPEG/PNG image; 413
    ``PayloadTooLarge`` (slug ``image-too-large``) naming ``field`` when its dimensions exceed
    ``max_pixels`` (checked from the header, before anything is decoded; Pillow's own
    decompression-bomb guard is answered the same way)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt, (width, height) = img.format, img.size
                if width * height > max_pixels:
                    raise _too_many_pixels(field, width, height, max_pixels)
                img.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(field, None, None, max_pixels) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnsupportedMedia(f"{field} is not a JPEG or PNG image", field=field) from exc
    if fmt not in _PILLOW_FORMATS:
        raise UnsupportedMedia(f"{field} must be JPEG or PNG, got {fmt}", field=field)
    return Sniffed(_PILLOW_FORMATS[fmt], width, height)


def _too_many_pixels(
    field: str, width: int | None, height: int | None, max_pixels: int
) -> PayloadTooLarge:
    size = f" ({width}×{height})" if width else ""
    return PayloadTooLarge(
        f"{field}: the image is larger than {max_pixels} pixels{size}",
        field=field,
        slug="image-too-large",
    )


_AUDIO_ONLY_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P "})
_AUDIO_MP4_BRANDS = _AUDIO_ONLY_BRANDS | frozenset(
    {b"mp42", b"isom", b"iso2", b"3gp4", b"3gp5", b"3gp6"}
)
_QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip"})


def _iso_bmff_brand(data: bytes) -> bytes | None:
    """The major brand of an ISO base media file (``....ftypXXXX``), else None."""
    if len(data) >= 12 and data[4:8] == b"ftyp":
        return data[8:12]
    return None


def _is_adts(data: bytes) -> bool:
    # 12-bit sync word 0xFFF, then ID (1 bit, any), layer (2 bits) = 00
    return len(data) >= 7 and data[0] == 0xFF and (data[1] & 0xF6) == 0xF0


def _is_mp3_frame(data: bytes) -> bool:
    """An MPEG audio frame header of layer III: 11-bit sync, version not reserved, layer
    bits 01, bitrate index neither 0000 (free) nor 1111 (bad), sample rate index not 11."""
    if len(data) < 4 or data[0] != 0xFF or (data[1] & 0xE0) != 0xE0:
        return False
    version = (data[1] >> 3) & 0b11
    layer = (data[1] >> 1) & 0b11
    bitrate = (data[2] >> 4) & 0b1111
    sample_rate = (data[2] >> 2) & 0b11
    return version != 0b01 and layer == 0b01 and bitrate not in (0, 0b1111) and sample_rate != 0b11


def sniff_video(data: bytes) -> str | None:
    """HN-04: ``video/mp4`` (an ``ftyp`` box of any brand but the audio-only ``M4A``/``M4B``/
    ``M4P``) or ``video/quicktime`` (brand ``qt``, or a classic ``moov``/``mdat``/``wide``/
    ``free``/``skip`` atom at offset 4) when ``data`` starts like one, else None. Only the
    container signature is checked, never the stream (the service carries no codecs)."""
    brand = _iso_bmff_brand(data)
    if brand is not None:
        if brand == b"qt  ":
            return QUICKTIME
        if brand in _AUDIO_ONLY_BRANDS:
            return None
        return MP4
    if len(data) >= 8 and data[4:8] in _QUICKTIME_ATOMS:
        return QUICKTIME
    return None


def sniff_audio(data: bytes) -> str | None:
    """HN-04: ``audio/mp4`` (m4a: ``ftyp`` brand ``M4A``/``M4B``/``M4P``/``mp42``/``isom``/``iso2``/
    ``3gp4..6``), ``audio/aac`` (ADIF or an ADTS frame), ``audio/mpeg`` (ID3 tag or an MPEG layer
    III frame), ``audio/amr[-wb]`` (``#!AMR[-WB]\\n``) when ``data`` starts like one, else None."""
    brand = _iso_bmff_brand(data)
    if brand is not None:
        return M4A if brand in _AUDIO_MP4_BRANDS else None
    if data.startswith(b"#!AMR-WB\n"):
        return AMR_WB
    if data.startswith(b"#!AMR\n"):
        return AMR
    if data.startswith(b"ID3"):
        return MP3
    if data.startswith(b"ADIF") or _is_adts(data):
        return AAC
    if _is_mp3_frame(data):
        return MP3
    return None


def _office_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(n.startswith("word/") for n in names):
        return DOCX
    if any(n.startswith("xl/") for n in names):
        return XLSX
    return None


def sniff_document(data: bytes) -> str | None:
    """HN-09: ``application/pdf`` (``%PDF-``), DOCX / XLSX (a ZIP whose members include
    ``[Content_Types].xml`` and ``word/`` resp. ``xl/``) when ``data`` is one, else None
    (executables, HTML, legacy Office, plain ZIPs). Images are sniffed by :func:`sniff_image`."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return _office_type(data)
    return None


def _looks_like_image(data: bytes) -> bool:
    return data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"))


def sniff(
    kind: MediaKind, data: bytes, *, field: str, max_pixels: int = MAX_IMAGE_PIXELS
) -> Sniffed:
    """The real type of ``data`` if ``kind`` accepts it: 415 ``UnsupportedMedia`` naming
    ``field`` otherwise; an image over ``max_pixels`` → 413 naming ``field``."""
    kind = MediaKind(kind)
    if kind in (MediaKind.PHOTO, MediaKind.SIGNATURE, MediaKind.SEAL):
        return sniff_image(data, field=field, max_pixels=max_pixels)
    if kind is MediaKind.ATTACHMENT and _looks_like_image(data):
        return sniff_image(data, field=field, max_pixels=max_pixels)
    found = {
        MediaKind.VIDEO: sniff_video,
        MediaKind.AUDIO: sniff_audio,
        MediaKind.ATTACHMENT: sniff_document,
    }[kind](data)
    if found is None or found not in ACCEPTED[kind]:
        raise UnsupportedMedia(
            f"{field}: only {_ACCEPTED_WORDS[kind]} files are accepted (checked by content)",
            field=field,
        )
    return Sniffed(found)


# --- policy ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaPolicy:
    """What one upload field accepts: its kind (→ sniffed types, :data:`ACCEPTED`), the
    request field named in errors, the tenant's byte limit (the caller passes it, e.g. from
    the tenant policy) and the image pixel limit."""

    kind: MediaKind
    field: str
    max_bytes: int
    max_pixels: int = MAX_IMAGE_PIXELS
    split_hint: bool = False
    """HEB-17: a file over the limit is 413 ``attachment-too-large`` telling the user to split
    it (拆分后分别上传), instead of the bare ``payload-too-large``."""

    @classmethod
    def photo(
        cls, *, max_bytes: int, field: str = "photos", max_pixels: int = MAX_IMAGE_PIXELS
    ) -> MediaPolicy:
        return cls(MediaKind.PHOTO, field, max_bytes, max_pixels)

    @classmethod
    def video(cls, *, max_bytes: int, field: str = "video") -> MediaPolicy:
        return cls(MediaKind.VIDEO, field, max_bytes)

    @classmethod
    def audio(cls, *, max_bytes: int, field: str = "audio") -> MediaPolicy:
        return cls(MediaKind.AUDIO, field, max_bytes)

    @classmethod
    def attachment(
        cls, *, max_bytes: int, field: str = "attachments", max_pixels: int = MAX_IMAGE_PIXELS,
        split_hint: bool = False,
    ) -> MediaPolicy:
        return cls(MediaKind.ATTACHMENT, field, max_bytes, max_pixels, split_hint)

    @classmethod
    def mark(cls, kind: MediaKind | str, *, max_bytes: int, field: str = "file") -> MediaPolicy:
        """A signature or a seal (HB-06): a JPEG/PNG image."""
        kind = MediaKind(kind)
        if kind not in (MediaKind.SIGNATURE, MediaKind.SEAL):
            raise ValueError(f"not a mark: {kind}")
        return cls(kind, field, max_bytes)

    @property
    def accepts(self) -> frozenset[str]:
        """The sniffed content types this field accepts."""
        return ACCEPTED[self.kind]

    def check_declared_size(self, size: int | None) -> None:
        """413 naming the field when an upload's known size is over ``max_bytes``."""
        if size is not None and size > self.max_bytes:
            raise self.too_large()

    def too_large(self) -> PayloadTooLarge:
        """The 413 for a file over ``max_bytes``, naming the field (with ``split_hint``:
        ``attachment-too-large`` giving the limit in KB and asking to split the file, HEB-17)."""
        if self.split_hint:
            limit = self.max_bytes
            return PayloadTooLarge(
                f"each attachment may be at most {limit // 1024} KB ({limit} bytes) in this province: "
                "split the file into several attachments (拆分后分别上传)", field=self.field,
                slug="attachment-too-large")
        return PayloadTooLarge(f"{self.field} exceeds {self.max_bytes} bytes", field=self.field)

    def check(self, data: bytes) -> Sniffed:
        """Size, emptiness and real type of the whole file: 413 / 422 / 415 naming the field."""
        self.check_declared_size(len(data))
        if not data:
            raise Unprocessable(f"{self.field}: an empty file", field=self.field)
        return sniff(self.kind, data, field=self.field, max_pixels=self.max_pixels)


# --- intake (I/O through small protocols) ---------------------------------------------------------


@runtime_checkable
class Upload(Protocol):
    """An uploaded file as the service layer sees it (FastAPI's ``UploadFile`` is one).
    A ``size`` attribute, when the upload has one, lets oversize files be refused unread."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


class ObjectStore(Protocol):
    """The object storage the intake writes to (``anjian_shared.storage.Storage``)."""

    async def put_bytes(
        self,
        *,
        tenant: str,
        folder: str,
        data: bytes,
        content_type: str,
        filename: str | None = None,
    ) -> MediaRef: ...

    async def delete(self, ref: MediaRef) -> None: ...


async def read_limited(upload: Upload, *, max_bytes: int, field: str) -> bytes:
    """Read an upload, refusing (413 naming ``field``) anything over ``max_bytes``; stops
    reading at the first chunk past the limit."""
    chunks, total = [], 0
    while True:
        chunk = await upload.read(READ_CHUNK)
        if not chunk:
            break
        total += len(chunk)
        if total > max_bytes:
            raise PayloadTooLarge(f"{field} exceeds {max_bytes} bytes", field=field)
        chunks.append(chunk)
    return b"".join(chunks)


async def discard(storage: ObjectStore, refs: Iterable[MediaRef | dict[str, Any] | None]) -> None:
    """Best-effort removal of objects nothing refers to any more (``None``/empty entries are
    skipped). A failure is logged: the object is then merely unreferenced, never a broken
    reference, so it never fails the request."""
    for ref in refs:
        if not ref:
            continue
        media = ref if isinstance(ref, MediaRef) else MediaRef.model_validate(ref)
        try:
            await storage.delete(media)
        except Exception as exc:  # noqa: BLE001 - a cleanup never fails the request
            log.warning("could not delete media object", key=media.key, error=repr(exc)[:200])


def _commit_outcome_unknown(exc: BaseException | None) -> bool:
    """A database error saying the commit may have been applied (MongoDB's
    ``UnknownTransactionCommitResult`` label), found without importing pymongo."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        has_label = getattr(exc, "has_error_label", None)
        if callable(has_label) and has_label("UnknownTransactionCommitResult"):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


Inspect = Callable[[int, Sniffed], None]
"""Called with (index within the batch, what the upload is) after its checks, before it is
stored; may raise to refuse it (e.g. annotations outside a photo's pixel size)."""


class MediaIntake:
    """Takes the uploads of one request into storage, and takes them out again if the request
    fails. Use as ``async with MediaIntake(storage, tenant=..., folder=...) as intake`` around
    the uploads AND the transaction that records them (see the module docstring).

    ``stored``: every object stored so far (in order). Each :meth:`take` checks the sizes
    known up front of all its uploads before it reads or stores any of them."""

    def __init__(self, storage: ObjectStore, *, tenant: str, folder: str) -> None:
        self.storage = storage
        self.tenant = tenant
        self.folder = folder
        self.stored: list[MediaRef] = []
        self._replaced: list[MediaRef | dict[str, Any] | None] = []

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            await discard(self.storage, self._replaced)
        elif _commit_outcome_unknown(exc):
            log.warning(
                "commit outcome unknown: keeping the stored media",
                keys=[r.key for r in self.stored],
            )
        else:
            await self.rollback()

    async def rollback(self) -> None:
        """Remove every object this intake stored (idempotent)."""
        stored, self.stored = self.stored, []
        await discard(self.storage, stored)

    def replaced(self, *refs: MediaRef | dict[str, Any] | None) -> None:
        """Mark objects the request replaces: removed when the block ends without an error
        (after the commit), kept otherwise."""
        self._replaced.extend(refs)

    async def take(
        self, uploads: Sequence[Upload], policy: MediaPolicy, *, inspect: Inspect | None = None
    ) -> list[MediaRef]:
        """Check and store ``uploads`` under ``policy``; returns their references in order.
        413/415/422 naming ``policy.field`` (nothing of this call is stored when a known size is
        over the limit; what earlier uploads stored is removed when the block ends)."""
        [refs] = await self.take_groups((uploads, policy, inspect))
        return refs

    async def take_one(self, upload: Upload, policy: MediaPolicy) -> MediaRef:
        """:meth:`take` of a single upload."""
        [ref] = await self.take([upload], policy)
        return ref

    async def take_groups(
        self,
        *groups: tuple[Sequence[Upload], MediaPolicy]
        | tuple[Sequence[Upload], MediaPolicy, Inspect | None],
    ) -> list[list[MediaRef]]:
        """:meth:`take` of several fields at once (e.g. photos, videos and audio of one record),
        each group ``(uploads, policy)`` or ``(uploads, policy, inspect)``: every known size of
        every group is checked before anything is read or stored."""
        for uploads, policy, *_ in groups:
            for upload in uploads:
                policy.check_declared_size(getattr(upload, "size", None))
        out: list[list[MediaRef]] = []
        for uploads, policy, *rest in groups:
            inspect = rest[0] if rest else None
            refs = []
            for index, upload in enumerate(uploads):
                try:
                    data = await read_limited(upload, max_bytes=policy.max_bytes, field=policy.field)
                except PayloadTooLarge:
                    raise policy.too_large() from None
                found = policy.check(data)
                if inspect is not None:
                    inspect(index, found)
                refs.append(await self._put(upload, policy, data, found))
            out.append(refs)
        return out

    async def _put(
        self, upload: Upload, policy: MediaPolicy, data: bytes, found: Sniffed
    ) -> MediaRef:
        name = upload.filename or f"{policy.field}.{extension(found.content_type)}"
        ref = await self.storage.put_bytes(
            tenant=self.tenant,
            folder=self.folder,
            data=data,
            content_type=found.content_type,
            filename=name,
        )
        self.stored.append(ref)
        return ref


# --- read back ------------------------------------------------------------------------------------


def content_disposition(ref: MediaRef) -> str:
    """``inline`` for an image, ``attachment`` for anything else, with the file name (RFC 6266:
    an ASCII ``filename`` and, for other names, ``filename*`` in UTF-8)."""
    disposition = "inline" if ref.content_type in IMAGE_TYPES else "attachment"
    name = ref.filename or ref.key.rsplit("/", 1)[-1]
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    value = f'{disposition}; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*={encode_rfc2231(name, 'utf-8')}"
    return value


def download_headers(ref: MediaRef) -> dict[str, str]:
    """The S3 response overrides of a presigned GET (``response-content-type``,
    ``response-content-disposition``): served as what the platform sniffed, images inline,
    everything else as a download — never as HTML, whatever the bytes also are."""
    content_type = (
        ref.content_type if ref.content_type in EXTENSIONS else "application/octet-stream"
    )
    return {
        "response-content-type": content_type,
        "response-content-disposition": content_disposition(ref),
    }

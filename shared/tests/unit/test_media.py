"""The media intake block (``anjian_shared.media``): sniffing, limits, the pixel limit, the
download headers, and rollback of stored objects on ``FakeStorage`` (PLAT-05, HN-04, HN-09,
HB-04..08, HN-03; issue 11: decompression bombs and polyglot files)."""

from __future__ import annotations

import io
import struct
import zipfile
from urllib.parse import unquote

import pytest
from pymongo.errors import OperationFailure, PyMongoError

from anjian_shared.errors import PayloadTooLarge, Unprocessable, UnsupportedMedia
from anjian_shared.events.common import MediaRef
from anjian_shared.media import (
    DOCX,
    JPEG,
    MAX_IMAGE_PIXELS,
    PDF,
    PNG,
    XLSX,
    MediaIntake,
    MediaKind,
    MediaPolicy,
    content_disposition,
    download_headers,
    read_limited,
    sniff,
    sniff_audio,
    sniff_image,
    sniff_video,
)
from anjian_shared.mongo import with_transaction
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload, huge_png, image_bytes, polyglot_jpeg

PHOTO = MediaPolicy.photo(max_bytes=1_000_000)


def _zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n in names:
            zf.writestr(n, "<x/>")
    return buf.getvalue()


def _ftyp(brand: bytes) -> bytes:
    return struct.pack(">I", 24) + b"ftyp" + brand + b"\x00\x00\x02\x00" + b"isommp41"


# --- sniffing ---


def test_images_are_sniffed_by_decoding_with_their_size():
    assert sniff_image(image_bytes("PNG", (320, 240)), field="photos").content_type == PNG
    found = sniff_image(image_bytes("JPEG", (64, 48)), field="photos")
    assert (found.content_type, found.width, found.height) == (JPEG, 64, 48)


@pytest.mark.parametrize(
    "data",
    [
        b"not an image at all",
        b"\x89PNG\r\n\x1a\n....",
        image_bytes("GIF"),
        b"<html><script>alert(1)</script></html>",
    ],
)
def test_what_is_not_a_jpeg_or_png_is_415_naming_the_field(data):
    with pytest.raises(UnsupportedMedia) as exc:
        sniff(MediaKind.PHOTO, data, field="cover_photo")
    assert exc.value.field == "cover_photo"


def test_issue_11_a_decompression_bomb_is_413_naming_the_field_not_a_500():
    """Issue 11: a 13000×13000 PNG of ~20 KB is refused (413, ``image-too-large``) on every
    image kind, the attachment that is an image included."""
    bomb = huge_png()
    assert len(bomb) < 64 * 1024
    for kind, field in (
        (MediaKind.PHOTO, "photos"),
        (MediaKind.SIGNATURE, "file"),
        (MediaKind.SEAL, "file"),
        (MediaKind.ATTACHMENT, "attachments"),
    ):
        with pytest.raises(PayloadTooLarge) as exc:
            sniff(kind, bomb, field=field)
        assert exc.value.field == field and exc.value.code == "image-too-large"


def test_pixel_limit_is_a_named_constant_and_a_policy_parameter():
    assert MAX_IMAGE_PIXELS == 40_000_000
    image = image_bytes("PNG", (200, 100))  # 20 000 pixels
    assert sniff_image(image, field="photos", max_pixels=20_000).width == 200
    with pytest.raises(PayloadTooLarge) as exc:
        MediaPolicy.photo(max_bytes=10**6, max_pixels=19_999).check(image)
    assert exc.value.field == "photos" and "200×100" in str(exc.value)


def test_video_and_audio_by_container_signature_hn04():
    assert sniff(MediaKind.VIDEO, _ftyp(b"isom"), field="video").content_type == "video/mp4"
    assert sniff_video(_ftyp(b"qt  ")) == "video/quicktime"
    assert sniff_video(_ftyp(b"M4A ")) is None
    assert sniff(MediaKind.AUDIO, _ftyp(b"M4A "), field="audio").content_type == "audio/mp4"
    assert sniff_audio(b"#!AMR\n\x3c") == "audio/amr"
    assert sniff_audio(b"\xff\xfb\x90\x64" + b"\x00" * 10) == "audio/mpeg"
    with pytest.raises(UnsupportedMedia) as exc:
        sniff(MediaKind.VIDEO, b"RIFF....AVI ", field="video")
    assert exc.value.field == "video"
    with pytest.raises(UnsupportedMedia):
        sniff(MediaKind.AUDIO, image_bytes("JPEG"), field="audio")


def test_attachments_by_allow_list_hn09():
    assert sniff(MediaKind.ATTACHMENT, b"%PDF-1.7\n...", field="attachments").content_type == PDF
    assert (
        sniff(
            MediaKind.ATTACHMENT,
            _zip(["[Content_Types].xml", "word/document.xml"]),
            field="attachments",
        ).content_type
        == DOCX
    )
    assert (
        sniff(
            MediaKind.ATTACHMENT,
            _zip(["[Content_Types].xml", "xl/workbook.xml"]),
            field="attachments",
        ).content_type
        == XLSX
    )
    assert sniff(MediaKind.ATTACHMENT, image_bytes("PNG"), field="attachments").content_type == PNG
    for bad in (
        b"MZ\x90\x00 an exe",
        b"<html><script>",
        _zip(["a.txt"]),
        b"PK\x03\x04broken",
        b"\xff\xd8\xff not really a jpeg",
    ):
        with pytest.raises(UnsupportedMedia) as exc:
            sniff(MediaKind.ATTACHMENT, bad, field="attachments")
        assert exc.value.field == "attachments"


# --- limits ---


def test_policy_refuses_oversize_413_and_empty_422_naming_the_field():
    policy = MediaPolicy.attachment(max_bytes=10)
    with pytest.raises(PayloadTooLarge) as big:
        policy.check(b"%PDF-" + b"x" * 10)
    with pytest.raises(Unprocessable) as empty:
        policy.check(b"")
    assert big.value.field == empty.value.field == "attachments"
    assert policy.accepts == frozenset({PDF, DOCX, XLSX, JPEG, PNG})


async def test_read_limited_stops_at_the_limit():
    with pytest.raises(PayloadTooLarge) as exc:
        await read_limited(FakeUpload(b"x" * 200_000), max_bytes=100_000, field="video")
    assert exc.value.field == "video"
    assert await read_limited(FakeUpload(b"abc"), max_bytes=3, field="f") == b"abc"


# --- download headers (issue 11: polyglot files) -------------------------------------------------


def _ref(content_type: str, filename: str | None) -> MediaRef:
    return MediaRef(
        bucket="b", key="hubei/x/1.bin", content_type=content_type, size=1, filename=filename
    )


def test_images_download_inline_as_their_sniffed_type():
    headers = download_headers(_ref(JPEG, "site.jpg"))
    assert headers == {
        "response-content-type": "image/jpeg",
        "response-content-disposition": 'inline; filename="site.jpg"',
    }


def test_everything_else_downloads_as_an_attachment_with_its_name_in_utf8():
    value = content_disposition(_ref(PDF, "整改回复.pdf"))
    assert value.startswith("attachment; filename=\"____.pdf\"; filename*=utf-8''")
    assert unquote(value.split("''", 1)[1]) == "整改回复.pdf"
    assert (
        download_headers(_ref("text/html", None))["response-content-type"]
        == "application/octet-stream"
    )
    assert 'filename="1.bin"' in content_disposition(_ref(PDF, None))
    quoted = content_disposition(_ref(PDF, 'a"b\r\nSet-Cookie: x.pdf'))  # no header injection
    assert quoted.startswith('attachment; filename="a_b__Set-Cookie: x.pdf"; filename*=')
    assert "\r" not in quoted and "\n" not in quoted


# --- intake and rollback on FakeStorage ---


def _photos(n: int) -> list[FakeUpload]:
    return [
        FakeUpload(image_bytes("PNG"), filename=f"p{i}.png", content_type="text/html")
        for i in range(n)
    ]


async def test_stored_objects_are_typed_keyed_and_hashed():
    storage = FakeStorage()
    async with MediaIntake(storage, tenant="hubei", folder="plans/p1/results") as intake:
        [ref] = await intake.take(
            [FakeUpload(polyglot_jpeg(), filename=None, content_type="text/html")], PHOTO
        )
    assert ref.content_type == JPEG  # sniffed, never the declared text/html
    assert ref.key.startswith("hubei/plans/p1/results/") and ref.key.endswith(".jpg")
    assert ref.filename == "photos.jpg" and len(ref.sha256 or "") == 64
    assert storage.objects[(ref.bucket, ref.key)].content_type == JPEG


async def test_rollback_when_the_second_of_three_uploads_fails_to_store():
    storage = FakeStorage()
    storage.fail_put_at(2)
    with pytest.raises(ConnectionError):
        async with MediaIntake(storage, tenant="hubei", folder="f") as intake:
            await intake.take(_photos(3), PHOTO)
    assert storage.puts == 2 and not storage.objects and len(storage.removed) == 1


async def test_rollback_when_the_caller_raises_after_storing():
    storage = FakeStorage()
    with pytest.raises(RuntimeError):
        async with MediaIntake(storage, tenant="hubei", folder="f") as intake:
            refs = await intake.take(_photos(2), PHOTO)
            raise RuntimeError("a rule of the use case refuses")
    assert not storage.objects and sorted(k for _, k in storage.removed) == sorted(
        r.key for r in refs
    )


async def test_oversize_is_refused_before_anything_is_stored():
    storage = FakeStorage()
    uploads = _photos(2) + [FakeUpload(image_bytes("PNG"), size=2_000_000)]
    with pytest.raises(PayloadTooLarge) as exc:
        async with MediaIntake(storage, tenant="hubei", folder="f") as intake:
            await intake.take_groups(
                (uploads[:2], PHOTO), (uploads[2:], MediaPolicy.video(max_bytes=10**6))
            )
    assert exc.value.field == "video" and storage.puts == 0


@pytest.mark.parametrize("declared", [True, False])
async def test_heb17_an_attachment_over_the_limit_asks_to_split_it(declared):
    """HEB-17 (larger ones split): with ``split_hint`` the 413 is ``attachment-too-large``
    naming the field and the limit in KB, whether the size was declared or found reading."""
    storage = FakeStorage()
    big = b"%PDF-1.4\n" + b"0" * (600 * 1024)
    upload = FakeUpload(big, size=len(big)) if declared else FakeUpload(big)
    with pytest.raises(PayloadTooLarge) as exc:
        async with MediaIntake(storage, tenant="hebei", folder="f") as intake:
            await intake.take([upload], MediaPolicy.attachment(max_bytes=600 * 1024, field="file", split_hint=True))
    assert exc.value.slug == "attachment-too-large" and exc.value.field == "file"
    assert "600 KB" in str(exc.value) and "拆分" in str(exc.value) and storage.puts == 0
    with pytest.raises(PayloadTooLarge) as plain:
        MediaPolicy.attachment(max_bytes=600 * 1024, field="file").check(big)
    assert plain.value.slug == "payload-too-large"


async def test_wrong_type_refused_and_what_was_stored_before_is_removed():
    storage = FakeStorage()
    uploads = [
        *_photos(1),
        FakeUpload(b"MZ\x90\x00 an exe", filename="x.png", content_type="image/png"),
    ]
    with pytest.raises(UnsupportedMedia) as exc:
        async with MediaIntake(storage, tenant="hubei", folder="f") as intake:
            await intake.take(uploads, PHOTO)
    assert exc.value.field == "photos" and storage.puts == 1 and not storage.objects


async def test_inspect_may_refuse_an_upload_before_it_is_stored():
    storage = FakeStorage()

    def refuse_wide(index: int, found) -> None:
        if found.width > 50:
            raise Unprocessable(
                f"annotations of photo {index} outside the image", field="annotations"
            )

    with pytest.raises(Unprocessable):
        async with MediaIntake(storage, tenant="hubei", folder="f") as intake:
            await intake.take(_photos(1), PHOTO, inspect=refuse_wide)
    assert storage.puts == 0


async def test_replaced_objects_go_only_after_success():
    storage = FakeStorage()
    async with MediaIntake(storage, tenant="hubei", folder="old") as intake:
        old = await intake.take_one(_photos(1)[0], PHOTO)
    with pytest.raises(RuntimeError):
        async with MediaIntake(storage, tenant="hubei", folder="new") as intake:
            await intake.take_one(_photos(1)[0], PHOTO)
            intake.replaced(old)
            raise RuntimeError("commit failed")
    assert (old.bucket, old.key) in storage.objects and len(storage.objects) == 1
    async with MediaIntake(storage, tenant="hubei", folder="new") as intake:
        new = await intake.take_one(_photos(1)[0], PHOTO)
        intake.replaced(old.model_dump(), None)
    assert list(storage.keys()) == [new.key]


async def test_a_transaction_that_does_not_commit_removes_the_stored_objects():
    """The DB transaction not committing (the commit is refused) leaves no object behind."""
    mongo, storage = FakeDatabase(service="inspections"), FakeStorage()
    mongo.fail_commit(OperationFailure("commit refused", code=8000), applied=False)

    async def apply(uow):
        await uow.repo("results").insert({"_id": "r1", "photos": [r.model_dump() for r in refs]})

    with pytest.raises(PyMongoError):
        async with MediaIntake(storage, tenant="hubei", folder="f") as intake:
            refs = await intake.take(_photos(2), PHOTO)
            await with_transaction(mongo, "hubei", apply)
    assert not storage.objects and not mongo.documents("results")


async def test_a_commit_with_an_unknown_outcome_keeps_the_objects():
    """Better an orphan object than a committed record pointing to a deleted one."""
    storage = FakeStorage()
    unknown = PyMongoError("connection closed during commit")
    unknown._error_labels = {"UnknownTransactionCommitResult"}  # as pymongo labels it
    with pytest.raises(PyMongoError):
        async with MediaIntake(storage, tenant="hubei", folder="f") as intake:
            await intake.take(_photos(1), PHOTO)
            raise unknown
    assert len(storage.objects) == 1 and not storage.removed


async def test_a_failing_cleanup_never_hides_the_original_error():
    storage = FakeStorage()

    async def broken_delete(ref):
        raise ConnectionError("s3 away")

    storage.delete = broken_delete  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="original"):
        async with MediaIntake(storage, tenant="hubei", folder="f") as intake:
            await intake.take(_photos(1), PHOTO)
            raise RuntimeError("original")

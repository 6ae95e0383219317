"""Media of document replies through the shared media intake (HN-09; issue 11): image
attachments and photos over the pixel limit are refused, and every presigned URL is served
by the real S3 endpoint as the sniffed type — images inline, anything else as a download."""

from __future__ import annotations

from urllib.parse import unquote

from documents_testkit import DocKit, pdf
from test_documents_api import stored_objects

from anjian_local.scenario import expect
from anjian_shared.testing.media import POLYGLOT_HTML, huge_png, polyglot_jpeg


async def test_issue_11_a_decompression_bomb_is_413_as_photo_and_as_attachment(docs: DocKit):
    w = docs.hn
    did = (await docs.document(w))["id"]
    bomb = ("bomb.png", huge_png(), "image/png")
    for field in ("photos", "attachments"):
        r = await docs.reply(w, "liu", did, files=[pdf(), (field, bomb)])
        assert r.status_code == 413, r.text[:300]
        assert r.json()["field"] == field and r.json()["type"].endswith("image-too-large")
    assert await stored_objects(docs, did) == []
    assert (await docs.read(w, "liu", did))["replies"] == []


async def test_issue_11_presigned_reply_media_carry_the_sniffed_type_and_a_disposition(
    docs: DocKit,
):
    """Fetched from the real rclone S3: the polyglot photo (declared text/html) answers
    ``image/jpeg`` inline; the PDF answers ``application/pdf`` as an attachment with its
    Chinese file name (RFC 6266 ``filename*``)."""
    w = docs.hn
    did = (await docs.document(w))["id"]
    files = [("photos", ("page.html", polyglot_jpeg(), "text/html")), pdf("整改报告.pdf")]
    reply = expect(await docs.reply(w, "liu", did, files=files), 201)
    [photo], [attachment] = reply["photos"], reply["attachments"]
    async with docs.platform.api() as raw:  # media come from the gateway origin (/media/…)
        image = await raw.get(photo["url"])
        document = await raw.get(attachment["url"])
    assert image.status_code == 200 and image.content.endswith(POLYGLOT_HTML)
    assert image.headers["content-type"] == "image/jpeg"
    assert image.headers["content-disposition"].startswith("inline; filename=")
    assert document.status_code == 200 and document.headers["content-type"] == "application/pdf"
    disposition = document.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert unquote(disposition.split("''", 1)[1]) == "整改报告.pdf"

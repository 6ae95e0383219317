"""Video and audio of supervision records (HN-04): what a file is, by its magic bytes. No I/O.

Only the **container signature** is checked (the first bytes of the file), never the
whole stream: a file that starts like an MP4 is accepted as one even if its media data is
damaged. That is what the platform promises (the type is what it claims, so a viewer
opens it with the right player); decoding video/audio on upload would need codecs the
service does not carry. Photos are checked more strictly (they must decode as JPEG/PNG,
``anjian_shared.storage.sniff_image``).

Accepted:

==========  ======================================================  =====================
field       signature                                               content type
==========  ======================================================  =====================
video       ISO base media file: ``ftyp`` box at offset 4, brand    ``video/quicktime``
            ``qt  ``                                                 
video       ``ftyp`` box, any other brand except the audio-only     ``video/mp4``
            ``M4A``/``M4B``/``M4P``
video       classic QuickTime without ``ftyp``: ``moov``/``mdat``/   ``video/quicktime``
            ``wide``/``free``/``skip`` atom at offset 4
audio       ``ftyp`` box with brand ``M4A``/``M4B``/``M4P``/``mp42``/  ``audio/mp4`` (m4a)
            ``isom``/``iso2``/``3gp4``..``3gp6`` (phone recorders)
audio       ``ADIF`` or an ADTS frame header (sync ``0xFFF``, layer 0)  ``audio/aac``
audio       ``ID3`` tag, or an MPEG-1/2 audio layer III frame header    ``audio/mpeg`` (mp3)
audio       ``#!AMR\\n`` / ``#!AMR-WB\\n``                            ``audio/amr`` / ``audio/amr-wb``
==========  ======================================================  =====================
"""

from __future__ import annotations

from enum import StrEnum

from anjian_shared.errors import UnsupportedMedia

AUDIO_ONLY_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P "})
AUDIO_MP4_BRANDS = AUDIO_ONLY_BRANDS | frozenset({b"mp42", b"isom", b"iso2", b"3gp4", b"3gp5", b"3gp6"})
QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip"})

EXTENSIONS: dict[str, str] = {
    "video/mp4": "mp4", "video/quicktime": "mov", "audio/mp4": "m4a", "audio/aac": "aac",
    "audio/mpeg": "mp3", "audio/amr": "amr", "audio/amr-wb": "awb",
}
"""File name extension of each accepted content type (used for the stored file name)."""


class MediaKind(StrEnum):
    """The media a supervision record carries besides photos."""

    VIDEO = "video"
    AUDIO = "audio"


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
    """HN-04: ``video/mp4`` or ``video/quicktime`` when ``data`` starts like one, else None."""
    brand = _iso_bmff_brand(data)
    if brand is not None:
        if brand == b"qt  ":
            return "video/quicktime"
        if brand in AUDIO_ONLY_BRANDS:
            return None
        return "video/mp4"
    if len(data) >= 8 and data[4:8] in QUICKTIME_ATOMS:
        return "video/quicktime"
    return None


def sniff_audio(data: bytes) -> str | None:
    """HN-04: ``audio/mp4`` (m4a), ``audio/aac``, ``audio/mpeg`` (mp3), ``audio/amr[-wb]`` when
    ``data`` starts like one, else None."""
    brand = _iso_bmff_brand(data)
    if brand is not None:
        return "audio/mp4" if brand in AUDIO_MP4_BRANDS else None
    if data.startswith(b"#!AMR-WB\n"):
        return "audio/amr-wb"
    if data.startswith(b"#!AMR\n"):
        return "audio/amr"
    if data.startswith(b"ID3"):
        return "audio/mpeg"
    if data.startswith(b"ADIF") or _is_adts(data):
        return "audio/aac"
    if _is_mp3_frame(data):
        return "audio/mpeg"
    return None


def media_type(kind: MediaKind, data: bytes, *, field: str) -> str:
    """HN-04: the content type of an uploaded video/audio by its container signature;
    415 problem naming ``field`` when it is not an accepted one."""
    found = sniff_video(data) if kind is MediaKind.VIDEO else sniff_audio(data)
    if found is None:
        accepted = "MP4 or QuickTime" if kind is MediaKind.VIDEO else "M4A, AAC, MP3 or AMR"
        raise UnsupportedMedia(f"{field} is not {accepted} (file signature not recognised)", field=field)
    return found

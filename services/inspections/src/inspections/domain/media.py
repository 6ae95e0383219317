"""Video and audio of supervision records (HN-04): what a file is, by its magic bytes. No I/O.

The sniffers live in the shared media block (``anjian_shared.media``: ``sniff_video``,
``sniff_audio``, the accepted types per kind and their file extensions); this module names
them in the words of the records domain. Only the **container signature** is checked (the
first bytes of the file), never the whole stream: a file that starts like an MP4 is accepted
as one even if its media data is damaged; photos are checked more strictly (they must decode
as JPEG/PNG within the pixel limit).
"""

from __future__ import annotations

from anjian_shared.media import EXTENSIONS, MediaKind, sniff, sniff_audio, sniff_video

__all__ = ["EXTENSIONS", "MediaKind", "media_type", "sniff_audio", "sniff_video"]


def media_type(kind: MediaKind, data: bytes, *, field: str) -> str:
    """HN-04: the content type of an uploaded video/audio by its container signature;
    ``UnsupportedMedia`` (415) naming ``field`` when it is not an accepted one."""
    return sniff(kind, data, field=field).content_type

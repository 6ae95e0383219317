"""HEB-02 the province's home page: announcements (通知公告) and downloadable files (下载专区)
that authorities publish for the companies of their province. Pure rules, no I/O.

Who publishes: the leader of an authority or station (``station_leader``) for their own
organisation, or the province administrator (manual: 登录成功后，进入系统首页，可查看“通知公告”、
“下载管理”、“业务办理情况”). Who withdraws: the same — an authority only its own ones, the
province administrator any of the province. Everyone signed in to the province reads what is
published; a withdrawn one is shown only to those who may withdraw it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from anjian_shared.errors import Conflict, Forbidden, Unprocessable
from anjian_shared.principal import Principal, Role

PUBLISHER_ORG_KINDS = ("authority", "station")
TITLE_MAX = 200
BODY_MAX = 20_000
FILES_MAX = 10
"""At most this many files per announcement or download."""


class AnnouncementKind(StrEnum):
    ANNOUNCEMENT = "announcement"
    DOWNLOAD = "download"


KIND_LABELS = {AnnouncementKind.ANNOUNCEMENT: "通知公告", AnnouncementKind.DOWNLOAD: "下载专区"}


def may_manage(p: Principal, publisher_org_id: str | None = None) -> bool:
    """The province administrator, or the leader of an authority/station (of
    ``publisher_org_id`` when given)."""
    if p.has(Role.PROVINCE_ADMIN):
        return True
    return (p.org_kind in PUBLISHER_ORG_KINDS and p.has(Role.STATION_LEADER)
            and (publisher_org_id is None or p.org_id == publisher_org_id))


def check_publisher(p: Principal) -> None:
    """403 ``not-announcement-publisher`` unless the caller may publish (see module)."""
    if not may_manage(p):
        raise Forbidden("announcements and downloads are published by the leader of an authority or station, "
                        "or the province administrator", slug="not-announcement-publisher")


def check_content(kind: AnnouncementKind, title: str, body: str, file_count: int) -> tuple[str, str]:
    """(title, body) stripped: 422 naming ``title`` (1..200 characters), ``body`` (at most
    20 000; an announcement needs a body or a file), ``files`` (at most 10; a download needs
    at least one: ``download-file-required``)."""
    title, body = (title or "").strip(), (body or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise Unprocessable(f"title: 1..{TITLE_MAX} characters", field="title")
    if len(body) > BODY_MAX:
        raise Unprocessable(f"body: at most {BODY_MAX} characters", field="body")
    if file_count > FILES_MAX:
        raise Unprocessable(f"files: at most {FILES_MAX} per {KIND_LABELS[kind]}", field="files")
    if kind is AnnouncementKind.DOWNLOAD and file_count == 0:
        raise Unprocessable("a download (下载专区) needs at least one file", field="files",
                            slug="download-file-required")
    if kind is AnnouncementKind.ANNOUNCEMENT and not body and file_count == 0:
        raise Unprocessable("an announcement needs a body or an attachment", field="body")
    return title, body


def visible(doc: dict[str, Any], p: Principal) -> bool:
    """A published one: everyone of the province; a withdrawn one: only who may withdraw it."""
    return doc.get("status") == "published" or may_manage(p, doc.get("publisher_org_id"))


def check_withdraw(doc: dict[str, Any], p: Principal) -> None:
    """403 ``not-announcement-publisher`` unless the caller leads the publishing organisation or
    is the province administrator; 409 ``announcement-withdrawn`` when it already is."""
    if not may_manage(p, doc.get("publisher_org_id")):
        raise Forbidden("only the publishing authority or the province administrator withdraws it",
                        slug="not-announcement-publisher")
    if doc.get("status") != "published":
        raise Conflict("this announcement was already withdrawn", slug="announcement-withdrawn")

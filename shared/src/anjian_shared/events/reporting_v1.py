"""Events published by reporting, version 1: the home page's announcements (通知公告) and
downloadable files (下载专区) the authorities publish (HEB-02)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import EventModel, MediaRef, PersonRef

_PUBLISHER = {"user_id": "4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f", "name": "王强"}
_FILE = {"bucket": "anjian-reporting", "key": "hebei/announcements/1a2b3c4d/5e6f7a8b.pdf",
         "content_type": "application/pdf", "size": 183204, "sha256": None, "filename": "安装告知单（样表）.pdf"}

AnnouncementKind = Literal["announcement", "download"]


class AnnouncementPublished(EventModel):
    """``reporting.announcement.published.v1``: an authority, station or the province office
    published an announcement (通知公告) or a downloadable file (下载专区) on the province's home
    page (HEB-02); every company of the province now lists it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "announcement_id": "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d", "kind": "download",
        "title": "建筑起重机械安装告知单样表",
        "body": "安装单位办理安装告知时请使用此样表。", "publisher_org_id": "7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d",
        "publisher_org_name": "石家庄市长安区建设工程安全监督站", "files": [_FILE], "by": _PUBLISHER,
        "published_at": "2026-11-21T01:30:00Z", "version": 1}]})

    announcement_id: str = Field(description="the announcement's id (reporting)")
    kind: AnnouncementKind = Field(description="announcement 通知公告 | download 下载专区")
    title: str = Field(description="标题, 1..200 characters")
    body: str = Field(description="正文 (plain text; may be empty for a download)")
    publisher_org_id: str = Field(description="the publishing authority or station (identity organisation)")
    publisher_org_name: str | None = Field(default=None, description="its name when it was published, if known")
    files: list[MediaRef] = Field(description="the attached or downloadable files (S3; PDF, DOCX, XLSX, JPEG, PNG)")
    by: PersonRef = Field(description="who published it")
    published_at: datetime = Field(description="when (UTC)")
    version: int = Field(ge=1, description="the announcement's version (+1 per change); keep the highest")


class AnnouncementWithdrawn(EventModel):
    """``reporting.announcement.withdrawn.v1``: the publishing authority (or the province
    administrator) withdrew an announcement or download (HEB-02); companies no longer list it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "announcement_id": "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d", "kind": "download",
        "title": "建筑起重机械安装告知单样表",
        "publisher_org_id": "7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d", "reason": "样表已更新，请使用新版",
        "by": _PUBLISHER, "withdrawn_at": "2026-11-28T03:00:00Z", "version": 2}]})

    announcement_id: str = Field(description="the announcement's id (reporting)")
    kind: AnnouncementKind = Field(description="announcement 通知公告 | download 下载专区")
    title: str = Field(description="its title")
    publisher_org_id: str = Field(description="the authority or station that published it")
    reason: str = Field(description="why it was withdrawn (may be empty)")
    by: PersonRef = Field(description="who withdrew it")
    withdrawn_at: datetime = Field(description="when (UTC)")
    version: int = Field(ge=1, description="the announcement's version after the withdrawal")


EVENTS: dict[str, type[BaseModel]] = {
    "reporting.announcement.published.v1": AnnouncementPublished,
    "reporting.announcement.withdrawn.v1": AnnouncementWithdrawn,
}

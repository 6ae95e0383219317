"""HEB-02 the province's home page: announcements (通知公告) and downloads (下载专区).

Authorities publish (the leader of an authority or station, or the province administrator);
every user of the province lists and reads them newest first and downloads their files from
the platform's own origin (307 to ``<public base>/media/…``, as every medium is served).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile, status
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.pagination import Cursor, Limit, Page
from anjian_shared.types import utcnow

from ...domain.announcements import BODY_MAX, FILES_MAX, KIND_LABELS, TITLE_MAX, AnnouncementKind
from ...service_layer import announcements as svc
from .deps import MongoDep, SettingsDep, StorageDep

router = APIRouter(tags=["announcements"])
PREFIX = "/api/reporting/v1"
AnnouncementId = Annotated[str, Path(max_length=64, description="an announcement or download of your province")]


class FileRead(BaseModel):
    index: int = Field(description="the file's position (0-based): GET …/files/{index} downloads it")
    filename: str | None = Field(description="the name the publisher gave it")
    content_type: str = Field(description="the sniffed type (application/pdf, …)")
    size: int = Field(description="bytes")
    download_path: str = Field(description="path (on the platform's origin) that redirects to the file")


class PersonRead(BaseModel):
    user_id: str
    name: str


class AnnouncementRead(BaseModel):
    id: str
    kind: AnnouncementKind = Field(description="announcement 通知公告 | download 下载专区")
    kind_label: str = Field(description="通知公告 | 下载专区")
    title: str
    body: str
    files: list[FileRead]
    publisher_org_id: str = Field(description="the publishing authority or station")
    publisher_org_name: str | None = None
    published_by: PersonRead
    published_at: datetime
    status: Literal["published", "withdrawn"]
    withdrawn_at: datetime | None = None
    withdraw_reason: str | None = None
    version: int

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> AnnouncementRead:
        files = [FileRead(index=i, filename=f.get("filename"), content_type=f["content_type"], size=f["size"],
                          download_path=f"{PREFIX}/announcements/{doc['_id']}/files/{i}")
                 for i, f in enumerate(doc.get("files") or [])]
        return cls(id=doc["_id"], kind=doc["kind"], kind_label=KIND_LABELS[AnnouncementKind(doc["kind"])],
                   title=doc["title"], body=doc.get("body") or "", files=files,
                   publisher_org_id=doc["publisher_org_id"], publisher_org_name=doc.get("publisher_org_name"),
                   published_by=PersonRead(**doc["published_by"]), published_at=doc["published_at"],
                   status=doc["status"], withdrawn_at=doc.get("withdrawn_at"),
                   withdraw_reason=doc.get("withdraw_reason"), version=doc.get("version") or 1)


class AnnouncementPage(Page[AnnouncementRead]):
    pass


class Withdrawal(BaseModel):
    reason: str = Field(default="", max_length=500, description="why it is withdrawn (shown to nobody but kept)")


class FileLink(BaseModel):
    url: str = Field(description="presigned URL on the platform's origin (<public base>/media/…)")
    expires_at: datetime


@router.post("/announcements", status_code=status.HTTP_201_CREATED, response_model=AnnouncementRead,
             summary="Publish an announcement or a download (HEB-02)")
async def publish(
    principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep, settings: SettingsDep, response: Response,
    kind: Annotated[AnnouncementKind, Form(description="announcement 通知公告 | download 下载专区")],
    title: Annotated[str, Form(max_length=TITLE_MAX * 2, description=f"标题, 1..{TITLE_MAX} characters")],
    body: Annotated[str, Form(max_length=BODY_MAX * 2, description="正文 (plain text)")] = "",
    files: Annotated[list[UploadFile] | None, File(
        description=f"0..{FILES_MAX} files (a download: at least 1): PDF, DOCX, XLSX, JPEG or PNG, each at most "
                    "the tenant limit announcement_file_max_bytes (repeat the field)")] = None,
) -> AnnouncementRead:
    """HEB-02 multipart/form-data ``{kind, title, body, files[]}`` → 201 with the announcement.
    403 ``not-announcement-publisher`` (only the leader of an authority or station, or the
    province administrator); 422 ``title`` (1..200), ``body`` (an announcement needs a body or
    a file), ``files`` (at most 10; ``download-file-required``); 413/415 naming ``files``
    (type sniffed; size over ``announcement_file_max_bytes``). Nothing is stored on a refusal.
    Event ``reporting.announcement.published.v1``."""
    doc = await svc.publish(mongo=mongo, storage=storage, settings=settings, principal=principal, kind=kind,
                            title=title, body=body, files=files or [])
    response.headers["Location"] = f"{PREFIX}/announcements/{doc['_id']}"
    return AnnouncementRead.from_doc(doc)


@router.get("/announcements", response_model=AnnouncementPage, summary="The province's announcements (HEB-02)")
async def list_announcements(
    principal: CurrentPrincipal, mongo: MongoDep,
    kind: Annotated[AnnouncementKind | None, Query(description="only announcements or only downloads")] = None,
    include_withdrawn: Annotated[bool, Query(description=(
        "also withdrawn ones: the province administrator all, an authority's leader its own"))] = False,
    limit: Limit = 20, cursor: Cursor = None,
) -> AnnouncementPage:
    """HEB-02 newest first, one page ``{items, next_cursor}`` (``limit`` 1..100, ``cursor``;
    422 naming ``cursor``). Every user of the province sees what is published; another
    province's never appear."""
    docs, nxt = await svc.list_announcements(mongo=mongo, principal=principal, kind=kind.value if kind else None,
                                             include_withdrawn=include_withdrawn, limit=limit, cursor=cursor)
    return AnnouncementPage(items=[AnnouncementRead.from_doc(d) for d in docs], next_cursor=nxt)


@router.get("/announcements/{announcement_id}", response_model=AnnouncementRead, summary="One announcement")
async def get_announcement(announcement_id: AnnouncementId, principal: CurrentPrincipal,
                           mongo: MongoDep) -> AnnouncementRead:
    """HEB-02 404 ``announcement-not-found``: unknown, another province's, or withdrawn (for a
    caller who may not manage it)."""
    return AnnouncementRead.from_doc(await svc.get_announcement(mongo=mongo, principal=principal,
                                                                announcement_id=announcement_id))


@router.get("/announcements/{announcement_id}/files/{index}", status_code=307, response_class=RedirectResponse,
            response_model=None, summary="Download a file of an announcement (HEB-02)",
            responses={307: {"description": "redirect (Location) to a fresh presigned URL on the platform's origin"},
                       200: {"description": "with redirect=false: the URL as JSON", "model": FileLink}})
async def download(announcement_id: AnnouncementId,
                   index: Annotated[int, Path(ge=0, le=FILES_MAX - 1, description="the file's index (0-based)")],
                   principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep, settings: SettingsDep,
                   redirect: Annotated[bool, Query(description="false: answer the URL as JSON")] = True) -> Response:
    """HEB-02 307 to a presigned URL on the platform's own origin (``<public base>/media/…``,
    valid ``ANJIAN_ANNOUNCEMENT_LINK_SECONDS``, 300 s; the file's sniffed type and name as
    response headers). 404 ``announcement-not-found`` (as GET), ``announcement-file-not-found``."""
    ttl = timedelta(seconds=settings.announcement_link_seconds)
    url, _ = await svc.file_link(mongo=mongo, storage=storage, principal=principal,
                                 announcement_id=announcement_id, index=index, ttl=ttl)
    headers = {"Cache-Control": "no-store"}
    if not redirect:
        link = FileLink(url=url, expires_at=utcnow() + ttl)
        return JSONResponse(link.model_dump(mode="json"), headers=headers)
    return RedirectResponse(url, status_code=307, headers=headers)


@router.post("/announcements/{announcement_id}/withdrawal", response_model=AnnouncementRead,
             summary="Withdraw an announcement (HEB-02)")
async def withdraw(announcement_id: AnnouncementId, principal: CurrentPrincipal, mongo: MongoDep,
                   body: Withdrawal | None = None) -> AnnouncementRead:
    """HEB-02 撤回 ``{reason}`` (optional): the publishing organisation's leader or the province
    administrator (403 ``not-announcement-publisher``); 404 as GET; 409
    ``announcement-withdrawn``. Companies no longer list it. Event
    ``reporting.announcement.withdrawn.v1``."""
    doc = await svc.withdraw(mongo=mongo, principal=principal, announcement_id=announcement_id,
                             reason=(body.reason if body else ""))
    return AnnouncementRead.from_doc(doc)

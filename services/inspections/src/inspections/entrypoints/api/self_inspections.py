"""Fujian: supervision companies inspect their own sites (监理单位自查), FJ-04..FJ-11.

One request per step of the manual: 新增检查 (POST /self-inspections), 检查打卡
(…/check-in), 查看二维码 / 同行检查 (…/companion-codes, POST /self-inspections/companions),
检查要点 (…/points), 保存 (every answer is saved at once), 完成检查 (…/complete), 下发整改通知
(…/notice), 流程跟踪 (…/timeline), 整改清单 (GET /rectifications), 整改反馈 (…/feedback) and
its review; the stations' overview (GET /self-inspection-overview); the province's check-point
catalog (/check-points).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile, status

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.pagination import Cursor, Limit
from anjian_shared.qr import qr_png
from anjian_shared.types import utcnow

from ...domain.libraries import Library
from ...domain.self_inspections import Filled
from ...service_layer import libraries as library_cases
from ...service_layer import self_inspections as cases
from .deps import MongoDep, SettingsDep, StorageDep
from .self_inspection_schemas import (
    CheckInCreate,
    CheckPointCreate,
    CheckPointPage,
    CheckPointRead,
    CheckPointUpdate,
    CompanionCodeRead,
    CompanionJoin,
    CompleteCreate,
    FeedbackRead,
    FeedbackReviewCreate,
    NoticeCreate,
    OverviewRead,
    PointPage,
    PointRead,
    SelfInspectionCreate,
    SelfInspectionPage,
    SelfInspectionRead,
    TimelineEntry,
    check_point_read,
    feedback_read,
    inspection_read,
    point_read,
)

router = APIRouter(tags=["self-inspections"])

API = "/api/inspections/v1"
InspectionId = Annotated[str, Path(max_length=64, description="self-inspection id")]
PointCode = Annotated[str, Path(max_length=40, description="check point code, e.g. JGJ59-A.0.2-06")]
FeedbackId = Annotated[str, Path(max_length=64, description="feedback id")]
Files = Annotated[list[UploadFile] | None, File()]


@router.post("/self-inspections", status_code=status.HTTP_201_CREATED, response_model=SelfInspectionRead,
             summary="New self-inspection (新增检查)")
async def create_inspection(body: SelfInspectionCreate, principal: CurrentPrincipal, mongo: MongoDep,
                            settings: SettingsDep, response: Response) -> SelfInspectionRead:
    """FJ-04 新增检查: supervision staff (总监理工程师, 专业监理工程师, 监理员) of an assessable project
    of their company start an inspection with its basic data; the checklist is copied from the
    province's check points. 201 + Location; 404 another company's project; 403
    ``not-project-inspector``; 409 ``project-not-assessable-for-inspection``; 409 ``not-yet-available`` (the
    project has not arrived yet: retry)."""
    doc = await cases.create_inspection(mongo=mongo, settings=settings, principal=principal,
                                        project_id=body.project_id.strip(), title=body.title)
    response.headers["Location"] = f"{API}/self-inspections/{doc['_id']}"
    return inspection_read(doc, now=utcnow())


@router.get("/self-inspections", response_model=SelfInspectionPage, summary="我的检查 (my inspections)")
async def my_inspections(principal: CurrentPrincipal, mongo: MongoDep, drafts: Annotated[bool | None, Query(
        description="true: 检查填报 (not completed, to resume); false: 已检查")] = None,
        limit: Limit = 20, cursor: Cursor = None) -> SelfInspectionPage:
    """FJ-07 我的检查: the inspections I lead or joined, newest first, paginated."""
    page = await cases.my_inspections(mongo=mongo, principal=principal, drafts=drafts, limit=limit, cursor=cursor)
    now = utcnow()
    return SelfInspectionPage(items=[inspection_read(d, now=now) for d in page.items], next_cursor=page.next_cursor)


@router.post("/self-inspections/companions", response_model=SelfInspectionRead, summary="同行检查 (join by QR)")
async def join(body: CompanionJoin, principal: CurrentPrincipal, mongo: MongoDep) -> SelfInspectionRead:
    """FJ-05 同行检查: a colleague of the inspecting company sends the scanned token and joins.
    422 ``companion-token-invalid`` / ``companion-token-expired``; 409 ``companion-token-used``
    (single use) / ``already-companion``; 403 ``companion-other-company``."""
    return inspection_read(await cases.join(mongo=mongo, principal=principal, token=body.token.strip()), now=utcnow())


@router.get("/self-inspections/{inspection_id}", response_model=SelfInspectionRead, summary="One self-inspection")
async def get_inspection(inspection_id: InspectionId, principal: CurrentPrincipal,
                         mongo: MongoDep) -> SelfInspectionRead:
    """FJ-07/FJ-10: the inspection with its progress, check-in, companions, notice and timeline.
    Visible to the inspector, companions, the notice's feedback person and the company admin
    (404 others)."""
    return inspection_read(await cases.get_inspection(mongo=mongo, principal=principal,
                                                      inspection_id=inspection_id), now=utcnow())


@router.post("/self-inspections/{inspection_id}/check-in", response_model=SelfInspectionRead,
             summary="检查打卡 (check in)")
async def check_in(inspection_id: InspectionId, body: CheckInCreate, principal: CurrentPrincipal,
                   mongo: MongoDep) -> SelfInspectionRead:
    """FJ-04 检查打卡: time and GPS position; ``check_in.distance_m`` is the distance in metres
    from the project's position (null while the project has none). 403 ``not-the-inspector``;
    409 ``self-inspection-wrong-status`` (checked in before); 422 ``captured_at``."""
    doc = await cases.check_in(mongo=mongo, principal=principal, inspection_id=inspection_id,
                               longitude=body.longitude, latitude=body.latitude, captured_at=body.captured_at)
    return inspection_read(doc, now=utcnow())


@router.post("/self-inspections/{inspection_id}/companion-codes", status_code=status.HTTP_201_CREATED,
             response_model=CompanionCodeRead, summary="查看二维码 (companion QR token)")
async def companion_code(inspection_id: InspectionId, principal: CurrentPrincipal,
                         mongo: MongoDep) -> CompanionCodeRead:
    """FJ-05 查看二维码: a new signed single-use token, valid 5 minutes, and the URL of its QR
    code (PNG). The inspector only (403), while the inspection is in progress (409)."""
    code = await cases.companion_code(mongo=mongo, principal=principal, inspection_id=inspection_id)
    return CompanionCodeRead(**code, png_url=f"{API}/self-inspections/{inspection_id}/companion-codes/qr.png"
                                             f"?token={code['token']}")


@router.get("/self-inspections/{inspection_id}/companion-codes/qr.png", summary="The companion QR code (PNG)",
            response_class=Response,
            responses={200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
                             "description": "the QR code (PNG)"}})
async def companion_qr(inspection_id: InspectionId, principal: CurrentPrincipal, mongo: MongoDep,
                       token: Annotated[str, Query(min_length=1, max_length=1000)]) -> Response:
    """FJ-05: the QR code (PNG, error correction M) of a token the inspector issued for this
    inspection (404 otherwise; 403 not the inspector)."""
    await cases.ensure_own_token(mongo=mongo, principal=principal, inspection_id=inspection_id, token=token)
    return Response(content=qr_png(token), media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get("/self-inspections/{inspection_id}/points", response_model=PointPage, summary="检查要点 (checklist)")
async def list_points(inspection_id: InspectionId, principal: CurrentPrincipal, mongo: MongoDep,
                      storage: StorageDep, filled: Annotated[Filled | None, Query(
                          description="answered (已填写) | unanswered (未填写)")] = None) -> PointPage:
    """FJ-06: the inspection's check points in catalog order (``filled`` filter) and its progress
    counts (total, answered, unanswered, yes, no, not_checked, major_hazards)."""
    points, counts = await cases.list_points(mongo=mongo, principal=principal, inspection_id=inspection_id,
                                             filled=filled)
    return PointPage(items=[await point_read(storage, p) for p in points], progress=counts)


@router.put("/self-inspections/{inspection_id}/points/{code}", response_model=PointRead,
            summary="Answer a check point (是/否/本次不检查)")
async def answer_point(inspection_id: InspectionId, code: PointCode, principal: CurrentPrincipal, mongo: MongoDep,
                       storage: StorageDep, settings: SettingsDep,
                       value: Annotated[str, Form(pattern="^(yes|no|not_checked)$",
                                                  description="yes (是) | no (否) | not_checked (本次不检查)")],
                       description: Annotated[str | None, Form(max_length=2000,
                                                               description="问题描述 (required with no)")] = None,
                       photos: Annotated[list[UploadFile] | None, File(
                           description="问题照片: 1..9 JPEG/PNG with no (kept from before when none sent)")] = None,
                       ) -> PointRead:
    """FJ-06/FJ-07, multipart/form-data: the answer is saved at once (the draft resumes from
    我的检查 → 检查填报). "no" needs ``description`` and at least one photo (422
    ``description``/``photos``); 413/415 ``photos``; 404 unknown point; 403 neither inspector
    nor companion; 409 not checked in or completed."""
    point = await cases.answer_point(mongo=mongo, storage=storage, settings=settings, principal=principal,
                                     inspection_id=inspection_id, code=code, value=value, description=description,
                                     photos=photos or [])
    return await point_read(storage, point)


@router.post("/self-inspections/{inspection_id}/complete", response_model=SelfInspectionRead,
             summary="完成检查 (complete, with confirmation)")
async def complete(inspection_id: InspectionId, body: CompleteCreate, principal: CurrentPrincipal,
                   mongo: MongoDep) -> SelfInspectionRead:
    """FJ-08 完成检查 → 确认: every point answered (409 ``checklist-incomplete`` naming the
    unanswered codes), ``confirm: true`` (422). The inspector only."""
    return inspection_read(await cases.complete(mongo=mongo, principal=principal, inspection_id=inspection_id,
                                                confirm=body.confirm), now=utcnow())


@router.post("/self-inspections/{inspection_id}/notice", response_model=SelfInspectionRead,
             summary="下发整改通知 (issue the rectification notice)")
async def issue_notice(inspection_id: InspectionId, body: NoticeCreate, principal: CurrentPrincipal,
                       mongo: MongoDep) -> SelfInspectionRead:
    """FJ-09: to the project's feedback person (required). With problems: ``opinion`` and
    ``deadline`` (not past, China time); a major hazard needs an opinion ordering work stopped
    (422 ``stop-work-required``). Without problems: only the feedback person; the inspection
    closes at once. 409 not completed / issued before."""
    doc = await cases.issue_notice(mongo=mongo, principal=principal, inspection_id=inspection_id,
                                   opinion=body.opinion, deadline=body.deadline,
                                   feedback_user_id=body.feedback_user_id)
    return inspection_read(doc, now=utcnow())


@router.get("/self-inspections/{inspection_id}/timeline", response_model=list[TimelineEntry],
            summary="流程跟踪 (timeline)")
async def timeline(inspection_id: InspectionId, principal: CurrentPrincipal, mongo: MongoDep) -> list[TimelineEntry]:
    """FJ-10 流程跟踪: created, checked in, companions, completed, notice issued, feedback (sent,
    returned, accepted), closed, escalated — each with who (null: the system) and when."""
    doc = await cases.get_inspection(mongo=mongo, principal=principal, inspection_id=inspection_id)
    return inspection_read(doc, now=utcnow()).timeline


@router.get("/rectifications", response_model=SelfInspectionPage, summary="整改清单 (my rectification list)")
async def rectifications(principal: CurrentPrincipal, mongo: MongoDep, open_only: Annotated[bool, Query(
        description="true: waiting for rectification (待整改) only")] = True,
        limit: Limit = 20, cursor: Cursor = None) -> SelfInspectionPage:
    """FJ-11 整改清单: the notices addressed to me as feedback person, newest first."""
    page = await cases.rectification_list(mongo=mongo, principal=principal, open_only=open_only, limit=limit,
                                          cursor=cursor)
    now = utcnow()
    return SelfInspectionPage(items=[inspection_read(d, now=now) for d in page.items], next_cursor=page.next_cursor)


@router.post("/self-inspections/{inspection_id}/feedback", status_code=status.HTTP_201_CREATED,
             response_model=FeedbackRead, summary="整改反馈 (reply to the notice)")
async def send_feedback(inspection_id: InspectionId, principal: CurrentPrincipal, mongo: MongoDep,
                        storage: StorageDep, settings: SettingsDep,
                        text: Annotated[str, Form(max_length=2000, description="整改反馈内容")],
                        photos: Annotated[list[UploadFile] | None, File(
                            description="0..9 JPEG/PNG photos after rectification")] = None,
                        attachments: Annotated[list[UploadFile] | None, File(
                            description="0..5 attachments (PDF, DOCX, XLSX, images)")] = None) -> FeedbackRead:
    """FJ-11 整改反馈, multipart/form-data: the notice's feedback person replies with text and
    photos or attachments. 403 ``not-the-feedback-person``; 409 not rectifying or
    ``reply-pending``; 413/415 naming the field."""
    fb = await cases.send_feedback(mongo=mongo, storage=storage, settings=settings, principal=principal,
                                   inspection_id=inspection_id, text=text, photos=photos or [],
                                   attachments=attachments or [])
    return await feedback_read(storage, fb)


@router.get("/self-inspections/{inspection_id}/feedback", response_model=list[FeedbackRead],
            summary="The feedback of an inspection")
async def list_feedback(inspection_id: InspectionId, principal: CurrentPrincipal, mongo: MongoDep,
                        storage: StorageDep) -> list[FeedbackRead]:
    """FJ-11: every feedback, oldest first, with its review."""
    docs = await cases.list_feedback(mongo=mongo, principal=principal, inspection_id=inspection_id)
    return [await feedback_read(storage, d) for d in docs]


@router.post("/self-inspections/{inspection_id}/feedback/{feedback_id}/review", response_model=FeedbackRead,
             summary="Accept or send back a feedback")
async def review_feedback(inspection_id: InspectionId, feedback_id: FeedbackId, body: FeedbackReviewCreate,
                          principal: CurrentPrincipal, mongo: MongoDep, storage: StorageDep) -> FeedbackRead:
    """FJ-11: the inspector accepts (``approve``: the inspection closes) or sends back
    (``reject`` + comment). 403 ``not-a-reviewer``; 409 ``feedback-already-reviewed``; 422
    ``comment``."""
    fb = await cases.review_feedback(mongo=mongo, principal=principal, inspection_id=inspection_id,
                                     feedback_id=feedback_id, decision=body.decision, comment=body.comment)
    return await feedback_read(storage, fb)


@router.get("/self-inspection-overview", response_model=OverviewRead, summary="Self-inspections for the station")
async def overview(principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep,
                   date_from: Annotated[date | None, Query(description="completed on or after (China day)")] = None,
                   date_to: Annotated[date | None, Query(description="completed on or before (China day)")] = None,
                   ) -> OverviewRead:
    """For the stations (监督站): per supervision company and project of the station, the
    self-inspections completed in the period (default: the configured 五个一 period ending
    today), hazards found, notices open and overdue; and the assessable projects without a
    self-inspection in the configured period (tenant policy ``self_inspection_period_days``).
    403 other than station staff."""
    return OverviewRead(**await cases.station_overview(mongo=mongo, settings=settings, principal=principal,
                                                       date_from=date_from, date_to=date_to))


# --- the province's check-point catalog (检查要点, FJ-06) -----------------------------------------

@router.get("/check-points", response_model=CheckPointPage, summary="Check points (检查要点) of the province")
async def list_check_points(principal: CurrentPrincipal, mongo: MongoDep, settings: SettingsDep,
                            q: Annotated[str | None, Query(max_length=100)] = None, limit: Limit = 50,
                            cursor: Cursor = None) -> CheckPointPage:
    """FJ-06: the tenant's check points in display order (seeded from JGJ 59-2011, then the
    province's own); ``q`` a substring of code, text, reference or category."""
    docs, next_cursor = await library_cases.list_entries(mongo=mongo, settings=settings, principal=principal,
                                                         library=Library.CHECK_POINTS, q=q, check_type=None,
                                                         limit=limit, cursor=cursor)
    return CheckPointPage(items=[check_point_read(d) for d in docs], next_cursor=next_cursor)


@router.post("/check-points", status_code=status.HTTP_201_CREATED, response_model=CheckPointRead,
             summary="Add a check point")
async def create_check_point(body: CheckPointCreate, principal: CurrentPrincipal, mongo: MongoDep,
                             settings: SettingsDep) -> CheckPointRead:
    """FJ-06: the province admin adds a check point (``hazard_codes`` from the hazard catalog,
    422 otherwise; a ``ZD2024-`` code flags it 重大事故隐患). 403 other roles; 409 code taken."""
    doc = await library_cases.create_entry(mongo=mongo, settings=settings, principal=principal,
                                           library=Library.CHECK_POINTS, fields=body.model_dump())
    return check_point_read(doc)


@router.patch("/check-points/{code}", response_model=CheckPointRead, summary="Change a check point")
async def update_check_point(code: PointCode, body: CheckPointUpdate, principal: CurrentPrincipal,
                             mongo: MongoDep, settings: SettingsDep) -> CheckPointRead:
    """FJ-06: the province admin changes a point; started inspections keep their copy. 403; 404."""
    doc = await library_cases.update_entry(mongo=mongo, settings=settings, principal=principal,
                                           library=Library.CHECK_POINTS, code=code,
                                           changes=body.model_dump(exclude_unset=True))
    return check_point_read(doc)


@router.delete("/check-points/{code}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a check point")
async def delete_check_point(code: PointCode, principal: CurrentPrincipal, mongo: MongoDep,
                             settings: SettingsDep) -> Response:
    """FJ-06: the province admin removes a point (new inspections no longer get it). 204; 403; 404."""
    await library_cases.delete_entry(mongo=mongo, settings=settings, principal=principal,
                                     library=Library.CHECK_POINTS, code=code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

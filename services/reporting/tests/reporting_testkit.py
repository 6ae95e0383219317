"""Builders of event payloads and images for reporting's tests."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from PIL import Image, ImageDraw

from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.inspections_v1 import (
    HazardRef,
    NoticeData,
    PlanConfirmed,
    PlanProject,
    PlanSubmitted,
    ResultSnapshot,
)
from anjian_shared.events.notices_v1 import (
    NoticeClosed,
    NoticeIssued,
    ReplyReviewed,
    ReplySubmitted,
)
from anjian_shared.types import new_id

FINDING = "基坑东侧边坡未按专项施工方案支护，坡顶堆载超限，存在坍塌风险"
NUMBER_PREFIX = "鄂安监告〔2026〕"


def jpeg(size: tuple[int, int] = (1280, 960), color: tuple[int, int, int] = (40, 90, 160)) -> bytes:
    img = Image.new("RGB", size, color)
    d = ImageDraw.Draw(img)
    d.rectangle((40, 40, size[0] - 40, size[1] - 40), outline=(255, 255, 255), width=10)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def png(size: tuple[int, int] = (600, 200), alpha: bool = True) -> bytes:
    img = Image.new("RGBA" if alpha else "RGB", size, (0, 0, 0, 0) if alpha else (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.line((20, size[1] - 30, size[0] - 20, 30), fill=(20, 20, 20, 255), width=8)
    d.ellipse((10, 10, min(size) - 10, min(size) - 10), outline=(200, 0, 0, 255), width=6)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def ref(key: str, content_type: str = "image/jpeg", bucket: str = "test-bucket") -> MediaRef:
    return MediaRef(bucket=bucket, key=key, content_type=content_type, size=1)


def person(user_id: str, name: str) -> PersonRef:
    return PersonRef(user_id=user_id, name=name)


def project(*, project_id: str, station: str, owner: str, contractor: str, supervision: str,
            managers: list[str], name: str = "武汉光谷科技园二期", address: str = "武汉市东湖新技术开发区高新大道888号",
            ) -> PlanProject:
    return PlanProject(project_id=project_id, name=name, address=address, station_org_id=station,
                       owner_org_id=owner, contractor_org_id=contractor, supervision_org_id=supervision,
                       project_manager_user_ids=managers)


def plan_confirmed(*, plan_id: str, responsible: PersonRef, supervisors: list[PersonRef], confirmed_by: str,
                   projects: list[PlanProject]) -> PlanConfirmed:
    return PlanConfirmed(plan_id=plan_id, title="三月第一次日常抽查", planned_date=date(2026, 3, 5),
                         project_ids=[p.project_id for p in projects], project_names=[p.name for p in projects],
                         responsible_supervisor=responsible, supervisors=supervisors, confirmed_by=confirmed_by)


def result(*, project_id: str, recorder: PersonRef, photos: list[MediaRef], building: str = "3号楼",
           finding: str = FINDING, major: bool = True, minute: int = 0) -> ResultSnapshot:
    hazards = [HazardRef(code="JK-01", name="深基坑未按专项施工方案支护", major=major),
               HazardRef(code="LB-07", name="临边防护缺失", major=False)]
    return ResultSnapshot(result_id=new_id(), project_id=project_id, building_name=building, hazards=hazards,
                          finding=finding, photos=photos, major_hazard=major, recorded_by=recorder,
                          recorded_at=datetime(2026, 3, 5, 2, minute, tzinfo=UTC))


def plan_submitted(*, plan_id: str, station: str, projects: list[PlanProject], responsible: PersonRef,
                   supervisors: list[PersonRef], results: list[ResultSnapshot], signature: MediaRef,
                   seal: MediaRef | None, disposition: str = "限期整改") -> PlanSubmitted:
    return PlanSubmitted(plan_id=plan_id, title="三月第一次日常抽查", planned_date=date(2026, 3, 5),
                         station_org_id=station, projects=projects, responsible_supervisor=responsible,
                         supervisors=supervisors, disposition=disposition,  # type: ignore[arg-type]
                         notice=NoticeData(title="安全隐患整改告知书", construction_stage="主体结构施工",
                                           rectification_date=date(2026, 3, 20)),
                         signature=signature, seal=seal, results=results,
                         submitted_at=datetime(2026, 3, 5, 8, 0, tzinfo=UTC))


def notice_issued(*, notice_id: str, plan_id: str, project: PlanProject, station: str, issuer: PersonRef,
                  repliers: list[str], number: str) -> NoticeIssued:
    return NoticeIssued(notice_id=notice_id, number=number, plan_id=plan_id, project_id=project.project_id,
                        project_name=project.name, station_org_id=station,
                        addressee_org_id=project.contractor_org_id, disposition="限期整改",
                        title="安全隐患整改告知书", construction_stage="主体结构施工",
                        rectification_date=date(2026, 3, 20), issued_by=issuer, replier_user_ids=repliers,
                        issued_at=datetime(2026, 3, 5, 8, 1, tzinfo=UTC))


def reply_submitted(*, notice_id: str, number: str, reply_id: str, round: int, replier: PersonRef,
                    reviewer: str, photos: list[MediaRef], text: str = "已按专项方案完成基坑支护并卸载坡顶堆土。",
                    ) -> ReplySubmitted:
    return ReplySubmitted(notice_id=notice_id, number=number, reply_id=reply_id, round=round, text=text,
                          photos=photos, replied_by=replier, reviewer_user_id=reviewer,
                          submitted_at=datetime(2026, 3, 10, 1, 0, tzinfo=UTC) + timedelta(days=round))


def reply_reviewed(*, notice_id: str, number: str, reply_id: str, round: int, passed: bool, reviewer: PersonRef,
                   repliers: list[str], comment: str = "支护桩间距仍不符合方案要求") -> ReplyReviewed:
    return ReplyReviewed(notice_id=notice_id, number=number, reply_id=reply_id, round=round, passed=passed,
                         comment=comment, reviewed_by=reviewer, replier_user_ids=repliers,
                         reviewed_at=datetime(2026, 3, 11, 1, 0, tzinfo=UTC) + timedelta(days=round))


def notice_closed(*, notice_id: str, number: str, rounds: int) -> NoticeClosed:
    return NoticeClosed(notice_id=notice_id, number=number, closed_at=datetime(2026, 3, 15, tzinfo=UTC),
                        rounds=rounds)

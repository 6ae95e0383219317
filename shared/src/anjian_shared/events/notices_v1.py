"""Events published by notices, version 1 (HB-06, HB-08)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from .common import MediaRef, PersonRef
from .inspections_v1 import Disposition


class NoticeIssued(BaseModel):
    """``notices.notice.issued.v1``: a 告知书 was issued to a contractor's project department."""

    notice_id: str
    number: str
    """Reference numbered per tenant and year, e.g. ``鄂安监告〔2026〕0001号``."""
    plan_id: str
    project_id: str
    project_name: str
    station_org_id: str
    addressee_org_id: str
    disposition: Disposition
    title: str
    construction_stage: str
    rectification_date: date
    issued_by: PersonRef
    replier_user_ids: list[str]
    issued_at: datetime


class ReplySubmitted(BaseModel):
    """``notices.reply.submitted.v1``: the project department replied (整改回复); review is due."""

    notice_id: str
    number: str
    reply_id: str
    round: int
    text: str
    photos: list[MediaRef]
    replied_by: PersonRef
    reviewer_user_id: str
    submitted_at: datetime


class ReplyReviewed(BaseModel):
    """``notices.reply.reviewed.v1``: the supervisor passed or failed a reply (HB-08)."""

    notice_id: str
    number: str
    reply_id: str
    round: int
    passed: bool
    comment: str
    reviewed_by: PersonRef
    replier_user_ids: list[str]
    reviewed_at: datetime


class NoticeClosed(BaseModel):
    """``notices.notice.closed.v1``: a reply passed review; the rectification flow ended."""

    notice_id: str
    number: str
    closed_at: datetime
    rounds: int


EVENTS: dict[str, type[BaseModel]] = {
    "notices.notice.issued.v1": NoticeIssued,
    "notices.reply.submitted.v1": ReplySubmitted,
    "notices.reply.reviewed.v1": ReplyReviewed,
    "notices.notice.closed.v1": NoticeClosed,
}

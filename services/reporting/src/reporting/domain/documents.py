"""The content of the PDF documents (HB-09), independent of how they are drawn.

``notice_document`` lays out a 告知书 with the inspection results (检查结果) of its
project, the inspection date (检查日期: the day(s) its results were recorded, China
time), the responsible supervisor's signature and seal, the issue date, and the
rectification reply rounds (整改回复) with their review (审核) outcomes.
``plan_document`` lays out a plan's results, project by project, limited to the
projects the reader may see. Images are ``MediaRef`` claim checks the renderer is
given the bytes of.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from anjian_shared.events.common import MediaRef
from anjian_shared.events.inspections_v1 import PlanProject, PlanSubmitted, ResultSnapshot
from anjian_shared.events.notices_v1 import (
    NoticeClosed,
    NoticeIssued,
    ReplyReviewed,
    ReplySubmitted,
)

from .access import PlanView
from .formatting import cn_date, cn_datetime, to_china

DEFAULT_NOTICE_TITLE = "安全隐患整改告知书"
PLAN_TITLE = "日常抽查检查结果"
MAJOR_HAZARD = "重大事故隐患"


def media_key(ref: MediaRef) -> str:
    """How the renderer finds an image's bytes: ``<bucket>/<key>``."""
    return f"{ref.bucket}/{ref.key}"


@dataclass(frozen=True)
class HazardLine:
    code: str
    name: str
    major: bool


@dataclass(frozen=True)
class ResultBlock:
    """One inspection result (检查结果): building (单体名称), hazards, finding, photos."""

    index: int
    building_name: str
    hazards: list[HazardLine]
    finding: str
    major_hazard: bool
    photos: list[MediaRef]
    recorded_by: str
    recorded_at: str


@dataclass(frozen=True)
class ProjectSection:
    heading: str
    fields: list[tuple[str, str]]
    results: list[ResultBlock]


@dataclass(frozen=True)
class ReviewBlock:
    passed: bool
    comment: str
    reviewer: str
    reviewed_at: str


@dataclass(frozen=True)
class ReplyBlock:
    """One rectification reply round (整改回复) and its review, as far as known."""

    round: int
    text: str | None
    replied_by: str
    submitted_at: str
    photos: list[MediaRef]
    review: ReviewBlock | None


@dataclass(frozen=True)
class ReplyRecord:
    """The stored halves of a reply round; either may be missing (events arrive in any order)."""

    reply_id: str
    round: int
    submitted: ReplySubmitted | None = None
    reviewed: ReplyReviewed | None = None


@dataclass(frozen=True)
class Document:
    """Everything a PDF shows, in order."""

    kind: Literal["notice", "plan"]
    title: str
    number: str | None
    addressee: str | None
    intro: str | None
    fields: list[tuple[str, str]]
    sections: list[ProjectSection]
    issuer: str
    signer: str
    signature: MediaRef | None
    seal: MediaRef | None
    issue_date: str
    replies: list[ReplyBlock] = field(default_factory=list)
    status: str | None = None
    filename: str = "document.pdf"
    subject: str = ""

    def images(self) -> list[MediaRef]:
        """Every image the document shows (photos, signature, seal), each once."""
        refs: list[MediaRef] = []
        for s in self.sections:
            for r in s.results:
                refs.extend(r.photos)
        for rep in self.replies:
            refs.extend(rep.photos)
        refs.extend(x for x in (self.signature, self.seal) if x is not None)
        unique: dict[str, MediaRef] = {}
        for ref in refs:
            unique.setdefault(media_key(ref), ref)
        return list(unique.values())


def _results(results: list[ResultSnapshot]) -> list[ResultBlock]:
    ordered = sorted(results, key=lambda r: (r.recorded_at, r.result_id))
    return [
        ResultBlock(
            index=i,
            building_name=r.building_name,
            hazards=[HazardLine(h.code, h.name, h.major) for h in r.hazards],
            finding=r.finding,
            major_hazard=r.major_hazard or any(h.major for h in r.hazards),
            photos=list(r.photos),
            recorded_by=r.recorded_by.name,
            recorded_at=cn_datetime(r.recorded_at),
        )
        for i, r in enumerate(ordered, start=1)
    ]


def inspection_days(results: list[ResultSnapshot], *, fallback: datetime) -> str:
    """HB-09 检查日期: the day(s) the results were recorded (``recorded_at``, China time) —
    one day (``2026年12月2日``) or the first and last (``2026年11月30日至2026年12月2日``) —
    never the planned date. Without any result: the day of ``fallback`` (the submission)."""
    days = sorted({to_china(r.recorded_at).date() for r in results})
    if not days:
        return cn_date(fallback)
    if len(days) == 1:
        return cn_date(days[0])
    return f"{cn_date(days[0])}至{cn_date(days[-1])}"


def _team(plan: PlanSubmitted) -> str:
    names = dict.fromkeys([plan.responsible_supervisor.name, *(s.name for s in plan.supervisors)])
    return "、".join(n for n in names if n)


def _intro(disposition: str, project: str, deadline: str, part: str | None = None) -> str:
    if disposition == "局部停工整改":
        return (f"经我站监督检查，你单位承建的{project}工程存在下列安全隐患。现责令你单位{part or ''}立即停工整改，"
                f"于{deadline}前整改完毕，经复查合格后方可恢复施工，并将整改情况书面回复我站。")
    if disposition == "停工整改":
        return (f"经我站监督检查，你单位承建的{project}工程存在下列安全隐患。现责令你单位立即停工整改，"
                f"于{deadline}前整改完毕，经复查合格后方可恢复施工，并将整改情况书面回复我站。")
    if disposition == "限期整改":
        return (f"经我站监督检查，你单位承建的{project}工程存在下列安全隐患。现责令你单位限期整改，"
                f"于{deadline}前整改完毕，并将整改情况书面回复我站。")
    return f"经我站监督检查，你单位承建的{project}工程检查情况如下，处置情况：{disposition}。"


def _replies(records: list[ReplyRecord]) -> list[ReplyBlock]:
    blocks = []
    for rec in sorted(records, key=lambda r: r.round):
        s, v = rec.submitted, rec.reviewed
        review = None
        if v is not None:
            review = ReviewBlock(passed=v.passed, comment=v.comment, reviewer=v.reviewed_by.name,
                                 reviewed_at=cn_datetime(v.reviewed_at))
        blocks.append(ReplyBlock(
            round=rec.round,
            text=s.text if s else None,
            replied_by=s.replied_by.name if s else "",
            submitted_at=cn_datetime(s.submitted_at) if s else "",
            photos=list(s.photos) if s else [],
            review=review,
        ))
    return blocks


def reached_version(versions: Iterable[int]) -> int:
    """HB-09: the notice version reporting's read model has fully reached: the highest N such
    that the events of every version 1..N were applied (events may arrive in any order: a
    review (3) that overtook its reply (2) does not count until the reply is there). 0: none."""
    have = set(versions)
    n = 0
    while n + 1 in have:
        n += 1
    return n


def closing_of(records: list[ReplyRecord], closed: NoticeClosed | None) -> NoticeClosed | None:
    """HB-08/09: the notice's closing: ``notices.notice.closed.v1`` once arrived, else what the
    accepted final review already says (it closes the notice in the same change, same version)."""
    if closed is not None or not records:
        return closed
    last = max(records, key=lambda r: r.round)
    if last.reviewed is not None and last.reviewed.passed:
        return NoticeClosed(notice_id=last.reviewed.notice_id, number=last.reviewed.number,
                            closed_at=last.reviewed.reviewed_at, rounds=last.round, version=last.reviewed.version)
    return None


def _notice_status(replies: list[ReplyBlock], closed: NoticeClosed | None) -> str:
    if closed is not None:
        return f"整改回复第{closed.rounds}次审核通过，整改流程已于{cn_date(closed.closed_at)}结束。"
    if not replies:
        return "待项目部提交整改回复。"
    last = replies[-1]
    if last.review is None:
        return f"第{last.round}次整改回复待审核。"
    if last.review.passed:
        return f"第{last.round}次整改回复审核通过。"
    return f"第{last.round}次整改回复审核未通过，待项目部重新整改回复。"


def notice_document(notice: NoticeIssued, plan: PlanSubmitted, *, replies: list[ReplyRecord],
                    closed: NoticeClosed | None, org_names: dict[str, str]) -> Document:
    """The 告知书 of ``notice`` with the results of its project from ``plan`` (HB-09)."""
    project: PlanProject | None = next((p for p in plan.projects if p.project_id == notice.project_id), None)
    contractor = org_names.get(notice.addressee_org_id, "")
    deadline = cn_date(notice.rectification_date)
    reply_blocks = _replies(replies)
    closed = closing_of(replies, closed)
    fields = [
        ("工程名称", notice.project_name),
        ("工程地址", project.address if project else ""),
        ("施工单位", contractor),
        ("施工阶段", notice.construction_stage),
        ("处置情况", notice.disposition),
        ("停工部位", plan.stop_work_part or ""),
        ("整改期限", deadline),
        ("检查日期", inspection_days([r for r in plan.results if r.project_id == notice.project_id],
                                     fallback=plan.submitted_at)),
        ("检查人员", _team(plan)),
    ]
    results = [r for r in plan.results if r.project_id == notice.project_id]
    section = ProjectSection(heading="检查结果", fields=[], results=_results(results))
    return Document(
        kind="notice",
        title=notice.title.strip() or DEFAULT_NOTICE_TITLE,
        number=notice.number,
        addressee=f"{contractor}{notice.project_name}项目部：",
        intro=_intro(notice.disposition, notice.project_name, deadline, plan.stop_work_part),
        fields=[(k, v) for k, v in fields if v],
        sections=[section],
        issuer=org_names.get(notice.station_org_id, ""),
        signer=plan.responsible_supervisor.name,
        signature=plan.signature,
        seal=plan.seal,
        issue_date=cn_date(notice.issued_at),
        replies=reply_blocks,
        status=_notice_status(reply_blocks, closed),
        filename=f"告知书{notice.number}.pdf",
        subject=f"{notice.title} {notice.number} {notice.project_name}",
    )


def plan_document(plan: PlanSubmitted, *, view: PlanView, org_names: dict[str, str]) -> Document:
    """A plan's results (检查结果) for the projects in ``view`` (HB-07, HB-09)."""
    sections = []
    projects = [p for p in plan.projects if view.includes(p.project_id)]
    for i, p in enumerate(projects, start=1):
        fields = [("工程地址", p.address), ("建设单位", org_names.get(p.owner_org_id, "")),
                  ("施工单位", org_names.get(p.contractor_org_id, "")),
                  ("监理单位", org_names.get(p.supervision_org_id, ""))]
        sections.append(ProjectSection(
            heading=f"{i}. {p.name}",
            fields=[(k, v) for k, v in fields if v],
            results=_results([r for r in plan.results if r.project_id == p.project_id]),
        ))
    fields = [
        ("计划名称", plan.title),
        ("计划检查日期", cn_date(plan.planned_date)),
        ("检查日期", inspection_days(list(plan.results), fallback=plan.submitted_at)),
        ("监督机构", org_names.get(plan.station_org_id, "")),
        ("责任监督员", plan.responsible_supervisor.name),
        ("检查人员", _team(plan)),
        ("处置情况", plan.disposition),
        ("告知书标题", plan.notice.title),
        ("施工阶段", plan.notice.construction_stage),
        ("整改期限", cn_date(plan.notice.rectification_date)),
        ("提交时间", cn_datetime(plan.submitted_at)),
    ]
    return Document(
        kind="plan",
        title=PLAN_TITLE,
        number=None,
        addressee=None,
        intro=None,
        fields=[(k, v) for k, v in fields if v],
        sections=sections,
        issuer=org_names.get(plan.station_org_id, ""),
        signer=plan.responsible_supervisor.name,
        signature=plan.signature,
        seal=plan.seal,
        issue_date=cn_date(plan.submitted_at),
        filename=f"检查结果-{plan.title}.pdf",
        subject=f"{PLAN_TITLE} {plan.title}",
    )

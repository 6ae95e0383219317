"""Use cases of supervision records (监督上报) and their review routing, HN-04..HN-06.

Submission checks everything cheap first (role, project, library codes, recipients,
counts, annotations), then stores the media (each checked for type by its signature and
for size against the tenant's limit), then writes the record and its events in one
transaction. If anything fails after media were stored, they are deleted again: a
refused request leaves no record, no event and no object behind.

A record is immutable: the only later writes append a review and move ``status``
(see ``domain.records``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog

from anjian_shared.auth import Principal
from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.events.inspections_v1 import (
    LibraryEntryRef,
    RecordPhoto,
    RecordReleased,
    RecordReviewed,
    RecordSubmitted,
)
from anjian_shared.media import MediaIntake, MediaPolicy, Sniffed, Upload
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.pagination import paginate
from anjian_shared.problems import Conflict, NotFound, NotYetAvailable, Unprocessable
from anjian_shared.review import decide_stored
from anjian_shared.storage import Storage
from anjian_shared.tenant_policy import TenantPolicy, require_feature
from anjian_shared.types import new_id, utcnow

from ..adapters.records_store import RECORDS, TERMS, VIOLATIONS
from ..adapters.repositories import CATALOG, PROJECTS, USERS, by_ids
from ..domain import hazards
from ..domain import libraries as library_rules
from ..domain import records as rules
from ..domain.libraries import CheckType
from ..domain.records import Decision, ReceivedBox, RecordFacts, RecordStatus, SentStatus
from ..settings import Settings
from .directory import person_names

log = structlog.get_logger("inspections.records")

RECORD_SUBMITTED = "inspections.record.submitted.v1"
RECORD_REVIEWED = "inspections.record.reviewed.v1"
RECORD_RELEASED = "inspections.record.released.v1"


class _Stale(Exception):
    """The record changed between read and conditional write (a concurrent review)."""


async def ensure_enabled(mongo: Mongo, settings: Settings, principal: Principal) -> TenantPolicy:
    """HN-04..06 are a per-tenant feature (tenant policy ``supervision_records``): 403 problem
    ``feature-disabled`` for a tenant that has them switched off (as the projects service
    does for its HN features). Returns the tenant's policy (its limits)."""
    return await require_feature(mongo, principal.tenant, settings, "supervision_records")


async def _visible(mongo: Mongo, principal: Principal, record_id: str) -> dict[str, Any]:
    doc = await mongo.repo(RECORDS, principal.tenant).get(record_id)
    if doc is None or not rules.can_see(RecordFacts.from_doc(doc), principal):
        raise NotFound("record not found")
    return doc


async def _cite(mongo: Mongo, tenant: str, collection: str, codes: list[str], *, field: str,
                check_type: CheckType | None = None) -> list[dict[str, str]]:
    found = await by_ids(mongo.repo(collection, tenant), codes, key="code")
    live = {c: e for c, e in found.items() if not e.get("deleted")}
    return library_rules.cite(codes, live, field=field, check_type=check_type)


def _check_count(n: int, maximum: int, field: str) -> None:
    if n > maximum:
        raise Unprocessable(f"a record carries at most {maximum} {field} files", field=field, slug="too-many-files")


def _media_policies(policy: TenantPolicy) -> tuple[MediaPolicy, MediaPolicy, MediaPolicy]:
    """HN-04 photos (JPEG/PNG, pixel limit), video and audio, each within the tenant's limit."""
    return (MediaPolicy.photo(max_bytes=policy.limit("photo_max_bytes")),
            MediaPolicy.video(max_bytes=policy.limit("video_max_bytes")),
            MediaPolicy.audio(max_bytes=policy.limit("audio_max_bytes")))


def submitted_event(doc: dict[str, Any]) -> RecordSubmitted:
    """HN-04: The ``inspections.record.submitted.v1`` payload of a stored record document."""
    return RecordSubmitted(
        record_id=doc["_id"], project_id=doc["project_id"], project_name=doc["project_name"],
        station_org_id=doc["station_org_id"], check_type=doc["check_type"], part_checked=doc["part_checked"],
        terms=[LibraryEntryRef(**t) for t in doc["terms"]],
        violations=[LibraryEntryRef(**v) for v in doc["violations"]], supplement=doc["supplement"],
        photos=[RecordPhoto(**{k: v for k, v in p.items() if k not in ("width", "height")}) for p in doc["photos"]],
        videos=[MediaRef(**v) for v in doc["videos"]], audios=[MediaRef(**a) for a in doc["audios"]],
        submitted_by=PersonRef(**doc["submitted_by"]), report_recipient_ids=doc["report_recipient_ids"],
        issue_recipient_ids=doc["issue_recipient_ids"], status=doc["status"],
        also_issue_notice=doc["also_issue_notice"], major_hazard=bool(doc.get("major_hazard")),
        major_hazard_codes=list(doc.get("major_hazard_codes", [])), submitted_at=doc["submitted_at"])


def _released_event(doc: dict[str, Any], at: Any) -> RecordReleased:
    return RecordReleased(record_id=doc["_id"], project_id=doc["project_id"], station_org_id=doc["station_org_id"],
                          issue_recipient_ids=doc["issue_recipient_ids"],
                          submitted_by_user_id=doc["submitted_by"]["user_id"], released_at=at,
                          project_name=doc.get("project_name"), check_type=doc.get("check_type"),
                          part_checked=doc.get("part_checked"))


async def submit_record(*, mongo: Mongo, storage: Storage, settings: Settings, principal: Principal,
                        project_id: str, check_type: CheckType, part_checked: str, term_codes: list[str],
                        violation_codes: list[str], supplement: str, photos: Sequence[Upload],
                        annotations: str | None, videos: Sequence[Upload], audios: Sequence[Upload],
                        report_recipient_ids: list[str], issue_recipient_ids: list[str],
                        also_issue_notice: bool) -> dict[str, Any]:
    """HN-04 监督上报: a station's supervisor or leader submits a supervision record.

    ``project_id``: a project of the caller's station (422 ``project_id``; 409
    ``not-yet-available`` + Retry-After for one inspections has not received yet); ``term_codes``
    from the terms library citable by ``check_type`` (422 ``term_codes``);
    ``violation_codes`` from the violations library (422 ``violation_codes``); report
    recipients: leaders/supervisors of the station (422 ``report_recipient_ids``); issue
    recipients: people of the project's parties or the station (422 ``issue_recipient_ids``);
    0..9 photos (413/415 ``photos``), 0..2 videos (``video``), 0..3 audio clips (``audio``);
    ``annotations`` one shape list per photo (422 ``annotations``). Routing: report
    recipients → ``pending_review``; else issue recipients → ``issued``; else ``internal``.
    Emits ``inspections.record.submitted.v1`` (and ``…released.v1`` when issued at once).
    Returns the stored document (with ``notice_draft`` when ``also_issue_notice``).
    """
    policy = await ensure_enabled(mongo, settings, principal)
    rules.ensure_reporter(principal)
    tenant = principal.tenant
    check_type = CheckType(check_type)
    _check_count(len(photos), settings.max_photos_per_record, "photos")
    _check_count(len(videos), settings.max_videos_per_record, "video")
    _check_count(len(audios), settings.max_audios_per_record, "audio")
    shapes = rules.parse_annotations(annotations, len(photos))

    project = await mongo.repo(PROJECTS, tenant).get(project_id)
    if project is None:  # maybe registered just now: its event is on its way (issue 11)
        raise NotYetAvailable("project_id: not known here yet; retry shortly", field="project_id", retry_after=2)
    if project.get("station_org_id") != principal.org_id:
        raise Unprocessable("not a project of your station", field="project_id", slug="project-not-of-station")
    terms = await _cite(mongo, tenant, TERMS, library_rules.normalize_codes(
        term_codes, settings.max_codes_per_record, field="term_codes"), field="term_codes", check_type=check_type)
    violations = await _cite(mongo, tenant, VIOLATIONS, library_rules.normalize_codes(
        violation_codes, settings.max_codes_per_record, field="violation_codes"), field="violation_codes")
    cited = [e["code"] for e in (*terms, *violations)]
    major_codes = hazards.major_codes(cited, await by_ids(mongo.repo(CATALOG, tenant), cited, key="code"))
    users = await by_ids(mongo.repo(USERS, tenant), [*report_recipient_ids, *issue_recipient_ids])
    reviewers = rules.validate_report_recipients(report_recipient_ids, users, station_org_id=principal.org_id,
                                                 sender_id=principal.user_id)
    receivers = rules.validate_issue_recipients(issue_recipient_ids, users, project, sender_id=principal.user_id)
    people = await person_names(mongo.repo(USERS, tenant), [principal.user_id, *reviewers, *receivers],
                                known={principal.user_id: principal.name}, projects=[project])

    record_id = new_id()
    sizes: list[tuple[int | None, int | None]] = []

    def place_annotations(index: int, found: Sniffed) -> None:  # 422 ``annotations`` off the photo
        rules.check_annotation_bounds(shapes[index], found.width, found.height, index)
        sizes.append((found.width, found.height))

    photo_policy, video_policy, audio_policy = _media_policies(policy)
    async with MediaIntake(storage, tenant=tenant, folder=f"records/{record_id}") as intake:
        photo_refs, video_refs, audio_refs = await intake.take_groups(
            (photos, photo_policy, place_annotations), (videos, video_policy),
            (audios, audio_policy))
        photo_docs = [{**ref.model_dump(), "width": w, "height": h, "annotations": s}
                      for ref, (w, h), s in zip(photo_refs, sizes, shapes, strict=True)]
        video_docs = [ref.model_dump() for ref in video_refs]
        audio_docs = [ref.model_dump() for ref in audio_refs]

        async def apply(uow: UnitOfWork) -> dict[str, Any]:
            now = utcnow()
            status = rules.initial_status(reviewers, receivers)
            doc: dict[str, Any] = {
                "_id": record_id, "station_org_id": principal.org_id, "project_id": project_id,
                "project_name": project.get("name", ""), "check_type": check_type.value,
                "part_checked": part_checked, "terms": terms, "violations": violations, "supplement": supplement,
                "photos": photo_docs, "videos": video_docs, "audios": audio_docs,
                "submitted_by": {"user_id": principal.user_id, "name": people[principal.user_id]},
                "report_recipient_ids": reviewers, "issue_recipient_ids": receivers, "people": people,
                "status": status.value, "reviews": [], "reviewed_by": [], "version": 0,
                "also_issue_notice": also_issue_notice, "notice_draft": None,
                "major_hazard": bool(major_codes), "major_hazard_codes": major_codes,
                "submitted_at": now, "created_at": now,
                "released_at": now if status is RecordStatus.ISSUED else None,
                "decided_at": None if status is RecordStatus.PENDING_REVIEW else now,
            }
            if also_issue_notice:
                doc["notice_draft"] = rules.notice_draft(doc, project)
            await uow.repo(RECORDS).insert(doc)
            uow.emit(RECORD_SUBMITTED, subject=record_id, data=submitted_event(doc))
            if status is RecordStatus.ISSUED:
                uow.emit(RECORD_RELEASED, subject=record_id, data=_released_event(doc, now))
            return doc

        return await with_transaction(mongo, tenant, apply)


async def get_record(*, mongo: Mongo, settings: Settings, principal: Principal, record_id: str) -> dict[str, Any]:
    """HN-04..06: one record the caller may see (sender, report recipients, issue recipients
    once issued, the station's leaders); 404 otherwise (also another tenant's id)."""
    await ensure_enabled(mongo, settings, principal)
    return await _visible(mongo, principal, record_id)


async def refuse_change(*, mongo: Mongo, settings: Settings, principal: Principal, record_id: str) -> None:
    """HN-04 监督检查记录一旦形成，不可更改: any attempt to change or delete a record is refused
    (409 ``record-immutable``), after the visibility check (404 for an invisible id)."""
    await ensure_enabled(mongo, settings, principal)
    await _visible(mongo, principal, record_id)
    raise Conflict("a submitted supervision record never changes; submit a new record instead",
                   slug="record-immutable")


async def review_record(*, mongo: Mongo, settings: Settings, principal: Principal, record_id: str,
                        decision: Decision, comment: str | None) -> dict[str, Any]:
    """HN-05/06 审核: a report recipient approves or rejects a pending record (ALL rule, see
    ``domain.records.review`` and ``anjian_shared.review``). 404 not visible; 403
    ``not-a-reviewer``; 409 ``record-not-pending-review`` or ``record-already-reviewed``;
    422 ``comment`` (``comment-required`` to reject); 409 ``record-busy`` when five concurrent
    reviews in a row changed it first.
    Emits ``inspections.record.reviewed.v1`` and, when this releases the record to its
    issue recipients, ``inspections.record.released.v1``. Returns the record after it."""
    await ensure_enabled(mongo, settings, principal)
    decision = Decision(decision)

    async def apply(uow: UnitOfWork) -> dict[str, Any]:
        now = utcnow()
        done = await decide_stored(uow.repo(RECORDS), record_id, pending=RecordStatus.PENDING_REVIEW.value, now=now,
                                   judge=lambda doc: rules.judge(doc, principal, decision, comment, now))
        if done is None:
            raise _Stale()
        record, status = done.after, done.verdict.status
        uow.emit(RECORD_REVIEWED, subject=record_id, data=RecordReviewed(
            record_id=record_id, project_id=record["project_id"], reviewer=PersonRef(**done.review.reviewer),
            decision=done.review.decision.value, comment=done.review.comment, status=status,
            submitted_by_user_id=record["submitted_by"]["user_id"], reviewed_at=now,
            project_name=record.get("project_name"), check_type=record.get("check_type"),
            part_checked=record.get("part_checked")))
        if status == RecordStatus.ISSUED.value:
            uow.emit(RECORD_RELEASED, subject=record_id, data=_released_event(record, now))
        return record

    for _attempt in range(5):
        try:
            return await with_transaction(mongo, principal.tenant, apply)
        except _Stale:
            continue  # another reviewer decided meanwhile: decide again on the new state
    raise Conflict("the record is being reviewed concurrently; try again", slug="record-busy")


async def list_sent(*, mongo: Mongo, settings: Settings, principal: Principal, status: SentStatus | None,
                    project_id: str | None, check_type: CheckType | None, date_from: Any, date_to: Any,
                    limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """HN-05 我发送的: the caller's records, newest first; ``status`` pending_review |
    approved (issued or internal) | rejected; filters project, check type, days."""
    await ensure_enabled(mongo, settings, principal)
    flt = rules.and_filters(rules.sent_filter(principal.user_id, status), rules.common_filter(
        project_id=project_id, check_type=check_type, date_from=date_from, date_to=date_to))
    return await paginate(mongo.repo(RECORDS, principal.tenant), flt, limit=limit, cursor=cursor)


async def list_received(*, mongo: Mongo, settings: Settings, principal: Principal, box: ReceivedBox | None,
                        project_id: str | None, check_type: CheckType | None, date_from: Any, date_to: Any,
                        limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """HN-06 我接收的: records waiting for the caller's review (``to_review``), reviewed by the
    caller (``reviewed``) or issued to the caller (``issued``); all three without ``box``."""
    await ensure_enabled(mongo, settings, principal)
    flt = rules.and_filters(rules.received_filter(principal.user_id, box), rules.common_filter(
        project_id=project_id, check_type=check_type, date_from=date_from, date_to=date_to))
    return await paginate(mongo.repo(RECORDS, principal.tenant), flt, limit=limit, cursor=cursor)


async def view_counts(*, mongo: Mongo, settings: Settings, principal: Principal, project_id: str | None,
                      check_type: CheckType | None, date_from: Any, date_to: Any) -> dict[str, dict[str, int]]:
    """HN-05/06 badges: ``{sent: {pending_review, approved, rejected}, received: {to_review,
    reviewed, issued}}`` for the caller, with the same filters as the views."""
    await ensure_enabled(mongo, settings, principal)
    repo = mongo.repo(RECORDS, principal.tenant)
    common = rules.common_filter(project_id=project_id, check_type=check_type, date_from=date_from,
                                 date_to=date_to)
    sent = {s.value: await repo.count(rules.and_filters(rules.sent_filter(principal.user_id, s), common))
            for s in SentStatus}
    received = {**await rules.REVIEW_BOXES.counts(repo.count, principal.user_id, common),
                ReceivedBox.ISSUED.value: await repo.count(rules.and_filters(
                    rules.received_filter(principal.user_id, ReceivedBox.ISSUED), common))}
    return {"sent": sent, "received": received}

"""FastAPI dependencies (``Annotated`` aliases) and the document → response presenters."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Depends

from anjian_shared.deps import MongoDep, StorageDep, app_settings  # noqa: F401 - re-exported
from anjian_shared.events.common import MediaRef, PersonRef
from anjian_shared.storage import Storage

from ...domain.plans import STATUS_LABELS as PLAN_STATUS_LABELS
from ...settings import Settings
from .schemas import MediaRead, PlanRead, ResultRead

SettingsDep = Annotated[Settings, Depends(app_settings)]


async def media_read(storage: Storage, ref: dict[str, Any] | None) -> MediaRead | None:
    """A stored MediaRef with a fresh presigned URL."""
    if not ref:
        return None
    media = MediaRef.model_validate(ref)
    return MediaRead(**media.model_dump(), url=await storage.presigned_get(media))


def _person(people: dict[str, str], user_id: str) -> PersonRef:
    return PersonRef(user_id=user_id, name=people.get(user_id) or user_id)


async def plan_read(storage: Storage, doc: dict[str, Any]) -> PlanRead:
    """The response body of a plan document."""
    people = doc.get("people", {})
    names = doc.get("project_names", {})
    signature, seal = await asyncio.gather(media_read(storage, doc.get("signature")),
                                           media_read(storage, doc.get("seal")))
    submission = doc.get("submission")
    if submission:
        submission = {**submission, "disposition_label": submission["disposition"]}  # 处置情况 values are Chinese
    return PlanRead(
        id=doc["_id"], title=doc["title"], status=doc["status"], status_label=PLAN_STATUS_LABELS[doc["status"]],
        station_org_id=doc["station_org_id"],
        projects=[{"project_id": p, "name": names.get(p, p)} for p in doc["project_ids"]],
        planned_date=doc["planned_date"],
        supervisors=[_person(people, u) for u in doc["supervisor_user_ids"]],
        responsible_supervisor=_person(people, doc["responsible_supervisor_id"]),
        created_by=_person(people, doc["created_by"]),
        result_count=doc.get("result_count", 0), signature=signature, seal=seal,
        submission=submission, created_at=doc["created_at"], updated_at=doc["updated_at"],
        confirmed_at=doc.get("confirmed_at"), submitted_at=doc.get("submitted_at"),
        history=doc.get("history", []),
        notices=[{**n, "project_name": names.get(n["project_id"]) or n.get("project_name") or n["project_id"]}
                 for n in doc.get("notices", [])],
    )


async def result_read(storage: Storage, doc: dict[str, Any]) -> ResultRead:
    """The response body of a result document (each photo with a presigned URL)."""
    photos = await asyncio.gather(*(media_read(storage, p) for p in doc.get("photos", [])))
    recorded_by = doc["recorded_by"]
    return ResultRead(
        id=doc["_id"], plan_id=doc["plan_id"], project_id=doc["project_id"], building_name=doc["building_name"],
        hazards=doc["hazards"], finding=doc["finding"], photos=[p for p in photos if p is not None],
        major_hazard=doc["major_hazard"],
        recorded_by=PersonRef(user_id=recorded_by["user_id"], name=recorded_by.get("name") or recorded_by["user_id"]),
        recorded_at=doc["recorded_at"], updated_at=doc["updated_at"],
    )

"""Key-personnel attendance use cases (关键岗位人员到岗监督, HN-11).

Key personnel clock in (打卡) on the project with their position (collection
``clock_ins``, server time). A supervisor of the project's station runs an attendance
check (查岗) over some of them: who is present, late or absent, with the clock-in time
and its distance in metres from the project's position (HN-03) when known. Checks are
kept (collection ``attendance_checks``) and readable by everyone who sees the project;
each emits ``projects.attendance.checked.v1``.
"""

from __future__ import annotations

from typing import Any

from anjian_shared.auth import Principal
from anjian_shared.events.common import PersonRef
from anjian_shared.events.projects_v1 import AttendanceChecked, AttendanceEntry
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.pagination import paginate
from anjian_shared.problems import NotFound, Unprocessable
from anjian_shared.types import new_id, utcnow

from ..domain import attendance as rules
from ..domain.positioning import distance_to_position, validate_coordinates
from ..settings import Settings
from .features import ATTENDANCE, ensure_feature
from .use_cases import get_visible

CLOCK_INS = "clock_ins"
CHECKS = "attendance_checks"


async def ensure_indexes(mongo: Mongo) -> None:
    """Indexes of clock-ins (by project, person, time) and checks (by project, newest first)."""
    await mongo.db[CLOCK_INS].create_index([("tenant_id", 1), ("project_id", 1), ("user_id", 1), ("clocked_at", 1)])
    await mongo.db[CHECKS].create_index([("tenant_id", 1), ("project_id", 1), ("created_at", -1)])


async def load_for_clock_in(*, mongo: Mongo, settings: Settings, actor: Principal,
                            project_id: str) -> dict[str, Any]:
    """HN-11: the project if ``actor`` is one of its key personnel. 403 ``feature-disabled``
    when the tenant has attendance off; 404 project unknown / other tenant / not visible;
    403 for anyone else who sees it (supervisors, other participants, company staff)."""
    await ensure_feature(mongo, settings, actor.tenant, ATTENDANCE)
    project = await get_visible(mongo=mongo, actor=actor, project_id=project_id)
    rules.ensure_may_clock_in(actor, project)
    return project


async def load_for_check(*, mongo: Mongo, settings: Settings, actor: Principal, project_id: str) -> dict[str, Any]:
    """HN-11: the project if ``actor`` may run attendance checks on it (a supervisor/leader of
    its station). 403 ``feature-disabled``; 404 not visible / other tenant; 403 otherwise."""
    await ensure_feature(mongo, settings, actor.tenant, ATTENDANCE)
    project = await get_visible(mongo=mongo, actor=actor, project_id=project_id)
    rules.ensure_may_check(actor, project)
    return project


async def clock_in(*, mongo: Mongo, settings: Settings, actor: Principal, project_id: str, longitude: float,
                   latitude: float, address: str | None) -> dict[str, Any]:
    """HN-11 打卡: a key person of the project records being on site at ``longitude``,
    ``latitude`` (WGS-84 decimal degrees; 422 naming the field out of range) with an
    optional ``address``; the time is the server's (UTC). The stored clock-in carries
    ``distance_m``, metres from the project's position when it has one. 403/404 as
    ``load_for_clock_in``."""
    project = await load_for_clock_in(mongo=mongo, settings=settings, actor=actor, project_id=project_id)
    person = rules.ensure_may_clock_in(actor, project)
    validate_coordinates(longitude, latitude)
    now = utcnow()
    doc = {"_id": new_id(), "project_id": project_id, "user_id": actor.user_id, "name": person["name"],
           "org_id": person["org_id"], "project_roles": person["project_roles"],
           "longitude": float(longitude), "latitude": float(latitude), "address": address,
           "distance_m": distance_to_position(project, longitude, latitude), "clocked_at": now, "created_at": now}
    return await mongo.repo(CLOCK_INS, actor.tenant).insert(doc)


async def run_check(*, mongo: Mongo, settings: Settings, actor: Principal, project_id: str, user_ids: list[str],
                    window_minutes: int = rules.DEFAULT_WINDOW_MINUTES,
                    on_time_before: str | None = None) -> dict[str, Any]:
    """HN-11 查岗: check which of ``user_ids`` (key personnel of the project; 422 ``user_ids``
    naming anyone else) clocked in during the ``window_minutes`` minutes (1..1440, 422
    ``window_minutes``) before now; ``on_time_before`` "HH:MM" (Asia/Shanghai) marks later
    clock-ins on the check's day as late (422 ``on_time_before`` if malformed). Stores the
    check, emits ``projects.attendance.checked.v1`` and returns the check document
    (``results`` per person: present / late / absent, ``clocked_in_at``, ``distance_m``).
    403/404 as ``load_for_check``."""
    await load_for_check(mongo=mongo, settings=settings, actor=actor, project_id=project_id)
    if not 1 <= window_minutes <= rules.MAX_WINDOW_MINUTES:
        raise Unprocessable(f"window_minutes must be 1..{rules.MAX_WINDOW_MINUTES}", field="window_minutes")
    if on_time_before is not None:
        rules.parse_hhmm(on_time_before)

    async def fn(uow: UnitOfWork) -> dict[str, Any]:
        project = await uow.repo("projects").get(project_id)
        if project is None:
            raise NotFound("project not found")
        rules.ensure_may_check(actor, project)
        people = rules.select_people(project, user_ids)
        checked_at = utcnow()
        clock_ins = await uow.repo(CLOCK_INS).find(
            {"project_id": project_id, "user_id": {"$in": [p["user_id"] for p in people]},
             "clocked_at": {"$gte": rules.window_start(checked_at, window_minutes), "$lte": checked_at}},
            sort=[("clocked_at", 1)], limit=0)
        by_user: dict[str, list[dict[str, Any]]] = {}
        for c in clock_ins:
            by_user.setdefault(c["user_id"], []).append(c)
        results = [rules.assess(p, by_user.get(p["user_id"], []), project=project, checked_at=checked_at,
                                window_minutes=window_minutes, on_time_before=on_time_before) for p in people]
        counts = rules.tally(results)
        checked_by = {"user_id": actor.user_id, "name": actor.name}
        doc = await uow.repo(CHECKS).insert({
            "_id": new_id(), "project_id": project_id, "checked_by": checked_by, "checked_at": checked_at,
            "window_minutes": window_minutes, "on_time_before": on_time_before,
            "position_known": bool(project.get("positioning")), "results": results, **counts,
            "created_at": checked_at})
        uow.emit("projects.attendance.checked.v1", subject=project_id, data=AttendanceChecked(
            check_id=doc["_id"], project_id=project_id, checked_by=PersonRef(**checked_by), checked_at=checked_at,
            window_minutes=window_minutes, on_time_before=on_time_before,
            results=[AttendanceEntry(**{k: r[k] for k in AttendanceEntry.model_fields}) for r in results],
            **counts, project_name=project.get("name"), project_code=project.get("code")))
        return doc

    return await with_transaction(mongo, actor.tenant, fn)


async def list_checks(*, mongo: Mongo, settings: Settings, actor: Principal, project_id: str, limit: int,
                      cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """HN-11: the project's attendance checks, newest first, one page, for everyone who sees
    the project (station, the parties' companies, participants). 403 ``feature-disabled``;
    404 project not visible / other tenant."""
    await ensure_feature(mongo, settings, actor.tenant, ATTENDANCE)
    await get_visible(mongo=mongo, actor=actor, project_id=project_id)
    return await paginate(mongo.repo(CHECKS, actor.tenant), {"project_id": project_id}, limit=limit, cursor=cursor)


async def get_check(*, mongo: Mongo, settings: Settings, actor: Principal, project_id: str,
                    check_id: str) -> dict[str, Any]:
    """HN-11: one attendance check of a project the caller sees; 404 when the project is not
    visible / of another tenant or the check is unknown or of another project."""
    await ensure_feature(mongo, settings, actor.tenant, ATTENDANCE)
    await get_visible(mongo=mongo, actor=actor, project_id=project_id)
    doc = await mongo.repo(CHECKS, actor.tenant).find_one({"_id": check_id, "project_id": project_id})
    if doc is None:
        raise NotFound("attendance check not found")
    return doc

"""FJ-01: Fujian's projects from the province's integration platform (一体化平台).

Two ways in, one use case (``sync_batch``), idempotent per ``platform_code``:

- pushed: the platform, a partner client holding the scope ``projects:sync``, posts a batch
  (``POST /api/projects/v1/platform/projects``);
- pulled: ``feed_loop`` (a background task of every replica) reads the configured feed
  (``ANJIAN_PLATFORM_FEED_URL``, paged) every ``platform_feed_interval_seconds``.

Each item is written in its own transaction: a new project is registered (version 1,
``projects.project.registered.v1``); a held one gets only the platform's fields that differ
and, when the chief supervising engineer changed, the new chief in place of the old one
(``domain.platform.merge``) — staff roles, positions and any field the platform does not
own are kept. A changed project publishes ``projects.project.updated.v1`` and
``projects.platform_project.synced.v1`` (identity opens the accounts); an item that changes
nothing (a replayed batch) writes nothing and the version does not move.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

import structlog
from fastapi import FastAPI
from pydantic import BaseModel, Field, StringConstraints, ValidationError
from pymongo.errors import DuplicateKeyError

from anjian_shared import credit_code
from anjian_shared.auth import Principal
from anjian_shared.events.projects_v1 import (
    PlatformProjectSynced,
    ProjectRegistered,
    ProjectUpdated,
)
from anjian_shared.mongo import Mongo, UnitOfWork, with_transaction
from anjian_shared.problems import Conflict, Forbidden, Unprocessable
from anjian_shared.retry import DEPENDENCY_WAIT
from anjian_shared.scopes import SYNC_PROJECTS
from anjian_shared.types import new_id, utcnow

from ..adapters import platform_feed
from ..domain import platform
from ..settings import Settings
from .use_cases import event_snapshot

log = structlog.get_logger("projects.platform")

Mobile = Annotated[str, StringConstraints(pattern=r"^1[3-9]\d{9}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class PlatformPersonIn(BaseModel):
    name: Text = Field(description="the person's name")
    mobile: Mobile = Field(description="the mobile number registered on the platform (11 digits)")


class PlatformCompanyIn(BaseModel):
    credit_code: str = Field(max_length=18, description="unified social credit code (GB 32100) of the company")
    name: Text
    administrator: PlatformPersonIn | None = Field(
        default=None, description="the company's administrator (监理单位管理员), when the platform names one")


class PlatformProjectIn(BaseModel):
    """One project as the platform sends it (FJ-01)."""

    platform_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = Field(
        description="the project's code on the platform (一体化平台项目编号), unique in the province")
    name: Text
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    assessable: bool = Field(description="在建可评价: under construction and assessable")
    division_code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")] | None = Field(
        default=None, description="GB/T 2260 code of the project's county or city: its supervision station")
    supervision_company: PlatformCompanyIn
    chief_engineer: PlatformPersonIn = Field(description="the chief supervising engineer (总监理工程师)")


Outcome = Literal["created", "updated", "unchanged"]


class SyncResult(BaseModel):
    platform_code: str
    project_id: str
    outcome: Outcome
    version: int


def check_may_sync(actor: Principal) -> None:
    """Only the platform's partner client with scope ``projects:sync`` pushes (403 ``scope-missing``)."""
    if SYNC_PROJECTS not in actor.scopes:
        raise Forbidden("pushing platform projects needs the scope projects:sync", slug="scope-missing")


async def ensure_indexes(mongo: Mongo) -> None:
    """One project per platform code per tenant: the database decides a concurrent first sync."""
    await mongo.db.projects.create_index(
        [("tenant_id", 1), ("platform_code", 1)], unique=True, name="platform_code_unique",
        partialFilterExpression={"platform_code": {"$type": "string"}})


async def _sync_one(uow: UnitOfWork, item: PlatformProjectIn, by: str) -> SyncResult:
    tenant = uow.tenant_id
    orgs = uow.repo("organizations")
    company = item.supervision_company
    known = await orgs.find_one({"credit_code": company.credit_code})
    org_id = known["_id"] if known else platform.platform_org_id(tenant, company.credit_code)
    station_id = ""
    if item.division_code:
        station = await orgs.find_one({"kind": "station", "division_code": item.division_code})
        station_id = station["_id"] if station else ""
    chief_id = platform.platform_user_id(tenant, item.chief_engineer.mobile)
    chief = platform.chief_participant(user_id=chief_id, org_id=org_id, name=item.chief_engineer.name)
    fields = {"name": item.name, "address": item.address, "assessable": item.assessable,
              "supervision_org_id": org_id, "station_org_id": station_id}
    projects = uow.repo("projects")
    # A synced project's ``code`` IS its platform code (set at registration, never changed), so
    # it is read by the (tenant, code) index: SecantusDB 0.7 serves no query from the partial
    # platform-code index and scanned every project of the province per item (313 ms at 6,000).
    found = await projects.find_one({"code": item.platform_code})
    if found is not None and found.get("platform_code") != item.platform_code:
        raise Conflict(f"the code {item.platform_code} is held by a project registered in this province, not "
                       "from the platform", field="platform_code", slug="platform-code-taken")
    held = found
    now = utcnow()
    if held is None:
        doc = await projects.insert({
            "_id": new_id(), "code": item.platform_code, "platform_code": item.platform_code, **fields,
            "owner_org_id": "", "contractor_org_id": "", "supervisor_user_ids": [], "participants": [chief],
            "status": "active", "version": 1, "created_at": now, "created_by": by,
            "history": [{"at": now, "by": by, "action": "platform_synced"}]})
        uow.emit("projects.project.registered.v1", subject=doc["_id"],
                 data=ProjectRegistered(**await event_snapshot(uow, doc)))
        outcome: Outcome = "created"
    else:
        changes = platform.merge(held, fields, chief)
        if not changes:
            return SyncResult(platform_code=item.platform_code, project_id=held["_id"], outcome="unchanged",
                              version=held.get("version", 1))
        doc = await projects.update({"_id": held["_id"]}, {
            "$set": {**changes, "updated_at": now}, "$inc": {"version": 1},
            "$push": {"history": {"at": now, "by": by, "action": "platform_synced",
                                  "changed": sorted(changes)}}})
        assert doc is not None
        uow.emit("projects.project.updated.v1", subject=doc["_id"],
                 data=ProjectUpdated(**await event_snapshot(uow, doc)))
        outcome = "updated"
    admin = company.administrator
    uow.emit("projects.platform_project.synced.v1", subject=doc["_id"], data=PlatformProjectSynced(
        project_id=doc["_id"], platform_code=item.platform_code, assessable=item.assessable,
        supervision_company={
            "org_id": org_id, "credit_code": company.credit_code, "name": company.name,
            "administrator": None if admin is None else {
                "user_id": platform.platform_admin_id(tenant, company.credit_code),
                "name": admin.name, "mobile": admin.mobile}},
        chief_engineer={"user_id": chief_id, "name": item.chief_engineer.name, "mobile": item.chief_engineer.mobile},
        version=doc["version"]))
    return SyncResult(platform_code=item.platform_code, project_id=doc["_id"], outcome=outcome,
                      version=doc["version"])


SYNC_CONCURRENCY = 8
"""Items of one batch written at the same time (each its own transaction). One after the other,
a batch waited on every statement's round trip while the database had time to spare: make bench
(issue 16) synced 2-5 projects/s with the embedded database half idle."""


async def sync_items(*, mongo: Mongo, tenant: str, items: list[PlatformProjectIn], by: str) -> list[SyncResult]:
    """Apply validated ``items`` one transaction each (see the module docstring); the results
    in the items' order. Up to ``SYNC_CONCURRENCY`` items are written at once, but the items of
    one platform code one after the other, in the batch's order (the last one wins, as it
    would sequentially). Every item is tried; if some fail, the first failure (in the items'
    order) is raised once all are done — the others are written, and a replay of the batch
    changes nothing of them."""

    async def one(item: PlatformProjectIn) -> SyncResult:
        async def fn(uow: UnitOfWork) -> SyncResult:
            return await _sync_one(uow, item, by)

        for attempt in range(3):
            try:
                return await with_transaction(mongo, tenant, fn)
            except DuplicateKeyError:  # another sync registered this platform code at the same moment
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    by_code: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        by_code.setdefault(item.platform_code, []).append(i)
    results: list[SyncResult | BaseException | None] = [None] * len(items)
    slots = asyncio.Semaphore(SYNC_CONCURRENCY)

    async def code_in_order(indexes: list[int]) -> None:
        for i in indexes:
            async with slots:
                try:
                    results[i] = await one(items[i])
                except Exception as exc:  # noqa: BLE001 - raised below, after the other items
                    results[i] = exc

    await asyncio.gather(*(code_in_order(ix) for ix in by_code.values()))
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return [r for r in results if isinstance(r, SyncResult)]


async def sync_batch(*, mongo: Mongo, actor: Principal, items: list[PlatformProjectIn]) -> list[SyncResult]:
    """FJ-01 push: the platform's partner client (scope ``projects:sync``) sends up to 200
    projects of its tenant; the answer lists per item ``{platform_code, project_id, outcome:
    created | updated | unchanged, version}``. 403 ``scope-missing`` without the scope; the
    body is validated whole before anything is written (422 naming e.g.
    ``projects.3.supervision_company.credit_code``). Replaying a batch changes nothing."""
    check_may_sync(actor)
    items = [checked(item, field=f"projects.{i}.supervision_company.credit_code") for i, item in enumerate(items)]
    return await sync_items(mongo=mongo, tenant=actor.tenant, items=items, by=f"client:{actor.user_id}")


def checked(item: PlatformProjectIn, *, field: str) -> PlatformProjectIn:
    """``item`` with its company's credit code checked (GB 32100) and compacted; 422 naming ``field``."""
    code = credit_code.validate(item.supervision_company.credit_code, field=field)
    return item.model_copy(update={"supervision_company": item.supervision_company.model_copy(
        update={"credit_code": code})})


def parse_items(raw: list[Any]) -> tuple[list[PlatformProjectIn], int]:
    """The feed's valid items and how many were refused (logged with the field, never written)."""
    items, refused = [], 0
    for i, r in enumerate(raw):
        code = r.get("platform_code") if isinstance(r, dict) else None
        try:
            items.append(checked(PlatformProjectIn.model_validate(r), field="supervision_company.credit_code"))
        except ValidationError as exc:
            refused += 1
            log.warning("platform feed item refused", index=i, platform_code=code,
                        errors=[".".join(map(str, e["loc"])) for e in exc.errors()][:5])
        except Unprocessable as exc:
            refused += 1
            log.warning("platform feed item refused", index=i, platform_code=code, errors=[exc.field])
    return items, refused


async def pull_feed(*, mongo: Mongo, settings: Settings) -> dict[str, int]:
    """FJ-01 pull: read every page of the configured feed (``platform_feed_url``, with the
    bearer ``platform_feed_token`` if set; each page fetched under the feed's retry policy) and
    sync its items into ``platform_feed_tenant``. Returns counts ``{created, updated,
    unchanged, refused}``. An item the feed sends malformed is logged and skipped."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "refused": 0}
    assert settings.platform_feed_url
    async for page in platform_feed.pages(settings.platform_feed_url, token=settings.platform_feed_token,
                                          timeout=settings.platform_feed_timeout_seconds,
                                          max_pages=settings.platform_feed_max_pages):
        items, refused = parse_items(page)
        counts["refused"] += refused
        for r in await sync_items(mongo=mongo, tenant=settings.platform_feed_tenant, items=items,
                                  by="platform-feed"):
            counts[r.outcome] += 1
    log.info("platform feed pulled", tenant=settings.platform_feed_tenant, **counts)
    return counts


async def feed_loop(app: FastAPI) -> None:
    """Background task (``ServiceSpec.background``): pull the feed at start, then every
    ``platform_feed_interval_seconds``; does nothing when no feed URL is configured. A failed
    pull is logged and tried again at the next interval (pages are retried inside it)."""
    settings: Settings = app.state.settings
    if not settings.platform_feed_url:
        return
    mongo: Mongo = app.state.mongo
    while True:
        try:
            await DEPENDENCY_WAIT.call(lambda: pull_feed(mongo=mongo, settings=settings), what="platform feed pull")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the platform or the database away: next interval
            log.warning("platform feed pull failed", error=repr(exc)[:300])
        await asyncio.sleep(settings.platform_feed_interval_seconds)


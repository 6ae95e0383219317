"""FJ-01..FJ-03 on the fakes: the platform sync (idempotent per platform code, nothing done
here lost), who sees a platform project (FJ-02), and the supervision staff's project roles
(FJ-03, the sequential rules; the concurrent ones are in the integration test)."""

from __future__ import annotations

import asyncio

import pytest

from anjian_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from projects.domain import platform
from projects.service_layer import platform_sync, staff, use_cases

T = "fujian"
CC = "91350100M000100Y7T"   # a valid GB 32100 code (check character computed in the test below)
CC2 = "91350100M0001FBQ4N"


def _valid(code: str) -> str:
    from anjian_shared import credit_code
    return code[:17] + credit_code.check_character(code[:17])


CC, CC2 = _valid(CC), _valid(CC2)
PUSHER = Principal(user_id="fj_client", tenant=T, org_id="auth", roles=["partner"], org_kind="partner",
                   scopes=["projects:sync"])


def item(code: str = "FJ-001", *, chief: tuple[str, str] = ("林总", "13900000002"), assessable: bool = True,
         cc: str = CC, **extra) -> platform_sync.PlatformProjectIn:
    return platform_sync.PlatformProjectIn.model_validate({
        "platform_code": code, "name": f"项目{code}", "address": "福州市", "assessable": assessable,
        "supervision_company": {"credit_code": cc, "name": "闽江监理", "administrator": {
            "name": "陈明", "mobile": "13900000001"}},
        "chief_engineer": {"name": chief[0], "mobile": chief[1]}, **extra})


def types(mongo: FakeDatabase) -> list[str]:
    return [e["type"] for e in mongo.outbox]


@pytest.fixture
def mongo() -> FakeDatabase:
    return FakeDatabase(service="projects")


def chief_of(tenant: str = T, mobile: str = "13900000002") -> str:
    return platform.platform_user_id(tenant, mobile)


def person(uid: str, org: str, roles: list[str]) -> Principal:
    return Principal(user_id=uid, tenant=T, org_id=org, roles=roles, org_kind="company")


async def test_fj01_push_registers_then_a_replayed_batch_changes_nothing(mongo):
    """FJ-01: a first push registers the project (version 1, registered + synced events);
    the same batch again answers ``unchanged``, writes nothing, the version stays."""
    [r] = await platform_sync.sync_batch(mongo=mongo, actor=PUSHER, items=[item()])
    assert (r.outcome, r.version) == ("created", 1)
    doc = await mongo.repo("projects", T).get(r.project_id)
    assert doc["platform_code"] == "FJ-001" and doc["assessable"] is True
    assert doc["supervision_org_id"] == platform.platform_org_id(T, CC)
    assert [p["project_role"] for p in doc["participants"]] == ["chief_supervising_engineer"]
    assert types(mongo) == ["projects.project.registered.v1", "projects.platform_project.synced.v1"]
    synced = mongo.outbox[1]["data"]
    assert synced["chief_engineer"]["mobile"] == "13900000002"
    assert synced["supervision_company"]["administrator"]["user_id"] == platform.platform_admin_id(T, CC)
    [again] = await platform_sync.sync_batch(mongo=mongo, actor=PUSHER, items=[item()])
    assert (again.outcome, again.version, again.project_id) == ("unchanged", 1, r.project_id)
    assert len(mongo.outbox) == 2


async def test_fj01_a_new_chief_or_state_takes_effect_and_nothing_done_here_is_lost(mongo):
    """FJ-01: the next sync replaces the chief (the old one's feedback role goes with it when
    they hold no other staff role) and the state; staff roles and unknown fields stay."""
    [r] = await platform_sync.sync_batch(mongo=mongo, actor=PUSHER, items=[item()])
    org = platform.platform_org_id(T, CC)
    await mongo.repo("projects", T).update({"_id": r.project_id}, {"$set": {"positioning": {"x": 1}}, "$push": {
        "participants": {"$each": [
            {"user_id": "s1", "org_id": org, "name": "专监", "project_role": "specialist_supervising_engineer",
             "discipline": "房建"},
            {"user_id": chief_of(), "org_id": org, "name": "林总", "project_role": "feedback_person"}]}}})
    [u] = await platform_sync.sync_batch(mongo=mongo, actor=PUSHER,
                                         items=[item(chief=("王总", "13900000009"), assessable=False)])
    assert (u.outcome, u.version) == ("updated", 2)
    doc = await mongo.repo("projects", T).get(r.project_id)
    roles = {(p["user_id"], p["project_role"]) for p in doc["participants"]}
    assert roles == {(chief_of(mobile="13900000009"), "chief_supervising_engineer"),
                     ("s1", "specialist_supervising_engineer")}
    assert doc["assessable"] is False and doc["positioning"] == {"x": 1}
    assert types(mongo)[-2:] == ["projects.project.updated.v1", "projects.platform_project.synced.v1"]
    assert mongo.outbox[-2]["data"]["assessable"] is False


async def test_fj01_a_platform_code_held_by_a_provincial_project_is_refused_not_overwritten(mongo):
    """FJ-01: the sync finds its project by ``code`` (a synced project's code is its platform
    code); a project registered in the province under that same code is neither taken over
    nor duplicated: 409 ``platform-code-taken`` naming ``platform_code``, nothing written."""
    await mongo.repo("projects", T).insert({"_id": "p-local", "code": "202600001", "name": "本省登记项目",
                                            "version": 1, "participants": []})
    with pytest.raises(Conflict) as refused:
        await platform_sync.sync_batch(mongo=mongo, actor=PUSHER, items=[item("202600001")])
    assert (refused.value.code, refused.value.field) == ("platform-code-taken", "platform_code")
    local = await mongo.repo("projects", T).get("p-local")
    assert local["name"] == "本省登记项目" and "platform_code" not in local and local["version"] == 1
    assert mongo.outbox == []
    [r] = await platform_sync.sync_batch(mongo=mongo, actor=PUSHER, items=[item("FJ-002")])
    [again] = await platform_sync.sync_batch(mongo=mongo, actor=PUSHER, items=[item("FJ-002", assessable=False)])
    assert (r.outcome, again.outcome, again.project_id, again.version) == ("created", "updated", r.project_id, 2)


async def test_fj01_a_batch_is_written_concurrently_yet_one_code_in_its_order(mongo, monkeypatch):
    """FJ-01: the items of a batch are written at the same time (up to ``SYNC_CONCURRENCY``),
    the answer keeps the batch's order, and two items of one platform code are applied one
    after the other in the batch's order (the last wins, as sequentially)."""
    in_flight, peak = 0, 0
    real = platform_sync._sync_one

    async def counted(uow, item, by):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await asyncio.sleep(0.01)
            return await real(uow, item, by)
        finally:
            in_flight -= 1

    monkeypatch.setattr(platform_sync, "_sync_one", counted)
    batch = [item(f"FJ-1{i:02d}") for i in range(12)]
    batch.insert(3, item("FJ-100", assessable=False))   # the same code again: applied after the first
    results = await platform_sync.sync_batch(mongo=mongo, actor=PUSHER, items=batch)
    assert [r.platform_code for r in results] == [b.platform_code for b in batch]
    assert 1 < peak <= platform_sync.SYNC_CONCURRENCY
    first, again = results[0], results[3]
    assert (first.outcome, again.outcome, again.version, again.project_id) == ("created", "updated", 2,
                                                                                first.project_id)
    assert (await mongo.repo("projects", T).get(first.project_id))["assessable"] is False


async def test_fj01_a_refused_item_does_not_stop_the_others_and_is_raised(mongo):
    """FJ-01: an item refused (409 ``platform-code-taken``) is raised once every other item of
    the batch is written; replaying the batch then changes nothing of those."""
    await mongo.repo("projects", T).insert({"_id": "p-local", "code": "FJ-201", "name": "本省登记项目",
                                            "version": 1, "participants": []})
    batch = [item("FJ-200"), item("FJ-201"), item("FJ-202")]
    with pytest.raises(Conflict) as refused:
        await platform_sync.sync_batch(mongo=mongo, actor=PUSHER, items=batch)
    assert refused.value.code == "platform-code-taken"
    held = {d["platform_code"] for d in await mongo.repo("projects", T).find({"platform_code": {"$exists": True}})}
    assert held == {"FJ-200", "FJ-202"}
    written = len(mongo.outbox)
    with pytest.raises(Conflict):
        await platform_sync.sync_batch(mongo=mongo, actor=PUSHER, items=batch)
    assert len(mongo.outbox) == written


async def test_fj01_only_the_platform_client_pushes_and_bad_codes_name_the_field(mongo):
    """FJ-01: without scope projects:sync 403 ``scope-missing``; a wrong credit code is 422
    naming the item's field and nothing of the batch is written."""
    other = PUSHER.model_copy(update={"scopes": ["events:projects"]})
    with pytest.raises(Forbidden) as e:
        await platform_sync.sync_batch(mongo=mongo, actor=other, items=[item()])
    assert e.value.slug == "scope-missing"
    bad = CC[:17] + ("0" if CC[17] != "0" else "1")
    with pytest.raises(Unprocessable) as e:
        await platform_sync.sync_batch(mongo=mongo, actor=PUSHER, items=[item("A"), item("B", cc=bad)])
    assert e.value.field == "projects.1.supervision_company.credit_code"
    assert await mongo.repo("projects", T).count({}) == 0


async def test_fj01_a_known_company_and_station_are_used(mongo):
    """FJ-01: a supervision company already in the directory (same credit code) is that
    organisation; the station of the project's division is its station."""
    await mongo.repo("organizations", T).insert({"_id": "known", "name": "闽江监理", "kind": "company",
                                                 "credit_code": CC2})
    await mongo.repo("organizations", T).insert({"_id": "st", "name": "鼓楼站", "kind": "station",
                                                 "division_code": "350102"})
    [r] = await platform_sync.sync_batch(mongo=mongo, actor=PUSHER, items=[item(cc=CC2, division_code="350102")])
    doc = await mongo.repo("projects", T).get(r.project_id)
    assert (doc["supervision_org_id"], doc["station_org_id"]) == ("known", "st")


async def test_fj01_feed_items_are_checked_one_by_one():
    """FJ-01 pull: a malformed feed item is refused (counted, logged), the others pass."""
    good = item("OK").model_dump()
    items, refused = platform_sync.parse_items([good, {"platform_code": "X"}, {**good, "supervision_company": {
        **good["supervision_company"], "credit_code": "123"}}])
    assert [i.platform_code for i in items] == ["OK"] and refused == 2


async def _world(mongo: FakeDatabase) -> dict[str, str]:
    [a, b, c] = await platform_sync.sync_batch(mongo=mongo, actor=PUSHER, items=[
        item("A"), item("B", chief=("黄总", "13900000003")), item("C", assessable=False)])
    org = platform.platform_org_id(T, CC)
    users = mongo.repo("users", T)
    for uid in ("s1", "s2", "s3"):
        await users.insert({"_id": uid, "org_id": org, "display_name": uid, "roles": ["company_staff"]})
    await users.insert({"_id": "x1", "org_id": "other-co", "display_name": "x1", "roles": ["company_staff"]})
    return {"A": a.project_id, "B": b.project_id, "C": c.project_id, "org": org}


async def test_fj02_admin_sees_the_companys_assessable_projects_chief_their_own_staff_none(mongo):
    """FJ-02: the company administrator sees the company's assessable projects (not the one
    that left 在建可评价); a chief sees the projects they lead; other staff none; another
    tenant's user gets 404."""
    w = await _world(mongo)

    async def seen(actor: Principal) -> set[str]:
        return {d["_id"] for d in (await use_cases.list_projects(mongo=mongo, actor=actor, limit=50)).items}

    admin = person(platform.platform_admin_id(T, CC), w["org"], ["company_admin"])
    assert await seen(admin) == {w["A"], w["B"]}
    assert await seen(person(chief_of(), w["org"], ["company_staff"])) == {w["A"]}
    assert await seen(person("s1", w["org"], ["company_staff"])) == set()
    with pytest.raises(NotFound):
        await use_cases.get_visible(mongo=mongo, actor=admin.model_copy(update={"tenant": "hubei"}),
                                    project_id=w["A"])


async def test_fj03_roles_are_given_by_the_admin_or_the_chief_with_their_rules(mongo):
    """FJ-03: the chief gives roles; a specialist engineer needs the discipline; the chief's
    role is the platform's; the feedback person must be one of the staff; staff are the
    company's users; a plain staff member may not give roles."""
    w = await _world(mongo)
    chief = person(chief_of(), w["org"], ["company_staff"])
    with pytest.raises(Unprocessable) as e:
        await staff.assign_role(mongo=mongo, actor=chief, project_id=w["A"], user_id="s1",
                                project_role="specialist_supervising_engineer")
    assert e.value.field == "discipline"
    with pytest.raises(Forbidden) as e:
        await staff.assign_role(mongo=mongo, actor=chief, project_id=w["A"], user_id="s1",
                                project_role="chief_supervising_engineer")
    assert e.value.slug == "chief-from-platform"
    with pytest.raises(Unprocessable) as e:
        await staff.assign_role(mongo=mongo, actor=chief, project_id=w["A"], user_id="s1",
                                project_role="feedback_person")
    assert e.value.slug == "feedback-person-not-staff"
    with pytest.raises(Unprocessable) as e:
        await staff.assign_role(mongo=mongo, actor=chief, project_id=w["A"], user_id="x1",
                                project_role="site_supervisor")
    assert e.value.slug == "not-company-staff"
    doc = await staff.assign_role(mongo=mongo, actor=chief, project_id=w["A"], user_id="s1",
                                  project_role="specialist_supervising_engineer", discipline="房建")
    doc = await staff.assign_role(mongo=mongo, actor=chief, project_id=w["A"], user_id="s1",
                                  project_role="feedback_person")
    assert {(p["user_id"], p["project_role"], p.get("discipline")) for p in doc["participants"]} >= {
        ("s1", "specialist_supervising_engineer", "房建"), ("s1", "feedback_person", None)}
    assert platform.missing_roles(doc) == []
    from projects.entrypoints.api.routes import project_read
    assert project_read(doc).missing_roles == []
    assert project_read(await mongo.repo("projects", T).get(w["B"])).missing_roles == ["feedback_person"]
    event = mongo.outbox[-1]
    assert event["type"] == "projects.project.updated.v1"
    assert {"user_id": "s1", "org_id": w["org"], "name": "s1", "project_role": "specialist_supervising_engineer",
            "discipline": "房建"} in event["data"]["participants"]
    s1 = person("s1", w["org"], ["company_staff"])
    with pytest.raises(Forbidden) as e:
        await staff.assign_role(mongo=mongo, actor=s1, project_id=w["A"], user_id="s2",
                                project_role="site_supervisor")
    assert e.value.slug == "not-project-staff-manager"


async def test_fj03_specialist_and_site_supervisor_never_one_person_here_or_elsewhere(mongo):
    """FJ-03: one person is not specialist engineer and site supervisor in one project, nor
    across projects (409 ``supervision-role-exclusive``); the same role on two projects is
    fine; once the role is taken away everywhere the other one may be given."""
    w = await _world(mongo)
    admin = person(platform.platform_admin_id(T, CC), w["org"], ["company_admin"])

    async def give(project: str, uid: str, role: str) -> dict:
        return await staff.assign_role(mongo=mongo, actor=admin, project_id=w[project], user_id=uid,
                                       project_role=role, discipline="市政")

    await give("A", "s1", "specialist_supervising_engineer")
    for project in ("A", "B"):
        with pytest.raises(Conflict) as e:
            await give(project, "s1", "site_supervisor")
        assert e.value.slug == "supervision-role-exclusive"
    await give("B", "s1", "specialist_supervising_engineer")
    await give("B", "s2", "site_supervisor")
    for project in ("A", "B"):
        await staff.remove_role(mongo=mongo, actor=admin, project_id=w[project], user_id="s1",
                                project_role="specialist_supervising_engineer")
    doc = await give("A", "s1", "site_supervisor")
    assert ("s1", "site_supervisor") in {(p["user_id"], p["project_role"]) for p in doc["participants"]}
    with pytest.raises(NotFound) as e:
        await staff.remove_role(mongo=mongo, actor=admin, project_id=w["A"], user_id="s3",
                                project_role="site_supervisor")
    assert e.value.slug == "role-not-held"
    with pytest.raises(Forbidden):
        await staff.remove_role(mongo=mongo, actor=admin, project_id=w["A"], user_id=chief_of(),
                                project_role="chief_supervising_engineer")


async def test_fj03_removing_the_feedback_persons_last_staff_role_removes_the_feedback_role():
    """FJ-03: the feedback person is one of the staff: without a staff role, not the feedback person."""
    project = {"participants": [
        {"user_id": "s1", "org_id": "o", "name": "s1", "project_role": "site_supervisor"},
        {"user_id": "s1", "org_id": "o", "name": "s1", "project_role": "feedback_person"}]}
    assert platform.without_role(project, "s1", "site_supervisor") == []
    assert platform.missing_roles(project) == ["chief_supervising_engineer"]


async def test_fj01_the_feed_adapter_follows_cursors_retries_5xx_and_stops_on_4xx():
    """FJ-01 pull: pages follow ``next_cursor``; a 503 is tried again; a 401 is a ``FeedError``
    at once (a wrong token does not heal); a page without ``items`` too."""
    import httpx

    from anjian_shared.testing import instant_retries
    from projects.adapters import platform_feed

    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        cursor = request.url.params.get("cursor")
        if len(calls) == 1:
            return httpx.Response(503)
        if request.headers.get("authorization") != "Bearer t":
            return httpx.Response(401)
        if cursor == "bad":
            return httpx.Response(200, json={"oops": []})
        return httpx.Response(200, json={"items": [cursor or "first"], "next_cursor": None if cursor else "2"})

    with instant_retries():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            pages = [p async for p in platform_feed.pages("http://feed/x", token="t", client=client)]
            assert pages == [["first"], ["2"]]
            with pytest.raises(platform_feed.FeedError):
                [p async for p in platform_feed.pages("http://feed/x", token="wrong", client=client)]
            with pytest.raises(platform_feed.FeedError):
                [p async for p in platform_feed.pages("http://feed/x?cursor=bad", token="t", client=client)]

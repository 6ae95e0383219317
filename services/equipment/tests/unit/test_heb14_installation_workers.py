"""HEB-14 installation workers named by personnel person id (``form.workers.<i>.person_id``),
checked by the one helper operators use (``check_company_person``): the installer's own person
(manual 4(3) 安拆企业 单位人员录入), a valid 建筑起重机械安装拆卸工 certificate (建质〔2008〕75号),
not removed, known to equipment (else 409 + Retry-After) — at save and again at 上报 — and the
migration of drafts stored with ``worker_user_ids``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from test_equipment_use_cases import T, attach, env, filed_machine, who  # noqa: F401 - env is a fixture

from anjian_shared.errors import NotYetAvailable, Unprocessable
from anjian_shared.types import utcnow
from equipment.adapters import store
from equipment.service_layer import applications as cases


async def person(mongo: Any, pid: str, *, company: str = "inst", category: str = "crane_installer",
                 expires_on: date | None = None, removed: bool = False) -> None:
    await mongo.db[store.PEOPLE].replace_one({"_id": pid, "tenant_id": T}, {
        "_id": pid, "tenant_id": T, "name": f"工人{pid}", "category": category, "removed": removed,
        "company_org_id": company, "certificate_number": f"冀T-{pid}",
        "expires_on": (expires_on or utcnow().date() + timedelta(days=300)).isoformat()}, upsert=True)


def form(machine_id: str, workers: list[str], project: str = "project-A") -> dict[str, Any]:
    return {"machine_id": machine_id, "project_id": project, "start_date": "2026-01-01", "end_date": "2026-01-05",
            "workers": [{"person_id": w, "name": f"工人{w}"} for w in workers]}


async def test_heb14_workers_refused_at_save_naming_the_worker(env):  # noqa: F811
    """HEB-14 at save: each wrong worker is refused naming ``form.workers.<i>.person_id``."""
    mongo, _ = env
    machine = await filed_machine(env)
    await person(mongo, "ok")
    await person(mongo, "expired", expires_on=utcnow().date() - timedelta(days=1))
    await person(mongo, "driver", category="crane_driver")
    await person(mongo, "other", company="inst2")
    await person(mongo, "gone", removed=True)
    cases_ = {"expired": (Unprocessable, "certificate-expired"),
              "driver": (Unprocessable, "certificate-category-mismatch"),
              "other": (Unprocessable, "person-of-another-company"),
              "gone": (Unprocessable, "person-removed"),
              "nobody": (NotYetAvailable, "person-not-yet-known")}
    for pid, (error, slug) in cases_.items():
        with pytest.raises(error) as err:
            await cases.create_application(mongo=mongo, principal=who("inst"), kind="installation",
                                           form=form(machine, ["ok", pid]))
        assert (err.value.slug, err.value.field) == (slug, "form.workers.1.person_id"), pid
    with pytest.raises(NotYetAvailable) as late:
        await cases.create_application(mongo=mongo, principal=who("inst"), kind="dismantling",
                                       form=form(machine, ["nobody"]))
    assert late.value.retry_after and late.value.field == "form.workers.0.person_id"
    app = await cases.create_application(mongo=mongo, principal=who("inst"), kind="installation",
                                         form=form(machine, ["ok"]))
    assert app["form"]["workers"][0]["person_id"] == "ok"
    with pytest.raises(Unprocessable) as twice:
        await cases.create_application(mongo=mongo, principal=who("inst"), kind="installation",
                                       form=form(machine, ["ok", "ok"]))
    assert twice.value.field == "form.workers"


async def test_heb14_workers_checked_again_at_submission(env):  # noqa: F811
    """HEB-14 at 上报 the workers are checked again: a certificate expired or a person removed
    since the draft was saved is refused naming the worker; nothing is locked."""
    mongo, _ = env
    machine = await filed_machine(env)
    await person(mongo, "w1")
    await person(mongo, "w2")
    app = await cases.create_application(mongo=mongo, principal=who("inst"), kind="installation",
                                         form=form(machine, ["w1", "w2"]))
    await attach(env, who("inst"), app["_id"], "special_plan")
    await person(mongo, "w2", expires_on=utcnow().date() - timedelta(days=3))
    with pytest.raises(Unprocessable) as err:
        await cases.submit_application(mongo=mongo, principal=who("inst"), app_id=app["_id"], authority_org_id="auth")
    assert (err.value.slug, err.value.field) == ("certificate-expired", "form.workers.1.person_id")
    assert await mongo.repo(store.MACHINE_LOCKS, T).find_one({"machine_id": machine}) is None
    await person(mongo, "w2", removed=True)
    with pytest.raises(Unprocessable) as err:
        await cases.submit_application(mongo=mongo, principal=who("inst"), app_id=app["_id"], authority_org_id="auth")
    assert err.value.slug == "person-removed"
    await person(mongo, "w2")
    done = await cases.submit_application(mongo=mongo, principal=who("inst"), app_id=app["_id"],
                                          authority_org_id="auth")
    assert done["stage"] == "submitted"


async def test_heb14_dismantling_workers_checked_at_submission(env):  # noqa: F811
    """HEB-14/15 the dismantling notification names its workers the same way."""
    mongo, _ = env
    machine = await filed_machine(env)
    await person(mongo, "w1")
    inst = await cases.create_application(mongo=mongo, principal=who("inst"), kind="installation",
                                          form=form(machine, ["w1"]))
    await attach(env, who("inst"), inst["_id"], "special_plan")
    await cases.submit_application(mongo=mongo, principal=who("inst"), app_id=inst["_id"], authority_org_id="auth")
    dis = await cases.create_application(mongo=mongo, principal=who("inst"), kind="dismantling",
                                         form=form(machine, ["w1"]))
    await person(mongo, "w1", company="inst2")  # moved to another installer meanwhile
    with pytest.raises(Unprocessable) as err:
        await cases.submit_application(mongo=mongo, principal=who("inst"), app_id=dis["_id"], authority_org_id="auth")
    assert (err.value.slug, err.value.field) == ("person-of-another-company", "form.workers.0.person_id")


async def test_heb14_worker_user_ids_refused_in_a_new_form(env):  # noqa: F811
    """HEB-14 the old field is refused naming it, telling how workers are named now."""
    mongo, _ = env
    machine = await filed_machine(env)
    bad = {**form(machine, []), "worker_user_ids": ["u-1"]}
    with pytest.raises(Unprocessable) as err:
        await cases.create_application(mongo=mongo, principal=who("inst"), kind="installation", form=bad)
    assert err.value.field == "form.worker_user_ids" and "person_id" in str(err.value.detail)


async def test_heb14_stored_draft_with_worker_user_ids_is_migrated(env):  # noqa: F811
    """HEB-14 migration: a draft stored with ``worker_user_ids`` keeps them as
    ``legacy_worker_user_ids`` (idempotent); 上报 is 422 ``workers-by-person-id`` naming
    ``form.workers`` until the applicant names them by person id."""
    mongo, _ = env
    machine = await filed_machine(env)
    await person(mongo, "w1")
    app = await cases.create_application(mongo=mongo, principal=who("inst"), kind="installation",
                                         form=form(machine, []))
    await attach(env, who("inst"), app["_id"], "special_plan")
    legacy = {**form(machine, []), "worker_user_ids": ["u-a", "u-b"]}
    legacy.pop("workers")
    await mongo.db[store.APPLICATIONS].update_one({"_id": app["_id"]}, {"$set": {"form": legacy}})
    # even before the migration ran the stored form is read (the ids taken aside)
    with pytest.raises(Unprocessable) as err:
        await cases.submit_application(mongo=mongo, principal=who("inst"), app_id=app["_id"], authority_org_id="auth")
    assert (err.value.slug, err.value.field) == ("workers-by-person-id", "form.workers")
    assert await store.migrate_legacy_workers(mongo) == 1
    assert await store.migrate_legacy_workers(mongo) == 0
    doc = await mongo.repo(store.APPLICATIONS, T).get(app["_id"])
    assert "worker_user_ids" not in doc["form"] and doc["legacy_worker_user_ids"] == ["u-a", "u-b"]
    with pytest.raises(Unprocessable) as err:
        await cases.submit_application(mongo=mongo, principal=who("inst"), app_id=app["_id"], authority_org_id="auth")
    assert err.value.slug == "workers-by-person-id"
    edited = await cases.update_application(mongo=mongo, principal=who("inst"), app_id=app["_id"],
                                            form=form(machine, ["w1"]))
    assert edited["legacy_worker_user_ids"] == []
    done = await cases.submit_application(mongo=mongo, principal=who("inst"), app_id=app["_id"],
                                          authority_org_id="auth")
    assert done["stage"] == "submitted" and done["form"]["workers"][0]["person_id"] == "w1"

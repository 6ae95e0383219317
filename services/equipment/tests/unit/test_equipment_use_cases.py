"""The crane registry on the in-memory fakes (no servers): HEB-06 filing (certificates, banned
models, service life, duplicate maker + factory number, numbering), HEB-14 machine lock, HEB-07
operator locks and the authority's unlock, HEB-15 dismantling, HEB-17 attachment limits."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from anjian_shared.errors import Conflict, Forbidden, PayloadTooLarge, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload, image_bytes
from anjian_shared.types import utcnow
from equipment.adapters import store
from equipment.service_layer import applications as cases
from equipment.settings import Settings

T = "hebei"
ORGS = {"auth": ("authority", []), "lease": ("company", ["leasing"]), "inst": ("company", ["installer"]),
        "inst2": ("company", ["installer"]), "con": ("company", ["contractor"]), "con2": ("company", ["contractor"])}
PDF = b"%PDF-1.4\n% certificate\n"


def who(org: str, role: str = "company_admin") -> Principal:
    kind = ORGS[org][0]
    roles = ["supervisor"] if kind == "authority" else [role]
    return Principal(user_id=f"u-{org}", tenant=T, org_id=org, roles=roles, name=f"user {org}", org_kind=kind)


@pytest.fixture
async def env() -> tuple[FakeDatabase, FakeStorage]:
    mongo = FakeDatabase(service="equipment")
    await store.ensure_indexes(mongo)
    for org, (kind, roles) in ORGS.items():
        await mongo.db[store.ORGANIZATIONS].insert_one({"_id": org, "tenant_id": T, "kind": kind,
                                                        "company_roles": roles, "name": org})
    return mongo, FakeStorage()


def crane(factory: str = "F-001", **kw: Any) -> dict[str, Any]:
    return {"machine_kind": "tower_crane", "model": "QTZ80", "maker": "中联重科", "factory_number": factory,
            "manufacture_date": (utcnow().date() - timedelta(days=365 * 3)).isoformat(),
            "rated_moment_knm": 800, **kw}


async def attach(env: Any, p: Principal, app_id: str, slot: str, data: bytes = PDF) -> list[str]:
    mongo, storage = env
    _, warnings = await cases.add_attachment(mongo=mongo, storage=storage, settings=Settings(), principal=p,
                                             app_id=app_id, slot=slot, upload=FakeUpload(data, f"{slot}.pdf"))
    return warnings


async def filed_machine(env: Any, factory: str = "F-001") -> str:
    mongo, _ = env
    app = await cases.create_application(mongo=mongo, principal=who("lease"), kind="filing", form=crane(factory))
    for slot in ("manufacturing_licence", "product_certificate", "supervision_certificate"):
        await attach(env, who("lease"), app["_id"], slot)
    app = await cases.submit_application(mongo=mongo, principal=who("lease"), app_id=app["_id"],
                                         authority_org_id="auth")
    await cases.decide(mongo=mongo, principal=who("auth"), app_id=app["_id"], action="accept")
    done = await cases.decide(mongo=mongo, principal=who("auth"), app_id=app["_id"], action="approve")
    return done["machine_id"]


async def install(env: Any, machine_id: str, project: str, installer: str = "inst") -> dict[str, Any]:
    mongo, _ = env
    form = {"machine_id": machine_id, "project_id": project, "start_date": "2026-01-01", "end_date": "2026-01-05"}
    app = await cases.create_application(mongo=mongo, principal=who(installer), kind="installation", form=form)
    await attach(env, who(installer), app["_id"], "special_plan")
    return await cases.submit_application(mongo=mongo, principal=who(installer), app_id=app["_id"],
                                          authority_org_id="auth")


async def register(env: Any, machine_id: str, project: str, people: list[str], contractor: str = "con") -> Any:
    mongo, _ = env
    form = {"machine_id": machine_id, "project_id": project,
            "acceptance_date": (utcnow().date() - timedelta(days=2)).isoformat(),
            "operators": [{"person_id": p, "name": p, "role": "driver", "certificate_number": f"C-{p}"}
                          for p in people]}
    app = await cases.create_application(mongo=mongo, principal=who(contractor), kind="use_registration", form=form)
    await attach(env, who(contractor), app["_id"], "acceptance_record")
    return await cases.submit_application(mongo=mongo, principal=who(contractor), app_id=app["_id"],
                                          authority_org_id="auth")


async def test_heb06_filing_approved_gets_number_and_machine_filed(env):
    mongo, _ = env
    machine_id = await filed_machine(env)
    machine = await mongo.repo(store.MACHINES, T).get(machine_id)
    assert machine["status"] == "filed"
    assert machine["filing_number"] == f"冀A-T-{utcnow().year}-0001"
    types = [e["type"] for e in mongo.outbox]
    assert "equipment.machine.filed.v1" in types and "equipment.application.approved.v1" in types


async def test_heb06_missing_certificate_refused(env):
    mongo, _ = env
    app = await cases.create_application(mongo=mongo, principal=who("lease"), kind="filing", form=crane())
    await attach(env, who("lease"), app["_id"], "manufacturing_licence")
    with pytest.raises(Unprocessable) as err:
        await cases.submit_application(mongo=mongo, principal=who("lease"), app_id=app["_id"], authority_org_id="auth")
    assert err.value.slug == "certificates-missing" and err.value.field == "attachments"


async def test_heb06_installer_cannot_file_and_authority_must_be_authority(env):
    mongo, _ = env
    with pytest.raises(Forbidden) as err:
        await cases.create_application(mongo=mongo, principal=who("inst"), kind="filing", form=crane())
    assert err.value.slug == "company-role-required"
    app = await cases.create_application(mongo=mongo, principal=who("lease"), kind="filing", form=crane())
    with pytest.raises(Unprocessable) as err:
        await cases.submit_application(mongo=mongo, principal=who("lease"), app_id=app["_id"], authority_org_id="con")
    assert err.value.field == "authority_org_id"


async def test_heb06_banned_model_refused_and_only_province_admin_bans(env):
    mongo, _ = env
    admin = Principal(user_id="admin", tenant=T, org_id="auth", roles=["province_admin"], org_kind="authority")
    with pytest.raises(Forbidden):
        await cases.ban_model(mongo=mongo, principal=who("lease"), model="QTZ80", reason="x")
    await cases.ban_model(mongo=mongo, principal=admin, model="qtz 80", reason="淘汰")
    app = await cases.create_application(mongo=mongo, principal=who("lease"), kind="filing", form=crane())
    for slot in ("manufacturing_licence", "product_certificate", "supervision_certificate"):
        await attach(env, who("lease"), app["_id"], slot)
    with pytest.raises(Conflict) as err:
        await cases.submit_application(mongo=mongo, principal=who("lease"), app_id=app["_id"], authority_org_id="auth")
    assert err.value.slug == "model-banned"


async def test_heb06_past_service_life_needs_valid_assessment(env):
    mongo, _ = env
    old = (utcnow().date() - timedelta(days=365 * 11)).isoformat()  # < 630 kN·m: 10 years
    app = await cases.create_application(mongo=mongo, principal=who("lease"), kind="filing",
                                         form=crane(manufacture_date=old, rated_moment_knm=400))
    for slot in ("manufacturing_licence", "product_certificate", "supervision_certificate"):
        await attach(env, who("lease"), app["_id"], slot)
    with pytest.raises(Conflict) as err:
        await cases.submit_application(mongo=mongo, principal=who("lease"), app_id=app["_id"], authority_org_id="auth")
    assert err.value.slug == "service-life-exceeded"
    valid = (utcnow().date() + timedelta(days=200)).isoformat()
    await cases.update_application(mongo=mongo, principal=who("lease"), app_id=app["_id"],
                                   form=crane(manufacture_date=old, rated_moment_knm=400, assessment_valid_until=valid))
    await attach(env, who("lease"), app["_id"], "safety_assessment")
    done = await cases.submit_application(mongo=mongo, principal=who("lease"), app_id=app["_id"],
                                          authority_org_id="auth")
    assert done["stage"] == "submitted"


async def test_heb06_same_maker_and_factory_number_refused_by_the_database(env):
    await filed_machine(env, "F-9")
    with pytest.raises(Conflict) as err:
        await filed_machine(env, " f-9 ")
    assert err.value.slug == "machine-already-filed"


async def test_heb14_machine_locked_to_project_second_notification_names_it(env):
    mongo, _ = env
    machine_id = await filed_machine(env)
    await install(env, machine_id, "project-A")
    with pytest.raises(Conflict) as err:
        await install(env, machine_id, "project-B", installer="inst2")
    assert err.value.slug == "machine-locked" and "project-A" in str(err.value.detail)
    assert [e["type"] for e in mongo.outbox].count("equipment.machine.locked.v1") == 1
    audit = await mongo.repo(store.AUDIT, T).find({"action": "machine.locked"})
    assert len(audit) == 1 and audit[0]["by"]["user_id"] == "u-inst"


async def test_heb14_unfiled_machine_refused(env):
    with pytest.raises(Conflict) as err:
        await install(env, "no-such-machine", "project-A")
    assert err.value.slug == "machine-not-filed"


async def test_heb15_dismantling_confirmed_releases_machine_then_b_passes(env):
    mongo, _ = env
    machine_id = await filed_machine(env)
    await install(env, machine_id, "project-A")
    form = {"machine_id": machine_id, "project_id": "project-A", "start_date": "2026-02-01", "end_date": "2026-02-02"}
    app = await cases.create_application(mongo=mongo, principal=who("inst"), kind="dismantling", form=form)
    await cases.submit_application(mongo=mongo, principal=who("inst"), app_id=app["_id"], authority_org_id="auth")
    await cases.decide(mongo=mongo, principal=who("auth"), app_id=app["_id"], action="accept")
    await cases.decide(mongo=mongo, principal=who("auth"), app_id=app["_id"], action="approve")
    assert "equipment.machine.unlocked.v1" in [e["type"] for e in mongo.outbox]
    b = await install(env, machine_id, "project-B", installer="inst2")
    assert b["stage"] == "submitted"


async def test_heb14_not_accepted_notification_releases_the_lock(env):
    mongo, _ = env
    machine_id = await filed_machine(env)
    a = await install(env, machine_id, "project-A")
    await cases.decide(mongo=mongo, principal=who("auth"), app_id=a["_id"], action="not_accept", comment="方案不全")
    assert (await install(env, machine_id, "project-B", installer="inst2"))["stage"] == "submitted"


async def test_heb07_operator_locked_until_authority_unlocks_with_reason(env):
    mongo, _ = env
    m1, m2 = await filed_machine(env, "F-1"), await filed_machine(env, "F-2")
    await install(env, m1, "project-A")
    await install(env, m2, "project-B")
    await register(env, m1, "project-A", ["wang"])
    with pytest.raises(Conflict) as err:
        await register(env, m2, "project-B", ["wang"], contractor="con2")
    assert err.value.slug == "operator-locked" and m1 in str(err.value.detail)
    with pytest.raises(Forbidden):
        await cases.unlock_operator(mongo=mongo, principal=who("con"), person_id="wang", reason="离职")
    with pytest.raises(Unprocessable):
        await cases.unlock_operator(mongo=mongo, principal=who("auth"), person_id="wang", reason=" ")
    await cases.unlock_operator(mongo=mongo, principal=who("auth"), person_id="wang", reason="已调离")
    assert (await register(env, m2, "project-B", ["wang"], contractor="con2"))["stage"] == "submitted"
    unlocked = await mongo.repo(store.AUDIT, T).find({"action": "operator.unlocked"})
    assert unlocked[0]["reason"] == "已调离"


async def test_heb07_registration_needs_installed_machine_and_30_days(env):
    mongo, _ = env
    m1 = await filed_machine(env)
    with pytest.raises(Conflict) as err:
        await register(env, m1, "project-A", ["wang"])
    assert err.value.slug == "machine-not-installed"
    await install(env, m1, "project-A")
    form = {"machine_id": m1, "project_id": "project-A",
            "acceptance_date": (utcnow().date() - timedelta(days=31)).isoformat(),
            "operators": [{"person_id": "wang", "name": "王某", "role": "driver", "certificate_number": "C1"}]}
    app = await cases.create_application(mongo=mongo, principal=who("con"), kind="use_registration", form=form)
    await attach(env, who("con"), app["_id"], "acceptance_record")
    with pytest.raises(Unprocessable) as err:
        await cases.submit_application(mongo=mongo, principal=who("con"), app_id=app["_id"], authority_org_id="auth")
    assert err.value.slug == "registration-window-passed"


async def test_heb07_approved_registration_gets_number(env):
    mongo, _ = env
    m1 = await filed_machine(env)
    await install(env, m1, "project-A")
    app = await register(env, m1, "project-A", ["wang"])
    await cases.decide(mongo=mongo, principal=who("auth"), app_id=app["_id"], action="accept")
    done = await cases.decide(mongo=mongo, principal=who("auth"), app_id=app["_id"], action="approve")
    assert done["number"] == f"冀A-DJ-{utcnow().year}-0001"


async def test_heb17_hebei_attachment_over_600kb_refused_naming_limit_small_scan_warned(env):
    mongo, _ = env
    app = await cases.create_application(mongo=mongo, principal=who("lease"), kind="filing", form=crane())
    with pytest.raises(PayloadTooLarge) as err:
        await attach(env, who("lease"), app["_id"], "product_certificate", PDF + b"0" * (600 * 1024))
    assert "600 KB" in str(err.value.detail) and "split" in str(err.value.detail)
    warnings = await attach(env, who("lease"), app["_id"], "product_certificate", image_bytes("PNG", (800, 600)))
    assert warnings and warnings[0].startswith("scan-below-1024x768")
    assert await attach(env, who("lease"), app["_id"], "product_certificate",
                        image_bytes("PNG", (1024, 768))) == []


async def test_heb03_lists_mine_and_inbox(env):
    mongo, _ = env
    await filed_machine(env)
    draft = await cases.create_application(mongo=mongo, principal=who("lease"), kind="filing", form=crane("F-2"))
    done = await cases.list_applications(mongo=mongo, principal=who("lease"), view="mine", box="completed")
    doing = await cases.list_applications(mongo=mongo, principal=who("lease"), view="mine", box="in_progress")
    assert [d["stage"] for d in done] == ["approved"] and [d["_id"] for d in doing] == [draft["_id"]]
    assert await cases.list_applications(mongo=mongo, principal=who("auth"), view="inbox") == []


def test_heb06_dates_sanity():
    assert date(2026, 1, 1) < date(2026, 1, 2)


async def test_heb12_supplementary_registration_needs_old_number_and_authority_before_use(env):
    """HEB-12 补录: a machine filed before the platform is registered with its earlier filing number
    (422 ``form.old_filing_number`` without it) and may be used (installation notification) only
    once the authority approved it."""
    mongo, _ = env
    lease = who("lease")
    bare = await cases.create_application(mongo=mongo, principal=lease, kind="supplementary", form=crane("OLD-0"))
    with pytest.raises(Unprocessable) as exc:
        await cases.submit_application(mongo=mongo, principal=lease, app_id=bare["_id"], authority_org_id="auth")
    assert exc.value.field == "form.old_filing_number"

    app = await cases.create_application(mongo=mongo, principal=lease, kind="supplementary",
                                         form=crane("OLD-1", old_filing_number="冀A-T-2015-0042"))
    app = await cases.submit_application(mongo=mongo, principal=lease, app_id=app["_id"], authority_org_id="auth")
    await cases.decide(mongo=mongo, principal=who("auth"), app_id=app["_id"], action="accept")
    done = await cases.decide(mongo=mongo, principal=who("auth"), app_id=app["_id"], action="approve")
    machine = await mongo.repo(store.MACHINES, T).get(done["machine_id"])
    assert machine["status"] == "filed" and machine.get("old_filing_number") == "冀A-T-2015-0042"
    installed = await install(env, done["machine_id"], "project-A")
    assert installed["stage"] == "submitted"

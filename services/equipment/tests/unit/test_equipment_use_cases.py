"""The crane registry on the in-memory fakes (no servers): HEB-06 filing (certificates, banned
models, service life, duplicate maker + factory number, numbering), HEB-14 machine lock, HEB-07
operator locks and the authority's unlock, HEB-15 dismantling, HEB-17 attachment limits."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from anjian_shared.errors import (
    Conflict,
    Forbidden,
    NotFound,
    NotYetAvailable,
    PayloadTooLarge,
    Unprocessable,
)
from anjian_shared.pdf_fonts import resolve_cjk_font
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase, FakeStorage
from anjian_shared.testing.media import FakeUpload, image_bytes
from anjian_shared.types import utcnow
from equipment.adapters import store
from equipment.service_layer import applications as cases
from equipment.service_layer import signs
from equipment.settings import Settings

T = "hebei"
ORGS = {"auth": ("authority", []), "lease": ("company", ["leasing"]), "inst": ("company", ["installer"]),
        "inst2": ("company", ["installer"]), "con": ("company", ["contractor"]), "con2": ("company", ["contractor"])}
DIVISIONS = {"auth": "130100"}  # 石家庄市 authority; the companies sit in 长安区 (130102)
PROJECTS = ("project-A", "project-B")
PEOPLE = ("wang", "li", "zhao", "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9")
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
                                                        "company_roles": roles, "name": org,
                                                        "division_code": DIVISIONS.get(org, "130102")})
    for project in PROJECTS:
        await mongo.db[store.PROJECTS].insert_one({"_id": project, "tenant_id": T, "name": f"{project} 工程",
                                                   "station_org_id": "auth"})
    for person in PEOPLE:
        await add_person(mongo, person)
    return mongo, FakeStorage()


async def add_person(mongo: FakeDatabase, person: str, *, category: str = "crane_driver",
                     expires_on: date | None = None) -> None:
    await mongo.db[store.PEOPLE].replace_one({"_id": person, "tenant_id": T}, {
        "_id": person, "tenant_id": T, "name": person, "category": category, "removed": False,
        "company_org_id": "con", "certificate_number": f"C-{person}",
        "expires_on": (expires_on or utcnow().date() + timedelta(days=300)).isoformat()}, upsert=True)


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
    assert machine["filing_number"] == f"冀130100-T-{utcnow().year}-0001"
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
    assert done["number"] == f"冀130100-DJ-{utcnow().year}-0001"


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


async def _org(mongo: FakeDatabase, org: str, kind: str, division: str, roles: list[str] | None = None,
               **kw: Any) -> None:
    await mongo.db[store.ORGANIZATIONS].insert_one({"_id": org, "tenant_id": T, "kind": kind, "name": org,
                                                    "company_roles": roles or [], "division_code": division, **kw})


async def test_heb06_authority_answered_from_division_codes(env):
    """HEB-06 the filing goes to the authority where the owner is registered (GB/T 2260: the
    nearest enclosing authority); naming another is 422 ``wrong-authority``; an out-of-province
    owner goes straight to the province office."""
    mongo, _ = env
    await _org(mongo, "office", "authority", "130000")
    await _org(mongo, "tangshan", "authority", "130200")
    app = await cases.create_application(mongo=mongo, principal=who("lease"), kind="filing", form=crane())
    for slot in ("manufacturing_licence", "product_certificate", "supervision_certificate"):
        await attach(env, who("lease"), app["_id"], slot)
    with pytest.raises(Unprocessable) as err:
        await cases.submit_application(mongo=mongo, principal=who("lease"), app_id=app["_id"],
                                       authority_org_id="tangshan")
    assert err.value.slug == "wrong-authority" and err.value.field == "authority_org_id"
    done = await cases.submit_application(mongo=mongo, principal=who("lease"), app_id=app["_id"],
                                          authority_org_id=None)
    assert done["authority_org_id"] == "auth"
    await cases.decide(mongo=mongo, principal=who("auth"), app_id=app["_id"], action="not_accept", comment="x")
    await _org(mongo, "beijing-lease", "company", "110105", ["leasing"], in_province=False)
    outsider = Principal(user_id="u-bj", tenant=T, org_id="beijing-lease", roles=["company_admin"], name="bj",
                         org_kind="company")
    app = await cases.create_application(mongo=mongo, principal=outsider, kind="filing", form=crane("BJ-1"))
    for slot in ("manufacturing_licence", "product_certificate", "supervision_certificate"):
        await cases.add_attachment(mongo=mongo, storage=env[1], settings=Settings(), principal=outsider,
                                   app_id=app["_id"], slot=slot, upload=FakeUpload(PDF, "c.pdf"))
    done = await cases.submit_application(mongo=mongo, principal=outsider, app_id=app["_id"], authority_org_id=None)
    assert done["authority_org_id"] == "office"


async def test_heb06_several_authorities_of_one_division_applicant_picks_one_of_them(env):
    """HEB-06 two authorities share the owner's division: the codes cannot decide, so the
    applicant must name one of THEM (422 ``authority-ambiguous`` when none is named; naming an
    authority without jurisdiction is 422 ``wrong-authority``, however many share the division)."""
    mongo, _ = env
    await _org(mongo, "auth2", "authority", "130100")
    app = await cases.create_application(mongo=mongo, principal=who("lease"), kind="filing", form=crane())
    for slot in ("manufacturing_licence", "product_certificate", "supervision_certificate"):
        await attach(env, who("lease"), app["_id"], slot)
    for named, slug in ((None, "authority-ambiguous"), ("con", "wrong-authority")):
        with pytest.raises(Unprocessable) as err:
            await cases.submit_application(mongo=mongo, principal=who("lease"), app_id=app["_id"],
                                           authority_org_id=named)
        assert err.value.slug == slug and err.value.field == "authority_org_id"
    done = await cases.submit_application(mongo=mongo, principal=who("lease"), app_id=app["_id"],
                                          authority_org_id="auth2")
    assert done["authority_org_id"] == "auth2"


def entry_form(**kw: Any) -> dict[str, Any]:
    later = (utcnow().date() + timedelta(days=200)).isoformat()
    return {"qualification_number": "D211000001", "qualification_valid_until": later,
            "safety_licence_number": "(京)JZ安许证字[2024]000001", "safety_licence_valid_until": later, **kw}


async def test_heb13_out_of_province_installer_entry_filing(env):
    """HEB-13 (建设部令第166号: installers hold the qualification and the work-safety licence)
    进冀备案 goes straight to the province office; an expired certificate is 422
    ``certificate-expired`` naming it; a Hebei installer does not file one (403); until it is
    approved the outsider's installation notification is 409 ``installer-entry-required``."""
    mongo, storage = env
    await _org(mongo, "office", "authority", "130000")
    await _org(mongo, "bj-inst", "company", "110105", ["installer"], in_province=False)
    outsider = Principal(user_id="u-bj", tenant=T, org_id="bj-inst", roles=["company_admin"], name="bj",
                         org_kind="company")
    with pytest.raises(Forbidden) as err:
        await cases.create_application(mongo=mongo, principal=who("inst"), kind="installer_entry", form=entry_form())
    assert err.value.slug == "not-out-of-province"
    m1 = await filed_machine(env)
    form = {"machine_id": m1, "project_id": "project-A", "start_date": "2026-01-01", "end_date": "2026-01-05"}
    notice = await cases.create_application(mongo=mongo, principal=outsider, kind="installation", form=form)
    await cases.add_attachment(mongo=mongo, storage=storage, settings=Settings(), principal=outsider,
                               app_id=notice["_id"], slot="special_plan", upload=FakeUpload(PDF, "p.pdf"))
    with pytest.raises(Conflict) as err:
        await cases.submit_application(mongo=mongo, principal=outsider, app_id=notice["_id"], authority_org_id=None)
    assert err.value.slug == "installer-entry-required"
    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    entry = await cases.create_application(mongo=mongo, principal=outsider, kind="installer_entry",
                                           form=entry_form(safety_licence_valid_until=yesterday))
    for slot in ("qualification_certificate", "safety_licence"):
        await cases.add_attachment(mongo=mongo, storage=storage, settings=Settings(), principal=outsider,
                                   app_id=entry["_id"], slot=slot, upload=FakeUpload(PDF, f"{slot}.pdf"))
    with pytest.raises(Unprocessable) as err:
        await cases.submit_application(mongo=mongo, principal=outsider, app_id=entry["_id"], authority_org_id=None)
    assert err.value.slug == "certificate-expired" and err.value.field == "form.safety_licence_valid_until"
    await cases.update_application(mongo=mongo, principal=outsider, app_id=entry["_id"], form=entry_form())
    sent = await cases.submit_application(mongo=mongo, principal=outsider, app_id=entry["_id"], authority_org_id=None)
    assert sent["authority_org_id"] == "office"
    office = Principal(user_id="u-of", tenant=T, org_id="office", roles=["province_admin"], org_kind="authority")
    with pytest.raises(NotFound):  # the city's authority is not addressed: it does not see it
        await cases.decide(mongo=mongo, principal=who("auth"), app_id=entry["_id"], action="accept")
    await cases.decide(mongo=mongo, principal=office, app_id=entry["_id"], action="accept")
    done = await cases.decide(mongo=mongo, principal=office, app_id=entry["_id"], action="approve")
    assert done["number"].endswith("-0001") and "JJ" in done["number"]
    locked = await cases.submit_application(mongo=mongo, principal=outsider, app_id=notice["_id"],
                                            authority_org_id=None)
    assert locked["stage"] == "submitted"


async def test_heb14_project_checked_against_the_project_read_model(env):
    """HEB-14 the project named must be one of this province (projects' read model): an unknown
    id answers 409 + Retry-After ``project-not-yet-known`` naming ``form.project_id``."""
    mongo, _ = env
    m1 = await filed_machine(env)
    form = {"machine_id": m1, "project_id": "nowhere", "start_date": "2026-01-01", "end_date": "2026-01-05"}
    with pytest.raises(NotYetAvailable) as err:
        await cases.create_application(mongo=mongo, principal=who("inst"), kind="installation", form=form)
    assert err.value.slug == "project-not-yet-known" and err.value.field == "form.project_id"


async def test_heb07_expired_or_wrong_certificate_refused_naming_the_operator(env):
    """HEB-07/11 (建质〔2008〕75号) an operator's certificate comes from personnel's read model:
    expired → 422 ``certificate-expired``, a signaller's certificate for a driver → 422
    ``certificate-category-mismatch``, an unknown person → 409 ``person-not-yet-known``; each
    naming ``form.operators.<i>.person_id``."""
    mongo, _ = env
    m1 = await filed_machine(env)
    await install(env, m1, "project-A")
    await add_person(mongo, "old", expires_on=utcnow().date() - timedelta(days=1))
    await add_person(mongo, "sig", category="signaller_rigger")
    for people, error, slug in ((["wang", "old"], Unprocessable, "certificate-expired"),
                                (["sig"], Unprocessable, "certificate-category-mismatch"),
                                (["ghost"], NotYetAvailable, "person-not-yet-known")):
        with pytest.raises(error) as err:
            await register(env, m1, "project-A", people)
        assert err.value.slug == slug
        assert err.value.field == f"form.operators.{len(people) - 1}.person_id"


async def test_heb07_unlock_only_by_the_authority_of_the_jurisdiction(env):
    """HEB-07 the operator is unlocked by the registration's authority or one above it (the
    province office), never by another city's authority (403 ``outside-jurisdiction``)."""
    mongo, _ = env
    await _org(mongo, "office", "authority", "130000")
    await _org(mongo, "tangshan", "authority", "130200")
    m1 = await filed_machine(env)
    await install(env, m1, "project-A")
    await register(env, m1, "project-A", ["wang"])
    tangshan = Principal(user_id="u-ts", tenant=T, org_id="tangshan", roles=["supervisor"], org_kind="authority")
    with pytest.raises(Forbidden) as err:
        await cases.unlock_operator(mongo=mongo, principal=tangshan, person_id="wang", reason="调离")
    assert err.value.slug == "outside-jurisdiction"
    office = Principal(user_id="u-of", tenant=T, org_id="office", roles=["supervisor"], org_kind="authority")
    released = await cases.unlock_operator(mongo=mongo, principal=office, person_id="wang", reason="调离")
    assert released["person_id"] == "wang"


async def test_heb06_registry_is_paginated_with_places(env):
    """HEB-06/14 ``registry`` pages with the shared cursor codec; each machine says where it
    stands (project id and name)."""
    mongo, _ = env
    ids = [await filed_machine(env, f"R-{i}") for i in range(3)]
    await install(env, ids[0], "project-A")
    first = await cases.registry(mongo=mongo, principal=who("auth"), limit=2)
    assert len(first.items) == 2 and first.next_cursor
    rest = await cases.registry(mongo=mongo, principal=who("auth"), limit=2, cursor=first.next_cursor)
    assert [m["_id"] for m in first.items + rest.items] == ids and rest.next_cursor is None
    assert first.items[0]["project_name"] == "project-A 工程"
    assert (await cases.registry(mongo=mongo, principal=who("con"), limit=10)).items == []


# ------------------------------------------------------------------ HEB-07 sign, HEB-06 export

BASE = "https://anjian.example.cn"


def pdftotext(pdf: bytes) -> str:
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed"
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode("utf-8").replace(" ", "").replace("\n", "")


@pytest.fixture(scope="module")
def font():
    s = Settings()
    return resolve_cjk_font(s.cjk_font_path, s.cjk_font_subfont_index, s.cjk_font_candidates)


async def _approved_registration(env) -> tuple[str, dict]:
    mongo, _ = env
    m1 = await filed_machine(env)
    await install(env, m1, "project-A")
    app = await register(env, m1, "project-A", ["wang"])
    await cases.decide(mongo=mongo, principal=who("auth"), app_id=app["_id"], action="accept")
    return m1, await cases.decide(mongo=mongo, principal=who("auth"), app_id=app["_id"], action="approve")


async def test_heb07_sign_pdf_shows_number_machine_project_operators(env, font):
    """HEB-07 (建设部令第166号: the sign is fixed to the machine) the PDF carries the
    registration number, the machine, the project and the operators."""
    mongo, _ = env
    _, reg = await _approved_registration(env)
    name, pdf = await signs.sign_pdf(mongo=mongo, principal=who("con"), app_id=reg["_id"], font=font,
                                     public_base_url=BASE)
    assert pdf.startswith(b"%PDF") and reg["number"] in name
    text = pdftotext(pdf)
    for expected in ("建筑起重机械使用登记标志", reg["number"], "塔式起重机", "QTZ80", "中联重科", "F-001",
                     "project-A工程", "wang", "司机", "C-wang", "有效", "扫码查看登记状态"):
        assert expected in text, expected
    with pytest.raises(NotFound):  # another contractor does not see it
        await signs.sign_pdf(mongo=mongo, principal=who("con2"), app_id=reg["_id"], font=font, public_base_url=BASE)


async def test_heb07_sign_only_for_an_approved_registration(env, font):
    """HEB-07 a registration still under review has no sign (409 ``registration-not-approved``)."""
    mongo, _ = env
    m1 = await filed_machine(env)
    await install(env, m1, "project-A")
    app = await register(env, m1, "project-A", ["wang"])
    with pytest.raises(Conflict) as err:
        await signs.sign_pdf(mongo=mongo, principal=who("con"), app_id=app["_id"], font=font, public_base_url=BASE)
    assert err.value.slug == "registration-not-approved"


async def test_heb07_public_status_valid_then_dismantled_unknown_token_404(env):
    """HEB-07/15 the QR code's page needs no sign-in, shows only what the sign shows, and
    turns to ``dismantled`` once the dismantling notification is confirmed."""
    mongo, _ = env
    m1, reg = await _approved_registration(env)
    token = reg["sign_token"]
    assert token.startswith("hebei.") and len(token) > 30
    shown = await signs.public_status(mongo=mongo, token=token)
    assert shown["status"] == "valid" and shown["registration_number"] == reg["number"]
    assert shown["project_name"] == "project-A 工程" and shown["machine"]["model"] == "QTZ80"
    assert "operators" not in shown and "applicant" not in shown
    form = {"machine_id": m1, "project_id": "project-A", "start_date": "2026-02-01", "end_date": "2026-02-02"}
    dis = await cases.create_application(mongo=mongo, principal=who("inst"), kind="dismantling", form=form)
    await cases.submit_application(mongo=mongo, principal=who("inst"), app_id=dis["_id"], authority_org_id=None)
    await cases.decide(mongo=mongo, principal=who("auth"), app_id=dis["_id"], action="accept")
    await cases.decide(mongo=mongo, principal=who("auth"), app_id=dis["_id"], action="approve")
    assert (await signs.public_status(mongo=mongo, token=token))["status"] == "dismantled"
    for bad in (token[:-2] + "xx", "hubei." + token.split(".", 1)[1], "no-tenant-token"):
        with pytest.raises(NotFound):
            await signs.public_status(mongo=mongo, token=bad)


async def test_heb06_registry_xlsx_cells(env):
    """HEB-06 the registry export: machine with its filing, the project where it stands and
    who operates it; a company exports only its own machines."""
    mongo, _ = env
    m1, reg = await _approved_registration(env)
    data = await signs.registry_xlsx(mongo=mongo, principal=who("auth"), max_rows=100)
    ws = load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "备案编号" and rows[0][8] == "所在工程"
    assert len(rows) == 2
    filing, kind, model, maker, factory, _, owner, status, project, operators = rows[1]
    assert filing.endswith("-T-" + filing.split("-T-")[1]) and kind == "塔式起重机" and model == "QTZ80"
    assert (maker, factory, owner, status, project) == ("中联重科", "F-001", "lease", "已备案", "project-A 工程")
    assert operators == "wang（司机）"
    own = load_workbook(io.BytesIO(await signs.registry_xlsx(mongo=mongo, principal=who("con"), max_rows=100)))
    assert len(list(own.active.iter_rows(values_only=True))) == 1


async def test_heb02_home_status_of_the_companys_applications(env):
    """HEB-02 the home page counts the organisation's applications per kind and stage (在办 /
    办结) and, for an authority, its inbox."""
    mongo, _ = env
    await filed_machine(env)
    await cases.create_application(mongo=mongo, principal=who("lease"), kind="filing", form=crane("F-9"))
    mine = await cases.status_summary(mongo=mongo, principal=who("lease"))
    assert mine["by_kind"]["filing"]["kind_label"] == "设备备案"
    assert mine["by_kind"]["filing"]["stages"] == {"approved": 1, "draft": 1}
    assert (mine["in_progress"], mine["completed"]) == (1, 1) and "inbox" not in mine
    m2 = await filed_machine(env, "F-10")
    await install(env, m2, "project-A")
    authority = await cases.status_summary(mongo=mongo, principal=who("auth"))
    assert authority["inbox"] == {"submitted": 1, "accepted": 0}

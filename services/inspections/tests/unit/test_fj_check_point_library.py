"""FJ-06 check points (检查要点): the province's catalog is a third tenant-editable library,
seeded from the JGJ 59-2011 check tables (labelled ``JGJ59-2011``); a point may cite items of
the hazard catalog, a 2024 major-hazard item flags it; it needs no supervision-records switch."""

from __future__ import annotations

import pytest

from anjian_shared.errors import Forbidden, Unprocessable
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from inspections.adapters.records_store import CHECK_POINTS, seed_library
from inspections.adapters.repositories import CATALOG
from inspections.domain.libraries import CHECK_POINT_SOURCE, Library
from inspections.service_layer import libraries as cases
from inspections.settings import Settings

TENANT = "fujian"


def admin() -> Principal:
    return Principal(user_id="u-admin", tenant=TENANT, org_id="org-prov", roles=["province_admin"],
                     org_kind="authority")


def test_fj06_seed_is_the_jgj59_items_labelled():
    """FJ-06: every seeded point comes from a JGJ 59-2011 check table and says so."""
    seeded = seed_library(Library.CHECK_POINTS)
    assert len(seeded) > 150
    assert {p["source"] for p in seeded} == {CHECK_POINT_SOURCE} == {"JGJ59-2011"}
    assert all(p["code"].startswith("JGJ59-") and p["reference"].startswith("JGJ 59-2011") for p in seeded)


async def test_fj06_province_admin_adds_a_major_point_others_may_not():
    """FJ-06: the province admin adds a point citing ZD2024-7.2; unknown codes 422; a company user 403;
    reading needs no supervision-records feature."""
    mongo = FakeDatabase(service="inspections")
    await mongo.repo(CATALOG, TENANT).insert({"_id": f"{TENANT}:ZD2024-7.2", "code": "ZD2024-7.2", "major": True})
    settings = Settings(supervision_records_default=False)
    made = await cases.create_entry(mongo=mongo, settings=settings, principal=admin(), library=Library.CHECK_POINTS,
                                    fields={"code": "FJ-01", "text": "连墙件", "hazard_codes": ["ZD2024-7.2"]})
    assert made["hazard_codes"] == ["ZD2024-7.2"] and made["source"] == "tenant" and made["major"] is True
    changed = await cases.update_entry(mongo=mongo, settings=settings, principal=admin(),
                                       library=Library.CHECK_POINTS, code="FJ-01", changes={"hazard_codes": []})
    assert changed["major"] is False
    with pytest.raises(Unprocessable) as e:
        await cases.create_entry(mongo=mongo, settings=settings, principal=admin(), library=Library.CHECK_POINTS,
                                 fields={"text": "x", "hazard_codes": ["NOPE"]})
    assert e.value.field == "hazard_codes"
    company = Principal(user_id="u-c", tenant=TENANT, org_id="org-c", roles=["company_staff"], org_kind="company")
    with pytest.raises(Forbidden):
        await cases.update_entry(mongo=mongo, settings=settings, principal=company, library=Library.CHECK_POINTS,
                                 code="FJ-01", changes={"text": "改"})
    page = await cases.list_entries(mongo=mongo, settings=settings, principal=company, library=Library.CHECK_POINTS,
                                    q="连墙", check_type=None, limit=10, cursor=None)
    assert [d["code"] for d in page.items] == ["FJ-01"]
    assert await mongo.repo(CHECK_POINTS, TENANT).count({}) == 1

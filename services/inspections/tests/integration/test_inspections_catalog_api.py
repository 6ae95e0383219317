"""The hazard catalog (隐患库) over HTTP: seeded for every tenant from the reference data (HB-04)."""

from __future__ import annotations

from inspections_testkit import API

from anjian_local.scenario import expect
from inspections.adapters.seed import seed_tenant_catalog


async def test_check_tables_are_the_19_jgj59_tables_with_their_items(platform, world):
    async with platform.api(world.token("zhang")) as c:
        tables = expect(await c.get(f"{API}/catalog/check-tables"), 200)
    assert len(tables) == 19
    assert [t["code"] for t in tables][:2] == ["A.0.1", "A.0.2"] and tables[-1]["code"] == "A.0.19"
    first = tables[0]
    assert first["name"] == "安全管理" and len(first["items"]) == 10
    item = first["items"][0]
    assert (item["code"], item["name"], item["kind"], item["points"], item["major"]) == (
        "JGJ59-A.0.1-01", "安全生产责任制", "保证项目", 10, False)


async def test_search_finds_jgj59_and_major_hazard_items(platform, world):
    async with platform.api(world.token("zhang")) as c:
        major = expect(await c.get(f"{API}/catalog/items", params={"source": "major2024", "limit": 100}), 200)
        assert len(major["items"]) == 53 and major["next_cursor"] is None
        assert all(i["major"] and i["code"].startswith("ZD2024-") for i in major["items"])
        flagged = expect(await c.get(f"{API}/catalog/items", params={"major": "true", "limit": 100}), 200)
        assert {i["code"] for i in flagged["items"]} == {i["code"] for i in major["items"]}

        hits = expect(await c.get(f"{API}/catalog/items", params={"q": "施工方案", "limit": 100}), 200)["items"]
        sources = {i["source"] for i in hits}
        assert sources == {"jgj59", "major2024"}, hits
        assert all("施工方案" in (i["name"] + (i["text"] or "")) for i in hits)
        assert "ZD2024-4.4" in {i["code"] for i in hits} and "JGJ59-A.0.3-01" in {i["code"] for i in hits}

        table = expect(await c.get(f"{API}/catalog/items", params={"table": "A.0.1", "limit": 100}), 200)["items"]
        assert [i["code"] for i in table] == [f"JGJ59-A.0.1-{n:02d}" for n in range(1, 11)]


async def test_article_5_item_4_lists_its_precursors(platform, world):
    async with platform.api(world.token("li")) as c:
        item = expect(await c.get(f"{API}/catalog/items/ZD2024-5.4"), 200)
        assert item["article"] == 5 and item["category"] == "基坑、边坡工程" and len(item["precursors"]) == 4
        hits = expect(await c.get(f"{API}/catalog/items", params={"q": "管涌"}), 200)["items"]
        assert [i["code"] for i in hits] == ["ZD2024-5.4"]


async def test_catalog_pages_with_a_cursor_through_every_item(platform, world):
    seen: list[str] = []
    cursor = None
    async with platform.api(world.token("zhang")) as c:
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = expect(await c.get(f"{API}/catalog/items", params=params), 200)
            seen += [i["code"] for i in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert (await c.get(f"{API}/catalog/items", params={"cursor": "%%%"})).json()["field"] == "cursor"
    tables = sum(1 for code in seen if code.startswith("JGJ59-"))
    assert len(seen) == len(set(seen)) == tables + 53 and tables == 188


async def test_unknown_item_is_404_and_bad_filter_is_422(platform, world):
    async with platform.api(world.token("zhang")) as c:
        assert (await c.get(f"{API}/catalog/items/JGJ59-A.0.99-01")).status_code == 404
        r = await c.get(f"{API}/catalog/items", params={"source": "gb50000"})
        assert r.status_code == 422 and r.json()["field"] == "source"


async def test_every_tenant_has_its_own_copy_and_seeding_is_idempotent(platform, world):
    mongo = platform.app("inspections").state.mongo
    for tenant in ("hubei", "hainan", "fujian", "hunan", "hebei"):
        assert await mongo.repo("catalog", tenant).count({}) == 188 + 53
        assert await seed_tenant_catalog(mongo, tenant) == 0
    async with platform.api(await platform.admin_token("hebei")) as c:
        item = expect(await c.get(f"{API}/catalog/items/ZD2024-4.1"), 200)
    assert item["code"] == "ZD2024-4.1"


async def test_catalog_needs_a_token(platform):
    async with platform.api() as c:
        assert (await c.get(f"{API}/catalog/items")).status_code == 401

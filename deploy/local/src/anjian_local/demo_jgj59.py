"""``make demo``, JGJ 59-2011 safety check evaluation (安全检查评分, issue 15): 张伟 scores the
Hubei demo project on six check tables over HTTP, one request per step:

draft (the platform scores it) → a photo for every deduction → submit without a
rectification deadline (refused: the grade is 不合格) → submit with one → the PDF
(汇总表 and each table's sheet) is written to the demo output folder.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from anjian_shared.china_time import china_day

from .demo import Say
from .media import site_photo
from .scenario import ApiFactory, World, expect

API = "/api/inspections/v1/evaluations"
TABLES: list[dict[str, Any]] = [
    {"code": "A.0.1", "items": [  # 安全管理: 安全教育 (保证项目) fully deducted → the table scores 0
        {"no": 5, "deduction": 10, "finding": "新进场工人未经三级安全教育，无教育记录"},
        {"no": 8, "deduction": 2, "finding": "2名电工证书过期"}]},
    {"code": "A.0.2", "items": [{"no": 3, "deduction": 4, "finding": "材料堆放混乱，未挂标牌"}]},
    {"code": "A.0.3", "items": [{"no": 7, "deduction": 6, "finding": "3#楼外架横向水平杆缺失"}]},
    {"code": "A.0.8", "items": [{"no": 8, "deduction": 5, "finding": "悬挑层底部未封闭"}]},
    {"code": "A.0.13", "applicable": False},  # 高处作业 recorded as 缺项 for the demo
    {"code": "A.0.14", "items": [{"no": 6, "deduction": 3, "finding": "配电箱门未上锁"}]},
    {"code": "A.0.17", "items": [{"no": 2, "deduction": 4, "finding": "1#塔吊力矩限制器灵敏度不足"}]},
]


async def play_jgj59(api: ApiFactory, world: World, *, out_dir: Path, say: Say = print) -> dict[str, Any]:
    """Play the evaluation; returns ``{evaluation_id, total, grade_label, pdf_path}``."""
    zhang = world.people["zhang"]
    today = china_day(datetime.now(UTC))
    say("⑧ 张伟按 JGJ 59-2011 对项目进行安全检查评分（安全检查评分，issue 15）")
    async with api(zhang.token) as c:
        ev = expect(await c.post(API, json={"project_id": world.project_id, "check_date": today.isoformat(),
                                            "tables": TABLES}), 201)
        for t in ev["summary"]["tables"]:
            score = "缺项" if t["score"] is None else f"{t['score']} 分"
            mark = "（分值未核验）" if not t["verified"] else ""
            say(f"   {t['code']} {t['name']}：{score}{mark}")
        for table in TABLES:
            for n, item in enumerate(table.get("items", [])):
                expect(await c.post(f"{API}/{ev['id']}/photos", data={"table_code": table["code"],
                                                                      "item_no": str(item["no"])},
                                    files=[("photos", (f"{table['code']}-{item['no']}.jpg", site_photo(20 + n),
                                                       "image/jpeg"))]), 200)
        refused = await c.post(f"{API}/{ev['id']}/submit", json={})
        assert refused.status_code == 422, refused.text
        say(f"   不带整改期限提交被拒绝：{refused.json()['title']}（{refused.json()['code']}）")
        deadline = (today + timedelta(days=15)).isoformat()
        done = expect(await c.post(f"{API}/{ev['id']}/submit", json={"rectification_deadline": deadline}), 200)
        s = done["summary"]
        say(f"   汇总：ΣA1 = {s['weighted_sum']} / ΣB = {s['weight_checked']} × 100 = {s['total']} 分；"
            f"评定等级 {s['grade_label']}（零分表：{'、'.join(s['zero_tables']) or '无'}），整改期限 {deadline}")
        pdf = await c.get(f"{API}/{ev['id']}/pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text[:200]
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"jgj59-evaluation-{ev['id']}.pdf"
    path.write_bytes(pdf.content)
    say(f"   评分表 PDF 已写入 {path}（{len(pdf.content)} 字节）")
    return {"evaluation_id": ev["id"], "total": s["total"], "grade_label": s["grade_label"], "pdf_path": path}

"""Problem details in Chinese (issue 11, "for the people building front ends").

Every problem code the services can answer with is collected from their source (every
``slug=`` of a raised error, every error class's ``slug``, the f-string codes expanded from
what they are built of, the HTTP edge's codes, the gateway's own problems) and must have a
Chinese title in ``anjian_shared.problem_titles.TITLES_ZH`` and a row in the README's table.
A problem body carries ``code`` and that Chinese ``title``; a validation error names the field
and the rule in Chinese and English and never passes pydantic's wording ("Input should be…",
"Field required") through.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Query
from pydantic import BaseModel, Field

from anjian_shared.errors import Conflict, Forbidden, NotYetAvailable, Unprocessable
from anjian_shared.problem_titles import TITLES_ZH, markdown_table
from anjian_shared.problems import HTTP_STATUS_CODES, PROBLEM_BASE, install_problem_handlers

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [ROOT / "shared" / "src", *sorted((ROOT / "services").glob("*/src"))]
GATEWAY_CONFS = [ROOT / "deploy" / "gateway" / "nginx-local.conf.tmpl", ROOT / "deploy" / "gateway" / "compose.conf"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _constant(node: ast.AST, consts: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return consts.get(node.id)
    return None


def _review_subjects(trees: list[ast.Module]) -> set[str]:
    """``subject=`` of every ``decide(…)`` call, plus its default (``submission``)."""
    subjects = {"submission"}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "decide":
                for kw in node.keywords:
                    if kw.arg == "subject" and isinstance(kw.value, ast.Constant):
                        subjects.add(kw.value.value)
    return subjects


def _oauth_errors(trees: list[ast.Module]) -> set[str]:
    """The RFC 6749 ``error`` of every ``OAuthError(status, "<error>", …)`` raised."""
    errors = set()
    for tree in trees:
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "OAuthError"
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)):
                errors.add(node.args[1].value)
    return errors


def collect_codes() -> tuple[dict[str, set[str]], list[str]]:
    """Every code the sources can produce → where; and the ``slug=`` expressions not understood."""
    trees: dict[Path, ast.Module] = {p: ast.parse(p.read_text(encoding="utf-8"))
                                     for src in SOURCES for p in sorted(src.rglob("*.py"))}
    from notices.domain.model import NoticeStatus

    subjects, oauth = _review_subjects(list(trees.values())), _oauth_errors(list(trees.values()))
    dynamic = {
        "{subject}-already-reviewed": [f"{s}-already-reviewed" for s in subjects],
        "{subject}-not-pending-review": [f"{s}-not-pending-review" for s in subjects],
        "oauth-{error.replace('_', '-')}": [f"oauth-{e.replace('_', '-')}" for e in oauth],
        "notice-{status.value.replace('_', '-')}": [f"notice-{s.value.replace('_', '-')}" for s in NoticeStatus],
        "notice-{self.status.value.replace('_', '-')}": [f"notice-{s.value.replace('_', '-')}" for s in NoticeStatus],
    }
    codes: dict[str, set[str]] = {}
    unknown: list[str] = []
    for path, tree in trees.items():
        where = str(path.relative_to(ROOT))
        consts = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                  for t in n.targets if isinstance(t, ast.Name)
                  and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)}
        for node in ast.walk(tree):
            values: list[ast.AST] = []
            if isinstance(node, ast.keyword) and node.arg == "slug":
                values.append(node.value)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id == "slug":
                        values.append(node.value)
                    elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                        values += [v for t, v in zip(target.elts, node.value.elts, strict=False)
                                   if isinstance(t, ast.Name) and t.id == "slug"]
            while values:
                value = values.pop()
                if isinstance(value, ast.IfExp):  # slug="a" if … else "b": both can be produced
                    values += [value.body, value.orelse]
                    continue
                text = _constant(value, consts)
                if text is not None:
                    codes.setdefault(text, set()).add(where)
                elif isinstance(value, ast.JoinedStr):
                    pattern = ast.unparse(value)[2:-1]  # f'…' → …
                    if pattern in dynamic:
                        for code in dynamic[pattern]:
                            codes.setdefault(code, set()).add(where)
                    else:
                        unknown.append(f"{where}: slug={ast.unparse(value)}")
                elif not (isinstance(value, ast.Attribute) and value.attr == "slug") and not (
                        isinstance(value, ast.Name) and value.id == "slug"):  # passed through: counted where made
                    unknown.append(f"{where}: slug={ast.unparse(value)}")
    for code in HTTP_STATUS_CODES.values():
        codes.setdefault(code, set()).add("anjian_shared.problems (HTTP edge)")
    for code in ("internal-error", "service-unavailable", "validation-error"):
        codes.setdefault(code, set()).add("anjian_shared.problems")
    for conf in GATEWAY_CONFS:
        for code in re.findall(re.escape(PROBLEM_BASE) + r"([a-z0-9-]+)", conf.read_text(encoding="utf-8")):
            codes.setdefault(code, set()).add(str(conf.relative_to(ROOT)))
    return codes, unknown


def test_every_problem_code_the_services_can_produce_has_a_chinese_title() -> None:
    codes, unknown = collect_codes()
    assert not unknown, f"codes built in a way this test cannot expand (add them to collect_codes): {unknown}"
    assert len(codes) > 80  # the collection really found the services' codes
    missing = {code: sorted(where) for code, where in codes.items() if code not in TITLES_ZH}
    assert not missing, f"add a Chinese title to anjian_shared.problem_titles.TITLES_ZH for: {missing}"
    not_chinese = [code for code in codes if not CJK.search(TITLES_ZH[code])]
    assert not not_chinese


def test_the_readme_documents_every_code_in_one_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, "README's problem-code table differs: python -m anjian_shared.problem_titles"


class Body(BaseModel):
    title: str = Field(min_length=1, max_length=5)
    count: int = Field(ge=1)
    kind: str = Field(pattern="^(a|b)$")


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things")
    async def things(body: Body) -> dict:
        return {}

    @app.get("/list")
    async def listing(limit: int = Query(20, ge=1, le=100)) -> dict:
        return {}

    @app.post("/refuse/{what}")
    async def refuse(what: str) -> dict:
        raise {"state": Conflict("plan already submitted", slug="plan-submitted"),
               "who": Forbidden("only a reviewer decides", slug="not-a-reviewer"),
               "later": NotYetAvailable("record on its way"),
               "field": Unprocessable("record rejected", field="record_id", slug="record-rejected")}[what]

    return app


async def _call(method: str, url: str, **kw) -> httpx.Response:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t") as c:
        return await c.request(method, url, **kw)


@pytest.mark.parametrize(("what", "code", "zh"), [
    ("state", "plan-submitted", "检查计划已提交，不可修改"),
    ("who", "not-a-reviewer", "您不是该事项的审核人"),
    ("later", "not-yet-available", "数据尚未就绪，请稍后重试"),
    ("field", "record-rejected", "所引用的监督记录审核未通过"),
])
async def test_a_domain_problem_carries_its_code_and_chinese_title(what, code, zh) -> None:
    r = await _call("POST", f"/refuse/{what}")
    body = r.json()
    assert body["code"] == code and body["type"] == PROBLEM_BASE + code
    assert body["title"] == zh
    assert body["title_en"] and body["detail"]
    assert r.headers["content-language"] == "zh-CN"


async def test_validation_errors_name_field_and_rule_in_chinese_and_english_never_pydantics_words() -> None:
    r = await _call("POST", "/things", json={"title": "far too long", "kind": "c"})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "validation-error" and body["title"] == "请求内容不符合要求"
    by_field = {e["field"]: e for e in body["errors"]}
    assert set(by_field) == {"title", "count", "kind"}
    assert by_field["count"]["code"] == "missing" and by_field["count"]["message"] == "count：必填 (count: required)"
    assert by_field["title"]["code"] == "string_too_long"
    assert by_field["title"]["message"] == "title：最多 5 个字符 (title: at most 5 characters)"
    assert by_field["kind"]["code"] == "string_pattern_mismatch" and "格式" in by_field["kind"]["message"]
    text = r.text
    for raw in ("Input should", "Field required", "String should", "should have", "Value error"):
        assert raw not in text, raw


async def test_query_and_json_errors_are_worded_by_the_platform_too() -> None:
    r = await _call("GET", "/list", params={"limit": "lots"})
    e = r.json()["errors"][0]
    assert (e["field"], e["code"]) == ("limit", "int_parsing")
    assert e["message"] == "limit：应为整数 (limit: must be an integer)"
    r = await _call("GET", "/list", params={"limit": "500"})
    assert r.json()["errors"][0]["message"] == "limit：不能大于 100 (limit: at most 100)"
    r = await _call("POST", "/things", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["errors"][0]["message"]
    assert "Input should" not in r.text and "JSON decode error" not in r.text


async def test_an_unknown_route_and_method_answer_with_code_and_chinese_title() -> None:
    r = await _call("GET", "/nowhere")
    assert r.status_code == 404 and r.json()["code"] == "not-found" and CJK.search(r.json()["title"])
    r = await _call("DELETE", "/things")
    assert r.status_code == 405 and r.json()["code"] == "method-not-allowed" and CJK.search(r.json()["title"])

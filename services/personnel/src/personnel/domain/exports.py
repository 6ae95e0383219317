"""Hunan agencies' exports (HUN-03): what each table holds and how its totals add up. Pure rules.

One table shape for every export: a title, headers ``(label, width in characters)``, rows and a
total row (合计) that is the column sum of the rows (numeric columns only; text columns blank).
The adapter renders the same table as XLSX (download) and PDF (preview/print).

Tables (the manual's 监督机构基本情况汇总 → 导出…):

- ``annual_summary`` 省/市级机构情况年度汇总表: one row per agency of the province or of one
  city for a year: kind, approved headcount, staff, certificate holding, supervised projects
  (HUN-06), funding (HUN-07), qualification (HUN-08).
- ``survey`` 质量安全监督合署 / 独立质量 / 独立安全 / 全部监督机构调查汇总表: one row per agency
  of that kind (``all``: every kind): the staffing structure of the year (HUN-04) by post,
  education, title and age band.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from anjian_shared import divisions
from anjian_shared.errors import Forbidden, Unprocessable

from . import agencies as rules

FORMATS = ("pdf", "xlsx")
SURVEY_KINDS = ("combined", "quality", "safety", "all")
KIND_ZH = {"combined": "质量安全监督合署机构", "quality": "独立质量监督机构", "safety": "独立安全监督机构",
           "all": "全部监督机构"}
QUALIFICATION_ZH = {"not_filed": "未填报", "pending": "待验证", "verified": "已验证", "rejected": "未通过",
                    "expired": "已过期"}
POST_ZH = {"leader": "机构负责人", "technical_leader": "技术负责人", "supervisor": "监督人员",
           "administrative": "行政人员", "other": "其他"}
EDUCATION_ZH = {"doctorate": "博士", "master": "硕士", "bachelor": "本科", "college": "大专",
                "secondary_or_below": "中专及以下"}
TITLE_ZH = {"senior": "正高级", "vice_senior": "副高级", "intermediate": "中级", "junior": "初级", "none": "无职称"}
AGE_ZH = {"35_or_under": "35岁及以下", "36_45": "36-45岁", "46_55": "46-55岁", "56_or_over": "56岁及以上"}
HOLDING_ZH = {"two": "持两证", "one": "持一证", "none": "无证"}
TOTAL = "合计"


@dataclass(frozen=True)
class Table:
    """One export: ``title`` (also the file name), ``headers`` (label, width), ``rows`` and the
    ``total`` row (None for a one-agency record); ``subtitle`` names scope and year."""

    title: str
    subtitle: str
    headers: Sequence[tuple[str, int]]
    rows: list[list[Any]]
    total: list[Any] | None = None
    numeric: frozenset[int] = field(default_factory=frozenset)
    """0-based indexes of the summed columns."""


def pick_format(query: str | None, accept: str | None) -> str:
    """``?format=pdf|xlsx`` wins; otherwise the Accept header: the XLSX media type (or
    ``application/vnd.ms-excel``) asks for XLSX, anything else (``application/pdf``, ``*/*``,
    none) gets the PDF preview. 422 naming ``format`` for another value."""
    if query is not None:
        if query not in FORMATS:
            raise Unprocessable("format must be pdf or xlsx", field="format", slug="export-format-unknown")
        return query
    accept = (accept or "").lower()
    if "spreadsheetml" in accept or "ms-excel" in accept:
        return "xlsx"
    return "pdf"


def summary_scope(division_code: str | None, actor_division: str | None, *, province_office: bool,
                  actor_kind: str | None) -> str:
    """The GB/T 2260 prefix an annual summary covers (HUN-03): ``None`` → the province's
    summary, for the province office only (403 ``not-province-office``); a city code → that
    city's, for the province office or the city itself (its authority or its city-level agency);
    a county or unknown code → 422 naming ``division_code``; another city → 403
    ``summary-outside-jurisdiction``. Returns the prefix (``43`` or ``4301``)."""
    if division_code is None:
        if not province_office:
            raise Forbidden("only the province office exports the province's summary", slug="not-province-office")
        return ""
    division = divisions.get(division_code)
    if division is None or division.level != "city":
        raise Unprocessable("division_code must be a city (地级) code", field="division_code",
                            slug="division-not-a-city")
    if province_office or (actor_kind in ("authority", "agency") and actor_division == division_code):
        return division_code[:4]
    raise Forbidden("that city is outside the caller's jurisdiction", slug="summary-outside-jurisdiction")


def _num(value: Any) -> float | int:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def totals(rows: Iterable[Sequence[Any]], numeric: Iterable[int], width: int) -> list[Any]:
    """The 合计 row: column sums of ``numeric`` columns (blank → 0; floats rounded to 4 places),
    ``TOTAL`` in column 0, other columns empty."""
    rows = list(rows)
    out: list[Any] = [""] * width
    out[0] = TOTAL
    for c in numeric:
        s = sum(_num(r[c]) for r in rows)
        out[c] = round(s, 4) if isinstance(s, float) else s
    return out


SUMMARY_HEADERS: tuple[tuple[str, int], ...] = (
    ("机构名称", 28), ("行政区划", 10), ("机构类型", 18), ("核定编制", 9), ("在职人数", 9), ("持两证", 8),
    ("持一证", 8), ("无证", 8), ("监督工程(个)", 11), ("新增工程", 9), ("竣工工程", 9), ("建筑面积(万㎡)", 13),
    ("工程造价(万元)", 13), ("经费收入(万元)", 13), ("经费支出(万元)", 13), ("资格验证", 10))
SUMMARY_NUMERIC = frozenset({3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})


def summary_row(item: Mapping[str, Any]) -> list[Any]:
    """One agency's row of the annual summary (named as in its basic information, else as in the
    directory) from ``item``: ``agency`` (org document),
    ``basic_info`` (or None), ``staffing`` (structure or None when the year has none),
    ``projects``/``funding`` figure documents (or None), ``qualification_status``. Missing parts
    are blank cells (they count 0 in the total)."""
    basic = item.get("basic_info") or {}
    staffing = item.get("staffing")
    holding = (staffing or {}).get("by_certificate_holding") or {}
    projects = (item.get("projects") or {}).get("figures") or {}
    funding = (item.get("funding") or {}).get("figures") or {}
    org = item["agency"]

    def fig(doc: Mapping[str, Any], key: str) -> Any:
        return doc.get(key) if doc else None

    income = (round(_num(funding.get("fiscal_10k_yuan")) + _num(funding.get("other_income_10k_yuan")), 4)
              if funding else None)
    spent = (round(sum(_num(funding.get(k)) for k in (
        "personnel_costs_10k_yuan", "operating_costs_10k_yuan", "equipment_costs_10k_yuan")), 4) if funding else None)
    return [basic.get("name") or org.get("name", ""), org.get("division_code") or "",
            KIND_ZH.get(basic.get("kind", ""), ""), basic.get("approved_headcount"),
            staffing["total"] if staffing else None,
            holding.get("two") if staffing else None, holding.get("one") if staffing else None,
            holding.get("none") if staffing else None,
            fig(projects, "projects"), fig(projects, "new_projects"), fig(projects, "completed_projects"),
            fig(projects, "floor_area_10k_m2"), fig(projects, "investment_10k_yuan"), income, spent,
            QUALIFICATION_ZH.get(item.get("qualification_status", "not_filed"), "")]


def annual_summary(items: Sequence[Mapping[str, Any]], *, year: int, scope_name: str, city: bool) -> Table:
    """HUN-03 省/市级机构情况年度汇总表 of ``year``: a row per agency (by division, then name)
    and the 合计 row."""
    rows = [summary_row(i) for i in sorted(items, key=lambda i: (i["agency"].get("division_code") or "",
                                                                  i["agency"].get("name", "")))]
    title = f"{'市' if city else '省'}级监督机构情况年度汇总表"
    return Table(title=title, subtitle=f"{scope_name} {year}年度", headers=SUMMARY_HEADERS, rows=rows,
                 total=totals(rows, SUMMARY_NUMERIC, len(SUMMARY_HEADERS)), numeric=SUMMARY_NUMERIC)


SURVEY_HEADERS: tuple[tuple[str, int], ...] = (
    ("机构名称", 28), ("行政区划", 10), ("机构类型", 18), ("核定编制", 9), ("在职人数", 9),
    *((POST_ZH[p], 9) for p in rules.POSTS), *((EDUCATION_ZH[e], 8) for e in rules.EDUCATION),
    *((TITLE_ZH[t], 8) for t in rules.TITLES), *((AGE_ZH[a], 10) for a in rules.AGE_BANDS),
    *((HOLDING_ZH[h], 8) for h in ("two", "one", "none")))
SURVEY_NUMERIC = frozenset(range(3, len(SURVEY_HEADERS)))


def survey_row(item: Mapping[str, Any]) -> list[Any]:
    """One agency's row of a survey: basic information and the year's staffing structure by
    post, education, title, age band and certificate holding (blank without a structure)."""
    basic = item.get("basic_info") or {}
    s = item.get("staffing")
    org = item["agency"]
    row: list[Any] = [basic.get("name") or org.get("name", ""), org.get("division_code") or "",
                      KIND_ZH.get(basic.get("kind", ""), ""),
                      basic.get("approved_headcount"), s["total"] if s else None]
    for dim, codes in (("by_post", rules.POSTS), ("by_education", rules.EDUCATION), ("by_title", rules.TITLES),
                       ("by_age_band", rules.AGE_BANDS), ("by_certificate_holding", ("two", "one", "none"))):
        row += [s[dim].get(c, 0) if s else None for c in codes]
    return row


def survey(items: Sequence[Mapping[str, Any]], *, kind: str, year: int, scope_name: str) -> Table:
    """HUN-03 调查汇总表 of the agencies of ``kind`` (``all``: every agency, also those that
    have not filed a kind yet) for ``year``, with the 合计 row. 422 naming ``kind`` otherwise."""
    if kind not in SURVEY_KINDS:
        raise Unprocessable(f"kind must be one of {', '.join(SURVEY_KINDS)}", field="kind")
    chosen = [i for i in items if kind == "all" or (i.get("basic_info") or {}).get("kind") == kind]
    rows = [survey_row(i) for i in sorted(chosen, key=lambda i: (i["agency"].get("division_code") or "",
                                                                   i["agency"].get("name", "")))]
    return Table(title=f"{KIND_ZH[kind]}调查汇总表", subtitle=f"{scope_name} {year}年度", headers=SURVEY_HEADERS,
                 rows=rows, total=totals(rows, SURVEY_NUMERIC, len(SURVEY_HEADERS)), numeric=SURVEY_NUMERIC)


def annual_record_sections(record: Mapping[str, Any], year: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """The sections of one agency's annual record PDF (HUN-03 监督机构年度情况表): basic
    information, staffing structure, supervised projects, funding, qualification — each a list of
    (label, value) pairs, every value text."""
    basic = record.get("basic_info") or {}
    staffing = record["staffing"]
    projects = (record.get("projects") or {}).get("figures") or {}
    funding = (record.get("funding") or {}).get("figures") or {}
    qual = record.get("qualification") or {}

    def t(v: Any) -> str:
        return "" if v is None else str(v)

    structure: list[tuple[str, str]] = [("在职人数", t(staffing["total"]))]
    for dim, names in (("by_post", POST_ZH), ("by_education", EDUCATION_ZH), ("by_title", TITLE_ZH),
                       ("by_age_band", AGE_ZH), ("by_certificate_holding", HOLDING_ZH)):
        structure += [(label, t(staffing[dim].get(code, 0))) for code, label in names.items()]
    income = _num(funding.get("fiscal_10k_yuan")) + _num(funding.get("other_income_10k_yuan"))
    spent = sum(_num(funding.get(k)) for k in ("personnel_costs_10k_yuan", "operating_costs_10k_yuan",
                                                  "equipment_costs_10k_yuan"))
    return [
        ("一、基本信息", [("机构名称", t(basic.get("name") or record["agency"].get("name"))),
                     ("统一社会信用代码", t(basic.get("credit_code"))),
                     ("行政区划", t(record["agency"].get("division_code"))),
                     ("机构类型", KIND_ZH.get(basic.get("kind", ""), "")),
                     ("核定编制", t(basic.get("approved_headcount"))),
                     ("办公地址", t(basic.get("address"))), ("机构负责人", t(basic.get("leader_name"))),
                     ("负责人手机", t(basic.get("leader_mobile")))]),
        (f"二、人员结构情况（{year}年{'，12月31日冻结' if staffing.get('frozen') else '，实时'}）", structure),
        ("三、监督工程情况", [("监督工程(个)", t(projects.get("projects"))),
                       ("新增工程", t(projects.get("new_projects"))),
                       ("竣工工程", t(projects.get("completed_projects"))),
                       ("建筑面积(万㎡)", t(projects.get("floor_area_10k_m2"))),
                       ("工程造价(万元)", t(projects.get("investment_10k_yuan")))]),
        ("四、监督经费情况", [("财政拨款(万元)", t(funding.get("fiscal_10k_yuan"))),
                       ("其他收入(万元)", t(funding.get("other_income_10k_yuan"))),
                       ("收入合计(万元)", t(round(income, 4))),
                       ("人员经费(万元)", t(funding.get("personnel_costs_10k_yuan"))),
                       ("公用经费(万元)", t(funding.get("operating_costs_10k_yuan"))),
                       ("设备购置(万元)", t(funding.get("equipment_costs_10k_yuan"))),
                       ("支出合计(万元)", t(round(spent, 4)))]),
        ("五、监督资格验证情况", [("证书编号", t(qual.get("certificate_number"))),
                         ("发证日期", t(qual.get("issued_on"))),
                         ("有效期至", t(qual.get("valid_until"))),
                         ("验证状态", QUALIFICATION_ZH.get(record["progress"].get("qualification_status", ""), ""))]),
    ]


# -- HUN-09..18 summaries through the same table --------------------------------------------------

TRAINING_HEADERS: tuple[tuple[str, int], ...] = (
    ("机构名称", 30), ("报名人数", 10), ("待审核", 10), ("审核通过", 10), ("审核未通过", 10), ("考核合格", 10),
    ("考核不合格", 10))
TRAINING_NUMERIC = frozenset(range(1, len(TRAINING_HEADERS)))
TRAINING_KIND_ZH = {"new_staff": "新进人员培训", "continuing": "继续教育", None: "培训"}


def training_summary(summary: Mapping[str, Any], names: Mapping[str, str], *, kind: str | None) -> Table:
    """HUN-13/14 报名总汇表 / 考核总汇表 from ``training.summary`` (rows per agency id): one row per
    agency (named from ``names``) and the 合计 row, recomputed from the rows."""
    rows = [[names.get(r["agency_org_id"], r["agency_org_id"]), r["registered"], r["submitted"], r["approved"],
             r["rejected"], r["passed"], r["failed"]]
            for r in sorted(summary["rows"], key=lambda r: names.get(r["agency_org_id"], r["agency_org_id"]))]
    return Table(title=f"{TRAINING_KIND_ZH.get(kind, '培训')}报名及考核总汇表", subtitle="", headers=TRAINING_HEADERS,
                 rows=rows, total=totals(rows, TRAINING_NUMERIC, len(TRAINING_HEADERS)), numeric=TRAINING_NUMERIC)


SCORING_HEADERS: tuple[tuple[str, int], ...] = (
    ("机构名称", 30), ("姓名", 12), ("已审批记分次数", 14), ("已审批累计记分", 14), ("待审批次数", 12),
    ("待审批记分", 12))
SCORING_NUMERIC = frozenset(range(2, len(SCORING_HEADERS)))


def scoring_summary(entries: Iterable[Mapping[str, Any]], names: Mapping[str, str], *, year: int) -> Table:
    """HUN-18 记分总汇表 of ``year``: one row per person with entries (approved: count and points;
    pending: count and points), by agency and name, and the 合计 row."""
    people: dict[tuple[str, str], list[Any]] = {}
    for e in entries:
        key = (e["agency_org_id"], e["staff_id"])
        row = people.setdefault(key, [names.get(e["agency_org_id"], e["agency_org_id"]), e.get("staff_name", ""),
                                      0, 0, 0, 0])
        at = 2 if e.get("status") == "approved" else 4
        row[at] += 1
        row[at + 1] += int(e["points"])
    rows = sorted(people.values(), key=lambda r: (r[0], r[1]))
    return Table(title="动态考核记分总汇表", subtitle=f"{year}年度", headers=SCORING_HEADERS, rows=rows,
                 total=totals(rows, SCORING_NUMERIC, len(SCORING_HEADERS)), numeric=SCORING_NUMERIC)


APPLICATION_KINDS = ("cert_change", "cert_cancellation", "cert_reissue")
APPLICATION_KIND_ZH = {"cert_change": "证书变更", "cert_cancellation": "证书注销", "cert_reissue": "证书补办"}
APPLICATION_STAGES = ("draft", "submitted", "accepted", "returned", "not_accepted", "approved", "refused")
APPLICATION_STAGE_ZH = {"draft": "草稿", "submitted": "已上报", "accepted": "已受理", "returned": "已退回",
                        "not_accepted": "不予受理", "approved": "准予", "refused": "不予许可"}
APPLICATION_HEADERS: tuple[tuple[str, int], ...] = (
    ("机构名称", 30), ("申请数", 9), *((APPLICATION_STAGE_ZH[s], 9) for s in APPLICATION_STAGES))
APPLICATION_NUMERIC = frozenset(range(1, len(APPLICATION_HEADERS)))


def applications_summary(applications: Iterable[Mapping[str, Any]], names: Mapping[str, str], *,
                         kind: str | None) -> Table:
    """HUN-10..12 汇总表 of certificate applications (``kind`` one of them, or all): per agency how
    many, by stage, and the 合计 row."""
    if kind is not None and kind not in APPLICATION_KINDS:
        raise Unprocessable(f"kind must be one of {', '.join(APPLICATION_KINDS)}", field="kind")
    per: dict[str, list[Any]] = {}
    for a in applications:
        if kind is not None and a.get("kind") != kind:
            continue
        row = per.setdefault(a["agency_org_id"], [names.get(a["agency_org_id"], a["agency_org_id"]), 0,
                                                  *([0] * len(APPLICATION_STAGES))])
        row[1] += 1
        stage = str(a.get("stage"))
        if stage in APPLICATION_STAGES:
            row[2 + APPLICATION_STAGES.index(stage)] += 1
    rows = sorted(per.values(), key=lambda r: r[0])
    title = f"人员{APPLICATION_KIND_ZH[kind] if kind else '证书申请'}汇总表"
    return Table(title=title, subtitle="", headers=APPLICATION_HEADERS, rows=rows,
                 total=totals(rows, APPLICATION_NUMERIC, len(APPLICATION_HEADERS)), numeric=APPLICATION_NUMERIC)


ASSESSMENT_HEADERS: tuple[tuple[str, int], ...] = (
    ("被考核机构", 30), ("考核类型", 12), ("考核次数", 10), ("考核项目数", 10), ("平均得分", 10), ("最低分", 10),
    ("最高分", 10))
ASSESSMENT_NUMERIC = frozenset({2, 3})
ASSESSMENT_KIND_ZH = {"group": "监督组考核", "agency": "层级考核"}


def assessments_summary(sheets: Iterable[Mapping[str, Any]], names: Mapping[str, str]) -> Table:
    """HUN-16/17 考核情况汇总表 / 考核综合评价总汇表 of submitted sheets: per assessed agency and
    kind the number of sheets and projects (summed in 合计) and the mean, lowest and highest sheet
    score (合计: over every sheet; the mean to 2 decimals)."""
    per: dict[tuple[str, str], list[float]] = {}
    projects: dict[tuple[str, str], int] = {}
    for s in sheets:
        if s.get("status") != "submitted":
            continue
        key = (s["agency_org_id"], s["kind"])
        per.setdefault(key, []).append(float(s["score"]))
        projects[key] = projects.get(key, 0) + len(s.get("projects") or [])

    def stats(scores: list[float]) -> list[Any]:
        return [round(sum(scores) / len(scores), 2), min(scores), max(scores)] if scores else [None, None, None]

    rows = [[names.get(oid, oid), ASSESSMENT_KIND_ZH.get(kind, kind), len(scores), projects[(oid, kind)],
             *stats(scores)] for (oid, kind), scores in per.items()]
    rows.sort(key=lambda r: (r[0], r[1]))
    total = totals(rows, ASSESSMENT_NUMERIC, len(ASSESSMENT_HEADERS))
    total[4:7] = stats([x for scores in per.values() for x in scores])
    return Table(title="考核情况汇总表", subtitle="", headers=ASSESSMENT_HEADERS, rows=rows, total=total,
                 numeric=ASSESSMENT_NUMERIC)


GENDER_ZH = {"male": "男", "female": "女"}
STAFF_HEADERS: tuple[tuple[str, int], ...] = (
    ("机构名称", 28), ("姓名", 10), ("性别", 6), ("出生日期", 12), ("岗位", 10), ("学历", 10), ("职称", 8),
    ("持证数", 8), ("质量监督证书", 22), ("安全监督证书", 22))
STAFF_NUMERIC = frozenset({7})


def _certificate_cell(certificates: Iterable[Mapping[str, Any]], kind: str) -> str:
    held = [c for c in certificates if c.get("kind") == kind and c.get("status", "valid") == "valid"]
    return "；".join(f"{c.get('number', '')}（至{c.get('valid_until', '')}）" for c in held)


def staff_summary(staff: Iterable[Mapping[str, Any]], names: Mapping[str, str]) -> Table:
    """HUN-09 人员基本信息汇总表: one row per current staff member (by agency, then name) with the
    valid supervision certificates held; 合计 counts the people (姓名 column) and the certificates."""
    rows = []
    for p in staff:
        certs = list(p.get("certificates") or [])
        rows.append([names.get(p["agency_org_id"], p["agency_org_id"]), p.get("name", ""),
                     GENDER_ZH.get(p.get("gender", ""), ""), p.get("birth_date") or "",
                     POST_ZH.get(p.get("post", ""), ""), EDUCATION_ZH.get(p.get("education", ""), ""),
                     TITLE_ZH.get(p.get("title", ""), ""), len(rules.held_kinds(certs)),
                     _certificate_cell(certs, "quality"), _certificate_cell(certs, "safety")])
    rows.sort(key=lambda r: (r[0], r[1]))
    total = totals(rows, STAFF_NUMERIC, len(STAFF_HEADERS))
    total[1] = len(rows)
    return Table(title="监督人员基本信息汇总表", subtitle="", headers=STAFF_HEADERS, rows=rows, total=total,
                 numeric=STAFF_NUMERIC)


ORDINALS = "二三四五六七八九"


def staff_record_sections(record: Mapping[str, Any], agency_name: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """HUN-09 one supervisor's record (监督人员基本信息表): personal data and each certificate."""
    def t(v: Any) -> str:
        return "" if v is None else str(v)

    personal = [("所在机构", agency_name), ("姓名", t(record.get("name"))),
                ("性别", GENDER_ZH.get(record.get("gender", ""), "")), ("出生日期", t(record.get("birth_date"))),
                ("岗位", POST_ZH.get(record.get("post", ""), "")),
                ("学历", EDUCATION_ZH.get(record.get("education", ""), "")),
                ("职称", TITLE_ZH.get(record.get("title", ""), "")), ("手机", t(record.get("mobile"))),
                ("入职日期", t(record.get("hired_on"))),
                ("持证情况", HOLDING_ZH[rules.holding(record.get("certificates") or [])])]
    sections: list[tuple[str, list[tuple[str, str]]]] = [("一、基本信息", personal)]
    for i, c in enumerate(record.get("certificates") or []):
        kind = "质量" if c.get("kind") == "quality" else "安全"
        sections.append((f"{ORDINALS[min(i, len(ORDINALS) - 1)]}、{kind}监督证书", [
            ("证书编号", t(c.get("number"))), ("发证日期", t(c.get("issued_on"))),
            ("有效期至", t(c.get("valid_until"))),
            ("状态", "有效" if c.get("status", "valid") == "valid" else "已注销"),
            ("补办次数", t(c.get("reissued", 0)))]))
    return sections

"""Hunan exports on the in-memory database (HUN-03): the annual record PDF, the province's and a
city's annual summaries and the four surveys as XLSX and PDF; who may export which; the numbers
of every table recomputed from the records (XLSX read back with openpyxl, PDF with pdftotext)."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from anjian_shared.errors import Forbidden, NotFound, ServiceUnavailable, Unprocessable
from anjian_shared.pdf_fonts import DEFAULT_CJK_FONTS, resolve_cjk_font
from anjian_shared.principal import Principal
from anjian_shared.testing.fakes import FakeDatabase
from personnel.domain import exports as rules
from personnel.service_layer import agencies as service
from personnel.service_layer import exports

T = "hunan"
CREDIT = "12430100MB1A23456X"
YEAR = 2026


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    at = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    monkeypatch.setattr(service, "utcnow", lambda: at)
    monkeypatch.setattr(exports, "utcnow", lambda: at)


@pytest.fixture(scope="module")
def font():
    return resolve_cjk_font(None, 0, DEFAULT_CJK_FONTS)


def who(org: str, *roles: str, kind: str = "agency") -> Principal:
    return Principal(user_id=f"{org}-user", tenant=T, org_id=org, roles=list(roles) or ["station_leader"],
                     org_kind=kind)


PROVINCE = who("province", "supervisor", kind="authority")
CHANGSHA = who("changsha", "supervisor", kind="authority")
ZHUZHOU = who("zhuzhou", "supervisor", kind="authority")

AGENCIES = {  # org id: (division, name, kind, headcount, staff birth years with certificates, projects, funding)
    "furong": ("430102", "芙蓉区监督站", "combined", 30, [(1988, ["quality", "safety"]), (1960, [])], 12, 100.5),
    "yuelu": ("430104", "岳麓区监督站", "quality", 20, [(1980, ["quality"])], 7, 50.25),
    "hetang": ("430202", "荷塘区监督站", "safety", 15, [(1995, []), (1975, ["safety"]), (1970, [])], 3, 20.0),
}


async def _org(mongo: FakeDatabase, org_id: str, kind: str, division: str, name: str) -> None:
    await mongo.repo("organizations", T).insert({"_id": org_id, "org_id": org_id, "kind": kind,
                                                 "division_code": division, "name": name})


async def _complete(mongo: FakeDatabase, oid: str) -> None:
    division, name, kind, headcount, staff, projects, fiscal = AGENCIES[oid]
    leader = who(oid)
    await service.save_basic_info(mongo=mongo, actor=leader, agency_org_id=oid, data={
        "name": name, "credit_code": CREDIT, "kind": kind, "approved_headcount": headcount,
        "address": "湖南省", "leader_name": "负责人", "leader_mobile": "13800000001"})
    for i, (born, certs) in enumerate(staff):
        doc = await service.add_staff(mongo=mongo, actor=leader, agency_org_id=oid, data={
            "name": f"{name}{i}", "gender": "male", "birth_date": date(born, 3, 1), "post": "supervisor",
            "education": "bachelor", "title": "intermediate"})
        if certs:  # certificates come with the supervisors' records (HUN-09): set them directly
            await mongo.repo("agency_staff", T).update({"_id": doc["_id"]}, {"$set": {"certificates": [
                {"kind": k, "status": "valid"} for k in certs]}})
    await service.add_figures(mongo=mongo, actor=leader, agency_org_id=oid, kind="projects", year=YEAR, figures={
        "projects": projects, "new_projects": 1, "completed_projects": 1, "floor_area_10k_m2": 1.5,
        "investment_10k_yuan": 10.0})
    await service.add_figures(mongo=mongo, actor=leader, agency_org_id=oid, kind="funding", year=YEAR, figures={
        "fiscal_10k_yuan": fiscal, "other_income_10k_yuan": 1.0, "personnel_costs_10k_yuan": 2.0,
        "operating_costs_10k_yuan": 3.0, "equipment_costs_10k_yuan": 0.5})
    await service.file_qualification(mongo=mongo, actor=leader, agency_org_id=oid, data={
        "certificate_number": f"Q-{oid}", "issued_on": date(2026, 1, 1), "valid_until": date(2028, 1, 1)})


@pytest.fixture
async def world(clock) -> FakeDatabase:
    mongo = FakeDatabase(service="personnel")
    for oid, (division, name, *_rest) in AGENCIES.items():
        await _org(mongo, oid, "agency", division, name)
    await _org(mongo, "kaifu", "agency", "430105", "开福区监督站")  # filed nothing yet
    await _org(mongo, "changsha", "authority", "430100", "长沙市住建局")
    await _org(mongo, "zhuzhou", "authority", "430200", "株洲市住建局")
    await _org(mongo, "province", "authority", "430000", "湖南省住建厅")
    await _org(mongo, "builder", "company", "430102", "某建筑公司")
    for oid in AGENCIES:
        await _complete(mongo, oid)
    return mongo


def _sheet(data: bytes) -> tuple[list[str], list[list]]:
    ws = load_workbook(io.BytesIO(data)).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return rows[0], rows[1:]


def pdftotext(pdf: bytes) -> str:
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed"
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode()


def test_hun03_format_from_query_or_accept_header():
    """HUN-03: ?format wins, an XLSX Accept asks for the download, anything else previews the PDF."""
    assert rules.pick_format("xlsx", "application/pdf") == "xlsx"
    assert rules.pick_format(None, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") == "xlsx"
    assert rules.pick_format(None, "application/pdf") == "pdf"
    assert rules.pick_format(None, None) == "pdf"
    with pytest.raises(Unprocessable) as bad:
        rules.pick_format("docx", None)
    assert bad.value.field == "format"


async def test_hun03_province_summary_xlsx_adds_up_from_the_records(world):
    """HUN-03: the province's annual summary has every agency (also one that filed nothing) and
    its 合计 row is the sum of the records."""
    name, data, media = await exports.annual_summary(mongo=world, actor=PROVINCE, year=YEAR, division_code=None,
                                                     fmt="xlsx", font=None)
    assert name.endswith(".xlsx") and media == exports.documents.XLSX
    header, rows = _sheet(data)
    assert header[0] == "机构名称" and len(rows) == 5
    body, total = rows[:-1], rows[-1]
    assert [r[0] for r in body] == ["芙蓉区监督站", "岳麓区监督站", "开福区监督站", "荷塘区监督站"]
    assert total[0] == "合计"
    col = {h: i for i, h in enumerate(header)}
    assert total[col["在职人数"]] == sum(len(a[4]) for a in AGENCIES.values()) == 6
    assert total[col["核定编制"]] == sum(a[3] for a in AGENCIES.values())
    assert total[col["监督工程(个)"]] == sum(a[5] for a in AGENCIES.values())
    assert total[col["经费收入(万元)"]] == pytest.approx(sum(a[6] + 1.0 for a in AGENCIES.values()))
    assert total[col["经费支出(万元)"]] == pytest.approx(5.5 * 3)
    assert total[col["持两证"]] == 1 and total[col["持一证"]] == 2 and total[col["无证"]] == 3
    for c in rules.SUMMARY_NUMERIC:  # every total is its column's sum
        assert total[c] == pytest.approx(sum(r[c] or 0 for r in body))
    kaifu = body[2]
    assert kaifu[col["在职人数"]] == 0 and kaifu[col["监督工程(个)"]] is None and kaifu[col["资格验证"]] == "未填报"


async def test_hun03_city_summary_holds_only_the_citys_agencies_and_its_pdf_prints_the_same_totals(world, font):
    """HUN-03: a city's summary has its counties' agencies only; the PDF shows the same 合计."""
    _, data, _ = await exports.annual_summary(mongo=world, actor=CHANGSHA, year=YEAR, division_code="430100",
                                              fmt="xlsx", font=None)
    header, rows = _sheet(data)
    assert [r[0] for r in rows] == ["芙蓉区监督站", "岳麓区监督站", "开福区监督站", "合计"]
    total = rows[-1]
    assert total[header.index("监督工程(个)")] == 19 and total[header.index("在职人数")] == 3
    name, pdf, media = await exports.annual_summary(mongo=world, actor=PROVINCE, year=YEAR, division_code="430100",
                                                    fmt="pdf", font=font)
    assert media == "application/pdf" and pdf.startswith(b"%PDF") and name.endswith(".pdf")
    text = pdftotext(pdf)
    assert "市级监督机构情况年度汇总表" in text and "长沙市" in text and "芙蓉区监督站" in text
    assert "荷塘区监督站" not in text
    total_line = next(line for line in text.splitlines() if line.strip().startswith("合计"))
    assert total_line.split()[1:4] == ["50", "3", "1"]  # 核定编制, 在职人数, 持两证


async def test_hun03_who_may_export_which_summary(world):
    """HUN-03: the province's summary is the province office's; a city exports its own only;
    an agency no summary; a county code is no city."""
    for actor, division, error in (
            (CHANGSHA, None, Forbidden), (who("furong"), None, Forbidden), (ZHUZHOU, "430100", Forbidden),
            (who("furong"), "430100", Forbidden),
            (who("builder", "company_admin", kind="company"), "430100", Forbidden),
            (PROVINCE, "430102", Unprocessable)):
        with pytest.raises(error):
            await exports.annual_summary(mongo=world, actor=actor, year=YEAR, division_code=division, fmt="xlsx",
                                         font=None)
    with pytest.raises(Unprocessable) as year:
        await exports.annual_summary(mongo=world, actor=PROVINCE, year=YEAR + 1, division_code=None, fmt="xlsx",
                                     font=None)
    assert year.value.field == "year"
    with pytest.raises(ServiceUnavailable):  # no font: no PDF (the XLSX still works)
        await exports.annual_summary(mongo=world, actor=PROVINCE, year=YEAR, division_code=None, fmt="pdf", font=None)


@pytest.mark.parametrize(("kind", "names"), [
    ("combined", ["芙蓉区监督站"]), ("quality", ["岳麓区监督站"]), ("safety", ["荷塘区监督站"]),
    ("all", ["芙蓉区监督站", "岳麓区监督站", "开福区监督站", "荷塘区监督站"])])
async def test_hun03_surveys_by_kind_recompute_the_staffing_structure(world, kind, names):
    """HUN-03: each survey holds the agencies of its kind; its columns and 合计 recount the staff."""
    _, data, _ = await exports.survey(mongo=world, actor=PROVINCE, kind=kind, year=YEAR, fmt="xlsx", font=None)
    header, rows = _sheet(data)
    assert [r[0] for r in rows[:-1]] == names and rows[-1][0] == "合计"
    staff = [s for oid, a in AGENCIES.items() if a[1] in names for s in a[4]]
    total = rows[-1]
    assert total[header.index("在职人数")] == len(staff)
    assert total[header.index("监督人员")] == len(staff)
    assert total[header.index("56岁及以上")] == sum(1 for born, _ in staff if YEAR - born >= 56)
    assert total[header.index("35岁及以下")] == sum(1 for born, _ in staff if YEAR - born <= 35)
    for row in rows:  # every row's dimensions add up to its staff
        n = row[header.index("在职人数")] or 0
        for first, last in (("机构负责人", "其他"), ("博士", "中专及以下"), ("正高级", "无职称"),
                            ("35岁及以下", "56岁及以上"), ("持两证", "无证")):
            assert sum(row[header.index(first):header.index(last) + 1]) == n


async def test_hun03_survey_visibility_city_sees_its_counties_agency_itself_company_nothing(world):
    """HUN-03: a survey shows what the caller sees as agency records (HUN-02)."""
    _, data, _ = await exports.survey(mongo=world, actor=ZHUZHOU, kind="all", year=YEAR, fmt="xlsx", font=None)
    assert [r[0] for r in _sheet(data)[1]] == ["荷塘区监督站", "合计"]
    _, data, _ = await exports.survey(mongo=world, actor=who("yuelu", "supervisor"), kind="all", year=YEAR,
                                      fmt="xlsx", font=None)
    assert [r[0] for r in _sheet(data)[1]] == ["岳麓区监督站", "合计"]
    with pytest.raises(NotFound):
        await exports.survey(mongo=world, actor=who("builder", "company_admin", kind="company"), kind="all",
                             year=YEAR, fmt="xlsx", font=None)


async def test_hun03_annual_record_pdf_prints_the_record_and_is_refused_while_incomplete(world, font):
    """HUN-03: one agency's annual record as PDF; 422 annual-record-incomplete until complete;
    404 for an agency the caller may not see."""
    name, pdf, media = await exports.annual_record_pdf(mongo=world, actor=CHANGSHA, agency_org_id="furong",
                                                       year=YEAR, font=font)
    assert media == "application/pdf" and name == f"芙蓉区监督站{YEAR}年度情况表.pdf"
    text = pdftotext(pdf)
    assert "监督机构年度情况表" in text and "芙蓉区监督站" in text and CREDIT in text and "Q-furong" in text
    assert "质量安全监督合署机构" in text and "101.5" in text  # 收入合计 = 100.5 + 1
    with pytest.raises(Unprocessable) as incomplete:
        await exports.annual_record_pdf(mongo=world, actor=PROVINCE, agency_org_id="kaifu", year=YEAR, font=font)
    assert incomplete.value.code == "annual-record-incomplete" and incomplete.value.field == "basic_info"
    with pytest.raises(NotFound):
        await exports.annual_record_pdf(mongo=world, actor=ZHUZHOU, agency_org_id="furong", year=YEAR, font=font)
    with pytest.raises(NotFound):
        await exports.annual_record_pdf(mongo=world, actor=who("yuelu"), agency_org_id="furong", year=YEAR,
                                        font=font)


# -- HUN-09..18 summaries through the same helper ---------------------------------------------------


async def test_hun13_hun14_training_summary_file_adds_up_and_an_agency_sees_its_own_row(world):
    """HUN-13/14: the training summary XLSX: per agency registered/reviewed/passed, 合计 = column sums."""
    regs = [("furong", "submitted", None), ("furong", "approved", True), ("furong", "approved", False),
            ("yuelu", "rejected", None), ("yuelu", "approved", True)]
    for i, (oid, status, passed) in enumerate(regs):
        await world.repo("training_registrations", T).insert({
            "_id": f"r{i}", "agency_org_id": oid, "kind": "continuing", "status": status,
            "result": None if passed is None else {"passed": passed, "score": 80 if passed else 40}})
    office = who("province", "supervisor", kind="authority")
    _, data, _ = await exports.training_summary(mongo=world, actor=office, kind=None, session_id=None, fmt="xlsx",
                                                font=None)
    header, rows = _sheet(data)
    assert [r[0] for r in rows] == ["岳麓区监督站", "芙蓉区监督站", "合计"]
    total = rows[-1]
    assert total[header.index("报名人数")] == 5 and total[header.index("审核通过")] == 3
    assert total[header.index("考核合格")] == sum(1 for *_, p in regs if p) == 2
    assert total[header.index("考核不合格")] == 1 and total[header.index("待审核")] == 1
    _, mine, _ = await exports.training_summary(mongo=world, actor=who("furong"), kind="continuing", session_id=None,
                                                fmt="xlsx", font=None)
    assert [r[0] for r in _sheet(mine)[1]] == ["芙蓉区监督站", "合计"]


async def test_hun18_scoring_summary_file_counts_approved_and_pending_per_person(world, font):
    """HUN-18: the scoring summary per person: approved entries and points, pending ones; a city
    sees its counties' agencies only; the PDF prints the same totals."""
    entries = [("furong", "s1", "李明", "approved", 3), ("furong", "s1", "李明", "approved", 2),
               ("furong", "s1", "李明", "pending", 6), ("yuelu", "s2", "王芳", "approved", 12),
               ("hetang", "s3", "赵强", "approved", 1)]
    for i, (oid, sid, name, status, points) in enumerate(entries):
        await world.repo("dynamic_scores", T).insert({
            "_id": f"e{i}", "agency_org_id": oid, "staff_id": sid, "staff_name": name, "status": status,
            "points": points, "year": YEAR})
    _, data, _ = await exports.scoring_summary(mongo=world, actor=CHANGSHA, year=YEAR, fmt="xlsx", font=None)
    header, rows = _sheet(data)
    assert [r[1] for r in rows[:-1]] == ["王芳", "李明"] or [r[1] for r in rows[:-1]] == ["李明", "王芳"]
    li = next(r for r in rows if r[1] == "李明")
    assert li[2:] == [2, 5, 1, 6]
    assert rows[-1][2:] == [3, 17, 1, 6], "赵强 of 株洲 is not Changsha's"
    _, pdf, _ = await exports.scoring_summary(mongo=world, actor=PROVINCE, year=YEAR, fmt="pdf", font=font)
    line = next(x for x in pdftotext(pdf).splitlines() if x.strip().startswith("合计"))
    assert line.split()[1:] == ["4", "18", "1", "6"]
    with pytest.raises(NotFound):
        await exports.scoring_summary(mongo=world, actor=who("builder", "company_admin", kind="company"), year=YEAR,
                                      fmt="xlsx", font=None)


async def test_hun10_to_hun12_certificate_applications_summary_by_agency_and_stage(world):
    """HUN-10..12: the applications summary: per agency how many of each stage; 合计; a company 403."""
    apps = [("furong", "cert_change", "approved"), ("furong", "cert_change", "returned"),
            ("furong", "cert_reissue", "submitted"), ("yuelu", "cert_cancellation", "accepted")]
    for i, (oid, kind, stage) in enumerate(apps):
        await world.repo("certificate_applications", T).insert({
            "_id": f"a{i}", "agency_org_id": oid, "kind": kind, "stage": stage, "authority_org_id": "province",
            "applicant": {"org_id": oid}, "updated_at": datetime(2026, 5, 1, tzinfo=UTC)})
    _, data, _ = await exports.applications_summary(mongo=world, actor=PROVINCE, kind=None, fmt="xlsx", font=None)
    header, rows = _sheet(data)
    assert [r[0] for r in rows] == ["岳麓区监督站", "芙蓉区监督站", "合计"]
    total = rows[-1]
    assert total[header.index("申请数")] == 4 and total[header.index("准予")] == 1
    assert total[header.index("已退回")] == 1 and total[header.index("已受理")] == 1
    _, changes, _ = await exports.applications_summary(mongo=world, actor=PROVINCE, kind="cert_change", fmt="xlsx",
                                                       font=None)
    assert _sheet(changes)[1][-1][1] == 2
    with pytest.raises(Forbidden):
        await exports.applications_summary(mongo=world, actor=who("builder", "company_admin", kind="company"),
                                           kind=None, fmt="xlsx", font=None)


async def test_hun17_assessments_summary_per_assessed_agency_with_the_overall_mean(world, font):
    """HUN-16/17: submitted sheets of the caller's organisation per assessed agency: counts add up
    in 合计, the 合计 mean is that of every sheet; drafts and other assessors' sheets are left out."""
    sheets = [("furong", "agency", "submitted", "90.00", 2, "changsha"),
              ("furong", "agency", "submitted", "80.00", 1, "changsha"),
              ("yuelu", "agency", "submitted", "70.50", 3, "changsha"),
              ("yuelu", "agency", "draft", None, 1, "changsha"),
              ("hetang", "agency", "submitted", "60.00", 1, "zhuzhou")]
    for i, (oid, kind, status, score, n, assessor) in enumerate(sheets):
        await world.repo("assessments", T).insert({
            "_id": f"s{i}", "agency_org_id": oid, "kind": kind, "status": status, "score": score,
            "projects": [{"score": 0}] * n, "assessor_org_id": assessor})
    _, data, _ = await exports.assessments_summary(mongo=world, actor=CHANGSHA, kind=None, fmt="xlsx", font=None)
    header, rows = _sheet(data)
    assert [r[0] for r in rows] == ["岳麓区监督站", "芙蓉区监督站", "合计"]
    furong = rows[1]
    assert furong[2:] == [2, 3, 85.0, 80.0, 90.0]
    assert rows[-1][2:] == [3, 6, round((90 + 80 + 70.5) / 3, 2), 70.5, 90.0]
    _, pdf, _ = await exports.assessments_summary(mongo=world, actor=CHANGSHA, kind="agency", fmt="pdf", font=font)
    assert "考核情况汇总表" in pdftotext(pdf)


async def test_hun09_staff_summary_counts_people_and_certificates_and_one_record_prints(world, font):
    """HUN-09: the supervisors' summary: a row per current staff member of the visible agencies,
    合计 = people and certificates held; one supervisor's record as PDF; 404 for another county's."""
    _, data, _ = await exports.staff_summary(mongo=world, actor=CHANGSHA, agency_org_id=None, fmt="xlsx", font=None)
    header, rows = _sheet(data)
    changsha = [s for oid, a in AGENCIES.items() if a[0].startswith("4301") for s in a[4]]
    assert len(rows) - 1 == len(changsha) == 3
    total = rows[-1]
    assert total[0] == "合计" and total[1] == 3
    assert total[header.index("持证数")] == sum(len(certs) for _, certs in changsha) == 3
    li = next(r for r in rows if r[0] == "芙蓉区监督站" and r[header.index("持证数")] == 2)
    assert li[header.index("质量监督证书")] and li[header.index("安全监督证书")], "both certificates listed"
    _, one, _ = await exports.staff_summary(mongo=world, actor=PROVINCE, agency_org_id="hetang", fmt="xlsx",
                                            font=None)
    assert _sheet(one)[1][-1][1] == 3
    with pytest.raises(NotFound):
        await exports.staff_summary(mongo=world, actor=ZHUZHOU, agency_org_id="furong", fmt="xlsx", font=None)
    staff = await world.repo("agency_staff", T).find({"agency_org_id": "furong", "deleted": False}, limit=0)
    certified = next(s for s in staff if s.get("certificates"))
    name, pdf, media = await exports.staff_record_pdf(mongo=world, actor=who("furong"), agency_org_id="furong",
                                                      staff_id=certified["_id"], font=font)
    text = pdftotext(pdf)
    assert media == "application/pdf" and "监督人员基本信息表" in text and certified["name"] in text
    assert "质量监督证书" in text and "安全监督证书" in text
    with pytest.raises(NotFound):
        await exports.staff_record_pdf(mongo=world, actor=who("yuelu"), agency_org_id="furong",
                                       staff_id=certified["_id"], font=font)

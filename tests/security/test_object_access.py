"""S1: every route with an id in its path refuses another tenant and another company.

The routes come from each running service's OpenAPI document (``app.openapi()``); the
objects are real (``play_hubei`` made them: plan, results, notice, replies, notification,
share link…). For every route:

- the rightful reader gets 2xx on GET (so the ids really name existing objects);
- 海南's supervisor (another tenant, same role) gets 403 or 404;
- 陈静 (project manager of another contractor in the same province) gets 403 or 404;

with valid request bodies, so a 422 can't hide a missing check. The allow-list names
the routes that are public or shared by design, each with its reason.
"""

from __future__ import annotations

import re
from typing import Any

from anjian_local.media import signature_png, site_photo
from anjian_shared import credit_code

# (method, path, caller) → reason; caller "*" = both hostile callers
ALLOWED: dict[tuple[str, str, str], str] = {
    ("GET", "/api/reporting/v1/shared/{token}", "*"):
        "share link = capability URL (HB-09): whoever holds the unguessable, expiring token reads without signing in",
    ("GET", "/api/reporting/v1/shared/{token}/qr.png", "*"):
        "QR code of the same capability URL (HB-09), public like the link itself",
    ("GET", "/api/identity/v1/organizations/{org_id}", "other company"):
        "organisations are the province's public directory (a station names a contractor); other tenants get 404",
    ("GET", "/api/inspections/v1/catalog/items/{code}", "*"):
        "reference catalog (national standards JGJ 59-2011 / 2024 major-hazard standard), seeded identically in "
        "every tenant: the caller reads its own tenant's copy of public text",
    ("GET", "/api/identity/v1/authorities/for-division/{code}", "other company"):
        "which authority of the province a division belongs to (HEB-01/06): the province's public directory, "
        "no company's object; other tenants get 404 (no authority of theirs encloses a Hubei division)",
    ("GET", "/api/equipment/v1/public/signs/{token}", "*"):
        "registration sign status (HEB-07) = capability URL printed as the sign's QR code: whoever holds the "
        "unguessable token sees valid/dismantled/cancelled, the number, machine and project name — what the sign shows",
    ("GET", "/api/reporting/v1/announcements/{announcement_id}", "other company"):
        "announcements (通知公告) are published to every user of the province (HEB-02); other tenants get 404",
    ("GET", "/api/reporting/v1/announcements/{announcement_id}/files/{index}", "other company"):
        "files of the download area (下载专区) are published to every user of the province (HEB-02); other "
        "tenants get 404",
}
PATH_IDS = {"/api/identity/v1/authorities/for-division/{code}": {"code": "420102"},
            "/api/personnel/v1/assessment-catalog/{code}": {"code": "D01"},
            "/api/equipment/v1/applications/{app_id}/sign.pdf": {"app_id": "@use_app_id"},
            "/api/equipment/v1/public/signs/{token}": {"token": "@sign_token"},
            "/api/reporting/v1/announcements/{announcement_id}/files/{index}": {"index": "0"}}
"""Ids of a route whose parameter name means something else elsewhere ({code}: a catalog item;
``@key``: the played object ``key``, e.g. the approved use registration of a sign)."""

# who may read a route (to prove the ids are real); default 张伟, the responsible supervisor
READER = {"/api/reporting/v1/notifications/{notification_id}/read": "li",
          "/api/identity/v1/clients/{client_id}": "admin",
          "/api/identity/v1/tenants/{tenant}/policy": "admin",
          "/api/identity/v1/tenants/{tenant}/policy/audit": "admin",
          # HEB-01: the province office reviews the province's registrations (and refuses this one)
          "/api/identity/v1/company-registrations/{registration_id}": "admin",
          "/api/identity/v1/company-registrations/{registration_id}/decision": "admin",
          "/api/identity/v1/company-registrations/{registration_id}/status": "applicant",
          "/api/equipment/v1/banned-models/{ban_id}": "admin",  # DELETE: attacked by 海南's administrator too
          "/api/equipment/v1/applications/{app_id}": "sun",  # a draft: only its applicant company sees it
          "/api/personnel/v1/people/{person_id}/pick-check": "liu",  # a colleague of the driver's company
          # HUN-02..08: the agency's leader 彭涛 reads and writes its records (not the province's decision)
          **{f"/api/personnel/v1/agencies/{{agency_id}}{tail}": "peng" for tail in (
              "", "/basic-info", "/staff", "/staff/{staff_id}", "/staffing-structure", "/project-figures",
              "/project-figures/{year}", "/funding-figures", "/funding-figures/{year}", "/qualification",
              "/annual-record/{year}", "/staff/{staff_id}/dynamic-score", "/staff/{staff_id}/record",
              "/staff/{staff_id}/certificates", "/annual-record/{year}/export", "/staff/{staff_id}/record/export")},
          "/api/personnel/v1/assessments/{assessment_id}": "peng",
          # HUN-13..15: the agency reads sessions and its registration; the province office (the
          # province administrator) changes a session's capacity and gives seats
          "/api/personnel/v1/training-sessions/{session_id}": "peng",
          "/api/personnel/v1/training-registrations/{training_registration_id}": "peng",
          "/api/personnel/v1/training-sessions/{session_id}/capacity": "admin",
          "/api/personnel/v1/training-sessions/{session_id}/quotas/{agency_id}": "admin",
          "/api/personnel/v1/certificate-applications/{application_id}": "peng",  # HUN-10..12 its agency
          "/api/partners/v1/media/{event_id}/{name}": "partner",  # MEDIA below
          # HUN-19: a user's permissions, read by the province administrator (permissions.read)
          "/api/identity/v1/users/{user_id}/permissions": "admin",
          # HUN-20: the agency reads and resubmits its user application; the province office decides
          "/api/identity/v1/account-applications/{account_application_id}": "peng",
          "/api/identity/v1/account-applications/{account_application_id}/decision": "admin",
          "/api/identity/v1/account-applications/{account_application_id}/resubmission": "peng"}
VALID_CREDIT_CODE = "12420102MB0000001" + credit_code.check_character("12420102MB0000001")
GET_READER = {f"/api/inspections/v1/self-inspections/{{inspection_id}}{tail}": "zhao"
              for tail in ("", "/points", "/timeline", "/feedback", "/companion-codes/qr.png")}
"""Who reads a route's GET only (its POSTs are not replayed by the reader): FJ-04..FJ-11, 赵敏
inspects (and is the feedback person of) the self-inspection."""
MEDIA = "/api/partners/v1/media/{event_id}/{name}"
"""A medium of a logged event (issue 11): read by the partner (scopes granting the event;
``redirect=false`` answers 200 with the URL instead of the 307), attacked by the other
tenant's partner and by another company's user (no partner)."""
ANNOUNCEMENT_FILE = "/api/reporting/v1/announcements/{announcement_id}/files/{index}"
"""HEB-02 a published file: ``redirect=false`` answers 200 with the URL instead of the 307."""
PARTNER_ROUTES = "/api/partners/v1/subscriptions/{subscription_id}"
"""Routes of a partner system (client credentials): read by their owner, attacked by the
other tenant's partner and by another partner of the same province."""


def route_table(platform: Any) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(service, METHOD, path template, operation) of every route with a path parameter."""
    rows = []
    for name, svc in platform.services.items():
        for path, ops in svc.app.openapi()["paths"].items():
            if "{" not in path:
                continue
            for method, op in ops.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    rows.append((name, method.upper(), path, op))
    return sorted(rows, key=lambda r: (r[0], r[2], r[1]))


STATUS = "/api/identity/v1/company-registrations/{registration_id}/status"
"""Polled without signing in, with the status token handed out at submission: the applicant
presents it; a hostile caller presents its bearer token and a well-formed wrong status token."""


def request_kwargs(method: str, path: str, played: Any, *, reader: bool = False) -> dict[str, Any]:
    """A VALID request body for the route (a hostile caller must be refused for who they
    are, not for a malformed body)."""
    ids, w = played.ids, played.hubei
    if path in (MEDIA, ANNOUNCEMENT_FILE):
        return {"params": {"redirect": "false"}}
    if path == STATUS:
        return {"params": {"tenant": "hubei"}, "headers": {
            "X-Registration-Token": ids["status_token"] if reader else "x" * len(ids["status_token"])}}
    photo = ("photo.jpg", site_photo(5), "image/jpeg")
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("PATCH", "/api/identity/v1/users/{user_id}"): {"json": {"display_name": "改名"}},
        ("POST", "/api/identity/v1/users/{user_id}/password"): {"json": {"new_password": "Hostile-reset-2026"}},
        # a no-op (resets a value nobody set): the attack must not change the province's policy
        ("PATCH", "/api/identity/v1/tenants/{tenant}/policy"): {"json": {"settings": {"notice_abbreviation": None}}},
        ("PUT", "/api/projects/v1/projects/{project_id}/supervisors"):
            {"json": {"supervisor_user_ids": [w.people["li"].user_id]}},
        ("POST", "/api/projects/v1/projects/{project_id}/participants"):
            {"json": {"user_id": w.people["chen"].user_id, "project_role": "project_manager"}},
        # FJ-03 supervision staff roles: a real Hubei project and person, attacked like any route
        ("POST", "/api/projects/v1/projects/{project_id}/supervision-staff"):
            {"json": {"user_id": w.people["chen"].user_id, "project_role": "site_supervisor"}},
        ("DELETE", "/api/projects/v1/projects/{project_id}/supervision-staff/{user_id}"):
            {"params": {"project_role": "site_supervisor"}},
        ("PATCH", "/api/inspections/v1/plans/{plan_id}"): {"json": {"title": "被篡改的计划"}},
        ("PUT", "/api/inspections/v1/plans/{plan_id}/signature"):
            {"files": {"file": ("s.png", signature_png(), "image/png")}},
        ("PUT", "/api/inspections/v1/plans/{plan_id}/seal"):
            {"files": {"file": ("s.png", signature_png(), "image/png")}},
        ("POST", "/api/inspections/v1/plans/{plan_id}/submit"): {"json": {
            "disposition": "停工整改", "seal_required": False,
            "notice": {"title": "伪造告知书", "construction_stage": "主体", "rectification_date": "2030-01-01"}}},
        ("POST", "/api/inspections/v1/plans/{plan_id}/results"): {
            "data": {"project_id": ids["project_id"], "building_name": "1#", "hazard_codes": [ids["code"]],
                     "finding": "伪造"}, "files": [("photos", photo)]},
        ("PATCH", "/api/inspections/v1/plans/{plan_id}/results/{result_id}"): {"json": {"finding": "被篡改"}},
        ("POST", "/api/inspections/v1/plans/{plan_id}/results/{result_id}/photos"): {"files": [("photos", photo)]},
        ("POST", "/api/notices/v1/notices/{notice_id}/replies"):
            {"data": {"text": "伪造回复"}, "files": [("photos", photo)]},
        ("POST", "/api/notices/v1/notices/{notice_id}/replies/{reply_id}/review"):
            {"json": {"passed": True, "comment": "伪造审核"}},
        ("POST", "/api/notices/v1/notices/{notice_id}/replies/{reply_id}/reviews"):
            {"json": {"decision": "approve", "comment": "伪造审核"}},
        ("POST", "/api/reporting/v1/notices/{notice_id}/share-links"): {"json": {"expires_in_minutes": 60}},
        ("POST", "/api/reporting/v1/plans/{plan_id}/share-links"): {"json": {"expires_in_minutes": 60}},
        ("PATCH", "/api/inspections/v1/terms/{code}"): {"json": {"text": "被篡改的术语"}},
        ("PATCH", "/api/inspections/v1/violations/{code}"): {"json": {"text": "被篡改的违法行为"}},
        ("POST", "/api/inspections/v1/records/{record_id}/reviews"): {"json": {"decision": "approve"}},
        ("PUT", "/api/notices/v1/documents/{document_id}"): {"json": {"details": "篡改的处理文书"}},
        ("PATCH", "/api/notices/v1/documents/{document_id}"): {"json": {"details": "篡改的处理文书"}},
        ("POST", "/api/notices/v1/documents/{document_id}/reviews"): {"json": {"decision": "approve"}},
        ("POST", "/api/notices/v1/documents/{document_id}/replies"):
            {"data": {"text": "伪造回复"}, "files": [("photos", photo)]},
        ("POST", "/api/notices/v1/documents/{document_id}/replies/{reply_id}/reviews"):
            {"json": {"accepted": True}},
        ("PUT", "/api/notices/v1/discretion-table/{violation_code}"): {"json": {
            "violation_name": "伪造", "legal_basis": "伪造",
            "ranges": {"minor": {"min_yuan": 0, "max_yuan": 1}, "general": {"min_yuan": 1, "max_yuan": 2},
                       "serious": {"min_yuan": 2, "max_yuan": 3}}}},
        ("PUT", "/api/notices/v1/documents/{document_id}/escalation/penalty"):
            {"json": {"violation_code": "SAMPLE-001", "severity": "minor", "penalty_amount": 500}},
        ("PATCH", "/api/partners/v1/subscriptions/{subscription_id}"): {"json": {"status": "paused"}},
        ("POST", "/api/partners/v1/subscriptions/{subscription_id}/secret/rotate"): {"json": {"grace_seconds": 60}},
        ("PUT", "/api/equipment/v1/applications/{app_id}/form"): {"json": {"form": {
            "machine_kind": "tower_crane", "model": "QTZ80", "maker": "中联重科", "factory_number": "FORGED-1",
            "manufacture_date": "2024-01-01", "rated_moment_knm": 800}}},
        ("POST", "/api/equipment/v1/applications/{app_id}/attachments"):
            {"params": {"slot": "product_certificate"}, "files": {"file": ("c.pdf", b"%PDF-1.4\n", "application/pdf")}},
        ("POST", "/api/equipment/v1/applications/{app_id}/submission"): {"json": {"authority_org_id": w.station_id}},
        ("POST", "/api/equipment/v1/applications/{app_id}/decisions"): {"json": {"action": "accept"}},
        ("DELETE", "/api/equipment/v1/operator-locks/{person_id}"): {"json": {"reason": "伪造解锁"}},
        ("POST", "/api/equipment/v1/machines/{machine_id}/cancellation"): {"json": {"reason": "伪造注销"}},
        ("POST", "/api/identity/v1/company-registrations/{registration_id}/decision"):
            {"json": {"decision": "refuse", "reason": "材料不全"}},
        ("POST", "/api/personnel/v1/people/{person_id}/pick-check"): {"json": {"category": "crane_driver"}},
        ("PUT", "/api/personnel/v1/agencies/{agency_id}/basic-info"): {"json": {
            "name": "伪造", "credit_code": VALID_CREDIT_CODE, "kind": "quality", "approved_headcount": 1,
            "address": "伪造", "leader_name": "伪造", "leader_mobile": "13800000009"}},
        ("POST", "/api/personnel/v1/agencies/{agency_id}/staff"): {"json": {
            "name": "伪造", "gender": "male", "birth_date": "1990-01-01", "post": "other", "education": "college",
            "title": "none"}},
        ("PATCH", "/api/personnel/v1/agencies/{agency_id}/staff/{staff_id}"): {"json": {"title": "senior"}},
        ("POST", "/api/personnel/v1/agencies/{agency_id}/project-figures"): {"json": {
            "year": 2020, "projects": 1, "new_projects": 1, "completed_projects": 0, "floor_area_10k_m2": 1,
            "investment_10k_yuan": 1}},
        ("PUT", "/api/personnel/v1/agencies/{agency_id}/project-figures/{year}"): {"json": {
            "year": int(ids["year"]), "projects": 1, "new_projects": 1, "completed_projects": 0,
            "floor_area_10k_m2": 1, "investment_10k_yuan": 1}},
        ("POST", "/api/personnel/v1/agencies/{agency_id}/funding-figures"): {"json": {
            "year": 2020, "fiscal_10k_yuan": 1, "other_income_10k_yuan": 0, "personnel_costs_10k_yuan": 0,
            "operating_costs_10k_yuan": 0, "equipment_costs_10k_yuan": 0}},
        ("PUT", "/api/personnel/v1/agencies/{agency_id}/funding-figures/{year}"): {"json": {
            "year": int(ids["year"]), "fiscal_10k_yuan": 1, "other_income_10k_yuan": 0,
            "personnel_costs_10k_yuan": 0, "operating_costs_10k_yuan": 0, "equipment_costs_10k_yuan": 0}},
        ("PUT", "/api/personnel/v1/agencies/{agency_id}/qualification"): {"json": {
            "certificate_number": "伪造", "issued_on": "2026-01-01", "valid_until": "2027-01-01"}},
        ("POST", "/api/personnel/v1/agencies/{agency_id}/qualification/decision"): {"json": {"decision": "verify"}},
        ("GET", "/api/personnel/v1/agencies/{agency_id}/staff/{staff_id}/dynamic-score"):
            {"params": {"year": ids["year"]}},
        ("PUT", "/api/personnel/v1/agencies/{agency_id}/staff/{staff_id}/record"): {"json": {
            "name": "李明", "gender": "male", "birth_date": "1988-04-12", "post": "supervisor",
            "education": "bachelor", "title": "intermediate", "mobile": "13800000003"}},
        ("POST", "/api/personnel/v1/agencies/{agency_id}/staff/{staff_id}/certificates"): {
            "data": {"kind": "quality", "number": "鄂质监0001", "issued_on": "2021-05-01", "valid_until": "2099-04-30"},
            "files": [("photo", photo)]},
        ("POST", "/api/personnel/v1/certificate-applications/{application_id}/submit"): {"json": {"comment": "伪造"}},
        ("POST", "/api/personnel/v1/certificate-applications/{application_id}/decision"):
            {"json": {"action": "accept"}},
        ("PUT", "/api/personnel/v1/assessment-catalog/{code}"):
            {"json": {"kind": "deduction", "text": "伪造", "points": 1}},
        ("POST", "/api/personnel/v1/assessments/{assessment_id}/projects"):
            {"json": {"project_name": "伪造", "construction_unit": "伪造", "deductions": []}},
        ("PUT", "/api/personnel/v1/assessments/{assessment_id}/projects/{index}"):
            {"json": {"project_name": "伪造", "construction_unit": "伪造", "deductions": []}},
        ("PUT", "/api/personnel/v1/training-sessions/{session_id}/capacity"): {"json": {"capacity": 5}},
        ("PUT", "/api/personnel/v1/training-sessions/{session_id}/quotas/{agency_id}"): {"json": {"seats": 1}},
        ("PUT", "/api/personnel/v1/training-registrations/{training_registration_id}/session"):
            {"json": {"session_id": ids["session_id"]}},
        ("POST", "/api/personnel/v1/training-registrations/{training_registration_id}/review"):
            {"json": {"decision": "approve"}},
        ("PUT", "/api/personnel/v1/training-registrations/{training_registration_id}/result"): {"json": {"score": 80}},
        ("POST", "/api/personnel/v1/training-registrations/{training_registration_id}/photos"):
            {"files": [("photos", photo)]},
        ("PATCH", "/api/inspections/v1/evaluations/{evaluation_id}"): {"json": {"tables": [{"code": "A.0.2"}]}},
        ("POST", "/api/inspections/v1/evaluations/{evaluation_id}/photos"):
            {"data": {"table_code": "A.0.1", "item_no": "7"}, "files": [("photos", photo)]},
        ("POST", "/api/inspections/v1/evaluations/{evaluation_id}/submit"):
            {"json": {"rectification_deadline": "2099-01-01"}},
        # FJ-04..FJ-11 self-inspections: valid bodies, refused for who the caller is (404: not visible)
        ("POST", "/api/inspections/v1/self-inspections/{inspection_id}/check-in"):
            {"json": {"longitude": 114.4, "latitude": 30.5, "captured_at": "2026-01-01T08:00:00+08:00"}},
        ("GET", "/api/inspections/v1/self-inspections/{inspection_id}/companion-codes/qr.png"):
            {"params": {"token": ids.get("companion_token", "")}},
        ("PUT", "/api/inspections/v1/self-inspections/{inspection_id}/points/{code}"): {"data": {"value": "yes"}},
        ("POST", "/api/inspections/v1/self-inspections/{inspection_id}/complete"): {"json": {"confirm": True}},
        ("POST", "/api/inspections/v1/self-inspections/{inspection_id}/notice"):
            {"json": {"feedback_user_id": w.people["zhao"].user_id}},
        ("POST", "/api/inspections/v1/self-inspections/{inspection_id}/feedback"): {"data": {"text": "伪造反馈"}},
        ("POST", "/api/inspections/v1/self-inspections/{inspection_id}/feedback/{feedback_id}/review"):
            {"json": {"decision": "approve"}},
        ("PATCH", "/api/inspections/v1/check-points/{code}"): {"json": {"text": "被篡改的检查要点"}},
        ("PUT", "/api/projects/v1/filings/{filing_id}"): {"json": {
            "name": "伪造报监", "address": "武汉", "station_org_id": w.station_id, "contractor_org_id": w.contractor_id,
            "supervision_org_id": w.supervision_id}},
        ("POST", "/api/projects/v1/filings/{filing_id}/decisions"):
            {"json": {"action": "return", "comment": "伪造退回"}},
        ("PUT", "/api/projects/v1/supervision-filings/{supervision_filing_id}"): {"json": {
            "name": "伪造备案", "address": "武汉", "division_code": "420111", "civilized_site_standard": "none",
            "parties": {"contractor": {"org_id": w.contractor_id, "project_leader_person_id": "x",
                                       "safety_officer_person_ids": ["y"]},
                        "supervision": {"org_id": w.supervision_id}}}},
        ("POST", "/api/projects/v1/supervision-filings/{supervision_filing_id}/attachments"):
            {"files": [("file", ("a.pdf", b"%PDF-1.4\n", "application/pdf"))]},
        ("POST", "/api/projects/v1/supervision-filings/{supervision_filing_id}/decisions"):
            {"json": {"action": "return", "comment": "伪造退回"}},
        ("POST", "/api/projects/v1/project-applications/{project_application_id}/decisions"):
            {"json": {"action": "return", "comment": "伪造退回"}},
        ("POST", "/api/conversations/v1/conversations/{conversation_id}/messages"): {"data": {"text": "伪造消息"}},
        ("PUT", "/api/conversations/v1/conversations/{conversation_id}/read"):
            {"json": {"message_id": ids.get("message_id")}},
        ("PUT", "/api/conversations/v1/conversations/{conversation_id}/mute"): {"json": {"muted": True}},
        # HEB-09/HEB-16: valid bodies, refused for who the caller is (404: another tenant / company)
        ("POST", "/api/projects/v1/projects/{project_id}/hazard-sources"): {"json": {
            "kind": "demolition", "category": "general", "name": "伪造危险源", "start_date": "2026-01-01",
            "planned_end_date": "2026-02-01"}},
        ("POST", "/api/projects/v1/projects/{project_id}/hazard-sources/{source_id}/close"):
            {"json": {"actual_end_date": "2026-01-01"}},
        ("POST", "/api/projects/v1/projects/{project_id}/construction-logs"):
            {"data": {"log_date": "2026-01-01", "text": "伪造日志"}, "files": [("photos", photo)]},
        ("GET", "/api/projects/v1/projects/{project_id}/duty-time"):
            {"params": {"date_from": "2026-01-01", "date_to": "2026-01-31"}},
        # HUN-20: the office returns it (so the agency's resubmission after it is valid too)
        ("POST", "/api/identity/v1/account-applications/{account_application_id}/decision"):
            {"json": {"action": "return", "comment": "补充说明"}},
        ("POST", "/api/identity/v1/account-applications/{account_application_id}/resubmission"):
            {"json": {"comment": "已补充"}},
    }
    return bodies.get((method, path), {})


def fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


async def test_every_route_with_an_id_refuses_other_tenants_and_other_companies(platform, played, report):
    attackers = {"other tenant": played.hainan.token("zhang"), "other company": played.hubei.token("chen")}
    rows = route_table(platform)
    lines = [f"{'service':<12} {'method':<6} {'route':<66} {'reader':>6} {'tenant':>6} {'company':>7}"]
    failures: list[str] = []
    covered = 0
    allow_used: list[str] = []
    for service, method, path, _op in rows:
        try:
            media_ids = {"event_id": played.ids["media_event_id"]} if path == MEDIA else {}
            url = fill(path, {**played.ids, **{k: played.ids[v[1:]] if v.startswith("@") else v
                                                for k, v in PATH_IDS.get(path, {}).items()}, **media_ids})
        except KeyError as exc:
            failures.append(f"{method} {path}: no real object for path parameter {exc}")
            lines.append(f"{service:<12} {method:<6} {path:<66} {'?':>6} {'—':>6} {'—':>7}  NOT COVERED")
            continue
        reader = "—"
        if method == "GET" or (path in READER and method != "DELETE"):
            who = (GET_READER.get(path) if method == "GET" else None) or READER.get(
                path, "partner" if path.startswith(PARTNER_ROUTES) else "zhang")
            token = None if who == "applicant" else played.token(who)  # the applicant: its status token
            async with played.recorder.factory(platform, "hubei")(token) as c:
                r = await c.request(method, url, **request_kwargs(method, path, played, reader=True))
            reader = str(r.status_code)
            if not 200 <= r.status_code < 300:
                failures.append(f"{method} {path}: the rightful reader {who} got {r.status_code} {r.text[:200]}")
        codes = {}
        hostile = dict(attackers)
        if READER.get(path) == "admin":  # attack an administrators' route as the other tenant's administrator
            hostile = {**hostile, "other tenant": played.hainan_admin_token}
        if path.startswith(PARTNER_ROUTES):
            hostile = {"other tenant": played.token("hainan partner"), "other company": played.token("other partner")}
        if path == MEDIA:
            hostile = {**hostile, "other tenant": played.token("hainan partner")}
        for caller, token in hostile.items():
            tenant = "hainan" if caller == "other tenant" else "hubei"
            async with played.recorder.factory(platform, tenant)(token) as c:
                r = await c.request(method, url, **request_kwargs(method, path, played))
            codes[caller] = r.status_code
            allowed = ALLOWED.get((method, path, caller)) or ALLOWED.get((method, path, "*"))
            if allowed:
                allow_used.append(f"{method} {path} [{caller}]: {allowed}")
            elif r.status_code not in (403, 404):
                failures.append(f"{method} {path} as {caller}: {r.status_code} {r.text[:200]}")
        covered += 1
        lines.append(f"{service:<12} {method:<6} {path:<66} {reader:>6} {codes['other tenant']:>6} "
                     f"{codes['other company']:>7}")
    lines.append(f"covered {covered} of {len(rows)} routes with a path parameter "
                 f"({2 * covered} hostile requests); allowed by design:")
    lines += [f"  {a}" for a in sorted(set(allow_used))]
    report("S1 object-level access (routes from the OpenAPI documents)", "\n".join(lines))
    assert covered == len(rows)
    assert not failures, "\n".join(failures)

"""HEB-07 the registration sign (登记标志) and its public status; HEB-06 the registry as XLSX.

The sign is a PDF with the registration number, the machine, the project, the operators and a
QR code opening ``GET /api/equipment/v1/public/signs/{token}``: no sign-in, an unguessable token
(given on approval), and only what the sign itself shows plus its status — ``valid``,
``dismantled`` (拆卸告知 confirmed for that project) or ``cancelled`` (the machine's filing
注销). ReportLab runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from anjian_shared.applications import Stage
from anjian_shared.china_time import china_day
from anjian_shared.errors import Conflict, NotFound, Unprocessable
from anjian_shared.mongo import UnitOfWorkFactory
from anjian_shared.pdf_fonts import CjkFont
from anjian_shared.principal import Principal
from anjian_shared.types import utcnow

from ..adapters import documents, store
from ..domain.model import MACHINE_LABELS, OPERATOR_LABELS, Kind, MachineKind, OperatorRole
from .applications import AUTHORITY_KINDS, _with_places, get_application

STATUS_LABELS = {"valid": "有效", "dismantled": "已拆卸", "cancelled": "已注销"}
PUBLIC_PATH = "/api/equipment/v1/public/signs/"


def _status(registration: dict[str, Any], machine: dict[str, Any] | None) -> str:
    if (machine or {}).get("status") == "cancelled":
        return "cancelled"
    return str(registration.get("sign_status") or "valid")


async def _sign_parts(mongo: UnitOfWorkFactory, tenant: str, reg: dict[str, Any]) -> dict[str, Any]:
    machine = await mongo.repo(store.MACHINES, tenant).get(reg["machine_id"]) or {}
    project = await mongo.repo(store.PROJECTS, tenant).get(reg["project_id"]) or {}
    return {"machine": machine, "project": project, "status": _status(reg, machine)}


async def sign_pdf(*, mongo: UnitOfWorkFactory, principal: Principal, app_id: str, font: CjkFont,
                   public_base_url: str) -> tuple[str, bytes]:
    """HEB-07 (filename, PDF) of an approved use registration's sign, for the applicant, the
    addressed authority or the province admin (404 otherwise); 409 ``registration-not-approved``
    for anything but an approved use registration."""
    reg = await get_application(mongo=mongo, principal=principal, app_id=app_id)
    if reg["kind"] != Kind.USE_REGISTRATION.value or reg["stage"] != Stage.APPROVED.value or not reg.get("sign_token"):
        raise Conflict("only an approved use registration (使用登记) has a registration sign",
                       slug="registration-not-approved")
    parts = await _sign_parts(mongo, principal.tenant, reg)
    m, project = parts["machine"], parts["project"]
    rows = [("登记编号", reg["number"]), ("设备类型", MACHINE_LABELS.get(MachineKind(m["machine_kind"]), "")
                                          if m.get("machine_kind") else ""),
            ("规格型号", m.get("model", "")), ("制造单位", m.get("maker", "")),
            ("出厂编号", m.get("factory_number", "")), ("备案编号", m.get("filing_number") or ""),
            ("使用工程", project.get("name") or reg["project_id"]),
            ("登记日期", china_day(reg["updated_at"]).isoformat() if reg.get("updated_at") else ""),
            ("状态", STATUS_LABELS[parts["status"]])]
    operators = [(op["name"], OPERATOR_LABELS[OperatorRole(op["role"])], op["certificate_number"])
                 for op in reg["form"]["operators"]]
    url = public_base_url.rstrip("/") + PUBLIC_PATH + reg["sign_token"]
    pdf = await asyncio.to_thread(documents.render_sign, font, title="建筑起重机械使用登记标志", rows=rows,
                                  operators=operators, status_url=url,
                                  footer="依据《建筑起重机械安全监督管理规定》（建设部令第166号）置于该设备显著位置")
    return f"登记标志-{reg['number']}.pdf", pdf


async def public_status(*, mongo: UnitOfWorkFactory, token: str) -> dict[str, Any]:
    """HEB-07 what the QR code opens, without sign-in: ``registration_number``, ``status``
    (valid | dismantled | cancelled) with ``status_label``, the machine (kind, model, factory
    number, filing number) and the project's name — nothing the sign does not show. 404 for
    an unknown or altered token."""
    tenant = token.split(".", 1)[0] if "." in token else ""
    if not tenant or len(token) > 120:
        raise NotFound("no such registration sign", slug="sign-not-found")
    reg = await mongo.repo(store.APPLICATIONS, tenant).find_one({"sign_token": token})
    if reg is None:
        raise NotFound("no such registration sign", slug="sign-not-found")
    parts = await _sign_parts(mongo, tenant, reg)
    m = parts["machine"]
    return {"registration_number": reg["number"], "status": parts["status"],
            "status_label": STATUS_LABELS[parts["status"]],
            "machine": {"kind": m.get("machine_kind"), "model": m.get("model"),
                        "factory_number": m.get("factory_number"), "filing_number": m.get("filing_number")},
            "project_name": parts["project"].get("name"), "checked_at": utcnow()}


async def registry_xlsx(*, mongo: UnitOfWorkFactory, principal: Principal, max_rows: int) -> bytes:
    """HEB-06 the registry as XLSX: every machine (authorities and stations: the province; a
    company: its own) with its filing, the project where it stands and its operators. 422
    naming ``limit`` when more than ``max_rows`` machines would be exported."""
    flt = {} if principal.org_kind in AUTHORITY_KINDS else {"owner_org_id": principal.org_id}
    repo = mongo.repo(store.MACHINES, principal.tenant)
    if await repo.count(flt) > max_rows:
        raise Unprocessable(f"more than {max_rows} machines: export by company instead", field="limit")
    machines = await _with_places(mongo, principal.tenant, await repo.find(flt, sort=[("created_at", 1)],
                                                                          limit=max_rows))
    owners = {o["_id"]: o.get("name", "") for o in await mongo.repo(store.ORGANIZATIONS, principal.tenant).find(
        {"_id": {"$in": list({m["owner_org_id"] for m in machines})}}, limit=max_rows)}
    status = {"pending": "审核中", "filed": "已备案", "cancelled": "已注销"}
    rows = []
    for m in machines:
        operators = "、".join(f"{op['name']}（{OPERATOR_LABELS[OperatorRole(op['role'])]}）" for op in m["operators"])
        rows.append([m.get("filing_number") or "", MACHINE_LABELS.get(MachineKind(m["machine_kind"]), ""),
                     m.get("model"), m.get("maker"), m.get("factory_number"),
                     date.fromisoformat(m["manufacture_date"]) if m.get("manufacture_date") else None,
                     owners.get(m["owner_org_id"], m["owner_org_id"]), status.get(m.get("status", ""), ""),
                     m.get("project_name") or m.get("project_id") or "", operators])
    return await asyncio.to_thread(documents.registry_workbook, rows)

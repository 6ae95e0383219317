"""Events published by personnel, version 1 (HEB-11: company safety staff and
special-operations personnel with their certificates)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import EventModel

Category = Literal["A", "B", "C1", "C2", "C3", "electrician", "scaffolder", "signaller_rigger",
                   "crane_driver", "crane_installer", "platform_installer"]


class CompanyPersonSaved(EventModel):
    """``personnel.company_person.saved.v1``: a company's safety-staff member (三类人员 A/B/C1-3)
    or special-operations worker (建质〔2008〕75号) was entered or changed — the full snapshot,
    so other services (equipment) keep a read model of people and their certificates' validity."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "person_id": "2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c", "company_org_id": "6f1c2b9e0a4d4c3b8e7f5a1d2c3b4a59",
        "name": "赵刚", "category": "crane_driver", "certificate_number": "冀T0420260001", "issued_on": "2025-03-01",
        "expires_on": "2027-02-28", "removed": False, "version": 1}]})

    person_id: str = Field(description="the person's id (personnel)")
    company_org_id: str = Field(description="the company the person works for")
    name: str = Field(description="the person's name")
    category: Category = Field(description="A/B/C1/C2/C3 (三类人员) or a special-operations category")
    certificate_number: str = Field(description=(
        "the certificate's number (安全生产考核合格证书 or 特种作业操作资格证书)"))
    issued_on: date = Field(description="the day the certificate was issued")
    expires_on: date = Field(description="last day the certificate is valid (三类人员: 3 years, 特种作业: 2 years)")
    removed: bool = Field(default=False, description="the company removed the person")
    version: int = Field(ge=1, description="the person's version (+1 per change); keep the highest")


EVENTS: dict[str, type[BaseModel]] = {
    "personnel.company_person.saved.v1": CompanyPersonSaved,
}

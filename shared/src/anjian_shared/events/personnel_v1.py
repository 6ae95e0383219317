"""Events published by personnel, version 1 (HEB-11: company safety staff and
special-operations personnel with their certificates)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

Category = Literal["A", "B", "C1", "C2", "C3", "electrician", "scaffolder", "signaller_rigger",
                   "crane_driver", "crane_installer", "platform_installer"]


class CompanyPersonSaved(BaseModel):
    """``personnel.company_person.saved.v1``: a company's safety-staff member (三类人员 A/B/C1-3)
    or special-operations worker (建质〔2008〕75号) was entered or changed — the full snapshot,
    so other services (equipment) keep a read model of people and their certificates' validity."""

    person_id: str
    company_org_id: str = Field(description="the company the person works for")
    name: str = Field(description="the person's name")
    category: Category = Field(description="A/B/C1/C2/C3 (三类人员) or a special-operations category")
    certificate_number: str
    issued_on: date
    expires_on: date = Field(description="last day the certificate is valid (三类人员: 3 years, 特种作业: 2 years)")
    removed: bool = Field(default=False, description="the company removed the person")
    version: int = Field(ge=1, description="the person's version (+1 per change); keep the highest")


EVENTS: dict[str, type[BaseModel]] = {
    "personnel.company_person.saved.v1": CompanyPersonSaved,
}

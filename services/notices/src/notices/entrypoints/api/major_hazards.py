"""The register of open major accident hazards (重大事故隐患挂牌督办), HB-06 / HN-07: read by the
station leaders (their station) and the province admin (the tenant)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from anjian_shared.auth import CurrentPrincipal
from anjian_shared.deps import MongoDep
from anjian_shared.pagination import Cursor, Limit, Page
from anjian_shared.types import utcnow

from ...domain import major_hazards as rules
from ...domain.document_config import DOCUMENT_TYPE_LABELS
from ...domain.major_hazards import EntryStatus
from ...service_layer import major_hazards as cases

router = APIRouter(tags=["major-hazards"])


class HazardItem(BaseModel):
    code: str = Field(examples=["ZD2024-5.4"], description="catalog code of the 2024-standard item")
    name: str = Field(description="the item's text")


class MajorHazardRead(BaseModel):
    """One entry of the register: where, since when, which notice, overdue or not."""

    id: str = Field(examples=["notice:6f1c…"], description="notice:<id> (告知书) | document:<id> (处理文书)")
    source: str = Field(examples=["notice"], description="notice 告知书 (Hubei) | document 处理文书 (Hainan)")
    source_label: str = Field(examples=["告知书"])
    source_id: str = Field(description="the notice's or document's id")
    number: str = Field(examples=["鄂安监告〔2026〕0003号"], description="the notice's number")
    measure: str = Field(examples=["停工整改"], description="the disposition (告知书) or document type (处理文书)")
    measure_label: str = Field(examples=["停工整改"], description="the measure in Chinese")
    stop_work_part: str | None = Field(None, description="局部停工整改: the part where work stops")
    project_id: str
    project_name: str
    station_org_id: str
    hazards: list[HazardItem]
    found_at: datetime = Field(description="since when: the first major finding (result or record)")
    listed_at: datetime = Field(description="the notice's date (挂牌)")
    deadline: date = Field(description="整改期限 of the notice")
    status: EntryStatus = Field(description="open 督办中 | closed 已销号 (the notice closed) | rejected "
                                            "(文书审核未通过)")
    status_label: str = Field(examples=["督办中"])
    overdue: bool = Field(description="open and the deadline day has passed (Asia/Shanghai)")
    closed_at: datetime | None = None


MajorHazardPage = Page[MajorHazardRead]


def entry_read(doc: dict[str, Any], now: datetime) -> MajorHazardRead:
    """The response body of one stored entry (``overdue`` computed at ``now``)."""
    measure = doc["measure"]
    return MajorHazardRead(
        id=doc["_id"], source=doc["source"], source_label=rules.SOURCE_LABELS.get(doc["source"], doc["source"]),
        source_id=doc["source_id"], number=doc["number"], measure=measure,
        measure_label=DOCUMENT_TYPE_LABELS.get(measure, measure), stop_work_part=doc.get("stop_work_part"),
        project_id=doc["project_id"], project_name=doc.get("project_name", ""), station_org_id=doc["station_org_id"],
        hazards=doc.get("hazards", []), found_at=doc["found_at"], listed_at=doc["listed_at"],
        deadline=date.fromisoformat(doc["deadline"]), status=doc["status"],
        status_label=rules.STATUS_LABELS.get(doc["status"], doc["status"]), overdue=rules.is_overdue(doc, now=now),
        closed_at=doc.get("closed_at"))


@router.get("/major-hazards", response_model=MajorHazardPage, summary="Open major hazards (重大事故隐患挂牌督办)")
async def list_major_hazards(
    principal: CurrentPrincipal, mongo: MongoDep,
    status: Annotated[EntryStatus | None, Query(
        description="open 督办中 | closed 已销号 | rejected; none: all")] = None,
    project_id: Annotated[str | None, Query(max_length=64, description="only this project")] = None,
    overdue: Annotated[bool | None, Query(description="true: only open entries past their deadline; false: the "
                                                      "others")] = None,
    limit: Limit = 20, cursor: Cursor = None,
) -> MajorHazardPage:
    """HB-06 / HN-07 挂牌督办: the major accident hazards (重大事故隐患, 建质规〔2024〕5号) a notice
    rests on — a Hubei 告知书 whose results cite a 2024-standard item, a Hainan 停工/局部停工通知
    resting on a flagged record — newest first: where (project, station), since when
    (``found_at``, ``listed_at``), which notice (``source``, ``source_id``, ``number``), the
    items, the deadline and ``overdue``. An entry closes when its notice closes. A station
    leader sees the entries of their station, the province admin those of the tenant; another
    tenant's entries never appear. Paginated (``limit`` 1..100, ``cursor``). 403 other roles
    (``role-required``); 422 a bad cursor or filter."""
    now = utcnow()
    page = await cases.list_entries(mongo=mongo, principal=principal, status=status, project_id=project_id,
                                    overdue=overdue, now=now, limit=limit, cursor=cursor)
    return MajorHazardPage(items=[entry_read(d, now) for d in page.items], next_cursor=page.next_cursor)

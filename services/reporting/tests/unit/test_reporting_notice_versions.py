"""HB-09 on the in-memory fakes: reporting's notice read model follows the notice's version
from its events (any order), and the PDF is refused with a retryable 409 until it reached
the version the client asks for (``min_version``); the answer says which version it shows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from anjian_shared.errors import NotFound, NotYetAvailable
from anjian_shared.events.common import PersonRef
from anjian_shared.events.notices_v1 import (
    NoticeClosed,
    NoticeIssued,
    ReplyReviewed,
    ReplySubmitted,
)
from anjian_shared.mongo import with_transaction
from anjian_shared.testing.fakes import FakeDatabase
from reporting.service_layer import documents as docs
from reporting.service_layer import read_models as rm

TENANT = "hubei"
ZHANG = PersonRef(user_id="u-zhang", name="张伟")
LIU = PersonRef(user_id="u-liu", name="刘洋")
T = datetime(2026, 12, 2, 6, tzinfo=UTC)


def issued(version: int | None = 1) -> NoticeIssued:
    return NoticeIssued(notice_id="n1", number="鄂安监告〔2026〕0001号", plan_id="pl", project_id="p1",
                        project_name="江岸一号楼", station_org_id="st", addressee_org_id="ct", disposition="限期整改",
                        title="安全隐患整改告知书", construction_stage="主体结构施工",
                        rectification_date=date(2026, 12, 20), issued_by=ZHANG, replier_user_ids=["u-liu"],
                        issued_at=T, version=version)


async def apply(mongo: FakeDatabase, handler, payload) -> None:  # type: ignore[no-untyped-def]
    async def run(uow):  # type: ignore[no-untyped-def]
        kwargs = {"payload": payload}
        if handler is not rm.record_notice_closed:
            kwargs["event_id"] = f"e-{type(payload).__name__}"
        await handler(uow, **kwargs)

    await with_transaction(mongo, TENANT, run)


async def version(mongo: FakeDatabase, min_version: int | None = None) -> int | None:
    bundle = await docs.load_notice(mongo=mongo, tenant=TENANT, notice_id="n1", min_version=min_version)
    return bundle.version


async def test_hb09_the_pdf_waits_for_the_version_the_client_wrote():
    mongo = FakeDatabase(service="reporting")
    with pytest.raises(NotYetAvailable) as exc:                      # the notice itself is still on its way
        await version(mongo, min_version=1)
    assert exc.value.retry_after
    with pytest.raises(NotFound):                                    # without min_version: unknown is 404
        await version(mongo)
    await apply(mongo, rm.record_notice_issued, issued())
    assert await version(mongo, min_version=1) == 1
    reviewed = ReplyReviewed(notice_id="n1", number="x", reply_id="r1", round=1, passed=True, comment="",
                             reviewed_by=ZHANG, replier_user_ids=["u-liu"], reviewed_at=T, version=3)
    await apply(mongo, rm.record_reply_reviewed, reviewed)          # the review overtook the reply (version 2)
    with pytest.raises(NotYetAvailable) as exc:
        await version(mongo, min_version=3)
    assert exc.value.slug == "not-yet-available" and exc.value.retry_after
    await apply(mongo, rm.record_reply_submitted, ReplySubmitted(
        notice_id="n1", number="x", reply_id="r1", round=1, text="已整改", photos=[], replied_by=LIU,
        reviewer_user_id="u-zhang", submitted_at=T, version=2))
    assert await version(mongo, min_version=3) == 3
    await apply(mongo, rm.record_notice_closed, NoticeClosed(notice_id="n1", number="x", closed_at=T, rounds=1,
                                                             version=3))
    assert await version(mongo, min_version=2) == 3


async def test_hb09_a_notice_from_before_versions_renders_without_one():
    mongo = FakeDatabase(service="reporting")
    await apply(mongo, rm.record_notice_issued, issued(version=None))
    assert await version(mongo) is None
    assert await version(mongo, min_version=5) is None             # unknown version: nothing to wait for

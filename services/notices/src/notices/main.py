"""The notices service: 告知书 issued from submitted plans, replies and reviews (HB-06, HB-08),
and the Hainan enforcement documents 处理文书 with replies and escalation (HN-07..HN-09).

``create_app()`` builds the FastAPI app with the shared factory: routes under
``/api/notices/v1``, consumer queues ``notices.plan-submissions``,
``notices.document-projects``, ``notices.document-users``, ``notices.document-records``,
indexes at startup, and the escalation sweep as a background task of every replica.
"""

from __future__ import annotations

from fastapi import FastAPI

from anjian_shared.app import ServiceSpec, create_service_app
from anjian_shared.tenant_policy import policy_subscription

from .adapters.document_store import ensure_document_indexes
from .adapters.repository import ensure_indexes
from .entrypoints.api import discretion_router, documents_router, major_hazards_router, router
from .entrypoints.consumers import SUBSCRIPTIONS
from .service_layer.escalation import escalation_loop
from .settings import Settings


async def ensure_all_indexes(app: FastAPI) -> None:
    """Startup hook: the indexes of 告知书 and of 处理文书 (idempotent)."""
    await ensure_indexes(app)
    await ensure_document_indexes(app.state.mongo)


SPEC = ServiceSpec(
    name="notices",
    title="Anjian notices",
    description=(
        "Notices (告知书) issued when a plan is submitted with 限期整改/停工整改 (HB-06), the "
        "project department's rectification replies (整改回复) and the supervisor's review (审核), "
        "round after round until a reply passes (HB-08). Enforcement documents (处理文书: 整改/停工/"
        "复工/不良行为记录/设备使用限制/局部停工通知) resting on a supervision record, their review, "
        "replies and escalation to 处罚建议书/不良行为记录 when overdue (HN-07..HN-09); the province's "
        "discretion table (自由裁量基准) every penalty cites (HEB-18)."
    ),
    routers=[router, documents_router, major_hazards_router, discretion_router],
    subscriptions=[*SUBSCRIPTIONS, policy_subscription()],  # + queue notices.tenant-policy
    startup=[ensure_all_indexes],
    background=[escalation_loop],
    openapi_tags=[{"name": "notices", "description": "告知书, 整改回复, 审核 (HB-06, HB-08)"},
                  {"name": "documents", "description": "处理文书, 回复, 审核, 处罚建议书/不良行为记录 (HN-07..HN-09)"},
                  {"name": "major-hazards", "description": "重大事故隐患挂牌督办 (HB-06, HN-07)"},
                  {"name": "discretion", "description": "自由裁量基准, 处罚建议书的罚款 (HEB-18)"}],
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The notices FastAPI app (settings from the environment unless given)."""
    return create_service_app(SPEC, settings or Settings())

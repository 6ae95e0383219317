"""Use cases of enforcement documents (处理文书, HN-07..HN-09), split along their seams:

- ``submission``  submit a document (numbered), refuse every later change (HN-07)
- ``review``      the report recipients' review before its issue (HN-08)
- ``replies``     replies and their review by the issuer; closing (HN-09)
- ``queries``     one document, its escalation, the views and their counts (HN-07..09)
- ``config``      the tenant's numbering configuration (HN-07)
- ``common``      event types, the feature switch, visibility, retry on a concurrent change

Storing reply photos and attachments lives in ``notices.service_layer.document_media``.
The names below are the package's API (``from notices.service_layer import documents as cases``).
"""

from .common import (
    DOCUMENT_CLOSED,
    DOCUMENT_ISSUED,
    DOCUMENT_REPLIED,
    DOCUMENT_REPLY_REVIEWED,
    DOCUMENT_REVIEWED,
    DOCUMENT_SUBMITTED,
    ensure_enabled,
)
from .config import get_config, load_config, put_config
from .queries import (
    DocumentView,
    get_document,
    get_escalation,
    list_documents,
    list_escalations,
    list_replies,
    view_counts,
)
from .replies import review_reply, submit_reply
from .review import review_document
from .submission import issued_event, refuse_change, submit_document, submitted_event

__all__ = [
    "DOCUMENT_CLOSED", "DOCUMENT_ISSUED", "DOCUMENT_REPLIED", "DOCUMENT_REPLY_REVIEWED", "DOCUMENT_REVIEWED",
    "DOCUMENT_SUBMITTED", "DocumentView", "ensure_enabled", "get_config", "get_document", "get_escalation",
    "issued_event", "list_documents", "list_escalations", "list_replies", "load_config", "put_config",
    "refuse_change", "review_document", "review_reply", "submit_document", "submit_reply", "submitted_event",
    "view_counts",
]

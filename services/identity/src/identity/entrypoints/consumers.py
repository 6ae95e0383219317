"""identity's event consumers (FJ-01).

Queue ``identity.platform``: ``projects.platform_project.synced.v1`` opens the accounts of a
Fujian platform project's company administrator and chief engineer
(``service_layer.platform_accounts``); ``projects.project.registered/updated.v1`` keep the
directory ``projects`` (newest snapshot wins) that one-time-code sign-in reads to refuse
accounts whose projects are none 在建可评价.
"""

from __future__ import annotations

from anjian_shared.bus import Subscription
from anjian_shared.read_models import PROJECTS, read_model

from ..service_layer.platform_accounts import open_accounts

platform = Subscription("platform")
read_model(platform, collection="projects", events=PROJECTS)
platform.on("projects.platform_project.synced.v1")(open_accounts)

# HUN-20: the Hunan agencies' staff records (newest snapshot wins): a user application proposes one
read_model(platform, collection="staff", events={"personnel.staff.saved.v1": (
    lambda p: p.staff_id,
    lambda p: {"agency_org_id": p.agency_org_id, "name": p.name, "mobile": p.mobile, "post": p.post,
               "deleted": p.deleted})})

"""personnel's event consumers: the staff directory (users and their organisations).

Queue ``personnel.staff-directory``, kept by the shared read-model consumer
(``anjian_shared.read_models.read_model``): ``organizations`` and ``staff`` (the whole user
snapshot, mobile included); an older snapshot never overwrites a newer one.
"""

from __future__ import annotations

from anjian_shared.bus import Subscription
from anjian_shared.read_models import ORGANIZATIONS, read_model, snapshot_fields

directory = Subscription("staff-directory")
read_model(directory, collection="organizations", events=ORGANIZATIONS)
read_model(directory, collection="staff", events={
    t: (lambda p: p.user_id, snapshot_fields)
    for t in ("identity.user.created.v1", "identity.user.updated.v1")})

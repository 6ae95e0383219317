"""projects' event consumers: the directory of organisations and users from identity.

Queue ``projects.directory``, kept by the shared read-model consumer
(``anjian_shared.read_models.read_model``): ``organizations`` (name, kind, company roles — the
parties a project may name) and ``users`` (organisation, names, roles, enabled — supervisors
and participants); an older snapshot never overwrites a newer one.
"""

from __future__ import annotations

from anjian_shared.bus import Subscription
from anjian_shared.read_models import ORGANIZATIONS, USERS, read_model

directory = Subscription("directory")
read_model(directory, collection="organizations", events=ORGANIZATIONS)
read_model(directory, collection="users", events=USERS)

"""projects' event consumers: the directory of organisations and users from identity.

Queue ``projects.directory``, kept by the shared read-model consumer
(``anjian_shared.read_models.read_model``): ``organizations`` (name, kind, company roles — the
parties a project may name) and ``users`` (organisation, names, roles, enabled — supervisors
and participants); an older snapshot never overwrites a newer one.
"""

from __future__ import annotations

from anjian_shared.bus import Subscription
from anjian_shared.read_models import ORGANIZATIONS, USERS, read_model, snapshot_fields

directory = Subscription("directory")
read_model(directory, collection="organizations", events=ORGANIZATIONS)
read_model(directory, collection="users", events=USERS)

COMPANY_PEOPLE = {"personnel.company_person.saved.v1": (lambda p: p.person_id, snapshot_fields)}
"""Personnel's company people (HEB-11) by ``person_id``: company, category, certificate,
``expires_on``, ``removed`` — the contractor's B/C a Hebei filing names (HEB-04); the same
event equipment keeps for operators."""

people = read_model(Subscription("people-directory"), collection="company_people", events=COMPANY_PEOPLE)

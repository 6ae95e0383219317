"""equipment's event consumers: the project directory and identity's organisation directory.

Queues ``equipment.project-directory``, ``equipment.org-directory`` and
``equipment.people-directory`` (personnel's company people: operators' certificates, HEB-07), kept by the shared
read-model consumer (``anjian_shared.read_models.read_model``): an older snapshot never
overwrites a newer one. The organisation directory answers ``authority_for`` and the company
roles (leasing, contractor, installer) of applicants (HEB-06/07/14).
"""

from __future__ import annotations

from anjian_shared.bus import Subscription
from anjian_shared.read_models import ORGANIZATIONS, PROJECTS, read_model, snapshot_fields

COMPANY_PEOPLE = {"personnel.company_person.saved.v1": (lambda p: p.person_id, snapshot_fields)}
"""Personnel's company people (HEB-11) by ``person_id``: category, certificate, ``expires_on``."""

projects = read_model(Subscription("project-directory"), collection="projects", events=PROJECTS)
organizations = read_model(Subscription("org-directory"), collection="organizations", events=ORGANIZATIONS)
people = read_model(Subscription("people-directory"), collection="people", events=COMPANY_PEOPLE)

"""Event consumers of inspections: the project directory and the user-name directory.

Queues ``inspections.project-directory`` and ``inspections.user-directory``, kept by the shared
read-model consumer (``anjian_shared.read_models.read_model``): each snapshot is applied in the
transaction that also records the event id in the inbox, so a redelivered event has no second
effect, and only when it is newer than the one held (the aggregate's ``version``).
"""

from __future__ import annotations

from anjian_shared.bus import Subscription
from anjian_shared.read_models import PROJECTS, USERS, read_model

from ..adapters.repositories import PROJECTS as PROJECTS_COLLECTION
from ..adapters.repositories import USERS as USERS_COLLECTION

project_directory = read_model(Subscription("project-directory"), collection=PROJECTS_COLLECTION,
                               events=PROJECTS)
"""HB-02: the project's snapshot (name, station, parties, supervisors, participants)."""
user_directory = read_model(Subscription("user-directory"), collection=USERS_COLLECTION,
                            events=USERS)
"""The users' display names, organisations, roles and enabled flags (plans, records, events)."""

SUBSCRIPTIONS = (project_directory, user_directory)

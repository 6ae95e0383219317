"""equipment's event consumers: the project directory and identity's organisation directory.

Queues ``equipment.project-directory`` and ``equipment.org-directory``, kept by the shared
read-model consumer (``anjian_shared.read_models.read_model``): an older snapshot never
overwrites a newer one. The organisation directory answers ``authority_for`` and the company
roles (leasing, contractor, installer) of applicants (HEB-06/07/14).
"""

from __future__ import annotations

from anjian_shared.bus import Subscription
from anjian_shared.read_models import ORGANIZATIONS, PROJECTS, read_model

projects = read_model(Subscription("project-directory"), collection="projects", events=PROJECTS)
organizations = read_model(Subscription("org-directory"), collection="organizations", events=ORGANIZATIONS)

"""equipment's event consumers: the project directory crane filings will refer to.

Queue ``equipment.project-directory``, kept by the shared read-model consumer
(``anjian_shared.read_models.read_model``): the whole project snapshot by id; an older
snapshot never overwrites a newer one.
"""

from __future__ import annotations

from anjian_shared.bus import Subscription
from anjian_shared.read_models import PROJECTS, read_model

projects = read_model(Subscription("project-directory"), collection="projects", events=PROJECTS)

"""personnel settings (env prefix ``ANJIAN_``)."""

from pydantic import Field

from anjian_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "personnel"
    staffing_freeze_interval_seconds: float = Field(default=3600.0, gt=0, description=(
        "how often the year-end job (HUN-04) looks for past years whose staffing return is not "
        "frozen yet; it also runs at every start, so a service down over New Year catches up"))

"""projects settings (env prefix ``ANJIAN_``)."""

from anjian_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "projects"

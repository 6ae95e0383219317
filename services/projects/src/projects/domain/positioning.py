"""Project positioning rules (工程定位, HN-03): who positions a project, what a valid
position is, and distances on the WGS-84 ellipsoid's mean sphere. No I/O.

Units: longitude and latitude in WGS-84 decimal degrees (east / north positive),
distances in metres, clock skew in minutes.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from anjian_shared.errors import Forbidden, Unprocessable
from anjian_shared.principal import Principal

from .model import may_manage

EARTH_MEAN_RADIUS_M = 6_371_008.8
"""Mean radius of the Earth in metres (IUGG), the sphere the haversine formula uses."""

def may_position(actor: Principal, project: dict[str, Any]) -> bool:
    """HN-03: the supervisors and leaders of the project's supervising station position it
    (the same people who manage it); company users and other stations do not."""
    return may_manage(actor, project)


def ensure_may_position(actor: Principal, project: dict[str, Any]) -> None:
    """HN-03: raise 403 unless ``actor`` may position ``project`` (see ``may_position``)."""
    if not may_position(actor, project):
        raise Forbidden("only the supervisors and leaders of the project's station position it")


def validate_coordinates(longitude: float, latitude: float) -> None:
    """HN-03/HN-11: WGS-84 decimal degrees, longitude -180..180 and latitude -90..90, finite;
    422 naming ``longitude`` or ``latitude`` otherwise."""
    if not math.isfinite(longitude) or not -180 <= longitude <= 180:
        raise Unprocessable("longitude must be between -180 and 180 degrees", field="longitude")
    if not math.isfinite(latitude) or not -90 <= latitude <= 90:
        raise Unprocessable("latitude must be between -90 and 90 degrees", field="latitude")


def validate_captured_at(captured_at: datetime, *, now: datetime, future_skew_minutes: int) -> None:
    """HN-03: ``captured_at`` must carry a UTC offset and lie no more than
    ``future_skew_minutes`` minutes after ``now`` (the server's clock); 422 ``captured_at``."""
    if captured_at.tzinfo is None or captured_at.utcoffset() is None:
        raise Unprocessable("captured_at needs a UTC offset, e.g. 2026-11-21T09:30:00+08:00", field="captured_at")
    if captured_at > now + timedelta(minutes=future_skew_minutes):
        raise Unprocessable(f"captured_at lies more than {future_skew_minutes} minutes in the future",
                            field="captured_at")


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points given in decimal degrees
    (haversine on a sphere of ``EARTH_MEAN_RADIUS_M``; error well under 0.5 % — enough
    to tell "on site" from "elsewhere", HN-11)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_MEAN_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def distance_to_position(project: dict[str, Any], longitude: float, latitude: float) -> float | None:
    """Metres (rounded to 0.1 m) from the project's current position (HN-03) to the given
    point, or None when the project has not been positioned yet."""
    pos = project.get("positioning")
    if not pos:
        return None
    return round(haversine_m(pos["longitude"], pos["latitude"], longitude, latitude), 1)

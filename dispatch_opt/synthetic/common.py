"""Small helpers the city generator and the morning snapshot share: clock times and travel
minutes between generated places."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from ..format import roads
from ..format.travel import haversine_km
from .catalogue import HAVERSINE_DETOUR, HAVERSINE_KMH
from .presets import CityParams


def at_clock(day: datetime, hhmm: str) -> datetime:
    h, m = hhmm.split(":")
    return day + timedelta(hours=int(h), minutes=int(m))


def iso_minute(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M")


def span(a: datetime, b: datetime) -> dict:
    return {"start": iso_minute(a), "end": iso_minute(b)}


def travel_minutes(p: CityParams, locations: list[dict]) -> np.ndarray:
    """Minutes between `locations` as the written scenario will have them (the road matrix is
    rounded)."""
    latlon = np.array([(q["lat"], q["lon"]) for q in locations], dtype=float)
    if p.travel == "matrix":
        return np.round(roads.travel_matrix(roads.build_network(p.road_params), latlon)[0], 2)
    return haversine_km(latlon) * HAVERSINE_DETOUR / HAVERSINE_KMH * 60.0

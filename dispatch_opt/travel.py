"""Travel times and distances between locations, as whole numpy matrices.

One small interface (`travel_matrices`) over the contract's three models, so
the solver, the checker and the KPIs all see the same numbers.
"""

from __future__ import annotations

import numpy as np

from .model import EuclideanTravel, HaversineTravel, Location, MatrixTravel, Scenario

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


def travel_model(scenario: Scenario) -> HaversineTravel | EuclideanTravel | MatrixTravel:
    """The scenario's travel model, or the contract's default for its kind of location."""
    if scenario.travel is not None:
        return scenario.travel
    first = scenario.engineers[0].start if scenario.engineers else None
    if first is not None and first.kind == "planar":
        return EuclideanTravel(model="euclidean")
    return HaversineTravel(model="haversine")


def travel_matrices(scenario: Scenario, locations: list[Location]) -> tuple[np.ndarray, np.ndarray]:
    """(minutes, km) between every pair of `locations`, as float arrays of shape (n, n)."""
    model = travel_model(scenario)
    if isinstance(model, MatrixTravel):
        idx = np.array([loc.node for loc in locations], dtype=np.int64)
        minutes = np.asarray(model.minutes, dtype=float)[np.ix_(idx, idx)]
        km = (
            np.asarray(model.km, dtype=float)[np.ix_(idx, idx)]
            if model.km
            else np.zeros_like(minutes)
        )
        return minutes, km
    if isinstance(model, EuclideanTravel):
        xy = np.array([(loc.x, loc.y) for loc in locations], dtype=float).reshape(-1, 2)
        km = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    else:
        km = haversine_km(
            np.array([(loc.lat, loc.lon) for loc in locations], dtype=float).reshape(-1, 2)
        )
        km = km * model.detour
    return km / model.speed_kmh * 60.0, km


def haversine_km(latlon: np.ndarray) -> np.ndarray:
    """Great-circle km between all pairs of (lat, lon) rows."""
    lat, lon = np.radians(latlon[:, 0]), np.radians(latlon[:, 1])
    dlat = lat[None, :] - lat[:, None]
    dlon = lon[None, :] - lon[:, None]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, h)))

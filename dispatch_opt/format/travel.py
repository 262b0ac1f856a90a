"""Travel times and distances between locations: whole numpy matrices, blocks or single legs.

One small interface (`travel_matrices`, `travel_between`, `travel_legs`) over the contract's
three models, so the solver, the checker and the KPIs all see the same numbers.
"""

from __future__ import annotations

import math

import numpy as np

from .scenario import EuclideanTravel, HaversineTravel, Location, MatrixTravel, Scenario

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
KM_PER_DEG = math.pi * EARTH_RADIUS_KM / 180  # km per degree of latitude


def travel_model(scenario: Scenario) -> HaversineTravel | EuclideanTravel | MatrixTravel:
    """The scenario's travel model, or the contract's default for its kind of location."""
    if scenario.travel is not None:
        return scenario.travel
    first = scenario.engineers[0].start if scenario.engineers else None
    if first is not None and first.kind == "planar":
        return EuclideanTravel(model="euclidean")
    return HaversineTravel(model="haversine")


def travel_matrices(scenario: Scenario, locations: list[Location]) -> tuple[np.ndarray, np.ndarray]:
    """(minutes, km) between every pair of `locations`, as float arrays of shape (n, n).

    Built a block of rows at a time, so that the only arrays of size n x n are the two results."""
    return travel_between(scenario, locations, locations)


def travel_between(
    scenario: Scenario, origins: list[Location], destinations: list[Location]
) -> tuple[np.ndarray, np.ndarray]:
    """(minutes, km) from each of `origins` (rows) to each of `destinations` (columns)."""
    model = travel_model(scenario)
    n, m = len(origins), len(destinations)
    minutes, km = np.zeros((n, m)), np.zeros((n, m))
    if not n or not m:
        return minutes, km
    if isinstance(model, MatrixTravel):
        rows = [loc.node for loc in origins]
        cols = np.array([loc.node for loc in destinations], dtype=np.int64)
        for i, r in enumerate(rows):  # one matrix row at a time, never the whole matrix as floats
            minutes[i] = np.asarray(model.minutes[r], dtype=float)[cols]
            if model.km:
                km[i] = np.asarray(model.km[r], dtype=float)[cols]
        return minutes, km
    a, b = _coordinates(model, origins), _coordinates(model, destinations)
    step = max(1, BLOCK // m)
    for i in range(0, n, step):
        block = slice(i, i + step)
        minutes[block], km[block] = _legs(model, a[block, None, :], b[None, :, :])
    return minutes, km


def travel_legs(
    scenario: Scenario, origins: list[Location], destinations: list[Location]
) -> tuple[np.ndarray, np.ndarray]:
    """(minutes, km) of each leg origins[i] -> destinations[i]: only the legs asked for, the
    same numbers `travel_matrices` gives for them."""
    if len(origins) != len(destinations):
        raise ValueError("travel_legs: as many origins as destinations")
    model = travel_model(scenario)
    if not origins:
        return np.zeros(0), np.zeros(0)
    if isinstance(model, MatrixTravel):
        pairs = [(a.node, b.node) for a, b in zip(origins, destinations)]
        minutes = np.array([float(model.minutes[i][j]) for i, j in pairs])
        km = np.array([float(model.km[i][j]) for i, j in pairs]) if model.km else minutes * 0.0
        return minutes, km
    return _legs(model, _coordinates(model, origins), _coordinates(model, destinations))


BLOCK = 1 << 20  # pairs per block of rows: a few arrays of 8 MB at a time


def _coordinates(model, locations: list[Location]) -> np.ndarray:
    if isinstance(model, EuclideanTravel):
        return np.array([(loc.x, loc.y) for loc in locations], dtype=float).reshape(-1, 2)
    return np.radians(np.array([(loc.lat, loc.lon) for loc in locations], dtype=float)).reshape(
        -1, 2
    )


def _legs(model, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(minutes, km) from points a to points b (broadcast), x/y km or radians lat/lon."""
    if isinstance(model, EuclideanTravel):
        km = np.hypot(a[..., 0] - b[..., 0], a[..., 1] - b[..., 1])
    else:
        km = _great_circle(a[..., 0], a[..., 1], b[..., 0], b[..., 1]) * model.detour
    return km / model.speed_kmh * 60.0, km


def _great_circle(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle km (haversine formula), latitudes and longitudes in radians."""
    dlat, dlon = lat2 - lat1, lon2 - lon1
    h = np.sin(dlat / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, h)))


def haversine_km(latlon: np.ndarray) -> np.ndarray:
    """Great-circle km between all pairs of (lat, lon) rows."""
    lat, lon = np.radians(latlon[:, 0]), np.radians(latlon[:, 1])
    return _great_circle(lat[:, None], lon[:, None], lat[None, :], lon[None, :])

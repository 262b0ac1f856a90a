"""The synthetic road network and its shortest-path travel matrices."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import networkx as nx
import numpy as np
import pytest

from dispatch_opt.format.roads import (
    RoadNetwork,
    RoadParams,
    build_network,
    point_along,
    travel_matrix,
)

BOLOGNA = (44.4949, 11.3426)


@pytest.fixture(scope="module")
def net():
    return build_network()


def _at(net, *east_north: tuple[float, float]) -> np.ndarray:
    """(lat, lon) rows of points given in km east/north of the centre."""
    return net.to_latlon(np.array(east_north, dtype=float))


def _random_points(net, n: int, seed: int = 0, radius_km: float = 9.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    r, b = np.sqrt(rng.uniform(0, radius_km**2, n)), rng.uniform(0, 2 * np.pi, n)
    return _at(net, *np.column_stack([r * np.sin(b), r * np.cos(b)]))


def _triangle_excess(m: np.ndarray) -> float:
    """Largest m[i, k] - (m[i, j] + m[j, k]) over all i, j, k: <= 0 when the triangle inequality
    holds."""
    worst = -math.inf
    for j in range(len(m)):
        worst = max(worst, float((m - (m[:, j, None] + m[None, j, :])).max()))
    return worst


def test_network_is_connected_and_built_once(net):
    assert nx.is_connected(net.graph)
    assert build_network() is net and build_network(RoadParams()) is net


def test_network_has_every_road_class_at_its_speed(net):
    speed = RoadParams().speed
    roads = Counter(d["road"] for _, _, d in net.graph.edges(data=True))
    assert set(roads) == {"centre", "local", "arterial", "ramp", "ring"}
    assert roads["ring"] == RoadParams().ring_nodes and roads["ramp"] == RoadParams().ring_exits
    for _, _, d in net.graph.edges(data=True):
        assert d["km"] > 0 and d["minutes"] == pytest.approx(d["km"] / speed[d["road"]] * 60)


def test_network_lies_around_bologna(net):
    lat = np.array([d["lat"] for _, d in net.graph.nodes(data=True)])
    lon = np.array([d["lon"] for _, d in net.graph.nodes(data=True)])
    assert lat.mean() == pytest.approx(BOLOGNA[0], abs=0.01) and lon.mean() == pytest.approx(
        BOLOGNA[1], abs=0.01
    )
    assert (lat.max() - lat.min()) * 111.2 == pytest.approx(2 * RoadParams().radius_km, abs=0.5)


def test_matrix_is_square_symmetric_with_zero_diagonal(net):
    minutes, km = travel_matrix(net, _random_points(net, 60))
    for m in (minutes, km):
        assert m.shape == (60, 60) and np.all(np.diag(m) == 0) and np.allclose(m, m.T)
        assert np.all(m[~np.eye(60, dtype=bool)] > 0)


def test_matrix_keeps_the_triangle_inequality(net):
    minutes, _ = travel_matrix(net, _random_points(net, 120, seed=1))
    assert _triangle_excess(minutes) <= 1e-9
    assert _triangle_excess(np.round(minutes, 2)) <= 0.015  # what the files hold: up to rounding


def test_identical_points_are_zero_apart_and_dicts_work_like_rows(net):
    rows = _at(net, (1.23, -0.4), (1.23, -0.4), (3.0, 2.0))
    minutes, km = travel_matrix(net, [{"lat": a, "lon": b} for a, b in rows])
    assert minutes[0, 1] == km[0, 1] == 0 and minutes[0, 2] > 0
    assert np.array_equal(minutes, travel_matrix(net, rows)[0])


def test_road_travel_is_no_shorter_than_the_straight_line(net):
    pts = _random_points(net, 40, seed=2)
    _, km = travel_matrix(net, pts)
    xy = net.to_km(pts)
    straight = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    assert np.all(km >= straight - 1e-9)
    detour = km[straight > 2] / straight[straight > 2]
    assert 1.0 < np.median(detour) < 1.6  # a grid city: about 4/pi on average


def test_ring_road_beats_crossing_the_centre_between_opposite_sides(net):
    r = RoadParams().ring_radius_km
    west, east, centre = _at(net, (-r, 0.0), (r, 0.0), (0.0, 0.0))
    minutes, _ = travel_matrix(net, np.array([west, east, centre]))
    assert minutes[0, 1] < minutes[0, 2] + minutes[2, 1] - 5  # via the centre is minutes slower
    (a, b), _ = net.snap(np.array([west, east]))
    path = net.route(int(a), int(b))
    assert Counter(net.graph.edges[u, v]["road"] for u, v in itertools.pairwise(path))["ring"] >= 10


def test_historic_centre_is_slower_than_the_same_distance_outside(net):
    inside, _ = travel_matrix(net, _at(net, (-1.0, 0.0), (1.0, 0.0)))
    outside, _ = travel_matrix(net, _at(net, (-1.0, 3.7), (1.0, 3.7)))
    assert inside[0, 1] > 1.3 * outside[0, 1]


def test_access_leg_is_charged_at_access_speed(net):
    corner = int(net.street[0])
    node = net.graph.nodes[corner]
    here = np.array([[node["lat"], node["lon"]]])
    off = net.to_latlon(net.to_km(here) + [[0.1, 0.0]])  # 100 m beside the corner
    (snapped,), (km,) = net.snap(off)
    assert snapped == corner and km == pytest.approx(0.1, abs=1e-6)
    minutes, _ = travel_matrix(net, np.vstack([here, off]))
    assert minutes[0, 1] == pytest.approx(0.1 / RoadParams().access_kmh * 60)


def test_point_along_runs_from_start_to_end(net):
    a, b = ({"lat": x, "lon": y} for x, y in _at(net, (-3.0, -2.0), (2.5, 3.5)))
    assert point_along(net, a, b, 0.0) == pytest.approx((a["lat"], a["lon"]))
    assert point_along(net, a, b, 1.0) == pytest.approx((b["lat"], b["lon"]))
    rows = np.array([point_along(net, a, b, f) for f in (0.0, 0.25, 0.5, 0.75, 1.0)])
    minutes, _ = travel_matrix(net, rows)
    assert all(minutes[i, 4] > minutes[i + 1, 4] for i in range(4))  # ever closer to b


def test_large_matrix_is_assembled_from_one_dijkstra_per_distinct_corner(net):
    pts = _random_points(net, 600, seed=3)
    corners = len(np.unique(net.snap(pts)[0]))
    fresh = RoadNetwork(net.params, net.graph)  # the same roads, nothing cached yet
    assert np.array_equal(travel_matrix(fresh, pts)[0], travel_matrix(net, pts)[0])
    assert len(fresh._cache) == corners < 600

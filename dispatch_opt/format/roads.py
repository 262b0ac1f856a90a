"""A synthetic city road network and shortest-path travel matrices on it.

Why: straight-line travel (haversine x detour) makes every trip equally slow per km; a real city
has slow old streets, faster arterials and a ring road that is worth a detour. This module builds
such a network for a city (by default Bologna) with networkx and turns it into the contract's
`matrix` travel model: minutes and km between any points, along the quickest route.

The network, in planar km east/north of the centre (then placed at real lat/lon):
- a street grid (every `spacing_km`, corners jittered, a few streets missing) inside `radius_km`;
- every `arterial_every`-th grid line is an arterial;
- streets and arterials inside the historic centre (`centre_radius_km`) are slow (limited traffic
zone);
- a ring road (`ring_radius_km`, like Bologna's Tangenziale) joined to the grid at `ring_exits`
ramps.

A point is reached from its nearest street corner by a straight access leg at `access_kmh`
(driving the last few hundred metres and parking). Travel between two points is
access + quickest network route + access; between two identical points it is 0.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from .travel import KM_PER_DEG


@dataclass(frozen=True)
class RoadParams:
    """Shape and speeds of a synthetic city network; defaults are Bologna-like."""

    centre_lat: float = 44.4949
    centre_lon: float = 11.3426
    radius_km: float = 12.5  # the network covers this disk around the centre
    spacing_km: float = 0.5  # between parallel streets
    jitter_km: float = 0.08  # corners moved up to this far, so streets are not perfectly straight
    missing_share: float = (
        0.06  # of local streets left out (dead ends, rivers, railways), keeping it connected
    )
    arterial_every: int = 5  # every 5th street line (2.5 km apart) is an arterial
    centre_radius_km: float = 1.5  # historic centre: every street there is slow
    ring_radius_km: float = 5.5
    ring_nodes: int = 64  # corners of the ring polygon
    ring_exits: int = 16  # ramps between the ring and the grid, evenly spaced
    speeds_kmh: tuple[tuple[str, float], ...] = (
        ("centre", 15.0),
        ("local", 25.0),
        ("arterial", 40.0),
        ("ramp", 40.0),
        ("ring", 70.0),
    )
    access_kmh: float = 20.0  # the straight leg between a point and its nearest street corner
    seed: int = 0

    @property
    def speed(self) -> dict[str, float]:
        return dict(self.speeds_kmh)


@dataclass(eq=False)
class RoadNetwork:
    """The road graph (networkx) plus the arrays needed to route on it quickly.

    `graph` nodes are ints with attributes `east`, `north` (km from the centre), `lat`, `lon`,
    `kind` ("street" or "ring"); edges carry `km`, `minutes` and `road` (its class).
    """

    params: RoadParams
    graph: nx.Graph = field(repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        g = self.graph
        n = g.number_of_nodes()
        self.east = np.array([g.nodes[i]["east"] for i in range(n)])
        self.north = np.array([g.nodes[i]["north"] for i in range(n)])
        self.street = np.array([i for i in range(n) if g.nodes[i]["kind"] == "street"])
        # adjacency as plain lists: the Dijkstra below is pure Python, and list indexing is its
        # fastest path
        self._adj = [[(v, d["minutes"], d["km"]) for v, d in g.adj[u].items()] for u in range(n)]

    # ---------------------------------------------------------------- coordinates
    def to_km(self, latlon: np.ndarray) -> np.ndarray:
        """(east, north) km from the centre of (lat, lon) rows (equirectangular: exact to metres at
        city scale)."""
        p = self.params
        latlon = np.asarray(latlon, dtype=float).reshape(-1, 2)
        east = (latlon[:, 1] - p.centre_lon) * KM_PER_DEG * math.cos(math.radians(p.centre_lat))
        north = (latlon[:, 0] - p.centre_lat) * KM_PER_DEG
        return np.column_stack([east, north])

    def to_latlon(self, east_north: np.ndarray) -> np.ndarray:
        p = self.params
        en = np.asarray(east_north, dtype=float).reshape(-1, 2)
        lat = p.centre_lat + en[:, 1] / KM_PER_DEG
        lon = p.centre_lon + en[:, 0] / (KM_PER_DEG * math.cos(math.radians(p.centre_lat)))
        return np.column_stack([lat, lon])

    def snap(self, latlon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest street corner of each (lat, lon) row and the straight km to it (never a ring
        node)."""
        xy = self.to_km(latlon)
        node, km = np.empty(len(xy), dtype=np.int64), np.empty(len(xy))
        for a in range(0, len(xy), 512):  # chunks keep the distance table small
            d = np.hypot(
                xy[a : a + 512, None, 0] - self.east[None, self.street],
                xy[a : a + 512, None, 1] - self.north[None, self.street],
            )
            j = d.argmin(axis=1)
            node[a : a + 512], km[a : a + 512] = self.street[j], d[np.arange(len(j)), j]
        return node, km

    # ---------------------------------------------------------------- routing
    def shortest_from(self, source: int) -> tuple[np.ndarray, np.ndarray]:
        """(minutes, km) from `source` to every node along the quickest routes (km of that route).

        Plain heapq Dijkstra over adjacency lists, carrying the route's km along with its minutes:
        about 5x faster than networkx's generic version, which would also need a second pass for km.
        Results are cached per source for the life of the network.
        """
        hit = self._cache.get(source)
        if hit is not None:
            return hit
        adj, pop, push = self._adj, heapq.heappop, heapq.heappush
        t, km = [math.inf] * len(adj), [0.0] * len(adj)
        t[source] = 0.0
        heap = [(0.0, source)]
        while heap:
            tu, u = pop(heap)
            if tu > t[u]:
                continue  # a stale entry: u was reached sooner since
            ku = km[u]
            for v, w, length in adj[u]:
                tv = tu + w
                if tv < t[v]:
                    t[v], km[v] = tv, ku + length
                    push(heap, (tv, v))
        out = (np.array(t), np.array(km))
        self._cache[source] = out
        return out

    def route(self, a: int, b: int) -> list[int]:
        """Nodes of the quickest route from node a to node b."""
        return nx.shortest_path(self.graph, a, b, weight="minutes")


def build_network(params: RoadParams | None = None) -> RoadNetwork:
    """The road network for `params` (default: Bologna); deterministic, built once per process per
    params."""
    return _build(params or RoadParams())


@functools.lru_cache(maxsize=4)
def _build(params: RoadParams) -> RoadNetwork:
    p, rng = params, np.random.default_rng(params.seed)
    speed = p.speed
    g = nx.Graph()
    k = int(p.radius_km // p.spacing_km)
    idx: dict[tuple[int, int], int] = {}
    for i in range(-k, k + 1):  # i: east-west index (column), j: north-south index (row)
        for j in range(-k, k + 1):
            if math.hypot(i, j) * p.spacing_km <= p.radius_km:
                idx[i, j] = len(idx)
    jitter = rng.uniform(-p.jitter_km, p.jitter_km, (len(idx), 2))
    for (i, j), n in idx.items():
        g.add_node(
            n,
            east=i * p.spacing_km + jitter[n, 0],
            north=j * p.spacing_km + jitter[n, 1],
            kind="street",
        )

    def add(u: int, v: int, road: str) -> None:
        a, b = g.nodes[u], g.nodes[v]
        km = math.hypot(a["east"] - b["east"], a["north"] - b["north"])
        if (
            road in ("local", "arterial")
            and max(math.hypot(a["east"], a["north"]), math.hypot(b["east"], b["north"]))
            <= p.centre_radius_km
        ):
            road = "centre"
        g.add_edge(u, v, km=km, minutes=km / speed[road] * 60.0, road=road)

    for (i, j), n in idx.items():
        if (i + 1, j) in idx:  # an east-west street lies on row j
            add(n, idx[i + 1, j], "arterial" if j % p.arterial_every == 0 else "local")
        if (i, j + 1) in idx:  # a north-south street lies on column i
            add(n, idx[i, j + 1], "arterial" if i % p.arterial_every == 0 else "local")
    # leave some local streets out, never cutting the city in two
    local = [(u, v) for u, v, d in g.edges(data=True) if d["road"] == "local"]
    for e in rng.permutation(len(local))[: round(p.missing_share * len(local))]:
        u, v = local[e]
        data = g.edges[u, v]
        g.remove_edge(u, v)
        if g.degree(u) == 0 or g.degree(v) == 0 or not nx.has_path(g, u, v):
            g.add_edge(u, v, **data)
    # the ring road: a polygon of ring nodes, ramps to the nearest street corner at evenly spaced
    # exits
    street = np.array(list(idx.values()))
    east = np.array([g.nodes[n]["east"] for n in street])
    north = np.array([g.nodes[n]["north"] for n in street])
    first = g.number_of_nodes()
    for r in range(p.ring_nodes):
        b = 2 * math.pi * r / p.ring_nodes  # bearing from north, clockwise
        e, nn = p.ring_radius_km * math.sin(b), p.ring_radius_km * math.cos(b)
        g.add_node(first + r, east=e, north=nn, kind="ring")
        if r % max(1, p.ring_nodes // p.ring_exits) == 0:
            add(first + r, int(street[np.hypot(east - e, north - nn).argmin()]), "ramp")
    for r in range(p.ring_nodes):
        add(first + r, first + (r + 1) % p.ring_nodes, "ring")
    for n in g.nodes:
        lat = p.centre_lat + g.nodes[n]["north"] / KM_PER_DEG
        lon = p.centre_lon + g.nodes[n]["east"] / (
            KM_PER_DEG * math.cos(math.radians(p.centre_lat))
        )
        g.nodes[n].update(lat=lat, lon=lon)
    return RoadNetwork(p, g)


def _latlon(points: np.ndarray | Iterable[Mapping]) -> np.ndarray:
    if isinstance(points, np.ndarray):
        return points.astype(float).reshape(-1, 2)
    return np.array([(float(q["lat"]), float(q["lon"])) for q in points], dtype=float).reshape(
        -1, 2
    )


def travel_matrix(
    network: RoadNetwork, points: np.ndarray | Iterable[Mapping]
) -> tuple[np.ndarray, np.ndarray]:
    """(minutes, km), each of shape (n, n), between `points` ((lat, lon) rows or {"lat", "lon"}
    dicts).

    Each point is snapped to its nearest street corner; travel is the access leg there, the quickest
    route to the other point's corner, and its access leg (km: the length of that route). One
    Dijkstra per distinct corner, then the matrix is assembled with numpy. Symmetric; the diagonal
    and pairs of identical points are 0; minutes keep the triangle inequality (quickest routes plus
    access legs).
    """
    latlon = _latlon(points)
    node, access_km = network.snap(latlon)
    access_min = access_km / network.params.access_kmh * 60.0
    corners, where = np.unique(node, return_inverse=True)
    t = np.empty((len(corners), len(corners)))
    d = np.empty((len(corners), len(corners)))
    for r, c in enumerate(corners):
        tt, dd = network.shortest_from(int(c))
        t[r], d[r] = tt[corners], dd[corners]
    minutes = access_min[:, None] + t[np.ix_(where, where)] + access_min[None, :]
    km = access_km[:, None] + d[np.ix_(where, where)] + access_km[None, :]
    same = (latlon[:, None, 0] == latlon[None, :, 0]) & (latlon[:, None, 1] == latlon[None, :, 1])
    minutes[same] = 0.0
    km[same] = 0.0
    return minutes, km


def point_along(
    network: RoadNetwork, a: Mapping, b: Mapping, fraction: float
) -> tuple[float, float]:
    """(lat, lon) of a vehicle `fraction` of the travel time into the quickest trip from a to b.

    On a street (or an access leg) the point is interpolated; on the ring road or a ramp it is the
    street corner at the nearer end of that stretch, so the point can be snapped back onto the
    streets.
    """
    ends = _latlon([a, b])
    (na, nb), (ka, kb) = network.snap(ends)
    g, speed = network.graph, network.params.access_kmh / 60.0

    def at(n: int) -> tuple[float, float]:
        return g.nodes[n]["lat"], g.nodes[n]["lon"]

    # legs: (from (lat, lon), to (lat, lon), minutes, on a street?)
    legs = [(tuple(ends[0]), at(na), ka / speed, True)]
    path = network.route(int(na), int(nb))
    legs += [
        (at(u), at(v), g.edges[u, v]["minutes"], g.edges[u, v]["road"] not in ("ring", "ramp"))
        for u, v in itertools.pairwise(path)
    ]
    legs.append((at(nb), tuple(ends[1]), kb / speed, True))
    total = sum(leg[2] for leg in legs)
    goal = min(max(fraction, 0.0), 1.0) * total
    clock, i = 0.0, 0
    while i < len(legs) - 1 and clock + legs[i][2] < goal:
        clock += legs[i][2]
        i += 1
    p0, p1, m, street = legs[i]
    if street:
        f = 0.0 if m <= 0 else min(1.0, (goal - clock) / m)
        return p0[0] + f * (p1[0] - p0[0]), p0[1] + f * (p1[1] - p0[1])
    # on the ring: back to the ramp we came up, or on to the one we will leave by, whichever is
    # nearer in time
    j0 = i
    while j0 > 0 and not legs[j0 - 1][3]:
        j0 -= 1
    j1 = i
    while j1 < len(legs) - 1 and not legs[j1 + 1][3]:
        j1 += 1
    before = clock - sum(leg[2] for leg in legs[j0:i])
    after = clock + sum(leg[2] for leg in legs[i : j1 + 1])
    return legs[j0][0] if goal - before <= after - goal else legs[j1][1]

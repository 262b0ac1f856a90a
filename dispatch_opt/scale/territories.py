"""Territories: a large scenario cut into small ones that each solve alone, and put back together.

The cut never builds anything all-pairs over the whole scenario: tickets are split by recursive
bisection of their locations (balancing workload), engineers are dealt to the territories nearest
their home until each has its share of the shift hours, and a ticket nobody in its territory is
qualified for follows the nearest qualified engineer. Depot stock is shared by everyone, so each
depot's parts are split up front in proportion to each territory's demand for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..format.plan import Plan, Route
from ..format.scenario import Location, Scenario, Ticket
from ..format.travel import KM_PER_DEG

TRAVEL_ALLOWANCE_MIN = 15.0  # workload of a ticket: its service time plus a typical drive to it
SAMPLE = 200  # ticket locations kept per territory to tell which territories touch
GAP_KM = 5.0  # an empty stretch this wide is a good place to cut
FAR_KM = (
    30.0  # an engineer living further than this from every ticket of a territory fills no share
)


@dataclass
class Territory:
    """One territory: its engineers, its live tickets and its share of every depot's parts."""

    id: str
    engineers: list[str]
    tickets: list[str]
    centre: tuple[float, float]  # km, in the scenario's own plane (see `plane_km`)
    stock: dict[str, dict[str, int]] = field(default_factory=dict)  # depot -> part -> quantity
    sample: np.ndarray = field(default=None, repr=False)  # km points of up to 200 of its tickets


def plane_km(locations: list[Location]) -> np.ndarray | None:
    """(n, 2) km coordinates of `locations` on a local plane; None if one has only a node."""
    if any(loc.kind == "node" for loc in locations):
        return None
    if all(loc.kind == "planar" for loc in locations):
        return np.array([(loc.x, loc.y) for loc in locations], dtype=float).reshape(-1, 2)
    lat = np.array([loc.lat for loc in locations], dtype=float)
    lon = np.array([loc.lon for loc in locations], dtype=float)
    scale = math.cos(math.radians(float(lat.mean()))) if len(lat) else 1.0
    return np.column_stack([lon * KM_PER_DEG * scale, lat * KM_PER_DEG])


def can_split(sc: Scenario) -> bool:
    """Only scenarios whose every location has coordinates (not a bare matrix node) are split, and
    none with crew visits or follow-ups: a crew's members, or a follow-up and the visit it follows,
    could land in different territories (docs/crews.md)."""
    if any(t.crew > 1 or t.after is not None for t in sc.live_tickets):
        return False
    locs = [e.position or e.start for e in sc.engineers] + [t.location for t in sc.live_tickets]
    return bool(locs) and plane_km(locs[:1] + locs[-1:]) is not None and plane_km(locs) is not None


def _bisect(pts: np.ndarray, w: np.ndarray, idx: np.ndarray, k: int) -> list[np.ndarray]:
    """Cut `idx` into k groups of about equal weight, each cut across the wider side at the
    weighted quantile that gives both halves their share, or at a wide gap near it."""
    if k <= 1 or len(idx) <= 1:
        return [idx]
    p = pts[idx]
    axis = int(np.ptp(p[:, 1]) > np.ptp(p[:, 0]))
    order = idx[np.argsort(p[:, axis], kind="stable")]
    x = pts[order, axis]
    cum = np.cumsum(w[order])
    total = cum[-1]
    cut = int(np.searchsorted(cum, total * (k // 2) / k)) + 1
    # near the balanced cut, prefer a wide empty stretch: between two towns rather than through one
    tol = min(0.5 / k, 0.1)
    lo = int(np.searchsorted(cum, total * ((k // 2) / k - tol)))
    hi = int(np.searchsorted(cum, total * ((k // 2) / k + tol)))
    lo, hi = max(lo, 0), min(hi, len(order) - 1)
    if hi > lo:
        gaps = x[lo + 1 : hi + 1] - x[lo:hi]
        if gaps.max() > GAP_KM:
            cut = lo + 1 + int(np.argmax(gaps))
    cut = min(max(cut, 1), len(order) - 1)
    left_k = min(max(int(k * cum[cut - 1] / total + 0.5), 1), k - 1)
    return _bisect(pts, w, order[:cut], left_k) + _bisect(pts, w, order[cut:], k - left_k)


def _shift_minutes(e) -> float:
    return sum((s.end - s.start).total_seconds() / 60 for s in e.shifts)


def split(
    sc: Scenario, target_tickets: int, previous: Plan | None = None, workers: int = 1
) -> list[Territory]:
    """Territories of about `target_tickets` live tickets each (one territory if that is all), as
    many as a multiple of `workers` where that is near, so that no worker idles in the last wave.

    A ticket that must stay with an engineer (a required or frozen engineer, or the engineer the
    previous plan gave it) goes to that engineer's territory; one nobody in its territory is
    qualified for (skills, tools) follows the nearest qualified engineer elsewhere.
    """
    tickets = sc.live_tickets
    k = max(1, round(len(tickets) / max(1, target_tickets)))
    if workers > 1 and k > 1:
        k = workers * max(1, round(k / workers))
    k = min(k, max(1, len(sc.engineers)))
    if k == 1 or not can_split(sc):
        return [Territory("T1", [e.id for e in sc.engineers], [t.id for t in tickets], (0.0, 0.0))]
    tpts = plane_km([t.location for t in tickets])
    epts = plane_km([e.position or e.start for e in sc.engineers])  # where they are now
    w = np.array([t.duration_min + TRAVEL_ALLOWANCE_MIN for t in tickets])
    groups = _bisect(tpts, w, np.arange(len(tickets)), k)
    ticket_home = np.empty(len(tickets), dtype=int)
    for g, members in enumerate(groups):
        ticket_home[members] = g
    centres = np.array([np.average(tpts[g], axis=0, weights=w[g]) for g in groups])
    home_of = _deal_engineers(sc, epts, tpts, w, groups)
    territory_of_engineer = {e.id: int(g) for e, g in zip(sc.engineers, home_of)}
    pinned = {}
    if previous is not None:
        pinned = {s.ticket: r.engineer for r in previous.routes for s in r.visits}
    depot_tools = {tool for d in sc.depots for tool in d.tools}
    skillsets = [[] for _ in range(k)]
    for i, e in enumerate(sc.engineers):
        skillsets[home_of[i]].append((i, frozenset(e.skills), frozenset(e.tools)))

    def qualified(t: Ticket, members) -> list[int]:
        need, tools = set(t.skills), set(t.tools) - depot_tools
        return [i for i, sk, tl in members if need <= sk and tools <= tl]

    for n, t in enumerate(tickets):
        boss = t.engineer if t.engineer is not None else pinned.get(t.id)
        if boss in territory_of_engineer and (t.frozen or t.engineer is not None or t.id in pinned):
            ticket_home[n] = territory_of_engineer[boss]
            continue
        if qualified(t, skillsets[ticket_home[n]]):
            continue
        able = [i for g in range(k) for i in qualified(t, skillsets[g])]
        if able:  # follow the nearest qualified engineer
            d = np.hypot(epts[able, 0] - tpts[n, 0], epts[able, 1] - tpts[n, 1])
            ticket_home[n] = home_of[able[int(np.argmin(d))]]

    out = []
    for g in range(k):
        mine = np.flatnonzero(ticket_home == g)
        centre = centres[g]
        out.append(
            Territory(
                f"T{g + 1}",
                [e.id for e, h in zip(sc.engineers, home_of) if h == g],
                [tickets[i].id for i in mine],
                (float(centre[0]), float(centre[1])),
                sample=tpts[mine[:: max(1, len(mine) // SAMPLE)]],
            )
        )
    out = [t for t in out if t.engineers or t.tickets]
    split_stock(sc, out)
    return out


def _deal_engineers(
    sc: Scenario, epts: np.ndarray, tpts: np.ndarray, w: np.ndarray, groups: list[np.ndarray]
) -> np.ndarray:
    """Each engineer's territory: closest (engineer, territory) pairs first, by the distance from
    home to the territory's nearest ticket, each territory taking engineers until it has its share
    of the shift hours (its share of the workload), but never from further than FAR_KM (another
    service centre's engineers do not fill a share); the rest go to their nearest territory."""
    k = len(groups)
    cap = np.array([_shift_minutes(e) for e in sc.engineers])
    load = np.array([w[g].sum() for g in groups])
    want = load / load.sum() * cap.sum()
    dist = np.empty((len(epts), k))
    for g, members in enumerate(groups):  # engineers x this territory's tickets, a slice at a time
        p = tpts[members]
        for a in range(0, len(epts), 256):
            e = epts[a : a + 256]
            d = np.hypot(e[:, None, 0] - p[None, :, 0], e[:, None, 1] - p[None, :, 1])
            dist[a : a + 256, g] = d.min(axis=1)
    home_of = np.full(len(epts), -1)
    have = np.zeros(k)
    for flat in np.argsort(dist, axis=None, kind="stable"):
        e, g = divmod(int(flat), k)
        if dist[e, g] > FAR_KM:  # from here on no pair is near enough to fill a share
            break
        if home_of[e] < 0 and have[g] < want[g] and cap[e] > 0:
            home_of[e], have[g] = g, have[g] + cap[e]
    for e in np.flatnonzero(home_of < 0):  # no shift hours, or every share met: nearest
        home_of[e] = int(np.argmin(dist[e]))
    return home_of


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    s = sum(weights)
    if total <= 0 or s <= 0:
        return [0] * len(weights)
    want = [total * w / s for w in weights]
    got = [math.floor(x) for x in want]
    for i in sorted(range(len(want)), key=lambda i: got[i] - want[i])[: total - sum(got)]:
        got[i] += 1
    return got


def split_stock(sc: Scenario, territories: list[Territory]) -> None:
    """Each depot's parts, split among the territories in proportion to their tickets' demand for
    each part; the territories whose closest depot it is share it first, the others only when
    those need none of the part; a part nobody needs stays with the territory nearest the depot."""
    if not sc.depots or not territories:
        return
    dpts = plane_km([d.location for d in sc.depots])
    nearest = [
        int(np.argmin(np.hypot(dpts[:, 0] - t.centre[0], dpts[:, 1] - t.centre[1])))
        if dpts is not None
        else 0
        for t in territories
    ]
    centres = np.array([t.centre for t in territories])
    closest = [
        int(np.argmin(np.hypot(centres[:, 0] - x, centres[:, 1] - y))) if dpts is not None else 0
        for x, y in (dpts if dpts is not None else [(0.0, 0.0)] * len(sc.depots))
    ]
    demand = []
    for t in territories:
        need: dict[str, int] = {}
        for tid in t.tickets:
            for part, q in sc.ticket(tid).parts.items():
                need[part] = need.get(part, 0) + q
        demand.append(need)
    for j, d in enumerate(sc.depots):
        own = [i for i in range(len(territories)) if nearest[i] == j]
        for part, qty in d.parts.items():
            for group in (own, range(len(territories))):
                weights = [demand[i].get(part, 0) if i in group else 0 for i in range(len(demand))]
                if sum(weights) > 0:
                    break
            else:  # nobody needs it: it stays with the territory nearest the depot
                weights = [0.0] * len(territories)
                weights[closest[j]] = 1.0
            for t, q in zip(territories, _largest_remainder(qty, weights)):
                t.stock.setdefault(d.id, {})[part] = q


def sub_scenario(sc: Scenario, territories: list[Territory]) -> Scenario:
    """The contract scenario of one or more territories: their engineers, live tickets and depot
    stock (added up), with a matrix cut down to the nodes they use. Nothing is re-validated: it is
    cut from a valid scenario."""
    engineers = [sc.engineer(e) for t in territories for e in t.engineers]
    tickets = [sc.ticket(x) for t in territories for x in t.tickets]
    depots = []
    for d in sc.depots:
        parts = {p: sum(t.stock.get(d.id, {}).get(p, 0) for t in territories) for p in d.parts}
        depots.append(d.model_copy(update={"parts": parts}))
    fields = dict(
        name=sc.name + "/" + "+".join(t.id for t in territories),
        engineers=engineers,
        tickets=tickets,
        depots=depots,
    )
    if sc.travel is not None and sc.travel.model == "matrix":
        fields.update(_cut_matrix(sc, engineers, tickets, depots))
    return sc.replace(**fields)  # started work keeps its work left (not shortened again)


def _cut_matrix(sc: Scenario, engineers, tickets, depots) -> dict:
    """Per-territory matrices: only the nodes the territory uses, renumbered."""
    new: dict[int, int] = {}

    def at(loc: Location | None) -> Location | None:
        if loc is None:
            return None
        return loc.model_copy(update={"node": new.setdefault(loc.node, len(new))})

    engineers = [
        e.model_copy(update={"start": at(e.start), "end": at(e.end), "position": at(e.position)})
        for e in engineers
    ]
    tickets = [t.model_copy(update={"location": at(t.location)}) for t in tickets]
    depots = [d.model_copy(update={"location": at(d.location)}) for d in depots]
    idx = np.array(list(new), dtype=np.int64)
    m = sc.travel
    minutes = np.asarray(m.minutes, dtype=float)[np.ix_(idx, idx)].tolist()
    km = np.asarray(m.km, dtype=float)[np.ix_(idx, idx)].tolist() if m.km else None
    travel = m.model_copy(update={"minutes": minutes, "km": km})
    return {"engineers": engineers, "tickets": tickets, "depots": depots, "travel": travel}


def restrict(plan: Plan, engineers: set[str], tickets: set[str]) -> Plan:
    """The part of `plan` about these engineers and tickets (a warm start for a territory)."""
    return Plan(
        plan.scenario_name,
        [r for r in plan.routes if r.engineer in engineers],
        [u for u in plan.unassigned if u.ticket in tickets],
    )


def used_stock(routes: list[Route]) -> dict[str, dict[str, int]]:
    """Parts handed out by each depot along these routes."""
    out: dict[str, dict[str, int]] = {}
    for r in routes:
        for s in r.stops:
            if s.type == "restock":
                for part, q in (s.parts or {}).items():
                    out.setdefault(s.depot, {})[part] = out.setdefault(s.depot, {}).get(part, 0) + q
    return out


def border_km(a: Territory, b: Territory) -> float:
    """How far apart two territories' tickets come (over their samples): 0 when they touch."""
    if a.sample is None or b.sample is None or not len(a.sample) or not len(b.sample):
        return float(np.hypot(a.centre[0] - b.centre[0], a.centre[1] - b.centre[1]))
    p, q = a.sample, b.sample
    return float(np.hypot(p[:, None, 0] - q[None, :, 0], p[:, None, 1] - q[None, :, 1]).min())

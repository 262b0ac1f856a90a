"""Deterministic synthetic field-service scenarios (contract v1) for a Bologna-like city.

Why: the solver, benchmarks and demos need realistic, reproducible inputs whose
difficulty (capacity, skills, parts, windows, SLA pressure) is set by a few
parameters instead of hand-written JSON. Same parameters -> byte-identical JSON.

Travel is straight-line (the contract's haversine default) or, with ``travel="matrix"``,
quickest routes on a synthetic road network (`roads.py`) written as the contract's matrix
model, every location carrying its ``node``. With ``now`` set, the scenario is a real-time
snapshot: the planning morning is played out up to ``now`` (see `_snapshot`).

Regenerate every bundled file with ``dispatch-opt generate --all -o scenarios`` (one preset:
``dispatch-opt generate --preset small -o scenarios/small.json``).
"""

from __future__ import annotations

import calendar
import copy
import math
from datetime import datetime, timedelta

import numpy as np

from ..format import roads
from ..format.scenario import SCENARIO_FORMAT
from ..format.travel import EARTH_RADIUS_KM, KM_PER_DEG
from .catalogue import (
    APPLIANCE_DEMAND,
    APPLIANCE_NAMES,
    APPLIANCES,
    CONTRACTS,
    CREATED,
    FAULTS,
    INSPECTION_PROMISE_H,
    JOBS,
    REFRIGERANT,
    SLA,
    UNSERVABLE_SKILL,
    WINDOW_KINDS,
    WINDOWS,
)
from .common import at_clock, iso_minute, span
from .crews import add_crews_and_follow_ups
from .inspections import inspection_tickets, inspection_tier
from .presets import CityParams
from .snapshot import play_morning


def _ring(rng: np.random.Generator, n: int, r0: float, r1: float) -> np.ndarray:
    """n (east, north) km offsets uniform by area in the ring r0..r1 km around the centre."""
    r = np.sqrt(rng.uniform(r0**2, r1**2, n))
    b = rng.uniform(0, 2 * np.pi, n)
    return np.column_stack([r * np.sin(b), r * np.cos(b)])


def _shape(p: CityParams, pts: np.ndarray) -> np.ndarray:
    """(east, north) offsets of a round city moved onto the city's shape (no random draws, so a
    round city is unchanged): folded inland of the coast, stretched along the long axis, turned."""
    if p.shape == "round" and p.aspect == 1:
        return pts
    along, across = pts[:, 0].copy(), pts[:, 1].copy()
    if p.shape == "coast":
        across = np.abs(across)  # the sea is on the right of the bearing
    s = math.sqrt(p.aspect)
    along, across = along * s, across / s
    b = math.radians(p.bearing_deg)  # unit vector of the long axis: (sin b, cos b) east, north
    east = along * math.sin(b) - across * math.cos(b)
    north = along * math.cos(b) + across * math.sin(b)
    return np.column_stack([east, north])


def _location(p: CityParams, east_km: float, north_km: float) -> dict:
    lat = p.centre_lat + north_km / KM_PER_DEG
    lon = p.centre_lon + east_km / (KM_PER_DEG * math.cos(math.radians(p.centre_lat)))
    return {"lat": round(float(lat), 5), "lon": round(float(lon), 5)}


def _zone(p: CityParams, loc: dict) -> str:
    """Zone by great-circle distance of the written coordinates, as any checker would compute it."""
    la1, la2 = math.radians(p.centre_lat), math.radians(loc["lat"])
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin(math.radians(loc["lon"] - p.centre_lon) / 2) ** 2
    )
    return (
        "city" if 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h)) <= p.zone_radius_km else "outskirts"
    )


def _demand(rng: np.random.Generator, p: CityParams) -> np.ndarray:
    """Ticket offsets: gaussian neighbourhoods plus scattered outskirts, so workload and travel are
    lumpy."""
    k = int(rng.integers(p.neighbourhoods[0], p.neighbourhoods[1] + 1))
    centres = _ring(rng, k, 0.3, 0.5 * p.radius_km)
    spread = rng.uniform(0.4, 1.1, k)
    which = rng.choice(k, p.tickets, p=rng.dirichlet(np.full(k, 3.0)))
    pts = centres[which] + rng.normal(size=(p.tickets, 2)) * spread[which, None]
    out = rng.random(p.tickets) < p.outskirts_share
    pts[out] = _ring(rng, int(out.sum()), p.zone_radius_km, p.radius_km)
    r = np.hypot(pts[:, 0], pts[:, 1])
    return pts * np.minimum(1.0, p.radius_km / np.maximum(r, 1e-9))[:, None]  # strays back inside


def _skills(rng: np.random.Generator, p: CityParams) -> list[set[str]]:
    """Skill sets sized 2-4 whose supply follows demand, each appliance held by >= min_skill_cover
    engineers."""
    lo, hi = p.skills_per_engineer
    size = rng.integers(lo, hi + 1, p.engineers)
    want = {
        a: max(min(p.min_skill_cover, p.engineers), round(s * size.sum()))
        for a, s in zip(APPLIANCE_NAMES, APPLIANCE_DEMAND)
    }
    skills: list[set[str]] = [set() for _ in range(p.engineers)]
    for rnd in range(
        max(want.values())
    ):  # deal round by round so scarce skills are placed while room is left
        for a in (a for a in APPLIANCE_NAMES if want[a] > rnd):
            free = [
                int(i)
                for i in rng.permutation(p.engineers)
                if a not in skills[i] and len(skills[i]) < hi
            ]
            free.sort(
                key=lambda i: len(skills[i]) >= size[i]
            )  # stable: engineers below their size first
            if free:
                skills[free[0]].add(a)
    for s, n in zip(skills, size):
        while len(s) < n:
            s.add(APPLIANCE_NAMES[rng.choice(len(APPLIANCE_NAMES), p=APPLIANCE_DEMAND)])
    return skills


def _engineers(rng: np.random.Generator, p: CityParams, day0: datetime) -> list[dict]:
    homes = _shape(p, _ring(rng, p.engineers, *p.home_radius_km))
    shift_p = np.array([s[2] for s in p.shifts]) / sum(s[2] for s in p.shifts)
    days = [day0 + timedelta(days=d) for d in range(p.days)]
    out = []
    for i, (skills, home) in enumerate(zip(_skills(rng, p), homes)):
        start, end, _ = p.shifts[rng.choice(len(p.shifts), p=shift_p)]
        # a random subset of the parts for their skills, 1-2 of each: some jobs need a depot run
        van = {}
        for part in sorted(q for a in skills for q in APPLIANCES[a][1]):
            if rng.random() < 0.5:
                van[part] = int(rng.integers(1, 3))
        cold = skills & {"fridge", "aircon"}
        loc = _location(p, *home)
        out.append(
            {
                "id": f"E{i + 1:0{max(2, len(str(p.engineers)))}d}",
                "start": loc,
                "end": dict(loc),
                "shifts": [span(at_clock(d, start), at_clock(d, end)) for d in days],
                "max_overtime_min": int(rng.choice(p.overtime_min)),
                "skills": sorted(skills),
                "van": van,
                "tools": [REFRIGERANT] if cold and rng.random() < 0.5 else [],
                "breaks": [
                    span(at_clock(d, p.break_interval[0]), at_clock(d, p.break_interval[1]))
                    | {"duration_min": p.break_min}
                    for d in days
                ],
            }
        )
    return out


def _windows(
    rng: np.random.Generator, p: CityParams, day0: datetime, emergency: bool
) -> list[dict]:
    """One appointment window, sometimes a second one apart from it (later that day, or another
    day)."""
    offers = [
        (k, at_clock(day0 + timedelta(days=d), a), at_clock(day0 + timedelta(days=d), b))
        for d in range(p.days)
        for k, a, b in WINDOWS
    ]
    if emergency:
        offers = [o for o in offers if o[1].hour >= 12]
    kinds = sorted({o[0] for o in offers})
    w = np.array([WINDOW_KINDS[k] for k in kinds])
    kind = kinds[rng.choice(len(kinds), p=w / w.sum())]
    first = [o for o in offers if o[0] == kind][rng.integers(sum(o[0] == kind for o in offers))]
    picked = [first]
    rest = [
        o for o in offers if o[2] < first[1] or o[1] > first[2]
    ]  # a gap, else it is one long window
    if rest and rng.random() < p.two_window_share:
        picked.append(rest[rng.integers(len(rest))])
    return [span(a, b) for _, a, b in sorted(picked, key=lambda o: o[1])]


def _tiers(rng: np.random.Generator, p: CityParams) -> list[str]:
    """Tier of each ticket, in exact proportion to `tier_mix` (largest remainder), shuffled: a
    stable SLA load."""
    want = np.array(p.tier_mix) / sum(p.tier_mix) * p.tickets
    count = np.floor(want).astype(int)
    count[np.argsort(count - want, kind="stable")[: p.tickets - count.sum()]] += 1
    return [str(t) for t in rng.permutation(np.repeat(list(SLA), count))]


def _ticket(rng: np.random.Generator, p: CityParams, day0: datetime, tier: str, loc: dict) -> dict:
    appliance = APPLIANCE_NAMES[rng.choice(len(APPLIANCE_NAMES), p=APPLIANCE_DEMAND)]
    job = list(JOBS)[rng.choice(len(JOBS), p=[v[0] for v in JOBS.values()])]
    _, shortest, longest = JOBS[job]
    first, last, earliest, latest = CREATED[tier]
    day = day0 - timedelta(days=int(rng.integers(first, last + 1)))
    if tier == "emergency":
        t0, t1 = (day0 + timedelta(hours=h) for h in p.emergency_hours)
    else:
        t0, t1 = at_clock(day, earliest), at_clock(day, latest)
    created = t0 + timedelta(minutes=int(rng.integers(int((t1 - t0).total_seconds()) // 60 + 1)))
    t = {
        "location": loc,
        "zone": _zone(p, loc),
        "created": iso_minute(created),
        "priority": tier,
        "duration_min": 5 * round(rng.triangular(shortest, shortest, longest) / 5),
        "skills": [appliance],
    }
    if rng.random() < (p.emergency_window_share if tier == "emergency" else p.window_share):
        t["windows"] = _windows(rng, p, day0, tier == "emergency")
    if job == "repair" and rng.random() < p.part_share:
        parts = APPLIANCES[appliance][1]
        t["parts"] = {parts[rng.integers(len(parts))]: 2 if rng.random() < 0.15 else 1}
    if (appliance == "aircon" and job != "maintenance") or (
        appliance == "fridge" and job == "repair" and rng.random() < 0.3
    ):
        t["tools"] = [REFRIGERANT]
    return t


def generate_scenario(params: CityParams) -> dict:
    """A contract-v1 scenario dict, fully determined by `params` (seed included)."""
    p, rng = params, np.random.default_rng(params.seed)
    day0 = datetime.fromisoformat(p.start_date)
    engineers = _engineers(rng, p, day0)
    tickets = [
        _ticket(rng, p, day0, tier, _location(p, *xy))
        for tier, xy in zip(_tiers(rng, p), _shape(p, _demand(rng, p)))
    ]
    movable = [i for i, t in enumerate(tickets) if t["priority"] != "emergency"]
    if p.unservable_ticket and movable:
        t = tickets[movable.pop(int(rng.integers(len(movable))))]
        t.update(skills=[UNSERVABLE_SKILL], duration_min=90)
        for key in ("parts", "tools"):
            t.pop(key, None)
    named = "preferred_engineer" if p.follow_ups_preferred else "engineer"
    for i in rng.permutation(movable)[: round(p.named_engineer_share * p.tickets)]:
        able = [e["id"] for e in engineers if tickets[i]["skills"][0] in e["skills"]]
        if able:
            tickets[i][named] = able[rng.integers(len(able))]
    if p.faults:
        _as_faults(rng, tickets)
    tickets.sort(key=lambda t: t["created"])  # ticket numbers follow the order they were raised
    tickets = [
        {"id": f"T{n + 1:0{max(4, len(str(p.tickets)))}d}"} | t for n, t in enumerate(tickets)
    ]
    if p.inspections:
        tickets += _inspections(rng, p, day0, engineers)
    if p.crew_share or p.follow_up_share:  # their own stream: other presets stay as they were
        crews_rng = np.random.default_rng(p.seed + 20)
        tickets = add_crews_and_follow_ups(crews_rng, tickets, p.crew_share, p.follow_up_share)
    parts = sorted(q for v in APPLIANCES.values() for q in v[1])
    depot = {
        "id": "D1",
        "location": {"lat": p.depot_lat, "lon": p.depot_lon},
        "parts": {q: p.depot_stock for q in parts},
        "tools": [REFRIGERANT],
        "restock_min": 15,
    }
    sc = {
        "format": SCENARIO_FORMAT,
        "name": p.name,
        "sla": copy.deepcopy(SLA)
        | (inspection_tier(INSPECTION_PROMISE_H) if p.inspections else {}),
        "engineers": engineers,
        "tickets": tickets,
        "depots": [depot],
    }
    if p.faults:
        sc["faults"] = {
            kind: {"skills": [appliance]} | need
            for appliance, kinds in FAULTS.items()
            for kind, need in kinds.items()
        }
    if p.now is not None:
        now = at_clock(day0, p.now)
        play_morning(p, sc, now)
        sc = {"format": SCENARIO_FORMAT, "name": p.name, "now": iso_minute(now)} | sc
    if p.travel == "matrix":
        _add_road_matrix(p, sc)
    return sc


def _as_faults(rng: np.random.Generator, tickets: list[dict]) -> None:
    """Repairs become the fault type the call centre records (its catalogue entry says what the
    repair needs); installations and maintenance keep their own fields, as do tickets no fault
    type fits (the unservable one). A repair's own duration is dropped: the catalogue's wins."""
    for t in tickets:
        appliance = t["skills"][0]
        if appliance not in FAULTS or t["duration_min"] > 90 and "parts" not in t:
            continue  # an installation (long, no part) or nobody's skill
        part = next(iter(t.get("parts", {})), None)
        kinds = [k for k, need in FAULTS[appliance].items() if part in need.get("parts", {})]
        if part is None:
            kinds = [k for k, need in FAULTS[appliance].items() if "parts" not in need]
        if not kinds:
            continue
        t["fault"] = kinds[int(rng.integers(len(kinds)))]
        for key in ("skills", "duration_min", "parts", "tools"):
            t.pop(key, None)


def _inspections(
    rng: np.random.Generator, p: CityParams, day0: datetime, engineers: list[dict]
) -> list[dict]:
    """Maintenance contracts around the city, last visited so that some are due this week (a few
    overdue), each with the customer's usual window and the engineer who knows the site."""
    names = list(CONTRACTS)
    share = np.array([CONTRACTS[a][0] for a in names])
    contracts = []
    for i, xy in enumerate(_ring(rng, p.inspections, 0.5, p.radius_km)):
        appliance = names[rng.choice(len(names), p=share / share.sum())]
        _, every, minutes = CONTRACTS[appliance]
        loc = _location(p, *xy)
        due = day0.date() + timedelta(days=int(rng.integers(-3, p.days + 9)))
        months = {"quarter": 3, "half-year": 6, "year": 12}[every]
        year, month = divmod(due.month - 1 - months, 12)
        year, month = due.year + year, month + 1
        last = due.replace(year, month, min(due.day, calendar.monthrange(year, month)[1]))
        able = [e["id"] for e in engineers if appliance in e["skills"]]
        window = [None, ("08:00", "12:00"), ("13:00", "17:00")][
            int(rng.choice(3, p=[0.4, 0.35, 0.25]))
        ]
        c = {
            "customer": f"M{i + 1:03d}",
            "location": loc,
            "zone": _zone(p, loc),
            "every": every,
            "duration_min": minutes,
            "skills": [appliance],
            "last_visit": last.isoformat(),
        }
        if window:
            c["window"] = {"start": window[0], "end": window[1]}
        if able:
            c["preferred_engineer"] = able[int(rng.integers(len(able)))]
        contracts.append(c)
    return inspection_tickets(contracts, day0, p.days, promise_h=INSPECTION_PROMISE_H)


# ---------------------------------------------------------------- travel


def _add_road_matrix(p: CityParams, sc: dict) -> None:
    """Give every location a `node` (identical coordinates share one) and add the matrix travel
    model."""
    locations = [e[k] for e in sc["engineers"] for k in ("start", "end", "position") if k in e]
    locations += [t["location"] for t in sc["tickets"]] + [d["location"] for d in sc["depots"]]
    nodes: dict[tuple[float, float], int] = {}
    for loc in locations:
        loc["node"] = nodes.setdefault((loc["lat"], loc["lon"]), len(nodes))
    minutes, km = roads.travel_matrix(
        roads.build_network(p.road_params), np.array(list(nodes), dtype=float)
    )
    sc["travel"] = {
        "model": "matrix",
        "minutes": np.round(minutes, 2).tolist(),
        "km": np.round(km, 2).tolist(),
    }

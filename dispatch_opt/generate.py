"""Deterministic synthetic field-service scenarios (contract v1) for a Bologna-like city.

Why: the solver, benchmarks and demos need realistic, reproducible inputs whose
difficulty (capacity, skills, parts, windows, SLA pressure) is set by a few
parameters instead of hand-written JSON. Same parameters -> byte-identical JSON.

Travel is straight-line (the contract's haversine default) or, with ``travel="matrix"``,
quickest routes on a synthetic road network (`roads.py`) written as the contract's matrix
model, every location carrying its ``node``. With ``now`` set, the scenario is a real-time
snapshot: the planning morning is played out up to ``now`` (see `_snapshot`).

Regenerate every bundled file with ``python -m dispatch_opt.generate --all`` (one preset:
``python -m dispatch_opt.generate --preset small -o scenarios/small.json``).
"""

from __future__ import annotations

import calendar
import copy
import dataclasses
import heapq
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from . import roads
from .inspections import inspection_tickets, inspection_tier
from .model import ScenarioError
from .travel import haversine_km

FORMAT = "dispatch-opt.scenario/1"
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEG = math.pi * EARTH_RADIUS_KM / 180
REFRIGERANT = "refrigerant_recovery"
UNSERVABLE_SKILL = "solar_inverter"  # a job nobody is trained for: exercises the "unassigned" path

# appliance -> (share of demand in late autumn: boilers busy, air conditioners quiet, spare parts)
APPLIANCES = {
    "washer": (0.22, ("pump", "door_seal", "drum_bearing")),
    "dryer": (0.09, ("drive_belt", "heater_element", "thermal_fuse")),
    "dishwasher": (0.14, ("drain_pump", "spray_arm", "door_latch")),
    "fridge": (0.14, ("thermostat", "relay", "compressor_fan")),
    "oven": (0.10, ("heating_element", "oven_thermostat", "door_hinge")),
    "boiler": (0.25, ("ignition_pcb", "gas_valve", "fan_motor")),
    "aircon": (0.06, ("capacitor", "indoor_fan", "control_board")),
}
# The call centre's fault types (the scenario's `faults` catalogue, with faults=True): what a repair
# of each needs, as service manuals list them. Parts are the appliance's spares above, so vans and
# the depot stock them; a refrigerant leak needs the recovery unit.
FAULTS = {
    "washer": {
        "washer-not-draining": {"duration_min": 50, "parts": {"pump": 1}},
        "washer-door-leak": {"duration_min": 40, "parts": {"door_seal": 1}},
        "washer-drum-noise": {"duration_min": 90, "parts": {"drum_bearing": 1}},
        "washer-error-code": {"duration_min": 45},
        "washer-wont-spin": {"duration_min": 45},
    },
    "dryer": {
        "dryer-no-heat": {"duration_min": 60, "parts": {"heater_element": 1}},
        "dryer-drum-not-turning": {"duration_min": 45, "parts": {"drive_belt": 1}},
        "dryer-cuts-out": {"duration_min": 40, "parts": {"thermal_fuse": 1}},
        "dryer-not-drying": {"duration_min": 40},
    },
    "dishwasher": {
        "dishwasher-not-draining": {"duration_min": 50, "parts": {"drain_pump": 1}},
        "dishwasher-poor-wash": {"duration_min": 35, "parts": {"spray_arm": 1}},
        "dishwasher-door-wont-latch": {"duration_min": 30, "parts": {"door_latch": 1}},
        "dishwasher-error-code": {"duration_min": 35},
    },
    "fridge": {
        "fridge-not-cooling": {"duration_min": 60, "parts": {"relay": 1}},
        "fridge-too-cold": {"duration_min": 40, "parts": {"thermostat": 1}},
        "fridge-noisy-fan": {"duration_min": 45, "parts": {"compressor_fan": 1}},
        "fridge-refrigerant-leak": {"duration_min": 120, "tools": [REFRIGERANT]},
        "fridge-ice-build-up": {"duration_min": 40},
    },
    "oven": {
        "oven-no-heat": {"duration_min": 60, "parts": {"heating_element": 1}},
        "oven-wrong-temperature": {"duration_min": 45, "parts": {"oven_thermostat": 1}},
        "oven-door-wont-close": {"duration_min": 35, "parts": {"door_hinge": 1}},
        "oven-error-code": {"duration_min": 35},
    },
    "boiler": {
        "boiler-no-ignition": {"duration_min": 60, "parts": {"ignition_pcb": 1}},
        "boiler-gas-valve-fault": {"duration_min": 75, "parts": {"gas_valve": 1}},
        "boiler-fan-fault": {"duration_min": 60, "parts": {"fan_motor": 1}},
        "boiler-low-pressure": {"duration_min": 40},
        "boiler-no-hot-water": {"duration_min": 45},
        "boiler-radiators-cold": {"duration_min": 50},
    },
    "aircon": {
        "aircon-not-cooling": {"duration_min": 90, "tools": [REFRIGERANT]},
        "aircon-wont-start": {"duration_min": 45, "parts": {"capacitor": 1}},
        "aircon-indoor-unit-noise": {"duration_min": 60, "parts": {"indoor_fan": 1}},
        "aircon-error-code": {"duration_min": 50, "parts": {"control_board": 1}},
        "aircon-water-leak": {"duration_min": 40},
    },
}
# maintenance contracts (with inspections > 0): appliance -> (share, every, minutes on site)
CONTRACTS = {
    "boiler": (0.55, "year", 60),
    "aircon": (0.20, "half-year", 50),
    "fridge": (0.15, "quarter", 45),  # shops' cold rooms
    "oven": (0.10, "half-year", 40),  # restaurant kitchens
}
INSPECTION_PROMISE_H = 14 * 24.0
_NAMES = tuple(APPLIANCES)
_DEMAND = np.array([v[0] for v in APPLIANCES.values()])
# job type -> (share, shortest, longest on-site minutes); short jobs are the most common
JOBS = {"repair": (0.60, 45, 90), "maintenance": (0.25, 30, 60), "installation": (0.15, 90, 150)}
SLA = {  # in rank order, first = most important
    "emergency": {"arrive_within_h": 4},
    "urgent": {"arrive_within_h": 24},
    "normal": {"arrive_within_h": 48, "by_zone": {"outskirts": 72}},
    "low": {"arrive_within_h": 120},
}
# tier -> (fewest, most whole days before the planning day it was raised, earliest, latest time of
# day); old normal/low tickets are near or past their deadline, so lateness is a real trade-off.
# Emergencies are raised within CityParams.emergency_hours instead (their times here are not used).
CREATED = {
    "emergency": (0, 0, "06:00", "11:00"),
    "urgent": (1, 1, "08:00", "18:00"),
    "normal": (1, 2, "08:00", "18:00"),
    "low": (1, 5, "08:00", "18:00"),
}
# appointment windows offered each day: (kind, start, end); a customer picks a kind, then a slot of
# it
WINDOWS = (
    ("morning", "08:00", "12:00"),
    ("afternoon", "12:00", "17:00"),
    ("slot", "08:00", "10:00"),
    ("slot", "10:00", "12:00"),
    ("slot", "12:00", "14:00"),
    ("slot", "14:00", "16:00"),
    ("slot", "15:00", "17:00"),
)
WINDOW_KINDS = {"morning": 0.35, "afternoon": 0.35, "slot": 0.30}
# Emergencies as a nightly plan sees them: raised from 18:00 the evening before until 07:30, the
# earliest shift start (when the plan is made); a plan for the day cannot know of later ones.
EVENING_BEFORE = (-6.0, 7.5)
TRAVEL_MODELS = ("haversine", "matrix")
SHAPES = ("round", "strip", "coast")
# the contract's default travel for lat/lon, used when a scenario has no `travel`
HAVERSINE_KMH, HAVERSINE_DETOUR = 30.0, 1.3
REBOOK_WINDOW = (
    "12:00",
    "17:00",
)  # a real-time snapshot rebooks appointments missed before `now` to the afternoon
WINDOW_MARGIN_MIN = (
    15  # in the played-out morning, nobody is sent to arrive in a window's last 15 minutes
)


@dataclass(frozen=True)
class CityParams:
    """Knobs of one synthetic planning problem; defaults are a small Bologna weekday."""

    name: str = "bologna"
    engineers: int = 8
    tickets: int = 50
    days: int = 1
    seed: int = 0
    centre_lat: float = 44.4949
    centre_lon: float = 11.3426
    radius_km: float = 9.0  # demand stays within this distance of the centre
    zone_radius_km: float = 5.0  # tickets inside are zone "city", beyond "outskirts"
    neighbourhoods: tuple[int, int] = (6, 10)  # how many demand clusters (inclusive range)
    outskirts_share: float = 0.15  # demand scattered outside the neighbourhoods
    home_radius_km: tuple[float, float] = (1.5, 11.0)  # engineers live around the city
    depot_lat: float = 44.5190  # parts warehouse by the ring road (Tangenziale, Fiera exit)
    depot_lon: float = 11.3690
    depot_stock: int = 20  # of every part: generous, restocks never run dry
    start_date: str = "2026-11-30"  # a Monday
    shifts: tuple[tuple[str, str, float], ...] = (
        ("08:00", "17:00", 0.6),
        ("07:30", "16:00", 0.2),
        ("09:00", "18:00", 0.2),
    )
    overtime_min: tuple[int, ...] = (0, 30, 60)
    break_interval: tuple[str, str] = ("12:00", "14:00")
    break_min: int = 30
    tier_mix: tuple[float, ...] = (0.05, 0.20, 0.60, 0.15)  # shares of the SLA tiers, in rank order
    window_share: float = 0.55  # of non-emergency tickets with an appointment
    emergency_window_share: float = 0.1  # emergencies rarely book one, and only in the afternoon
    two_window_share: float = 0.10  # of windowed tickets offering a second window
    part_share: float = 0.40  # of repairs needing a spare part
    named_engineer_share: float = 0.03  # follow-up visits by a named engineer
    skills_per_engineer: tuple[int, int] = (2, 4)
    min_skill_cover: int = 3  # engineers per appliance, at least
    unservable_ticket: bool = True  # include one solar_inverter ticket nobody can serve
    # when emergencies are raised, in hours from the midnight that starts the first planning day
    # (negative: the evening before). The default (06:00-11:00 of the planning day itself, which a
    # nightly plan could not know) is kept for the small and medium files and the README's
    # benchmark; see EVENING_BEFORE.
    emergency_hours: tuple[float, float] = (6.0, 11.0)
    travel: str = "haversine"  # or "matrix": quickest routes on a synthetic road network (roads.py)
    # "HH:MM" on the first planning day: a real-time snapshot at that moment (the morning played
    # out; engineers with `position`, tickets `done`, `started`, `en_route`); None: a plan made
    # before the day
    now: str | None = None
    # breakdowns as the call centre records them: a fault type from the `faults` catalogue (FAULTS)
    # instead of skills, duration and parts on the ticket
    faults: bool = False
    # follow-ups prefer (soft, `preferred_engineer`) rather than require (`engineer`) their engineer
    follow_ups_preferred: bool = False
    # maintenance contracts whose inspections due over the days are added (inspection_tickets)
    inspections: int = 0
    # the city's shape: "round"; "strip" (stretched `aspect` times along `bearing_deg`, e.g. a
    # valley); "coast" (inland of a coastline through the centre along `bearing_deg`, stretched)
    shape: str = "round"
    aspect: float = 1.0
    bearing_deg: float = 90.0  # compass bearing of the long axis (90: east-west)
    road_spacing_km: float = 0.5  # street grid of the road network (travel="matrix")

    def __post_init__(self) -> None:
        problems = []
        if self.shape not in SHAPES:
            problems.append(f"shape: got {self.shape!r}; fix: use one of {', '.join(SHAPES)}")
        if not self.aspect >= 1:
            problems.append(f"aspect: got {self.aspect}; fix: use 1 (round) or more (stretched)")
        if not self.radius_km > 0:
            problems.append(f"radius_km: got {self.radius_km}; fix: use a positive number of km")
        if not 0.1 <= self.road_spacing_km <= 5:
            problems.append(
                f"road_spacing_km: got {self.road_spacing_km}; fix: use 0.1 to 5 km between streets"
            )
        if self.travel not in TRAVEL_MODELS:
            problems.append(
                f"travel: got {self.travel!r}; fix: use one of {', '.join(TRAVEL_MODELS)}"
            )
        for name in ("engineers", "tickets", "days"):
            if getattr(self, name) < 1:
                problems.append(
                    f"{name}: got {getattr(self, name)}; fix: use a whole number of at least 1"
                )
        if self.now is not None:
            try:
                datetime.strptime(self.now, "%H:%M")
            except (TypeError, ValueError):
                problems.append(f"now: got {self.now!r}; fix: give a time of day HH:MM, e.g. 11:00")
        if problems:
            raise ScenarioError(problems)

    @property
    def road_params(self) -> roads.RoadParams:
        """The road network of this city (used with travel="matrix")."""
        return roads.RoadParams(
            centre_lat=self.centre_lat,
            centre_lon=self.centre_lon,
            radius_km=max(12.5, self.radius_km * math.sqrt(self.aspect) + 3.5),
            spacing_km=self.road_spacing_km,
        )


# Bundled scenarios, one file each in scenarios/ (`--all`). Small is a little under capacity (nearly
# every ticket fits), medium close to it, so late or dropped low-tier work is a real trade-off;
# seeds were picked for representative mixes. Small and medium keep their original emergencies
# (raised on the planning morning) so their files and the README's figures stay; every other preset
# is what a plan made before the day can know (EVENING_BEFORE), or a snapshot at `now`.
_MEDIUM = CityParams(name="bologna-medium", engineers=40, tickets=300, seed=2)
PRESETS = {
    "small": CityParams(name="bologna-small", engineers=8, tickets=50, seed=10),
    "medium": _MEDIUM,
    # the medium day on the road network: the same people and tickets, quickest routes instead of
    # straight lines
    "medium-roads": dataclasses.replace(
        _MEDIUM, name="bologna-medium-roads", travel="matrix", emergency_hours=EVENING_BEFORE
    ),
    # a big city day; straight-line travel, since its 1,651 x 1,651 road matrices would be 30 MB of
    # JSON
    "large": CityParams(
        name="bologna-large",
        engineers=150,
        tickets=1500,
        seed=1,
        neighbourhoods=(14, 22),
        depot_stock=60,
        emergency_hours=EVENING_BEFORE,
    ),
    # twice the work the engineers can do: what gets dropped, and is it the right work?
    "overload": CityParams(
        name="bologna-overload",
        engineers=20,
        tickets=300,
        seed=4,
        travel="matrix",
        emergency_hours=EVENING_BEFORE,
    ),
    # three days planned at once: appointments on any of them, van stock carried over
    "multiday": CityParams(
        name="bologna-multiday",
        engineers=25,
        tickets=450,
        days=3,
        seed=5,
        emergency_hours=EVENING_BEFORE,
    ),
    # a working week of breakdowns (fault types) and periodic inspections of maintenance contracts
    "maintenance-week": CityParams(
        name="bologna-maintenance-week",
        engineers=10,
        tickets=110,
        days=5,
        seed=5,
        emergency_hours=EVENING_BEFORE,
        faults=True,
        follow_ups_preferred=True,
        named_engineer_share=0.08,
        inspections=70,
    ),
    # replanning at 11:00 on the road network: the morning's work done or under way, new emergencies
    # up to now
    "realtime": CityParams(
        name="bologna-realtime",
        engineers=40,
        tickets=300,
        seed=6,
        travel="matrix",
        emergency_hours=(-6.0, 11.0),
        now="11:00",
    ),
}
SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"


def _city(name: str, lat: float, lon: float, depot: tuple[float, float], **shape) -> CityParams:
    """A city day planned the evening before; the depot at (east, north) km from the centre."""
    dlat = lat + depot[1] / KM_PER_DEG
    dlon = lon + depot[0] / (KM_PER_DEG * math.cos(math.radians(lat)))
    return CityParams(
        name=name,
        centre_lat=lat,
        centre_lon=lon,
        depot_lat=round(dlat, 4),
        depot_lon=round(dlon, 4),
        emergency_hours=EVENING_BEFORE,
        **shape,
    )


# Cities for `--city` (sized by --engineers/--tickets), of different shapes: round, a strip along
# the coast, a valley city stretched north-south, a sprawling one with wider streets
CITIES = {
    "bologna": CityParams(name="bologna", emergency_hours=EVENING_BEFORE),
    "milan": _city("milan", 45.4642, 9.1900, (-4.0, 5.0), radius_km=12.0, road_spacing_km=0.6),
    "turin": _city("turin", 45.0703, 7.6869, (3.0, -2.0), shape="strip", aspect=2.0, bearing_deg=0),
    "genoa": _city(
        "genoa", 44.4056, 8.9463, (1.0, 1.5), shape="coast", aspect=5.0, bearing_deg=70.0
    ),
    "florence": _city("florence", 43.7696, 11.2558, (-3.0, 2.0), radius_km=8.0),
    "rome": _city("rome", 41.9028, 12.4964, (5.0, 3.0), radius_km=14.0, road_spacing_km=0.7),
    "naples": _city(
        "naples", 40.8518, 14.2681, (2.0, 3.0), shape="coast", aspect=2.5, bearing_deg=110.0
    ),
}


@dataclass(frozen=True)
class NetworkParams:
    """A national after-sales network: several service centres, each a city with its own depot
    and engineers; engineers and tickets are shared out by `centres` (city, share)."""

    name: str = "italy-network"
    engineers: int = 1000
    tickets: int = 10000
    days: int = 1
    seed: int = 0
    centres: tuple[tuple[str, float], ...] = (
        ("milan", 0.22),
        ("turin", 0.11),
        ("genoa", 0.07),
        ("bologna", 0.10),
        ("florence", 0.10),
        ("rome", 0.24),
        ("naples", 0.16),
    )


NETWORKS = {"network": NetworkParams()}


def _shares(total: int, weights: list[float]) -> list[int]:
    want = np.array(weights) / sum(weights) * total
    got = np.floor(want).astype(int)
    got[np.argsort(got - want, kind="stable")[: total - got.sum()]] += 1
    return [max(1, int(x)) for x in got]


def generate_network(params: NetworkParams) -> dict:
    """A contract-v1 scenario of several service centres (haversine travel: a road matrix over
    10,000 locations would not fit in a JSON file). Ids carry the centre: MIL-E001, ROM-T0042."""
    names = [c for c, _ in params.centres]
    unknown = [c for c in names if c not in CITIES]
    if unknown:
        raise ScenarioError(
            [f"centres: got {unknown[0]!r}; fix: use cities from {', '.join(CITIES)}"]
        )
    weights = [w for _, w in params.centres]
    engineers, tickets, depots = [], [], []
    pairs = zip(names, _shares(params.engineers, weights), _shares(params.tickets, weights))
    for i, (city, n_eng, n_tix) in enumerate(pairs):
        p = dataclasses.replace(
            CITIES[city],
            engineers=n_eng,
            tickets=n_tix,
            days=params.days,
            seed=params.seed * 1000 + i,
        )
        sc = generate_scenario(p)
        tag = city[:3].upper()
        for e in sc["engineers"]:
            e["id"] = f"{tag}-{e['id']}"
        for t in sc["tickets"]:
            t["id"] = f"{tag}-{t['id']}"
            if "engineer" in t:
                t["engineer"] = f"{tag}-{t['engineer']}"
        for d in sc["depots"]:
            d["id"] = f"{tag}-{d['id']}"
        engineers += sc["engineers"]
        tickets += sc["tickets"]
        depots += sc["depots"]
    return {
        "format": FORMAT,
        "name": params.name,
        "sla": copy.deepcopy(SLA),
        "engineers": engineers,
        "tickets": tickets,
        "depots": depots,
    }


def _at(day: datetime, hhmm: str) -> datetime:
    h, m = hhmm.split(":")
    return day + timedelta(hours=int(h), minutes=int(m))


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M")


def _span(a: datetime, b: datetime) -> dict:
    return {"start": _iso(a), "end": _iso(b)}


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
        for a, s in zip(_NAMES, _DEMAND)
    }
    skills: list[set[str]] = [set() for _ in range(p.engineers)]
    for rnd in range(
        max(want.values())
    ):  # deal round by round so scarce skills are placed while room is left
        for a in (a for a in _NAMES if want[a] > rnd):
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
            s.add(_NAMES[rng.choice(len(_NAMES), p=_DEMAND)])
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
                "shifts": [_span(_at(d, start), _at(d, end)) for d in days],
                "max_overtime_min": int(rng.choice(p.overtime_min)),
                "skills": sorted(skills),
                "van": van,
                "tools": [REFRIGERANT] if cold and rng.random() < 0.5 else [],
                "breaks": [
                    _span(_at(d, p.break_interval[0]), _at(d, p.break_interval[1]))
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
        (k, _at(day0 + timedelta(days=d), a), _at(day0 + timedelta(days=d), b))
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
    return [_span(a, b) for _, a, b in sorted(picked, key=lambda o: o[1])]


def _tiers(rng: np.random.Generator, p: CityParams) -> list[str]:
    """Tier of each ticket, in exact proportion to `tier_mix` (largest remainder), shuffled: a
    stable SLA load."""
    want = np.array(p.tier_mix) / sum(p.tier_mix) * p.tickets
    count = np.floor(want).astype(int)
    count[np.argsort(count - want, kind="stable")[: p.tickets - count.sum()]] += 1
    return [str(t) for t in rng.permutation(np.repeat(list(SLA), count))]


def _ticket(rng: np.random.Generator, p: CityParams, day0: datetime, tier: str, loc: dict) -> dict:
    appliance = _NAMES[rng.choice(len(_NAMES), p=_DEMAND)]
    job = list(JOBS)[rng.choice(len(JOBS), p=[v[0] for v in JOBS.values()])]
    _, shortest, longest = JOBS[job]
    first, last, earliest, latest = CREATED[tier]
    day = day0 - timedelta(days=int(rng.integers(first, last + 1)))
    if tier == "emergency":
        t0, t1 = (day0 + timedelta(hours=h) for h in p.emergency_hours)
    else:
        t0, t1 = _at(day, earliest), _at(day, latest)
    created = t0 + timedelta(minutes=int(rng.integers(int((t1 - t0).total_seconds()) // 60 + 1)))
    t = {
        "location": loc,
        "zone": _zone(p, loc),
        "created": _iso(created),
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
    parts = sorted(q for v in APPLIANCES.values() for q in v[1])
    depot = {
        "id": "D1",
        "location": {"lat": p.depot_lat, "lon": p.depot_lon},
        "parts": {q: p.depot_stock for q in parts},
        "tools": [REFRIGERANT],
        "restock_min": 15,
    }
    sc = {
        "format": FORMAT,
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
        now = _at(day0, p.now)
        _snapshot(p, sc, now)
        sc = {"format": FORMAT, "name": p.name, "now": _iso(now)} | sc
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


def _travel_minutes(p: CityParams, locations: list[dict]) -> np.ndarray:
    """Minutes between `locations` as the written scenario will have them (the road matrix is
    rounded)."""
    latlon = np.array([(q["lat"], q["lon"]) for q in locations], dtype=float)
    if p.travel == "matrix":
        return np.round(roads.travel_matrix(roads.build_network(p.road_params), latlon)[0], 2)
    return haversine_km(latlon) * HAVERSINE_DETOUR / HAVERSINE_KMH * 60.0


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


# ---------------------------------------------------------------- real-time snapshot


def _snapshot(p: CityParams, sc: dict, now: datetime) -> None:
    """Play the first planning day out until `now`, the way a dispatcher would have run it.

    The morning runs on the plan made before the day (at the earliest shift start): each engineer
    leaves home at shift start and, whenever free, is sent to the ticket of that plan's pool that is
    cheapest to reach (travel minutes + 20 per tier below the first) with the skills, tools and
    parts on the van, a window open on arrival (not in its last 15 minutes) and an end inside the
    shift; with none, they wait 15 minutes and look again. Tickets raised after the plan was made
    (the morning's new emergencies) wait for the replanning at `now`. Then, at `now`: a visit that
    has ended is `done` (its parts are gone from the van: `van` is the stock at `now`); one under
    way is `started` with the engineer at its location; a trip under way is `en_route`, the engineer
    somewhere along the route. Every engineer gets a `position`. Open tickets whose every
    appointment window closed before `now` are rebooked to the afternoon.
    """
    engineers, tickets = sc["engineers"], sc["tickets"]
    ne = len(engineers)
    minutes = _travel_minutes(p, [e["start"] for e in engineers] + [t["location"] for t in tickets])
    rank = {tier: i for i, tier in enumerate(sc["sla"])}
    created = [datetime.fromisoformat(t["created"]) for t in tickets]
    windows = [
        [
            (datetime.fromisoformat(w["start"]), datetime.fromisoformat(w["end"]))
            for w in t.get("windows", [])
        ]
        for t in tickets
    ]
    place = list(range(ne))  # index into `minutes`: home, then the last ticket visited
    vans = [dict(e["van"]) for e in engineers]
    position: dict[int, dict] = {}
    shift = [
        tuple(datetime.fromisoformat(e["shifts"][0][k]) for k in ("start", "end"))
        for e in engineers
    ]
    planned_at = min(s for s, _ in shift)
    pool = {
        k for k in range(len(tickets)) if created[k] <= planned_at
    }  # the rest is news for the replanning
    queue = [(shift[i][0], i) for i in range(ne)]
    heapq.heapify(queue)
    margin = timedelta(minutes=WINDOW_MARGIN_MIN)
    while queue:
        clock, i = heapq.heappop(queue)
        if clock >= now:
            continue
        e, van = engineers[i], vans[i]
        best = None
        for k in pool:
            t = tickets[k]
            if (
                not set(t["skills"]) <= set(e["skills"])
                or t.get("engineer", e["id"]) != e["id"]
                or not set(t.get("tools", [])) <= set(e["tools"])
                or any(van.get(q, 0) < n for q, n in t.get("parts", {}).items())
            ):
                continue
            travel = float(minutes[place[i], ne + k])
            start = clock + timedelta(minutes=travel)
            if start + timedelta(minutes=t["duration_min"]) > shift[i][1]:
                continue
            if windows[k] and not any(a <= start <= b - margin for a, b in windows[k]):
                continue
            score = (travel + 20 * rank[t["priority"]], k)
            if best is None or score < best[0]:
                best = (score, k, start)
        if best is None:
            heapq.heappush(queue, (clock + timedelta(minutes=15), i))
            continue
        _, k, start = best
        t = tickets[k]
        pool.discard(k)
        t["engineer"] = e["id"]
        end = start + timedelta(minutes=t["duration_min"])
        if end <= now:
            t["status"] = "done"
            for q, n in t.get("parts", {}).items():
                van[q] -= n
            place[i] = ne + k
            heapq.heappush(queue, (end, i))
        elif start <= now:
            t["status"] = "started"
            position[i] = dict(t["location"])
        else:
            t["status"] = "en_route"
            position[i] = _along(
                p,
                _place(engineers, tickets, place[i]),
                t["location"],
                (now - clock) / (start - clock),
            )
    for i, e in enumerate(engineers):
        e["van"] = {q: n for q, n in vans[i].items() if n > 0}
        e["position"] = position.get(i) or dict(_place(engineers, tickets, place[i]))
    day = datetime.combine(now.date(), datetime.min.time())
    afternoon = [_span(_at(day, REBOOK_WINDOW[0]), _at(day, REBOOK_WINDOW[1]))]
    for k in range(len(tickets)):
        if windows[k] and "status" not in tickets[k]:
            kept = [w for w, (_, b) in zip(tickets[k]["windows"], windows[k]) if b > now]
            tickets[k]["windows"] = kept or afternoon


def _place(engineers: list[dict], tickets: list[dict], index: int) -> dict:
    return (
        engineers[index]["start"]
        if index < len(engineers)
        else tickets[index - len(engineers)]["location"]
    )


def _along(p: CityParams, a: dict, b: dict, fraction: float) -> dict:
    """Where a trip from a to b is after `fraction` of its travel time."""
    if p.travel == "matrix":
        lat, lon = roads.point_along(roads.build_network(p.road_params), a, b, fraction)
    else:
        lat, lon = (
            a["lat"] + fraction * (b["lat"] - a["lat"]),
            a["lon"] + fraction * (b["lon"] - a["lon"]),
        )
    return {"lat": round(float(lat), 5), "lon": round(float(lon), 5)}


# ---------------------------------------------------------------- files and options


def to_json(scenario: dict) -> str:
    """The canonical file text: what the bundled scenarios hold, byte for byte.

    Indented one space per level; the rows of a travel matrix are one line each, so a 340-point
    matrix is 340 lines rather than 115,600.
    """
    travel = scenario.get("travel")
    if not (isinstance(travel, dict) and travel.get("model") == "matrix"):
        return json.dumps(scenario, indent=1, ensure_ascii=False) + "\n"
    keys = [k for k in ("minutes", "km") if isinstance(travel.get(k), list)]
    text = json.dumps(
        scenario | {"travel": travel | {k: f"\0{k}\0" for k in keys}}, indent=1, ensure_ascii=False
    )
    for k in keys:
        rows = ",\n   ".join(json.dumps(row, separators=(",", ":")) for row in travel[k])
        text = text.replace(json.dumps(f"\0{k}\0"), "[\n   " + rows + "\n  ]")
    return text + "\n"


def params_from_options(
    *,
    preset: str | None = None,
    engineers: int | None = None,
    tickets: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    travel: str | None = None,
    city: str | None = None,
    centre: tuple[float, float] | None = None,
    radius_km: float | None = None,
    road_spacing_km: float | None = None,
) -> CityParams:
    """The CityParams for a preset (default: a nightly plan for a city day) with the given options
    overridden.

    Without a preset, the base is CityParams() with emergencies raised the evening before
    (EVENING_BEFORE), what a plan made before the day can know. When any option changes a preset,
    the name says so, e.g. `bologna-40x300-1d-seed7-roads`.
    """
    if preset is not None and preset not in PRESETS:
        names = ", ".join([*PRESETS, *NETWORKS])
        raise ScenarioError([f"preset: got {preset!r}; fix: use one of {names}"])
    if city is not None and city not in CITIES:
        raise ScenarioError([f"city: got {city!r}; fix: use one of {', '.join(CITIES)}"])
    if preset is not None and city is not None:
        raise ScenarioError([f"city: got {city!r} with a preset; fix: give one of them"])
    base = PRESETS[preset] if preset else CITIES[city or "bologna"]
    options = {
        "engineers": engineers,
        "tickets": tickets,
        "days": days,
        "seed": seed,
        "travel": travel,
        "radius_km": radius_km,
        "road_spacing_km": road_spacing_km,
    }
    if centre is not None:
        options.update(centre_lat=centre[0], centre_lon=centre[1])
        if city is None and preset is None:  # a city of one's own: the depot by its centre
            options.update(depot_lat=centre[0] + 0.02, depot_lon=centre[1] + 0.02)
    given = {k: v for k, v in options.items() if v is not None}
    p = dataclasses.replace(base, **given)
    if preset is None or any(getattr(p, k) != getattr(base, k) for k in given):
        town = base.name.split("-")[0] if centre is None else "city"
        name = f"{town}-{p.engineers}x{p.tickets}-{p.days}d-seed{p.seed}" + (
            "-roads" if p.travel == "matrix" else ""
        )
        p = dataclasses.replace(p, name=name + (f"-at{p.now.replace(':', '')}" if p.now else ""))
    return p


def generate_from_options(
    *,
    preset: str | None = None,
    engineers: int | None = None,
    tickets: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    travel: str | None = None,
    **city,
) -> dict:
    """A scenario dict for the command line's options (see params_from_options); write it with
    to_json.

    `preset="network"`: the national network (generate_network), sized by engineers and tickets.
    Bad options raise ScenarioError, one line per problem (field, value, fix).
    """
    if preset in NETWORKS:
        problems = [
            f"{k}: not used by the network preset; fix: leave it out" for k in city if city[k]
        ]
        if travel not in (None, "haversine"):
            problems.append(
                f"travel: got {travel!r}; the network preset uses haversine travel (a road matrix "
                "over 10,000 locations would not fit a JSON file); fix: leave --travel out"
            )
        if problems:
            raise ScenarioError(problems)
        base = NETWORKS[preset]
        given = {"engineers": engineers, "tickets": tickets, "days": days, "seed": seed}
        given = {k: v for k, v in given.items() if v is not None}
        p = dataclasses.replace(base, **given)
        if given:
            p = dataclasses.replace(p, name=f"{base.name}-{p.engineers}x{p.tickets}-seed{p.seed}")
        return generate_network(p)
    return generate_scenario(
        params_from_options(
            preset=preset,
            engineers=engineers,
            tickets=tickets,
            days=days,
            seed=seed,
            travel=travel,
            **city,
        )
    )


def write_presets(directory: str | Path | None = None) -> dict[str, Path]:
    """Write every preset to `directory` (default: the bundled scenarios/) as <preset>.json; the
    paths, by preset."""
    out = {}
    for name, params in PRESETS.items():
        path = Path(directory or SCENARIO_DIR) / f"{name}.json"
        path.write_text(to_json(generate_scenario(params)), encoding="utf-8")
        out[name] = path
    return out


def main(argv: list[str] | None = None) -> None:
    import argparse
    import sys

    ap = argparse.ArgumentParser(
        prog="python -m dispatch_opt.generate",
        description="Write a synthetic Bologna dispatch scenario (contract v1).",
    )
    ap.add_argument(
        "--all", action="store_true", help="write every preset to scenarios/<preset>.json"
    )
    ap.add_argument(
        "--preset", choices=list(PRESETS), help="start from this preset (default: small)"
    )
    ap.add_argument("--engineers", type=int, help="override the number of engineers")
    ap.add_argument("--tickets", type=int, help="override the number of tickets")
    ap.add_argument("--days", type=int, help="override the number of planning days")
    ap.add_argument("--seed", type=int, help="override the preset's seed")
    ap.add_argument("--travel", choices=TRAVEL_MODELS, help="override the travel model")
    ap.add_argument("-o", "--output", help="file to write (default: stdout)")
    args = ap.parse_args(argv)
    if args.all:
        for name, path in write_presets().items():
            print(f"{name}: {path} ({path.stat().st_size:,} bytes)")
        return
    options = {k: getattr(args, k) for k in ("engineers", "tickets", "days", "seed", "travel")}
    chosen = any(v is not None for v in options.values())
    try:  # no option at all: the small preset, as before
        sc = generate_from_options(preset=args.preset or (None if chosen else "small"), **options)
    except ScenarioError as exc:
        for line in exc.problems:
            print(f"error: {line}", file=sys.stderr)
        sys.exit(2)
    text = to_json(sc)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()

"""Deterministic synthetic field-service scenarios (contract v1) for a Bologna-like city.

Why: the solver, benchmarks and demos need realistic, reproducible inputs whose
difficulty (capacity, skills, parts, windows, SLA pressure) is set by a few
parameters instead of hand-written JSON. Same parameters -> byte-identical JSON.
Regenerate a bundled file with
``python -m dispatch_opt.generate --preset small -o scenarios/small.json``.
"""
from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

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
# tier -> (fewest, most whole days before the planning day it was raised, earliest, latest time of day);
# old normal/low tickets are near or past their deadline, so lateness is a real trade-off
CREATED = {
    "emergency": (0, 0, "06:00", "11:00"),
    "urgent": (1, 1, "08:00", "18:00"),
    "normal": (1, 2, "08:00", "18:00"),
    "low": (1, 5, "08:00", "18:00"),
}
# appointment windows offered each day: (kind, start, end); a customer picks a kind, then a slot of it
WINDOWS = (("morning", "08:00", "12:00"), ("afternoon", "12:00", "17:00"),
           ("slot", "08:00", "10:00"), ("slot", "10:00", "12:00"), ("slot", "12:00", "14:00"),
           ("slot", "14:00", "16:00"), ("slot", "15:00", "17:00"))
WINDOW_KINDS = {"morning": 0.35, "afternoon": 0.35, "slot": 0.30}


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
    shifts: tuple[tuple[str, str, float], ...] = (("08:00", "17:00", 0.6), ("07:30", "16:00", 0.2),
                                                 ("09:00", "18:00", 0.2))
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


# Bundled scenarios. Small is a little under capacity (nearly every ticket fits), medium close to it,
# so late or dropped low-tier work is a real trade-off; seeds were picked for representative mixes.
PRESETS = {
    "small": CityParams(name="bologna-small", engineers=8, tickets=50, seed=10),
    "medium": CityParams(name="bologna-medium", engineers=40, tickets=300, seed=2),
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
    r = np.sqrt(rng.uniform(r0 ** 2, r1 ** 2, n))
    b = rng.uniform(0, 2 * np.pi, n)
    return np.column_stack([r * np.sin(b), r * np.cos(b)])


def _location(p: CityParams, east_km: float, north_km: float) -> dict:
    lat = p.centre_lat + north_km / KM_PER_DEG
    lon = p.centre_lon + east_km / (KM_PER_DEG * math.cos(math.radians(p.centre_lat)))
    return {"lat": round(float(lat), 5), "lon": round(float(lon), 5)}


def _zone(p: CityParams, loc: dict) -> str:
    """Zone by great-circle distance of the written coordinates, as any checker would compute it."""
    la1, la2 = math.radians(p.centre_lat), math.radians(loc["lat"])
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(
        math.radians(loc["lon"] - p.centre_lon) / 2) ** 2
    return "city" if 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h)) <= p.zone_radius_km else "outskirts"


def _demand(rng: np.random.Generator, p: CityParams) -> np.ndarray:
    """Ticket offsets: gaussian neighbourhoods plus scattered outskirts, so workload and travel are lumpy."""
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
    """Skill sets sized 2-4 whose supply follows demand, each appliance held by >= min_skill_cover engineers."""
    lo, hi = p.skills_per_engineer
    size = rng.integers(lo, hi + 1, p.engineers)
    want = {a: max(min(p.min_skill_cover, p.engineers), round(s * size.sum())) for a, s in zip(_NAMES, _DEMAND)}
    skills: list[set[str]] = [set() for _ in range(p.engineers)]
    for rnd in range(max(want.values())):  # deal round by round so scarce skills are placed while room is left
        for a in (a for a in _NAMES if want[a] > rnd):
            free = [int(i) for i in rng.permutation(p.engineers) if a not in skills[i] and len(skills[i]) < hi]
            free.sort(key=lambda i: len(skills[i]) >= size[i])  # stable: engineers below their size first
            if free:
                skills[free[0]].add(a)
    for s, n in zip(skills, size):
        while len(s) < n:
            s.add(_NAMES[rng.choice(len(_NAMES), p=_DEMAND)])
    return skills


def _engineers(rng: np.random.Generator, p: CityParams, day0: datetime) -> list[dict]:
    homes = _ring(rng, p.engineers, *p.home_radius_km)
    shift_p = np.array([s[2] for s in p.shifts]) / sum(s[2] for s in p.shifts)
    days = [day0 + timedelta(days=d) for d in range(p.days)]
    out = []
    for i, (skills, home) in enumerate(zip(_skills(rng, p), homes)):
        start, end, _ = p.shifts[rng.choice(len(p.shifts), p=shift_p)]
        van = {}  # a random subset of the parts for their skills, 1-2 of each: some jobs need a depot run
        for part in sorted(q for a in skills for q in APPLIANCES[a][1]):
            if rng.random() < 0.5:
                van[part] = int(rng.integers(1, 3))
        cold = skills & {"fridge", "aircon"}
        loc = _location(p, *home)
        out.append({
            "id": f"E{i + 1:0{max(2, len(str(p.engineers)))}d}", "start": loc, "end": dict(loc),
            "shifts": [_span(_at(d, start), _at(d, end)) for d in days],
            "max_overtime_min": int(rng.choice(p.overtime_min)),
            "skills": sorted(skills), "van": van,
            "tools": [REFRIGERANT] if cold and rng.random() < 0.5 else [],
            "breaks": [_span(_at(d, p.break_interval[0]), _at(d, p.break_interval[1])) | {"duration_min": p.break_min}
                       for d in days],
        })
    return out


def _windows(rng: np.random.Generator, p: CityParams, day0: datetime, emergency: bool) -> list[dict]:
    """One appointment window, sometimes a second one apart from it (later that day, or another day)."""
    offers = [(k, _at(day0 + timedelta(days=d), a), _at(day0 + timedelta(days=d), b))
              for d in range(p.days) for k, a, b in WINDOWS]
    if emergency:
        offers = [o for o in offers if o[1].hour >= 12]
    kinds = sorted({o[0] for o in offers})
    w = np.array([WINDOW_KINDS[k] for k in kinds])
    kind = kinds[rng.choice(len(kinds), p=w / w.sum())]
    first = [o for o in offers if o[0] == kind][rng.integers(sum(o[0] == kind for o in offers))]
    picked = [first]
    rest = [o for o in offers if o[2] < first[1] or o[1] > first[2]]  # a gap, else it is one long window
    if rest and rng.random() < p.two_window_share:
        picked.append(rest[rng.integers(len(rest))])
    return [_span(a, b) for _, a, b in sorted(picked, key=lambda o: o[1])]


def _tiers(rng: np.random.Generator, p: CityParams) -> list[str]:
    """Tier of each ticket, in exact proportion to `tier_mix` (largest remainder), shuffled: a stable SLA load."""
    want = np.array(p.tier_mix) / sum(p.tier_mix) * p.tickets
    count = np.floor(want).astype(int)
    count[np.argsort(count - want, kind="stable")[:p.tickets - count.sum()]] += 1
    return [str(t) for t in rng.permutation(np.repeat(list(SLA), count))]


def _ticket(rng: np.random.Generator, p: CityParams, day0: datetime, tier: str, loc: dict) -> dict:
    appliance = _NAMES[rng.choice(len(_NAMES), p=_DEMAND)]
    job = list(JOBS)[rng.choice(len(JOBS), p=[v[0] for v in JOBS.values()])]
    _, shortest, longest = JOBS[job]
    first, last, earliest, latest = CREATED[tier]
    day = day0 - timedelta(days=int(rng.integers(first, last + 1)))
    t0, t1 = _at(day, earliest), _at(day, latest)
    created = t0 + timedelta(minutes=int(rng.integers((t1 - t0).seconds // 60 + 1)))
    t = {"location": loc, "zone": _zone(p, loc), "created": _iso(created), "priority": tier,
         "duration_min": 5 * round(rng.triangular(shortest, shortest, longest) / 5), "skills": [appliance]}
    if rng.random() < (p.emergency_window_share if tier == "emergency" else p.window_share):
        t["windows"] = _windows(rng, p, day0, tier == "emergency")
    if job == "repair" and rng.random() < p.part_share:
        parts = APPLIANCES[appliance][1]
        t["parts"] = {parts[rng.integers(len(parts))]: 2 if rng.random() < 0.15 else 1}
    if (appliance == "aircon" and job != "maintenance") or (appliance == "fridge" and job == "repair"
                                                           and rng.random() < 0.3):
        t["tools"] = [REFRIGERANT]
    return t


def generate_scenario(params: CityParams) -> dict:
    """A contract-v1 scenario dict, fully determined by `params` (seed included)."""
    p, rng = params, np.random.default_rng(params.seed)
    day0 = datetime.fromisoformat(p.start_date)
    engineers = _engineers(rng, p, day0)
    tickets = [_ticket(rng, p, day0, tier, _location(p, *xy)) for tier, xy in zip(_tiers(rng, p), _demand(rng, p))]
    movable = [i for i, t in enumerate(tickets) if t["priority"] != "emergency"]
    if p.unservable_ticket and movable:
        t = tickets[movable.pop(int(rng.integers(len(movable))))]
        t.update(skills=[UNSERVABLE_SKILL], duration_min=90)
        for key in ("parts", "tools"):
            t.pop(key, None)
    for i in rng.permutation(movable)[:round(p.named_engineer_share * p.tickets)]:
        able = [e["id"] for e in engineers if tickets[i]["skills"][0] in e["skills"]]
        if able:
            tickets[i]["engineer"] = able[rng.integers(len(able))]
    tickets.sort(key=lambda t: t["created"])  # ticket numbers follow the order they were raised
    tickets = [{"id": f"T{n + 1:0{max(4, len(str(p.tickets)))}d}"} | t for n, t in enumerate(tickets)]
    parts = sorted(q for v in APPLIANCES.values() for q in v[1])
    depot = {"id": "D1", "location": {"lat": p.depot_lat, "lon": p.depot_lon},
             "parts": {q: p.depot_stock for q in parts}, "tools": [REFRIGERANT], "restock_min": 15}
    return {"format": FORMAT, "name": p.name, "sla": copy.deepcopy(SLA), "engineers": engineers,
            "tickets": tickets, "depots": [depot]}


def to_json(scenario: dict) -> str:
    """The canonical file text: what the bundled scenarios hold, byte for byte."""
    return json.dumps(scenario, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    import argparse
    import dataclasses
    import sys

    ap = argparse.ArgumentParser(description="Write a synthetic Bologna dispatch scenario (contract v1).")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="small")
    ap.add_argument("--seed", type=int, help="override the preset's seed")
    ap.add_argument("--days", type=int, help="override the number of planning days")
    ap.add_argument("-o", "--output", help="file to write (default: stdout)")
    args = ap.parse_args()
    overrides = {k: v for k in ("seed", "days") if (v := getattr(args, k)) is not None}
    text = to_json(generate_scenario(dataclasses.replace(PRESETS[args.preset], **overrides)))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)

"""Public VRPTW benchmark instances (Solomon `.txt`, VRPLIB `.vrp`) as contract-v1 scenarios.

The conversion follows the convention of the best-known solutions (BKS), that of the
DIMACS 2021 VRPTW challenge, so a plan's distance is comparable to the BKS cost:

- travel model `matrix`; every arc's `km` and `minutes` are the Euclidean distance
  truncated to one decimal, `floor(10 * d) / 10` (one time unit = one minute);
- times are ISO local date-times: origin 2026-01-05T00:00 plus the instance's time units;
- one engineer per vehicle of the fleet (`V1`, `V2`, ...), starting and ending at the depot
  (node 0), with the depot's horizon [ready, due] as the single shift;
- vehicle capacity is part `load` on the van, a customer's demand is `parts: {"load": q}`;
- each customer is a ticket (id = its number in the file, as in the `.sol` files), with its
  time window as the single appointment window (service must start inside it) and its
  service time as `duration_min`; priority `normal`, with an SLA that never binds, and
  `created` = the origin.

The contract needs `duration_min > 0`: a customer with service time 0 (none of the Solomon or
GH200 instances has one) gets `ZERO_SERVICE_MIN` = 0.001 minute, 0.06 s, below the
contract's 0.01-minute tolerance, and the scenario's `literature.zero_service` lists them.

No dependency beyond the standard library: both formats are small and simple text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from .scenario import PLAN_FORMAT, SCENARIO_FORMAT

ORIGIN = datetime(2026, 1, 5)
ZERO_SERVICE_MIN = 0.001  # the contract requires duration_min > 0
NEVER_BINDING_SLA_H = 100000


@dataclass(frozen=True)
class Instance:
    """A VRPTW instance; index 0 is the depot, 1..n the customers (numbered as in the `.sol`
    files)."""

    name: str
    source: str  # "solomon" | "vrplib"
    vehicles: int
    capacity: int
    x: list[float]
    y: list[float]
    demand: list[int]
    ready: list[float]
    due: list[float]
    service: list[float]

    @property
    def n_customers(self) -> int:
        return len(self.x) - 1

    def tenths(self) -> list[list[int]]:
        """Arc lengths in whole tenths: floor(10 * Euclidean distance), exact for integer
        coordinates."""
        n = len(self.x)
        exact = all(float(v).is_integer() for v in self.x + self.y)
        out = [[0] * n for _ in range(n)]
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                dx, dy = self.x[i] - self.x[j], self.y[i] - self.y[j]
                if exact:
                    out[i][j] = math.isqrt(int(100 * (dx * dx + dy * dy)))
                else:
                    out[i][j] = math.floor(10 * math.hypot(dx, dy) + 1e-9)
        return out

    def distances(self) -> list[list[float]]:
        """Arc lengths truncated to one decimal (the DIMACS convention), as floats."""
        return [[v / 10 for v in row] for row in self.tenths()]


# ------------------------------------------------------------------ reading


def read_instance(path: str | Path) -> Instance:
    """Read a Solomon `.txt` or VRPLIB `.vrp` VRPTW instance (chosen by content, not by suffix)."""
    path = Path(path)
    text = path.read_text()
    if "NODE_COORD_SECTION" in text:
        return _read_vrplib(path.stem, text)
    return _read_solomon(path.stem, text)


def _read_solomon(stem: str, text: str) -> Instance:
    lines = [ln.split() for ln in text.splitlines()]
    name = next((ln[0] for ln in lines if ln), stem)
    vehicles = capacity = None
    rows: list[list[float]] = []
    for i, ln in enumerate(lines):
        if ln and ln[0].upper() == "NUMBER" and "CAPACITY" in (w.upper() for w in ln):
            nxt = next(x for x in lines[i + 1 :] if x)
            vehicles, capacity = int(nxt[0]), int(nxt[1])
        elif len(ln) == 7 and all(_is_number(w) for w in ln):
            rows.append([float(w) for w in ln])
    if vehicles is None or not rows:
        raise ValueError(
            f"{stem}: not a Solomon instance (no VEHICLE NUMBER/CAPACITY or no customer rows)"
        )
    rows.sort(key=lambda r: r[0])
    if [int(r[0]) for r in rows] != list(range(len(rows))):
        raise ValueError(f"{stem}: customer numbers are not 0..{len(rows) - 1}")
    col = list(zip(*rows))
    return Instance(
        name,
        "solomon",
        vehicles,
        capacity,
        list(col[1]),
        list(col[2]),
        [int(v) for v in col[3]],
        list(col[4]),
        list(col[5]),
        list(col[6]),
    )


def _read_vrplib(stem: str, text: str) -> Instance:
    spec: dict[str, str] = {}
    sections: dict[str, list[list[str]]] = {}
    current = None
    for raw in text.splitlines():
        ln = raw.strip()
        if not ln or ln == "EOF":
            continue
        if ln.endswith("_SECTION"):
            current = sections.setdefault(ln, [])
        elif ":" in ln and not _is_number(ln.split(":")[0].strip()):
            key, value = ln.split(":", 1)
            spec[key.strip().upper()] = value.strip()
            current = None
        elif current is not None:
            current.append(ln.split())
    if "NODE_COORD_SECTION" not in sections:
        raise ValueError(f"{stem}: not a VRPLIB instance (no NODE_COORD_SECTION)")
    if spec.get("EDGE_WEIGHT_TYPE", "EUC_2D") != "EUC_2D":
        raise ValueError(
            f"{stem}: EDGE_WEIGHT_TYPE {spec['EDGE_WEIGHT_TYPE']} is not supported (EUC_2D only)"
        )
    coords = {int(r[0]): (float(r[1]), float(r[2])) for r in sections["NODE_COORD_SECTION"]}
    nodes = sorted(coords)
    depots = [int(r[0]) for r in sections.get("DEPOT_SECTION", []) if int(r[0]) > 0] or [nodes[0]]
    if len(depots) != 1:
        raise ValueError(f"{stem}: {len(depots)} depots; only single-depot instances are supported")
    order = depots + [
        v for v in nodes if v != depots[0]
    ]  # depot first, then customers in file order
    if order != nodes:
        raise ValueError(
            f"{stem}: the depot must be the first node so customer numbers match the .sol files"
        )

    def column(section: str, default: Any, width: int = 1) -> dict[int, Any]:
        rows = sections.get(section)
        if rows is None:
            return {v: default for v in nodes}
        return {
            int(r[0]): [float(w) for w in r[1 : 1 + width]] if width > 1 else float(r[1])
            for r in rows
        }

    demand = column("DEMAND_SECTION", 0.0)
    windows = column("TIME_WINDOW_SECTION", None, width=2)
    scalar_service = float(spec.get("SERVICE_TIME", 0))
    service = column("SERVICE_TIME_SECTION", scalar_service)
    if "SERVICE_TIME_SECTION" not in sections:
        service[depots[0]] = 0.0  # a scalar SERVICE_TIME applies to customers, not the depot
    if any(w is None for w in windows.values()):
        raise ValueError(f"{stem}: no TIME_WINDOW_SECTION; not a VRPTW instance")
    n_customers = len(nodes) - 1
    vehicles = int(spec["VEHICLES"]) if "VEHICLES" in spec else n_customers
    return Instance(
        spec.get("NAME", stem),
        "vrplib",
        vehicles,
        int(float(spec["CAPACITY"])),
        [coords[v][0] for v in order],
        [coords[v][1] for v in order],
        [int(demand[v]) for v in order],
        [windows[v][0] for v in order],
        [windows[v][1] for v in order],
        [service[v] for v in order],
    )


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def read_bks(path: str | Path) -> tuple[list[list[int]], float]:
    """A `.sol` file: (routes as lists of customer numbers 1..n, cost)."""
    routes, cost = [], None
    for ln in Path(path).read_text().splitlines():
        m = re.match(r"\s*Route\s*#\s*\d+\s*:(.*)", ln, re.IGNORECASE)
        if m:
            stops = [int(w) for w in m.group(1).split()]
            if stops:
                routes.append(stops)
        elif ln.strip().lower().startswith("cost"):
            cost = float(ln.split()[-1])
    if cost is None:
        raise ValueError(f"{path}: no 'Cost' line")
    return routes, cost


# ------------------------------------------------------------------ scenario


def _iso(minutes: float) -> str:
    t = ORIGIN + timedelta(minutes=minutes)
    if t.microsecond:
        return t.isoformat()
    return t.isoformat(timespec="seconds" if t.second else "minutes")


def _minutes(iso: str) -> float:
    return (datetime.fromisoformat(iso) - ORIGIN).total_seconds() / 60


def to_scenario(inst: Instance) -> dict:
    """The contract-v1 scenario dict of an instance (see the module docstring for the
    convention)."""
    dist = inst.distances()
    depot = {"x": inst.x[0], "y": inst.y[0], "node": 0}
    shift = {"start": _iso(inst.ready[0]), "end": _iso(inst.due[0])}
    width = len(str(inst.vehicles))
    engineers = [
        {
            "id": f"V{k + 1:0{width}d}",
            "start": depot,
            "shifts": [shift],
            "van": {"load": inst.capacity},
        }
        for k in range(inst.vehicles)
    ]
    tickets, zero_service = [], []
    for i in range(1, len(inst.x)):
        duration = inst.service[i]
        if duration <= 0:
            zero_service.append(str(i))
            duration = ZERO_SERVICE_MIN
        t: dict[str, Any] = {
            "id": str(i),
            "location": {"x": inst.x[i], "y": inst.y[i], "node": i},
            "created": _iso(0),
            "priority": "normal",
            "duration_min": duration,
            "windows": [{"start": _iso(inst.ready[i]), "end": _iso(inst.due[i])}],
        }
        if inst.demand[i]:
            t["parts"] = {"load": inst.demand[i]}
        tickets.append(t)
    meta = {
        "instance": inst.name,
        "source": inst.source,
        "vehicles": inst.vehicles,
        "capacity": inst.capacity,
        "convention": "DIMACS 2021 VRPTW: distance = travel time = Euclidean truncated to 0.1; "
        f"times in minutes from {ORIGIN.isoformat(timespec='minutes')}",
    }
    if zero_service:
        meta["zero_service"] = {"tickets": zero_service, "duration_min": ZERO_SERVICE_MIN}
    return {
        "format": SCENARIO_FORMAT,
        "name": inst.name,
        "travel": {"model": "matrix", "minutes": dist, "km": dist},
        "sla": {"normal": {"arrive_within_h": NEVER_BINDING_SLA_H}},
        "engineers": engineers,
        "tickets": tickets,
        "literature": meta,  # extension: where the scenario came from
    }


def import_instance(path: str | Path) -> dict:
    """Read a Solomon `.txt` or VRPLIB `.vrp` VRPTW instance as a contract-v1 scenario dict."""
    return to_scenario(read_instance(path))


# ------------------------------------------------------------------ plans from routes


def plan_from_routes(
    scenario: dict, routes: list[list[str | int]], *, name: str | None = None
) -> dict:
    """A contract-v1 plan dict serving `routes` (ticket ids, one list per vehicle, in order) at the
    earliest times: leave the depot at shift start, start each visit at max(arrival, window start).

    Routes go to engineers in scenario order; tickets in no route are listed as unassigned. The
    plan is not checked here: pass it to `dispatch_opt.check` (an infeasible route gives
    violations).
    """
    minutes, km = (
        scenario["travel"]["minutes"],
        scenario["travel"].get("km") or scenario["travel"]["minutes"],
    )
    tickets = {t["id"]: t for t in scenario["tickets"]}
    engineers = scenario["engineers"]
    routes = [[str(t) for t in r] for r in routes if r]
    if len(routes) > len(engineers):
        raise ValueError(f"{len(routes)} routes but only {len(engineers)} engineers")
    out = []
    for eng, route in zip(engineers, routes):
        shift = eng["shifts"][0]
        home, end_loc = eng["start"]["node"], (eng.get("end") or eng["start"])["node"]
        t = depart = _minutes(shift["start"])
        prev, stops, travel, dist = home, [], 0.0, 0.0
        for tid in route:
            ticket = tickets[tid]
            node = ticket["location"]["node"]
            arrival = t + minutes[prev][node]
            travel, dist = travel + minutes[prev][node], dist + km[prev][node]
            wins = [(_minutes(w["start"]), _minutes(w["end"])) for w in ticket.get("windows", [])]
            start = arrival
            if wins:
                start = max(arrival, min((a for a, b in wins if b >= arrival), default=wins[-1][0]))
            t = start + ticket["duration_min"]
            stops.append(
                {
                    "type": "visit",
                    "ticket": tid,
                    "arrival": _iso(arrival),
                    "start": _iso(start),
                    "end": _iso(t),
                }
            )
            prev = node
        travel, dist = travel + minutes[prev][end_loc], dist + km[prev][end_loc]
        out.append(
            {
                "engineer": eng["id"],
                "shift": 0,
                "stops": stops,
                "depart": _iso(depart),
                "return": _iso(t + minutes[prev][end_loc]),
                "travel_min": round(travel, 2),
                "distance_km": round(dist, 3),
            }
        )
    served = {tid for r in routes for tid in r}
    unassigned = [
        {"ticket": t["id"], "reason": "not in any route"}
        for t in scenario["tickets"]
        if t["id"] not in served and t.get("status", "open") != "done"
    ]
    return {
        "format": PLAN_FORMAT,
        "scenario": name or scenario["name"],
        "routes": out,
        "unassigned": unassigned,
    }


def plan_routes(plan: Any) -> list[list[str]]:
    """The ticket ids of each non-empty route of a plan (a dict or an object with `to_dict()`)."""
    plan = plan.to_dict() if hasattr(plan, "to_dict") else plan
    routes = [[s["ticket"] for s in r["stops"] if s.get("type") == "visit"] for r in plan["routes"]]
    return [r for r in routes if r]


def plan_distance(scenario: dict, plan: Any) -> float:
    """Total distance of a plan, recomputed from the scenario's `km` matrix (not the plan's
    figures)."""
    km = scenario["travel"].get("km") or scenario["travel"]["minutes"]
    tickets = {t["id"]: t["location"]["node"] for t in scenario["tickets"]}
    engineers = {e["id"]: e for e in scenario["engineers"]}
    plan = plan.to_dict() if hasattr(plan, "to_dict") else plan
    total = 0.0
    for r in plan["routes"]:
        visits = [tickets[s["ticket"]] for s in r["stops"] if s.get("type") == "visit"]
        if not visits:
            continue
        eng = engineers[r["engineer"]]
        seq = [eng["start"]["node"], *visits, (eng.get("end") or eng["start"])["node"]]
        total += sum(km[a][b] for a, b in pairwise(seq))
    return round(total, 6)

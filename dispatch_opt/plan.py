"""The plan: routes of stops per engineer-shift, unassigned tickets with reasons, and KPIs.

Plans are plain data (contract v1 JSON), with pandas views for planners.
`finalize_routes` turns solver start times into the contract's arrival,
depart and return times and travel figures, using exact travel minutes.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from .kpis import (
    engineer_table,
    fault_counts,
    preferred_kept,
    response_times,
    workload_spread,
)
from .model import PLAN_FORMAT, Scenario

if TYPE_CHECKING:
    from .eligibility import Eligibility


@dataclass(frozen=True)
class Stop:
    type: str  # visit | restock | break
    start: datetime
    end: datetime
    arrival: datetime | None = None
    ticket: str | None = None
    depot: str | None = None
    parts: dict[str, int] = field(default_factory=dict)
    tools: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"type": self.type}
        if self.type == "visit":
            d["ticket"] = self.ticket
        elif self.type == "restock":
            d["depot"] = self.depot
        if self.arrival is not None:
            d["arrival"] = _iso(self.arrival)
        d["start"], d["end"] = _iso(self.start), _iso(self.end)
        if self.type == "restock":
            d["parts"], d["tools"] = dict(self.parts), list(self.tools)
        return d


@dataclass(frozen=True)
class Route:
    engineer: str
    shift: int
    stops: list[Stop]
    depart: datetime
    return_: datetime
    travel_min: float = 0.0
    distance_km: float = 0.0

    @property
    def visits(self) -> list[Stop]:
        return [s for s in self.stops if s.type == "visit"]

    def to_dict(self) -> dict:
        return {
            "engineer": self.engineer,
            "shift": self.shift,
            "stops": [s.to_dict() for s in self.stops],
            "depart": _iso(self.depart),
            "return": _iso(self.return_),
            "travel_min": round(self.travel_min, 2),
            "distance_km": round(self.distance_km, 3),
        }


@dataclass(frozen=True)
class Unassigned:
    ticket: str
    reason: str
    code: str  # skill | engineer | tool | part | window | reach | frozen | capacity

    def to_dict(self) -> dict:
        return {"ticket": self.ticket, "reason": self.reason, "code": self.code}


@dataclass
class Plan:
    scenario_name: str
    routes: list[Route]
    unassigned: list[Unassigned]
    kpis: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    scenario: Scenario | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        d = {
            "format": PLAN_FORMAT,
            "scenario": self.scenario_name,
            "routes": [r.to_dict() for r in self.routes],
            "unassigned": [u.to_dict() for u in self.unassigned],
            "kpis": self.kpis,
        }
        if self.notes:
            d["notes"] = list(self.notes)
        return d

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, d: dict, scenario: Scenario | None = None) -> "Plan":
        """Read a contract-v1 plan (ours or another program's)."""

        def stop(s: dict) -> Stop:
            arrival = s.get("arrival")
            return Stop(
                s["type"],
                _dt(s["start"]),
                _dt(s["end"]),
                _dt(arrival) if arrival else None,
                s.get("ticket"),
                s.get("depot"),
                dict(s.get("parts", {})),
                list(s.get("tools", [])),
            )

        routes = [
            Route(
                r["engineer"],
                r.get("shift", 0),
                [stop(s) for s in r.get("stops", [])],
                _dt(r["depart"]),
                _dt(r["return"]),
                r.get("travel_min", 0.0),
                r.get("distance_km", 0.0),
            )
            for r in d.get("routes", [])
        ]
        unassigned = [
            Unassigned(u["ticket"], u.get("reason", ""), u.get("code", ""))
            for u in d.get("unassigned", [])
        ]
        return cls(
            d.get("scenario", ""),
            routes,
            unassigned,
            dict(d.get("kpis", {})),
            list(d.get("notes", [])),
            scenario,
        )

    # -------------------------------------------------------- tabular views
    def stops_frame(self) -> pd.DataFrame:
        """One row per stop, with the ticket's tier, SLA deadline and lateness when the scenario is
        known."""
        rows = []
        for r in self.routes:
            for s in r.stops:
                row = {
                    "engineer": r.engineer,
                    "shift": r.shift,
                    "type": s.type,
                    "ticket": s.ticket,
                    "depot": s.depot,
                    "arrival": s.arrival,
                    "start": s.start,
                    "end": s.end,
                }
                if s.type == "visit" and self.scenario is not None:
                    t = self.scenario.ticket(s.ticket)
                    deadline = self.scenario.deadline(t)
                    row.update(
                        priority=t.priority,
                        deadline=deadline,
                        late_min=max(0.0, (s.start - deadline).total_seconds() / 60),
                    )
                rows.append(row)
        return pd.DataFrame(
            rows,
            columns=[
                "engineer",
                "shift",
                "type",
                "ticket",
                "depot",
                "arrival",
                "start",
                "end",
                "priority",
                "deadline",
                "late_min",
            ],
        )

    def routes_frame(self) -> pd.DataFrame:
        rows = [
            {
                "engineer": r.engineer,
                "shift": r.shift,
                "visits": len(r.visits),
                "depart": r.depart,
                "return": r.return_,
                "travel_min": r.travel_min,
                "distance_km": r.distance_km,
                "service_min": sum((s.end - s.start).total_seconds() / 60 for s in r.visits),
            }
            for r in self.routes
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "engineer",
                "shift",
                "visits",
                "depart",
                "return",
                "travel_min",
                "distance_km",
                "service_min",
            ],
        )

    def engineers_frame(self) -> pd.DataFrame:
        """One row per engineer: tickets visited, working (service + travel), service and travel
        minutes, visits on time for their SLA (count and share), overtime, utilisation."""
        if self.scenario is None:
            raise ValueError(
                "engineers_frame needs the scenario; fix: load the plan with "
                "load_plan(path, scenario)"
            )
        table = engineer_table(self.scenario, self.routes)
        return pd.DataFrame.from_dict(table, orient="index").rename_axis("engineer").reset_index()

    def unassigned_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [u.to_dict() for u in self.unassigned], columns=["ticket", "reason", "code"]
        )


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds") if t.microsecond == 0 else t.isoformat()


def _dt(s: str) -> datetime:
    return datetime.fromisoformat(s)


def _minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


# ------------------------------------------------------------ from solver times to contract times


def finalize_routes(sc: Scenario, el: "Eligibility", routes: list[Route]) -> list[Route]:
    """Sort stops, drop restocks that picked nothing up, and fill arrival, depart, return and
    travel."""
    vehicle_of = {(v.engineer.id, v.shift): i for i, v in enumerate(el.vehicles)}
    out = []
    for r in routes + _from_position(el, routes):
        v = vehicle_of[(r.engineer, r.shift)]
        start_loc, end_loc = (int(x) for x in el.vehicle_loc[v])
        stops = sorted(r.stops, key=lambda s: (s.start, s.type == "break"))
        stops = [
            s
            for s in stops
            if not (s.type == "restock" and not s.parts and not s.tools)
            or not _skippable(el, stops, s, start_loc, r.depart)
        ]
        stops = _without_needless_waiting(sc, el, stops)
        out.append(_timed(el, r, stops, start_loc, end_loc))
    return out


def _without_needless_waiting(sc: Scenario, el: "Eligibility", stops: list[Stop]) -> list[Stop]:
    """Start each stop as late as the next one allows, so the engineer waits nowhere it need not
    (and, with the departure set as late as the first stop allows, is paid for no idle time).

    A stop moves only later, never past the window it starts in, never past its SLA deadline if
    it meets it now (nor at all if it is late), never across a break; frozen work stays put."""
    work = [s for s in stops if s.type != "break"]
    brks = [s for s in stops if s.type == "break"]
    out = list(work)
    for k in range(len(work) - 2, -1, -1):
        s, nxt = out[k], out[k + 1]
        between = [b for b in brks if b.start >= s.end and b.end <= nxt.start]
        leg = el.minutes[_loc(el, s), _loc(el, nxt)]
        latest_end = nxt.start - timedelta(
            minutes=leg + sum(_minutes(b.start, b.end) for b in between)
        )
        if between:
            latest_end = min(latest_end, min(b.start for b in between))
        later = _floor_s(latest_end) - s.end
        if later <= timedelta(0):
            continue
        if s.type == "visit":
            t = sc.ticket(s.ticket)
            if t.frozen:
                continue
            deadline = sc.deadline(t)
            if s.start > deadline:
                continue
            cap = min([deadline] + [w.end for w in t.windows if w.start <= s.start <= w.end])
            later = min(later, _floor_s(cap) - s.start)
        if later > timedelta(0):
            out[k] = replace(s, start=s.start + later, end=s.end + later)
    return sorted(out + brks, key=lambda s: (s.start, s.type == "break"))


def _from_position(el: "Eligibility", routes: list[Route]) -> list[Route]:
    """Empty routes for the shifts under way that continue from `position` but got no stops, where
    the engineer works a later shift: checkers take the engineer's first route in the plan as the
    one that leaves from `position` (rule 7), so it is listed rather than left out, as a route with
    no stops may be; else the later shift, planned from `start`, would look like it."""
    have = {(r.engineer, r.shift) for r in routes}
    working = {r.engineer for r in routes}
    return [
        Route(
            v.engineer.id,
            v.shift,
            [],
            el.horizon.time(v.earliest_depart),
            el.horizon.time(v.latest_return),
        )
        for v in el.vehicles
        if v.first_live
        and v.start is not v.engineer.start
        and v.engineer.id in working
        and (v.engineer.id, v.shift) not in have
    ]


def _loc(el: "Eligibility", s: Stop) -> int:
    return el.ticket_loc[s.ticket] if s.type == "visit" else el.depot_loc[s.depot]


def _skippable(el, stops: list[Stop], s: Stop, start_loc: int, depart: datetime) -> bool:
    """An empty restock can go if the next stop is still reached in time without it."""
    i = stops.index(s)
    prev = next((p for p in reversed(stops[:i]) if p.type != "break"), None)
    nxt = next((p for p in stops[i + 1 :] if p.type != "break"), None)
    if nxt is None:
        return True
    a, t = (_loc(el, prev), prev.end) if prev else (start_loc, depart)
    between = sum(
        _minutes(b.start, b.end)
        for b in stops
        if b.type == "break" and b.start >= t and b.end <= nxt.start
    )
    return _minutes(t, nxt.start) >= el.minutes[a, _loc(el, nxt)] + between


def _timed(el: "Eligibility", r: Route, stops: list[Stop], start_loc: int, end_loc: int) -> Route:
    """Arrival = previous end + travel + breaks taken on the way; depart as late as the first stop
    allows."""
    work = [s for s in stops if s.type != "break"]
    brks = [s for s in stops if s.type == "break"]

    def breaks_between(t0: datetime, t1: datetime) -> float:
        return sum(_minutes(b.start, b.end) for b in brks if b.start >= t0 and b.end <= t1)

    depart = r.depart
    if work:
        first = work[0]
        lead = el.minutes[start_loc, _loc(el, first)] + breaks_between(r.depart, first.start)
        latest = first.start - timedelta(minutes=lead)
        if brks and brks[0].start < first.start:
            latest = min(latest, brks[0].start)
        depart = max(depart, _floor_s(latest))
    travel = km = 0.0
    loc, t = start_loc, depart
    timed = []
    for s in work:
        leg = el.minutes[loc, _loc(el, s)]
        arrival = min(s.start, _ceil_s(t + timedelta(minutes=leg + breaks_between(t, s.start))))
        timed.append(replace(s, arrival=arrival))
        travel, km = travel + leg, km + el.km[loc, _loc(el, s)]
        loc, t = _loc(el, s), s.end
    leg = el.minutes[loc, end_loc]
    travel, km = travel + leg, km + el.km[loc, end_loc]
    ret = t + timedelta(minutes=leg + sum(_minutes(b.start, b.end) for b in brks if b.start >= t))
    ret = max(ret, max((b.end for b in brks), default=ret))
    ret = min(r.return_, _ceil_s(ret))
    all_stops = sorted(timed + brks, key=lambda s: (s.start, s.type == "break"))
    return Route(r.engineer, r.shift, all_stops, depart, ret, float(travel), float(km))


def _floor_s(t: datetime) -> datetime:
    return t.replace(microsecond=0)


def _ceil_s(t: datetime) -> datetime:
    return t if t.microsecond == 0 else t.replace(microsecond=0) + timedelta(seconds=1)


# ------------------------------------------------------------ KPIs


def build_kpis(sc: Scenario, plan: Plan, **extra: Any) -> dict:
    """Per tier service and SLA, travel, the engineer table, unassigned by reason, response times,
    workload spread, and (when tickets have them) preferred engineers kept and fault types."""
    visits = {s.ticket: s for r in plan.routes for s in r.visits}
    tiers = {}
    for name in sc.tiers:
        tickets = [t for t in sc.live_tickets if t.priority == name]
        late = [
            max(0.0, _minutes(sc.deadline(t), visits[t.id].start))
            for t in tickets
            if t.id in visits
        ]
        tiers[name] = {
            "tickets": len(tickets),
            "served": len(late),
            "on_time": sum(x <= 0.01 for x in late),
            "late_total_min": round(sum(late), 1),
            "late_max_min": round(max(late, default=0.0), 1),
        }
    engineers = engineer_table(sc, plan.routes)
    kpis = {
        "tickets": len(sc.live_tickets),
        "served": len(visits),
        "unassigned": len(plan.unassigned),
        "tiers": tiers,
        "travel_min": round(sum(r.travel_min for r in plan.routes), 1),
        "distance_km": round(sum(r.distance_km for r in plan.routes), 2),
        "overtime_min": round(sum(e["overtime_min"] for e in engineers.values()), 1),
        "on_duty_min": round(sum(e["on_duty_min"] for e in engineers.values()), 1),
        "idle_min": round(sum(e["idle_min"] for e in engineers.values()), 1),
        "unassigned_by_reason": dict(Counter(u.code for u in plan.unassigned)),
        "engineers": engineers,
        "response": response_times(sc, plan.routes),
        "workload": workload_spread(sc, plan.routes),
    }
    for key, value in (
        ("preferred", preferred_kept(sc, plan.routes)),
        ("faults", fault_counts(sc, plan.routes)),
    ):
        if value is not None:
            kpis[key] = value
    for k, v in extra.items():
        if v is not None:
            kpis[k] = round(v, 3) if isinstance(v, float) else v
    return kpis


# ------------------------------------------------------------ what a re-plan changed


@dataclass
class PlanDiff:
    """What changed between two plans of the same operation, ticket by ticket, in the dispatcher's
    terms.

    `frame` has one row per ticket that changed: change (moved | eta | unassigned | planned |
    removed), old and new engineer, old and new start, ETA shift in minutes (new - old start, when
    planned in both).
    """

    frame: pd.DataFrame
    eta_tolerance_min: float = 0.0

    def tickets(self, change: str) -> list[str]:
        return self.frame.loc[self.frame["change"] == change, "ticket"].tolist()

    @property
    def moved(self) -> list[str]:
        return self.tickets("moved")

    @property
    def newly_unassigned(self) -> list[str]:
        return self.tickets("unassigned")

    def summary(self) -> dict:
        shifts = self.frame["eta_shift_min"].dropna().abs()
        counts = self.frame["change"].value_counts()
        return {
            "moved": int(counts.get("moved", 0)),
            "eta_shifted": int((shifts > self.eta_tolerance_min + 0.01).sum()),
            "eta_shift_max_min": round(float(shifts.max()), 1) if len(shifts) else 0.0,
            "newly_unassigned": int(counts.get("unassigned", 0)),
            "newly_planned": int(counts.get("planned", 0)),
            "removed": int(counts.get("removed", 0)),
        }

    def __str__(self) -> str:
        s = self.summary()
        lines = [
            f"{s['moved']} moved between engineers, {s['eta_shifted']} ETA shifts beyond "
            f"{self.eta_tolerance_min:g} min (largest {s['eta_shift_max_min']:g} min), "
            f"{s['newly_planned']} newly "
            f"planned, {s['newly_unassigned']} newly unassigned, {s['removed']} no longer in the "
            f"scenario"
        ]
        for row in self.frame.itertuples():
            if row.change == "eta" and abs(row.eta_shift_min) <= self.eta_tolerance_min + 0.01:
                continue
            after = (
                "gone (done or cancelled)"
                if row.change == "removed"
                else _where(row.new_engineer, row.new_start)
            )
            lines.append(
                f"  {row.ticket}: {row.change:10s} {_where(row.old_engineer, row.old_start)} -> "
                f"{after}"
            )
        return "\n".join(lines)


def _where(engineer, start) -> str:
    return "unassigned" if pd.isna(engineer) else f"{engineer} {start:%a %H:%M}"


def diff_plans(old: Plan, new: Plan, eta_tolerance_min: float = 0.0) -> PlanDiff:
    """Tickets moved between engineers, ETA shifts, newly unassigned or planned, and tickets the new
    plan no longer has (cancelled or done). ETA shifts within `eta_tolerance_min` are listed but not
    counted."""
    before = {s.ticket: (r.engineer, s.start) for r in old.routes for s in r.visits}
    after = {s.ticket: (r.engineer, s.start) for r in new.routes for s in r.visits}
    known_new = set(after) | {u.ticket for u in new.unassigned}
    rows = []
    for tid in dict.fromkeys([*before, *(u.ticket for u in old.unassigned), *after]):
        was, now_ = before.get(tid), after.get(tid)
        if tid not in known_new:
            change = "removed"
        elif now_ is None:
            change = "unassigned" if was else None
        elif was is None:
            change = "planned"
        elif was[0] != now_[0]:
            change = "moved"
        else:
            change = "eta" if was[1] != now_[1] else None
        if change:
            rows.append(
                {
                    "ticket": tid,
                    "change": change,
                    "old_engineer": was and was[0],
                    "new_engineer": now_ and now_[0],
                    "old_start": was and was[1],
                    "new_start": now_ and now_[1],
                    "eta_shift_min": _minutes(was[1], now_[1]) if was and now_ else None,
                }
            )
    cols = [
        "ticket",
        "change",
        "old_engineer",
        "new_engineer",
        "old_start",
        "new_start",
        "eta_shift_min",
    ]
    return PlanDiff(pd.DataFrame(rows, columns=cols), eta_tolerance_min)

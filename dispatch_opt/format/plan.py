"""The plan: routes of stops per engineer-shift, unassigned tickets with reasons, and KPIs.

Plans are plain data (contract v1 JSON), with pandas views for planners.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..evaluation.kpis import (
    engineer_table,
)
from ..evaluation.lateness import late_causes
from .scenario import PLAN_FORMAT, Scenario

if TYPE_CHECKING:
    pass


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
    lead: bool = False  # a crew visit's lead: the van that supplies its parts and tools

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"type": self.type}
        if self.type == "visit":
            d["ticket"] = self.ticket
            if self.lead:
                d["lead"] = True
        elif self.type == "restock":
            d["depot"] = self.depot
        if self.arrival is not None:
            d["arrival"] = iso_time(self.arrival)
        d["start"], d["end"] = iso_time(self.start), iso_time(self.end)
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
            "depart": iso_time(self.depart),
            "return": iso_time(self.return_),
            "travel_min": round(self.travel_min, 2),
            "distance_km": round(self.distance_km, 3),
        }

    def json(self) -> str:
        """The route as compact JSON, written once: a route is frozen, and a re-plan near one
        ticket keeps all other routes of a large board as they were (Plan.to_json)."""
        kept = self.__dict__.get("_json")
        if kept is None:
            kept = json.dumps(self.to_dict())
            object.__setattr__(self, "_json", kept)
        return kept


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
        """The plan as JSON; compact (`indent=None`) from each route's JSON written once, the same
        text as `json.dumps(plan.to_dict())`."""
        if indent is not None:
            return json.dumps(self.to_dict(), indent=indent)
        head = json.dumps({"format": PLAN_FORMAT, "scenario": self.scenario_name})[:-1]
        rest = {"unassigned": [u.to_dict() for u in self.unassigned], "kpis": self.kpis}
        if self.notes:
            rest["notes"] = list(self.notes)
        routes = ", ".join(r.json() for r in self.routes)
        return f"{head}, \"routes\": [{routes}], {json.dumps(rest)[1:]}"

    @classmethod
    def from_dict(cls, d: dict, scenario: Scenario | None = None) -> "Plan":
        """Read a contract-v1 plan (ours or another program's)."""

        def stop(s: dict) -> Stop:
            arrival = s.get("arrival")
            return Stop(
                s["type"],
                parse_time(s["start"]),
                parse_time(s["end"]),
                parse_time(arrival) if arrival else None,
                s.get("ticket"),
                s.get("depot"),
                dict(s.get("parts", {})),
                list(s.get("tools", [])),
                s.get("lead") is True,
            )

        routes = [
            Route(
                r["engineer"],
                r.get("shift", 0),
                [stop(s) for s in r.get("stops", [])],
                parse_time(r["depart"]),
                parse_time(r["return"]),
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
        """One row per stop (STOP_COLUMNS): engineer, shift, type (visit | restock | break),
        ticket, depot, arrival, start, end; with the scenario known, a visit's tier (`priority`),
        SLA deadline, minutes late, and for a late visit why (`late_cause`: window | unreachable |
        busy | travel, and `late_reason` in words)."""
        causes = late_causes(self.scenario, self.routes) if self.scenario is not None else {}
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
                    cause = causes.get(t.id)
                    row.update(
                        priority=t.priority,
                        deadline=deadline,
                        late_min=max(0.0, (s.start - deadline).total_seconds() / 60),
                        late_cause=cause.code if cause else None,
                        late_reason=cause.text if cause else None,
                    )
                rows.append(row)
        return pd.DataFrame(rows, columns=STOP_COLUMNS)

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
        """One row per ticket left out (UNASSIGNED_COLUMNS): ticket, tier, created, SLA deadline
        (these three need the scenario), reason code and the reason with its fix."""
        rows = []
        for u in self.unassigned:
            row = {"ticket": u.ticket, "code": u.code, "reason": u.reason}
            if self.scenario is not None:
                t = self.scenario.ticket(u.ticket)
                row |= {
                    "tier": t.priority,
                    "created": t.created,
                    "deadline": self.scenario.deadline(t),
                }
            rows.append(row)
        return pd.DataFrame(rows, columns=UNASSIGNED_COLUMNS)


STOP_COLUMNS = [
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
    "late_cause",
    "late_reason",
]
UNASSIGNED_COLUMNS = ["ticket", "tier", "created", "deadline", "code", "reason"]


def iso_time(t: datetime) -> str:
    return t.isoformat(timespec="seconds") if t.microsecond == 0 else t.isoformat()


def parse_time(s: str) -> datetime:
    return datetime.fromisoformat(s)


def minutes_between(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60

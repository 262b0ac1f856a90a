"""Appointment slots to offer a calling customer: windows verified to fit the plan in force
without making planned work of a higher tier late."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ..engine.eligibility import compute_eligibility
from ..engine.params import SolveParams
from ..engine.problem import ProblemData
from ..engine.search import linked, ready
from ..engine.search.construct import seeded_state
from ..engine.search.routes import best_insertion, place, take, tidy
from ..engine.search.timeline import schedule
from ..format.plan import Plan
from ..format.scenario import Scenario, ScenarioError, Ticket
from ..format.validation import parse_scenario, too_deep, unknown_fields

SLOT_MINUTES = 120  # defaults of an offer: two-hour windows, three days ahead, five at most
HORIZON_DAYS = 3
MAX_SLOTS = 5


@dataclass(frozen=True)
class Slot:
    """An arrival window that can be promised: the visit fits `engineer`'s shift without breaking a
    hard rule or making planned work of a higher tier late for its SLA."""

    start: datetime
    end: datetime
    engineer: str
    shift: int
    added_travel_min: float
    added_cost: float  # travel + weighted lateness + promised-time shifts, in travel-minute units

    def window(self) -> dict:
        """The slot as a contract window, to put on the booked ticket."""
        return {
            "start": self.start.isoformat(timespec="seconds"),
            "end": self.end.isoformat(timespec="seconds"),
        }


@dataclass
class SlotOffer:
    slots: list[Slot]
    reason: str | None = None  # why there is no slot (or fewer than asked), for the call handler

    def to_dict(self) -> dict:
        """The offer as JSON-ready data: each slot's window, engineer, shift and added costs."""
        return {
            "slots": [
                s.window()
                | {
                    "engineer": s.engineer,
                    "shift": s.shift,
                    "added_travel_min": s.added_travel_min,
                    "added_cost": s.added_cost,
                }
                for s in self.slots
            ],
            "reason": self.reason,
        }

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [s.__dict__ for s in self.slots],
            columns=["start", "end", "engineer", "shift", "added_travel_min", "added_cost"],
        )


def offer_slots(
    scenario: Scenario,
    plan: Plan,
    ticket: dict | Any,
    slot_minutes: int = SLOT_MINUTES,
    horizon_days: int = HORIZON_DAYS,
    max_slots: int = MAX_SLOTS,
    rank: str = "earliest",
    params: SolveParams | None = None,
) -> SlotOffer:
    """Arrival windows of `slot_minutes` (aligned on the clock from midnight) within `horizon_days`
    of now, where the new ticket fits into the plan as it is (no planned visit moves to another
    engineer), ranked earliest first or by added cost (`rank="cost"`). The ticket is a contract
    ticket without windows."""
    if rank not in ("earliest", "cost"):
        raise ValueError(f"rank: got {rank!r}; fix: use 'earliest' or 'cost'")
    params = params or SolveParams()
    if not isinstance(ticket, dict) and not hasattr(ticket, "model_dump"):
        raise ScenarioError(
            [
                f"ticket: got a JSON {type(ticket).__name__}; fix: give the caller's ticket as an "
                f"object"
            ]
        )
    t = dict(
        ticket.model_dump(mode="json", exclude_unset=True)
        if hasattr(ticket, "model_dump")
        else ticket
    )
    deep = too_deep(t, "ticket")
    unknown = [deep] if deep else unknown_fields(t, Ticket, "ticket")
    if unknown:  # a misspelt `skils` would offer slots the visit cannot keep
        raise ScenarioError(unknown)
    t0 = scenario.planning_start
    t.setdefault("created", t0.isoformat(timespec="seconds"))
    t.pop("windows", None)
    candidates = _slot_grid(
        scenario, max(t0, datetime.fromisoformat(str(t["created"]))), slot_minutes, horizon_days
    )
    if not candidates:
        return SlotOffer(
            [],
            f"no engineer works in the next {horizon_days} day(s); fix: add shifts or look further "
            f"ahead",
        )
    t["windows"] = [{"start": a.isoformat(), "end": b.isoformat()} for a, b in candidates]
    if scenario.has_ticket(t.get("id")):
        raise ScenarioError(
            [
                f"ticket.id: {t.get('id')!r} is already in the scenario; fix: give the caller's "
                f"ticket a new id"
            ]
        )
    sc = _with_caller(scenario, t)
    # planned visits stay where they are: their engineer-shift is not asked again
    kept = {s.ticket: (r.engineer, r.shift) for r in plan.routes for s in r.visits}
    kept.pop(t["id"], None)
    el = compute_eligibility(sc, kept)
    if t["id"] in el.unplannable:
        return SlotOffer([], el.unplannable[t["id"]].reason)
    ready()
    p = ProblemData(sc, el, dataclasses.replace(params, time_limit_s=0), previous=plan)  # no search
    state = seeded_state(p)
    a, n = p.arrays, p.nodes.tickets.index(t["id"])
    hz = el.horizon
    slots = []
    link = p.links.get(n)  # a crew visit or a follow-up: placed whole (search.linked)
    for w0, w1 in candidates:
        if link is not None:
            found = linked.option_within(p, state, link, hz.seconds(w0, up=True), hz.seconds(w1))
            if found is not None:
                option, added_travel = found
                veh = p.vehicles[option.picks[0][1]]
                slots.append(
                    Slot(
                        w0,
                        w1,
                        veh.engineer.id,
                        veh.shift,
                        round(added_travel / 60, 1),
                        round(option.cost / 60, 1),
                    )
                )
            continue
        a.tw_start[n, 0], a.tw_end[n, 0], a.tw_n[n] = hz.seconds(w0, up=True), hz.seconds(w1), 1
        vehicles = [
            v
            for v in el.allowed[t["id"]]
            if p.vehicles[v].earliest_depart <= a.tw_end[n, 0]
            and p.vehicles[v].shift_end >= a.tw_start[n, 0]
        ]
        best = _fitting_insertion(p, state, n, vehicles)
        if best is not None:
            added, v, added_travel = best
            engineer, shift = p.vehicles[v].engineer.id, p.vehicles[v].shift
            slots.append(
                Slot(w0, w1, engineer, shift, round(added_travel / 60, 1), round(added / 60, 1))
            )
    if rank == "cost":
        slots.sort(key=lambda s: (s.added_cost, s.start))
    offer = SlotOffer(slots[:max_slots])
    if not slots:
        end = candidates[-1][1]
        offer.reason = (
            f"fully booked until {end:%a %d %b %H:%M}: no qualified engineer can fit "
            f"{sc.ticket(t['id']).duration_min:g} min without making planned higher-tier work "
            f"late; "
            f"fix: look further ahead (horizon_days), add a shift or an engineer"
        )
        if link is not None:  # the crew or the lag is what is short
            code, why = linked.reasons(p, state).get(t["id"], ("", ""))
            offer.reason = (
                f"no slot in the next {horizon_days} day(s): {why}" if why else offer.reason
            )
    return offer


def _with_caller(scenario: Scenario, t: dict) -> Scenario:
    """The scenario with the caller's ticket added. Only that ticket is parsed (checked against
    the engineers, depots, catalogue and the ticket it follows, if any); the rest was validated
    when the scenario was made and is not parsed again, which is most of an offer's time on a
    large board."""
    raw = scenario.model_dump(mode="json", exclude_unset=True, exclude={"tickets"})
    after = t.get("after")
    follows = after.get("ticket") if isinstance(after, dict) else None
    raw["tickets"] = [
        x.model_dump(mode="json", exclude_unset=True)
        | {"duration_min": scenario.given_duration_min(x)}
        for x in scenario.tickets
        if x.id == follows
    ] + [t]
    try:
        caller = parse_scenario(raw, fields_checked=True).ticket(t["id"])
    except ScenarioError as exc:  # named as the caller's ticket, not by a place in a list
        raise ScenarioError(
            [re.sub(r"^tickets\[\d+\](?: \(id [^)]*\))?", "ticket", p) for p in exc.problems]
        ) from None
    return scenario.replace(tickets=[*scenario.tickets, caller])


def _slot_grid(
    sc: Scenario, t0: datetime, slot_minutes: int, horizon_days: int
) -> list[tuple[datetime, datetime]]:
    """Clock-aligned windows starting at or after t0 that meet some engineer's shift."""
    if slot_minutes <= 0:
        raise ValueError(f"slot_minutes: got {slot_minutes}; fix: use a positive number of minutes")
    step = timedelta(minutes=slot_minutes)
    midnight = datetime.combine(t0.date(), datetime.min.time())
    a = midnight + step * -(-(t0 - midnight) // step)
    shifts = [(s.start, s.end) for e in sc.engineers for s in e.shifts]
    out = []
    while a < t0 + timedelta(days=horizon_days):
        if any(s0 < a + step and a < s1 for s0, s1 in shifts):
            out.append((a, a + step))
        a += step
    return out


def _fitting_insertion(p: ProblemData, state, n: int, vehicles: list[int]) -> tuple | None:
    """Cheapest insertion of ticket node n on these engineer-shifts that makes no planned
    higher-tier visit late for its SLA: (added cost, engineer-shift, added travel), or None."""
    a = p.arrays
    vehicles = list(vehicles)
    while vehicles:
        added, v, k, d = best_insertion(a, state, n, np.array(vehicles, dtype=np.int64), 0.0)
        if v < 0:
            return None
        before = state.seq[v, : state.n[v]].copy()
        place(a, state, v, k, n, d)  # with a restock stop when the van lacks a part
        after = state.seq[v, : state.n[v]].copy()
        take(a, state, v, k)
        tidy(a, state, a.v_engineer[v])
        if not _late_higher(p, v, after, a.rank[n]) - _late_higher(p, v, before, a.rank[n]):
            return added, v, _travel(p, v, after) - _travel(p, v, before)
        vehicles.remove(v)  # another engineer may still fit it cleanly
    return None


def _late_higher(p: ProblemData, v: int, seq: np.ndarray, rank: int) -> set[int]:
    """Visits of a higher tier than `rank` that start past their SLA deadline."""
    a = p.arrays
    _, starts, _ = schedule(p, v, seq)
    return {
        int(x)
        for x, start in zip(seq, starts)
        if x < a.nt and a.rank[x] < rank and start > a.deadline[x]
    }


def _travel(p: ProblemData, v: int, seq: np.ndarray) -> int:
    a = p.arrays
    stops = [a.v_start[v], *seq.tolist(), a.v_end[v]]
    return int(sum(a.travel[x, y] for x, y in zip(stops, stops[1:])))

"""Real-time operations on top of the solver: appointment slots to offer a calling customer, and a
day replayed event by event (re-planning at each) against a dispatcher who only ever inserts
greedily.

Re-planning itself is `solve(scenario, params, previous=plan)`; events are in `events.py`.
"""

from __future__ import annotations

import copy
import math
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

import numpy as np
import pandas as pd

from .checker import check
from .eligibility import compute_eligibility
from .events import apply_events, parse_events
from .io import plan_problems
from .model import Scenario, ScenarioError, Ticket, parse_scenario, unknown_fields
from .params import SolveParams
from .plan import Plan
from .problem import ProblemData
from .search import ready
from .search.construct import seeded_state
from .search.routes import best_insertion, place, take, tidy
from .search.timeline import schedule
from .solver import solve
from .travel import travel_matrices

# ---------------------------------------------------------------- appointment slots


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
    slot_minutes: int = 120,
    horizon_days: int = 3,
    max_slots: int = 5,
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
    raw = scenario.to_dict()
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
    unknown = unknown_fields(t, Ticket, "ticket")
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
    if any(x.get("id") == t.get("id") for x in raw["tickets"]):
        raise ScenarioError(
            [
                f"ticket.id: {t.get('id')!r} is already in the scenario; fix: give the caller's "
                f"ticket a new id"
            ]
        )
    raw["tickets"].append(t)
    sc = parse_scenario(raw)
    el = compute_eligibility(sc)
    if t["id"] in el.unplannable:
        return SlotOffer([], el.unplannable[t["id"]].reason)
    ready()
    p = ProblemData(sc, el, params, previous=plan)
    state = seeded_state(p)
    a, n = p.arrays, p.nodes.tickets.index(t["id"])
    hz = el.horizon
    slots = []
    for w0, w1 in candidates:
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
    return offer


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


# ---------------------------------------------------------------- a day, simulated


def day_events(
    scenario: Scenario,
    plan: Plan,
    seed: int = 0,
    emergencies: int = 5,
    overruns: int = 3,
    sick: int = 1,
    cancellations: int = 2,
    first: str = "09:00",
    last: str = "15:00",
) -> list[dict]:
    """A plausible day of events (JSON-ready, in time order) against the morning plan: emergencies
    called in (at a known customer address, needing a skill someone has), jobs overrunning by 30-90
    minutes, engineers going home sick, customers cancelling. Deterministic by seed."""
    rng = random.Random(seed)
    day = (
        min(r.depart for r in plan.routes).date() if plan.routes else scenario.planning_start.date()
    )
    lo, hi = (datetime.combine(day, datetime.strptime(x, "%H:%M").time()) for x in (first, last))

    def when() -> datetime:
        return lo + timedelta(minutes=rng.randrange(int((hi - lo).total_seconds() // 60)))

    visits = [(r.engineer, s) for r in plan.routes for s in r.visits if lo <= s.start <= hi]
    skills = sorted({k for e in scenario.engineers for k in e.skills})
    out: list[dict] = []
    for i in range(emergencies):
        at = when()
        base = rng.choice(scenario.tickets)
        out.append(
            {
                "type": "new_ticket",
                "at": at.isoformat(),
                "ticket": {
                    "id": f"EM{i + 1:02d}",
                    "location": base.location.model_dump(exclude_none=True),
                    "created": at.isoformat(),
                    "priority": next(iter(scenario.tiers)),
                    "duration_min": rng.choice([45, 60, 75, 90]),
                    "skills": [rng.choice(skills)] if skills else [],
                    "zone": base.zone,
                },
            }
        )
        if base.zone is None:
            del out[-1]["ticket"]["zone"]
    for _, s in rng.sample(visits, min(overruns, len(visits))):
        at = s.start + (s.end - s.start) / 2
        out.append(
            {
                "type": "job_overrun",
                "at": at.isoformat(),
                "ticket": s.ticket,
                "expected_end": (
                    s.end + timedelta(minutes=rng.choice([30, 45, 60, 90]))
                ).isoformat(),
            }
        )
    for e in rng.sample(sorted({r.engineer for r in plan.routes}), min(sick, len(plan.routes))):
        out.append({"type": "engineer_unavailable", "at": when().isoformat(), "engineer": e})
    for _, s in rng.sample(visits, min(cancellations, len(visits))):
        at = s.start - timedelta(minutes=rng.randrange(30, 180))
        out.append({"type": "cancel_ticket", "at": max(at, lo).isoformat(), "ticket": s.ticket})
    return sorted(out, key=lambda ev: ev["at"])


@dataclass
class DayReport:
    """The day as it was carried out under each policy: `kpis` per policy, `log` one row per event
    and policy, `plans` the re-plan policy's plans through the day (time, plan, scenario), for
    pictures."""

    kpis: pd.DataFrame
    log: pd.DataFrame
    plans: list[tuple[datetime, Plan, Scenario]] = field(default_factory=list)


def simulate_day(
    scenario: Scenario,
    events: list | None = None,
    params: SolveParams | None = None,
    *,
    morning: Plan | None = None,
    seed: int = 0,
    on_event: Callable[[str, int, int], None] | None = None,
) -> DayReport:
    """Replay the events through the day, re-planning at each (`params`, default 5 s of search), and
    the same day under the baseline that only ever inserts greedily into the plan in force (no
    search, no moves). Work is carried out as the plan in force says: at each event, visits that
    have ended are done, the one under way is started, the next one en route. KPIs count what was
    carried out."""
    params = params or SolveParams(time_limit_s=5)
    morning = morning or solve(scenario, params)
    events = [
        e.model_dump(mode="json", exclude_none=True) if hasattr(e, "model_dump") else e
        for e in (events if events is not None else day_events(scenario, morning, seed))
    ]
    parse_events(events)  # validated once, up front
    events = sorted(events, key=lambda e: e["at"])
    policies = {"re-plan": params, "greedy insert": SolveParams(time_limit_s=0)}
    rows, kpis, report_plans = [], [], [(scenario.planning_start, morning, scenario)]
    for name, policy in policies.items():
        raw, plan, done = scenario.to_dict(), morning, {}
        moved = 0
        for i, ev in enumerate(events):
            at = datetime.fromisoformat(ev["at"])
            raw = _advance(raw, plan, at, done)
            try:
                sc = apply_events(raw, [ev])
            except (
                ScenarioError
            ) as exc:  # e.g. the overrun of a job this plan has not started: nothing to do
                rows.append(
                    {
                        "policy": name,
                        "at": at,
                        "event": ev["type"],
                        "applied": False,
                        "note": str(exc),
                    }
                )
                continue
            t0 = time.monotonic()
            new = solve(sc, policy, previous=plan)
            changes = new.kpis["changes"]
            moved += changes["moved"]
            rows.append(
                {
                    "policy": name,
                    "at": at,
                    "event": ev["type"],
                    "applied": True,
                    "solve_s": time.monotonic() - t0,
                    "served": new.kpis["served"],
                    "tickets": new.kpis["tickets"],
                    "moved": changes["moved"],
                    "eta_shifted": changes["eta_shifted"],
                    "newly_unassigned": changes["newly_unassigned"],
                    "violations": len(check(sc, new).violations),
                    "note": "",
                }
            )
            raw, plan = sc.to_dict(), new
            if name == "re-plan":
                report_plans.append((at, new, sc))
            if on_event:
                on_event(name, i + 1, len(events))
        end = max(
            (s.end for e in scenario.engineers for s in e.shifts), default=scenario.planning_start
        ) + timedelta(days=1)
        raw = _advance(raw, plan, end, done)
        kpis.append(
            {
                "policy": name,
                **_day_kpis(parse_scenario(raw), done),
                "replans": sum(1 for r in rows if r["policy"] == name and r["applied"]),
                "moved": moved,
            }
        )
    return DayReport(pd.DataFrame(kpis).set_index("policy"), pd.DataFrame(rows), report_plans)


def advance(scenario: Scenario | dict, plan: Plan, now: datetime | str) -> Scenario:
    """The scenario at `now` had `plan` been carried out as planned: visits ended by then are done
    (their parts used), the visit under way is `started` (its `duration_min` the work left), the
    next one `en_route`, restocks ended are taken, and each engineer's `position` is the last
    place reached (on the way to a visit: that visit). What the field reports (events) overrides
    it; this is what a re-plan at a later `now` should start from when nothing was reported."""
    sc = scenario if isinstance(scenario, Scenario) else parse_scenario(scenario)
    when = now if isinstance(now, datetime) else _moment(now)
    if sc.now is not None and when < sc.now:
        raise ScenarioError(
            [
                f"now: {when.isoformat()} is before the scenario's now {sc.now.isoformat()}; "
                f"fix: advance to a later moment"
            ]
        )
    problems = plan_problems(plan.to_dict(), sc)
    if problems:
        raise ScenarioError(problems)
    return parse_scenario(_advance(sc.to_dict(), plan, when, {}))


def _moment(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        when = None
    if when is None or when.tzinfo is not None:
        raise ScenarioError(
            [f"now: got {text!r}; fix: give a local date-time such as 2026-11-23T11:00"]
        )
    return when


def overdue_visits(scenario: Scenario, previous: Plan) -> list[str]:
    """Visits of the plan in force that should have started by the scenario's `now` while their
    tickets are still open: nothing reported them started or done. A re-plan cannot start them in
    the past, so it plans them again from `now`; this says so, one line per visit."""
    if scenario.now is None:
        return []
    out = []
    for r in previous.routes:
        for s in r.visits:
            t = _ticket(scenario, s.ticket)
            if t is not None and t.status == "open" and s.start < scenario.now:
                out.append(
                    f"{s.ticket}: planned with {r.engineer} at {s.start:%H:%M}, before now "
                    f"({scenario.now:%H:%M}), but still open: planned again from now; fix: report "
                    f"it started or done (ticket_status), or carry the plan out first (advance)"
                )
    return out


def _ticket(sc: Scenario, tid: str | None):
    try:
        return sc.ticket(tid)
    except KeyError:
        return None


def _advance(raw: dict, plan: Plan, now: datetime, done: dict) -> dict:
    """The scenario at `now` if the plan was carried out: visits ended are done (their parts used),
    the visit under way is started (its duration the work left), the next one en route; restocks
    ended are taken. The engineer is at the last place reached or, on the way to a visit, at that
    visit. `done` collects the (engineer, start) of work carried out."""
    raw = copy.deepcopy(raw)
    tickets = {t["id"]: t for t in raw["tickets"]}
    engineers = {e["id"]: e for e in raw["engineers"]}
    depots = {d["id"]: d for d in raw.get("depots", [])}
    before = datetime.fromisoformat(raw["now"]) if raw.get("now") else None
    for r in plan.routes:
        e = engineers.get(r.engineer)
        if e is None or r.depart > now:
            continue
        van = e.setdefault("van", {})
        where = e.get("position") if raw.get("now") else None
        where = where or e["start"]
        for s in r.stops:
            if s.type == "break":
                continue
            place = (
                tickets[s.ticket]["location"] if s.type == "visit" else depots[s.depot]["location"]
            )
            if (
                s.type == "visit"
                and tickets[s.ticket].get("status") == "done"
                or s.type == "restock"
                and before is not None
                and s.end <= before
            ):
                where = place  # carried out at an earlier moment
            elif s.end <= now:
                if s.type == "visit":
                    done.setdefault(s.ticket, (r.engineer, s.start))
                    tickets[s.ticket]["status"] = "done"
                    for p, q in tickets[s.ticket].get("parts", {}).items():
                        van[p] = van.get(p, 0) - q
                else:
                    for p, q in s.parts.items():
                        van[p] = van.get(p, 0) + q
                        depots[s.depot]["parts"][p] = depots[s.depot]["parts"].get(p, 0) - q
                    e["tools"] = sorted(set(e.get("tools", [])) | set(s.tools))
                where = place
            elif s.start <= now and s.type == "visit":
                done.setdefault(s.ticket, (r.engineer, s.start))
                left = (
                    math.floor((s.end - now).total_seconds()) / 60
                )  # whole seconds: rounding up could
                tickets[s.ticket].update(
                    status="started",
                    engineer=r.engineer,
                    windows=[],  # overflow a tight shift
                    duration_min=left,
                )
                tickets[s.ticket].pop("started_at", None)  # duration_min is now the work left
                where = place
                break
            else:
                if s.type == "visit":  # the engineer knows where to go next: that job is theirs
                    tickets[s.ticket].update(status="en_route", engineer=r.engineer)
                    # on the way there: counted as arrived (optimistic by the rest of the drive)
                    where = place
                break
        else:  # every stop carried out: on the way home, counted as there (optimistic, as above)
            if r.stops and max(s.end for s in r.stops) <= now:
                where = e.get("end") or e["start"]
        e["position"] = where
    raw["now"] = now.isoformat(timespec="seconds")
    return raw


def _day_kpis(sc: Scenario, done: dict) -> dict:
    """What was carried out: served and on time per tier, and the travel of the visits in the order
    done."""
    out = {"tickets": len(sc.tickets), "served": sum(1 for t in sc.tickets if t.id in done)}
    for tier in sc.tiers:
        mine = [t for t in sc.tickets if t.priority == tier]
        if mine:
            kept = sum(1 for t in mine if t.id in done and done[t.id][1] <= sc.deadline(t))
            out[f"{tier} on time"] = f"{kept}/{len(mine)}"
    travel = 0.0
    for e in sc.engineers:
        stops = [
            sc.ticket(tid).location
            for tid, _ in sorted(
                ((t, s) for t, (eid, s) in done.items() if eid == e.id), key=lambda p: p[1]
            )
        ]
        if stops:
            minutes, _ = travel_matrices(sc, [e.start] + stops + [e.home])
            travel += sum(minutes[i, i + 1] for i in range(len(stops) + 1))
    out["travel_min"] = round(travel, 1)
    return out

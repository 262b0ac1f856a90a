"""The figures management reviews: response times, each engineer's day, workload spread,
follow-ups kept with their preferred engineer, and tickets by fault type.

Why a module of its own: these are read by the plan's KPIs, the CLI summary, the report and
the notebooks, and must mean the same everywhere. Everything here is computed from a scenario
and a plan's routes (ours or another program's), never from solver internals.

Definitions (docs/format.md repeats them):
- response time: from the ticket's `created` to the engineer's arrival on site (a stop without
  `arrival` counts from its start); "within promise" compares arrival with the SLA deadline.
- working minutes: service plus travel of an engineer's route (breaks and waiting excluded).
- on duty: from departure to return (what the engineer is paid for); idle: on duty less travel,
  visits, restocks and breaks (waiting).
- an engineer-day: one engineer's shifts starting on one calendar day, counted (also when idle)
  if a shift of that day ends after the planning start.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable

from ..format.scenario import TOLERANCE_MIN, Costs, Scenario

if TYPE_CHECKING:
    from ..format.plan import Plan


def _minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


def _percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile, as numpy computes it by default."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _response_stats(rows: list[tuple[float, bool]], tickets: int) -> dict:
    minutes = [m for m, _ in rows]
    return {
        "tickets": tickets,
        "served": len(rows),
        "median_min": round(statistics.median(minutes), 1) if rows else None,
        "p90_min": round(_percentile(minutes, 0.9), 1) if rows else None,
        "worst_min": round(max(minutes), 1) if rows else None,
        "within_promise": sum(ok for _, ok in rows),
        "within_promise_share": round(sum(ok for _, ok in rows) / len(rows), 3) if rows else None,
    }


def response_times(sc: Scenario, routes: Iterable[Any]) -> dict:
    """Per SLA tier and per zone: served, median, 90th percentile and worst response minutes, and
    how many (and what share) of the served tickets had the engineer on site within the promise.
    Tickets without a zone are grouped under "(none)"."""
    on_site = {s.ticket: s.arrival or s.start for r in routes for s in r.stops if s.type == "visit"}
    by_tier: dict[str, list] = defaultdict(list)
    by_zone: dict[str, list] = defaultdict(list)
    count_tier: Counter = Counter()
    count_zone: Counter = Counter()
    for t in sc.live_tickets:
        zone = t.zone or "(none)"
        count_tier[t.priority] += 1
        count_zone[zone] += 1
        if t.id not in on_site:
            continue
        row = (
            _minutes(t.created, on_site[t.id]),
            _minutes(sc.deadline(t), on_site[t.id]) <= TOLERANCE_MIN,
        )
        by_tier[t.priority].append(row)
        by_zone[zone].append(row)
    return {
        "tiers": {k: _response_stats(by_tier[k], count_tier[k]) for k in sc.tiers if count_tier[k]},
        "zones": {z: _response_stats(by_zone[z], count_zone[z]) for z in sorted(count_zone)},
    }


def engineer_table(
    sc: Scenario, routes: Iterable[Any], reuse: dict[str, dict] | None = None
) -> dict[str, dict]:
    """Per engineer: tickets visited, working, service and travel minutes, visits started by the SLA
    deadline (count and share), overtime and utilisation (service over shift minutes). `reuse`:
    rows of engineers whose routes are known unchanged (a re-plan near one ticket), kept as
    they are."""
    by_engineer: dict[str, list] = defaultdict(list)
    for r in routes:
        by_engineer[r.engineer].append(r)
    reuse = reuse or {}
    out = {}
    for e in sc.engineers:
        if e.id in reuse:
            out[e.id] = reuse[e.id]
            continue
        mine = by_engineer.get(e.id, [])
        visits = [s for r in mine for s in r.stops if s.type == "visit"]
        service = sum(_minutes(s.start, s.end) for s in visits)
        travel = sum(r.travel_min for r in mine)
        on_time = sum(
            _minutes(sc.deadline(sc.ticket(s.ticket)), s.start) <= TOLERANCE_MIN for s in visits
        )
        shift_min = sum(_minutes(s.start, s.end) for s in e.shifts)
        overtime = sum(
            max(0.0, _minutes(e.shifts[r.shift].end, r.return_))
            for r in mine
            if r.shift < len(e.shifts)
        )
        on_duty = sum(_minutes(r.depart, r.return_) for r in mine)
        # visits, restocks, breaks
        busy = sum(_minutes(s.start, s.end) for r in mine for s in r.stops)
        out[e.id] = {
            "visits": len(visits),
            "working_min": round(service + travel, 1),
            "on_duty_min": round(on_duty, 1),
            "idle_min": round(max(0.0, on_duty - busy - travel), 1),
            "service_min": round(service, 1),
            "travel_min": round(travel, 1),
            "on_time": on_time,
            "on_time_share": round(on_time / len(visits), 3) if visits else None,
            "shift_min": round(shift_min, 1),
            "utilisation": round(service / shift_min, 3) if shift_min else 0.0,
            "overtime_min": round(overtime, 1),
        }
    return out


def workload_spread(sc: Scenario, routes: Iterable[Any]) -> dict:
    """Working minutes per engineer-day: how many engineer-days, min, mean, max and the coefficient
    of variation (population standard deviation over mean; 0 is perfectly even). An engineer who
    works a day with nothing planned counts with 0 minutes: that is the unevenness to see."""
    work: dict[tuple[str, Any], float] = {}
    start = sc.planning_start
    for e in sc.engineers:
        for s in e.shifts:
            if s.end > start:
                work.setdefault((e.id, s.start.date()), 0.0)
    for r in routes:
        e = sc.engineer(r.engineer)
        if r.shift >= len(e.shifts):
            continue
        key = (e.id, e.shifts[r.shift].start.date())
        service = sum(_minutes(s.start, s.end) for s in r.stops if s.type == "visit")
        work[key] = work.get(key, 0.0) + service + r.travel_min
    xs = list(work.values())
    mean = statistics.fmean(xs) if xs else 0.0
    return {
        "engineer_days": len(xs),
        "min_min": round(min(xs), 1) if xs else 0.0,
        "mean_min": round(mean, 1),
        "max_min": round(max(xs), 1) if xs else 0.0,
        "cv": round(statistics.pstdev(xs) / mean, 3) if xs and mean > 0 else 0.0,
    }


def preferred_kept(sc: Scenario, routes: Iterable[Any]) -> dict | None:
    """Tickets with a `preferred_engineer` (follow-ups, customers' requests): how many, how many are
    planned with that engineer, and the share kept. None when no ticket names one."""
    engineer_of = {s.ticket: r.engineer for r in routes for s in r.stops if s.type == "visit"}
    wanted = [t for t in sc.live_tickets if t.preferred_engineer]
    if not wanted:
        return None
    kept = sum(engineer_of.get(t.id) == t.preferred_engineer for t in wanted)
    served = sum(t.id in engineer_of for t in wanted)
    return {
        "tickets": len(wanted),
        "served": served,
        "kept": kept,
        "kept_share": round(kept / len(wanted), 3),
    }


def fault_counts(sc: Scenario, routes: Iterable[Any]) -> dict[str, dict] | None:
    """Per fault type (most tickets first): tickets and how many are planned. None when no ticket
    has a fault type."""
    planned = {s.ticket for r in routes for s in r.stops if s.type == "visit"}
    tickets = Counter(t.fault for t in sc.live_tickets if t.fault)
    if not tickets:
        return None
    served = Counter(t.fault for t in sc.live_tickets if t.fault and t.id in planned)
    return {
        kind: {"tickets": n, "served": served[kind]}
        for kind, n in sorted(tickets.items(), key=lambda kv: (-kv[1], kv[0]))
    }


def build_kpis(
    sc: Scenario, plan: Plan, *, reuse_engineers: dict[str, dict] | None = None, **extra: Any
) -> dict:
    """Per tier service and SLA, travel, the engineer table, unassigned by reason, response times,
    workload spread, and (when tickets have them) preferred engineers kept and fault types.
    `reuse_engineers`: engineer rows known unchanged (see `engineer_table`)."""
    visits = {s.ticket: s for r in plan.routes for s in r.visits}
    count: Counter = Counter()
    late: dict[str, list[float]] = defaultdict(list)
    for t in sc.live_tickets:
        count[t.priority] += 1
        if t.id in visits:
            late[t.priority].append(max(0.0, _minutes(sc.deadline(t), visits[t.id].start)))
    tiers = {
        name: {
            "tickets": count[name],
            "served": len(late[name]),
            "on_time": sum(x <= TOLERANCE_MIN for x in late[name]),
            "late_total_min": round(sum(late[name]), 1),
            "late_max_min": round(max(late[name], default=0.0), 1),
        }
        for name in sc.tiers
    }
    engineers = engineer_table(sc, plan.routes, reuse_engineers)
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
    costs = sc.costs or Costs()
    kpis["cost"] = round(
        costs.travel_per_min * kpis["travel_min"] + costs.on_duty_per_min * kpis["on_duty_min"], 1
    )
    for key, value in (
        ("preferred", preferred_kept(sc, plan.routes)),
        ("faults", fault_counts(sc, plan.routes)),
        ("crews", crew_counts(sc, plan.routes)),
        ("follow_ups", follow_up_counts(sc, plan.routes)),
    ):
        if value is not None:
            kpis[key] = value
    for k, v in extra.items():
        if v is not None:
            kpis[k] = round(v, 3) if isinstance(v, float) else v
    return kpis


def crew_counts(sc: Scenario, routes: list) -> dict | None:
    """Crew visits (tickets needing k > 1 engineers together): how many there are, how many were
    served, and the engineer-hours they take (k x duration). None without crew tickets."""
    crews = [t for t in sc.live_tickets if t.crew > 1]
    if not crews:
        return None
    served = {s.ticket for r in routes for s in r.visits}
    done = [t for t in crews if t.id in served]
    return {
        "tickets": len(crews),
        "visits": len(done),
        "crew_hours": round(sum(t.crew * t.duration_min for t in done) / 60, 2),
    }


def follow_up_counts(sc: Scenario, routes: list) -> dict | None:
    """Follow-ups of a live visit: how many, how many planned, and planned within their lag (and
    with the same engineer when asked). None without follow-ups."""
    live = {t.id for t in sc.live_tickets}
    follow = [t for t in sc.live_tickets if t.after is not None and t.after.ticket in live]
    if not follow:
        return None
    leads: dict[str, tuple] = {}
    for r in routes:
        for s in r.visits:
            if s.lead or s.ticket not in leads:
                leads[s.ticket] = (r.engineer, s)
    within = 0
    for t in follow:
        if t.id not in leads or t.after.ticket not in leads:
            continue
        (who, s), (who_before, before) = leads[t.id], leads[t.after.ticket]
        lag = _minutes(before.end, s.start)
        high = t.after.max_lag_min if t.after.max_lag_min is not None else float("inf")
        same = who == who_before or not t.after.same_engineer
        within += t.after.min_lag_min - TOLERANCE_MIN <= lag <= high + TOLERANCE_MIN and same
    planned = sum(1 for t in follow if t.id in leads)
    return {"tickets": len(follow), "planned": planned, "within_lag": within}

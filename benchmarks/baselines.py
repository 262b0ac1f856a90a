"""Baseline dispatchers to measure dispatch_opt against: how tickets are assigned by hand today, and VROOM.

Both take a `dispatch_opt.Scenario` and return a contract-v1 `dispatch_opt.Plan` whose times come from
one scheduler (`_Day`, below), in whole seconds with travel and service rounded up, so a plan that fits
here also holds with exact times; `dispatch_opt.plan.finalize_routes` then fills arrival, depart, return
and travel. Benchmarks verify every plan with `dispatch_opt.check`.

- `manual_dispatch(scenario)`: tickets highest tier first, then by SLA deadline; each goes to the
  nearest qualified engineer (skills, required engineer, tools on the van, parts still on the van)
  whose day can still take it appended at the end of the route: travel from where that engineer's
  route now ends, wait if early, start inside a window and the shift, back by shift end plus overtime.
  On several days, the earliest day that can take it wins, then the nearest engineer on it. An owed
  break is taken as soon as its interval opens while the engineer is free (before travelling to the
  next visit, or while waiting there), else after the visit; an engineer whose break no longer fits is
  skipped. No restocks: a ticket needs its tools and parts on the van, and van stock is tracked over
  the engineer's shifts.
- `vroom_plan(scenario, time_limit_s)`: VROOM (pyvroom, extra `[bench]`) on the same integer data; see
  its docstring for the mapping and what cannot be expressed.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from dispatch_opt import Plan, Scenario
from dispatch_opt.eligibility import Eligibility, Vehicle, compute_eligibility
from dispatch_opt.model import Ticket
from dispatch_opt.plan import Route, Stop, Unassigned, build_kpis, finalize_routes

BREAK = -1  # a break as an item of an explicit sequence (vroom_plan), taken where the engineer is
VROOM_PRIORITY = (
    100,
    10,
    1,
    0,
)  # by tier rank (VROOM's 0..100; assigned priority is maximised first)


# ---------------------------------------------------------------- integer data shared by both baselines


class _Data:
    """Seconds from the eligibility horizon: travel and service rounded up, windows and breaks per vehicle."""

    def __init__(self, sc: Scenario, el: Eligibility):
        self.sc, self.el, self.hz = sc, el, el.horizon
        self.travel = (
            np.ceil(el.minutes * 60 - 1e-6).astype(np.int64)
            if len(el.locations)
            else np.zeros((0, 0), int)
        )
        self.rank = {k: i for i, k in enumerate(sc.tiers)}
        self._breaks: dict[tuple[int, int], list[tuple[int, int, int]]] = {}

    def service(self, t: Ticket) -> int:
        return math.ceil(t.duration_min * 60 - 1e-6)

    def spans(self, t: Ticket, veh: Vehicle) -> list[tuple[int, int]]:
        """When a visit of `t` by `veh` may start: its windows (or the shift), not before it was raised."""
        hz = self.hz
        lo = max(veh.earliest_depart, veh.shift_start, hz.seconds(t.created, up=True))
        raw = sorted((hz.seconds(w.start, up=True), hz.seconds(w.end)) for w in t.windows) or [
            (lo, veh.shift_end)
        ]
        return [
            (max(a, lo), min(b, veh.shift_end))
            for a, b in raw
            if max(a, lo) <= min(b, veh.shift_end)
        ]

    def breaks(self, veh: Vehicle) -> list[tuple[int, int, int]]:
        """(interval start, interval end, duration) of the breaks this engineer-shift could owe (rule 5)."""
        key = (veh.engineer_index, veh.shift)
        if key in self._breaks:
            return list(self._breaks[key])
        out = []
        for b in veh.engineer.breaks:
            b0, b1 = self.hz.seconds(b.start, up=True), self.hz.seconds(b.end)
            if b0 < veh.earliest_depart or b1 > veh.latest_return:
                continue  # the route cannot be under way across the whole interval: never owed
            out.append((b0, b1, math.ceil(b.duration_min * 60 - 1e-6)))
        self._breaks[key] = sorted(out)
        return list(self._breaks[key])


def _start_in(spans: list[tuple[int, int]], t: int) -> int | None:
    for a, b in spans:
        if t <= b:
            return max(a, t)
    return None


@dataclass
class _Day:
    """One engineer-shift being filled in visiting order; `stops` are (ticket id or None for a break, start, end)."""

    v: int
    loc: int
    t: int  # free from
    pending: list[tuple[int, int, int]]  # breaks still owed if the route runs across their interval
    stops: list[tuple[str | None, int, int]] = field(default_factory=list)

    def copy(self) -> "_Day":
        return _Day(self.v, self.loc, self.t, list(self.pending), list(self.stops))


def _new_day(data: _Data, v: int) -> _Day:
    veh = data.el.vehicles[v]
    return _Day(v, int(data.el.vehicle_loc[v][0]), veh.earliest_depart, data.breaks(veh))


def _take_break(day: _Day) -> bool:
    """Take the first pending break now (at the engineer's location, from `day.t`); False if it no longer fits."""
    b0, b1, d = day.pending[0]
    start = max(day.t, b0)
    if start + d > b1:
        return False
    day.pending.pop(0)
    day.stops.append((None, start, start + d))
    day.t = start + d
    return True


def _visit(data: _Data, day: _Day, t: Ticket, take: int | None) -> _Day | None:
    """`day` with `t` appended (a new object), or None. `take` pending breaks are taken in the gap before the
    visit (None: every one whose interval opens before the visit would start), each as soon as its interval
    opens: on the way (the engineer stops), or while waiting for the window; the gap covers travel plus breaks."""
    veh = data.el.vehicles[day.v]
    loc = data.el.ticket_loc[t.id]
    spans = data.spans(t, veh)
    leg = int(data.travel[day.loc, loc])
    day = day.copy()
    origin_free, pause, taken = day.t, 0, 0
    start = _start_in(spans, day.t + leg)
    while (
        start is not None
        and day.pending
        and (taken < take if take is not None else day.pending[0][0] <= start)
    ):
        if not _take_break(day):
            return None
        taken += 1
        pause += day.stops[-1][2] - day.stops[-1][1]
        start = _start_in(spans, max(day.t, origin_free + leg + pause))
    if start is None:
        return None
    day.stops.append((t.id, start, start + data.service(t)))
    day.loc, day.t = loc, start + data.service(t)
    return day


def _close(data: _Data, day: _Day) -> int | None:
    """The return time if the engineer goes home now, taking the breaks still owed; None if that breaks a rule."""
    veh = data.el.vehicles[day.v]
    home = int(data.travel[day.loc, data.el.vehicle_loc[day.v][1]])
    t, skipped = day.t, []
    for b0, b1, d in day.pending:
        if t + home < b1:  # back before the interval ends: not owed
            skipped.append(b1)
            continue
        start = max(t, b0)
        if start + d > b1:
            return None
        t = start + d
    ret = t + home
    if ret > veh.latest_return or any(ret >= b1 for b1 in skipped):
        return None
    return ret


def _closed_stops(data: _Data, day: _Day) -> list[tuple[str | None, int, int]]:
    """The day's stops plus the breaks taken on the way home (as `_close` decides)."""
    home = int(data.travel[day.loc, data.el.vehicle_loc[day.v][1]])
    t, out = day.t, list(day.stops)
    for b0, b1, d in day.pending:
        if t + home < b1:
            continue
        start = max(t, b0)
        out.append((None, start, start + d))
        t = start + d
    return out


def _append(data: _Data, day: _Day, t: Ticket) -> _Day | None:
    """`day` with `t` at the end, breaks handled as a dispatcher would, still closable; else None."""
    for take in (None, 0):
        new = _visit(data, day, t, take)
        if new is not None and _close(data, new) is not None:
            return new
    return None


def _routes(data: _Data, days: dict[int, _Day]) -> list[Route]:
    hz, sc, out = data.hz, data.sc, []
    for v, day in sorted(days.items()):
        if not any(tid is not None for tid, _, _ in day.stops):
            continue
        veh = data.el.vehicles[v]
        stops = []
        for tid, s, e in _closed_stops(data, day):
            if tid is None:
                stops.append(Stop("break", hz.time(s), hz.time(e)))
            else:
                start = hz.time(s)
                stops.append(
                    Stop(
                        "visit",
                        start,
                        start + timedelta(minutes=sc.ticket(tid).duration_min),
                        ticket=tid,
                    )
                )
        out.append(
            Route(
                veh.engineer.id,
                veh.shift,
                stops,
                hz.time(veh.earliest_depart),
                hz.time(veh.latest_return),
            )
        )
    return out


def _plan(
    sc: Scenario,
    el: Eligibility,
    data: _Data,
    days: dict[int, _Day],
    unassigned: list[Unassigned],
    t0: float,
    setup_s: float,
    status: str,
    notes: list[str],
) -> Plan:
    routes = finalize_routes(sc, el, _routes(data, days))
    plan = Plan(sc.name, routes, unassigned, notes=notes, scenario=sc)
    plan.kpis = build_kpis(sc, plan, solve_s=time.monotonic() - t0, setup_s=setup_s, status=status)
    return plan


def _unplannable(el: Eligibility) -> list[Unassigned]:
    return [Unassigned(tid, u.reason, u.code) for tid, u in el.unplannable.items()]


# ---------------------------------------------------------------- manual dispatch


def manual_dispatch(scenario: Scenario) -> Plan:
    """How tickets are assigned by hand today (module docstring): tier, then SLA deadline; nearest qualified
    engineer whose day can still take the ticket at the end of the route; no restocks."""
    t0 = time.monotonic()
    sc = scenario
    el = compute_eligibility(sc)
    data = _Data(sc, el)
    setup_s = time.monotonic() - t0
    unassigned = _unplannable(el)
    days = {v: _new_day(data, v) for v in range(len(el.vehicles))}
    stock = {e.id: dict(e.van) for e in sc.engineers}
    tickets = [sc.ticket(tid) for tid in el.allowed]
    frozen = sorted((t for t in tickets if t.frozen), key=lambda t: (t.status != "started", t.id))
    for t in frozen:  # work under way stays with its engineer, first in the first open route
        v = el.allowed[t.id][0]
        new = _visit(data, days[v], t, 0)
        if new is None:
            unassigned.append(
                Unassigned(t.id, f"frozen with {t.engineer} but does not fit the shift", "frozen")
            )
            continue
        days[v] = new
        for p, q in t.parts.items():
            stock[t.engineer][p] = stock[t.engineer].get(p, 0) - q
    order = sorted(
        (t for t in tickets if not t.frozen),
        key=lambda t: (data.rank[t.priority], sc.deadline(t), t.id),
    )
    for t in order:
        best, lacking = None, set()
        for v in el.allowed[t.id]:
            veh = el.vehicles[v]
            e = veh.engineer
            if not set(t.tools) <= set(e.tools):
                lacking.add("tool")
                continue
            if any(stock[e.id].get(p, 0) < q for p, q in t.parts.items()):
                lacking.add("part")
                continue
            day = days[v]
            new = _append(data, day, t)
            if new is None:
                lacking.add("time")
                continue
            key = (veh.shift_start // 86400, float(el.minutes[day.loc, el.ticket_loc[t.id]]), v)
            if best is None or key < best[0]:
                best = (key, v, new)
        if best is None:
            unassigned.append(_manual_reason(el, t, lacking))
            continue
        _, v, new = best
        days[v] = new
        for p, q in t.parts.items():
            stock[el.vehicles[v].engineer.id][p] -= q
    return _plan(sc, el, data, days, unassigned, t0, setup_s, "manual dispatch", [])


def _manual_reason(el: Eligibility, t: Ticket, lacking: set[str]) -> Unassigned:
    n = len({el.vehicles[v].engineer.id for v in el.allowed[t.id]})
    if lacking == {"tool"}:
        return Unassigned(
            t.id,
            f"tool(s) {sorted(t.tools)} on no qualified van (manual dispatch makes no restocks)",
            "tool",
        )
    if lacking and lacking <= {"tool", "part"}:
        return Unassigned(
            t.id,
            f"part(s) {dict(t.parts)} no longer on a qualified van (manual dispatch makes no "
            f"restocks)",
            "part",
        )
    return Unassigned(
        t.id,
        f"not enough capacity: no day of the {n} qualified engineer(s) could still take it at "
        f"the end of the route (manual dispatch)",
        "capacity",
    )


# ---------------------------------------------------------------- VROOM


def vroom_plan(
    scenario: Scenario, time_limit_s: float = 30.0, *, exploration_level: int = 5, threads: int = 1
) -> Plan:
    """VROOM (pyvroom) on the scenario, its routes turned back into a contract-v1 plan.

    Mapping: each engineer-shift is a vehicle from its start to its end location, time window from the
    earliest departure to shift end; the overtime allowance is taken off the travel into that vehicle's
    own end location (so every visit starts inside the shift and the return stays within shift end plus
    overtime, the way dispatch_opt's model does it); skills, the required engineer and the tools a ticket
    needs (VROOM makes no restocks: tools must be on the van) are integer skill ids; a job's time windows
    are its appointment windows from the moment it was raised (or from then on), service its duration;
    VROOM priority 100, 10, 1, 0 by tier rank (VROOM maximises the total priority served first, so one
    emergency outweighs ten urgent tickets, not any number); parts are capacity dimensions, one per part
    with the van's stock on the engineer's FIRST open shift only and none on later shifts (van stock
    carries over between shifts, which VROOM cannot express; this is the safe approximation); breaks are
    VROOM breaks (VROOM takes them on every used route, owed or not). Durations are the travel matrix in
    whole seconds rounded up; costs are the true travel seconds. SLA deadlines cannot be expressed: they
    are only measured. VROOM's order per route is kept and timed again by this module's scheduler
    (earliest start, breaks where VROOM put them); a visit that does not fit then is left unassigned.
    """
    import vroom

    t0 = time.monotonic()
    sc = scenario
    el = compute_eligibility(sc)
    data = _Data(sc, el)
    unassigned = _unplannable(el)
    tickets = sorted(el.allowed)
    if not tickets or not el.vehicles:
        return _plan(sc, el, data, {}, unassigned, t0, time.monotonic() - t0, "nothing to plan", [])
    # durations: travel rounded up, less each vehicle's overtime into its own end location
    durations = data.travel.copy()
    for v, veh in enumerate(el.vehicles):
        end = int(el.vehicle_loc[v][1])
        durations[:, end] = np.maximum(durations[:, end] - (veh.latest_return - veh.shift_end), 0)
    problem = vroom.Input()
    problem.set_durations_matrix("car", durations.astype(np.uint32))
    problem.set_costs_matrix("car", data.travel.astype(np.uint32))
    skill_ids: dict[str, int] = {}

    def sid(name: str) -> int:
        return skill_ids.setdefault(name, len(skill_ids) + 1)

    parts = sorted({p for tid in tickets for p in sc.ticket(tid).parts})
    first_seen: set[str] = set()
    break_id = 0
    for v, veh in enumerate(el.vehicles):
        e = veh.engineer
        skills = (
            {sid(f"skill:{s}") for s in e.skills}
            | {sid(f"engineer:{e.id}")}
            | {sid(f"tool:{x}") for x in e.tools}
        )
        van = [e.van.get(p, 0) if e.id not in first_seen else 0 for p in parts]
        first_seen.add(e.id)
        brks = []
        for b0, b1, d in data.breaks(veh):
            if b1 - d <= veh.shift_end:
                break_id += 1
                brks.append(
                    vroom.Break(id=break_id, time_windows=[vroom.TimeWindow(b0, b1 - d)], service=d)
                )
        problem.add_vehicle(
            vroom.Vehicle(
                id=v,
                start=int(el.vehicle_loc[v][0]),
                end=int(el.vehicle_loc[v][1]),
                capacity=van or (),
                skills=skills,
                time_window=vroom.TimeWindow(veh.earliest_depart, veh.shift_end),
                breaks=brks,
            )
        )
    spans_of = {}
    for j, tid in enumerate(tickets):
        t = sc.ticket(tid)
        lo = min(el.vehicles[v].earliest_depart for v in el.allowed[tid])
        hi = max(el.vehicles[v].shift_end for v in el.allowed[tid])
        raised = el.horizon.seconds(t.created, up=True)
        raw = sorted(
            (el.horizon.seconds(w.start, up=True), el.horizon.seconds(w.end)) for w in t.windows
        ) or [(lo, hi)]
        spans_of[tid] = [
            (max(a, raised, lo), min(b, hi)) for a, b in raw if max(a, raised, lo) <= min(b, hi)
        ]
        skills = {sid(f"skill:{s}") for s in t.skills} | {sid(f"tool:{x}") for x in t.tools}
        if t.engineer:
            skills.add(sid(f"engineer:{t.engineer}"))
        rank = data.rank[t.priority]
        problem.add_job(
            vroom.Job(
                id=j,
                location=el.ticket_loc[tid],
                default_service=data.service(t),
                delivery=vroom.Amount([t.parts.get(p, 0) for p in parts])
                if parts
                else vroom.Amount(),
                skills=skills,
                priority=VROOM_PRIORITY[min(rank, len(VROOM_PRIORITY) - 1)],
                time_windows=[vroom.TimeWindow(a, b) for a, b in spans_of[tid]],
            )
        )
    setup_s = time.monotonic() - t0
    left = max(0.1, time_limit_s - setup_s)
    solution = problem.solve(
        exploration_level=exploration_level, nb_threads=threads, timeout=timedelta(seconds=left)
    )
    frame = solution.routes
    days: dict[int, _Day] = {}
    notes, served = [], set()
    for v, rows in frame.groupby("vehicle_id", sort=True):
        seq = [
            tickets[int(r.id)] if r.type == "job" else BREAK
            for r in rows.itertuples()
            if r.type in ("job", "break")
        ]
        day, dropped = _timed(data, int(v), seq)
        days[int(v)] = day
        served |= {tid for tid, _, _ in day.stops if tid is not None}
        for tid in dropped:
            unassigned.append(
                Unassigned(
                    tid,
                    "VROOM's order for this engineer does not hold when timed again with "
                    "exact rules; left out",
                    "capacity",
                )
            )
            notes.append(
                f"{tid}: dropped from VROOM's route for {el.vehicles[int(v)].engineer.id} on re-timing"
            )
    dropped_ids = {u.ticket for u in unassigned}
    for tid in tickets:
        if tid not in served and tid not in dropped_ids:
            unassigned.append(_vroom_reason(el, sc.ticket(tid)))
    return _plan(sc, el, data, days, unassigned, t0, setup_s, "vroom", notes)


def _timed(data: _Data, v: int, seq: list) -> tuple[_Day, list[str]]:
    """Time VROOM's sequence (ticket ids and BREAK) at the earliest, each break in the gap where VROOM put it
    (breaks after the last visit only if owed); visits that do not fit are left out."""
    sc = data.sc
    day, dropped, breaks = _new_day(data, v), [], 0
    kept: list[_Day] = [day]
    for item in seq:
        if item == BREAK:
            breaks += 1
            continue
        t = sc.ticket(item)
        new = _visit(data, day, t, min(breaks, len(day.pending))) or _visit(data, day, t, 0)
        if new is None:
            dropped.append(item)
            continue
        day, breaks = new, 0
        kept.append(day)
    while (
        _close(data, kept[-1]) is None and len(kept) > 1
    ):  # cannot get home in time: drop from the end
        dropped.append(kept.pop().stops[-1][0])
    return kept[-1], dropped


def describe_code() -> str:
    """Which dispatch_opt was measured: the repository's commit, and whether the imported package matches it."""
    import subprocess
    from pathlib import Path

    import dispatch_opt

    root = Path(__file__).resolve().parents[1]
    pkg = Path(dispatch_opt.__file__).resolve().parent

    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
        return out.stdout if out.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    same = all(
        git("show", f"HEAD:dispatch_opt/{f.name}") == f.read_text() for f in pkg.glob("*.py")
    )
    same = same and {f.name for f in pkg.glob("*.py")} >= set(
        git("ls-tree", "--name-only", "HEAD", "dispatch_opt/").replace("dispatch_opt/", "").split()
    )
    where = "" if pkg == root / "dispatch_opt" else f", imported from {pkg}"
    return f"dispatch_opt {'as committed in' if same else 'with uncommitted changes over'} {head}{where}"


def _vroom_reason(el: Eligibility, t: Ticket) -> Unassigned:
    tools = [
        x for x in t.tools if not any(x in el.vehicles[v].engineer.tools for v in el.allowed[t.id])
    ]
    if tools:
        return Unassigned(
            t.id, f"tool(s) {tools} on no qualified van (VROOM makes no restocks)", "tool"
        )
    return Unassigned(
        t.id, "left out by VROOM (capacity, van stock on the first shift, or windows)", "capacity"
    )

"""Baseline dispatchers to measure dispatch_opt against: how tickets are assigned by hand today,
and VROOM.

Both take a `dispatch_opt.Scenario` and return a contract-v1 `dispatch_opt.Plan` whose times come
from dispatch_opt's one scheduler, the search core's route-evaluation kernel (whole seconds, travel
and service rounded up; an owed break where it costs nothing or cannot wait), so a plan that fits
here also holds with exact times; `dispatch_opt.engine.timing.finalize_routes` then fills
arrival, depart, return and travel. Benchmarks verify every plan with `dispatch_opt.check`.

- `manual_dispatch(scenario)`: tickets highest tier first, then by SLA deadline; each goes to the
  nearest qualified engineer (skills, required engineer, tools on the van, parts still on the van)
  whose day can still take it appended at the end of the route: travel from where that engineer's
  route now ends, wait if early, start inside a window and the shift, back by shift end plus
  overtime, breaks kept. On several days, the earliest day that can take it wins, then the nearest
  engineer on it. No restocks: a ticket needs its tools and parts on the van, and van stock is
  tracked over the engineer's shifts.
- `vroom_plan(scenario, time_limit_s)`: VROOM (pyvroom, extra `[bench]`) on the same integer
  data; see its docstring for the mapping and what cannot be expressed.
"""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np

from dispatch_opt import Plan, Scenario
from dispatch_opt.engine.eligibility import Eligibility, compute_eligibility
from dispatch_opt.engine.params import SolveParams
from dispatch_opt.engine.problem import ProblemData
from dispatch_opt.engine.search import ready
from dispatch_opt.engine.search.construct import frozen_state
from dispatch_opt.engine.search.kernel import INF
from dispatch_opt.engine.search.routes import RouteState, put, stock_ok, take
from dispatch_opt.engine.search.timeline import plan_routes
from dispatch_opt.engine.timing import finalize_routes
from dispatch_opt.evaluation.kpis import build_kpis
from dispatch_opt.format.plan import Unassigned
from dispatch_opt.format.scenario import Ticket

# by tier rank (VROOM's 0..100; assigned priority is maximised first)
VROOM_PRIORITY = (100, 10, 1, 0)


def _start(sc: Scenario) -> tuple[Eligibility, ProblemData, RouteState, list[Unassigned]]:
    """Eligibility, the problem data, routes holding the frozen work, and what cannot be planned."""
    ready()
    el = compute_eligibility(sc)
    p = ProblemData(sc, el, SolveParams())
    s, stuck = frozen_state(p)
    unassigned = [Unassigned(tid, u.reason, u.code) for tid, u in el.unplannable.items()]
    for tid in stuck:
        x = p.nodes.tickets.index(tid)
        v = int(s.where[x])
        take(p.arrays, s, v, int(np.flatnonzero(s.seq[v, : s.n[v]] == x)[0]))
        unassigned.append(Unassigned(tid, "frozen but does not fit the shift", "frozen"))
    return el, p, s, unassigned


def _appended(p: ProblemData, s: RouteState, v: int, x: int) -> bool:
    """Ticket node x at the end of route v, if the route still holds (else left as it was)."""
    k = int(s.n[v])
    put(p.arrays, s, v, k, x)
    if s.cost[v] == INF:
        take(p.arrays, s, v, k)
        return False
    return True


def _plan(sc, el, p, s, unassigned, t0, setup_s, status, notes) -> Plan:
    routes, _ = plan_routes(p, s)
    plan = Plan(sc.name, finalize_routes(sc, el, routes), unassigned, notes=notes, scenario=sc)
    plan.kpis = build_kpis(sc, plan, solve_s=time.monotonic() - t0, setup_s=setup_s, status=status)
    return plan


# ---------------------------------------------------------------- manual dispatch


def manual_dispatch(scenario: Scenario) -> Plan:
    """How tickets are assigned by hand today (module docstring): tier, then SLA deadline; nearest
    qualified engineer whose day can still take the ticket at the end of the route; no restocks."""
    t0 = time.monotonic()
    sc = scenario
    el, p, s, unassigned = _start(sc)
    a = p.arrays
    setup_s = time.monotonic() - t0
    rank = {k: i for i, k in enumerate(sc.tiers)}
    order = sorted(
        (x for x, tid in enumerate(p.nodes.tickets) if not p.ticket_of[tid].frozen),
        key=lambda x: (
            rank[p.ticket_of[p.nodes.tickets[x]].priority],
            a.deadline[x],
            p.nodes.tickets[x],
        ),
    )
    for x in order:
        t = p.ticket_of[p.nodes.tickets[x]]
        best, lacking = None, set()
        for v in p.allowed_vehicles[x]:
            veh = el.vehicles[v]
            if not a.allowed[x, v]:
                lacking.add("tool")
                continue
            if not stock_ok(a, s, v, x):
                lacking.add("part")
                continue
            if not _appended(p, s, v, x):
                lacking.add("time")
                continue
            take(a, s, v, int(s.n[v]) - 1)
            last = a.v_start[v] if s.n[v] == 0 else s.seq[v, s.n[v] - 1]
            key = (veh.shift_start // 86400, int(a.travel[last, x]), int(v))
            if best is None or key < best[0]:
                best = (key, int(v))
        if best is None:
            unassigned.append(_manual_reason(el, t, lacking))
            continue
        _appended(p, s, best[1], x)
    return _plan(sc, el, p, s, unassigned, t0, setup_s, "manual dispatch", [])


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

    Mapping: each engineer-shift is a vehicle from its start to its end location, time window from
    the earliest departure to shift end; the overtime allowance is taken off the travel into that
    vehicle's own end location (so every visit starts inside the shift and the return stays within
    shift end plus overtime, the way dispatch_opt's model does it); skills, the required engineer
    and the tools a ticket needs (VROOM makes no restocks: tools must be on the van) are integer
    skill ids; a job's time windows are its appointment windows from the moment it was raised (or
    from then on), service its duration; VROOM priority 100, 10, 1, 0 by tier rank (VROOM maximises
    the total priority served first, so one emergency outweighs ten urgent tickets, not any number);
    parts are capacity dimensions, one per part with the van's stock on the engineer's FIRST open
    shift only and none on later shifts (van stock carries over between shifts, which VROOM cannot
    express; this is the safe approximation); breaks are VROOM breaks (VROOM takes them on every
    used route, owed or not). Durations are the travel matrix in whole seconds rounded up; costs are
    the true travel seconds. SLA deadlines cannot be expressed: they are only measured. VROOM's
    order per route is kept and timed again by dispatch_opt's scheduler (earliest start, breaks by
    its rule); a visit that does not fit then is left unassigned.
    """
    import vroom

    t0 = time.monotonic()
    sc = scenario
    el, p, s, unassigned = _start(sc)
    arrays = p.arrays
    tickets = sorted(el.allowed)
    if not tickets or not el.vehicles:
        return _plan(sc, el, p, s, unassigned, t0, time.monotonic() - t0, "nothing to plan", [])
    travel = np.ceil(el.minutes * 60 - 1e-6).astype(np.int64)
    # durations: travel rounded up, less each vehicle's overtime into its own end location
    durations = travel.copy()
    for v, veh in enumerate(el.vehicles):
        end = int(el.vehicle_loc[v][1])
        durations[:, end] = np.maximum(durations[:, end] - (veh.latest_return - veh.shift_end), 0)
    problem = vroom.Input()
    problem.set_durations_matrix("car", durations.astype(np.uint32))
    problem.set_costs_matrix("car", travel.astype(np.uint32))
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
        for b0, b1, d in p.break_windows[v]:
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
        rank = p.rank[t.priority]
        problem.add_job(
            vroom.Job(
                id=j,
                location=el.ticket_loc[tid],
                default_service=int(arrays.service[p.nodes.tickets.index(tid)]),
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
    notes, served = [], set()
    for v, rows in frame.groupby("vehicle_id", sort=True):
        for r in rows.itertuples():  # VROOM's order, timed again by the kernel
            if r.type != "job":
                continue
            tid = tickets[int(r.id)]
            x = p.nodes.tickets.index(tid)
            if p.ticket_of[tid].frozen:
                continue  # frozen work: at the head of its route already, or unassigned
            if _appended(p, s, int(v), x):
                served.add(tid)
                continue
            unassigned.append(
                Unassigned(
                    tid,
                    "VROOM's order for this engineer does not hold when timed again with "
                    "exact rules; left out",
                    "capacity",
                )
            )
            engineer = el.vehicles[int(v)].engineer.id
            notes.append(f"{tid}: dropped from VROOM's route for {engineer} on re-timing")
    listed = {u.ticket for u in unassigned}
    for tid in tickets:
        x = p.nodes.tickets.index(tid)
        if s.where[x] < 0 and tid not in listed:
            unassigned.append(_vroom_reason(el, sc.ticket(tid)))
    return _plan(sc, el, p, s, unassigned, t0, setup_s, "vroom", notes)


def describe_code() -> str:
    """Which dispatch_opt was measured: the repository's commit, and whether the imported package
    matches it."""
    import subprocess
    from pathlib import Path

    import dispatch_opt

    root = Path(__file__).resolve().parents[1]
    pkg = Path(dispatch_opt.__file__).resolve().parent

    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
        return out.stdout if out.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    mine = {str(f.relative_to(pkg)): f for f in pkg.rglob("*.py")}
    committed = {
        name.removeprefix("dispatch_opt/")
        for name in git("ls-tree", "-r", "--name-only", "HEAD", "dispatch_opt/").split()
        if name.endswith(".py")
    }
    same = set(mine) == committed and all(
        git("show", f"HEAD:dispatch_opt/{name}") == f.read_text() for name, f in mine.items()
    )
    where = "" if pkg == root / "dispatch_opt" else f", imported from {pkg}"
    state = "as committed in" if same else "with uncommitted changes over"
    return f"dispatch_opt {state} {head}{where}"


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

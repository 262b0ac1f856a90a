"""Solve: plan every live ticket, with the search core and OR-Tools as the model of record.

The flow: eligibility (who may serve what) -> problem data (arrays, built once) -> the first plan
(search.construct; a van short of a part or a tool picks it up at a depot) -> the search core
(search.improve: local search, ruin and recreate, restocks as moves) -> OR-Tools' guided local
search from there for the rest of the time (ortools_model) -> plan and KPIs -> the independent
checker as a safety net. OR-Tools' plan replaces the search core's only if it is better under the
engine's whole objective (engine/objective.py); the plan's notes say which was kept.
"""

from __future__ import annotations

import dataclasses
import time
from contextlib import nullcontext
from typing import Callable

from ..evaluation.checker import check
from ..evaluation.diff import record_changes
from ..evaluation.kpis import build_kpis
from ..format.plan import Plan, Unassigned
from ..format.scenario import Scenario
from . import search
from .eligibility import Eligibility, compute_eligibility
from .objective import on_time_per_tier, weigh
from .ortools_model import OrToolsModel, read_routes, sequences
from .params import GREEDY, Progress, SolveParams
from .problem import ProblemData
from .reasons import left_out
from .search import linked
from .search.construct import first_state, frozen_state
from .search.improve import StopRule, improve_in_stages, recost, travel_alone
from .search.kernel import INF
from .search.timeline import plan_routes, start_routes
from .timing import finalize_routes

__all__ = ["solve_in_process"]
MIN_POLISH_S = 0.2  # OR-Tools is not started for less time than this
# above this many tickets OR-Tools does not polish after the search core, which keeps the whole
# limit: building the model and its first local-search pass outlast any share it would get (at
# 1,500 tickets it was given 8.5 s, took 14.8 s and found nothing: CHANGELOG.md, 2026-11-30)
POLISH_AT_MOST = 1000


def solve_in_process(
    scenario: Scenario,
    params: SolveParams | None = None,
    *,
    previous: Plan | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    count_changes: bool = True,
) -> Plan:
    """Plan every live ticket: routes for engineer-shifts, the rest unassigned with a reason.

    With `previous` (a plan of the same operation, e.g. this morning's), this is a re-plan: its
    routes are the warm start, and moving a ticket to another engineer or shifting its promised
    start costs (SolveParams.move_cost_min, eta_*); the plan's KPIs then count the changes. With
    time_limit_s=0 there is no search: the previous routes are kept as far as they still hold and
    new work is inserted where it costs least (the fast path for an emergency).
    `count_changes=False`: leave the changes out of the KPIs (a caller that re-plans part of a
    board counts them over the whole board itself).
    """
    params = params or SolveParams()
    search.ready()  # compiled kernels: loaded (or compiled, once after install) off the clock
    if previous is not None and params.time_limit_s > 0:
        plan = _replan(scenario, params, previous, on_progress)
    else:
        plan = _solve(scenario, params, previous, on_progress)
    if previous is not None and count_changes:
        record_changes(previous, plan, params.eta_tolerance_min)
    return plan


def _replan(
    scenario: Scenario,
    params: SolveParams,
    previous: Plan,
    on_progress: Callable[[Progress], None] | None,
) -> Plan:
    """The fast path first (new work inserted, nothing moved), then the search from there: a re-plan
    with search is never worse than the insertion alone, whatever the time limit."""
    t0 = time.monotonic()
    el = compute_eligibility(scenario)
    fast = _solve(scenario, dataclasses.replace(params, time_limit_s=0), previous, el=el)
    left = params.time_limit_s - (time.monotonic() - t0)
    if left < 0.5:
        fast.notes.append(
            "no time left to search after inserting new work; fix: allow more time (time_limit_s)"
        )
        return fast
    plan = _solve(
        scenario,
        dataclasses.replace(params, time_limit_s=left),
        previous,
        on_progress,
        warm=fast,
        el=el,
    )
    served = lambda p: [p.kpis["tiers"][k]["served"] for k in scenario.tiers]  # noqa: E731
    if served(plan) < served(
        fast
    ):  # lexicographic by tier: the search found nothing better in time
        fast.notes.append(
            "the search found no better plan in time than inserting the new work; kept the "
            "insertion"
        )
        return fast
    return plan


def _solve(
    scenario: Scenario,
    params: SolveParams,
    previous: Plan | None,
    on_progress: Callable[[Progress], None] | None = None,
    warm: Plan | None = None,
    el: Eligibility | None = None,
) -> Plan:
    """One solve; `el` (from compute_eligibility) may be shared by the two solves of a re-plan: it
    is copied, since frozen work that cannot be kept is taken out of it."""
    t0 = time.monotonic()
    status_note = ""
    el = (
        compute_eligibility(scenario)
        if el is None
        else dataclasses.replace(el, allowed=dict(el.allowed), unplannable=dict(el.unplannable))
    )
    unassigned = [Unassigned(tid, u.reason, u.code) for tid, u in el.unplannable.items()]
    status = "solved"
    problem = ProblemData(scenario, el, params, previous, warm)
    _, stuck = frozen_state(problem)
    if stuck:  # drop just that engineer-shift's frozen work, with the reason, and plan the rest
        unassigned += [_frozen_unassigned(problem.ticket_of[tid]) for tid in stuck]
        for tid in stuck:
            el.allowed.pop(tid)
        status = "solved without frozen work"
        problem = ProblemData(scenario, el, params, previous, warm)
    setup_s = time.monotonic() - t0
    limit = params.time_limit_s
    skip = _ortools_skipped(problem)
    ortools_alone = limit > 0 and params.first_solution != GREEDY and not skip
    # with paid time the search's first stage is the travel-only search, its first plan too
    staged = limit > 0 and not ortools_alone and problem.arrays.w_duty > 0.0
    with travel_alone(problem) if staged else nullcontext():
        state, complete = first_state(problem, t0 + limit / 2 if limit > 0 else float("inf"))
    if staged:
        recost(problem, state)
    share = min(1.0, max(0.0, params.ruin_share))
    if len(problem.nodes.tickets) > POLISH_AT_MOST or skip:
        share = 1.0
    search = None
    if limit > 0 and not ortools_alone:
        stop = StopRule(until=t0 + limit * share, rounds=params.iterations)
        search = improve_in_stages(
            problem, state, stop, params.seed, _reporter(problem, t0, on_progress)
        )
        linked.place_pending(problem, state)  # crew visits and follow-ups still out: once more
    # OR-Tools polishes for its share of the limit (all of it when it searches alone)
    polish = (
        limit - (time.monotonic() - t0)
        if ortools_alone
        else min(limit - (time.monotonic() - t0), limit * (1 - share))
    )
    if ortools_alone or (polish >= MIN_POLISH_S and problem.nodes.tickets and not skip):
        model = OrToolsModel(problem)
        start = None if ortools_alone else start_routes(problem, state)
        left = max(0.1, limit - (time.monotonic() - t0))
        solution = model.guided_search(left, start, on_progress, started=t0)
        verdict = ""
        if solution is not None and not ortools_alone:
            skip_v = {v for v in range(len(state.n)) if state.cost[v] == INF}
            polished = sequences(model, solution)
            ours, theirs = weigh(problem, start, skip_v), weigh(problem, polished)
            verdict, ours_kept = _verdict(ours, theirs), theirs >= ours
            if not ours_kept and staged and theirs[0] == ours[0]:  # paid time keeps SLAs met
                fewer = _on_time_verdict(problem, start, skip_v, polished)
                verdict, ours_kept = fewer or verdict, bool(fewer)
            if ours_kept:
                solution = None
                status_note = verdict
        if solution is not None:
            routes, dropped = read_routes(scenario, model, solution)
            plan = _plan(
                scenario,
                el,
                routes,
                unassigned + _dropped(scenario, el, dropped, routes, False),
                t0,
                setup_s,
                status,
                objective=round(solution.ObjectiveValue() / model.scale),
            )
            plan.notes += [model.cap_note] if model.cap_note else []
            plan.notes += [verdict] if verdict else []
            broken = check(scenario, plan).violations
            if not broken:
                _record(plan, search)
                return plan
            # a safety net, not a feature: reading a search result back must never hand out a
            # broken plan; the search core's plan stands instead
            status = f"the OR-Tools plan broke a hard rule ({broken[0]}); the search core's plan"
    routes, dropped = plan_routes(problem, state)
    why = linked.reasons(problem, state)  # crew visits and follow-ups: their own reasons
    unassigned += [Unassigned(tid, why[tid][1], why[tid][0]) for tid in dropped if tid in why]
    dropped = [tid for tid in dropped if tid not in why]
    unassigned += _dropped(scenario, el, dropped, routes, not complete)
    if limit <= 0:
        status = "inserted without search"
    plan = _plan(scenario, el, routes, unassigned, t0, setup_s, status)
    if skip and limit > 0:
        plan.notes.append(f"OR-Tools not used: {skip}; the search core planned alone")
    if status_note:
        plan.notes.append(status_note)
    _record(plan, search)
    return plan


def _ortools_skipped(problem: ProblemData) -> str:
    """Why OR-Tools may not polish this solve ('' if it may): its model cannot weigh or keep
    everything the engine's objective and rules hold here, and its plan would replace the search
    core's (docs/solving.md, "OR-Tools' polish")."""
    if problem.links or problem.frozen_leads:
        return "crew visits and follow-ups are not in its model"
    if problem.params.balance > 0:
        return "workload balance is not in its objective"
    return ""


def _verdict(ours, theirs) -> str:
    """Which plan the comparison kept, for the plan's notes."""

    def say(w) -> str:
        missed, cost = w
        return f"tickets left out per tier {list(missed)}, then cost {cost:,.0f}"

    if theirs < ours:
        return (
            f"OR-Tools' polish kept: it found a better plan ({say(theirs)}, against the search "
            f"core's {say(ours)}; cost in the engine's units: lateness, then travel and costs)"
        )
    return (
        f"the search core's plan kept: OR-Tools' polish found no better one ({say(theirs)}, "
        f"against {say(ours)}; cost in the engine's units: lateness, then travel and costs)"
    )


def _on_time_verdict(problem: ProblemData, start, skip_v, polished) -> str:
    """With paid time: why the search core's plan stands though OR-Tools' weighs less (it serves
    fewer on time in some tier: lateness and costs are one sum, and the search's second stage
    never gives up a visit on time), or "" if it does not."""
    ours = on_time_per_tier(problem, [[] if v in skip_v else r for v, r in enumerate(start)])
    theirs = on_time_per_tier(problem, polished)
    if all(t >= o for t, o in zip(theirs, ours)):
        return ""
    return (
        f"the search core's plan kept: OR-Tools' polish weighs less with the scenario's costs but "
        f"serves fewer on time in a tier ({list(theirs)} per tier, against {list(ours)})"
    )


def _reporter(problem: ProblemData, t0: float, on_progress):
    if on_progress is None:
        return None
    nt = len(problem.nodes.tickets)

    def improved(missed: tuple[int, ...], cost: float) -> None:
        on_progress(Progress(time.monotonic() - t0, round(cost), nt - sum(missed), nt))

    return improved


def _record(plan: Plan, search) -> None:
    if search is not None:
        plan.kpis["search"] = {
            "rounds": search.rounds,
            "rounds_per_s": round(search.rounds_per_s, 1),
            "local_search_moves": search.moves,
            "seconds": round(search.seconds, 3),
        }


def _frozen_unassigned(t) -> Unassigned:
    return Unassigned(
        t.id,
        f"{t.status} with {t.engineer} but cannot be kept within the engineer's shift, breaks and "
        f"windows; fix: extend the shift or release the ticket",
        "frozen",
    )


def _dropped(
    sc: Scenario, el: Eligibility, dropped: list[str], routes: list, timed_out: bool
) -> list[Unassigned]:
    """Eligible tickets left out, each with its true reason (reasons.py, from the final routes):
    `time_limit` only when the first plan was stopped by the clock before trying them all."""
    return left_out(sc, el, dropped, routes, timed_out=timed_out)


def _plan(sc, el, routes, unassigned, t0, setup_s, status, objective=None) -> Plan:
    routes = finalize_routes(sc, el, routes)
    plan = Plan(sc.name, routes, unassigned, scenario=sc)
    plan.kpis = build_kpis(
        sc, plan, solve_s=time.monotonic() - t0, setup_s=setup_s, status=status, objective=objective
    )
    return plan

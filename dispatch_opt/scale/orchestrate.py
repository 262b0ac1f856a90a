"""`dispatch_opt.solve` at any size: one solve, a seed portfolio, or territories and a border phase.

The single-process solver (`engine.solve.solve_in_process`) is the building block, used as a
black box:
- small scenarios with one worker: solved directly;
- small scenarios with several workers: a portfolio, independent runs with different seeds in
  parallel (embedded: on threads of this process), the best plan kept in the contract's order
  (served per tier, then weighted lateness, then travel);
- large scenarios (over `SolveParams.split_above` live tickets): split into territories
  (territories.py), each solved as its own scenario, then a border phase re-solves pairs of
  neighbouring territories from their current plans and keeps a pair's plan only when it is better
  in the contract's order; a last **offer pass** gives every ticket still unassigned to the routes
  of its own and each neighbouring territory (insertion only, nothing planned moves engineer; a
  higher-tier ticket may bump lower-tier work), which also leaves every unassigned ticket with the
  reason found by trying it against the final routes; the territory plans are merged into one
  contract plan.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from typing import Any, Callable

import numpy as np

from ..engine import search
from ..engine.params import Progress, SolveParams
from ..engine.solve import solve_in_process
from ..evaluation.diff import diff_plans
from ..evaluation.kpis import build_kpis
from ..format.plan import Plan
from ..format.scenario import Scenario, ScenarioError
from .runner import CLUSTER_STOP_S, Runner, requested_workers
from .territories import Territory, border_km, can_split, restrict, split, sub_scenario, used_stock

BORDER_SHARE = 0.3  # of the search time left after setup, for re-solving neighbouring pairs
RESERVE_SHARE = 0.03  # of the time limit, kept for merging (plus RESERVE_S)
RESERVE_S = 1.0
CLUSTER_START_S = 4.0  # what starting an embedded LocalCluster is budgeted at
NEIGHBOURS = 3  # each territory is paired with its nearest few for the border phase
NEAR_KM = 5.0  # ... if their tickets come this close (no work moves between far-apart towns)
WHOLE_AT_MOST = 4  # a scenario up to this many territories' worth of tickets is solved whole when
# the time limit is too short to split it (the search core plans 2,000 tickets in a few seconds)
PAIR_SHARE = 0.9  # of a border round's time, the pair's time limit (shipping, ranking, overrun)


def min_seconds(tickets: int) -> float:
    """Least time limit at which one solve of this many tickets gets a useful first plan here:
    setup and the greedy grow about linearly in the territory's size (benchmarks/README.md,
    Scale-out)."""
    return 1.0 + tickets / 100.0


def replan_seconds(tickets: int) -> float:
    """Least time for a border re-solve of a pair of this many tickets to be worth starting: a
    re-plan sets the problem up twice (the insertion of what its plan leaves out, then the search
    from there), each well under a tenth of `min_seconds` on an idle core, and needs time left
    to search."""
    return min_seconds(tickets)


def offer_seconds(tickets: int) -> float:
    """What the offer pass (insertion only, no search) is budgeted at for a group of this many
    tickets: the task's shipping plus about three times the insertion on an idle core (1,000
    tickets in 0.3 s), for a loaded machine. A reserve left unused at the end is time lost: at
    0.5 s + 1 s per 500 tickets, 10,000 tickets in 150 s returned after 117 s."""
    return 0.5 + tickets / 1000.0


def rank_key(sc: Scenario, plan: Plan, params: SolveParams) -> tuple:
    """The contract's order, smaller is better: served per tier (first tier first), then lateness
    weighted by tier, then travel."""
    kpis = build_kpis(sc, plan)
    tiers = list(sc.tiers)
    served = tuple(-kpis["tiers"][k]["served"] for k in tiers)
    late = sum(
        kpis["tiers"][k]["late_total_min"] * params.lateness_weight(i) for i, k in enumerate(tiers)
    )
    return served + (round(late, 1), kpis["travel_min"])


def solve(
    scenario: Scenario,
    params: SolveParams | None = None,
    *,
    previous: Plan | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    client: Any = None,
) -> Plan:
    """Plan every live ticket, on as many workers as asked (see the module docstring).

    `client`: a `distributed.Client` to run on (else `params.scheduler`, an address, else an
    in-process LocalCluster when `params.workers` > 1; `workers=0` means one per core).
    """
    params = params or SolveParams()
    # the compiled search core, off the clock: compiled here once after install (into numba's
    # cache), so that each worker only loads it
    search.ready()
    t0 = time.monotonic()
    n = len(scenario.live_tickets)
    workers = requested_workers(params.workers)
    distributed = client is not None or params.scheduler is not None or workers > 1
    if n > params.split_above and can_split(scenario):
        try:
            return _decomposed(scenario, params, previous, on_progress, client, t0)
        except LimitTooShort as exc:
            if n > WHOLE_AT_MOST * params.territory_tickets:
                raise
            # small enough to solve whole in a short limit (a re-plan during the day, say)
            plan = solve_in_process(
                scenario, _single(params), previous=previous, on_progress=on_progress
            )
            plan.notes.append(f"solved whole, not in territories: {exc.problems[0]}")
            return plan
    if distributed and params.time_limit_s > 0:
        return _portfolio(scenario, params, previous, client, t0)
    return solve_in_process(scenario, _single(params), previous=previous, on_progress=on_progress)


class LimitTooShort(ScenarioError):
    """The time limit cannot give every territory the least useful time."""


def _single(params: SolveParams, **change) -> SolveParams:
    """Params for one solve inside a task: no further scale-out."""
    return dataclasses.replace(params, workers=1, scheduler=None, **change)


def _solve_task(sc: Scenario, params: SolveParams, previous: Plan | None) -> Plan:
    """One solve, as shipped to a worker; the plan comes back without its scenario."""
    plan = solve_in_process(sc, params, previous=previous)
    plan.scenario = None
    return plan


# ------------------------------------------------------------------ portfolio


def _portfolio(sc: Scenario, params: SolveParams, previous, client, t0: float) -> Plan:
    # embedded: threads of this process (nothing to start or ship; every run keeps almost the
    # whole limit), with OR-Tools' polish left out since it holds the GIL
    with Runner(params.workers, params.scheduler, client, processes=False) as run:
        k = run.workers
        left = params.time_limit_s - (time.monotonic() - t0) - run.stop_s
        left -= params.time_limit_s * RESERVE_SHARE + RESERVE_S
        seeds = [params.seed + i for i in range(k)]
        change = dict(ruin_share=1.0) if run.threads else {}
        plans = run.map(
            _solve_task,
            [
                (sc, _single(params, seed=s, time_limit_s=max(0.5, left), **change), previous)
                for s in seeds
            ],
        )
    keys = [rank_key(sc, p, params) for p in plans]
    best = min(range(k), key=lambda i: keys[i])
    plan = plans[best]
    plan.scenario = sc
    plan.kpis["solve_s"] = round(time.monotonic() - t0, 3)
    plan.kpis["portfolio"] = {
        "seeds": seeds,
        "best_seed": seeds[best],
        "served_per_tier": [[-x for x in key[: len(sc.tiers)]] for key in keys],
        "travel_min": [key[-1] for key in keys],
    }
    where = f"{k} workers"
    if run.threads:
        where = f"{k} threads of this process, without OR-Tools' polish"
    plan.notes.append(
        f"best of {k} runs with seeds {seeds[0]}..{seeds[-1]} on {where}: seed {seeds[best]}"
    )
    return plan


# ------------------------------------------------------------------ territories


@dataclasses.dataclass
class Budget:
    territory_s: float  # time limit of each territory's solve
    waves: int
    pair_s: float  # least time limit of a border pair's re-solve
    rounds: int  # border rounds that fit at that least time
    offer_s: float = 0.0  # kept for the offer pass, after the border phase


def plan_budget(
    params: SolveParams,
    elapsed: float,
    sizes: list[int],
    workers: int,
    n: int,
    pairs: bool = True,
    offer_s: float = 0.0,
) -> Budget:
    """Split the time limit over the territory waves, the border rounds (if there are neighbouring
    `pairs`) and the offer pass (`offer_s` wanted); say so at once when it cannot give every
    territory the least useful time. The territories come first, then the offer pass."""
    limit = params.time_limit_s
    waves = math.ceil(len(sizes) / workers)
    if limit <= 0:
        return Budget(0.0, waves, 0.0, 0)
    usable = limit * (1 - RESERVE_SHARE) - RESERVE_S - elapsed
    need = min_seconds(max(sizes))
    if usable / waves < need:
        least = (need * waves + RESERVE_S + elapsed) / (1 - RESERVE_SHARE)
        raise LimitTooShort(
            [
                f"time_limit_s: got {limit:g} s; too short for {n} tickets in {len(sizes)} "
                f"territories on {workers} worker(s) (each needs about {need:.0f} s); fix: allow "
                f"at least {math.ceil(least)} s (--time-limit) or more workers (--workers)"
            ]
        )
    offer_s = min(offer_s, usable - need * waves)
    usable -= offer_s
    border = usable * BORDER_SHARE if len(sizes) > 1 and pairs else 0.0
    territory_s = (usable - border) / waves
    if territory_s < need:  # the territories come first
        territory_s, border = need, usable - need * waves
    pair_s = replan_seconds(2 * max(sizes))
    if border and border < pair_s:  # no pair could start: the border's time goes to the territories
        territory_s, border = usable / waves, 0.0
    return Budget(territory_s, waves, pair_s, int(border // pair_s), offer_s)


def disjoint_rounds(edges: list[tuple[int, ...]], workers: int) -> list[list[tuple[int, ...]]]:
    """Rounds of at most `workers` groups of territories, none sharing a territory within a
    round (they run in parallel), in the order given as far as that allows."""
    out, left = [], list(edges)
    while left:
        busy: set[int] = set()
        batch = []
        for e in left:
            if len(batch) < workers and not busy & set(e):
                batch.append(e)
                busy |= set(e)
        out.append(batch)
        left = [e for e in left if e not in batch]
    return out


def _offer_groups(territories: list[Territory], pairs: list[tuple[int, int]]) -> list[tuple]:
    """Who the offer pass gives unassigned tickets to: each neighbouring pair, and each territory
    in no pair on its own."""
    alone = [(i,) for i in range(len(territories)) if not any(i in p for p in pairs)]
    return [*pairs, *alone]


def _offer_estimate(territories: list[Territory], groups: list[tuple], workers: int) -> float:
    """Time the offer pass is budgeted at: its rounds, each as long as its largest group."""
    size = lambda g: sum(len(territories[i].tickets) for i in g)  # noqa: E731
    return sum(max(offer_seconds(size(g)) for g in b) for b in disjoint_rounds(groups, workers))


def _neighbour_pairs(
    territories: list[Territory], plans: list[Plan] | None = None
) -> list[tuple[int, int]]:
    """Each territory with its NEIGHBOURS nearest (by how close their tickets come, within
    NEAR_KM): the pairs where one side leaves out a larger share of its tickets than the other
    first, where moving work helps most."""
    k = len(territories)
    d = np.full((k, k), np.inf)
    for i in range(k):
        for j in range(i + 1, k):
            d[i, j] = d[j, i] = border_km(territories[i], territories[j])
    pairs = set()
    for i in range(k):
        for j in np.argsort(d[i])[:NEIGHBOURS]:
            if j != i and d[i, j] <= NEAR_KM:
                pairs.add((min(i, int(j)), max(i, int(j))))
    if plans is None:
        return sorted(pairs, key=lambda p: d[p])
    left = [len(p.unassigned) / max(1, len(t.tickets)) for t, p in zip(territories, plans)]
    return sorted(pairs, key=lambda p: (-abs(left[p[0]] - left[p[1]]), d[p]))


def _known_workers(params: SolveParams, client) -> int:
    """Workers known before connecting (a given client's threads; else as asked)."""
    if client is not None:
        return max(1, sum(client.nthreads().values()))
    return requested_workers(params.workers) if params.scheduler is None else 1


def _join(name: str, plans: list[Plan]) -> Plan:
    return Plan(
        name,
        [r for p in plans for r in p.routes],
        [u for p in plans for u in p.unassigned],
        notes=[x for p in plans for x in p.notes],
    )


def _decomposed(sc, params: SolveParams, previous, on_progress, client, t0: float) -> Plan:
    n = len(sc.live_tickets)
    with contextlib.ExitStack() as stack:
        run = None
        if client is None and params.scheduler is not None:  # connect first: how many workers?
            run = stack.enter_context(Runner(params.workers, params.scheduler))
        workers = run.workers if run is not None else _known_workers(params, client)
        territories = split(sc, params.territory_tickets, previous, workers)
        sizes = [len(t.tickets) for t in territories]
        starts = run is None and client is None and workers > 1
        # before anything starts: is there time enough?
        setup = CLUSTER_START_S + CLUSTER_STOP_S if starts else 0.0
        plan_budget(params, time.monotonic() - t0 + setup, sizes, workers, n)
        if run is None:
            run = stack.enter_context(Runner(params.workers, None, client))
        plans, border, budget, setup_s = _territories(
            sc, params, previous, on_progress, territories, run, t0
        )
    return _merge(sc, params, previous, territories, plans, border, budget, setup_s, run, t0)


def _territories(sc, params, previous, on_progress, territories, run, t0):
    """Solve each territory, then the border phase, then the offer pass."""
    n = len(sc.live_tickets)
    sizes = [len(t.tickets) for t in territories]
    plans: list[Plan | None] = [None] * len(territories)
    border = {"pairs": 0, "improved": 0, "searched": 0, "skipped": 0}
    border.update(offered=0, placed=0, bumped=0)
    pairs = _neighbour_pairs(territories) if len(territories) > 1 else []
    groups = _offer_groups(territories, pairs)
    offer_s = _offer_estimate(territories, groups, run.workers) if params.time_limit_s > 0 else 0
    elapsed = time.monotonic() - t0 + run.stop_s
    budget = plan_budget(params, elapsed, sizes, run.workers, n, bool(pairs), offer_s)
    setup_s = time.monotonic() - t0
    order = sorted(range(len(territories)), key=lambda i: -sizes[i])  # longest first
    step = _single(params, time_limit_s=budget.territory_s * 0.95)  # a solve may overrun a little
    tasks = []
    for i in order:
        t = territories[i]
        prev = restrict(previous, set(t.engineers), set(t.tickets)) if previous else None
        tasks.append((sub_scenario(sc, [t]), step, prev))

    def done(j: int, plan: Plan) -> None:
        plans[order[j]] = plan
        if on_progress is not None:
            got = [p for p in plans if p is not None]
            planned = sum(len(r.visits) for p in got for r in p.routes)
            objective = sum(int(p.kpis.get("objective") or 0) for p in got)
            on_progress(Progress(time.monotonic() - t0, objective, planned, n))

    run.map(_solve_task, tasks, on_result=done)
    end = t0 + params.time_limit_s * (1 - RESERVE_SHARE) - RESERVE_S - run.stop_s
    if params.time_limit_s <= 0:  # insertion only, as each territory's solve: not on the clock
        end = math.inf
    if budget.rounds and pairs:
        _border_phase(sc, params, territories, plans, run, end - budget.offer_s, border)
    if params.time_limit_s > 0 or previous is None:  # the emergency fast path answers at once
        _offer_pass(sc, params, territories, plans, run, groups, end, border)
    return plans, border, budget, setup_s


def _merge(sc, params, previous, territories, plans, border, budget, setup_s, run, t0) -> Plan:
    """The territory plans as one contract plan of the whole scenario."""
    sizes = [len(t.tickets) for t in territories]
    plan = _join(sc.name, plans)
    plan.scenario = sc
    plan.routes.sort(key=lambda r: (r.engineer, r.shift))
    status = {str(p.kpis.get("status")) for p in plans}
    plan.kpis = build_kpis(
        sc,
        plan,
        solve_s=time.monotonic() - t0,
        setup_s=setup_s,
        status="solved in territories" if status == {"solved"} else "; ".join(sorted(status)),
    )
    plan.kpis["territories"] = [
        {
            "id": t.id,
            "engineers": len(t.engineers),
            "tickets": len(t.tickets),
            "served": sum(len(r.visits) for r in p.routes),
            "status": p.kpis.get("status"),
        }
        for t, p in zip(territories, plans)
    ]
    plan.kpis["border"] = border
    plan.notes = list(dict.fromkeys(plan.notes))
    plan.notes.insert(
        0,
        f"split into {len(territories)} territories of {min(sizes)} to {max(sizes)} tickets on "
        f"{run.workers} worker(s), {budget.territory_s:.0f} s each; border phase: "
        f"{border['improved']} of {border['pairs']} neighbouring pairs improved"
        + (f" ({border['skipped']} not started: too little time left)" if border["skipped"] else "")
        + f"; offer pass: {border['placed']} of {border['offered']} unassigned tickets placed"
        + (f", {border['bumped']} lower-tier bumped out" if border["bumped"] else "")
        + "; depot stock was split up front in proportion to each territory's demand",
    )
    if previous is not None:
        plan.kpis["changes"] = diff_plans(previous, plan, params.eta_tolerance_min).summary()
    return plan


def _border_phase(sc, params, territories, plans, run, end: float, border: dict) -> None:
    """Re-solve neighbouring pairs from their current plans, moves between them free; keep a
    pair's plan only when it is better in the contract's order (never a worse one: the pair's
    plan stands otherwise). Pairs in one round are disjoint, so they run in parallel. A pair is
    started only with the time a re-plan of its size needs (`replan_seconds`) left before `end`;
    the pairs that never get it are counted as skipped."""
    edges = _neighbour_pairs(territories, plans)
    free_moves = dict(move_cost_min=0.0, eta_shift_per_min=0.0)
    seed = params.seed
    size = lambda e: sum(len(territories[i].tickets) for i in e)  # noqa: E731
    while edges:
        remaining = end - time.monotonic()
        fits = [e for e in edges if replan_seconds(size(e)) <= remaining]
        if not fits:
            break
        batch = disjoint_rounds(fits, run.workers)[0]
        edges = [e for e in edges if e not in batch]
        rounds_wanted = len(disjoint_rounds(edges, run.workers)) + 1
        need = max(replan_seconds(size(e)) for e in batch)
        pair_s = min(remaining, max(need, remaining / rounds_wanted))
        later = [e for e in edges if replan_seconds(size(e)) <= remaining - pair_s]
        if not later:  # no pair could start after this round: this round takes all the time
            pair_s = remaining
        seed += 1
        tasks, currents = [], []
        for a, b in batch:
            pair_sc = sub_scenario(sc, [territories[a], territories[b]])
            current = _join(pair_sc.name, [plans[a], plans[b]])
            currents.append((pair_sc, current))
            step = _single(params, time_limit_s=pair_s * PAIR_SHARE, seed=seed, **free_moves)
            tasks.append((pair_sc, step, current))
        results = run.map(_solve_task, tasks)
        for (a, b), (pair_sc, current), new in zip(batch, currents, results):
            border["pairs"] += 1
            border["searched"] += bool((new.kpis.get("search") or {}).get("rounds"))
            if rank_key(pair_sc, new, params) < rank_key(pair_sc, current, params):
                border["improved"] += 1
                _take(territories[a], territories[b], new, plans, a, b)
    border["skipped"] += len(edges)


def _offer_pass(sc, params, territories, plans, run, groups, end: float, border: dict) -> None:
    """Offer every ticket still unassigned to the routes of its group (a neighbouring pair, or a
    territory alone): the solver's insertion without search, from the current routes (nothing
    planned moves engineer; a higher-tier ticket may bump lower-tier work, which goes back where
    it fits), with the pair's depot stock pooled. Kept when better in the contract's order;
    either way each ticket it leaves out gets the reason found by trying it against these routes
    (a ticket whose group the clock leaves untried keeps its reason from before)."""
    size = lambda g: sum(len(territories[i].tickets) for i in g)  # noqa: E731
    todo = [g for g in groups if any(plans[i].unassigned for i in g)]
    before = {u.ticket for p in plans for u in p.unassigned}
    for batch in disjoint_rounds(todo, run.workers):
        if max(offer_seconds(size(g)) for g in batch) > end - time.monotonic():
            break
        tasks, currents = [], []
        for g in batch:
            group_sc = sub_scenario(sc, [territories[i] for i in g])
            current = _join(group_sc.name, [plans[i] for i in g])
            currents.append((group_sc, current))
            # the routes only: what they leave out is offered as new work, tier by tier
            routes_only = Plan(current.scenario_name, current.routes, [])
            step = _single(params, time_limit_s=0, move_cost_min=0.0, eta_shift_per_min=0.0)
            tasks.append((group_sc, step, routes_only))
        results = run.map(_solve_task, tasks)
        for g, (group_sc, current), new in zip(batch, currents, results):
            better = rank_key(group_sc, new, params) < rank_key(group_sc, current, params)
            if not better:  # the routes stand; the reasons are the ones found just now
                new = Plan(current.scenario_name, current.routes, _reasons(current, new))
            keep = {i: plans[i].kpis.get("status", "solved") for i in g}
            if len(g) == 1:
                plans[g[0]] = Plan(new.scenario_name, new.routes, new.unassigned, kpis={})
            else:
                _take(territories[g[0]], territories[g[1]], new, plans, g[0], g[1])
            for i in g:
                plans[i].kpis = {"status": keep[i]}
    after = {u.ticket for p in plans for u in p.unassigned}
    border["offered"] = len(before)
    border["placed"] = len(before - after)
    border["bumped"] = len(after - before)  # lower-tier visits a higher-tier ticket displaced


def _reasons(current: Plan, tried: Plan) -> list:
    """`current`'s unassigned tickets with the reasons `tried` (an insertion from the same
    routes) found for them."""
    found = {u.ticket: u for u in tried.unassigned}
    return [found.get(u.ticket, u) for u in current.unassigned]


def _take(ta: Territory, tb: Territory, new: Plan, plans: list, a: int, b: int) -> None:
    """Hand a better pair plan back to its two territories: routes by engineer, a planned ticket
    to its engineer's territory, depot stock by what each side's routes use (the rest in the old
    proportion)."""
    mine_a = set(ta.engineers)
    routes_a = [r for r in new.routes if r.engineer in mine_a]
    routes_b = [r for r in new.routes if r.engineer not in mine_a]
    planned_a = {s.ticket for r in routes_a for s in r.visits}
    planned_b = {s.ticket for r in routes_b for s in r.visits}
    pool_a, pool_b = set(ta.tickets), set(tb.tickets)
    left = {u.ticket for u in new.unassigned}
    ta.tickets = sorted(planned_a | (left & pool_a))
    tb.tickets = sorted(planned_b | (left & pool_b))
    used_a, used_b = used_stock(routes_a), used_stock(routes_b)
    for depot in set(ta.stock) | set(tb.stock):
        sa, sb = ta.stock.setdefault(depot, {}), tb.stock.setdefault(depot, {})
        for part in set(sa) | set(sb):
            total = sa.get(part, 0) + sb.get(part, 0)
            ua, ub = used_a.get(depot, {}).get(part, 0), used_b.get(depot, {}).get(part, 0)
            rest = total - ua - ub
            share = sa.get(part, 0) / total if total else 0.5
            sa[part] = ua + math.floor(rest * share)
            sb[part] = total - sa[part]
    plans[a] = Plan(
        new.scenario_name,
        routes_a,
        [u for u in new.unassigned if u.ticket in pool_a],
        kpis={"status": new.kpis.get("status", "solved")},
    )
    plans[b] = Plan(
        new.scenario_name,
        routes_b,
        [u for u in new.unassigned if u.ticket not in pool_a],
        kpis={"status": new.kpis.get("status", "solved")},
    )

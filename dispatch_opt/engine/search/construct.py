"""The first plan: frozen work, the plan in force (in a re-plan), then tickets tier by tier.

Within a tier by regret (the ticket with most to lose if its best engineer-shift fills up goes
first) where that fits the time, else by SLA deadline; each where it adds least cost (see
kernel). In a re-plan, urgent new work may bump lower-tier work out of one route (`bump`), and
tickets the plan in force left out are retried after the new work (the fast path).
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np

from ..problem import ProblemData
from . import linked
from .kernel import INF, lean
from .routes import (
    RouteState,
    best_in_shift,
    best_insertion,
    new_state,
    place,
    put,
    refresh,
    route_capacity,
    take,
    tidy,
)

BUMP_AT_MOST = 3  # lower-tier tickets an urgent one may take out of a route in the fast path
REGRET_PAIRS = 150_000  # ticket x engineer-shift options up to which regret insertion is tried


def frozen_state(p: ProblemData) -> tuple[RouteState, list[str]]:
    """Routes holding only their frozen heads; the frozen tickets whose engineer-shift cannot do
    them (with its breaks) even alone."""
    a = p.arrays
    s = new_state(a, route_capacity(a) + len(p.frozen_nodes) + len(p.nodes.restocks))
    stuck = []
    for v, heads in p.frozen_heads.items():
        for k, x in enumerate(heads):
            put(a, s, v, k, x)
            s.pinned[x] = True
        s.fixed[v] = len(heads)
        if s.cost[v] == INF:
            stuck += [p.nodes.tickets[x] for x in heads]
    return s, list(dict.fromkeys(stuck))  # a crew visit under way: once, whoever is stuck


def seeded_state(p: ProblemData) -> RouteState:
    """Frozen work, then (in a re-plan) the plan in force's routes as far as they still hold."""
    s, _ = frozen_state(p)
    placed = set(p.frozen_nodes)
    for v, seed in p.seeds.items():
        placed |= _keep_seed(p, s, v, [x for x in seed if x not in placed])
    linked.reseed(p, s)  # crew visits and follow-ups as they were, where they still hold
    return s


def first_state(p: ProblemData, deadline: float = math.inf) -> tuple[RouteState, bool]:
    """The first plan (see module doc), and whether every ticket was tried before `deadline`
    (time.monotonic()), when it stops inserting."""
    a = p.arrays
    s = seeded_state(p)
    placed = set(np.flatnonzero(s.where >= 0).tolist())
    placed |= {x for link in p.links.values() for x in link.nodes}  # placed whole, apart
    rank = a.rank
    urgency = lambda x: (rank[x], a.deadline[x], x)  # noqa: E731
    order = sorted((x for x in range(a.nt) if x not in placed and x not in p.left_out), key=urgency)
    pairs = int(a.allowed[order].sum()) if order else 0
    insert = regret_insertion if pairs <= REGRET_PAIRS else sequential_insertion
    complete = True
    tiers = sorted({int(rank[x]) for x in order} | {int(rank[x]) for x in p.links})
    for tier in tiers:  # a tier's crew visits and follow-ups first, then its other tickets
        linked.place_pending(p, s, tier)
        pool = [x for x in order if rank[x] == tier]
        complete = insert(p, s, pool, deadline) and complete
    linked.place_pending(p, s)  # follow-ups of visits of a later tier
    if p.seeds:  # a re-plan: urgent new work may displace lower-tier work the plan in force had
        for x in order:
            if s.where[x] < 0 and time.monotonic() <= deadline:
                bump(p, s, x)
    # the fast path: what the plan in force left out goes where it fits now, moving nothing
    retry = sorted((x for x in p.left_out if s.where[x] < 0), key=urgency)
    complete = sequential_insertion(p, s, retry, deadline) and complete
    return s, complete


def sequential_insertion(p: ProblemData, s: RouteState, pool: list[int], deadline: float) -> bool:
    """Each ticket in turn where it costs least. False if the clock stopped it."""
    a = p.arrays
    for x in pool:
        if time.monotonic() > deadline:
            return False
        _, v, k, d = best_insertion(a, s, x, p.allowed_vehicles[x], 0.0)
        if v >= 0:
            place(a, s, v, k, x, d)
    return True


def regret_insertion(p: ProblemData, s: RouteState, pool: list[int], deadline: float) -> bool:
    """Regret-2 insertion: next, the ticket that would lose most if its best engineer-shift filled
    up (second-best minus best cost; a ticket with a single option first), at its best place. After
    each insertion only the options on the changed engineer's routes are evaluated again (a depot
    running low is noticed when an option is taken: it is evaluated afresh then). False if the
    clock stopped it."""
    a = p.arrays
    if not pool:
        return True
    options = np.full((len(pool), len(p.vehicles)), INF)
    places = np.full((len(pool), len(p.vehicles), 2), -1, dtype=np.int64)  # position, depot
    for i, x in enumerate(pool):
        _options(a, s, x, p.allowed_vehicles[x], options[i], places[i])
    left = np.ones(len(pool), dtype=bool)
    while left.any():
        if time.monotonic() > deadline:
            return False
        i = _regret_pick(options, left)
        if i < 0:
            break
        x = pool[i]
        v = int(np.argmin(options[i]))
        if places[i, v, 1] >= 0:  # a pick-up: the depot may have run low since
            c, k, d = best_in_shift(a, s, v, x, INF, 0.0)
            options[i, v], places[i, v] = (c, (k, d)) if k >= 0 else (INF, (-1, -1))
            if k < 0:
                continue
        place(a, s, v, int(places[i, v, 0]), x, int(places[i, v, 1]))
        left[i] = False
        # parts used up: the engineer's other shifts may no longer take some tickets either
        touched = p.engineer_vehicles[a.v_engineer[v]] if a.need[x].any() else np.array([v])
        _refresh_options(a, s, np.array(pool), left, touched, options, places)
    return True


@lean
def _options(a, s, x, vehicles, costs, places):
    for v in vehicles:
        c, k, d = best_in_shift(a, s, v, x, INF, 0.0)
        costs[v] = c if k >= 0 else INF
        places[v, 0], places[v, 1] = k, d


@lean
def _refresh_options(a, s, pool, left, vehicles, options, places):
    for i in range(len(pool)):
        if left[i]:
            _options(a, s, pool[i], vehicles, options[i], places[i])


@lean
def _regret_pick(options, left):
    best_i, best_regret, best_cost = -1, -INF, INF
    for i in range(len(left)):
        if not left[i]:
            continue
        first, second = INF, INF
        for c in options[i]:
            if c < first:
                first, second = c, first
            elif c < second:
                second = c
        if first == INF:
            continue
        regret = INF if second == INF else second - first
        if regret > best_regret or (regret == best_regret and first < best_cost):
            best_i, best_regret, best_cost = i, regret, first
    return best_i


def bump(p: ProblemData, s: RouteState, x: int, most: int = BUMP_AT_MOST) -> None:
    """Place ticket x by taking lower-tier tickets out of one route: as few as will do (up to
    `most`), then the lowest tiers, then the cheapest; each then goes wherever else it fits."""
    a = p.arrays
    best = None
    for size in range(1, most + 1):
        for v in p.allowed_vehicles[x]:
            if s.cost[v] == INF or s.locked[v]:
                continue
            n, fixed = int(s.n[v]), int(s.fixed[v])
            seq = [int(y) for y in s.seq[v, :n]]
            lower = [
                i
                for i in range(fixed, n)
                if seq[i] < a.nt and a.rank[seq[i]] > a.rank[x] and not s.pinned[seq[i]]
            ]
            for out in itertools.combinations(lower, size):
                for i in reversed(out):
                    take(a, s, v, i)
                c, _, k, _ = best_insertion(a, s, x, np.array([v]), 0.0)
                if k >= 0:
                    key = (sorted(-int(a.rank[seq[i]]) for i in out), float(s.cost[v] + c))
                    if best is None or key < best[0]:
                        best = (key, v, [seq[i] for i in out])
                for i in out:
                    put(a, s, v, i, seq[i])
        if best is not None:
            break
    if best is None:
        return
    _, v, out = best
    for y in out:
        take(a, s, v, _index(s, v, y))
    _, _, k, d = best_insertion(a, s, x, np.array([v]), 0.0)
    place(a, s, v, k, x, d)
    for y in out:
        _, v2, k2, d2 = best_insertion(a, s, y, p.allowed_vehicles[y], 0.0)
        if v2 >= 0:
            place(a, s, v2, k2, y, d2)
    tidy(a, s, a.v_engineer[v])


def _index(s: RouteState, v: int, x: int) -> int:
    return int(np.flatnonzero(s.seq[v, : s.n[v]] == x)[0])


def _keep_seed(p: ProblemData, s: RouteState, v: int, seed: list[int]) -> set[int]:
    """The plan in force's stops of route v in order, skipping those that no longer fit (time,
    parts, tools): they go back to the pool. A restock counts for the stops after it; a route
    that keeps one is locked (see RouteState)."""
    a, nt = p.arrays, p.arrays.nt
    e = p.vehicles[v].engineer
    stock = s.free[a.v_engineer[v]].copy()
    tools = set(e.tools)
    kept: set[int] = set()
    for x in seed:
        if x < nt:
            t = p.ticket_of[p.nodes.tickets[x]]
            if not set(t.tools) <= tools or (stock < a.need[x]).any():
                continue
        k = int(s.n[v])
        put(a, s, v, k, x)
        if s.cost[v] == INF:
            take(a, s, v, k)
            continue
        if x >= nt:
            parts, got = p.seed_pickups[x]
            depot = int(np.flatnonzero(a.restock_node[v] == x)[0])
            engineer = a.v_engineer[v]
            for q, name in enumerate(p.parts):
                stock[q] += parts.get(name, 0)
                s.left[depot, q] -= parts.get(name, 0)
                # counted on the van along the shifts (room_of), or a new restock on another
                # shift of this engineer would pick up again what this one already brings
                s.pick[v, q] += parts.get(name, 0)
                s.free[engineer, q] += parts.get(name, 0)
            for q, name in enumerate(p.tools):
                s.tool_pick[v, q] |= name in got
            s.restocks[engineer] += 1
            tools |= set(got)
            s.locked[v] = True
        else:
            stock -= a.need[x]
            kept.add(x)
    refresh(p.arrays, s, v)
    return kept

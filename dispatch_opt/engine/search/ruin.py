"""Ruin and recreate (after SISR, Christiaens and Vanden Berghe 2020), compiled, with acceptance.

One round takes strings of consecutive visits out of a few routes near a random planned ticket
(or, in a fifth of the rounds, an unplanned one), puts them back with the unplanned tickets near
them that those routes could take (tier by tier, each where it
costs least, skipping a few places at random: SISR's blinks), and keeps the result by simulated
annealing on cost, but only when no tier serves fewer tickets (tiers are lexicographic: one
more emergency beats any number of normal tickets). A round that finds a new best is polished by
the local search operators around the visits it moved (after every kept round, the polish took
more time than it saved). A rejected round is undone from a log of the routes
it touched, not by copying every route. With a floor (`Work.floor`, the second stage with paid
time: search.improve.improve_in_stages) a plan becomes the best only if it serves at least as many
and as many on time per tier as the floor says; checked only when a new best appears.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .kernel import INF, lean, route_cost
from .operators import local_search
from .routes import best_insertion, place, put, refresh, take, tidy

MAX_STRING = 10  # SISR: longest string taken out of a route
MEAN_REMOVED = 10  # SISR: visits taken out in a round, on average
BLINK = 0.01  # SISR: chance of passing over a place when putting a visit back
GRANULAR = 32  # a visit taken out goes back only into routes holding one of its nearest
POLISH_NEIGHBOURS = 12  # nearest tickets the local search tries around each visit a round moved
UNPLANNED_CENTRE = 0.2  # chance that a round ruins around an unplanned ticket (if any), which the
# recreate then offers first room near it: where capacity is short, how a higher-tier ticket
# takes the place of lower-tier work


# the counters `run` keeps in a small float array between calls
CURRENT, BEST, ROUNDS, KEPT, MOVES = 0, 1, 2, 3, 4


class Work(NamedTuple):
    """Scratch arrays of `run`, made once per search (the compiled loop allocates nothing)."""

    missed: np.ndarray  # (tiers,) tickets left out per tier, now and in the trial
    trial: np.ndarray
    mark: np.ndarray  # (V,) round that last logged each route / engineer
    emark: np.ndarray  # (E,)
    touched: np.ndarray  # (V,) routes the round changed, in order
    log_seq: np.ndarray  # (V, L) the undo log: each touched route as it was
    log_n: np.ndarray  # (V, 2) length, depot of its restock stop
    log_fixed: np.ndarray  # (V,)
    log_pick: np.ndarray  # (V, P)
    log_tools: np.ndarray  # (V, T)
    saved_free: np.ndarray  # (E, P + 1) each touched engineer's van, and its restock count
    saved_left: np.ndarray  # (D, P) the depots
    pool: np.ndarray  # (nt,) tickets to put back
    keys: np.ndarray  # (nt,) their order
    order: np.ndarray  # (nt,)
    taken_out: np.ndarray  # (nt,) bool: in the pool
    offered: np.ndarray  # (nt,) bool: in the pool, unplanned before the round
    served: np.ndarray  # (nt,)
    unserved: np.ndarray  # (nt,)
    ruined: np.ndarray  # (V,) bool
    near_route: np.ndarray  # (V,)
    cand: np.ndarray  # (V,)
    wrecked: np.ndarray  # (V,) the routes ruined this round, in order
    empty: np.ndarray  # (V,) the routes empty at the start of the recreate
    floor: np.ndarray  # (2, tiers): most tickets left out, fewest on time per tier a best may
    # have; floor[0, 0] < 0: none
    starts: np.ndarray  # (L,) scratch: the starts of one route
    on_time: np.ndarray  # (tiers,) scratch


def work_for(a, s, tiers: int) -> Work:
    nv, nt, ne = len(s.n), a.nt, len(s.free)
    parts = s.pick.shape[1]
    return Work(
        missed=np.zeros(tiers, dtype=np.int64),
        trial=np.zeros(tiers, dtype=np.int64),
        mark=np.full(nv, -1, dtype=np.int64),
        emark=np.full(ne, -1, dtype=np.int64),
        touched=np.zeros(nv, dtype=np.int64),
        log_seq=np.zeros((nv, s.seq.shape[1]), dtype=np.int64),
        log_n=np.zeros((nv, 2), dtype=np.int64),
        log_fixed=np.zeros(nv, dtype=np.int64),
        log_pick=np.zeros((nv, parts), dtype=np.int64),
        log_tools=np.zeros((nv, s.tool_pick.shape[1]), dtype=np.bool_),
        saved_free=np.zeros((ne, parts + 1), dtype=np.int64),
        saved_left=s.left.copy(),
        pool=np.zeros(nt, dtype=np.int64),
        keys=np.zeros(nt, dtype=np.float64),
        order=np.zeros(nt, dtype=np.int64),
        taken_out=np.zeros(nt, dtype=np.bool_),
        offered=np.zeros(nt, dtype=np.bool_),
        served=np.zeros(nt, dtype=np.int64),
        unserved=np.zeros(nt, dtype=np.int64),
        ruined=np.zeros(nv, dtype=np.bool_),
        near_route=np.full(nv, -1, dtype=np.int64),
        cand=np.zeros(nv, dtype=np.int64),
        wrecked=np.zeros(nv, dtype=np.int64),
        empty=np.zeros(nv, dtype=np.int64),
        floor=np.full((2, tiers), -1, dtype=np.int64),
        starts=np.zeros(max(1, s.seq.shape[1]), dtype=np.int64),
        on_time=np.zeros(tiers, dtype=np.int64),
    )


@lean
def count_on_time(a, s, starts, out):
    """Visits per tier that start by their SLA deadline (the plan's later starts keep every
    deadline met: kernel.stop_room)."""
    out[:] = 0
    none = a.no_timeline
    for v in range(len(s.n)):
        if s.n[v] == 0 or s.cost[v] == INF:
            continue
        route_cost(a, v, s.seq[v], s.n[v], starts, none)
        for i in range(s.n[v]):
            x = s.seq[v, i]
            if x < a.nt and starts[i] <= a.deadline[x]:
                out[a.rank[x]] += 1


@lean
def meets_floor(a, s, missed, floor, starts, on_time):
    """Whether routes `s`, leaving out `missed` per tier, leave out no more and serve no fewer
    on time in any tier than `floor` (see Work) allows."""
    if floor[0, 0] < 0:
        return True
    for k in range(len(missed)):
        if missed[k] > floor[0, k]:
            return False
    count_on_time(a, s, starts, on_time)
    for k in range(len(missed)):
        if on_time[k] < floor[1, k]:
            return False
    return True


@lean
def _touch(a, s, w, v, it, n_touched):
    """Log route v (and its engineer's van) before round `it` first changes it."""
    if w.mark[v] == it:
        return n_touched
    w.mark[v] = it
    w.touched[n_touched] = v
    w.log_n[n_touched, 0] = s.n[v]
    w.log_n[n_touched, 1] = s.depot_of[v]
    w.log_fixed[n_touched] = s.fixed[v]
    for p in range(s.pick.shape[1]):
        w.log_pick[n_touched, p] = s.pick[v, p]
    for t in range(s.tool_pick.shape[1]):
        w.log_tools[n_touched, t] = s.tool_pick[v, t]
    for i in range(s.n[v]):
        w.log_seq[n_touched, i] = s.seq[v, i]
    e = a.v_engineer[v]
    if w.emark[e] != it:
        w.emark[e] = it
        for p in range(s.free.shape[1]):
            w.saved_free[e, p] = s.free[e, p]
        w.saved_free[e, -1] = s.restocks[e]
    return n_touched + 1


@lean
def _undo(a, s, w, n_pool, n_touched):
    """Put every route a rejected round touched back as it was."""
    nt, parts = a.nt, s.pick.shape[1]
    for q in range(n_pool):
        s.where[w.pool[q]] = -1
    for i in range(n_touched):
        v = w.touched[i]
        for q in range(s.n[v]):
            s.seq[v, q] = -1
        s.n[v], s.depot_of[v], s.fixed[v] = w.log_n[i, 0], w.log_n[i, 1], w.log_fixed[i]
        for p in range(parts):
            s.pick[v, p] = w.log_pick[i, p]
            s.used[v, p] = 0
        for t in range(s.tool_pick.shape[1]):
            s.tool_pick[v, t] = w.log_tools[i, t]
        for q in range(s.n[v]):
            x = w.log_seq[i, q]
            s.seq[v, q] = x
            if x < nt:
                s.where[x] = v
                for p in range(parts):
                    s.used[v, p] += a.need[x, p]
        e = a.v_engineer[v]
        for p in range(parts):
            s.free[e, p] = w.saved_free[e, p]
        s.restocks[e] = w.saved_free[e, -1]
        refresh(a, s, v)
    _copy2(w.saved_left, s.left)


@lean
def _copy1(src, dst):
    for i in range(len(src)):
        dst[i] = src[i]


@lean
def _copy2(src, dst):
    for i in range(src.shape[0]):
        for j in range(src.shape[1]):
            dst[i, j] = src[i, j]


@lean
def keep_best(s, best):
    """Copy what defines the routes of `s` into `best` (costs and states follow by refresh)."""
    _copy2(s.seq, best.seq)
    _copy1(s.n, best.n)
    _copy1(s.where, best.where)
    _copy2(s.free, best.free)
    _copy1(s.fixed, best.fixed)
    _copy2(s.used, best.used)
    _copy2(s.pick, best.pick)
    _copy2(s.tool_pick, best.tool_pick)
    _copy1(s.depot_of, best.depot_of)
    _copy2(s.left, best.left)
    _copy1(s.restocks, best.restocks)


@lean
def _missed(a, s, out):
    out[:] = 0
    for x in range(a.nt):
        if s.where[x] < 0:
            out[a.rank[x]] += 1


@lean
def _total(s):
    c = 0.0
    for v in range(len(s.cost)):
        if s.cost[v] != INF:
            c += s.cost[v]
    return c


@lean
def _better(m1, c1, m2, c2):
    for k in range(len(m1)):
        if m1[k] != m2[k]:
            return m1[k] < m2[k]
    return c1 < c2


@lean
def run(a, s, best, w, rounds, hot, cold, start, stop, seed, counters, missed_best, polish):
    """`rounds` rounds of ruin and recreate on state `s`, the temperature falling geometrically
    from hot * cold**start to hot * cold**stop; the best state met is kept in `best` (a RouteState
    too, see keep_best) with its missed tickets per tier and cost. `w` is the scratch (Work);
    `counters` carries the current and best cost and round counts between calls."""
    np.random.seed(seed)
    nv, nt = len(s.n), a.nt
    tiers = len(missed_best)
    missed, trial, pool, keys, order = w.missed, w.trial, w.pool, w.keys, w.order
    taken_out, ruined, near_route, cand, served = (
        w.taken_out,
        w.ruined,
        w.near_route,
        w.cand,
        w.served,
    )
    _missed(a, s, missed)
    k_near = min(GRANULAR, a.neighbours.shape[1])
    deadline_span, service_span = 1.0, 1.0
    for x in range(nt):
        deadline_span = max(deadline_span, abs(float(a.deadline[x])))
        service_span = max(service_span, float(a.service[x]))
    for r in range(rounds):
        it = int(counters[ROUNDS])  # marks the routes logged this round
        frac = start + (stop - start) * r / max(1, rounds)
        temperature = hot * cold**frac
        n_served, n_unserved = 0, 0
        for x in range(nt):
            if s.where[x] < 0:
                w.unserved[n_unserved] = x
                n_unserved += 1
            elif not s.pinned[x]:
                served[n_served] = x
                n_served += 1
        if n_served == 0:
            break
        current = counters[CURRENT]
        # ---- ruin: strings of visits out of routes near a random planned ticket
        used = 0
        for v in range(nv):
            if s.n[v] > 0:
                used += 1
        longest = max(1, min(MAX_STRING, round(n_served / max(1, used))))
        n_routes = int(np.random.uniform(1.0, 4.0 * MEAN_REMOVED / (1.0 + longest)))
        centre = served[np.random.randint(n_served)]
        if n_unserved and np.random.random() < UNPLANNED_CENTRE:
            centre = w.unserved[np.random.randint(n_unserved)]
        _copy2(s.left, w.saved_left)
        n_touched, n_pool = 0, 0
        n_ruined = 0
        for i in range(-1, a.neighbours.shape[1]):
            if n_ruined >= n_routes:
                break
            x = centre if i < 0 else a.neighbours[centre, i]
            v = s.where[x]
            if v < 0 or ruined[v] or s.locked[v] or s.pinned[x]:
                continue
            movable = s.n[v] - s.fixed[v]
            size = np.random.randint(1, min(longest, movable) + 1)
            j = _index(s, v, x)
            lo = max(s.fixed[v], j - size + 1)
            hi = min(j, s.n[v] - size)
            first = np.random.randint(lo, hi + 1)
            if _holds_pinned(a, s, v, first, size):
                continue  # a crew visit or a follow-up's anchor: never taken out (search.linked)
            n_touched = _touch(a, s, w, v, it, n_touched)
            for _ in range(size):
                y = take(a, s, v, first)
                pool[n_pool] = y
                taken_out[y] = True
                n_pool += 1
            if s.cost[v] == INF:  # a route that no longer works without them: put them back
                for q in range(size):
                    put(a, s, v, first + q, pool[n_pool - size + q])
                    taken_out[pool[n_pool - size + q]] = False
                n_pool -= size
                continue
            ruined[v] = True
            w.wrecked[n_ruined] = v
            n_ruined += 1
        # ---- the unplanned tickets near what came out (and the centre) join the pool, if a
        # ruined route could take them: trying every unplanned ticket each round cost more than
        # the round itself where hundreds are left out
        n_taken = n_pool
        n_pool = _offer(a, s, w, centre, n_pool, n_ruined)
        for q in range(n_taken):
            for i in range(k_near):
                n_pool = _offer(a, s, w, a.neighbours[pool[q], i], n_pool, n_ruined)
        n_empty = 0
        for v in range(nv):
            if s.n[v] == 0:
                w.empty[n_empty] = v
                n_empty += 1
        # ---- recreate: tier by tier, ties broken by one of three orders drawn at random
        tie = np.random.randint(3)  # at random, by SLA deadline, longest first
        for q in range(n_pool):
            x = pool[q]
            if tie == 0:
                t = np.random.random()
            elif tie == 1:
                t = a.deadline[x] / (1.0 + deadline_span)
            else:
                t = 1.0 - a.service[x] / (1.0 + service_span)
            keys[q] = a.rank[x] * 2.0 + t
        _sort(keys, n_pool, order)
        for q in order[:n_pool]:
            x = pool[q]
            n_cand = 0
            if not w.offered[x]:  # routes nearby, those ruined, the empty ones
                for i in range(k_near):
                    v = s.where[a.neighbours[x, i]]
                    if v >= 0 and near_route[v] != x:
                        near_route[v] = x
                        cand[n_cand] = v
                        n_cand += 1
                for i in range(n_ruined + n_empty):
                    v = w.wrecked[i] if i < n_ruined else w.empty[i - n_ruined]
                    if near_route[v] != x:
                        near_route[v] = x
                        cand[n_cand] = v
                        n_cand += 1
            else:  # it fitted nowhere before: only where room was made
                for i in range(n_ruined):
                    cand[n_cand] = w.wrecked[i]
                    n_cand += 1
            for c in range(n_cand):  # reset the scratch marks
                near_route[cand[c]] = -1
            added, v, k, d = best_insertion(a, s, x, cand[:n_cand], BLINK)
            if v >= 0:
                n_touched = _touch(a, s, w, v, it, n_touched)
                place(a, s, v, k, x, d)
        # ---- pick up no more than the visits need (the round may have moved parts work away)
        for i in range(n_touched):
            e = a.v_engineer[w.touched[i]]
            if s.restocks[e] > 0 and w.emark[e] == it:
                for j in range(a.e_shifts.shape[1]):
                    u = a.e_shifts[e, j]
                    if u >= 0:
                        n_touched = _touch(a, s, w, u, it, n_touched)
                tidy(a, s, e)
                w.emark[e] = -2 - it  # tidied this round
        # ---- accept or undo
        _missed(a, s, trial)
        cost = _total(s)
        keep, decided = False, False
        for k in range(tiers):
            if not decided and trial[k] != missed[k]:
                keep, decided = trial[k] < missed[k], True
        if not decided:
            keep = cost < current - temperature * math.log(1.0 - np.random.random())
        if keep:
            if polish > 0 and _better(trial, cost, missed_best, counters[BEST]):
                # a new best: polished by the local search around the visits it moved
                counters[MOVES] += local_search(a, s, pool[:n_pool], polish, 2)
                cost = _total(s)
            _copy1(trial, missed)
            counters[CURRENT] = cost
            counters[KEPT] += 1
            if _better(trial, cost, missed_best, counters[BEST]) and meets_floor(
                a, s, trial, w.floor, w.starts, w.on_time
            ):
                _copy1(trial, missed_best)
                counters[BEST] = cost
                keep_best(s, best)
        else:
            _undo(a, s, w, n_pool, n_touched)
        for q in range(n_pool):
            taken_out[pool[q]] = False
            w.offered[pool[q]] = False
        for i in range(n_touched):
            ruined[w.touched[i]] = False
        counters[ROUNDS] += 1
    return counters


@lean
def _offer(a, s, w, x, n_pool, n_ruined):
    """Ticket x joins the pool (once) if it is unplanned and one of the ruined routes could take
    it; the pool's new length."""
    if s.where[x] >= 0 or w.taken_out[x]:
        return n_pool
    for j in range(n_ruined):
        if a.eligible[x, w.wrecked[j]]:
            w.pool[n_pool] = x
            w.taken_out[x] = True  # in the pool (cleared after the round)
            w.offered[x] = True
            return n_pool + 1
    return n_pool


@lean
def _sort(keys, n, order):
    """order[:n]: the indices of keys[:n] in ascending order, ties kept in place (a stable
    insertion sort: a pool is a few dozen tickets)."""
    for i in range(n):
        j, key = i, keys[i]
        while j > 0 and keys[order[j - 1]] > key:
            order[j] = order[j - 1]
            j -= 1
        order[j] = i


@lean
def _holds_pinned(a, s, v, first, size):
    for i in range(first, first + size):
        x = s.seq[v, i]
        if x < a.nt and s.pinned[x]:
            return True
    return False


@lean
def _index(s, v, x):
    for i in range(s.n[v]):
        if s.seq[v, i] == x:
            return i
    return -1

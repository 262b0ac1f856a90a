"""Ruin and recreate (after SISR, Christiaens and Vanden Berghe 2020), compiled, with acceptance.

One round takes strings of consecutive visits out of a few routes near a random planned ticket,
puts them back with the unplanned tickets those routes could take (tier by tier, each where it
costs least, skipping a few places at random: SISR's blinks), and keeps the result by simulated
annealing on cost, but only when no tier serves fewer tickets (tiers are lexicographic: one
more emergency beats any number of normal tickets). A round that finds a new best is polished by
the local search operators around the visits it moved (after every kept round, the polish took
more time than it saved). A rejected round is undone from a log of the routes
it touched, not by copying every route.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .kernel import INF
from .operators import local_search
from .routes import best_insertion, place, put, refresh, take, tidy

MAX_STRING = 10  # SISR: longest string taken out of a route
MEAN_REMOVED = 10  # SISR: visits taken out in a round, on average
BLINK = 0.01  # SISR: chance of passing over a place when putting a visit back
GRANULAR = 32  # a visit taken out goes back only into routes holding one of its nearest
POLISH_NEIGHBOURS = 12  # nearest tickets the local search tries around each visit a round moved


# the counters `run` keeps in a small float array between calls
CURRENT, BEST, ROUNDS, KEPT, MOVES = 0, 1, 2, 3, 4


@njit(cache=True)
def _touch(a, s, v, it, mark, touched, nt_, log, emark, saved_free):
    """Log route v (and its engineer's van) before round `it` first changes it."""
    if mark[v] == it:
        return nt_
    mark[v] = it
    touched[nt_] = v
    saved_seq, saved_n, saved_fixed, saved_pick = log
    saved_n[nt_, 0] = s.n[v]
    saved_n[nt_, 1] = s.depot_of[v]
    saved_fixed[nt_] = s.fixed[v]
    saved_pick[nt_, :] = s.pick[v, :]
    for i in range(s.n[v]):
        saved_seq[nt_, i] = s.seq[v, i]
    e = a.v_engineer[v]
    if emark[e] != it:
        emark[e] = it
        saved_free[e, :-1] = s.free[e, :]
        saved_free[e, -1] = s.restocks[e]
    return nt_ + 1


@njit(cache=True)
def _undo(a, s, pool, n_pool, touched, n_touched, log, saved_free, saved_left):
    """Put every route a rejected round touched back as it was."""
    nt = a.nt
    saved_seq, saved_n, saved_fixed, saved_pick = log
    for q in range(n_pool):
        s.where[pool[q]] = -1
    for i in range(n_touched):
        v = touched[i]
        for q in range(s.n[v]):
            s.seq[v, q] = -1
        s.n[v], s.depot_of[v], s.fixed[v] = saved_n[i, 0], saved_n[i, 1], saved_fixed[i]
        s.pick[v, :] = saved_pick[i, :]
        s.used[v, :] = 0
        for q in range(s.n[v]):
            x = saved_seq[i, q]
            s.seq[v, q] = x
            if x < nt:
                s.where[x] = v
                s.used[v, :] += a.need[x, :]
        e = a.v_engineer[v]
        s.free[e, :] = saved_free[e, :-1]
        s.restocks[e] = saved_free[e, -1]
        refresh(a, s, v)
    s.left[:] = saved_left


@njit(cache=True)
def keep_best(s, best):
    """Copy what defines the routes of `s` into `best` (costs and states follow by refresh)."""
    best.seq[:] = s.seq
    best.n[:] = s.n
    best.where[:] = s.where
    best.free[:] = s.free
    best.fixed[:] = s.fixed
    best.used[:] = s.used
    best.pick[:] = s.pick
    best.depot_of[:] = s.depot_of
    best.left[:] = s.left
    best.restocks[:] = s.restocks


@njit(cache=True)
def _missed(a, s, out):
    out[:] = 0
    for x in range(a.nt):
        if s.where[x] < 0:
            out[a.rank[x]] += 1


@njit(cache=True)
def _total(s):
    c = 0.0
    for v in range(len(s.cost)):
        if s.cost[v] != INF:
            c += s.cost[v]
    return c


@njit(cache=True)
def _better(m1, c1, m2, c2):
    for k in range(len(m1)):
        if m1[k] != m2[k]:
            return m1[k] < m2[k]
    return c1 < c2


@njit(cache=True)
def run(a, s, best, rounds, hot, cold, start, stop, seed, counters, missed_best, polish):
    """`rounds` rounds of ruin and recreate on state `s`, the temperature falling geometrically
    from hot * cold**start to hot * cold**stop; the best state met is kept in `best` (a RouteState
    too, see keep_best) with its missed tickets per tier and cost.
    `counters` carries the current and best cost and round counts between calls."""
    np.random.seed(seed)
    nv, nt = len(s.n), a.nt
    tiers = len(missed_best)
    missed = np.zeros(tiers, dtype=np.int64)
    trial = np.zeros(tiers, dtype=np.int64)
    _missed(a, s, missed)
    cap = s.seq.shape[1]
    mark = np.full(nv, -1, dtype=np.int64)
    emark = np.full(len(s.free), -1, dtype=np.int64)
    touched = np.empty(nv, dtype=np.int64)
    log = (
        np.empty((nv, cap), dtype=np.int64),  # sequence
        np.empty((nv, 2), dtype=np.int64),  # length, depot of the restock stop
        np.empty(nv, dtype=np.int64),  # fixed
        np.empty((nv, s.pick.shape[1]), dtype=np.int64),  # pickup
    )
    saved_free = np.zeros((len(s.free), s.free.shape[1] + 1), dtype=np.int64)  # + restocks
    saved_left = s.left.copy()
    pool = np.empty(nt, dtype=np.int64)
    keys = np.empty(nt, dtype=np.float64)
    taken_out = np.zeros(nt, dtype=np.bool_)
    ruined = np.zeros(nv, dtype=np.bool_)
    near_route = np.full(nv, -1, dtype=np.int64)
    cand = np.empty(nv, dtype=np.int64)
    served = np.empty(nt, dtype=np.int64)
    k_near = min(GRANULAR, a.neighbours.shape[1])
    deadline_span = max(1.0, float(np.abs(a.deadline[:nt]).max())) if nt else 1.0
    service_span = float(a.service[:nt].max()) if nt else 1.0
    for r in range(rounds):
        it = r
        frac = start + (stop - start) * r / max(1, rounds)
        temperature = hot * cold**frac
        n_served = 0
        for x in range(nt):
            if s.where[x] >= 0 and not s.pinned[x]:
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
        saved_left[:] = s.left
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
            n_touched = _touch(a, s, v, it, mark, touched, n_touched, log, emark, saved_free)
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
            n_ruined += 1
        # ---- the unplanned tickets the ruined routes could take join the pool
        for x in range(nt):
            if s.where[x] < 0 and not taken_out[x]:
                for v in range(nv):
                    if ruined[v] and a.allowed[x, v]:
                        pool[n_pool] = x
                        n_pool += 1
                        break
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
        order = np.argsort(keys[:n_pool], kind="mergesort")
        for q in order:
            x = pool[q]
            n_cand = 0
            if taken_out[x]:  # routes nearby, those ruined, the empty ones
                for i in range(k_near):
                    v = s.where[a.neighbours[x, i]]
                    if v >= 0 and near_route[v] != x:
                        near_route[v] = x
                        cand[n_cand] = v
                        n_cand += 1
                for v in range(nv):
                    if near_route[v] != x and (ruined[v] or s.n[v] == 0):
                        near_route[v] = x
                        cand[n_cand] = v
                        n_cand += 1
            else:  # it fitted nowhere before: only where room was made
                for v in range(nv):
                    if ruined[v]:
                        cand[n_cand] = v
                        n_cand += 1
            for c in range(n_cand):  # reset the scratch marks
                near_route[cand[c]] = -1
            added, v, k, d = best_insertion(a, s, x, cand[:n_cand], BLINK)
            if v >= 0:
                n_touched = _touch(a, s, v, it, mark, touched, n_touched, log, emark, saved_free)
                place(a, s, v, k, x, d)
        # ---- pick up no more than the visits need (the round may have moved parts work away)
        for i in range(n_touched):
            e = a.v_engineer[touched[i]]
            if s.restocks[e] > 0 and emark[e] == it:
                for j in range(a.e_shifts.shape[1]):
                    w = a.e_shifts[e, j]
                    if w >= 0:
                        n_touched = _touch(
                            a, s, w, it, mark, touched, n_touched, log, emark, saved_free
                        )
                tidy(a, s, e)
                emark[e] = -2 - it  # tidied this round
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
            missed[:] = trial
            counters[CURRENT] = cost
            counters[KEPT] += 1
            if _better(trial, cost, missed_best, counters[BEST]):
                missed_best[:] = trial
                counters[BEST] = cost
                keep_best(s, best)
        else:
            _undo(a, s, pool, n_pool, touched, n_touched, log, saved_free, saved_left)
        for q in range(n_pool):
            taken_out[pool[q]] = False
        for i in range(n_touched):
            ruined[touched[i]] = False
        counters[ROUNDS] += 1
    return counters


@njit(cache=True)
def _index(s, v, x):
    for i in range(s.n[v]):
        if s.seq[v, i] == x:
            return i
    return -1

"""Compiled helpers of search.linked: where a visit could start in the routes as they are, and
what placing it at exactly one instant costs on each engineer-shift (kept apart from linked.py so
that numba's cache of them survives edits there)."""

from __future__ import annotations

from .kernel import INF, lean, start_in
from .routes import best_in_shift


@lean
def earliest_starts(a, s, x, vehicles, out):
    """Earliest start of node x at every place of the given engineer-shifts (its current
    windows); returns how many were written to `out`."""
    m = 0
    for i in range(len(vehicles)):
        v = vehicles[i]
        if s.cost[v] == INF:
            continue
        for k in range(s.fixed[v], s.n[v] + 1):
            if s.st_cost[v, k] == INF:
                break
            prev = a.v_start[v] if k == 0 else s.seq[v, k - 1]
            t = start_in(a, x, s.st_t[v, k] + a.travel[prev, x])
            if t >= 0 and t <= a.v_shift_end[v] and m < len(out):
                out[m] = t
                m += 1
    return m


@lean
def costs_at(a, s, x, vehicles, t, costs, pos, dep):
    """Cheapest place of node x starting exactly at t on each of the engineer-shifts."""
    a.tw_start[x, 0] = t
    a.tw_end[x, 0] = t
    a.tw_n[x] = 1
    for i in range(len(vehicles)):
        c, k, d = best_in_shift(a, s, vehicles[i], x, INF, 0.0)
        costs[i] = c if k >= 0 else INF
        pos[i], dep[i] = k, d

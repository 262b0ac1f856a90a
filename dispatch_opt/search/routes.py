"""The routes under search, as arrays, and the compiled moves that change them in place.

`RouteState` holds every engineer-shift's sequence with its cached schedule states (see
kernel.record_states), where each ticket is, and the parts left on each engineer's van. Every
change goes through `put`/`take`, which keep those in step; `best_insertion` is the cheapest
insertion of a ticket, used by construction, ruin and recreate, the fast path and slot offers.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from .kernel import INF, record_states, splice_cost


class RouteState(NamedTuple):
    seq: np.ndarray  # (V, L) int64 nodes in visiting order
    n: np.ndarray  # (V,) items in use
    cost: np.ndarray  # (V,) route cost (kernel), INF if only frozen work makes it impossible
    st_t: np.ndarray  # (V, L + 1) schedule states before each item (kernel.record_states)
    st_cost: np.ndarray
    st_taken: np.ndarray
    st_last: np.ndarray
    latest: np.ndarray  # (V, L + 1) latest start of each item for the rest of the route to hold,
    # and latest return after the last; breaks left out, so an upper bound: a place that needs a
    # later start is surely infeasible
    where: np.ndarray  # (nt,) engineer-shift of each ticket, -1 unserved
    fixed: np.ndarray  # (V,) frozen visits at the head of each route: never moved
    pinned: np.ndarray  # (nt,) bool: a frozen visit
    locked: np.ndarray  # (V,) bool: holds a restock kept from the plan in force (stock after it
    # is not tracked here): takes tickets, is never ruined nor a source of moves
    free: np.ndarray  # (E, P) parts left on each engineer's van (no restock counted)
    seen: np.ndarray  # (V,) scratch: alike classes of empty routes tried in one insertion


def new_state(a, capacity: int) -> RouteState:
    nv, ne = len(a.v_start), len(a.van)
    length = capacity + 1
    s = RouteState(
        seq=np.full((nv, length), -1, dtype=np.int64),
        n=np.zeros(nv, dtype=np.int64),
        cost=np.zeros(nv, dtype=np.float64),
        st_t=np.zeros((nv, length + 1), dtype=np.int64),
        st_cost=np.zeros((nv, length + 1), dtype=np.float64),
        st_taken=np.zeros((nv, length + 1), dtype=np.int64),
        st_last=np.zeros((nv, length + 1), dtype=np.int64),
        latest=np.zeros((nv, length + 1), dtype=np.int64),
        where=np.full(a.nt, -1, dtype=np.int64),
        fixed=np.zeros(nv, dtype=np.int64),
        pinned=np.zeros(a.nt, dtype=bool),
        locked=np.zeros(nv, dtype=bool),
        free=a.van.copy().reshape(ne, a.need.shape[1]),
        seen=np.full(nv, -1, dtype=np.int64),
    )
    for v in range(nv):
        refresh(a, s, v)
    return s


def route_capacity(a) -> int:
    """Most items a route can hold: bounded by the tickets and by the shift's length."""
    n = len(a.service)
    if a.nt == 0:
        return 2
    shortest = max(60, int(a.service[: a.nt].min()))
    longest = int((a.v_latest - a.v_depart).max()) if len(a.v_latest) else 0
    return int(min(n, longest // shortest + 2))


@njit(cache=True)
def refresh(a, s, v):
    """Recompute route v's cost and states after its sequence changed."""
    s.cost[v] = record_states(
        a, v, s.seq[v], s.n[v], s.st_t[v], s.st_cost[v], s.st_taken[v], s.st_last[v]
    )
    n, seq = s.n[v], s.seq[v]
    nxt = a.v_end[v]
    s.latest[v, n] = a.v_latest[v]
    for k in range(n - 1, -1, -1):
        x = seq[k]
        due = min(a.tw_end[x, a.tw_n[x] - 1], a.v_shift_end[v])
        s.latest[v, k] = min(due, s.latest[v, k + 1] - a.travel[x, nxt] - a.service[x])
        nxt = x


@njit(cache=True)
def _use(a, s, v, x, sign):
    if x < a.nt:
        e = a.v_engineer[v]
        for p in range(a.need.shape[1]):
            s.free[e, p] -= sign * a.need[x, p]


@njit(cache=True)
def put(a, s, v, k, x):
    """Insert node x into route v before position k."""
    n = s.n[v]
    for i in range(n, k, -1):
        s.seq[v, i] = s.seq[v, i - 1]
    s.seq[v, k] = x
    s.n[v] = n + 1
    if x < a.nt:
        s.where[x] = v
    _use(a, s, v, x, 1)
    refresh(a, s, v)


@njit(cache=True)
def take(a, s, v, k):
    """Remove the item at position k of route v; returns its node."""
    x = s.seq[v, k]
    n = s.n[v]
    for i in range(k, n - 1):
        s.seq[v, i] = s.seq[v, i + 1]
    s.seq[v, n - 1] = -1
    s.n[v] = n - 1
    if x < a.nt:
        s.where[x] = -1
    _use(a, s, v, x, -1)
    refresh(a, s, v)
    return x


@njit(cache=True)
def stock_ok(a, s, v, x):
    """The engineer's van still holds every part ticket x uses up."""
    e = a.v_engineer[v]
    for p in range(a.need.shape[1]):
        if s.free[e, p] < a.need[x, p]:
            return False
    return True


@njit(cache=True)
def insertion_cost(a, s, v, k, x, mid):
    """Added cost of putting x before position k of route v (INF if infeasible)."""
    mid[0] = x
    c = splice_cost(
        a,
        v,
        s.seq[v],
        s.n[v],
        k,
        mid,
        1,
        k,
        s.st_t[v],
        s.st_cost[v],
        s.st_taken[v],
        s.st_last[v],
        s.cost[v],
    )
    return c - s.cost[v]


@njit(cache=True)
def best_in_route(a, s, v, x, bound, mid, blink):
    """Cheapest place for x in route v, if cheaper than `bound`: (added cost, position) or
    (INF, -1). Places are skipped where x would arrive after its last window closes, where the
    added travel alone reaches the bound, and, with probability
    `blink`, at random (SISR's blinks); and where what follows would surely start too late
    (`latest`). The travel a place adds is nearly always a lower bound on
    its cost (a break moved into waiting time can make it cheaper still, rarely)."""
    best, where = bound, -1
    n = s.n[v]
    last_close = a.tw_end[x, a.tw_n[x] - 1] if a.tw_n[x] > 0 else -1
    seq = s.seq[v]
    for k in range(s.fixed[v], n + 1):
        prev = a.v_start[v] if k == 0 else seq[k - 1]
        nxt = a.v_end[v] if k == n else seq[k]
        arrive = s.st_t[v, k] + a.travel[prev, x]
        if arrive > last_close or s.st_cost[v, k] == INF:
            continue
        start = max(arrive, a.tw_start[x, 0])
        if start + a.service[x] + a.travel[x, nxt] > s.latest[v, k]:
            continue  # what follows would surely start too late
        detour = a.travel[prev, x] + a.travel[x, nxt] - a.travel[prev, nxt]
        if detour >= best:
            continue
        if blink > 0.0 and np.random.random() < blink:
            continue
        c = insertion_cost(a, s, v, k, x, mid)
        if c < best:
            best, where = c, k
    return best, where


@njit(cache=True)
def best_insertion(a, s, x, vehicles, blink):
    """Cheapest feasible place for ticket x among `vehicles`: (added cost, vehicle, position),
    vehicle -1 if none. Only one empty route of each alike class is tried."""
    mid = np.empty(1, dtype=np.int64)
    best, bv, bk = INF, -1, -1
    for i in range(len(vehicles)):
        v = vehicles[i]
        if not a.allowed[x, v] or s.cost[v] == INF or not stock_ok(a, s, v, x):
            continue
        if s.n[v] == 0:
            if s.seen[a.v_alike[v]] == x:
                continue
            s.seen[a.v_alike[v]] = x
        c, k = best_in_route(a, s, v, x, best, mid, blink)
        if k >= 0:
            best, bv, bk = c, v, k
    for i in range(len(vehicles)):  # clear the scratch marks for the next call
        if s.n[vehicles[i]] == 0:
            s.seen[a.v_alike[vehicles[i]]] = -1
    return best, bv, bk

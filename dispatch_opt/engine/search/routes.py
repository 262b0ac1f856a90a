"""The routes under search, as arrays, and the compiled moves that change them in place.

`RouteState` holds every engineer-shift's sequence with its cached schedule states (see
kernel.record_states), where each ticket is, and the parts on each engineer's van. Every change
goes through `put`/`take`, which keep those in step; `best_insertion` is the cheapest insertion of
a ticket, used by construction, ruin and recreate, the fast path and slot offers.

Restock as a move: when a van lacks a part a ticket needs, the insertion may add a restock stop at
a depot that holds it, at the head of the route (after frozen work), or pick up more at the one
already there; `tidy` cuts pickups back to what the visits need and drops a stop that picks up
nothing. Stock is then checked along the engineer's shifts in order (`room`, `stock_holds`).
A tool works the same way, but is not used up: once picked up it stays on the van for the rest of
the engineer's shifts, and the depots never run out of it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .kernel import DUTY, INF, lean, record_states, splice_cost, visit_cost, visit_start


class RouteState(NamedTuple):
    seq: np.ndarray  # (V, L) int64 nodes in visiting order
    n: np.ndarray  # (V,) items in use
    cost: np.ndarray  # (V,) route cost (kernel), INF if only frozen work makes it impossible
    st_t: np.ndarray  # (V, L + 1) schedule states before each item (kernel.record_states)
    st_cost: np.ndarray
    st_taken: np.ndarray
    st_last: np.ndarray
    st_duty: np.ndarray  # (V, L + 1, kernel.DUTY) on-duty accumulators before each item
    latest: np.ndarray  # (V, L + 1) latest start of each item for the rest of the route to hold,
    # and latest return after the last; breaks left out, so an upper bound: a place that needs a
    # later start is surely infeasible
    slack: np.ndarray  # (V, L + 1) how much later than now each item could be reached (the last:
    # home) without any cost or window changing downstream: a delay within it costs nothing but
    # its travel (PyVRP's and VROOM's forward slack); -1 where unknown (owed breaks, balance)
    where: np.ndarray  # (nt,) engineer-shift of each ticket, -1 unserved
    fixed: np.ndarray  # (V,) frozen visits at the head of each route: never moved
    pinned: np.ndarray  # (nt,) bool: a frozen visit
    locked: np.ndarray  # (V,) bool: holds a restock kept from the plan in force (its pickup is
    # in `pick` and `restocks`, so the van's level along the shifts counts it; it never gets a
    # restock of the search's): takes tickets, is never ruined nor a source of moves
    free: np.ndarray  # (E, P) parts left on each engineer's van after its last shift: what it
    # held, plus what its restocks picked up (the search's and those kept from the plan in
    # force), less what the visits used
    seen: np.ndarray  # (V,) scratch: alike classes of empty routes tried in one insertion
    used: np.ndarray  # (V, P) parts the visits of each engineer-shift use up
    pick: np.ndarray  # (V, P) parts picked up at the search's restock stop heading the route
    tool_pick: np.ndarray  # (V, T) bool: tools picked up there
    depot_of: np.ndarray  # (V,) depot of that restock stop (it sits right after the frozen
    # visits, counted in `fixed`, so no operator moves it), -1 for none
    left: np.ndarray  # (D, P) parts each depot still holds
    restocks: np.ndarray  # (E,) restock stops per engineer (the search's and those kept); with
    # none, `free` alone says what the van can still give, since stock then only falls along the
    # shifts
    mid: np.ndarray  # (1,) scratch of insertion_cost
    buf: np.ndarray  # (2, L) scratch of the operators: the new sequences of the routes they touch
    lens: np.ndarray  # (2,) their lengths (-1: the second route unchanged)


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
        st_duty=np.zeros((nv, length + 1, DUTY), dtype=np.int64),
        latest=np.zeros((nv, length + 1), dtype=np.int64),
        slack=np.full((nv, length + 1), -1, dtype=np.int64),
        where=np.full(a.nt, -1, dtype=np.int64),
        fixed=np.zeros(nv, dtype=np.int64),
        pinned=np.zeros(a.nt, dtype=bool),
        locked=np.zeros(nv, dtype=bool),
        free=a.van.copy().reshape(ne, a.need.shape[1]),
        seen=np.full(nv, -1, dtype=np.int64),
        used=np.zeros((nv, a.need.shape[1]), dtype=np.int64),
        pick=np.zeros((nv, a.need.shape[1]), dtype=np.int64),
        tool_pick=np.zeros((nv, a.tools.shape[1]), dtype=np.bool_),
        depot_of=np.full(nv, -1, dtype=np.int64),
        left=a.depot_parts.copy(),
        restocks=np.zeros(ne, dtype=np.int64),
        mid=np.zeros(1, dtype=np.int64),
        buf=np.zeros((2, length), dtype=np.int64),
        lens=np.zeros(2, dtype=np.int64),
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


@lean
def refresh(a, s, v):
    """Recompute route v's cost and states after its sequence changed."""
    s.cost[v] = record_states(
        a,
        v,
        s.seq[v],
        s.n[v],
        s.st_t[v],
        s.st_cost[v],
        s.st_taken[v],
        s.st_last[v],
        s.st_duty[v],
    )
    n, seq = s.n[v], s.seq[v]
    nxt = a.v_end[v]
    s.latest[v, n] = a.v_latest[v]
    for k in range(n - 1, -1, -1):
        x = seq[k]
        due = min(a.tw_end[x, a.tw_n[x] - 1], a.v_shift_end[v])
        s.latest[v, k] = min(due, s.latest[v, k + 1] - a.travel[x, nxt] - a.service[x])
        nxt = x
    _slack(a, s, v)


@lean
def _slack(a, s, v):
    """Forward slack of each item of route v (see RouteState.slack): a delay on arrival is first
    absorbed by waiting, then must keep the start within its window, before an SLA deadline or
    a promised start it meets, and the return within the shift; a break owed, workload balance
    (a cost on every start) or a cost on duty (waiting used up moves the departure) leave it
    unknown."""
    n, seq = s.n[v], s.seq[v]
    if a.b_n[v] > 0 or a.balance > 0.0 or a.w_duty > 0.0 or s.cost[v] == INF:
        s.slack[v, : n + 1] = -1
        return
    last = a.v_start[v] if n == 0 else seq[n - 1]
    s.slack[v, n] = a.v_latest[v] - s.st_t[v, n] - a.travel[last, a.v_end[v]]
    for i in range(n - 1, -1, -1):
        x = seq[i]
        prev = a.v_start[v] if i == 0 else seq[i - 1]
        start = s.st_t[v, i + 1] - a.service[x]
        wait = start - s.st_t[v, i] - a.travel[prev, x]
        room = a.v_shift_end[v] - start
        for k in range(a.tw_n[x]):  # the window the visit starts in
            if a.tw_start[x, k] <= start <= a.tw_end[x, k]:
                room = min(room, a.tw_end[x, k] - start)
                break
        if x < a.nt:
            room = min(room, max(0, a.deadline[x] - start)) if a.weight[x] > 0 else room
            if a.promised[x] >= 0:
                room = min(room, max(0, a.promised[x] + a.eta_tol - start))
        s.slack[v, i] = wait + min(room, s.slack[v, i + 1])


@lean
def _use(a, s, v, x, sign):
    if x < a.nt:
        e = a.v_engineer[v]
        for p in range(a.need.shape[1]):
            s.free[e, p] -= sign * a.need[x, p]
            s.used[v, p] += sign * a.need[x, p]


@lean
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


@lean
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


@lean
def room_of(a, s, v, p):
    """How much of part p work on engineer-shift v may still use up: the least the van holds
    after v or any later shift of its engineer (a restock of the search's picks up at a route's
    head, so stock is lowest at the end of a shift; see `low` for one kept from the plan in
    force)."""
    e = a.v_engineer[v]
    if s.restocks[e] == 0:
        return s.free[e, p]
    level, least, after = a.van[e, p], 0, False
    for i in range(a.e_shifts.shape[1]):
        w = a.e_shifts[e, i]
        if w < 0:
            break
        level += s.pick[w, p] - s.used[w, p]
        if w == v:
            least, after = low(s, w, p, level), True
        elif after:
            least = min(least, low(s, w, p, level))
    return least


@lean
def low(s, w, p, level):
    """The least the van holds of part p during engineer-shift w, `level` being what it holds
    at the end: a restock kept from the plan in force (locked route) may come after any visit of
    w, so its pickup is not counted within w (it is for the shifts after)."""
    return level - s.pick[w, p] if s.locked[w] else level


@lean
def stock_ok(a, s, v, x):
    """The engineer's van still holds every part ticket x uses up, on engineer-shift v."""
    for p in range(a.need.shape[1]):
        if a.need[x, p] > 0 and room_of(a, s, v, p) < a.need[x, p]:
            return False
    return True


@lean
def _tool_on_van(a, s, v, t):
    """Tool t is on the van at engineer-shift v: from the start, or picked up at the head of this
    or an earlier shift (a restock kept from the plan in force: only for the shifts after it)."""
    e = a.v_engineer[v]
    if a.van_tools[e, t]:
        return True
    if s.restocks[e] > 0:
        for i in range(a.e_shifts.shape[1]):
            w = a.e_shifts[e, i]
            if w < 0 or w == v and s.locked[v]:
                break
            if s.tool_pick[w, t]:
                return True
            if w == v:
                break
    return False


@lean
def tools_ok(a, s, v, x):
    """Every tool ticket x needs is on the van at engineer-shift v."""
    if a.allowed[x, v]:
        return True
    for t in range(a.tools.shape[1]):
        if a.tools[x, t] and not _tool_on_van(a, s, v, t):
            return False
    return True


@lean
def stock_holds(a, s, e, v1, buf1, n1, v2, buf2, n2):
    """Engineer e's van never runs short along its shifts if route v1 became buf1[:n1] and route
    v2 became buf2[:n2] (n2 < 0: v2 unchanged). Needed only when e has restock stops."""
    if s.restocks[e] == 0:
        return True
    for p in range(a.need.shape[1]):
        level = a.van[e, p]
        for i in range(a.e_shifts.shape[1]):
            w = a.e_shifts[e, i]
            if w < 0:
                break
            level += s.pick[w, p]
            if w == v1 or (w == v2 and n2 >= 0):
                buf, n = (buf1, n1) if w == v1 else (buf2, n2)
                for j in range(n):
                    if buf[j] < a.nt:
                        level -= a.need[buf[j], p]
            else:
                level -= s.used[w, p]
            if low(s, w, p, level) < 0:
                return False
    return True


@lean
def _depot_has(a, s, d, v, x):
    """Depot d holds what ticket x needs beyond what the van can still give on engineer-shift v:
    parts and tools."""
    for p in range(a.need.shape[1]):
        if a.need[x, p] > 0 and s.left[d, p] < a.need[x, p] - room_of(a, s, v, p):
            return False
    for t in range(a.tools.shape[1]):
        if a.tools[x, t] and not a.depot_tools[d, t] and not _tool_on_van(a, s, v, t):
            return False
    return True


@lean
def best_in_shift(a, s, v, x, bound, blink):
    """Cheapest place for ticket x on engineer-shift v, if cheaper than `bound`: (added cost,
    position, depot), position -1 if none. With a depot >= 0 the van is short and picks up the
    rest at that depot: at the restock stop already heading the route, or at one added there
    (restock as a move: the position is then in the route with that stop)."""
    if not a.eligible[x, v] or s.cost[v] == INF:
        return INF, -1, -1
    if tools_ok(a, s, v, x) and stock_ok(a, s, v, x):
        c, k = best_in_route(a, s, v, x, bound, blink)
        return c, k, -1
    if s.locked[v]:  # a restock kept from the plan in force: stock after it is not tracked
        return INF, -1, -1
    d = s.depot_of[v]
    if d >= 0:
        if not _depot_has(a, s, d, v, x):
            return INF, -1, -1
        c, k = best_in_route(a, s, v, x, bound, blink)
        return c, k, d
    best, bk, bd = bound, -1, -1
    f, before = s.fixed[v], s.cost[v]
    prev = a.v_start[v] if f == 0 else s.seq[v, f - 1]
    nxt = a.v_end[v] if f == s.n[v] else s.seq[v, f]
    for d in range(a.restock_node.shape[1]):
        r = a.restock_node[v, d]
        if r < 0 or not _depot_has(a, s, d, v, x):
            continue
        if a.w_travel * (a.travel[prev, r] + a.travel[r, nxt] - a.travel[prev, nxt]) >= best:
            continue  # the detour alone costs more than the best place found
        put(a, s, v, f, r)
        s.fixed[v] = f + 1
        detour = s.cost[v] - before
        if detour < best:
            c, k = best_in_route(a, s, v, x, best - detour, blink)
            if k >= 0:
                best, bk, bd = c + detour, k, d
        take(a, s, v, f)
        s.fixed[v] = f
    return best, bk, bd


@lean
def place(a, s, v, k, x, d):
    """Put ticket x before position k of route v, as `best_in_shift` found it: with depot d >= 0,
    the van picks up what it lacks there, at a restock stop heading the route (added if none)."""
    if d >= 0:
        e = a.v_engineer[v]
        if s.depot_of[v] < 0:
            put(a, s, v, s.fixed[v], a.restock_node[v, d])
            s.fixed[v] += 1
            s.depot_of[v] = d
            s.restocks[e] += 1
        for p in range(a.need.shape[1]):
            if a.need[x, p] == 0:
                continue  # only what x uses (its depot was checked for those: _depot_has)
            short = max(0, a.need[x, p] - room_of(a, s, v, p))
            s.pick[v, p] += short
            s.left[d, p] -= short
            s.free[e, p] += short
        for t in range(a.tools.shape[1]):
            if a.tools[x, t] and not _tool_on_van(a, s, v, t):
                s.tool_pick[v, t] = True
    put(a, s, v, k, x)


@lean
def _tool_needed(a, s, e, i, t):
    """A visit on engineer e's i-th shift or a later one needs tool t."""
    for j in range(i, a.e_shifts.shape[1]):
        u = a.e_shifts[e, j]
        if u < 0:
            break
        for q in range(s.n[u]):
            x = s.seq[u, q]
            if x < a.nt and a.tools[x, t]:
                return True
    return False


@lean
def tidy(a, s, e):
    """Pick up no more than engineer e's visits need: a tool only at the first stop after which a
    visit needs it (if the van lacks it), parts cut latest first; a restock stop that then picks
    up nothing is taken out."""
    if s.restocks[e] == 0:
        return
    for i in range(a.e_shifts.shape[1]):  # tools: earliest first
        w = a.e_shifts[e, i]
        if w < 0:
            break
        if s.depot_of[w] >= 0:
            for t in range(a.tools.shape[1]):
                if s.tool_pick[w, t]:
                    s.tool_pick[w, t] = False
                    s.tool_pick[w, t] = not _tool_on_van(a, s, w, t) and _tool_needed(a, s, e, i, t)
    for i in range(a.e_shifts.shape[1] - 1, -1, -1):  # parts: latest first
        w = a.e_shifts[e, i]
        if w < 0 or s.depot_of[w] < 0:
            continue
        d, empty = s.depot_of[w], True
        for p in range(a.need.shape[1]):
            spare, level = s.pick[w, p], a.van[e, p]  # spare: the least the van holds from w on
            for j in range(a.e_shifts.shape[1]):
                u = a.e_shifts[e, j]
                if u < 0:
                    break
                level += s.pick[u, p] - s.used[u, p]
                if j >= i:
                    spare = min(spare, low(s, u, p, level))
            spare = max(0, spare)
            s.pick[w, p] -= spare
            s.left[d, p] += spare
            s.free[e, p] -= spare
            empty = empty and s.pick[w, p] == 0
        for t in range(a.tools.shape[1]):
            empty = empty and not s.tool_pick[w, t]
        if empty:
            s.fixed[w] -= 1
            take(a, s, w, s.fixed[w])
            s.depot_of[w] = -1
            s.restocks[e] -= 1


@lean
def insertion_cost(a, s, v, k, x):
    """Added cost of putting x before position k of route v (INF if infeasible): in O(1) when
    the delay it causes stays within the forward slack there, else evaluated from position k."""
    if s.slack[v, k] >= 0:
        seq = s.seq[v]
        prev = a.v_start[v] if k == 0 else seq[k - 1]
        nxt = a.v_end[v] if k == s.n[v] else seq[k]
        start = visit_start(a, x, s.st_t[v, k] + a.travel[prev, x])
        if start >= 0 and start <= a.v_shift_end[v]:
            delay = start + a.service[x] + a.travel[x, nxt] - s.st_t[v, k] - a.travel[prev, nxt]
            if 0 <= delay <= s.slack[v, k]:
                detour = a.travel[prev, x] + a.travel[x, nxt] - a.travel[prev, nxt]
                return a.w_travel * detour + visit_cost(a, v, x, start)
    mid = s.mid
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
        s.st_duty[v],
        s.cost[v],
    )
    return c - s.cost[v]


@lean
def best_in_route(a, s, v, x, bound, blink):
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
        detour = a.w_travel * (a.travel[prev, x] + a.travel[x, nxt] - a.travel[prev, nxt])
        if detour >= best:
            continue
        if blink > 0.0 and np.random.random() < blink:
            continue
        c = insertion_cost(a, s, v, k, x)
        if c < best:
            best, where = c, k
    return best, where


@lean
def best_insertion(a, s, x, vehicles, blink):
    """Cheapest feasible place for ticket x among `vehicles`: (added cost, vehicle, position,
    depot; see best_in_shift), vehicle -1 if none. Only one empty route of each alike class is
    tried."""
    best, bv, bk, bd = INF, -1, -1, -1
    for i in range(len(vehicles)):
        v = vehicles[i]
        if not a.eligible[x, v] or s.cost[v] == INF:
            continue
        if s.n[v] == 0:
            if s.seen[a.v_alike[v]] == x:
                continue
            s.seen[a.v_alike[v]] = x
        c, k, d = best_in_shift(a, s, v, x, best, blink)
        if k >= 0:
            best, bv, bk, bd = c, v, k, d
    for i in range(len(vehicles)):  # clear the scratch marks for the next call
        if s.n[vehicles[i]] == 0:
            s.seen[a.v_alike[vehicles[i]]] = -1
    return best, bv, bk, bd

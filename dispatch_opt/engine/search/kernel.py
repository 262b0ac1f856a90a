"""The route-evaluation kernel, compiled with numba: the schedule and cost of one engineer-shift.

A route is the ticket (and kept restock) nodes of one engineer-shift in visiting order; breaks are
not items of it: the kernel takes each owed break where it costs nothing (while waiting anyway) or
else as late as it still fits, so every operator can move visits without carrying breaks around.
A visit starts at the earliest moment its windows (and a promised start, in a re-plan) allow.

Cost of a route, in the objective's units (a second of driving = 1): lateness past each
ticket's SLA deadline weighted by tier, a promised start shifted beyond the tolerance, moving a
ticket off the engineer-shift that had it in the plan in force, serving a ticket by another
engineer than its preferred one, for workload balance each visit by how long its engineer has
been out when it starts, and the scenario's costs: travel and on-duty time (`w_travel`,
`w_duty`). Infeasible routes cost `INF`.

On-duty time is what the plan will show (engine/timing.py): each stop but the last is pushed as
late as the next allows (within its window, before a deadline it meets, not across a break; held
stops stay), the route departs as late as its first stop then allows and returns after the last.
The push of the first stop is min over stops k of (waiting before k + room of k), the last stop's
room 0: carried forward in three numbers (`ahead`, `waits`, `room`), so the forward pass alone
finds it (PyVRP's DurationSegment idea: the least duration of a sequence with time windows).

Besides the full evaluation, `splice_cost` evaluates a route changed in one place (an insertion, a
removal, a string put in or taken out, a tail exchanged) from the states recorded before each
position and stops where the new schedule meets the old one: the rest is then unchanged (the
forward-data idea of PyVRP's DurationSegment and VROOM's TWRoute, for routes with breaks).

`reference.py` holds a plain-Python evaluator written separately; the tests hold the two to exact
agreement on thousands of random routes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INF = np.inf
FAR = 1 << 60  # no bound on how much later a stop may start
DUTY = 7  # per recorded state: ahead, waits, room, head, lid, bound, push (see record_states)
# Compiled with numba's reference counting off: these functions allocate nothing, and counting
# references to the problem's arrays on every access cost about a hundred times their arithmetic
# (measured: 140 ns against 2 ns for one visit's cost). Callers keep every array alive.
lean = njit(cache=True, _nrt=False, nogil=True)


@lean
def start_in(a, x, t):
    """Earliest start at or after t inside one of node x's windows, or -1."""
    for k in range(a.tw_n[x]):
        if t <= a.tw_end[x, k]:
            return max(a.tw_start[x, k], t)
    return -1


@lean
def visit_start(a, x, arrive):
    """A visit starts on arrival, or when its window opens; in a re-plan, no earlier than the
    tolerance around the start promised to the customer allows (work under way: as promised)."""
    if x < a.nt and a.not_before[x] > arrive:
        return start_in(a, x, a.not_before[x])
    return start_in(a, x, arrive)


@lean
def visit_cost(a, v, x, start):
    """Lateness past the SLA deadline, a promised start missed, a move off the engineer-shift, an
    engineer other than the preferred one, and (workload balance) how long the engineer has been
    out."""
    if x >= a.nt:
        return 0.0
    c = 0.0
    late = start - a.deadline[x]
    if late > 0:
        c += a.weight[x] * late
    if a.promised[x] >= 0:
        shift = start - a.promised[x] - a.eta_tol
        if shift > 0:
            c += a.eta_w * shift
    if a.was_on[x] >= 0 and a.was_on[x] != v:
        c += a.move
    if a.preferred[x] >= 0 and a.preferred[x] != a.v_engineer[v]:
        c += a.prefer
    if a.balance > 0.0:
        c += a.balance * (start - a.v_depart[v])
    return c


@lean
def step(a, v, loc, t, taken, x, breaks):
    """From `loc`, free at t with `taken` breaks done, on to visit x, taking owed breaks on the way
    where they cost nothing or cannot wait. Returns (feasible, start of x, breaks taken)."""
    tr = a.travel[loc, x]
    s0 = visit_start(a, x, t + tr)
    if s0 < 0:
        return False, 0, taken
    while taken < a.b_n[v]:
        b0, b1, d = a.b_start[v, taken], a.b_end[v, taken], a.b_dur[v, taken]
        bs = max(t, b0)
        if bs + d > b1:
            return False, 0, taken
        s1 = visit_start(a, x, bs + d + tr)
        if s1 == s0 or max(s0 + a.service[x], b0) + d > b1:  # free now, or now or never
            if s1 < 0:
                return False, 0, taken
            if breaks.size:
                breaks[taken] = bs
            t, s0, taken = bs + d, s1, taken + 1
        else:
            break
    if s0 > a.v_shift_end[v]:
        return False, 0, taken
    return True, s0, taken


@lean
def stop_room(a, x, start):
    """How much later stop x, starting at `start`, may start in the plan (timing.py): within the
    window it starts in and, for a ticket, before an SLA deadline it meets; 0 for held stops and
    late visits."""
    if a.held[x]:
        return 0
    room = FAR
    for k in range(a.tw_n[x]):
        if a.tw_start[x, k] <= start <= a.tw_end[x, k]:
            room = a.tw_end[x, k] - start
            break
    if x < a.nt:
        if start > a.deadline[x]:
            return 0
        room = min(room, a.deadline[x] - start)
    return room


@lean
def fold(a, v, loc, t, taken0, taken, x, s, ahead, waits, room):
    """After stepping from the stop at `loc` (free at t, `taken0` breaks done) to x starting at s:
    that stop's push bound is folded in (its room, cut by a break taken after it) and the waiting
    between the two added. Returns (ahead, waits, room of x, that stop's bound)."""
    brk, cut = 0, FAR
    if taken > taken0:
        cut = max(t, a.b_start[v, taken0]) - t
        for k in range(taken0, taken):
            brk += a.b_dur[v, k]
    bound = min(room, cut)
    ahead = min(ahead, waits + bound)
    waits += s - t - a.travel[loc, x] - brk
    return ahead, waits, stop_room(a, x, s), bound


@lean
def opening(a, v, taken, x, s):
    """(head, lid) of a route whose first stop x starts at s after `taken` breaks: the departure
    before any push, and the start of a break taken before the first stop (FAR: none), which the
    departure may not pass."""
    brk = 0
    for k in range(taken):
        brk += a.b_dur[v, k]
    lid = max(a.v_depart[v], a.b_start[v, 0]) if taken > 0 else FAR
    return s - a.travel[a.v_start[v], x] - brk, lid


@lean
def carry(a, v, opens, loc, t, taken0, taken, x, s, ahead, waits, room, head, lid):
    """The on-duty accumulators after item x (starting at s; `opens`: the route's first item;
    see the module's note) and the bound folded in for the item before; nothing is carried
    without a cost on duty."""
    if a.w_duty == 0.0:
        return ahead, waits, room, head, lid, 0
    if opens:
        head, lid = opening(a, v, taken, x, s)
        return ahead, waits, stop_room(a, x, s), head, lid, 0
    ahead, waits, room, bound = fold(a, v, loc, t, taken0, taken, x, s, ahead, waits, room)
    return ahead, waits, room, head, lid, bound


@lean
def finish(a, v, loc, t, cost, taken, last_start, breaks, ahead, waits, head, lid):
    """Home from `loc` (free at t); breaks still owed at the end. The route's cost, or INF.

    A break is owed only if the engineer is still out when its interval ends. One owed at the end
    is taken after the last stop; the OR-Tools model must accept the route too, so it also needs
    room there before the route's clock stops or on the way home within the shift (see
    ortools_model.add_time). With a cost on duty, adds return - depart (see the module's note)."""
    home = a.travel[loc, a.v_end[v]]
    if t + home > a.v_latest[v]:
        return INF
    overtime = a.v_latest[v] - a.v_shift_end[v]
    last_end, brk = t, 0
    for k in range(taken, a.b_n[v]):
        b0, b1, d = a.b_start[v, k], a.b_end[v, k], a.b_dur[v, k]
        if last_end + home < b1:
            continue  # home before the interval ends: not owed
        bs = max(t, b0)
        if bs + d > b1:
            return INF
        if last_start < 0:
            clock = a.v_depart[v]
        else:
            clock = last_start + max(0, last_end - last_start + home - overtime)
        on_the_way = max(last_end, b0) + d + max(0, home - overtime) <= a.v_shift_end[v]
        if clock > b1 - d and not on_the_way:
            return INF
        if breaks.size:
            breaks[k] = bs
        t = bs + d
        brk += d
    cost = cost + a.w_travel * home
    if a.w_duty > 0.0 and last_start >= 0:
        depart = departure(a, v, head, min(ahead, waits), lid)
        back = min(a.v_latest[v], max(last_end + home + brk, t))
        cost = cost + a.w_duty * (back - depart)
    return cost


@lean
def route_cost(a, v, seq, n, starts, breaks):
    """Cost of route v visiting seq[:n]; fills `starts` (per item) and `breaks` (per owed break,
    -1 if not taken) when given arrays of that size."""
    loc, t, cost, taken, last_start = a.v_start[v], a.v_depart[v], 0.0, 0, -1
    ahead, waits, room, head, lid = FAR, 0, 0, 0, FAR
    for i in range(n):
        x = seq[i]
        taken0 = taken
        ok, s, taken = step(a, v, loc, t, taken, x, breaks)
        if not ok:
            return INF
        if starts.size:
            starts[i] = s
        ahead, waits, room, head, lid, _ = carry(
            a, v, i == 0, loc, t, taken0, taken, x, s, ahead, waits, room, head, lid
        )
        cost += a.w_travel * a.travel[loc, x] + visit_cost(a, v, x, s)
        loc, t, last_start = x, s + a.service[x], s
    return finish(a, v, loc, t, cost, taken, last_start, breaks, ahead, waits, head, lid)


@lean
def record_states(a, v, seq, n, st_t, st_cost, st_taken, st_last, st_duty):
    """Route cost, and the schedule state before each item and after the last: free at st_t,
    cost so far st_cost, breaks taken st_taken, start of the item before st_last (-1: none), and
    st_duty the on-duty accumulators (ahead, waits, room, head, lid; see the module's note), the
    bound of the item two back (folded on the way in) and the push of the item before (how much
    later the plan starts it; from a backward pass, for splice_cost to resume from)."""
    none = a.no_timeline
    loc, t, cost, taken, last_start = a.v_start[v], a.v_depart[v], 0.0, 0, -1
    ahead, waits, room, head, lid, bound = FAR, 0, 0, 0, FAR, 0
    for i in range(n):
        st_t[i], st_cost[i], st_taken[i], st_last[i] = t, cost, taken, last_start
        _duty(st_duty, i, ahead, waits, room, head, lid, bound)
        x = seq[i]
        taken0 = taken
        ok, s, taken = step(a, v, loc, t, taken, x, none)
        if not ok:
            for j in range(i + 1, n + 1):
                st_t[j], st_cost[j], st_taken[j], st_last[j] = t, INF, taken, last_start
            return INF
        ahead, waits, room, head, lid, bound = carry(
            a, v, i == 0, loc, t, taken0, taken, x, s, ahead, waits, room, head, lid
        )
        cost += a.w_travel * a.travel[loc, x] + visit_cost(a, v, x, s)
        loc, t, last_start = x, s + a.service[x], s
    st_t[n], st_cost[n], st_taken[n], st_last[n] = t, cost, taken, last_start
    _duty(st_duty, n, ahead, waits, room, head, lid, bound)
    push = 0  # the last item stays; each before it: min(its bound, waiting + the next's push)
    st_duty[n, 6] = 0
    for k in range(n - 2 if a.w_duty > 0.0 else -1, -1, -1):
        push = min(st_duty[k + 2, 5], st_duty[k + 2, 1] - st_duty[k + 1, 1] + push)
        st_duty[k + 1, 6] = push
    return finish(a, v, loc, t, cost, taken, last_start, none, ahead, waits, head, lid)


@lean
def _duty(st_duty, i, ahead, waits, room, head, lid, bound):
    st_duty[i, 0], st_duty[i, 1], st_duty[i, 2] = ahead, waits, room
    st_duty[i, 3], st_duty[i, 4], st_duty[i, 5] = head, lid, bound


@lean
def departure(a, v, head, push, lid):
    """When the plan's route departs: as late as its first stop, pushed, allows (see the module's
    note), not past a break taken before it."""
    return max(a.v_depart[v], min(head + push, lid))


@lean
def splice_cost(a, v, seq, n, k, mid, n_mid, j, st_t, st_cost, st_taken, st_last, st_duty, total):
    """Cost of route v changed to seq[:k] + mid[:n_mid] + seq[j:n], from the recorded states of
    seq (see record_states; `total` is its cost). The schedule resumes at position k and stops
    early where, before some old item, it is again the old route's; with a cost on duty, the
    departure then follows from the old route's recorded push of the item before that one."""
    if st_cost[k] == INF:
        return INF
    none = a.no_timeline
    loc = a.v_start[v] if k == 0 else seq[k - 1]
    t, cost, taken, last_start = st_t[k], st_cost[k], st_taken[k], st_last[k]
    ahead, waits, room = st_duty[k, 0], st_duty[k, 1], st_duty[k, 2]
    head, lid = st_duty[k, 3], st_duty[k, 4]
    first = last_start < 0  # nothing before: the next item opens the route
    for i in range(n_mid):
        x = mid[i]
        taken0 = taken
        ok, s, taken = step(a, v, loc, t, taken, x, none)
        if not ok:
            return INF
        ahead, waits, room, head, lid, _ = carry(
            a, v, first, loc, t, taken0, taken, x, s, ahead, waits, room, head, lid
        )
        first = False
        cost += a.w_travel * a.travel[loc, x] + visit_cost(a, v, x, s)
        loc, t, last_start = x, s + a.service[x], s
    for i in range(j, n):
        if i > 0 and loc == seq[i - 1] and t == st_t[i] and taken == st_taken[i]:
            if last_start == st_last[i] and total != INF:
                if a.w_duty == 0.0:
                    return cost + total - st_cost[i]
                was = departure(a, v, st_duty[1, 3], st_duty[1, 6], st_duty[1, 4])
                now = departure(a, v, head, min(ahead, waits + st_duty[i, 6]), lid)
                return cost + total - st_cost[i] + a.w_duty * (was - now)
        x = seq[i]
        taken0 = taken
        ok, s, taken = step(a, v, loc, t, taken, x, none)
        if not ok:
            return INF
        ahead, waits, room, head, lid, _ = carry(
            a, v, first, loc, t, taken0, taken, x, s, ahead, waits, room, head, lid
        )
        first = False
        cost += a.w_travel * a.travel[loc, x] + visit_cost(a, v, x, s)
        loc, t, last_start = x, s + a.service[x], s
    return finish(a, v, loc, t, cost, taken, last_start, none, ahead, waits, head, lid)

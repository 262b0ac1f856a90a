"""A plain-Python route evaluator: the specification the compiled kernel is tested against.

Written for reading, not speed: it walks the route as a dispatcher would tell it (leave, maybe
take a break, drive, wait for the window, work), keeping a timeline of events. Same rules as
kernel.py: a break is taken before driving on when that costs the next visit nothing or when it
could no longer be taken after that visit; one still owed at the end is taken after the last stop.
With a cost on duty, the paid time is told as the plan will show it (timing.py), walking back from
the last stop: each stop starts as late as the next one lets it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

INFEASIBLE = math.inf


@dataclass
class Schedule:
    cost: float
    visits: list[tuple[int, int]] = field(default_factory=list)  # (node, start)
    breaks: list[tuple[int, int]] = field(default_factory=list)  # (break index, start)


def _earliest_start(a, node: int, ready: int) -> int | None:
    if node < a.nt and a.not_before[node] >= 0:  # not earlier than the promise allows
        ready = max(ready, int(a.not_before[node]))
    for k in range(int(a.tw_n[node])):
        if ready <= a.tw_end[node, k]:
            return max(int(a.tw_start[node, k]), ready)
    return None


def _penalty(a, v: int, node: int, start: int) -> float:
    if node >= a.nt:
        return 0.0
    total = a.weight[node] * max(0, start - int(a.deadline[node]))
    if a.promised[node] >= 0:
        total += a.eta_w * max(0, start - int(a.promised[node]) - a.eta_tol)
    if a.was_on[node] >= 0 and a.was_on[node] != v:
        total += a.move
    if a.preferred[node] >= 0 and a.preferred[node] != a.v_engineer[v]:
        total += a.prefer
    total += a.balance * (start - int(a.v_depart[v]))  # workload balance (0 when off)
    return total


def evaluate(a, v: int, route: list[int]) -> Schedule:
    """The schedule of engineer-shift v visiting `route` (kernel arrays `a`), cost INFEASIBLE if
    it breaks a rule."""
    breaks = [
        (int(a.b_start[v, k]), int(a.b_end[v, k]), int(a.b_dur[v, k])) for k in range(a.b_n[v])
    ]
    out = Schedule(0.0)
    here, free_at, last_start = int(a.v_start[v]), int(a.v_depart[v]), None
    pending = list(range(len(breaks)))
    for node in route:
        drive = int(a.travel[here, node])
        plain = _earliest_start(a, node, free_at + drive)
        if plain is None:
            return Schedule(INFEASIBLE)
        while pending:
            opens, closes, length = breaks[pending[0]]
            break_at = max(free_at, opens)
            if break_at + length > closes:
                return Schedule(INFEASIBLE)
            after_break = _earliest_start(a, node, break_at + length + drive)
            costs_nothing = after_break == plain
            cannot_wait = max(plain + int(a.service[node]), opens) + length > closes
            if not (costs_nothing or cannot_wait):
                break
            if after_break is None:
                return Schedule(INFEASIBLE)
            out.breaks.append((pending.pop(0), break_at))
            free_at, plain = break_at + length, after_break
        if plain > a.v_shift_end[v]:
            return Schedule(INFEASIBLE)
        out.visits.append((node, plain))
        out.cost += a.w_travel * drive + _penalty(a, v, node, plain)
        here, free_at, last_start = node, plain + int(a.service[node]), plain
    home = int(a.travel[here, a.v_end[v]])
    if free_at + home > a.v_latest[v]:
        return Schedule(INFEASIBLE)
    last_end, overtime = free_at, int(a.v_latest[v] - a.v_shift_end[v])
    for k in pending:
        opens, closes, length = breaks[k]
        if last_end + home < closes:
            continue
        break_at = max(free_at, opens)
        if break_at + length > closes:
            return Schedule(INFEASIBLE)
        if last_start is None:
            clock = int(a.v_depart[v])
        else:
            clock = last_start + max(0, last_end - last_start + home - overtime)
        on_the_way = max(last_end, opens) + length + max(0, home - overtime) <= a.v_shift_end[v]
        if clock > closes - length and not on_the_way:
            return Schedule(INFEASIBLE)
        out.breaks.append((k, break_at))
        free_at = break_at + length
    out.cost += a.w_travel * home
    if a.w_duty > 0 and out.visits:
        out.cost += a.w_duty * on_duty(a, v, out)
    return out


def _room(a, node: int, start: int) -> int:
    """How much later a stop may start: not at all if held or late; else within its window and
    before its deadline."""
    if a.held[node]:
        return 0
    room = None
    for k in range(int(a.tw_n[node])):
        if a.tw_start[node, k] <= start <= a.tw_end[node, k]:
            room = int(a.tw_end[node, k]) - start
            break
    if node < a.nt:
        if start > a.deadline[node]:
            return 0
        due = int(a.deadline[node]) - start
        room = due if room is None else min(room, due)
    return math.inf if room is None else room


def on_duty(a, v: int, schedule: Schedule) -> int:
    """Seconds from departure to return once every stop but the last is pushed as late as the
    next allows and the engineer leaves as late as the first stop allows."""
    length = {k: int(a.b_dur[v, k]) for k in range(int(a.b_n[v]))}
    taken = [(start, length[k]) for k, start in schedule.breaks]
    starts = [s for _, s in schedule.visits]
    nodes = [n for n, _ in schedule.visits]
    pushed = list(starts)
    for i in range(len(nodes) - 2, -1, -1):
        end = starts[i] + int(a.service[nodes[i]])
        between = [(b, d) for b, d in taken if b >= end and b + d <= starts[i + 1]]
        latest_end = pushed[i + 1] - int(a.travel[nodes[i], nodes[i + 1]])
        latest_end -= sum(d for _, d in between)
        if between:
            latest_end = min(latest_end, min(b for b, _ in between))
        later = min(latest_end - end, _room(a, nodes[i], starts[i]))
        pushed[i] = starts[i] + max(0, later)
    before = [(b, d) for b, d in taken if b + d <= starts[0]]
    depart = pushed[0] - int(a.travel[a.v_start[v], nodes[0]]) - sum(d for _, d in before)
    if before:
        depart = min(depart, min(b for b, _ in before))
    depart = max(int(a.v_depart[v]), depart)
    last_end = starts[-1] + int(a.service[nodes[-1]])
    after = [(b, d) for b, d in taken if b >= last_end]
    back = last_end + int(a.travel[nodes[-1], a.v_end[v]]) + sum(d for _, d in after)
    back = max([back] + [b + d for b, d in taken])
    return min(int(a.v_latest[v]), back) - depart

"""A plain-Python route evaluator: the specification the compiled kernel is tested against.

Written for reading, not speed: it walks the route as a dispatcher would tell it (leave, maybe
take a break, drive, wait for the window, work), keeping a timeline of events. Same rules as
kernel.py: a break is taken before driving on when that costs the next visit nothing or when it
could no longer be taken after that visit; one still owed at the end is taken after the last stop.
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
        out.cost += drive + _penalty(a, v, node, plain)
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
    out.cost += home
    return out

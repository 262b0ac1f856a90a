"""A first plan built fast in plain Python, for OR-Tools' local search to improve.

OR-Tools' own first-solution heuristics commit every insertion through the whole
constraint model (time, breaks, one dimension per contested part), which takes
minutes at a thousand tickets. This greedy works on the same integer data but
checks a route by simulating it, so it finishes in seconds; its routes keep
every hard rule, so OR-Tools can read them as a starting assignment.

Order: frozen work first, then tickets by tier, then by SLA deadline; each goes
where it adds the least travel plus weighted lateness. Restocks are left to the
search: a ticket whose part is not on a van waits for it.
"""
from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .solver import _Model

_BREAK = -1  # a break as an item of a route under construction: taken where the engineer is


def _start_in(spans: list[tuple[int, int]], t: int) -> int | None:
    for a, b in spans:
        if t <= b:
            return max(a, t)
    return None


class _Routes:
    def __init__(self, m: "_Model"):
        self.m = m
        self.travel = m.travel.tolist()  # plain lists: element access is the hot path
        self.service = m.nodes.service_s.tolist()
        self.weight = [m.params.lateness_weight(m.rank[t.priority]) for t in (m.ticket_of[x] for x in m.nodes.tickets)]
        self.deadline = m.deadlines
        self.seq: list[list[int]] = [[_BREAK] * len(w) for w in m.break_windows]
        self.fixed = [0] * len(m.vehicles)  # frozen visits at the head of a route
        self.cost = [self.evaluate(v, self.seq[v]) for v in range(len(m.vehicles))]

    def evaluate(self, v: int, seq: list[int], timeline: list | None = None) -> float | None:
        """Travel + weighted lateness of route v visiting `seq` as early as it can, or None if it breaks a rule.
        With `timeline`, appends (ticket node, start) and (_BREAK, start, duration) as scheduled."""
        m, veh = self.m, self.m.vehicles[v]
        travel, spans, service = self.travel, m.spans, self.service
        loc, t = m.nodes.start(v), veh.earliest_depart
        breaks = iter(m.break_windows[v])
        cost, last_start, last_end, trailing = 0.0, None, t, None
        for item in seq:
            if item == _BREAK:
                b0, b1, d = next(breaks)
                start = max(t, b0)
                if start > b1 - d:
                    return None
                t, trailing = start + d, (b0, b1, d)
                if timeline is not None:
                    timeline.append((_BREAK, start, d))
                continue
            arrive = t + travel[loc][item]
            start = _start_in(spans[item], arrive)
            if start is None or start > veh.shift_end:
                return None
            cost += travel[loc][item] + self.weight[item] * max(0, start - self.deadline[item])
            if timeline is not None:
                timeline.append((item, start))
            loc, t, last_start, last_end, trailing = item, start + service[item], start, start + service[item], None
        home = travel[loc][m.nodes.end(v)]
        if last_end + home > veh.latest_return:
            return None
        if trailing is not None:
            # a break after the last visit: OR-Tools takes it on the way home (inside the shift) or after the
            # route's clock has stopped (see solver._add_time); one of the two must fit
            b0, b1, d = trailing
            overtime = veh.latest_return - veh.shift_end
            clock = veh.earliest_depart if last_start is None else last_start + max(0, last_end - last_start + home - overtime)
            on_the_way = max(last_end, b0) + d + max(0, home - overtime) <= veh.shift_end
            if clock > b1 - d and not on_the_way:
                return None
            if timeline is not None and last_end + home < b1:
                timeline.pop()  # home before the interval ends: the break is not owed
        elif t + home > veh.latest_return:
            return None
        return cost + home


def first_routes(m: "_Model", deadline: float = math.inf) -> tuple[list[list[int]], list[list[tuple]]]:
    """Ticket nodes per vehicle (frozen heads included) in visiting order, and each route's timeline
    (see `_Routes.evaluate`), a plan of its own should the search return nothing. Stops inserting at
    `deadline` (time.monotonic()), leaving the rest to the search, so a tight time limit holds."""
    r = _Routes(m)
    stock = {e.id: dict(e.van) for e in m.sc.engineers}
    for v, heads in m.frozen_heads.items():
        r.seq[v] = heads + r.seq[v]
        r.fixed[v] = len(heads)
        for n in heads:
            for p, q in m.ticket_of[m.nodes.tickets[n]].parts.items():
                stock[m.vehicles[v].engineer.id][p] = stock[m.vehicles[v].engineer.id].get(p, 0) - q
        r.cost[v] = r.evaluate(v, r.seq[v])
    frozen = {n for heads in m.frozen_heads.values() for n in heads}
    order = sorted((n for n in range(len(m.nodes.tickets)) if n not in frozen),
                   key=lambda n: (m.rank[m.ticket_of[m.nodes.tickets[n]].priority], r.deadline[n], n))
    for n in order:
        if time.monotonic() > deadline:
            break
        t = m.ticket_of[m.nodes.tickets[n]]
        best = None
        for v in m.el.allowed[t.id]:
            e = m.vehicles[v].engineer
            if r.cost[v] is None or not set(t.tools) <= set(e.tools):
                continue
            if any(stock[e.id].get(p, 0) < q for p, q in t.parts.items()):
                continue
            seq = r.seq[v]
            for k in range(r.fixed[v], len(seq) + 1):
                cand = seq[:k] + [n] + seq[k:]
                c = r.evaluate(v, cand)
                if c is not None and (best is None or c - r.cost[v] < best[0]):
                    best = (c - r.cost[v], v, cand, c)
        if best is None:
            continue
        _, v, cand, c = best
        r.seq[v], r.cost[v] = cand, c
        for p, q in t.parts.items():
            stock[m.vehicles[v].engineer.id][p] -= q
    timelines = []
    for v, seq in enumerate(r.seq):
        timelines.append([])
        if r.evaluate(v, seq, timelines[-1]) is None:  # only frozen work can make a route infeasible
            timelines[-1] = []
    return [[n for n in seq if n != _BREAK] for seq in r.seq], timelines

"""A first plan built fast in plain Python, for OR-Tools' local search to improve.

OR-Tools' own first-solution heuristics commit every insertion through the whole
constraint model (time, breaks, one dimension per contested part), which takes
minutes at a thousand tickets. This greedy works on the same integer data but
checks a route by simulating it, so it finishes in seconds; its routes keep
every hard rule, so OR-Tools can read them as a starting assignment.

Order: frozen work first, then (in a re-plan) the previous plan's routes as far
as they still hold, then tickets tier by tier; within a tier by regret (the ticket
with the most to lose if its best place fills up goes first) where that fits the
time, else by SLA deadline; each goes where it adds the least travel plus weighted
lateness plus shifts of promised arrival times. Restocks are left to the search (a ticket whose part is not on a van waits
for it), except those of the previous plan, which are kept with their pickups.
"""
from __future__ import annotations

import itertools
import math
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .solver import _Model

BREAK = -1  # a break as an item of a route under construction: taken where the engineer is
REGRET_PAIRS = 20_000  # ticket x engineer-shift options up to which regret insertion fits in a time budget


def _start_in(spans: list[tuple[int, int]], t: int) -> int | None:
    for a, b in spans:
        if t <= b:
            return max(a, t)
    return None


class _Routes:
    def __init__(self, m: "_Model"):
        self.m = m
        self.travel = m.travel_rows  # plain lists: element access is the hot path
        self.service = m.nodes.service_s.tolist()
        self.weight = [m.params.lateness_weight(m.rank[t.priority]) for t in (m.ticket_of[x] for x in m.nodes.tickets)]
        self.deadline = m.deadlines
        self.promise = m.promised  # ticket node -> previous plan's start (seconds), or None
        self.eta_w, self.eta_tol = m.params.eta_shift_per_min, round(m.params.eta_tolerance_min * 60)
        self.nt = len(m.nodes.tickets)
        self.seq: list[list[int]] = [[BREAK] * len(w) for w in m.break_windows]
        self.fixed = [0] * len(m.vehicles)  # frozen visits at the head of a route
        self.cost = [self.evaluate(v, self.seq[v]) for v in range(len(m.vehicles))]

    def frozen_lead(self, v: int, heads: list[int]) -> list[int] | None:
        """Route v doing its frozen visits first, breaks where they fit (a break may come before), or None."""
        cur, pending = [], len(self.m.break_windows[v])
        for n in heads:
            step = _append(self, v, cur, pending, n)
            if step is None:
                return None
            cur, pending, _ = step
        return cur + [BREAK] * pending

    def evaluate(self, v: int, seq: list[int], timeline: list | None = None) -> float | None:
        """Travel + weighted lateness of route v visiting `seq` as early as it can, or None if it breaks a rule.
        With `timeline`, appends (ticket node, start) and (BREAK, start, duration) as scheduled."""
        m, veh = self.m, self.m.vehicles[v]
        travel, spans, service = self.travel, m.spans, self.service
        loc, t = m.nodes.start(v), veh.earliest_depart
        breaks = iter(m.break_windows[v])
        cost, last_start, last_end, trailing = 0.0, None, t, None
        for item in seq:
            if item == BREAK:
                b0, b1, d = next(breaks)
                start = max(t, b0)
                if start > b1 - d:
                    return None
                t, trailing = start + d, (b0, b1, d)
                if timeline is not None:
                    timeline.append((BREAK, start, d))
                continue
            arrive = t + travel[loc][item]
            if item >= self.nt:  # a restock kept from the previous plan
                start, lateness = arrive, 0
            else:
                promised = self.promise[item]
                # keep a promised arrival rather than come early; coming late costs beyond the tolerance
                start = _start_in(spans[item], arrive if promised is None else max(arrive, promised))
                if start is None:
                    return None
                lateness = self.weight[item] * max(0, start - self.deadline[item])
                if promised is not None:
                    lateness += self.eta_w * max(0, start - promised - self.eta_tol)
            if start > veh.shift_end:
                return None
            cost += travel[loc][item] + lateness
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


def _append(r: "_Routes", v: int, cur: list[int], pending: int, n: int) -> tuple[list[int], int, float] | None:
    """Route v's stops `cur` followed by n: with the breaks still owed (`pending`) after it if that works,
    else with as few of them as needed taken before n. (new stops, breaks still pending, cost) or None."""
    for early in range(pending + 1):
        cand = cur + [BREAK] * early + [n]
        c = r.evaluate(v, cand + [BREAK] * (pending - early))
        if c is not None:
            return cand, pending - early, c
    return None


def first_routes(m: "_Model", deadline: float = math.inf) -> tuple[list[list[int]], list[list[tuple]]]:
    """Nodes per vehicle (frozen heads and kept restocks included) in visiting order, and each route's
    timeline (see `_Routes.evaluate`), a plan of its own should the search return nothing. Stops inserting
    at `deadline` (time.monotonic()), leaving the rest to the search, so a tight time limit holds."""
    r, free, placed = seeded_routes(m)
    order = sorted((n for n in range(r.nt) if n not in placed and n not in m.left_out),
                   key=lambda n: (m.rank[m.ticket_of[m.nodes.tickets[n]].priority], r.deadline[n], n))
    pairs = sum(len(m.el.allowed[m.nodes.tickets[n]]) for n in order)
    # regret insertion takes about (pairs / 8,000)^2 seconds here: only where that is a third of the time left
    regret = pairs <= REGRET_PAIRS and 3 * (pairs / 8_000) ** 2 < deadline - time.monotonic()
    insert = _regret_insertion if regret else _sequential_insertion
    for _, tier in itertools.groupby(order, key=lambda n: m.rank[m.ticket_of[m.nodes.tickets[n]].priority]):
        placed |= insert(r, m, list(tier), free, deadline)
    if m.seeds:  # a re-plan: urgent new work may displace lower-tier work the previous plan had placed
        for n in order:
            if n not in placed and time.monotonic() <= deadline:
                _bump(r, m, n, free)
    timelines = []
    for v, seq in enumerate(r.seq):
        timelines.append([])
        if r.evaluate(v, seq, timelines[-1]) is None:  # only frozen work can make a route infeasible
            timelines[-1] = []
    return [[n for n in seq if n != BREAK] for seq in r.seq], timelines


def seeded_routes(m: "_Model") -> tuple[_Routes, dict, set[int]]:
    """Routes holding the frozen heads and (in a re-plan) the previous plan's stops as far as they still
    hold; the van stock left for new work; the ticket nodes placed."""
    r = _Routes(m)
    free = {e.id: dict(e.van) for e in m.sc.engineers}  # van stock no restock has added to
    for v, heads in m.frozen_heads.items():
        lead = r.frozen_lead(v, heads)
        r.seq[v] = lead if lead is not None else heads + r.seq[v]
        r.fixed[v] = len(r.seq[v]) - r.seq[v][::-1].index(heads[-1])  # past the last frozen visit
        _use(free, m, v, heads)
        r.cost[v] = r.evaluate(v, r.seq[v])
    placed = set(m.frozen_nodes)
    for v, seed in m.seeds.items():
        placed |= _keep_seed(r, m, v, [n for n in seed if n not in placed or n == BREAK], free)
    return r, free, placed


def _sequential_insertion(r: _Routes, m: "_Model", pool: list[int], free: dict, deadline: float) -> set[int]:
    """Each ticket in turn (by SLA deadline) where it costs least."""
    placed = set()
    for n in pool:
        if time.monotonic() > deadline:
            break
        best = _best_insertion(r, m, n, free)
        if best is not None:
            _, v, r.seq[v], r.cost[v] = best
            _use(free, m, v, [n])
            placed.add(n)
    return placed


def _regret_insertion(r: _Routes, m: "_Model", pool: list[int], free: dict, deadline: float) -> set[int]:
    """Regret-2 insertion: next, the ticket that would lose most if its best engineer-shift filled up
    (second-best minus best cost; a ticket with a single option first), at its best place. It packs
    routes better than inserting by deadline (on the medium day 285 tickets instead of 276 before search)
    but costs a re-evaluation of every ticket on the route that changed, hence REGRET_PAIRS."""
    options = {n: {} for n in pool}  # ticket node -> engineer-shift -> (added cost, sequence, cost)
    for n in pool:
        _refresh(r, m, n, m.el.allowed[m.nodes.tickets[n]], free, options[n])
    placed = set()
    while time.monotonic() <= deadline:
        pick = None
        for n, row in options.items():
            if row:
                costs = sorted(x[0] for x in row.values())
                key = (-(costs[1] - costs[0]) if len(costs) > 1 else -math.inf, costs[0], n)
                if pick is None or key < pick[0]:
                    pick = (key, n)
        if pick is None:
            break
        n = pick[1]
        v = min(options[n], key=lambda x: options[n][x][0])
        _, r.seq[v], r.cost[v] = options.pop(n)[v]
        _use(free, m, v, [n])
        placed.add(n)
        engineer = m.vehicles[v].engineer.id
        touched = [x for x in range(len(m.vehicles)) if m.vehicles[x].engineer.id == engineer] \
            if m.ticket_of[m.nodes.tickets[n]].parts else [v]  # parts used up: the engineer's other shifts too
        for n2, row in options.items():
            _refresh(r, m, n2, [x for x in touched if x in row or x == v], free, row)
    return placed


def _refresh(r: _Routes, m: "_Model", n: int, vehicles: list[int], free: dict, row: dict) -> None:
    allowed = m.el.allowed[m.nodes.tickets[n]]
    for v in vehicles:
        if v not in allowed:
            continue
        best = _best_insertion(r, m, n, free, [v])
        if best is None:
            row.pop(v, None)
        else:
            row[v] = (best[0], best[2], best[3])


def _use(stock: dict, m: "_Model", v: int, nodes: list[int], sign: int = 1) -> None:
    """Take the parts of these ticket nodes off the engineer's van (sign=-1: put them back)."""
    mine = stock[m.vehicles[v].engineer.id]
    for n in nodes:
        if n < len(m.nodes.tickets):
            for p, q in m.ticket_of[m.nodes.tickets[n]].parts.items():
                mine[p] = mine.get(p, 0) - sign * q


def _best_insertion(r: _Routes, m: "_Model", n: int, free: dict, vehicles: list[int] | None = None) -> tuple | None:
    """(added cost, vehicle, new sequence, its cost) of the cheapest feasible place for ticket node n."""
    t = m.ticket_of[m.nodes.tickets[n]]
    best = None
    for v in m.el.allowed[t.id] if vehicles is None else vehicles:
        e = m.vehicles[v].engineer
        if r.cost[v] is None or not set(t.tools) <= set(e.tools):
            continue
        if any(free[e.id].get(p, 0) < q for p, q in t.parts.items()):
            continue
        seq = r.seq[v]
        for k in range(r.fixed[v], len(seq) + 1):
            cand = seq[:k] + [n] + seq[k:]
            c = r.evaluate(v, cand)
            if c is not None and (best is None or c - r.cost[v] < best[0]):
                best = (c - r.cost[v], v, cand, c)
    return best


def _bump(r: _Routes, m: "_Model", n: int, free: dict) -> None:
    """Place ticket node n by taking out one lower-tier ticket (the lowest tier, then the cheapest swap),
    which then goes wherever else it fits, or stays out."""
    rank = lambda x: m.rank[m.ticket_of[m.nodes.tickets[x]].priority]  # noqa: E731
    best = None
    for v in m.el.allowed[m.nodes.tickets[n]]:
        seq, cost = r.seq[v], r.cost[v]
        if cost is None:
            continue
        for j in range(r.fixed[v], len(seq)):
            x = seq[j]
            if x == BREAK or x >= r.nt or rank(x) <= rank(n):
                continue
            r.seq[v] = seq[:j] + seq[j + 1:]
            r.cost[v] = r.evaluate(v, r.seq[v])
            _use(free, m, v, [x], sign=-1)
            ins = _best_insertion(r, m, n, free, [v]) if r.cost[v] is not None else None
            _use(free, m, v, [x])
            if ins is not None and (best is None or (-rank(x), ins[3] - cost) < best[0]):
                best = ((-rank(x), ins[3] - cost), v, x, ins[2], ins[3])
            r.seq[v], r.cost[v] = seq, cost
    if best is None:
        return
    _, v, x, seq, cost = best
    r.seq[v], r.cost[v] = seq, cost
    _use(free, m, v, [x], sign=-1)
    _use(free, m, v, [n])
    again = _best_insertion(r, m, x, free)
    if again is not None:
        _, v2, cand, c = again
        r.seq[v2], r.cost[v2] = cand, c
        _use(free, m, v2, [x])


def _keep_seed(r: _Routes, m: "_Model", v: int, seed: list[int], free: dict) -> set[int]:
    """The previous route's stops in order, breaks where it took them, skipping stops that no longer fit
    (time, parts, tools): those go back to the pool. A restock counts only for the stops after it."""
    nt, e = r.nt, m.vehicles[v].engineer
    stock = dict(free[e.id])
    tools = set(e.tools)
    kept: set[int] = set()
    cur = r.seq[v][:r.fixed[v]]
    pending = len(m.break_windows[v]) - cur.count(BREAK)
    for n in seed:
        if n == BREAK:
            if pending:
                cur, pending = cur + [BREAK], pending - 1
            continue
        if n < nt:
            t = m.ticket_of[m.nodes.tickets[n]]
            if not set(t.tools) <= tools or any(stock.get(p, 0) < q for p, q in t.parts.items()):
                continue
        step = _append(r, v, cur, pending, n)  # breaks where they were, else taken before this stop
        if step is None:
            continue
        cur, pending, r.cost[v] = step
        if n >= nt:
            parts, got = m.seed_pickups[n]
            for p, q in parts.items():
                stock[p] = stock.get(p, 0) + q
            tools |= set(got)
        else:
            kept.add(n)
            for p, q in t.parts.items():
                stock[p] -= q
                free[e.id][p] = free[e.id].get(p, 0) - q
    r.seq[v] = cur + [BREAK] * pending
    return kept

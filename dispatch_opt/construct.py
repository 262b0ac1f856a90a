"""A first plan built fast in plain Python, then improved by ruin and recreate, for OR-Tools to finish.

OR-Tools' own first-solution heuristics commit every insertion through the whole
constraint model (time, breaks, one dimension per contested part), which takes
minutes at a thousand tickets, and its local search moves a visit or two at a time
(about ten improving moves a second on a 300-ticket day). This module works on the
same integer data but checks a route by simulating it, so it finishes in seconds;
its routes keep every hard rule, so OR-Tools can read them as a starting assignment.

Order: frozen work first, then (in a re-plan) the previous plan's routes as far
as they still hold, then tickets tier by tier; within a tier by regret (the ticket
with the most to lose if its best place fills up goes first) where that fits the
time, else by SLA deadline; each goes where it adds the least travel plus weighted
lateness plus shifts of promised arrival times (plus, in a re-plan, the cost of moving
it off its engineer). Then `ruin_and_recreate` takes out strings of nearby visits and
puts them and the unassigned back, for as long as it is given. Restocks are left to
OR-Tools (a ticket whose part is not on a van waits for it), except those of the
previous plan, which are kept with their pickups.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:
    from .solver import _Model

BREAK = -1  # a break as an item of a route under construction: taken where the engineer is
GRANULAR = 32  # ruin and recreate puts a visit back only into routes that hold one of its this many nearest
BUMP_AT_MOST = 3  # lower-tier tickets an urgent one may take out of a route in the fast path
REGRET_PAIRS = (
    20_000  # ticket x engineer-shift options up to which regret insertion fits in a time budget
)


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
        self.weight = [
            m.params.lateness_weight(m.rank[t.priority])
            for t in (m.ticket_of[x] for x in m.nodes.tickets)
        ]
        self.deadline = m.deadlines
        self.promise = m.promised  # ticket node -> previous plan's start (seconds), or None
        self.eta_w, self.eta_tol = (
            m.params.eta_shift_per_min,
            round(m.params.eta_tolerance_min * 60),
        )
        self.nt = len(m.nodes.tickets)
        self.was_on, self.move = m.was_on, round(m.params.move_cost_min * 60)
        self.seq: list[list[int]] = [[BREAK] * len(w) for w in m.break_windows]
        self.fixed = [0] * len(m.vehicles)  # frozen visits at the head of a route
        self._states: dict[int, tuple] = {}
        # engineer-shifts whose empty routes are alike (same places, hours and breaks): one stands for all
        self.alike = [
            (
                int(m.nodes.loc[m.nodes.start(v)]),
                int(m.nodes.loc[m.nodes.end(v)]),
                veh.earliest_depart,
                veh.shift_end,
                veh.latest_return,
                tuple(m.break_windows[v]),
            )
            for v, veh in enumerate(m.vehicles)
        ]
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

    def states(self, v: int) -> tuple[list[tuple], list[int], list[int]]:
        """Route v's schedule state before each of its items and after the last (see `evaluate`); the next
        place visited from each position on (breaks skipped); and the latest the engineer could arrive
        there with the rest of the route still possible (an upper bound: breaks and all but a visit's last
        window are ignored). Cached while the route stays the same list: routes are replaced, never changed
        in place."""
        seq = self.seq[v]
        cached = self._states.get(v)
        if cached is None or cached[0] is not seq:
            recorded: list[tuple] = []
            self.evaluate(v, seq, states=recorded)
            veh, spans = self.m.vehicles[v], self.m.spans
            after = [self.m.nodes.end(v)] * (len(seq) + 1)
            latest = [veh.latest_return] * (len(seq) + 1)
            for k in range(len(seq) - 1, -1, -1):
                x, after[k], latest[k] = seq[k], after[k + 1], latest[k + 1]
                if x != BREAK:
                    due = min(veh.shift_end, spans[x][-1][1]) if x < self.nt else veh.shift_end
                    after[k], latest[k] = (
                        x,
                        min(due, latest[k] - self.service[x] - self.travel[x][after[k]]),
                    )
            cached = self._states[v] = (seq, recorded, after, latest)
        return cached[1], cached[2], cached[3]

    def evaluate(
        self,
        v: int,
        seq: list[int],
        timeline: list | None = None,
        states: list | None = None,
        insert_at: int | None = None,
    ) -> float | None:
        """Travel + weighted lateness of route v visiting `seq` as early as it can, or None if it breaks a rule.
        With `timeline`, appends (ticket node, start) and (BREAK, start, duration) as scheduled; with `states`,
        the state before each item and after the last. With `insert_at=k`, `seq` is route v with one item
        inserted at k: the simulation starts there from the recorded states and stops as soon as the
        schedule meets the old one again, since the rest of the route is then unchanged."""
        m, veh = self.m, self.m.vehicles[v]
        travel, spans, service, windows = self.travel, m.spans, self.service, m.break_windows[v]
        if insert_at is None:
            k0, old = 0, None
            loc, t, cost, taken, last_start, last_end, trailing = (
                m.nodes.start(v),
                veh.earliest_depart,
                0.0,
                0,
                None,
                veh.earliest_depart,
                None,
            )
        else:
            k0, old = insert_at, self.states(v)[0]
            loc, t, cost, taken, last_start, last_end, trailing = old[k0]
        for i in range(k0, len(seq)):
            if states is not None:
                states.append((loc, t, cost, taken, last_start, last_end, trailing))
            elif old is not None and i > k0:
                was = old[i - 1]  # before the same item in the old route
                if (
                    was[1] == t
                    and was[3] == taken
                    and was[4] == last_start
                    and was[5] == last_end
                    and was[6] == trailing
                ):
                    return cost + self.cost[v] - was[2]
            item = seq[i]
            if item == BREAK:
                b0, b1, d = windows[taken]
                taken += 1
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
                start = _start_in(
                    spans[item], arrive if promised is None else max(arrive, promised)
                )
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
            loc, t, last_start, last_end, trailing = (
                item,
                start + service[item],
                start,
                start + service[item],
                None,
            )
        if states is not None:
            states.append((loc, t, cost, taken, last_start, last_end, trailing))
        home = travel[loc][m.nodes.end(v)]
        if last_end + home > veh.latest_return:
            return None
        if trailing is not None:
            # a break after the last visit: OR-Tools takes it on the way home (inside the shift) or after the
            # route's clock has stopped (see solver._add_time); one of the two must fit
            b0, b1, d = trailing
            overtime = veh.latest_return - veh.shift_end
            clock = (
                veh.earliest_depart
                if last_start is None
                else last_start + max(0, last_end - last_start + home - overtime)
            )
            on_the_way = max(last_end, b0) + d + max(0, home - overtime) <= veh.shift_end
            if clock > b1 - d and not on_the_way:
                return None
            if timeline is not None and last_end + home < b1:
                timeline.pop()  # home before the interval ends: the break is not owed
        elif t + home > veh.latest_return:
            return None
        return cost + home


def _append(
    r: "_Routes", v: int, cur: list[int], pending: int, n: int
) -> tuple[list[int], int, float] | None:
    """Route v's stops `cur` followed by n: with the breaks still owed (`pending`) after it if that works,
    else with as few of them as needed taken before n. (new stops, breaks still pending, cost) or None."""
    for early in range(pending + 1):
        cand = cur + [BREAK] * early + [n]
        c = r.evaluate(v, cand + [BREAK] * (pending - early))
        if c is not None:
            return cand, pending - early, c
    return None


def first_routes(
    m: "_Model",
    deadline: float = math.inf,
    improve_until: float | None = None,
    on_best: Callable[[tuple[int, ...], float], None] | None = None,
) -> tuple[list[list[int]], list[list[tuple]]]:
    """Nodes per vehicle (frozen heads and kept restocks included) in visiting order, and each route's
    timeline (see `_Routes.evaluate`), a plan of its own should the search return nothing. Stops inserting
    at `deadline` (time.monotonic()), leaving the rest to the search, so a tight time limit holds; then,
    given `improve_until`, improves the routes by ruin and recreate until then (see its `on_best`)."""
    r, free, placed = seeded_routes(m)
    urgency = lambda n: (m.rank[m.ticket_of[m.nodes.tickets[n]].priority], r.deadline[n], n)  # noqa: E731
    order = sorted((n for n in range(r.nt) if n not in placed and n not in m.left_out), key=urgency)
    pairs = sum(len(m.el.allowed[m.nodes.tickets[n]]) for n in order)
    # regret insertion takes about (pairs / 8,000)^2 seconds here: only where that is a third of the time left
    regret = pairs <= REGRET_PAIRS and 3 * (pairs / 8_000) ** 2 < deadline - time.monotonic()
    insert = _regret_insertion if regret else _sequential_insertion
    for _, tier in itertools.groupby(
        order, key=lambda n: m.rank[m.ticket_of[m.nodes.tickets[n]].priority]
    ):
        placed |= insert(r, m, list(tier), free, deadline)
    if (
        m.seeds
    ):  # a re-plan: urgent new work may displace lower-tier work the previous plan had placed
        for n in order:
            if n not in placed and time.monotonic() <= deadline:
                _bump(r, m, n, free)
    # the fast path: what the plan in force left out goes where it fits now, after the new work, moving nothing
    _sequential_insertion(
        r, m, sorted((n for n in m.left_out if n not in placed), key=urgency), free, deadline
    )
    if improve_until is not None:
        ruin_and_recreate(r, m, free, improve_until, m.params.seed, on_best=on_best)
    timelines = []
    for v, seq in enumerate(r.seq):
        timelines.append([])
        if (
            r.evaluate(v, seq, timelines[-1]) is None
        ):  # only frozen work can make a route infeasible
            timelines[-1] = []
    return [[n for n in seq if n != BREAK] for seq in r.seq], timelines


def ruin_and_recreate(
    r: _Routes,
    m: "_Model",
    free: dict,
    until: float,
    seed: int = 0,
    iterations: int | None = None,
    on_best: Callable[[tuple[int, ...], float], None] | None = None,
) -> int:
    """Improve the routes until `until` (time.monotonic()) by ruin and recreate, after SISR (Christiaens and
    Vanden Berghe, 2020): take out strings of visits from a few routes near a random ticket, put them and
    the unassigned tickets those routes could take back by cheapest insertion (tier by tier), and keep the
    result by simulated annealing on cost, but only when no tier serves fewer tickets. This is how the
    greedy's routes get both more tickets and less driving: OR-Tools' local search moves one or two
    visits at a time, which rarely frees room for a ticket left out. Returns the iterations run.

    Frozen heads stay; a route holding a restock kept from the previous plan is not ruined (its stock
    after the restock is not tracked here), though it may take tickets. With `iterations`, it stops after
    that many too, and cools by iteration rather than by the clock, so a seeded run repeats exactly.
    `on_best(unassigned per tier, cost)` hears of the start and of each new best."""
    nt, rng = r.nt, random.Random(seed)
    if nt < 2 or time.monotonic() >= until:
        return 0
    rank = [m.rank[m.ticket_of[t].priority] for t in m.nodes.tickets]
    where = {x: v for v, seq in enumerate(r.seq) for x in seq[r.fixed[v] :] if 0 <= x < nt}
    unserved = set(range(nt)) - set(where) - m.frozen_nodes
    ruinable = [c is not None and all(x < nt for x in seq) for seq, c in zip(r.seq, r.cost)]
    allowed = [m.el.allowed[t] for t in m.nodes.tickets]
    allowed_set = [set(a) for a in allowed]
    near = m.travel[:nt, :nt] + m.travel[:nt, :nt].T
    neighbours = np.argsort(near, axis=1, kind="stable")[:, : min(nt, 64)].tolist()

    def score() -> tuple[tuple[int, ...], float]:
        missed = [0] * len(m.rank)
        for n in unserved:
            missed[rank[n]] += 1
        moved = sum(r.move for n, v in where.items() if r.was_on.get(n, v) != v)
        return tuple(missed), sum(c for c in r.cost if c is not None) + moved

    current = best = score()
    if on_best is not None:
        on_best(*best)
    best_state = (list(r.seq), list(r.cost), {e: dict(s) for e, s in free.items()})
    t_start, done = time.monotonic(), 0
    hot = 0.5 * current[1] / max(1, len(where))  # about half a visit's cost; cools a hundredfold
    while (now := time.monotonic()) < until and (iterations is None or done < iterations):
        progress = done / iterations if iterations else (now - t_start) / max(1e-9, until - t_start)
        temperature = hot * 0.01**progress
        done += 1
        state = (
            list(r.seq),
            list(r.cost),
            {e: dict(s) for e, s in free.items()},
            dict(where),
            set(unserved),
        )
        removed = _ruin(r, m, rng, where, ruinable, neighbours, free)
        ruined = {v for _, v in removed}
        pool = [n for n, _ in removed] + [
            n for n in unserved if not ruined.isdisjoint(allowed_set[n])
        ]
        tie = rng.choice((lambda n: rng.random(), lambda n: r.deadline[n], lambda n: -r.service[n]))
        pool.sort(key=lambda n: (rank[n], tie(n)))
        taken_out = {n for n, _ in removed}
        for n in pool:
            if n in taken_out:  # the routes nearby, those ruined and the empty ones
                near_routes = {where[x] for x in neighbours[n][:GRANULAR] if x in where} | ruined
                vehicles = [
                    v
                    for v in allowed[n]
                    if v in near_routes or len(r.seq[v]) == len(m.break_windows[v])
                ]
            else:  # it fitted nowhere before: only where room was made
                vehicles = [v for v in allowed[n] if v in ruined]
            ins = _best_insertion(r, m, n, free, vehicles)
            if ins is None:
                unserved.add(n)
                continue
            _, v, r.seq[v], r.cost[v] = ins
            _use(free, m, v, [n])
            where[n] = v
            unserved.discard(n)
        new = score()
        if new[0] < current[0] or (
            new[0] == current[0] and new[1] < current[1] - temperature * math.log(1 - rng.random())
        ):
            current = new
            if new < best:
                best, best_state = (
                    new,
                    (list(r.seq), list(r.cost), {e: dict(s) for e, s in free.items()}),
                )
                if on_best is not None:
                    on_best(*best)
        else:
            r.seq[:], r.cost[:], restored, where, unserved = state
            free.clear()
            free.update(restored)
    r.seq[:], r.cost[:] = best_state[0], best_state[1]
    free.clear()
    free.update(best_state[2])
    return done


def _ruin(
    r: _Routes,
    m: "_Model",
    rng: random.Random,
    where: dict,
    ruinable: list[bool],
    neighbours: list,
    free: dict,
) -> list[tuple[int, int]]:
    """Take strings of consecutive visits out of routes near a random planned ticket: (ticket node, its
    vehicle) per visit taken out. Sizes after SISR: about 10 visits, strings up to 10 long."""
    if not where:
        return []
    longest = max(1, min(10, round(len(where) / len(set(where.values())))))
    n_routes = int(rng.uniform(1, 4 * 10 / (1 + longest)))
    removed, ruined = [], set()
    for x in neighbours[rng.choice(list(where))]:
        if len(ruined) >= n_routes:
            break
        v = where.get(x)
        if v is None or v in ruined or not ruinable[v]:
            continue
        seq = r.seq[v]
        visits = [i for i in range(r.fixed[v], len(seq)) if seq[i] != BREAK]
        size = rng.randint(1, min(longest, len(visits)))
        j = visits.index(seq.index(x))
        first = rng.randint(max(0, j - size + 1), min(j, len(visits) - size))
        out = set(visits[first : first + size])
        shorter = [y for i, y in enumerate(seq) if i not in out]
        cost = r.evaluate(v, shorter)
        if cost is None:  # a break that no longer fits where it is: leave this route alone
            continue
        ruined.add(v)
        r.seq[v], r.cost[v] = shorter, cost
        gone = [seq[i] for i in sorted(out)]
        _use(free, m, v, gone, sign=-1)
        for y in gone:
            del where[y]
            removed.append((y, v))
    return removed


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


def _sequential_insertion(
    r: _Routes, m: "_Model", pool: list[int], free: dict, deadline: float
) -> set[int]:
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


def _regret_insertion(
    r: _Routes, m: "_Model", pool: list[int], free: dict, deadline: float
) -> set[int]:
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
        touched = (
            [x for x in range(len(m.vehicles)) if m.vehicles[x].engineer.id == engineer]
            if m.ticket_of[m.nodes.tickets[n]].parts
            else [v]
        )  # parts used up: the engineer's other shifts too
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


def _best_insertion(
    r: _Routes, m: "_Model", n: int, free: dict, vehicles: list[int] | None = None
) -> tuple | None:
    """(added cost, vehicle, new sequence, its cost) of the cheapest feasible place for ticket node n.

    The places of all engineer-shifts at once are tried by their lower bound (see `_places`), and the
    search stops once the bound alone is dearer than the best place found."""
    t = m.ticket_of[m.nodes.tickets[n]]
    places, empty = [], set()
    for v in m.el.allowed[t.id] if vehicles is None else vehicles:
        e = m.vehicles[v].engineer
        if r.cost[v] is None or not set(t.tools) <= set(e.tools):
            continue
        if any(free[e.id].get(p, 0) < q for p, q in t.parts.items()):
            continue
        moved = r.move if r.was_on.get(n, v) != v else 0
        if len(r.seq[v]) == len(
            m.break_windows[v]
        ):  # nothing but breaks: try one of each kind of empty route
            if (r.alike[v], moved) in empty:
                continue
            empty.add((r.alike[v], moved))
        places += [(bound + moved, v, k, moved) for bound, k in _places(r, m, n, v)]
    places.sort()
    best = None
    for bound, v, k, moved in places:
        if best is not None and bound >= best[0]:
            break
        seq = r.seq[v]
        cand = seq[:k] + [n] + seq[k:]
        c = r.evaluate(v, cand, insert_at=k)
        if c is not None and (best is None or c - r.cost[v] + moved < best[0]):
            best = (c - r.cost[v] + moved, v, cand, c)
    return best


def _places(r: _Routes, m: "_Model", n: int, v: int) -> list[tuple[float, int]]:
    """(lower bound on the added cost, position) of each place in route v where ticket node n might fit.

    Skipped: places where n, or what follows it, would surely be too late. The bound is the travel
    n adds plus its own lateness if started on arrival from the stop before: inserting a visit makes
    nothing else cheaper."""
    if not m.spans[n]:
        return []
    travel, weight, deadline, service = r.travel, r.weight[n], r.deadline[n], r.service[n]
    from_n, first = (
        travel[n],
        m.spans[n][0][0],
    )  # n starts no earlier than `first`, no later than `latest`
    latest = min(m.spans[n][-1][1], m.vehicles[v].shift_end)
    states, after, arrive_by = r.states(v)
    places = []
    for k in range(r.fixed[v], len(states)):
        p, a = states[k][0], after[k]
        arrive = states[k][1] + travel[p][n]
        start = arrive if arrive > first else first
        if arrive <= latest and start + service + from_n[a] <= arrive_by[k]:
            late = start - deadline
            places.append(
                (travel[p][n] + from_n[a] - travel[p][a] + (weight * late if late > 0 else 0), k)
            )
    return places


def _bump(r: _Routes, m: "_Model", n: int, free: dict, most: int = BUMP_AT_MOST) -> None:
    """Place ticket node n by taking lower-tier tickets out of one route: as few as will do (up to `most`),
    then the lowest tiers, then the cheapest; each then goes wherever else it fits, or stays out."""
    rank = lambda x: m.rank[m.ticket_of[m.nodes.tickets[x]].priority]  # noqa: E731
    for size in range(1, most + 1):
        best = None
        for v in m.el.allowed[m.nodes.tickets[n]]:
            seq, cost = r.seq[v], r.cost[v]
            if cost is None:
                continue
            lower = [x for x in seq[r.fixed[v] :] if x != BREAK and x < r.nt and rank(x) > rank(n)]
            for out in itertools.combinations(lower, size):
                r.seq[v] = [x for x in seq if x not in out]
                r.cost[v] = r.evaluate(v, r.seq[v])
                _use(free, m, v, out, sign=-1)
                ins = _best_insertion(r, m, n, free, [v]) if r.cost[v] is not None else None
                _use(free, m, v, out)
                key = (sorted(-rank(x) for x in out), ins[3] - cost if ins else 0)
                if ins is not None and (best is None or key < best[0]):
                    best = (key, v, out, ins[2], ins[3])
                r.seq[v], r.cost[v] = seq, cost
        if best is not None:
            break
    else:
        return
    _, v, out, seq, cost = best
    r.seq[v], r.cost[v] = seq, cost
    _use(free, m, v, out, sign=-1)
    _use(free, m, v, [n])
    for x in out:
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
    cur = r.seq[v][: r.fixed[v]]
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

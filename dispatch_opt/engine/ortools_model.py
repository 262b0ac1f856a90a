"""The OR-Tools routing model: tickets, engineer-shifts, time, parts, tools, breaks, SLAs.

The model of record. It is built from the same ProblemData as the search core, reads the search
core's routes as its starting assignment and polishes them with guided local search (adding
restock stops where a ticket needs a part or tool from a depot), or searches on its own from any
OR-Tools first-solution strategy. Solver indices never leave this module. One method per
constraint family (`_add_*`).

Objective, in order of importance (docs/solving.md, "How plans are weighed"): dropping a ticket
costs more than dropping every ticket of all lower tiers and any lateness or travel; then lateness
past the SLA deadline, weighted by tier; then the scenario's costs (travel seconds, and a span
cost on each route's time for on-duty seconds) and overtime. Every cost is multiplied by `scale`
(1, or 10 when the cost weights are fractions) so that integer coefficients keep their ratios.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta
from typing import Callable

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from ..format.plan import Route, Stop
from ..format.scenario import Scenario
from .params import GREEDY, Progress
from .problem import ProblemData, cost_weights

INT_BUDGET = 2**62  # keep the objective well inside int64
FALLBACK_FIRST_SOLUTIONS = ("PARALLEL_CHEAPEST_INSERTION", "LOCAL_CHEAPEST_INSERTION")


class OrToolsModel:
    """One routing model over a ProblemData."""

    def __init__(self, problem: ProblemData):
        p = self.problem = problem
        self.sc, self.el, self.params, self.vehicles, self.nodes = (
            p.sc,
            p.el,
            p.params,
            p.vehicles,
            p.nodes,
        )
        self.ticket_of, self.tickets_of_engineer, self.rank = (
            p.ticket_of,
            p.tickets_of_engineer,
            p.rank,
        )
        self.spans, self.break_windows, self.deadlines = p.spans, p.break_windows, p.deadlines
        self.frozen_heads, self.frozen_nodes = p.frozen_heads, p.frozen_nodes
        self.promised, self.was_on, self.travel = p.promised, p.was_on, p.travel
        self.w_travel, self.w_duty = cost_weights(p.sc)
        whole = all(w in (0.0, 1.0) for w in (self.w_travel, self.w_duty))
        self.scale = 1 if whole else 10
        self.build()

    def build(self) -> None:
        starts = [self.nodes.start(v) for v in range(len(self.vehicles))]
        ends = [self.nodes.end(v) for v in range(len(self.vehicles))]
        self.manager = pywrapcp.RoutingIndexManager(self.nodes.n, len(self.vehicles), starts, ends)
        self.routing = pywrapcp.RoutingModel(self.manager)
        self.solver = self.routing.solver()
        self.idx = [
            self.manager.NodeToIndex(i)
            if i < len(self.nodes.tickets) + len(self.nodes.restocks)
            else None
            for i in range(self.nodes.n)
        ]
        travel = self.travel
        self.travel_cb = self.routing.RegisterTransitMatrix(travel.tolist())
        arc = self.scale * self.w_travel
        if arc == 1:
            self.routing.SetArcCostEvaluatorOfAllVehicles(self.travel_cb)
        elif arc > 0:
            priced = np.round(travel * arc).astype(np.int64)
            self.routing.SetArcCostEvaluatorOfAllVehicles(
                self.routing.RegisterTransitMatrix(priced.tolist())
            )
        self._add_time(travel)
        duty = round(self.scale * self.w_duty)
        if duty > 0:  # on-duty time: the span of each route's clock (see _add_time)
            self.time.SetSpanCostCoefficientForAllVehicles(duty)
        self._add_eligibility()
        self._add_breaks()
        self._add_stock()
        self._add_frozen()
        self._add_stability()
        self._add_preference()
        self._add_priorities()

    def _add_time(self, travel: np.ndarray) -> None:
        """Windows, shifts, overtime; waiting allowed; service time on the arc out of a node.

        The end node's clock is the route's last moment *inside the shift*: the arc into it is
        shortened by the engineer's overtime allowance, and it must not pass shift end. So a visit
        always starts inside its own engineer's shift and the return stays within shift end plus
        overtime, without a side constraint (which the first-solution heuristics cannot see).
        """
        horizon = max([v.latest_return for v in self.vehicles] + [0]) + 1
        time_matrix = travel + self.nodes.service_s[:, None]
        ends = slice(self.nodes.end(0), self.nodes.end(0) + len(self.vehicles))
        callbacks = {}
        for ot in sorted({v.latest_return - v.shift_end for v in self.vehicles}):
            m = time_matrix.copy()
            m[:, ends] = np.maximum(m[:, ends] - ot, 0)
            callbacks[ot] = self.routing.RegisterTransitMatrix(m.tolist())
        per_vehicle = [callbacks[v.latest_return - v.shift_end] for v in self.vehicles]
        self.routing.AddDimensionWithVehicleTransits(per_vehicle, horizon, horizon, False, "time")
        self.time = self.routing.GetDimensionOrDie("time")
        ot_cost = max(0, round(self.params.overtime_per_min * self.scale))
        for v, veh in enumerate(self.vehicles):
            self.time.CumulVar(self.routing.Start(v)).SetRange(veh.earliest_depart, veh.shift_end)
            self.time.CumulVar(self.routing.End(v)).SetRange(veh.earliest_depart, veh.shift_end)
            ot = veh.latest_return - veh.shift_end
            if ot and ot_cost:  # end clock past shift end - ot ~ return past shift end
                self.time.SetCumulVarSoftUpperBound(
                    self.routing.End(v), veh.shift_end - ot, ot_cost
                )
        for n, spans in enumerate(self.spans):
            cumul = self.time.CumulVar(self.idx[n])
            cumul.SetRange(spans[0][0], spans[-1][1])
            for (_, b), (a, _) in zip(spans, spans[1:]):
                cumul.RemoveInterval(b + 1, a - 1)
        for r, (_, v) in enumerate(self.nodes.restocks):
            veh = self.vehicles[v]
            self.time.CumulVar(self.idx[len(self.nodes.tickets) + r]).SetRange(
                veh.earliest_depart, veh.shift_end
            )

    def _add_eligibility(self) -> None:
        """Only eligible engineer-shifts (-1: left unassigned). SetAllowedVehiclesForIndex's
        Python wrapper rejects every list in OR-Tools 9.15, so the vehicle variable is restricted
        directly."""
        everyone = len(self.vehicles)
        for n, tid in enumerate(self.nodes.tickets):
            if len(self.el.allowed[tid]) < everyone:
                self.routing.VehicleVar(self.idx[n]).SetValues([-1] + self.el.allowed[tid])
        for r, (_, v) in enumerate(self.nodes.restocks):
            self.routing.VehicleVar(self.idx[len(self.nodes.tickets) + r]).SetValues([-1, v])

    def _add_breaks(self) -> None:
        """Engineer breaks as OR-Tools break intervals; only those a route could owe."""
        visit = self.nodes.service_s.tolist()
        for v, windows in enumerate(self.break_windows):
            intervals = [
                self.solver.FixedDurationIntervalVar(b0, b1 - d, d, False, f"break-{v}-{b0}-{b1}")
                for b0, b1, d in windows
            ]
            if intervals:
                self.time.SetBreakIntervalsOfVehicle(intervals, v, visit)

    def _add_stock(self) -> None:
        """Parts (used up) and tools (kept) carried on the van across an engineer's shifts;
        restocks add."""
        nt, nodes = len(self.nodes.tickets), self.nodes
        self.stock_dims: dict[tuple[str, str], pywrapcp.RoutingDimension] = {}
        parts = sorted({p for t in self.ticket_of.values() for p in t.parts})
        tools = sorted({x for t in self.ticket_of.values() for x in t.tools})
        for kind, item in [("part", p) for p in parts] + [("tool", x) for x in tools]:
            if not self._stock_matters(kind, item):
                continue
            use = np.zeros(nodes.n, dtype=np.int64)
            if kind == "part":
                use[:nt] = [-self.ticket_of[t].parts.get(item, 0) for t in nodes.tickets]
            held = {
                d.id: (d.parts.get(item, 0) if kind == "part" else int(item in d.tools))
                for d in self.sc.depots
            }
            on_vans = [
                e.van.get(item, 0) if kind == "part" else int(item in e.tools)
                for e in self.sc.engineers
            ]
            cap = (max(on_vans, default=0) + sum(held.values())) if kind == "part" else 1
            cb = self.routing.RegisterUnaryTransitVector(use.tolist())
            name = f"{kind}:{item}"
            self.routing.AddDimension(cb, cap, cap, False, name)
            dim = self.routing.GetDimensionOrDie(name)
            self.stock_dims[(kind, item)] = dim
            for n in range(nt):  # no pickups at customers; tools must be on the van at the visit
                dim.SlackVar(self.idx[n]).SetValue(0)
                if kind == "tool" and item in self.ticket_of[nodes.tickets[n]].tools:
                    dim.CumulVar(self.idx[n]).SetMin(1)
            by_depot: dict[str, list] = {}
            demand = {v: self._demand(kind, item, v) for v in {v for _, v in nodes.restocks}}
            for r, (d, v) in enumerate(nodes.restocks):
                slack = dim.SlackVar(self.idx[nt + r])
                slack.SetRange(
                    0, min(held[d], demand[v])
                )  # never fetch more than the engineer could use
                self.routing.AddToAssignment(slack)  # read back as the pickup
                by_depot.setdefault(d, []).append(slack)
            for d, slacks in by_depot.items():
                # a side constraint hides from the first-solution heuristics: add it only when it
                # can bind
                if kind == "part" and sum(x.Max() for x in slacks) > held[d]:
                    self.solver.Add(self.solver.Sum(slacks) <= held[d])
            prev_end = {}
            for v, veh in enumerate(self.vehicles):
                self.routing.solver().Add(dim.SlackVar(self.routing.Start(v)) == 0)
                start = dim.CumulVar(self.routing.Start(v))
                if veh.engineer.id in prev_end:
                    self.solver.Add(start == prev_end[veh.engineer.id])
                else:
                    start.SetValue(on_vans[veh.engineer_index])
                prev_end[veh.engineer.id] = dim.CumulVar(self.routing.End(v))

    def _demand(self, kind: str, item: str, v: int) -> int:
        """Most of an item the engineer of vehicle v could use on its eligible tickets."""
        mine = self.tickets_of_engineer.get(self.vehicles[v].engineer.id, [])
        if kind == "tool":
            return int(any(item in t.tools for t in mine))
        return sum(t.parts.get(item, 0) for t in mine)

    def _stock_matters(self, kind: str, item: str) -> bool:
        """Only items some engineer could run short of need a dimension of their own."""
        for e in self.sc.engineers:
            mine = self.tickets_of_engineer.get(e.id, [])
            if kind == "part" and e.van.get(item, 0) < sum(t.parts.get(item, 0) for t in mine):
                return True
            if kind == "tool" and item not in e.tools and any(item in t.tools for t in mine):
                return True
        return False

    def _add_frozen(self) -> None:
        """En-route and started tickets lead their engineer's first open route, in that order."""
        for v, ns in self.frozen_heads.items():
            chain = [self.routing.Start(v)] + [self.idx[n] for n in ns]
            for a, b in zip(chain, chain[1:]):
                self.solver.Add(self.routing.NextVar(a) == b)

    def _add_stability(self) -> None:
        """A re-plan keeps tickets with their engineer-shift and near their promised start, unless
        moving them buys more (a higher-tier SLA, much less travel). A visit has one soft upper
        bound: where its SLA deadline binds (see _add_priorities), that one wins over the
        promise."""
        self.stability_bound = 0
        move = round(self.params.move_cost_min * 60 * self.scale)
        movable = {n: v for n, v in self.was_on.items() if n not in self.frozen_nodes}
        if move and movable:
            # a "moved" counter per route: visiting a ticket that was on another engineer-shift adds
            # one, and the route's span is charged per unit. (Soft same-vehicle constraints say the
            # same but take seconds to close at a thousand tickets.)
            callbacks = []
            for v in range(len(self.vehicles)):
                moved = np.zeros(self.nodes.n, dtype=np.int64)
                moved[[n for n, was in movable.items() if was != v]] = 1
                callbacks.append(self.routing.RegisterUnaryTransitVector(moved.tolist()))
            self.routing.AddDimensionWithVehicleTransits(callbacks, 0, len(movable), True, "moved")
            self.routing.GetDimensionOrDie("moved").SetSpanCostCoefficientForAllVehicles(move)
            self.stability_bound += move * len(movable)
        if self.params.eta_shift_per_min <= 0:
            return
        w = max(1, round(self.params.eta_shift_per_min * self.scale))
        tol = round(self.params.eta_tolerance_min * 60)
        horizon = max(v.latest_return for v in self.vehicles)
        for n, promised in enumerate(self.promised):
            if promised is not None and n not in self.frozen_nodes:
                self.time.SetCumulVarSoftLowerBound(self.idx[n], max(0, promised - tol), w)
                self.time.SetCumulVarSoftUpperBound(self.idx[n], promised + tol, w)
                self.stability_bound += horizon * w

    def _add_preference(self) -> None:
        """A ticket served by another engineer than its preferred one costs `preference_min`: a
        counter per route of such visits, its span charged per unit (as `_add_stability` does)."""
        a = self.problem.arrays
        cost = round(a.prefer * self.scale)
        nt = len(self.nodes.tickets)
        if not cost or not (a.preferred[:nt] >= 0).any():
            return
        callbacks = []
        for v in range(len(self.vehicles)):
            other = np.zeros(self.nodes.n, dtype=np.int64)
            wants = a.preferred[:nt]
            other[:nt] = (wants >= 0) & (wants != a.v_engineer[v])
            callbacks.append(self.routing.RegisterUnaryTransitVector(other.tolist()))
        self.routing.AddDimensionWithVehicleTransits(callbacks, 0, nt, True, "not_preferred")
        self.routing.GetDimensionOrDie("not_preferred").SetSpanCostCoefficientForAllVehicles(cost)
        self.stability_bound += cost * int((a.preferred[:nt] >= 0).sum())

    def _add_priorities(self) -> None:
        """Drop penalties that keep tiers lexicographic; soft SLA deadlines weighted by tier."""
        rank = self.rank
        # travel and on-duty seconds together stay below each route's longest day (weights <= 1)
        bound = (
            sum(max(0, v.latest_return - v.earliest_depart) for v in self.vehicles) * self.scale
            + self.stability_bound
        )
        bound += sum(
            max(0, v.latest_return - v.shift_end) * self.params.overtime_per_min * self.scale
            for v in self.vehicles
        )
        counts = [0] * len(rank)
        for n, tid in enumerate(self.nodes.tickets):
            t = self.ticket_of[tid]
            w = self.params.lateness_weight(rank[t.priority]) * self.scale
            deadline = self.deadlines[n]
            latest = max(self.vehicles[v].shift_end for v in self.el.allowed[tid])
            if latest > deadline:
                self.time.SetCumulVarSoftUpperBound(self.idx[n], max(deadline, 0), w)
                bound += (latest - max(deadline, 0)) * w
            counts[rank[t.priority]] += 1
        self.penalty, self.cap_note = _tier_penalties(int(bound) + 1, counts)
        for n, tid in enumerate(self.nodes.tickets):
            if n in self.frozen_nodes:
                continue  # frozen work is never dropped
            self.routing.AddDisjunction(
                [self.idx[n]], self.penalty[rank[self.ticket_of[tid].priority]]
            )
        bonus = round(self.params.restock_bonus_min * 60 * self.scale)
        for r in range(len(self.nodes.restocks)):
            self.routing.AddDisjunction([self.idx[len(self.nodes.tickets) + r]], bonus)

    # ------------------------------------------------------------ search
    def search_parameters(
        self, time_limit_s: float, strategy: str
    ) -> pywrapcp.DefaultRoutingSearchParameters:
        p = pywrapcp.DefaultRoutingSearchParameters()
        p.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, strategy)
        p.local_search_metaheuristic = getattr(
            routing_enums_pb2.LocalSearchMetaheuristic, self.params.metaheuristic
        )
        p.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
        # the completion search (also used to restore a start assignment) must be allowed to place
        # every engineer's break: the default 100 ms is not enough past about 60 engineer-shifts
        # with breaks
        p.lns_time_limit.FromMilliseconds(max(100, int(min(10.0, time_limit_s / 3) * 1000)))
        p.log_search = self.params.log_search
        return p

    def planned(self, solution) -> int:
        return sum(
            1
            for n in range(len(self.nodes.tickets))
            if solution.Value(self.routing.NextVar(self.idx[n])) != self.idx[n]
        )

    def guided_search(
        self,
        time_limit_s: float,
        start_routes: list[list[int]] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        started: float | None = None,
    ):
        """Guided local search from `start_routes` (nodes per engineer-shift: the search core's
        plan); without them, from the first-solution strategy asked for, then the fallbacks (a
        strategy can fail on side constraints). None if nothing was planned in time. Progress
        counts from `started` (time.monotonic(); default now)."""
        t0 = time.monotonic()
        since = t0 if started is None else started
        nt = len(self.nodes.tickets)
        if on_progress is not None:

            def report() -> None:
                planned = sum(
                    1 for n in range(nt) if self.routing.NextVar(self.idx[n]).Value() != self.idx[n]
                )
                cost = self.routing.CostVar().Value()
                on_progress(Progress(time.monotonic() - since, cost, planned, nt))

            self.routing.AddAtSolutionCallback(report)
        if start_routes is not None:
            # RoutesToAssignment, not ReadAssignmentFromRoutes: the latter's restore search can
            # stall for minutes on models with breaks and soft deadlines; inside the search it does
            # not
            params = self.search_parameters(time_limit_s, FALLBACK_FIRST_SOLUTIONS[0])
            self.routing.CloseModelWithParameters(params)
            start = self.routing.solver().Assignment()
            if not self.routing.RoutesToAssignment(start_routes, True, True, start):
                return None
            left = max(0.1, time_limit_s - (time.monotonic() - t0))
            params.time_limit.FromMilliseconds(int(left * 1000))
            # restoring the start may take a while, and is not cut by time_limit: half of what is
            # left
            params.lns_time_limit.FromMilliseconds(int(left * 500))
            return self.routing.SolveFromAssignmentWithParameters(start, params)
        first = self.params.first_solution
        strategies = [s for s in dict.fromkeys([first, *FALLBACK_FIRST_SOLUTIONS]) if s != GREEDY]
        for strategy in strategies:
            left = time_limit_s - (time.monotonic() - t0)
            solution = self.routing.SolveWithParameters(
                self.search_parameters(max(left, 0.1), strategy)
            )
            if solution is not None and self.planned(solution) > 0:
                return solution
            if left <= 0.05:
                break
        return None


def _tier_penalties(base: int, counts: list[int]) -> tuple[list[int], str | None]:
    """Penalty per tier so that one ticket outweighs all lower-tier tickets plus every other cost.

    When that would overflow the objective, each tier instead outweighs `m`
    lower-tier tickets, with m as large as fits; the note says so.
    """

    def build(cap: int) -> list[int]:
        pen = [0] * len(counts)
        lower = 0
        for k in reversed(range(len(counts))):
            pen[k] = base + lower
            lower += min(counts[k], cap) * pen[k]
        return pen

    pen = build(max(counts, default=0))
    if sum(c * p for c, p in zip(counts, pen)) + base < INT_BUDGET:
        return pen, None
    lo, hi = 1, max(counts)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        pen_mid = build(mid)
        if sum(min(c, mid) * p for c, p in zip(counts, pen_mid)) * 2 + base < INT_BUDGET:
            lo = mid
        else:
            hi = mid - 1
    return build(lo), f"tier priority capped: one ticket outweighs up to {lo} lower-tier tickets"


# ---------------------------------------------------------------- public entry point


def read_routes(sc: Scenario, model: OrToolsModel, solution) -> tuple[list[Route], list[str]]:
    """Turn the solution into routes with contract times; drop restocks that fed no visit."""
    el, nodes, routing, tdim = model.el, model.nodes, model.routing, model.time
    nt = len(nodes.tickets)
    hz = el.horizon
    breaks = {}
    container = solution.IntervalVarContainer()
    for i in range(container.Size()):
        e = container.Element(i)
        if e.PerformedValue():
            breaks.setdefault(e.Var().Name(), (e.StartValue(), e.DurationValue()))
    planned = set()
    routes = []
    for v, veh in enumerate(model.vehicles):
        seq, index = [], solution.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            seq.append((model.manager.IndexToNode(index), solution.Value(tdim.CumulVar(index))))
            index = solution.Value(routing.NextVar(index))
        depart = solution.Value(tdim.CumulVar(routing.Start(v)))
        ret = veh.latest_return  # the end node's clock is not the return (see _add_time)
        brks = _owed_breaks(
            model, v, seq, breaks, depart, solution.Value(tdim.CumulVar(routing.End(v)))
        )
        if not seq and not (veh.first_live and veh.start is not veh.engineer.start):
            continue
        stops, pickups = [], _pickups(model, solution, v, seq)
        for node, start in seq:
            if node < nt:
                tid = nodes.tickets[node]
                planned.add(tid)
                stops.append(
                    Stop(
                        "visit",
                        hz.time(start),
                        hz.time(start) + timedelta(minutes=model.ticket_of[tid].duration_min),
                        arrival=None,
                        ticket=tid,
                    )
                )
            else:
                depot, _ = nodes.restocks[node - nt]
                parts, tools = pickups[node]
                stops.append(
                    Stop(
                        "restock",
                        hz.time(start),
                        hz.time(start) + timedelta(minutes=sc.depot(depot).restock_min),
                        arrival=None,
                        depot=depot,
                        parts=parts,
                        tools=tools,
                    )
                )
        for b0, d in brks:
            stops.append(Stop("break", hz.time(b0), hz.time(b0 + d)))
        routes.append(Route(veh.engineer.id, veh.shift, stops, hz.time(depart), hz.time(ret)))
    dropped = [tid for tid in nodes.tickets if tid not in planned]
    return routes, dropped


def sequences(model: OrToolsModel, solution) -> list[list[int]]:
    """Nodes per engineer-shift in visiting order, as the search core holds routes (to weigh the
    solution with the engine's objective: engine/objective.py)."""
    routing, out = model.routing, []
    for v in range(len(model.vehicles)):
        seq, index = [], solution.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            seq.append(model.manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        out.append(seq)
    return out


def _owed_breaks(
    model: OrToolsModel, v: int, seq: list, breaks: dict, depart: int, end_clock: int
) -> list[tuple[int, int]]:
    """Breaks the route owes, as (start, duration) seconds.

    OR-Tools may put a break after the end node's clock, which runs up to the overtime allowance
    ahead of the real return (see _add_time). Such a break is owed only if the engineer is really
    still out at the interval's end; it is then taken right after the last stop.
    """
    out = []
    last_end = (seq[-1][1] + int(model.nodes.service_s[seq[-1][0]])) if seq else depart
    last_loc = model.nodes.loc[seq[-1][0]] if seq else model.el.vehicle_loc[v][0]
    back = last_end + math.ceil(model.el.minutes[last_loc, model.el.vehicle_loc[v][1]] * 60)
    for name, (start, dur) in sorted(breaks.items(), key=lambda kv: kv[1]):
        _, bv, b0, b1 = name.split("-")
        if int(bv) != v or start < depart or int(b0) < depart:
            continue  # not this route's, or before it set out: not owed
        if start < end_clock or (not seq and back >= int(b1)):
            out.append((start, dur))
        elif back + dur >= int(b1):  # still out at the interval's end: take it after the last stop
            at = max(int(b0), last_end)
            out.append(
                (at if at + dur <= int(b1) else max(start, last_end), dur)
            )  # else where OR-Tools put it
    return out


def _pickups(model: OrToolsModel, solution, v: int, seq) -> dict[int, tuple[dict, list]]:
    """Parts and tools taken at each restock stop: how much each stock dimension's cumul rises from
    the stop to the next node (nothing is used at a restock). Read from cumuls, not from the slack
    variables:
    in solutions from OR-Tools' own first-solution heuristics the slack values can be stale."""
    nt = len(model.nodes.tickets)
    indices = [model.manager.NodeToIndex(node) for node, _ in seq] + [model.routing.End(v)]
    out = {}
    for k, (node, _) in enumerate(seq):
        if node < nt:
            continue
        parts, tools = {}, []
        for (kind, item), dim in model.stock_dims.items():
            q = solution.Value(dim.CumulVar(indices[k + 1])) - solution.Value(
                dim.CumulVar(indices[k])
            )
            if q > 0 and kind == "part":
                parts[item] = q
            elif q > 0:
                tools.append(item)
        out[node] = (parts, tools)
    return out

"""The OR-Tools routing model: tickets, engineer-shifts, time, parts, tools, breaks, SLAs.

Solver indices never leave this module: `solve` takes a Scenario and returns
a Plan. One function per constraint family (`_add_*`). Units inside: whole
seconds from the horizon origin, travel rounded up so that every plan the
model accepts also holds with the exact travel times.

Objective, in order of importance (see README "How plans are weighed"):
dropping a ticket costs more than dropping every ticket of all lower tiers
and any lateness or travel; then lateness past the SLA deadline, weighted by
tier; then travel seconds; then overtime.
"""

from __future__ import annotations

import dataclasses
import math
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from .checker import check
from .construct import BREAK, _Routes, first_routes
from .eligibility import Eligibility, compute_eligibility
from .model import Scenario
from .plan import Plan, Route, Stop, Unassigned, build_kpis, diff_plans, finalize_routes

INT_BUDGET = 2**62  # keep the objective well inside int64
DEFAULT_LATENESS_PER_MIN = (100, 30, 10, 3)  # by tier rank; travel costs 1 per minute
GREEDY = "GREEDY_INSERTION"  # construct.first_routes, then ruin and recreate: fast, in plain Python
FALLBACK_FIRST_SOLUTIONS = ("PARALLEL_CHEAPEST_INSERTION", "LOCAL_CHEAPEST_INSERTION")


@dataclass(frozen=True)
class SolveParams:
    """How hard and how to search. Weights are per minute, relative to one minute of travel."""

    time_limit_s: float = 10.0
    seed: int = 0
    first_solution: str = (
        GREEDY  # or an OR-Tools FirstSolutionStrategy name (no ruin and recreate then)
    )
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    lateness_per_min: tuple[float, ...] = (
        DEFAULT_LATENESS_PER_MIN  # tier rank 0, 1, ...; last repeats
    )
    overtime_per_min: float = 2.0
    restock_bonus_min: float = (
        20.0  # how much detour a restock stop may cost before it is proven useful
    )
    # re-planning against a previous plan (see solve(previous=...)): what changing it costs
    move_cost_min: float = 60.0  # a ticket moved to another engineer-shift
    eta_tolerance_min: float = 30.0  # a promised start may shift this much for free
    eta_shift_per_min: float = 1.0  # each minute beyond that
    log_search: bool = False
    ruin_share: float = (
        0.8  # of the time limit (from the start): ruin and recreate, then OR-Tools' search
    )
    # scale-out (dispatch_opt.scale): processes to run territories or a seed portfolio on, a Dask
    # scheduler address (None: an in-process LocalCluster when workers > 1), and the territory size
    workers: int = 1
    scheduler: str | None = None
    territory_tickets: int = 500  # scenarios over twice this many live tickets are split

    def lateness_weight(self, rank: int) -> int:
        w = self.lateness_per_min[min(rank, len(self.lateness_per_min) - 1)]
        return max(1, round(w))


@dataclass
class Progress:
    elapsed_s: float
    objective: int
    planned: int
    tickets: int


@dataclass
class _Nodes:
    """Node layout: tickets, then restock stops, then each vehicle's start and end."""

    tickets: list[str]
    restocks: list[tuple[str, int]]  # (depot id, vehicle)
    n_vehicles: int
    loc: np.ndarray = field(default=None)  # node -> location index
    service_s: np.ndarray = field(default=None)

    @property
    def n(self) -> int:
        return len(self.tickets) + len(self.restocks) + 2 * self.n_vehicles

    def start(self, v: int) -> int:
        return len(self.tickets) + len(self.restocks) + v

    def end(self, v: int) -> int:
        return len(self.tickets) + len(self.restocks) + self.n_vehicles + v


class _Model:
    """Builds and solves one routing model from an Eligibility."""

    def __init__(
        self,
        sc: Scenario,
        el: Eligibility,
        params: SolveParams,
        previous: Plan | None = None,
        warm: Plan | None = None,
    ):
        self.sc, self.el, self.params = sc, el, params
        self.vehicles = el.vehicles
        tickets = sorted(el.allowed)
        random.Random(params.seed).shuffle(tickets)  # the seed changes the search's tie-breaking
        self.ticket_of = {tid: sc.ticket(tid) for tid in tickets}
        self.tickets_of_engineer: dict[str, list] = {}
        for tid in tickets:
            for eid in {self.vehicles[v].engineer.id for v in el.allowed[tid]}:
                self.tickets_of_engineer.setdefault(eid, []).append(self.ticket_of[tid])
        self.nodes = _Nodes(tickets, self._restock_slots(tickets), len(self.vehicles))
        self.greedy_timelines: list[list[tuple]] | None = None
        self._layout()
        self._previous(previous, warm or previous)
        self.travel = self._travel_s()
        self.travel_rows = self.travel.tolist()  # plain lists for the greedy's hot loop

    # ------------------------------------------------------------ layout
    def _restock_slots(self, tickets: list[str]) -> list[tuple[str, int]]:
        """A restock stop per (depot, engineer-shift) that might need one: any engineer-shift with parts
        work (a van can run short over several tickets), or one lacking a tool a ticket needs."""
        if not self.sc.depots:
            return []
        needy = {
            v
            for tid in tickets
            for v in self.el.allowed[tid]
            if self.ticket_of[tid].parts
            or not set(self.ticket_of[tid].tools) <= set(self.vehicles[v].engineer.tools)
        }
        return [(d.id, v) for v in sorted(needy) for d in self.sc.depots if d.parts or d.tools]

    def _layout(self) -> None:
        el, nodes = self.el, self.nodes
        loc = [el.ticket_loc[t] for t in nodes.tickets] + [
            el.depot_loc[d] for d, _ in nodes.restocks
        ]
        loc += [int(el.vehicle_loc[v][0]) for v in range(nodes.n_vehicles)]
        loc += [int(el.vehicle_loc[v][1]) for v in range(nodes.n_vehicles)]
        nodes.loc = np.array(loc, dtype=np.int64)
        service = [self.ticket_of[t].duration_min for t in nodes.tickets]
        service += [self.sc.depot(d).restock_min for d, _ in nodes.restocks]
        service += [0.0] * (2 * nodes.n_vehicles)
        nodes.service_s = np.ceil(np.array(service, dtype=float) * 60 - 1e-6).astype(np.int64)
        self.spans = [self._spans(tid) for tid in nodes.tickets]
        self.break_windows = [self._break_windows(veh) for veh in self.vehicles]
        self.rank = {k: i for i, k in enumerate(self.sc.tiers)}
        self.deadlines = [
            self.el.horizon.seconds(self.sc.deadline(self.ticket_of[t])) for t in nodes.tickets
        ]
        self.frozen_heads: dict[
            int, list[int]
        ] = {}  # vehicle -> frozen ticket nodes, started before en route
        for n, tid in enumerate(nodes.tickets):
            if self.ticket_of[tid].frozen:
                self.frozen_heads.setdefault(self.el.allowed[tid][0], []).append(n)
        for heads in self.frozen_heads.values():
            heads.sort(key=lambda n: (self.ticket_of[nodes.tickets[n]].status != "started", n))
        self.frozen_nodes = {n for ns in self.frozen_heads.values() for n in ns}

    def _previous(self, plan: Plan | None, warm: Plan | None) -> None:
        """What a re-plan keeps from the previous plan: each ticket's engineer-shift and promised start
        (`promised`, `was_on`); and the routes to start from (`seeds`, restocks with their pickups): those
        of `warm` (the previous plan with new work inserted), else of the previous plan."""
        nt = len(self.nodes.tickets)
        self.promised: list[int | None] = [None] * nt
        self.was_on: dict[int, int] = {}
        self.seeds: dict[int, list[int]] = {}
        self.seed_pickups: dict[int, tuple[dict, list]] = {}
        self.left_out: set[int] = (
            set()
        )  # unassigned before: the fast path (no search) tries them after new work
        if plan is None:
            return
        node_of = {tid: n for n, tid in enumerate(self.nodes.tickets)}
        if self.params.time_limit_s <= 0:
            self.left_out = {node_of[u.ticket] for u in plan.unassigned if u.ticket in node_of}
        restock_of = {slot: nt + r for r, slot in enumerate(self.nodes.restocks)}
        vehicle_of = {(veh.engineer.id, veh.shift): v for v, veh in enumerate(self.vehicles)}
        hz = self.el.horizon
        for route in plan.routes:
            v = vehicle_of.get((route.engineer, route.shift))
            for s in route.visits:
                if s.ticket in node_of:
                    self.promised[node_of[s.ticket]] = hz.seconds(s.start)
                    if v is not None and v in self.el.allowed[s.ticket]:
                        self.was_on[node_of[s.ticket]] = v
        for route in warm.routes:
            v = vehicle_of.get((route.engineer, route.shift))
            seed = []
            for s in route.stops:
                if s.type == "visit" and s.ticket in node_of:
                    if v is not None and v in self.el.allowed[s.ticket]:
                        seed.append(node_of[s.ticket])
                elif (
                    s.type == "break"
                    and v is not None
                    and any(b0 <= hz.seconds(s.start) <= b1 for b0, b1, _ in self.break_windows[v])
                ):
                    seed.append(BREAK)
                elif (
                    s.type == "restock"
                    and (s.depot, v) in restock_of
                    and restock_of[(s.depot, v)] not in seed
                    and hz.seconds(s.start) >= self.vehicles[v].earliest_depart
                ):  # not one already taken
                    seed.append(restock_of[(s.depot, v)])
                    self.seed_pickups[seed[-1]] = (dict(s.parts), list(s.tools))
            if any(n != BREAK for n in seed):
                self.seeds[v] = seed

    def frozen_out_of_reach(self) -> list[str]:
        """Frozen tickets of engineer-shifts that cannot even do their frozen work (and breaks) alone."""
        routes = _Routes(self)
        return [
            self.nodes.tickets[n]
            for v, heads in self.frozen_heads.items()
            if routes.frozen_lead(v, heads) is None
            for n in heads
        ]

    def _spans(self, tid: str) -> list[tuple[int, int]]:
        """When the visit may start (seconds): its windows, within the allowed engineer-shifts, merged."""
        t, allowed = self.ticket_of[tid], self.el.allowed[tid]
        hz = self.el.horizon
        lo = max(
            min(self.vehicles[v].earliest_depart for v in allowed), hz.seconds(t.created, up=True)
        )
        hi = max(self.vehicles[v].shift_end for v in allowed)
        raw = sorted((hz.seconds(w.start, up=True), hz.seconds(w.end)) for w in t.windows) or [
            (lo, hi)
        ]
        out: list[list[int]] = []
        for a, b in raw:
            a, b = max(a, lo), min(b, hi)
            if a > b:
                continue
            if out and a <= out[-1][1] + 1:
                out[-1][1] = max(out[-1][1], b)
            else:
                out.append([a, b])
        return [(a, b) for a, b in out]

    def _break_windows(self, veh) -> list[tuple[int, int, int]]:
        """(interval start, interval end, duration) in seconds of the breaks a route could owe."""
        hz, out = self.el.horizon, []
        for b in veh.engineer.breaks:
            b0, b1 = hz.seconds(b.start, up=True), hz.seconds(b.end)
            if b0 < veh.earliest_depart or b1 > veh.latest_return or b0 > veh.shift_end:
                continue  # not owed: the route cannot be under way across the whole interval
            out.append((b0, b1, math.ceil(b.duration_min * 60 - 1e-6)))
        return out

    def _travel_s(self) -> np.ndarray:
        sub = self.el.minutes[np.ix_(self.nodes.loc, self.nodes.loc)]
        return np.ceil(sub * 60 - 1e-6).astype(np.int64)

    # ------------------------------------------------------------ constraint families
    def build(self) -> None:
        """The OR-Tools model (the greedy alone needs none of it)."""
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
        self.routing.SetArcCostEvaluatorOfAllVehicles(self.travel_cb)
        self._add_time(travel)
        self._add_eligibility()
        self._add_breaks()
        self._add_stock()
        self._add_frozen()
        self._add_stability()
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
        ot_cost = max(0, round(self.params.overtime_per_min))
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
        Python wrapper rejects every list in OR-Tools 9.15, so the vehicle variable is restricted directly."""
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
        """Parts (used up) and tools (kept) carried on the van across an engineer's shifts; restocks add."""
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
                # a side constraint hides from the first-solution heuristics: add it only when it can bind
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
        """A re-plan keeps tickets with their engineer-shift and near their promised start, unless moving
        them buys more (a higher-tier SLA, much less travel). A visit has one soft upper bound: where its
        SLA deadline binds (see _add_priorities), that one wins over the promise."""
        self.stability_bound = 0
        move = round(self.params.move_cost_min * 60)
        movable = {n: v for n, v in self.was_on.items() if n not in self.frozen_nodes}
        if move and movable:
            # a "moved" counter per route: visiting a ticket that was on another engineer-shift adds one, and the
            # route's span is charged per unit. (Soft same-vehicle constraints say the same but take seconds to
            # close at a thousand tickets.)
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
        w = max(1, round(self.params.eta_shift_per_min))
        tol = round(self.params.eta_tolerance_min * 60)
        horizon = max(v.latest_return for v in self.vehicles)
        for n, promised in enumerate(self.promised):
            if promised is not None and n not in self.frozen_nodes:
                self.time.SetCumulVarSoftLowerBound(self.idx[n], max(0, promised - tol), w)
                self.time.SetCumulVarSoftUpperBound(self.idx[n], promised + tol, w)
                self.stability_bound += horizon * w

    def _add_priorities(self) -> None:
        """Drop penalties that keep tiers lexicographic; soft SLA deadlines weighted by tier."""
        rank = self.rank
        bound = (
            sum(max(0, v.latest_return - v.earliest_depart) for v in self.vehicles)
            + self.stability_bound
        )
        bound += sum(
            max(0, v.latest_return - v.shift_end) * self.params.overtime_per_min
            for v in self.vehicles
        )
        counts = [0] * len(rank)
        for n, tid in enumerate(self.nodes.tickets):
            t = self.ticket_of[tid]
            w = self.params.lateness_weight(rank[t.priority])
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
        bonus = round(self.params.restock_bonus_min * 60)
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
        # the completion search (also used to restore a start assignment) must be allowed to place every
        # engineer's break: the default 100 ms is not enough past about 60 engineer-shifts with breaks
        p.lns_time_limit.FromMilliseconds(max(100, int(min(10.0, time_limit_s / 3) * 1000)))
        p.log_search = self.params.log_search
        return p

    def planned(self, solution) -> int:
        return sum(
            1
            for n in range(len(self.nodes.tickets))
            if solution.Value(self.routing.NextVar(self.idx[n])) != self.idx[n]
        )

    def solve(self, time_limit_s: float, on_progress: Callable[[Progress], None] | None):
        """Search; if a first-solution strategy plans nothing (it can fail on side constraints), try the next."""
        t0 = time.monotonic()
        nt = len(self.nodes.tickets)
        if on_progress is not None:

            def report() -> None:
                planned = sum(
                    1 for n in range(nt) if self.routing.NextVar(self.idx[n]).Value() != self.idx[n]
                )
                on_progress(
                    Progress(time.monotonic() - t0, self.routing.CostVar().Value(), planned, nt)
                )

            self.routing.AddAtSolutionCallback(report)
        first = self.params.first_solution
        strategies = list(dict.fromkeys([first, *FALLBACK_FIRST_SOLUTIONS]))
        solution = None
        if (
            first != GREEDY
        ):  # kept as the plan of last resort should the search return nothing in time
            _, self.greedy_timelines = first_routes(self, deadline=t0 + time_limit_s / 4)
        else:
            strategies.remove(GREEDY)
            # RoutesToAssignment, not ReadAssignmentFromRoutes: the latter's restore search can stall
            # for minutes on models with breaks and soft deadlines; restored inside the search, it does not
            params = self.search_parameters(
                time_limit_s - (time.monotonic() - t0), FALLBACK_FIRST_SOLUTIONS[0]
            )
            self.routing.CloseModelWithParameters(params)
            start = self.routing.solver().Assignment()

            def improved(
                missed: tuple[int, ...], cost: float
            ) -> None:  # ruin and recreate's best, as OR-Tools counts
                objective = round(cost) + sum(k * p for k, p in zip(missed, self.penalty))
                on_progress(Progress(time.monotonic() - t0, objective, nt - sum(missed), nt))

            share = min(1.0, max(0.0, self.params.ruin_share))
            routes, self.greedy_timelines = first_routes(
                self,
                deadline=t0 + time_limit_s / 2,
                improve_until=t0 + time_limit_s * share,
                on_best=improved if on_progress is not None else None,
            )
            if self.routing.RoutesToAssignment(routes, True, True, start):
                left = max(0.1, time_limit_s - (time.monotonic() - t0))
                params.time_limit.FromMilliseconds(int(left * 1000))
                # restoring the start may take a while, and is not cut by time_limit: half of what is left
                params.lns_time_limit.FromMilliseconds(int(left * 500))
                solution = self.routing.SolveFromAssignmentWithParameters(start, params)
                if solution is not None or time.monotonic() - t0 >= time_limit_s:
                    return solution
        for strategy in strategies:
            left = time_limit_s - (time.monotonic() - t0)
            if left <= 0.05 and solution is not None:
                break
            solution = self.routing.SolveWithParameters(
                self.search_parameters(max(left, 0.1), strategy)
            )
            if solution is not None and self.planned(solution) > 0:
                return solution
        return None  # nothing planned: the caller falls back on the greedy plan


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


def solve(
    scenario: Scenario,
    params: SolveParams | None = None,
    *,
    previous: Plan | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> Plan:
    """Plan every live ticket: routes for engineer-shifts, the rest unassigned with a reason.

    With `previous` (a plan of the same operation, e.g. this morning's), this is a re-plan: its routes
    are the warm start, and moving a ticket to another engineer or shifting its promised start costs
    (SolveParams.move_cost_min, eta_*); the plan's KPIs then count the changes. With time_limit_s=0 there
    is no search: the previous routes are kept as far as they still hold and new work is inserted where
    it costs least (the fast path for an emergency).
    """
    params = params or SolveParams()
    if previous is not None and params.time_limit_s > 0:
        plan = _replan(scenario, params, previous, on_progress)
    else:
        plan = _solve(scenario, params, previous, on_progress)
    if previous is not None:
        plan.kpis["changes"] = diff_plans(previous, plan, params.eta_tolerance_min).summary()
    return plan


def _replan(
    scenario: Scenario,
    params: SolveParams,
    previous: Plan,
    on_progress: Callable[[Progress], None] | None,
) -> Plan:
    """The fast path first (new work inserted, nothing moved), then the search from there: a re-plan with
    search is never worse than the insertion alone, whatever the time limit."""
    t0 = time.monotonic()
    el = compute_eligibility(scenario)
    fast = _solve(scenario, dataclasses.replace(params, time_limit_s=0), previous, el=el)
    left = params.time_limit_s - (time.monotonic() - t0)
    if left < 0.5:
        fast.notes.append(
            "no time left to search after inserting new work; fix: allow more time (--time-limit)"
        )
        return fast
    plan = _solve(
        scenario,
        dataclasses.replace(params, time_limit_s=left),
        previous,
        on_progress,
        warm=fast,
        el=el,
    )
    served = lambda p: [p.kpis["tiers"][k]["served"] for k in scenario.tiers]  # noqa: E731
    if served(plan) < served(
        fast
    ):  # lexicographic by tier: the search found nothing better in time
        fast.notes.append(
            "the search found no better plan in time than inserting the new work; kept the insertion"
        )
        return fast
    return plan


def _solve(
    scenario: Scenario,
    params: SolveParams,
    previous: Plan | None,
    on_progress: Callable[[Progress], None] | None = None,
    warm: Plan | None = None,
    el: Eligibility | None = None,
) -> Plan:
    """One solve; `el` (from compute_eligibility) may be shared by the two solves of a re-plan: it is copied,
    since frozen work that cannot be kept is taken out of it."""
    t0 = time.monotonic()
    el = (
        compute_eligibility(scenario)
        if el is None
        else dataclasses.replace(el, allowed=dict(el.allowed), unplannable=dict(el.unplannable))
    )
    unassigned = [Unassigned(tid, u.reason, u.code) for tid, u in el.unplannable.items()]
    status = "solved"
    while el.allowed and el.vehicles:
        model = _Model(scenario, el, params, previous, warm)
        stuck = model.frozen_out_of_reach()
        if stuck:  # drop just that engineer's frozen work, with the reason, and plan the rest
            unassigned += [_frozen_unassigned(model.ticket_of[tid]) for tid in stuck]
            for tid in stuck:
                el.allowed.pop(tid)
            status = "solved without frozen work"
            continue
        note = None
        if params.time_limit_s > 0:
            model.build()
            setup_s = time.monotonic() - t0
            solution = model.solve(max(0.1, params.time_limit_s - setup_s), on_progress)
            if solution is not None:
                routes, dropped = _read_routes(scenario, model, solution)
                plan = _plan(
                    scenario,
                    el,
                    routes,
                    unassigned + _dropped(el, dropped, routes, timed_out=False),
                    t0,
                    setup_s,
                    status,
                    objective=solution.ObjectiveValue(),
                )
                if model.cap_note:
                    plan.notes.append(model.cap_note)
                broken = check(scenario, plan).violations
                if not broken:
                    return plan
                # a safety net, not a feature: reading a search result back must never hand out a broken plan
                if not _greedy_is_whole(model):
                    plan.notes.append(f"the search's plan breaks hard rules: {'; '.join(broken)}")
                    return plan
                note = f"the search's plan broke a hard rule ({broken[0]}); the greedy plan is returned instead"
        else:  # no search: the greedy insertion alone
            setup_s = time.monotonic() - t0
            _, model.greedy_timelines = first_routes(model)
        timed_out = (
            not note
            and params.time_limit_s > 0
            and time.monotonic() - t0 >= params.time_limit_s - 0.05
        )
        if _greedy_is_whole(
            model
        ):  # the search returned nothing in time, a broken plan, or was not asked for
            routes, dropped = _greedy_routes(model)
            unassigned += _dropped(el, dropped, routes, timed_out)
            plan = _plan(
                scenario,
                el,
                routes,
                unassigned,
                t0,
                setup_s,
                "greedy plan only" if params.time_limit_s > 0 else "inserted without search",
            )
            plan.notes += [note] if note else []
            return plan
        # every ticket is optional but frozen work: that is what made the model infeasible
        frozen = [tid for tid in model.nodes.tickets if model.ticket_of[tid].frozen]
        if not frozen:
            unassigned += _dropped(el, list(el.allowed), [], timed_out)
            return _plan(scenario, el, [], unassigned, t0, setup_s, "no solution")
        for tid in frozen:
            el.allowed.pop(tid)
            unassigned.append(_frozen_unassigned(model.ticket_of[tid]))
        status = "solved without frozen work"
    return _plan(
        scenario, el, [], unassigned, t0, setup_s=time.monotonic() - t0, status="nothing to plan"
    )


def _frozen_unassigned(t) -> Unassigned:
    return Unassigned(
        t.id,
        f"{t.status} with {t.engineer} but cannot be kept within the engineer's shift, breaks and "
        f"windows; fix: extend the shift or release the ticket",
        "frozen",
    )


def _greedy_is_whole(model: _Model) -> bool:
    """The greedy plan exists and keeps all frozen work (it cannot drop it)."""
    if model.greedy_timelines is None:
        return False
    placed = {item[0] for tl in model.greedy_timelines for item in tl if item[0] >= 0}
    return all(n in placed for n in model.frozen_nodes)


def _greedy_routes(model: _Model) -> tuple[list[Route], list[str]]:
    """Routes straight from the greedy timelines (see construct.first_routes)."""
    hz, nodes, routes, planned = model.el.horizon, model.nodes, [], set()
    for v, timeline in enumerate(model.greedy_timelines):
        veh = model.vehicles[v]
        if not any(item[0] >= 0 for item in timeline):
            continue
        stops = []
        for item in timeline:
            if item[0] >= len(nodes.tickets):  # a restock kept from the previous plan
                depot, _ = nodes.restocks[item[0] - len(nodes.tickets)]
                parts, tools = model.seed_pickups[item[0]]
                stops.append(
                    Stop(
                        "restock",
                        hz.time(item[1]),
                        hz.time(item[1]) + timedelta(minutes=model.sc.depot(depot).restock_min),
                        depot=depot,
                        parts=parts,
                        tools=tools,
                    )
                )
            elif item[0] >= 0:
                tid = nodes.tickets[item[0]]
                planned.add(tid)
                start = hz.time(item[1])
                stops.append(
                    Stop(
                        "visit",
                        start,
                        start + timedelta(minutes=model.ticket_of[tid].duration_min),
                        ticket=tid,
                    )
                )
            else:
                stops.append(Stop("break", hz.time(item[1]), hz.time(item[1] + item[2])))
        routes.append(
            Route(
                veh.engineer.id,
                veh.shift,
                stops,
                hz.time(veh.earliest_depart),
                hz.time(veh.latest_return),
            )
        )
    return routes, [tid for tid in nodes.tickets if tid not in planned]


def _dropped(
    el: Eligibility, dropped: list[str], routes: list[Route], timed_out: bool
) -> list[Unassigned]:
    """Eligible tickets left out: for lack of time (say so) or of room."""
    if timed_out:
        done = "after a first plan" if any(r.visits for r in routes) else "before a first plan"
        return [
            Unassigned(
                tid,
                f"not planned: the search ran out of time {done}; fix: allow more time "
                f"(--time-limit)",
                "time_limit",
            )
            for tid in dropped
        ]
    return [Unassigned(tid, _capacity_reason(el, tid), "capacity") for tid in dropped]


def _capacity_reason(el: Eligibility, tid: str) -> str:
    engineers = sorted({el.vehicles[v].engineer.id for v in el.allowed[tid]})
    who = engineers[0] if len(engineers) == 1 else f"{len(engineers)} qualified engineers"
    return (
        f"not enough capacity: left out in favour of higher-priority or better-placed work "
        f"({who} could serve it; their shifts are full at the times it can be served)"
    )


def _read_routes(sc: Scenario, model: _Model, solution) -> tuple[list[Route], list[str]]:
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


def _owed_breaks(
    model: _Model, v: int, seq: list, breaks: dict, depart: int, end_clock: int
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


def _pickups(model: _Model, solution, v: int, seq) -> dict[int, tuple[dict, list]]:
    """Parts and tools taken at each restock stop: how much each stock dimension's cumul rises from the
    stop to the next node (nothing is used at a restock). Read from cumuls, not from the slack variables:
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


def _plan(sc, el, routes, unassigned, t0, setup_s, status, objective=None) -> Plan:
    routes = finalize_routes(sc, el, routes)
    plan = Plan(sc.name, routes, unassigned, scenario=sc)
    plan.kpis = build_kpis(
        sc, plan, solve_s=time.monotonic() - t0, setup_s=setup_s, status=status, objective=objective
    )
    return plan

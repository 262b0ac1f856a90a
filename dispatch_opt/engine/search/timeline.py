"""The search core's routes as plan routes (stops with contract times), and as OR-Tools' start."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from ...format.plan import Route, Stop
from ..problem import ProblemData
from .kernel import INF, route_cost
from .routes import RouteState


def schedule(p: ProblemData, v: int, seq: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(cost, start of each item, start of each owed break or -1) of route v visiting `seq`."""
    a = p.arrays
    starts = np.full(max(1, len(seq)), -1, dtype=np.int64)
    breaks = np.full(max(1, int(a.b_n[v])), -1, dtype=np.int64)
    cost = route_cost(a, v, np.asarray(seq, dtype=np.int64), len(seq), starts, breaks)
    return cost, starts[: len(seq)], breaks[: a.b_n[v]]


def plan_routes(p: ProblemData, s: RouteState) -> tuple[list[Route], list[str]]:
    """Routes with their stops (start times as scheduled; finalize_routes fills the rest), and the
    tickets left out."""
    hz, nt, routes = p.el.horizon, p.arrays.nt, []
    for v, veh in enumerate(p.vehicles):
        seq = s.seq[v, : s.n[v]]
        if len(seq) == 0 or s.cost[v] == INF:
            continue
        _, starts, breaks = schedule(p, v, seq)
        stops = []
        for x, start in zip(seq.tolist(), starts.tolist()):
            at = hz.time(start)
            if x < nt:
                tid = p.nodes.tickets[x]
                minutes = p.ticket_of[tid].duration_min
                lead = x in p.links and p.links[x].crew > 1 or x in p.frozen_leads  # a crew's
                end = at + timedelta(minutes=minutes)
                stops.append(Stop("visit", at, end, ticket=tid, lead=lead))
            else:
                depot, _ = p.nodes.restocks[x - nt]
                if s.depot_of[v] >= 0 and p.arrays.restock_node[v, s.depot_of[v]] == x:
                    parts = {p.parts[q]: int(k) for q, k in enumerate(s.pick[v]) if k > 0}
                    tools = [p.tools[t] for t in np.flatnonzero(s.tool_pick[v])]
                else:  # a restock kept from the plan in force
                    parts, tools = p.seed_pickups[x]
                end = at + timedelta(minutes=p.sc.depot(depot).restock_min)
                stops.append(Stop("restock", at, end, depot=depot, parts=parts, tools=tools))
        for k, start in enumerate(breaks.tolist()):
            if start >= 0:
                stops.append(
                    Stop("break", hz.time(start), hz.time(start + p.break_windows[v][k][2]))
                )
        depart, back = hz.time(veh.earliest_depart), hz.time(veh.latest_return)
        routes.append(Route(veh.engineer.id, veh.shift, stops, depart, back))
    planned = {st.ticket for r in routes for st in r.visits}
    return routes, [tid for tid in dict.fromkeys(p.nodes.tickets) if tid not in planned]


def start_routes(p: ProblemData, s: RouteState) -> list[list[int]]:
    """Nodes per engineer-shift in visiting order, for OR-Tools' RoutesToAssignment."""
    return [s.seq[v, : s.n[v]].tolist() if s.cost[v] != INF else [] for v in range(len(s.n))]

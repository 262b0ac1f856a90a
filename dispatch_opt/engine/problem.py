"""Problem data: a scenario's tickets, engineer-shifts and depots as arrays, built once per solve.

Everything downstream (the search core, the OR-Tools model, real time, the baselines) reads this
one description; nothing downstream builds its own copy of windows, breaks or travel.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..format.plan import Plan
from ..format.scenario import Scenario
from .eligibility import Eligibility
from .params import SolveParams
from .timing import held_tickets


@dataclass
class Nodes:
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


@dataclass
class Link:
    """A linked ticket (a crew visit, a follow-up, or both), placed whole by search.linked."""

    ticket: str
    nodes: list[int]  # the lead node first, then the k - 1 copies of a crew visit
    crew: int
    follows: int | None = None  # lead node of the live ticket it follows
    follows_missing: str | None = None  # the live ticket it follows, when nobody can serve that
    min_lag: int = 0  # seconds after the end of the visit it follows
    max_lag: int | None = None
    same_engineer: bool = False
    lead_rows: tuple = ()  # (eligible, allowed) of the lead node over the engineer-shifts
    member_rows: np.ndarray | None = None  # eligible of the copies
    windows: list = field(default_factory=list)  # the ticket's own windows (seconds)
    why: tuple[str, str] | None = None  # (code, reason) of its last failed placement


def linked(sc: Scenario, t) -> bool:
    """A crew visit or a follow-up of a live visit: placed whole, outside the ordinary moves."""
    if t.frozen:
        return False
    if t.crew > 1:
        return True
    if t.after is None:
        return False
    before = sc.ticket(t.after.ticket)
    return before.status != "done"


class ProblemData:
    """Everything the search and the OR-Tools model read, built once per solve from an Eligibility.

    Integer seconds from the horizon origin; travel rounded up, so that a schedule that holds here
    also holds with the exact travel times. Node layout: tickets, restock stops, each vehicle's
    start, each vehicle's end (see `Nodes`). `arrays` holds the same as plain numpy arrays for the
    compiled kernel (search.kernel).
    """

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
        self.linked_ids = {tid for tid in tickets if linked(sc, self.ticket_of[tid])}
        copies = [  # a crew visit's other members: copies of its node (see Link; under way:
            tid  # frozen on each member, see _frozen_crews)
            for tid in tickets
            if tid in self.linked_ids or tid in el.crew_members and self.ticket_of[tid].frozen
            for _ in range(self.ticket_of[tid].crew - 1)
        ]
        engineer_of = np.array([veh.engineer_index for veh in self.vehicles], dtype=np.int64)
        engineer_ids = [e.id for e in sc.engineers]
        self.tickets_of_engineer: dict[str, list] = {}
        for tid in tickets:
            for e in np.unique(engineer_of[el.allowed[tid]]) if el.allowed[tid] else ():
                self.tickets_of_engineer.setdefault(engineer_ids[e], []).append(self.ticket_of[tid])
        self.nodes = Nodes(tickets + copies, self._restock_slots(tickets), len(self.vehicles))
        self._layout()
        self._previous(previous, warm or previous)
        self.travel = self._travel_s()
        self.frozen_leads = self._frozen_crews()
        self.parts = sorted({q for t in self.ticket_of.values() for q in t.parts})
        self.tools = sorted({x for t in self.ticket_of.values() for x in t.tools})
        self.arrays = kernel_arrays(self)
        # per ticket node, the engineer-shifts it may go to; per engineer, its engineer-shifts
        self.allowed_vehicles = [
            np.array(el.allowed[t], dtype=np.int64) for t in self.nodes.tickets
        ]
        self._links()
        self._frozen_copies()
        by_engineer: dict[int, list[int]] = {}
        for v, e in enumerate(self.arrays.v_engineer):
            by_engineer.setdefault(int(e), []).append(v)
        self.engineer_vehicles = {e: np.array(vs, dtype=np.int64) for e, vs in by_engineer.items()}

    # ------------------------------------------------------------ layout
    def _restock_slots(self, tickets: list[str]) -> list[tuple[str, int]]:
        """A restock stop per (depot, engineer-shift) that might need one: any engineer-shift with
        parts work (a van can run short over several tickets), or one lacking a tool a ticket
        needs."""
        if not self.sc.depots:
            return []
        van_tools = [frozenset(veh.engineer.tools) for veh in self.vehicles]
        needy: set[int] = set()
        for tid in tickets:
            t = self.ticket_of[tid]
            if t.parts:
                needy.update(self.el.allowed[tid])
            elif t.tools:
                needy.update(v for v in self.el.allowed[tid] if not van_tools[v] >= set(t.tools))
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
        self.frozen_member: dict[int, int] = {}  # node -> its vehicle, for frozen work
        seen: dict[str, int] = {}
        for n, tid in enumerate(nodes.tickets):
            if self.ticket_of[tid].frozen:
                k = seen[tid] = seen.get(tid, -1) + 1  # copies of a crew visit come after its lead
                v = self.el.allowed[tid][0] if k == 0 else self.el.crew_members[tid][k - 1]
                self.frozen_heads.setdefault(v, []).append(n)
                self.frozen_member[n] = v
        for heads in self.frozen_heads.values():
            heads.sort(key=lambda n: (self.ticket_of[nodes.tickets[n]].status != "started", n))
        self.frozen_nodes = {n for ns in self.frozen_heads.values() for n in ns}

    def _previous(self, plan: Plan | None, warm: Plan | None) -> None:
        """What a re-plan keeps from the previous plan: each ticket's engineer-shift and promised
        start (`promised`, `was_on`); and the routes to start from (`seeds`, restocks with their
        pickups): those of `warm` (the previous plan with new work inserted), else of the previous
        plan."""
        nt = len(self.nodes.tickets)
        self.promised: list[int | None] = [None] * nt
        self.was_on: dict[int, int] = {}
        self.seeds: dict[int, list[int]] = {}
        self.seed_pickups: dict[int, tuple[dict, list]] = {}
        self.linked_seed: dict[int, list[tuple[int, int, bool]]] = {}  # lead node -> (engineer-
        # shift, start, lead) of each visit of a linked ticket in the plan to start from
        self.left_out: set[int] = (
            set()
        )  # unassigned before: the fast path (no search) tries them after new work
        if plan is None:
            return
        node_of: dict[str, int] = {}
        for n, tid in enumerate(self.nodes.tickets):
            node_of.setdefault(tid, n)  # a crew visit's lead node
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
                    crew = s.ticket in self.linked_ids and self.ticket_of[s.ticket].crew > 1
                    if v is not None and v in self.el.allowed[s.ticket] and (s.lead or not crew):
                        self.was_on[node_of[s.ticket]] = v
        for route in warm.routes:
            v = vehicle_of.get((route.engineer, route.shift))
            seed = []
            for s in route.stops:
                if s.type == "visit" and s.ticket in self.linked_ids:
                    if v is not None:  # put back whole, or not at all (search.linked.reseed)
                        record = (v, hz.seconds(s.start), s.lead)
                        self.linked_seed.setdefault(node_of[s.ticket], []).append(record)
                elif s.type == "visit" and s.ticket in node_of:
                    if v is not None and v in self.el.allowed[s.ticket]:
                        seed.append(node_of[s.ticket])
                elif (
                    s.type == "restock"
                    and (s.depot, v) in restock_of
                    and restock_of[(s.depot, v)] not in seed
                    and hz.seconds(s.start) >= self.vehicles[v].earliest_depart
                ):  # not one already taken
                    seed.append(restock_of[(s.depot, v)])
                    self.seed_pickups[seed[-1]] = (dict(s.parts), list(s.tools))
            if seed:
                self.seeds[v] = seed

    def _links(self) -> None:
        """Each linked ticket's Link; its copies bring nothing and count no lateness (the lead
        does), and every node of it is parked: no engineer-shift takes it until search.linked
        places it whole."""
        a, tickets = self.arrays, self.nodes.tickets
        first: dict[str, int] = {}
        copies: dict[str, list[int]] = {}
        for n, tid in enumerate(tickets):
            if tid in first:
                copies.setdefault(tid, []).append(n)
            first.setdefault(tid, n)
        live = {t.id for t in self.sc.live_tickets}
        self.links: dict[int, Link] = {}
        for tid in sorted(self.linked_ids, key=first.get):
            t, x = self.ticket_of[tid], first[tid]
            link = Link(tid, [x, *copies.get(tid, [])], t.crew)
            if t.after is not None and t.after.ticket in live:
                if t.after.ticket in first:
                    link.follows = first[t.after.ticket]
                else:
                    link.follows_missing = t.after.ticket
                link.min_lag = math.ceil(t.after.min_lag_min * 60 - 1e-6)
                if t.after.max_lag_min is not None:  # a second less: ends are rounded up here
                    link.max_lag = max(0, math.floor(t.after.max_lag_min * 60 + 1e-6) - 1)
                link.same_engineer = t.after.same_engineer
            link.lead_rows = (a.eligible[x].copy(), a.allowed[x].copy())
            link.member_rows = np.zeros(len(self.vehicles), dtype=bool)
            link.member_rows[self.el.crew_members.get(tid, [])] = True
            link.windows = [(int(a.tw_start[x, k]), int(a.tw_end[x, k])) for k in range(a.tw_n[x])]
            if t.crew > 1:
                a.preferred[x] = NO_TIME  # kept when one of the crew (search.linked)
            for c in link.nodes[1:]:
                a.need[c], a.tools[c], a.weight[c] = 0, False, 0.0
                a.preferred[c] = a.promised[c] = a.not_before[c] = a.was_on[c] = NO_TIME
            for c in link.nodes:
                a.eligible[c], a.allowed[c] = False, False
            self.links[x] = link

    def _frozen_crews(self) -> set[int]:
        """A crew visit under way keeps its whole crew: one frozen node on each member's route (the
        lead's, then copies), all held to one start, the latest at which every member can be
        there after the frozen work before it (breaks aside: a member whose break then gets in
        the way makes the visit `frozen` unassigned). Returns the lead nodes."""
        nodes, leads = self.nodes, set()
        by_ticket: dict[str, list[int]] = {}
        for n, tid in enumerate(nodes.tickets):
            if self.ticket_of[tid].frozen and tid in self.el.crew_members:
                by_ticket.setdefault(tid, []).append(n)
        order = sorted(by_ticket, key=lambda tid: self.ticket_of[tid].status != "started")
        for tid in order:
            crew = by_ticket[tid]
            ready = [self._ready_at(self.frozen_member[n], n) for n in crew]
            if self.promised[crew[0]] is not None:
                ready.append(self.promised[crew[0]])  # work under way starts as promised
            t = max(ready)
            start = next((max(a, t) for a, b in self.spans[crew[0]] if t <= b), None)
            for n in crew:
                self.spans[n] = [] if start is None else [(start, start)]
            leads.add(crew[0])
        return leads

    def _ready_at(self, v: int, x: int) -> int:
        """When engineer-shift v reaches node x after the frozen work before it in its route."""
        clock, here = self.vehicles[v].earliest_depart, self.nodes.start(v)
        for n in self.frozen_heads[v]:
            arrive = clock + int(self.travel[here, n])
            if n == x:
                return arrive
            lo = next((a for a, b in self.spans[n] if arrive <= b), arrive)
            clock, here = max(arrive, lo) + int(self.nodes.service_s[n]), n
        return clock

    def _frozen_copies(self) -> None:
        """The copies of a crew visit under way: each on its member's route alone, bringing
        nothing and counting no lateness (the lead does)."""
        a, nt = self.arrays, len(self.nodes.tickets)
        for n in range(nt):
            if n in self.frozen_member and self.nodes.tickets[n] in self.el.crew_members:
                if n in self.frozen_leads:
                    continue
                v = self.frozen_member[n]
                a.eligible[n], a.allowed[n] = False, False
                a.eligible[n, v], a.allowed[n, v] = True, True
                a.need[n], a.tools[n], a.weight[n] = 0, False, 0.0
                a.preferred[n] = a.promised[n] = a.not_before[n] = a.was_on[n] = NO_TIME
                self.allowed_vehicles[n] = np.array([v], dtype=np.int64)

    def _spans(self, tid: str) -> list[tuple[int, int]]:
        """When the visit may start (seconds): its windows, within the allowed engineer-shifts,
        merged."""
        t = self.ticket_of[tid]
        allowed = self.el.allowed[tid] + self.el.crew_members.get(tid, [])
        hz = self.el.horizon
        shifts = self.el.shift_seconds[allowed]  # earliest depart, shift start, end, latest return
        lo = max(int(shifts[:, 0].min()), hz.seconds(t.created, up=True))
        hi = int(shifts[:, 2].max())
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


NEIGHBOURS = 40  # each ticket's nearest tickets kept for the search's granular neighbourhoods
NO_TIME = -1  # an absent time (no promise, no previous engineer-shift) in the kernel's arrays


class KernelArrays(NamedTuple):
    """ProblemData as plain arrays, for the compiled kernel (numba reads named tuples of arrays).

    Nodes index every array of length N (tickets first, `nt` of them); vehicles (engineer-shifts)
    index those of length V; `need` and `van` have one column per part."""

    nt: int
    travel: np.ndarray  # (N, N) int64 seconds, rounded up
    service: np.ndarray  # (N,) int64 seconds on site
    tw_start: np.ndarray  # (N, K) int64: when a visit may start, merged windows, padded
    tw_end: np.ndarray
    tw_n: np.ndarray  # (N,) windows in use; 0: the node can never be visited
    deadline: np.ndarray  # (N,) int64 SLA deadline (tickets)
    weight: np.ndarray  # (N,) float64 cost per second late (tickets; 0 otherwise)
    rank: np.ndarray  # (N,) int64 tier rank (tickets)
    promised: np.ndarray  # (N,) int64 start promised by the plan in force, or NO_TIME
    not_before: np.ndarray  # (N,) int64 no earlier start: the promise less the tolerance (work
    # under way: the promise itself, the engineer is on the way), or NO_TIME
    eta_w: float  # cost per second of a promised start shifted beyond the tolerance
    eta_tol: int
    was_on: np.ndarray  # (N,) int64 engineer-shift in the plan in force, or NO_TIME
    move: float  # cost of moving a ticket off that engineer-shift
    preferred: np.ndarray  # (N,) int64 the ticket's preferred engineer (index), or NO_TIME
    prefer: float  # cost of a ticket served by another engineer than its preferred one
    balance: float  # cost per second a visit starts after its engineer-shift's departure
    w_travel: float  # cost per second of travel (scenario costs, normalised: see cost_weights)
    w_duty: float  # cost per second on duty (a route's return - depart, waiting included)
    held: np.ndarray  # (N,) bool: a stop the plan never starts later than scheduled (frozen
    # work, crew visits, follow-ups and the visits they follow: timing.held_tickets)
    v_start: np.ndarray  # (V,) start node
    v_end: np.ndarray  # (V,) end node
    v_depart: np.ndarray  # (V,) earliest departure
    v_shift_end: np.ndarray  # (V,) no visit starts later
    v_latest: np.ndarray  # (V,) latest return (shift end plus overtime)
    v_engineer: np.ndarray  # (V,) engineer index
    v_alike: np.ndarray  # (V,) empty routes with the same id are interchangeable
    b_start: np.ndarray  # (V, B) int64 break interval start
    b_end: np.ndarray  # (V, B) interval end
    b_dur: np.ndarray  # (V, B) duration
    b_n: np.ndarray  # (V,) breaks owed if the route is under way across their interval
    allowed: np.ndarray  # (nt, V) bool: eligible and every tool on the van already
    eligible: np.ndarray  # (nt, V) bool: eligible, a tool perhaps to fetch from a depot first
    tools: np.ndarray  # (nt, T) bool: the tools each ticket needs
    van_tools: np.ndarray  # (E, T) bool: the tools on each engineer's van
    depot_tools: np.ndarray  # (D, T) bool: the tools each depot hands out (they never run out)
    need: np.ndarray  # (nt, P) int64 parts used up per ticket
    van: np.ndarray  # (E, P) int64 parts on each engineer's van at the start
    restock_node: np.ndarray  # (V, D) int64 the restock stop of depot d on engineer-shift v, or -1
    depot_parts: np.ndarray  # (D, P) int64 parts each depot holds
    e_shifts: np.ndarray  # (E, S) int64 each engineer's engineer-shifts in time order, -1 padded
    neighbours: np.ndarray  # (nt, k) int64 nearest tickets, nearest first
    no_timeline: np.ndarray  # zero-length int64: passed where no timeline is wanted


def kernel_arrays(p: "ProblemData") -> KernelArrays:
    nodes, nt, nv = p.nodes, len(p.nodes.tickets), len(p.vehicles)
    n = nodes.n
    width = max([len(s) for s in p.spans] + [1])
    tw_start = np.zeros((n, width), dtype=np.int64)
    tw_end = np.zeros((n, width), dtype=np.int64)
    tw_n = np.zeros(n, dtype=np.int64)
    for i, spans in enumerate(p.spans):
        tw_n[i] = len(spans)
        for k, (a, b) in enumerate(spans):
            tw_start[i, k], tw_end[i, k] = a, b
    horizon = max([v.latest_return for v in p.vehicles] + [0]) + 1
    for r in range(len(nodes.restocks)):  # a restock may start on arrival (its vehicle bounds it)
        tw_n[nt + r], tw_end[nt + r, 0] = 1, horizon
    deadline = np.full(n, horizon, dtype=np.int64)
    deadline[:nt] = p.deadlines
    rank = np.zeros(n, dtype=np.int64)
    weight = np.zeros(n, dtype=np.float64)
    for i, tid in enumerate(nodes.tickets):
        rank[i] = p.rank[p.ticket_of[tid].priority]
        weight[i] = p.params.lateness_weight(int(rank[i]))
    promised = np.full(n, NO_TIME, dtype=np.int64)
    promised[:nt] = [NO_TIME if x is None else x for x in p.promised]
    tolerance = int(round(p.params.eta_tolerance_min * 60))
    not_before = np.where(promised >= 0, promised - tolerance, NO_TIME)
    for x in p.frozen_nodes:
        not_before[x] = promised[x]
    was_on = np.full(n, NO_TIME, dtype=np.int64)
    for i, v in p.was_on.items():
        was_on[i] = v
    nb = max([len(w) for w in p.break_windows] + [1])
    b = np.zeros((3, nv, nb), dtype=np.int64)
    b_n = np.zeros(nv, dtype=np.int64)
    for v, windows in enumerate(p.break_windows):
        b_n[v] = len(windows)
        for k, w in enumerate(windows):
            b[:, v, k] = w
    engineers = {e.id: i for i, e in enumerate(p.sc.engineers)}
    preferred = np.full(n, NO_TIME, dtype=np.int64)
    for i, tid in enumerate(nodes.tickets):
        who = p.ticket_of[tid].preferred_engineer
        if who is not None and who in engineers:
            preferred[i] = engineers[who]
    parts = p.parts
    need = np.zeros((nt, len(parts)), dtype=np.int64)
    column = {part: k for k, part in enumerate(parts)}
    for i, tid in enumerate(nodes.tickets):
        for part, q in p.ticket_of[tid].parts.items():
            need[i, column[part]] = q
    van = np.array([[e.van.get(q, 0) for q in parts] for e in p.sc.engineers], dtype=np.int64)
    allowed = np.zeros((nt, nv), dtype=bool)
    eligible = np.zeros((nt, nv), dtype=bool)
    van_tools_of = [frozenset(veh.engineer.tools) for veh in p.vehicles]
    for i, tid in enumerate(nodes.tickets):
        tools = set(p.ticket_of[tid].tools)
        vs = p.el.allowed[tid]
        eligible[i, vs] = True
        allowed[i, vs] = [tools <= van_tools_of[v] for v in vs] if tools else True
    names = p.tools
    need_tools = np.array(
        [[x in p.ticket_of[tid].tools for x in names] for tid in nodes.tickets], dtype=bool
    ).reshape(nt, len(names))
    van_tools = np.array(
        [[x in e.tools for x in names] for e in p.sc.engineers], dtype=bool
    ).reshape(len(p.sc.engineers), len(names))
    depot_tools = np.array(
        [[x in d.tools for x in names] for d in p.sc.depots], dtype=bool
    ).reshape(len(p.sc.depots), len(names))
    alike: dict[tuple, int] = {}
    v_alike = np.array(
        [
            alike.setdefault(
                (
                    int(nodes.loc[nodes.start(v)]),
                    int(nodes.loc[nodes.end(v)]),
                    veh.earliest_depart,
                    veh.shift_end,
                    veh.latest_return,
                    tuple(p.break_windows[v]),
                    tuple(veh.engineer.van.get(q, 0) for q in parts),
                    tuple(sorted(veh.engineer.tools)),
                    # where frozen work may go; whom a follow-up prefers
                    veh.engineer.id if veh.first_live or (preferred >= 0).any() else "",
                ),
                len(alike),
            )
            for v, veh in enumerate(p.vehicles)
        ],
        dtype=np.int64,
    )
    depot_index = {d.id: i for i, d in enumerate(p.sc.depots)}
    restock_node = np.full((nv, max(1, len(depot_index))), -1, dtype=np.int64)
    for r, (d, v) in enumerate(nodes.restocks):
        restock_node[v, depot_index[d]] = nt + r
    depot_parts = np.array(
        [[d.parts.get(q, 0) for q in parts] for d in p.sc.depots], dtype=np.int64
    ).reshape(len(p.sc.depots), len(parts))
    shifts: list[list[int]] = [[] for _ in p.sc.engineers]
    for v in sorted(range(nv), key=lambda v: p.vehicles[v].earliest_depart):
        shifts[engineers[p.vehicles[v].engineer.id]].append(v)
    e_shifts = np.full((len(shifts), max([len(x) for x in shifts] + [1])), -1, dtype=np.int64)
    for e, vs in enumerate(shifts):
        e_shifts[e, : len(vs)] = vs
    held = np.zeros(n, dtype=bool)
    keep = held_tickets(p.sc)
    for i, tid in enumerate(nodes.tickets):
        held[i] = tid in keep or i in p.frozen_nodes
    w_travel, w_duty = cost_weights(p.sc)
    return KernelArrays(
        nt=nt,
        travel=p.travel,
        service=nodes.service_s.astype(np.int64),
        tw_start=tw_start,
        tw_end=tw_end,
        tw_n=tw_n,
        deadline=deadline,
        weight=weight,
        rank=rank,
        promised=promised,
        not_before=not_before,
        eta_w=float(p.params.eta_shift_per_min),
        eta_tol=int(round(p.params.eta_tolerance_min * 60)),
        was_on=was_on,
        move=float(round(p.params.move_cost_min * 60)),
        preferred=preferred,
        prefer=float(round(p.params.preference_min * 60)),
        balance=float(p.params.balance) / 60.0,  # minutes per hour = seconds per 60 seconds
        w_travel=w_travel,
        w_duty=w_duty,
        held=held,
        v_start=np.array([nodes.start(v) for v in range(nv)], dtype=np.int64),
        v_end=np.array([nodes.end(v) for v in range(nv)], dtype=np.int64),
        v_depart=np.array([v.earliest_depart for v in p.vehicles], dtype=np.int64),
        v_shift_end=np.array([v.shift_end for v in p.vehicles], dtype=np.int64),
        v_latest=np.array([v.latest_return for v in p.vehicles], dtype=np.int64),
        v_engineer=np.array([engineers[v.engineer.id] for v in p.vehicles], dtype=np.int64),
        v_alike=v_alike,
        b_start=b[0],
        b_end=b[1],
        b_dur=b[2],
        b_n=b_n,
        allowed=allowed,
        eligible=eligible,
        tools=need_tools,
        van_tools=van_tools,
        depot_tools=depot_tools,
        need=need,
        van=van.reshape(len(p.sc.engineers), len(parts)),
        restock_node=restock_node,
        depot_parts=depot_parts,
        e_shifts=e_shifts,
        # the search's neighbourhoods; no search runs without a time limit (the fast path)
        neighbours=nearest_tickets(
            p.travel[:nt, :nt], NEIGHBOURS if p.params.time_limit_s > 0 else 0
        ),
        no_timeline=np.empty(0, dtype=np.int64),
    )


def cost_weights(sc: Scenario) -> tuple[float, float]:
    """The scenario's `costs` as weights per second of travel and per second on duty, scaled so
    that a minute of driving (which is on duty too) weighs one: the unit of every other weight
    (lateness per tier, preference, balance). So the cost level keeps its place below tiers and
    lateness whatever currency the costs are in, and (1, 0), the default, is travel alone, as
    before. Scaling the level by a constant changes no choice within it."""
    travel = sc.costs.travel_per_min if sc.costs is not None else 1.0
    duty = sc.costs.on_duty_per_min if sc.costs is not None else 0.0
    total = travel + duty
    if total <= 0:
        return 0.0, 0.0
    return travel / total, duty / total


def nearest_tickets(travel: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Each ticket's k nearest other tickets (travel both ways), nearest first, ties by index."""
    nt = len(travel)
    k = min(k, nt - 1)
    if k <= 0:
        return np.zeros((nt, 0), dtype=np.int64)
    near = travel + travel.T
    np.fill_diagonal(near, np.iinfo(np.int64).max)
    part = np.argpartition(near, k - 1, axis=1)[:, :k]
    d = np.take_along_axis(near, part, axis=1)
    order = np.lexsort((part, d), axis=1)
    return np.take_along_axis(part, order, axis=1).astype(np.int64)

"""Who may serve which ticket, worked out once before search.

The solver is only ever offered engineer-shifts that could really serve a
ticket (skills, required engineer, tools, parts on the van or in a depot,
a window that meets the shift within reach). The same filters, applied in
order, explain every ticket nobody can serve, in words a planner can act on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from ..format.scenario import Engineer, Location, Scenario, Ticket
from ..format.travel import travel_between, travel_matrices


@dataclass(frozen=True)
class Vehicle:
    """One engineer-shift: a route the solver may fill. Times in seconds from `Horizon.origin`."""

    engineer: Engineer
    engineer_index: int
    shift: int
    start: Location
    end: Location
    earliest_depart: int
    shift_start: int
    shift_end: int
    latest_return: int
    first_live: bool  # the engineer's first shift still open: frozen work and `position` go here
    return_by: datetime | None = None  # the contract's exact return bound (rule 7: an engineer
    # out late may come home after shift end + overtime); latest_return is it in whole seconds


@dataclass(frozen=True)
class Horizon:
    """Converts between date-times and the solver's integer seconds."""

    origin: datetime

    def seconds(self, t: datetime, *, up: bool = False) -> int:
        s = (t - self.origin).total_seconds()
        return math.ceil(s - 1e-6) if up else math.floor(s + 1e-6)

    def time(self, seconds: float) -> datetime:
        return self.origin + timedelta(seconds=float(seconds))


@dataclass(frozen=True)
class Unplannable:
    code: str  # skill | engineer | tool | part | window | reach | frozen
    reason: str


@dataclass
class Eligibility:
    """Who may serve which live ticket. Eligibility itself needs only the legs between the
    engineer-shifts' ends and the tickets (`start_to_ticket`, `ticket_to_end`); the all-pairs
    `minutes` and `km` over `locations` are built on first use (the solver's model needs them,
    an appointment offer or a reason does not) and shared by copies made with
    `dataclasses.replace`."""

    horizon: Horizon
    vehicles: list[Vehicle]
    locations: list[Location]
    vehicle_loc: np.ndarray  # (V, 2): location index of each vehicle's start and end
    ticket_loc: dict[str, int]
    depot_loc: dict[str, int]
    start_to_ticket: np.ndarray  # (V, T) minutes from each vehicle's start to each live ticket
    ticket_to_end: np.ndarray  # (T, V) minutes from each live ticket to each vehicle's end
    scenario: Scenario | None = field(default=None, repr=False)  # its travel model
    shift_seconds: np.ndarray = field(
        default=None
    )  # (V, 4): earliest depart, shift start, shift end, latest return
    allowed: dict[str, list[int]] = field(default_factory=dict)  # ticket id -> vehicle indices
    unplannable: dict[str, Unplannable] = field(default_factory=dict)
    crew_members: dict[str, list[int]] = field(default_factory=dict)  # crew ticket -> the
    # engineer-shifts that may be a member (`allowed` then lists those that may lead)
    matrix_cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def minutes(self) -> np.ndarray:
        """Travel minutes between every pair of `locations` (built on first use)."""
        return self._matrices()["minutes"]

    @property
    def km(self) -> np.ndarray:
        return self._matrices()["km"]

    def _matrices(self) -> dict[str, np.ndarray]:
        if not self.matrix_cache:
            minutes, km = (
                travel_matrices(self.scenario, self.locations)
                if self.locations
                else (np.zeros((0, 0)), np.zeros((0, 0)))
            )
            self.matrix_cache.update(minutes=minutes, km=km)
        return self.matrix_cache

    def ticket_column(self, ticket_id: str) -> int:
        """The ticket's column in `start_to_ticket` (row in `ticket_to_end`)."""
        return self.ticket_loc[ticket_id] - 2 * len(self.vehicles)


def _vehicles(sc: Scenario, horizon: Horizon) -> list[Vehicle]:
    now = sc.now
    out = []
    out_now = [e for e in sc.engineers if now is not None and e.position is not None]
    drives = (  # from where each engineer out now is to home, in one call
        np.diag(travel_between(sc, [e.position for e in out_now], [e.home for e in out_now])[0])
        if out_now
        else []
    )
    drive_home = {e.id: float(d) for e, d in zip(out_now, drives)}
    for ei, e in enumerate(sc.engineers):
        first = True
        for si, sh in sorted(enumerate(e.shifts), key=lambda p: p[1].start):
            latest = sh.end + timedelta(minutes=e.max_overtime_min)
            if now is not None and sh.end <= now:
                continue  # this shift is over (overtime only finishes work started inside it)
            depart = max(sh.start, now) if now is not None else sh.start
            under_way = first and now is not None and e.position is not None
            start = e.position if under_way else e.start
            latest_s = horizon.seconds(latest)
            if under_way:  # rule 7 (made precise): not asked to be home before now + the drive
                drive = drive_home[e.id]
                home = now + timedelta(minutes=drive)
                if home > latest:
                    latest = home
                    latest_s = horizon.seconds(now, up=True) + math.ceil(drive * 60 - 1e-6)
            out.append(
                Vehicle(
                    e,
                    ei,
                    si,
                    start,
                    e.home,
                    horizon.seconds(depart, up=True),
                    horizon.seconds(sh.start, up=True),
                    horizon.seconds(sh.end),
                    latest_s,
                    first,
                    latest,
                )
            )
            first = False
    return out


def _fmt(t: datetime) -> str:
    return t.strftime("%a %d %b %H:%M")


def _parts_reason(t: Ticket, sc: Scenario, engineers: list[Engineer]) -> str | None:
    in_depots = {p: sum(d.parts.get(p, 0) for d in sc.depots) for p in t.parts}
    for p, q in t.parts.items():
        best_van = max((e.van.get(p, 0) for e in engineers), default=0)
        if best_van + in_depots[p] < q:
            where = (
                "no van of a qualified engineer"
                if best_van == 0
                else f"at most {best_van} on a qualified van"
            )
            depots = "no depot holds it" if in_depots[p] == 0 else f"{in_depots[p]} in depots"
            return f"part {p!r} x{q} needed: {where} and {depots}"
    return None


def _time_ok(t: Ticket, el: Eligibility, vs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per engineer-shift in `vs`: (a window meets the shift, and it can be reached and finished
    within it). Vectorised over engineer-shifts: with a thousand tickets this runs a hundred
    thousand times otherwise."""
    hz = el.horizon
    shift = el.shift_seconds[vs]  # earliest depart, shift start, shift end, latest return
    col = el.ticket_column(t.id)
    travel_in = el.start_to_ticket[vs, col] * 60
    travel_out = el.ticket_to_end[col, vs] * 60
    raised = hz.seconds(t.created, up=True)  # nobody can be sent before the customer called
    windows = [(hz.seconds(w.start, up=True), hz.seconds(w.end)) for w in t.windows]
    meets = np.zeros(len(vs), dtype=bool)
    reach = np.zeros(len(vs), dtype=bool)
    for w0, w1 in windows or [(None, None)]:
        lo = np.maximum(
            np.maximum(shift[:, 0], shift[:, 1]), raised if w0 is None else max(raised, w0)
        )
        hi = shift[:, 2] if w1 is None else np.minimum(shift[:, 2], w1)
        ok = lo <= hi
        start = np.maximum(lo, shift[:, 0] + travel_in)
        meets |= ok
        reach |= ok & (start <= hi) & (start + t.duration_min * 60 + travel_out <= shift[:, 3])
    return meets, reach


def compute_eligibility(
    sc: Scenario, kept: dict[str, tuple[str, int]] | None = None
) -> Eligibility:
    """Eligible engineer-shifts per live ticket, and a reason for each ticket with none.

    `kept`: tickets that stay on the (engineer, shift) the plan in force gives them (a slot offer
    moves no planned visit): that engineer-shift alone, if it is still open, without asking
    again who else could serve them."""
    horizon = Horizon(datetime.combine(sc.planning_start.date(), datetime.min.time()))
    vehicles = _vehicles(sc, horizon)
    tickets = sc.live_tickets
    locations, vehicle_loc = [], []
    for v in vehicles:
        vehicle_loc.append((len(locations), len(locations) + 1))
        locations += [v.start, v.end]
    ticket_loc = {t.id: len(locations) + i for i, t in enumerate(tickets)}
    locations += [t.location for t in tickets]
    depot_loc = {d.id: len(locations) + i for i, d in enumerate(sc.depots)}
    locations += [d.location for d in sc.depots]
    starts = [v.start for v in vehicles]
    ends = [v.end for v in vehicles]
    places = [t.location for t in tickets]
    el = Eligibility(
        horizon,
        vehicles,
        locations,
        np.array(vehicle_loc, dtype=int).reshape(-1, 2),
        ticket_loc,
        depot_loc,
        start_to_ticket=travel_between(sc, starts, places)[0],
        ticket_to_end=travel_between(sc, places, ends)[0],
        scenario=sc,
    )
    el.shift_seconds = np.array(
        [(v.earliest_depart, v.shift_start, v.shift_end, v.latest_return) for v in vehicles],
        dtype=float,
    ).reshape(-1, 4)
    depot_tools = {tool for d in sc.depots for tool in d.tools}
    working = {v.engineer.id for v in vehicles}
    # who is qualified depends on few of a ticket's fields, shared by many tickets: asked once
    qualified: dict[tuple, list[int] | Unplannable] = {}
    kept = kept or {}
    vehicle_of = {(v.engineer.id, v.shift): i for i, v in enumerate(vehicles)}
    for t in tickets:
        if kept.get(t.id) in vehicle_of and t.crew == 1 and t.after is None:
            el.allowed[t.id] = [vehicle_of[kept[t.id]]]
            continue
        if t.crew > 1 and not t.frozen:
            verdict = _crew_eligible(sc, el, t, depot_tools)
        elif t.crew > 1:
            verdict = _crew_under_way(el, t)
        else:
            key = (
                t.frozen,
                t.engineer,
                frozenset(t.skills),
                frozenset(t.tools),
                frozenset(t.parts.items()),
            )
            if key not in qualified:
                qualified[key] = _qualified(sc, el, t, working, depot_tools)
            verdict = _in_time(el, t, qualified[key])
        if isinstance(verdict, Unplannable) and t.frozen and verdict.code != "frozen":
            verdict = Unplannable("frozen", _frozen_reason(sc, t, verdict))
        if isinstance(verdict, Unplannable):
            el.unplannable[t.id] = verdict
        else:
            el.allowed[t.id] = verdict
    _frozen_stock(sc, el)
    return el


def _frozen_reason(sc: Scenario, t: Ticket, verdict: Unplannable) -> str:
    """Why work under way cannot stay planned. Most often the board lags the clock: the visit was
    reported under way while its windows were open, and `now` has moved past them with nobody
    reporting it done (the visit would have to start again at `now`, outside its windows)."""
    if t.windows and sc.now is not None and all(w.end < sc.now for w in t.windows):
        spans = ", ".join(f"{_fmt(w.start)}-{w.end:%H:%M}" for w in t.windows)
        return (
            f"{t.status} with {t.engineer}, but its window(s) {spans} closed before now "
            f"({_fmt(sc.now)}) and it is not reported done; fix: report it done or give "
            f"started_at (a ticket_status event), or carry the plan out to now first (advance)"
        )
    return (
        f"{t.status} with {t.engineer}, but {verdict.reason.split('; fix:')[0]}; "
        f"fix: extend the shift or release the ticket"
    )


def _frozen_stock(sc: Scenario, el: Eligibility) -> None:
    """Frozen work comes first in its engineer's route, before any restock: it must be done from
    what is on the van now. Started work first, then en route, in scenario order (the order the
    routes take them); what the van cannot cover is unplannable (`frozen`), not planned short."""
    van = {e.id: dict(e.van) for e in sc.engineers}
    frozen = [t for t in sc.live_tickets if t.frozen and t.id in el.allowed]
    for t in sorted(frozen, key=lambda t: t.status != "started"):
        e = sc.engineer(t.engineer)
        short = {p: q for p, q in t.parts.items() if van[e.id].get(p, 0) < q}
        tools = sorted(set(t.tools) - set(e.tools))
        if short or tools:
            what = [f"part {p!r} x{q} (van holds {van[e.id].get(p, 0)})" for p, q in short.items()]
            what += [f"tool {x!r}" for x in tools]
            del el.allowed[t.id]
            el.unplannable[t.id] = Unplannable(
                "frozen",
                f"{t.status} with {e.id}, but the van lacks {', '.join(what)} for it after the "
                f"engineer's other work under way; fix: release the ticket or correct the van "
                f"stock",
            )
            continue
        for p, q in t.parts.items():
            van[e.id][p] -= q


def _crew_under_way(el: Eligibility, t: Ticket) -> list[int] | Unplannable:
    """A crew visit under way stays with its whole crew (`crew_engineers`, the lead `engineer`
    first), each on their first open shift; `crew_members` lists the others' engineer-shifts in
    that order (the lead's van brings the parts and tools: _frozen_stock)."""
    names = [t.engineer] + [x for x in t.crew_engineers or [] if x != t.engineer]
    first = {v.engineer.id: i for i, v in reversed(list(enumerate(el.vehicles))) if v.first_live}
    missing = [x for x in names if x not in first]
    if missing or len(names) != t.crew:
        who = ", ".join(missing) or "the crew"
        return Unplannable(
            "frozen",
            f"{who} ha{'s' if len(missing) == 1 else 've'} no open shift for the crew visit under "
            f"way; fix: add a shift or release the ticket",
        )
    held = set().union(*(el.vehicles[first[x]].engineer.skills for x in names))
    if not set(t.skills) <= held:
        return Unplannable(
            "frozen", f"the crew {names} lacks skill(s) {sorted(set(t.skills) - held)}"
        )
    el.crew_members[t.id] = [first[x] for x in names[1:]]
    return [first[names[0]]]


def _crew_eligible(
    sc: Scenario, el: Eligibility, t: Ticket, depot_tools: set[str]
) -> list[int] | Unplannable:
    """A crew ticket: who may be a member (an open shift that reaches it and finishes it in
    time) and who may lead (their van also brings the tools and parts); the skills are the
    crew's together, so they are checked per crew when one is formed (search.linked)."""
    vs = np.arange(len(el.vehicles), dtype=np.int64)
    _, reach = _time_ok(t, el, vs)
    members = [int(v) for v, ok in zip(vs, reach) if ok]
    who = sorted({el.vehicles[v].engineer.id for v in members})
    k, when = t.crew, " in its windows" if t.windows else ""
    if len(who) < k:
        return Unplannable(
            "crew",
            f"no {k} qualified engineers are free together: only {len(who)} "
            f"({', '.join(who) or 'none'}) ha{'s' if len(who) == 1 else 've'} an open shift that "
            f"reaches it{when}; fix: add shifts, or lower 'crew'",
        )
    if t.engineer is not None and t.engineer not in who:
        return Unplannable(
            "crew",
            f"required engineer {t.engineer} has no open shift that reaches it{when}; fix: add a "
            f"shift or release the ticket",
        )
    held = set().union(*(el.vehicles[v].engineer.skills for v in members))
    missing = sorted(set(t.skills) - held)
    if missing:
        return Unplannable(
            "crew",
            f"no engineer who can reach it{when} has skill(s) {missing}; fix: add a shift for "
            f"one who has",
        )
    tools = set(t.tools) - depot_tools
    leads = [v for v in members if tools <= set(el.vehicles[v].engineer.tools)]
    if not leads:
        return Unplannable(
            "tool", f"tool(s) {sorted(tools)} on no crew member's van and in no depot"
        )
    engineers = list({el.vehicles[v].engineer.id: el.vehicles[v].engineer for v in leads}.values())
    why = _parts_reason(t, sc, engineers)
    if why:
        return Unplannable("part", why)
    depot_parts = {p: sum(d.parts.get(p, 0) for d in sc.depots) for p in t.parts}
    leads = [
        v
        for v in leads
        if all(
            el.vehicles[v].engineer.van.get(p, 0) + depot_parts[p] >= q for p, q in t.parts.items()
        )
    ]
    if not leads:
        return Unplannable("part", f"parts {t.parts} on no crew member's van nor in the depots")
    el.crew_members[t.id] = members
    return leads


def _qualified(
    sc: Scenario, el: Eligibility, t: Ticket, working: set[str], depot_tools: set[str]
) -> list[int] | Unplannable:
    """The engineer-shifts with the skills, tools and parts for the ticket (and its required
    engineer, and for frozen work the first open shift), before time is considered. Reads only
    the ticket's `frozen`, `engineer`, `skills`, `tools` and `parts` (the caller's memo key)."""
    vs = [i for i, v in enumerate(el.vehicles) if (v.first_live or not t.frozen)]
    if t.engineer is not None:
        vs = [i for i in vs if el.vehicles[i].engineer.id == t.engineer]
        if not vs:
            state = (
                "has no shift left in the plan"
                if t.engineer not in working
                else "has no open shift for frozen work"
            )
            code = "frozen" if t.frozen else "engineer"
            return Unplannable(
                code,
                f"required engineer {t.engineer} {state}; fix: add a shift or release the ticket",
            )
    if not vs:
        return Unplannable("engineer", "no engineer has a shift left in the plan")
    need = set(t.skills)
    with_skills = [i for i in vs if need <= set(el.vehicles[i].engineer.skills)]
    if not with_skills:
        everyone = set().union(*(e.skills for e in sc.engineers)) if sc.engineers else set()
        missing = sorted(need - everyone)
        if missing:
            return Unplannable("skill", f"no engineer has skill {', '.join(map(repr, missing))}")
        who = f"required engineer {t.engineer}" if t.engineer else "no working engineer"
        return Unplannable("skill", f"{who} has all of skills {sorted(need)}")
    vs = with_skills
    tools = set(t.tools) - depot_tools
    vs_tools = [i for i in vs if tools <= set(el.vehicles[i].engineer.tools)]
    if not vs_tools:
        return Unplannable("tool", f"tool(s) {sorted(tools)} on no qualified van and in no depot")
    vs = vs_tools
    engineers = list({el.vehicles[i].engineer.id: el.vehicles[i].engineer for i in vs}.values())
    why = _parts_reason(t, sc, engineers)
    if why:
        return Unplannable("part", why)
    depot_parts = {p: sum(d.parts.get(p, 0) for d in sc.depots) for p in t.parts}
    return [
        i
        for i in vs
        if all(
            el.vehicles[i].engineer.van.get(p, 0) + depot_parts[p] >= q for p, q in t.parts.items()
        )
    ]


def _in_time(el: Eligibility, t: Ticket, vs: list[int] | Unplannable) -> list[int] | Unplannable:
    """Of the qualified engineer-shifts, those that can reach the ticket in its windows and finish
    within the shift; else why none can."""
    if isinstance(vs, Unplannable):
        return vs
    meets, reach = _time_ok(t, el, np.array(vs, dtype=np.int64))
    meets_any, reachable = bool(meets.any()), [i for i, ok in zip(vs, reach) if ok]
    if reachable:
        return reachable
    if not meets_any:
        if el.horizon.seconds(t.created) > max(el.vehicles[i].shift_end for i in vs):
            return Unplannable(
                "window",
                f"raised {_fmt(t.created)}, after the last open shift of a qualified "
                f"engineer; fix: add a shift",
            )
        if t.windows:
            spans = ", ".join(f"{_fmt(w.start)}-{w.end:%H:%M}" for w in t.windows)
            return Unplannable(
                "window",
                f"appointment window(s) {spans} meet no open shift of a qualified engineer; "
                f"fix: agree another window or add a shift",
            )
        return Unplannable("window", "no qualified engineer has an open shift")
    nearest = float(el.start_to_ticket[vs, el.ticket_column(t.id)].min())
    return Unplannable(
        "reach",
        f"too far to reach and finish within a shift (nearest qualified engineer "
        f"{nearest:.0f} min away, {t.duration_min:g} min on site)",
    )

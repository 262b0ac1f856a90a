"""Independent checker of contract-v1 plans: hard rules 1-7 of CONTRACT.md, plus recomputed KPIs.

Written from the contract, not from the solver, and sharing only the domain
model and the travel model with it (each leg a route drives, computed on its
own: nothing all-pairs), so a solver bug cannot hide behind its own
bookkeeping. Every broken rule becomes one line naming ticket, engineer and
time, so a planner sees what to fix; a malformed plan is reported the same
way instead of raising, because plans also come from other programs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ..format.scenario import PLAN_FORMAT, TOLERANCE_MIN, Costs, Engineer, Scenario
from ..format.travel import travel_legs
from .linked_rules import Visit, crew_problems, follow_up_problems


@dataclass(frozen=True)
class CheckResult:
    """One line per broken hard rule, and KPIs recomputed from the plan's geometry and times."""

    violations: list[str]
    kpis: dict

    @property
    def ok(self) -> bool:
        return not self.violations


def check(scenario: Scenario, plan: Any) -> CheckResult:
    """Check `plan` (a contract-v1 dict, or an object with `to_dict()`) against `scenario`."""
    return _Checker(scenario).run(plan)


class _Malformed(ValueError):
    """Part of the plan cannot be read as contract v1; the message says where."""


@dataclass
class _Stop:
    kind: str  # visit | restock | break
    ref: str  # ticket id, depot id, or "break"
    arrival: float  # times are minutes after the checker's reference time
    start: float
    end: float
    parts: dict = field(default_factory=dict)
    tools: list = field(default_factory=list)
    lead: bool = False  # a crew visit's lead (rule 8): supplies the parts and tools


@dataclass
class _Route:
    eng: Engineer
    shift: int
    stops: list[_Stop]
    depart: float
    ret: float
    legs_min: np.ndarray | None = None  # travel per leg: origin -> each visit/restock -> home
    legs_km: np.ndarray | None = None
    timed: bool = True  # False: no stops and no times, the engineer stays home

    @property
    def name(self) -> str:
        return f"{self.eng.id} shift {self.shift}"

    @property
    def located(self) -> list[_Stop]:
        return [s for s in self.stops if s.kind != "break"]


def _who(r: _Route, s: _Stop) -> str:
    if s.kind == "break":
        return f"{r.name}: break"
    return f"{s.ref}: {r.eng.id}" + (" restock" if s.kind == "restock" else "")


class _Checker:
    def __init__(self, sc: Scenario):
        self.sc, self.bad = sc, []
        # reference time for minute arithmetic (Scenario.planning_start fails without engineers)
        self.t0 = sc.now or min(
            (w.start for e in sc.engineers for w in e.shifts), default=datetime(2000, 1, 1)
        )
        self.tickets = {t.id: t for t in sc.tickets}
        self.engineers = {e.id: e for e in sc.engineers}
        self.depots = {d.id: d for d in sc.depots}
        self.routes: list[_Route] = []  # with stops: the ones to check
        self.listed_routes: list[_Route] = []
        self.first: dict[str, _Route] = {}  # engineer id -> route of the earliest planned shift
        self.listed: list[
            str
        ] = []  # ticket ids of every visit and unassigned entry, readable or not
        self.unassigned: list[dict] = []
        self.visit_count: Counter = Counter()  # ticket id -> visits listed (a crew: k of them)
        self.visits: dict[str, list[Visit]] = {}  # ticket id -> its visits (rule 8)
        self.home_by: dict[str, float] = {}  # engineer out at now -> home by (rule 7)

    def m(self, dt: datetime) -> float:
        return (dt - self.t0).total_seconds() / 60

    def t(self, minutes: float) -> str:
        """A time for messages, with seconds only where they matter (a 0.02 min shortfall must
        show)."""
        dt = self.t0 + timedelta(seconds=round(float(minutes) * 60))
        return dt.isoformat(timespec="seconds" if dt.second else "minutes")

    def run(self, plan: Any) -> CheckResult:
        self._read(plan)
        self._place()
        self._coverage()
        for r in self.routes:
            for rule in (self._skills, self._times, self._travel, self._breaks):
                rule(r)
        for rule in (self._stock, self._frozen, self._now, self._crews, self._follow_ups):
            rule()
        return CheckResult(self.bad, self._kpis())

    # ------------------------------------------------------------ reading
    def _read(self, plan: Any) -> None:
        plan = plan.to_dict() if hasattr(plan, "to_dict") else plan
        if not isinstance(plan, dict):
            self.bad.append(
                f"plan: got a {type(plan).__name__}; expected a JSON object (contract v1)"
            )
            return
        if plan.get("format") != PLAN_FORMAT:
            self.bad.append(f"plan: format {plan.get('format')!r} is not {PLAN_FORMAT!r}")
        # the scenario's name is free text (a copy of the day may be saved under another): a
        # plan is matched to its scenario by what it plans, which the rules below check
        routes, unassigned = plan.get("routes"), plan.get("unassigned")
        for key, value in (("routes", routes), ("unassigned", unassigned)):
            if not isinstance(value, list):
                self.bad.append(f"plan: '{key}' is missing or not a list")
        shifts: set[tuple[str, int]] = set()
        for i, raw in enumerate(routes if isinstance(routes, list) else []):
            try:
                r = self._route(f"plan: routes[{i}]", raw)
            except _Malformed as exc:
                self.bad.append(str(exc))
                continue
            if (r.eng.id, r.shift) in shifts:  # reported, and still checked for what else it breaks
                self.bad.append(
                    f"plan: routes[{i}]: {r.name} has a second route; one route per shift"
                )
            shifts.add((r.eng.id, r.shift))
            self.listed_routes.append(r)  # an empty one too: it may be the one under way
            if r.stops or r.timed:  # an empty route with times is checked as the referee does
                self.routes.append(r)  # (it leaves, goes home, keeps its breaks)
        for i, u in enumerate(unassigned if isinstance(unassigned, list) else []):
            if not isinstance(u, dict) or not isinstance(u.get("ticket"), str):
                self.bad.append(f"plan: unassigned[{i}] needs a 'ticket' id")
                continue
            self.listed.append(u["ticket"])
            self.unassigned.append(u)
            if not isinstance(u.get("reason"), str) or not u["reason"].strip():
                self.bad.append(f"{u['ticket']}: unassigned without a reason a planner can act on")

    def _route(self, where: str, raw: Any) -> _Route:
        if not isinstance(raw, dict) or not isinstance(raw.get("stops"), list):
            raise _Malformed(
                f"{where}: needs 'engineer', 'shift', 'stops' (a list), 'depart' and 'return'"
            )
        for s in raw[
            "stops"
        ]:  # counted first, so coverage sees the visits of an unreadable route too
            if (
                isinstance(s, dict)
                and s.get("type") == "visit"
                and isinstance(s.get("ticket"), str)
            ):
                self.listed.append(s["ticket"])
                self.visit_count[s["ticket"]] += 1
        eid, k = raw.get("engineer"), raw.get("shift")
        eng = self.engineers.get(eid) if isinstance(eid, str) else None
        if eng is None:
            raise _Malformed(f"{where}: engineer {eid!r} is not in the scenario")
        if type(k) is not int or not 0 <= k < len(eng.shifts):
            raise _Malformed(
                f"{where}: {eng.id} has no shift {k!r} (shifts are 0..{len(eng.shifts) - 1})"
            )
        where += f" ({eng.id} shift {k})"
        stops = [self._stop(f"{where}.stops[{j}]", s) for j, s in enumerate(raw["stops"])]
        if not stops and ("depart" not in raw or "return" not in raw):
            return _Route(eng, k, [], 0.0, 0.0, timed=False)  # the engineer stays home
        return _Route(
            eng, k, stops, self._time(raw, "depart", where), self._time(raw, "return", where)
        )

    def _stop(self, where: str, s: Any) -> _Stop:
        if not isinstance(s, dict) or s.get("type") not in ("visit", "restock", "break"):
            raise _Malformed(f"{where}: not a stop of type visit, restock or break")
        start, end = self._time(s, "start", where), self._time(s, "end", where)
        if s["type"] == "break":
            return _Stop("break", "break", start, start, end)
        arrival = self._time(s, "arrival", where)
        ref = s.get("ticket" if s["type"] == "visit" else "depot")
        if not isinstance(ref, str) or ref not in (
            self.tickets if s["type"] == "visit" else self.depots
        ):
            raise _Malformed(
                f"{where}: {s['type']} of {ref!r}, which is not in the scenario; route not checked"
            )
        if s["type"] == "visit":
            return _Stop("visit", ref, arrival, start, end, lead=s.get("lead") is True)
        parts, tools = s.get("parts", {}), s.get("tools", [])
        if not isinstance(parts, dict) or not all(
            type(q) is int and q >= 0 for q in parts.values()
        ):
            raise _Malformed(f"{where}: parts must map part names to whole quantities >= 0")
        if not isinstance(tools, list) or not all(isinstance(x, str) for x in tools):
            raise _Malformed(f"{where}: tools must be a list of tool names")
        return _Stop("restock", ref, arrival, start, end, dict(parts), list(tools))

    def _time(self, raw: dict, key: str, where: str) -> float:
        value = raw.get(key)
        try:
            dt = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            dt = None
        if dt is None or dt.tzinfo is not None:
            raise _Malformed(
                f"{where}: {key} {value!r} is not a local date-time such as 2026-11-23T09:00"
            )
        return self.m(dt)

    def _place(self) -> None:
        """Travel legs of every route: only the legs it drives (consecutive stops), one call for
        all routes; nothing all-pairs, so checking a plan of any size needs little memory."""
        # the engineer's first route in the plan continues from `position` (as the referee reads
        # rule 7), even one without stops
        for r in sorted(self.listed_routes, key=lambda r: r.eng.shifts[r.shift].start):
            self.first.setdefault(r.eng.id, r)
        seqs = []
        for r in self.routes:
            e = r.eng
            under_way = (
                e.position is not None and self.first[e.id] is r
            )  # rule 7: continues from position
            seq = [e.position if under_way else e.start]
            for s in r.located:
                seq.append((self.tickets if s.kind == "visit" else self.depots)[s.ref].location)
            seqs.append(seq + [e.home])
        # rule 7 (made precise): an engineer out late is not asked to be home before now plus the
        # drive home from `position` (those legs asked for in the same call)
        out = [e for e in self.sc.engineers if e.position is not None and self.sc.now is not None]
        origins = [loc for seq in seqs for loc in seq[:-1]] + [e.position for e in out]
        destinations = [loc for seq in seqs for loc in seq[1:]] + [e.home for e in out]
        minutes, km = travel_legs(self.sc, origins, destinations)
        at = 0
        for r, seq in zip(self.routes, seqs):
            n = len(seq) - 1
            r.legs_min, r.legs_km = minutes[at : at + n], km[at : at + n]
            at += n
        home = minutes[at:]
        self.home_by = {e.id: self.m(self.sc.now) + float(m) for e, m in zip(out, home)}

    # ------------------------------------------------------------ hard rules
    def _coverage(self) -> None:
        """Every live ticket exactly once, planned or unassigned; nothing unknown or done."""
        counts = Counter(self.listed)
        for tid, n in counts.items():
            ticket = self.tickets.get(tid)
            if ticket is None:
                self.bad.append(f"{tid}: not a ticket of the scenario")
            elif ticket.status == "done":
                self.bad.append(f"{tid}: status is done, so it must not be in the plan")
            elif n > 1 and (ticket.crew == 1 or n != self.visit_count[tid]):
                self.bad.append(
                    f"{tid}: appears {n} times (visits and unassigned); must appear exactly once"
                    + (
                        f" (a crew of {ticket.crew}: as {ticket.crew} visits)"
                        if ticket.crew > 1
                        else ""
                    )
                )
            elif ticket.crew > 1 and 0 < self.visit_count[tid] != ticket.crew:
                self.bad.append(
                    f"{tid}: a crew of {ticket.crew}, but {n} visit(s) planned; plan all "
                    f"{ticket.crew} or list it as unassigned"
                )
        for ticket in self.sc.live_tickets:
            if ticket.id not in counts:
                self.bad.append(
                    f"{ticket.id}: missing; plan a visit or list it as unassigned with a reason"
                )

    def _skills(self, r: _Route) -> None:
        """Rule 1: skills and a required engineer."""
        for s in r.located:
            ticket = self.tickets.get(s.ref) if s.kind == "visit" else None
            if ticket is None or ticket.crew > 1:  # a crew: checked as a whole (_crews)
                continue
            missing = [k for k in ticket.skills if k not in r.eng.skills]
            if missing:
                self.bad.append(f"{ticket.id}: {r.eng.id} lacks skills {missing}")
            if ticket.engineer and ticket.engineer != r.eng.id:
                self.bad.append(
                    f"{ticket.id}: requires engineer {ticket.engineer}, but is planned for "
                    f"{r.eng.id}"
                )

    def _times(self, r: _Route) -> None:
        """Rules 2-3 on each stop: windows, shift, arrival, duration, time order, overtime."""
        w, t = r.eng.shifts[r.shift], self.t
        s0, s1 = self.m(w.start), self.m(w.end)
        latest = s1 + r.eng.max_overtime_min
        back_by = latest
        if r.eng.id in self.home_by and self.first.get(r.eng.id) is r:
            back_by = max(latest, self.home_by[r.eng.id])
        if r.depart < s0 - TOLERANCE_MIN:
            self.bad.append(f"{r.name}: departs {t(r.depart)}, before the shift starts {t(s0)}")
        if r.ret > back_by + TOLERANCE_MIN:
            self.bad.append(
                f"{r.name}: returns {t(r.ret)}, after shift end plus overtime {t(latest)}"
                + (
                    f" and the drive home from its position at now {t(back_by)}"
                    if back_by > latest
                    else ""
                )
            )
        starts = [r.depart] + [s.start for s in r.stops]
        if any(b < a - TOLERANCE_MIN for a, b in zip(starts, starts[1:])) or any(
            s.end > r.ret + TOLERANCE_MIN for s in r.stops
        ):
            self.bad.append(
                f"{r.name}: stops out of time order between departure {t(r.depart)} and return "
                f"{t(r.ret)}"
            )
        for s in r.stops:
            who = _who(r, s)
            if s.end > latest + TOLERANCE_MIN:
                self.bad.append(f"{who} ends {t(s.end)}, after shift end plus overtime {t(latest)}")
            if s.kind == "break":
                continue
            if s.start < s.arrival - TOLERANCE_MIN:
                self.bad.append(f"{who} starts {t(s.start)}, before arriving {t(s.arrival)}")
            if s.kind == "restock":
                need = self.depots[s.ref].restock_min
                if s.end - s.start < need - TOLERANCE_MIN:
                    self.bad.append(
                        f"{who} takes {s.end - s.start:g} min, less than the depot's {need:g} min"
                    )
                continue
            ticket = self.tickets[s.ref]
            if abs(s.end - s.start - ticket.duration_min) > TOLERANCE_MIN:
                self.bad.append(
                    f"{who} ends {t(s.end)}, not start {t(s.start)} + {ticket.duration_min:g} min"
                )
            if not s0 - TOLERANCE_MIN <= s.start <= s1 + TOLERANCE_MIN:
                self.bad.append(f"{who} starts {t(s.start)}, outside the shift {t(s0)}-{t(s1)}")
            wins = [(self.m(x.start), self.m(x.end)) for x in ticket.windows]
            if wins and not any(a - TOLERANCE_MIN <= s.start <= b + TOLERANCE_MIN for a, b in wins):
                shown = ", ".join(f"{t(a)}-{t(b)}" for a, b in wins)
                self.bad.append(f"{who} starts {t(s.start)}, outside its windows {shown}")

    def _travel(self, r: _Route) -> None:
        """Rules 3 and 5: each gap covers the travel, and up to the next start also the breaks
        taken in it."""
        prev_end, prev, pause, legs = r.depart, "the route's start", 0.0, iter(r.legs_min)
        for s in r.stops:
            if s.kind == "break":
                pause += s.end - s.start
                continue
            need = float(next(legs))
            if s.arrival < prev_end + need - TOLERANCE_MIN:
                self.bad.append(
                    f"{_who(r, s)} arrives {self.t(s.arrival)}, but {need:.1f} min from {prev} "
                    f"(left {self.t(prev_end)}) reach it at {self.t(prev_end + need)} at the "
                    f"earliest"
                )
            elif s.start < prev_end + need + pause - TOLERANCE_MIN:
                self.bad.append(
                    f"{_who(r, s)} starts {self.t(s.start)}, but {need:.1f} min from {prev} plus "
                    f"{pause:g}"
                    f" min of breaks allow {self.t(prev_end + need + pause)} at the earliest"
                )
            prev_end, prev, pause = s.end, s.ref, 0.0
        need = float(next(legs))
        if r.ret < prev_end + need + pause - TOLERANCE_MIN:
            self.bad.append(
                f"{r.name}: returns {self.t(r.ret)}, but {need:.1f} min home from {prev} plus "
                f"{pause:g}"
                f" min of breaks allow {self.t(prev_end + need + pause)} at the earliest"
            )

    def _breaks(self, r: _Route) -> None:
        """Rule 5: an owed break is a stop inside its interval, long enough, overlapping no visit
        or restock."""
        stops = [s for s in r.stops if s.kind == "break"]
        free = list(stops)
        for b in r.eng.breaks:
            b0, b1 = self.m(b.start), self.m(b.end)
            fit = next(
                (
                    s
                    for s in free
                    if s.start >= b0 - TOLERANCE_MIN
                    and s.end <= b1 + TOLERANCE_MIN
                    and s.end - s.start >= b.duration_min - TOLERANCE_MIN
                ),
                None,
            )
            if fit is not None:
                free.remove(fit)
            elif r.depart <= b0 + TOLERANCE_MIN and r.ret >= b1 - TOLERANCE_MIN:
                self.bad.append(
                    f"{r.name}: owes a {b.duration_min:g} min break in {self.t(b0)}-{self.t(b1)} "
                    f"but has no break stop inside it for that long"
                )
        for s in stops:
            for v in r.located:
                if s.start < v.end - TOLERANCE_MIN and v.start < s.end - TOLERANCE_MIN:
                    self.bad.append(
                        f"{_who(r, v)} at {self.t(v.start)}-{self.t(v.end)} overlaps the break "
                        f"{self.t(s.start)}-{self.t(s.end)}"
                    )

    def _stock(self) -> None:
        """Rule 4: van stock along each engineer's shifts in order; depots hand out what they hold
        and list."""
        given: dict[str, Counter] = defaultdict(Counter)
        takers: dict[str, set] = defaultdict(set)
        for e in self.sc.engineers:
            van, tools = Counter(e.van), set(e.tools)
            for r in sorted(
                (r for r in self.routes if r.eng is e), key=lambda r: e.shifts[r.shift].start
            ):
                for s in r.located:
                    if s.kind == "restock":
                        depot = self.depots[s.ref]
                        van.update(s.parts)
                        given[depot.id].update(s.parts)
                        takers[depot.id].add(e.id)
                        tools |= set(s.tools) & set(depot.tools)
                        for x in sorted(set(s.tools) - set(depot.tools)):
                            self.bad.append(
                                f"{depot.id}: does not list tool {x!r}, given to {e.id}"
                            )
                        continue
                    ticket = self.tickets[s.ref]
                    if ticket.crew > 1 and not s.lead:
                        continue  # the lead's van supplies a crew visit (rule 8)
                    short = {
                        p: f"needs {q}, van holds {van[p]}"
                        for p, q in ticket.parts.items()
                        if van[p] < q
                    }
                    if short:
                        self.bad.append(
                            f"{ticket.id}: {e.id} is short of parts at {self.t(s.start)}: {short}"
                        )
                    van.subtract(ticket.parts)
                    lacking = [x for x in ticket.tools if x not in tools]
                    if lacking:
                        self.bad.append(
                            f"{ticket.id}: {e.id} has no tools {lacking} on the van at "
                            f"{self.t(s.start)}"
                        )
        for did, parts in given.items():
            for p, q in parts.items():
                held = self.depots[did].parts.get(p, 0)
                if q > held:
                    self.bad.append(
                        f"{did}: hands out {q} x {p!r} (to {', '.join(sorted(takers[did]))}), "
                        f"holds {held}"
                    )

    def _frozen(self) -> None:
        """Rule 6: en_route/started tickets stay with their engineer (a crew visit under way: with
        its whole crew, `crew_engineers`), first in each one's first route."""
        where: dict[str, list[tuple[_Route, int]]] = {}
        for r in self.routes:
            for i, s in enumerate(r.located):
                if s.kind == "visit":
                    where.setdefault(s.ref, []).append((r, i))
        unassigned = {u["ticket"] for u in self.unassigned}
        for ticket in (x for x in self.sc.live_tickets if x.frozen):
            if ticket.id not in where:
                if ticket.id in unassigned:
                    self.bad.append(
                        f"{ticket.id}: {ticket.status}, so it must stay planned for "
                        f"{ticket.engineer}"
                    )
                continue
            crew = set(ticket.crew_engineers or [ticket.engineer])
            on = [r.eng.id for r, _ in where[ticket.id]]
            if ticket.engineer not in on or not set(on) <= crew:
                self.bad.append(
                    f"{ticket.id}: {ticket.status} with {', '.join(sorted(crew))}, but planned "
                    f"for {', '.join(on)}"
                )
                continue
            for r, i in where[ticket.id]:
                if r is not self.first[r.eng.id] or any(
                    s.kind != "visit" or not self.tickets[s.ref].frozen for s in r.located[:i]
                ):
                    self.bad.append(
                        f"{ticket.id}: {ticket.status}, so it must come first in {r.eng.id}'s "
                        f"first route"
                    )

    def _now(self) -> None:
        """Rule 7: only frozen visits start before `now`; a route under way leaves its position at
        or after it."""
        if self.sc.now is None:
            return
        now = self.m(self.sc.now)
        for r in self.routes:
            for s in r.stops:
                if (
                    not (s.kind == "visit" and self.tickets[s.ref].frozen)
                    and s.start < now - TOLERANCE_MIN
                ):
                    self.bad.append(
                        f"{_who(r, s)} starts {self.t(s.start)}, before now {self.t(now)}"
                    )
            if (
                r.eng.position is not None
                and self.first[r.eng.id] is r
                and r.depart < now - TOLERANCE_MIN
            ):
                self.bad.append(
                    f"{r.name}: under way, so it leaves its position at or after now "
                    f"{self.t(now)}, "
                    f"not {self.t(r.depart)}"
                )

    def _crews(self) -> None:
        """Rule 8, crews (evaluation/linked_rules.py); keeps each ticket's visits for the next."""
        for r in self.routes:
            for st in r.located:
                if st.kind == "visit":
                    visit = Visit(r.eng.id, frozenset(r.eng.skills), st.start, st.end, st.lead)
                    self.visits.setdefault(st.ref, []).append(visit)
        self.bad += crew_problems(self.tickets, self.visits, self.t)

    def _follow_ups(self) -> None:
        """Rule 8, follow-ups (evaluation/linked_rules.py)."""
        self.bad += follow_up_problems(self.sc, self.tickets, self.visits, self.t)

    # ------------------------------------------------------------ KPIs
    def _kpis(self) -> dict:
        """KPIs from the checked routes (never the plan's own figures), so they can be trusted."""
        live = self.sc.live_tickets
        live_ids = {x.id for x in live}
        served: dict[str, _Stop] = {}
        for r in self.routes:
            for s in r.located:
                if s.kind == "visit" and s.ref in live_ids:
                    served.setdefault(s.ref, s)
        tiers = {}
        for name in self.sc.tiers:
            mine = [x for x in live if x.priority == name]
            late = [
                max(0.0, served[x.id].start - self.m(self.sc.deadline(x)))
                for x in mine
                if x.id in served
            ]
            tiers[name] = {
                "tickets": len(mine),
                "served": len(late),
                "on_time": sum(x <= TOLERANCE_MIN for x in late),
                "late_total_min": _r(sum(late)),
                "late_max_min": _r(max(late, default=0.0)),
            }
        engineers = {}
        for e in self.sc.engineers:
            routes = [r for r in self.routes if r.eng is e]
            service = sum(
                self.tickets[s.ref].duration_min
                for r in routes
                for s in r.located
                if s.kind == "visit"
            )
            shift_min = sum((w.end - w.start).total_seconds() / 60 for w in e.shifts)
            overtime = sum(max(0.0, r.ret - self.m(e.shifts[r.shift].end)) for r in routes)
            engineers[e.id] = {
                "service_min": _r(service),
                "shift_min": _r(shift_min),
                "utilisation": round(service / shift_min, 4) if shift_min else 0.0,
                "overtime_min": _r(overtime),
            }
        reasons = Counter(
            str(u["code"]) if "code" in u else str(u.get("reason", "")) for u in self.unassigned
        )
        travel = sum(float(r.legs_min.sum()) for r in self.routes)
        on_duty = sum(r.ret - r.depart for r in self.routes if r.stops)  # paid time (costs)
        costs = self.sc.costs or Costs()
        return {
            "tiers": tiers,
            "tickets": len(live),
            "served": len(served),
            "unassigned": len({u["ticket"] for u in self.unassigned} & live_ids - set(served)),
            "travel_min": _r(travel),
            "on_duty_min": _r(on_duty),
            "cost": _r(costs.travel_per_min * travel + costs.on_duty_per_min * on_duty),
            "distance_km": _r(sum(float(r.legs_km.sum()) for r in self.routes)),
            "engineers": engineers,
            "unassigned_by_reason": dict(reasons),
        }


def _r(x: float) -> float:
    return round(float(x), 2)

"""From solver start times to the contract's times: arrival, depart and return, and travel
figures, using exact travel minutes (the search works in whole seconds on a rounded matrix)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from ..format.plan import Route, Stop, minutes_between
from ..format.scenario import Scenario
from .eligibility import Eligibility


def finalize_routes(sc: Scenario, el: Eligibility, routes: list[Route]) -> list[Route]:
    """Sort stops, drop restocks that picked nothing up, and fill arrival, depart, return and
    travel."""
    vehicle_of = {(v.engineer.id, v.shift): i for i, v in enumerate(el.vehicles)}
    out, held = [], held_tickets(sc)
    for r in routes + _from_position(el, routes):
        v = vehicle_of[(r.engineer, r.shift)]
        start_loc, end_loc = (int(x) for x in el.vehicle_loc[v])
        stops = sorted(r.stops, key=lambda s: (s.start, s.type == "break"))
        stops = [
            s
            for s in stops
            if not (s.type == "restock" and not s.parts and not s.tools)
            or not _skippable(el, stops, s, start_loc, r.depart)
        ]
        stops = _without_needless_waiting(sc, el, stops, held)
        bound = el.vehicles[v].return_by or el.horizon.time(el.vehicles[v].latest_return)
        out.append(_timed(el, replace(r, return_=min(r.return_, bound)), stops, start_loc, end_loc))
    return out


def held_tickets(sc: Scenario) -> set[str]:
    """Visits whose start is tied to another's: crew visits (every member starts together),
    follow-ups and the visits they follow (the lag). The search placed them; they stay put."""
    held = {t.id for t in sc.live_tickets if t.crew > 1 or t.after is not None}
    return held | {t.after.ticket for t in sc.live_tickets if t.after is not None}


def _without_needless_waiting(
    sc: Scenario, el: Eligibility, stops: list[Stop], held: set[str]
) -> list[Stop]:
    """Start each stop as late as the next one allows, so the engineer waits nowhere it need not
    (and, with the departure set as late as the first stop allows, is paid for no idle time).

    A stop moves only later, never past the window it starts in, never past its SLA deadline if
    it meets it now (nor at all if it is late), never across a break; frozen work and held visits
    (see held_tickets) stay put."""
    work = [s for s in stops if s.type != "break"]
    brks = [s for s in stops if s.type == "break"]
    out = list(work)
    for k in range(len(work) - 2, -1, -1):
        s, nxt = out[k], out[k + 1]
        between = [b for b in brks if b.start >= s.end and b.end <= nxt.start]
        leg = el.minutes[_loc(el, s), _loc(el, nxt)]
        latest_end = nxt.start - timedelta(
            minutes=leg + sum(minutes_between(b.start, b.end) for b in between)
        )
        if between:
            latest_end = min(latest_end, min(b.start for b in between))
        later = _floor_s(latest_end) - s.end
        if later <= timedelta(0):
            continue
        if s.type == "visit":
            t = sc.ticket(s.ticket)
            if t.frozen or t.id in held:
                continue
            deadline = sc.deadline(t)
            if s.start > deadline:
                continue
            cap = min([deadline] + [w.end for w in t.windows if w.start <= s.start <= w.end])
            later = min(later, _floor_s(cap) - s.start)
        if later > timedelta(0):
            out[k] = replace(s, start=s.start + later, end=s.end + later)
    return sorted(out + brks, key=lambda s: (s.start, s.type == "break"))


def _from_position(el: Eligibility, routes: list[Route]) -> list[Route]:
    """Empty routes for the shifts under way that continue from `position` but got no stops, where
    the engineer works a later shift: checkers take the engineer's first route in the plan as the
    one that leaves from `position` (rule 7), so it is listed rather than left out, as a route with
    no stops may be; else the later shift, planned from `start`, would look like it."""
    have = {(r.engineer, r.shift) for r in routes}
    working = {r.engineer for r in routes}
    return [
        Route(
            v.engineer.id,
            v.shift,
            [],
            el.horizon.time(v.earliest_depart),
            v.return_by or el.horizon.time(v.latest_return),
        )
        for v in el.vehicles
        if v.first_live
        and v.start is not v.engineer.start
        and v.engineer.id in working
        and (v.engineer.id, v.shift) not in have
    ]


def _loc(el: Eligibility, s: Stop) -> int:
    return el.ticket_loc[s.ticket] if s.type == "visit" else el.depot_loc[s.depot]


def _skippable(el, stops: list[Stop], s: Stop, start_loc: int, depart: datetime) -> bool:
    """An empty restock can go if the next stop is still reached in time without it."""
    i = stops.index(s)
    prev = next((p for p in reversed(stops[:i]) if p.type != "break"), None)
    nxt = next((p for p in stops[i + 1 :] if p.type != "break"), None)
    if nxt is None:
        return True
    a, t = (_loc(el, prev), prev.end) if prev else (start_loc, depart)
    between = sum(
        minutes_between(b.start, b.end)
        for b in stops
        if b.type == "break" and b.start >= t and b.end <= nxt.start
    )
    return minutes_between(t, nxt.start) >= el.minutes[a, _loc(el, nxt)] + between


def _timed(el: Eligibility, r: Route, stops: list[Stop], start_loc: int, end_loc: int) -> Route:
    """Arrival = previous end + travel + breaks taken on the way; depart as late as the first stop
    allows."""
    work = [s for s in stops if s.type != "break"]
    brks = [s for s in stops if s.type == "break"]

    def breaks_between(t0: datetime, t1: datetime) -> float:
        return sum(minutes_between(b.start, b.end) for b in brks if b.start >= t0 and b.end <= t1)

    depart = r.depart
    if work:
        first = work[0]
        lead = el.minutes[start_loc, _loc(el, first)] + breaks_between(r.depart, first.start)
        latest = first.start - timedelta(minutes=lead)
        if brks and brks[0].start < first.start:
            latest = min(latest, brks[0].start)
        depart = max(depart, _floor_s(latest))
    travel = km = 0.0
    loc, t = start_loc, depart
    timed = []
    for s in work:
        leg = el.minutes[loc, _loc(el, s)]
        arrival = min(s.start, _ceil_s(t + timedelta(minutes=leg + breaks_between(t, s.start))))
        timed.append(replace(s, arrival=arrival))
        travel, km = travel + leg, km + el.km[loc, _loc(el, s)]
        loc, t = _loc(el, s), s.end
    leg = el.minutes[loc, end_loc]
    travel, km = travel + leg, km + el.km[loc, end_loc]
    ret = t + timedelta(
        minutes=leg + sum(minutes_between(b.start, b.end) for b in brks if b.start >= t)
    )
    ret = max(ret, max((b.end for b in brks), default=ret))
    ret = min(r.return_, _ceil_s(ret))
    all_stops = sorted(timed + brks, key=lambda s: (s.start, s.type == "break"))
    return Route(r.engineer, r.shift, all_stops, depart, ret, float(travel), float(km))


def _floor_s(t: datetime) -> datetime:
    return t.replace(microsecond=0)


def _ceil_s(t: datetime) -> datetime:
    return t if t.microsecond == 0 else t.replace(microsecond=0) + timedelta(seconds=1)

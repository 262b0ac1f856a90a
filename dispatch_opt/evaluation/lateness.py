"""Why a planned visit is late for its SLA, told from the scenario and the plan.

A late visit reads as a planning failure unless the plan says why. The causes, checked in this
order (the first that holds is the one given):

- `window`: the agreed window(s) open after the SLA deadline (or the engineer arrived in time and
  waited for the window): no plan can keep both the appointment and the promise.
- `unreachable`: raised too late to be reachable: no qualified engineer's shift gets anyone there
  before the deadline (or the deadline had passed when planning started).
- `busy`: no qualified engineer free earlier: the engineer who serves it was busy until after the
  deadline, and the plan found no one better placed.
- `travel`: the engineer was free before the deadline, but the drive there ends after it.

Computed from the scenario and the routes only (ours or another program's plan), never from
search internals, so it stays true whichever search made the plan.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from ..format.scenario import TOLERANCE_MIN, Engineer, Location, Scenario, Ticket
from ..format.travel import travel_between

CAUSES = {  # code -> the cause in a few words, for summaries and tables
    "window": "agreed window opens after the SLA deadline",
    "unreachable": "raised too late to be reachable",
    "busy": "no qualified engineer free earlier",
    "travel": "travel",
}


@dataclass(frozen=True)
class LateCause:
    """Why one visit is late: `code` (a key of CAUSES) and a sentence for the planner."""

    code: str
    text: str


def late_causes(scenario: Scenario, routes: Iterable[Any]) -> dict[str, LateCause]:
    """The cause of each visit that starts after its ticket's SLA deadline, by ticket id."""
    out = {}
    for r in routes:
        prev_end, left = r.depart, True
        for s in r.stops:
            if s.type != "visit":
                if s.type == "restock":
                    prev_end, left = s.end, False
                continue
            t = scenario.ticket(s.ticket)
            deadline = scenario.deadline(t)
            if _minutes(deadline, s.start) > TOLERANCE_MIN:
                out[t.id] = _cause(scenario, t, deadline, r.engineer, s, prev_end, left)
            prev_end, left = s.end, False
    return out


def count_causes(causes: dict[str, LateCause], scenario: Scenario) -> dict[str, dict[str, int]]:
    """Late visits per tier (in rank order) and cause: {tier: {code: n}}."""
    by_tier: dict[str, Counter] = {}
    for tid, c in causes.items():
        by_tier.setdefault(scenario.ticket(tid).priority, Counter())[c.code] += 1
    return {
        tier: {code: by_tier[tier][code] for code in CAUSES if by_tier[tier][code]}
        for tier in scenario.tiers
        if tier in by_tier
    }


def _minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


def _hm(t: datetime) -> str:
    return f"{t:%a %d %b %H:%M}"


def _cause(
    sc: Scenario,
    t: Ticket,
    deadline: datetime,
    engineer: str,
    s: Any,
    prev_end: datetime,
    first: bool,
) -> LateCause:
    if t.windows and all(_minutes(deadline, w.start) > TOLERANCE_MIN for w in t.windows):
        first = min(w.start for w in t.windows)
        return LateCause(
            "window",
            f"its agreed window opens {_hm(first)}, after the SLA deadline {_hm(deadline)}: "
            f"keeping the appointment means missing the promise",
        )
    lower = max(sc.planning_start, t.created)
    if _minutes(deadline, lower) > TOLERANCE_MIN:
        return LateCause(
            "unreachable",
            f"already past its SLA deadline {_hm(deadline)} when planning started ({_hm(lower)})",
        )
    earliest = earliest_start(sc, t)
    if earliest is None or _minutes(deadline, earliest) > TOLERANCE_MIN:
        hours = sc.tiers[t.priority].hours(t.zone)
        when = f"the earliest is {_hm(earliest)}" if earliest else "none reaches it at all"
        return LateCause(
            "unreachable",
            f"raised {_hm(t.created)} with a {hours:g} h promise: no qualified engineer's shift "
            f"gets anyone there by the deadline {_hm(deadline)} ({when})",
        )
    arrival = s.arrival or s.start
    if _minutes(deadline, arrival) <= TOLERANCE_MIN:
        return LateCause(
            "window",
            f"{engineer} arrives {arrival:%H:%M}, in time, but its agreed window opens only at "
            f"{s.start:%H:%M}, after the deadline {_hm(deadline)}",
        )
    if _minutes(deadline, prev_end) <= TOLERANCE_MIN:
        return LateCause(
            "travel",
            f"{engineer} {'leaves' if first else 'is free'} at {prev_end:%H:%M}, before the "
            f"deadline {deadline:%H:%M}, but arrives at {arrival:%H:%M} after "
            f"{_minutes(prev_end, arrival):.0f} min on the road",
        )
    return LateCause(
        "busy",
        f"no qualified engineer free earlier in this plan: {engineer} is busy until "
        f"{_hm(prev_end)}, after the deadline {_hm(deadline)}",
    )


def qualified(t: Ticket, e: Engineer) -> bool:
    """Skills and a required engineer: what no time or stock can change."""
    return set(t.skills) <= set(e.skills) and (t.engineer is None or t.engineer == e.id)


def earliest_start(sc: Scenario, t: Ticket) -> datetime | None:
    """The earliest a qualified engineer could start the visit, leaving at shift start (or now)
    straight for it, within the ticket's windows; None if no shift reaches it."""
    lower = max(sc.planning_start, t.created)
    legs: list[tuple[datetime, datetime, Location]] = []  # depart, latest, origin
    for e in sc.engineers:
        if not qualified(t, e):
            continue
        first_open = True
        for sh in sorted(e.shifts, key=lambda x: x.start):
            latest = sh.end + timedelta(minutes=e.max_overtime_min)
            if latest <= lower:
                continue
            origin = e.position if (first_open and sc.now is not None and e.position) else e.start
            first_open = False
            legs.append((max(sh.start, lower), latest, origin))
    if not legs:
        return None
    minutes, _ = travel_between(sc, [o for _, _, o in legs], [t.location])
    best = None
    for (depart, latest, _), m in zip(legs, minutes[:, 0]):
        arrive = depart + timedelta(minutes=float(m))
        start = _in_window(t, arrive)
        if start is not None and start <= latest and (best is None or start < best):
            best = start
    return best


def _in_window(t: Ticket, arrive: datetime) -> datetime | None:
    if not t.windows:
        return arrive
    starts = [max(arrive, w.start) for w in t.windows if w.end >= arrive]
    return min(starts, default=None)

"""What a hand move would do, before anything is committed.

A move is `{"ticket", "engineer", "shift"?, "start"?}`. The preview answers two questions:

- `hand`: the plan in force with just that visit moved there (the other visits keep their times
  unless the move pushes them later) as the package checker sees it: which hard rules it keeps,
  which it breaks and where. This is what the dispatcher's drag means, unrepaired.
- `replan`: what committing does: the move as a `pin` event and the fast-path re-plan around it,
  checked the same way, with where the ticket landed (or why it could not) and what moved.

Each side carries its cost against the plan in force: travel, lateness per SLA tier and tickets
pushed out. Nothing is stored: the caller's board is not touched.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta
from typing import Callable

import dispatch_opt as do
from dispatch_opt.format.plan import iso_time
from dispatch_opt.format.travel import travel_legs

# The contract's hard rules, named as the board shows them; a checker line is put under the
# first rule whose words it carries (the checker's own wording, see evaluation/checker.py).
RULES = [
    ("skills", "1 skills and required engineer", r"lacks skills|required engineer|requires"),
    ("frozen", "6 work under way stays put", r"\b(started|en_route)\b.*(planned for|must)"),
    ("now", "7 nothing before now", r"before now|leaves its position|under way, so"),
    ("travel", "3 travel and shift end", r"arrives|min from|min home|after shift end|departs"),
    ("breaks", "5 breaks", r"break"),
    ("stock", "4 parts and tools", r"\bpart|van |depot|\btool"),
    ("times", "2 windows and shift", r"windows|outside the shift|before arriving|ends "),
    ("coverage", "every ticket once", r"."),
]


def rule_of(line: str) -> str:
    for key, _name, words in RULES:
        if re.search(words, line):
            return key
    return "coverage"


def verdict(state: do.Scenario, plan: dict | do.Plan) -> tuple[dict, dict]:
    """The checker's verdict ({ok, kept, broken}) and its recomputed KPIs."""
    result = do.check(state, plan)
    broken = [{"rule": rule_of(v), "message": v} for v in result.violations]
    hit = {b["rule"] for b in broken}
    names = {key: name for key, name, _ in RULES}
    return (
        {
            "ok": result.ok,
            "kept": [names[k] for k, _n, _w in RULES if k not in hit],
            "broken": [{**b, "name": names[b["rule"]]} for b in broken],
        },
        result.kpis,
    )


def cost(before: dict, after: dict, old: do.Plan | dict, new: do.Plan | dict) -> dict:
    """Travel, lateness per tier and tickets pushed out, new against old (checker KPIs)."""
    tiers = {}
    for name, b in before["tiers"].items():
        a = after["tiers"].get(name, b)
        tiers[name] = {
            "late_min": round(a["late_total_min"] - b["late_total_min"], 1),
            "late_visits": (a["served"] - a["on_time"]) - (b["served"] - b["on_time"]),
            "served": a["served"] - b["served"],
        }
    was, now = _served(old), _served(new)
    return {
        "travel_min": round(after["travel_min"] - before["travel_min"], 1),
        "distance_km": round(after["distance_km"] - before["distance_km"], 2),
        "tiers": tiers,
        "pushed_out": sorted(set(was) - set(now)),
        "taken_in": sorted(set(now) - set(was)),
    }


def _served(plan: do.Plan | dict) -> dict[str, tuple[str, int, str]]:
    d = plan if isinstance(plan, dict) else plan.to_dict()
    return {
        s["ticket"]: (r["engineer"], r["shift"], s["start"])
        for r in d["routes"]
        for s in r["stops"]
        if s["type"] == "visit"
    }


def pin_event(state: do.Scenario, move: dict) -> dict:
    """The move as the `pin` event that commits it (at the board's now)."""
    at = state.now or state.planning_start
    ev = {"type": "pin", "at": at.isoformat(timespec="seconds")}
    ev.update({k: move[k] for k in ("ticket", "engineer", "shift", "start") if k in move})
    return {k: v for k, v in ev.items() if v is not None}


def preview(
    state: do.Scenario, plan: do.Plan, move: dict, replan: Callable[[do.Scenario, do.Plan], do.Plan]
) -> dict:
    """The preview of `move` on the board (`state`, `plan` in force); `replan` is the board's fast
    path. Raises ScenarioError (field-named problems) when the move cannot be read or applied."""
    event = pin_event(state, move)
    pinned = do.apply_events(state, [event])  # validates the move as the commit would
    base_verdict, base = verdict(state, plan)
    hand_plan = move_by_hand(state, plan, event)
    hand_verdict, hand = verdict(state, hand_plan)
    new = replan(pinned, plan)
    new_verdict, after = verdict(pinned, new)
    where = _served(new).get(event["ticket"])
    missed = next((u for u in new.unassigned if u.ticket == event["ticket"]), None)
    kept_move = where is not None and where[0] == event["engineer"] and (
        event.get("shift") is None or where[1] == event["shift"]
    )
    old_served = _served(plan)
    moved = sorted(
        tid
        for tid, (e, sh, _start) in _served(new).items()
        if tid != event["ticket"] and tid in old_served and old_served[tid][:2] != (e, sh)
    )
    return {
        "event": event,
        "in_force": {"ok": base_verdict["ok"]},
        "hand": {**hand_verdict, "cost": cost(base, hand, plan, hand_plan)},
        "replan": {
            **new_verdict,
            "kept_move": kept_move,
            "where": None
            if where is None
            else {"engineer": where[0], "shift": where[1], "start": where[2]},
            "reason": None if missed is None else missed.reason,
            "moved": moved,
            "cost": cost(base, after, plan, new),
        },
        "can_commit": kept_move and new_verdict["ok"],
    }


# ---------------------------------------------------------------- the move by hand


def move_by_hand(state: do.Scenario, plan: do.Plan, event: dict) -> dict:
    """The plan in force (as a contract dict) with the one visit moved to the engineer's shift, at
    the start asked for (else where it adds least travel); the routes it leaves and joins are
    re-timed forward: a stop keeps its time unless the one before pushes it later."""
    d = copy.deepcopy(plan.to_dict())
    tid, eid = event["ticket"], event["engineer"]
    ticket, eng = state.ticket(tid), state.engineer(eid)
    want = datetime.fromisoformat(event["start"]) if event.get("start") else None
    shift = event.get("shift")
    if shift is None:
        shift = _shift_at(eng, want or state.planning_start)
    d["unassigned"] = [u for u in d["unassigned"] if u["ticket"] != tid]
    left = None
    for r in d["routes"]:
        kept = [s for s in r["stops"] if not (s["type"] == "visit" and s["ticket"] == tid)]
        if len(kept) != len(r["stops"]):
            r["stops"], left = kept, r
    route = next((r for r in d["routes"] if (r["engineer"], r["shift"]) == (eid, shift)), None)
    if route is None:
        sh = eng.shifts[shift]
        t0 = iso_time(max(sh.start, state.now or sh.start))
        route = {"engineer": eid, "shift": shift, "stops": [], "depart": t0, "return": t0}
        d["routes"].append(route)
    stop = {"type": "visit", "ticket": tid, "start": iso_time(want) if want else None}
    route["stops"] = _insert(state, route, stop, ticket, want)
    for r in {id(x): x for x in (left, route) if x is not None}.values():
        _retime(state, d, r, moved=tid, want=want)
    d["routes"] = [r for r in d["routes"] if r["stops"] or r is route]
    return d


def _shift_at(eng, t: datetime) -> int:
    for i, sh in enumerate(eng.shifts):
        if t < sh.end:
            return i
    return max(0, len(eng.shifts) - 1)


def _insert(state, route: dict, stop: dict, ticket, want: datetime | None) -> list[dict]:
    stops = route["stops"]
    located = [i for i, s in enumerate(stops) if s["type"] != "break"]
    if want is not None:
        at = next((i for i in located if datetime.fromisoformat(stops[i]["start"]) > want), None)
        at = len(stops) if at is None else at
        return stops[:at] + [stop] + stops[at:]
    # no start asked: the gap between located stops (or home) that adds least travel
    eng = state.engineer(route["engineer"])
    seq = [eng.start] + [_where(state, s) for s in stops if s["type"] != "break"] + [eng.home]
    here = [ticket.location] * (len(seq) - 1)
    there, _ = travel_legs(state, seq[:-1], here)
    back, _ = travel_legs(state, here, seq[1:])
    direct, _ = travel_legs(state, seq[:-1], seq[1:])
    best = int((there + back - direct).argmin())
    at = located[best] if best < len(located) else len(stops)
    return stops[:at] + [stop] + stops[at:]


def _where(state, s: dict):
    return state.ticket(s["ticket"]).location if s["type"] == "visit" else state.depot(
        s["depot"]
    ).location


def _retime(state, plan: dict, r: dict, moved: str, want: datetime | None) -> None:
    """Forward pass over the route: arrival = end of the last stop + breaks + travel; a stop
    starts at the later of its arrival and its old start (the moved visit: the start asked for,
    else the opening of its first window not yet closed)."""
    eng = state.engineer(r["engineer"])
    first = min(
        (x for x in plan["routes"] if x["engineer"] == r["engineer"]), key=lambda x: x["shift"]
    )
    origin = eng.position if (eng.position is not None and first is r) else eng.start
    located = [s for s in r["stops"] if s["type"] != "break"]
    seq = [origin] + [_where(state, s) for s in located] + [eng.home]
    minutes, km = travel_legs(state, seq[:-1], seq[1:])
    legs = iter(minutes)
    depart = datetime.fromisoformat(r["depart"])
    if located and located[0].get("ticket") == moved and want is not None:
        sh = eng.shifts[r["shift"]]
        lead = timedelta(minutes=float(minutes[0]))
        depart = max(sh.start, state.now or sh.start, min(depart, want - lead))
    t = depart
    for s in r["stops"]:
        old = datetime.fromisoformat(s["start"]) if s.get("start") else None
        if s["type"] == "break":
            length = datetime.fromisoformat(s["end"]) - old
            s["start"], s["end"] = iso_time(max(t, old)), iso_time(max(t, old) + length)
            t = max(t, old) + length
            continue
        arrival = t + timedelta(minutes=float(next(legs)))
        if s["type"] == "visit" and s["ticket"] == moved:
            length = timedelta(minutes=state.ticket(moved).duration_min)
            start = max(arrival, want) if want else _opening(state.ticket(moved), arrival)
        else:
            length = datetime.fromisoformat(s["end"]) - old
            start = max(arrival, old)
        s["arrival"], s["start"], s["end"] = (
            iso_time(arrival), iso_time(start), iso_time(start + length)
        )
        t = start + length
    r["depart"] = iso_time(depart)
    r["return"] = iso_time(t + timedelta(minutes=float(next(legs))))
    r["travel_min"], r["distance_km"] = round(float(minutes.sum()), 2), round(float(km.sum()), 3)


def _opening(ticket, arrival: datetime) -> datetime:
    for w in ticket.windows:
        if w.end >= arrival:
            return max(arrival, w.start)
    return arrival

"""The scenario at a moment had the plan been carried out: work done, started, en route, and
where everyone is. Re-planning during the day starts from here."""

from __future__ import annotations

import copy
import math
from datetime import datetime

from ..format.io import plan_problems
from ..format.plan import Plan
from ..format.scenario import Scenario, ScenarioError
from ..format.validation import parse_scenario


def advance(scenario: Scenario | dict, plan: Plan, now: datetime | str) -> Scenario:
    """The scenario at `now` had `plan` been carried out as planned: visits ended by then are done
    (their parts used), the visit under way is `started` (its `duration_min` the work left), the
    next one `en_route`, restocks ended are taken, and each engineer's `position` is the last
    place reached (on the way to a visit: that visit). What the field reports (events) overrides
    it; this is what a re-plan at a later `now` should start from when nothing was reported."""
    sc = scenario if isinstance(scenario, Scenario) else parse_scenario(scenario)
    when = now if isinstance(now, datetime) else _moment(now)
    if sc.now is not None and when < sc.now:
        raise ScenarioError(
            [
                f"now: {when.isoformat()} is before the scenario's now {sc.now.isoformat()}; "
                f"fix: advance to a later moment"
            ]
        )
    problems = plan_problems(plan.to_dict(), sc)
    if problems:
        raise ScenarioError(problems)
    return parse_scenario(carry_out(sc.to_dict(), plan, when, {}))


def _moment(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        when = None
    if when is None or when.tzinfo is not None:
        raise ScenarioError(
            [f"now: got {text!r}; fix: give a local date-time such as 2026-11-23T11:00"]
        )
    return when


def overdue_visits(scenario: Scenario, previous: Plan) -> list[str]:
    """Visits of the plan in force that should have started by the scenario's `now` while their
    tickets are still open: nothing reported them started or done. A re-plan cannot start them in
    the past, so it plans them again from `now`; this says so, one line per visit."""
    if scenario.now is None:
        return []
    out = []
    for r in previous.routes:
        for s in r.visits:
            t = _ticket(scenario, s.ticket)
            if t is not None and t.status == "open" and s.start < scenario.now:
                out.append(
                    f"{s.ticket}: planned with {r.engineer} at {s.start:%H:%M}, before now "
                    f"({scenario.now:%H:%M}), but still open: planned again from now; fix: report "
                    f"it started or done (ticket_status), or carry the plan out first (advance)"
                )
    return out


def _ticket(sc: Scenario, tid: str | None):
    try:
        return sc.ticket(tid)
    except KeyError:
        return None


def carry_out(raw: dict, plan: Plan, now: datetime, done: dict) -> dict:
    """The scenario at `now` if the plan was carried out: visits ended are done (their parts used),
    the visit under way is started (its duration the work left), the next one en route; restocks
    ended are taken. The engineer is at the last place reached or, on the way to a visit, at that
    visit. `done` collects the (engineer, start) of work carried out."""
    raw = copy.deepcopy(raw)
    tickets = {t["id"]: t for t in raw["tickets"]}
    engineers = {e["id"]: e for e in raw["engineers"]}
    depots = {d["id"]: d for d in raw.get("depots", [])}
    before = datetime.fromisoformat(raw["now"]) if raw.get("now") else None
    crews = _crews(plan, tickets)
    for r in plan.routes:
        e = engineers.get(r.engineer)
        if e is None or r.depart > now:
            continue
        van = e.setdefault("van", {})
        where = e.get("position") if raw.get("now") else None
        where = where or e["start"]
        for s in r.stops:
            if s.type == "break":
                continue
            place = (
                tickets[s.ticket]["location"] if s.type == "visit" else depots[s.depot]["location"]
            )
            if (
                s.type == "visit"
                and tickets[s.ticket].get("status") == "done"
                or s.type == "restock"
                and before is not None
                and s.end <= before
            ):
                where = place  # carried out at an earlier moment
            elif s.end <= now:
                if s.type == "visit":
                    done.setdefault(s.ticket, (r.engineer, s.start))
                    tickets[s.ticket]["status"] = "done"
                    supplies = s.lead or tickets[s.ticket].get("crew", 1) == 1  # a crew: the lead
                    for p, q in (tickets[s.ticket].get("parts", {}) if supplies else {}).items():
                        van[p] = van.get(p, 0) - q
                else:
                    for p, q in s.parts.items():
                        van[p] = van.get(p, 0) + q
                        depots[s.depot]["parts"][p] = depots[s.depot]["parts"].get(p, 0) - q
                    e["tools"] = sorted(set(e.get("tools", [])) | set(s.tools))
                where = place
            elif s.start <= now and s.type == "visit":
                done.setdefault(s.ticket, (r.engineer, s.start))
                left = (
                    math.floor((s.end - now).total_seconds()) / 60
                )  # whole seconds: rounding up could
                tickets[s.ticket].update(
                    {
                        "status": "started",
                        "engineer": r.engineer,
                        "windows": [],  # overflow a tight shift
                        "duration_min": left,
                    }
                    | crews.get(s.ticket, {})
                )
                tickets[s.ticket].pop("started_at", None)  # duration_min is now the work left
                where = place
                break
            else:
                if s.type == "visit":  # the engineer knows where to go next: that job is theirs
                    tickets[s.ticket].update(
                        {"status": "en_route", "engineer": r.engineer} | crews.get(s.ticket, {})
                    )
                    # on the way there: counted as arrived (optimistic by the rest of the drive)
                    where = place
                break
        else:  # every stop carried out: on the way home, counted as there (optimistic, as above)
            if r.stops and max(s.end for s in r.stops) <= now:
                where = e.get("end") or e["start"]
        e["position"] = where
    raw["now"] = now.isoformat(timespec="seconds")
    return raw


def _crews(plan: Plan, tickets: dict) -> dict[str, dict]:
    """Per crew visit of the plan, what its ticket records once under way: the lead as its
    `engineer` and the whole crew, lead first (`crew_engineers`), so a re-plan keeps them all."""
    members: dict[str, list[tuple[bool, str]]] = {}
    for r in plan.routes:
        for s in r.visits:
            if tickets.get(s.ticket, {}).get("crew", 1) > 1:
                members.setdefault(s.ticket, []).append((not s.lead, r.engineer))
    out = {}
    for tid, crew in members.items():
        names = [e for _, e in sorted(crew, key=lambda c: c[0])]  # the lead first, stable
        out[tid] = {"engineer": names[0], "crew_engineers": names}
    return out

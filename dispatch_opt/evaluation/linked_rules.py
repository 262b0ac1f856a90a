"""Rule 8 of the contract (added 2026-12-03) for the checker: crew visits and follow-ups, judged
from the visits a plan lists (who, when, lead), written from the contract alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..format.scenario import TOLERANCE_MIN, Scenario


@dataclass(frozen=True)
class Visit:
    """One visit stop of a ticket: its engineer (and their skills), start and end in minutes."""

    engineer: str
    skills: frozenset
    start: float
    end: float
    lead: bool


def crew_problems(tickets: dict, visits: dict[str, list[Visit]], t: Callable) -> list[str]:
    """A crew visit is k visits by k distinct engineers, one start and end, one lead, the crew's
    skills covering the ticket, a required engineer among them (`t` shows a time)."""
    bad = []
    for tid, got in visits.items():
        ticket = tickets[tid]
        if ticket.crew <= 1:
            continue
        who = [v.engineer for v in got]
        if len(set(who)) != len(who):
            bad.append(f"{tid}: crew visit given twice to one engineer ({who})")
        if (
            max(v.start for v in got) - min(v.start for v in got) > TOLERANCE_MIN
            or max(v.end for v in got) - min(v.end for v in got) > TOLERANCE_MIN
        ):
            shown = ", ".join(f"{v.engineer} {t(v.start)}" for v in got)
            bad.append(f"{tid}: crew members do not start and end together ({shown})")
        leads = [v.engineer for v in got if v.lead]
        if len(leads) != 1:
            bad.append(
                f"{tid}: crew visit has {len(leads)} leads ({leads}); exactly one stop needs "
                f"'lead': true"
            )
        held = set().union(*(v.skills for v in got))
        missing = [k for k in ticket.skills if k not in held]
        if missing:
            bad.append(f"{tid}: the crew {who} lacks skills {missing}")
        if ticket.engineer and ticket.engineer not in who:
            bad.append(f"{tid}: requires engineer {ticket.engineer}, who is not in the crew {who}")
    return bad


def follow_up_problems(
    sc: Scenario, tickets: dict, visits: dict[str, list[Visit]], t: Callable
) -> list[str]:
    """A follow-up starts within its lag after the end of the visit it follows (the leads', for
    crews), with the same engineer if asked; never planned without that visit."""

    def lead(tid: str) -> Visit:
        return next((v for v in visits[tid] if v.lead), visits[tid][0])

    bad = []
    for ticket in sc.live_tickets:
        after = ticket.after
        if after is None or ticket.id not in visits:
            continue
        before = tickets.get(after.ticket)
        if before is None or before.status == "done":
            continue
        if after.ticket not in visits:
            bad.append(
                f"{ticket.id}: follow-up planned, but the visit it follows ({after.ticket}) is not"
            )
            continue
        me, it = lead(ticket.id), lead(after.ticket)
        lag = me.start - it.end
        if lag < after.min_lag_min - TOLERANCE_MIN:
            bad.append(
                f"{ticket.id}: starts {t(me.start)}, {lag:.1f} min after {after.ticket} ends "
                f"({t(it.end)}); needs at least {after.min_lag_min:g}"
            )
        if after.max_lag_min is not None and lag > after.max_lag_min + TOLERANCE_MIN:
            bad.append(
                f"{ticket.id}: starts {t(me.start)}, {lag:.1f} min after {after.ticket} ends "
                f"({t(it.end)}); at most {after.max_lag_min:g} allowed"
            )
        if after.same_engineer and me.engineer != it.engineer:
            bad.append(
                f"{ticket.id}: follow-up with {me.engineer}, but {after.ticket} is led by "
                f"{it.engineer} (same_engineer)"
            )
    return bad

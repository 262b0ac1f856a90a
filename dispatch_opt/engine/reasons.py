"""Why an eligible ticket was left out of a plan, told from the plan itself.

Eligibility explains tickets nobody could ever serve. A ticket somebody could serve but the plan
left out is explained here from what the plan leaves behind (van stock and tools after the
final routes, depot stock after their restocks, the time limit), never from search internals:
so the reason stays true whichever search made the plan, and a planner gets the fix that
works. In order:

- `stock`: a part it needs is on no qualified van after the plan, and the depots no longer hold
  enough to refill one: no time limit or shift change helps, only stock does.
- `depot`: what it needs (a part or a tool) is on no qualified van after the plan, but a depot
  could supply it; the pick-up did not fit into any qualified engineer's day.
- `time_limit`: everything it needs is in hand, and the time limit cut the work short.
- `capacity`: everything it needs is in hand; their shifts are full with work of higher tiers
  or better placed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ..format.plan import Route, Unassigned
from ..format.scenario import Engineer, Scenario, Ticket
from .eligibility import Eligibility

CODES = ("stock", "depot", "time_limit", "capacity")


def left_out(
    sc: Scenario,
    el: Eligibility,
    tickets: Iterable[str],
    routes: list[Route],
    *,
    timed_out: bool,
) -> list[Unassigned]:
    """An Unassigned with a true reason and its fix for each eligible ticket the routes leave out.

    `timed_out`: the search stopped at the time limit before finishing (not just used its time)."""
    after = _AfterPlan(sc, routes)
    out = []
    for tid in tickets:
        t = sc.ticket(tid)
        qualified = list(
            {el.vehicles[v].engineer.id: el.vehicles[v].engineer for v in el.allowed[tid]}.values()
        )
        out.append(_reason(t, qualified, after, routes, timed_out))
    return out


class _AfterPlan:
    """Van stock and tools per engineer, and depot stock, once every route has been carried out."""

    def __init__(self, sc: Scenario, routes: list[Route]):
        self.van = {e.id: Counter(e.van) for e in sc.engineers}
        self.tools = {e.id: set(e.tools) for e in sc.engineers}
        self.depot = {d.id: Counter(d.parts) for d in sc.depots}
        self.depot_tools = {d.id: set(d.tools) for d in sc.depots}
        for r in routes:
            for s in r.stops:
                if s.type == "visit" and s.ticket is not None:
                    self.van[r.engineer].subtract(sc.ticket(s.ticket).parts)
                elif s.type == "restock" and s.depot is not None:
                    self.van[r.engineer].update(s.parts)
                    self.depot[s.depot].subtract(s.parts)
                    self.tools[r.engineer] |= set(s.tools)

    def short(self, t: Ticket, e: Engineer) -> dict[str, int]:
        """Parts the engineer's van lacks for the ticket after the plan: part -> quantity."""
        return {p: q - self.van[e.id][p] for p, q in t.parts.items() if self.van[e.id][p] < q}

    def in_depots(self, part: str) -> int:
        return sum(max(0, stock[part]) for stock in self.depot.values())

    def holders(self, kind: str, item: str) -> list[str]:
        """Depots that can still hand out the part (some left) or the tool (never runs out)."""
        if kind == "part":
            return sorted(d for d, stock in self.depot.items() if stock[item] > 0)
        return sorted(d for d, tools in self.depot_tools.items() if item in tools)


def _who(engineers: list[Engineer]) -> str:
    return engineers[0].id if len(engineers) == 1 else f"{len(engineers)} qualified engineers"


def _reason(
    t: Ticket, qualified: list[Engineer], after: _AfterPlan, routes: list[Route], timed_out: bool
) -> Unassigned:
    in_hand = [e for e in qualified if not after.short(t, e) and set(t.tools) <= after.tools[e.id]]
    if not in_hand:
        # no qualified van holds what the visit needs: can a depot still make up the shortfall?
        refillable = [
            e
            for e in qualified
            if all(q <= after.in_depots(p) for p, q in after.short(t, e).items())
        ]
        if not refillable:

            def unrefillable(e: Engineer) -> list[str]:
                return [p for p, n in after.short(t, e).items() if n > after.in_depots(p)]

            p = next(
                (p for p in t.parts if all(p in unrefillable(e) for e in qualified)),
                unrefillable(qualified[0])[0],
            )
            q = t.parts[p]
            best = max(max(0, after.van[e.id][p]) for e in qualified)
            return Unassigned(
                t.id,
                f"van stock-out: part {p!r} x{q} needed; after this plan the vans of "
                f"{_who(qualified)} hold at most {best} and the depots {after.in_depots(p)}; "
                f"fix: put {p!r} on a van or into a depot, or free it from lower-priority work",
                "stock",
            )
        needs = sorted(
            {("part", p) for e in refillable for p in after.short(t, e)}
            | {("tool", x) for e in refillable for x in set(t.tools) - after.tools[e.id]}
        )
        what = ", ".join(
            f"{kind} {item!r} (at {', '.join(after.holders(kind, item))})" for kind, item in needs
        )
        return Unassigned(
            t.id,
            f"needs a depot pick-up of {what}: on no qualified van after this plan, and the "
            f"detour fits into no day of {_who(refillable)}; fix: load it onto a van before the "
            f"shift, or make room for the detour (a longer shift or overtime)",
            "depot",
        )
    if timed_out:
        done = "after a first plan" if any(r.visits for r in routes) else "before a first plan"
        return Unassigned(
            t.id,
            f"not planned: the search ran out of time {done}; fix: allow more time (time_limit_s)",
            "time_limit",
        )
    return Unassigned(
        t.id,
        f"not enough capacity: left out in favour of higher-priority or better-placed work "
        f"({_who(in_hand)} could serve it with what is on the van; their shifts are full at the "
        f"times it can be served); fix: add a shift or overtime, or move lower-priority work",
        "capacity",
    )

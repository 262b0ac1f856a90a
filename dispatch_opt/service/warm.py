"""Warm insertion: a new ticket that arrives at the board's `now` re-plans only the engineers
near it, not the whole board.

The board's scenario and plan in force stay in memory. For a `new_ticket` event whose moment is
not after the board's `now` (so no other route's timing changes), the nearest qualified engineers
and the work planned for them are cut out as a small scenario (with the depot stock the other
routes leave), the fast path re-plans that, and its routes replace theirs; the ticket itself is
validated in that small scenario, and the whole board's scenario is made from the parsed objects
without parsing the rest again (`Scenario.replace`). Every result passes the package checker on
the routes that changed, or the caller falls back to the full fast path. Anything else (a later
`now`, a location with only a matrix node, another event type) takes the full fast path.
"""

from __future__ import annotations

import time

import numpy as np

import dispatch_opt as do
from dispatch_opt.engine.solve import solve_in_process
from dispatch_opt.evaluation.kpis import build_kpis
from dispatch_opt.scale.territories import plane_km, restrict, used_stock

NEAR = 12  # engineers re-planned around a new ticket
WIDER = 2  # a slot offer asks twice as many engineers when the nearest have no slot
FAST = do.SolveParams(time_limit_s=0)


def insert_new_ticket(
    state: do.Scenario, plan: do.Plan, event: dict, near: int = NEAR
) -> tuple[do.Scenario, do.Plan] | None:
    """(the board's scenario after the event, the plan with the ticket inserted near where it
    is), or None when the full fast path must run."""
    t0 = time.monotonic()
    try:
        (parsed,) = do.parse_events([event])
    except (do.ScenarioError, ValueError):
        return None  # the full path names the problems
    if parsed.type != "new_ticket" or state.now is None or parsed.at > state.now:
        return None
    raw = parsed.ticket
    tid = raw.get("id")
    if not isinstance(tid, str) or state.has_ticket(tid):
        return None
    engineers = nearest_engineers(state, raw, near)
    if engineers is None:
        return None
    mine, cut = _cut(state, plan, engineers)
    link = raw.get("after")
    follows = link.get("ticket") if isinstance(link, dict) else None
    try:  # the event applied to the cut's engineers alone: only the new ticket is parsed
        alone = do.apply_events(
            cut.replace(tickets=[t for t in cut.tickets if t.id == follows]), [event]
        )
    except do.ScenarioError:
        return None
    ticket = alone.ticket(tid)
    small = cut.replace(tickets=[*cut.tickets, ticket])
    local = solve_in_process(
        small, FAST, previous=restrict(plan, set(engineers), mine), count_changes=False
    )
    if any(u.ticket == tid for u in local.unassigned):
        return None  # not near: the whole board may still find it a place
    after = state.replace(tickets=[*state.tickets, ticket])
    routes = [r for r in plan.routes if r.engineer not in engineers] + local.routes
    routes.sort(key=lambda r: (r.engineer, r.shift))
    moved = mine | {tid}
    unassigned = [u for u in plan.unassigned if u.ticket not in moved] + local.unassigned
    new = do.Plan(after.name, routes, unassigned, notes=list(local.notes), scenario=after)
    kept = (plan.kpis or {}).get("engineers") or {}
    new.kpis = build_kpis(
        after,
        new,
        reuse_engineers={e: row for e, row in kept.items() if e not in engineers},
        solve_s=time.monotonic() - t0,
        setup_s=0.0,
        status=f"inserted near the ticket ({len(engineers)} engineers re-planned)",
    )
    if not do.check(small, local).ok:  # the routes that changed, with the stock left to them
        return None  # a safety net: the whole board's fast path instead
    return after, new  # the board's commit adds what changed (kpis["changes"])


def nearest_engineers(state: do.Scenario, ticket: dict, k: int) -> set[str] | None:
    """The k engineers nearest the ticket (from where they are) who have its skills and a shift
    not over; the required and preferred engineer always. None when locations have no
    coordinates."""
    skills = set(ticket.get("skills") or ())
    fault = ticket.get("fault")
    if fault and state.faults and fault in state.faults and not ticket.get("skills"):
        skills = set(state.faults[fault].skills or ())
    try:
        where = (
            do.Scenario.model_fields["tickets"]
            .annotation.__args__[0]
            .model_fields["location"]
            .annotation.model_validate(ticket.get("location"))
        )
    except (ValueError, TypeError, AttributeError, IndexError):
        return None
    now = state.now
    able = [
        e for e in state.engineers if skills <= set(e.skills) and any(s.end > now for s in e.shifts)
    ]
    if not able:
        return None
    pts = plane_km([e.position or e.start for e in able] + [where])
    if pts is None:
        return None
    d = np.hypot(pts[:-1, 0] - pts[-1, 0], pts[:-1, 1] - pts[-1, 1])
    out = {able[i].id for i in np.argsort(d, kind="stable")[:k]}
    for key in ("engineer", "preferred_engineer"):
        if isinstance(ticket.get(key), str):
            out.add(ticket[key])
    return out


def _cut(state: do.Scenario, plan: do.Plan, engineers: set[str]) -> tuple[set[str], do.Scenario]:
    """The tickets of these engineers (planned for them, or under way with them), and the
    engineers with those tickets as a scenario of their own, with the depot stock that the other
    engineers' routes leave."""
    tickets = {s.ticket for r in plan.routes if r.engineer in engineers for s in r.visits}
    tickets |= {t.id for t in state.live_tickets if t.engineer in engineers and t.frozen}
    used = used_stock([r for r in plan.routes if r.engineer not in engineers])
    depots = [
        d.model_copy(
            update={"parts": {p: q - used.get(d.id, {}).get(p, 0) for p, q in d.parts.items()}}
        )
        for d in state.depots
    ]
    return tickets, state.replace(
        tickets=[t for t in state.tickets if t.id in tickets],
        engineers=[e for e in state.engineers if e.id in engineers],
        depots=depots,
    )


def offer(state: do.Scenario, plan: do.Plan, ticket: dict, options: dict) -> do.SlotOffer:
    """Slots from the engineers near the caller; from the whole board when the locations have no
    coordinates."""
    near = offer_near(state, plan, ticket, options)
    return near if near is not None else do.offer_slots(state, plan, ticket, **options)


def offer_near(
    state: do.Scenario, plan: do.Plan, ticket: dict, options: dict, near: int = NEAR
) -> do.SlotOffer | None:
    """Slots the nearest qualified engineers can offer (their routes cut out as a small
    scenario): the `near` nearest, then `WIDER` times as many when those have none; an engineer
    from further away is no appointment to promise. None when the locations have no coordinates
    (or the ticket's id is taken): the caller then asks the whole board."""
    if not isinstance(ticket, dict) or state.now is None:
        return None
    if state.has_ticket(ticket.get("id")):
        return None  # the whole board's offer names the clash
    offer = None
    for k in (near, WIDER * near):
        engineers = nearest_engineers(state, ticket, k)
        if engineers is None:
            return None
        mine, cut = _cut(state, plan, engineers)
        offer = do.offer_slots(cut, restrict(plan, engineers, mine), ticket, **options)
        if offer.slots:
            return offer
    if offer.reason:
        offer.reason += f" (asked the {len(engineers)} qualified engineers nearest the ticket)"
    return offer

"""Crews and follow-ups in the search core: visits placed as a whole, then held in place.

The kernel evaluates one route at a time; a crew visit couples k routes (one start for all) and a
follow-up couples two visits (a lag between them). Both are kept out of the ordinary moves and
placed here, whole:

- a crew ticket has k nodes, the lead (who brings the parts and tools) and k - 1 copies (nothing
  to bring); a follow-up has its one node (or k, if it is a crew visit too);
- candidate common starts are the earliest starts the visit could have at every position of
  every engineer-shift that may take it (within the follow-up's lag, if any): the best start of
  a set of members is the latest of their earliest starts, so these are the only ones needed;
- at each candidate the visit's window is made that one instant and every engineer-shift's
  cheapest place is found by the ordinary insertion (best_in_shift, restock detours included);
  the cheapest crew of distinct engineers whose skills cover the ticket (the lead with the van)
  wins, over all candidates;
- once placed, each node's window stays that instant and the node may only stay on its
  engineer-shift: the kernel then rejects any move that would shift it (a visit before it running
  late), the operators cannot move it to another route, and ruin never takes it out (`pinned`).
  So the crew stays synchronised by construction, and every route is still evaluated alone;
- a follow-up placed at t narrows the window of the visit it follows to the starts that keep the
  lag, and pins that visit too (with `same_engineer`, to its engineer's shifts).

Limits: a placed crew visit or follow-up does not move again within a solve (nor does the visit a
follow-up follows leave its window); the search optimises everything around them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..problem import Link, ProblemData
from .instants import costs_at, earliest_starts
from .kernel import INF
from .routes import RouteState, best_in_shift, place, refresh, take, tidy
from .timeline import schedule

CANDIDATE_STARTS = 40  # common starts tried per linked visit (evenly spread over those found)
POOL = 10  # cheapest engineers considered as crew members at one start
LEADS = 6  # cheapest engineers considered as the lead at one start


# ---------------------------------------------------------------- windows and rows


def _windows(a, x: int) -> list[tuple[int, int]]:
    return [(int(a.tw_start[x, k]), int(a.tw_end[x, k])) for k in range(int(a.tw_n[x]))]


def _set_windows(a, x: int, windows: list[tuple[int, int]]) -> None:
    a.tw_n[x] = len(windows)
    for k, (lo, hi) in enumerate(windows):
        a.tw_start[x, k], a.tw_end[x, k] = lo, hi


def _clip(windows: list[tuple[int, int]], lo: float, hi: float) -> list[tuple[int, int]]:
    out = []
    for a0, b0 in windows:
        a1, b1 = max(a0, lo), min(b0, hi)
        if a1 <= b1:
            out.append((int(a1), int(b1)))
    return out


def park(p: ProblemData, link: Link) -> None:
    """The ticket's nodes out of every ordinary move: no engineer-shift may take them, and their
    windows are the ticket's own again."""
    a = p.arrays
    for x in link.nodes:
        a.eligible[x, :] = False
        a.allowed[x, :] = False
        _set_windows(a, x, link.windows)


def placed(s: RouteState, link: Link) -> bool:
    return bool(s.where[link.nodes[0]] >= 0)


# ---------------------------------------------------------------- placing a linked visit


@dataclass
class Option:
    start: int  # seconds: the common start
    picks: list[tuple[int, int, int, int]]  # (node, engineer-shift, position, depot), lead first
    cost: float


def _follow_window(
    p: ProblemData, s: RouteState, link: Link
) -> tuple[int, float, float, int] | None:
    """(engineer-shift of the visit followed, earliest and latest start the lag allows, end of
    that visit), or None when it is not planned."""
    a, f = p.arrays, link.follows
    vp = int(s.where[f])
    if vp < 0:
        return None
    seq = s.seq[vp, : s.n[vp]]
    _, starts, _ = schedule(p, vp, seq)
    end = int(starts[int(np.flatnonzero(seq == f)[0])] + a.service[f])
    hi = end + link.max_lag if link.max_lag is not None else float("inf")
    return vp, end + link.min_lag, hi, end


def best_option(p: ProblemData, s: RouteState, link: Link) -> Option | None:
    """The cheapest way to place the linked ticket now, as a whole (see the module doc); None,
    with `link.why` set, if there is none."""
    a = p.arrays
    lead, copies = link.nodes[0], link.nodes[1:]
    eligible_rows, allowed_rows = link.lead_rows
    lead_vs = np.flatnonzero(eligible_rows)
    windows = link.windows
    follow = None
    if link.follows is not None:
        follow = _follow_window(p, s, link)
        if follow is None:
            link.why = _not_followed(p, link)
            return None
        vp, lo, hi, _ = follow
        windows = _clip(windows, lo, hi)
        if link.same_engineer:
            lead_vs = lead_vs[a.v_engineer[lead_vs] == a.v_engineer[vp]]
    if not windows or len(lead_vs) == 0:
        link.why = _no_start(p, s, link, follow)
        return None
    mem_vs = np.flatnonzero(link.member_rows) if copies else np.zeros(0, dtype=np.int64)
    best, near = None, (0, None, [])
    try:
        a.eligible[lead, lead_vs] = True
        a.allowed[lead, lead_vs] = allowed_rows[lead_vs]
        _set_windows(a, lead, windows)
        found = np.zeros(len(p.vehicles) * (int(s.seq.shape[1]) + 1) + 64, dtype=np.int64)
        m = earliest_starts(a, s, lead, lead_vs, found)
        starts = found[:m].tolist() + [w[0] for w in windows]
        if copies:
            x1 = copies[0]
            a.eligible[x1, mem_vs] = True
            a.allowed[x1, mem_vs] = True
            _set_windows(a, x1, windows)
            m = earliest_starts(a, s, x1, mem_vs, found)
            starts += found[:m].tolist()
        starts = sorted({t for t in starts if any(lo <= t <= hi for lo, hi in windows)})
        if len(starts) > CANDIDATE_STARTS:  # evenly spread, the earliest always in
            pick = np.linspace(0, len(starts) - 1, CANDIDATE_STARTS).round().astype(int)
            starts = [starts[i] for i in sorted(set(pick.tolist()))]
        lc, lp, ld = (
            np.zeros(len(lead_vs)),
            np.zeros(len(lead_vs), dtype=np.int64),
            np.zeros(len(lead_vs), dtype=np.int64),
        )
        mc, mp, md = (
            np.zeros(len(mem_vs)),
            np.zeros(len(mem_vs), dtype=np.int64),
            np.zeros(len(mem_vs), dtype=np.int64),
        )
        before = _windows(a, link.follows) if follow is not None else None
        for t in starts:
            if follow is not None:  # the visit followed as it would be held: before t, in lag
                _set_windows(a, link.follows, _clip(before, *_lag_bounds(a, link, t)))
                refresh(a, s, follow[0])
            costs_at(a, s, lead, lead_vs, t, lc, lp, ld)
            if copies:
                costs_at(a, s, copies[0], mem_vs, t, mc, mp, md)
            if follow is not None:
                _set_windows(a, link.follows, before)
                refresh(a, s, follow[0])
            option, free = _crew_at(p, link, t, lead_vs, lc, lp, ld, mem_vs, mc, mp)
            if len(free) > near[0]:
                near = (len(free), t, free)
            if option is not None and (best is None or option.cost < best.cost - 1e-9):
                best = option
    finally:
        park(p, link)
    if best is None:
        link.why = _no_crew(p, link, near) if copies else _no_start(p, s, link, follow)
    return best


def _crew_at(p, link, t, lead_vs, lc, lp, ld, mem_vs, mc, mp):
    """The cheapest crew starting at t from the costs found there, and the engineers free then."""
    a, engineers = p.arrays, p.sc.engineers
    lead_best: dict[int, tuple] = {}
    for i, v in enumerate(lead_vs.tolist()):
        e = int(a.v_engineer[v])
        if lc[i] < INF and (e not in lead_best or lc[i] < lead_best[e][0]):
            lead_best[e] = (float(lc[i]), v, int(lp[i]), int(ld[i]))
    mem_best: dict[int, tuple] = {}
    for i, v in enumerate(mem_vs.tolist()):
        e = int(a.v_engineer[v])
        if mc[i] < INF and (e not in mem_best or mc[i] < mem_best[e][0]):
            mem_best[e] = (float(mc[i]), v, int(mp[i]))
    free = sorted(set(lead_best) | set(mem_best))
    ticket = p.ticket_of[link.ticket]
    index = {e.id: i for i, e in enumerate(engineers)}
    required = index.get(ticket.engineer) if ticket.engineer else None
    preferred = index.get(ticket.preferred_engineer) if ticket.preferred_engineer else None
    k = link.crew
    best = None
    leads = sorted(lead_best, key=lambda e: lead_best[e][0])[:LEADS]
    if k == 1:
        for e in lead_best:
            if required is not None and e != required:
                continue
            cost = lead_best[e][0] + (a.prefer if preferred is not None and e != preferred else 0)
            if best is None or cost < best[0]:
                best = (cost, (e,))
    else:
        pool = sorted(mem_best, key=lambda e: mem_best[e][0])[:POOL]
        need = set(ticket.skills)
        extra = [required, preferred] + [
            min(
                (e for e in mem_best if skill in engineers[e].skills),
                key=lambda e: mem_best[e][0],
                default=None,
            )
            for skill in need
        ]
        for e in extra:
            if e is not None and e in mem_best and e not in pool:
                pool.append(e)
            if e is not None and e in lead_best and e not in leads:
                leads.append(e)
        for lead in leads:
            others = [e for e in pool if e != lead]
            for rest in itertools.combinations(others, k - 1):
                crew = (lead, *rest)
                if required is not None and required not in crew:
                    continue
                if not need <= set().union(*(engineers[e].skills for e in crew)):
                    continue
                cost = lead_best[lead][0] + sum(mem_best[e][0] for e in rest)
                if preferred is not None and preferred not in crew:
                    cost += a.prefer
                if best is None or cost < best[0]:
                    best = (cost, crew)
    if best is None:
        return None, free
    cost, crew = best
    _, v, pos, dep = lead_best[crew[0]]
    picks = [(link.nodes[0], v, pos, dep)]
    for node, e in zip(link.nodes[1:], crew[1:]):
        _, v, pos = mem_best[e]
        picks.append((node, v, pos, -1))
    return Option(int(t), picks, cost), free


def anchor(p: ProblemData, s: RouteState, link: Link, option: Option) -> bool:
    """Put the linked ticket in place as `option` says and hold it there (see the module doc);
    for a follow-up, narrow the window of the visit it follows. False (nothing changed) if a
    route would break."""
    a = p.arrays
    eligible_rows, allowed_rows = link.lead_rows
    done = []
    for node, v, pos, dep in option.picks:
        a.eligible[node, :] = False
        a.allowed[node, :] = False
        a.eligible[node, v] = True
        a.allowed[node, v] = allowed_rows[v] if node == link.nodes[0] else True
        _set_windows(a, node, [(option.start, option.start)])
        place(a, s, v, pos, node, dep)
        done.append((node, v))
        if s.cost[v] == INF:
            break
    if len(done) < len(option.picks) or any(s.cost[v] == INF for _, v in done):
        for node, v in reversed(done):
            take(a, s, v, int(np.flatnonzero(s.seq[v, : s.n[v]] == node)[0]))
            tidy(a, s, a.v_engineer[v])
        park(p, link)
        return False
    if link.follows is not None:
        f, vp = link.follows, int(s.where[link.follows])
        kept = (_windows(a, f), a.eligible[f].copy(), a.allowed[f].copy(), bool(s.pinned[f]))
        _narrow(p, s, link, option)
        if any(s.cost[v] == INF for _, v in done) or s.cost[vp] == INF:  # not expected: undone
            _set_windows(a, f, kept[0])
            a.eligible[f], a.allowed[f], s.pinned[f] = kept[1], kept[2], kept[3]
            refresh(a, s, vp)
            for node, v in reversed(done):
                take(a, s, v, int(np.flatnonzero(s.seq[v, : s.n[v]] == node)[0]))
                tidy(a, s, a.v_engineer[v])
            park(p, link)
            return False
    for node, _ in done:
        s.pinned[node] = True
    link.why = None
    return True


def _lag_bounds(a, link: Link, t: int) -> tuple[int, int]:
    """Starts of the visit followed that keep a follow-up at t within its lag."""
    dur = int(a.service[link.follows])
    lo = t - link.max_lag - dur if link.max_lag is not None else -(2**62)
    return lo, t - link.min_lag - dur


def _narrow(p: ProblemData, s: RouteState, link: Link, option: Option) -> None:
    """The visit followed may now start only where the lag still holds (with `same_engineer`,
    only on that engineer's shifts), and ruin no longer takes it out."""
    a, f = p.arrays, link.follows
    vp = int(s.where[f])
    _set_windows(a, f, _clip(_windows(a, f), *_lag_bounds(a, link, option.start)))
    if link.same_engineer:
        other = a.v_engineer != a.v_engineer[option.picks[0][1]]
        a.eligible[f, other] = False
        a.allowed[f, other] = False
    s.pinned[f] = True
    refresh(a, s, vp)


# ---------------------------------------------------------------- every linked ticket


def place_pending(p: ProblemData, s: RouteState, rank: int | None = None) -> None:
    """Place each linked ticket not yet placed (of tier `rank`, or all), the visit followed
    before its follow-up, then by deadline."""
    a = p.arrays
    pending = [
        link
        for link in p.links.values()
        if not placed(s, link) and (rank is None or a.rank[link.nodes[0]] == rank)
    ]
    pending.sort(key=lambda link: (a.rank[link.nodes[0]], a.deadline[link.nodes[0]]))
    waiting = {link.nodes[0] for link in pending}
    progress = True
    while pending and progress:
        progress = False
        for link in list(pending):
            if link.follows in waiting:  # the visit it follows is tried first
                continue
            pending.remove(link)
            waiting.discard(link.nodes[0])
            progress = True
            if link.follows_missing is not None:
                link.why = _not_followed(p, link)
                continue
            option = best_option(p, s, link)
            if option is not None:
                anchor(p, s, link, option)


def reseed(p: ProblemData, s: RouteState) -> None:
    """In a re-plan: the linked tickets as the plan in force had them (same engineers, same
    start), where that still holds; the rest are placed afresh later."""
    a = p.arrays
    for x in sorted(p.linked_seed, key=lambda x: (p.links[x].follows is not None, x)):
        link, visits = p.links[x], p.linked_seed[x]
        if placed(s, link) or len(visits) != len(link.nodes):
            continue
        if link.follows_missing is not None:  # e.g. frozen work that could not be kept
            continue
        if link.follows is not None and s.where[link.follows] < 0:
            continue
        visits = sorted(visits, key=lambda vis: not vis[2])  # the lead first
        start = visits[0][1]
        if any(vis[1] != start for vis in visits):
            continue
        if link.follows is not None:
            follow = _follow_window(p, s, link)
            if follow is None or not follow[1] <= start <= follow[2]:
                continue
        picks = []
        for node, (v, _, _) in zip(link.nodes, visits):
            rows = link.lead_rows[0] if node == link.nodes[0] else link.member_rows
            if not rows[v]:
                break
            a.eligible[node, v] = True
            a.allowed[node, v] = link.lead_rows[1][v] if node == link.nodes[0] else True
            _set_windows(a, node, [(start, start)])
            c, k, d = best_in_shift(a, s, v, node, INF, 0.0)
            a.eligible[node, v] = a.allowed[node, v] = False
            if k < 0:
                break
            picks.append((node, v, k, d))
        park(p, link)
        if len(picks) == len(link.nodes):
            anchor(p, s, link, Option(start, picks, 0.0))


def reasons(p: ProblemData, s: RouteState) -> dict[str, tuple[str, str]]:
    """(code, reason) per linked ticket left out."""
    out = {}
    for link in p.links.values():
        if placed(s, link):
            continue
        if link.follows_missing is not None or (
            link.follows is not None and s.where[link.follows] < 0
        ):
            out[link.ticket] = _not_followed(p, link)
        else:
            out[link.ticket] = link.why or _no_crew(p, link, (0, None, []))
    return out


def option_within(
    p: ProblemData, s: RouteState, link: Link, lo: int, hi: int
) -> tuple[Option, int] | None:
    """The cheapest placement of the linked ticket starting within [lo, hi] (a slot offered to a
    caller: a crew free together then, a follow-up within its lag), and the travel seconds it
    adds; nothing is placed."""
    own = link.windows
    link.windows = _clip(own, lo, hi)
    try:
        option = best_option(p, s, link) if link.windows else None
    finally:
        link.windows = own
        park(p, link)
    if option is None:
        return None
    a, added = p.arrays, 0
    for node, v, pos, _ in option.picks:
        seq = s.seq[v, : s.n[v]]
        pos = min(pos, len(seq))  # with a restock stop added, counted without its detour
        prev = a.v_start[v] if pos == 0 else seq[pos - 1]
        nxt = a.v_end[v] if pos == len(seq) else seq[pos]
        added += int(a.travel[prev, node] + a.travel[node, nxt] - a.travel[prev, nxt])
    return option, added


# ---------------------------------------------------------------- reasons


def _at(p, seconds: float) -> str:
    return p.el.horizon.time(seconds).strftime("%a %d %b %H:%M")


def _followed_id(p, link: Link) -> str:
    if link.follows_missing is not None:
        return link.follows_missing
    return p.nodes.tickets[link.follows]


def _not_followed(p, link: Link) -> tuple[str, str]:
    j = _followed_id(p, link)
    return (
        "follow_up",
        f"the visit it follows ({j}) is not planned; fix: plan {j} first (see its own reason), "
        f"or remove 'after'",
    )


def _no_start(p: ProblemData, s: RouteState, link: Link, follow) -> tuple[str, str]:
    if follow is None:
        return _no_crew(p, link, (0, None, []))
    vp, lo, hi, end = follow
    j = _followed_id(p, link)
    who = f" with {p.vehicles[vp].engineer.id} (same_engineer)" if link.same_engineer else ""
    until = "" if hi == float("inf") else f" and {_at(p, hi)}"
    return (
        "follow_up",
        f"no start within the lag fits: {j} ends {_at(p, end)}, so this visit must start "
        f"between {_at(p, lo)}{until}{who}, and no qualified engineer has room then; fix: widen "
        f"the lag (after.max_lag_min), add a shift in it, or move other work",
    )


def _no_crew(p, link: Link, near) -> tuple[str, str]:
    k, ticket = link.crew, p.ticket_of[link.ticket]
    count, t, free = near
    names = ", ".join(p.sc.engineers[e].id for e in free)
    if count == 0 or t is None:
        return (
            "crew",
            f"no {k} qualified engineers are free together: at no start its windows allow is "
            f"any engineer free; fix: add shifts, or agree another window",
        )
    if count < k:
        return (
            "crew",
            f"no {k} qualified engineers are free together; best near miss: {count} "
            f"({names}) at {_at(p, t)}; fix: free another engineer then, add a shift, or lower "
            f"'crew'",
        )
    need = sorted(ticket.skills)
    extra = f" including {ticket.engineer}" if ticket.engineer else ""
    return (
        "crew",
        f"no {k} engineers free together make a crew{extra} holding skills {need} with the "
        f"parts and tools on the lead's van; best near miss: {names} free at {_at(p, t)}; "
        f"fix: free a qualified engineer then, or load the van",
    )

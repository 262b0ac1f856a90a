"""A real-time snapshot: the planning morning played out up to `now` by a greedy dispatcher."""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta

from ..format import roads
from .catalogue import (
    REBOOK_WINDOW,
    WINDOW_MARGIN_MIN,
)
from .common import at_clock, span, travel_minutes
from .presets import CityParams

# ---------------------------------------------------------------- real-time snapshot


def play_morning(p: CityParams, sc: dict, now: datetime) -> None:
    """Play the first planning day out until `now`, the way a dispatcher would have run it.

    The morning runs on the plan made before the day (at the earliest shift start): each engineer
    leaves home at shift start and, whenever free, is sent to the ticket of that plan's pool that is
    cheapest to reach (travel minutes + 20 per tier below the first) with the skills, tools and
    parts on the van, a window open on arrival (not in its last 15 minutes) and an end inside the
    shift; with none, they wait 15 minutes and look again. Tickets raised after the plan was made
    (the morning's new emergencies) wait for the replanning at `now`. Then, at `now`: a visit that
    has ended is `done` (its parts are gone from the van: `van` is the stock at `now`); one under
    way is `started` with the engineer at its location; a trip under way is `en_route`, the engineer
    somewhere along the route. Every engineer gets a `position`. Open tickets whose every
    appointment window closed before `now` are rebooked to the afternoon.
    """
    engineers, tickets = sc["engineers"], sc["tickets"]
    ne = len(engineers)
    minutes = travel_minutes(p, [e["start"] for e in engineers] + [t["location"] for t in tickets])
    rank = {tier: i for i, tier in enumerate(sc["sla"])}
    created = [datetime.fromisoformat(t["created"]) for t in tickets]
    windows = [
        [
            (datetime.fromisoformat(w["start"]), datetime.fromisoformat(w["end"]))
            for w in t.get("windows", [])
        ]
        for t in tickets
    ]
    place = list(range(ne))  # index into `minutes`: home, then the last ticket visited
    vans = [dict(e["van"]) for e in engineers]
    position: dict[int, dict] = {}
    shift = [
        tuple(datetime.fromisoformat(e["shifts"][0][k]) for k in ("start", "end"))
        for e in engineers
    ]
    planned_at = min(s for s, _ in shift)
    pool = {
        k for k in range(len(tickets)) if created[k] <= planned_at
    }  # the rest is news for the replanning
    queue = [(shift[i][0], i) for i in range(ne)]
    heapq.heapify(queue)
    margin = timedelta(minutes=WINDOW_MARGIN_MIN)
    while queue:
        clock, i = heapq.heappop(queue)
        if clock >= now:
            continue
        e, van = engineers[i], vans[i]
        best = None
        for k in pool:
            t = tickets[k]
            if (
                not set(t["skills"]) <= set(e["skills"])
                or t.get("engineer", e["id"]) != e["id"]
                or not set(t.get("tools", [])) <= set(e["tools"])
                or any(van.get(q, 0) < n for q, n in t.get("parts", {}).items())
            ):
                continue
            travel = float(minutes[place[i], ne + k])
            start = clock + timedelta(minutes=travel)
            if start + timedelta(minutes=t["duration_min"]) > shift[i][1]:
                continue
            if windows[k] and not any(a <= start <= b - margin for a, b in windows[k]):
                continue
            score = (travel + 20 * rank[t["priority"]], k)
            if best is None or score < best[0]:
                best = (score, k, start)
        if best is None:
            heapq.heappush(queue, (clock + timedelta(minutes=15), i))
            continue
        _, k, start = best
        t = tickets[k]
        pool.discard(k)
        t["engineer"] = e["id"]
        end = start + timedelta(minutes=t["duration_min"])
        if end <= now:
            t["status"] = "done"
            for q, n in t.get("parts", {}).items():
                van[q] -= n
            place[i] = ne + k
            heapq.heappush(queue, (end, i))
        elif start <= now:
            t["status"] = "started"
            position[i] = dict(t["location"])
        else:
            t["status"] = "en_route"
            position[i] = _along(
                p,
                _place(engineers, tickets, place[i]),
                t["location"],
                (now - clock) / (start - clock),
            )
    for i, e in enumerate(engineers):
        e["van"] = {q: n for q, n in vans[i].items() if n > 0}
        e["position"] = position.get(i) or dict(_place(engineers, tickets, place[i]))
    day = datetime.combine(now.date(), datetime.min.time())
    afternoon = [span(at_clock(day, REBOOK_WINDOW[0]), at_clock(day, REBOOK_WINDOW[1]))]
    for k in range(len(tickets)):
        if windows[k] and "status" not in tickets[k]:
            kept = [w for w, (_, b) in zip(tickets[k]["windows"], windows[k]) if b > now]
            tickets[k]["windows"] = kept or afternoon


def _place(engineers: list[dict], tickets: list[dict], index: int) -> dict:
    return (
        engineers[index]["start"]
        if index < len(engineers)
        else tickets[index - len(engineers)]["location"]
    )


def _along(p: CityParams, a: dict, b: dict, fraction: float) -> dict:
    """Where a trip from a to b is after `fraction` of its travel time."""
    if p.travel == "matrix":
        lat, lon = roads.point_along(roads.build_network(p.road_params), a, b, fraction)
    else:
        lat, lon = (
            a["lat"] + fraction * (b["lat"] - a["lat"]),
            a["lon"] + fraction * (b["lon"] - a["lon"]),
        )
    return {"lat": round(float(lat), 5), "lon": round(float(lon), 5)}

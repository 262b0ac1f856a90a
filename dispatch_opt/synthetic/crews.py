"""Crew visits and follow-ups in a synthetic scenario (contract additions of 2026-12-03).

Installs of built-in and heavy appliances need two engineers on site together (`crew`: 2); a
repair whose part must be ordered gets a return visit two to five days later (`after`), half of
them by the same engineer (the one who saw the fault). Drawn from their own random stream, so a
scenario without them is unchanged.
"""

from __future__ import annotations

import numpy as np

DAY_MIN = 24 * 60
FOLLOW_UP_LAG_DAYS = (2, 5)  # calendar days after the first visit ends (a working week ahead)
FOLLOW_UP_MIN = 45  # fitting the ordered part


def add_crews_and_follow_ups(
    rng: np.random.Generator, tickets: list[dict], crew_share: float, follow_up_share: float
) -> list[dict]:
    """The tickets with a share made crew installs (at least an hour on site) and, for another
    share, a follow-up ticket appended after each (`<id>-F`)."""
    out = [dict(t) for t in tickets]
    open_ = [i for i, t in enumerate(out) if t["priority"] != "emergency" and "after" not in t]
    order = rng.permutation(open_).tolist()
    n_crew = round(crew_share * len(tickets))
    n_follow = round(follow_up_share * len(tickets))
    for i in order[:n_crew]:
        out[i]["crew"] = 2
        out[i]["duration_min"] = max(60, out[i].get("duration_min", 60))
    follow = []
    for k, i in enumerate(order[n_crew : n_crew + n_follow]):
        t = out[i]
        after = {
            "ticket": t["id"],
            "min_lag_min": FOLLOW_UP_LAG_DAYS[0] * DAY_MIN,
            "max_lag_min": FOLLOW_UP_LAG_DAYS[1] * DAY_MIN,
        }
        if k % 2 == 0:
            after["same_engineer"] = True
        f = {
            key: t[key] for key in ("location", "created", "priority", "skills", "zone") if key in t
        }
        f.update(id=f"{t['id']}-F", duration_min=FOLLOW_UP_MIN, after=after)
        follow.append(f)
    return out + follow

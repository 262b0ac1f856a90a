"""A day replayed event by event, re-planning at each, against a dispatcher who only ever inserts
greedily: what the engine is worth over a day, not only over a night."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

import pandas as pd

from ..engine.params import SolveParams
from ..evaluation.checker import check
from ..format.events import apply_events, parse_events
from ..format.plan import Plan
from ..format.scenario import Scenario, ScenarioError
from ..format.travel import travel_matrices
from ..format.validation import parse_scenario
from ..scale import solve
from .advance import carry_out


def day_events(
    scenario: Scenario,
    plan: Plan,
    seed: int = 0,
    emergencies: int = 5,
    overruns: int = 3,
    sick: int = 1,
    cancellations: int = 2,
    first: str = "09:00",
    last: str = "15:00",
) -> list[dict]:
    """A plausible day of events (JSON-ready, in time order) against the morning plan: emergencies
    called in (at a known customer address, needing a skill someone has), jobs overrunning by 30-90
    minutes, engineers going home sick, customers cancelling. Deterministic by seed."""
    rng = random.Random(seed)
    day = (
        min(r.depart for r in plan.routes).date() if plan.routes else scenario.planning_start.date()
    )
    lo, hi = (datetime.combine(day, datetime.strptime(x, "%H:%M").time()) for x in (first, last))

    def when() -> datetime:
        return lo + timedelta(minutes=rng.randrange(int((hi - lo).total_seconds() // 60)))

    visits = [(r.engineer, s) for r in plan.routes for s in r.visits if lo <= s.start <= hi]
    skills = sorted({k for e in scenario.engineers for k in e.skills})
    out: list[dict] = []
    for i in range(emergencies):
        at = when()
        base = rng.choice(scenario.tickets)
        out.append(
            {
                "type": "new_ticket",
                "at": at.isoformat(),
                "ticket": {
                    "id": f"EM{i + 1:02d}",
                    "location": base.location.model_dump(exclude_none=True),
                    "created": at.isoformat(),
                    "priority": next(iter(scenario.tiers)),
                    "duration_min": rng.choice([45, 60, 75, 90]),
                    "skills": [rng.choice(skills)] if skills else [],
                    "zone": base.zone,
                },
            }
        )
        if base.zone is None:
            del out[-1]["ticket"]["zone"]
    for _, s in rng.sample(visits, min(overruns, len(visits))):
        at = s.start + (s.end - s.start) / 2
        out.append(
            {
                "type": "job_overrun",
                "at": at.isoformat(),
                "ticket": s.ticket,
                "expected_end": (
                    s.end + timedelta(minutes=rng.choice([30, 45, 60, 90]))
                ).isoformat(),
            }
        )
    for e in rng.sample(sorted({r.engineer for r in plan.routes}), min(sick, len(plan.routes))):
        out.append({"type": "engineer_unavailable", "at": when().isoformat(), "engineer": e})
    for _, s in rng.sample(visits, min(cancellations, len(visits))):
        at = s.start - timedelta(minutes=rng.randrange(30, 180))
        out.append({"type": "cancel_ticket", "at": max(at, lo).isoformat(), "ticket": s.ticket})
    return sorted(out, key=lambda ev: ev["at"])


@dataclass
class DayReport:
    """The day as it was carried out under each policy: `kpis` per policy, `log` one row per event
    and policy, `plans` the re-plan policy's plans through the day (time, plan, scenario), for
    pictures."""

    kpis: pd.DataFrame
    log: pd.DataFrame
    plans: list[tuple[datetime, Plan, Scenario]] = field(default_factory=list)


def simulate_day(
    scenario: Scenario,
    events: list | None = None,
    params: SolveParams | None = None,
    *,
    morning: Plan | None = None,
    seed: int = 0,
    on_event: Callable[[str, int, int], None] | None = None,
) -> DayReport:
    """Replay the events through the day, re-planning at each (`params`, default 5 s of search), and
    the same day under the baseline that only ever inserts greedily into the plan in force (no
    search, no moves). Work is carried out as the plan in force says: at each event, visits that
    have ended are done, the one under way is started, the next one en route. KPIs count what was
    carried out."""
    params = params or SolveParams(time_limit_s=5)
    morning = morning or solve(scenario, params)
    events = [
        e.model_dump(mode="json", exclude_none=True) if hasattr(e, "model_dump") else e
        for e in (events if events is not None else day_events(scenario, morning, seed))
    ]
    parse_events(events)  # validated once, up front
    events = sorted(events, key=lambda e: e["at"])
    policies = {"re-plan": params, "greedy insert": SolveParams(time_limit_s=0)}
    rows, kpis, report_plans = [], [], [(scenario.planning_start, morning, scenario)]
    for name, policy in policies.items():
        raw, plan, done = scenario.to_dict(), morning, {}
        moved = 0
        for i, ev in enumerate(events):
            at = datetime.fromisoformat(ev["at"])
            raw = carry_out(raw, plan, at, done)
            try:
                sc = apply_events(raw, [ev])
            except (
                ScenarioError
            ) as exc:  # e.g. the overrun of a job this plan has not started: nothing to do
                rows.append(
                    {
                        "policy": name,
                        "at": at,
                        "event": ev["type"],
                        "applied": False,
                        "note": str(exc),
                    }
                )
                continue
            t0 = time.monotonic()
            new = solve(sc, policy, previous=plan)
            changes = new.kpis["changes"]
            changed = changes["moved"] + changes["released"]  # tickets that changed hands
            moved += changed
            rows.append(
                {
                    "policy": name,
                    "at": at,
                    "event": ev["type"],
                    "applied": True,
                    "solve_s": time.monotonic() - t0,
                    "served": new.kpis["served"],
                    "tickets": new.kpis["tickets"],
                    "moved": changed,
                    "eta_shifted": changes["eta_shifted"],
                    "newly_unassigned": changes["newly_unassigned"],
                    "violations": len(check(sc, new).violations),
                    "note": "",
                }
            )
            raw, plan = sc.to_dict(), new
            if name == "re-plan":
                report_plans.append((at, new, sc))
            if on_event:
                on_event(name, i + 1, len(events))
        end = max(
            (s.end for e in scenario.engineers for s in e.shifts), default=scenario.planning_start
        ) + timedelta(days=1)
        raw = carry_out(raw, plan, end, done)
        kpis.append(
            {
                "policy": name,
                **_day_kpis(parse_scenario(raw), done),
                "replans": sum(1 for r in rows if r["policy"] == name and r["applied"]),
                "moved": moved,
            }
        )
    return DayReport(pd.DataFrame(kpis).set_index("policy"), pd.DataFrame(rows), report_plans)


def _day_kpis(sc: Scenario, done: dict) -> dict:
    """What was carried out: served and on time per tier, and the travel of the visits in the order
    done."""
    out = {"tickets": len(sc.tickets), "served": sum(1 for t in sc.tickets if t.id in done)}
    for tier in sc.tiers:
        mine = [t for t in sc.tickets if t.priority == tier]
        if mine:
            kept = sum(1 for t in mine if t.id in done and done[t.id][1] <= sc.deadline(t))
            out[f"{tier} on time"] = f"{kept}/{len(mine)}"
    travel = 0.0
    for e in sc.engineers:
        stops = [
            sc.ticket(tid).location
            for tid, _ in sorted(
                ((t, s) for t, (eid, s) in done.items() if eid == e.id), key=lambda p: p[1]
            )
        ]
        if stops:
            minutes, _ = travel_matrices(sc, [e.start] + stops + [e.home])
            travel += sum(minutes[i, i + 1] for i in range(len(stops) + 1))
    out["travel_min"] = round(travel, 1)
    return out

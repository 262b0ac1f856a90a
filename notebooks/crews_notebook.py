"""The cells of notebook 08, a week with crews and follow-ups (built by build_notebooks.py)."""

from __future__ import annotations

from cells import code, md


def week_with_crews(find_root: str) -> list:
    return [
        md("""
# A week with crews and follow-ups

`scenarios/crews-week.json` (generator preset `crews-week`): 12 engineers over five days in
Bologna. Some tickets are installs of built-in or heavy appliances that need two engineers on
site together (`crew: 2`); some repairs wait for an ordered part, so they get a follow-up visit
two to five working days later (`after`), half of them by the same engineer. The engine places
each crew visit whole, at a start all its members can make, and each follow-up inside its lag
(docs/crews.md). Plan it with 2,000 search rounds (the same plan on every run).
"""),
        code(find_root),
        code("""
%matplotlib inline
import pandas as pd

import dispatch_opt as do
from dispatch_opt.presentation import viz
from dispatch_opt.presentation.summary import kpi_lines

scenario = do.load_scenario(ROOT / "scenarios" / "crews-week.json")
plan = do.solve(scenario, do.SolveParams(iterations=2000, ruin_share=1.0, seed=0))
assert do.check(scenario, plan).ok
print(f"{plan.kpis['served']}/{plan.kpis['tickets']} tickets planned")
print(*plan.notes, sep="\\n")
"""),
        md("""
## The crew visits
Each crew visit appears once per member, all with the same start; the lead's van brings the
parts and tools.
"""),
        code("""
crew_ids = {t.id for t in scenario.live_tickets if t.crew > 1}
rows = {}
for r in plan.routes:
    for s in r.visits:
        if s.ticket in crew_ids:
            row = rows.setdefault(s.ticket, {"ticket": s.ticket, "starts": set(), "crew": []})
            row["starts"].add(s.start)
            row["crew"].append(f"{r.engineer} (lead)" if s.lead else r.engineer)
crews = pd.DataFrame(
    [
        {**row, "start": min(row["starts"]), "together": len(row["starts"]) == 1}
        for row in rows.values()
    ]
).drop(columns="starts").sort_values("start")
assert crews.together.all()
crews.head(10)
"""),
        md("""
## The follow-ups
Each follow-up against the visit it follows: the lag in days and, where asked, the same engineer
(a crew visit's lead).
"""),
        code("""
lead = {}
for r in plan.routes:
    for s in r.visits:
        if s.lead or s.ticket not in lead:
            lead[s.ticket] = (r.engineer, s)
unassigned = {u.ticket: u.reason for u in plan.unassigned}
rows = []
for t in scenario.live_tickets:
    if t.after is None:
        continue
    low, high = t.after.min_lag_min / 1440, t.after.max_lag_min
    lag = f"{low:g} or more" if high is None else f"{low:g} to {high / 1440:g}"
    row = {"follow-up": t.id, "follows": t.after.ticket, "lag_days": lag,
           "same_engineer": t.after.same_engineer}
    if t.id in lead and t.after.ticket in lead:
        (who, s), (before, b) = lead[t.id], lead[t.after.ticket]
        row |= {"engineer": who, "after_engineer": before,
                "days_later": round((s.start - b.end).total_seconds() / 86400, 1)}
    else:
        row |= {"left out": unassigned.get(t.id, "")}
    rows.append(row)
pd.DataFrame(rows)
"""),
        md("""
## The linked Gantt
One row per engineer-shift, one panel per day. A crew visit is joined across its members' rows
at the common start (the lead ringed); a follow-up is a dashed arrow from the end of the visit it
follows to its own start, across days.
"""),
        code("fig = viz.schedule_figure(scenario, plan)\nfig"),
        md("""
## Crew KPIs
Crew visits served, the crew-hours they take (engineers x hours on site), follow-ups planned and
within their lag; the same lines the CLI prints after `dispatch-opt solve`.
"""),
        code("""
kpis = pd.DataFrame(
    {"crews": pd.Series(plan.kpis["crews"]), "follow_ups": pd.Series(plan.kpis["follow_ups"])}
)
print(*[line for line in kpi_lines(plan.kpis) if "crew" in line or "follow-up" in line], sep="\\n")
kpis
"""),
    ]

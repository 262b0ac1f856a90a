"""Regenerate the planner notebooks in this folder (outputs stripped).

    python notebooks/build_notebooks.py

Edit the cells here, not in the .ipynb files: they are overwritten.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from service_notebook import day_through_the_service

HERE = Path(__file__).resolve().parent

# Every notebook starts by finding the repository root from its working directory
# (notebooks/ when run by the tests or Jupyter, the repo root when run from there).
FIND_ROOT = '''\
from pathlib import Path

def find_root(start: Path = Path.cwd()) -> Path:
    """The first folder at or above `start` holding scenarios/ and benchmarks/."""
    for d in (start, *start.parents):
        if (d / "scenarios").is_dir() and (d / "benchmarks").is_dir():
            return d
    raise FileNotFoundError(f"no scenarios/ folder at or above {start}")

ROOT = find_root()
ROOT'''


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str):
    return new_code_cell(text.strip("\n"))


def quickstart():
    return [
        md("""
# Quickstart: plan the small scenario

Load `scenarios/small.json` (8 engineers, 50 tickets in Bologna), plan it with a 5 s budget,
check the plan independently, then look at the KPIs, the map, the schedule and what was left out.
"""),
        code(FIND_ROOT),
        code("""
%matplotlib inline
import dispatch_opt as do
from dispatch_opt.presentation import viz

scenario = do.load_scenario(ROOT / "scenarios" / "small.json")
plan = do.solve(scenario, do.SolveParams(time_limit_s=5, seed=0))
print(f"{len(scenario.live_tickets)} tickets, {len(plan.unassigned)} unassigned")
"""),
        md("The independent checker must find no broken hard rule:"),
        code("""
result = do.check(scenario, plan)
assert result.ok, result.violations
result.ok
"""),
        md("## KPIs\nOverall, per SLA tier, and per engineer."),
        code("""
tables = viz.kpi_tables(scenario, plan)
tables["summary"]
"""),
        code('tables["sla"]'),
        code('tables["utilisation"]'),
        md(
            "## Route map\nOne coloured line per route; `tiles=None` so nothing is fetched from the internet."
        ),
        code("""
route_map = viz.route_map(scenario, plan, tiles=None)
route_map
"""),
        md("## Schedule\nOne row per engineer-shift: travel, visits, breaks, lateness."),
        code("""
schedule = viz.schedule_figure(scenario, plan)
schedule
"""),
        md("## Unassigned tickets and why"),
        code("plan.unassigned_frame()"),
    ]


def what_if():
    return [
        md("""
# What-if: how would the plan change?

Each what-if edits the scenario **dict** (the JSON) and re-plans with a 3 s budget:

* **add engineer**: a copy of the first engineer with a new id;
* **shifts +1 h**: every shift ends an hour later;
* **urgent 12 h**: the urgent SLA promise tightened from 24 h to 12 h;
* **parts on vans**: the parts that unassigned tickets need put on every van.
"""),
        code(FIND_ROOT),
        code("""
import copy
import json
from datetime import datetime, timedelta

import pandas as pd

import dispatch_opt as do
from dispatch_opt.presentation import viz

base = json.loads((ROOT / "scenarios" / "small.json").read_text())
PARAMS = do.SolveParams(time_limit_s=3, seed=0)

def plan_of(data: dict):
    scenario = do.load_scenario(data)
    plan = do.solve(scenario, PARAMS)
    assert do.check(scenario, plan).ok, f"plan breaks a hard rule"
    return scenario, plan

base_scenario, base_plan = plan_of(base)
base_plan.unassigned_frame()
"""),
        md("## The what-ifs"),
        code('''
def add_engineer(data):
    d = copy.deepcopy(data)
    new = copy.deepcopy(d["engineers"][0])
    new["id"] = new["id"] + "-extra"
    d["engineers"].append(new)
    return d

def extend_shifts(data, hours=1):
    d = copy.deepcopy(data)
    for e in d["engineers"]:
        for s in e["shifts"]:
            s["end"] = (datetime.fromisoformat(s["end"]) + timedelta(hours=hours)).isoformat(timespec="minutes")
    return d

def tighten_sla(data, tier="urgent", hours=12):
    d = copy.deepcopy(data)
    d["sla"][tier]["arrive_within_h"] = hours
    return d

def parts_on_vans(data, plan):
    """Put on every van the parts the unassigned tickets need (all ticket parts if none do)."""
    d = copy.deepcopy(data)
    left_out = set(plan.unassigned_frame()["ticket"])
    needed = {}
    for t in d["tickets"]:
        if t["id"] in left_out or not left_out:
            for part, n in (t.get("parts") or {}).items():
                needed[part] = max(needed.get(part, 0), n)
    for e in d["engineers"]:
        van = e.setdefault("van", {})
        for part, n in needed.items():
            van[part] = max(van.get(part, 0), n)
    return d, needed

parts_data, parts_added = parts_on_vans(base, base_plan)
print("parts put on every van:", parts_added)

variants = {
    "add engineer": add_engineer(base),
    "shifts +1 h": extend_shifts(base),
    "urgent 12 h": tighten_sla(base),
    "parts on vans": parts_data,
}
plans = {"base": (base_scenario, base_plan)}
for name, data in variants.items():
    plans[name] = plan_of(data)
'''),
        md("""
## One what-if in detail: an extra engineer

KPIs side by side (B − A), and the tickets that moved to another engineer, were retimed, newly
planned or left out (`do.diff`).
KPIs are computed against the scenario of the what-if (here the same tickets and SLAs as the base).
"""),
        code("""
from IPython.display import HTML, display

name = "add engineer"
scenario_b, plan_b = plans[name]
kpis = viz.compare_plans(scenario_b, base_plan, plan_b, labels=("base", name))
moved = do.diff(base_plan, plan_b).frame
display(HTML(
    '<div style="display:flex;gap:2em;align-items:flex-start">'
    f'<div><b>KPIs</b>{kpis.to_html()}</div>'
    f'<div><b>{len(moved)} tickets changed</b>{moved.to_html(index=False)}</div>'
    "</div>"))
"""),
        md("""
## Summary of all what-ifs

On time is judged against each variant's own SLA promises (so *urgent 12 h* can lose on-time
visits without any change of plan).
"""),
        code("""
rows = {}
for name, (scenario, plan) in plans.items():
    k = viz.kpi_tables(scenario, plan)
    sla, summary = k["sla"], k["summary"]["value"]
    rows[name] = {"served": int(summary["served"]), "unassigned": int(summary["unassigned"]),
                  "on time": int(sla["on_time"].sum()), "late": int(sla["late"].sum()),
                  "urgent on time": f'{sla.loc["urgent", "on_time"]}/{sla.loc["urgent", "served"]}',
                  "travel_min": round(float(summary["travel_min"]), 1),
                  "overtime_min": round(float(summary["overtime_min"]), 1)}
summary = pd.DataFrame.from_dict(rows, orient="index").rename_axis("what-if")
summary
"""),
    ]


def benchmarks():
    return [
        md("""
# Benchmarks: dispatch_opt against the baselines

Plots the recorded results in `benchmarks/results/` (the newest file of each kind by name;
`python benchmarks/core_solve.py` and the literature benchmark write them):

* `core-solve-DATE.csv`: each scenario solved with dispatch_opt's greedy start (`GREEDY_INSERTION`)
  and OR-Tools' `PARALLEL_CHEAPEST_INSERTION`; served and on-time tickets per SLA tier, travel.
* `literature-solomon-DATE.csv`: the 56 Solomon VRPTW instances, dispatch_opt vs plain OR-Tools vs PyVRP,
  distance and gap to the best-known solution (BKS).
* `cities-DATE.csv`: the five bundled cities, dispatch_opt vs OR-Tools' own start, VROOM and a manual
  dispatcher, same budget.
* `scaling-DATE.csv`: 50 to 2,000 tickets at 10 s and 30 s: quality, time and peak memory.
"""),
        code(FIND_ROOT),
        code('''
import re

import matplotlib.pyplot as plt
import pandas as pd

RESULTS = ROOT / "benchmarks" / "results"

def newest(prefix: str) -> Path:
    """The newest `prefix-YYYY-MM-DD.csv` by name (ignores variants such as `-starts.csv`)."""
    files = sorted(p for p in RESULTS.glob(f"{prefix}-*.csv")
                   if re.fullmatch(rf"{prefix}-\\d{{4}}-\\d{{2}}-\\d{{2}}\\.csv", p.name))
    if not files:
        raise FileNotFoundError(f"no {prefix}-DATE.csv in {RESULTS}")
    return files[-1]

core_path, lit_path = newest("core-solve"), newest("literature-solomon")
core, lit = pd.read_csv(core_path), pd.read_csv(lit_path)
print(core_path.name, core.shape, "|", lit_path.name, lit.shape)
'''),
        md("## Core scenarios: served and on time per tier, by start strategy"),
        code("""
core["start"] = core["strategy"].map({"GREEDY_INSERTION": "dispatch_opt greedy",
                                      "PARALLEL_CHEAPEST_INSERTION": "OR-Tools parallel cheapest"}
                                     ).fillna(core["strategy"])
tiers = [c[:-len("_served")] for c in core.columns if c.endswith("_served")]
core[["scenario", "start", "tickets", "served", "travel_min", "valid"]]
"""),
        code("""
scenarios = list(dict.fromkeys(core["scenario"]))
starts = list(dict.fromkeys(core["start"]))
fig, axes = plt.subplots(1, len(scenarios), figsize=(5 * len(scenarios), 4), squeeze=False)
width = 0.8 / len(starts)
for ax, sc in zip(axes[0], scenarios):
    rows = core[core["scenario"] == sc].set_index("start")
    for i, start in enumerate(starts):
        if start not in rows.index:
            continue
        r = rows.loc[start]
        xs = [j + (i - (len(starts) - 1) / 2) * width for j in range(len(tiers))]
        served = [r[f"{t}_served"] for t in tiers]
        on_time = [r[f"{t}_on_time"] for t in tiers]
        ax.bar(xs, served, width, color=f"C{i}", alpha=0.35, label=f"{start}: served")
        ax.bar(xs, on_time, width, color=f"C{i}", label=f"{start}: on time")
    ax.set_xticks(range(len(tiers)), tiers)
    first = core[core["scenario"] == sc].iloc[0]
    ax.set_title(f"{sc} ({first['tickets']} tickets, {first['time_limit_s']:.0f} s)")
    ax.set_ylabel("tickets")
axes[0][0].legend(fontsize=8)
fig.suptitle("Served (light) and on time (dark) per SLA tier")
fig.tight_layout()
"""),
        md("## Solomon instances: gap to the best-known solution per class and solver"),
        code("""
lit["solved"] = lit["status"].eq("ok")
per_class = lit.pivot_table(index="class", columns="solver", values="gap_pct", aggfunc="mean").round(2)
unsolved = lit[~lit["solved"]].groupby(["class", "solver"]).size().unstack(fill_value=0)
print("instances without a solution (class x solver):")
display(unsolved)
per_class
"""),
        code("""
fig, ax = plt.subplots(figsize=(8, 4))
per_class.plot.bar(ax=ax, rot=0)
ax.set_ylabel("mean gap to BKS (%)")
ax.set_title(f"Solomon VRPTW, {lit['time_limit_s'].iloc[0]:.0f} s each: mean gap per class (solved instances only)")
ax.axhline(0, color="black", lw=0.8)
fig.tight_layout()
"""),
        code("""
summary = lit.groupby("solver").agg(instances=("instance", "nunique"), solved=("solved", "sum"),
                                    mean_gap_pct=("gap_pct", "mean"), violations=("violations", "sum")).round(2)
summary
"""),
        md("""
## The cities: against what a planner would otherwise use

Served, on time (of all tickets) and travel per solver, same budget, same machine. VROOM cannot
see SLA deadlines; the manual dispatcher sends the nearest qualified engineer, highest tier first.
"""),
        code("""
cities = pd.read_csv(newest("cities"))
on_time_cols = [c for c in cities.columns if c.endswith("_on_time")]
cities["on_time"] = cities[on_time_cols].sum(axis=1)
table = cities.pivot_table(index="scenario", columns="solver", values=["served", "on_time", "travel_min"]).round(0)
table
"""),
        code("""
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
for ax, what in zip(axes, ["served", "on_time", "travel_min"]):
    cities.pivot(index="scenario", columns="solver", values=what).plot.bar(ax=ax, rot=20, legend=ax is axes[0])
    ax.set_title(what.replace("_", " "))
fig.tight_layout()
"""),
        md("## Scaling: quality, time and memory from 50 to 2,000 tickets"),
        code("""
scaling = pd.read_csv(newest("scaling"))
scaling["share_served"] = scaling["served"] / scaling["tickets"]
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
for (solver, budget), g in scaling.groupby(["solver", "budget_s"], dropna=False):
    label = solver if pd.isna(budget) else f"{solver} {budget:g} s"
    g = g.sort_values("tickets")
    axes[0].plot(g["tickets"], g["share_served"], marker="o", label=label)
    axes[1].plot(g["tickets"], g["wall_s"], marker="o", label=label)
    axes[2].plot(g["tickets"], g["peak_rss_mb"], marker="o", label=label)
for ax, title in zip(axes, ["share of tickets served", "call time (s)", "peak memory (MB)"]):
    ax.set_xscale("log"); ax.set_xlabel("tickets"); ax.set_title(title)
axes[0].legend(fontsize=8)
fig.tight_layout()
"""),
    ]


def realtime_day():
    return [
        md("""
# A day in real time

The morning plan for `scenarios/small.json` meets the day: emergencies are called in, jobs overrun,
an engineer goes home sick, customers cancel (`do.day_events`, seeded). `do.simulate_day` carries
the plan out event by event: visits that have ended are done, the one under way is started, the next
is en route; then it re-plans from there with `solve(..., previous=plan)`. The same day is played
again by a dispatcher who only ever inserts new work greedily into the plan in force (no search).
"""),
        code(FIND_ROOT),
        code("""
%matplotlib inline
import pandas as pd
import matplotlib.pyplot as plt

import dispatch_opt as do
from dispatch_opt.presentation import viz

scenario = do.load_scenario(ROOT / "scenarios" / "small.json")
morning = do.solve(scenario, do.SolveParams(time_limit_s=3, seed=0))
events = do.day_events(scenario, morning, seed=4, emergencies=4, overruns=2, sick=1, cancellations=2)
pd.DataFrame([{"at": e["at"][11:16], "event": e["type"],
               "about": e.get("ticket", {}).get("id") if e["type"] == "new_ticket" else e.get("ticket", e.get("engineer"))}
              for e in events])
"""),
        md(
            "Replay the day, re-planning with 1 s of search at each event, and the greedy-insert baseline:"
        ),
        code("""
report = do.simulate_day(scenario, events, do.SolveParams(time_limit_s=1), morning=morning)
report.kpis
"""),
        md("""
Every re-plan is checked by the independent checker (`violations` must be 0). `moved` counts
tickets handed to another engineer, `eta_shifted` promised starts that moved by more than the
tolerance (30 min by default).
"""),
        code("""
log = report.log
assert (log.loc[log["applied"], "violations"] == 0).all()
log[["policy", "at", "event", "applied", "solve_s", "served", "tickets", "moved", "eta_shifted", "newly_unassigned"]]
"""),
        code("""
fig, ax = plt.subplots(figsize=(8, 3))
for policy, g in log[log["applied"]].groupby("policy", sort=False):
    ax.step(g["at"], g["served"] / g["tickets"], where="post", label=policy)
ax.set_ylabel("share of live tickets planned"); ax.set_title("The plan in force through the day"); ax.legend()
fig.autofmt_xdate()
"""),
        md("## The first emergency: what the re-plan changed"),
        code("""
i = next(k for k, (_, plan, sc) in enumerate(report.plans) if any(t.id.startswith("EM") for t in sc.tickets))
at, plan, state = report.plans[i]
print(f"{at:%H:%M}:", do.diff(report.plans[i - 1][1], plan, eta_tolerance_min=30))
"""),
        code("""
fig = viz.schedule_figure(state, plan)
"""),
        md("""
## A customer calls: which appointment windows can we offer?

Two-hour windows over the next days, each verified to fit the plan in force without making planned
higher-tier work late. Booking one is a `new_ticket` event with that window.
"""),
        code("""
caller = {"id": "CALL1", "location": scenario.tickets[3].location.model_dump(exclude_none=True),
          "priority": "normal", "duration_min": 60, "skills": scenario.tickets[3].skills}
offer = do.offer_slots(state, plan, caller, slot_minutes=120, horizon_days=3)
offer.frame() if offer.slots else offer.reason
"""),
    ]


def service_kpis():
    return [
        md("""
# What management reviews: response times, engineers, workload

Plan the small scenario (8 engineers, 50 tickets) with a 3 s budget, then read the figures the
service organisation reviews: response time from the call to the engineer on site (per SLA tier
and per zone: median, 90th percentile, worst, share within the promise), one row per engineer
(tickets, working minutes, travel, visits on time, overtime) and the spread of working minutes
over the engineer-days. Every figure is also in `plan.kpis` (and the plan JSON).
"""),
        code(FIND_ROOT),
        code("""
import pandas as pd

import dispatch_opt as do
from dispatch_opt.presentation import viz

scenario = do.load_scenario(ROOT / "scenarios" / "small.json")
plan = do.solve(scenario, do.SolveParams(time_limit_s=3, seed=0))
assert do.check(scenario, plan).ok
tables = viz.kpi_tables(scenario, plan)
"""),
        md("## Response times per SLA tier\nMinutes from `created` to arrival on site."),
        code('tables["response"]'),
        md("## ... and per zone"),
        code('tables["response_zones"]'),
        md("## One row per engineer"),
        code("plan.engineers_frame()"),
        md("""
## Workload spread
Working minutes (service plus travel) per engineer-day. The coefficient of variation (standard
deviation over mean) is 0 when every engineer works the same; an engineer with a shift and nothing
planned counts with 0 minutes.
"""),
        code('pd.Series(plan.kpis["workload"])'),
        code("""
frame = plan.engineers_frame().set_index("engineer")
frame[["service_min", "travel_min"]].plot.barh(
    stacked=True, figsize=(7, 3.5), title="Working minutes"
)
"""),
    ]


def week_with_inspections():
    return [
        md("""
# A week with inspections

`scenarios/maintenance-week.json` (generator preset `maintenance-week`): 10 engineers over five
days; breakdown calls recorded by fault type (the scenario's `faults` catalogue says what each
repair needs); and the inspections of maintenance contracts due that week or overdue, made by
`do.inspection_tickets` (tier `inspection`, SLA deadline at the end of the due day, the
customer's usual window, the engineer who knows the site as `preferred_engineer`).
Plan it with a 5 s budget and look at what was kept.
"""),
        code(FIND_ROOT),
        code("""
import pandas as pd

import dispatch_opt as do

scenario = do.load_scenario(ROOT / "scenarios" / "maintenance-week.json")
plan = do.solve(scenario, do.SolveParams(time_limit_s=5, seed=0))
assert do.check(scenario, plan).ok
print(f"{plan.kpis['served']}/{plan.kpis['tickets']} tickets planned")
"""),
        md(
            "## Making inspection tickets from contracts\n"
            "One contract, due three months after its last visit:"
        ),
        code("""
contract = {
    "customer": "bar-centrale",
    "location": {"lat": 44.4938, "lon": 11.3387},
    "every": "quarter",
    "duration_min": 45,
    "skills": ["fridge"],
    "window": {"start": "08:00", "end": "12:00"},
    "last_visit": "2026-09-02",
    "preferred_engineer": "E03",
}
do.inspection_tickets([contract], "2026-11-30", days=5)[0]
"""),
        md("## The week, day by day\nVisits per day: inspections and breakdowns by SLA tier."),
        code("""
stops = plan.stops_frame()
visits = stops[stops.type == "visit"].assign(day=lambda d: d.start.dt.strftime("%a %d"))
visits.pivot_table(index="day", columns="priority", values="ticket", aggfunc="count", fill_value=0)
"""),
        md("""
## Inspections kept
An inspection is kept when it is done by the end of its due day (on time for its tier); one
already overdue at the start of the week cannot be kept, only done.
"""),
        code("""
due = {t.id: t.meta["due"] for t in scenario.live_tickets if t.priority == "inspection"}
done = visits[visits.ticket.isin(due)].assign(due=lambda d: d.ticket.map(due))
done["status"] = [
    "overdue at the start" if d < "2026-11-30" else "kept" if late <= 0.01 else "late"
    for d, late in zip(done.due, done.late_min)
]
summary = done.status.value_counts().rename("inspections")
summary["not planned"] = len(due) - len(done)
summary
"""),
        md("## Breakdowns served, by SLA tier and by fault type"),
        code("""
pd.DataFrame.from_dict(plan.kpis["tiers"], orient="index")[["tickets", "served", "on_time"]]
"""),
        code('pd.DataFrame.from_dict(plan.kpis["faults"], orient="index").head(10)'),
        md("""
## Follow-ups and inspections with their preferred engineer
Today this is a KPI only: the search does not yet weigh the preference (the lead adds
`SolveParams(preference_min=...)`), so most go to whoever is cheapest.
"""),
        code('pd.Series(plan.kpis["preferred"])'),
        md("## Workload over the week"),
        code('pd.Series(plan.kpis["workload"])'),
    ]


NOTEBOOKS = {
    "01_quickstart.ipynb": quickstart,
    "02_what_if.ipynb": what_if,
    "03_benchmarks.ipynb": benchmarks,
    "04_realtime_day.ipynb": realtime_day,
    "05_service_kpis.ipynb": service_kpis,
    "06_week_with_inspections.ipynb": week_with_inspections,
    "07_day_through_the_service.ipynb": lambda: day_through_the_service(FIND_ROOT),
}


def path_stem(name: str) -> str:
    return name.split("_", 1)[0]


def build(folder: Path = HERE) -> list[Path]:
    written = []
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook(
            cells=cells(),
            metadata={
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                "language_info": {"name": "python"},
            },
        )
        for i, cell in enumerate(nb.cells):
            cell.id = f"{path_stem(name)}-{i:02d}"  # stable ids: rebuilding gives no diff
        nbformat.validate(nb)
        path = folder / name
        nbformat.write(nb, path)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in build():
        print("wrote", p)

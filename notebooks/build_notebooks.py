"""Regenerate the planner notebooks in this folder (outputs stripped).

    python notebooks/build_notebooks.py

Edit the cells here, not in the .ipynb files: they are overwritten.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from cells import code, md
from crews_notebook import week_with_crews
from nbformat.v4 import new_notebook
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


def quickstart():
    return [
        md("""
# Quickstart: plan the small scenario

Load `scenarios/small.json` (8 engineers, 50 tickets in Bologna), plan it with a budget of 2,000
search rounds, check the plan independently, then look at the KPIs, the map, the schedule and what
was left out.

A budget in rounds (`iterations`) gives the same plan on every run, on any machine; `time_limit_s`
(10 s by default) is then only a ceiling, and `ruin_share=1.0` gives the search core all of it,
leaving out OR-Tools' polish, which runs on the clock. For live use, a time limit alone is the
usual budget (`dispatch-opt solve --time-limit`).
"""),
        code(FIND_ROOT),
        code("""
%matplotlib inline
import dispatch_opt as do
from dispatch_opt.presentation import viz

scenario = do.load_scenario(ROOT / "scenarios" / "small.json")
plan = do.solve(scenario, do.SolveParams(iterations=2000, ruin_share=1.0, seed=0))
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
# What-if: two engineers off sick, one engineer more

Each what-if is one call that returns a new scenario (`do.without_engineers`,
`do.with_engineer_like`, `do.with_longer_shifts`, `do.with_sla`, `do.with_parts_on_vans`);
`do.what_if` plans the base and every variant on a budget of **search rounds** (not seconds), so
the same question gives the same table on every run; `do.compare` puts the plans side by side,
each judged against its own scenario. The words and columns are in `docs/desk.md`.
"""),
        code(FIND_ROOT),
        code("""
import pandas as pd

import dispatch_opt as do

base = do.load_scenario(ROOT / "scenarios" / "small.json")
print(f"{len(base.engineers)} engineers, {len(base.live_tickets)} tickets")
"""),
        md("## Two engineers off sick tomorrow: three lines"),
        code("""
sick = do.without_engineers(base, ["E03", "E07"])
plans = do.what_if(base, {"two off sick": sick}, rounds=2000)
do.compare(plans)
"""),
        md("## One engineer more (a copy of E01): three lines"),
        code("""
more = do.with_engineer_like(base, "E01")
plans_more = do.what_if(base, {"one more": more}, rounds=2000, base_plan=plans["base"][1])
do.compare(plans_more)
"""),
        md("""
## Several what-ifs side by side

Shifts an hour longer, the urgent promise tightened to 12 h, and the parts the base plan lacked
put on every van. On time is judged against each what-if's own promises, so *urgent 12 h* can lose
on-time visits without any change of plan.
"""),
        code("""
base_plan = plans["base"][1]
lacking = {p: 1 for u in base_plan.unassigned for p in base.ticket(u.ticket).parts}
variants = {
    "two off sick": sick,
    "one more": more,
    "shifts +1 h": do.with_longer_shifts(base, 60),
    "urgent 12 h": do.with_sla(base, "urgent", 12),
    "parts on vans": do.with_parts_on_vans(base, lacking or {"spare": 1}),
}
table = do.compare(do.what_if(base, variants, rounds=2000, base_plan=base_plan))
table
"""),
        md("""
## The same table on a second run

Stopped on rounds, the search gives the same plans for the same scenario and seed: a what-if's
effect is not noise. (Stopped on a time limit, two runs differ by what the machine managed.)
"""),
        code("""
again = do.compare(do.what_if(base, variants, rounds=2000))
pd.testing.assert_frame_equal(table, again)
print("identical:", table.equals(again))
"""),
        md("""
## Who changed hands

`released`: the ticket's engineer no longer works then (off sick); `moved`: another engineer by
the plan's choice. Planned from scratch, the routes are laid out anew; `from_base=True` re-plans
from the base plan instead (tickets keep their engineer and time unless moving pays).
"""),
        code("""
sick_plan = plans["two off sick"][1]
print(do.diff(base_plan, sick_plan))
"""),
        code("""
replanned = do.what_if(base, {"two off sick": sick}, base_plan=base_plan, from_base=True)
do.compare(replanned).loc[["served", "changed hands", "newly unassigned", "travel_min"]]
"""),
        md("## Why the late visits are late (in the sick plan)"),
        code("""
stops = sick_plan.stops_frame()
late = stops[stops["late_cause"].notna()]
late[["ticket", "priority", "engineer", "start", "deadline", "late_min", "late_cause", "late_reason"]]
"""),
        code("sick_plan.unassigned_frame()"),
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
morning = do.solve(scenario, do.SolveParams(iterations=2000, ruin_share=1.0, seed=0))
events = do.day_events(scenario, morning, seed=4, emergencies=4, overruns=2, sick=1, cancellations=2)
pd.DataFrame([{"at": e["at"][11:16], "event": e["type"],
               "about": e.get("ticket", {}).get("id") if e["type"] == "new_ticket" else e.get("ticket", e.get("engineer"))}
              for e in events])
"""),
        md(
            "Replay the day, re-planning with 500 search rounds at each event, and the greedy-insert baseline:"
        ),
        code("""
report = do.simulate_day(
    scenario, events, do.SolveParams(iterations=500, ruin_share=1.0), morning=morning
)
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

Plan the small scenario (8 engineers, 50 tickets) with 2,000 search rounds, then read the figures the
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
plan = do.solve(scenario, do.SolveParams(iterations=2000, ruin_share=1.0, seed=0))
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
Plan it with 2,000 search rounds and look at what was kept.
"""),
        code(FIND_ROOT),
        code("""
import pandas as pd

import dispatch_opt as do

scenario = do.load_scenario(ROOT / "scenarios" / "maintenance-week.json")
plan = do.solve(scenario, do.SolveParams(iterations=2000, ruin_share=1.0, seed=0))
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
    "08_week_with_crews.ipynb": lambda: week_with_crews(FIND_ROOT),
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

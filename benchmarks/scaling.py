"""How solve time, plan quality and memory grow with the size of the day: 50 to 2,000 tickets.

    python benchmarks/scaling.py [--sizes 50,100,200,500,1000,2000] [--budgets 10,30] [--solvers
    ...]

Each size is a synthetic Bologna day from `dispatch_opt.synthetic.generate_from_options` (one day,
straight-line travel, emergencies raised the evening before, seed 1) with one engineer per 8
tickets. Each case (size, solver, budget) runs in a fresh Python subprocess that loads the scenario
from a JSON file, solves, and reports its peak resident set size
(`resource.getrusage(RUSAGE_SELF).ru_maxrss` read in the child right after solving: interpreter,
imports, the scenario and the solve; the resident size just before solving is recorded too). The
parent checks every plan with `dispatch_opt.check` (figures are the checker's; a plan with
violations is a failure). Solvers: `dispatch_opt` (default SolveParams but the budget), `vroom`
(baselines.vroom_plan, one thread) and `manual` (baselines.manual_dispatch, no budget: run once per
size). Writes benchmarks/results/scaling-<date>.csv and .md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from common import tier_summary, write_results  # noqa: E402

SIZES = (50, 100, 200, 500, 1000, 2000)
BUDGETS = (10.0, 30.0)
SOLVERS = ("dispatch_opt", "vroom", "manual")
TICKETS_PER_ENGINEER = 8
SEED = 1
TIERS = ("emergency", "urgent", "normal", "low")


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(solver: str, budget: float, scenario_path: str, plan_path: str) -> None:
    """One case, in its own process: solve, write the plan, print timings and memory as one JSON
    line."""
    import baselines

    import dispatch_opt as do

    sc = do.load_scenario(Path(scenario_path).read_text())
    before = _rss_mb()
    t0 = time.monotonic()
    if solver == "dispatch_opt":
        plan = do.solve(sc, do.SolveParams(time_limit_s=budget))
    elif solver == "vroom":
        plan = baselines.vroom_plan(sc, budget)
    else:
        plan = baselines.manual_dispatch(sc)
    solve_s = time.monotonic() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    Path(plan_path).write_text(plan.to_json(indent=None))
    print(
        json.dumps(
            {
                "solve_s": round(solve_s, 2),
                "setup_s": plan.kpis.get("setup_s"),
                "status": plan.kpis.get("status"),
                "rss_before_solve_mb": round(before, 1),
                "peak_rss_mb": round(peak, 1),
            }
        )
    )


def run_case(
    solver: str, budget: float | None, tickets: int, engineers: int, scenario_path: Path, sc
) -> dict:
    import dispatch_opt as do

    row = {
        "tickets": tickets,
        "engineers": engineers,
        "solver": solver,
        "budget_s": budget if budget else "",
    }
    with tempfile.TemporaryDirectory() as tmp:
        plan_path = Path(tmp) / "plan.json"
        t0 = time.monotonic()
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                solver,
                str(budget or 0),
                str(scenario_path),
                str(plan_path),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        row["wall_s"] = round(time.monotonic() - t0, 1)
        if proc.returncode != 0 or not plan_path.exists():
            row.update(
                valid=False, detail=(proc.stderr.strip().splitlines() or ["no output"])[-1][:200]
            )
            return row
        row.update(json.loads(proc.stdout.strip().splitlines()[-1]))
        plan = json.loads(plan_path.read_text())
    result = do.check(sc, plan)
    k = result.kpis
    row.update(
        valid=result.ok,
        violations=len(result.violations),
        served=k["served"],
        travel_min=round(k["travel_min"], 1),
        distance_km=round(k["distance_km"], 1),
        detail=result.violations[0][:200] if result.violations else "",
    )
    for t in TIERS:
        v = k["tiers"].get(t, {"tickets": 0, "served": 0, "on_time": 0, "late_total_min": 0.0})
        row.update(
            {
                f"{t}_tickets": v["tickets"],
                f"{t}_served": v["served"],
                f"{t}_on_time": v["on_time"],
                f"{t}_late_min": v["late_total_min"],
            }
        )
    return row


FIELDS = (
    [
        "tickets",
        "engineers",
        "solver",
        "budget_s",
        "wall_s",
        "setup_s",
        "solve_s",
        "status",
        "valid",
        "violations",
        "served",
    ]
    + [f"{t}_{x}" for t in TIERS for x in ("tickets", "served", "on_time", "late_min")]
    + ["travel_min", "distance_km", "rss_before_solve_mb", "peak_rss_mb", "detail"]
)


def markdown(
    rows: list[dict], args: argparse.Namespace, date: str, code: str, total_s: float
) -> str:
    from cities import compare, deltas

    lines = [
        f"# Scaling: 50 to 2,000 tickets, {date}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} "
        f"{platform.python_version()}; {code}; cases run one after the other, each in a fresh "
        f"subprocess, one "
        f"search thread; {total_s / 60:.1f} min in all. Command: `python benchmarks/scaling.py "
        f"--sizes "
        f"{args.sizes} --budgets {args.budgets}`.",
        "",
        f"Scenarios: `generate_from_options(engineers=round(n / {TICKETS_PER_ENGINEER}), "
        f"tickets=n, seed={SEED})` "
        "(one Bologna day, straight-line travel, emergencies raised the evening before: an "
        "emergency raised at "
        "night is already late at 08:00, so emergency on-time is low for every solver). Setup = "
        "`plan.kpis['setup_s']` (eligibility and model building); solve = the whole call in the "
        "child, setup "
        "included; peak memory = the child's `getrusage(RUSAGE_SELF).ru_maxrss` right after "
        "solving (Python, "
        "imports, scenario and solve; the resident size before solving is in the CSV). Figures are "
        "the "
        "checker's; on time counts served tickets started by their SLA deadline.",
        "",
    ]
    cols = (
        "| tickets | engineers | solver | budget s | checker | setup s | solve s | served | "
        + " | ".join(f"{t} served (on time)" for t in TIERS)
        + " | travel min | peak MB |"
    )
    lines += [cols, "|" + "---|" * (cols.count("|") - 1)]
    for r in rows:
        if "served" not in r:
            lines.append(
                f"| {r['tickets']} | {r['engineers']} | {r['solver']} | {r['budget_s'] or '-'} | "
                f"**error** "
                f"{r.get('detail', '')} |" + " - |" * (len(TIERS) + 5)
            )
            continue
        tiers = " | ".join(
            "{}/{} ({})".format(r[t + "_served"], r[t + "_tickets"], r[t + "_on_time"])
            for t in TIERS
        )
        verdict = "ok" if r["valid"] else f"**{r['violations']} violations**"
        lines.append(
            f"| {r['tickets']} | {r['engineers']} | {r['solver']} | {r['budget_s'] or '-'} | "
            f"{verdict} | "
            f"{r['setup_s']} | {r['solve_s']} | {r['served']} | {tiers} | {r['travel_min']:,.0f} | "
            f"{r['peak_rss_mb']:,.0f} |"
        )
    lines += [
        "",
        "## dispatch_opt against the baselines at each size and budget",
        "",
        "Judged in the contract's order (served tier by tier, then tier-weighted lateness, then "
        "travel); "
        "differences are dispatch_opt minus the baseline; VROOM at the same budget, manual "
        "dispatch has none.",
        "",
        "| tickets | budget s | baseline | dispatch_opt is | deciding | differences |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["solver"] != "dispatch_opt":
            continue
        for b in rows:
            if b["tickets"] != r["tickets"] or b["solver"] == "dispatch_opt":
                continue
            if b["solver"] == "vroom" and b["budget_s"] != r["budget_s"]:
                continue
            if not (r.get("valid") and b.get("valid")):
                lines.append(
                    f"| {r['tickets']} | {r['budget_s']} | {b['solver']} | - | a plan failed | - |"
                )
                continue
            verdict, why = compare(r, b)
            lines.append(
                f"| {r['tickets']} | {r['budget_s']} | {b['solver']} | **{verdict}** | {why} | "
                f"{deltas(r, b)} |"
            )
    fails = [r for r in rows if not r.get("valid")]
    lines += ["", "## Failures", ""]
    lines += [
        f"- {r['tickets']} tickets / {r['solver']} / {r['budget_s']} s: {r.get('detail', '')}"
        for r in fails
    ] or ["None: every plan passed the checker."]
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, solver, budget, scenario_path, plan_path = sys.argv
        child(solver, float(budget), scenario_path, plan_path)
        return
    import baselines

    import dispatch_opt as do
    from dispatch_opt.synthetic import generate_from_options, to_json

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="tickets per case, comma-separated"
    )
    ap.add_argument(
        "--budgets", default=",".join(f"{b:g}" for b in BUDGETS), help="seconds, comma-separated"
    )
    ap.add_argument("--solvers", default=",".join(SOLVERS))
    ap.add_argument("--out-dir", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",") if x]
    budgets = [float(x) for x in args.budgets.split(",") if x]
    solvers = [s for s in args.solvers.split(",") if s]
    code = baselines.describe_code()
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; {code}",
        flush=True,
    )
    rows, t0 = [], time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            engineers = max(1, round(n / TICKETS_PER_ENGINEER))
            raw = generate_from_options(engineers=engineers, tickets=n, seed=SEED)
            path = Path(tmp) / f"scaling-{n}.json"
            path.write_text(to_json(raw))
            sc = do.load_scenario(raw)
            for solver in solvers:
                for budget in budgets if solver != "manual" else [None]:
                    row = run_case(solver, budget, n, engineers, path, sc)
                    rows.append(row)
                    if "served" in row:
                        tiers = tier_summary(row, TIERS)
                        print(
                            f"{n:5d} tickets {engineers:4d} eng {solver:12s} {budget or 0:4g} s "
                            f"{'ok' if row['valid'] else 'INVALID'} setup {row['setup_s']} s solve "
                            f"{row['solve_s']} s "
                            f"served {row['served']} [{tiers}] travel {row['travel_min']:,.0f} min "
                            f"peak {row['peak_rss_mb']:,.0f} MB",
                            flush=True,
                        )
                    else:
                        print(
                            f"{n:5d} tickets {solver:12s} {budget or 0:4g} s ERROR "
                            f"{row.get('detail')}",
                            flush=True,
                        )
    date = str(dt.date.today())
    write_results(
        args.out_dir / f"scaling-{date}",
        rows,
        FIELDS,
        markdown(rows, args, date, code, time.monotonic() - t0),
    )


if __name__ == "__main__":
    main()

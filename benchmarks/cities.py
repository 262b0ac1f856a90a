"""dispatch_opt against the baselines on the bundled synthetic cities, all in one run on one
machine.

    python benchmarks/cities.py [--time-limit 30] [--scenarios small,medium,...] [--solvers ...]

Solvers, one after the other on each scenario (scenarios/<name>.json):

- `dispatch_opt`: `dispatch_opt.solve` with default SolveParams but the time limit;
- `ortools_start`: the same dispatch_opt model started from OR-Tools' own
  PARALLEL_CHEAPEST_INSERTION instead of dispatch_opt's greedy (core_solve.py's baseline). There is
  no plain OR-Tools model of these scenarios (literature.py's plain OR-Tools runner covers VRPTW
  instances only: no skills, parts, breaks, shifts or tiers), so this is the closest "OR-Tools
  without dispatch_opt's construction" baseline;
- `vroom`: `baselines.vroom_plan` (pyvroom, one thread, exploration level 5, same time limit);
- `manual`: `baselines.manual_dispatch` (tier, deadline, nearest qualified engineer, appended; no
restocks).

Every plan is verified by `dispatch_opt.check`; figures are the checker's (recomputed from the
plan), and a plan with violations is reported as a failure. Writes
benchmarks/results/cities-<date>.csv and .md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
import traceback
from pathlib import Path

import dispatch_opt as do

sys.path.insert(0, str(Path(__file__).resolve().parent))
import baselines  # noqa: E402
from common import tier_summary, write_results  # noqa: E402

from dispatch_opt.engine.params import DEFAULT_LATENESS_PER_MIN  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("small", "medium", "medium-roads", "overload", "multiday")
SOLVERS = ("dispatch_opt", "ortools_start", "vroom", "manual")
TIERS = ("emergency", "urgent", "normal", "low")
LATENESS_WEIGHT = dict(zip(TIERS, DEFAULT_LATENESS_PER_MIN))  # dispatch_opt's, per minute late


def run_solver(solver: str, sc: do.Scenario, time_limit: float, seed: int) -> do.Plan:
    if solver == "dispatch_opt":
        return do.solve(sc, do.SolveParams(time_limit_s=time_limit, seed=seed))
    if solver == "ortools_start":
        return do.solve(
            sc,
            do.SolveParams(
                time_limit_s=time_limit, seed=seed, first_solution="PARALLEL_CHEAPEST_INSERTION"
            ),
        )
    if solver == "vroom":
        return baselines.vroom_plan(sc, time_limit)
    if solver == "manual":
        return baselines.manual_dispatch(sc)
    raise ValueError(solver)


def measure(name: str, sc: do.Scenario, solver: str, time_limit: float, seed: int) -> dict:
    row = {
        "scenario": name,
        "solver": solver,
        "time_limit_s": time_limit if solver != "manual" else "",
        "engineers": len(sc.engineers),
        "tickets": len(sc.live_tickets),
    }
    t0 = time.monotonic()
    try:
        plan = run_solver(solver, sc, time_limit, seed)
    except Exception as exc:  # noqa: BLE001 - a crash is a result to report
        traceback.print_exc()
        row.update(
            wall_s=round(time.monotonic() - t0, 2),
            valid=False,
            violations="",
            detail=f"{type(exc).__name__}: {exc}",
        )
        return row
    wall = time.monotonic() - t0
    result = do.check(sc, plan)
    k = result.kpis
    row.update(
        wall_s=round(wall, 2),
        setup_s=plan.kpis.get("setup_s", ""),
        valid=result.ok,
        violations=len(result.violations),
        served=k["served"],
        travel_min=round(k["travel_min"], 1),
        distance_km=round(k["distance_km"], 1),
        overtime_min=round(sum(e["overtime_min"] for e in k["engineers"].values()), 1),
        status=plan.kpis.get("status", ""),
        unassigned_by_reason=" ".join(
            f"{c}:{n}" for c, n in sorted(plan.kpis.get("unassigned_by_reason", {}).items())
        ),
        detail=(result.violations[0] if result.violations else "; ".join(plan.notes[:2]))[:200],
    )
    for tier in TIERS:
        v = k["tiers"].get(tier, {"tickets": 0, "served": 0, "on_time": 0, "late_total_min": 0.0})
        row.update(
            {
                f"{tier}_tickets": v["tickets"],
                f"{tier}_served": v["served"],
                f"{tier}_on_time": v["on_time"],
                f"{tier}_late_min": v["late_total_min"],
            }
        )
    return row


FIELDS = (
    [
        "scenario",
        "solver",
        "engineers",
        "tickets",
        "time_limit_s",
        "wall_s",
        "setup_s",
        "valid",
        "violations",
        "served",
    ]
    + [f"{t}_{x}" for t in TIERS for x in ("tickets", "served", "on_time", "late_min")]
    + ["travel_min", "distance_km", "overtime_min", "status", "unassigned_by_reason", "detail"]
)


# ---------------------------------------------------------------- comparison


def compare(a: dict, b: dict) -> tuple[str, str]:
    """('ahead'|'behind'|'level', why) for plan a against b, in the contract's order of importance:
    tickets served tier by tier (highest first), then tier-weighted SLA lateness, then travel."""
    for t in TIERS:
        d = a[f"{t}_served"] - b[f"{t}_served"]
        if d:
            return ("ahead" if d > 0 else "behind"), f"{d:+d} {t} served"
    la = sum(LATENESS_WEIGHT[t] * a[f"{t}_late_min"] for t in TIERS)
    lb = sum(LATENESS_WEIGHT[t] * b[f"{t}_late_min"] for t in TIERS)
    if abs(la - lb) > 0.5:
        return (
            "ahead" if la < lb else "behind"
        ), f"same served per tier; weighted lateness {la:,.0f} vs {lb:,.0f}"
    d = a["travel_min"] - b["travel_min"]
    if abs(d) > 0.5:
        return ("ahead" if d < 0 else "behind"), f"same service and lateness; travel {d:+,.0f} min"
    return "level", "same served, lateness and travel"


def deltas(a: dict, b: dict) -> str:
    def diff(key: str) -> int:
        return a[key] - b[key]

    served = ", ".join(f"{t[:3]} {diff(t + '_served'):+d}" for t in TIERS)
    on_time = ", ".join(f"{t[:3]} {diff(t + '_on_time'):+d}" for t in TIERS)
    parts = [
        f"served {diff('served'):+d} ({served})",
        f"on time {sum(diff(t + '_on_time') for t in TIERS):+d} ({on_time})",
    ]
    if b["travel_min"]:
        d = a["travel_min"] - b["travel_min"]
        parts.append(f"travel {d:+,.0f} min ({100 * d / b['travel_min']:+.0f} %)")
    return "; ".join(parts)


def markdown(
    rows: list[dict], args: argparse.Namespace, date: str, code: str, total_s: float
) -> str:
    lines = [
        f"# Synthetic cities: dispatch_opt vs baselines, {date}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} "
        f"{platform.python_version()}; {code}; solvers run one after the other, one search thread "
        f"each, "
        f"{args.time_limit:g} s per solve (manual dispatch has no budget); {total_s / 60:.1f} min "
        f"in all. "
        f"Command: `python benchmarks/cities.py --time-limit {args.time_limit:g}`.",
        "",
        "Solvers: `dispatch_opt` (default SolveParams); `ortools_start` (dispatch_opt's model from "
        "OR-Tools' own "
        "PARALLEL_CHEAPEST_INSERTION start, core_solve.py's baseline: there is no plain OR-Tools "
        "model of these "
        "scenarios); `vroom` (pyvroom, see `benchmarks/baselines.py`: no restocks, van stock on "
        "the first shift "
        "only, SLA deadlines not expressible); `manual` (tier, then SLA deadline, nearest "
        "qualified engineer, "
        "appended to the route; no restocks). Figures are the checker's; on time counts served "
        "tickets that "
        "started by their SLA deadline; a plan with violations is a failure.",
        "",
    ]
    by = {(r["scenario"], r["solver"]): r for r in rows}
    scenarios = list(dict.fromkeys(r["scenario"] for r in rows))
    solvers = list(dict.fromkeys(r["solver"] for r in rows))
    for name in scenarios:
        first = by[(name, solvers[0])]
        lines += [
            f"## {name} ({first['engineers']} engineers, {first['tickets']} tickets)",
            "",
            "| solver | checker | served | "
            + " | ".join(f"{t} served / on time" for t in TIERS)
            + " | travel min | km | setup s | solve s |",
            "|---|---|---|" + "---|" * len(TIERS) + "---|---|---|---|",
        ]
        for s in solvers:
            r = by.get((name, s))
            if r is None:
                continue
            if "served" not in r:
                lines.append(f"| {s} | **error** {r['detail']} |" + " - |" * (len(TIERS) + 5))
                continue
            verdict = "ok" if r["valid"] else f"**{r['violations']} violations**"
            tiers = " | ".join(
                "{}/{} / {}".format(r[t + "_served"], r[t + "_tickets"], r[t + "_on_time"])
                for t in TIERS
            )
            lines.append(
                f"| {s} | {verdict} | {r['served']}/{r['tickets']} | {tiers} | "
                f"{r['travel_min']:,.0f} | "
                f"{r['distance_km']:,.0f} | {r['setup_s'] if r['setup_s'] != '' else '-'} | "
                f"{r['wall_s']} |"
            )
        lines.append("")
    lines += [
        "## Where dispatch_opt is ahead or behind",
        "",
        "Each baseline against dispatch_opt in the same run, judged in the contract's order: "
        "tickets served tier by "
        "tier (highest first), then SLA lateness weighted 100/30/10/3 per minute by tier, then "
        "travel. "
        "Differences are dispatch_opt minus the baseline. A failed plan (violations or error) is "
        "not compared.",
        "",
        "| scenario | baseline | dispatch_opt is | deciding | differences |",
        "|---|---|---|---|---|",
    ]
    for name in scenarios:
        a = by.get((name, "dispatch_opt"))
        for s in solvers:
            b = by.get((name, s))
            if s == "dispatch_opt" or a is None or b is None:
                continue
            if not (a.get("valid") and b.get("valid")):
                failed = [x["solver"] for x in (a, b) if not x.get("valid")]
                lines.append(f"| {name} | {s} | - | {', '.join(failed)} failed | - |")
                continue
            verdict, why = compare(a, b)
            lines.append(f"| {name} | {s} | **{verdict}** | {why} | {deltas(a, b)} |")
    fails = [r for r in rows if not r.get("valid")]
    lines += ["", "## Failures", ""]
    lines += [f"- {r['scenario']} / {r['solver']}: {r.get('detail', '')}" for r in fails] or [
        "None: every plan passed the checker."
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--time-limit",
        type=float,
        default=30.0,
        help="seconds per solve (dispatch_opt, ortools_start, vroom)",
    )
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--solvers", default=",".join(SOLVERS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out-dir", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()
    solvers = [s for s in args.solvers.split(",") if s]
    unknown = [s for s in solvers if s not in SOLVERS]
    if unknown:
        ap.error(f"unknown solver(s) {unknown}; choose from {list(SOLVERS)}")
    code = baselines.describe_code()
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{code}; "
        f"{args.time_limit:g} s per solve",
        flush=True,
    )
    rows, t0 = [], time.monotonic()
    for name in [s for s in args.scenarios.split(",") if s]:
        sc = do.load_scenario(ROOT / "scenarios" / f"{name}.json")
        for solver in solvers:
            row = measure(name, sc, solver, args.time_limit, args.seed)
            rows.append(row)
            if "served" in row:
                tiers = tier_summary(row, TIERS)
                print(
                    f"{name:13s} {solver:13s} {'ok' if row['valid'] else 'INVALID':7s} served "
                    f"{row['served']:4d}/"
                    f"{row['tickets']} [{tiers}] travel {row['travel_min']:8,.0f} min "
                    f"{row['distance_km']:7,.0f} km "
                    f"{row['wall_s']:6.1f} s",
                    flush=True,
                )
            else:
                print(f"{name:13s} {solver:13s} ERROR {row['detail']}", flush=True)
    date = str(dt.date.today())
    write_results(
        args.out_dir / f"cities-{date}",
        rows,
        FIELDS,
        markdown(rows, args, date, code, time.monotonic() - t0),
    )


if __name__ == "__main__":
    main()

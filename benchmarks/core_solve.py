"""Core-engine figures (benchmarks/README.md): each scenario solved with dispatch_opt's greedy start
and with OR-Tools' own first-solution heuristic, same time budget, same machine, one after the
other.

    python benchmarks/core_solve.py [--time-limit 30] [--out benchmarks/results/core-solve-DATE.csv]

Every plan is verified by the package checker; a plan with violations is reported as a failure.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import platform
import time
from pathlib import Path

import dispatch_opt as do
from dispatch_opt.synthetic import PRESETS, CityParams, generate_scenario

ROOT = Path(__file__).resolve().parents[1]
STRATEGIES = ("GREEDY_INSERTION", "PARALLEL_CHEAPEST_INSERTION")


def scenarios() -> dict[str, dict]:
    return {
        "small": generate_scenario(PRESETS["small"]),
        "medium": generate_scenario(PRESETS["medium"]),
        "gen-100x1000": generate_scenario(
            CityParams(name="bologna-100x1000", engineers=100, tickets=1000, seed=3)
        ),
    }


def run(name: str, raw: dict, strategy: str, time_limit: float) -> dict:
    t0 = time.monotonic()
    sc = do.load_scenario(raw)
    plan = do.solve(sc, do.SolveParams(time_limit_s=time_limit, first_solution=strategy))
    wall = time.monotonic() - t0
    result = do.check(sc, plan)
    k = plan.kpis
    row = {
        "scenario": name,
        "strategy": strategy,
        "time_limit_s": time_limit,
        "wall_s": round(wall, 1),
        "setup_s": k.get("setup_s"),
        "valid": result.ok,
        "tickets": k["tickets"],
        "served": k["served"],
        "travel_min": k["travel_min"],
    }
    for tier, v in k["tiers"].items():
        row[f"{tier}_served"], row[f"{tier}_on_time"] = v["served"], v["on_time"]
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument(
        "--out",
        type=Path,
        default=ROOT / "benchmarks" / "results" / f"core-solve-{dt.date.today()}.csv",
    )
    args = ap.parse_args()
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, "
        f"time limit {args.time_limit:g} s per solve"
    )
    rows = []
    for name, raw in scenarios().items():
        for strategy in STRATEGIES:
            row = run(name, raw, strategy, args.time_limit)
            rows.append(row)
            tiers = " ".join(
                f"{t.split('_')[0]} {row[t]}/{row[t.replace('on_time', 'served')]}"
                for t in row
                if t.endswith("_on_time")
            )
            print(
                f"{name:13s} {strategy:28s} valid={row['valid']} served "
                f"{row['served']}/{row['tickets']} "
                f"on time (of served): {tiers}; travel {row['travel_min']:,.0f} min; setup "
                f"{row['setup_s']} s"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"written {args.out}")


if __name__ == "__main__":
    main()

"""Paid time in the objective (issue 20, item 3): travel only, on-duty only, both.

    python benchmarks/costs.py [--time-limit 30] [--scenarios medium multiday crews-week]

Each bundled scenario is solved under three `costs` settings, (travel_per_min, on_duty_per_min) =
(1, 0), (0, 1) and (1, 1), same seed and time limit: travel minutes, on-duty minutes (departure to
return, waiting included), idle minutes, and served and on time per tier. Every plan is checked by
the package's checker and the referee. Then the done-when check: on the first scenario, on-duty
minutes with (1, 1) against (1, 0), served and on time per tier compared. Prints the table and the
machine's load (the machine may be shared: a time-limited search finds less under load); writes
results/costs-<date>.{csv,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import date
from pathlib import Path

import dispatch_opt as do

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load_referee, tier_summary, write_results  # noqa: E402

REFEREE = load_referee()
ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"travel only": (1.0, 0.0), "on-duty only": (0.0, 1.0), "both": (1.0, 1.0)}


def run(raw: dict, costs: tuple[float, float], limit: float, seed: int) -> dict:
    raw = dict(raw, costs={"travel_per_min": costs[0], "on_duty_per_min": costs[1]})
    sc = do.load_scenario(raw)
    plan = do.solve(sc, do.SolveParams(time_limit_s=limit, seed=seed))
    bad = do.check(sc, plan).violations
    if REFEREE is not None:
        bad += REFEREE.check(json.loads(json.dumps(raw)), json.loads(plan.to_json()))[0]
    k = plan.kpis
    row = {
        "travel_min": k["travel_min"],
        "on_duty_min": k["on_duty_min"],
        "idle_min": k["idle_min"],
        "valid": not bad,
        "kept": next((n.split(":")[0] for n in plan.notes if "kept" in n), "search core alone"),
    }
    for t, v in k["tiers"].items():
        row[t + "_tickets"], row[t + "_served"] = v["tickets"], v["served"]
        row[t + "_on_time"], row[t + "_late_min"] = v["on_time"], round(v["late_total_min"])
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scenarios", nargs="+", default=["medium", "multiday", "crews-week"])
    args = ap.parse_args()
    load = os.getloadavg()
    rows, lines = [], []
    for name in args.scenarios:
        raw = json.loads((ROOT / "scenarios" / f"{name}.json").read_text())
        tiers = list(raw.get("tiers") or do.load_scenario(raw).tiers)
        for setting, costs in SETTINGS.items():
            row = run(raw, costs, args.time_limit, args.seed)
            row.update(scenario=name, setting=setting)
            rows.append(row)
            line = (
                f"| {name} | {setting} | {row['travel_min']:,.0f} | {row['on_duty_min']:,.0f} | "
                f"{row['idle_min']:,.0f} | {tier_summary(row, tiers)} | "
                f"{' / '.join(str(row[t + '_late_min']) for t in tiers)} | "
                f"{'yes' if row['valid'] else 'NO'} |"
            )
            print(line, flush=True)
            lines.append(line)
    first = [r for r in rows if r["scenario"] == args.scenarios[0]]
    by = {r["setting"]: r for r in first}
    tiers = [k[: -len("_served")] for k in by["travel only"] if k.endswith("_served")]
    was, now = by["travel only"], by["both"]
    served = all(now[t + "_served"] == was[t + "_served"] for t in tiers)
    on_time = [now[t + "_on_time"] - was[t + "_on_time"] for t in tiers]
    fell = now["on_duty_min"] < was["on_duty_min"]
    verdict = (
        f"done-when on {args.scenarios[0]}, both against travel only: on-duty "
        f"{was['on_duty_min']:,.1f} -> {now['on_duty_min']:,.1f} min "
        f"({'fell' if fell else 'DID NOT FALL'}); served per tier "
        f"{'unchanged' if served else 'CHANGED'}; on time per tier "
        + ("unchanged" if not any(on_time) else f"changed by {on_time}")
    )
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    after = os.getloadavg()
    head = (
        f"costs, {args.time_limit:g} s per solve, seed {args.seed}; commit {commit or '?'}; "
        f"{machine}; load average "
        f"{load[0]:.2f} before, {after[0]:.2f} after (machine shared with other work)"
    )
    table = [
        "| scenario | costs | travel min | on-duty min | idle min | served/tickets (on time) | "
        "late min per tier | valid |",
        "|---|---|---|---|---|---|---|---|",
        *lines,
    ]
    print(head)
    print(verdict)
    fields = ["scenario", "setting", "travel_min", "on_duty_min", "idle_min", "valid", "kept"]
    fields += [k for k in rows[0] if k.endswith(("_tickets", "_served", "_on_time", "_late_min"))]
    stem = ROOT / "benchmarks" / "results" / f"costs-{date.today().isoformat()}"
    write_results(stem, rows, fields, "\n".join([head, "", *table, "", verdict, ""]))


if __name__ == "__main__":
    main()

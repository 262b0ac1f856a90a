"""Scale-out: territories on Dask at network size, decomposed vs whole, the seed portfolio.

    python benchmarks/scale.py --cases network            # 1,000 x 10,000, once (about 14 min)
    python benchmarks/scale.py --cases large,compare,portfolio,curve,cluster4

Cases (each solve runs in a fresh subprocess; the parent samples the resident memory of that
subprocess and all its children, Dask scheduler and workers included, every 0.2 s, and records the
peak of their sum):
- `network`: the network preset (1,000 engineers, 10,000 tickets, seven service centres), workers 2,
  time limit 720 s (the call must return within 720 s + 5 % + 2 s; the target is 15 min wall).
- `network1000`: the same in territories of 1,000 tickets (10) instead of 500 (20).
- `curve5000`, `limits10000`: one row of `curve` or `limits`, alone.
- `large`: the network preset at 150 x 1,500, workers 2, 110 s (target: within 2 minutes).
- `compare`: at 1,500 tickets on the same time limit, a split into territories forced
  (`split_above=0`: 4 territories of about 500 tickets, workers 2), `do.solve` as shipped
  (workers 2: up to 2,000 tickets that is the portfolio) and the whole scenario in one process;
  `curve`: 500 to 5,000 tickets with `do.solve` on 2 workers (above 2,000 tickets territories),
  with the whole scenario up to 2,000.
- `portfolio`: medium (30 s) and large Bologna (60 s), never split: a portfolio of 2 seeds on 2
  workers against one run of the single-process solver, same time limit.
- `limits`: the time-limit rule (the call returns within the limit + 5 % + 2 s) at short limits:
  the network preset at 150 s and 150 x 1,500 split into 4 territories at 30 s, workers 2 (every
  row says whether its
  call kept the rule).
- `cluster4`: a LocalCluster of 4 workers on this 2-core machine, network 150 x 1,500 split into
  4 territories, 60 s.
Every plan is checked by the contract's referee (../shared/tools/check_plan.py, when present) and by
dispatch_opt.check (run afterwards in its own subprocess; its peak memory is recorded apart).
Writes benchmarks/results/scale-<date><tag>.csv and .md (appending to today's files), with the
load averages (1, 5, 15 min) before and after each solve: the machine may be shared.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REFEREE = ROOT.parent / "shared" / "tools" / "check_plan.py"
TMP = Path(tempfile.gettempdir()) / "dispatch_opt_scale"  # scenarios and plans, never the repo
TIERS = ("emergency", "urgent", "normal", "low")
FIELDS = [
    "case",
    "scenario",
    "engineers",
    "tickets",
    "mode",
    "workers",
    "time_limit_s",
    "wall_s",
    "solve_s",
    "peak_mb",
    "served",
    *[f"{t}_{k}" for t in TIERS for k in ("tickets", "served", "on_time")],
    "travel_min",
    "territories",
    "border",
    "referee",
    "checker",
    "checker_peak_mb",
    "codes",
    "within_limit_rule",
    "load_start",
    "load_end",
    "note",
]


def one(argv: list[str]) -> None:
    """Child: load, solve, write the plan and a small JSON of figures."""
    scenario, mode, limit, workers, plan_path, seed = argv
    import dispatch_opt as do
    from dispatch_opt.engine.solve import solve_in_process

    sc = do.load_scenario(scenario)
    params = do.SolveParams(time_limit_s=float(limit), workers=int(workers), seed=int(seed))
    if mode == "portfolio":  # never split: seeds only
        params = dataclasses.replace(params, split_above=10**9)
    if mode == "territories":  # split even where do.solve would not: 1,500 tickets into 4
        params = dataclasses.replace(params, split_above=0)
    if mode == "big":  # territories of 1,000 tickets
        params = dataclasses.replace(params, territory_tickets=1000)
    t = time.monotonic()
    if mode == "whole":  # the single-process solver on the whole scenario
        plan = solve_in_process(sc, params)
    else:
        plan = do.solve(sc, params)
    wall = time.monotonic() - t
    do.save_plan(plan, plan_path)
    print(json.dumps({"solve_s": wall, "notes": plan.notes[:2]}))


def check_child(argv: list[str]) -> None:
    import dispatch_opt as do

    sc = do.load_scenario(argv[0])
    result = do.check(sc, do.load_plan(argv[1], sc))
    print(json.dumps({"ok": result.ok, "violations": result.violations[:5]}))


def _tree_rss(p: psutil.Process) -> int:
    total = 0
    for q in [p, *p.children(recursive=True)]:
        try:
            total += q.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_measured(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak MB of the process tree, stdout."""
    t = time.monotonic()
    proc = psutil.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc))
        time.sleep(0.2)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[2:4]} failed: {err[-2000:]}")
    return time.monotonic() - t, peak / 1e6, out


def _border(b: dict) -> str:
    """Border pairs improved/re-solved (not started), and the offer pass's placed/offered."""
    out = "{improved}/{pairs}".format(**b)
    if b.get("skipped"):
        out += f" ({b['skipped']} not started)"
    if "offered" in b:
        out += f", offer {b['placed']}/{b['offered']}"
        out += f" ({b['bumped']} bumped)" if b.get("bumped") else ""
    return out


def _load() -> str:
    """The 1, 5 and 15 minute load averages (as `uptime` prints them): the machine is shared."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def generate(tmp: Path, name: str, **options) -> Path:
    from dispatch_opt.synthetic import generate_from_options, to_json

    path = tmp / f"{name}.json"
    if not path.exists():
        path.write_text(to_json(generate_from_options(**options)))
    return path


def measure(case, scenario: Path, mode: str, limit: float, workers: int, seed: int = 0) -> dict:
    plan_path = TMP / f"{scenario.stem}.{case}.{mode}.{workers}.plan.json"
    me = [sys.executable, __file__]
    load_start = _load()
    wall, peak, out = run_measured(
        me + ["--one", str(scenario), mode, str(limit), str(workers), str(plan_path), str(seed)]
    )
    solve_s = json.loads(out.strip().splitlines()[-1])["solve_s"]
    sc = json.loads(scenario.read_text())
    plan = json.loads(plan_path.read_text())
    k = plan["kpis"]
    row = {
        "case": case,
        "scenario": sc["name"],
        "engineers": len(sc["engineers"]),
        "tickets": len(sc["tickets"]),
        "mode": "territories" if "territories" in k else "portfolio" if "portfolio" in k else mode,
        "workers": workers,
        "time_limit_s": limit,
        "wall_s": round(wall, 1),
        "solve_s": round(solve_s, 1),
        "peak_mb": round(peak),
        "served": k["served"],
        "travel_min": k["travel_min"],
        "territories": len(k.get("territories", [])) or "",
        "border": _border(k["border"]) if "border" in k else "",
        "codes": " ".join(
            f"{c} {n}"
            for c, n in sorted(Counter(u.get("code") for u in plan["unassigned"]).items())
        ),
        "load_start": load_start,
        "within_limit_rule": "yes" if solve_s <= limit * 1.05 + 2 else "NO",
        "load_end": _load(),
        "note": "; ".join(plan.get("notes", [])[:1])[:160],
    }
    for t in TIERS:
        for f in ("tickets", "served", "on_time"):
            row[f"{t}_{f}"] = k["tiers"][t][f]
    if REFEREE.exists():
        ref = subprocess.run(
            [sys.executable, str(REFEREE), str(scenario), str(plan_path)],
            capture_output=True,
            text=True,
        )
        row["referee"] = "ok" if ref.returncode == 0 else f"FAIL {ref.stdout[-200:]}"
    _, cpeak, out = run_measured(me + ["--check", str(scenario), str(plan_path)])
    verdict = json.loads(out.strip().splitlines()[-1])
    row["checker"] = "ok" if verdict["ok"] else f"FAIL {verdict['violations']}"
    row["checker_peak_mb"] = round(cpeak)
    print(
        f"{case:9s} {mode:10s} w{workers} {row['tickets']:>6} tickets limit {limit:>5g} s: "
        f"wall {row['wall_s']:7.1f} s (call {row['solve_s']} s), peak {row['peak_mb']:6} MB, "
        f"served {row['served']}, "
        + " ".join(f"{t[:3]} {row[t + '_served']}/{row[t + '_tickets']}" for t in TIERS)
        + f", travel {row['travel_min']}, referee {row.get('referee')}, checker {row['checker']}",
        flush=True,
    )
    return row


def cases(names: list[str], tmp: Path) -> list[dict]:
    rows = []

    def net(e: int, t: int):
        return generate(tmp, f"network-{t}", preset="network", engineers=e, tickets=t)

    for name in names:
        if name == "network":
            rows.append(measure(name, net(1000, 10000), "default", 720, 2))
        elif name == "curve5000":  # one point of the curve, re-run alone
            rows.append(measure("curve", net(500, 5000), "default", 360, 2))
        elif name == "limits10000":
            rows.append(measure("limits", net(1000, 10000), "default", 150, 2))
        elif name == "network1000":  # the same in territories of 1,000 tickets
            rows.append(measure(name, net(1000, 10000), "big", 720, 2))
        elif name == "large":
            rows.append(measure(name, net(150, 1500), "default", 110, 2))
        elif name == "compare":  # forced split, do.solve as shipped (a portfolio), whole
            for mode in ("territories", "default", "whole"):
                rows.append(measure(name, net(150, 1500), mode, 110, 2 if mode != "whole" else 1))
        elif name == "curve":
            for t, limit in ((500, 30), (1000, 60), (2000, 120), (5000, 360)):
                s = net(t // 10, t)
                rows.append(measure(name, s, "default", limit, 2))
                if t <= 2000:
                    rows.append(measure(name, s, "whole", limit, 1))
        elif name == "portfolio":
            for preset, limit in (("medium", 30), ("large", 60)):
                s = ROOT / "scenarios" / f"{preset}.json"
                rows.append(measure(name, s, "whole", limit, 1))
                rows.append(measure(name, s, "portfolio", limit, 2))
        elif name == "limits":  # the time-limit rule at short limits, network and 1,500
            rows.append(measure(name, net(1000, 10000), "default", 150, 2))
            rows.append(measure(name, net(150, 1500), "territories", 30, 2))
        elif name == "cluster4":
            rows.append(measure(name, net(150, 1500), "territories", 60, 4))
        else:
            raise SystemExit(f"unknown case {name!r}")
    return rows


def main() -> None:
    if sys.argv[1:2] == ["--one"]:
        return one(sys.argv[2:])
    if sys.argv[1:2] == ["--check"]:
        return check_child(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="large,compare,portfolio")
    ap.add_argument("--tag", default="", help="suffix of the results files (scale-<date><tag>)")
    args = ap.parse_args()
    tmp = TMP
    tmp.mkdir(exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    rows = cases(args.cases.split(","), tmp)
    stem = HERE / "results" / f"scale-{started:%Y-%m-%d}{args.tag}"
    stem.parent.mkdir(parents=True, exist_ok=True)
    path = stem.with_suffix(".csv")
    old = list(csv.DictReader(open(path, newline=""))) if path.exists() else []
    with open(path, "w", newline="") as f:  # today's earlier rows kept, columns as now
        w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore", restval="")
        w.writeheader()
        w.writerows(old + rows)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    lines = [
        f"\n## {args.cases} ({started:%Y-%m-%d %H:%M} UTC, commit {commit}, "
        f"{os.cpu_count()} cores, {platform.python_version()}; the cores may be shared with "
        "another engineer's jobs: load averages 1/5/15 min before and after each solve in the "
        "last column)\n",
        "| case | scenario | mode | workers | limit s | wall s (solve call) | peak MB | served | "
        + " | ".join(TIERS)
        + " | travel min | territories | border improved | referee | checker (peak MB) "
        "| unassigned by code | call within limit + 5 % + 2 s | load before / after |",
        "|" + "---|" * (18 + len(TIERS) - 4),
    ]
    for r in rows:
        tiers = " | ".join(
            f"{r[t + '_served']}/{r[t + '_tickets']} ({r[t + '_on_time']})" for t in TIERS
        )
        lines.append(
            f"| {r['case']} | {r['scenario']} | {r['mode']} | {r['workers']} | {r['time_limit_s']} "
            f"| {r['wall_s']} ({r.get('solve_s', '-')}) | {r['peak_mb']} "
            f"| {r['served']}/{r['tickets']} | {tiers} "
            f"| {r['travel_min']} | {r['territories']} | {r['border']} | {r.get('referee', '-')} "
            f"| {r['checker']} ({r['checker_peak_mb']}) | {r['codes']} | {r['within_limit_rule']} "
            f"| {r['load_start']} / {r['load_end']} |"
        )
    with open(stem.with_suffix(".md"), "a") as f:
        f.write("\n".join(lines) + "\n")
    print(f"appended to {stem.with_suffix('.csv')} and {stem.with_suffix('.md')}")


if __name__ == "__main__":
    main()

"""Ruin-and-recreate rounds per second: the search core against the plain-Python one it replaced.

    python benchmarks/search_speed.py [--seconds 10] [--scenarios medium,large]
                                      [--baseline ../wt-base]

A round is one SISR ruin and recreate (strings out of a few routes near a random ticket, back in
by cheapest insertion, accepted or undone) in both; the compiled core also polishes each new
best with its local search operators, counted apart. Both start from their own first plan of
the same scenario and run for the same wall time, one after the other in this process's
machine. `--baseline` is a checkout of the code before the search core (commit c859feb), run in
a subprocess with that checkout first on the path; without it only the search core is measured.
Prints a table and writes benchmarks/results/search-speed-<date>.{csv,md}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BASELINE = """
import json, math, sys, time
import dispatch_opt as do
from dispatch_opt.construct import _sequential_insertion, ruin_and_recreate, seeded_routes
from dispatch_opt.eligibility import compute_eligibility
from dispatch_opt.solver import _Model
sc = do.load_scenario(sys.argv[1])
m = _Model(sc, compute_eligibility(sc), do.SolveParams())
r, free, placed = seeded_routes(m)
order = sorted(set(range(r.nt)) - placed, key=lambda n: r.deadline[n])
_sequential_insertion(r, m, order, free, math.inf)
t0 = time.monotonic()
rounds = ruin_and_recreate(r, m, free, t0 + float(sys.argv[2]), seed=0)
print(json.dumps({"rounds": rounds, "seconds": time.monotonic() - t0}))
"""

CORE = """
import json, sys, time
import dispatch_opt as do
try:
    from dispatch_opt.engine.eligibility import compute_eligibility
    from dispatch_opt.engine.problem import ProblemData
    from dispatch_opt.engine.search import ready
    from dispatch_opt.engine.search.construct import first_state
    from dispatch_opt.engine.search.improve import StopRule as Stop, improve
except ImportError:  # a tree from before the layout move (2026-12-03)
    from dispatch_opt.eligibility import compute_eligibility
    from dispatch_opt.problem import ProblemData
    from dispatch_opt.search import ready
    from dispatch_opt.search.construct import first_state
    from dispatch_opt.search.improve import Stop, improve
compile_s = ready()
sc = do.load_scenario(sys.argv[1])
p = ProblemData(sc, compute_eligibility(sc), do.SolveParams())
s, _ = first_state(p)
stats = improve(p, s, Stop(until=time.monotonic() + float(sys.argv[2])), seed=0)
print(json.dumps({"rounds": stats.rounds, "seconds": stats.seconds, "moves": stats.moves,
                  "ready_s": compile_s}))
"""


def run(code: str, path: Path, scenario: Path, seconds: float) -> dict:
    # run from the checkout itself: `python -c` puts the working folder first on the path
    env = dict(os.environ, PYTHONPATH=str(path.resolve()))
    out = subprocess.run(
        [sys.executable, "-c", code, str(scenario.resolve()), str(seconds)],
        env=env,
        cwd=path,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--scenarios", default="medium,large")
    ap.add_argument("--baseline", type=Path, default=None)
    ap.add_argument("--out-dir", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()
    rows = []
    for name in args.scenarios.split(","):
        path = ROOT / "scenarios" / f"{name}.json"
        core = run(CORE, ROOT, path, args.seconds)
        row = {
            "scenario": name,
            "core_rounds_per_s": round(core["rounds"] / core["seconds"], 1),
            "core_local_search_moves": core["moves"],
            "core_ready_s": round(core["ready_s"], 2),
        }
        if args.baseline is not None:
            base = run(BASELINE, args.baseline, path, args.seconds)
            row["baseline_rounds_per_s"] = round(base["rounds"] / base["seconds"], 1)
            row["speed-up"] = round(row["core_rounds_per_s"] / row["baseline_rounds_per_s"], 1)
        rows.append(row)
        print(row, flush=True)
    date = dt.date.today().isoformat()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    args.out_dir.mkdir(parents=True, exist_ok=True)
    keys = list(rows[0])
    csv = "\n".join([",".join(keys)] + [",".join(str(r.get(k, "")) for k in keys) for r in rows])
    (args.out_dir / f"search-speed-{date}.csv").write_text(csv + "\n")
    md = [
        f"# Search speed, {date}",
        "",
        f"{args.seconds:g} s per run; {machine}",
        "",
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
    ]
    md += ["| " + " | ".join(str(r.get(k, "")) for k in keys) + " |" for r in rows]
    (args.out_dir / f"search-speed-{date}.md").write_text("\n".join(md) + "\n")


if __name__ == "__main__":
    main()

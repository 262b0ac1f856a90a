"""dispatch_opt against the literature: public VRPTW instances, gap to the best-known solutions
(BKS).

    python benchmarks/literature.py --suite solomon [--time-limit 5] [--instances 'C1*']
                                    [--solvers dispatch_opt,ortools,pyvrp] [--seed 0]

Every instance is converted by `dispatch_opt.format.literature` under the BKS convention
(DIMACS 2021: distance = travel time = Euclidean truncated to one decimal, capacity and windows
hard) and solved by each solver, one after the other, with the same time budget:

- `dispatch_opt`: `dispatch_opt.solve` on the scenario (its defaults: greedy start, guided local
search);
- `ortools`: plain OR-Tools routing on the same instance, written directly with pywrapcp: distances
  and times in integer tenths (exact), time dimension with service times and slack, capacity
  dimension, default first-solution strategy, GUIDED_LOCAL_SEARCH, every customer mandatory;
- `pyvrp` (when installed): PyVRP's `Model` with the same integer tenths, `MaxRuntime`.

Every plan, whichever solver made it, is rebuilt as a contract-v1 plan and verified with
`dispatch_opt.check`; a plan with violations or unserved customers is a failure, not a result.
Writes `benchmarks/results/literature-<suite>-<date>.csv` and `.md` (gap per instance, mean per
class).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import fnmatch
import os
import platform
import re
import statistics
import subprocess
import time
import traceback
from pathlib import Path

import dispatch_opt as do
from dispatch_opt.format.literature import (
    Instance,
    plan_distance,
    plan_from_routes,
    plan_routes,
    read_bks,
    read_instance,
    to_scenario,
)

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench"
SUITES = {"solomon": ("solomon", "*.txt"), "gh200": ("gh200", "*.vrp")}
CLASSES = ("C1", "C2", "R1", "R2", "RC1", "RC2")
FIELDS = [
    "suite",
    "instance",
    "class",
    "customers",
    "fleet",
    "bks_cost",
    "bks_vehicles",
    "solver",
    "time_limit_s",
    "wall_s",
    "status",
    "served",
    "vehicles",
    "distance",
    "gap_pct",
    "violations",
    "detail",
]


def instance_class(name: str) -> str:
    m = re.match(r"(RC|R|C)(\d)", name.upper())
    return f"{m.group(1)}{m.group(2)}" if m else "?"


# ------------------------------------------------------------------ solvers: each returns routes of
# ticket ids


def solve_dispatch_opt(
    inst: Instance, scenario: dict, time_limit: float, seed: int, first_solution: str | None = None
) -> tuple[list[list[str]], str]:
    params = do.SolveParams(time_limit_s=time_limit, seed=seed)
    if first_solution:
        params = do.SolveParams(time_limit_s=time_limit, seed=seed, first_solution=first_solution)
    plan = do.solve(do.load_scenario(scenario), params)
    return plan_routes(plan), "; ".join(plan.notes)


def solve_ortools(
    inst: Instance, scenario: dict, time_limit: float, seed: int
) -> tuple[list[list[str]], str]:
    """Plain OR-Tools routing, default settings but for guided local search and the time limit."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n, dist = len(inst.x), inst.tenths()
    service = [round(10 * s) for s in inst.service]
    manager = pywrapcp.RoutingIndexManager(n, inst.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)

    def distance(i: int, j: int) -> int:
        return dist[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def travel_and_service(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return service[a] + dist[a][b]

    def demand(i: int) -> int:
        return inst.demand[manager.IndexToNode(i)]

    arc = routing.RegisterTransitCallback(distance)
    routing.SetArcCostEvaluatorOfAllVehicles(arc)
    horizon = round(10 * inst.due[0])
    routing.AddDimension(
        routing.RegisterTransitCallback(travel_and_service), horizon, horizon, False, "Time"
    )
    time_dim = routing.GetDimensionOrDie("Time")
    for node in range(1, n):
        time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(
            round(10 * inst.ready[node]), round(10 * inst.due[node])
        )
    for v in range(inst.vehicles):
        for index in (routing.Start(v), routing.End(v)):
            time_dim.CumulVar(index).SetRange(round(10 * inst.ready[0]), horizon)
    routing.AddDimensionWithVehicleCapacity(
        routing.RegisterUnaryTransitCallback(demand),
        0,
        [inst.capacity] * inst.vehicles,
        True,
        "Capacity",
    )
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(time_limit * 1000))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        status = routing_enums_pb2.RoutingSearchStatus.Value.Name(routing.status())
        why = (
            ": no first solution within the time limit" if status == "ROUTING_FAIL_TIMEOUT" else ""
        )
        return [], f"no solution ({status}{why})"
    routes = []
    for v in range(inst.vehicles):
        index, route = solution.Value(routing.NextVar(routing.Start(v))), []
        while not routing.IsEnd(index):
            route.append(str(manager.IndexToNode(index)))
            index = solution.Value(routing.NextVar(index))
        routes.append(route)
    return [r for r in routes if r], ""


def solve_pyvrp(
    inst: Instance, scenario: dict, time_limit: float, seed: int
) -> tuple[list[list[str]], str]:
    """PyVRP (hybrid genetic search) on the same integer tenths."""
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    n, dist = len(inst.x), inst.tenths()

    def ten(v: float) -> int:
        return round(10 * v)

    m = Model()
    locs = [m.add_location(x=inst.x[i], y=inst.y[i]) for i in range(n)]
    depot = m.add_depot(locs[0], tw_early=ten(inst.ready[0]), tw_late=ten(inst.due[0]))
    m.add_vehicle_type(
        num_available=inst.vehicles,
        capacity=[inst.capacity],
        start_depot=depot,
        end_depot=depot,
        tw_early=ten(inst.ready[0]),
        tw_late=ten(inst.due[0]),
    )
    for i in range(1, n):
        m.add_client(
            locs[i],
            delivery=[inst.demand[i]],
            service_duration=ten(inst.service[i]),
            tw_early=ten(inst.ready[i]),
            tw_late=ten(inst.due[i]),
            name=str(i),
        )
    for i in range(n):
        for j in range(n):
            if i != j:
                m.add_edge(locs[i], locs[j], distance=dist[i][j], duration=dist[i][j])
    result = m.solve(stop=MaxRuntime(time_limit), seed=seed, display=False)
    best = result.best
    detail = "" if best.is_feasible() else "best solution infeasible"
    names = [
        c.name for c in m.clients
    ]  # activity idx counts clients only; the name is the customer number
    return [[names[a.idx] for a in r if a.is_client()] for r in best.routes()], detail


SOLVERS = {"dispatch_opt": solve_dispatch_opt, "ortools": solve_ortools, "pyvrp": solve_pyvrp}


# ------------------------------------------------------------------ one run


def run_one(suite: str, path: Path, solver: str, time_limit: float, seed: int) -> dict:
    inst = read_instance(path)
    scenario = to_scenario(inst)
    bks_routes, bks = read_bks(path.with_suffix(".sol"))
    row = {
        "suite": suite,
        "instance": path.stem,
        "class": instance_class(path.stem),
        "customers": inst.n_customers,
        "fleet": inst.vehicles,
        "bks_cost": bks,
        "bks_vehicles": len(bks_routes),
        "solver": solver,
        "time_limit_s": time_limit,
        "served": 0,
        "vehicles": "",
        "distance": "",
        "gap_pct": "",
        "violations": "",
        "detail": "",
    }
    t0 = time.monotonic()
    base, _, option = solver.partition(
        ":"
    )  # dispatch_opt:PATH_CHEAPEST_ARC picks its first solution
    try:
        routes, detail = SOLVERS[base](
            inst, scenario, time_limit, seed, *([option] if option else [])
        )
    # a crash of one solver on one instance is a result to report, not a stop (any exception)
    except Exception as exc:
        row.update(
            wall_s=round(time.monotonic() - t0, 2),
            status="error",
            detail=f"{type(exc).__name__}: {exc}",
        )
        traceback.print_exc()
        return row
    row["wall_s"] = round(time.monotonic() - t0, 2)
    if not routes:
        row.update(status="no_solution", detail=detail or "no routes")
        return row
    plan = plan_from_routes(scenario, routes)
    result = do.check(do.load_scenario(scenario), plan)
    served = result.kpis["served"]
    distance = plan_distance(scenario, plan)
    row.update(
        served=served,
        vehicles=len(routes),
        distance=round(distance, 1),
        violations=len(result.violations),
        gap_pct=round(100 * (distance - bks) / bks, 2),
        detail=detail,
    )
    if result.violations:
        row.update(
            status="infeasible", detail=(detail + "; " if detail else "") + result.violations[0]
        )
    elif served < inst.n_customers:
        row.update(
            status="unserved",
            detail=(detail + "; " if detail else "")
            + f"{inst.n_customers - served} customers not served",
        )
    else:
        row["status"] = "ok"
    return row


# ------------------------------------------------------------------ reports


def _mean(values: list[float]) -> str:
    return f"{statistics.fmean(values):.2f}" if values else "-"


def summary(rows: list[dict], solvers: list[str]) -> list[dict]:
    """Per class and solver: instances, failures, mean gap % and mean vehicles over the ok ones."""
    out = []
    classes = [c for c in CLASSES if any(r["class"] == c for r in rows)] + ["all"]
    for c in classes:
        mine = [r for r in rows if c == "all" or r["class"] == c]
        line = {"class": c, "instances": len({r["instance"] for r in mine})}
        bks_veh = {r["instance"]: r["bks_vehicles"] for r in mine}
        line["bks_vehicles"] = _mean(list(bks_veh.values()))
        for s in solvers:
            runs = [r for r in mine if r["solver"] == s]
            ok = [r for r in runs if r["status"] == "ok"]
            line[f"{s}_gap"] = _mean([r["gap_pct"] for r in ok])
            line[f"{s}_vehicles"] = _mean([r["vehicles"] for r in ok])
            line[f"{s}_failures"] = len(runs) - len(ok)
        out.append(line)
    # the means above are over each solver's own successes; this row compares like with like
    names = {r["instance"] for r in rows}
    common = [
        n
        for n in names
        if all(
            any(r["instance"] == n and r["solver"] == s and r["status"] == "ok" for r in rows)
            for s in solvers
        )
    ]
    if len(common) < len(names):
        mine = [r for r in rows if r["instance"] in common]
        line = {
            "class": "all solved by every solver",
            "instances": len(common),
            "bks_vehicles": _mean([r["bks_vehicles"] for r in mine if r["solver"] == solvers[0]]),
        }
        for s in solvers:
            ok = [r for r in mine if r["solver"] == s]
            line.update(
                {
                    f"{s}_gap": _mean([r["gap_pct"] for r in ok]),
                    f"{s}_failures": 0,
                    f"{s}_vehicles": _mean([r["vehicles"] for r in ok]),
                }
            )
        out.append(line)
    return out


def markdown(
    suite: str,
    rows: list[dict],
    solvers: list[str],
    args: argparse.Namespace,
    total_s: float,
    date: str,
) -> str:
    summ = summary(rows, solvers)
    lines = [
        f"# Literature benchmark: {suite}, {date}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} "
        f"{platform.python_version()}; solvers run one after the other, {args.time_limit:g} s per "
        f"instance per "
        f"solver, seed {args.seed}; solver wall time {total_s / 60:.1f} min in all"
        + (f"; code {args.commit}" if getattr(args, "commit", "") else "")
        + ". "
        f"Command: `python benchmarks/literature.py --suite {suite} --time-limit "
        f"{args.time_limit:g}"
        + (f" --instances '{args.instances}'" if args.instances else "")
        + f" --solvers {','.join(solvers)}"
        + (f" --tag {args.tag}" if args.tag else "")
        + "`.",
        "",
        (
            "Convention of the best-known solutions (DIMACS 2021 VRPTW): distance = travel time = "
            "Euclidean "
            "distance truncated to one decimal; capacity and time windows hard; objective total "
            "distance, any "
            "number of vehicles up to the fleet. Gap = (distance - BKS) / BKS in %. Every plan is "
            "rebuilt as a "
            "contract-v1 plan and verified by `dispatch_opt.check`; a plan with violations or "
            "unserved customers "
            "counts as a failure and is left out of the mean gap."
        ),
        "",
        "## Mean gap to BKS per class (%), over the instances solved without failure",
        "",
        "| class | instances | BKS vehicles | "
        + " | ".join(f"{s} gap | {s} vehicles | {s} failures" for s in solvers)
        + " |",
        "|---|---|---|" + "---|---|---|" * len(solvers),
    ]
    for line in summ:
        lines.append(
            f"| {line['class']} | {line['instances']} | {line['bks_vehicles']} | "
            + " | ".join(
                f"{line[f'{s}_gap']} | {line[f'{s}_vehicles']} | {line[f'{s}_failures']}"
                for s in solvers
            )
            + " |"
        )
    lines += [
        "",
        "## Per instance",
        "",
        "| instance | BKS | BKS veh. | "
        + " | ".join(f"{s} distance | gap % | veh." for s in solvers)
        + " |",
        "|---|---|---|" + "---|---|---|" * len(solvers),
    ]
    by = {(r["instance"], r["solver"]): r for r in rows}
    for name in sorted({r["instance"] for r in rows}, key=_natural):
        first = next(r for r in rows if r["instance"] == name)
        cells = []
        for s in solvers:
            r = by.get((name, s))
            if r is None:
                cells.append("- | - | -")
            elif r["status"] != "ok":
                cells.append(f"**{r['status']}** | - | {r['vehicles'] or '-'}")
            else:
                cells.append(f"{r['distance']:.1f} | {r['gap_pct']:.2f} | {r['vehicles']}")
        lines.append(
            f"| {name} | {first['bks_cost']:.1f} | {first['bks_vehicles']} | "
            + " | ".join(cells)
            + " |"
        )
    failures = [r for r in rows if r["status"] != "ok"]
    lines += ["", "## Failures", ""]
    lines += [
        f"- {r['instance']} / {r['solver']}: {r['status']}: {r['detail']}" for r in failures
    ] or ["None."]
    return "\n".join(lines) + "\n"


def _commit() -> str:
    """The commit measured (`-dirty` when the work tree differs from it)."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def _natural(name: str) -> list:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", choices=sorted(SUITES), default="solomon")
    ap.add_argument("--time-limit", type=float, default=5.0, help="seconds per instance per solver")
    ap.add_argument(
        "--instances", default=None, help="glob on instance names, e.g. 'C1*' or 'R10[1-3]'"
    )
    ap.add_argument(
        "--solvers",
        default="dispatch_opt,ortools",
        help=f"comma-separated, of {','.join(SOLVERS)}; dispatch_opt:STRATEGY sets its "
        f"first_solution",
    )
    ap.add_argument(
        "--tag", default="", help="suffix of the result files, e.g. 'pca' for a variant run"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bench", type=Path, default=BENCH, help="folder with solomon/ and gh200/")
    ap.add_argument("--out-dir", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="CSV",
        help="only rewrite the markdown summary of an earlier run's CSV",
    )
    args = ap.parse_args()
    if args.report:
        report_from_csv(args.report, args)
        return
    solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    unknown = [
        s
        for s in solvers
        if s.partition(":")[0] not in SOLVERS or (":" in s and not s.startswith("dispatch_opt:"))
    ]
    if unknown:
        ap.error(f"unknown solver(s) {unknown}; choose from {list(SOLVERS)}")
    folder, pattern = SUITES[args.suite]
    paths = sorted((args.bench / folder).glob(pattern), key=lambda p: _natural(p.stem))
    if args.instances:
        paths = [p for p in paths if fnmatch.fnmatch(p.stem.upper(), args.instances.upper())]
    if not paths:
        raise SystemExit(
            f"no instances in {args.bench / folder} matching {args.instances or pattern}"
        )
    print(
        f"{args.suite}: {len(paths)} instances x {len(solvers)} solvers at {args.time_limit:g} s; "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        flush=True,
    )
    args.commit = _commit()
    rows, t0, width = [], time.monotonic(), max(len(s) for s in solvers)
    for path in paths:
        for solver in solvers:
            row = run_one(args.suite, path, solver, args.time_limit, args.seed)
            rows.append(row)
            gap = f"{row['gap_pct']:+6.2f}%" if row["status"] == "ok" else row["status"]
            print(
                f"{row['instance']:10s} {solver:{width}s} {gap:>10s} dist {row['distance']!s:>8s} "
                f"(BKS {row['bks_cost']:.1f}) veh {row['vehicles']!s:>3s}/{row['bks_vehicles']} "
                f"{row['wall_s']:.1f} s {row['detail'][:80]}",
                flush=True,
            )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    stem = (
        args.out_dir
        / f"literature-{args.suite}-{dt.date.today()}{'-' + args.tag if args.tag else ''}"
    )
    with open(stem.with_suffix(".csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    report(rows, solvers, args, stem, str(dt.date.today()))
    print(f"({(time.monotonic() - t0) / 60:.1f} min in all)")


def report(
    rows: list[dict], solvers: list[str], args: argparse.Namespace, stem: Path, date: str
) -> None:
    """Write the markdown summary beside the CSV and print the per-class table."""
    suite = rows[0]["suite"]
    stem.with_suffix(".md").write_text(
        markdown(suite, rows, solvers, args, sum(r["wall_s"] for r in rows), date)
    )
    print("\nmean gap to BKS (%) per class, over instances without failure; failures in brackets")
    print(f"{'class':6s} {'n':>3s} " + " ".join(f"{s:>{max(20, len(s))}s}" for s in solvers))
    for line in summary(rows, solvers):
        print(
            f"{line['class'].replace('all solved by every solver', 'common'):6s} "
            f"{line['instances']:3d} "
            + " ".join(
                f"{line[f'{s}_gap']:>{max(14, len(s) - 6)}s} ({line[f'{s}_failures']:2d})"
                for s in solvers
            )
        )
    print(f"wrote {stem.with_suffix('.csv')} and {stem.with_suffix('.md')}")


def report_from_csv(path: Path, args: argparse.Namespace) -> None:
    """Rewrite the markdown of an earlier run from its CSV, without solving again."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k in ("customers", "fleet", "bks_vehicles", "served", "vehicles", "violations"):
            r[k] = int(r[k]) if r[k] != "" else ""
        for k in ("bks_cost", "time_limit_s", "wall_s", "distance", "gap_pct"):
            r[k] = float(r[k]) if r[k] != "" else ""
    solvers = list(dict.fromkeys(r["solver"] for r in rows))
    m = re.match(r"literature-[^-]+-(\d{4}-\d{2}-\d{2})-?(.*)", path.stem)
    args.time_limit, args.tag = rows[0]["time_limit_s"], (m.group(2) if m else "")
    report(rows, solvers, args, path.with_suffix(""), m.group(1) if m else str(dt.date.today()))


if __name__ == "__main__":
    main()

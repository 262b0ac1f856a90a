"""`dispatch-opt`: solve, check and validate from the shell.

Exit codes: 0 success, 2 invalid input (one line per problem), 1 internal
error or a plan that breaks a hard rule. No tracebacks unless --debug.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from .engine import search
from .engine.params import Progress, SolveParams
from .evaluation.checker import check as check_plan
from .evaluation.diff import diff_plans
from .format.events import apply_events
from .format.io import load_plan, load_scenario, plan_problems, read_json, save_plan
from .format.plan import Plan
from .format.scenario import Scenario, ScenarioError
from .realtime import advance as advance_plan
from .realtime import offer_slots, overdue_visits
from .realtime.slots import HORIZON_DAYS, MAX_SLOTS, SLOT_MINUTES
from .scale import solve as solve_scenario
from .service.cli import add_service_commands

DEFAULTS = SolveParams()  # the options' defaults are the library's
out = Console(highlight=False, width=None if sys.stdout.isatty() else 110)
err = Console(stderr=True, highlight=False)


def _guard(fn):
    """Turn input problems into exit 2 and anything unexpected into exit 1, without a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, debug: bool = False, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ScenarioError as exc:
            for line in exc.problems:
                err.print(f"error: {line}", markup=False, soft_wrap=True)
            sys.exit(2)
        except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
            if debug:
                raise
            err.print(
                f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)",
                markup=False,
            )
            sys.exit(1)

    return click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")(
        wrapper
    )


@click.group()
@click.version_option(package_name="dispatch-opt")
def main() -> None:
    """Plan field-service tickets onto engineers' shifts (contract v1 JSON in and out)."""


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    "plan_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Plan JSON to write.",
)
@click.option(
    "--time-limit",
    default=DEFAULTS.time_limit_s,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds of search (0 with --previous: keep the previous plan, insert new work, no "
    "search).",
)
@click.option(
    "--seed",
    default=DEFAULTS.seed,
    show_default=True,
    type=int,
    help="Search seed (tie-breaking order).",
)
@click.option(
    "--previous",
    "previous_path",
    type=click.Path(dir_okay=False),
    help="A re-plan: the plan in force; tickets stay with their engineer and near their promised "
    "times.",
)
@click.option(
    "--events",
    "events_path",
    type=click.Path(dir_okay=False),
    help="Events JSON (a list) to apply to SCENARIO first; the state after them is written beside "
    "the plan.",
)
@click.option(
    "--workers",
    default=DEFAULTS.workers,
    show_default=True,
    type=click.IntRange(min=0),
    help="Worker processes (Dask; 0: one per core): territories, or a portfolio of seeds.",
)
@click.option(
    "--scheduler",
    help="Address of a running Dask scheduler (e.g. tcp://10.0.0.5:8786) to solve on.",
)
@click.option(
    "--split-above",
    default=DEFAULTS.split_above,
    show_default=True,
    type=click.IntRange(min=0),
    help="Scenarios with more tickets than this are split into territories.",
)
@click.option(
    "--territory-tickets",
    default=DEFAULTS.territory_tickets,
    show_default=True,
    type=click.IntRange(min=10),
    help="Territory size, when a scenario is split.",
)
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@_guard
def solve(
    scenario: str,
    plan_path: str,
    time_limit: float,
    seed: int,
    previous_path: str | None,
    events_path: str | None,
    workers: int,
    scheduler: str | None,
    split_above: int,
    territory_tickets: int,
    quiet: bool,
) -> None:
    """Plan SCENARIO and write the plan; print a summary a planner can read (and, with --previous,
    what changed)."""
    sc = load_scenario(scenario)
    # the plan in force is one for the scenario as given (events may cancel tickets it holds)
    previous = load_plan(previous_path, sc, what="--previous plan") if previous_path else None
    if events_path:
        sc = apply_events(sc, read_json(events_path, "events"))
        state = Path(plan_path).with_suffix(".scenario.json")
        state.write_text(json.dumps(sc.to_dict(), indent=1) + "\n", encoding="utf-8")
        if not quiet:
            out.print(f"scenario after the events written to {state}")
    if time_limit == 0 and previous is None:
        raise ScenarioError(
            ["--time-limit 0 needs --previous (there is nothing to keep); fix: give a time limit"]
        )
    params = SolveParams(
        time_limit_s=time_limit,
        seed=seed,
        workers=workers,
        scheduler=scheduler,
        split_above=split_above,
        territory_tickets=territory_tickets,
    )
    if not quiet and not search.compiled_before():
        out.print(
            "compiling the search core (once after install: about a minute on an idle machine, "
            "several under load)..."
        )
    search.ready()
    if out.is_terminal and not quiet:
        with out.status("solving...") as status:

            def show(p: Progress) -> None:
                status.update(
                    f"solving: {p.elapsed_s:5.1f} s of {time_limit:g}, {p.planned}/{p.tickets} "
                    f"tickets "
                    f"planned, objective {p.objective:,}"
                )

            plan = solve_scenario(sc, params, previous=previous, on_progress=show)
    else:
        plan = solve_scenario(sc, params, previous=previous)
    if previous is not None:  # not silently: say which planned visits were not reported
        plan.notes += overdue_visits(sc, previous)
    save_plan(plan, plan_path)
    result = check_plan(sc, plan)
    if not quiet:
        print_summary(sc, plan)
        if previous is not None:
            out.print(
                f"changes: {diff_plans(previous, plan, params.eta_tolerance_min)}", markup=False
            )
        out.print(
            f"plan written to {plan_path}; checker: "
            + ("all hard rules kept" if result.ok else f"{len(result.violations)} violation(s)")
        )
    if not result.ok:
        for v in result.violations:
            err.print(f"violation: {v}", markup=False)
        sys.exit(1)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.argument("plan", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    "json_path",
    type=click.Path(dir_okay=False),
    help="Also write the verdict as JSON (ok, violations, KPIs recomputed) for programs.",
)
@_guard
def check(scenario: str, plan: str, json_path: str | None) -> None:
    """Check PLAN against SCENARIO: every hard rule, and the KPIs recomputed."""
    sc = load_scenario(scenario)
    raw = read_json(plan, "plan")
    problems = plan_problems(raw)  # the form only: what the plan says is the checker's business
    if problems:
        raise ScenarioError(problems)
    result = check_plan(sc, raw)
    if json_path:
        _write_json(
            json_path,
            {
                "ok": result.ok,
                "violations": [str(v) for v in result.violations],
                "kpis": result.kpis,
            },
        )
    for v in result.violations:
        out.print(f"VIOLATION {v}", markup=False)
    k = result.kpis
    out.print(
        f"{k.get('served', 0)}/{k.get('tickets', 0)} tickets served, "
        f"travel {k.get('travel_min', 0):,.0f} min "
        f"({k.get('distance_km', 0):,.1f} km); "
        + ("plan OK" if result.ok else f"{len(result.violations)} violation(s)")
    )
    sys.exit(0 if result.ok else 1)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.argument("plan", type=click.Path(dir_okay=False))
@click.argument("ticket", type=click.Path(dir_okay=False))
@click.option(
    "--slot-minutes",
    default=SLOT_MINUTES,
    show_default=True,
    type=click.IntRange(min=1),
    help="Length of a window.",
)
@click.option(
    "--days",
    "horizon_days",
    default=HORIZON_DAYS,
    show_default=True,
    type=click.IntRange(min=1),
    help="How far ahead.",
)
@click.option("--max-slots", default=MAX_SLOTS, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--rank", type=click.Choice(["earliest", "cost"]), default="earliest", show_default=True
)
@click.option(
    "-o",
    "--output",
    "json_path",
    type=click.Path(dir_okay=False),
    help="Also write the offer as JSON (slots with their windows, and the reason) for programs.",
)
@_guard
def slots(
    scenario: str,
    plan: str,
    ticket: str,
    slot_minutes: int,
    horizon_days: int,
    max_slots: int,
    rank: str,
    json_path: str | None,
) -> None:
    """Appointment windows to offer for TICKET (a contract ticket, JSON) given the PLAN in force."""
    sc = load_scenario(scenario)
    offer = offer_slots(
        sc,
        load_plan(plan, sc),
        read_json(ticket, "ticket"),
        slot_minutes,
        horizon_days,
        max_slots,
        rank,
    )
    if offer.slots:
        table = Table("window", "engineer", "added travel", "added cost")
        for s in offer.slots:
            table.add_row(
                f"{s.start:%a %d %b %H:%M}-{s.end:%H:%M}",
                s.engineer,
                f"{s.added_travel_min:g} min",
                f"{s.added_cost:g}",
            )
        out.print(table)
    if offer.reason:
        out.print(offer.reason, markup=False)
    if json_path:
        _write_json(json_path, offer.to_dict())
        out.print(f"offer written to {json_path}")
    sys.exit(0 if offer.slots else 1)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.argument("plan", type=click.Path(dir_okay=False))
@click.option("--to", "to", required=True, help="The moment to carry the plan out to (local time).")
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="Scenario JSON to write."
)
@_guard
def advance(scenario: str, plan: str, to: str, output: str) -> None:
    """Carry PLAN out up to --to: the scenario at that moment (work done, started, en route)."""
    sc = load_scenario(scenario)
    state = advance_plan(sc, load_plan(plan, sc), to)
    Path(output).write_text(json.dumps(state.to_dict(), indent=1) + "\n", encoding="utf-8")
    counts = {s: sum(1 for t in state.tickets if t.status == s) for s in ("done", "started")}
    out.print(
        f"{output}: the scenario at {state.now:%Y-%m-%d %H:%M}; {counts['done']} tickets done, "
        f"{counts['started']} started"
    )


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@_guard
def validate(scenario: str) -> None:
    """Validate SCENARIO against contract v1 and say what it holds."""
    sc = load_scenario(scenario)
    shifts = sum(len(e.shifts) for e in sc.engineers)
    out.print(
        f"{scenario}: valid ({len(sc.engineers)} engineers, {shifts} shifts, "
        f"{len(sc.live_tickets)} live tickets, "
        f"{len(sc.depots)} depots; tiers {', '.join(sc.tiers)}"
        + (f"; {len(sc.faults)} fault types" if sc.faults else "")
        + ")"
    )


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.argument("plan", type=click.Path(dir_okay=False))
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="HTML file to write."
)
@_guard
def report(scenario: str, plan: str, output: str) -> None:
    """Write a self-contained HTML report (map, schedule, KPIs, unassigned) of PLAN for SCENARIO."""
    from .presentation.report import write_report

    sc = load_scenario(scenario)
    try:
        write_report(sc, load_plan(plan, sc), output)
    except ImportError as exc:  # the [viz] extra is not installed
        raise ScenarioError([f"report: {exc}"]) from None
    out.print(f"report written to {output}")


@main.command()
@click.option(
    "--preset",
    help="Start from a bundled preset (small, medium, medium-roads, large, overload, multiday, "
    "maintenance-week, realtime) or network (1,000 engineers, 10,000 tickets in seven service "
    "centres).",
)
@click.option("--engineers", type=click.IntRange(min=1))
@click.option("--tickets", type=click.IntRange(min=1))
@click.option("--days", type=click.IntRange(min=1))
@click.option("--seed", type=int)
@click.option(
    "--travel",
    type=click.Choice(["haversine", "matrix"]),
    help="Straight lines, or the road network.",
)
@click.option(
    "--city",
    help="A city to start from: bologna (round), milan, rome, florence, turin (a north-south "
    "strip), genoa, naples (on the coast).",
)
@click.option("--centre", help="Centre of a city of one's own, LAT,LON (e.g. 48.8566,2.3522).")
@click.option("--radius", type=click.FloatRange(min=0.5), help="Radius of the demand, km.")
@click.option(
    "--grid", type=click.FloatRange(min=0.1, max=5), help="Street spacing of the road network, km."
)
@click.option(
    "--all", "every_preset", is_flag=True, help="Write every bundled preset into the folder -o."
)
@click.option("-o", "--output", required=True, type=click.Path())
@_guard
def generate(
    preset, engineers, tickets, days, seed, travel, city, centre, radius, grid, every_preset, output
) -> None:
    """Write a synthetic scenario: a preset (network: several service centres), or a city sized
    by the options; with --all, every bundled preset (the files in scenarios/)."""
    from .synthetic import generate_from_options, to_json, write_presets

    if every_preset:
        Path(output).mkdir(parents=True, exist_ok=True)
        for name, path in write_presets(output).items():
            out.print(f"{name}: {path} ({path.stat().st_size:,} bytes)")
        return

    where = None
    if centre is not None:
        try:
            lat, lon = (float(x) for x in centre.split(","))
        except ValueError:
            raise ScenarioError(
                [f"centre: got {centre!r}; fix: give LAT,LON in degrees, e.g. 45.46,9.19"]
            ) from None
        where = (lat, lon)
    sc = generate_from_options(
        preset=preset,
        engineers=engineers,
        tickets=tickets,
        days=days,
        seed=seed,
        travel=travel,
        city=city,
        centre=where,
        radius_km=radius,
        road_spacing_km=grid,
    )
    text = to_json(sc)
    Path(output).write_text(text, encoding="utf-8")
    out.print(
        f"{output}: {sc['name']}, {len(sc['engineers'])} engineers, {len(sc['tickets'])} tickets, "
        f"{sc.get('travel', {}).get('model', 'haversine')} travel, {len(text.encode()) / 1e6:.1f} "
        f"MB"
    )


@main.command()
@click.argument("document", type=click.Choice(["scenario", "plan", "events"]))
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: print)."
)
@_guard
def schema(document: str, output: str | None) -> None:
    """Write the JSON Schema of a scenario, a plan or a list of events (docs/format.md says what
    each field means; `validate` checks more than a schema can: ids, overlaps, references)."""
    from .format.schema import json_schema

    text = json.dumps(json_schema(document), indent=1) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    Path(output).write_text(text, encoding="utf-8")
    out.print(f"{output}: the JSON Schema of a {document}")


@main.command(name="import")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="Scenario JSON to write."
)
@_guard
def import_(instance: str, output: str) -> None:
    """Turn a Solomon .txt or VRPLIB .vrp VRPTW instance into a scenario (DIMACS convention)."""
    from .format.literature import import_instance

    try:
        sc = import_instance(instance)
    except (OSError, ValueError) as exc:
        raise ScenarioError(
            [f"{instance}: {exc}; fix: give a Solomon .txt or VRPLIB .vrp VRPTW instance"]
        ) from None
    Path(output).write_text(json.dumps(sc) + "\n", encoding="utf-8")
    out.print(
        f"{output}: {sc['name']}, {len(sc['engineers'])} vehicles, {len(sc['tickets'])} customers"
    )


def _write_json(path: str, data: dict) -> None:
    Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def print_summary(sc: Scenario, plan: Plan) -> None:
    k = plan.kpis
    table = Table(
        title=f"{sc.name}: {k['served']}/{k['tickets']} tickets planned", title_justify="left"
    )
    for col in (
        "SLA tier",
        "tickets",
        "served",
        "on time",
        "late (min, total)",
        "worst late (min)",
    ):
        table.add_column(col, justify="left" if col == "SLA tier" else "right")
    for name, t in k["tiers"].items():
        table.add_row(
            name,
            str(t["tickets"]),
            str(t["served"]),
            str(t["on_time"]),
            f"{t['late_total_min']:,.0f}",
            f"{t['late_max_min']:,.0f}",
        )
    out.print(table)
    used = [e for e in k["engineers"].values() if e["visits"]]
    util = sum(e["utilisation"] for e in used) / len(used) if used else 0.0
    out.print(
        f"travel {k['travel_min']:,.0f} min, {k['distance_km']:,.1f} km; "
        f"{len(used)}/{len(sc.engineers)} engineers busy, mean utilisation {util:.0%}, "
        f"overtime {k['overtime_min']:,.0f} min; on duty (departure to return) "
        f"{k['on_duty_min']:,.0f} min, of which idle {k['idle_min']:,.0f} min; "
        f"solved in {k.get('solve_s', 0):.1f} s (setup {k.get('setup_s', 0):.2f} s)"
    )
    for line in kpi_lines(k):
        out.print(line, markup=False, soft_wrap=True)
    if plan.unassigned:
        out.print(f"unassigned ({len(plan.unassigned)}):")
        for u in plan.unassigned:
            out.print(
                f"  {u.ticket} [{sc.ticket(u.ticket).priority}]: {u.reason}",
                markup=False,
                soft_wrap=True,
            )
    for note in plan.notes:
        out.print(f"note: {note}", markup=False)


def kpi_lines(k: dict) -> list[str]:
    """The management KPIs in a few short lines: response times, workload, follow-ups, faults."""
    lines = []
    tiers = k.get("response", {}).get("tiers", {})
    served = {n: r for n, r in tiers.items() if r["served"]}
    if served:
        lines.append(
            "response, call to on site (median/p90/worst min, within promise): "
            + "; ".join(
                f"{n} {r['median_min']:,.0f}/{r['p90_min']:,.0f}/{r['worst_min']:,.0f} "
                f"{r['within_promise']}/{r['served']}"
                for n, r in served.items()
            )
        )
    w = k.get("workload")
    if w and w["engineer_days"]:
        lines.append(
            f"working minutes per engineer-day (service + travel): {w['min_min']:,.0f} to "
            f"{w['max_min']:,.0f}, mean {w['mean_min']:,.0f} (CV {w['cv']:.2f}) over "
            f"{w['engineer_days']} engineer-days"
        )
    p = k.get("preferred")
    if p:
        lines.append(
            f"with their preferred engineer: {p['kept']}/{p['tickets']} tickets "
            f"({p['kept_share']:.0%})"
        )
    faults = k.get("faults")
    if faults:
        shown = list(faults.items())
        lines.append(
            "fault types (tickets, planned): "
            + ", ".join(f"{n} {f['tickets']} ({f['served']})" for n, f in shown[:8])
            + (f" and {len(shown) - 8} more" if len(shown) > 8 else "")
        )
    return lines


# serve, db upgrade, keys: defined with the service; only click is imported until one runs
add_service_commands(main, _guard, out)

if __name__ == "__main__":
    main()

"""The plan summary a planner reads on the command line: per tier served and on time, why the
late visits are late, travel and overtime, the management KPIs, and every unassigned ticket with
its reason. Written to a rich Console given by the caller; `words` puts the core's fix hints in
the reader's terms (the CLI's flags)."""

from __future__ import annotations

import re
from typing import Callable

from rich.console import Console
from rich.table import Table

from ..evaluation.lateness import CAUSES, count_causes, late_causes
from ..format.plan import Plan
from ..format.scenario import Scenario

# The core's fix hints name Python parameters (what a Python user types); on the command line the
# same hint names the flag. Only these identifiers are translated, never prose.
CLI_WORDS = {
    "time_limit_s": "--time-limit",
    "horizon_days": "--days",
    "slot_minutes": "--slot-minutes",
    "max_slots": "--max-slots",
    "workers=": "--workers",
    "split_above": "--split-above",
    "territory_tickets": "--territory-tickets",
    "iterations": "--rounds",
    "advance(scenario, plan, now)": "--advance",
}
_CLI_WORDS = re.compile("|".join(re.escape(w) for w in CLI_WORDS))


def for_cli(text: str) -> str:
    """A message from the core, with its Python parameter names as the flags one types here."""
    return _CLI_WORDS.sub(lambda m: CLI_WORDS[m.group(0)], text)


def print_summary(
    out: Console,
    sc: Scenario,
    plan: Plan,
    skip_notes: list | None = None,
    words: Callable[[str], str] = str,
) -> None:
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
    late = late_lines(sc, plan)
    if late:
        out.print(late, markup=False, soft_wrap=True)
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
                f"  {u.ticket} [{sc.ticket(u.ticket).priority}]: {words(u.reason)}",
                markup=False,
                soft_wrap=True,
            )
    for note in plan.notes:
        if note not in (skip_notes or []):
            out.print(f"note: {words(note)}", markup=False)


def late_lines(sc: Scenario, plan: Plan) -> str:
    """Why late, per tier: so a tier whose windows open after its deadlines does not read as a
    planning failure."""
    counts = count_causes(late_causes(sc, plan.routes), sc)
    if not counts:
        return ""
    return "why late: " + "; ".join(
        f"{tier} {sum(c.values())} late ("
        + ", ".join(f"{CAUSES[code]}: {n}" for code, n in c.items())
        + ")"
        for tier, c in counts.items()
    )


def kpi_lines(k: dict) -> list[str]:
    """The management KPIs in a few short lines: response times, workload, crews, follow-ups,
    preferred engineers, faults."""
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
    c = k.get("crews")
    if c:
        lines.append(
            f"crew visits (engineers on site together): {c['visits']}/{c['tickets']} served, "
            f"{c['crew_hours']:,.1f} crew-hours (engineers x hours on site)"
        )
    f = k.get("follow_ups")
    if f:
        lines.append(
            f"follow-ups: {f['planned']}/{f['tickets']} planned, {f['within_lag']} within their "
            f"lag (and with the same engineer where asked)"
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

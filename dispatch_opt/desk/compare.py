"""Plans side by side: each judged against its own scenario, solved on a round budget so that the
same question gives the same table on every run.

Why rounds: a search stopped by the clock does as many rounds as the machine allows in that time,
so two runs differ (and a what-if's effect cannot be told from that noise). Stopped after a fixed
number of rounds, the same scenario and seed give the same plan, byte for byte.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

from ..engine.params import SolveParams
from ..evaluation.diff import diff_plans
from ..evaluation.kpis import build_kpis
from ..format.plan import Plan
from ..format.scenario import Scenario

DEFAULT_ROUNDS = 2000  # small (50 tickets): well under a second; 450 tickets: a few seconds
SAFETY_LIMIT_S = 3600.0  # the clock only guards against a runaway; rounds stop the search


def repeatable_params(rounds: int = DEFAULT_ROUNDS, seed: int = 0, **settings) -> SolveParams:
    """SolveParams that stop the search after `rounds` rounds (not a time limit): the same
    scenario and seed give the same plan on every run. OR-Tools' polish, which only stops on the
    clock, is left out. `settings`: any other SolveParams field."""
    settings.setdefault("time_limit_s", SAFETY_LIMIT_S)
    return SolveParams(iterations=rounds, ruin_share=1.0, seed=seed, **settings)


def stopped_by_clock(plan: Plan, params: SolveParams) -> bool:
    """Whether the search stopped on the clock before its rounds (then the plan may differ from
    run to run)."""
    done = plan.kpis.get("search", {}).get("rounds")
    return params.iterations is not None and done is not None and done < params.iterations


def what_if(
    base: Scenario,
    variants: dict[str, Scenario],
    *,
    base_plan: Plan | None = None,
    rounds: int = DEFAULT_ROUNDS,
    seed: int = 0,
    from_base: bool = False,
    solve: Callable | None = None,
) -> dict[str, tuple[Scenario, Plan]]:
    """Plan the base (unless `base_plan` is given) and every variant on a budget of `rounds`
    search rounds: {"base": (base, plan), name: (variant, plan), ...}, ready for `compare`.

    By default each variant is planned from scratch, like the base: the fair comparison (each
    plan as good as the same budget makes it), but the search lays the routes out anew, so many
    tickets change hands. `from_base=True`: each variant is a re-plan of the base plan (as during
    the day): tickets keep their engineer and promised start (`SolveParams.eta_tolerance_min`)
    unless moving pays (`move_cost_min`): the answer to "what must change in the plan in force".
    Each plan's notes say how it was solved."""
    if solve is None:
        from ..scale import solve
    params = repeatable_params(rounds, seed)
    out: dict[str, tuple[Scenario, Plan]] = {}
    if base_plan is None:
        base_plan = _solved(solve, base, params, None)
    out["base"] = (base, base_plan)
    for name, scenario in variants.items():
        if name in out:
            raise ValueError(f"variants: {name!r} is taken by the base plan; fix: rename it")
        out[name] = (scenario, _solved(solve, scenario, params, base_plan if from_base else None))
    return out


def _solved(solve, scenario: Scenario, params: SolveParams, previous: Plan | None) -> Plan:
    plan = solve(scenario, params, previous=previous)
    how = f"solved on a budget of {params.iterations} rounds (seed {params.seed})"
    if stopped_by_clock(plan, params):
        plan.notes.append(
            f"{how}, but the clock stopped it after {plan.kpis['search']['rounds']}: another run "
            f"may differ; fix: fewer rounds"
        )
    else:
        plan.notes.append(f"{how}: the same scenario gives the same plan on every run")
    return plan


def compare(plans: dict[str, tuple[Scenario, Plan]]) -> pd.DataFrame:
    """One row per figure, one column per plan, each plan judged against its own scenario: tickets,
    served and unassigned; served, on time and late minutes per SLA tier; travel, overtime and
    mean utilisation; and, against the first plan, the tickets that changed hands (planned in both
    with another engineer), newly unassigned and newly planned. `attrs["changed_hands"]` lists
    those tickets per plan; `do.diff(first, other)` tells each one's story."""
    if not plans:
        raise ValueError("plans: empty; fix: give {name: (scenario, plan), ...}")
    names = list(plans)
    first = plans[names[0]][1]
    columns, changed = {}, {}
    tiers = list(dict.fromkeys(t for sc, _ in plans.values() for t in sc.tiers))
    for name, (scenario, plan) in plans.items():
        figures = flat_kpis(scenario, plan, tiers)
        d = diff_plans(first, plan, scenario=scenario)
        changed[name] = d.changed_hands
        figures |= {
            "changed hands": len(d.changed_hands),
            "newly unassigned": len(d.newly_unassigned),
            "newly planned": len(d.tickets("planned")),
            "search rounds": plan.kpis.get("search", {}).get("rounds"),
        }
        columns[name] = figures
    table = pd.DataFrame(columns).rename_axis("kpi")
    table.attrs["changed_hands"] = changed
    return table


def flat_kpis(scenario: Scenario, plan: Plan, tiers: list[str] | None = None) -> dict:
    """The figures `compare` shows for one plan, against its own scenario."""
    k = build_kpis(scenario, plan)
    out = {"tickets": k["tickets"], "served": k["served"], "unassigned": k["unassigned"]}
    for tier in tiers or list(scenario.tiers):
        v = k["tiers"].get(tier, {"served": 0, "on_time": 0, "late_total_min": 0.0})
        out |= {
            f"{tier} served": v["served"],
            f"{tier} on time": v["on_time"],
            f"{tier} late min": v["late_total_min"],
        }
    # over the engineers who work at all: one off for the whole plan has no shift to use
    util = [e["utilisation"] for e in k["engineers"].values() if e["shift_min"]]
    return out | {
        "travel_min": k["travel_min"],
        "distance_km": k["distance_km"],
        "overtime_min": k["overtime_min"],
        "mean utilisation": round(sum(util) / len(util), 3) if util else 0.0,
    }

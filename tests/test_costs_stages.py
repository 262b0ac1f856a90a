"""With paid time the search runs in two stages (search.improve.improve_in_stages): the first is
the travel-only search, first plan included; the second shortens days but never makes a plan its
best that serves fewer, or fewer on time, in any tier than the first stage's plan (issue 20: on
the bundled medium, paid time must not cost a visit or an SLA met). Searches stop on rounds."""

from __future__ import annotations

from conftest import assert_valid, by_rounds
from test_costs import SHORT, spread_city

import dispatch_opt as do
from dispatch_opt.engine import solve as solve_module
from dispatch_opt.engine.eligibility import compute_eligibility
from dispatch_opt.engine.objective import on_time_per_tier, weigh
from dispatch_opt.engine.problem import ProblemData
from dispatch_opt.engine.search import improve as staged
from dispatch_opt.engine.search.construct import first_state
from dispatch_opt.engine.search.improve import StopRule, floor_of, improve, recost, travel_alone
from dispatch_opt.engine.search.routes import RouteState
from dispatch_opt.synthetic import CityParams, generate_scenario

ON_DUTY_ONLY = {"travel_per_min": 0, "on_duty_per_min": 1}


def city(engineers: int, tickets: int, seed: int, costs: dict | None = None) -> dict:
    raw = generate_scenario(CityParams(engineers=engineers, tickets=tickets, seed=seed))
    if costs is not None:
        raw["costs"] = costs
    return raw


def after_the_first_stage(raw: dict, rounds: int = 200) -> tuple[ProblemData, RouteState]:
    """The problem with the scenario's costs and the routes of a travel-only search on it."""
    sc = do.load_scenario(raw)
    p = ProblemData(sc, compute_eligibility(sc), do.SolveParams())
    with travel_alone(p):
        s, _ = first_state(p)
        improve(p, s, StopRule(rounds=rounds), seed=0)
    recost(p, s)
    return p, s


def copy_of(s: RouteState) -> RouteState:
    return RouteState(*(x.copy() for x in s))


def test_unguarded_paid_time_gives_up_a_visit_on_time_and_the_floor_keeps_it():
    # 5 engineers, 40 tickets, paid by the hour: from the travel-only plan, a search on the
    # scenario's costs alone ends with one low-tier visit fewer on time (waiting saved outweighs
    # a few minutes late); with the floor of the plan it starts from, the best it keeps has as
    # many served and on time in every tier
    p, s = after_the_first_stage(city(5, 40, 0, ON_DUTY_ONLY))
    floor = floor_of(p, s)
    free = copy_of(s)
    improve(p, free, StopRule(rounds=200), seed=1)
    lost = floor_of(p, free)
    assert (lost[0] == floor[0]).all() and (lost[1] < floor[1]).any()  # the case is real
    guarded = copy_of(s)
    improve(p, guarded, StopRule(rounds=200), seed=1, floor=floor)
    kept = floor_of(p, guarded)
    assert (kept[0] <= floor[0]).all() and (kept[1] >= floor[1]).all()


def test_the_floor_holds_wherever_the_second_stage_starts():
    for engineers, tickets, seed in ((3, 20, 3), (8, 80, 2), (8, 80, 4), (8, 80, 5)):
        p, s = after_the_first_stage(city(engineers, tickets, seed, ON_DUTY_ONLY))
        floor = floor_of(p, s)
        improve(p, s, StopRule(rounds=200), seed=1, floor=floor)
        kept = floor_of(p, s)
        assert (kept[0] <= floor[0]).all() and (kept[1] >= floor[1]).all()


def sequences(plan: do.Plan) -> dict[str, list[str]]:
    return {r.engineer: [st.ticket for st in r.visits] for r in plan.routes}


def test_the_first_stage_is_the_travel_only_search(monkeypatch):
    # the whole search given to the first stage: paid time then changes no route, so the first
    # plan and every round of the first stage are the travel-only search's
    monkeypatch.setattr(staged, "FIRST", 1.0)
    raw = city(5, 40, 1)
    alone = do.solve(do.load_scenario(raw), by_rounds(300, seed=2))
    paid = do.solve(do.load_scenario({**raw, "costs": ON_DUTY_ONLY}), by_rounds(300, seed=2))
    assert sequences(paid) == sequences(alone)


def rigged_polish(monkeypatch) -> None:
    """OR-Tools' plan weighs less than the search core's (same tickets, cost 1 lower) but has one
    fewer visit on time in the first tier."""
    weighed: list = []
    counted: list = []

    def lighter(p, seqs, skip=frozenset()):
        missed, cost = weigh(p, seqs, skip)
        weighed.append((missed, cost))
        return (missed, cost) if len(weighed) == 1 else (weighed[0][0], weighed[0][1] - 1)

    def fewer(p, seqs):
        real = on_time_per_tier(p, seqs)
        counted.append(real)
        return real if len(counted) == 1 else (real[0] - 1, *real[1:])

    monkeypatch.setattr(solve_module, "weigh", lighter)
    monkeypatch.setattr(solve_module, "on_time_per_tier", fewer)


def test_with_paid_time_a_polish_with_fewer_visits_on_time_is_not_kept(monkeypatch):
    rigged_polish(monkeypatch)
    raw = {**spread_city(), "costs": ON_DUTY_ONLY}
    plan = do.solve(do.load_scenario(raw), do.SolveParams(time_limit_s=SHORT, ruin_share=0.5))
    assert_valid(raw, plan)
    assert any("serves fewer on time" in n for n in plan.notes), plan.notes


def test_without_paid_time_the_lighter_polish_is_kept(monkeypatch):
    rigged_polish(monkeypatch)
    raw = spread_city()
    plan = do.solve(do.load_scenario(raw), do.SolveParams(time_limit_s=SHORT, ruin_share=0.5))
    assert_valid(raw, plan)
    assert any("OR-Tools' polish kept" in n for n in plan.notes), plan.notes

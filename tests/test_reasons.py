"""Every reason code for a ticket left out of a plan, each in the exact situation it names
(reasons.py): van stock-out, a depot pick-up that does not fit, shifts full with higher tiers, and
the clock. Each is told from the plan left behind, so the code is the same with or without
search."""

from __future__ import annotations

import pytest
from conftest import ROOT, assert_valid, at, engineer, reason, scenario, solve_checked, ticket

import dispatch_opt as do
from dispatch_opt.engine.eligibility import compute_eligibility
from dispatch_opt.engine.reasons import CODES, left_out

BUDGETS = [0, 1]  # the insertion path alone, and a short search


def _solve(raw, seconds):
    if seconds == 0:
        plan = do.solve(do.load_scenario(raw), do.SolveParams(time_limit_s=0))
        assert_valid(raw, plan)
        return plan
    return solve_checked(raw, time_limit_s=seconds)


def _stock_out() -> dict:
    """One pump on the van, no depot: the emergency gets it, the low ticket cannot be served."""
    return scenario(
        [engineer("E1", van={"pump": 1})],
        [
            ticket("URGENT", 1, 0, priority="emergency", parts={"pump": 1}),
            ticket("LOW", 2, 0, priority="low", parts={"pump": 1}),
        ],
    )


@pytest.mark.parametrize("seconds", BUDGETS)
def test_a_van_out_of_a_part_with_no_depot_to_refill_is_a_stock_out(seconds):
    plan = _solve(_stock_out(), seconds)
    u = reason(plan, "LOW")
    assert u.code == "stock", u
    assert "pump" in u.reason and "fix:" in u.reason


@pytest.mark.parametrize("seconds", BUDGETS)
def test_a_part_only_a_far_depot_holds_is_a_depot_pick_up_that_does_not_fit(seconds):
    raw = scenario(
        [engineer("E1", shifts=(("08:00", "10:00"),))],
        [ticket("T1", 1, 0, parts={"pump": 1})],
        depots=[{"id": "W1", "location": {"x": 300, "y": 0}, "parts": {"pump": 5}}],
    )
    u = reason(_solve(raw, seconds), "T1")
    assert u.code == "depot", u
    assert "part 'pump'" in u.reason and "fix:" in u.reason


@pytest.mark.parametrize("seconds", BUDGETS)
def test_a_tool_only_a_far_depot_holds_is_a_depot_pick_up_that_does_not_fit(seconds):
    raw = scenario(
        [engineer("E1", shifts=(("08:00", "10:00"),))],
        [ticket("T1", 1, 0, tools=["recovery_unit"])],
        depots=[{"id": "W1", "location": {"x": 300, "y": 0}, "tools": ["recovery_unit"]}],
    )
    u = reason(_solve(raw, seconds), "T1")
    assert u.code == "depot" and "tool 'recovery_unit'" in u.reason, u


@pytest.mark.parametrize("seconds", BUDGETS)
def test_a_ticket_left_out_for_a_higher_tier_in_a_full_shift_is_capacity(seconds):
    raw = scenario(
        [engineer("E1", shifts=(("08:00", "09:00"),))],
        [
            ticket("HIGH", 1, 0, priority="urgent", duration=40),
            ticket("LOW", 1, 1, priority="low", duration=40),
        ],
    )
    plan = _solve(raw, seconds)
    u = reason(plan, "LOW")
    assert u.code == "capacity" and "E1" in u.reason, u


def _plan_and_eligibility(raw):
    sc = do.load_scenario(raw)
    return sc, compute_eligibility(sc), do.solve(sc, do.SolveParams(time_limit_s=0))


def test_the_clock_is_blamed_only_for_tickets_that_more_time_could_serve():
    """When the time limit cut the work, a ticket with all it needs in hand is `time_limit`; a
    stock-out stays a stock-out, since no time limit would serve it."""
    sc, el, plan = _plan_and_eligibility(_stock_out())
    out = {u.ticket: u for u in left_out(sc, el, ["LOW", "URGENT"], [], timed_out=True)}
    assert out["URGENT"].code == "time_limit" and "--time-limit" in out["URGENT"].reason
    out = {u.ticket: u for u in left_out(sc, el, ["LOW"], plan.routes, timed_out=True)}
    assert out["LOW"].code == "stock"


def test_a_restock_in_the_plan_counts_as_stock_on_the_van_and_off_the_depot():
    _, _, plan = _plan_and_eligibility(_stock_out())  # URGENT alone, on the van's pump
    raw = _stock_out()
    raw["depots"] = [{"id": "W1", "location": {"x": 5, "y": 0}, "parts": {"pump": 1}}]
    sc, el, _ = _plan_and_eligibility(raw)
    # the depot's only pump still there: LOW could be fed by a pick-up
    (u,) = left_out(sc, el, ["LOW"], plan.routes, timed_out=False)
    assert u.code == "depot"
    route = plan.routes[0]
    pick_up = do.Stop("restock", route.depart, route.depart, depot="W1", parts={"pump": 1})
    taken = [
        do.Route(route.engineer, route.shift, [pick_up, *route.stops], route.depart, route.return_)
    ]
    # ... picked up and used by URGENT's van: LOW finds one pump on the van, in hand
    (u,) = left_out(sc, el, ["LOW"], taken, timed_out=False)
    assert u.code == "capacity"


def test_every_code_is_documented_in_the_format_guide():
    guide = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    for code in CODES:
        assert f"`{code}`" in guide, code


# ---------------------------------------------------------------- the codes from eligibility

ONE_SHIFT = (("08:00", "10:00"),)
ELIGIBILITY = {
    # code: (engineers, the ticket left out, words its reason must hold)
    "skill": ([engineer("E1")], ticket("T1", 1, 0, skills=["boiler"]), ["boiler"]),
    "engineer": (
        [engineer("E1"), engineer("E2", shifts=())],
        ticket("T1", 1, 0, engineer="E2"),
        ["E2", "fix:"],
    ),
    "tool": ([engineer("E1")], ticket("T1", 1, 0, tools=["recovery_unit"]), ["recovery_unit"]),
    "part": ([engineer("E1", van={"pump": 1})], ticket("T1", 1, 0, parts={"pump": 2}), ["pump"]),
    "window": (
        [engineer("E1", shifts=ONE_SHIFT)],
        ticket("T1", 1, 0, windows=[{"start": "2026-11-30T14:00", "end": "2026-11-30T15:00"}]),
        ["14:00", "fix:"],
    ),
    "reach": ([engineer("E1", shifts=ONE_SHIFT)], ticket("T1", 200, 0), ["too far"]),
    "frozen": (
        [engineer("E1", shifts=ONE_SHIFT, position={"x": 0, "y": 0})],
        ticket("T1", 1, 0, duration=600, status="started", engineer="E1"),
        ["E1", "fix:"],
    ),
}


@pytest.mark.parametrize("code", list(ELIGIBILITY))
def test_each_eligibility_code_in_its_exact_situation(code):
    engineers, left_out_ticket, words = ELIGIBILITY[code]
    raw = scenario(engineers, [left_out_ticket], now=at("08:00"))
    plan = do.solve(do.load_scenario(raw), do.SolveParams(time_limit_s=0))
    u = reason(plan, "T1")
    assert u.code == code, u
    assert all(w in u.reason for w in words), u.reason

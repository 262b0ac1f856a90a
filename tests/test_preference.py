"""A follow-up goes back to its preferred engineer when that costs little (SolveParams
preference_min, 30 minutes by default), and not when it would make an emergency late.

Geometry: planar km at 60 km/h, so a ticket at x=10 is 10 minutes' drive from an engineer at 0."""

import pytest
from conftest import at, engineer, scenario, served_by, solve_checked, ticket

import dispatch_opt as do


@pytest.mark.parametrize("time_limit_s", [0, 1])
def test_a_follow_up_goes_to_its_preferred_engineer_when_that_costs_a_few_minutes(time_limit_s):
    raw = scenario(
        [engineer("E1", 0, 0), engineer("E2", 6, 0)],
        [ticket("T1", 2, 0, preferred_engineer="E2")],  # E1 is 4 minutes nearer each way
    )
    plan = solve_checked(raw, time_limit_s=time_limit_s)
    assert served_by(plan) == {"T1": "E2"}
    assert plan.kpis["preferred"]["kept"] == 1


def test_the_preference_is_dropped_when_it_would_cost_more_than_it_is_worth():
    raw = scenario(
        [engineer("E1", 0, 0), engineer("E2", 40, 0)],
        [ticket("T1", 2, 0, preferred_engineer="E2")],  # 76 minutes more driving with E2
    )
    assert served_by(solve_checked(raw)) == {"T1": "E1"}
    kept = do.solve(do.load_scenario(raw), do.SolveParams(time_limit_s=1, preference_min=120))
    assert served_by(kept) == {"T1": "E2"}  # worth two hours: kept


def test_a_preference_never_makes_an_emergency_late():
    # E2 (short shift) can do only one of the two; E1 is 190 minutes away: the emergency would be
    # late with E1, so E2 takes it and the follow-up goes to E1 despite its preference
    raw = scenario(
        [engineer("E1", 200, 0), engineer("E2", 0, 0, shifts=(("08:00", "10:00"),))],
        [
            ticket("X", 10, 0, priority="emergency", duration=90, created=at("07:00")),
            ticket("N", 5, 0, duration=60, preferred_engineer="E2"),
        ],
    )
    plan = solve_checked(raw)
    assert served_by(plan) == {"X": "E2", "N": "E1"}
    assert plan.kpis["tiers"]["emergency"]["on_time"] == 1

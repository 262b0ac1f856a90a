"""A follow-up goes back to its preferred engineer when that costs little (SolveParams
preference_min, 30 minutes by default), and not when it would make an emergency late.

Geometry: planar km at 60 km/h, so a ticket at x=10 is 10 minutes' drive from an engineer at 0."""

import pytest
from conftest import ROUNDS, at, by_rounds, engineer, scenario, served_by, solve_checked, ticket

import dispatch_opt as do


@pytest.mark.parametrize("search", [False, True], ids=["insertion", "search"])
def test_a_follow_up_goes_to_its_preferred_engineer_when_that_costs_a_few_minutes(search):
    raw = scenario(
        [engineer("E1", 0, 0), engineer("E2", 6, 0)],
        [ticket("T1", 2, 0, preferred_engineer="E2")],  # E1 is 4 minutes nearer each way
    )
    plan = solve_checked(raw) if search else solve_checked(raw, time_limit_s=0)
    assert served_by(plan) == {"T1": "E2"}
    assert plan.kpis["preferred"]["kept"] == 1


def test_the_preference_is_dropped_when_it_would_cost_more_than_it_is_worth():
    raw = scenario(
        [engineer("E1", 0, 0), engineer("E2", 40, 0)],
        [ticket("T1", 2, 0, preferred_engineer="E2")],  # 76 minutes more driving with E2
    )
    assert served_by(solve_checked(raw)) == {"T1": "E1"}
    kept = do.solve(do.load_scenario(raw), by_rounds(ROUNDS, preference_min=120))
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


def test_workload_balance_spreads_a_busy_patch_over_two_engineers():
    # eight tickets next to E1; E2 is 15 minutes away. Without balance E1 does them all; at 10
    # minutes per hour out, E2 takes some, at the price of its drive
    engineers = [engineer("E1", 0, 0), engineer("E2", 15, 0)]
    tickets = [ticket(f"T{i}", 1 + i % 2, i // 2) for i in range(8)]
    raw = scenario(engineers, tickets)

    def visits_per_engineer(plan) -> dict[str, int]:
        count = {"E1": 0, "E2": 0}
        for who in served_by(plan).values():
            count[who] += 1
        return count

    alone = visits_per_engineer(solve_checked(raw))
    assert alone == {"E1": 8, "E2": 0}
    sc = do.load_scenario(raw)
    balanced = do.solve(sc, by_rounds(ROUNDS, balance=10))
    assert do.check(sc, balanced).ok
    assert min(visits_per_engineer(balanced).values()) >= 3
    spread = balanced.kpis["workload"]
    assert spread["min_min"] > solve_checked(raw).kpis["workload"]["min_min"]

"""Specification of the management KPIs (`dispatch_opt.evaluation.kpis`, in `plan.kpis`).

One hand-built day, checked by the package checker and the referee: E1 drives 10 min to T1 and
10 min on to T2 (two emergencies, 30 min each) and 20 min home; E2 waits for T3's appointment;
E3 has a shift and nothing to do. Euclidean at 60 km/h: one km is one minute.
"""

from __future__ import annotations

import copy

import pytest
from conftest import ROUNDS, assert_valid, at, by_rounds, engineer, scenario, ticket

import dispatch_opt as do
from dispatch_opt.evaluation.kpis import build_kpis

RAW = scenario(
    [engineer("E1"), engineer("E2"), engineer("E3")],
    [
        ticket("T1", 10, 0, priority="emergency", created=at("07:00"), preferred_engineer="E1"),
        ticket("T2", 20, 0, priority="emergency", created=at("08:00"), zone="city"),
        ticket(
            "T3",
            0,
            5,
            zone="north",
            windows=[{"start": at("09:00"), "end": at("10:00")}],
            preferred_engineer="E1",
        ),
    ],
)


def visit(tid: str, arrival: str, start: str, end: str) -> dict:
    return {
        "type": "visit",
        "ticket": tid,
        "arrival": at(arrival),
        "start": at(start),
        "end": at(end),
    }


PLAN = {
    "format": "dispatch-opt.plan/1",
    "scenario": "tiny",
    "routes": [
        {
            "engineer": "E1",
            "shift": 0,
            "stops": [
                visit("T1", "08:10", "08:10", "08:40"),
                visit("T2", "08:50", "08:50", "09:20"),
            ],
            "depart": at("08:00"),
            "return": at("09:40"),
            "travel_min": 40,
            "distance_km": 40,
        },
        {
            "engineer": "E2",
            "shift": 0,
            "stops": [visit("T3", "08:05", "09:00", "09:30")],
            "depart": at("08:00"),
            "return": at("09:35"),
            "travel_min": 10,
            "distance_km": 10,
        },
    ],
    "unassigned": [],
}


@pytest.fixture(scope="module")
def plan() -> do.Plan:
    sc = do.load_scenario(copy.deepcopy(RAW))
    p = do.Plan.from_dict(PLAN, sc)
    p.kpis = build_kpis(sc, p)
    assert_valid(RAW, p)
    return p


def test_response_time_runs_from_the_call_to_the_engineer_on_site_per_tier(plan):
    emergency = plan.kpis["response"]["tiers"]["emergency"]
    # T1 called 07:00, on site 08:10 (70 min); T2 called 08:00, on site 08:50 (50 min)
    assert emergency == {
        "tickets": 2,
        "served": 2,
        "median_min": 60.0,
        "p90_min": 68.0,
        "worst_min": 70.0,
        "within_promise": 2,
        "within_promise_share": 1.0,
    }


def test_response_time_counts_arrival_not_the_start_after_waiting_for_the_window(plan):
    normal = plan.kpis["response"]["tiers"]["normal"]
    assert normal["worst_min"] == 20 * 60 + 5  # called the day before at 12:00, on site 08:05


def test_tiers_without_tickets_are_left_out_and_zones_include_tickets_without_one(plan):
    response = plan.kpis["response"]
    assert list(response["tiers"]) == ["emergency", "normal"]
    assert {z: v["served"] for z, v in response["zones"].items()} == {
        "(none)": 1,
        "city": 1,
        "north": 1,
    }


def test_a_late_arrival_is_outside_the_promise():
    raw = copy.deepcopy(RAW)
    raw["tickets"][0]["created"] = at("04:00")  # promise 4 h: on site by 08:00, arrived 08:10
    sc = do.load_scenario(raw)
    kpis = build_kpis(sc, do.Plan.from_dict(PLAN, sc))
    emergency = kpis["response"]["tiers"]["emergency"]
    assert (emergency["within_promise"], emergency["within_promise_share"]) == (1, 0.5)
    assert emergency["worst_min"] == 250.0


def test_the_engineer_table_adds_service_and_travel_and_counts_visits_on_time(plan):
    e1, e3 = plan.kpis["engineers"]["E1"], plan.kpis["engineers"]["E3"]
    assert (e1["visits"], e1["service_min"], e1["travel_min"], e1["working_min"]) == (
        2,
        60.0,
        40.0,
        100.0,
    )
    assert (e1["on_time"], e1["on_time_share"], e1["overtime_min"]) == (2, 1.0, 0.0)
    assert (e3["visits"], e3["working_min"], e3["on_time_share"]) == (0, 0.0, None)


def test_engineers_frame_is_the_engineer_table_one_row_each(plan):
    frame = plan.engineers_frame()
    assert frame["engineer"].tolist() == ["E1", "E2", "E3"]
    assert frame.set_index("engineer").loc["E2", "working_min"] == 40.0
    with pytest.raises(ValueError, match="needs the scenario"):
        do.Plan.from_dict(PLAN).engineers_frame()


def test_workload_spread_counts_an_idle_engineer_day_as_zero(plan):
    # working minutes per engineer-day: E1 100, E2 40, E3 0
    assert plan.kpis["workload"] == {
        "engineer_days": 3,
        "min_min": 0.0,
        "mean_min": pytest.approx(46.7),
        "max_min": 100.0,
        "cv": pytest.approx(0.881, abs=0.001),
    }


def test_follow_ups_kept_with_their_preferred_engineer_are_counted(plan):
    # T1 prefers E1 and has E1; T3 prefers E1 but has E2
    assert plan.kpis["preferred"] == {"tickets": 2, "served": 2, "kept": 1, "kept_share": 0.5}


def test_without_preferences_or_fault_types_those_kpis_are_absent(plan):
    raw = copy.deepcopy(RAW)
    for t in raw["tickets"]:
        t.pop("preferred_engineer", None)
    sc = do.load_scenario(raw)
    kpis = build_kpis(sc, do.Plan.from_dict(PLAN, sc))
    assert "preferred" not in kpis and "faults" not in kpis
    assert "faults" not in plan.kpis


def test_a_solved_plan_carries_the_same_kpis():
    solved = do.solve(do.load_scenario(copy.deepcopy(RAW)), by_rounds(ROUNDS))
    assert_valid(RAW, solved)
    assert solved.kpis["response"]["tiers"]["emergency"]["served"] == 2
    assert solved.kpis["preferred"]["tickets"] == 2
    assert solved.kpis["workload"]["engineer_days"] == 3


def test_a_plan_without_arrival_times_counts_response_to_the_start():
    plan = copy.deepcopy(PLAN)
    for r in plan["routes"]:
        for s in r["stops"]:
            s.pop("arrival")
    sc = do.load_scenario(copy.deepcopy(RAW))
    kpis = build_kpis(sc, do.Plan.from_dict(plan, sc))
    assert kpis["response"]["tiers"]["normal"]["worst_min"] == 21 * 60  # T3 started at 09:00

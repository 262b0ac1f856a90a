"""End to end: bundled scenarios through the API and the CLI, verified by both checkers."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import BACKSTOP_S, ROOT, assert_valid, by_rounds, cli

import dispatch_opt as do
from dispatch_opt.synthetic import CityParams, generate_scenario

SCENARIOS = ROOT / "scenarios"


@pytest.mark.parametrize("name", ["small", "medium"])
def test_bundled_scenario_solves_to_a_plan_that_keeps_every_hard_rule(name):
    raw = json.loads((SCENARIOS / f"{name}.json").read_text())
    plan = do.solve(do.load_scenario(raw), by_rounds(500))
    assert_valid(raw, plan)
    k = plan.kpis
    assert k["tiers"]["emergency"]["served"] == k["tiers"]["emergency"]["tickets"]
    assert k["served"] >= 0.85 * k["tickets"]
    assert any(u.code == "skill" and "solar_inverter" in u.reason for u in plan.unassigned)
    assert k["search"]["rounds"] == 500


def test_or_tools_polishes_the_search_cores_plan_as_the_model_of_record():
    """After the search core's rounds, OR-Tools searches on from its plan (the model of record) in
    the rest of the time limit. With greedy descent instead of guided local search it stops at a
    local optimum of its own, not on the clock, so the test is exact."""
    raw = generate_scenario(CityParams(engineers=4, tickets=20, seed=1))  # breaks, parts, skills
    params = by_rounds(200, ruin_share=0.5, metaheuristic="GREEDY_DESCENT")
    plan = do.solve(do.load_scenario(raw), params)
    assert_valid(raw, plan)
    assert plan.kpis["status"] == "solved" and "objective" in plan.kpis
    alone = do.solve(do.load_scenario(raw), by_rounds(200))  # the search core's plan
    assert "objective" not in alone.kpis
    assert plan.kpis["served"] >= alone.kpis["served"]


def test_plan_round_trips_through_json_and_offers_tabular_views():
    sc = do.load_scenario(SCENARIOS / "small.json")
    plan = do.solve(sc, by_rounds(200))
    again = do.load_plan(plan.to_json(), sc)
    assert again.to_dict() == plan.to_dict()
    stops, routes = plan.stops_frame(), plan.routes_frame()
    assert len(stops[stops.type == "visit"]) == plan.kpis["served"]
    assert routes["visits"].sum() == plan.kpis["served"]
    assert set(plan.unassigned_frame().ticket) == {u.ticket for u in plan.unassigned}


def test_scenario_from_planner_tables():
    engineers = pd.DataFrame(
        [
            {
                "id": "E1",
                "lat": 44.49,
                "lon": 11.34,
                "shift_start": "2026-11-30T08:00",
                "shift_end": "2026-11-30T17:00",
                "skills": "washer,boiler",
                "van_pump": 1,
            },
            {
                "id": "E2",
                "lat": 44.50,
                "lon": 11.30,
                "shift_start": "2026-11-30T08:00",
                "shift_end": "2026-11-30T17:00",
                "skills": "fridge",
                "van_pump": 0,
            },
        ]
    )
    tickets = pd.DataFrame(
        [
            {
                "id": "T1",
                "lat": 44.495,
                "lon": 11.345,
                "created": "2026-11-29T10:00",
                "priority": "urgent",
                "duration_min": 45,
                "skills": "washer",
                "part_pump": 1,
            },
            {
                "id": "T2",
                "lat": 44.505,
                "lon": 11.305,
                "created": "2026-11-29T10:00",
                "priority": "normal",
                "duration_min": 30,
                "skills": "fridge",
                "window_start": "2026-11-30T13:00",
                "window_end": "2026-11-30T15:00",
            },
        ]
    )
    sc = do.scenario_from_frames(engineers, tickets, name="export")
    assert sc.engineer("E1").van == {"pump": 1} and sc.ticket("T1").parts == {"pump": 1}
    plan = do.solve(sc, by_rounds(100))
    assert {s.ticket: r.engineer for r in plan.routes for s in r.visits} == {"T1": "E1", "T2": "E2"}


def _cli(*args: str) -> subprocess.CompletedProcess:
    """The command line in a process of its own, as a shell starts it (the other CLI tests run it
    in this process: conftest.cli)."""
    return subprocess.run(
        [sys.executable, "-m", "dispatch_opt.cli", *args], capture_output=True, text=True, cwd=ROOT
    )


def test_cli_solves_checks_and_validates(tmp_path: Path):
    plan_path = tmp_path / "plan.json"
    # a short limit, asserting only what the plan holds (until the CLI takes a round count)
    run = _cli("solve", str(SCENARIOS / "small.json"), "-o", str(plan_path), "--rounds", "200")
    assert run.returncode == 0, run.stderr
    assert (
        "tickets planned" in run.stdout
        and "emergency" in run.stdout
        and "solar_inverter" in run.stdout
    )
    assert json.loads(plan_path.read_text())["format"] == "dispatch-opt.plan/1"
    check = cli("check", SCENARIOS / "small.json", plan_path)
    assert check.returncode == 0 and "plan OK" in check.stdout
    assert cli("validate", SCENARIOS / "medium.json").returncode == 0


def test_cli_check_exits_1_on_a_broken_plan(tmp_path: Path):
    sc = do.load_scenario(SCENARIOS / "small.json")
    plan = do.solve(sc, by_rounds(100)).to_dict()
    visit = next(s for r in plan["routes"] for s in r["stops"] if s["type"] == "visit")
    visit["end"] = visit["start"]  # service shorter than the ticket's duration
    (tmp_path / "broken.json").write_text(json.dumps(plan))
    run = cli("check", SCENARIOS / "small.json", tmp_path / "broken.json")
    assert run.returncode == 1 and visit["ticket"] in run.stdout


def test_cli_reports_a_missing_file_as_invalid_input(tmp_path: Path):
    run = cli("solve", tmp_path / "nope.json", "-o", tmp_path / "p.json")
    assert run.returncode == 2 and "Traceback" not in run.stderr and "nope.json" in run.stderr


def test_the_first_plan_alone_plans_most_of_a_busy_day():
    """The greedy first plan, before any search, already serves most tickets: so a short time
    limit still gives a useful plan (how fast the first plan is ready: benchmarks/)."""
    sc = do.load_scenario(SCENARIOS / "medium.json")
    plan = do.solve(sc, do.SolveParams(time_limit_s=0))
    assert plan.kpis["status"] == "inserted without search"
    assert do.check(sc, plan).ok
    assert plan.kpis["served"] >= 0.85 * plan.kpis["tickets"]


def test_an_or_tools_first_solution_strategy_can_be_chosen_instead_of_the_greedy():
    raw = generate_scenario(CityParams(engineers=4, tickets=20, seed=1))
    # OR-Tools alone searches on the clock with guided local search; greedy descent stops at a
    # local optimum of its own, well inside the time limit, so the plan is exact
    plan = do.solve(
        do.load_scenario(raw),
        do.SolveParams(
            time_limit_s=BACKSTOP_S,
            first_solution="PARALLEL_CHEAPEST_INSERTION",
            metaheuristic="GREEDY_DESCENT",
        ),
    )
    assert_valid(raw, plan)
    assert plan.kpis["served"] >= 0.9 * plan.kpis["tickets"]
    assert "search" not in plan.kpis  # OR-Tools alone: no search core


def test_a_time_limit_too_short_for_the_search_still_returns_the_greedy_plan():
    """Out of time before OR-Tools restores its start: the greedy plan is returned as it is, frozen
    work kept."""
    sc = do.load_scenario(SCENARIOS / "realtime.json")
    plan = do.solve(sc, do.SolveParams(time_limit_s=0.2))
    assert do.check(sc, plan).ok
    assert plan.kpis["served"] > 0 and {u.code for u in plan.unassigned} <= {
        "skill",
        "reach",
        "capacity",
        "time_limit",
        "stock",  # a part ran out on the vans and no depot refills it
        "depot",  # a depot pick-up that fits no day
    }


def test_progress_is_reported_from_the_first_plan_on_and_ends_with_the_plan_returned():
    sc = do.load_scenario(generate_scenario(CityParams(engineers=8, tickets=60, seed=2)))
    reports: list[do.Progress] = []
    # the search core alone (OR-Tools' polish left out): it reports too, not only OR-Tools
    plan = do.solve(sc, by_rounds(300), on_progress=reports.append)
    assert len(reports) >= 2  # the first plan, then at least one better one
    assert [p.elapsed_s for p in reports] == sorted(p.elapsed_s for p in reports)
    assert reports[-1].planned == plan.kpis["served"]

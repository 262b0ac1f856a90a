"""Specification of the integration edges: JSON beside every table the CLI prints for people,
and planner tables whose coordinates are one text column in any format geopy reads."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import assert_valid, at, engineer, scenario, solve_checked, ticket

import dispatch_opt as do
from dispatch_opt.cli import main

DAY_RAW = scenario(
    [engineer("E1", skills=["washer"])],
    [ticket("T1", 5, 0, skills=["washer"]), ticket("T2", 8, 0, priority="urgent")],
)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    plan = solve_checked(DAY_RAW, time_limit_s=0.3)
    (d / "sc.json").write_text(json.dumps(DAY_RAW))
    (d / "plan.json").write_text(plan.to_json())
    return d


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_slots_writes_the_offer_as_json_with_each_window_and_engineer(files):
    (files / "caller.json").write_text(json.dumps(ticket("C1", 3, 0, skills=["washer"])))
    res = run(
        "slots",
        files / "sc.json",
        files / "plan.json",
        files / "caller.json",
        "--days",
        "1",
        "-o",
        files / "offer.json",
    )
    assert res.exit_code == 0, res.output
    offer = json.loads((files / "offer.json").read_text())
    assert offer["slots"] and offer["reason"] is None or isinstance(offer["reason"], str)
    first = offer["slots"][0]
    assert set(first) == {"start", "end", "engineer", "shift", "added_travel_min", "added_cost"}
    assert first["engineer"] == "E1" and first["start"].startswith("2026-11-30T")


def test_slots_json_without_a_slot_carries_the_reason(files):
    (files / "boiler.json").write_text(json.dumps(ticket("C2", 3, 0, skills=["boiler"])))
    res = run(
        "slots",
        files / "sc.json",
        files / "plan.json",
        files / "boiler.json",
        "-o",
        files / "none.json",
    )
    assert res.exit_code == 1
    offer = json.loads((files / "none.json").read_text())
    assert offer["slots"] == [] and "boiler" in offer["reason"]


def test_check_writes_its_verdict_as_json(files):
    res = run("check", files / "sc.json", files / "plan.json", "-o", files / "verdict.json")
    assert res.exit_code == 0, res.output
    verdict = json.loads((files / "verdict.json").read_text())
    assert verdict["ok"] is True and verdict["violations"] == []
    assert verdict["kpis"]["served"] == 2


def test_the_solve_summary_shows_response_times_and_workload(files):
    res = run("solve", files / "sc.json", "--time-limit", "0.3", "-o", files / "p2.json")
    assert res.exit_code == 0, res.output
    assert "response, call to on site" in res.output
    assert "working minutes per engineer-day" in res.output
    assert "urgent" in res.output.split("response")[1]


# ---------------------------------------------------------------- one location column


def frames(locations: list[str]):
    engineers = pd.DataFrame(
        [
            {
                "id": "E1",
                "location": locations[0],
                "shift_start": at("08:00"),
                "shift_end": at("17:00"),
            }
        ]
    )
    tickets = pd.DataFrame(
        [
            {
                "id": f"T{i}",
                "location": loc,
                "created": at("07:00"),
                "priority": "normal",
                "duration_min": 30,
            }
            for i, loc in enumerate(locations[1:], 1)
        ]
    )
    return engineers, tickets


def test_a_single_location_column_in_decimal_or_degrees_minutes():
    sc = do.scenario_from_frames(*frames(["44.49, 11.34", "44°29'N 11°20'E", "44.5 11.3"]))
    assert (sc.engineers[0].start.lat, sc.engineers[0].start.lon) == (44.49, 11.34)
    t1 = sc.ticket("T1").location
    assert (round(t1.lat, 4), round(t1.lon, 4)) == (44.4833, 11.3333)
    plan = do.solve(sc, do.SolveParams(time_limit_s=0.2))
    assert_valid(sc.to_dict(), plan)
    assert plan.kpis["served"] == 2


@pytest.mark.parametrize("bad", ["nonsense", "95, 10"])
def test_an_unreadable_location_is_one_line_naming_the_row_and_the_fix(bad):
    with pytest.raises(do.ScenarioError) as info:
        do.scenario_from_frames(*frames(["44.49, 11.34", bad]))
    (line,) = info.value.problems
    assert line.startswith("tickets row 2 (id 'T1').location: got") and "fix:" in line


def test_rows_without_coordinates_say_which_columns_to_give():
    engineers, tickets = frames(["44.49, 11.34", "44.5, 11.3"])
    with pytest.raises(do.ScenarioError, match="give lat and lon columns"):
        do.scenario_from_frames(engineers, tickets.drop(columns=["location"]))


def test_ticket_rows_with_a_fault_type_take_the_rest_from_the_catalogue():
    engineers, tickets = frames(["44.49, 11.34", "44.5, 11.3"])
    tickets = tickets.drop(columns=["duration_min"]).assign(fault="leak", preferred_engineer="E1")
    sc = do.scenario_from_frames(
        engineers.assign(skills="washer"),
        tickets,
        faults={"leak": {"skills": ["washer"], "duration_min": 40}},
    )
    t = sc.ticket("T1")
    assert (t.fault, t.skills, t.duration_min, t.preferred_engineer) == (
        "leak",
        ["washer"],
        40,
        "E1",
    )

"""Documents the engine reads besides scenarios: events, a caller's ticket for slots, a plan given
back. Unknown fields are errors naming the nearest known field; a plan given back must be a
contract plan for this scenario (CONTRACT.md, "Unknown fields")."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
from conftest import ROOT, at, engineer, scenario, ticket

import dispatch_opt as do

RAW = scenario([engineer("E1", skills=["gas"])], [ticket("T1", 3, 4, skills=["gas"])])


def problems(fn, *args, **kwargs) -> list[str]:
    with pytest.raises(do.ScenarioError) as info:
        fn(*args, **kwargs)
    assert all("fix:" in p and "\n" not in p for p in info.value.problems), info.value.problems
    return info.value.problems


def test_a_misspelt_event_field_names_the_nearest_one():
    events = [{"type": "engineer_unavailable", "at": at("10:00"), "engineer": "E1", "untill": 3}]
    (line,) = problems(do.parse_events, events)
    assert "events[0].untill: unknown field; did you mean 'until'?" in line


def test_the_ticket_of_a_new_ticket_event_is_checked_for_unknown_fields():
    new = ticket("T2", 1, 1)
    new["skils"] = ["gas"]
    events = [{"type": "new_ticket", "at": at("10:00"), "ticket": new}]
    (line,) = problems(do.apply_events, do.load_scenario(RAW), events)
    assert "events[0].ticket.skils" in line and "'skills'" in line


def test_x_fields_on_events_pass():
    events = [{"type": "cancel_ticket", "at": at("10:00"), "ticket": "T1", "x_source": "crm"}]
    assert do.apply_events(do.load_scenario(RAW), events).tickets == []


def test_a_misspelt_field_of_a_callers_ticket_is_an_error_not_a_lost_skill():
    sc = do.load_scenario(RAW)
    plan = do.solve(sc, do.SolveParams(time_limit_s=0))
    caller = ticket("C1", 2, 2)
    caller["skils"] = ["gas"]
    (line,) = problems(do.offer_slots, sc, plan, caller)
    assert line.startswith("ticket.skils: unknown field; did you mean 'skills'?")


def _plan_dict() -> dict:
    sc = do.load_scenario(RAW)
    return json.loads(do.solve(sc, do.SolveParams(time_limit_s=0)).to_json())


def test_a_scenario_given_as_a_plan_is_refused():
    (line,) = problems(do.load_plan, copy.deepcopy(RAW), do.load_scenario(RAW))
    assert "plan.format" in line and "a scenario, not a plan" in line


@pytest.mark.parametrize(
    "mutate, wanted",
    [
        (lambda p: p["routes"][0].update(engineer="E9"), ["routes[0].engineer", "'E9'"]),
        (lambda p: p["routes"][0].update(shift=2), ["routes[0].shift", "2"]),
        (lambda p: p["routes"][0]["stops"][0].update(ticket="T9"), ["stops[0].ticket", "'T9'"]),
        (lambda p: p.update(scenario=7), ["plan.scenario", "7"]),
        (
            lambda p: p["routes"][0]["stops"].insert(
                0,
                {
                    **p["routes"][0]["stops"][0],
                    "type": "restock",
                    "depot": "D1",
                    "parts": {"pump": -1e308},
                    "tools": [],
                },
            ),
            ["stops[0].parts.pump", "-1e+308", "whole number"],
        ),
        (
            lambda p: p["routes"][0]["stops"].insert(
                0,
                {
                    **p["routes"][0]["stops"][0],
                    "type": "restock",
                    "depot": "D1",
                    "parts": {"pump": 10**30},
                    "tools": [3],
                },
            ),
            ["stops[0].parts.pump", str(10**30)],
        ),
        (lambda p: p["routes"][0].update(retrun="x"), ["retrun", "did you mean 'return'"]),
        (lambda p: p["routes"][0]["stops"][0].update(start="9 am"), ["stops[0].start", "9 am"]),
        (lambda p: p.update(unassigned=[{"ticket": "T9", "reason": "?"}]), ["unassigned[0]"]),
    ],
)
def test_a_plan_given_back_must_be_one_for_this_scenario(mutate, wanted):
    plan = _plan_dict()
    mutate(plan)
    lines = problems(do.load_plan, plan, do.load_scenario(RAW))
    assert any(all(w in line for w in wanted) for line in lines), lines


def test_a_plan_given_back_is_matched_by_what_it_plans_not_by_name(tmp_path):
    """A copy of the day's scenario saved under another name still takes its plan back: the name
    is a note (the CLI's re-plan runs), the engineers, shifts and tickets must match."""
    plan = _plan_dict()
    plan["scenario"] = "realtime"
    renamed = {**copy.deepcopy(RAW), "name": "realtime-after"}
    back = do.load_plan(plan, do.load_scenario(renamed))
    assert any("made for 'realtime'" in n and "matched" in n for n in back.notes)
    (tmp_path / "sc.json").write_text(json.dumps(renamed))
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    run = _cli(
        "solve",
        str(tmp_path / "sc.json"),
        "--previous",
        str(tmp_path / "plan.json"),
        "--time-limit",
        "0",
        "-o",
        str(tmp_path / "new.json"),
    )
    assert run.returncode == 0, run.stderr


def test_a_plan_with_x_fields_is_read():
    plan = _plan_dict()
    plan["x_made_by"] = "another program"
    plan["routes"][0]["x_van"] = "AB-123"
    assert do.load_plan(plan, do.load_scenario(RAW)).routes[0].engineer == "E1"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dispatch_opt.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_solve_previous_refuses_a_scenario_file_with_exit_2(tmp_path):
    path = tmp_path / "sc.json"
    path.write_text(json.dumps(RAW))
    run = _cli("solve", str(path), "--previous", str(path), "-o", str(tmp_path / "p.json"))
    assert run.returncode == 2, run.stderr
    assert "--previous plan.format" in run.stderr and "Traceback" not in run.stderr


def test_check_refuses_a_plan_with_an_unknown_field_with_exit_2(tmp_path):
    (tmp_path / "sc.json").write_text(json.dumps(RAW))
    plan = _plan_dict()
    plan["unasigned"] = []
    (tmp_path / "p.json").write_text(json.dumps(plan))
    run = _cli("check", str(tmp_path / "sc.json"), str(tmp_path / "p.json"))
    assert run.returncode == 2, run.stdout + run.stderr
    assert "plan.unasigned: unknown field; did you mean 'unassigned'?" in run.stderr

"""Input in one pass: an export's every problem at once (columns, cells and the scenario's own
rules), rows numbered as a spreadsheet shows them, "did you mean" for a near-miss tier, fix hints
in the words the reader types (flags on the command line, parameters in Python), and no message
pointing to a file the project does not ship."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import at, engineer, scenario, ticket

import dispatch_opt as do

ENGINEERS = pd.DataFrame(
    [
        {
            "id": "E1",
            "lat": 44.5,
            "lon": 11.3,
            "shift_start": at("08:00"),
            "shift_end": at("17:00"),
        },
        {
            "id": "E1",
            "lat": 44.5,
            "lon": 11.3,
            "shift_start": "2026-12-01T08:00",
            "shift_end": at("17:00"),
        },  # ends before it starts: a rule of the scenario, row 3
    ]
)
TICKETS = pd.DataFrame(
    [
        {
            "id": "T1",
            "lat": 44.5,
            "lon": 11.31,
            "created": at("07:00"),
            "priority": "Urgent",
            "duration_min": 30,
            "skils": "boiler",
        },
        {
            "id": "T2",
            "lat": 44.5,
            "lon": 11.31,
            "created": at("07:00"),
            "priority": "normal",
            "duration_min": "half an hour",
        },
        {
            "id": "T3",
            "lat": 44.5,
            "lon": 11.31,
            "created": at("07:00"),
            "priority": "normal",
            "duration_min": -5,
        },
    ]
)


def problems_of(*frames) -> list[str]:
    with pytest.raises(do.ScenarioError) as info:
        do.scenario_from_frames(*frames)
    return info.value.problems


def test_every_problem_of_an_export_at_once_in_spreadsheet_rows():
    lines = problems_of(ENGINEERS, TICKETS)
    wanted = [
        "tickets.skils: unknown column; did you mean 'skills'?",  # the column ...
        "tickets row 3 (id 'T2').duration_min: got 'half an hour'",  # ... a bad cell ...
        "tickets row 4 (id 'T3').duration_min: got -5",  # ... the scenario's own rules ...
        "tickets row 2 (id 'T1').priority: got 'Urgent'; not an SLA tier; did you mean 'urgent'?",
        "engineers row 3 (id 'E1').shift_",  # ... on the row of that engineer's second shift
    ]
    for w in wanted:
        assert any(line.startswith(w) for line in lines), (w, lines)
    assert len(lines) == len(wanted), lines  # each once: no cell reported twice
    assert sum("header row 1, first data row 2" in line for line in lines) == 1
    assert all("fix:" in line for line in lines)


def test_a_missing_column_is_one_line_not_one_per_row():
    lines = problems_of(ENGINEERS.drop(index=1), TICKETS.drop(columns=["created"]).iloc[1:2])
    assert [x for x in lines if "created" in x] == [
        "tickets.created: missing column; fix: add the column"
    ], lines


def test_a_near_miss_tier_in_json_gets_did_you_mean():
    raw = scenario([engineer("E1")], [ticket("T1", 1, 0, priority="URGENT ")])
    with pytest.raises(do.ScenarioError) as info:
        do.load_scenario(raw)
    assert "did you mean 'urgent'?" in info.value.problems[0]


def test_no_message_points_to_a_file_the_project_does_not_ship(tmp_path):
    bad = scenario([engineer("E1")], [ticket("T1", 1, 0)])
    del bad["tickets"][0]["created"]
    plan = {
        "format": "dispatch-opt.plan/1",
        "routes": [
            {
                "engineer": "E1",
                "stops": [
                    {
                        "type": "restock",
                        "depot": "D1",
                        "start": at("09:00"),
                        "end": at("09:10"),
                        "parts": [],
                    }
                ],
                "depart": at("08:00"),
                "return": at("17:00"),
            }
        ],
    }
    lines = []
    for call in (lambda: do.load_scenario(bad), lambda: do.load_plan(plan)):
        with pytest.raises(do.ScenarioError) as info:
            call()
        lines += info.value.problems
    assert lines and not any("CONTRACT" in line for line in lines), lines
    assert any("docs/format.md" in line for line in lines), lines


def test_the_cli_names_its_flags_and_python_names_its_parameters(tmp_path):
    full_day = [ticket(f"T{i}", 0, 0, duration=90, priority="urgent") for i in range(6)]
    raw = scenario([engineer("E1")], full_day)
    sc = do.load_scenario(raw)
    plan = do.solve(sc, do.SolveParams(time_limit_s=600, iterations=20, ruin_share=1.0))
    caller = ticket("C1", 1, 0, duration=60, priority="low")  # the day is full of urgent work
    offer = do.offer_slots(sc, plan, caller, horizon_days=1)
    assert "horizon_days" in offer.reason and "--days" not in offer.reason
    for name, data in (("sc", raw), ("caller", caller)):
        (tmp_path / f"{name}.json").write_text(json.dumps(data))
    (tmp_path / "plan.json").write_text(plan.to_json())
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "dispatch_opt.cli",
            "slots",
            str(tmp_path / "sc.json"),
            str(tmp_path / "plan.json"),
            str(tmp_path / "caller.json"),
            "--days",
            "1",
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and "--days" in run.stdout and "horizon_days" not in run.stdout


def test_a_scenario_that_does_not_parse_still_gets_the_rules_within_its_items():
    # a bad duration used to hide the overlapping shifts and the start after now until fixed
    raw = scenario(
        [engineer("E1", shifts=(("08:00", "12:00"), ("11:00", "17:00")))],
        [
            ticket("T1", 1, 0, duration=-1),
            ticket("T2", 1, 0, status="started", engineer="E1", started_at=at("12:00")),
        ],
        now=at("10:00"),
    )
    with pytest.raises(do.ScenarioError) as info:
        do.load_scenario(raw)
    lines = info.value.problems
    assert len(lines) == 3, lines
    assert lines[0].startswith("tickets[0] (id 'T1').duration_min: got -1")
    assert any("shifts[1]: starts" in x and "must not overlap" in x for x in lines)
    assert any("started_at" in x and "after now" in x for x in lines)

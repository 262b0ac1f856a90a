"""The pandas entry (`scenario_from_frames`): a ticketing-system export with a missing or misspelt
column, an empty cell or a cell of the wrong type gives one field-named line per problem, never a
raw pandas or numpy exception."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import dispatch_opt as do

ENGINEERS = pd.DataFrame(
    [
        {
            "id": "E1",
            "lat": 44.5,
            "lon": 11.3,
            "shift_start": "2026-11-30T08:00",
            "shift_end": "2026-11-30T17:00",
            "van_pump": 1,
        }
    ]
)
TICKETS = pd.DataFrame(
    [
        {
            "id": "T1",
            "lat": 44.5,
            "lon": 11.31,
            "created": "2026-11-29T10:00",
            "priority": "normal",
            "duration_min": 30,
            "part_pump": 1,
        }
    ]
)


def test_a_clean_export_loads():
    sc = do.scenario_from_frames(ENGINEERS, TICKETS)
    assert sc.ticket("T1").parts == {"pump": 1} and sc.engineer("E1").van == {"pump": 1}


CASES = {
    "missing column": (ENGINEERS.drop(columns=["lat"]), TICKETS, ["engineers.lat", "missing"]),
    "misspelt column": (
        ENGINEERS.rename(columns={"shift_start": "shift_strat"}),
        TICKETS,
        ["engineers.shift_strat", "did you mean 'shift_start'"],
    ),
    "wrong type": (
        ENGINEERS,
        TICKETS.assign(duration_min="half an hour"),
        ["tickets row 2 (id 'T1').duration_min", "half an hour", "number"],
    ),
    "empty cell": (ENGINEERS, TICKETS.assign(lat=np.nan), ["tickets row 2", "lat", "empty"]),
    "not a date": (ENGINEERS.assign(shift_end=2**64), TICKETS, ["shift_end", "date-time"]),
    "not whole": (ENGINEERS.assign(van_pump=1.5), TICKETS, ["van_pump", "whole"]),
    "not a frame": ([1], TICKETS, ["engineers", "DataFrame"]),
    "infinite": (ENGINEERS, TICKETS.assign(lat=np.inf), ["tickets row 2", "lat", "finite"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_export_gives_one_field_named_line_per_problem(name):
    engineers, tickets, wanted = CASES[name]
    with pytest.raises(do.ScenarioError) as info:
        do.scenario_from_frames(engineers, tickets)
    lines = info.value.problems
    assert any(all(w in line for w in wanted) for line in lines), lines
    assert all("fix:" in line and "\n" not in line for line in lines), lines


def test_every_problem_of_an_export_is_reported_at_once():
    tickets = TICKETS.assign(duration_min="x", created=None)
    with pytest.raises(do.ScenarioError) as info:
        do.scenario_from_frames(ENGINEERS.drop(columns=["lon"]), tickets)
    assert len(info.value.problems) == 3, info.value.problems

"""Specification of input validation (scenario contract v1).

A planner who hands the engine a broken export gets every problem at once, one
line each, and each line says where (the field path, with the item's id), what
(the offending value) and how to fix it ("fix: ..."). Never a traceback.

The bad inputs live as small data files in tests/bad_inputs/: one scenario each
(1 engineer, 1-2 tickets), valid except for one fault. tests/bad_inputs/expected.json
maps each file name to the substrings its problem line must contain. Adding a
file adds a case; a file without an expectation fails.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from conftest import cli

from dispatch_opt.format.io import load_scenario
from dispatch_opt.format.scenario import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
BAD = Path(__file__).resolve().parent / "bad_inputs"
EXPECTED_FILE = BAD / "expected.json"
EXPECTED: dict[str, list[str]] = {
    k: v
    for k, v in json.loads(EXPECTED_FILE.read_text(encoding="utf-8")).items()
    if not k.startswith("_")
}
BAD_FILES = sorted(p.name for p in BAD.iterdir() if p.is_file() and p != EXPECTED_FILE)

# Faults the model does not report yet. Strict: when the model is fixed the case
# XPASSes and fails, so the entry here must then be removed.
KNOWN_GAPS: dict[str, str] = {}  # file name -> why the model does not catch it yet


def _case(name: str):
    marks = [pytest.mark.xfail(reason=KNOWN_GAPS[name], strict=True)] if name in KNOWN_GAPS else []
    return pytest.param(name, id=name.removesuffix(".json"), marks=marks)


def problems_of(source) -> list[str]:
    """The problem lines load_scenario reports; fails the test if it loads or raises anything
    else."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(source)
    assert info.value.problems, "ScenarioError without problem lines"
    return info.value.problems


def _matches(line: str, wanted: list[str]) -> bool:
    return all(w.lower() in line.lower() for w in wanted)


MINIMAL = {
    "format": "dispatch-opt.scenario/1",
    "name": "minimal",
    "engineers": [
        {
            "id": "E1",
            "start": {"lat": 52.37, "lon": 4.89},
            "shifts": [{"start": "2026-11-23T08:00", "end": "2026-11-23T17:00"}],
        }
    ],
    "tickets": [
        {
            "id": "T1",
            "location": {"lat": 52.36, "lon": 4.90},
            "created": "2026-11-23T07:00",
            "priority": "normal",
            "duration_min": 45,
        }
    ],
}


# ------------------------------------------------------------ one fault per file


def test_every_bad_input_file_has_an_expectation_and_every_expectation_a_file():
    assert set(BAD_FILES) - set(EXPECTED) == set(), (
        "add these files to tests/bad_inputs/expected.json"
    )
    assert set(EXPECTED) - set(BAD_FILES) == set(), "expected.json names files that do not exist"
    for name, wanted in EXPECTED.items():
        assert wanted and "fix:" in wanted, f"{name}: expect at least the field path and 'fix:'"


@pytest.mark.parametrize("name", [_case(n) for n in BAD_FILES])
def test_bad_input_is_rejected_with_a_line_naming_field_value_and_fix(name: str):
    assert name in EXPECTED, f"{name} has no entry in tests/bad_inputs/expected.json"
    problems = problems_of(BAD / name)
    wanted = EXPECTED[name]
    assert any(_matches(line, wanted) for line in problems), (
        f"no problem line contains all of {wanted}; got:\n" + "\n".join(problems)
    )
    for line in problems:
        assert "fix:" in line, f"problem line without a fix: {line!r}"
        assert "\n" not in line, f"a problem must be one line: {line!r}"


@pytest.mark.parametrize("name", [_case(n) for n in BAD_FILES])
def test_a_single_fault_gives_a_single_problem_line(name: str):
    problems = problems_of(BAD / name)
    assert len(problems) == 1, "one fault, one line; got:\n" + "\n".join(problems)


# ------------------------------------------------------------ all problems at once


def test_several_field_faults_are_all_reported_at_once_one_line_each():
    sc = copy.deepcopy(MINIMAL)
    sc["tickets"][0]["duration_min"] = 0
    sc["tickets"][0]["location"]["lat"] = 95
    sc["engineers"][0]["van"] = {"valve": -2}
    del sc["name"]
    problems = problems_of(sc)
    expected = [
        ["tickets[0]", "duration_min", "got 0"],
        ["tickets[0]", "location.lat", "95"],
        ["engineers[0]", "van.valve", "-2"],
        ["name", "required"],
    ]
    for wanted in expected:
        assert sum(_matches(line, wanted) for line in problems) == 1, (
            f"{wanted} not reported exactly once: {problems}"
        )
    assert len(problems) == len(expected)
    assert all("fix:" in line for line in problems)


def test_several_cross_field_faults_are_all_reported_at_once_one_line_each():
    sc = copy.deepcopy(MINIMAL)
    t2 = {**copy.deepcopy(sc["tickets"][0]), "priority": "critical", "engineer": "E9"}
    sc["tickets"].append(t2)  # duplicate id 'T1', unknown tier, unknown engineer
    sc["engineers"][0]["shifts"].append({"start": "2026-11-23T16:00", "end": "2026-11-23T20:00"})
    problems = problems_of(sc)
    expected = [
        ["tickets[1]", "'T1'", "twice"],
        ["tickets[1]", "priority", "'critical'"],
        ["tickets[1]", "engineer", "'E9'"],
        ["engineers[0]", "shifts[1]", "overlap"],
    ]
    for wanted in expected:
        assert sum(_matches(line, wanted) for line in problems) == 1, (
            f"{wanted} not reported exactly once: {problems}"
        )
    assert len(problems) == len(expected)
    assert all("fix:" in line for line in problems)


def test_field_and_cross_field_faults_are_reported_together():
    sc = copy.deepcopy(MINIMAL)
    sc["tickets"][0]["duration_min"] = 0
    sc["tickets"][0]["priority"] = "critical"
    problems = problems_of(sc)
    assert any(_matches(line, ["tickets[0]", "duration_min", "got 0"]) for line in problems)
    assert any(_matches(line, ["tickets[0]", "priority", "'critical'"]) for line in problems)


# ------------------------------------------------------------ valid input, extensions kept


def test_a_valid_minimal_scenario_loads():
    sc = load_scenario(copy.deepcopy(MINIMAL))
    assert [e.id for e in sc.engineers] == ["E1"]
    assert [t.id for t in sc.tickets] == ["T1"]


def test_the_same_scenario_loads_from_a_file_and_from_json_text(tmp_path: Path):
    path = tmp_path / "minimal.json"
    path.write_text(json.dumps(MINIMAL), encoding="utf-8")
    assert (
        load_scenario(path).to_dict()
        == load_scenario(str(path)).to_dict()
        == load_scenario(json.dumps(MINIMAL)).to_dict()
        == load_scenario(copy.deepcopy(MINIMAL)).to_dict()
    )


def test_a_misspelt_field_is_an_error_naming_the_nearest_known_field():
    raw = copy.deepcopy(MINIMAL)
    raw["tickets"][0]["skils"] = ["gas"]  # would silently drop the skill requirement
    raw["engineers"][0]["shifts_"] = []  # beside the real shifts
    raw["tickets"][0]["location"]["lng"] = 4.9  # nested object
    problems = problems_of(raw)
    assert len(problems) == 3, problems
    assert any(_matches(p, ["tickets[0]", ".skils", "unknown field", "'skills'"]) for p in problems)
    assert any(_matches(p, ["engineers[0]", ".shifts_", "did you mean 'shifts'"]) for p in problems)
    assert any(_matches(p, ["location.lng", "unknown field"]) for p in problems)


def test_an_unknown_field_is_reported_beside_other_faults():
    raw = copy.deepcopy(MINIMAL)
    raw["tickets"][0]["duration_min"] = 0
    raw["sorce"] = "ServiceDesk"
    problems = problems_of(raw)
    assert len(problems) == 2, problems
    assert any(_matches(p, ["sorce", "unknown field", "x_"]) for p in problems)


def test_meta_and_x_fields_pass_through_untouched_and_round_trip():
    raw = copy.deepcopy(MINIMAL)
    raw["meta"] = {"system": "ServiceDesk", "export": 42}  # top level
    raw["engineers"][0]["x_employee_no"] = "0815"  # engineer
    raw["tickets"][0]["meta"] = {"customer_ref": "CR-2026-001", "skils": "not checked in here"}
    raw["tickets"][0]["location"]["x_address"] = "Dam 1, Amsterdam"  # nested object
    raw["tickets"][0]["x_notes"] = None
    out = load_scenario(raw).to_dict()
    assert out["meta"] == {"system": "ServiceDesk", "export": 42}
    assert out["engineers"][0]["x_employee_no"] == "0815"
    assert out["tickets"][0]["meta"]["customer_ref"] == "CR-2026-001"
    assert out["tickets"][0]["location"]["x_address"] == "Dam 1, Amsterdam"
    assert out["tickets"][0]["x_notes"] is None
    assert load_scenario(out).to_dict() == out  # stable: a second round trip changes nothing


def test_meta_is_only_for_scenario_engineer_ticket_and_depot_and_must_be_an_object():
    raw = copy.deepcopy(MINIMAL)
    raw["tickets"][0]["location"]["meta"] = {"a": 1}
    raw["engineers"][0]["meta"] = "text"
    problems = problems_of(raw)
    assert any(_matches(p, ["location.meta", "unknown field"]) for p in problems)
    assert any(_matches(p, ["engineers[0]", "meta", "JSON object"]) for p in problems)


# ------------------------------------------------------------ CLI: exit code 2

# A few representative files (each run starts a Python process), plus one file with several faults.
CLI_CASES = [
    "not_json.json",
    "duration_zero.json",
    "shifts_overlap.json",
    "latin1_encoding.json",
    "several_faults",
]


def _several_faults() -> dict:
    sc = copy.deepcopy(MINIMAL)
    sc["tickets"][0]["duration_min"] = -5
    sc["tickets"][0]["location"]["lon"] = 190
    sc["engineers"][0]["shifts"][0]["end"] = "2026-11-23T07:00"
    return sc


@pytest.mark.parametrize("name", [_case(n) for n in CLI_CASES])
def test_cli_validate_exits_2_with_one_line_per_problem_and_no_traceback(name: str, tmp_path: Path):
    pytest.importorskip("dispatch_opt.cli")
    path = BAD / name
    if name == "several_faults":
        path = tmp_path / "several_faults.json"
        path.write_text(json.dumps(_several_faults()), encoding="utf-8")
    problems = problems_of(path)
    run = cli("validate", path)  # in this process; an exception it let through is raised here
    output = run.stdout + run.stderr
    assert run.returncode == 2, output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if "fix:" in line]
    assert len(lines) == len(problems), output
    for problem in problems:
        assert any(problem in line for line in lines), (
            f"{problem!r} is not on a line of its own in:\n{output}"
        )
    if name == "several_faults":
        assert len(problems) == 3

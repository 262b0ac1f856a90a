"""The format ships with the project: `dispatch-opt schema` writes JSON Schemas that accept every
bundled scenario, the plans the CLI writes and valid events, and refuse a misspelt field as
validation does."""

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

import dispatch_opt as do
from dispatch_opt.cli import main
from dispatch_opt.format.io import plan_problems
from dispatch_opt.format.schema import json_schema

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.json"))


def _errors(document: str, value) -> list[str]:
    validator = jsonschema.Draft202012Validator(json_schema(document))
    return [e.message for e in validator.iter_errors(value)]


@pytest.mark.parametrize("document", ["scenario", "plan", "events"])
def test_each_schema_is_a_valid_json_schema(document):
    jsonschema.Draft202012Validator.check_schema(json_schema(document))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_bundled_scenario_fits_the_schema(path):
    assert _errors("scenario", json.loads(path.read_text())) == []


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan") / "plan.json"
    result = CliRunner().invoke(
        main, ["solve", str(ROOT / "scenarios/small.json"), "-o", str(out), "--rounds", "200"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def test_a_plan_the_cli_wrote_fits_the_schema(small_plan):
    assert small_plan["routes"] and _errors("plan", small_plan) == []


def test_a_misspelt_scenario_field_fails_the_schema_as_it_fails_validation():
    raw = json.loads((ROOT / "scenarios/small.json").read_text())
    raw["tickets"][3]["skils"] = raw["tickets"][3].pop("skills", ["boiler"])
    assert any("skils" in e for e in _errors("scenario", raw))
    with pytest.raises(do.ScenarioError, match="skils: unknown field"):
        do.load_scenario(raw)


def test_own_data_passes_the_schema_as_it_passes_validation():
    raw = json.loads((ROOT / "scenarios/small.json").read_text())
    raw["tickets"][0]["meta"] = {"crm": {"case": 77}}
    raw["engineers"][0]["x_payroll"] = "A12"
    assert _errors("scenario", raw) == []
    do.load_scenario(raw)


def test_a_misspelt_plan_field_fails_the_schema_as_it_fails_the_plan_reader(small_plan):
    bad = json.loads(json.dumps(small_plan))
    bad["routes"][0]["travel_mins"] = bad["routes"][0].pop("travel_min")
    assert any("travel_mins" in e for e in _errors("plan", bad))
    assert any("travel_mins: unknown field" in p for p in plan_problems(bad))


def test_events_fit_the_schema_and_a_misspelt_event_field_fails_both():
    ticket = {
        "id": "EM1",
        "location": {"lat": 44.5, "lon": 11.34},
        "created": "2026-11-23T10:00",
        "priority": "emergency",
        "duration_min": 45,
    }
    events = [
        {"type": "new_ticket", "at": "2026-11-23T10:00", "ticket": ticket},
        {"type": "cancel_ticket", "at": "2026-11-23T10:05", "ticket": "T0001"},
    ]
    assert _errors("events", events) == []
    assert _errors("events", {"events": events}) == []
    do.parse_events(events)
    events[1]["tickt"] = events[1].pop("ticket")
    assert _errors("events", events) != []
    with pytest.raises(do.ScenarioError, match="tickt"):
        do.parse_events(events)


def test_times_with_an_offset_fail_the_schema_as_they_fail_validation():
    raw = json.loads((ROOT / "scenarios/small.json").read_text())
    raw["tickets"][0]["created"] = "2026-11-23T08:00+01:00"
    assert _errors("scenario", raw) != []
    with pytest.raises(do.ScenarioError, match="created"):
        do.load_scenario(raw)


def test_the_schema_command_writes_the_schema(tmp_path):
    out = tmp_path / "plan.schema.json"
    result = CliRunner().invoke(main, ["schema", "plan", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == json_schema("plan")
    printed = CliRunner().invoke(main, ["schema", "events"])
    assert json.loads(printed.output) == json_schema("events")

"""Documents the engine reads besides scenarios: events, a caller's ticket for slots, a plan given
back. Unknown fields are errors naming the nearest known field; a plan given back must be a
contract plan for this scenario (docs/format.md, "Conventions").

And the documents the project ships for people: README.md stays one screen and a half, every
relative link in README.md, docs/, benchmarks/README.md and CHANGELOG.md leads somewhere, README's
figures are benchmarks/README.md's, the CLI table is the CLI, and docs/format.md names every field
the engine reads."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from conftest import ROOT, at, cli, engineer, scenario, ticket

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
    run = cli(
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


def test_solve_previous_refuses_a_scenario_file_with_exit_2(tmp_path):
    path = tmp_path / "sc.json"
    path.write_text(json.dumps(RAW))
    run = cli("solve", str(path), "--previous", str(path), "-o", str(tmp_path / "p.json"))
    assert run.returncode == 2, run.stderr
    assert "--previous plan.format" in run.stderr and "Traceback" not in run.stderr


def test_check_refuses_a_plan_with_an_unknown_field_with_exit_2(tmp_path):
    (tmp_path / "sc.json").write_text(json.dumps(RAW))
    plan = _plan_dict()
    plan["unasigned"] = []
    (tmp_path / "p.json").write_text(json.dumps(plan))
    run = cli("check", str(tmp_path / "sc.json"), str(tmp_path / "p.json"))
    assert run.returncode == 2, run.stdout + run.stderr
    assert "plan.unasigned: unknown field; did you mean 'unassigned'?" in run.stderr


# ---------------------------------------------------------------- the documents for people

README = ROOT / "README.md"
GUIDES = [README, ROOT / "CHANGELOG.md", ROOT / "benchmarks" / "README.md"] + sorted(
    (ROOT / "docs").glob("*.md")
)
LINK = re.compile(r"\]\(([^)\s]+)\)")
FIGURE = re.compile(r"\d(?:[\d,.]*\d)?\s?(?:%|ms|s|min|GB|MB|x)(?![\w-])")


def _prose(path: Path) -> list[str]:
    """The lines of a markdown file outside fenced code blocks."""
    lines, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def _anchors(path: Path) -> set[str]:
    """The anchors GitHub makes of a file's headings: lower case, punctuation dropped, spaces to
    hyphens."""
    return {
        re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in _prose(path)
        if line.startswith("#")
    }


def test_the_readme_is_one_screen_and_a_half():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; move detail to docs/"


def test_the_guides_exist():
    for name in ("format", "solving", "realtime", "python", "architecture", "development"):
        assert (ROOT / "docs" / f"{name}.md").is_file(), name


@pytest.mark.parametrize("path", GUIDES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(path):
    broken = []
    for line in _prose(path):
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target):  # https:, mailto: ...
                continue
            file, _, anchor = target.partition("#")
            where = (path.parent / file).resolve() if file else path
            if not where.exists():
                broken.append(f"{target}: no such file")
            elif anchor and where.suffix == ".md" and anchor not in _anchors(where):
                broken.append(f"{target}: no heading '{anchor}' in {where.name}")
    assert not broken, f"{path.name}: {broken}"


def test_every_figure_in_the_readme_is_a_row_of_benchmarks_readme():
    """A measured figure (a number with a unit) appears in README.md only in a table row copied
    verbatim from benchmarks/README.md, so the two can never give different values."""
    bench = set((ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8").splitlines())
    stray = [
        line
        for line in _prose(README)
        if FIGURE.search(line.replace("`", " ")) and not (line.startswith("|") and line in bench)
    ]
    assert not stray, stray


def test_the_readme_command_table_is_the_cli():
    """Every command of `dispatch-opt` has a row, and every option a row names exists."""
    from dispatch_opt.cli import main

    rows = [line for line in _prose(README) if line.startswith("| `dispatch-opt ")]
    named: dict[str, set[str]] = {}
    for row in rows:
        usage = row.split("`")[1]
        command = usage.split()[1]
        named.setdefault(command, set()).update(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", usage))
    assert set(named) == set(main.commands), set(named) ^ set(main.commands)
    for command, options in named.items():
        known = {o for p in main.commands[command].params for o in p.opts}
        assert options <= known, f"{command}: {options - known}"


def test_the_format_guide_names_every_field_the_engine_reads():
    from typing import get_args

    from dispatch_opt.format import events, scenario

    text = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    models = [
        scenario.Scenario,
        scenario.Engineer,
        scenario.Ticket,
        scenario.Depot,
        scenario.Break,
        scenario.SlaTier,
        scenario.FaultType,
        scenario.HaversineTravel,
        scenario.MatrixTravel,
        *get_args(get_args(events.Event)[0]),
    ]
    missing = [
        f"{m.__name__}.{name}"
        for m in models
        for name, field in m.model_fields.items()
        if f"`{field.alias or name}`" not in text
    ]
    assert not missing, missing
    for kind in events.EVENT_TYPES:
        assert f"`{kind}`" in text, kind


def test_the_readme_python_example_runs(tmp_path, monkeypatch):
    """The example as a new user would paste it, stopped on rounds instead of 30 s of search."""
    text = README.read_text(encoding="utf-8")
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    timed = "do.SolveParams(time_limit_s=30, seed=0)"
    assert timed in code
    code = code.replace(timed, "do.SolveParams(iterations=200, ruin_share=1.0)")
    code = code.replace('"scenarios/', f'"{ROOT}/scenarios/')
    monkeypatch.chdir(tmp_path)  # save_plan writes plan.json here
    names: dict = {}
    exec(compile(code, "README.md", "exec"), names)
    fast, plan = names["fast"], names["plan"]
    assert (tmp_path / "plan.json").is_file()
    assert "EM1" in {s.ticket for r in fast.routes for s in r.visits}
    assert fast.kpis["changes"]["moved"] == 0  # the fast path moves nothing planned
    assert do.check(names["state"], fast).ok and plan.kpis["served"] > 0

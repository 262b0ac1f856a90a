"""What-ifs as one-liners, compared side by side: each what-if returns a new validated scenario
with one thing changed, `do.compare` judges every plan against its own scenario, and plans made
on a round budget give the same table on every run."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from conftest import at, engineer, scenario, ticket

import dispatch_opt as do
from dispatch_opt.presentation import viz

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 300


def base() -> do.Scenario:
    engineers = [
        engineer("E1", 0, 0, skills=["boiler"], van={"pump": 1}, max_overtime_min=60),
        engineer("E2", 10, 0, skills=["boiler"]),
        engineer("E3", 20, 0),
    ]
    tickets = [ticket(f"T{i}", 2 * i, 1, duration=60) for i in range(12)]
    tickets.append(ticket("B1", 3, 0, priority="urgent", skills=["boiler"], parts={"pump": 1}))
    return do.load_scenario(scenario(engineers, tickets))


def test_without_engineers_takes_their_shifts_from_a_time_on():
    sc = base()
    off = do.without_engineers(sc, ["E1", "E2"], since=at("12:00"))
    for eid in ("E1", "E2"):
        (shift,) = off.engineer(eid).shifts
        assert shift.end == datetime.fromisoformat(at("12:00"))
    assert off.engineer("E3").shifts == sc.engineer("E3").shifts
    assert off.now == sc.now  # nothing else moves: not `now`
    assert do.without_engineers(sc, "E3").engineer("E3").shifts == []


def test_with_engineer_like_adds_a_copy_with_a_new_id():
    sc = base()
    more = do.with_engineer_like(sc, "E1")
    new = more.engineer("E1-extra")
    old = sc.engineer("E1")
    assert (new.skills, new.van, new.shifts) == (old.skills, old.van, old.shifts)
    assert len(more.engineers) == len(sc.engineers) + 1
    assert do.with_engineer_like(more, "E1").engineer("E1-extra2")


def test_shifts_longer_shorter_a_tier_promise_and_parts():
    sc = base()
    hour = timedelta(hours=1)
    longer = do.with_longer_shifts(sc, 60)
    assert all(
        b.end - a.end == hour
        for e in sc.engineers
        for a, b in zip(e.shifts, longer.engineer(e.id).shifts)
    )
    shorter = do.with_shorter_shifts(sc, 30, engineers=["E2"])
    assert shorter.engineer("E2").shifts[0].end == sc.engineer("E2").shifts[0].end - hour / 2
    assert shorter.engineer("E1").shifts == sc.engineer("E1").shifts
    tight = do.with_sla(sc, "urgent", 12)
    b1 = tight.ticket("B1")
    assert tight.deadline(b1) == b1.created + timedelta(hours=12)
    assert do.with_sla(sc, "normal", 10, zone="north").tiers["normal"].by_zone == {"north": 10}
    stocked = do.with_parts_on_vans(sc, {"pump": 2})
    assert stocked.engineer("E1").van == {"pump": 3} and stocked.engineer("E3").van == {"pump": 2}


@pytest.mark.parametrize(
    "call, wanted",
    [
        (lambda sc: do.without_engineers(sc, ["E11"]), "did you mean 'E1'"),
        (lambda sc: do.with_engineer_like(sc, "E1", new_id="E2"), "new_id"),
        (lambda sc: do.with_sla(sc, "Urgent", 12), "did you mean 'urgent'"),
        (lambda sc: do.with_shorter_shifts(sc, 600), "minutes"),
        (lambda sc: do.with_parts_on_vans(sc, {"pump": 0}), "parts.pump"),
        (lambda sc: do.without_engineers(sc, "E1", since="noon"), "since"),
    ],
)
def test_a_bad_what_if_names_the_parameter_and_the_fix(call, wanted):
    with pytest.raises(do.ScenarioError) as info:
        call(base())
    assert any(wanted in p and "fix:" in p for p in info.value.problems), info.value.problems


def test_compare_judges_each_plan_against_its_own_scenario_and_repeats():
    sc = base()
    variants = {"E1 off": do.without_engineers(sc, "E1"), "shifts +1 h": do.with_longer_shifts(sc)}
    plans = do.what_if(sc, variants, rounds=ROUNDS)
    table = do.compare(plans)
    assert list(table.columns) == ["base", "E1 off", "shifts +1 h"]
    for name, (scenario_, plan) in plans.items():  # each against its own scenario
        k = plan.kpis
        assert table.loc["overtime_min", name] == k["overtime_min"]
        assert table.loc["served", name] == k["served"]
        assert table.loc["urgent on time", name] == k["tiers"]["urgent"]["on_time"]
        assert table.loc["search rounds", name] == ROUNDS
        assert any(f"{ROUNDS} rounds" in n and "same plan" in n for n in plan.notes)
    moved = table.attrs["changed_hands"]["E1 off"]
    assert table.loc["changed hands", "E1 off"] == len(moved) > 0
    base_plan = plans["base"][1]
    left = do.diff(base_plan, plans["E1 off"][1]).newly_unassigned  # B1: only E1 has the pump
    assert left == ["B1"] and table.loc["newly unassigned", "E1 off"] == 1
    assert set(moved) | {"B1"} == {
        s.ticket for r in base_plan.routes if r.engineer == "E1" for s in r.visits
    }
    again = do.compare(do.what_if(sc, variants, rounds=ROUNDS))
    pd.testing.assert_frame_equal(table, again)


def test_viz_compare_plans_no_longer_judges_the_base_against_the_other_scenario():
    sc = base()
    longer = do.with_longer_shifts(sc, 120)
    plans = do.what_if(sc, {"longer": longer}, rounds=ROUNDS)
    (_, base_plan), (_, other) = plans["base"], plans["longer"]
    table = viz.compare_plans(longer, base_plan, other, labels=("base", "longer"))
    assert table.loc["overtime_min", "base"] == base_plan.kpis["overtime_min"]
    assert list(table.columns) == ["base", "longer", "change"]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dispatch_opt.cli", *args], capture_output=True, text=True
    )


def test_the_cli_writes_a_what_if_and_compares_it_on_rounds(tmp_path):
    (tmp_path / "sc.json").write_text(json.dumps(base().to_dict()))
    args = ["whatif", str(tmp_path / "sc.json"), "--without", "E1", "--compare", "--rounds", "100"]
    first = _cli(*args, "-o", str(tmp_path / "a.json"))
    assert first.returncode == 0, first.stderr
    assert "the same table on every run" in first.stdout and "changed hands" in first.stdout
    second = _cli(*args, "-o", str(tmp_path / "b.json"))

    def table(run):  # the first run in a fresh tree also says it compiles the search core
        return [x for x in run.stdout.splitlines() if not x.startswith("compiling")]

    assert table(first) == [x.replace("b.json", "a.json") for x in table(second)]
    assert do.load_scenario(tmp_path / "a.json").engineer("E1").shifts == []
    bad = _cli("whatif", str(tmp_path / "sc.json"), "--sla", "urgent=soon", "-o", "x.json")
    assert bad.returncode == 2 and "--sla" in bad.stderr and "fix:" in bad.stderr
    typo = _cli("whatif", str(tmp_path / "sc.json"), "--without", "E11", "-o", "x.json")
    assert typo.returncode == 2 and "error: --without: got 'E11'" in typo.stderr  # the flag
    assert "did you mean 'E1'" in typo.stderr


def test_solve_with_rounds_is_repeatable_and_says_so(tmp_path):
    src = str(ROOT / "scenarios" / "small.json")
    runs = [
        _cli("solve", src, "--rounds", "200", "-o", str(tmp_path / f"{i}.json")) for i in (1, 2)
    ]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    assert "repeatable: the search stopped after 200 rounds" in runs[0].stdout
    plans = [json.loads((tmp_path / f"{i}.json").read_text()) for i in (1, 2)]
    for p in plans:
        for key in ("solve_s", "setup_s", "search"):
            p["kpis"].pop(key)
    assert plans[0] == plans[1]

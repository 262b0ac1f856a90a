"""Re-plan summaries that tell the truth: where the new work went comes first, ETA shifts count
open work only, finished work is one count, and a plan in force that lags `now` gives one
warning with the fix (and `--advance` applies it)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

from conftest import at, engineer, scenario, ticket

import dispatch_opt as do

FAST = do.SolveParams(time_limit_s=0)
ROUNDS = do.SolveParams(time_limit_s=600, iterations=50, ruin_share=1.0)


def day() -> dict:
    """One engineer, four 2-hour jobs of normal and low tiers filling 08:00-16:30."""
    tickets = [ticket(f"T{i}", 1, 0, duration=120) for i in range(3)]
    tickets.append(ticket("T3", 1, 0, duration=120, priority="low"))
    return scenario([engineer("E1", shifts=(("08:00", "16:30"),))], tickets)


def emergency(at_: str = "07:00") -> dict:
    return {
        "type": "new_ticket",
        "at": at(at_),
        "ticket": ticket("EM1", 2, 0, priority="emergency", duration=60, created=at(at_)),
    }


def test_the_new_work_comes_first_with_what_it_bumped():
    raw = day()
    plan = do.solve(do.load_scenario(raw), ROUNDS)
    sc = do.apply_events(do.load_scenario(raw), [emergency()])
    new = do.solve(sc, FAST, previous=plan)
    d = do.diff(plan, new)
    first = str(d).splitlines()[0]
    (bumped,) = d.newly_unassigned
    where = next(s for r in new.routes for s in r.visits if s.ticket == "EM1")
    assert first == f"EM1 (emergency) -> E1 at {where.start:%a %H:%M}; bumped: {bumped} (low)"
    changes = new.kpis["changes"]
    assert changes["new_work"] == [
        {"ticket": "EM1", "tier": "emergency", "engineer": "E1", "start": where.start.isoformat()}
    ]
    assert changes["bumped"] == [{"ticket": bumped, "tier": "low"}]
    assert list(changes)[:2] == ["new_work", "bumped"]  # new work first in the JSON too


def test_work_under_way_and_done_is_not_counted_as_eta_shifts():
    raw = day()
    plan = do.solve(do.load_scenario(raw), ROUNDS)
    # at 11:00 the first job is done and the second under way; an emergency comes in
    state = do.advance(do.load_scenario(raw), plan, at("11:00"))
    sc = do.apply_events(state, [emergency("11:00")])
    new = do.solve(sc, FAST, previous=plan)
    d = do.diff(plan, new)
    s = d.summary()
    statuses = {t.id: t.status for t in sc.tickets}
    assert "done" in statuses.values() and "started" in statuses.values()
    assert s["done"] == sum(1 for v in statuses.values() if v == "done")
    under_way = [t for t, v in statuses.items() if v == "started"]
    assert set(under_way) <= set(d.frame.loc[d.frame["change"] == "eta", "ticket"])
    open_shifts = d.frame[(d.frame["change"] == "eta") & (d.frame["status"] == "open")]
    assert s["eta_shifted"] == int((open_shifts["eta_shift_min"].abs() > 0.01).sum())
    text = str(d)
    assert "done since the plan in force" in text
    assert not any(": done" in line or ": removed" in line for line in text.splitlines())
    assert not d.lagging and d.warning() is None


def test_a_plan_in_force_that_lags_now_gives_one_warning_with_the_fix():
    raw = day()
    plan = do.solve(do.load_scenario(raw), ROUNDS)
    sc = do.apply_events(do.load_scenario(raw), [emergency("13:00")])  # nothing carried out
    new = do.solve(sc, FAST, previous=plan)
    d = do.diff(plan, new)
    lines = str(d).splitlines()
    assert lines[0].startswith("warning: the plan in force lags now (Mon 13:00)")
    assert "advance(scenario, plan, now)" in lines[0]
    assert sum("lags now" in line for line in lines) == 1
    assert sum("lags now" in note for note in new.notes) == 1  # the plan says it once too
    assert new.kpis["changes"]["lagging"] == len(d.lagging) > 0


def test_a_ticket_whose_engineer_is_off_is_released_not_moved():
    raw = scenario(
        [engineer("E1", 0, 0), engineer("E2", 5, 0)],
        [ticket("T1", 1, 0), ticket("T2", 4, 0)],
    )
    plan = do.solve(do.load_scenario(raw), ROUNDS)
    owner = next(r.engineer for r in plan.routes if r.visits)
    sick = do.without_engineers(do.load_scenario(raw), [owner])
    again = do.solve(sick, ROUNDS)
    d = do.diff(plan, again)
    assert d.released and not set(d.released) & set(d.moved)
    assert set(d.changed_hands) == set(d.released) | set(d.moved)
    assert {e for e in d.frame.loc[d.frame["change"] == "released", "old_engineer"]} == {owner}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dispatch_opt.cli", *args], capture_output=True, text=True
    )


def test_the_cli_says_where_the_emergency_went_first_and_advance_carries_the_plan_out(tmp_path):
    raw = day()
    plan = do.solve(do.load_scenario(copy.deepcopy(raw)), ROUNDS)
    (tmp_path / "sc.json").write_text(json.dumps(raw))
    (tmp_path / "plan.json").write_text(plan.to_json())
    (tmp_path / "ev.json").write_text(json.dumps([emergency("11:00")]))
    common = ["solve", str(tmp_path / "sc.json"), "--previous", str(tmp_path / "plan.json")]
    common += ["--events", str(tmp_path / "ev.json"), "--time-limit", "0"]
    lagging = _cli(*common, "-o", str(tmp_path / "a.json"))
    assert lagging.returncode == 0, lagging.stderr
    lines = [x for x in lagging.stdout.splitlines() if not x.startswith("scenario after")]
    assert lines[0].startswith("warning: the plan in force lags now") and "--advance" in lines[0]
    assert lines[1].startswith("changes: EM1 (emergency) -> E1 at")
    assert lagging.stdout.count("lags now") == 1 and "note: T" not in lagging.stdout
    carried = _cli(*common, "--advance", "-o", str(tmp_path / "b.json"))
    assert carried.returncode == 0, carried.stderr
    assert "lags now" not in carried.stdout
    assert "the plan in force carried out to Mon 30 Nov 11:00" in carried.stdout
    first = next(x for x in carried.stdout.splitlines() if x.startswith("changes:"))
    assert first.startswith("changes: EM1 (emergency) -> E1 at")
    state = do.load_scenario(tmp_path / "b.scenario.json")
    assert any(t.status == "done" for t in state.tickets)

"""Started work and moving the clock on: `started_at` gives the work left at `now` (CONTRACT.md,
added 2026-11-29); `advance` carries a plan out up to a moment; a re-plan at a later `now` than the
plan in force says which planned visits nobody reported, instead of re-planning them silently."""

from __future__ import annotations

import copy
import json

import pytest
from conftest import assert_valid, at, cli, engineer, scenario, ticket, visit

import dispatch_opt as do


def _started(**extra) -> dict:
    job = ticket("T1", 3, 4, duration=60, status="started", engineer="E1", **extra)
    return scenario([engineer("E1")], [job, ticket("T2", 6, 8)], now=at("10:00"))


def _insert(raw: dict) -> do.Plan:
    plan = do.solve(do.load_scenario(copy.deepcopy(raw)), do.SolveParams(time_limit_s=0))
    assert_valid(raw, plan)  # the package checker and the referee
    return plan


def _minutes(stop) -> float:
    return (stop.end - stop.start).total_seconds() / 60


def test_started_at_leaves_the_rest_of_the_job_at_now():
    plan = _insert(_started(started_at=at("09:30")))
    assert _minutes(visit(plan, "T1")) == pytest.approx(30)


def test_without_started_at_duration_min_is_the_work_left_from_now():
    plan = _insert(_started())
    assert _minutes(visit(plan, "T1")) == pytest.approx(60)


def test_a_job_that_should_be_over_by_now_has_no_work_left():
    plan = _insert(_started(started_at=at("08:00")))
    assert _minutes(visit(plan, "T1")) == 0


def test_the_document_is_given_back_as_written():
    raw = _started(started_at=at("09:30"))
    out = do.load_scenario(copy.deepcopy(raw)).to_dict()
    assert out["tickets"][0]["duration_min"] == 60
    assert out["tickets"][0]["started_at"] == "2026-11-30T09:30:00"


def test_a_scenario_made_again_from_its_parsed_tickets_keeps_the_work_left():
    sc = do.load_scenario(_started(started_at=at("09:30")))
    again = sc.replace(tickets=sc.tickets[1:] + sc.tickets[:1])  # nothing parsed again
    assert again.ticket("T1").duration_min == pytest.approx(30)  # not 30 minutes less again
    assert sc.ticket("T1").duration_min == pytest.approx(30)  # the source is left as it was
    assert again.to_dict()["tickets"][1]["duration_min"] == 60


def test_work_still_reported_under_way_after_its_window_closed_says_the_board_lags_the_clock():
    job = ticket(
        "T1",
        3,
        4,
        status="started",
        engineer="E1",
        windows=[{"start": at("08:00"), "end": at("10:00")}],
    )
    sc = do.load_scenario(scenario([engineer("E1")], [job], now=at("11:00")))
    (left,) = do.solve(sc, do.SolveParams(time_limit_s=0)).unassigned
    assert left.code == "frozen" and "closed before now" in left.reason
    assert "report it done" in left.reason and "advance" in left.reason


def test_started_at_must_not_be_after_now():
    with pytest.raises(do.ScenarioError) as info:
        do.load_scenario(_started(started_at=at("10:30")))
    assert any("started_at" in p and "after now" in p for p in info.value.problems)


def test_started_at_on_work_not_under_way_is_ignored():
    """Kept when the job is reported done or released (it says when work began), not used."""
    raw = _started(started_at=at("09:30"))
    raw["tickets"][0]["status"] = "en_route"
    plan = _insert(raw)
    assert _minutes(visit(plan, "T1")) == pytest.approx(60)


def test_a_job_reported_started_knows_when_so_a_later_replan_sees_less_work_left():
    raw = scenario([engineer("E1")], [ticket("T1", 3, 4, duration=60)], now=at("09:00"))
    events = [
        {
            "type": "ticket_status",
            "at": at("09:30"),
            "ticket": "T1",
            "status": "started",
            "engineer": "E1",
        },
        {
            "type": "position_update",
            "at": at("10:15"),
            "engineer": "E1",
            "position": {"x": 3, "y": 4},
        },
    ]
    sc = do.apply_events(do.load_scenario(raw), events)
    assert sc.to_dict()["tickets"][0]["started_at"] == "2026-11-30T09:30:00"
    assert sc.ticket("T1").duration_min == pytest.approx(15)  # 60 from 09:30, at 10:15


def test_an_overrun_of_a_job_with_started_at_ends_it_at_the_expected_end():
    sc = do.load_scenario(_started(started_at=at("09:30")))
    events = [
        {"type": "job_overrun", "at": at("10:00"), "ticket": "T1", "expected_end": at("11:00")}
    ]
    after = do.apply_events(sc, events)
    assert after.to_dict()["tickets"][0]["duration_min"] == 90  # 09:30 to 11:00
    assert after.ticket("T1").duration_min == pytest.approx(60)  # left at 10:00


def _morning() -> tuple[dict, do.Plan]:
    raw = scenario(
        [engineer("E1")],
        [ticket("T1", 10, 0, duration=60), ticket("T2", 20, 0, duration=60)],
        now=at("08:00"),
    )
    return raw, _insert(raw)


def test_advance_carries_the_plan_out_up_to_a_moment():
    raw, plan = _morning()
    first, second = sorted(plan.routes[0].visits, key=lambda s: s.start)
    sc = do.advance(do.load_scenario(raw), plan, first.end.isoformat())
    assert sc.now == first.end
    assert sc.ticket(first.ticket).status == "done"
    assert sc.ticket(second.ticket).status == "en_route"  # the engineer knows where to go next
    again = do.solve(sc, do.SolveParams(time_limit_s=0), previous=plan)
    assert_valid(sc.to_dict(), again)
    assert visit(again, second.ticket).start == second.start  # nothing changes: all as planned


def test_advance_refuses_to_go_back_in_time():
    raw, plan = _morning()
    with pytest.raises(do.ScenarioError, match="before the scenario's now"):
        do.advance(do.load_scenario(raw), plan, at("07:00"))


def test_a_replan_at_a_later_now_names_the_visits_nobody_reported():
    """Without events or advance, the visits the plan put before `now` are still open: the re-plan
    plans them again from now (nothing is lost) and says which they are."""
    raw, plan = _morning()
    later = copy.deepcopy(raw)
    later["now"] = at("10:30")
    sc = do.load_scenario(later)
    overdue = do.overdue_visits(sc, plan)
    assert len(overdue) == 2 and all("still open" in line for line in overdue)
    again = do.solve(sc, do.SolveParams(time_limit_s=0), previous=plan)
    assert_valid(later, again)
    assert all(s.start >= sc.now for r in again.routes for s in r.visits)


def test_the_cli_advances_a_plan_and_a_replan_notes_overdue_visits(tmp_path):
    raw, plan = _morning()
    (tmp_path / "sc.json").write_text(json.dumps(raw))
    (tmp_path / "plan.json").write_text(plan.to_json())
    run = cli(
        "advance",
        str(tmp_path / "sc.json"),
        str(tmp_path / "plan.json"),
        "--to",
        at("09:30"),
        "-o",
        str(tmp_path / "state.json"),
    )
    assert run.returncode == 0, run.stderr
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["now"] == "2026-11-30T09:30:00"
    assert {t["status"] for t in state["tickets"]} >= {"done"}
    raw["now"] = at("10:30")
    (tmp_path / "later.json").write_text(json.dumps(raw))
    run = cli(
        "solve",
        str(tmp_path / "later.json"),
        "--previous",
        str(tmp_path / "plan.json"),
        "--time-limit",
        "0",
        "-o",
        str(tmp_path / "new.json"),
    )
    assert run.returncode == 0, run.stderr
    assert "still open" in run.stdout

"""Why late: each late visit carries its cause (window after the deadline, raised too late to be
reachable, no qualified engineer free earlier, travel) in stops_frame, the CLI summary and the
report; unassigned_frame gives tier, created and deadline."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import at, engineer, scenario, ticket

import dispatch_opt as do
from dispatch_opt.evaluation.lateness import late_causes

ROUNDS = do.SolveParams(time_limit_s=600, iterations=100, ruin_share=1.0)
H4 = {"emergency": {"arrive_within_h": 4}, "normal": {"arrive_within_h": 48}}


def late_day() -> dict:
    """One engineer at the origin, 08:00-17:00, 60 km/h (1 km = 1 min); emergencies 4 h."""
    tickets = [
        # its only window opens at 14:00; the deadline is 12:00
        ticket(
            "W",
            5,
            0,
            priority="emergency",
            created=at("08:00"),
            windows=[{"start": at("14:00"), "end": at("15:00")}],
        ),
        # raised at 18:30: deadline 22:30, the shift (and its overtime) is over, tomorrow too late
        ticket("R", 5, 0, priority="emergency", created=at("18:30"), duration=20),
    ]
    shifts = (("08:00", "17:00"), ("08:00", "17:00"))
    e = engineer("E1", 0, 0, shifts=shifts, max_overtime_min=60)
    e["shifts"][1] = {"start": "2026-12-01T08:00", "end": "2026-12-01T17:00"}
    return scenario([e], tickets, sla=H4)


def test_each_late_visit_carries_its_cause():
    sc = do.load_scenario(late_day())
    plan = do.solve(sc, ROUNDS)
    stops = plan.stops_frame().set_index("ticket")
    causes = stops.loc[stops["late_min"] > 0.01, "late_cause"].to_dict()
    assert causes["W"] == "window"
    assert (
        "opens" in stops.loc["W", "late_reason"]
        and "after the SLA deadline" in stops.loc["W", "late_reason"]
    )
    assert causes["R"] == "unreachable"
    assert "raised" in stops.loc["R", "late_reason"]
    assert set(causes) == {"W", "R"}
    on_time = stops[(stops["type"] == "visit") & (stops["late_min"] <= 0.01)]
    assert on_time["late_cause"].isna().all()
    assert list(stops.reset_index().columns)[-3:] == ["late_min", "late_cause", "late_reason"]


def test_busy_is_the_cause_when_the_engineer_is_on_other_work_until_after_the_deadline():
    # two 4-hour emergencies raised at 08:00 (deadline 12:00), one engineer: one must wait
    tickets = [
        ticket(f"B{i}", i, 0, priority="emergency", created=at("08:00"), duration=240)
        for i in (1, 2)
    ]
    sc = do.load_scenario(scenario([engineer("E1", 0, 0)], tickets, sla=H4))
    plan = do.solve(sc, ROUNDS)
    (cause,) = late_causes(sc, plan.routes).values()
    assert cause.code == "busy" and "E1 is busy until" in cause.text


def test_travel_is_the_cause_when_the_engineer_was_free_in_time():
    # F (deadline 08:30) is next to E2, who must start G (gas, only E2) at 08:00; E1 leaves at 08:00
    # and drives 40 minutes: F could be reached in time, the drive makes it late
    tickets = [
        ticket("F", 40, 1, priority="emergency", created=at("04:30")),
        ticket("G", 40, 0, priority="emergency", created=at("04:00"), duration=120, skills=["gas"]),
    ]
    engineers = [engineer("E1", 0, 0), engineer("E2", 40, 0, skills=["gas"])]
    sc = do.load_scenario(scenario(engineers, tickets, sla=H4))
    plan = do.solve(sc, ROUNDS)
    causes = late_causes(sc, plan.routes)
    assert causes["F"].code == "travel" and "E1 leaves at 08:00" in causes["F"].text


def test_the_summary_and_the_report_say_why(tmp_path):
    raw = late_day()
    (tmp_path / "sc.json").write_text(json.dumps(raw))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "dispatch_opt.cli",
            "solve",
            str(tmp_path / "sc.json"),
            "--rounds",
            "100",
            "-o",
            str(tmp_path / "plan.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    line = next(x for x in run.stdout.splitlines() if x.startswith("why late:"))
    assert "emergency" in line and "agreed window opens after the SLA deadline: 1" in line
    assert "raised too late to be reachable: 1" in line
    from dispatch_opt.presentation.report import render_report

    sc = do.load_scenario(raw)
    html = render_report(sc, do.load_plan(tmp_path / "plan.json", sc))
    assert "Late visits and why" in html and "raised too late to be reachable" in html


def test_unassigned_frame_gives_tier_created_and_deadline():
    raw = scenario([engineer("E1")], [ticket("X", 1, 0, skills=["boiler"], priority="urgent")])
    sc = do.load_scenario(raw)
    plan = do.solve(sc, ROUNDS)
    frame = plan.unassigned_frame()
    assert list(frame.columns) == ["ticket", "tier", "created", "deadline", "code", "reason"]
    row = frame.iloc[0]
    t = sc.ticket("X")
    assert (row.tier, row.created, row.deadline) == ("urgent", t.created, sc.deadline(t))

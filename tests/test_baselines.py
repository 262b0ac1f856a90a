"""benchmarks/baselines.py: the manual-dispatch and VROOM baselines make plans the checker accepts,
and manual dispatch follows the rules it claims (tier first, nearest qualified engineer, no
restocks)."""

from __future__ import annotations

import copy
import sys

import pytest
from conftest import (
    BACKSTOP_S,
    ROOT,
    assert_valid,
    at,
    engineer,
    reason,
    scenario,
    served_by,
    ticket,
    visit,
)

import dispatch_opt as do

sys.path.insert(0, str(ROOT / "benchmarks"))
import baselines  # noqa: E402


def _manual(raw: dict) -> do.Plan:
    plan = baselines.manual_dispatch(do.load_scenario(copy.deepcopy(raw)))
    assert_valid(raw, plan)
    return plan


def _vroom(raw: dict) -> do.Plan:
    pytest.importorskip("vroom")
    # VROOM stops at the end of its exploration level; its time limit is only a backstop
    plan = baselines.vroom_plan(do.load_scenario(copy.deepcopy(raw)), time_limit_s=BACKSTOP_S)
    assert_valid(raw, plan)
    return plan


BREAK = {"start": at("12:00"), "end": at("13:00"), "duration_min": 30}


def _day() -> dict:
    """Two engineers with breaks and overtime, skills, parts, tools, windows, a required engineer,
    a nobody-can."""
    engineers = [
        engineer(
            "A",
            0,
            0,
            skills=["boiler", "washer"],
            van={"valve": 1},
            breaks=[BREAK],
            max_overtime_min=30,
        ),
        engineer("B", 20, 0, skills=["washer", "fridge"], tools=["recovery"], breaks=[BREAK]),
    ]
    tickets = [ticket(f"W{i}", 3 * i, 4, duration=40) | {"skills": ["washer"]} for i in range(8)]
    tickets += [
        ticket("BOIL", 5, -5, priority="emergency", created=at("07:00"))
        | {"skills": ["boiler"], "parts": {"valve": 1}},
        ticket("BOIL2", 6, -5, priority="urgent") | {"skills": ["boiler"], "parts": {"valve": 1}},
        ticket("COLD", 18, 3)
        | {
            "skills": ["fridge"],
            "tools": ["recovery"],
            "windows": [{"start": at("12:10"), "end": at("12:40")}],
        },
        ticket("LATE", 2, 2, priority="low")
        | {"windows": [{"start": at("16:00"), "end": at("16:30")}]},
        ticket("NAMED", 10, 10) | {"engineer": "B"},
        ticket("SOLAR", 1, 1) | {"skills": ["solar"]},
    ]
    return scenario(engineers, tickets)


def test_manual_plan_passes_the_checker_and_keeps_van_stock():
    plan = _manual(_day())
    who = served_by(plan)
    assert (
        who["BOIL"] == "A"
    )  # the only boiler engineer; the emergency comes first, so it gets the valve
    assert reason(plan, "BOIL2").code == "part"  # one valve on the van and no restocks
    assert reason(plan, "SOLAR").code == "skill"
    assert who["NAMED"] == "B" and who["COLD"] == "B"
    assert any(s.type == "break" for r in plan.routes for s in r.stops)


def test_manual_gives_an_emergency_precedence_over_a_normal_ticket_when_only_one_fits():
    # one engineer, a 2-hour shift: a 90-minute normal ticket raised first and nearer, a 90-minute
    # emergency
    raw = scenario(
        [engineer("A", 0, 0, shifts=(("08:00", "10:00"),))],
        [
            ticket("NORMAL", 1, 0, duration=90, created="2026-11-28T08:00"),
            ticket("EMERG", 5, 0, priority="emergency", duration=90, created=at("07:00")),
        ],
    )
    plan = _manual(raw)
    assert served_by(plan) == {"EMERG": "A"}
    assert reason(plan, "NORMAL").code == "capacity"


def test_manual_sends_the_nearest_qualified_engineer():
    raw = scenario(
        [
            engineer("FAR", 30, 0, skills=["boiler"]),
            engineer("NEAR", 12, 0, skills=["boiler"]),
            engineer("NEAREST_UNQUALIFIED", 10, 0),
        ],
        [ticket("T1", 10, 0) | {"skills": ["boiler"]}],
    )
    assert served_by(_manual(raw)) == {"T1": "NEAR"}


def test_manual_measures_nearest_from_where_the_route_now_ends():
    # FIRST (urgent, dispatched first) goes to B, nearer; then B is at x=20, 13 km from SECOND, A at
    # home 7 km away (from their homes B would be the nearer, 5 km)
    raw = scenario(
        [engineer("A", 0, 0), engineer("B", 12, 0)],
        [ticket("FIRST", 20, 0, priority="urgent"), ticket("SECOND", 7, 0)],
    )
    assert served_by(_manual(raw)) == {"FIRST": "B", "SECOND": "A"}


def test_manual_appends_and_waits_for_a_window_and_takes_the_break_while_waiting():
    raw = scenario(
        [engineer("A", 0, 0, breaks=[BREAK])],
        [
            ticket("AM", 5, 0, priority="urgent"),
            ticket("PM", 10, 0) | {"windows": [{"start": at("12:20"), "end": at("12:40")}]},
        ],
    )
    plan = _manual(raw)
    pm = visit(plan, "PM")
    brk = next(s for s in plan.routes[0].stops if s.type == "break")
    assert (
        str(pm.start.time()) >= "12:20:00"
        and brk.end <= pm.start
        and brk.start >= visit(plan, "AM").end
    )


def test_manual_skips_an_engineer_whose_break_no_longer_fits():
    # a 3-hour job from 10:00 would run across the whole break interval 12:00-13:00 of A
    raw = scenario(
        [engineer("A", 0, 0, breaks=[BREAK]), engineer("B", 8, 0)],
        [
            ticket("LONG", 2, 0, duration=180)
            | {"windows": [{"start": at("10:00"), "end": at("10:30")}]}
        ],
    )
    assert served_by(_manual(raw)) == {"LONG": "B"}


def test_manual_respects_overtime_and_shift_end():
    raw = scenario(
        [engineer("A", 0, 0, shifts=(("08:00", "09:00"),), max_overtime_min=30)],
        [ticket("T1", 10, 0, duration=60), ticket("T2", 0, 30, duration=60, priority="low")],
    )
    plan = _manual(raw)
    assert served_by(plan) == {
        "T1": "A"
    }  # 10 min out, 60 on site, 10 back: 09:20, inside the 30 min overtime
    assert plan.routes[0].return_ <= do.load_scenario(raw).engineers[0].shifts[0].end.replace(
        minute=30
    )


def test_manual_on_several_days_takes_the_earliest_day_and_carries_van_stock_over():
    raw = scenario(
        [engineer("A", 0, 0, shifts=(("08:00", "10:00"), ("08:00", "10:00")), van={"p": 2})],
        [ticket(f"T{i}", i, 0, duration=50) | {"parts": {"p": 1}} for i in range(1, 4)],
    )
    raw["engineers"][0]["shifts"][1] = {"start": "2026-12-01T08:00", "end": "2026-12-01T10:00"}
    plan = _manual(raw)
    assert len(served_by(plan)) == 2 and len(plan.unassigned) == 1
    assert plan.unassigned[0].code in ("part", "capacity")


def test_vroom_plan_passes_the_checker():
    plan = _vroom(_day())
    who = served_by(plan)
    assert who.get("BOIL") == "A"
    assert "BOIL2" not in who  # one valve on the van, VROOM makes no restocks
    assert reason(plan, "SOLAR").code == "skill"
    assert who.get("NAMED", "B") == "B"


def test_vroom_serves_the_emergency_when_only_one_fits():
    raw = scenario(
        [engineer("A", 0, 0, shifts=(("08:00", "10:00"),))],
        [
            ticket("NORMAL", 1, 0, duration=90, created="2026-11-28T08:00"),
            ticket("EMERG", 5, 0, priority="emergency", duration=90, created=at("07:00")),
        ],
    )
    assert served_by(_vroom(raw)) == {"EMERG": "A"}


def test_vroom_plans_on_the_bundled_small_day():
    pytest.importorskip("vroom")
    sc = do.load_scenario(ROOT / "scenarios" / "small.json")
    plan = baselines.vroom_plan(sc, time_limit_s=BACKSTOP_S)
    assert do.check(sc, plan).ok
    assert plan.kpis["served"] >= 40


def test_manual_plans_on_the_bundled_small_day():
    sc = do.load_scenario(ROOT / "scenarios" / "small.json")
    plan = baselines.manual_dispatch(sc)
    assert do.check(sc, plan).ok
    assert plan.kpis["tiers"]["emergency"]["served"] == plan.kpis["tiers"]["emergency"]["tickets"]

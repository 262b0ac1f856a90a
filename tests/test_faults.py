"""Specification of the fault catalogue (contract, added 2026-11-29).

The call centre records a fault type; the scenario's `faults` says what a repair of it needs.
A ticket takes from there whatever it leaves out (its own fields win), so the solver, the
checker and the referee see plain tickets; an unknown fault type is an input error.
"""

from __future__ import annotations

import copy

import pytest
from conftest import engineer, scenario, served_by, solve_checked, ticket

import dispatch_opt as do

CATALOGUE = {
    "no-heat": {"skills": ["boiler"], "duration_min": 60, "parts": {"ignition_pcb": 1}},
    "leak": {"skills": ["washer"], "duration_min": 45, "tools": ["leak_tester"]},
}


def fault_ticket(tid: str, x: float, fault: str, **extra) -> dict:
    t = ticket(tid, x, 0, fault=fault, **extra)
    del t["duration_min"]
    return t | ({"duration_min": extra["duration_min"]} if "duration_min" in extra else {})


def test_a_ticket_takes_skills_duration_parts_and_tools_from_its_fault_type():
    sc = do.load_scenario(
        scenario([engineer("E1")], [fault_ticket("T1", 5, "no-heat")], faults=CATALOGUE)
    )
    t = sc.ticket("T1")
    assert (t.skills, t.duration_min, t.parts, t.tools) == (["boiler"], 60, {"ignition_pcb": 1}, [])
    assert t.fault == "no-heat"


def test_a_tickets_own_fields_win_over_its_fault_type():
    raw = scenario(
        [engineer("E1")],
        [fault_ticket("T1", 5, "no-heat", duration_min=20, parts={})],
        faults=CATALOGUE,
    )
    t = do.load_scenario(raw).ticket("T1")
    assert (t.duration_min, t.parts, t.skills) == (20, {}, ["boiler"])


def test_the_fault_type_decides_who_can_do_the_repair():
    raw = scenario(
        [
            engineer("E1", skills=["washer"], tools=["leak_tester"]),
            engineer("E2", skills=["boiler"], van={"ignition_pcb": 1}),
        ],
        [fault_ticket("T1", 5, "no-heat"), fault_ticket("T2", 6, "leak")],
        faults=CATALOGUE,
    )
    plan = solve_checked(raw)
    assert served_by(plan) == {"T1": "E2", "T2": "E1"}
    assert plan.kpis["faults"] == {
        "leak": {"tickets": 1, "served": 1},
        "no-heat": {"tickets": 1, "served": 1},
    }


def test_a_repair_whose_part_is_on_no_van_is_unassigned_for_the_part():
    raw = scenario(
        [engineer("E1", skills=["boiler"])], [fault_ticket("T1", 5, "no-heat")], faults=CATALOGUE
    )
    plan = solve_checked(raw)
    assert [u.code for u in plan.unassigned] == ["part"]


def test_an_unknown_fault_type_is_one_line_naming_the_known_types():
    raw = scenario([engineer("E1")], [fault_ticket("T1", 5, "no-cooling")], faults=CATALOGUE)
    with pytest.raises(do.ScenarioError) as info:
        do.load_scenario(raw)
    assert len(info.value.problems) == 1
    line = info.value.problems[0]
    assert "tickets[0] (id 'T1').fault: got 'no-cooling'" in line and "'leak'" in line


def test_a_fault_without_a_catalogue_is_an_error():
    with pytest.raises(do.ScenarioError, match="fault: got 'leak'"):
        do.load_scenario(scenario([engineer("E1")], [fault_ticket("T1", 5, "leak")]))


def test_without_duration_in_ticket_or_fault_type_the_ticket_needs_one():
    raw = scenario(
        [engineer("E1")], [fault_ticket("T1", 5, "odd")], faults={"odd": {"skills": ["boiler"]}}
    )
    with pytest.raises(do.ScenarioError, match=r"tickets\[0\] \(id 'T1'\)\.duration_min"):
        do.load_scenario(raw)


def test_loading_does_not_change_the_callers_dict_and_the_round_trip_keeps_the_catalogue():
    raw = scenario([engineer("E1")], [fault_ticket("T1", 5, "leak")], faults=CATALOGUE)
    before = copy.deepcopy(raw)
    sc = do.load_scenario(raw)
    assert raw == before
    again = do.load_scenario(sc.to_dict())
    assert again.faults == sc.faults and again.ticket("T1") == sc.ticket("T1")


def test_a_new_ticket_event_with_a_fault_type_is_resolved_too():
    sc = do.load_scenario(scenario([engineer("E1")], [], faults=CATALOGUE))
    new = fault_ticket("T9", 3, "leak")
    state = do.apply_events(sc, [{"type": "new_ticket", "at": "2026-11-30T09:00", "ticket": new}])
    assert state.ticket("T9").duration_min == 45


def test_the_report_counts_tickets_by_fault_type_and_shows_response_times():
    pytest.importorskip("matplotlib")
    from dispatch_opt.presentation.report import render_report

    raw = scenario(
        [
            engineer(
                "E1", skills=["washer", "boiler"], tools=["leak_tester"], van={"ignition_pcb": 1}
            )
        ],
        [
            fault_ticket("T1", 5, "no-heat"),
            fault_ticket("T2", 6, "leak"),
            fault_ticket("T3", 7, "leak"),
        ],
        faults=CATALOGUE,
    )
    plan = solve_checked(raw)
    html = render_report(do.load_scenario(raw), plan)
    assert "Tickets by fault type" in html and "Response times" in html
    faults = html.split("Tickets by fault type")[1].split("</table>")[0]
    assert faults.index("leak") < faults.index("no-heat")  # most tickets first


def test_a_caller_reporting_a_fault_type_is_offered_slots_for_that_repair():
    raw = scenario([engineer("E1", skills=["washer"], tools=["leak_tester"])], [], faults=CATALOGUE)
    sc = do.load_scenario(raw)
    plan = solve_checked(raw)
    caller = fault_ticket("C1", 4, "leak")
    assert do.offer_slots(sc, plan, caller, horizon_days=1).slots
    boiler = fault_ticket("C2", 4, "no-heat")
    offer = do.offer_slots(sc, plan, boiler, horizon_days=1)
    assert not offer.slots and "boiler" in offer.reason

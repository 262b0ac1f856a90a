"""Pins: the dispatcher's hand move. A pinned ticket stays with its engineer (and its start, when
given) through every re-plan until unpinned; the pin rides on the contract's own `engineer` and
`windows`, so both checkers hold the plan to it."""

from __future__ import annotations

import copy
from datetime import datetime

import pytest
from conftest import assert_valid, at, engineer, scenario, served_by, ticket, visit

import dispatch_opt as do

FAST = do.SolveParams(time_limit_s=0)
SHORT = do.SolveParams(time_limit_s=1, seed=1)


def day() -> dict:
    """E1 at x=0, E2 at x=40; T1 sits next to E1, so any plan gives it to E1."""
    tickets = [ticket("T1", 1, 0, windows=[{"start": at("09:00"), "end": at("12:00")}]),
               ticket("T2", 3, 0), ticket("T3", 37, 0), ticket("T4", 39, 0)]
    return scenario([engineer("E1", 0, 0), engineer("E2", 40, 0)], tickets)


def replan(raw: dict, plan: do.Plan | None, events: list[dict], params=FAST):
    sc = do.apply_events(do.load_scenario(copy.deepcopy(raw)), events)
    new = do.solve(sc, params, previous=plan)
    new_raw = sc.to_dict()
    assert_valid(new_raw, new)
    return new_raw, new


@pytest.fixture
def morning():
    raw = day()
    plan = do.solve(do.load_scenario(copy.deepcopy(raw)), SHORT)
    assert_valid(raw, plan)
    assert served_by(plan)["T1"] == "E1"
    return raw, plan


def pin(tid, eid, **extra) -> dict:
    return {"type": "pin", "at": at("08:00"), "ticket": tid, "engineer": eid, **extra}


def test_a_pinned_ticket_goes_to_its_engineer_and_stays_there_through_a_full_search(morning):
    raw, plan = morning
    raw1, plan1 = replan(raw, plan, [pin("T1", "E2")])
    assert served_by(plan1)["T1"] == "E2"  # 39 km out of E1's way: no solver would choose it
    # a later search with time to spare and a later event still keep it with E2
    new = {"type": "new_ticket", "at": at("08:05"), "ticket": ticket("T5", 2, 1)}
    _, plan2 = replan(raw1, plan1, [new], SHORT)
    assert served_by(plan2)["T1"] == "E2"
    _, fresh = replan(raw1, None, [], SHORT)  # and so does a nightly solve from scratch
    assert served_by(fresh)["T1"] == "E2"


def test_a_pinned_start_is_kept_to_the_minute(morning):
    raw, plan = morning
    raw1, plan1 = replan(raw, plan, [pin("T1", "E2", start=at("11:00"))])
    v = visit(plan1, "T1")
    assert served_by(plan1)["T1"] == "E2"
    assert datetime.fromisoformat(at("11:00")) <= v.start <= datetime.fromisoformat(at("11:01"))
    t1 = do.load_scenario(raw1).ticket("T1")
    assert t1.pinned.before.windows == do.load_scenario(day()).ticket("T1").windows


def test_unpin_gives_back_the_engineer_and_windows_and_the_search_moves_it_home(morning):
    raw, plan = morning
    raw1, plan1 = replan(raw, plan, [pin("T1", "E2", start=at("11:00"))])
    raw2, plan2 = replan(raw1, plan1, [{"type": "unpin", "at": at("08:01"), "ticket": "T1"}],
                         SHORT)
    assert "pinned" not in next(t for t in raw2["tickets"] if t["id"] == "T1")
    assert do.load_scenario(raw2).ticket("T1") == do.load_scenario(day()).ticket("T1")
    assert served_by(plan2)["T1"] == "E1"


def test_a_pin_to_a_shift_keeps_the_visit_in_that_shift():
    two = [("08:00", "12:00"), ("13:00", "17:00")]
    raw = scenario([engineer("E1", 0, 0, shifts=two)], [ticket("T1", 1, 0)])
    _, plan = replan(raw, None, [pin("T1", "E1", shift=1)])
    route = next(r for r in plan.routes if r.visits)
    assert (route.engineer, route.shift) == ("E1", 1)


@pytest.mark.parametrize(
    "event, words",
    [
        (pin("T9", "E1"), "unknown ticket 'T9'"),
        (pin("T1", "E9"), "unknown engineer 'E9'"),
        (pin("T1", "E1", shift=3), "no shift 3"),
        (pin("T1", "E1", start=at("13:00")), "outside ticket 'T1'"),
        ({"type": "unpin", "at": at("08:00"), "ticket": "T2"}, "is not pinned"),
    ],
)
def test_a_pin_that_cannot_apply_is_refused_with_the_fix(event, words):
    with pytest.raises(do.ScenarioError) as err:
        do.apply_events(do.load_scenario(day()), [event])
    assert words in str(err.value) and "fix:" in str(err.value)


def test_pin_fields_are_validated_by_name():
    bad = {"type": "pin", "at": at("08:00"), "ticket": "T1", "enginer": "E2", "shift": -1}
    with pytest.raises(do.ScenarioError) as err:
        do.parse_events([bad])
    text = str(err.value)
    assert "events[0].enginer: unknown field; did you mean 'engineer'?" in text
    assert "shift: got -1" in text


def test_a_pin_against_a_required_engineer_is_refused():
    raw = scenario([engineer("E1"), engineer("E2", 5, 0)], [ticket("T1", 1, 0, engineer="E1")])
    with pytest.raises(do.ScenarioError, match="requires engineer 'E1'; fix: pin it to 'E1'"):
        do.apply_events(do.load_scenario(raw), [pin("T1", "E2")])

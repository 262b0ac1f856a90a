"""Specification of the plan checker (CONTRACT.md hard rules 1-7), cross-checked against the
referee.

A tiny planar scenario (euclidean at 60 km/h, so 1 km = 1 minute) and a
hand-made plan that keeps every rule; each case then breaks exactly one rule
and expects a violation naming the ticket, engineer or depot at fault.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

import pytest

from dispatch_opt.evaluation import checker as checker_module
from dispatch_opt.evaluation.checker import check
from dispatch_opt.format import travel as travel_module
from dispatch_opt.format.validation import parse_scenario

REFEREE = Path(__file__).resolve().parents[2] / "shared" / "tools" / "check_plan.py"
D = "2026-11-23T"


def xy(x, y):
    return {"x": x, "y": y}


SCENARIO = {
    "format": "dispatch-opt.scenario/1",
    "name": "tiny",
    "now": D + "08:30",
    "travel": {"model": "euclidean", "speed_kmh": 60},
    "engineers": [
        {
            "id": "E1",
            "start": xy(0, 0),
            "end": xy(6, 2),
            "position": xy(3, 4),
            "shifts": [{"start": D + "08:00", "end": D + "16:00"}],
            "max_overtime_min": 30,
            "skills": ["gas", "boiler"],
            "van": {"P1": 1},
            "breaks": [{"start": D + "12:00", "end": D + "13:00", "duration_min": 30}],
        },
        {
            "id": "E2",
            "start": xy(10, 0),
            "shifts": [{"start": D + "08:00", "end": D + "16:00"}],
            "max_overtime_min": 120,
            "skills": ["gas"],
            "breaks": [{"start": D + "12:00", "end": D + "14:00", "duration_min": 30}],
        },
    ],
    "tickets": [
        {
            "id": "T1",
            "location": xy(6, 8),
            "created": D + "07:00",
            "priority": "urgent",
            "duration_min": 60,
            "status": "en_route",
            "engineer": "E1",
        },
        {
            "id": "T2",
            "location": xy(6, 14),
            "created": "2026-11-20T09:00",
            "priority": "normal",
            "duration_min": 90,
            "windows": [{"start": D + "10:00", "end": D + "12:00"}],
            "skills": ["boiler"],
            "parts": {"P1": 1},
        },
        {
            "id": "T3",
            "location": xy(14, 2),
            "created": D + "06:00",
            "priority": "normal",
            "duration_min": 30,
            "skills": ["gas"],
            "parts": {"P1": 1},
            "tools": ["leak_detector"],
        },
        {
            "id": "T4",
            "location": xy(10, 12),
            "created": D + "06:00",
            "priority": "emergency",
            "duration_min": 60,
            "skills": ["gas"],
            "engineer": "E2",
        },
        # T5 and T6 stand where T4 does, so swapping one for T4 breaks exactly one rule
        {
            "id": "T5",
            "location": xy(10, 12),
            "created": D + "06:00",
            "priority": "low",
            "duration_min": 60,
            "engineer": "E1",
        },
        {
            "id": "T6",
            "location": xy(10, 12),
            "created": D + "06:00",
            "priority": "low",
            "duration_min": 60,
            "skills": ["electric"],
        },
        {
            "id": "T7",
            "location": xy(0, 5),
            "created": D + "06:00",
            "priority": "low",
            "duration_min": 20,
            "status": "done",
        },
    ],
    "depots": [
        {
            "id": "W1",
            "location": xy(14, 8),
            "parts": {"P1": 1},
            "tools": ["leak_detector"],
            "restock_min": 15,
        }
    ],
}


def visit(ticket, arrival, start, end):
    return {
        "type": "visit",
        "ticket": ticket,
        "arrival": D + arrival,
        "start": D + start,
        "end": D + end,
    }


# E1 leaves its position (3,4) at now: T1 5 km, T2 6, W1 10, T3 6, home (6,2) 8 = 35 min.
# E2 from (10,0) at now (rule 7: no route departs before now): T4 12 km and back 12 = 24 min.
PLAN = {
    "format": "dispatch-opt.plan/1",
    "scenario": "tiny",
    "routes": [
        {
            "engineer": "E1",
            "shift": 0,
            "depart": D + "08:30",
            "return": D + "13:09",
            "stops": [
                visit("T1", "08:35", "08:35", "09:35"),
                visit("T2", "09:41", "10:00", "11:30"),
                {
                    "type": "restock",
                    "depot": "W1",
                    "arrival": D + "11:40",
                    "start": D + "11:40",
                    "end": D + "11:55",
                    "parts": {"P1": 1},
                    "tools": ["leak_detector"],
                },
                {"type": "break", "start": D + "12:00", "end": D + "12:30"},
                visit("T3", "12:31", "12:31", "13:01"),
            ],
        },
        {
            "engineer": "E2",
            "shift": 0,
            "depart": D + "08:30",
            "return": D + "09:54",
            "stops": [
                visit("T4", "08:42", "08:42", "09:42"),
            ],
        },
    ],
    "unassigned": [
        {"ticket": "T5", "reason": "E1 was asked for and is fully booked", "code": "engineer"},
        {"ticket": "T6", "reason": "no engineer has skill 'electric'", "code": "skill"},
    ],
}


def _referee():
    if not REFEREE.exists():
        pytest.skip(f"referee {REFEREE} is absent")
    spec = importlib.util.spec_from_file_location("check_plan_referee", REFEREE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def referee_ok(scenario: dict, plan: dict) -> bool:
    violations, _kpis = _referee().check(copy.deepcopy(scenario), copy.deepcopy(plan))
    return not violations


# ---------------------------------------------------------------- the valid plan


def test_valid_plan_has_no_violations_and_exact_kpis():
    result = check(parse_scenario(SCENARIO), PLAN)
    assert result.violations == []
    assert result.ok
    zero = {"late_total_min": 0.0, "late_max_min": 0.0}
    assert result.kpis == {
        # T2 was due 2026-11-22T09:00 (created + 48 h) and starts 2026-11-23T10:00: 25 h late
        "tiers": {
            "emergency": {"tickets": 1, "served": 1, "on_time": 1, **zero},
            "urgent": {"tickets": 1, "served": 1, "on_time": 1, **zero},
            "normal": {
                "tickets": 2,
                "served": 2,
                "on_time": 1,
                "late_total_min": 1500.0,
                "late_max_min": 1500.0,
            },
            "low": {"tickets": 2, "served": 0, "on_time": 0, **zero},
        },
        "tickets": 6,
        "served": 4,
        "unassigned": 2,  # T7 is done: not counted
        "travel_min": 59.0,
        "on_duty_min": 363.0,  # E1 08:30-13:09 (279 min), E2 08:30-09:54 (84 min)
        "cost": 59.0,  # no `costs`: travel minutes alone
        "distance_km": 59.0,
        "engineers": {
            "E1": {
                "service_min": 180.0,
                "shift_min": 480.0,
                "utilisation": 0.375,
                "overtime_min": 0.0,
            },
            "E2": {
                "service_min": 60.0,
                "shift_min": 480.0,
                "utilisation": 0.125,
                "overtime_min": 0.0,
            },
        },
        "unassigned_by_reason": {"engineer": 1, "skill": 1},
    }
    json.dumps(result.kpis)  # KPIs go into JSON reports as they are


def test_valid_plan_passes_the_referee_too():
    assert referee_ok(SCENARIO, PLAN)


def test_plan_objects_are_read_through_to_dict():
    class PlanObject:
        def to_dict(self):
            return copy.deepcopy(PLAN)

    assert check(parse_scenario(SCENARIO), PlanObject()).ok


def test_kpis_come_from_the_route_geometry_not_the_plan():
    plan = copy.deepcopy(PLAN)
    plan["routes"][0].update(travel_min=1, distance_km=1)
    plan["kpis"] = {"travel_min": 1}
    assert check(parse_scenario(SCENARIO), plan).kpis["travel_min"] == 59.0


def test_unassigned_reasons_are_counted_by_text_without_codes():
    plan = copy.deepcopy(PLAN)
    for u in plan["unassigned"]:
        del u["code"]
    assert check(parse_scenario(SCENARIO), plan).kpis["unassigned_by_reason"] == {
        "E1 was asked for and is fully booked": 1,
        "no engineer has skill 'electric'": 1,
    }


def test_only_the_driven_legs_are_computed_in_one_call(monkeypatch):
    """The checker asks the travel model for the legs the routes drive (origin -> each stop ->
    home), once for the whole plan, and never for an all-pairs matrix (memory at 10,000 tickets)."""
    calls = []
    real = checker_module.travel_legs
    monkeypatch.setattr(
        checker_module,
        "travel_legs",
        lambda sc, a, b: calls.append((len(a), len(b))) or real(sc, a, b),
    )
    monkeypatch.setattr(travel_module, "travel_matrices", None)  # would raise if called
    result = check(parse_scenario(SCENARIO), PLAN)
    legs = sum(
        len([s for s in r["stops"] if s["type"] != "break"]) + 1
        for r in PLAN["routes"]
        if r["stops"] or "depart" in r
    )
    out = sum(1 for e in SCENARIO["engineers"] if "position" in e) if "now" in SCENARIO else 0
    assert calls == [(legs + out, legs + out)]  # and each position home (rule 7)
    assert result.ok, result.violations


def test_the_route_under_way_leaves_from_the_position():
    scenario = copy.deepcopy(SCENARIO)
    del scenario["engineers"][0]["position"]  # from start (0,0) T1 is 10 min away, not 5
    result = check(parse_scenario(scenario), PLAN)
    assert any("T1: E1 arrives" in v for v in result.violations), result.violations


def test_a_frozen_visit_may_have_started_before_now():
    scenario = copy.deepcopy(SCENARIO)
    del scenario["engineers"][0]["position"]
    plan = copy.deepcopy(PLAN)
    _route(plan, "E1")["depart"] = D + "08:00"
    _stop(plan, "E1", "T1").update(arrival=D + "08:10", start=D + "08:10", end=D + "09:10")
    assert check(parse_scenario(scenario), plan).ok


def test_van_stock_carries_over_shifts_in_shift_order():
    """E1 restocks 2 x P1 on day 1, uses 2, and has the third for T5 on day 2 (route listed
    first)."""
    scenario = copy.deepcopy(SCENARIO)
    scenario["engineers"][0]["shifts"].append(
        {"start": "2026-11-24T08:00", "end": "2026-11-24T16:00"}
    )
    scenario["tickets"][4]["parts"] = {"P1": 1}
    scenario["depots"][0]["parts"] = {"P1": 2}
    plan = copy.deepcopy(PLAN)
    restock = _stop(plan, "E1", "W1")
    restock["parts"] = {"P1": 2}
    plan["unassigned"] = [u for u in plan["unassigned"] if u["ticket"] != "T5"]
    day2 = "2026-11-24T"  # from start (0,0): 15.6 min to T5, then 10.8 min home to (6,2)
    plan["routes"].insert(
        0,
        {
            "engineer": "E1",
            "shift": 1,
            "depart": day2 + "08:00",
            "return": day2 + "09:27",
            "stops": [
                {
                    "type": "visit",
                    "ticket": "T5",
                    "arrival": day2 + "08:16",
                    "start": day2 + "08:16",
                    "end": day2 + "09:16",
                }
            ],
        },
    )
    assert check(parse_scenario(scenario), plan).violations == []
    restock["parts"] = {"P1": 1}
    assert any(
        v.startswith("T5: E1 is short of parts")
        for v in check(parse_scenario(scenario), plan).violations
    )


# ---------------------------------------------------------------- each rule broken once


def _route(plan, engineer):
    return next(r for r in plan["routes"] if r["engineer"] == engineer)


def _stop(plan, engineer, ref):
    return next(
        s
        for s in _route(plan, engineer)["stops"]
        if ref in (s.get("ticket"), s.get("depot"), s["type"])
    )


def _set(engineer, ref, **times):
    """Set stop times (HH:MM) of one stop."""

    def mutate(plan):
        _stop(plan, engineer, ref).update({k: D + v for k, v in times.items()})

    return mutate


def _set_route(engineer, **fields):
    def mutate(plan):
        _route(plan, engineer).update({k: D + v for k, v in fields.items()})

    return mutate


def _swap_t4_for(ticket):
    def mutate(plan):
        _stop(plan, "E2", "T4")["ticket"] = ticket
        plan["unassigned"] = [u for u in plan["unassigned"] if u["ticket"] != ticket]
        plan["unassigned"].append({"ticket": "T4", "reason": "swapped out"})

    return mutate


def _restock(**fields):
    def mutate(plan):
        _stop(plan, "E1", "W1").update(fields)

    return mutate


def _drop_break(plan):
    _route(plan, "E1")["stops"] = [s for s in _route(plan, "E1")["stops"] if s["type"] != "break"]


def _frozen_to_unassigned(plan):
    _route(plan, "E1")["stops"].pop(0)  # T2 is then 10.4 min from the position: still reachable
    plan["unassigned"].append({"ticket": "T1", "reason": "reassign"})


def _frozen_to_e2(plan):
    _route(plan, "E1")["stops"].pop(0)
    _route(plan, "E2")["stops"].append(visit("T1", "09:36", "09:36", "10:36"))  # 5.66 min from T4
    _route(plan, "E2")["return"] = D + "10:45"  # 8.94 min home


def _frozen_behind_restock(plan):
    """Restock first (3,4) -> W1 11.7 min, then T1 8 min, T2 6, break, T3 14.4: all else still
    holds."""
    _route(plan, "E1")["stops"] = [
        {
            "type": "restock",
            "depot": "W1",
            "arrival": D + "08:42",
            "start": D + "08:42",
            "end": D + "08:57",
            "parts": {"P1": 1},
            "tools": ["leak_detector"],
        },
        visit("T1", "09:05", "09:05", "10:05"),
        visit("T2", "10:11", "10:11", "11:41"),
        {"type": "break", "start": D + "12:00", "end": D + "12:30"},
        visit("T3", "12:31", "12:31", "13:01"),
    ]


def _second_route_same_shift(plan):
    plan["routes"].append(
        {
            "engineer": "E2",
            "shift": 0,
            "depart": D + "14:00",
            "return": D + "15:24",
            "stops": [visit("T6", "14:12", "14:12", "15:12")],
        }
    )
    plan["unassigned"] = [u for u in plan["unassigned"] if u["ticket"] != "T6"]


def _unassign(ticket, reason):
    def mutate(plan):
        plan["unassigned"] = [u for u in plan["unassigned"] if u["ticket"] != ticket]
        if reason is not None:
            plan["unassigned"].append({"ticket": ticket, "reason": reason})

    return mutate


CASES = {
    # rule 1
    "skill": (_swap_t4_for("T6"), ["T6", "E2", "electric"]),
    "required engineer": (_swap_t4_for("T5"), ["T5", "E1", "E2"]),
    # rule 2
    "outside window": (_set("E1", "T2", start="09:41", end="11:11"), ["T2", "E1", "window"]),
    "start after shift end": (
        lambda p: (
            _set_route("E2", depart="15:53", **{"return": "17:17"})(p),
            _set("E2", "T4", arrival="16:05", start="16:05", end="17:05")(p),
        ),
        ["T4", "E2", "shift"],
    ),
    "start before arrival": (_set("E1", "T2", arrival="10:05"), ["T2", "E1", "arriving"]),
    "wrong duration": (_set("E1", "T3", end="13:00"), ["T3", "E1", "30 min"]),
    # rule 3
    "travel too short": (_set("E1", "T2", arrival="09:38"), ["T2", "E1", "09:41"]),
    "departs before shift": (_set_route("E2", depart="07:50"), ["E2", "07:50"]),
    "overtime": (_set_route("E1", **{"return": "16:40"}), ["E1", "16:40", "16:30"]),
    "return too early": (_set_route("E1", **{"return": "13:05"}), ["E1", "13:05"]),
    # rule 4
    "parts short": (_restock(parts={}), ["T3", "E1", "P1"]),
    "depot over-handed": (_restock(parts={"P1": 2}), ["W1", "P1", "E1"]),
    "tool missing": (_restock(tools=[]), ["T3", "E1", "leak_detector"]),
    "tool the depot does not list": (
        _restock(tools=["leak_detector", "laser"]),
        ["W1", "laser", "E1"],
    ),
    "restock too short": (_set("E1", "W1", end="11:50"), ["W1", "E1", "15"]),
    # rule 5
    "break missing": (_drop_break, ["E1", "break", "12:00"]),
    "break too short": (_set("E1", "break", end="12:20"), ["E1", "break"]),
    "break overlapping a visit": (
        _set("E1", "break", start="12:30", end="13:00"),
        ["T3", "E1", "overlaps"],
    ),
    # rule 6
    "frozen moved to another engineer": (_frozen_to_e2, ["T1", "E2"]),
    "frozen left unassigned": (_frozen_to_unassigned, ["T1", "E1"]),
    "frozen behind a restock": (_frozen_behind_restock, ["T1", "E1", "first"]),
    # rule 7
    "stop before now": (
        lambda p: (
            _set_route("E2", depart="08:00", **{"return": "09:24"})(p),
            _set("E2", "T4", arrival="08:12", start="08:12", end="09:12")(p),
        ),
        ["T4", "E2", "now"],
    ),
    "departs before now from position": (_set_route("E1", depart="08:20"), ["E1", "now"]),
    # coverage
    "ticket missing": (_unassign("T5", None), ["T5", "missing"]),
    "ticket twice": (
        lambda p: p["unassigned"].append({"ticket": "T4", "reason": "also here"}),
        ["T4", "2 times"],
    ),
    "empty reason": (_unassign("T5", "  "), ["T5", "reason"]),
    "unknown ticket": (lambda p: p["unassigned"].append({"ticket": "T99", "reason": "?"}), ["T99"]),
    # routes: one per existing shift, stops in time order
    "second route for a shift": (_second_route_same_shift, ["E2", "shift 0"]),
    "shift that does not exist": (lambda p: _route(p, "E2").update(shift=3), ["E2", "3"]),
    "stops out of time order": (
        lambda p: _route(p, "E1")["stops"].insert(0, _route(p, "E1")["stops"].pop(3)),
        ["E1", "order"],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_broken_rule_is_reported(name):
    mutate, mentions = CASES[name]
    plan = copy.deepcopy(PLAN)
    mutate(plan)
    result = check(parse_scenario(SCENARIO), plan)
    assert not result.ok
    assert any(all(m in v for m in mentions) for v in result.violations), result.violations


@pytest.mark.parametrize("name", list(CASES))
def test_referee_agrees_on_each_broken_rule(name):
    mutate, _ = CASES[name]
    plan = copy.deepcopy(PLAN)
    mutate(plan)
    assert not referee_ok(SCENARIO, plan)


# ---------------------------------------------------------------- malformed plans are reported, not
# raised


def _with(path_value):
    plan = copy.deepcopy(PLAN)
    path, value = path_value
    node = plan
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return plan


MALFORMED = {
    "not an object": [1, 2],
    "empty object": {},
    "routes not a list": _with((["routes"], "E1")),
    "route without return": _with((["routes", 0, "return"], KeyError)),
    "impossible date": _with((["routes", 0, "stops", 1, "start"], "2026-13-40T99:00")),
    "time with an offset": _with((["routes", 0, "stops", 1, "start"], D + "10:00+01:00")),
    "time not a string": _with((["routes", 1, "depart"], 800)),
    "unknown stop type": _with((["routes", 0, "stops", 3, "type"], "lunch")),
    "negative restock quantity": _with((["routes", 0, "stops", 2, "parts"], {"P1": -1})),
    "unknown engineer": _with((["routes", 1, "engineer"], "E9")),
    "engineer not a string": _with((["routes", 1, "engineer"], ["E2"])),
    "unknown depot": _with((["routes", 0, "stops", 2, "depot"], "W9")),
    "visit to an unknown ticket": _with((["routes", 1, "stops", 0, "ticket"], "T99")),
    "unassigned entry without ticket": _with((["unassigned", 0], {"reason": "x"})),
    "stop not an object": _with((["routes", 1, "stops", 0], "T4")),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_plans_yield_violations_not_tracebacks(name):
    result = check(parse_scenario(SCENARIO), MALFORMED[name])
    assert not result.ok
    assert all(isinstance(v, str) and v for v in result.violations)
    json.dumps(result.kpis)

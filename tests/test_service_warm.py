"""Warm insertion (service/warm.py): a new ticket at the board's now re-plans only the engineers
near it. The board's scenario after it equals what apply_events makes of the whole board, and
every plan passes the package checker and the contract's referee on the whole board."""

from __future__ import annotations

import copy
import json

import pytest
from conftest import engineer, scenario, ticket
from service_support import assert_plan_ok

import dispatch_opt as do

warm = pytest.importorskip("dispatch_opt.service.warm")


def _city() -> dict:
    engs = [
        engineer(
            f"E{i:02d}", 6.0 * (i % 5), 6.0 * (i // 5), skills=["gas"] if i % 3 else ["gas", "elec"]
        )
        for i in range(20)
    ]
    ts = [
        ticket(
            f"T{i:03d}",
            (i * 7.3) % 30,
            (i * 11.9) % 24,
            duration=25,
            skills=["elec"] if i % 9 == 0 else ["gas"],
            priority=("urgent", "normal", "low")[i % 3],
        )
        for i in range(90)
    ]
    ts[4] = {**ts[4], "status": "started", "engineer": "E01", "started_at": "2026-11-30T08:50"}
    return scenario(engs, ts, name="warm-city", now="2026-11-30T09:00")


def _new(i: int, at: str = "2026-11-30T09:00", **extra) -> dict:
    return {
        "type": "new_ticket",
        "at": at,
        "ticket": {
            "id": f"N{i}",
            "location": {"x": (i * 5.1) % 30, "y": (i * 3.7) % 24},
            "priority": "emergency",
            "duration_min": 30,
            "skills": ["gas"],
            **extra,
        },
    }


def test_new_tickets_inserted_near_keep_the_board_whole():
    raw = _city()
    state = do.load_scenario(copy.deepcopy(raw))
    plan = do.solve(state, do.SolveParams(time_limit_s=0))
    local = 0
    for i in range(8):
        ev = _new(i, **({"skills": ["elec"]} if i == 3 else {}))
        reference = do.apply_events(state, [ev])
        done = warm.insert_new_ticket(state, plan, ev, near=6)
        if done is None:  # the whole board's fast path, as the service would
            state, plan = (
                reference,
                do.solve(reference, do.SolveParams(time_limit_s=0), previous=plan),
            )
            continue
        local += 1
        new_state, new_plan = done
        assert json.dumps(new_state.to_dict(), sort_keys=True) == json.dumps(
            reference.to_dict(), sort_keys=True
        )
        assert "near the ticket" in new_plan.kpis["status"]
        # the compact JSON (each kept route's text written once) is json.dumps of the plan
        assert new_plan.to_json(indent=None) == json.dumps(new_plan.to_dict())
        assert_plan_ok(reference.to_dict(), json.loads(new_plan.to_json()))
        assert f"N{i}" in {s.ticket for r in new_plan.routes for s in r.visits}
        state, plan = new_state, new_plan
    assert local >= 6


def test_later_moments_and_other_events_take_the_whole_board():
    raw = _city()
    state = do.load_scenario(copy.deepcopy(raw))
    plan = do.solve(state, do.SolveParams(time_limit_s=0))
    assert warm.insert_new_ticket(state, plan, _new(1, at="2026-11-30T09:30")) is None
    cancel = {"type": "cancel_ticket", "at": "2026-11-30T09:00", "ticket": "T010"}
    assert warm.insert_new_ticket(state, plan, cancel) is None
    clash = _new(1)
    clash["ticket"]["id"] = "T010"
    assert warm.insert_new_ticket(state, plan, clash) is None  # the full path names the clash


def test_slots_near_the_caller_fit_the_plan():
    state = do.load_scenario(_city())
    plan = do.solve(state, do.SolveParams(time_limit_s=0))
    caller = {
        "id": "C1",
        "location": {"x": 3, "y": 3},
        "priority": "normal",
        "duration_min": 30,
        "skills": ["gas"],
    }
    offer = warm.offer_near(state, plan, caller, {"horizon_days": 1}, near=6)
    assert offer is not None and offer.slots
    near = warm.nearest_engineers(state, caller, 6)
    assert {s.engineer for s in offer.slots} <= near
    slot = offer.slots[0]
    booked = do.apply_events(
        state,
        [
            {
                "type": "new_ticket",
                "at": "2026-11-30T09:00",
                "ticket": {**caller, "windows": [slot.window()]},
            }
        ],
    )
    new = do.solve(booked, do.SolveParams(time_limit_s=0), previous=plan)
    assert "C1" in {s.ticket for r in new.routes for s in r.visits}

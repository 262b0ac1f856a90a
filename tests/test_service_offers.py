"""Offer workers (service/offers.py): processes that keep replicas of the boards answer slot
offers exactly as the server itself would, from the version in force; a version reaches them as
what it changed; a worker that dies is passed over."""

from __future__ import annotations

import copy
import json
import time

import pytest
from board_support import auth, board_app, post_board
from test_service_warm import _city, _new

import dispatch_opt as do

offers = pytest.importorskip("dispatch_opt.service.offers")
warm = pytest.importorskip("dispatch_opt.service.warm")
from fastapi.testclient import TestClient  # noqa: E402

FAST = do.SolveParams(time_limit_s=0)


def _same_board(a: tuple, b: tuple) -> None:
    assert json.dumps(a[0].to_dict(), sort_keys=True) == json.dumps(b[0].to_dict(), sort_keys=True)
    assert [r.json() for r in a[1].routes] == [r.json() for r in b[1].routes]
    assert a[1].unassigned == b[1].unassigned


def _steps(state: do.Scenario, plan: do.Plan):
    """Versions of a board as the service makes them: (cause, scenario, plan)."""
    done = warm.insert_new_ticket(state, plan, _new(1), near=6)
    assert done is not None
    yield "new ticket near", *done
    state, plan = done
    route = next(
        r
        for r in plan.routes
        if len(r.visits) >= 2 and state.ticket(r.visits[0].ticket).status != "started"
    )
    at = "2026-11-30T09:00"
    events = [
        {"type": "cancel_ticket", "at": at, "ticket": route.visits[-1].ticket},
        {"type": "position_update", "at": at, "engineer": "E03", "position": {"x": 3, "y": 4}},
        {
            "type": "ticket_status",
            "at": at,
            "ticket": route.visits[0].ticket,
            "status": "started",
            "engineer": route.engineer,
        },
    ]
    for ev in events:
        state = do.apply_events(state, [ev])
        plan = do.solve(state, FAST, previous=plan)
        yield ev["type"], state, plan
    state = do.advance(state, plan, "2026-11-30T10:30")
    plan = do.solve(state, FAST, previous=plan)
    yield "advance", state, plan


def test_a_version_sent_as_what_it_changed_rebuilds_the_board_exactly():
    state = do.load_scenario(copy.deepcopy(_city()))
    plan = do.solve(state, FAST)
    before, sent = (state, plan), []
    for cause, s, p in _steps(state, plan):
        c = offers.change(before, (s, p))
        if c is not None:
            sent.append(cause)
            _same_board(offers.apply_change(*before, c), (s, p))
        before = (s, p)
    assert sent == [
        "new ticket near",
        "cancel_ticket",
        "position_update",
        "ticket_status",
        "advance",
    ]
    # near one ticket only the routes re-planned travel, and only the new ticket
    state = do.load_scenario(copy.deepcopy(_city()))
    plan = do.solve(state, FAST)
    s, p = warm.insert_new_ticket(state, plan, _new(2), near=6)
    c = offers.change((state, plan), (s, p))
    moved = [r for r in c["routes"] if not isinstance(r, tuple)]
    assert 0 < len(moved) <= 6 and len(c["routes"]) == len(p.routes)
    assert list(c["tickets"]) == ["N2"]


def _ready(app) -> None:
    workers = app.state.boards.offers
    for _ in range(600):  # a worker imports the package and loads the compiled kernels
        if workers.ready():
            return
        time.sleep(0.2)
    pytest.fail("the offer worker did not start")


def _callers() -> list[dict]:
    return [
        {
            "id": f"C{i}",
            "location": {"x": (i * 7.7) % 30, "y": (i * 4.3) % 24},
            "priority": "low",
            "duration_min": 30,
            "skills": ["gas"],
        }
        for i in range(3)
    ]


def test_offer_workers_answer_as_the_server_would(tmp_path):
    app, keys = board_app(tmp_path / "offers.db", offer_workers=1)
    raw = _city()
    state = do.load_scenario(copy.deepcopy(raw))
    plan = do.solve(state, FAST)
    with TestClient(app) as client:
        sid = post_board(client, keys, raw, plan)
        _ready(app)
        workers = app.state.boards.offers
        v = auth(keys["viewer"])

        def asked(ticket: dict) -> dict:
            body = {"ticket": ticket, "days": 2}
            r = client.post(f"/v1/boards/{sid}/slots", json=body, headers=v)
            assert r.status_code == 200, r.text
            return r.json()

        def here(ticket: dict) -> dict:
            board = app.state.boards.get(sid)
            return warm.offer(board.state, board.plan, ticket, {"horizon_days": 2}).to_dict()

        for ticket in _callers():
            assert asked(ticket) == here(ticket)
        assert workers.answered == 3
        assert any(o["slots"] for o in map(here, _callers()))  # offers with slots were compared
        r = client.post(f"/v1/boards/{sid}/events", json=_new(5), headers=auth(keys["dispatcher"]))
        assert r.status_code == 200, r.text
        for ticket in _callers():  # from the new version, sent as what it changed
            assert asked(ticket) == here(ticket)
        assert workers.answered == 6
        bad = client.post(
            f"/v1/boards/{sid}/slots",
            json={"ticket": {**_callers()[0], "duration_min": -5}},
            headers=v,
        )
        assert bad.status_code == 422 and "duration_min" in bad.text
        assert workers.answered == 7  # the refusal was the worker's
        workers.workers[0].proc.kill()
        workers.workers[0].proc.wait()
        for ticket in _callers():  # passed over: the server answers itself
            assert asked(ticket) == here(ticket)
        assert workers.answered == 7

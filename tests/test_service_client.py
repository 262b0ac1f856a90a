"""The Python client against a real server (SQLite): the same verbs as the API, the package's own
Plan and Scenario objects back, refusals as ServiceError with their problems."""

from __future__ import annotations

import json

import pytest
from service_support import Server, assert_plan_ok, emergency, make_key, small_scenario

import dispatch_opt as do
from dispatch_opt.client import Client, ServiceError


@pytest.fixture
def server(tmp_path):
    from dispatch_opt.service.db import upgrade

    url = f"sqlite:///{tmp_path / 'client.db'}"
    upgrade(url)
    s = Server(url).start()
    yield s, make_key(url, "admin"), make_key(url, "viewer")
    s.kill()


def test_client_verbs(server):
    srv, admin, viewer = server
    raw = small_scenario()
    with Client(srv.base, admin) as c:
        assert c.health()["status"] == "ok"
        board = c.post_scenario(do.load_scenario(raw))
        assert board in {s["id"] for s in c.scenarios()}
        assert isinstance(c.scenario(board, as_posted=True), do.Scenario)
        plan = c.solve(board, time_limit_s=1, iterations=10)
        assert isinstance(plan, do.Plan) and plan.kpis["served"] > 0
        answer = c.post_events(board, emergency(1))
        assert isinstance(answer["plan"], do.Plan) and answer["version"] == c.version(board)
        state = c.scenario(board)
        assert "EM001" in {t.id for t in state.tickets}
        assert_plan_ok(state.to_dict(), answer["plan"].to_dict())
        caller = {
            "id": "CL1",
            "location": {"x": 2, "y": 2},
            "priority": "normal",
            "duration_min": 20,
            "skills": ["gas"],
        }
        offer = c.slots(board, caller, days=1)
        booked = c.book(board, caller, offer["slots"][0], days=1)
        assert "CL1" in {s.ticket for r in booked["plan"].routes for s in r.visits}
        assert [v["version"] for v in c.versions(board)] == [1, 2, 3]
        assert [e["seq"] for e in c.events(board)] == [1, 2]
        assert c.diff(board, 1, 3)["diff"]["summary"]["newly_planned"] >= 2
        assert "served" in c.kpis(board)
        assert set(c.engineers(board)["engineer"]) == {"E0", "E1", "E2"}
        assert c.plan(board, 1).to_dict()["routes"] == plan.to_dict()["routes"]
        with pytest.raises(ServiceError) as err:
            c.post_events(
                board, {"type": "cancel_ticket", "at": "2026-11-30T09:00", "ticket": "NOPE"}
            )
        assert err.value.status == 422 and err.value.problems[0]["fix"]
    with Client(srv.base, viewer) as c, pytest.raises(ServiceError) as err:
        c.post_events(board, emergency(2))
    assert err.value.status == 403 and err.value.code == "forbidden"
    # the board's stream: the version in force at once, then each new one
    with srv.client(viewer) as h, h.stream("GET", f"/v1/boards/{board}/stream") as r:
        lines = r.iter_lines()
        assert next(lines) == "event: version"
        assert json.loads(next(lines)[len("data: ") :])["version"] == 3
        with Client(srv.base, admin) as c:
            c.post_events(board, emergency(3))
        data = next(x for x in lines if x.startswith("data: "))
        assert json.loads(data[len("data: ") :])["version"] == 4

"""The board's routes on the service: the page and its files, `/v1/me`, and the move preview,
which names the rules a move breaks, costs it, and commits nothing; its `event` committed as a
`pin` gives a plan both checkers accept, and `unpin` undoes it."""

from __future__ import annotations

import copy

import pytest
from board_support import auth, board_app, post_board
from conftest import assert_both_checkers, at, engineer, scenario, served_by, ticket

import dispatch_opt as do

TestClient = pytest.importorskip("fastapi.testclient").TestClient


def tiny() -> dict:
    """E1 at x=0 and E2 at x=40 fix boilers; E3 (x=20) does not. T1 sits by E1."""
    engs = [engineer("E1", 0, 0, skills=["boiler"]), engineer("E2", 40, 0, skills=["boiler"]),
            engineer("E3", 20, 0)]
    ts = [ticket("T1", 1, 0, skills=["boiler"]), ticket("T2", 3, 0, skills=["boiler"]),
          ticket("T3", 38, 0, skills=["boiler"]), ticket("T4", 20, 2, priority="urgent")]
    return scenario(engs, ts)


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    app, keys = board_app(tmp_path_factory.mktemp("board") / "board.db")
    raw = tiny()
    plan = do.solve(do.load_scenario(copy.deepcopy(raw)), do.SolveParams(time_limit_s=1, seed=1))
    assert served_by(plan)["T1"] == "E1"
    with TestClient(app) as client:
        sid = post_board(client, keys, raw, plan)
        yield client, keys, sid


def test_the_page_and_its_files_need_no_key(svc):
    client, _, _ = svc
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert '<script type="module" src="/board/board.js">' in page.text
    for name in ("board.js", "api.js", "gantt.js", "map.js", "panels.js", "util.js", "board.css"):
        assert client.get(f"/board/{name}").status_code == 200, name


def test_me_tells_the_role_and_needs_a_key(svc):
    client, keys, _ = svc
    assert client.get("/v1/me").status_code == 401
    for role, key in keys.items():
        assert client.get("/v1/me", headers=auth(key)).json() == {"role": role}


def test_preview_checks_and_costs_a_move_and_stores_nothing(svc):
    client, keys, sid = svc
    before = client.get(f"/v1/boards/{sid}/plan", headers=auth(keys["viewer"])).json()
    r = client.post(f"/v1/boards/{sid}/preview", json={"ticket": "T1", "engineer": "E2"},
                    headers=auth(keys["dispatcher"]))
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["version"] == before["version"]
    assert p["event"] == {"type": "pin", "at": at("08:00:00"), "ticket": "T1", "engineer": "E2"}
    assert p["hand"]["ok"], p["hand"]["broken"]
    assert p["hand"]["cost"]["travel_min"] > 50  # 39 km each way out of E2's day, 1 km/min
    assert p["replan"]["kept_move"] and p["replan"]["where"]["engineer"] == "E2"
    assert p["replan"]["cost"]["pushed_out"] == [] and p["can_commit"]
    assert set(p["replan"]["cost"]["tiers"]) == {"emergency", "urgent", "normal", "low"}
    after = client.get(f"/v1/boards/{sid}/plan", headers=auth(keys["viewer"])).json()
    assert after == before  # nothing committed
    assert client.get(f"/v1/boards/{sid}/events", headers=auth(keys["viewer"])).json() == {
        "events": []
    }


def test_preview_names_the_broken_rule_and_refuses_the_commit(svc):
    client, keys, sid = svc
    r = client.post(f"/v1/boards/{sid}/preview", json={"ticket": "T1", "engineer": "E3"},
                    headers=auth(keys["dispatcher"]))
    p = r.json()
    assert not p["hand"]["ok"]
    assert [b["rule"] for b in p["hand"]["broken"]] == ["skills"]
    assert "E3 lacks skills" in p["hand"]["broken"][0]["message"]
    assert "1 skills and required engineer" not in p["hand"]["kept"]
    assert "3 travel and shift end" in p["hand"]["kept"]
    assert not p["replan"]["kept_move"] and not p["can_commit"]
    assert "skill" in p["replan"]["reason"]
    assert p["replan"]["cost"]["pushed_out"] == ["T1"]


def test_a_start_that_overruns_the_shift_is_named_under_travel_and_shift_end(svc):
    client, keys, sid = svc
    r = client.post(f"/v1/boards/{sid}/preview",
                    json={"ticket": "T2", "engineer": "E1", "start": at("16:50")},
                    headers=auth(keys["dispatcher"]))
    p = r.json()
    rules = {b["rule"] for b in p["hand"]["broken"]}
    assert "travel" in rules and "skills" not in rules, p["hand"]["broken"]
    assert any("after shift end" in b["message"] for b in p["hand"]["broken"])
    assert not p["can_commit"] and p["replan"]["reason"]


def test_a_move_that_cannot_apply_is_a_field_named_422(svc):
    client, keys, sid = svc
    h = auth(keys["dispatcher"])
    r = client.post(f"/v1/boards/{sid}/preview", json={"ticket": "T1", "engineer": "E9"}, headers=h)
    assert r.status_code == 422 and "unknown engineer 'E9'" in r.text
    r = client.post(f"/v1/boards/{sid}/preview",
                    json={"ticket": "T1", "engineer": "E2", "shift": -1, "when": 3}, headers=h)
    assert r.status_code == 422
    paths = {p["path"] for p in r.json()["problems"]}
    assert {"body.shift", "body.when"} <= paths
    assert client.post(f"/v1/boards/{sid}/preview", json={"ticket": "T1", "engineer": "E2"},
                       headers=auth(keys["viewer"])).status_code == 403


def test_commit_the_previewed_pin_then_undo_it(svc):
    client, keys, sid = svc
    h = auth(keys["dispatcher"])
    p = client.post(f"/v1/boards/{sid}/preview",
                    json={"ticket": "T1", "engineer": "E2", "start": at("11:00")}, headers=h).json()
    assert p["can_commit"], p
    r = client.post(f"/v1/boards/{sid}/events", json=[p["event"]], headers=h)
    assert r.status_code == 200, r.text
    ans = r.json()
    assert ans["version"] == p["version"] + 1
    state = client.get(f"/v1/boards/{sid}/scenario", headers=h).json()
    assert_both_checkers(state, ans["plan"])
    stop = next(s for r_ in ans["plan"]["routes"] for s in r_["stops"] if s.get("ticket") == "T1")
    route = next(r_ for r_ in ans["plan"]["routes"] if stop in r_["stops"])
    assert route["engineer"] == "E2" and stop["start"].startswith(at("11:00"))
    assert p["replan"]["where"]["start"] == stop["start"]  # the preview showed what happened
    assert next(t for t in state["tickets"] if t["id"] == "T1")["pinned"]["engineer"] == "E2"
    # undo
    r = client.post(f"/v1/boards/{sid}/events",
                    json={"type": "unpin", "at": at("08:00"), "ticket": "T1"}, headers=h)
    assert r.status_code == 200, r.text
    state = client.get(f"/v1/boards/{sid}/scenario", headers=h).json()
    assert_both_checkers(state, r.json()["plan"])
    assert "pinned" not in next(t for t in state["tickets"] if t["id"] == "T1")
    assert do.load_scenario(state).ticket("T1") == do.load_scenario(tiny()).ticket("T1")

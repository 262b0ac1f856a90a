"""The service's API in process (FastAPI's test client on a SQLite file): every path, every role,
the error shapes (401, 403, 404, 409, 413, 422, 500 without a trace), keys stored hashed, the
schema check, cancelled and interrupted solves, and the database's guard against two writers
from the same base."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from service_support import assert_plan_ok, emergency, make_key, small_scenario

from dispatch_opt.service import store
from dispatch_opt.service.app import SchemaBehind, Settings, create_app
from dispatch_opt.service.boards import Boards
from dispatch_opt.service.db import make_engine, upgrade
from dispatch_opt.service.errors import ApiError

testclient = pytest.importorskip("fastapi.testclient")


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('svc') / 'api.db'}"
    upgrade(url)
    keys = {role: make_key(url, role) for role in ("viewer", "dispatcher", "admin")}
    app = create_app(Settings(db=url, workers=1, max_body_mb=1.0))
    client = testclient.TestClient(app, raise_server_exceptions=False)
    raw = small_scenario()
    board = client.post("/v1/scenarios", json=raw, headers=_h(keys["admin"])).json()["id"]
    job = client.post(
        "/v1/solves",
        json={"scenario": board, "params": {"time_limit_s": 1, "iterations": 10}},
        headers=_h(keys["admin"]),
    ).json()["id"]
    _wait(client, job, keys["admin"])
    yield {"url": url, "keys": keys, "client": client, "board": board, "raw": raw, "app": app}
    client.close()


def _h(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def _wait(client, job: str, key: str, until=("done", "failed", "cancelled")) -> dict:
    end = time.monotonic() + 300
    while time.monotonic() < end:
        status = client.get(f"/v1/solves/{job}", headers=_h(key)).json()
        if status["status"] in until:
            return status
        time.sleep(0.1)
    raise AssertionError(f"solve {job} still {status['status']}")


def test_open_paths_need_no_key(svc):
    c = svc["client"]
    assert c.get("/health").json()["status"] == "ok"
    doc = c.get("/openapi.json").json()
    for path in (
        "/v1/scenarios",
        "/v1/solves",
        "/v1/boards/{sid}/events",
        "/v1/boards/{sid}/slots",
        "/v1/boards/{sid}/bookings",
        "/v1/boards/{sid}/plan",
    ):
        assert path in doc["paths"]
    assert c.get("/docs").status_code == 200


def _endpoints(board: str) -> list[tuple[str, str, object, str]]:
    caller = {
        "id": "ROLECALL",
        "location": {"x": 1, "y": 1},
        "priority": "low",
        "duration_min": 10,
        "skills": ["gas"],
    }
    return [
        ("GET", "/v1/scenarios", None, "viewer"),
        ("GET", f"/v1/scenarios/{board}", None, "viewer"),
        ("GET", f"/v1/boards/{board}/plan", None, "viewer"),
        ("GET", f"/v1/boards/{board}/plans", None, "viewer"),
        ("GET", f"/v1/boards/{board}/plans/1", None, "viewer"),
        ("GET", f"/v1/boards/{board}/diff?from=1&to=1", None, "viewer"),
        ("GET", f"/v1/boards/{board}/scenario", None, "viewer"),
        ("GET", f"/v1/boards/{board}/events", None, "viewer"),
        ("GET", f"/v1/boards/{board}/kpis", None, "viewer"),
        ("GET", f"/v1/boards/{board}/engineers", None, "viewer"),
        ("POST", f"/v1/boards/{board}/slots", {"ticket": caller}, "viewer"),
        (
            "POST",
            f"/v1/boards/{board}/events",
            {
                "type": "position_update",
                "at": "2026-11-30T08:05",
                "engineer": "E0",
                "position": {"x": 0, "y": 0},
            },
            "dispatcher",
        ),
        (
            "POST",
            f"/v1/boards/{board}/bookings",
            {"ticket": caller, "slot": {"start": "2026-11-30T10:00", "end": "2026-11-30T12:00"}},
            "dispatcher",
        ),
        ("POST", f"/v1/boards/{board}/advance", {"to": "2026-11-30T08:10"}, "dispatcher"),
        ("POST", "/v1/scenarios", small_scenario("role-check"), "admin"),
        (
            "POST",
            "/v1/solves",
            {"scenario": board, "params": {"time_limit_s": 0.5, "iterations": 1}},
            "admin",
        ),
        ("PUT", f"/v1/boards/{board}/plan", {"format": "not a plan"}, "admin"),
        ("DELETE", "/v1/solves/solve-nonexistent", None, "admin"),
    ]


def test_every_path_every_role(svc):
    c, keys, board = svc["client"], svc["keys"], svc["board"]
    order = ["viewer", "dispatcher", "admin"]
    for method, path, body, needed in _endpoints(board):
        for headers, status in (
            ({}, 401),
            (_h("dok_not-a-key"), 401),
            ({"Authorization": "Basic x"}, 401),
        ):
            r = c.request(method, path, json=body, headers=headers)
            assert r.status_code == status, (method, path, r.text)
            assert r.json()["error"] == "unauthorized"
        for role in order:
            r = c.request(method, path, json=body, headers=_h(keys[role]))
            if order.index(role) < order.index(needed):
                assert r.status_code == 403, (method, path, role, r.text)
                assert needed in r.json()["message"]
            else:
                assert r.status_code not in (401, 403), (method, path, role, r.text)
                assert r.status_code < 500, (method, path, role, r.text)


def test_revoked_key_and_keys_cli(svc):
    from dispatch_opt.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["keys", "create", "--role", "viewer", "--db", svc["url"]])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("dok_") and " " not in key
    c = svc["client"]
    assert c.get("/v1/scenarios", headers=_h(key)).status_code == 200
    engine = make_engine(svc["url"])
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT prefix, hash FROM api_keys")).all()
    engine.dispose()
    assert all(key not in (p, h) for p, h in stored)  # only a hash and a short prefix
    result = runner.invoke(main, ["keys", "revoke", key, "--db", svc["url"]])
    assert result.exit_code == 0, result.output
    assert c.get("/v1/scenarios", headers=_h(key)).status_code == 401
    again = runner.invoke(main, ["keys", "revoke", key, "--db", svc["url"]])
    assert again.exit_code == 2 and "Traceback" not in again.output


def test_error_shapes(svc, monkeypatch):
    c, admin, board = svc["client"], _h(svc["keys"]["admin"]), svc["board"]
    bad = small_scenario("bad")
    bad["tickets"][0]["duration_min"] = -5
    bad["tickets"][1]["skils"] = ["gas"]
    r = c.post("/v1/scenarios", json=bad, headers=admin)
    assert r.status_code == 422
    problems = r.json()["problems"]
    assert len(problems) == 2
    dur = next(p for p in problems if p["path"].endswith("duration_min"))
    assert dur["value"] == "-5" and dur["fix"]
    assert any(p["path"].endswith("skils") and "skills" in p["fix"] for p in problems)
    r = c.post("/v1/solves", json={"scenario": board, "params": {"time_limt_s": 1}}, headers=admin)
    assert r.status_code == 422 and "time_limt_s" in r.json()["problems"][0]["path"]
    r = c.post(
        "/v1/solves", json={"scenario": board, "params": {"time_limit_s": -1}}, headers=admin
    )
    assert r.status_code == 422
    r = c.post("/v1/scenarios", content=b"{not json", headers=admin)
    assert r.status_code == 422 and r.json()["problems"][0]["path"] == "body"
    r = c.post("/v1/scenarios", content=b"x" * (2 * 2**20), headers=admin)
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    r = c.get("/v1/boards/nope/plan", headers=admin)
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = c.post(
        f"/v1/boards/{board}/events",
        json={"type": "tea_break", "at": "2026-11-30T09:00"},
        headers=admin,
    )
    assert r.status_code == 422 and r.json()["problems"][0]["fix"]

    def boom(*_a, **_k):
        raise RuntimeError("secret detail at /some/path line 3")

    monkeypatch.setattr(svc["app"].state.boards, "offer", boom)
    r = c.post(f"/v1/boards/{board}/slots", json={"ticket": {"id": "Z"}}, headers=admin)
    assert r.status_code == 500
    assert "Traceback" not in r.text and "secret detail" not in r.text


def test_board_reads_and_writes(svc):
    c, board = svc["client"], svc["board"]
    d = _h(svc["keys"]["dispatcher"])
    start = c.get(f"/v1/boards/{board}/plan", headers=d).json()
    assert_plan_ok(c.get(f"/v1/boards/{board}/scenario", headers=d).json(), start["plan"])
    r = c.post(f"/v1/boards/{board}/events", json=[emergency(1), emergency(2)], headers=d)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["version"] == start["version"] + 1
    assert {"summary", "changes"} <= set(answer["diff"])
    state = c.get(f"/v1/boards/{board}/scenario", headers=d).json()
    assert_plan_ok(state, answer["plan"])
    versions = c.get(f"/v1/boards/{board}/plans", headers=d).json()["versions"]
    assert [v["version"] for v in versions] == list(range(1, answer["version"] + 1))
    kept = c.get(f"/v1/boards/{board}/plans/{answer['version']}", headers=d).json()
    assert kept["plan"] == answer["plan"]
    diff = c.get(
        f"/v1/boards/{board}/diff", params={"from": 1, "to": answer["version"]}, headers=d
    ).json()
    assert (
        diff["diff"]["summary"]["newly_planned"] + diff["diff"]["summary"]["newly_unassigned"] >= 1
    )
    assert "served" in c.get(f"/v1/boards/{board}/kpis", headers=d).json()["kpis"]
    table = c.get(f"/v1/boards/{board}/engineers", headers=d).json()["engineers"]
    assert {row["engineer"] for row in table} == {"E0", "E1", "E2"}
    caller = {
        "id": "C1",
        "location": {"x": 4, "y": 4},
        "priority": "normal",
        "duration_min": 30,
        "skills": ["gas"],
    }
    offer = c.post(
        f"/v1/boards/{board}/slots", json={"ticket": caller, "days": 1}, headers=d
    ).json()
    assert offer["slots"]
    booked = c.post(
        f"/v1/boards/{board}/bookings",
        json={"ticket": caller, "slot": offer["slots"][0], "days": 1},
        headers=d,
    )
    assert booked.status_code == 200, booked.text
    visit = next(
        s for r in booked.json()["plan"]["routes"] for s in r["stops"] if s.get("ticket") == "C1"
    )
    assert offer["slots"][0]["start"] <= visit["start"] <= offer["slots"][0]["end"]
    moved = c.post(f"/v1/boards/{board}/advance", json={"to": "2026-11-30T11:00"}, headers=d)
    assert moved.status_code == 200, moved.text
    state = c.get(f"/v1/boards/{board}/scenario", headers=d).json()
    assert state["now"].startswith("2026-11-30T11:00")
    assert_plan_ok(state, moved.json()["plan"])
    log = c.get(f"/v1/boards/{board}/events", headers=d).json()["events"]
    assert [e["event"].get("ticket", {}).get("id") for e in log[-3:]] == ["EM001", "EM002", "C1"]


def test_html_report(svc):
    pytest.importorskip("matplotlib")
    c, board = svc["client"], svc["board"]
    r = c.get(
        f"/v1/boards/{board}/plan", params={"format": "html"}, headers=_h(svc["keys"]["viewer"])
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<svg" in r.text


def test_plan_given_back_matched_by_content_not_name(svc):
    c, board = svc["client"], svc["board"]
    admin = _h(svc["keys"]["admin"])
    current = c.get(f"/v1/boards/{board}/plan", headers=admin).json()
    plan = dict(current["plan"], scenario="renamed-copy")
    r = c.put(f"/v1/boards/{board}/plan", json=plan, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == current["version"] + 1
    huge = json.loads(json.dumps(current["plan"]))
    huge["routes"][0]["stops"].insert(
        0,
        {
            "type": "restock",
            "depot": "D",
            "start": "2026-11-30T08:00",
            "end": "2026-11-30T08:10",
            "parts": {"pump": 10**30},
            "tools": [],
        },
    )
    r = c.put(f"/v1/boards/{board}/plan", json=huge, headers=admin)
    assert r.status_code == 422
    assert any("routes[0].stops[0]" in p["path"] for p in r.json()["problems"])


def test_cancel_and_interrupted(svc):
    c, admin, board = svc["client"], _h(svc["keys"]["admin"]), svc["board"]
    job = c.post(
        "/v1/solves", json={"scenario": board, "params": {"time_limit_s": 60}}, headers=admin
    ).json()["id"]
    _wait(c, job, svc["keys"]["admin"], until=("running",))
    r = c.delete(f"/v1/solves/{job}", headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    time.sleep(0.5)
    assert c.get(f"/v1/solves/{job}", headers=admin).json()["status"] == "cancelled"
    assert c.delete(f"/v1/solves/{job}", headers=admin).status_code == 409
    kept = c.get(f"/v1/boards/{board}/plans", headers=admin).json()["versions"]
    assert all(v["solve"] != job for v in kept)  # a cancelled solve's plan is never in force
    engine = make_engine(svc["url"])
    store.add_solve(engine, "solve-left-running", board, {})
    store.set_solve(engine, "solve-left-running", status="running")
    create_app(Settings(db=svc["url"], workers=1))  # a restart
    assert store.get_solve(engine, "solve-left-running")["status"] == "interrupted"
    engine.dispose()


def test_two_writers_from_one_base(svc):
    """Two processes' boards on one database: the second commit from the same version is a 409,
    whatever the in-process locks."""
    engine = make_engine(svc["url"])
    a, b = Boards(engine), Boards(engine)
    board = svc["board"]
    base = a.get(board).version
    assert b.get(board).version == base
    a.post_events(board, emergency(700), None)
    with pytest.raises(ApiError) as err:
        b.post_events(board, emergency(701), None)
    assert err.value.status == 409
    answer = json.loads(b.post_events(board, emergency(701), None))  # reloaded: goes on top
    assert answer["version"] == base + 2
    engine.dispose()
    svc["app"].state.boards.reload(board)


def test_schema_behind_refuses_to_start(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(SchemaBehind, match="dispatch-opt db upgrade"):
        create_app(Settings(db=url))
    from dispatch_opt.cli import main

    result = CliRunner().invoke(main, ["serve", "--db", url])
    assert result.exit_code != 0 and "dispatch-opt db upgrade" in result.output


def test_emergency_at_now_inserted_near(svc):
    c, board = svc["client"], svc["board"]
    d = _h(svc["keys"]["dispatcher"])
    now = c.get(f"/v1/boards/{board}/scenario", headers=d).json()["now"]
    r = c.post(f"/v1/boards/{board}/events", json=emergency(42, at=now), headers=d)
    assert r.status_code == 200, r.text
    assert "near the ticket" in r.json()["plan"]["kpis"]["status"]
    assert_plan_ok(c.get(f"/v1/boards/{board}/scenario", headers=d).json(), r.json()["plan"])

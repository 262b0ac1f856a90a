"""The service as a real process on 127.0.0.1, on SQLite and on PostgreSQL: a day through it,
concurrent posts to one board, the double booking, idempotent retries, and SIGKILL mid-solve and
mid-burst of events followed by a restart on the same database (nothing answered is lost)."""

from __future__ import annotations

import threading
import time

import pytest
from service_support import (  # noqa: F401 - fixtures
    Server,
    assert_plan_ok,
    db_url,
    emergency,
    make_key,
    postgres,
    small_scenario,
)


@pytest.fixture
def served(db_url):  # noqa: F811 - the fixture of that name
    admin = make_key(db_url, "admin")
    server = Server(db_url).start()
    yield server, admin
    server.kill()


def _board(c, raw: dict) -> str:
    r = c.post("/v1/scenarios", json=raw)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _solve(c, board: str, **params) -> dict:
    r = c.post("/v1/solves", json={"scenario": board, "params": params})
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    end = time.monotonic() + 300
    while time.monotonic() < end:
        status = c.get(f"/v1/solves/{job}").json()
        if status["status"] not in ("queued", "running"):
            return status
        time.sleep(0.2)
    raise AssertionError("solve did not finish")


def _state(c, board: str) -> dict:
    return c.get(f"/v1/boards/{board}/scenario").json()


def test_a_day_through_the_server(served):
    server, admin = served
    raw = small_scenario()
    with server.client(admin) as c:
        board = _board(c, raw)
        done = _solve(c, board, time_limit_s=2, iterations=20)
        assert done["status"] == "done", done
        assert_plan_ok(raw, done["plan"])
        r = c.post(f"/v1/boards/{board}/events", json=emergency(1))
        assert r.status_code == 200, r.text
        answer = r.json()
        assert answer["version"] == 2 and answer["diff"]["summary"]["newly_planned"] >= 0
        assert_plan_ok(_state(c, board), answer["plan"])
        assert c.get(f"/v1/boards/{board}/plan").json()["version"] == 2


def test_concurrent_posts_lose_nothing(served):
    server, admin = served
    with server.client(admin) as c:
        board = _board(c, small_scenario())
        assert _solve(c, board, time_limit_s=1, iterations=10)["status"] == "done"
    answers: list[dict] = []
    errors: list[str] = []

    def post(worker: int) -> None:
        with server.client(admin) as c:
            for k in range(4):
                r = c.post(f"/v1/boards/{board}/events", json=emergency(worker * 10 + k))
                (answers.append(r.json()) if r.status_code == 200 else errors.append(r.text))

    threads = [threading.Thread(target=post, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    versions = sorted(a["version"] for a in answers)
    assert versions == list(range(2, 2 + 24)), "each post its own version, none from the same base"
    with server.client(admin) as c:
        log = c.get(f"/v1/boards/{board}/events").json()["events"]
        ids = [e["event"]["ticket"]["id"] for e in log]
        assert sorted(ids) == sorted(f"EM{w * 10 + k:03d}" for w in range(6) for k in range(4))
        assert [e["seq"] for e in log] == list(range(1, 25))
        final = c.get(f"/v1/boards/{board}/plan").json()
        assert final["version"] == 25
        assert_plan_ok(_state(c, board), final["plan"])
        planned = {s["ticket"] for r in final["plan"]["routes"] for s in r["stops"]}
        planned |= {u["ticket"] for u in final["plan"]["unassigned"]}
        assert set(ids) <= planned


def test_double_booking_and_idempotent_retry(served):
    server, admin = served
    raw = small_scenario(tickets=30)
    dispatcher = make_key(server.url, "dispatcher")
    with server.client(admin) as c:
        board = _board(c, raw)
        assert _solve(c, board, time_limit_s=1, iterations=10)["status"] == "done"
    caller = {
        "id": "CALL1",
        "location": {"x": 5, "y": 5},
        "priority": "low",
        "duration_min": 300,
        "skills": ["gas"],
    }
    with server.client(dispatcher) as c:
        offer = c.post(f"/v1/boards/{board}/slots", json={"ticket": caller, "days": 1}).json()
        assert offer["slots"], offer
        slot = offer["slots"][0]
        results = []

        def book(tid: str) -> None:
            with server.client(dispatcher) as cc:
                r = cc.post(
                    f"/v1/boards/{board}/bookings",
                    json={"ticket": {**caller, "id": tid}, "slot": slot, "days": 1},
                )
                results.append(r)

        # fill the slot's engineer until the same slot no longer fits: one booking at a time
        # until a 409, then two at once on the last fitting slot
        n = 0
        while True:
            n += 1
            r = c.post(
                f"/v1/boards/{board}/bookings",
                json={"ticket": {**caller, "id": f"FILL{n}"}, "slot": slot, "days": 1},
            )
            if r.status_code == 409:
                body = r.json()
                assert body["error"] == "slot_taken" and "offer" in body
                break
            assert r.status_code == 200, r.text
            assert n < 20
        # two callers, the same slot that fits exactly once more: one 200, one 409
        offer = c.post(
            f"/v1/boards/{board}/slots", json={"ticket": {**caller, "id": "X"}, "days": 1}
        ).json()
        if offer["slots"]:
            slot = offer["slots"][0]
            threads = [threading.Thread(target=book, args=(f"TWIN{i}",)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            codes = sorted(r.status_code for r in results)
            assert codes in ([200, 409], [200, 200]), codes
            if codes == [200, 200]:  # both fitted: the plan holds both, within the hard rules
                pass
        # idempotent retry: the same key and body answer the first answer, and store once
        key = {"Idempotency-Key": "retry-1"}
        first = c.post(f"/v1/boards/{board}/events", json=emergency(900), headers=key)
        again = c.post(f"/v1/boards/{board}/events", json=emergency(900), headers=key)
        assert first.status_code == again.status_code == 200
        assert first.json() == again.json()
        other = c.post(f"/v1/boards/{board}/events", json=emergency(901), headers=key)
        assert other.status_code == 422
        log = c.get(f"/v1/boards/{board}/events").json()["events"]
        assert sum(1 for e in log if e["event"]["ticket"]["id"] == "EM900") == 1
        final = c.get(f"/v1/boards/{board}/plan").json()
        assert_plan_ok(_state(c, board), final["plan"])


def test_killed_mid_solve_then_restarted(served):
    server, admin = served
    with server.client(admin) as c:
        board = _board(c, small_scenario(tickets=40))
        r = c.post("/v1/solves", json={"scenario": board, "params": {"time_limit_s": 60}})
        job = r.json()["id"]
        end = time.monotonic() + 200
        while c.get(f"/v1/solves/{job}").json()["status"] != "running":
            assert time.monotonic() < end
            time.sleep(0.1)
        time.sleep(1.0)
    server.kill()
    server.start()
    with server.client(admin) as c:
        assert c.get(f"/v1/solves/{job}").json()["status"] == "interrupted"
        # re-planned at once: an event plans the board on the fast path, a solve runs
        r = c.post(f"/v1/boards/{board}/events", json=emergency(1))
        assert r.status_code == 200, r.text
        done = _solve(c, board, time_limit_s=1, iterations=10)
        assert done["status"] == "done"
        assert_plan_ok(_state(c, board), done["plan"])


def test_killed_mid_burst_then_restarted(served):
    server, admin = served
    with server.client(admin) as c:
        board = _board(c, small_scenario())
        assert _solve(c, board, time_limit_s=1, iterations=10)["status"] == "done"
    answered: list[tuple[str, int]] = []
    stop = threading.Event()

    def burst() -> None:
        import httpx

        with server.client(admin) as c:
            for i in range(1000):
                if stop.is_set():
                    return
                try:
                    r = c.post(f"/v1/boards/{board}/events", json=emergency(i))
                except httpx.HTTPError:
                    return  # the server died under this request
                if r.status_code == 200:
                    answered.append((f"EM{i:03d}", r.json()["version"]))

    t = threading.Thread(target=burst)
    t.start()
    end = time.monotonic() + 120
    while len(answered) < 6 and time.monotonic() < end:
        time.sleep(0.01)
    server.kill()  # mid-burst: a post is most likely in flight
    stop.set()
    t.join()
    assert len(answered) >= 6
    server.start()
    with server.client(admin) as c:
        log = c.get(f"/v1/boards/{board}/events").json()["events"]
        ids = [e["event"]["ticket"]["id"] for e in log]
        assert len(ids) == len(set(ids)), "no event twice"
        assert [e["seq"] for e in log] == list(range(1, len(log) + 1))
        got = [tid for tid, _ in answered]
        assert ids[: len(got)] == got, "every answered event there, in order"
        assert len(ids) - len(got) <= 1  # at most the one in flight, committed unanswered
        in_force = c.get(f"/v1/boards/{board}/plan").json()
        last = answered[-1][1]
        assert in_force["version"] == last + (len(ids) - len(got))
        # the board takes the next event at once, from the plan in force
        r = c.post(f"/v1/boards/{board}/events", json=emergency(5000))
        assert r.status_code == 200 and r.json()["version"] == in_force["version"] + 1
        assert_plan_ok(_state(c, board), r.json()["plan"])

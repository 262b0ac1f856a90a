"""Slot offers on every core: worker processes keep replicas of the boards and answer offers,
while the server's own process takes the requests and writes the boards.

An offer only reads the board, but costs tens of milliseconds of Python; in one process eight
callers at once queue behind each other and behind every write (one interpreter lock). A worker
is sent a board whole (pickled) the first time it is asked about it, then, after each version, only
what that version changed: the scenario's fields and tickets and the routes that differ
(`change`), on the same pipe as the offers, so a worker answers from the version the request
read or a later one. A worker that has not started yet, is busy loading, or died is passed over:
the server answers the offer itself.

Run as `python -m dispatch_opt.service.offers` by `OfferWorkers`; frames on stdin and stdout are
pickles (between this server's own processes only), each after its length.
"""

from __future__ import annotations

import itertools
import json
import os
import pickle
import struct
import subprocess
import sys
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

import dispatch_opt as do

WAIT_S = 60.0  # an offer not answered by then is made by the server itself
_LENGTH = struct.Struct("!Q")


def put(stream, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def get(stream) -> object:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError
    size = _LENGTH.unpack(head)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


# ---------------------------------------------------------------- what a version changed


def _same(a: object, b: object) -> bool:
    if a is b:
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(x is y or x == y for x, y in zip(a, b))
    return a == b


def change(before: tuple, after: tuple) -> dict | None:
    """What the board's version `after` (scenario, plan) changed from `before`: the fields and
    tickets of the scenario that differ, and the routes that differ; None when it is cheaper to
    send the board whole."""
    (s0, p0), (s1, p1) = before[:2], after[:2]
    if s0.model_fields_set != s1.model_fields_set or p1 is None:
        return None
    fields = {
        k: getattr(s1, k)
        for k in s1.model_fields_set
        if k != "tickets" and not _same(getattr(s0, k), getattr(s1, k))
    }
    known = {t.id: t for t in s0.tickets}
    tickets = {t.id: s1.as_given(t) for t in s1.tickets if not _same(known.get(t.id), t)}
    if len(tickets) > len(s1.tickets) // 2:
        return None
    kept = {(r.engineer, r.shift): r for r in (p0.routes if p0 is not None else ())}
    routes = []
    for r in p1.routes:
        old = kept.get((r.engineer, r.shift))
        same = old is not None and (old is r or old.json() == r.json())
        routes.append((r.engineer, r.shift) if same else r)
    return {
        "fields": fields,
        "ids": [t.id for t in s1.tickets],
        "tickets": tickets,
        "routes": routes,
        "unassigned": p1.unassigned,
        "name": p1.scenario_name,
    }


def whole(pair: tuple) -> dict:
    state, plan = pair[:2]
    return {
        "state": state,
        "routes": plan.routes,
        "unassigned": plan.unassigned,
        "name": plan.scenario_name,
    }


def apply_change(state: do.Scenario, plan: do.Plan, c: dict) -> tuple[do.Scenario, do.Plan]:
    """The replica's next version from `change`'s answer."""
    known = {t.id: t for t in state.tickets}
    fields = {k: getattr(state, k) for k in state.model_fields_set}
    fields.update(c["fields"])
    fields["tickets"] = [c["tickets"].get(i) or state.as_given(known[i]) for i in c["ids"]]
    after = do.Scenario(**fields)
    kept = {(r.engineer, r.shift): r for r in plan.routes}
    routes = [kept[r] if isinstance(r, tuple) else r for r in c["routes"]]
    return after, do.Plan(c["name"], routes, list(c["unassigned"]), scenario=after)


# ---------------------------------------------------------------- the worker process


def answer(state: do.Scenario, plan: do.Plan, ticket: dict, options: dict) -> tuple[str, object]:
    """("ok", the offer as JSON), ("problems", lines), ("value", text) or ("error", text)."""
    from .warm import offer

    try:
        return "ok", json.dumps(offer(state, plan, ticket, options).to_dict())
    except do.ScenarioError as exc:
        return "problems", list(exc.problems)
    except ValueError as exc:
        return "value", str(exc)
    except Exception as exc:  # noqa: BLE001 - the server then makes the offer itself
        return "error", f"{type(exc).__name__}: {exc}"


def _warm_up() -> None:
    """Load the compiled kernels before the first caller waits for them."""
    from dispatch_opt.synthetic import PRESETS, generate_scenario

    raw = generate_scenario(PRESETS["small"])
    sc = do.load_scenario(raw)
    sc = sc.replace(now=sc.planning_start)
    plan = do.solve(sc, do.SolveParams(time_limit_s=0))
    answer(sc, plan, {**raw["tickets"][0], "id": "warm-up"}, {})


def main() -> int:
    from .memory import settle
    from .worker import die_with_parent

    die_with_parent()
    inp, out = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to the log, never into the frames
    _warm_up()
    put(out, ("ready",))
    boards: dict[str, tuple[int, do.Scenario, do.Plan]] = {}
    updates = 0
    while True:
        try:
            msg = get(inp)
        except EOFError:
            return 0
        kind, sid = msg[0], msg[1]
        if kind == "offer":
            _, _, rid, version, ticket, options = msg
            have = boards.get(sid)
            if have is None or have[0] < version:
                put(out, ("answer", rid, "stale", None))
            else:
                put(out, ("answer", rid, *answer(have[1], have[2], ticket, options)))
            continue
        if kind == "whole":
            _, _, version, w = msg
            plan = do.Plan(w["name"], w["routes"], w["unassigned"], scenario=w["state"])
            boards[sid] = (version, w["state"], plan)
        elif kind == "change":
            _, _, base, version, c = msg
            have = boards.pop(sid, None)
            if have is not None and have[0] == base:
                try:
                    boards[sid] = (version, *apply_change(have[1], have[2], c))
                except Exception:  # noqa: BLE001 - dropped: answered "stale", sent whole again
                    pass
        elif kind == "drop":
            boards.pop(sid, None)
        updates += 1
        settle(updates)


# ---------------------------------------------------------------- the server's side


class OfferWorker:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dispatch_opt.service.offers"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.send_lock = threading.Lock()
        self.ready = False
        self.alive = True
        self.sent: dict[str, int] = {}  # board -> the version this worker holds (or will)
        self.pending: dict[int, Future] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            while True:
                msg = get(self.proc.stdout)
                if msg[0] == "ready":
                    self.ready = True
                elif msg[0] == "answer":
                    future = self.pending.pop(msg[1], None)
                    if future is not None:
                        future.set_result(msg[2:])
        except (EOFError, OSError, pickle.UnpicklingError):
            pass
        self.alive = False
        for future in list(self.pending.values()):
            future.set_result(("gone", None))
        self.pending.clear()

    def send(self, *msg) -> bool:
        try:
            put(self.proc.stdin, msg)
            return True
        except (BrokenPipeError, OSError, ValueError):
            self.alive = False
            return False


class OfferWorkers:
    """`count` offer worker processes, started with the server (and stopped with it)."""

    def __init__(self, count: int):
        self.workers = [OfferWorker() for _ in range(count)]
        self._ids = itertools.count()
        self.answered = 0  # offers the workers made
        self.passed_over: dict[str, int] = {}  # offers the server made itself, by why
        self._counting = threading.Lock()

    def counts(self) -> dict:
        return {
            "ready": self.ready(),
            "of": len(self.workers),
            "answered": self.answered,
            "passed_over": dict(self.passed_over),
        }

    def _here(self, why: str) -> tuple[str, None]:
        with self._counting:
            self.passed_over[why] = self.passed_over.get(why, 0) + 1
        return "here", None

    def ready(self) -> int:
        """How many workers are up and answering."""
        return sum(w.ready and w.alive for w in self.workers)

    def offer(self, sid: str, pair: tuple, ticket: dict, options: dict) -> tuple[str, object]:
        """The worker's answer (see `answer`), or ("here", None): make the offer yourself."""
        state, plan, version = pair[:3]
        ready = [w for w in self.workers if w.ready and w.alive]
        if not ready:
            return self._here("none ready")
        w = min(ready, key=lambda w: (len(w.pending), w.sent.get(sid, -1) < version))
        future: Future = Future()
        rid = next(self._ids)
        with w.send_lock:
            if w.sent.get(sid, -1) < version:
                if not w.send("whole", sid, version, whole((state, plan))):
                    return self._here("gone")
                w.sent[sid] = version
            w.pending[rid] = future
            if not w.send("offer", sid, rid, version, ticket, options):
                w.pending.pop(rid, None)
                return self._here("gone")
        try:
            got = future.result(WAIT_S)
        except FutureTimeout:
            w.pending.pop(rid, None)
            return self._here("late")
        if got[0] in ("stale", "gone", "error"):
            return self._here(got[0])
        with self._counting:
            self.answered += 1
        return got

    def publish(self, sid: str, before: tuple, after: tuple) -> None:
        """A board moved from version `before` to `after` ((scenario, plan, version, ...)): the
        workers that hold `before` get what changed; the others forget the board and get it whole
        when next asked."""
        made, c = False, None
        for w in self.workers:
            with w.send_lock:
                if sid not in w.sent:
                    continue
                if w.sent[sid] == before[2] and after[1] is not None:
                    if not made:
                        made = True
                        try:
                            c = change(before, after)
                        except Exception:  # noqa: BLE001 - the version is committed: drop it
                            c = None
                    if c is not None and w.send("change", sid, before[2], after[2], c):
                        w.sent[sid] = after[2]
                        continue
                w.send("drop", sid)
                w.sent.pop(sid, None)

    def close(self) -> None:
        for w in self.workers:
            w.alive = False
            try:
                w.proc.stdin.close()
            except OSError:
                pass
            w.proc.kill()
            w.proc.wait()


if __name__ == "__main__":
    sys.exit(main())

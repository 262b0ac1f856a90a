"""Solve jobs: each in its own process (outside the server's request loop and its GIL), at most
`workers` at once (one per core by default), the rest queued in order.

A job is queued, running, then done (its plan became the plan in force of its board), failed (the
error, without a traceback), cancelled (DELETE; the process is killed) or interrupted (the server
stopped while it was queued or running: marked so at the next start, never done)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid

import sqlalchemy as sa

from . import store
from .boards import Boards
from .errors import ApiError


class Solves:
    def __init__(self, engine: sa.Engine, boards: Boards, workers: int):
        self.engine, self.boards = engine, boards
        self._slots = threading.Semaphore(max(1, workers))
        self._procs: dict[str, subprocess.Popen] = {}
        self._progress: dict[str, dict] = {}
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()

    def start(self, sid: str, params: dict) -> str:
        self.boards.get(sid)  # 404 for an unknown scenario
        jid = "solve-" + uuid.uuid4().hex[:12]
        store.add_solve(self.engine, jid, sid, params)
        threading.Thread(target=self._run, args=(jid, sid, params), daemon=True).start()
        return jid

    def status(self, jid: str) -> dict:
        job = store.get_solve(self.engine, jid)
        if job is None:
            raise ApiError(
                404, "not_found", f"no solve {jid!r}; fix: use an id from POST /v1/solves"
            )
        if job["status"] == "running" and jid in self._progress:
            job["progress"] = self._progress[jid]
        return job

    def cancel(self, jid: str) -> dict:
        job = self.status(jid)
        with self._lock:
            if not store.set_solve(self.engine, jid, status="cancelled", finished_at=store.now()):
                raise ApiError(
                    409,
                    "finished",
                    f"solve {jid} is {self.status(jid)['status']}; fix: nothing to cancel",
                )
            self._cancelled.add(jid)
            proc = self._procs.get(jid)
        if proc is not None:
            proc.kill()
        job["status"] = "cancelled"
        return job

    def _run(self, jid: str, sid: str, params: dict) -> None:
        with self._slots:
            board = self.boards.get(sid)
            with board.lock:  # the scenario as it stands and the version it stands at
                scenario, base = board.state.to_dict(), board.version
            with self._lock:
                if jid in self._cancelled or not store.set_solve(
                    self.engine,
                    jid,
                    only_if=("queued",),
                    status="running",
                    started_at=store.now(),
                ):
                    return
                proc = subprocess.Popen(
                    [sys.executable, "-m", "dispatch_opt.service.worker"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
                self._procs[jid] = proc
            try:
                self._follow(jid, sid, proc, scenario, params, base)
            except Exception as exc:  # noqa: BLE001 - the job fails, the server goes on
                store.set_solve(
                    self.engine,
                    jid,
                    status="failed",
                    finished_at=store.now(),
                    error=f"internal error: {type(exc).__name__}: {exc}",
                )
            finally:
                proc.kill()
                proc.wait()
                with self._lock:
                    self._procs.pop(jid, None)
                    self._progress.pop(jid, None)

    def _follow(self, jid, sid, proc, scenario: dict, params: dict, base: int) -> None:
        try:
            proc.stdin.write(json.dumps({"scenario": scenario, "params": params}).encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        result, error, saved = None, None, 0.0
        for line in proc.stdout:
            msg = json.loads(line)
            if "progress" in msg:
                self._progress[jid] = msg["progress"]
                if time.monotonic() - saved > 2.0:  # kept for other readers, not on every step
                    saved = time.monotonic()
                    store.set_solve(
                        self.engine, jid, only_if=("running",), progress=msg["progress"]
                    )
            elif "plan" in msg:
                result = msg["plan"]
            elif "error" in msg:
                error = msg["error"]
        proc.wait()
        if jid in self._cancelled:
            return
        if result is None:
            error = error or f"the solve process ended without a plan (exit {proc.returncode})"
            store.set_solve(self.engine, jid, status="failed", finished_at=store.now(), error=error)
            return
        progress = json.dumps(self._progress.get(jid) or _final(result))
        try:
            self.boards.install_solved(sid, jid, base, result, progress)
        except ApiError as exc:
            store.set_solve(
                self.engine, jid, status="failed", finished_at=store.now(), error=exc.message
            )


def _final(plan: dict) -> dict:
    k = plan.get("kpis", {})
    return {
        "elapsed_s": k.get("solve_s"),
        "planned": k.get("served"),
        "tickets": k.get("tickets"),
        "objective": k.get("objective"),
    }

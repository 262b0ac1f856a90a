"""A Python client of the dispatch service: the same verbs as the HTTP API, returning the
package's own `Plan` and `Scenario` objects.

    from dispatch_opt.client import Client
    c = Client("http://127.0.0.1:8080", key)
    board = c.post_scenario(scenario)           # the board's id
    plan = c.solve(board, time_limit_s=30)      # waits; the plan in force
    answer = c.post_events(board, [event])      # {"version", "plan": Plan, "diff"}

Errors come back as `ServiceError` with the status, the error code and the problems (each with
its field path, the value and the fix). Needs httpx (the `service` extra).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from .format.plan import Plan
from .format.scenario import Scenario, ScenarioError
from .format.validation import parse_scenario


class ServiceError(Exception):
    """A refusal from the service: `status`, `code`, `message`, `problems` and the whole `body`."""

    def __init__(self, status: int, body: dict):
        self.status, self.body = status, body
        self.code = body.get("error", "error")
        self.message = body.get("message", "")
        self.problems = body.get("problems", [])
        lines = [self.message] + [p.get("message", "") for p in self.problems]
        super().__init__(f"{status} {self.code}: " + "; ".join(x for x in lines if x))


class Client:
    def __init__(self, url: str, key: str | None = None, timeout: float = 60.0):
        import httpx

        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ plumbing
    def _call(self, method: str, path: str, body: Any = None, **kw) -> Any:
        r = self._http.request(
            method,
            path,
            content=None if body is None else json.dumps(body),
            headers={"Content-Type": "application/json", **kw.pop("headers", {})},
            **kw,
        )
        if r.status_code >= 400:
            try:
                detail = r.json()
            except ValueError:
                detail = {"error": "http", "message": r.text[:200]}
            raise ServiceError(r.status_code, detail)
        if r.headers.get("content-type", "").startswith("application/json"):
            return r.json()
        return r.text

    @staticmethod
    def _doc(x: Any) -> Any:
        if isinstance(x, Scenario):
            return x.to_dict()
        if isinstance(x, Plan):
            return x.to_dict()
        return x

    # ------------------------------------------------------------ service and scenarios
    def health(self) -> dict:
        return self._call("GET", "/health")

    def post_scenario(self, scenario: Scenario | dict) -> str:
        """Store a scenario; its id (the board's)."""
        return self._call("POST", "/v1/scenarios", self._doc(scenario))["id"]

    def scenarios(self) -> list[dict]:
        return self._call("GET", "/v1/scenarios")["scenarios"]

    def scenario(self, board: str, *, as_posted: bool = False) -> Scenario:
        """The board's scenario as it stands now (after events and advances), or as posted."""
        path = f"/v1/scenarios/{board}" if as_posted else f"/v1/boards/{board}/scenario"
        return parse_scenario(self._call("GET", path))

    # ------------------------------------------------------------ solves
    def start_solve(self, board: str, **params: Any) -> str:
        return self._call("POST", "/v1/solves", {"scenario": board, "params": params})["id"]

    def solve_status(self, job: str) -> dict:
        return self._call("GET", f"/v1/solves/{job}")

    def cancel_solve(self, job: str) -> dict:
        return self._call("DELETE", f"/v1/solves/{job}")

    def solve(self, board: str, *, poll_s: float = 0.5, wait_s: float = 3600, **params) -> Plan:
        """Start a solve and wait for it: the plan it put in force."""
        job = self.start_solve(board, **params)
        end = time.monotonic() + wait_s
        while time.monotonic() < end:
            status = self.solve_status(job)
            if status["status"] == "done":
                return self._plan(status["plan"])
            if status["status"] in ("failed", "cancelled", "interrupted"):
                raise ServiceError(
                    409, {"error": status["status"], "message": status.get("error") or ""}
                )
            time.sleep(poll_s)
        raise TimeoutError(f"solve {job} still {status['status']} after {wait_s:g} s")

    # ------------------------------------------------------------ boards
    @staticmethod
    def _plan(raw: dict) -> Plan:
        return Plan.from_dict(raw)

    def plan(self, board: str, version: int | None = None) -> Plan:
        """The plan in force, or one kept version."""
        path = f"/v1/boards/{board}/plan" + ("" if version is None else f"s/{version}")
        return self._plan(self._call("GET", path)["plan"])

    def version(self, board: str) -> int:
        return self._call("GET", f"/v1/boards/{board}/plan")["version"]

    def versions(self, board: str) -> list[dict]:
        return self._call("GET", f"/v1/boards/{board}/plans")["versions"]

    def diff(self, board: str, old: int, new: int) -> dict:
        return self._call("GET", f"/v1/boards/{board}/diff", params={"from": old, "to": new})

    def report_html(self, board: str) -> str:
        return self._call("GET", f"/v1/boards/{board}/plan", params={"format": "html"})

    def post_events(
        self, board: str, events: dict | list, idempotency_key: str | None = None
    ) -> dict:
        """Post one event or a list; `{"version", "plan": Plan, "diff"}`. A key is made when none
        is given, so a retry of this call by the transport is a no-op."""
        key = idempotency_key or uuid.uuid4().hex
        answer = self._call(
            "POST", f"/v1/boards/{board}/events", events, headers={"Idempotency-Key": key}
        )
        return {**answer, "plan": self._plan(answer["plan"])}

    def events(self, board: str, after: int = 0) -> list[dict]:
        return self._call("GET", f"/v1/boards/{board}/events", params={"after": after})["events"]

    def slots(self, board: str, ticket: dict, **options: Any) -> dict:
        """Windows to offer a caller (options: slot_minutes, days, max_slots, rank)."""
        return self._call("POST", f"/v1/boards/{board}/slots", {"ticket": ticket, **options})

    def book(self, board: str, ticket: dict, slot: dict, **options: Any) -> dict:
        """Book an offered slot; ServiceError 409 (code slot_taken, `body["offer"]`) when it no
        longer fits."""
        answer = self._call(
            "POST",
            f"/v1/boards/{board}/bookings",
            {"ticket": ticket, "slot": slot, **options},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        return {**answer, "plan": self._plan(answer["plan"])}

    def advance(self, board: str, to: str) -> dict:
        answer = self._call("POST", f"/v1/boards/{board}/advance", {"to": to})
        return {**answer, "plan": self._plan(answer["plan"])}

    def put_plan(self, board: str, plan: Plan | dict) -> dict:
        answer = self._call("PUT", f"/v1/boards/{board}/plan", self._doc(plan))
        return {**answer, "plan": self._plan(answer["plan"])}

    def kpis(self, board: str) -> dict:
        return self._call("GET", f"/v1/boards/{board}/kpis")["kpis"]

    def engineers(self, board: str):
        """The engineers table of the plan in force, as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self._call("GET", f"/v1/boards/{board}/engineers")["engineers"])


__all__ = ["Client", "ServiceError", "ScenarioError"]

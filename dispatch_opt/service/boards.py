"""Boards in memory: each scenario's plan in force and the scenario as it stands now, kept warm
between requests and changed by the event, with every change committed before it is answered.

One lock per board serialises its writers in this process; the database's unique
(board, version) key turns a writer in another process that started from the same version into a
409, after which the board is reloaded. After a restart a board is rebuilt from the database on
first use: the newest kept state, then the event batches since, applied in order.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

import dispatch_opt as do

from . import store, warm
from .errors import ApiError, invalid
from .memory import settle

if TYPE_CHECKING:
    from .offers import OfferWorkers

FAST = do.SolveParams(time_limit_s=0)  # the fast path: keep the plan, insert new work


@dataclass
class Board:
    sid: str
    state: do.Scenario
    plan: do.Plan | None
    version: int
    last_seq: int
    plan_json: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # (state, plan, version, plan JSON), replaced as one, for readers that take no lock
    pair: tuple = ()

    def __post_init__(self) -> None:
        self.pair = (self.state, self.plan, self.version, self.plan_json)


def request_hash(body: object) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def as_events(body: object) -> list:
    """One event, a list of events, or `{"events": [...]}`, as a list (validated later)."""
    if isinstance(body, dict) and "events" in body and "type" not in body:
        body = body["events"]
    return [body] if isinstance(body, dict) else body


def diff_json(
    old: do.Plan | None,
    new: do.Plan,
    tolerance: float,
    d: do.PlanDiff | None = None,
    summary: dict | None = None,
) -> dict | None:
    """What changed, per ticket (moved, eta, unassigned, planned, removed) and in sum (`d` and
    `summary`: the diff and its summary already made)."""
    if old is None:
        return None
    d = d or do.diff(old, new, tolerance)
    rows = []
    for r in d.frame.to_dict("records"):
        rows.append({k: _plain(v) for k, v in r.items()})
    return {"summary": summary or d.summary(), "changes": rows}


def _plain(v):
    if isinstance(v, datetime):
        return v.isoformat(timespec="seconds")
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "isoformat"):  # pandas Timestamp
        return None if str(v) == "NaT" else v.isoformat()
    return v


class Boards:
    """Every board this process has touched, loaded on first use."""

    def __init__(
        self,
        engine: sa.Engine,
        tolerance: float = FAST.eta_tolerance_min,
        offers: OfferWorkers | None = None,
    ):
        self.engine, self.tolerance, self.offers = engine, tolerance, offers
        self._boards: dict[str, Board] = {}
        self.writes = 0  # board versions this process made
        self._lock = threading.Lock()

    # ------------------------------------------------------------ loading
    def get(self, sid: str) -> Board:
        with self._lock:
            board = self._boards.get(sid)
            if board is None:
                board = self._load(sid)
                self._boards[sid] = board
            return board

    def _load(self, sid: str) -> Board:
        kept = store.load_board(self.engine, sid)
        if kept is None:
            raise ApiError(
                404,
                "not_found",
                f"no scenario {sid!r}; fix: post it to /v1/scenarios or use an id from there",
            )
        state = do.load_scenario(json.loads(kept.state))
        for batch in kept.batches:
            state = do.apply_events(state, batch)
        plan = None if kept.plan is None else do.Plan.from_dict(json.loads(kept.plan), state)
        board = Board(sid, state, plan, kept.version, kept.last_seq, kept.plan)
        settle(1)
        return board

    def reload(self, sid: str) -> None:
        with self._lock:
            self._boards.pop(sid, None)

    # ------------------------------------------------------------ re-planning
    def replan(self, state: do.Scenario, previous: do.Plan | None) -> do.Plan:
        """The fast path: the plan in force kept as far as it holds, new work inserted."""
        plan = do.solve(state, FAST, previous=previous)
        if previous is not None:
            plan.notes += do.overdue_visits(state, previous)
        return plan

    def _commit(
        self,
        board: Board,
        cause: str,
        state: do.Scenario,
        plan: do.Plan,
        *,
        batch: list[dict] = (),
        keep_state: bool = False,
        idem: tuple[str, str] | None = None,
        solve: tuple[str, str] | None = None,
        extra: dict | None = None,
    ) -> str:
        """Store the next version (and its events, the idempotent answer, the finished solve) in
        one transaction, then make it the board's; the answer's JSON."""
        version = board.version + 1
        d = summary = None
        if board.plan is not None:  # made once: for the answer and the plan's KPIs alike
            d = do.diff(board.plan, plan, self.tolerance, replan=True)
            if "changes" not in plan.kpis:  # a re-plan counted them already
                plan.kpis["changes"] = d.summary()
            summary = plan.kpis["changes"]
        plan_json = plan.to_json(indent=None)
        answer = '{"version": %d, "plan": %s, "diff": %s%s}' % (
            version,
            plan_json,
            json.dumps(diff_json(board.plan, plan, self.tolerance, d, summary)),
            "".join(f", {json.dumps(k)}: {json.dumps(v)}" for k, v in (extra or {}).items()),
        )
        try:
            store.add_version(
                self.engine,
                board.sid,
                version,
                cause,
                plan_json,
                state=json.dumps(state.to_dict()) if keep_state else None,
                batch=list(batch),
                first_seq=board.last_seq + 1,
                answer=None if idem is None else (idem[0], idem[1], 200, answer),
                solve=solve,
            )
        except store.Conflict:
            self.reload(board.sid)
            raise ApiError(
                409,
                "conflict",
                f"board {board.sid!r} moved past version {board.version} in another writer; "
                f"fix: retry the request",
            ) from None
        except store.Gone as exc:
            raise ApiError(409, "gone", str(exc)) from None
        before = board.pair
        board.state, board.plan, board.version, board.plan_json = state, plan, version, plan_json
        board.pair = (state, plan, version, plan_json)
        if self.offers is not None:
            self.offers.publish(board.sid, before, board.pair)
        self.writes += 1
        settle(self.writes)
        board.last_seq += len(batch)
        return answer

    def _kept_answer(self, board: Board, idem: tuple[str, str] | None) -> str | None:
        if idem is None:
            return None
        kept = store.answer(self.engine, board.sid, idem[0])
        if kept is None:
            return None
        if kept[0] != idem[1]:
            raise ApiError(
                422,
                "idempotency_key_reused",
                f"Idempotency-Key {idem[0]!r} was used for another request on this board; "
                f"fix: use a new key for a new request",
            )
        return kept[2]

    # ------------------------------------------------------------ writes
    def _write(self, sid: str, key: str | None, request: object, work, needs_plan: bool = True):
        """One writer of the board at a time: a retried request (same Idempotency-Key) gets its
        first answer back; else `work(board, idem)` makes and commits the next version."""
        board = self.get(sid)
        idem = None if key is None else (key, request_hash(request))
        with board.lock:
            kept = self._kept_answer(board, idem)
            if kept is not None:
                return kept
            if needs_plan and board.plan is None:
                raise no_plan(sid)
            return work(board, idem)

    def post_events(self, sid: str, body: object, key: str | None) -> str:
        batch = as_events(body)

        def work(board: Board, idem) -> str:
            if not isinstance(batch, list) or not batch:
                raise invalid(
                    ['events: got nothing; fix: post one event, a list, or {"events": [...]}']
                )
            state, plan = self._apply(board, batch)
            return self._commit(board, "events", state, plan, batch=batch, idem=idem)

        return self._write(sid, key, batch, work, needs_plan=False)

    def _apply(self, board: Board, batch: list) -> tuple[do.Scenario, do.Plan]:
        """The scenario after the events and the plan re-planned on the fast path: near the
        ticket for a new ticket at the board's now (warm.py), else over the whole board."""
        if len(batch) == 1 and board.plan is not None and isinstance(batch[0], dict):
            done = warm.insert_new_ticket(board.state, board.plan, batch[0])
            if done is not None:
                return done
        try:
            state = do.apply_events(board.state, batch)
        except do.ScenarioError as exc:
            raise invalid(exc.problems, "events") from None
        return state, self.replan(state, board.plan)

    def book(self, sid: str, ticket: dict, slot: dict, options: dict, key: str | None) -> str:
        """Book the slot as a `new_ticket` event with that window, only if it still fits the
        plan in force; else 409 with a fresh offer."""

        def work(board: Board, idem) -> str:
            offer = self._offer(board.state, board.plan, ticket, {**options, "max_slots": 10**6})
            want = (slot["start"], slot["end"], slot.get("engineer"))
            fits = [
                s
                for s in offer.slots
                if (s.start, s.end) == want[:2] and want[2] in (None, s.engineer)
            ]
            if not fits:
                raise self._taken(board, ticket, options)
            at = board.state.now or board.state.planning_start
            event = {
                "type": "new_ticket",
                "at": at.isoformat(timespec="seconds"),
                "ticket": {
                    **ticket,
                    "windows": [{"start": want[0].isoformat(), "end": want[1].isoformat()}],
                },
            }
            state, plan = self._apply(board, [event])
            if any(u.ticket == ticket.get("id") for u in plan.unassigned):
                raise self._taken(board, ticket, options)
            return self._commit(board, "booking", state, plan, batch=[event], idem=idem)

        return self._write(sid, key, [ticket, slot, options], work)

    def _taken(self, board: Board, ticket: dict, options: dict) -> ApiError:
        fresh = self._offer(board.state, board.plan, ticket, options)
        return ApiError(
            409,
            "slot_taken",
            "that slot no longer fits the plan in force; fix: offer the customer one of "
            "`offer.slots`",
            offer=fresh.to_dict(),
        )

    @staticmethod
    def _offer(state: do.Scenario, plan: do.Plan, ticket: dict, options: dict) -> do.SlotOffer:
        try:
            return warm.offer(state, plan, ticket, options)
        except do.ScenarioError as exc:
            raise invalid(exc.problems, "ticket") from None
        except ValueError as exc:
            raise invalid([str(exc)]) from None

    def offer(self, sid: str, ticket: dict, options: dict) -> str:
        """An offer (JSON) from the version in force, read without the lock: made by an offer
        worker when there is one (offers.py), else here."""
        board = self.get(sid)
        pair = board.pair
        if pair[1] is None:
            raise no_plan(sid)
        if self.offers is not None:
            status, got = self.offers.offer(sid, pair, ticket, options)
            if status == "ok":
                return got
            if status == "problems":
                raise invalid(got, "ticket")
            if status == "value":
                raise invalid([got])
        return json.dumps(self._offer(pair[0], pair[1], ticket, options).to_dict())

    def advance(self, sid: str, to: str, key: str | None) -> str:
        def work(board: Board, idem) -> str:
            try:
                state = do.advance(board.state, board.plan, to)
            except do.ScenarioError as exc:
                raise invalid(exc.problems, "advance") from None
            plan = self.replan(state, board.plan)
            return self._commit(board, "advance", state, plan, keep_state=True, idem=idem)

        return self._write(sid, key, {"advance": to}, work)

    def put_plan(self, sid: str, raw: object) -> str:
        """Put a plan made elsewhere in force: it must be one for this board's scenario as it
        stands (what it plans, not its name) and keep every hard rule."""
        board = self.get(sid)
        with board.lock:
            try:
                plan = do.load_plan(raw, board.state)
            except do.ScenarioError as exc:
                raise invalid(exc.problems, "plan") from None
            broken = do.check(board.state, plan).violations
            if broken:
                raise invalid(
                    [
                        f"plan: breaks a hard rule: {v}; fix: give a plan that keeps "
                        "every hard rule"
                        for v in broken
                    ],
                    "plan",
                )
            return self._commit(board, "plan", board.state, plan)

    def install_solved(
        self, sid: str, jid: str, base_version: int, plan_dict: dict, progress: str
    ) -> int:
        """A finished solve becomes the plan in force; events accepted while it ran are inserted
        into it on the fast path first, so nothing posted meanwhile is lost."""
        board = self.get(sid)
        with board.lock:
            plan = do.Plan.from_dict(plan_dict, board.state)
            if board.version != base_version:
                plan = self.replan(board.state, plan)
            self._commit(board, "solve", board.state, plan, keep_state=True, solve=(jid, progress))
            return board.version


def no_plan(sid: str) -> ApiError:
    return ApiError(
        409,
        "no_plan",
        f"board {sid!r} has no plan in force yet; fix: start a solve (POST /v1/solves) or post "
        f"an event",
    )

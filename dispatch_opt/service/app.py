"""The HTTP API (FastAPI): scenarios, solves, boards (plan in force, versions, events, slots,
bookings, advance), with keys and roles. `create_app(Settings(...))` builds it; `dispatch-opt
serve` runs it under uvicorn. docs/service.md describes every path."""

from __future__ import annotations

import asyncio
import json
import os
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

import dispatch_opt as do

from ..board.router import install as install_board
from . import keys, store
from .boards import Boards, diff_json
from .db import make_engine, schema_problem
from .errors import ApiError, error_body, invalid, pydantic_lines
from .jobs import Solves
from .limits import BodyLimit
from .offers import OfferWorkers
from .schemas import AdvanceIn, BookingIn, SlotsIn, SolveIn

JSON = "application/json"


@dataclass
class Settings:
    db: str = "sqlite:///dispatch.db"
    max_body_mb: float = 32.0
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)  # solves at once
    offer_workers: int = 0  # processes answering slot offers (offers.py); 0: the server alone


class SchemaBehind(RuntimeError):
    """The database's schema is not the one this package needs; the message says how to fix it."""


def create_app(settings: Settings) -> FastAPI:
    engine = make_engine(settings.db)
    problem = schema_problem(settings.db, engine)
    if problem:
        engine.dispose()
        raise SchemaBehind(problem)
    store.interrupt_unfinished(engine)
    offers = OfferWorkers(settings.offer_workers) if settings.offer_workers > 0 else None
    boards = Boards(engine, offers=offers)
    solves = Solves(engine, boards, settings.workers)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        if offers is not None:
            offers.close()

    app = FastAPI(
        lifespan=lifespan,
        title="dispatch-opt service",
        version=do.__version__,
        description="Field-service dispatch: scenarios, solves, boards with their plan in force, "
        "events, appointment slots and bookings. Send `Authorization: Bearer KEY`.",
    )
    app.state.engine, app.state.boards, app.state.solves = engine, boards, solves
    app.add_middleware(BodyLimit, max_bytes=int(settings.max_body_mb * 2**20))
    _handlers(app)
    _routes(app, engine, boards, solves)
    install_board(app, VIEWER, DISPATCHER)  # the dispatcher's board at / (dispatch_opt/board)
    return app


# ---------------------------------------------------------------- errors


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_req, exc: ApiError):
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_req, exc: RequestValidationError):
        lines = pydantic_lines(exc.errors())
        return JSONResponse(invalid(lines).body(), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_req, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(code, f"{exc.detail}; fix: see /docs for the paths"),
            status_code=exc.status_code,
        )

    @app.exception_handler(Exception)
    async def internal(_req, exc: Exception):  # the last line: never a stack trace to a caller
        return JSONResponse(
            error_body("internal", f"internal error ({type(exc).__name__}); the server log has it"),
            status_code=500,
        )


# ---------------------------------------------------------------- keys and roles


def _role(needed: str):
    def check(request: Request, authorization: str | None = Header(None)) -> str:
        scheme, _, key = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(
                401,
                "unauthorized",
                "no key; fix: send `Authorization: Bearer KEY` (make one with "
                "`dispatch-opt keys create`)",
            )
        role = keys.role_of(request.app.state.engine, key.strip())
        if role is None:
            raise ApiError(401, "unauthorized", "unknown or revoked key; fix: use a live key")
        if not keys.allows(role, needed):
            raise ApiError(
                403, "forbidden", f"a {role} key cannot do this; fix: use a {needed} key"
            )
        return role

    return Depends(check)


VIEWER, DISPATCHER, ADMIN = _role("viewer"), _role("dispatcher"), _role("admin")


async def json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = (
            f" (line {exc.lineno}, column {exc.colno}: {exc.msg})" if hasattr(exc, "msg") else ""
        )
        raise invalid([f"body: not JSON{where}; fix: send UTF-8 JSON"]) from None
    except RecursionError:
        raise invalid(
            ["body: nested too deeply; fix: send the document CONTRACT.md shows"]
        ) from None


def _json(text: str, status: int = 200) -> Response:
    return Response(text, status_code=status, media_type=JSON)


# ---------------------------------------------------------------- routes


def _routes(app: FastAPI, engine: sa.Engine, boards: Boards, solves: Solves) -> None:
    @app.get("/health", tags=["service"])
    def health():
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            return JSONResponse({"status": "down", "database": "not answering"}, 503)
        out = {"status": "ok", "database": "ok", "version": do.__version__}
        if boards.offers is not None:
            out["offer_workers"] = boards.offers.counts()
        return out

    # ------------------------------------------------------------ scenarios
    @app.post("/v1/scenarios", status_code=201, tags=["scenarios"], dependencies=[ADMIN])
    def post_scenario(body: Any = Depends(json_body)):
        """Store a contract scenario (validated as the CLI validates it); its id names its
        board."""
        try:
            sc = do.load_scenario(body)
        except do.ScenarioError as exc:
            raise invalid(exc.problems, "scenario") from None
        sid = store.add_scenario(engine, sc.name, json.dumps(sc.to_dict()))
        return {"id": sid, "name": sc.name}

    @app.get("/v1/scenarios", tags=["scenarios"], dependencies=[VIEWER])
    def list_scenarios():
        return {"scenarios": store.list_scenarios(engine)}

    @app.get("/v1/scenarios/{sid}", tags=["scenarios"], dependencies=[VIEWER])
    def get_scenario(sid: str):
        """The scenario as posted (the board's scenario as it stands: /v1/boards/{sid}/scenario)."""
        body = store.scenario_body(engine, sid)
        if body is None:
            raise _no_scenario(sid)
        return _json(body)

    # ------------------------------------------------------------ solves
    @app.post("/v1/solves", status_code=202, tags=["solves"], dependencies=[ADMIN])
    def post_solve(req: SolveIn):
        """Start a solve of the board's scenario as it stands; 202 at once. When done, its plan
        becomes the plan in force."""
        try:
            params = req.params.solve_params()
            do.SolveParams(**params)
        except (TypeError, ValueError) as exc:
            raise invalid([f"params.{exc}; fix: see /docs"]) from None
        jid = solves.start(req.scenario, params)
        return {"id": jid, "status": "queued"}

    @app.get("/v1/solves/{jid}", tags=["solves"], dependencies=[VIEWER])
    def get_solve(jid: str):
        job = solves.status(jid)
        if job["status"] == "done" and job["version"]:
            kept = store.version_plan(engine, job["scenario"], job["version"])
            if kept:
                return _json(json.dumps(job)[:-1] + ', "plan": ' + kept[0] + "}")
        return job

    @app.delete("/v1/solves/{jid}", tags=["solves"], dependencies=[ADMIN])
    def cancel_solve(jid: str):
        return solves.cancel(jid)

    # ------------------------------------------------------------ boards: reading
    @app.get("/v1/boards/{sid}/plan", tags=["boards"], dependencies=[VIEWER])
    def plan_in_force(sid: str, format: str = Query("json", pattern="^(json|html)$")):
        state, plan, version, text = boards.get(sid).pair
        if plan is None:
            raise ApiError(404, "no_plan", f"board {sid!r} has no plan yet; fix: start a solve")
        if format == "html":
            try:
                from dispatch_opt.presentation.report import render_report
            except ImportError:
                raise ApiError(
                    501,
                    "unavailable",
                    "the report needs the viz extra; fix: install dispatch-opt[viz]",
                ) from None
            return HTMLResponse(render_report(state, plan))
        return _json('{"version": %d, "plan": %s}' % (version, text))

    @app.get("/v1/boards/{sid}/plans", tags=["boards"], dependencies=[VIEWER])
    def versions(sid: str):
        boards.get(sid)
        return {"versions": store.list_versions(engine, sid)}

    @app.get("/v1/boards/{sid}/plans/{version}", tags=["boards"], dependencies=[VIEWER])
    def version(sid: str, version: int):
        kept = _version(engine, boards, sid, version)
        return _json(
            '{"version": %d, "cause": %s, "plan": %s}' % (version, json.dumps(kept[1]), kept[0])
        )

    @app.get("/v1/boards/{sid}/diff", tags=["boards"], dependencies=[VIEWER])
    def diff(sid: str, from_: int = Query(alias="from"), to: int = Query()):
        """What changed from one plan version to another, ticket by ticket."""
        old = do.Plan.from_dict(json.loads(_version(engine, boards, sid, from_)[0]))
        new = do.Plan.from_dict(json.loads(_version(engine, boards, sid, to)[0]))
        return {"from": from_, "to": to, "diff": diff_json(old, new, boards.tolerance)}

    @app.get("/v1/boards/{sid}/scenario", tags=["boards"], dependencies=[VIEWER])
    def board_scenario(sid: str):
        """The scenario as it stands after every event and advance."""
        return boards.get(sid).state.to_dict()

    @app.get("/v1/boards/{sid}/events", tags=["boards"], dependencies=[VIEWER])
    def event_log(sid: str, after: int = Query(0, ge=0)):
        boards.get(sid)
        return {"events": store.list_events(engine, sid, after)}

    @app.get("/v1/boards/{sid}/kpis", tags=["boards"], dependencies=[VIEWER])
    def kpis(sid: str):
        board = boards.get(sid)
        if board.plan is None:
            raise ApiError(404, "no_plan", f"board {sid!r} has no plan yet; fix: start a solve")
        return {"version": board.version, "kpis": board.plan.kpis}

    @app.get("/v1/boards/{sid}/engineers", tags=["boards"], dependencies=[VIEWER])
    def engineers(sid: str):
        board = boards.get(sid)
        if board.plan is None:
            raise ApiError(404, "no_plan", f"board {sid!r} has no plan yet; fix: start a solve")
        frame = board.plan.engineers_frame()
        return _json(
            '{"version": %d, "engineers": %s}'
            % (board.version, frame.to_json(orient="records", date_format="iso"))
        )

    @app.get("/v1/boards/{sid}/stream", tags=["boards"], dependencies=[VIEWER])
    async def stream(sid: str, request: Request):
        """Server-sent events: `version` each time the plan in force changes (first: the
        current one)."""
        board = await run_in_threadpool(boards.get, sid)

        async def events():
            seen = -1
            quiet = 0.0
            while not await request.is_disconnected():
                if board.version != seen:
                    seen = board.version
                    data = {"board": sid, "version": seen}
                    yield f"event: version\ndata: {json.dumps(data)}\n\n"
                    quiet = 0.0
                elif quiet >= 15:
                    yield ": still here\n\n"
                    quiet = 0.0
                await asyncio.sleep(0.2)
                quiet += 0.2

        return StreamingResponse(events(), media_type="text/event-stream")

    # ------------------------------------------------------------ boards: writing
    @app.post("/v1/boards/{sid}/events", tags=["boards"], dependencies=[DISPATCHER])
    def post_events(
        sid: str,
        body: Any = Depends(json_body),
        idempotency_key: str | None = Header(None, max_length=200),
    ):
        """One event or a list: stored, applied in order, the plan in force re-planned on the
        fast path. The answer: `{"version", "plan", "diff"}`."""
        return _json(boards.post_events(sid, body, idempotency_key))

    @app.post("/v1/boards/{sid}/slots", tags=["boards"], dependencies=[VIEWER])
    def slots(sid: str, req: SlotsIn):
        """Appointment windows to offer a caller for a new ticket (nothing is booked)."""
        return _json(boards.offer(sid, req.ticket, req.options()))

    @app.post("/v1/boards/{sid}/bookings", tags=["boards"], dependencies=[DISPATCHER])
    def book(sid: str, req: BookingIn, idempotency_key: str | None = Header(None, max_length=200)):
        """Book an offered slot: the ticket joins with that window if it still fits the plan in
        force; otherwise 409 with a fresh offer."""
        slot = req.slot.model_dump()
        options = req.options()
        options.pop("max_slots")
        return _json(boards.book(sid, req.ticket, slot, options, idempotency_key))

    @app.post("/v1/boards/{sid}/advance", tags=["boards"], dependencies=[DISPATCHER])
    def advance(
        sid: str, req: AdvanceIn, idempotency_key: str | None = Header(None, max_length=200)
    ):
        """Carry the plan in force out up to `to`: work ended is done, under way started."""
        return _json(boards.advance(sid, req.to, idempotency_key))

    @app.put("/v1/boards/{sid}/plan", tags=["boards"], dependencies=[ADMIN])
    def put_plan(sid: str, body: Any = Depends(json_body)):
        """Put a plan made elsewhere in force (it must be for this board and keep every hard
        rule)."""
        return _json(boards.put_plan(sid, body))


def _no_scenario(sid: str) -> ApiError:
    return ApiError(404, "not_found", f"no scenario {sid!r}; fix: use an id from GET /v1/scenarios")


def _version(engine, boards: Boards, sid: str, version: int) -> tuple[str, str]:
    boards.get(sid)
    kept = store.version_plan(engine, sid, version)
    if kept is None:
        raise ApiError(
            404, "not_found", f"board {sid!r} has no version {version}; fix: see its /plans"
        )
    return kept

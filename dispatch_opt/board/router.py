"""The board's routes on the service: the page at `/`, its static files under `/board/`, who the
key is (`/v1/me`) and the move preview (`POST /v1/boards/{scenario}/preview`).

`install(app, viewer, dispatcher)` adds them; the role dependencies are the service's own, passed
in so that this module does not import the app (which includes it)."""

from __future__ import annotations

from datetime import datetime
from importlib import resources

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

import dispatch_opt as do
from dispatch_opt.service.errors import ApiError, invalid

from .preview import preview

STATIC = resources.files("dispatch_opt.board") / "static"


class MoveIn(BaseModel):
    """A hand move: the ticket to the engineer (that shift, that start, when given)."""

    model_config = ConfigDict(extra="forbid")
    ticket: str = Field(min_length=1, max_length=200)
    engineer: str = Field(min_length=1, max_length=200)
    shift: int | None = Field(None, ge=0, le=10_000)
    start: datetime | None = None


def install(app: FastAPI, viewer, dispatcher) -> None:
    """Serve the board on `app`: `viewer` and `dispatcher` are the service's role dependencies."""
    app.mount("/board", StaticFiles(directory=str(STATIC)), name="board")
    app.include_router(router(viewer, dispatcher))


def router(viewer, dispatcher) -> APIRouter:
    r = APIRouter()

    @r.get("/", include_in_schema=False)
    def page():
        """The board (it signs in with a key typed into the page; the page holds no data)."""
        return FileResponse(str(STATIC / "index.html"), media_type="text/html")

    @r.get("/v1/me", tags=["board"])
    def me(role: str = viewer):
        """The role of the key sent: the board offers only what it may do."""
        return {"role": role}

    @r.post("/v1/boards/{sid}/preview", tags=["board"], dependencies=[dispatcher])
    def preview_route(sid: str, move: MoveIn, request: Request):
        """What a hand move would do, before it is committed: the checker's verdict on the plan
        with the visit moved there (`hand`), and on the fast-path re-plan around it as a `pin`
        (`replan`, what committing does), each with its cost against the plan in force. Nothing
        is stored; commit by posting `event` to the board's events."""
        boards = request.app.state.boards
        board = boards.get(sid)
        state, plan, version = board.state, board.plan, board.version  # read, not locked
        if plan is None:
            raise ApiError(409, "no_plan", f"board {sid!r} has no plan yet; fix: start a solve")
        try:
            answer = preview(state, plan, move.model_dump(mode="json"), boards.replan)
        except do.ScenarioError as exc:
            raise invalid(exc.problems, "move") from None
        return {"version": version, **answer}

    return r

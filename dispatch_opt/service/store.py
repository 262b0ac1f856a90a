"""Reads and writes of the service's tables: scenarios, plan versions with their events,
idempotent answers and solve jobs. Every write here is one transaction, committed on return."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from .db import events, idempotency, plan_versions, scenarios, solves

ACTIVE = ("queued", "running")


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Conflict(Exception):
    """Another writer committed that board version first (the unique (board, version) key)."""


class Gone(Exception):
    """The solve whose plan was to be stored is no longer running (cancelled meanwhile)."""


# ---------------------------------------------------------------- scenarios


def slug(name: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.").lower()[:60]
    return text or "scenario"


def add_scenario(engine: sa.Engine, name: str, body: str) -> str:
    """Store a validated scenario under an id made from its name (`name`, `name-2`, ...)."""
    base = slug(name)
    for n in range(1, 10_000):
        sid = base if n == 1 else f"{base}-{n}"
        try:
            with engine.begin() as conn:
                conn.execute(
                    sa.insert(scenarios).values(id=sid, name=name, body=body, created_at=now())
                )
            return sid
        except sa.exc.IntegrityError:
            continue
    raise Conflict(f"no free id for {name!r}")


def list_scenarios(engine: sa.Engine) -> list[dict]:
    latest = (
        sa.select(plan_versions.c.board, sa.func.max(plan_versions.c.version).label("version"))
        .group_by(plan_versions.c.board)
        .subquery()
    )
    q = (
        sa.select(scenarios.c.id, scenarios.c.name, scenarios.c.created_at, latest.c.version)
        .select_from(scenarios.outerjoin(latest, latest.c.board == scenarios.c.id))
        .order_by(scenarios.c.created_at, scenarios.c.id)
    )
    with engine.connect() as conn:
        return [
            {
                "id": r.id,
                "name": r.name,
                "created": r.created_at.isoformat(timespec="seconds"),
                "version": r.version or 0,
            }
            for r in conn.execute(q)
        ]


def scenario_body(engine: sa.Engine, sid: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.select(scenarios.c.body).where(scenarios.c.id == sid)).scalar()


# ---------------------------------------------------------------- plan versions and events


@dataclass
class Stored:
    """What a board's rebuild needs: the newest plan, the newest kept state at or before it and
    the event batches after that state, one per version, in order."""

    version: int
    plan: str | None
    state: str
    batches: list[list[dict]]
    last_seq: int


def load_board(engine: sa.Engine, sid: str) -> Stored | None:
    with engine.connect() as conn:
        body = conn.execute(sa.select(scenarios.c.body).where(scenarios.c.id == sid)).scalar()
        if body is None:
            return None
        pv = plan_versions.c
        top = conn.execute(
            sa.select(pv.version, pv.plan).where(pv.board == sid).order_by(pv.version.desc())
        ).first()
        last_seq = conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0)).where(events.c.board == sid)
        ).scalar()
        if top is None:
            return Stored(0, None, body, [], int(last_seq))
        kept = conn.execute(
            sa.select(pv.version, pv.state)
            .where(pv.board == sid, pv.state.is_not(None))
            .order_by(pv.version.desc())
        ).first()
        since, state = (kept.version, kept.state) if kept else (0, body)
        rows = conn.execute(
            sa.select(events.c.version, events.c.body)
            .where(events.c.board == sid, events.c.version > since)
            .order_by(events.c.seq)
        ).all()
    batches: dict[int, list[dict]] = {}
    for r in rows:
        batches.setdefault(r.version, []).append(json.loads(r.body))
    return Stored(top.version, top.plan, state, list(batches.values()), int(last_seq))


def add_version(
    engine: sa.Engine,
    sid: str,
    version: int,
    cause: str,
    plan: str,
    *,
    state: str | None = None,
    batch: list[dict] = (),
    first_seq: int = 1,
    answer: tuple[str, str, int, str] | None = None,
    solve: tuple[str, str] | None = None,
) -> None:
    """Commit plan `version` with its events and, in the same transaction, the idempotent answer
    (key, request hash, status, body) and the finished solve (id, progress); Conflict when that
    version exists already."""
    t = now()
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.insert(plan_versions).values(
                    board=sid,
                    version=version,
                    cause=cause,
                    plan=plan,
                    state=state,
                    solve=solve[0] if solve else None,
                    created_at=t,
                )
            )
            if batch:
                conn.execute(
                    sa.insert(events),
                    [
                        {
                            "board": sid,
                            "seq": first_seq + i,
                            "version": version,
                            "body": json.dumps(ev),
                            "created_at": t,
                        }
                        for i, ev in enumerate(batch)
                    ],
                )
            if answer is not None:
                key, request, status, body = answer
                conn.execute(
                    sa.insert(idempotency).values(
                        board=sid,
                        key=key,
                        request=request,
                        status=status,
                        response=body,
                        created_at=t,
                    )
                )
            if solve is not None:
                done = conn.execute(
                    sa.update(solves)
                    .where(solves.c.id == solve[0], solves.c.status == "running")
                    .values(status="done", version=version, progress=solve[1], finished_at=t)
                ).rowcount
                if not done:
                    raise Gone(f"solve {solve[0]} is no longer running; its plan is not kept")
    except sa.exc.IntegrityError as exc:
        raise Conflict(str(exc.orig)) from None


def version_plan(engine: sa.Engine, sid: str, version: int) -> tuple[str, str] | None:
    """(plan JSON, cause) of one version."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(plan_versions.c.plan, plan_versions.c.cause).where(
                plan_versions.c.board == sid, plan_versions.c.version == version
            )
        ).first()
    return (row.plan, row.cause) if row else None


def list_versions(engine: sa.Engine, sid: str) -> list[dict]:
    pv = plan_versions.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(pv.version, pv.cause, pv.solve, pv.created_at)
            .where(pv.board == sid)
            .order_by(pv.version)
        ).all()
    return [
        {
            "version": r.version,
            "cause": r.cause,
            "solve": r.solve,
            "created": r.created_at.isoformat(timespec="seconds"),
        }
        for r in rows
    ]


def list_events(engine: sa.Engine, sid: str, after: int = 0) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(events.c.seq, events.c.version, events.c.body, events.c.created_at)
            .where(events.c.board == sid, events.c.seq > after)
            .order_by(events.c.seq)
        ).all()
    return [
        {
            "seq": r.seq,
            "version": r.version,
            "event": json.loads(r.body),
            "received": r.created_at.isoformat(timespec="milliseconds"),
        }
        for r in rows
    ]


def answer(engine: sa.Engine, sid: str, key: str) -> tuple[str, int, str] | None:
    """(request hash, status, body) kept for this Idempotency-Key."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(idempotency.c.request, idempotency.c.status, idempotency.c.response).where(
                idempotency.c.board == sid, idempotency.c.key == key
            )
        ).first()
    return (row.request, row.status, row.response) if row else None


# ---------------------------------------------------------------- solves


def add_solve(engine: sa.Engine, jid: str, sid: str, params: dict) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(solves).values(
                id=jid, board=sid, params=json.dumps(params), status="queued", created_at=now()
            )
        )


def set_solve(engine: sa.Engine, jid: str, *, only_if: tuple[str, ...] = ACTIVE, **values) -> bool:
    """Change a job that is still in one of `only_if`: False when it had already ended."""
    if "progress" in values and not isinstance(values["progress"], (str, type(None))):
        values["progress"] = json.dumps(values["progress"])
    with engine.begin() as conn:
        n = conn.execute(
            sa.update(solves)
            .where(solves.c.id == jid, solves.c.status.in_(only_if))
            .values(**values)
        ).rowcount
    return n > 0


def get_solve(engine: sa.Engine, jid: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(solves).where(solves.c.id == jid)).first()
    if row is None:
        return None
    return {
        "id": row.id,
        "scenario": row.board,
        "status": row.status,
        "params": json.loads(row.params),
        "progress": json.loads(row.progress) if row.progress else None,
        "version": row.version,
        "error": row.error,
        "created": row.created_at.isoformat(timespec="seconds"),
        "started": row.started_at and row.started_at.isoformat(timespec="seconds"),
        "finished": row.finished_at and row.finished_at.isoformat(timespec="seconds"),
    }


def interrupt_unfinished(engine: sa.Engine) -> int:
    """Jobs left queued or running by a server that stopped: `interrupted`, never `done`."""
    with engine.begin() as conn:
        return conn.execute(
            sa.update(solves)
            .where(solves.c.status.in_(ACTIVE))
            .values(status="interrupted", finished_at=now())
        ).rowcount

"""The bodies of `dispatch-opt serve`, `db upgrade` and `keys create|revoke` (cli.py imports this
module only when one of them runs, so the base install needs none of the service's packages)."""

from __future__ import annotations

import sys

from .db import make_engine, safe_url, schema_problem, upgrade


def serve(
    *,
    db: str,
    host: str,
    port: int,
    max_body_mb: float,
    workers: int | None,
    offer_workers: int | None,
) -> None:
    import os

    import uvicorn

    from .app import SchemaBehind, Settings, create_app

    cores = os.cpu_count() or 1
    settings = Settings(
        db=db,
        max_body_mb=max_body_mb,
        offer_workers=(cores if cores > 1 else 0) if offer_workers is None else offer_workers,
    )
    if workers:
        settings.workers = workers
    try:
        app = create_app(settings)
    except SchemaBehind as exc:
        raise SystemExit(f"error: {exc}") from None
    print(
        f"dispatch-opt service on http://{host}:{port} (database {safe_url(db)}, "
        f"{settings.workers} solve worker(s), {settings.offer_workers} offer worker(s)); API docs "
        "at /docs",
        flush=True,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def db_upgrade(db: str) -> str:
    before, head = upgrade(db)
    if before == head:
        return f"{safe_url(db)}: schema already at {head}"
    return f"{safe_url(db)}: schema upgraded from {before or 'nothing'} to {head}"


def keys_create(db: str, role: str, label: str | None) -> list[str]:
    from .keys import create_key

    engine = _ready(db)
    try:
        kid, key = create_key(engine, role, label)
    finally:
        engine.dispose()
    return [
        f"created {role} key {kid}; it is shown once, here, and stored only as a hash:",
        key,
    ]


def keys_revoke(db: str, which: str) -> str:
    from .keys import revoke_key

    engine = _ready(db)
    try:
        n = revoke_key(engine, which)
    finally:
        engine.dispose()
    if not n:
        raise LookupError(f"key: no live key {which[:10]!r}...; fix: give a live key or its id")
    return "key revoked"


def _ready(db: str):
    engine = make_engine(db)
    problem = schema_problem(db, engine)
    if problem:
        engine.dispose()
        print(f"error: {problem}", file=sys.stderr)
        sys.exit(2)
    return engine

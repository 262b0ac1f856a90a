"""The service's tables, its database connections and the schema's version (Alembic).

One database holds everything a restart needs: keys (hashed), scenarios, every plan version of
every board with the events that led to it, the answers kept for idempotent retries, and solve
jobs. Plan versions are unique per (board, version): two writers that start from the same
version cannot both commit a successor, whichever process they run in.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

DEFAULT_URL = "sqlite:///dispatch.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

metadata = sa.MetaData()

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("prefix", sa.String(16), nullable=False),  # shown to name a key; not enough to use it
    sa.Column("hash", sa.String(64), nullable=False, unique=True),  # sha256 of the whole key
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("label", sa.String(200)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("revoked_at", sa.DateTime),
)

scenarios = sa.Table(
    "scenarios",
    metadata,
    sa.Column("id", sa.String(100), primary_key=True),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the scenario as posted (validated), JSON
    sa.Column("created_at", sa.DateTime, nullable=False),
)

plan_versions = sa.Table(
    "plan_versions",
    metadata,
    sa.Column("board", sa.String(100), sa.ForeignKey("scenarios.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("cause", sa.String(20), nullable=False),  # solve | events | booking | advance | plan
    sa.Column("plan", sa.Text, nullable=False),  # contract plan JSON
    # the scenario this plan is for, JSON; kept where events alone cannot rebuild it (a solve, an
    # advance, a plan put in force); otherwise the previous state plus this version's events
    sa.Column("state", sa.Text),
    sa.Column("solve", sa.String(40)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("board", "version", name="pk_plan_versions"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("board", sa.String(100), sa.ForeignKey("scenarios.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),  # 1, 2, ... per board, in the order applied
    sa.Column("version", sa.Integer, nullable=False),  # the plan version it led to
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("board", "seq", name="pk_events"),
)

idempotency = sa.Table(
    "idempotency",
    metadata,
    sa.Column("board", sa.String(100), nullable=False),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("request", sa.String(64), nullable=False),  # sha256 of the body: a reuse is refused
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("response", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("board", "key", name="pk_idempotency"),
)

solves = sa.Table(
    "solves",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("board", sa.String(100), sa.ForeignKey("scenarios.id"), nullable=False),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("progress", sa.Text),
    sa.Column("version", sa.Integer),  # the plan version it became, when done
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("started_at", sa.DateTime),
    sa.Column("finished_at", sa.DateTime),
)


def make_engine(url: str) -> sa.Engine:
    """An engine for `url`; SQLite files get WAL (readers never wait for the writer), a busy
    timeout (writers queue instead of failing) and full sync (a commit survives a crash)."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=10
        )

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):  # pragma: no cover - runs per connection
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return sa.create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> tuple[str | None, str]:
    """Bring the schema to the newest version: (version before, version now)."""
    from alembic import command

    before, head = schema_versions(url)
    command.upgrade(alembic_config(url), "head")
    return before, head


def schema_versions(url: str, engine: sa.Engine | None = None) -> tuple[str | None, str]:
    """(the database's schema version or None, the version this package needs)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    own = engine is None
    engine = engine or make_engine(url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        if own:
            engine.dispose()
    return current, head


def schema_problem(url: str, engine: sa.Engine | None = None) -> str | None:
    """Why the service must not start on this database, with the command that fixes it."""
    current, head = schema_versions(url, engine)
    if current == head:
        return None
    have = "has no schema" if current is None else f"has schema version {current}"
    return (
        f"database: {safe_url(url)} {have}, the service needs {head}; "
        f"fix: run `dispatch-opt db upgrade --db {safe_url(url)}`"
    )


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unreadable URL is shown as given by the caller
        return "the given URL"

"""The service's commands for `dispatch-opt`: serve, db upgrade, keys create|revoke.

Only click is imported here; the service's packages load when a command runs, so the base
install's CLI works without the `service` extra and says how to get it."""

from __future__ import annotations

import importlib

import click

DB = click.option(
    "--db",
    default="sqlite:///dispatch.db",
    envvar="DISPATCH_OPT_DB",
    show_default=True,
    help="Database URL: a SQLite file, or postgresql+psycopg://USER@HOST:PORT/NAME "
    "(env DISPATCH_OPT_DB).",
)


def _commands():
    """The command bodies, or a clear refusal when the extra is missing."""
    try:
        for name in ("fastapi", "uvicorn", "sqlalchemy", "alembic"):
            importlib.import_module(name)
    except ImportError as exc:
        from ..format.scenario import ScenarioError

        raise ScenarioError(
            [f"service: {exc.name} is not installed; fix: pip install 'dispatch-opt[service]'"]
        ) from None
    from . import commands

    return commands


def add_service_commands(main: click.Group, guard, out) -> None:
    """Attach the service's commands to the CLI group `main` (`guard`: its error handling)."""

    @main.command()
    @DB
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
    @click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
    @click.option(
        "--max-body-mb",
        default=32.0,
        show_default=True,
        type=click.FloatRange(min=0.001),
        help="Larger request bodies are refused (413).",
    )
    @click.option(
        "--workers",
        type=click.IntRange(min=1),
        help="Solves run at once, each in its own process (default: one per core).",
    )
    @click.option(
        "--offer-workers",
        type=click.IntRange(min=0),
        help="Processes that answer slot offers beside the server's own (default: one per core "
        "when there are two or more; 0: the server alone).",
    )
    @guard
    def serve(**options) -> None:
        """Run the dispatch service (HTTP API; docs at /docs)."""
        _commands().serve(**options)

    @main.group()
    def db() -> None:
        """The service's database."""

    @db.command()
    @DB
    @guard
    def upgrade(db: str) -> None:
        """Create or upgrade the service's schema to this version's."""
        out.print(_commands().db_upgrade(db), markup=False)

    @main.group()
    def keys() -> None:
        """API keys of the service (viewer, dispatcher, admin)."""

    @keys.command()
    @DB
    @click.option("--role", required=True, type=click.Choice(["viewer", "dispatcher", "admin"]))
    @click.option("--label", help="Who or what the key is for (shown nowhere but the database).")
    @guard
    def create(db: str, role: str, label: str | None) -> None:
        """Make a key: printed once, alone on the last line; stored hashed."""
        for line in _commands().keys_create(db, role, label):
            click.echo(line)

    @keys.command()
    @DB
    @click.argument("key")
    @guard
    def revoke(db: str, key: str) -> None:
        """Revoke KEY (the key itself, or the id `keys create` printed)."""
        try:
            out.print(_commands().keys_revoke(db, key), markup=False)
        except LookupError as exc:
            from ..format.scenario import ScenarioError

            raise ScenarioError([str(exc)]) from None

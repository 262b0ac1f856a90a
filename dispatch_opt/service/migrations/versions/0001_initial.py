"""The first schema: keys, scenarios, plan versions, events, idempotent answers, solves.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("label", sa.String(200)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime),
    )
    op.create_table(
        "scenarios",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "plan_versions",
        sa.Column("board", sa.String(100), sa.ForeignKey("scenarios.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("cause", sa.String(20), nullable=False),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("state", sa.Text),
        sa.Column("solve", sa.String(40)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("board", "version", name="pk_plan_versions"),
    )
    op.create_table(
        "events",
        sa.Column("board", sa.String(100), sa.ForeignKey("scenarios.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("board", "seq", name="pk_events"),
    )
    op.create_table(
        "idempotency",
        sa.Column("board", sa.String(100), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("request", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("board", "key", name="pk_idempotency"),
    )
    op.create_table(
        "solves",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("board", sa.String(100), sa.ForeignKey("scenarios.id"), nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Text),
        sa.Column("version", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("started_at", sa.DateTime),
        sa.Column("finished_at", sa.DateTime),
    )
    op.create_index("ix_solves_status", "solves", ["status"])


def downgrade() -> None:
    op.drop_index("ix_solves_status", "solves")
    for name in ("solves", "idempotency", "events", "plan_versions", "scenarios", "api_keys"):
        op.drop_table(name)

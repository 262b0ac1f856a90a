"""API keys: made once, shown once, stored as a hash; a role each (viewer < dispatcher < admin)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone

import sqlalchemy as sa

from .db import api_keys

ROLES = ("viewer", "dispatcher", "admin")  # each may do what the ones before it may
PREFIX = "dok_"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def create_key(engine: sa.Engine, role: str, label: str | None = None) -> tuple[int, str]:
    """A new key for `role`: (its id, the key). Only the hash is stored; the key cannot be shown
    again."""
    if role not in ROLES:
        raise ValueError(f"role: got {role!r}; fix: use one of {', '.join(ROLES)}")
    key = PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        kid = conn.execute(
            sa.insert(api_keys).values(
                prefix=key[:10], hash=digest(key), role=role, label=label, created_at=_now()
            )
        ).inserted_primary_key[0]
    return int(kid), key


def revoke_key(engine: sa.Engine, which: str) -> int:
    """Revoke a key given as the key itself or its id; the number of keys revoked (0 or 1)."""
    cond = api_keys.c.hash == digest(which)
    if which.isdigit():
        cond = sa.or_(cond, api_keys.c.id == int(which))
    with engine.begin() as conn:
        return conn.execute(
            sa.update(api_keys)
            .where(cond, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        ).rowcount


def role_of(engine: sa.Engine, key: str) -> str | None:
    """The role of a live key, or None (unknown or revoked)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(api_keys.c.role).where(
                api_keys.c.hash == digest(key), api_keys.c.revoked_at.is_(None)
            )
        ).first()
    return row[0] if row else None


def allows(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)

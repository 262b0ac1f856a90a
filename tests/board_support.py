"""Support for the board's tests: a service app on a temporary SQLite database with the board,
keys of each role, and a board with a plan in force put there by an admin."""

from __future__ import annotations

import pytest

import dispatch_opt as do

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")
pytest.importorskip("httpx")

from dispatch_opt.service.app import Settings, create_app  # noqa: E402
from dispatch_opt.service.db import make_engine, upgrade  # noqa: E402
from dispatch_opt.service.keys import create_key  # noqa: E402


def board_app(db_path, workers: int = 1, offer_workers: int = 0):
    """The service (with its board) on a fresh SQLite file, and a key per role."""
    url = f"sqlite:///{db_path}"
    upgrade(url)
    engine = make_engine(url)
    try:
        keys = {role: create_key(engine, role)[1] for role in ("viewer", "dispatcher", "admin")}
    finally:
        engine.dispose()
    return create_app(Settings(db=url, workers=workers, offer_workers=offer_workers)), keys


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def post_board(client, keys: dict, raw: dict, plan: do.Plan) -> str:
    """Store the scenario and put `plan` in force (as a finished nightly solve would)."""
    r = client.post("/v1/scenarios", json=raw, headers=auth(keys["admin"]))
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    r = client.put(f"/v1/boards/{sid}/plan", json=plan.to_dict(), headers=auth(keys["admin"]))
    assert r.status_code == 200, r.text
    return sid

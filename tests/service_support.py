"""Support for the service tests: databases (a SQLite file always; a throwaway PostgreSQL server
started from the operating system's binaries on 127.0.0.1), keys, a real `dispatch-opt serve`
process, and a small scenario on a planar grid."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from conftest import assert_both_checkers, engineer, scenario, ticket

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")
pytest.importorskip("alembic")
httpx = pytest.importorskip("httpx")

from dispatch_opt.service.db import make_engine, upgrade  # noqa: E402
from dispatch_opt.service.keys import create_key  # noqa: E402


def small_scenario(name: str = "depot-day", tickets: int = 14) -> dict:
    """Three engineers, a dozen-odd tickets on a planar grid (1 km = 1 minute)."""
    engs = [engineer(f"E{i}", 10.0 * i, 0.0, skills=["gas"]) for i in range(3)]
    ts = [
        ticket(f"T{i:02d}", (i * 7) % 30, (i * 11) % 25, duration=30, skills=["gas"])
        for i in range(tickets)
    ]
    return scenario(engs, ts, name=name, now="2026-11-30T08:00")


def emergency(i: int, at: str = "2026-11-30T09:00") -> dict:
    return {
        "type": "new_ticket",
        "at": at,
        "ticket": {
            "id": f"EM{i:03d}",
            "location": {"x": (i * 3) % 30, "y": (i * 5) % 25},
            "created": at,
            "priority": "emergency",
            "duration_min": 20,
            "skills": ["gas"],
        },
    }


def assert_plan_ok(raw_scenario: dict, plan_dict: dict) -> None:
    """Both checkers accept it, and every live ticket is listed once."""
    sc = assert_both_checkers(raw_scenario, plan_dict)
    listed = [s["ticket"] for r in plan_dict["routes"] for s in r["stops"] if s["type"] == "visit"]
    listed += [u["ticket"] for u in plan_dict["unassigned"]]
    assert sorted(listed) == sorted(t.id for t in sc.live_tickets)


# ---------------------------------------------------------------- databases


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A PostgreSQL server in a temporary folder, for this test session only."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            raise RuntimeError("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
        self.bin = Path(bins[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="dispatch-pg-"))
        self.port = free_port()
        self.run_as: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL will not run as root
            if shutil.which("runuser") is None:
                raise RuntimeError(
                    "running as root without runuser to start PostgreSQL as another user"
                )
            user = "postgres"
            try:
                import pwd

                pwd.getpwnam(user)
            except KeyError:
                raise RuntimeError("running as root and there is no `postgres` user") from None
            shutil.chown(self.dir, user)
            self.run_as = ["runuser", "-u", user, "--"]
        data = self.dir / "data"
        self._pg(
            "initdb", "-D", str(data), "-A", "trust", "-U", "dispatch", "--no-sync", "-E", "UTF8"
        )
        self._pg(
            "pg_ctl",
            "-D",
            str(data),
            "-l",
            str(self.dir / "log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {self.dir} -F",
            "start",
        )
        self.data = data

    def _pg(self, tool: str, *args: str) -> None:
        out = subprocess.run(
            [*self.run_as, str(self.bin / tool), *args], capture_output=True, text=True, timeout=120
        )
        if out.returncode:
            raise RuntimeError(f"{tool} failed: {out.stderr.strip()[-400:]}")

    def new_database(self) -> str:
        import psycopg

        name = "t_" + uuid.uuid4().hex[:10]
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=dispatch dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://dispatch@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        try:
            self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres():
    pytest.importorskip("psycopg")
    try:
        server = Postgres()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL tests, but no server could be started: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: no server could be started here ({exc})")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh database with the schema, on each of the two databases."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'service.db'}"
    else:
        url = request.getfixturevalue("postgres").new_database()
    upgrade(url)
    return url


def make_key(url: str, role: str) -> str:
    engine = make_engine(url)
    try:
        return create_key(engine, role)[1]
    finally:
        engine.dispose()


# ---------------------------------------------------------------- a real server


class Server:
    """`dispatch-opt serve` as a child process on 127.0.0.1 and a free port."""

    def __init__(self, url: str, workers: int = 1):
        self.url, self.workers = url, workers
        self.proc: subprocess.Popen | None = None
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self, wait_s: float = 120) -> "Server":
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dispatch_opt",
                "serve",
                "--db",
                self.url,
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        end = time.monotonic() + wait_s
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"server exited: {self.log.read().decode()[-2000:]}")
            try:
                if httpx.get(self.base + "/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not answer /health in time")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, as in a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def client(self, key: str) -> "httpx.Client":
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {key}"}, timeout=900
        )

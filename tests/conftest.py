"""Shared fixtures: tiny scenarios on a planar grid (euclidean, 60 km/h: 1 km = 1 minute),
`by_rounds` (a search that stops on a round count, not the clock), and `solve_checked`, which
solves and verifies every plan with the package checker and, when ../shared is present, the
contract's referee."""

from __future__ import annotations

import copy
import importlib.util
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

import dispatch_opt as do

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REFEREE = SHARED / "tools" / "check_plan.py"
DAY = "2026-11-30"


def at(hhmm: str, day: str = DAY) -> str:
    return f"{day}T{hhmm}"


def engineer(
    eid: str, x: float = 0.0, y: float = 0.0, *, shifts=(("08:00", "17:00"),), **extra
) -> dict:
    return {
        "id": eid,
        "start": {"x": x, "y": y},
        "shifts": [{"start": at(a), "end": at(b)} for a, b in shifts],
        **extra,
    }


def ticket(
    tid: str,
    x: float,
    y: float,
    *,
    priority: str = "normal",
    duration: float = 30,
    created: str = "2026-11-29T12:00",
    **extra,
) -> dict:
    return {
        "id": tid,
        "location": {"x": x, "y": y},
        "created": created,
        "priority": priority,
        "duration_min": duration,
        **extra,
    }


def scenario(engineers: list[dict], tickets: list[dict], **extra) -> dict:
    return {
        "format": "dispatch-opt.scenario/1",
        "name": "tiny",
        "travel": {"model": "euclidean", "speed_kmh": 60},
        "engineers": engineers,
        "tickets": tickets,
        **extra,
    }


def _referee():
    if not REFEREE.exists():
        return None
    spec = importlib.util.spec_from_file_location("check_plan_referee", REFEREE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


REFEREE_MODULE = _referee()


def assert_both_checkers(raw: dict, plan_dict: dict) -> do.Scenario:
    """The package checker and, when ../shared is present, the contract's referee accept the plan
    (JSON, as a program would send it); the scenario, for further checks."""
    sc = do.load_scenario(copy.deepcopy(raw))
    result = do.check(sc, do.Plan.from_dict(plan_dict, sc))
    assert result.ok, result.violations
    if REFEREE_MODULE is not None:
        bad, _ = REFEREE_MODULE.check(json.loads(json.dumps(raw)), plan_dict)
        assert bad == [], bad
    return sc


def assert_valid(raw: dict, plan: do.Plan) -> None:
    """The package checker and the referee both accept the plan, and every ticket is accounted
    for."""
    sc = assert_both_checkers(raw, json.loads(plan.to_json()))
    visits = Counter(s.ticket for r in plan.routes for s in r.visits)
    assert all(n == sc.ticket(tid).crew for tid, n in visits.items()), visits  # a crew: k visits
    listed = list(visits) + [u.ticket for u in plan.unassigned]
    assert sorted(listed) == sorted(t.id for t in sc.live_tickets)
    assert all(u.reason.strip() for u in plan.unassigned)


# A test of the search stops on a round count, never on the clock: the time limit is only a
# backstop far above what the rounds take, and OR-Tools' polish (which runs for a share of the
# time limit, not a number of rounds) is left out with ruin_share=1.0. The same scenario and seed
# then give the same plan on any machine, however loaded.
BACKSTOP_S = 300.0
ROUNDS = 100  # a short search, for the tiny scenarios of a handful of tickets built below


def by_rounds(rounds: int, **params) -> do.SolveParams:
    """SolveParams for a search core that stops after `rounds` ruin-and-recreate rounds; other
    fields as given (time_limit_s=0 still means no search: keep the plan, insert new work)."""
    return do.SolveParams(
        **{"time_limit_s": BACKSTOP_S, "ruin_share": 1.0, **params, "iterations": rounds}
    )


def solve_checked(raw: dict, rounds: int = ROUNDS, seed: int = 0, **params) -> do.Plan:
    plan = do.solve(do.load_scenario(copy.deepcopy(raw)), by_rounds(rounds, seed=seed, **params))
    assert_valid(raw, plan)
    return plan


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str


def cli(*args) -> CliRun:
    """`dispatch-opt ARGS` in this process (click's runner): the exit code and what it printed,
    without starting Python and loading the compiled search again for each call (seconds each on
    this machine). An exception the command did not turn into an exit code is raised, as the shell
    would show its traceback; tests of `python -m dispatch_opt.cli` itself start a process."""
    from click.testing import CliRunner

    from dispatch_opt.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliRun(result.exit_code, result.stdout, result.stderr)


def served_by(plan: do.Plan) -> dict[str, str]:
    return {s.ticket: r.engineer for r in plan.routes for s in r.visits}


def visit(plan: do.Plan, tid: str):
    return next(s for r in plan.routes for s in r.visits if s.ticket == tid)


def reason(plan: do.Plan, tid: str):
    return next(u for u in plan.unassigned if u.ticket == tid)


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.exists():
        pytest.skip("../shared is not present")
    return SHARED

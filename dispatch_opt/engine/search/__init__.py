"""The search core: a compiled route-evaluation kernel, the moves on it, and their driver.

kernel (one route's schedule and cost) -> routes (the routes under search, insertion) ->
operators (local search) and ruin (ruin and recreate, acceptance) -> improve (the driver, its
stopping rule) and construct (the first plan); timeline turns routes into plan routes.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

from .cache import drop_stale

drop_stale()  # before any kernel is loaded from numba's cache


def compiled_before() -> bool:
    """Whether numba's cache already holds the kernels (else `ready` compiles them)."""
    return any((Path(__file__).parent / "__pycache__").glob("*.nbi"))


@functools.cache
def ready() -> float:
    """Compile (first use after install) or load (later) every kernel by solving a tiny scenario
    once per process, so no solve's time limit pays for it. Returns the seconds it took."""
    import numpy as np

    from ...format.scenario import SCENARIO_FORMAT
    from ...format.validation import parse_scenario
    from ..eligibility import compute_eligibility
    from ..params import SolveParams
    from ..problem import ProblemData
    from .construct import first_state
    from .improve import StopRule, improve
    from .instants import costs_at, earliest_starts
    from .routes import best_insertion, place, take, tidy
    from .timeline import plan_routes

    t0 = time.monotonic()
    shift = [{"start": "2026-01-05T08:00", "end": "2026-01-05T16:00"}]
    brk = [{"start": "2026-01-05T12:00", "end": "2026-01-05T14:00", "duration_min": 30}]
    engineers = [
        {"id": f"E{i}", "start": {"x": i, "y": 0}, "shifts": shift, "breaks": brk, "van": {"P": 2}}
        for i in range(2)
    ]
    tickets = [
        {
            "id": f"T{i}",
            "location": {"x": i, "y": 1},
            "created": "2026-01-05T07:00",
            "priority": "normal",
            "duration_min": 30,
            "parts": {"P": 1},
        }
        for i in range(4)
    ]
    sc = parse_scenario(
        {
            "format": SCENARIO_FORMAT,
            "name": "warm-up",
            "engineers": engineers,
            "tickets": tickets,
        }
    )
    problem = ProblemData(sc, compute_eligibility(sc), SolveParams())
    state, _ = first_state(problem)
    improve(problem, state, StopRule(rounds=3))
    plan_routes(problem, state)
    # what the fast path and slot offers call from Python (each call signature compiles apart)
    a, v = problem.arrays, int(state.where[0])
    if v >= 0:  # the warm-up plan serves every ticket
        take(a, state, v, int(np.flatnonzero(state.seq[v] == 0)[0]))
        _, v, k, d = best_insertion(a, state, 0, problem.allowed_vehicles[0], 0.0)
        place(a, state, v, k, 0, d)
        tidy(a, state, 0)
    # what search.linked calls from Python (crew visits and follow-ups), last: it moves a window
    vs = np.arange(len(problem.vehicles), dtype=np.int64)
    earliest_starts(a, state, 0, vs, np.zeros(64, dtype=np.int64))
    out = np.zeros(len(vs), dtype=np.int64)
    costs_at(a, state, 0, vs, int(a.tw_start[0, 0]), np.zeros(len(vs)), out, out.copy())
    return time.monotonic() - t0

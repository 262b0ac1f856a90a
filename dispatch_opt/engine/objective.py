"""The engine's whole objective, for routes from any source: what decides which plan is returned.

Tickets left out per tier (fewer first, highest tier first), then the kernel's cost of every
route: SLA lateness, the scenario's costs (travel, on-duty time), preferred engineers, workload
balance and, in a re-plan, changes. The search core optimises exactly this; OR-Tools' polish
optimises its own model of it, so its plan is weighed here before it may replace the search
core's (docs/solving.md, "OR-Tools' polish").
"""

from __future__ import annotations

import numpy as np

from .problem import ProblemData
from .search.kernel import INF
from .search.timeline import schedule

Weight = tuple[tuple[int, ...], float]


def weigh(p: ProblemData, sequences: list[list[int]], skip: set[int] = frozenset()) -> Weight:
    """(tickets left out per tier, cost) of the routes `sequences` (nodes per engineer-shift in
    visiting order); cost INF if a route breaks the kernel's rules. Engineer-shifts in `skip` are
    not weighed (their frozen work cannot be kept by any plan)."""
    a = p.arrays
    served = np.zeros(a.nt, dtype=bool)
    cost = 0.0
    for v, seq in enumerate(sequences):
        if v in skip or not seq:
            continue
        c, _, _ = schedule(p, v, np.asarray(seq, dtype=np.int64))
        if c == INF:
            return _missed(p, served), INF
        cost += c
        for x in seq:
            if x < a.nt:
                served[x] = True
    return _missed(p, served), cost


def on_time_per_tier(p: ProblemData, sequences: list[list[int]]) -> tuple[int, ...]:
    """Visits per tier that start by their SLA deadline in routes `sequences` (as `weigh` takes
    them): with paid time, a polished plan may not have fewer in any tier than the search core's
    (docs/solving.md, "Two stages with paid time")."""
    a = p.arrays
    out = np.zeros(len(p.rank), dtype=np.int64)
    for v, seq in enumerate(sequences):
        if not seq:
            continue
        c, starts, _ = schedule(p, v, np.asarray(seq, dtype=np.int64))
        if c == INF:
            continue
        for x, start in zip(seq, starts.tolist()):
            if x < a.nt and start <= a.deadline[x]:
                out[a.rank[x]] += 1
    return tuple(int(x) for x in out)


def _missed(p: ProblemData, served: np.ndarray) -> tuple[int, ...]:
    out = np.zeros(len(p.rank), dtype=np.int64)
    np.add.at(out, p.arrays.rank[: p.arrays.nt][~served], 1)
    return tuple(int(x) for x in out)

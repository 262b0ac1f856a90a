"""The search core's driver: local search on the first plan, then ruin and recreate until a stop.

The compiled loop runs in chunks; between chunks the clock is read (numba cannot) and progress
reported. With an iteration limit the chunks and the cooling depend on the round count alone, so
the same scenario, seed and limit give the same plan every time.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from ..problem import ProblemData
from . import ruin
from .kernel import INF, route_cost
from .operators import local_search
from .routes import RouteState, refresh

HOT = 10.0  # the starting temperature, as a share of the cost per planned visit
COOLING = 0.01  # the temperature falls a hundredfold over the search
CHUNK_S = 0.05  # how long one compiled chunk should take, between looks at the clock
DESCENT_NEIGHBOURS = 20  # nearest tickets the first descent tries around each ticket
POLISH = ruin.POLISH_NEIGHBOURS
# with a cost on duty (improve_in_stages): the share of the search run with travel alone; the
# rest, on the cooling's cold end, shortens days (benchmarks/README.md, costs: on the bundled
# medium, splits at 0.5, 0.8 or 0.9 served fewer low-tier tickets or drove more than travel alone)
FIRST = 0.98


@dataclass(frozen=True)
class StopRule:
    """When the search stops: at a moment (time.monotonic()) or after a number of rounds,
    whichever comes first (PyVRP's MaxRuntime and MaxIterations in one)."""

    until: float = float("inf")
    rounds: int | None = None

    def done(self, rounds: int) -> bool:
        return time.monotonic() >= self.until or (self.rounds is not None and rounds >= self.rounds)

    def progress(self, rounds: int, started: float) -> float:
        if self.rounds is not None:
            return min(1.0, rounds / max(1, self.rounds))
        return min(1.0, (time.monotonic() - started) / max(1e-9, self.until - started))


@dataclass(frozen=True)
class Cooling:
    """Where a search's rounds sit on the cooling of a longer search: the temperature follows
    `clock` (that search's stop rule, begun at `started`, `before` of its rounds already run) from
    `hot`, so a stage goes on cooling where the one before stopped rather than starting hot."""

    clock: StopRule
    started: float
    before: int = 0
    hot: float | None = None  # None: from the plan the search starts from

    def progress(self, rounds: int) -> float:
        return self.clock.progress(self.before + rounds, self.started)


@dataclass
class SearchStats:
    rounds: int = 0
    kept: int = 0
    moves: int = 0  # improving local-search moves
    seconds: float = 0.0
    hot: float = 0.0  # the starting temperature

    @property
    def rounds_per_s(self) -> float:
        return self.rounds / self.seconds if self.seconds else 0.0


def missed_per_tier(p: ProblemData, s: RouteState) -> np.ndarray:
    tiers = len(p.rank)
    out = np.zeros(tiers, dtype=np.int64)
    np.add.at(out, p.arrays.rank[: p.arrays.nt][s.where < 0], 1)
    return out


def total_cost(s: RouteState) -> float:
    return float(s.cost[s.cost != INF].sum())


def plain_cost(p: ProblemData, s: RouteState) -> float:
    """The routes' cost as if the scenario's costs were travel alone, the default: the annealing's
    temperature is set from it, so that a cost on duty (large, and mostly the day's work itself,
    which no move changes) does not heat the search into accepting much worse plans."""
    a = p.arrays
    if a.w_travel == 1.0 and a.w_duty == 0.0:
        return total_cost(s)
    plain = a._replace(w_travel=1.0, w_duty=0.0)
    none = a.no_timeline
    costs = [route_cost(plain, v, s.seq[v], s.n[v], none, none) for v in range(len(s.n))]
    return float(sum(c for c in costs if c != INF))


def floor_of(p: ProblemData, s: RouteState) -> np.ndarray:
    """The floor (ruin.Work.floor) that routes `s` set: their tickets left out and on time per
    tier."""
    missed = missed_per_tier(p, s)
    on_time = np.zeros(len(missed), dtype=np.int64)
    ruin.count_on_time(p.arrays, s, np.zeros(max(1, s.seq.shape[1]), dtype=np.int64), on_time)
    return np.stack([missed, on_time])


def improve(
    p: ProblemData,
    s: RouteState,
    stop: StopRule,
    seed: int = 0,
    on_best: Callable[[tuple[int, ...], float], None] | None = None,
    *,
    cooling: Cooling | None = None,
    floor: np.ndarray | None = None,
) -> SearchStats:
    """Improve the routes in `s` in place until `stop`; `on_best(missed per tier, cost)` hears of
    the start and of each new best. `cooling`: the temperature's course (default: over `stop`);
    `floor`: no plan becomes the best that leaves out more or serves fewer on time in a tier (see
    floor_of)."""
    a, stats, started = p.arrays, SearchStats(), time.monotonic()
    if a.nt == 0 or stop.done(0):
        return stats
    cooling = cooling or Cooling(stop, started)
    rng = np.random.default_rng(seed)
    served = np.flatnonzero(s.where >= 0)
    before = RouteState(*(x.copy() for x in s)) if floor is not None else None
    stats.moves += local_search(a, s, rng.permutation(served), DESCENT_NEIGHBOURS, 10)
    work = ruin.work_for(a, s, len(p.rank))
    if floor is not None:
        work.floor[:] = floor
        if not ruin.meets_floor(a, s, missed_per_tier(p, s), floor, work.starts, work.on_time):
            ruin.keep_best(before, s)  # the descent gave up a visit on time: start from before it
            recost(p, s)
    best = RouteState(*(x.copy() for x in s))
    missed_best = missed_per_tier(p, s)
    cost = total_cost(s)
    counters = np.array([cost, cost, 0.0, 0.0, 0.0])
    if on_best is not None:
        on_best(tuple(int(x) for x in missed_best), cost)
    hot = cooling.hot if cooling.hot is not None else HOT * plain_cost(p, s) / max(1, len(served))
    stats.hot = hot
    chunk, chunks = 20, 0
    while not stop.done(stats.rounds):
        if stop.rounds is not None:
            chunk = min(chunk, stop.rounds - stats.rounds)
        begin = cooling.progress(stats.rounds)
        # by the clock, each chunk runs at the temperature of its start
        end = cooling.progress(stats.rounds + chunk) if stop.rounds is not None else begin
        t0, best_before = time.monotonic(), counters[ruin.BEST]
        missed_before = missed_best.copy()
        ruin.run(
            a,
            s,
            best,
            work,
            chunk,
            hot,
            COOLING,
            begin,
            end,
            (seed * 1_000_003 + chunks) % 2**32,
            counters,
            missed_best,
            POLISH,
        )
        chunks += 1
        done = int(counters[ruin.ROUNDS]) - stats.rounds
        stats.rounds += done
        if done < chunk:  # nothing left to ruin (no ticket planned that may move)
            break
        stats.seconds = time.monotonic() - started
        if on_best is not None and (
            counters[ruin.BEST] < best_before or (missed_best != missed_before).any()
        ):
            on_best(tuple(int(x) for x in missed_best), float(counters[ruin.BEST]))
        if stop.rounds is None:  # size the next chunk to about CHUNK_S
            took = max(1e-4, time.monotonic() - t0)
            chunk = int(max(1, min(chunk * 4, chunk * CHUNK_S / took, 1_000_000)))
    stats.kept, stats.moves = int(counters[ruin.KEPT]), stats.moves + int(counters[ruin.MOVES])
    ruin.keep_best(best, s)
    for v in range(len(s.n)):
        refresh(a, s, v)
    stats.seconds = time.monotonic() - started
    return stats


@contextmanager
def travel_alone(p: ProblemData) -> Iterator[None]:
    """Within: the problem's costs as if the scenario's were travel alone, the default. Routes
    costed within must be re-costed after (`recost`)."""
    full = p.arrays
    p.arrays = full._replace(w_travel=1.0, w_duty=0.0)
    try:
        yield
    finally:
        p.arrays = full


def recost(p: ProblemData, s: RouteState) -> None:
    for v in range(len(s.n)):
        refresh(p.arrays, s, v)


def improve_in_stages(
    p: ProblemData,
    s: RouteState,
    stop: StopRule,
    seed: int = 0,
    on_best: Callable[[tuple[int, ...], float], None] | None = None,
) -> SearchStats:
    """`improve`, but with a cost on duty in two stages on one cooling: the first, FIRST of the
    search, with travel as the last level; the rest with the scenario's costs, from the first's
    plan, where no plan becomes the best that serves fewer, or fewer on time, in any tier.

    Lateness and costs are weighed in one sum, and on the bundled medium (a nearly full day, one
    to five minutes of waiting per engineer) a search with paid time for long found room for the
    last low-tier tickets less often and drove more than with travel alone, so it ended on duty
    longer, not shorter (benchmarks/README.md, costs). Given a first plan made with travel alone
    too, the first stage is the travel-only search (on rounds, exactly its first rounds); the
    second only shortens days and cannot give up a visit or an SLA met."""
    if p.arrays.w_duty == 0.0:
        return improve(p, s, stop, seed, on_best)
    started = time.monotonic()
    finite = stop.until != float("inf")
    cap = StopRule(
        until=started + (stop.until - started) * FIRST if finite else stop.until,
        rounds=None if stop.rounds is None else int(stop.rounds * FIRST),
    )
    with travel_alone(p):
        recost(p, s)
        # progress is heard from the first stage too, its cost without the paid time
        first = improve(p, s, cap, seed, on_best, cooling=Cooling(stop, started))
    recost(p, s)
    rest = StopRule(stop.until, None if stop.rounds is None else stop.rounds - first.rounds)
    cooling = Cooling(stop, started, first.rounds, first.hot or None)
    second = improve(p, s, rest, seed + 1, on_best, cooling=cooling, floor=floor_of(p, s))
    second.rounds += first.rounds
    second.kept += first.kept
    second.moves += first.moves
    second.seconds = time.monotonic() - started
    return second

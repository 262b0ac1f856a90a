"""Settings of a solve: small frozen dataclasses with defaults, shared by every path."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_LATENESS_PER_MIN = (100, 30, 10, 3)  # by tier rank; travel costs 1 per minute
GREEDY = "GREEDY_INSERTION"  # the search core's start: insertion, then ruin and recreate


@dataclass(frozen=True)
class SolveParams:
    """How hard and how to search. Weights are per minute, relative to one minute of travel."""

    time_limit_s: float = 10.0
    seed: int = 0
    # GREEDY_INSERTION (the search core) or an OR-Tools FirstSolutionStrategy name (OR-Tools alone)
    first_solution: str = GREEDY
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    lateness_per_min: tuple[float, ...] = (
        DEFAULT_LATENESS_PER_MIN  # tier rank 0, 1, ...; last repeats
    )
    overtime_per_min: float = 2.0
    restock_bonus_min: float = 20.0  # detour a restock stop may cost before it is proven useful
    # re-planning against a previous plan (see solve(previous=...)): what changing it costs
    move_cost_min: float = 60.0  # a ticket moved to another engineer-shift
    eta_tolerance_min: float = 30.0  # a promised start may shift this much for free
    eta_shift_per_min: float = 1.0  # each minute beyond that
    # a follow-up kept with its preferred engineer is worth this many minutes of travel (or of
    # tier-weighted SLA lateness); beyond that, another engineer takes it
    preference_min: float = 30.0
    # workload balance: each visit costs this many minutes for every hour its engineer has been out
    # when it starts, so late visits on a long day cost more than early ones on a short day (0: off)
    balance: float = 0.0
    log_search: bool = False
    # share of the time limit (from the start) for the search core; OR-Tools' guided local search
    # polishes in the rest (docs/solving.md, "How the time is spent")
    ruin_share: float = 0.9
    # stop the search core after this many ruin-and-recreate rounds as well (a test runs a fixed
    # number and gets the same plan every time for a seed); None: the clock alone
    iterations: int | None = None
    # scale-out (dispatch_opt.scale): processes to run territories or a seed portfolio on, a Dask
    # scheduler address (None: an in-process LocalCluster when workers > 1), and the territory size
    workers: int = 1
    scheduler: str | None = None
    # scenarios with more live tickets than `split_above` are split into territories of about
    # `territory_tickets`; up to it one search over the whole scenario (or a portfolio) plans
    # better than territories whose engineers cannot cross borders (docs/solving.md, "The
    # scale-out"; figures in benchmarks/README.md)
    split_above: int = 2000
    territory_tickets: int = 500

    def lateness_weight(self, rank: int) -> int:
        w = self.lateness_per_min[min(rank, len(self.lateness_per_min) - 1)]
        return max(1, round(w))


@dataclass
class Progress:
    elapsed_s: float
    objective: int
    planned: int
    tickets: int

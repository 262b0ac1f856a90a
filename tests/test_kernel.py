"""The compiled route-evaluation kernel agrees exactly with the plain reference evaluator.

Random routes on generated cities (windows, breaks, parts, several tiers) and on a re-plan
(promised starts, tickets that had another engineer-shift), then the resumed evaluation of a
route changed in one place against evaluating it whole; then the break rules on tiny routes.
"""

import random

import numpy as np
import pytest
from conftest import at, engineer, scenario, ticket

import dispatch_opt as do
from dispatch_opt.engine.eligibility import compute_eligibility
from dispatch_opt.engine.problem import ProblemData
from dispatch_opt.engine.search import kernel, reference
from dispatch_opt.engine.search.construct import frozen_state
from dispatch_opt.engine.search.routes import insertion_cost, put, take
from dispatch_opt.synthetic import CityParams, generate_scenario


def problem(raw, previous=None, params=None) -> ProblemData:
    sc = do.load_scenario(raw)
    return ProblemData(sc, compute_eligibility(sc), params or do.SolveParams(), previous)


def random_route(a, rng: random.Random, v: int, longest: int = 9) -> list[int]:
    """Tickets near one another that engineer-shift v may serve, in random order."""
    mine = np.flatnonzero(a.allowed[:, v]).tolist()
    if not mine:
        return []
    centre = rng.choice(mine)
    near = [centre] + [int(x) for x in a.neighbours[centre] if a.allowed[x, v]]
    return rng.sample(near, rng.randint(0, min(longest, len(near))))


def compiled(a, v: int, route: list[int]):
    seq = np.array(route + [-1], dtype=np.int64)
    starts = np.full(len(seq), -1, dtype=np.int64)
    breaks = np.full(max(1, int(a.b_n[v])), -1, dtype=np.int64)
    cost = kernel.route_cost(a, v, seq, len(route), starts, breaks)
    taken = [(k, int(b)) for k, b in enumerate(breaks[: a.b_n[v]]) if b >= 0]
    return cost, starts[: len(route)].tolist(), taken


def states(a, v: int, route: list[int]):
    size = len(route) + 2
    st = (
        np.zeros(size, np.int64),
        np.zeros(size),
        np.zeros(size, np.int64),
        np.zeros(size, np.int64),
        np.zeros((size, kernel.DUTY), np.int64),
    )
    seq = np.array(route + [-1], dtype=np.int64)
    return seq, st, kernel.record_states(a, v, seq, len(route), *st)


def cities():
    yield problem(generate_scenario(CityParams(engineers=8, tickets=90, seed=11)))
    # followed-up tickets preferring their engineer, and workload balance on
    two_days = CityParams(engineers=6, tickets=80, days=2, seed=12, follow_ups_preferred=True)
    yield problem(generate_scenario(two_days), params=do.SolveParams(balance=5.0))
    raw = generate_scenario(CityParams(engineers=6, tickets=60, seed=13))
    sc = do.load_scenario(raw)
    before = do.solve(sc, do.SolveParams(time_limit_s=0))
    yield problem(raw, previous=before)  # promised starts and engineer-shifts to keep


def costed():
    """Cities with random costs on travel and on duty (the departure and return then count), and
    some stops held where they are (crew visits, follow-ups, frozen work in a real plan)."""
    rng = random.Random(21)
    for seed, extra in ((15, {}), (16, {"days": 2, "follow_ups_preferred": True})):
        raw = generate_scenario(CityParams(engineers=8, tickets=90, seed=seed, **extra))
        raw["costs"] = {
            "travel_per_min": rng.choice([0.0, 0.3, 1.0, 2.0]),
            "on_duty_per_min": round(rng.uniform(0.2, 3.0), 2),
        }
        p = problem(raw)
        held = rng.sample(range(p.arrays.nt), p.arrays.nt // 7)
        p.arrays.held[held] = True
        yield p


COSTED = list(costed())
COSTED_IDS = ["costs-one-day", "costs-two-days"]


@pytest.mark.parametrize(
    "p", list(cities()) + COSTED, ids=["one-day", "two-days", "re-plan"] + COSTED_IDS
)
def test_compiled_kernel_agrees_with_the_reference_on_random_routes(p):
    a, rng = p.arrays, random.Random(7)
    feasible = infeasible = 0
    for _ in range(1500):
        v = rng.randrange(len(a.v_start))
        route = random_route(a, rng, v)
        cost, starts, taken = compiled(a, v, route)
        ref = reference.evaluate(a, v, route)
        assert cost == ref.cost, (v, route)
        if cost != kernel.INF:
            feasible += 1
            assert starts == [s for _, s in ref.visits]
            assert taken == sorted(ref.breaks)
        else:
            infeasible += 1
    assert feasible > 300 and infeasible > 100  # the sample exercised both


@pytest.mark.parametrize(
    "p", list(cities())[:2] + COSTED, ids=["one-day", "two-days"] + COSTED_IDS
)
def test_a_route_changed_in_one_place_costs_what_it_costs_whole(p):
    # insertions, removals, replaced and reversed stretches: resumed from the recorded states
    # and stopped where the schedule meets the old one, the cost equals the whole evaluation
    a, rng = p.arrays, random.Random(8)
    checked = feasible = 0
    for _ in range(2000):
        v = rng.randrange(len(a.v_start))
        route = random_route(a, rng, v)
        seq, st, total = states(a, v, route)
        assert total == reference.evaluate(a, v, route).cost
        k = rng.randint(0, len(route))
        j = rng.randint(k, len(route))
        others = [x for x in random_route(a, rng, v) if x not in route]
        mid = list(reversed(route[k:j])) if rng.random() < 0.3 else others[: rng.randint(0, 2)]
        changed = route[:k] + mid + route[j:]
        got = kernel.splice_cost(
            a, v, seq, len(route), k, np.array(mid + [-1], dtype=np.int64), len(mid), j, *st, total
        )
        want = reference.evaluate(a, v, changed).cost
        assert got == pytest.approx(want, abs=1e-6) or got == want == kernel.INF, (route, k, mid, j)
        checked += 1
        feasible += want != kernel.INF
    assert checked == 2000 and feasible > 400


def without_breaks():
    raw = generate_scenario(CityParams(engineers=8, tickets=90, seed=14))
    for e in raw["engineers"]:
        e.pop("breaks", None)
    return problem(raw)


def without_breaks_costed():
    raw = generate_scenario(CityParams(engineers=8, tickets=90, seed=17))
    for e in raw["engineers"]:
        e.pop("breaks", None)
    raw["costs"] = {"travel_per_min": 1.0, "on_duty_per_min": 1.0}
    return problem(raw)


@pytest.mark.parametrize(
    "p",
    [without_breaks(), list(cities())[2], without_breaks_costed()],
    ids=["no-breaks", "re-plan-with-breaks", "no-breaks-costs"],
)
def test_an_insertion_costs_what_the_route_with_it_costs_whole(p):
    # where the delay stays within the forward slack the added cost comes in O(1), else from the
    # recorded states: either way it is exact
    a, rng = p.arrays, random.Random(9)
    s, _ = frozen_state(p)
    checked = feasible = known = 0
    for _ in range(600):
        v = rng.randrange(len(a.v_start))
        while s.n[v] > s.fixed[v]:
            take(a, s, v, s.n[v] - 1)
        for x in random_route(a, rng, v, longest=12):
            if s.where[x] < 0:
                put(a, s, v, s.n[v], x)
        if s.cost[v] == kernel.INF:
            continue
        route = s.seq[v, : s.n[v]].tolist()
        for x in [x for x in random_route(a, rng, v) if s.where[x] < 0][:3]:
            for k in range(s.fixed[v], s.n[v] + 1):
                got = insertion_cost(a, s, v, k, x)
                want = reference.evaluate(a, v, route[:k] + [x] + route[k:]).cost
                if want == kernel.INF:
                    assert got == kernel.INF
                else:
                    assert got == pytest.approx(want - s.cost[v], abs=1e-6), (v, route, k, x)
                    feasible += 1
                known += s.slack[v, k] >= 0
                checked += 1
    assert checked > 1000 and feasible > 300
    # slack is known without breaks, unless waiting is paid
    assert (known > checked / 2) == (p.arrays.b_n.max() == 0 and p.arrays.w_duty == 0)


def one_engineer(tickets, **extra):
    return problem(scenario([engineer("E1", 0, 0, **extra)], tickets))


LUNCH = [{"start": at("12:00"), "end": at("14:00"), "duration_min": 30}]


def test_a_break_is_taken_while_waiting_for_a_window_when_that_costs_nothing():
    p = one_engineer(
        [
            ticket("A", 10, 0),
            ticket("B", 20, 0, windows=[{"start": at("13:00"), "end": at("14:00")}]),
        ],
        breaks=LUNCH,
    )
    s = reference.evaluate(p.arrays, 0, [0, 1])  # A at 08:10, then wait for B's window at 13:00
    assert s.breaks == [(0, 12 * 3600)]  # the break fills the wait: B still starts at 13:00
    assert [t for _, t in s.visits] == [8 * 3600 + 600, 13 * 3600]
    assert compiled(p.arrays, 0, [0, 1])[1:] == ([t for _, t in s.visits], s.breaks)


def test_a_break_waits_until_after_a_visit_that_still_leaves_room_for_it():
    p = one_engineer(
        [
            ticket("A", 10, 0, windows=[{"start": at("11:30"), "end": at("12:00")}], duration=60),
            ticket("B", 20, 0, windows=[{"start": at("13:30"), "end": at("14:30")}]),
        ],
        breaks=LUNCH,
    )
    s = reference.evaluate(p.arrays, 0, [0, 1])
    assert [t for _, t in s.visits] == [11 * 3600 + 1800, 13 * 3600 + 1800]  # neither delayed
    assert s.breaks == [(0, 12 * 3600 + 1800)]  # after A, inside 12:00-14:00


def test_no_break_is_owed_by_an_engineer_home_before_the_interval_ends():
    p = one_engineer([ticket("A", 10, 0)], breaks=LUNCH)
    s = reference.evaluate(p.arrays, 0, [0])
    assert s.breaks == [] and s.cost == 20 * 60  # 10 minutes there, 10 back


def test_a_route_that_cannot_fit_its_break_is_infeasible():
    p = one_engineer(
        [ticket("A", 10, 0, windows=[{"start": at("11:50"), "end": at("11:55")}], duration=150)],
        breaks=LUNCH,
    )
    assert reference.evaluate(p.arrays, 0, [0]).cost == kernel.INF
    assert compiled(p.arrays, 0, [0])[0] == kernel.INF

"""Each local-search operator finds the improvement planted for it, and says exactly what it gains.

Geometry: planar km at 60 km/h, so 1 km is one minute's drive (60 in the kernel's seconds).
"""

import numpy as np
import pytest
from conftest import engineer, scenario, ticket

import dispatch_opt as do
from dispatch_opt.engine.eligibility import compute_eligibility
from dispatch_opt.engine.problem import ProblemData
from dispatch_opt.engine.search import operators as ops
from dispatch_opt.engine.search.construct import frozen_state
from dispatch_opt.engine.search.improve import total_cost
from dispatch_opt.engine.search.routes import put


def planted(engineers, tickets, routes: dict[int, list[str]]):
    sc = do.load_scenario(scenario(engineers, tickets))
    p = ProblemData(sc, compute_eligibility(sc), do.SolveParams())
    s, _ = frozen_state(p)
    for v, ids in routes.items():
        for k, tid in enumerate(ids):
            put(p.arrays, s, v, k, p.nodes.tickets.index(tid))
    return p, s


def node(p, tid: str) -> int:
    return p.nodes.tickets.index(tid)


def routes_of(p, s) -> list[list[str]]:
    return [[p.nodes.tickets[x] for x in s.seq[v, : s.n[v]]] for v in range(len(s.n))]


def apply(p, s, op, u: str, w: str) -> float:
    """The operator's gain for (u, w), committed; checks it equals the change in total cost."""
    cap = s.seq.shape[1]
    buf_u, buf_w, lens = np.empty(cap, np.int64), np.empty(cap, np.int64), np.zeros(2, np.int64)
    a, x, y = p.arrays, node(p, u), node(p, w)
    before = total_cost(s)
    delta = ops.delta(a, s, op, x, y, buf_u, buf_w, lens)
    assert delta < 0
    ops.commit(a, s, s.where[x], s.where[y], buf_u, buf_w, lens)
    assert total_cost(s) == pytest.approx(before + delta)
    for v in range(len(s.n)):  # where each ticket is stays in step with the routes
        assert all(s.where[z] == v for z in s.seq[v, : s.n[v]])
    return delta


def test_relocate_moves_a_visit_to_the_engineer_next_to_it():
    p, s = planted(
        [engineer("E1", 0, 0), engineer("E2", 100, 0)],
        [ticket("A", 1, 0), ticket("C", 99, 0), ticket("B", 2, 0), ticket("D", 98, 0)],
        {0: ["A", "C", "B"], 1: ["D"]},
    )
    assert apply(p, s, ops.RELOCATE, "C", "D") == pytest.approx(-(2 * 97 + 2) * 60 + 2 * 60)
    assert routes_of(p, s) == [["A", "B"], ["D", "C"]]


def test_swap_exchanges_two_visits_when_neither_route_has_room_for_both():
    # 300-minute visits in 540-minute shifts: one each; relocating cannot help, swapping does
    p, s = planted(
        [engineer("E1", 0, 0), engineer("E2", 100, 0)],
        [ticket("X", 99, 0, duration=300), ticket("Y", 1, 0, duration=300)],
        {0: ["X"], 1: ["Y"]},
    )
    assert ops.delta(p.arrays, s, ops.RELOCATE, node(p, "X"), node(p, "Y"), *buffers(s)) == ops.INF
    assert apply(p, s, ops.SWAP, "X", "Y") == pytest.approx(-4 * 98 * 60)
    assert routes_of(p, s) == [["Y"], ["X"]]


def buffers(s):
    cap = s.seq.shape[1]
    return np.empty(cap, np.int64), np.empty(cap, np.int64), np.zeros(2, np.int64)


def test_two_opt_star_exchanges_the_ends_of_two_crossing_routes():
    p, s = planted(
        [engineer("E1", 0, 0), engineer("E2", 0, 100)],
        [ticket("A", 10, 0), ticket("B", 20, 100), ticket("C", 10, 100), ticket("D", 20, 0)],
        {0: ["A", "B"], 1: ["C", "D"]},
    )
    apply(p, s, ops.TWO_OPT_STAR, "A", "C")
    assert routes_of(p, s) == [["A", "D"], ["C", "B"]]


def test_two_opt_reverses_a_stretch_that_doubles_back():
    p, s = planted(
        [engineer("E1", 0, 0)],
        [ticket(t, x, 0) for t, x in (("T10", 10), ("T20", 20), ("T30", 30), ("T40", 40))],
        {0: ["T10", "T30", "T20", "T40"]},
    )
    assert apply(p, s, ops.TWO_OPT, "T10", "T20") == pytest.approx(-20 * 60)
    assert routes_of(p, s) == [["T10", "T20", "T30", "T40"]]


def test_or_opt_moves_a_string_of_two_visits_to_the_route_beside_them():
    p, s = planted(
        [engineer("E1", 0, 0), engineer("E2", 100, 0)],
        [
            ticket("A", 1, 0),
            ticket("P", 50, 0),
            ticket("Q", 51, 0),
            ticket("B", 2, 0),
            ticket("R", 52, 0),
        ],
        {0: ["A", "P", "Q", "B"], 1: ["R"]},
    )
    apply(p, s, ops.OR_OPT2, "P", "R")
    assert routes_of(p, s) == [["A", "B"], ["R", "P", "Q"]]


def test_no_operator_moves_a_visit_to_an_engineer_without_the_skill():
    p, s = planted(
        [engineer("E1", 0, 0, skills=["gas"]), engineer("E2", 100, 0)],
        [ticket("A", 1, 0), ticket("C", 99, 0, skills=["gas"]), ticket("D", 98, 0)],
        {0: ["A", "C"], 1: ["D"]},
    )
    for op in ops.OPERATORS:
        assert ops.delta(p.arrays, s, op, node(p, "C"), node(p, "D"), *buffers(s)) == ops.INF


def test_local_search_descends_to_the_planted_optimum():
    p, s = planted(
        [engineer("E1", 0, 0), engineer("E2", 100, 0)],
        [ticket("A", 1, 0), ticket("C", 99, 0), ticket("B", 2, 0), ticket("D", 98, 0)],
        {0: ["C", "A"], 1: ["B", "D"]},
    )
    moves = ops.local_search(p.arrays, s, np.arange(4), 3, 10)
    assert moves >= 2
    assert sorted(map(sorted, routes_of(p, s))) == [["A", "B"], ["C", "D"]]

"""Scale-out: territories (split, depot stock, merge), the border phase, the seed portfolio, and
running them on a real Dask LocalCluster of two workers."""

from __future__ import annotations

import copy
import sys

import pytest
from conftest import assert_valid, by_rounds, engineer, scenario, ticket

import dispatch_opt as do
from dispatch_opt.engine.solve import solve_in_process
from dispatch_opt.scale import rank_key, split, sub_scenario
from dispatch_opt.scale.runner import Runner
from dispatch_opt.scale.territories import split_stock

distributed = pytest.importorskip("distributed")


def two_towns(per_side: int = 30, **extra) -> dict:
    """Two towns 40 km apart (40 minutes), four engineers and `per_side` tickets each; some
    tickets need a part only the depot between them holds."""
    engineers, tickets = [], []
    for side, x0 in (("W", 0.0), ("E", 40.0)):
        for i in range(4):
            engineers.append(engineer(f"{side}{i}", x0 + i % 2, i // 2))
        for i in range(per_side):
            extra_t = {"parts": {"filter": 1}} if i % 5 == 0 else {}
            tickets.append(
                ticket(
                    f"{side}-T{i:02d}", x0 + (i % 6) - 2.5, (i // 6) - 2.0, duration=25, **extra_t
                )
            )
    depot = {"id": "D", "location": {"x": 20.0, "y": 0.0}, "parts": {"filter": 9}}
    return scenario(engineers, tickets, depots=[depot], **extra)


def test_every_ticket_and_engineer_lands_in_exactly_one_territory():
    sc = do.load_scenario(two_towns())
    parts = split(sc, 25)
    assert len(parts) == 2
    tickets = sorted(t for p in parts for t in p.tickets)
    engineers = sorted(e for p in parts for e in p.engineers)
    assert tickets == sorted(t.id for t in sc.live_tickets)
    assert engineers == sorted(e.id for e in sc.engineers)
    for p in parts:  # the towns are not cut in half
        assert len({e[0] for e in p.engineers}) == 1
        assert {t[0] for t in p.tickets} == {p.engineers[0][0]}


def test_small_scenarios_are_not_split():
    sc = do.load_scenario(two_towns(per_side=10))
    assert len(split(sc, 500)) == 1
    params = do.SolveParams(time_limit_s=0)
    plan = do.solve(sc, params)
    assert "territories" not in plan.kpis
    alone = solve_in_process(sc, params)
    assert (plan.routes, plan.unassigned) == (alone.routes, alone.unassigned)


def test_a_ticket_nobody_in_its_territory_can_serve_follows_a_qualified_engineer():
    raw = two_towns()
    raw["engineers"][5]["skills"] = ["boiler"]  # E1, in the east town
    raw["tickets"][3]["skills"] = ["boiler"]  # W-T03, in the west town
    sc = do.load_scenario(raw)
    home = {t: p for p in split(sc, 25) for t in p.tickets}
    assert "E1" in home["W-T03"].engineers


def test_a_ticket_with_a_required_engineer_goes_to_that_engineers_territory():
    raw = two_towns()
    raw["tickets"][0]["engineer"] = "E2"
    sc = do.load_scenario(raw)
    home = {t: p for p in split(sc, 25) for t in p.tickets}
    assert "E2" in home["W-T00"].engineers


def test_depot_stock_is_split_in_proportion_to_demand_and_never_exceeds_what_it_holds():
    raw = two_towns()
    for t in raw["tickets"]:  # the east town needs three times as many filters as the west
        if t["id"].startswith("E") and int(t["id"][-2:]) % 5 in (1, 2):
            t["parts"] = {"filter": 1}
    sc = do.load_scenario(raw)
    parts = split(sc, 25)
    west, east = sorted(parts, key=lambda p: p.centre[0])
    assert west.stock["D"]["filter"] + east.stock["D"]["filter"] == 9
    assert (west.stock["D"]["filter"], east.stock["D"]["filter"]) == (2, 7)  # demand 6 : 18
    sub = sub_scenario(sc, [east])
    assert sub.depot("D").parts == {"filter": 7}
    assert {e.id for e in sub.engineers} == set(east.engineers)


def test_stock_nobody_needs_stays_with_the_territories_nearest_the_depot():
    raw = two_towns()
    raw["depots"][0]["location"] = {"x": 45.0, "y": 0.0}  # by the east town
    raw["depots"][0]["parts"]["valve"] = 5
    sc = do.load_scenario(raw)
    parts = split(sc, 25)
    east = max(parts, key=lambda p: p.centre[0])
    assert east.stock["D"]["valve"] == 5
    split_stock(sc, parts)  # idempotent
    assert sum(p.stock["D"]["valve"] for p in parts) == 5


def test_the_contract_order_ranks_served_per_tier_before_lateness_and_travel():
    raw = scenario(
        [engineer("A")],
        [ticket("U", 1, 0, priority="urgent"), ticket("N", 30, 0, priority="normal")],
    )
    sc = do.load_scenario(raw)
    both = solve_in_process(sc, do.SolveParams(time_limit_s=0))
    params = do.SolveParams()
    only_normal = do.Plan(
        sc.name, [r for r in both.routes], [], scenario=sc
    )  # the same plan minus the urgent visit
    only_normal.routes = []
    only_normal.unassigned = [do.Unassigned("U", "test", "capacity")]
    assert rank_key(sc, both, params) < rank_key(sc, only_normal, params)


def test_a_limit_too_short_for_the_size_is_refused_before_starting():
    sc = do.load_scenario(two_towns())  # 60 tickets: more than 4 territories of 12
    with pytest.raises(do.ScenarioError, match="time_limit_s: got 1 s; too short"):
        do.solve(sc, do.SolveParams(time_limit_s=1, split_above=0, territory_tickets=12))


def test_only_scenarios_over_split_above_tickets_are_split():
    raw = two_towns()  # 60 tickets
    for split_above, in_territories in ((60, False), (59, True)):
        params = do.SolveParams(time_limit_s=0, split_above=split_above, territory_tickets=25)
        plan = do.solve(do.load_scenario(copy.deepcopy(raw)), params)
        assert ("territories" in plan.kpis) == in_territories
        assert_valid(raw, plan)


def test_a_limit_too_short_to_split_a_mid_sized_scenario_solves_it_whole():
    # 60 tickets are 2.4 territories of 25: a short re-plan is solved whole, and says so (the time
    # limit is what this is about; the search still stops on its rounds)
    raw = two_towns()
    params = do.SolveParams(
        time_limit_s=1, split_above=0, territory_tickets=25, iterations=30, ruin_share=1.0
    )
    plan = do.solve(do.load_scenario(raw), params)
    assert_valid(raw, plan)
    assert any(n.startswith("solved whole, not in territories: time_limit_s") for n in plan.notes)
    assert "territories" not in plan.kpis


def test_several_workers_without_dask_say_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(do.ScenarioError, match=r"pip install -e '\.\[scale\]'"):
        with Runner(workers=2):
            pass


def test_territories_in_one_process_give_a_valid_merged_plan():
    raw = two_towns()
    plan = do.solve(
        do.load_scenario(copy.deepcopy(raw)),
        do.SolveParams(time_limit_s=0, split_above=0, territory_tickets=25),
    )
    assert_valid(raw, plan)
    assert [t["tickets"] for t in plan.kpis["territories"]] == [30, 30]


def test_the_offer_pass_gives_tickets_left_at_a_border_to_the_neighbours_routes():
    """One street of 60 tickets cut in two; six engineers live 25 km west of it and one in the
    east half, so the east territory gets one engineer for 30 tickets (the others live too far to
    fill its share). Insertion only (no search, no border re-solve): what the east leaves out is
    offered to the west's engineers, who drive over, and each ticket still left out is one that
    was tried against the final routes."""
    engineers = [engineer(f"W{i}", -25.0, float(i)) for i in range(6)] + [engineer("E0", 15, 0)]
    tickets = [ticket(f"T{i:02d}", i / 3, (i % 3) - 1.0, duration=40) for i in range(60)]
    raw = scenario(engineers, tickets)
    sc = do.load_scenario(copy.deepcopy(raw))
    territories = split(sc, 25)
    assert sorted(len(t.engineers) for t in territories) == [1, 6]
    east = next(set(t.tickets) for t in territories if t.engineers == ["E0"])
    alone = solve_in_process(
        sub_scenario(sc, [t for t in territories if t.engineers == ["E0"]]),
        do.SolveParams(time_limit_s=0),
    )
    assert alone.unassigned  # one engineer cannot do the east's 30 visits
    plan = do.solve(sc, do.SolveParams(time_limit_s=0, split_above=0, territory_tickets=25))
    assert_valid(raw, plan)
    border = plan.kpis["border"]
    assert border["pairs"] == 0 and border["offered"] >= len(alone.unassigned)
    assert border["placed"] > 0
    helpers = {r.engineer for r in plan.routes for s in r.visits if s.ticket in east} - {"E0"}
    assert helpers and all(e.startswith("W") for e in helpers)
    assert plan.kpis["served"] == sum(len(r.visits) for r in plan.routes)
    assert all(u.code != "time_limit" for u in plan.unassigned)
    # an event re-plan without search (the emergency fast path) answers at once: no offer pass
    replan = do.solve(
        sc, do.SolveParams(time_limit_s=0, split_above=0, territory_tickets=25), previous=plan
    )
    assert_valid(raw, replan)
    assert replan.kpis["border"]["offered"] == 0


def test_rounds_of_groups_never_share_a_territory_and_keep_the_order():
    from dispatch_opt.scale.orchestrate import disjoint_rounds

    rounds = disjoint_rounds([(0, 1), (1, 2), (2, 3), (0, 3), (4,)], 2)
    assert rounds == [[(0, 1), (2, 3)], [(1, 2), (0, 3)], [(4,)]]
    for r in rounds:
        used = [i for g in r for i in g]
        assert len(used) == len(set(used)) and len(r) <= 2


def test_the_time_limit_is_shared_out_and_border_time_no_pair_can_use_goes_to_territories():
    from dispatch_opt.scale.orchestrate import plan_budget, replan_seconds

    sizes, params = [357, 380, 389, 374], do.SolveParams(time_limit_s=110)
    b = plan_budget(params, 7.5, sizes, 2, 1500, True, 4.0)
    assert b.offer_s == 4.0 and b.waves == 2 and b.rounds >= 1
    usable = 110 * 0.97 - 1.0 - 7.5 - 4.0
    assert b.territory_s * 2 + b.rounds * b.pair_s <= usable + 1e-9
    assert b.pair_s == replan_seconds(2 * 389)
    # 30 s: the border's share is less than one pair re-solve needs, so the territories get it
    short = plan_budget(do.SolveParams(time_limit_s=30), 7.5, sizes, 2, 1500, True, 4.0)
    assert short.rounds == 0
    assert short.territory_s == pytest.approx((30 * 0.97 - 1.0 - 7.5 - 4.0) / 2)


# ------------------------------------------------------------------ on a real LocalCluster


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_two_territories_on_two_workers_merge_into_one_valid_plan(client):
    raw = two_towns()
    sc = do.load_scenario(copy.deepcopy(raw))
    params = by_rounds(200, split_above=0, territory_tickets=25)
    plan = do.solve(sc, params, client=client)
    assert_valid(raw, plan)
    assert len(plan.kpis["territories"]) == 2
    assert plan.kpis["border"]["improved"] <= plan.kpis["border"]["pairs"]
    # the towns are far apart: each keeps its own engineers
    for r in plan.routes:
        assert {s.ticket[0] for s in r.visits} <= {r.engineer[0]}
    # there is room for everything but what the depot's nine filters limit
    planned = {s.ticket for r in plan.routes for s in r.visits}
    assert {t["id"] for t in raw["tickets"] if "parts" not in t} <= planned, plan.unassigned


def test_the_portfolio_keeps_the_best_of_its_seeds(client):
    raw = two_towns(per_side=12)
    sc = do.load_scenario(copy.deepcopy(raw))
    plan = do.solve(sc, by_rounds(200, seed=4), client=client)
    assert_valid(raw, plan)
    runs = plan.kpis["portfolio"]
    assert runs["seeds"] == [4, 5]
    best = runs["seeds"].index(runs["best_seed"])
    assert runs["served_per_tier"][best] == max(runs["served_per_tier"])  # tier by tier
    assert plan.kpis["served"] == sum(runs["served_per_tier"][best])


def test_the_embedded_portfolio_runs_its_seeds_on_threads_of_this_process():
    raw = two_towns(per_side=12)
    sc = do.load_scenario(copy.deepcopy(raw))
    plan = do.solve(sc, by_rounds(200, workers=2, split_above=10**6))
    assert_valid(raw, plan)
    assert plan.kpis["portfolio"]["seeds"] == [0, 1]
    assert "on 2 threads of this process, without OR-Tools' polish" in plan.notes[-1]
    # each run stops on its rounds: the plan kept is exactly the best seed's plan
    best = plan.kpis["portfolio"]["best_seed"]
    alone = solve_in_process(sc, by_rounds(200, seed=best))
    assert (plan.routes, plan.unassigned) == (alone.routes, alone.unassigned)


def test_the_embedded_cluster_needs_no_set_up():
    raw = two_towns()
    sc = do.load_scenario(copy.deepcopy(raw))
    plan = do.solve(sc, by_rounds(100, workers=2, split_above=0, territory_tickets=25))
    assert_valid(raw, plan)
    assert "on 2 worker(s)" in plan.notes[0]


def test_a_scheduler_address_runs_on_that_cluster(client):
    raw = two_towns()
    sc = do.load_scenario(copy.deepcopy(raw))
    address = client.scheduler.address
    plan = do.solve(sc, by_rounds(100, split_above=0, territory_tickets=25, scheduler=address))
    assert_valid(raw, plan)
    assert "on 2 worker(s)" in plan.notes[0]


def test_a_scheduler_that_does_not_answer_is_an_input_error():
    with pytest.raises(do.ScenarioError, match="scheduler: got 'tcp://127.0.0.1:9'"):
        with Runner(scheduler="tcp://127.0.0.1:9", connect_s=0.2):  # nobody listens on port 9
            pass


def test_started_work_cut_into_a_territory_keeps_its_work_left():
    raw = two_towns()
    raw["now"] = "2026-11-30T10:00"
    raw["tickets"][0].update(
        status="started", engineer="W0", started_at="2026-11-30T09:40", duration_min=60
    )
    sc = do.load_scenario(raw)
    part = next(p for p in split(sc, 25) if "W0" in p.engineers)
    cut = sub_scenario(sc, [part])
    assert cut.ticket("W-T00").duration_min == pytest.approx(40)  # not 20 minutes less again
    assert sc.ticket("W-T00").duration_min == pytest.approx(40)  # the whole board untouched
    assert cut.to_dict()["tickets"][0]["duration_min"] == 60


def test_only_territories_whose_tickets_touch_are_paired_for_the_border_phase():
    from dispatch_opt.scale.orchestrate import _neighbour_pairs

    far = split(do.load_scenario(two_towns()), 25)  # two towns 40 km apart
    assert _neighbour_pairs(far) == []
    one_town = two_towns()
    one_town["engineers"] = [e for e in one_town["engineers"] if e["id"][0] == "W"]
    one_town["tickets"] = [t for t in one_town["tickets"] if t["id"][0] == "W"]
    halves = split(do.load_scenario(one_town), 15)
    assert len(halves) == 2
    assert _neighbour_pairs(halves) == [(0, 1)]

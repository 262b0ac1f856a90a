"""Restock as a move: when a van lacks a part, every path of the search core (the first plan,
ruin and recreate, the emergency fast path, slot offers) may send the engineer to a depot that
holds it, and picks up only what the visits need."""

from __future__ import annotations

import numpy as np
from conftest import assert_valid, at, by_rounds, engineer, scenario, ticket
from test_search import assert_stock_holds

import dispatch_opt as do
from dispatch_opt.engine.eligibility import compute_eligibility
from dispatch_opt.engine.problem import ProblemData
from dispatch_opt.engine.search.construct import frozen_state
from dispatch_opt.engine.search.routes import best_insertion, place, stock_holds, take, tidy

SEARCH_ONLY = by_rounds(200)  # the search core alone, stopped on its rounds
DEPOT = {"id": "W1", "location": {"x": 3, "y": 4}, "parts": {"pump": 2}, "restock_min": 10}


def pumps(n_tickets: int = 2, depot: dict = DEPOT, **eng) -> dict:
    tickets = [ticket(f"T{i}", 10 + i, 0, parts={"pump": 1}) for i in range(n_tickets)]
    return scenario([engineer("E1", **eng)], tickets, depots=[depot])


def restocks(plan: do.Plan) -> list:
    return [s for r in plan.routes for s in r.stops if s.type == "restock"]


def test_the_search_fetches_a_part_the_van_lacks_and_only_as_much_as_the_visits_use():
    raw = pumps()
    plan = do.solve(do.load_scenario(raw), SEARCH_ONLY)
    assert_valid(raw, plan)
    assert not plan.unassigned
    (stop,) = restocks(plan)
    assert stop.depot == "W1" and stop.parts == {"pump": 2}
    assert plan.routes[0].stops[0] is stop  # on the way out, before the visits that use it


def test_a_depot_never_hands_out_more_than_it_holds():
    raw = pumps(3)
    plan = do.solve(do.load_scenario(raw), SEARCH_ONLY)
    assert_valid(raw, plan)
    assert sum(s.parts["pump"] for s in restocks(plan)) == 2
    (u,) = plan.unassigned
    assert u.code == "stock" and "pump" in u.reason


def test_the_emergency_fast_path_picks_up_a_part_on_the_way():
    raw = scenario(
        [engineer("E1")],
        [ticket("A", 10, 0)],
        depots=[DEPOT],
        now=at("09:00"),
    )
    sc = do.load_scenario(raw)
    morning = do.solve(sc, do.SolveParams(time_limit_s=0))
    raw["tickets"].append(
        ticket("EMERGENCY", 20, 0, priority="emergency", parts={"pump": 1}, created=at("08:55"))
    )
    plan = do.solve(do.load_scenario(raw), do.SolveParams(time_limit_s=0), previous=morning)
    assert_valid(raw, plan)
    assert not plan.unassigned
    (stop,) = restocks(plan)
    assert stop.parts == {"pump": 1}


def test_a_slot_is_offered_for_a_ticket_whose_part_only_a_depot_holds():
    raw = scenario([engineer("E1")], [ticket("A", 10, 0)], depots=[DEPOT], now=at("07:00"))
    sc = do.load_scenario(raw)
    plan = do.solve(sc, do.SolveParams(time_limit_s=0))
    new = ticket("NEW", 20, 0, parts={"pump": 1}, created=at("06:55"))
    offer = do.offer_slots(sc, plan, new, horizon_days=1)
    assert offer.slots, offer.reason
    without = dict(DEPOT, parts={})
    raw["depots"] = [without]
    sc = do.load_scenario(raw)
    plan = do.solve(sc, do.SolveParams(time_limit_s=0))
    assert not do.offer_slots(sc, plan, new, horizon_days=1).slots  # no pump anywhere


def two_days():
    """One engineer over two days with an empty van; a pump job that fits either day."""
    shifts = (("08:00", "12:00"), ("08:00", "12:00"))
    raw = pumps(2, shifts=shifts)
    raw["engineers"][0]["shifts"][1] = {
        "start": at("08:00", "2026-12-01"),
        "end": at("12:00", "2026-12-01"),
    }
    sc = do.load_scenario(raw)
    p = ProblemData(sc, compute_eligibility(sc), do.SolveParams())
    s, _ = frozen_state(p)
    return p, s


def test_a_pick_up_feeds_only_the_visits_after_it():
    p, s = two_days()
    a = p.arrays
    day1, day2 = a.e_shifts[0, :2]
    x = 0
    place(a, s, day2, 1, x, 0)  # a restock heading day 2, then the visit (position 1)
    assert s.n[day2] == 2 and s.depot_of[day2] == 0 and s.pick[day2].sum() == 1
    assert_stock_holds(p, s)
    # the visit on day 1 would come before the pump is fetched: the van runs short
    moved_x = np.array([x], dtype=np.int64)
    rest = s.seq[day2, :1].copy()  # the restock stop alone
    assert not stock_holds(a, s, 0, day1, moved_x, 1, day2, rest, 1)
    assert stock_holds(a, s, 0, day2, s.seq[day2, :2].copy(), 2, day1, moved_x, 0)
    # the search itself finds the second ticket a place only after a pick-up
    _, v, k, d = best_insertion(a, s, 1, np.array([day1, day2], dtype=np.int64), 0.0)
    assert (v, d) in ((day2, 0), (day1, 0))
    place(a, s, v, k, 1, d)
    assert_stock_holds(p, s)


def test_a_restock_no_visit_needs_is_taken_out_and_its_parts_go_back_to_the_depot():
    p, s = two_days()
    a = p.arrays
    day2 = a.e_shifts[0, 1]
    place(a, s, day2, 1, 0, 0)
    assert s.left[0].sum() == 1
    take(a, s, day2, s.fixed[day2])
    tidy(a, s, 0)
    assert s.n[day2] == 0 and s.depot_of[day2] == -1 and s.restocks[0] == 0
    assert (s.left == a.depot_parts).all() and (s.free == a.van).all()


def test_a_tool_is_fetched_once_and_serves_every_later_visit_that_needs_it():
    raw = scenario(
        [engineer("E1", shifts=(("08:00", "12:00"),))],
        [ticket(f"T{i}", 10 + i, 0, tools=["recovery_unit"]) for i in range(2)],
        depots=[{"id": "W1", "location": {"x": 5, "y": 0}, "tools": ["recovery_unit"]}],
    )
    raw["engineers"][0]["shifts"].append(
        {"start": at("08:00", "2026-12-01"), "end": at("12:00", "2026-12-01")}
    )
    raw["tickets"][1]["windows"] = [
        {"start": at("08:00", "2026-12-01"), "end": at("12:00", "2026-12-01")}
    ]  # the second visit only the next day: the tool stays on the van overnight
    plan = do.solve(do.load_scenario(raw), SEARCH_ONLY)
    assert_valid(raw, plan)
    assert not plan.unassigned
    (stop,) = restocks(plan)
    assert stop.tools == ["recovery_unit"] and not stop.parts


def test_an_emergency_needing_a_tool_the_van_lacks_is_inserted_with_a_pick_up():
    depot = {"id": "W1", "location": {"x": 5, "y": 0}, "tools": ["recovery_unit"]}
    raw = scenario([engineer("E1")], [ticket("A", 10, 0)], depots=[depot], now=at("09:00"))
    morning = do.solve(do.load_scenario(raw), do.SolveParams(time_limit_s=0))
    raw["tickets"].append(
        ticket(
            "EMERGENCY", 20, 0, priority="emergency", tools=["recovery_unit"], created=at("08:55")
        )
    )
    plan = do.solve(do.load_scenario(raw), do.SolveParams(time_limit_s=0), previous=morning)
    assert_valid(raw, plan)
    assert not plan.unassigned
    (stop,) = restocks(plan)
    assert stop.tools == ["recovery_unit"]


def test_a_re_plan_never_picks_up_again_what_a_kept_restock_already_brings():
    """Found by the event streams (fuzz --seed 4242, stream 4242000148): a restock kept from the
    plan in force (day 2: the depot's only pump, for T2) was not counted on the van, so a new
    restock on day 1 (for a tool) also took a pump that the depot no longer held."""
    depot = {"id": "W1", "location": {"x": 3, "y": 4}, "parts": {"pump": 1}, "tools": ["crimper"]}
    day2 = "2026-12-01"
    e1 = engineer("E1")
    e1["shifts"].append({"start": at("08:00", day2), "end": at("17:00", day2)})
    t2 = ticket("T2", 10, 0, parts={"pump": 1})
    t2["windows"] = [{"start": at("09:00", day2), "end": at("12:00", day2)}]
    raw = scenario([e1], [t2], depots=[depot], now=at("08:00"))
    before = do.solve(do.load_scenario(raw), do.SolveParams(time_limit_s=0))
    kept = [(r.shift, s.parts) for r in before.routes for s in r.stops if s.type == "restock"]
    assert kept == [(1, {"pump": 1})]
    window = [{"start": at("09:00"), "end": at("12:00")}]
    raw["tickets"].append(ticket("N1", 5, 5, tools=["crimper"], windows=window))
    for params in (do.SolveParams(time_limit_s=0), SEARCH_ONLY):
        plan = do.solve(do.load_scenario(raw), params, previous=before)
        assert_valid(raw, plan)
        assert not plan.unassigned
        assert sum(s.parts.get("pump", 0) for s in restocks(plan)) == 1

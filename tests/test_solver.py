"""The solver, one constraint family at a time, on tiny scenarios with exact expectations.

Geometry: planar km at 60 km/h, so a ticket at x=10 is 10 minutes' drive from an engineer at 0.
"""

from datetime import datetime

from conftest import at, engineer, reason, scenario, served_by, solve_checked, ticket, visit

import dispatch_opt as do

# ---------------------------------------------------------------- skills and required engineer


def test_ticket_goes_to_the_engineer_with_every_required_skill():
    raw = scenario(
        [
            engineer("E1", 0, 0, skills=["washer"]),
            engineer("E2", 50, 0, skills=["washer", "boiler"]),
        ],
        [ticket("T1", 1, 0, skills=["washer", "boiler"])],
    )
    assert served_by(solve_checked(raw)) == {"T1": "E2"}


def test_skill_nobody_has_is_unassigned_naming_the_skill():
    raw = scenario(
        [engineer("E1", skills=["washer"])], [ticket("T1", 1, 0, skills=["solar_inverter"])]
    )
    u = reason(solve_checked(raw), "T1")
    assert u.code == "skill" and "solar_inverter" in u.reason


def test_required_engineer_is_respected_even_when_another_is_nearer():
    raw = scenario(
        [engineer("E1", 0, 0), engineer("E2", 40, 0)], [ticket("T1", 1, 0, engineer="E2")]
    )
    assert served_by(solve_checked(raw)) == {"T1": "E2"}


def test_required_engineer_without_a_shift_left_is_reported():
    raw = scenario(
        [engineer("E1", 0, 0), engineer("E2", 5, 0, shifts=(("08:00", "10:00"),))],
        [ticket("T1", 1, 0, engineer="E2")],
        now=at("11:00"),
    )
    u = reason(solve_checked(raw), "T1")
    assert u.code == "engineer" and "E2" in u.reason


# ---------------------------------------------------------------- windows, shifts, overtime


def test_visit_starts_inside_its_appointment_window():
    raw = scenario(
        [engineer("E1")], [ticket("T1", 5, 0, windows=[{"start": at("13:00"), "end": at("14:00")}])]
    )
    v = visit(solve_checked(raw), "T1")
    assert datetime.fromisoformat(at("13:00")) <= v.start <= datetime.fromisoformat(at("14:00"))


def test_the_window_that_meets_the_shift_is_used_when_there_are_several():
    windows = [
        {"start": at("06:00"), "end": at("07:00")},
        {"start": at("15:00"), "end": at("16:00")},
    ]
    raw = scenario([engineer("E1")], [ticket("T1", 5, 0, windows=windows)])
    assert visit(solve_checked(raw), "T1").start >= datetime.fromisoformat(at("15:00"))


def test_window_outside_every_shift_is_unassigned_with_the_window_named():
    raw = scenario(
        [engineer("E1")], [ticket("T1", 5, 0, windows=[{"start": at("19:00"), "end": at("20:00")}])]
    )
    u = reason(solve_checked(raw), "T1")
    assert u.code == "window" and "19:00" in u.reason


def test_overtime_allows_finishing_a_job_past_shift_end():
    job = [ticket("T1", 10, 0, duration=50)]  # 10 + 50 + 10 minutes in a 60-minute shift
    strict = scenario([engineer("E1", shifts=(("08:00", "09:00"),))], job)
    relaxed = scenario([engineer("E1", shifts=(("08:00", "09:00"),), max_overtime_min=30)], job)
    assert reason(solve_checked(strict), "T1").code == "reach"
    plan = solve_checked(relaxed)
    assert served_by(plan) == {"T1": "E1"} and plan.kpis["overtime_min"] > 0


def test_a_ticket_is_not_visited_before_the_customer_raised_it():
    raw = scenario(
        [engineer("E1")],
        [ticket("T1", 5, 0, created=at("13:00")), ticket("T2", 5, 0, created=at("18:00"))],
    )
    plan = solve_checked(raw)
    assert visit(plan, "T1").start >= datetime.fromisoformat(at("13:00"))
    assert reason(plan, "T2").code == "window" and "raised" in reason(plan, "T2").reason


def test_ticket_too_far_to_reach_within_a_shift_says_so():
    raw = scenario([engineer("E1", shifts=(("08:00", "10:00"),))], [ticket("T1", 200, 0)])
    u = reason(solve_checked(raw), "T1")
    assert u.code == "reach" and "200 min away" in u.reason


def test_multi_day_shifts_are_separate_routes():
    days = (("08:00", "09:00"),)
    e = engineer("E1", shifts=days)
    e["shifts"].append({"start": "2026-12-01T08:00", "end": "2026-12-01T09:00"})
    tickets = [ticket("T1", 5, 0, duration=40), ticket("T2", 5, 0, duration=40)]
    plan = solve_checked(scenario([e], tickets))
    assert sorted(r.shift for r in plan.routes) == [0, 1] and len(served_by(plan)) == 2


# ---------------------------------------------------------------- parts, tools, depots


def test_part_on_only_one_van_decides_the_engineer():
    raw = scenario(
        [engineer("E1", 0, 0), engineer("E2", 30, 0, van={"pump": 1})],
        [ticket("T1", 1, 0, parts={"pump": 1})],
    )
    assert served_by(solve_checked(raw)) == {"T1": "E2"}


def test_van_stock_is_used_up_and_carried_over_to_the_next_shift():
    e = engineer("E1", van={"pump": 1})
    e["shifts"].append({"start": "2026-12-01T08:00", "end": "2026-12-01T17:00"})
    tickets = [
        ticket("T1", 5, 0, parts={"pump": 1}, windows=[{"start": at("09:00"), "end": at("10:00")}]),
        ticket(
            "T2",
            5,
            0,
            parts={"pump": 1},
            windows=[{"start": "2026-12-01T09:00", "end": "2026-12-01T10:00"}],
        ),
    ]
    plan = solve_checked(scenario([e], tickets))
    assert len(served_by(plan)) == 1 and plan.unassigned[0].code == "stock"  # no depot refills


def test_part_nobody_holds_is_unassigned_naming_the_part():
    raw = scenario([engineer("E1", van={"pump": 1})], [ticket("T1", 1, 0, parts={"door_seal": 1})])
    u = reason(solve_checked(raw), "T1")
    assert u.code == "part" and "door_seal" in u.reason


def test_restock_at_a_depot_fetches_the_missing_part_before_the_visit():
    depot = {"id": "D1", "location": {"x": 5, "y": 0}, "parts": {"pump": 3}, "restock_min": 10}
    raw = scenario([engineer("E1")], [ticket("T1", 10, 0, parts={"pump": 1})], depots=[depot])
    plan = solve_checked(raw)
    stops = plan.routes[0].stops
    kinds = [s.type for s in stops]
    assert kinds == ["restock", "visit"] and stops[0].parts == {"pump": 1}


def test_a_depot_never_hands_out_more_than_it_holds():
    depot = {"id": "D1", "location": {"x": 0, "y": 5}, "parts": {"pump": 1}}
    raw = scenario(
        [engineer("E1", 0, 0), engineer("E2", 10, 0)],
        [ticket("T1", 1, 1, parts={"pump": 1}), ticket("T2", 11, 1, parts={"pump": 1})],
        depots=[depot],
    )
    plan = solve_checked(raw)
    assert len(served_by(plan)) == 1
    assert (
        sum(s.parts.get("pump", 0) for r in plan.routes for s in r.stops if s.type == "restock")
        == 1
    )


def test_tool_from_a_depot_is_picked_up_and_kept():
    depot = {"id": "D1", "location": {"x": 2, "y": 0}, "tools": ["refrigerant_recovery"]}
    raw = scenario(
        [engineer("E1")],
        [
            ticket("T1", 4, 0, tools=["refrigerant_recovery"]),
            ticket("T2", 6, 0, tools=["refrigerant_recovery"]),
        ],
        depots=[depot],
    )
    plan = solve_checked(raw)
    restocks = [s for s in plan.routes[0].stops if s.type == "restock"]
    assert (
        len(served_by(plan)) == 2
        and len(restocks) == 1
        and restocks[0].tools == ["refrigerant_recovery"]
    )


def test_restock_stops_that_fetch_nothing_are_left_out():
    depot = {"id": "D1", "location": {"x": 1, "y": 0}, "parts": {"pump": 5}}
    raw = scenario(
        [engineer("E1", van={"pump": 2})], [ticket("T1", 3, 0, parts={"pump": 1})], depots=[depot]
    )
    plan = solve_checked(raw)
    assert [s.type for s in plan.routes[0].stops] == ["visit"]


# ---------------------------------------------------------------- breaks


def test_break_is_taken_inside_its_interval_between_visits():
    brk = {"start": at("12:00"), "end": at("13:00"), "duration_min": 30}
    tickets = [ticket(f"T{i}", 2 * i, 0, duration=60) for i in range(1, 7)]
    plan = solve_checked(scenario([engineer("E1", breaks=[brk])], tickets))
    breaks = [s for s in plan.routes[0].stops if s.type == "break"]
    assert len(breaks) == 1
    b = breaks[0]
    assert datetime.fromisoformat(at("12:00")) <= b.start and b.end <= datetime.fromisoformat(
        at("13:00")
    )


# ---------------------------------------------------------------- tiers and SLA


def test_an_emergency_is_never_dropped_for_any_number_of_normal_tickets():
    short = (("08:00", "10:00"),)
    tickets = [ticket("EMG", 20, 0, priority="emergency", duration=70)]
    tickets += [
        ticket(f"N{i}", 1, 0, duration=25) for i in range(4)
    ]  # together they would fill the shift
    plan = solve_checked(scenario([engineer("E1", shifts=short)], tickets))
    assert "EMG" in served_by(plan)
    assert {u.code for u in plan.unassigned} == {"capacity"}


def test_the_ticket_closer_to_its_sla_deadline_goes_first():
    tickets = [
        ticket("N1", 5, 0, priority="normal", duration=60),
        ticket("U1", 5, 1, priority="emergency", duration=60, created=at("05:00")),
    ]  # due 09:00
    plan = solve_checked(scenario([engineer("E1")], tickets))
    assert visit(plan, "U1").start < visit(plan, "N1").start
    assert plan.kpis["tiers"]["emergency"]["on_time"] == 1


def test_by_zone_promise_sets_the_deadline():
    sla = {
        "urgent": {"arrive_within_h": 24, "by_zone": {"outskirts": 2}},
        "normal": {"arrive_within_h": 48},
    }
    tickets = [
        ticket("T1", 5, 0, priority="urgent", zone="outskirts", created=at("06:00"), duration=60)
    ]
    plan = solve_checked(scenario([engineer("E1", shifts=(("09:00", "17:00"),))], tickets, sla=sla))
    assert (
        plan.kpis["tiers"]["urgent"]["on_time"] == 0
        and plan.kpis["tiers"]["urgent"]["late_max_min"] > 0
    )


def test_less_travel_when_everything_else_is_equal():
    raw = scenario(
        [engineer("E1", 0, 0), engineer("E2", 100, 0)], [ticket("T1", 2, 0), ticket("T2", 98, 0)]
    )
    assert served_by(solve_checked(raw)) == {"T1": "E1", "T2": "E2"}


# ---------------------------------------------------------------- real-time state


def test_frozen_ticket_stays_at_the_head_of_its_engineers_route():
    e1 = engineer("E1", 0, 0, position={"x": 30, "y": 0})
    tickets = [
        ticket("S1", 30, 0, status="started", engineer="E1", duration=30),
        ticket("T2", 1, 0),
    ]
    plan = solve_checked(scenario([e1, engineer("E2", 0, 1)], tickets, now=at("11:00")))
    route = next(r for r in plan.routes if r.engineer == "E1")
    assert route.visits[0].ticket == "S1"
    assert route.depart >= datetime.fromisoformat(at("11:00"))


def test_nothing_but_frozen_work_starts_before_now():
    tickets = [ticket("T1", 1, 0), ticket("T2", 2, 0)]
    plan = solve_checked(scenario([engineer("E1")], tickets, now=at("15:00")))
    assert all(s.start >= datetime.fromisoformat(at("15:00")) for r in plan.routes for s in r.stops)


def test_done_tickets_are_ignored():
    raw = scenario([engineer("E1")], [ticket("T1", 1, 0, status="done"), ticket("T2", 2, 0)])
    plan = solve_checked(raw)
    assert served_by(plan) == {"T2": "E1"} and plan.kpis["tickets"] == 1


def test_the_first_plan_gives_a_ticket_with_one_possible_engineer_its_place_before_flexible_work():
    # B is due first and E1 is nearest to it, but only E1 can do A (gas); E1 has room for one
    # 400-min job. Inserting by deadline would give E1 to B and leave A out; regret insertion places
    # A first.
    engineers = [engineer("E1", 0, 0, skills=["gas"]), engineer("E2", 30, 0)]
    tickets = [
        ticket("B", 1, 0, duration=400, created="2026-11-28T08:00"),
        ticket("A", 1, 0, duration=400, skills=["gas"]),
    ]
    plan = do.solve(do.load_scenario(scenario(engineers, tickets)), do.SolveParams(time_limit_s=0))
    assert plan.kpis["status"] == "inserted without search"
    assert served_by(plan) == {"A": "E1", "B": "E2"}

"""Real-time operations: events change the scenario, a re-plan keeps what it can, and says what
changed."""

from __future__ import annotations

import copy
import json
import sys

import pytest
from conftest import (
    ROUNDS,
    assert_valid,
    at,
    by_rounds,
    cli,
    engineer,
    reason,
    scenario,
    served_by,
    ticket,
    visit,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dispatch_opt as do

FAST = do.SolveParams(time_limit_s=0)  # no search: keep the previous routes, insert new work
SHORT = by_rounds(ROUNDS)  # a short search, stopped on its round count


def two_engineer_day() -> dict:
    """E1 at the origin, E2 at x=40; six tickets spread between them, nothing urgent."""
    tickets = [ticket(f"T{i}", x, 0) for i, x in enumerate([2, 5, 8, 32, 35, 38], start=1)]
    return scenario([engineer("E1", 0, 0), engineer("E2", 40, 0)], tickets)


def replan(raw: dict, previous: do.Plan, events: list[dict], params=SHORT) -> tuple[dict, do.Plan]:
    """Apply events, re-plan against the previous plan, and check the new plan with both
    checkers."""
    sc = do.apply_events(do.load_scenario(copy.deepcopy(raw)), events)
    plan = do.solve(sc, params, previous=previous)
    new_raw = sc.to_dict()
    assert_valid(new_raw, plan)
    return new_raw, plan


@pytest.fixture
def morning():
    raw = two_engineer_day()
    plan = do.solve(do.load_scenario(copy.deepcopy(raw)), SHORT)
    assert_valid(raw, plan)
    return raw, plan


# ---------------------------------------------------------------- events, one by one


def test_a_new_ticket_is_planned_and_created_when_it_was_called_in(morning):
    raw, plan = morning
    new = ticket("N1", 6, 1, priority="emergency")
    del new["created"]
    new_raw, new_plan = replan(
        raw, plan, [{"type": "new_ticket", "at": at("10:00"), "ticket": new}], FAST
    )
    assert new_raw["now"] == at("10:00:00")
    assert next(t for t in new_raw["tickets"] if t["id"] == "N1")["created"] == at("10:00:00")
    assert served_by(new_plan)["N1"] == "E1"
    assert visit(new_plan, "N1").start >= do.load_scenario(new_raw).now


def test_a_cancelled_ticket_leaves_the_scenario_and_the_diff_says_so(morning):
    raw, plan = morning
    _, new_plan = replan(
        raw, plan, [{"type": "cancel_ticket", "at": at("07:00"), "ticket": "T2"}], FAST
    )
    assert "T2" not in served_by(new_plan)
    assert do.diff(plan, new_plan).tickets("removed") == ["T2"]


def test_a_started_ticket_cannot_be_cancelled():
    raw = scenario(
        [engineer("E1")], [ticket("T1", 1, 0, status="started", engineer="E1")], now=at("09:00")
    )
    with pytest.raises(do.ScenarioError, match=r"events\[0\].*started; fix: .*report it done"):
        do.apply_events(raw, [{"type": "cancel_ticket", "at": at("09:30"), "ticket": "T1"}])


def test_an_engineer_gone_sick_hands_their_tickets_to_the_others(morning):
    raw, plan = morning
    assert set(served_by(plan).values()) == {"E1", "E2"}
    new_raw, new_plan = replan(
        raw, plan, [{"type": "engineer_unavailable", "at": at("07:30"), "engineer": "E2"}]
    )
    assert set(served_by(new_plan).values()) == {"E1"}
    e2 = next(e for e in new_raw["engineers"] if e["id"] == "E2")
    assert e2["shifts"] == []
    d = do.diff(plan, new_plan)  # E2 no longer works: their tickets are released, not moved
    assert sorted(d.released) == sorted(t for t, e in served_by(plan).items() if e == "E2")
    assert d.moved == []


def test_an_engineer_leaving_at_noon_keeps_the_morning_and_releases_frozen_work():
    raw = scenario(
        [engineer("E1"), engineer("E2", 1, 0)],
        [ticket("T1", 1, 0, status="started", engineer="E1"), ticket("T2", 5, 0)],
        now=at("10:00"),
    )
    sc = do.apply_events(
        raw,
        [
            {
                "type": "engineer_unavailable",
                "at": at("10:00"),
                "engineer": "E1",
                "since": at("12:00"),
            }
        ],
    )
    e1 = sc.engineer("E1")
    assert [(s.start, s.end) for s in e1.shifts] == [
        (sc.now.replace(hour=8), sc.now.replace(hour=12))
    ]
    assert sc.ticket("T1").status == "open" and sc.ticket("T1").engineer is None


def test_a_job_overrun_keeps_the_engineer_busy_until_the_expected_end():
    raw = scenario(
        [engineer("E1")],
        [
            ticket(
                "T1",
                0,
                0,
                status="started",
                engineer="E1",
                duration=30,
                windows=[{"start": at("09:00"), "end": at("10:00")}],
            ),
            ticket("T2", 10, 0),
        ],
        now=at("10:00"),
    )
    plan = do.solve(do.load_scenario(raw), SHORT)
    new_raw, new_plan = replan(
        raw,
        plan,
        [{"type": "job_overrun", "at": at("10:00"), "ticket": "T1", "expected_end": at("11:15")}],
    )
    assert visit(new_plan, "T1").end == do.load_scenario(new_raw).now.replace(hour=11, minute=15)
    assert new_raw["tickets"][0]["windows"] == []  # met when the work started
    assert visit(new_plan, "T2").start >= visit(new_plan, "T1").end.replace(
        minute=25
    )  # 10 km at 60 km/h
    assert do.diff(plan, new_plan).frame.set_index("ticket").loc[
        "T2", "eta_shift_min"
    ] == pytest.approx(45)


def test_a_position_update_moves_where_the_route_continues_from():
    raw = scenario([engineer("E1")], [ticket("T1", 20, 0)], now=at("10:00"))
    plan = do.solve(do.load_scenario(raw), SHORT)
    assert visit(plan, "T1").start == do.load_scenario(raw).now.replace(minute=20)
    _, new_plan = replan(
        raw,
        plan,
        [
            {
                "type": "position_update",
                "at": at("10:00"),
                "engineer": "E1",
                "position": {"x": 15, "y": 0},
            }
        ],
    )
    assert visit(new_plan, "T1").start == do.load_scenario(raw).now.replace(minute=5)


def test_a_window_change_is_honoured(morning):
    raw, plan = morning
    _, new_plan = replan(
        raw,
        plan,
        [
            {
                "type": "window_change",
                "at": at("07:00"),
                "ticket": "T1",
                "windows": [{"start": at("15:00"), "end": at("16:00")}],
            }
        ],
    )
    assert at("15:00") <= visit(new_plan, "T1").start.isoformat() <= at("16:00")


def test_status_reports_freeze_work_and_done_work_leaves_the_plan(morning):
    raw, plan = morning
    first = plan.routes[0].visits[0].ticket
    new_raw, new_plan = replan(
        raw,
        plan,
        [
            {
                "type": "ticket_status",
                "at": at("08:00"),
                "ticket": first,
                "status": "started",
                "engineer": plan.routes[0].engineer,
            },
            {
                "type": "ticket_status",
                "at": at("08:01"),
                "ticket": "T6" if first != "T6" else "T5",
                "status": "done",
            },
        ],
    )
    assert next(t for t in new_raw["tickets"] if t["id"] == first)["status"] == "started"
    assert served_by(new_plan)[first] == plan.routes[0].engineer


def test_bad_events_are_named_with_their_fix():
    raw = two_engineer_day()
    with pytest.raises(do.ScenarioError) as err:
        do.apply_events(
            raw,
            [
                {"type": "teleport", "at": at("09:00")},
                {"type": "cancel_ticket", "at": "nine", "ticket": "T1"},
            ],
        )
    text = str(err.value)
    assert "events[0]" in text and "fix: use one of new_ticket" in text
    assert "events[1]" in text and "ISO 8601" in text
    with pytest.raises(do.ScenarioError, match=r"unknown ticket 'T99'; fix"):
        do.apply_events(raw, [{"type": "cancel_ticket", "at": at("09:00"), "ticket": "T99"}])


def test_events_are_json_and_applied_in_time_order(morning):
    raw, _ = morning
    events = json.loads(
        json.dumps(
            [
                {"type": "cancel_ticket", "at": at("11:00"), "ticket": "T9"},
                {"type": "new_ticket", "at": at("10:00"), "ticket": ticket("T9", 1, 1)},
            ]
        )
    )
    sc = do.apply_events(raw, events)
    assert "T9" not in {t.id for t in sc.tickets} and sc.now.hour == 11


# ---------------------------------------------------------------- stability and the fast path


def test_a_replan_with_nothing_new_changes_nothing(morning):
    raw, plan = morning
    new_plan = do.solve(do.load_scenario(raw), SHORT, previous=plan)
    assert_valid(raw, new_plan)
    assert new_plan.kpis["changes"] == {
        "new_work": [],
        "bumped": [],
        "moved": 0,
        "released": 0,
        "eta_shifted": 0,
        "eta_shift_max_min": 0.0,
        "newly_unassigned": 0,
        "newly_planned": 0,
        "removed": 0,
        "done": 0,
        "lagging": 0,
    }


def test_tickets_stay_with_their_engineer_unless_moving_buys_enough():
    # yesterday's plan put T1 with E1 (E2 was off then); E2, now working, is 6 min closer
    raw = scenario([engineer("E1", 0, 0), engineer("E2", 10, 0)], [ticket("T1", 8, 0)])
    previous = do.solve(
        do.load_scenario(scenario([engineer("E1", 0, 0)], [ticket("T1", 8, 0)])), SHORT
    )
    keep = do.solve(do.load_scenario(raw), SHORT, previous=previous)
    assert served_by(keep) == {"T1": "E1"}
    cheap_moves = by_rounds(ROUNDS, move_cost_min=1)
    moved = do.solve(do.load_scenario(raw), cheap_moves, previous=previous)
    assert served_by(moved) == {"T1": "E2"} and moved.kpis["changes"]["moved"] == 1


def test_the_fast_path_inserts_an_emergency_without_moving_anyone(morning):
    raw, plan = morning
    emergency = ticket("N1", 36, 1, priority="emergency", created=at("07:00"))
    _, fast = replan(
        raw, plan, [{"type": "new_ticket", "at": at("07:00"), "ticket": emergency}], FAST
    )
    assert fast.kpis["status"] == "inserted without search"
    assert served_by(fast)["N1"] == "E2"
    assert fast.kpis["changes"]["moved"] == 0 and fast.kpis["changes"]["newly_unassigned"] == 0


def test_the_fast_path_bumps_lower_tier_work_when_an_emergency_has_no_room():
    # one engineer, a full day of normal work; an emergency must displace one normal ticket
    normal = [ticket(f"T{i}", 1, 0, duration=120) for i in range(4)]
    raw = scenario([engineer("E1", shifts=(("08:00", "16:30"),))], normal)
    plan = do.solve(do.load_scenario(raw), SHORT)
    assert len(served_by(plan)) == 4
    emergency = ticket("N1", 2, 0, priority="emergency", duration=60, created=at("07:00"))
    _, fast = replan(
        raw, plan, [{"type": "new_ticket", "at": at("07:00"), "ticket": emergency}], FAST
    )
    assert "N1" in served_by(fast)
    bumped = do.diff(plan, fast).newly_unassigned
    assert len(bumped) == 1 and reason(fast, bumped[0]).code == "capacity"


def test_the_fast_path_bumps_as_few_lower_tier_tickets_as_make_room():
    # four 2-hour normal jobs fill the day; a 2.5-hour emergency needs two of them out, and only two
    # go
    normal = [ticket(f"T{i}", 1, 0, duration=120) for i in range(4)]
    raw = scenario([engineer("E1", shifts=(("08:00", "16:30"),))], normal)
    plan = do.solve(do.load_scenario(raw), SHORT)
    emergency = ticket("N1", 2, 0, priority="emergency", duration=150, created=at("07:00"))
    _, fast = replan(
        raw, plan, [{"type": "new_ticket", "at": at("07:00"), "ticket": emergency}], FAST
    )
    assert "N1" in served_by(fast)
    assert len(do.diff(plan, fast).newly_unassigned) == 2


def test_the_fast_path_fills_room_a_cancellation_frees_with_work_left_out_before():
    # one engineer, room for four 2-hour jobs out of five; cancelling one lets the fifth in
    normal = [ticket(f"T{i}", 1, 0, duration=120) for i in range(5)]
    raw = scenario([engineer("E1", shifts=(("08:00", "16:30"),))], normal)
    plan = do.solve(do.load_scenario(raw), SHORT)
    (left_out,) = [u.ticket for u in plan.unassigned]
    cancelled = sorted(served_by(plan))[0]
    _, fast = replan(
        raw, plan, [{"type": "cancel_ticket", "at": at("07:00"), "ticket": cancelled}], FAST
    )
    assert served_by(fast)[left_out] == "E1" and not fast.unassigned
    assert fast.kpis["changes"]["moved"] == 0


def test_the_diff_lists_moves_eta_shifts_and_new_work(morning):
    raw, plan = morning
    _, new_plan = replan(
        raw,
        plan,
        [
            {"type": "engineer_unavailable", "at": at("07:00"), "engineer": "E2"},
            {"type": "new_ticket", "at": at("07:00"), "ticket": ticket("N1", 1, 0)},
        ],
    )
    d = do.diff(plan, new_plan)
    assert set(d.frame["change"]) <= {
        "moved",
        "released",
        "eta",
        "planned",
        "unassigned",
        "removed",
    }
    assert "N1" in d.tickets("planned")
    assert d.summary()["moved"] + d.summary()["released"] == len(d.changed_hands) > 0
    assert "moved between engineers" in str(d)


# ---------------------------------------------------------------- property: any stream of events
# keeps plans valid

_event = st.one_of(
    st.builds(
        lambda i, x, y, tier: {
            "type": "new_ticket",
            "ticket": ticket(f"N{i}", x, y, priority=tier),
        },
        st.integers(0, 99),
        st.integers(0, 40),
        st.integers(-5, 5),
        st.sampled_from(["emergency", "urgent", "normal"]),
    ),
    st.builds(lambda i: {"type": "cancel_ticket", "ticket": f"T{i}"}, st.integers(1, 6)),
    st.builds(
        lambda e, h: {"type": "engineer_unavailable", "engineer": e, "since": at(f"{h:02d}:00")},
        st.sampled_from(["E1", "E2"]),
        st.integers(8, 16),
    ),
    st.builds(
        lambda e, x: {"type": "position_update", "engineer": e, "position": {"x": x, "y": 0}},
        st.sampled_from(["E1", "E2"]),
        st.integers(0, 40),
    ),
    st.builds(
        lambda i, h: {
            "type": "window_change",
            "ticket": f"T{i}",
            "windows": [{"start": at(f"{h:02d}:00"), "end": at(f"{h + 1:02d}:00")}],
        },
        st.integers(1, 6),
        st.integers(8, 15),
    ),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(st.integers(7 * 60, 15 * 60), _event), min_size=1, max_size=4), st.booleans()
)
def test_random_event_streams_keep_every_plan_valid_and_every_ticket_accounted_for(stream, fast):
    raw = two_engineer_day()
    plan = do.solve(do.load_scenario(copy.deepcopy(raw)), FAST)
    for minute, ev in sorted(stream, key=lambda p: p[0]):
        ev = {**ev, "at": at(f"{minute // 60:02d}:{minute % 60:02d}")}
        try:
            sc = do.apply_events(raw, [ev])
        except do.ScenarioError:
            # e.g. cancelling a ticket already cancelled: refused with a reason, nothing changed
            continue
        new_plan = do.solve(sc, FAST if fast else SHORT, previous=plan)
        raw = sc.to_dict()
        assert_valid(raw, new_plan)
        frozen = {t.id: t.engineer for t in sc.live_tickets if t.frozen}
        assert all(served_by(new_plan).get(tid) == eid for tid, eid in frozen.items())
        plan = new_plan


# ---------------------------------------------------------------- appointment slots


def test_every_offered_slot_can_be_booked_into_a_valid_plan(morning):
    raw, plan = morning
    caller = ticket("C1", 20, 0, duration=60)
    offer = do.offer_slots(
        do.load_scenario(raw), plan, caller, slot_minutes=120, horizon_days=1, max_slots=5
    )
    assert offer.slots and offer.reason is None
    assert [s.start for s in offer.slots] == sorted(s.start for s in offer.slots)
    for slot in offer.slots:
        booked = dict(caller, windows=[slot.window()])
        new_raw, new_plan = replan(
            raw, plan, [{"type": "new_ticket", "at": at("07:00"), "ticket": booked}], FAST
        )
        assert served_by(new_plan)["C1"] == slot.engineer
        assert slot.start <= visit(new_plan, "C1").start <= slot.end
        assert new_plan.kpis["changes"]["moved"] == 0


def test_planned_visits_kept_where_they_are_change_no_offer(morning, monkeypatch):
    """An offer asks who may serve a planned visit only of its own engineer-shift (slots.py):
    the same slots as asking everyone again."""
    raw, plan = morning
    sc = do.load_scenario(raw)
    callers = [ticket(f"C{i}", 4 * i, i % 3, duration=30 + 15 * i) for i in range(6)]
    fast = [do.offer_slots(sc, plan, c, horizon_days=1, max_slots=50).to_dict() for c in callers]
    slots = sys.modules[do.offer_slots.__module__]
    asking_all = slots.compute_eligibility
    monkeypatch.setattr(slots, "compute_eligibility", lambda sc, kept=None: asking_all(sc))
    again = [do.offer_slots(sc, plan, c, horizon_days=1, max_slots=50).to_dict() for c in callers]
    assert fast == again and any(o["slots"] for o in fast)


def test_slots_ranked_by_cost_come_cheapest_first(morning):
    raw, plan = morning
    offer = do.offer_slots(
        do.load_scenario(raw),
        plan,
        ticket("C1", 20, 0),
        slot_minutes=60,
        horizon_days=1,
        max_slots=20,
        rank="cost",
    )
    costs = [s.added_cost for s in offer.slots]
    assert costs == sorted(costs) and len(costs) > 1


def test_no_slot_is_offered_that_would_make_planned_emergency_work_late():
    # E1's emergency at 09:00 is due by 10:00 (created 06:00, 4 h); a 2 h job before it would make
    # it late
    emergency = ticket(
        "EM",
        0,
        0,
        priority="emergency",
        duration=30,
        created=at("06:00"),
        windows=[{"start": at("09:00"), "end": at("09:30")}],
    )
    raw = scenario([engineer("E1", shifts=(("08:00", "17:00"),))], [emergency])
    plan = do.solve(do.load_scenario(raw), SHORT)
    offer = do.offer_slots(
        do.load_scenario(raw),
        plan,
        ticket("C1", 0, 0, duration=120),
        slot_minutes=60,
        horizon_days=1,
        max_slots=20,
    )
    starts = [s.start.hour for s in offer.slots]
    assert 8 not in starts and 9 in starts  # 08:00-09:00 would push the emergency past 10:00


def test_no_slot_says_why():
    raw = scenario(
        [engineer("E1", skills=["washer"])], [ticket(f"T{i}", 1, 0, duration=240) for i in range(2)]
    )
    sc = do.load_scenario(raw)
    plan = do.solve(sc, SHORT)
    no_skill = do.offer_slots(sc, plan, ticket("C1", 1, 0, skills=["boiler"]), horizon_days=1)
    assert no_skill.slots == [] and "boiler" in no_skill.reason
    booked = do.offer_slots(sc, plan, ticket("C2", 1, 0, duration=120), horizon_days=1)
    assert booked.slots == [] and booked.reason.startswith("fully booked until")


def test_a_callers_ticket_in_error_is_named_as_the_ticket_with_the_fix():
    sc = do.load_scenario(scenario([engineer("E1")], [ticket("T1", 1, 0)]))
    plan = do.solve(sc, SHORT)
    with pytest.raises(do.ScenarioError) as err:
        do.offer_slots(sc, plan, ticket("C1", 1, 0, priority="urgnt"))
    (problem,) = err.value.problems
    assert problem.startswith("ticket.priority: got 'urgnt'") and "did you mean 'urgent'" in problem
    with pytest.raises(do.ScenarioError) as err:
        do.offer_slots(sc, plan, ticket("C2", 1, 0, after={"ticket": "T9"}))
    assert err.value.problems[0].startswith("ticket.after.ticket: got 'T9'")
    follow = do.offer_slots(sc, plan, ticket("C3", 1, 0, after={"ticket": "T1"}), horizon_days=1)
    assert follow.slots  # a follow-up of a ticket in the scenario is checked against it


# ---------------------------------------------------------------- a simulated day


def test_a_simulated_day_reports_both_policies_with_every_plan_valid():
    raw = two_engineer_day()
    sc = do.load_scenario(raw)
    events = [
        {
            "type": "new_ticket",
            "at": at("09:30"),
            "ticket": ticket("EM1", 30, 2, priority="emergency", created=at("09:30")),
        },
        {"type": "engineer_unavailable", "at": at("11:00"), "engineer": "E1"},
        {"type": "cancel_ticket", "at": at("08:00"), "ticket": "T4"},
    ]  # before anyone reached it
    report = do.simulate_day(sc, events, SHORT)
    assert list(report.kpis.index) == ["re-plan", "greedy insert"]
    applied = report.log[report.log["applied"]]
    assert len(applied) == 6 and (applied["violations"] == 0).all()
    for policy in report.kpis.index:
        assert report.kpis.loc[policy, "emergency on time"] == "1/1"
        assert report.kpis.loc[policy, "tickets"] == 6  # 6 booked - 1 cancelled + 1 emergency
    assert report.plans[0][1].kpis["served"] == 6  # the morning plan comes first


def test_carrying_out_a_plan_marks_work_done_started_and_en_route():
    from datetime import datetime

    from dispatch_opt.realtime.advance import carry_out

    morning, afternoon = (
        [{"start": at("08:00"), "end": at("12:00")}],
        [{"start": at("13:00"), "end": at("17:00")}],
    )
    raw = scenario(
        [engineer("E1")],
        [
            ticket("T1", 10, 0, duration=60, parts={"p": 1}, windows=morning),
            ticket("T2", 20, 0, windows=afternoon),
        ],
    )  # T1 first: both orders drive 40 min
    raw["engineers"][0]["van"] = {"p": 1}
    plan = do.solve(do.load_scenario(raw), SHORT)
    (r,) = plan.routes
    t1, t2 = r.visits
    done: dict = {}
    mid = t1.start + (t1.end - t1.start) / 2
    state = carry_out(raw, plan, mid, done)
    tickets = {t["id"]: t for t in state["tickets"]}
    assert tickets[t1.ticket]["status"] == "started" and tickets[t1.ticket]["duration_min"] == 30
    assert tickets[t2.ticket].get("status", "open") == "open"
    later = carry_out(state, plan, t1.end + (t2.start - t1.end) / 2, done)
    tickets = {t["id"]: t for t in later["tickets"]}
    assert tickets[t1.ticket]["status"] == "done" and tickets[t2.ticket]["status"] == "en_route"
    assert later["engineers"][0]["van"] == {"p": 0}
    assert done[t1.ticket] == ("E1", t1.start) and isinstance(t1.start, datetime)


def test_an_overrun_into_a_break_or_past_the_shift_keeps_the_day_plannable():
    e1 = engineer("E1", breaks=[{"start": at("12:00"), "end": at("13:00"), "duration_min": 30}])
    raw = scenario(
        [e1], [ticket("T1", 0, 0, status="started", engineer="E1", duration=30)], now=at("12:00")
    )
    sc = do.apply_events(
        raw,
        [{"type": "job_overrun", "at": at("12:00"), "ticket": "T1", "expected_end": at("12:45")}],
    )
    (brk,) = sc.engineer("E1").breaks
    assert brk.end == sc.now.replace(hour=13, minute=15)  # taken after the job
    late = do.apply_events(
        raw,
        [{"type": "job_overrun", "at": at("12:00"), "ticket": "T1", "expected_end": at("16:45")}],
    )
    assert late.engineer("E1").max_overtime_min == 45  # finished in overtime, an hour to get home
    for state in (sc, late):
        plan = do.solve(state, SHORT)
        assert_valid(state.to_dict(), plan)
        assert served_by(plan) == {"T1": "E1"}


def test_frozen_work_that_cannot_be_kept_costs_only_that_engineer_its_frozen_tickets():
    # E1 cannot finish both frozen jobs (2 h each from 09:00) by 12:00; E2's frozen work is
    # unaffected
    raw = scenario(
        [engineer("E1", shifts=(("08:00", "12:00"),)), engineer("E2", 1, 0)],
        [
            ticket("T1", 0, 0, status="started", engineer="E1", duration=120),
            ticket("T4", 0, 1, status="en_route", engineer="E1", duration=120),
            ticket("T2", 2, 0, status="en_route", engineer="E2"),
            ticket("T3", 3, 0),
        ],
        now=at("09:00"),
    )
    plan = do.solve(do.load_scenario(raw), SHORT)
    assert {reason(plan, t).code for t in ("T1", "T4")} == {"frozen"} and "E1" in reason(
        plan, "T1"
    ).reason
    assert served_by(plan) == {"T2": "E2", "T3": "E2"}
    alone = scenario(
        [engineer("E1", shifts=(("08:00", "12:00"),))],
        [ticket("T1", 0, 0, status="started", engineer="E1", duration=240)],
        now=at("09:00"),
    )
    assert reason(do.solve(do.load_scenario(alone), SHORT), "T1").code == "frozen"


# ---------------------------------------------------------------- from the shell


def test_the_cli_replans_after_events_and_offers_slots(tmp_path, morning):
    raw, plan = morning
    (tmp_path / "sc.json").write_text(json.dumps(raw))
    (tmp_path / "plan.json").write_text(plan.to_json())
    (tmp_path / "events.json").write_text(
        json.dumps(
            [
                {
                    "type": "new_ticket",
                    "at": at("07:00"),
                    "ticket": ticket("N1", 3, 0, priority="emergency"),
                }
            ]
        )
    )
    run = cli(
        "solve",
        str(tmp_path / "sc.json"),
        "--previous",
        str(tmp_path / "plan.json"),
        "--events",
        str(tmp_path / "events.json"),
        "--time-limit",
        "0",
        "-o",
        str(tmp_path / "new.json"),
    )
    assert run.returncode == 0, run.stderr
    assert "changes: N1 (emergency) -> E" in run.stdout and "N1: planned" in run.stdout
    assert "\n0 moved between engineers" in run.stdout
    state = json.loads((tmp_path / "new.scenario.json").read_text())
    assert_valid(state, do.load_plan(tmp_path / "new.json"))

    (tmp_path / "caller.json").write_text(json.dumps(ticket("C1", 20, 0)))
    run = cli(
        "slots",
        str(tmp_path / "sc.json"),
        str(tmp_path / "plan.json"),
        str(tmp_path / "caller.json"),
        "--days",
        "1",
    )
    assert run.returncode == 0 and "E" in run.stdout, run.stderr
    (tmp_path / "caller.json").write_text(json.dumps(ticket("C1", 20, 0, skills=["boiler"])))
    run = cli(
        "slots",
        str(tmp_path / "sc.json"),
        str(tmp_path / "plan.json"),
        str(tmp_path / "caller.json"),
    )
    assert run.returncode == 1 and "boiler" in run.stdout
    bad = cli(
        "solve", str(tmp_path / "sc.json"), "--time-limit", "0", "-o", str(tmp_path / "x.json")
    )
    assert (
        bad.returncode == 2 and "needs --previous" in bad.stderr and "Traceback" not in bad.stderr
    )

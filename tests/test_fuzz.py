"""Fuzzing, bounded: a slice of benchmarks/fuzz.py's generators runs in the suite (the full run
is `python benchmarks/fuzz.py`, figures in benchmarks/README.md), then every failure the fuzzer
found, kept as a small regression case."""

from __future__ import annotations

import copy
import sys

import pytest
from conftest import ROOT, ROUNDS, assert_valid, at, by_rounds, engineer, scenario, ticket, visit

import dispatch_opt as do

sys.path.insert(0, str(ROOT / "benchmarks"))
import fuzz  # noqa: E402


def _failures(rows: list[dict]) -> list[str]:
    return [f"{r['kind']} seed {r['seed']}: {r['detail']}" for r in rows if r["outcome"] == "fail"]


# ---------------------------------------------------------------- bounded fuzzing


def test_random_valid_scenarios_solve_into_plans_both_checkers_accept():
    # the suite asserts no durations: the fuzzer's own run checks each solve against its limit
    rows = [fuzz.run_valid(seed, timed=False) for seed in range(40)]  # the insertion path
    rows += [fuzz.run_valid(seed, rounds=ROUNDS) for seed in (1000, 1001, 1002)]  # a search
    assert _failures(rows) == []


def test_malformed_scenarios_are_refused_with_field_named_lines():
    rows = [fuzz.run_malformed(seed) for seed in range(150)]
    assert _failures(rows) == []
    assert sum(r["outcome"] == "refused" for r in rows) > 100  # the mutations do break things


def test_malformed_plans_events_and_callers_tickets_are_refused_with_field_named_lines():
    assert _failures([fuzz.run_documents(seed) for seed in range(90)]) == []


def test_malformed_exports_to_scenario_from_frames_are_refused_with_field_named_lines():
    assert _failures([fuzz.run_frames(seed) for seed in range(60)]) == []


def test_malformed_files_through_the_cli_exit_2_without_a_traceback():
    assert _failures([fuzz.run_cli(seed) for seed in range(30)]) == []


@pytest.mark.parametrize("what, text", fuzz.special_documents(), ids=lambda x: str(x)[:25])
def test_odd_whole_documents_are_refused_or_solved_cleanly(what, text):
    row = fuzz.run_malformed(-1, (what, text))
    assert row["outcome"] != "fail", row


# seed 1 (since crews joined the random scenarios): see the strict xfail below
STREAM_SEEDS = [seed for seed in range(13) if seed != 1]


def test_random_event_streams_never_move_frozen_work_nor_lose_a_ticket():
    rows = [fuzz.run_stream(seed, links=False) for seed in STREAM_SEEDS]
    rows += [fuzz.run_stream(seed) for seed in STREAM_SEEDS]  # crews and follow-ups replayed
    assert _failures(rows) == []


@pytest.mark.xfail(
    strict=True,
    reason="found by the event streams (seed 1): at 10:50 a van is tracked 22.6 km (45.3 min) from "
    "home after its first shift ended at 10:20; its next shift runs 12:20-13:00. Rule 7 makes "
    "that shift's route the one leaving `position`, but rule 3 forbids departing before 12:20, "
    "so no return by 13:00 exists; the engine lists the empty route home at 13:00 and both "
    "checkers refuse it. The contract's return bound (now + drive home) does not cover a van "
    "waiting for a later shift: to be settled with the contract's owners.",
)
def test_a_van_far_from_home_between_two_shifts_can_be_planned():
    assert _failures([fuzz.run_stream(1, links=False)]) == []


# ---------------------------------------------------------------- what the fuzzer found


def test_a_top_level_number_is_a_field_named_error_not_a_type_error():
    with pytest.raises(do.ScenarioError, match="scenario: got a JSON int"):
        do.load_scenario(3)


def test_a_huge_value_or_key_is_shown_cut_short_in_the_problem_line():
    """Found with the 100 MB file: the problem line quoted the whole value."""
    raw = scenario([engineer("E1")], "x" * 1_000_000)
    raw["y" * 100_000] = 1
    with pytest.raises(do.ScenarioError) as info:
        do.load_scenario(raw)
    assert len(info.value.problems) == 2
    assert all(len(line) < 400 for line in info.value.problems), info.value.problems


def test_an_event_type_that_is_a_list_is_a_field_named_error():
    with pytest.raises(do.ScenarioError) as info:
        do.parse_events([{"type": [], "at": at("10:00")}])
    assert all("events[0]" in p and "fix:" in p for p in info.value.problems)


def test_a_callers_ticket_that_is_not_an_object_is_a_field_named_error():
    sc = do.load_scenario(scenario([engineer("E1")], [ticket("T1", 1, 1)]))
    plan = do.solve(sc, do.SolveParams(time_limit_s=0))
    with pytest.raises(do.ScenarioError, match="ticket: got a JSON str"):
        do.offer_slots(sc, plan, "T2")


def test_started_at_stays_on_a_ticket_reported_done():
    raw = scenario(
        [engineer("E1")], [ticket("T1", 1, 1, status="started", engineer="E1")], now=at("09:00")
    )
    sc = do.apply_events(
        do.load_scenario(raw),
        [
            {"type": "ticket_status", "at": at("09:00"), "ticket": "T1", "status": "started"},
            {"type": "ticket_status", "at": at("09:40"), "ticket": "T1", "status": "done"},
        ],
    )
    assert sc.ticket("T1").status == "done" and sc.ticket("T1").started_at is not None


def test_an_engineer_with_nothing_more_today_but_work_tomorrow_passes_both_checkers():
    """Found by the event streams: the empty route under way (from `position`) was left out, so
    both checkers took tomorrow's route, planned from home, for the one leaving `position`."""
    e = engineer("E1", shifts=(("08:00", "12:00"),), position={"x": 5, "y": 0})
    e["shifts"].append({"start": "2026-12-01T08:00", "end": "2026-12-01T12:00"})
    late = {"windows": [{"start": "2026-12-01T09:00", "end": "2026-12-01T10:00"}]}
    raw = scenario([e], [ticket("T1", 0, 8, **late)], now=at("11:00"))
    plan = do.solve(do.load_scenario(copy.deepcopy(raw)), do.SolveParams(time_limit_s=0))
    assert_valid(raw, plan)
    assert visit(plan, "T1").start.day == 1


def test_advance_counts_an_engineer_done_for_the_day_as_home():
    raw = scenario(
        [engineer("E1", shifts=(("08:00", "12:00"),))], [ticket("T1", 30, 0)], now=at("08:00")
    )
    plan = do.solve(do.load_scenario(copy.deepcopy(raw)), do.SolveParams(time_limit_s=0))
    sc = do.advance(
        do.load_scenario(raw),
        plan,
        visit(plan, "T1").end + (plan.routes[0].return_ - visit(plan, "T1").end) / 2,
    )
    assert sc.engineer("E1").position == sc.engineer("E1").start  # on the way home: counted there
    assert do.check(sc, do.solve(sc, do.SolveParams(time_limit_s=0), previous=plan)).ok


def test_a_job_with_no_work_left_at_a_breaks_start_comes_before_the_break():
    """Found by the event streams: a zero-minute visit and a break starting at the same instant
    were listed break first, so both checkers counted the break before the visit."""
    e = engineer(
        "E1",
        position={"x": 0, "y": 0},
        breaks=[{"start": at("12:00"), "end": at("14:00"), "duration_min": 45}],
    )
    done = ticket("T1", 10, 0, duration=30, status="started", engineer="E1", started_at=at("11:00"))
    later = ticket("T2", 12, 0, windows=[{"start": at("13:00"), "end": at("15:00")}])
    raw = scenario([e], [done, later], now=at("12:00"))
    plan = do.solve(do.load_scenario(copy.deepcopy(raw)), do.SolveParams(time_limit_s=0))
    assert_valid(raw, plan)
    stops = plan.routes[0].stops
    assert stops[0].start == stops[1].start  # the situation: both at 12:10
    assert [s.type for s in stops][:2] == ["visit", "break"]


def test_an_engineer_who_cannot_get_home_in_time_from_position():
    """Found by the event streams (seed 20), settled by rule 7 made precise (2026-12-03): the van
    is 50 min from home at 11:30, its shift ends at 12:00; the route under way is listed, leaving
    `position` at now and home at 12:20, and tomorrow's route leaves from home."""
    e = engineer("E1", shifts=(("08:00", "12:00"),), position={"x": 50, "y": 0})
    e["shifts"].append({"start": "2026-12-01T08:00", "end": "2026-12-01T12:00"})
    late = {"windows": [{"start": "2026-12-01T09:00", "end": "2026-12-01T10:00"}]}
    raw = scenario([e], [ticket("T1", 1, 0, **late)], now=at("11:30"))
    plan = do.solve(do.load_scenario(copy.deepcopy(raw)), do.SolveParams(time_limit_s=0))
    assert_valid(raw, plan)
    under_way = next(r for r in plan.routes if r.shift == 0)
    assert under_way.return_.isoformat() == at("12:20:00") and not under_way.stops
    assert visit(plan, "T1")


def test_a_van_far_from_home_at_shift_end_is_planned_home_when_it_can_be():
    """From the issue: a van 60 km from home at 16:50, its shift ending at 17:00, was planned home
    at 17:00. Home at 17:50 is what the contract now asks (tomorrow's work makes the route under
    way one the plan must list)."""
    e = engineer("E1", position={"x": 60, "y": 0})
    e["shifts"].append({"start": "2026-12-01T08:00", "end": "2026-12-01T17:00"})
    raw = scenario([e], [ticket("T1", 1, 0, created=at("16:45"))], now=at("16:50"))
    plan = do.solve(do.load_scenario(copy.deepcopy(raw)), do.SolveParams(time_limit_s=0))
    assert_valid(raw, plan)
    today = next(r for r in plan.routes if r.shift == 0)
    assert today.return_.isoformat() == at("17:50:00") and not today.stops
    assert visit(plan, "T1").start.isoformat().startswith("2026-12-01")


def test_frozen_work_beyond_the_van_stock_is_not_planned_short_of_parts():
    """Found by the event streams (seed 1000145, --seed 1): two en-route tickets of one engineer,
    2 seals each, 3 on the van, were both kept as frozen heads and the plan was a seal short. Now
    the second is unassigned with code `frozen` (the scenario asks the impossible: rule 6 is then
    the only rule broken, as docs/format.md says)."""
    e = engineer("E1", position={"x": 0, "y": 0}, van={"seal": 3})
    frozen = {"status": "en_route", "engineer": "E1", "parts": {"seal": 2}}
    raw = scenario(
        [e], [ticket("T1", 5, 0, **frozen), ticket("T2", 9, 0, **frozen)], now=at("12:00")
    )
    sc = do.load_scenario(copy.deepcopy(raw))
    for params in (do.SolveParams(time_limit_s=0), by_rounds(ROUNDS)):
        plan = do.solve(sc, params)
        assert visit(plan, "T1")
        u = next(u for u in plan.unassigned if u.ticket == "T2")
        assert u.code == "frozen" and "seal" in u.reason
        assert do.check(sc, plan).violations == ["T2: en_route, so it must stay planned for E1"]


def test_the_event_streams_that_planned_a_van_home_at_shift_end_from_far_away():
    """`benchmarks/fuzz.py --seed 4242` found three (an engineer made unavailable, a position
    update, a new ticket): home at shift end from 34 to 46 min away. Rule 7 made precise."""
    seeds = (4242000000, 4242000009, 4242000011)  # found before streams replayed crews
    assert _failures([fuzz.run_stream(s, links=False) for s in seeds]) == []


def test_event_streams_replay_crew_visits_under_way_and_follow_ups():
    """Streams of `--seed 4242` in which a crew visit is under way while follow-ups are live
    (4242000001, ...13, ...17), and the one where a follow-up's visit, reported en route too
    late to be kept, was left out while the follow-up stayed planned (4242000064)."""
    seeds = (4242000001, 4242000013, 4242000017, 4242000064)
    assert _failures([fuzz.run_stream(s) for s in seeds]) == []

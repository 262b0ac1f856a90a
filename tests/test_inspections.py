"""Specification of periodic inspections (`dispatch_opt.inspection_tickets`).

A maintenance contract (every month, quarter, half-year, year or N days; last visit; the
customer's usual window; the engineer who knows the site) becomes ordinary tickets for the
inspections due over the horizon, whose SLA deadline is the end of the due day.
"""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, assert_valid, at, engineer, scenario, served_by, solve_checked, ticket

import dispatch_opt as do
from dispatch_opt.synthetic.inspections import inspection_tier

START = "2026-11-30"  # a Monday


def contract(customer="C1", **extra) -> dict:
    return {
        "customer": customer,
        "location": {"x": 5, "y": 0},
        "every": "quarter",
        "duration_min": 45,
        "skills": ["boiler"],
        **extra,
    }


def test_a_quarterly_contract_is_due_three_months_after_the_last_visit():
    (t,) = do.inspection_tickets([contract(last_visit="2026-09-02")], START, 5)
    assert t["id"] == "INS-C1-20261202"
    assert t["meta"] == {"contract": "C1", "due": "2026-12-02"}
    assert (t["priority"], t["duration_min"], t["skills"]) == ("inspection", 45, ["boiler"])


def test_the_sla_deadline_is_the_end_of_the_due_day():
    (t,) = do.inspection_tickets([contract(last_visit="2026-09-02")], START, 5)
    raw = scenario(
        [engineer("E1")], [t], sla={"normal": {"arrive_within_h": 48}} | inspection_tier()
    )
    sc = do.load_scenario(raw)
    assert sc.deadline(sc.ticket(t["id"])).isoformat() == "2026-12-03T00:00:00"


@pytest.mark.parametrize(
    "every, last, due",
    [
        ("month", "2026-10-31", None),  # due 2026-11-30 (November has no 31st): the first day
        ("half-year", "2026-06-03", "2026-12-03"),
        ("year", "2025-12-04", "2026-12-04"),
        (30, "2026-11-01", "2026-12-01"),
    ],
)
def test_every_month_quarter_half_year_year_or_n_days(every, last, due):
    (t,) = do.inspection_tickets([contract(every=every, last_visit=last)], START, 5)
    assert t["meta"]["due"] == (due or "2026-11-30")


def test_not_due_within_the_horizon_gives_no_ticket():
    assert do.inspection_tickets([contract(last_visit="2026-11-20")], START, 5) == []


def test_an_overdue_inspection_is_owed_once_and_later_ones_in_the_horizon_follow():
    tickets = do.inspection_tickets([contract(every=2, last_visit="2026-11-20")], START, 5)
    assert [t["meta"]["due"] for t in tickets] == [
        "2026-11-22",  # overdue (the 24th, 26th and 28th too): owed once
        "2026-11-30",
        "2026-12-02",
        "2026-12-04",
    ]


def test_without_a_last_visit_the_inspection_is_due_at_the_start():
    (t,) = do.inspection_tickets([contract()], START, 5)
    assert t["meta"]["due"] == START


def test_the_customers_usual_window_is_offered_on_every_day_and_the_preference_carried():
    (t,) = do.inspection_tickets(
        [contract(window={"start": "09:00", "end": "12:00"}, preferred_engineer="E2")], START, 3
    )
    assert t["windows"] == [
        {"start": at("09:00", d), "end": at("12:00", d)}
        for d in ("2026-11-30", "2026-12-01", "2026-12-02")
    ]
    assert t["preferred_engineer"] == "E2"


def test_a_bad_contract_is_one_line_per_problem_naming_the_customer_and_field():
    with pytest.raises(do.ScenarioError) as info:
        do.inspection_tickets([contract(every="fortnight", duration_min=0)], START, 5)
    lines = info.value.problems
    assert any(
        line.startswith("contracts[0] (customer 'C1').every: got 'fortnight'") for line in lines
    )
    assert any("duration_min: got 0" in line for line in lines)
    assert all("fix:" in line for line in lines)


def test_inspections_plan_beside_breakdowns_in_the_customers_window():
    tickets = do.inspection_tickets(
        [
            contract("C1", window={"start": "13:00", "end": "15:00"}, preferred_engineer="E1"),
            contract("C2", location={"x": 0, "y": 6}, every="month", last_visit="2026-11-01"),
        ],
        START,
        2,
    )
    raw = scenario(
        [engineer("E1", skills=["boiler"]), engineer("E2", skills=["boiler"])],
        [ticket("B1", 3, 3, priority="normal", skills=["boiler"]), *tickets],
        sla={"normal": {"arrive_within_h": 48}} | inspection_tier(),
    )
    plan = solve_checked(raw)
    assert set(served_by(plan)) == {"B1", "INS-C1-20261130", "INS-C2-20261201"}
    visit = next(s for r in plan.routes for s in r.visits if s.ticket == "INS-C1-20261130")
    assert at("13:00") <= visit.start.isoformat() <= at("15:00")
    assert plan.kpis["tiers"]["inspection"]["on_time"] == 2
    assert_valid(raw, plan)


def test_the_bundled_maintenance_week_plans_every_inspection_and_passes_both_checkers():
    raw = json.loads((ROOT / "scenarios" / "maintenance-week.json").read_text())
    plan = solve_checked(raw, rounds=500)
    tiers = plan.kpis["tiers"]
    assert tiers["inspection"]["served"] == tiers["inspection"]["tickets"] == 30
    assert tiers["emergency"]["served"] == tiers["emergency"]["tickets"]
    assert plan.kpis["faults"] and plan.kpis["preferred"]["tickets"] > 30

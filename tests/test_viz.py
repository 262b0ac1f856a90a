"""dispatch_opt.presentation.viz on a tiny lat/lon day in Bologna: what the map, the schedule
and the tables show.

The drawing tests skip when the optional [viz] extra (folium, matplotlib) is not installed;
the tables need only pandas.
"""

from __future__ import annotations

import copy
import dataclasses
import sys
from datetime import timedelta

import pytest
from conftest import ROUNDS, assert_valid, by_rounds

import dispatch_opt as do
from dispatch_opt.presentation import viz

DAY = "2026-11-30"


def _geo(lat: float, lon: float) -> dict:
    return {"lat": lat, "lon": lon}


def _ticket(tid: str, lat: float, lon: float, priority: str, created: str, **extra) -> dict:
    return {
        "id": tid,
        "location": _geo(lat, lon),
        "created": created,
        "priority": priority,
        "duration_min": 30,
        **extra,
    }


RAW = {
    "format": "dispatch-opt.scenario/1",
    "name": "tiny-bologna",
    "engineers": [
        {
            "id": "E1",
            "start": _geo(44.494, 11.343),
            "shifts": [{"start": f"{DAY}T08:00", "end": f"{DAY}T17:00"}],
            "breaks": [{"start": f"{DAY}T12:00", "end": f"{DAY}T14:00", "duration_min": 30}],
            "van": {"pump": 1},
        },
        {
            "id": "E2",
            "start": _geo(44.520, 11.300),
            "end": _geo(44.480, 11.380),
            "shifts": [{"start": f"{DAY}T08:00", "end": f"{DAY}T17:00"}],
        },
    ],
    "tickets": [
        _ticket("T1", 44.500, 11.350, "emergency", f"{DAY}T07:00"),
        _ticket(
            "T2", 44.505, 11.320, "urgent", "2026-11-28T08:00"
        ),  # deadline 29 Nov: late whoever goes
        _ticket(
            "T3",
            44.490,
            11.360,
            "normal",
            "2026-11-29T10:00",
            windows=[{"start": f"{DAY}T13:00", "end": f"{DAY}T15:00"}],
        ),
        _ticket("T4", 44.510, 11.310, "low", "2026-11-29T10:00", parts={"pump": 1}),
        _ticket("T5", 44.485, 11.330, "normal", "2026-11-29T10:00", skills=["solar_inverter"]),
        _ticket(
            "T6", 44.515, 11.370, "normal", "2026-11-29T11:00", engineer="E2"
        ),  # both engineers drive
    ],
    "depots": [{"id": "D1", "location": _geo(44.500, 11.330), "parts": {"pump": 2}}],
}


@pytest.fixture(scope="module")
def solved():
    sc = do.load_scenario(copy.deepcopy(RAW))
    plan = do.solve(sc, by_rounds(ROUNDS))
    assert_valid(RAW, plan)
    assert [u.ticket for u in plan.unassigned] == ["T5"] and [r.engineer for r in plan.routes] == [
        "E1",
        "E2",
    ]
    return sc, plan


def _walk(element):
    yield element
    for child in element._children.values():
        yield from _walk(child)


def _late(sc, plan) -> set[str]:
    return {
        s.ticket
        for r in plan.routes
        for s in r.visits
        if viz.late_min(sc, sc.ticket(s.ticket), s.start) > 0.01
    }


# ---------------------------------------------------------------- map


def test_map_has_a_polyline_per_nonempty_route_and_a_marker_per_ticket(solved):
    folium = pytest.importorskip("folium")
    sc, plan = solved
    m = viz.route_map(sc, plan)
    items = list(_walk(m))
    lines = [x for x in items if isinstance(x, folium.PolyLine)]
    tickets = [x for x in items if isinstance(x, folium.CircleMarker)]
    driven = [r for r in plan.routes if any(s.type != "break" for s in r.stops)]
    assert len(lines) == len(driven)
    assert len(tickets) == len(sc.live_tickets)
    # each route in its own colour, starting at the engineer's start and ending at home
    assert len({x.options["color"] for x in lines}) == len(lines)
    e2 = next(x for x, r in zip(lines, driven) if r.engineer == "E2")
    assert e2.locations[0] == [44.520, 11.300] and e2.locations[-1] == [44.480, 11.380]
    # late visits ringed in the late colour, the unassigned ticket dashed
    assert "T2" in _late(sc, plan)
    assert sum(x.options["color"] == viz.LATE for x in tickets) == len(_late(sc, plan))
    dashed = [x for x in tickets if x.options.get("dashArray")]
    assert len(dashed) == len(plan.unassigned) == 1
    page = m.get_root().render()
    for t in sc.live_tickets:
        assert f"{t.id} (" in page  # every ticket's popup
    assert "no engineer has skill" in page and "SLA deadline" in page and "LATE by" in page
    assert (
        sum(isinstance(x, folium.Marker) and not isinstance(x, folium.CircleMarker) for x in items)
        == 1 + 3
    )


def test_map_refuses_planar_scenarios_with_a_clear_message():
    pytest.importorskip("folium")
    from conftest import engineer, scenario, ticket

    sc = do.load_scenario(scenario([engineer("E1")], [ticket("T1", 5, 0)]))
    with pytest.raises(ValueError, match="lat/lon"):
        viz.route_map(sc, do.Plan("tiny", [], []))


def test_missing_optional_dependency_says_how_to_install(solved, monkeypatch):
    monkeypatch.setitem(sys.modules, "folium", None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'dispatch-opt\[viz\]'"):
        viz.route_map(*solved)
    with pytest.raises(ImportError, match=r"dispatch-opt\[viz\]"):
        viz.schedule_figure(*solved)


# ---------------------------------------------------------------- schedule


def test_schedule_has_one_row_per_route_and_shows_lateness(solved):
    pytest.importorskip("matplotlib")
    sc, plan = solved
    fig = viz.schedule_figure(sc, plan)
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert labels == [r.engineer for r in plan.routes]
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    late = _late(sc, plan)
    assert sum("min late" in t for t in texts) == len(late) >= 1
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"travel", "waiting", "break", "appointment window", "service: emergency"} <= set(legend)


def test_utilisation_figure_has_a_bar_row_per_engineer(solved):
    pytest.importorskip("matplotlib")
    sc, plan = solved
    fig = viz.utilisation_figure(sc, plan)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [e.id for e in sc.engineers]


# ---------------------------------------------------------------- tables


def test_kpi_tables_match_plan_kpis(solved):
    sc, plan = solved
    tables = viz.kpi_tables(sc, plan)
    sla = tables["sla"][["tickets", "served", "on_time", "late_total_min", "late_max_min"]]
    assert sla.to_dict("index") == plan.kpis["tiers"]
    assert list(sla.index) == list(sc.tiers)
    util = tables["utilisation"][list(next(iter(plan.kpis["engineers"].values())))]
    assert util.astype(object).where(util.notna(), None).to_dict("index") == plan.kpis["engineers"]
    assert tables["utilisation"]["travel_min"].sum() == pytest.approx(
        plan.kpis["travel_min"], abs=0.2
    )
    un = tables["unassigned"]
    assert un[["ticket", "reason", "code"]].to_dict("records") == [
        u.to_dict() for u in plan.unassigned
    ]
    assert un["tier"].tolist() == ["normal"]
    assert tables["summary"].loc["served", "value"] == plan.kpis["served"]


def test_compare_identical_plans_changes_nothing(solved):
    sc, plan = solved
    diff = viz.compare_plans(sc, plan, plan)
    assert (diff["change"] == 0).all() and diff.loc["served", "A"] == plan.kpis["served"]
    assert do.diff(plan, plan).frame.empty


def test_compare_finds_a_ticket_moved_to_another_engineer(solved):
    sc, plan = solved
    src = next(i for i, r in enumerate(plan.routes) if r.visits)
    dst = next(i for i, r in enumerate(plan.routes) if i != src)
    stop = plan.routes[src].visits[-1]
    last = max((s.end for s in plan.routes[dst].stops), default=plan.routes[dst].depart)
    moved = dataclasses.replace(
        stop, arrival=last, start=last + timedelta(minutes=10), end=last + timedelta(minutes=40)
    )
    routes = list(plan.routes)
    routes[src] = dataclasses.replace(
        routes[src], stops=[s for s in routes[src].stops if s is not stop]
    )
    routes[dst] = dataclasses.replace(routes[dst], stops=[*routes[dst].stops, moved])
    other = dataclasses.replace(plan, routes=routes)

    table = do.diff(plan, other).frame
    assert table.to_dict("records") == [
        {
            "ticket": stop.ticket,
            "change": "moved",
            "new": False,
            "tier": sc.ticket(stop.ticket).priority,
            "status": "open",
            "old_engineer": plan.routes[src].engineer,
            "new_engineer": plan.routes[dst].engineer,
            "old_start": stop.start,
            "new_start": moved.start,
            "eta_shift_min": (moved.start - stop.start).total_seconds() / 60,
        }
    ]
    diff = viz.compare_plans(sc, plan, other, labels=("before", "after"))
    assert diff.loc["served", "change"] == 0 and list(diff.columns) == ["before", "after", "change"]

    dropped = dataclasses.replace(
        plan, routes=[routes[src] if i == src else r for i, r in enumerate(plan.routes)]
    )
    assert do.diff(plan, dropped).frame["change"].tolist() == ["removed"]
    assert viz.compare_plans(sc, plan, dropped).loc["served", "change"] == -1


def crews_and_follow_ups() -> tuple[do.Scenario, do.Plan]:
    """A crew install (E1 and E3), a follow-up of it the next day, one of a repair the same day."""
    from conftest import at, engineer, scenario, ticket

    def two_days(eid: str, x: float) -> dict:
        e = engineer(eid, x, 0)
        e["shifts"].append({"start": at("08:00", "2026-12-01"), "end": at("17:00", "2026-12-01")})
        return e

    raw = scenario(
        [two_days("E1", 0), two_days("E2", 10), two_days("E3", 3)],
        [
            ticket("T1", 5, 0, duration=90, crew=2),
            ticket("T2", 6, 1),
            ticket("T3", 4, 2, after={"ticket": "T1", "min_lag_min": 900, "same_engineer": True}),
            ticket("T4", 7, 1, after={"ticket": "T2", "min_lag_min": 60, "max_lag_min": 240}),
        ],
    )
    sc = do.load_scenario(copy.deepcopy(raw))
    plan = do.solve(sc, do.SolveParams(time_limit_s=0))
    assert_valid(raw, plan)
    return sc, plan


def test_the_schedule_links_a_crew_across_its_rows_and_a_follow_up_to_its_visit():
    pytest.importorskip("matplotlib")
    sc, plan = crews_and_follow_ups()
    fig = viz.schedule_figure(sc, plan)
    crew = fig.findobj(lambda a: a.get_gid() == "crew-link")
    follow = fig.findobj(lambda a: a.get_gid() == "follow-up-link")
    assert len(crew) == 2 and len(follow) == 2  # one crew (bar and dots), two follow-ups
    (bar,) = [a for a in crew if hasattr(a, "get_segments")][:1]
    (x0, y0), (x1, y1) = bar.get_segments()[0]
    assert x0 == x1 and abs(y1 - y0) == 1  # at the common start, across the two members' rows
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "crew visit (together)" in labels and "follow-up of a visit" in labels


def test_crew_kpis_are_in_the_tables_the_report_and_the_cli_summary():
    pytest.importorskip("matplotlib")
    from rich.console import Console

    from dispatch_opt.presentation.report import render_report
    from dispatch_opt.presentation.summary import print_summary

    sc, plan = crews_and_follow_ups()
    values = viz.kpi_tables(sc, plan)["summary"]["value"]
    assert (values["crew_tickets"], values["crew_visits"], values["crew_hours"]) == (1, 1, 3.0)
    assert (values["follow_ups"], values["follow_ups_within_lag"]) == (2, 2)
    html = render_report(sc, plan)
    assert "crew visits served" in html and "follow-ups within their lag" in html
    out = Console(record=True, width=200)
    print_summary(out, sc, plan)
    text = out.export_text()
    assert "crew visits (engineers on site together): 1/1 served, 3.0 crew-hours" in text
    assert "follow-ups: 2/2 planned, 2 within their lag" in text

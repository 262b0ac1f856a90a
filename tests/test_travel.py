"""Travel: single legs and blocks give the numbers of the all-pairs matrix, for every model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import engineer, scenario, ticket

import dispatch_opt as do
from dispatch_opt.engine import eligibility as eligibility_module
from dispatch_opt.engine.eligibility import compute_eligibility
from dispatch_opt.format.scenario import Location
from dispatch_opt.format.travel import travel_between, travel_legs, travel_matrices

RNG = np.random.default_rng(7)


def _scenario(kind: str):
    if kind == "euclidean":
        raw = scenario([engineer("A")], [ticket("T", 1, 1)])
        locs = [Location(x=float(x), y=float(y)) for x, y in RNG.uniform(-50, 50, (60, 2))]
        return do.load_scenario(raw), locs
    if kind == "haversine":
        raw = scenario([engineer("A")], [ticket("T", 1, 1)])
        raw["engineers"][0]["start"] = {"lat": 44.5, "lon": 11.3}
        raw["tickets"][0]["location"] = {"lat": 44.6, "lon": 11.4}
        raw["travel"] = {"model": "haversine", "speed_kmh": 40, "detour": 1.25}
        locs = [Location(lat=float(a), lon=float(b)) for a, b in RNG.uniform(40, 46, (60, 2))]
        return do.load_scenario(raw), locs
    m = RNG.uniform(1, 90, (60, 60)).round(1)
    raw = scenario([engineer("A")], [ticket("T", 1, 1)])
    raw["engineers"][0]["start"] = {"node": 0}
    raw["tickets"][0]["location"] = {"node": 1}
    raw["travel"] = {"model": "matrix", "minutes": m.tolist(), "km": (m * 0.8).tolist()}
    return do.load_scenario(raw), [Location(node=i) for i in RNG.permutation(60)]


@pytest.mark.parametrize("kind", ["euclidean", "haversine", "matrix"])
def test_legs_and_blocks_are_the_matrix_numbers_exactly(kind, monkeypatch):
    sc, locs = _scenario(kind)
    minutes, km = travel_matrices(sc, locs)
    i, j = RNG.integers(0, len(locs), 200), RNG.integers(0, len(locs), 200)
    leg_min, leg_km = travel_legs(sc, [locs[a] for a in i], [locs[b] for b in j])
    assert np.array_equal(leg_min, minutes[i, j]) and np.array_equal(leg_km, km[i, j])
    # a block of rows at a time (here a few rows a block) changes nothing
    monkeypatch.setattr("dispatch_opt.format.travel.BLOCK", 100)
    part_min, part_km = travel_between(sc, locs[:7], locs[20:])
    assert np.array_equal(part_min, minutes[:7, 20:]) and np.array_equal(part_km, km[:7, 20:])


def test_eligibility_builds_no_all_pairs_matrix_until_one_is_asked_for(monkeypatch):
    raw = scenario(
        [engineer("A"), engineer("B", 10, 0, skills=["gas"])],
        [ticket(f"T{i}", i, 1) for i in range(6)] + [ticket("G", 50, 50, skills=["gas"])],
    )
    sc = do.load_scenario(raw)
    built = []
    real = eligibility_module.travel_matrices
    monkeypatch.setattr(
        eligibility_module, "travel_matrices", lambda s, locs: built.append(1) or real(s, locs)
    )
    el = compute_eligibility(sc)
    assert built == []  # who may serve what needs only the engineer-shift <-> ticket legs
    assert sorted(el.allowed["G"]) == [1] and sorted(el.allowed["T0"]) == [0, 1]
    np.testing.assert_allclose(el.start_to_ticket[1, el.ticket_column("G")], np.hypot(40, 50))
    copy = dataclasses.replace(el, allowed=dict(el.allowed))  # as a re-plan copies it
    assert np.array_equal(el.minutes, real(sc, el.locations)[0])
    assert copy.minutes is el.minutes and built == [1]  # built once, shared by the copy

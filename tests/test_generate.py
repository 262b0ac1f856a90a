"""Behaviour of the synthetic scenario generator and the bundled scenarios it writes."""
from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
from datetime import datetime, time
from pathlib import Path

import pytest

from dispatch_opt.generate import (APPLIANCES, PRESETS, SLA, UNSERVABLE_SKILL, CityParams,
                                   generate_scenario, to_json)

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "small": PRESETS["small"],
    "medium": PRESETS["medium"],
    "three-days": dataclasses.replace(PRESETS["small"], days=3, seed=7),
    "tiny": CityParams(engineers=2, tickets=5, seed=3),
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request) -> tuple[CityParams, dict]:
    return CASES[request.param], generate_scenario(CASES[request.param])


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s)


def _km(a: dict, b: dict) -> float:
    la1, la2 = math.radians(a["lat"]), math.radians(b["lat"])
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(math.radians(b["lon"] - a["lon"]) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def test_same_seed_gives_identical_scenario():
    params = CityParams(seed=42)
    assert generate_scenario(params) == generate_scenario(params)
    assert to_json(generate_scenario(params)) == to_json(generate_scenario(params))


def test_different_seed_gives_different_scenario():
    assert generate_scenario(CityParams(seed=1)) != generate_scenario(CityParams(seed=2))


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_bundled_file_is_what_the_generator_writes_for_its_preset(preset):
    path = ROOT / "scenarios" / f"{preset}.json"
    assert path.read_text(encoding="utf-8") == to_json(generate_scenario(PRESETS[preset])), (
        f"regenerate with: python -m dispatch_opt.generate --preset {preset} -o scenarios/{preset}.json")


def test_command_line_writes_the_preset_file(tmp_path):
    out = tmp_path / "small.json"
    subprocess.run([sys.executable, "-m", "dispatch_opt.generate", "--preset", "small", "-o", str(out)],
                   cwd=ROOT, check=True)
    assert out.read_text(encoding="utf-8") == to_json(generate_scenario(PRESETS["small"]))


def test_presets_have_the_documented_size():
    for preset, (engineers, tickets) in {"small": (8, 50), "medium": (40, 300)}.items():
        sc = generate_scenario(PRESETS[preset])
        assert (len(sc["engineers"]), len(sc["tickets"]), sc["name"]) == (engineers, tickets, f"bologna-{preset}")


def test_scenario_has_format_name_sla_and_one_depot_and_no_travel_or_now(case):
    _, sc = case
    assert sc["format"] == "dispatch-opt.scenario/1" and sc["name"]
    assert list(sc["sla"]) == ["emergency", "urgent", "normal", "low"] and sc["sla"] == SLA
    assert "travel" not in sc and "now" not in sc
    (depot,) = sc["depots"]
    assert depot["id"] == "D1" and depot["restock_min"] == 15 and "refrigerant_recovery" in depot["tools"]
    assert set(depot["parts"]) == {q for _, parts in APPLIANCES.values() for q in parts}


def test_every_engineer_has_the_contract_fields(case):
    params, sc = case
    for e in sc["engineers"]:
        assert e["id"] and {"lat", "lon"} <= set(e["start"]) and e["end"] == e["start"]
        assert len(e["shifts"]) == params.days and len(e["breaks"]) == params.days
        assert e["max_overtime_min"] in (0, 30, 60)
        assert params.skills_per_engineer[0] <= len(e["skills"]) <= params.skills_per_engineer[1]
        assert all(isinstance(q, int) and q > 0 for q in e["van"].values())


def test_every_ticket_has_the_contract_fields(case):
    _, sc = case
    for t in sc["tickets"]:
        assert t["id"] and {"lat", "lon"} <= set(t["location"])
        assert isinstance(t["duration_min"], int) and t["duration_min"] > 0
        assert _t(t["created"]) and t["zone"] in ("city", "outskirts") and len(t["skills"]) == 1


def test_ids_are_unique_and_sorted(case):
    _, sc = case
    for items in (sc["engineers"], sc["tickets"]):
        ids = [x["id"] for x in items]
        assert ids == sorted(set(ids))


def test_every_ticket_priority_is_an_sla_tier(case):
    _, sc = case
    assert {t["priority"] for t in sc["tickets"]} <= set(sc["sla"])


def test_windows_shifts_and_breaks_end_after_they_start(case):
    _, sc = case
    spans = [w for t in sc["tickets"] for w in t.get("windows", [])]
    spans += [s for e in sc["engineers"] for s in e["shifts"] + e["breaks"]]
    assert all(_t(s["end"]) > _t(s["start"]) for s in spans)


def test_two_windows_of_a_ticket_are_apart(case):
    _, sc = case
    for t in sc["tickets"]:
        ws = t.get("windows", [])
        assert all(_t(a["end"]) < _t(b["start"]) for a, b in zip(ws, ws[1:]))


def test_every_skill_but_solar_has_an_engineer_and_solar_has_none(case):
    params, sc = case
    held = {s for e in sc["engineers"] for s in e["skills"]}
    needed = {s for t in sc["tickets"] for s in t["skills"]}
    assert needed - held == {UNSERVABLE_SKILL}
    assert sum(t["skills"] == [UNSERVABLE_SKILL] for t in sc["tickets"]) == 1


def test_small_preset_has_three_engineers_per_appliance():
    sc = generate_scenario(PRESETS["small"])
    assert all(sum(a in e["skills"] for e in sc["engineers"]) >= 3 for a in APPLIANCES)


def test_named_engineer_exists_and_has_the_skill(case):
    _, sc = case
    engineers = {e["id"]: e for e in sc["engineers"]}
    for t in sc["tickets"]:
        if "engineer" in t:
            assert set(t["skills"]) <= set(engineers[t["engineer"]]["skills"])


def test_ticket_parts_come_from_the_appliance_and_the_depot_stocks_them(case):
    _, sc = case
    stock = sc["depots"][0]["parts"]
    for t in sc["tickets"]:
        for part, qty in t.get("parts", {}).items():
            assert part in APPLIANCES[t["skills"][0]][1] and 0 < qty <= stock[part]


def test_zone_is_city_within_five_km_of_the_centre(case):
    params, sc = case
    centre = {"lat": params.centre_lat, "lon": params.centre_lon}
    for t in sc["tickets"]:
        km = _km(centre, t["location"])
        assert km <= params.radius_km + 0.01
        assert t["zone"] == ("city" if km <= params.zone_radius_km else "outskirts")


def test_emergencies_are_raised_on_the_planning_morning_and_others_earlier(case):
    params, sc = case
    day0 = datetime.fromisoformat(params.start_date)
    for t in sc["tickets"]:
        created = _t(t["created"])
        if t["priority"] == "emergency":
            assert created.date() == day0.date() and time(6) <= created.time() <= time(11)
        else:
            assert created < day0


def test_tier_mix_follows_the_parameters():
    sc = generate_scenario(PRESETS["medium"])
    counts = [sum(t["priority"] == tier for t in sc["tickets"]) for tier in SLA]
    assert counts == [15, 60, 180, 45]


def test_scenario_passes_the_contract_validator(case):
    model = pytest.importorskip("dispatch_opt.model")
    _, sc = case
    model.parse_scenario(sc)

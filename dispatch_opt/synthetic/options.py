"""From command-line options to a scenario, and the canonical file text of a scenario."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from ..format.scenario import ScenarioError
from .city import generate_scenario
from .network import generate_network
from .presets import CITIES, NETWORKS, PRESETS, CityParams

# ---------------------------------------------------------------- files and options


def to_json(scenario: dict) -> str:
    """The canonical file text: what the bundled scenarios hold, byte for byte.

    Indented one space per level; the rows of a travel matrix are one line each, so a 340-point
    matrix is 340 lines rather than 115,600.
    """
    travel = scenario.get("travel")
    if not (isinstance(travel, dict) and travel.get("model") == "matrix"):
        return json.dumps(scenario, indent=1, ensure_ascii=False) + "\n"
    keys = [k for k in ("minutes", "km") if isinstance(travel.get(k), list)]
    text = json.dumps(
        scenario | {"travel": travel | {k: f"\0{k}\0" for k in keys}}, indent=1, ensure_ascii=False
    )
    for k in keys:
        rows = ",\n   ".join(json.dumps(row, separators=(",", ":")) for row in travel[k])
        text = text.replace(json.dumps(f"\0{k}\0"), "[\n   " + rows + "\n  ]")
    return text + "\n"


def params_from_options(
    *,
    preset: str | None = None,
    engineers: int | None = None,
    tickets: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    travel: str | None = None,
    city: str | None = None,
    centre: tuple[float, float] | None = None,
    radius_km: float | None = None,
    road_spacing_km: float | None = None,
) -> CityParams:
    """The CityParams for a preset (default: a nightly plan for a city day) with the given options
    overridden.

    Without a preset, the base is CityParams() with emergencies raised the evening before
    (EVENING_BEFORE), what a plan made before the day can know. When any option changes a preset,
    the name says so, e.g. `bologna-40x300-1d-seed7-roads`.
    """
    if preset is not None and preset not in PRESETS:
        names = ", ".join([*PRESETS, *NETWORKS])
        raise ScenarioError([f"preset: got {preset!r}; fix: use one of {names}"])
    if city is not None and city not in CITIES:
        raise ScenarioError([f"city: got {city!r}; fix: use one of {', '.join(CITIES)}"])
    if preset is not None and city is not None:
        raise ScenarioError([f"city: got {city!r} with a preset; fix: give one of them"])
    base = PRESETS[preset] if preset else CITIES[city or "bologna"]
    options = {
        "engineers": engineers,
        "tickets": tickets,
        "days": days,
        "seed": seed,
        "travel": travel,
        "radius_km": radius_km,
        "road_spacing_km": road_spacing_km,
    }
    if centre is not None:
        options.update(centre_lat=centre[0], centre_lon=centre[1])
        if city is None and preset is None:  # a city of one's own: the depot by its centre
            options.update(depot_lat=centre[0] + 0.02, depot_lon=centre[1] + 0.02)
    given = {k: v for k, v in options.items() if v is not None}
    p = dataclasses.replace(base, **given)
    if preset is None or any(getattr(p, k) != getattr(base, k) for k in given):
        town = base.name.split("-")[0] if centre is None else "city"
        name = f"{town}-{p.engineers}x{p.tickets}-{p.days}d-seed{p.seed}" + (
            "-roads" if p.travel == "matrix" else ""
        )
        p = dataclasses.replace(p, name=name + (f"-at{p.now.replace(':', '')}" if p.now else ""))
    return p


def generate_from_options(
    *,
    preset: str | None = None,
    engineers: int | None = None,
    tickets: int | None = None,
    days: int | None = None,
    seed: int | None = None,
    travel: str | None = None,
    **city,
) -> dict:
    """A scenario dict for the command line's options (see params_from_options); write it with
    to_json.

    `preset="network"`: the national network (generate_network), sized by engineers and tickets.
    Bad options raise ScenarioError, one line per problem (field, value, fix).
    """
    if preset in NETWORKS:
        problems = [
            f"{k}: not used by the network preset; fix: leave it out" for k in city if city[k]
        ]
        if travel not in (None, "haversine"):
            problems.append(
                f"travel: got {travel!r}; the network preset uses haversine travel (a road matrix "
                "over 10,000 locations would not fit a JSON file); fix: leave it out"
            )
        if problems:
            raise ScenarioError(problems)
        base = NETWORKS[preset]
        given = {"engineers": engineers, "tickets": tickets, "days": days, "seed": seed}
        given = {k: v for k, v in given.items() if v is not None}
        p = dataclasses.replace(base, **given)
        if given:
            p = dataclasses.replace(p, name=f"{base.name}-{p.engineers}x{p.tickets}-seed{p.seed}")
        return generate_network(p)
    return generate_scenario(
        params_from_options(
            preset=preset,
            engineers=engineers,
            tickets=tickets,
            days=days,
            seed=seed,
            travel=travel,
            **city,
        )
    )


def write_presets(directory: str | Path) -> dict[str, Path]:
    """Write every preset to `directory` as <preset>.json (the bundled files are
    `write_presets("scenarios")` from the repository root); the paths, by preset."""
    out = {}
    for name, params in PRESETS.items():
        path = Path(directory) / f"{name}.json"
        path.write_text(to_json(generate_scenario(params)), encoding="utf-8")
        out[name] = path
    return out

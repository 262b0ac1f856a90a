"""What-ifs as one-liners: each takes a scenario and returns a new, validated one with one thing
changed (engineers off, an engineer more, longer or shorter shifts, a tier's promise, parts on
the vans), so a planner can ask "what if" without editing JSON or inventing events.

Nothing here moves `now` or plans anything: solve the result (`what_if` in compare.py does it on
a round budget, so the answer is the same on every run) and compare the plans.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any, Iterable

from ..format.events import engineer_off
from ..format.scenario import Scenario, ScenarioError
from ..format.validation import nearest, parse_scenario


def without_engineers(
    scenario: Scenario,
    engineers: str | Iterable[str],
    since: datetime | str | None = None,
    until: datetime | str | None = None,
) -> Scenario:
    """The engineers work no shift from `since` (default: at all) until `until` (default: the end
    of the plan), e.g. off sick tomorrow. Work they were en route to or had started is released to
    the others; tickets that require one of them by name are then left out, with that reason."""
    raw = scenario.to_dict()
    ids = _engineer_ids(scenario, engineers, "engineers")
    start = _moment(since, "since") if since is not None else datetime.min
    end = _moment(until, "until") if until is not None else None
    if end is not None and end <= start:
        raise ScenarioError(
            [
                f"until: {end:%Y-%m-%dT%H:%M} is not after since; fix: give a later "
                f"until, or leave it out (off to the end of the plan)"
            ]
        )
    for eid in ids:
        engineer_off(raw, eid, start, end)
    return parse_scenario(raw)


def with_engineer_like(scenario: Scenario, like: str, new_id: str | None = None) -> Scenario:
    """One engineer more: a copy of `like` (skills, van, tools, home, shifts, breaks) named
    `new_id` (default `<like>-extra`), starting from home rather than where `like` is now."""
    raw = scenario.to_dict()
    (eid,) = _engineer_ids(scenario, [like], "like")
    taken = {e.id for e in scenario.engineers}
    new_id = new_id or next(
        f"{eid}-extra{'' if n == 1 else n}"
        for n in range(1, len(taken) + 2)
        if f"{eid}-extra{'' if n == 1 else n}" not in taken
    )
    if new_id in taken:
        raise ScenarioError([f"new_id: {new_id!r} is already an engineer; fix: give a new id"])
    new = copy.deepcopy(next(e for e in raw["engineers"] if e["id"] == eid))
    new["id"] = new_id
    new.pop("position", None)
    raw["engineers"].append(new)
    return parse_scenario(raw)


def with_longer_shifts(
    scenario: Scenario, minutes: float = 60, engineers: str | Iterable[str] | None = None
) -> Scenario:
    """Every shift (of `engineers`, default all) ends `minutes` later; negative: earlier."""
    raw = scenario.to_dict()
    ids = set(_engineer_ids(scenario, engineers, "engineers")) if engineers is not None else None
    delta = timedelta(minutes=minutes)
    problems = []
    for e in raw["engineers"]:
        if ids is not None and e["id"] not in ids:
            continue
        for sh in e["shifts"]:
            a, b = datetime.fromisoformat(sh["start"]), datetime.fromisoformat(sh["end"]) + delta
            if b <= a:
                problems.append(
                    f"minutes: {minutes:g} leaves {e['id']}'s shift from {a:%a %d %H:%M} with no "
                    f"time; fix: shorten by less than {(b - delta - a).total_seconds() / 60:g} min"
                )
            sh["end"] = b.isoformat(timespec="seconds")
    if problems:
        raise ScenarioError(problems[:1])
    return parse_scenario(raw)


def with_shorter_shifts(
    scenario: Scenario, minutes: float = 60, engineers: str | Iterable[str] | None = None
) -> Scenario:
    """Every shift (of `engineers`, default all) ends `minutes` earlier."""
    return with_longer_shifts(scenario, -minutes, engineers)


def with_sla(scenario: Scenario, tier: str, hours: float, zone: str | None = None) -> Scenario:
    """Tier `tier` promises arrival within `hours` (in `zone` only, when given)."""
    raw = scenario.to_dict()
    if tier not in scenario.tiers:
        near = nearest(tier, tuple(scenario.tiers))
        hint = f"did you mean {near[0]!r}? " if near else ""
        raise ScenarioError(
            [
                f"tier: got {tier!r}; not an SLA tier of the scenario; {hint}fix: use one of "
                f"{', '.join(scenario.tiers)}"
            ]
        )
    sla = raw.get("sla") or {
        k: v.model_dump(exclude_defaults=True) for k, v in scenario.tiers.items()
    }
    entry = sla[tier]
    if zone is None:
        entry["arrive_within_h"] = hours
    else:
        entry.setdefault("by_zone", {})[zone] = hours
    raw["sla"] = sla
    return _parsed(raw, "hours")


def with_parts_on_vans(
    scenario: Scenario, parts: dict[str, int], engineers: str | Iterable[str] | None = None
) -> Scenario:
    """`parts` ({part: quantity}) added to the van of every engineer (or of `engineers`)."""
    raw = scenario.to_dict()
    ids = set(_engineer_ids(scenario, engineers, "engineers")) if engineers is not None else None
    bad = [
        f"parts.{p}: got {q!r}; fix: give a whole number of parts, at least 1"
        for p, q in parts.items()
        if type(q) is not int or q < 1
    ]
    if bad:
        raise ScenarioError(bad)
    for e in raw["engineers"]:
        if ids is None or e["id"] in ids:
            van = e.setdefault("van", {})
            for p, q in parts.items():
                van[p] = van.get(p, 0) + q
    return parse_scenario(raw)


def _engineer_ids(scenario: Scenario, given: Any, what: str) -> list[str]:
    ids = [given] if isinstance(given, str) else list(given)
    known = tuple(e.id for e in scenario.engineers)
    problems = []
    for eid in ids:
        if eid not in known:
            near = nearest(str(eid), known)
            hint = f"did you mean {near[0]!r}? " if near else ""
            problems.append(
                f"{what}: got {eid!r}; no such engineer in the scenario; {hint}fix: use an "
                f"engineer id ({', '.join(known[:5])}{', ...' if len(known) > 5 else ''})"
            )
    if problems:
        raise ScenarioError(problems)
    return ids


def _moment(value: datetime | str, what: str) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ScenarioError(
            [f"{what}: got {value!r}; fix: give a local date-time such as 2026-11-30T12:00"]
        ) from None


def _parsed(raw: dict, what: str) -> Scenario:
    try:
        return parse_scenario(raw)
    except ScenarioError as exc:
        raise ScenarioError([f"{what}: {p}" for p in exc.problems]) from None

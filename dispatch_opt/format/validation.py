"""Validation of contract-v1 documents: every problem one line naming the field, the value and
the fix, found in one pass, so a planner can correct the export without reading a traceback.

Pydantic parses the structure (types, required fields, ranges); `_problems` adds the rules that
span several fields (references, overlaps, one location kind).
"""

from __future__ import annotations

import difflib
import functools
import re
import types
import typing
from datetime import datetime
from typing import Annotated, Any, Iterable, Literal, Optional, Union

from pydantic import BaseModel, TypeAdapter, ValidationError

from .scenario import (
    DEFAULT_SLA_HOURS,
    FROZEN_STATUSES,
    MAX_HOURS,
    MAX_KM,
    MAX_MINUTES,
    SCENARIO_FORMAT,
    Engineer,
    EuclideanTravel,
    HaversineTravel,
    LocalTime,
    Location,
    MatrixTravel,
    Scenario,
    ScenarioError,
    Ticket,
    resolve_faults,
)

# Where the contract lets a document carry a `meta` object of its own (and `x_` fields anywhere).
META_HOLDERS = ("Scenario", "Engineer", "Ticket", "Depot")


def unknown_fields(
    raw: Any, model: type[BaseModel], where: str = "", *, meta: tuple[str, ...] = META_HOLDERS
) -> list[str]:
    """One line per field the contract does not define, with the nearest known name.

    Walks the raw document along the model's declared fields (lists, dicts and the travel union
    included), so a misspelt field deep inside is found even when other fields are broken too;
    `x_` fields anywhere and a `meta` object on the models named in `meta` pass through untouched.
    """
    out: list[str] = []
    if not isinstance(raw, dict):
        return out
    known = model.model_fields
    for key, value in raw.items():
        label = str(key) if len(str(key)) <= 40 else shown(key, 40)
        path = f"{where}.{label}" if where else label
        if key in known:
            _walk(value, known[key].annotation, path, out, meta)
        elif isinstance(key, str) and key.startswith("x_"):
            continue
        elif key == "meta" and model.__name__ in meta:
            if not isinstance(value, dict):
                out.append(
                    f"{path}: got a {type(value).__name__}; fix: make meta a JSON object "
                    f"(or name your field x_{key})"
                )
        else:
            near = nearest(str(key), tuple(known))
            hint = f"did you mean {near[0]!r}? " if near else ""
            fix = (
                f"rename it {near[0]!r}" if near else f"use one of {', '.join(sorted(known))}"
            ) + " (data of your own: prefix the name with x_ or put it under meta)"
            out.append(f"{path}: unknown field; {hint}fix: {fix}")
    return out


@functools.lru_cache(maxsize=4096)
def nearest(name: str, known: tuple[str, ...]) -> list[str]:
    """The known name closest to a misspelt one (empty if none is close); cached, since an export
    repeats the same misspelling on every row."""
    return difflib.get_close_matches(name, known, n=1, cutoff=0.6)


def _walk(value: Any, ann: Any, path: str, out: list[str], meta: tuple[str, ...]) -> None:
    """Follow an annotation into the raw value: models, lists, dicts, optionals, unions."""
    origin = typing.get_origin(ann)
    if origin is Annotated:
        _walk(value, typing.get_args(ann)[0], path, out, meta)
    elif origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if len(args) == 1:
            _walk(value, args[0], path, out, meta)
        elif models and isinstance(value, dict):
            fits = [m for m in models if _tags_match(m, value)]
            if len(fits) == 1:
                out += unknown_fields(value, fits[0], path, meta=meta)
        else:
            for a in args:  # e.g. list[X] | None written as a union with non-model members
                if typing.get_origin(a) in (list, dict, Annotated):
                    _walk(value, a, path, out, meta)
    elif origin is list and isinstance(value, list):
        (item,) = typing.get_args(ann)
        for i, x in enumerate(value):
            label = f" (id {shown(x['id'])})" if isinstance(x, dict) and "id" in x else ""
            _walk(x, item, f"{path}[{i}]{label}", out, meta)
    elif origin is dict and isinstance(value, dict):
        item = typing.get_args(ann)[1]
        for k, x in value.items():
            _walk(x, item, f"{path}.{k}", out, meta)
    elif isinstance(ann, type) and issubclass(ann, BaseModel):
        out += unknown_fields(value, ann, path, meta=meta)


def _tags_match(model: type[BaseModel], value: dict) -> bool:
    """A union member fits when each of its Literal fields (the discriminator) matches the value."""
    for name, f in model.model_fields.items():
        if typing.get_origin(f.annotation) is Literal and value.get(name) not in typing.get_args(
            f.annotation
        ):
            return False
    return True


# where a user reads the format: a page the project ships (never a file it does not hold)
FORMAT_DOC = "see docs/format.md or `dispatch-opt schema`"
_FIX_BY_FIELD = {
    "format": f"set it to '{SCENARIO_FORMAT}'",
    "duration_min": "give the on-site service time in minutes, greater than 0 (at most a year)",
    "lat": "use decimal degrees between -90 and 90",
    "lon": "use decimal degrees between -180 and 180",
    "priority": "use one of the SLA tier names",
    "max_overtime_min": f"use 0 or a positive number of minutes up to {MAX_MINUTES} (a year)",
    "restock_min": f"use 0 or a positive number of minutes up to {MAX_MINUTES} (a year)",
    "crew": "give how many engineers must be on site together: a whole number, 1 or more",
    "min_lag_min": f"use 0 or a positive number of minutes up to {MAX_MINUTES} (a year)",
    "max_lag_min": f"use 0 or a positive number of minutes up to {MAX_MINUTES} (a year)",
    "travel_per_min": "use 0 or a positive cost per travel minute",
    "on_duty_per_min": "use 0 or a positive cost per on-duty minute",
    "speed_kmh": "give a speed in km/h between 0.1 and 10000",
    "detour": "give a detour factor between 1 and 10",
    "x": f"give planar km between -{MAX_KM:g} and {MAX_KM:g}",
    "y": f"give planar km between -{MAX_KM:g} and {MAX_KM:g}",
    "arrive_within_h": f"give the SLA promise in hours, greater than 0 and at most {MAX_HOURS}",
    "by_zone": f"give the SLA promise in hours, greater than 0 and at most {MAX_HOURS}",
    "shifts": "give each engineer a list of shifts {start, end}",
    "status": "use open, en_route, started or done",
    "model": "use haversine, euclidean or matrix",
}
_FIX_BY_TYPE = {
    "missing": f"add the field ({FORMAT_DOC})",
    "datetime_from_date_parsing": "write an ISO 8601 local date-time such as 2026-11-23T09:00",
    "datetime_parsing": "write an ISO 8601 local date-time such as 2026-11-23T09:00",
    "datetime_type": "write an ISO 8601 local date-time such as 2026-11-23T09:00",
    "greater_than_equal": "use a value that is not negative",
    "less_than_equal": "use a smaller value",
    "less_than": "use a smaller value",
    "greater_than": "use a larger value",
    "int_type": "use a whole number",
    "float_type": "use a number",
    "bool_type": "use true or false",
    "finite_number": "use a finite number (not NaN or infinity)",
    "int_parsing": "use a whole number",
    "int_from_float": "use a whole number",
    "float_parsing": "use a number",
    "string_type": "use a string",
    "list_type": "use a JSON list",
    "dict_type": "use a JSON object",
    "model_type": "use a JSON object",
    "too_short": "give at least one entry",
    "union_tag_invalid": "use haversine, euclidean or matrix",
    "literal_error": "use one of the allowed values",
    "extra_forbidden": "remove the field",
}


def shown(value: Any, limit: int = 60) -> str:
    """A value for a problem line: its repr, cut short (a field may hold a 100 MB string)."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value):,} characters)"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _path(loc: tuple, raw: Any) -> str:
    """`tickets[3] (id 'T4').duration_min`: the path plus the item's id, for finding it in a
    file."""
    out, node = "", raw
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            try:
                node = node[part]
                if isinstance(node, dict) and "id" in node:
                    out += f" (id {shown(node['id'])})"
            except (IndexError, KeyError, TypeError):
                node = None
        else:
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "scenario"


def pydantic_problems(
    err: ValidationError, raw: Any, fixes: dict[str, str] | None = None
) -> list[str]:
    """One line per problem: path (with ids), the value given, what is wrong, and the fix (`fixes`
    by error type first)."""
    lines = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if p not in ("haversine", "euclidean", "matrix"))
        field = next((p for p in reversed(loc) if isinstance(p, str)), "")
        msg = e["msg"].removeprefix("Value error, ")
        value = "" if e["type"] == "missing" else f"got {shown(e.get('input'))}; "
        if isinstance(e.get("input"), (dict, list)):
            value = ""
        if "; fix: " not in msg:
            fix = _FIX_BY_TYPE.get(e["type"]) if e["type"] == "missing" else None
            fix = (
                fix
                or (fixes or {}).get(e["type"])
                or _FIX_BY_FIELD.get(field)
                or _FIX_BY_TYPE.get(e["type"], FORMAT_DOC)
            )
            msg = f"{msg}; fix: {fix}"
        lines.append(f"{_path(loc, raw)}: {value}{msg}")
    return lines


def _duplicates(items: list, what: str) -> list[str]:
    seen, out = set(), []
    for i, x in enumerate(items):
        if not isinstance(x.id, str):
            continue  # a missing or mistyped id is reported by the structure check
        if x.id in seen:
            out.append(
                f"{what}[{i}].id: {shown(x.id)} is used twice; fix: give every {what[:-1]} a "
                f"unique id"
            )
        seen.add(x.id)
    return out


def _locations(sc: Scenario) -> list[tuple[str, Location]]:
    out = []
    for i, e in enumerate(sc.engineers):
        for f in ("start", "end", "position"):
            if getattr(e, f) is not None:
                out.append((f"engineers[{i}] (id {shown(e.id)}).{f}", getattr(e, f)))
    out += [
        (f"tickets[{i}] (id {shown(t.id)}).location", t.location) for i, t in enumerate(sc.tickets)
    ]
    out += [
        (f"depots[{i}] (id {shown(d.id)}).location", d.location) for i, d in enumerate(sc.depots)
    ]
    return out


def _location_problems(sc: Scenario) -> list[str]:
    locs = _locations(sc)
    out = []
    if isinstance(sc.travel, MatrixTravel):
        n = len(sc.travel.minutes)
        for name, m in (("minutes", sc.travel.minutes), ("km", sc.travel.km)):
            if m is not None and any(len(row) != n for row in m) or (m is not None and len(m) != n):
                out.append(
                    f"travel.{name}: matrix is not square ({len(m)} rows); fix: give an n x n "
                    f"matrix"
                )
        for path, loc in locs:
            if loc.node is None:
                out.append(
                    f"{path}: has no node; fix: with the matrix travel model give every location a "
                    f"'node' index"
                )
            elif loc.node >= n:
                out.append(
                    f"{path}.node: got {loc.node}; out of range for a {n} x {n} matrix; fix: use "
                    f"an index below {n}"
                )
        return out
    kinds = {loc.kind for _, loc in locs}
    if "node" in kinds:
        path = next(p for p, loc in locs if loc.kind == "node")
        out.append(
            f"{path}: only a node index; fix: give lat/lon or x/y, or use the matrix travel model"
        )
    if {"geo", "planar"} <= kinds:
        first = {k: next(p for p, loc in locs if loc.kind == k) for k in ("geo", "planar")}
        out.append(
            f"{first['planar']}: uses x/y while {first['geo']} uses lat/lon; fix: use one kind of "
            f"location in a scenario"
        )
    planar = "planar" in kinds and "geo" not in kinds
    if planar and isinstance(sc.travel, HaversineTravel):
        out.append("travel.model: haversine needs lat/lon locations; fix: use euclidean for x/y")
    if not planar and "geo" in kinds and isinstance(sc.travel, EuclideanTravel):
        out.append("travel.model: euclidean needs x/y locations; fix: use haversine for lat/lon")
    return out


def _engineer_problems(engineers: Iterable[tuple[int, Engineer]]) -> list[str]:
    """Overlapping shifts of one engineer; `engineers`: (index in the document, engineer)."""
    out = []
    for i, e in engineers:
        shifts = sorted(enumerate(e.shifts), key=lambda p: p[1].start)
        for (ia, a), (ib, b) in zip(shifts, shifts[1:]):
            if b.start < a.end:
                out.append(
                    f"engineers[{i}] (id {shown(e.id)}).shifts[{ib}]: starts {b.start.isoformat()} "
                    f"before "
                    f"shifts[{ia}] ends {a.end.isoformat()}; fix: shifts of one engineer must not "
                    f"overlap"
                )
    return out


def _ticket_problems(
    tickets: list, tiers: list[str], engineer_ids: set, faults: dict | None = None
) -> list[str]:
    out = []
    for i, t in enumerate(tickets):
        where = f"tickets[{i}] (id {shown(t.id)})"
        if isinstance(t.fault, str) and t.fault not in (faults or {}):
            known = f"one of {sorted(faults)}" if faults else "a fault type"
            out.append(
                f"{where}.fault: got {t.fault!r}; not in the scenario's 'faults' catalogue; "
                f"fix: use {known} or add it to 'faults'"
            )
        if isinstance(t.preferred_engineer, str) and t.preferred_engineer not in engineer_ids:
            out.append(
                f"{where}.preferred_engineer: got {t.preferred_engineer!r}; no such engineer; "
                f"fix: use an engineer id or remove the field"
            )
        if isinstance(t.priority, str) and t.priority not in tiers:
            near = [x for x in tiers if x.casefold() == t.priority.strip().casefold()] or nearest(
                t.priority, tuple(tiers)
            )
            hint = f"did you mean {near[0]!r}? " if near else ""
            out.append(
                f"{where}.priority: got {shown(t.priority)}; not an SLA tier; {hint}fix: use one "
                f"of {list(tiers)} or add the tier to 'sla'"
            )
        if isinstance(t.engineer, str) and t.engineer not in engineer_ids:
            out.append(
                f"{where}.engineer: got {shown(t.engineer)}; no such engineer; fix: use an "
                f"engineer id or remove the field"
            )
        if t.status in FROZEN_STATUSES and t.engineer is None:
            out.append(
                f"{where}.engineer: missing for a ticket with status {shown(t.status)}; fix: name "
                f"the engineer "
                f"who is on it, or set status to 'open'"
            )
        out += _crew_under_way_problems(t, where, engineer_ids)
    return out


def _crew_under_way_problems(t: Ticket, where: str, engineer_ids: set) -> list[str]:
    """A crew visit under way names its whole crew (`crew_engineers`, this engine's extension):
    the contract's `engineer` names one, and a re-plan must keep every member on it."""
    names, crew = t.crew_engineers, t.crew if isinstance(t.crew, int) else 1
    if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
        if crew > 1 and t.status in FROZEN_STATUSES:
            return [
                f"{where}.crew_engineers: missing for a crew of {crew} with status "
                f"{shown(t.status)}; the visit under way must keep its whole crew; fix: list the "
                f"{crew} engineers on it, {shown(t.engineer)} first, e.g. "
                f"\"crew_engineers\": [{shown(t.engineer)}, ...], or set status to 'open'"
            ]
        return []
    field = f"{where}.crew_engineers"
    if crew == 1 or t.status == "open":
        return [
            f"{field}: given for a ticket that is not a crew visit under way or done (crew "
            f"{t.crew}, status {shown(t.status)}); fix: remove the field"
        ]
    out = [
        f"{field}: got {shown(x)}; no such engineer; fix: use engineer ids"
        for x in names
        if x not in engineer_ids
    ]
    if len(set(names)) != len(names) or len(names) != crew:
        out.append(
            f"{field}: got {names}; a crew of {crew} needs {crew} different engineers; fix: "
            f"list each engineer on the visit once"
        )
    if t.engineer is not None and t.engineer not in names:
        out.append(
            f"{field}: got {names}, without the ticket's engineer {shown(t.engineer)}; fix: "
            f"add {shown(t.engineer)} (the lead) to the list"
        )
    return out


def _link_problems(sc: Scenario) -> list[str]:
    """Crews no scenario's engineers could form, and follow-ups of unknown tickets or in a loop."""
    out = []
    index = {t.id: i for i, t in enumerate(sc.tickets)}
    working = [e for e in sc.engineers if e.shifts]
    for i, t in enumerate(sc.tickets):
        where = f"tickets[{i}] (id {shown(t.id)})"
        if t.crew > len(working):
            out.append(
                f"{where}.crew: got {t.crew}; only {len(working)} engineer(s) with shifts in the "
                f"scenario could form the crew; fix: lower 'crew' or add engineers"
            )
        if t.after is None:
            continue
        j = t.after.ticket
        if j == t.id:
            out.append(
                f"{where}.after.ticket: names the ticket itself; fix: name the ticket whose visit "
                f"this one follows"
            )
        elif j not in index:
            out.append(
                f"{where}.after.ticket: got {shown(j)}; no such ticket in the scenario (a visit "
                f"already made stays in it with status 'done'); fix: use a ticket id or remove "
                f"'after'"
            )
    for i, t in enumerate(sc.tickets):
        chain, here = [t.id], t
        while here.after is not None and here.after.ticket in index:
            here = sc.tickets[index[here.after.ticket]]
            if here.id == t.id:
                if len(chain) > 1:  # a ticket naming itself is reported above
                    out.append(
                        f"tickets[{i}] (id {shown(t.id)}).after: the follow-ups loop "
                        f"({' -> '.join(chain + [t.id])}); fix: remove 'after' from one of them"
                    )
                break
            if here.id in chain:
                break  # a loop further on, reported at its own tickets
            chain.append(here.id)
    return out


def _started_problems(tickets: Iterable[tuple[int, Ticket]], now: datetime | None) -> list[str]:
    """Started work that began after now; `tickets`: (index in the document, ticket)."""
    out = []
    for i, t in tickets:
        if t.started_at is not None and now is not None and t.started_at > now:
            out.append(
                f"tickets[{i}] (id {shown(t.id)}).started_at: {t.started_at.isoformat()} is after "
                f"now "
                f"{now.isoformat()}; fix: give when the work began, at or before now"
            )
    return out


def _problems(sc: Scenario) -> list[str]:
    out = (
        _duplicates(sc.engineers, "engineers")
        + _duplicates(sc.tickets, "tickets")
        + _duplicates(sc.depots, "depots")
    )
    return (
        out
        + _location_problems(sc)
        + _engineer_problems(enumerate(sc.engineers))
        + _started_problems(enumerate(sc.tickets), sc.now)
        + _link_problems(sc)
        + _ticket_problems(
            sc.tickets, list(sc.tiers), {e.id for e in sc.engineers}, sc.faults or {}
        )
    )


class _Raw:
    """Attribute view of an unparsed item, so the reference checks also run when the structure is
    broken."""

    def __init__(self, item: Any):
        self.__dict__.update(item if isinstance(item, dict) else {})

    def __getattr__(self, name: str) -> Any:
        return None


def _raw_problems(raw: dict) -> list[str]:
    """The cross-field checks that need no parsed structure: ids, tiers, engineer references."""
    lists = {
        k: [_Raw(x) for x in raw.get(k)] if isinstance(raw.get(k), list) else []
        for k in ("engineers", "tickets", "depots")
    }
    out = []
    for k, items in lists.items():
        out += _duplicates(items, k)
    tiers = (
        list(raw["sla"])
        if isinstance(raw.get("sla"), dict) and raw["sla"]
        else list(DEFAULT_SLA_HOURS)
    )
    faults = raw.get("faults") if isinstance(raw.get("faults"), dict) else {}
    ids = {e.id for e in lists["engineers"] if isinstance(e.id, str)}
    return out + _ticket_problems(lists["tickets"], tiers, ids, faults)


def _item_problems(raw: dict) -> list[str]:
    """When the document as a whole does not parse, the rules within one engineer or ticket still
    run on those that parse alone, so one pass reports them too (overlapping shifts, work started
    after now)."""

    def parsed(key: str, model: type[BaseModel]) -> list[tuple[int, Any]]:
        items = raw.get(key) if isinstance(raw.get(key), list) else []
        out = []
        for i, x in enumerate(items):
            try:
                out.append((i, model.model_validate(x)))
            except ValidationError:
                continue  # its own problems are reported already
        return out

    try:
        now = _NOW.validate_python(raw.get("now"))
    except ValidationError:
        now = None
    return _engineer_problems(parsed("engineers", Engineer)) + _started_problems(
        parsed("tickets", Ticket), now
    )


_NOW = TypeAdapter(Optional[LocalTime])
MAX_DEPTH = 64  # a scenario is about 8 deep; `meta` may nest, but not without end


def too_deep(raw: Any, what: str = "scenario") -> str | None:
    """A problem line if the document nests deeper than MAX_DEPTH (checked without recursion):
    deeper data would only break the serialising of plans and scenarios later on."""
    stack = [(raw, 0, what)]
    while stack:
        node, depth, path = stack.pop()
        if depth > MAX_DEPTH:
            return (
                f"{path}: nested more than {MAX_DEPTH} levels deep; fix: flatten it "
                f"(a scenario needs about 8 levels)"
            )
        items = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else ()
        )
        for k, v in items:
            if isinstance(v, (dict, list)):
                stack.append(
                    (v, depth + 1, f"{path}[{k}]" if isinstance(k, int) else f"{path}.{k}")
                )
    return None


def parse_scenario(raw: Any, *, fields_checked: bool = False) -> Scenario:
    """Validate a contract-v1 dict; raise ScenarioError listing every problem found.
    `fields_checked`: every field name and the nesting were checked already (the parts of a
    scenario made before, and a caller's ticket checked on its own: a slot offer)."""
    if not isinstance(raw, dict):
        raise ScenarioError(
            [f"scenario: got a JSON {type(raw).__name__}; fix: the top level must be a JSON object"]
        )
    deep = None if fields_checked else too_deep(raw)
    if deep:
        raise ScenarioError([deep])
    # on the user's own fields, before the catalogue
    problems = [] if fields_checked else unknown_fields(raw, Scenario)
    raw, borrowed = resolve_faults(raw)
    try:
        sc = Scenario.model_validate(raw)
    except ValidationError as err:
        lines = [x for x in pydantic_problems(err, raw) if _not_borrowed(x, borrowed)]
        problems += lines + _raw_problems(raw) + _item_problems(raw)
        raise ScenarioError(at_most(problems)) from None
    problems += _problems(sc)
    if problems:
        raise ScenarioError(at_most(problems))
    return sc


MAX_PROBLEMS = 200


def at_most(problems: list[str]) -> list[str]:
    """A broken export can have a hundred thousand problems; the first ones tell what to fix."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = len(problems) - MAX_PROBLEMS
    return problems[:MAX_PROBLEMS] + [
        f"scenario: {more:,} more problems not shown; fix: mend the ones above first (an export "
        f"usually repeats the same fault on every row)"
    ]


def _not_borrowed(line: str, borrowed: dict[int, set[str]]) -> bool:
    path = line.split(": ", 1)[0]
    m = re.match(r"tickets\[(\d+)\](?: \(id .*?\))?\.(\w+)", path)
    return not (m and m.group(2) in borrowed.get(int(m.group(1)), ()))

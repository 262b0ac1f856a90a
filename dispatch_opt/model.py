"""Domain model of contract v1: scenarios parsed and validated once, then trusted.

Pydantic parses the structure (types, required fields, ranges); `_problems`
adds the rules that span several fields (references, overlaps, one location
kind). Every problem becomes one line naming the field, the value and the fix,
so a planner can correct the export without reading a traceback.
"""

from __future__ import annotations

import difflib
import functools
import re
import types
import typing
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

SCENARIO_FORMAT = "dispatch-opt.scenario/1"
PLAN_FORMAT = "dispatch-opt.plan/1"
DEFAULT_SLA_HOURS = {"emergency": 4.0, "urgent": 24.0, "normal": 48.0, "low": 120.0}
FROZEN_STATUSES = ("en_route", "started")


class ScenarioError(ValueError):
    """Invalid input: `problems` holds one line per problem (field, value, fix)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class _Model(BaseModel):
    # extra="allow" so that `meta` and `x_` fields pass through untouched; any other unknown field
    # is refused before parsing (`unknown_fields`), since a misspelt field would drop a constraint
    model_config = ConfigDict(frozen=True, extra="allow", allow_inf_nan=False)


def _text_time(v: Any) -> Any:
    if not isinstance(v, (str, datetime)):
        raise ValueError(
            f"is a {type(v).__name__}, not a date-time; fix: write an ISO 8601 local date-time "
            f"such as 2026-11-23T09:00"
        )
    return v


def _local_time(v: datetime) -> datetime:
    if v.tzinfo is not None:
        raise ValueError(
            "has a UTC offset; fix: write local time without offset, e.g. 2026-11-23T09:00"
        )
    if not FIRST_YEAR <= v.year <= LAST_YEAR:
        raise ValueError(
            f"year {v.year} is out of range; fix: use a date between {FIRST_YEAR} and {LAST_YEAR}"
        )
    return v


# Bounds that keep every date-time sum inside Python's calendar and every solver number inside
# 64 bits; far beyond any real dispatch day, so they only ever catch typos and garbage.
FIRST_YEAR, LAST_YEAR = 1900, 2999
MAX_MINUTES = 366 * 24 * 60  # a year
MAX_HOURS = 25 * 366 * 24  # 25 years (SLA promises; literature imports use 100,000 h)
MAX_KM = 100_000.0  # planar coordinates and matrix distances
MAX_QUANTITY = 10**9

LocalTime = Annotated[datetime, BeforeValidator(_text_time), AfterValidator(_local_time)]
Minutes = Annotated[float, Field(gt=0, le=MAX_MINUTES)]
Quantity = Annotated[int, Field(ge=0, le=MAX_QUANTITY)]
Hours = Annotated[float, Field(gt=0, le=MAX_HOURS)]
Speed = Annotated[float, Field(ge=0.1, le=10_000)]


class Location(_Model):
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    x: float | None = Field(default=None, ge=-MAX_KM, le=MAX_KM)
    y: float | None = Field(default=None, ge=-MAX_KM, le=MAX_KM)
    node: int | None = Field(default=None, ge=0, le=10**7)

    @model_validator(mode="after")
    def _one_kind(self) -> "Location":
        geo = self.lat is not None or self.lon is not None
        planar = self.x is not None or self.y is not None
        if geo and planar:
            raise ValueError("has both lat/lon and x/y; fix: use one kind of location")
        if geo and (self.lat is None or self.lon is None):
            raise ValueError("needs both lat and lon; fix: add the missing coordinate")
        if planar and (self.x is None or self.y is None):
            raise ValueError("needs both x and y; fix: add the missing coordinate")
        if not geo and not planar and self.node is None:
            raise ValueError("has no coordinates; fix: give lat/lon, x/y or (matrix travel) a node")
        return self

    @property
    def kind(self) -> str:
        return "geo" if self.lat is not None else "planar" if self.x is not None else "node"


class TimeWindow(_Model):
    start: LocalTime
    end: LocalTime

    @model_validator(mode="after")
    def _ordered(self) -> "TimeWindow":
        if self.end <= self.start:
            raise ValueError(
                f"end {self.end.isoformat()} is not after start {self.start.isoformat()}; fix: "
                f"make end later than start"
            )
        return self


class Break(TimeWindow):
    duration_min: Minutes

    @model_validator(mode="after")
    def _fits(self) -> "Break":
        if self.duration_min > (self.end - self.start).total_seconds() / 60 + 1e-9:
            raise ValueError(
                f"duration_min {self.duration_min} does not fit in its interval; fix: widen the "
                f"interval or shorten the break"
            )
        return self


class SlaTier(_Model):
    arrive_within_h: Hours
    by_zone: dict[str, Hours] = {}

    def hours(self, zone: str | None) -> float:
        return self.by_zone.get(zone, self.arrive_within_h) if zone else self.arrive_within_h


class HaversineTravel(_Model):
    model: Literal["haversine"]
    speed_kmh: Speed = 30.0
    detour: Annotated[float, Field(ge=1, le=10)] = 1.3


class EuclideanTravel(_Model):
    model: Literal["euclidean"]
    speed_kmh: Speed = 60.0


class MatrixTravel(_Model):
    model: Literal["matrix"]
    minutes: list[list[Annotated[float, Field(ge=0, le=MAX_MINUTES)]]]
    km: list[list[Annotated[float, Field(ge=0, le=MAX_KM)]]] | None = None


Travel = Annotated[
    Union[HaversineTravel, EuclideanTravel, MatrixTravel], Field(discriminator="model")
]


class Engineer(_Model):
    id: Annotated[str, Field(min_length=1)]
    start: Location
    end: Location | None = None
    shifts: list[
        TimeWindow
    ]  # may be empty: an engineer off for the whole plan (e.g. after a sick call)
    max_overtime_min: Annotated[float, Field(ge=0, le=MAX_MINUTES)] = 0.0
    skills: list[str] = []
    van: dict[str, Quantity] = {}
    tools: list[str] = []
    breaks: list[Break] = []
    position: Location | None = None

    @property
    def home(self) -> Location:
        return self.end if self.end is not None else self.start


class Ticket(_Model):
    id: Annotated[str, Field(min_length=1)]
    location: Location
    created: LocalTime
    priority: str
    duration_min: Minutes
    windows: list[TimeWindow] = []
    skills: list[str] = []
    parts: dict[str, Quantity] = {}
    tools: list[str] = []
    engineer: str | None = None
    zone: str | None = None
    status: Literal["open", "en_route", "started", "done"] = "open"
    fault: str | None = None  # a type of the scenario's `faults` catalogue, already resolved
    preferred_engineer: str | None = None  # soft: kept when it costs little
    started_at: LocalTime | None = None  # started work: when it began (see work_left)

    @property
    def frozen(self) -> bool:
        return self.status in FROZEN_STATUSES


class FaultType(_Model):
    """What a repair of one fault type needs; a ticket of that type takes what it leaves out."""

    skills: list[str] = []
    duration_min: Minutes | None = None
    parts: dict[str, Quantity] = {}
    tools: list[str] = []


FAULT_FIELDS = ("skills", "duration_min", "parts", "tools")


def resolve_faults(raw: dict) -> tuple[dict, dict[int, set[str]]]:
    """A copy of a raw scenario whose tickets carry what their fault type needs (own fields win).

    Done before parsing, so everything downstream (eligibility, solver, checker) sees plain
    tickets. Also returns, per ticket index, the fields it took from the catalogue (all of them
    for an unknown type): a problem there is reported once, at the catalogue or the fault.
    """
    faults, tickets = raw.get("faults"), raw.get("tickets")
    if not isinstance(faults, dict) or not isinstance(tickets, list):
        faults = {}
    if not isinstance(tickets, list):
        return raw, {}
    out, borrowed = [], {}
    for i, t in enumerate(tickets):
        kind = t.get("fault") if isinstance(t, dict) else None
        if isinstance(kind, str):
            entry = faults.get(kind)
            given = (
                {k: v for k, v in entry.items() if k in FAULT_FIELDS and k not in t}
                if isinstance(entry, dict)
                else {}
            )
            borrowed[i] = set(given) if kind in faults else set(FAULT_FIELDS) - set(t)
            t = given | t
        out.append(t)
    return raw | {"tickets": out}, borrowed


def _not_borrowed(line: str, borrowed: dict[int, set[str]]) -> bool:
    path = line.split(": ", 1)[0]
    m = re.match(r"tickets\[(\d+)\](?: \(id .*?\))?\.(\w+)", path)
    return not (m and m.group(2) in borrowed.get(int(m.group(1)), ()))


class Depot(_Model):
    id: Annotated[str, Field(min_length=1)]
    location: Location
    parts: dict[str, Quantity] = {}
    tools: list[str] = []
    restock_min: Annotated[float, Field(ge=0, le=MAX_MINUTES)] = 15.0


class Scenario(_Model):
    format: Literal["dispatch-opt.scenario/1"]
    name: str
    now: LocalTime | None = None
    travel: Travel | None = None
    sla: dict[str, SlaTier] | None = None
    engineers: list[Engineer]
    tickets: list[Ticket]
    depots: list[Depot] = []
    faults: dict[str, FaultType] | None = None
    literature: dict[str, Any] | None = None  # extension: where an imported instance came from

    @property
    def tiers(self) -> dict[str, SlaTier]:
        """SLA tiers in rank order (first = most important)."""
        if self.sla:
            return dict(self.sla)
        return {k: SlaTier(arrive_within_h=h) for k, h in DEFAULT_SLA_HOURS.items()}

    @property
    def live_tickets(self) -> list[Ticket]:
        return [t for t in self.tickets if t.status != "done"]

    def deadline(self, ticket: Ticket) -> datetime:
        return ticket.created + timedelta(hours=self.tiers[ticket.priority].hours(ticket.zone))

    @property
    def planning_start(self) -> datetime:
        """`now`, or the earliest shift start when planning ahead."""
        if self.now is not None:
            return self.now
        return min(
            (s.start for e in self.engineers for s in e.shifts),
            default=min((t.created for t in self.tickets), default=datetime(2000, 1, 1)),
        )

    def engineer(self, engineer_id: str) -> Engineer:
        return self._engineers_by_id[engineer_id]

    def ticket(self, ticket_id: str) -> Ticket:
        return self._tickets_by_id[ticket_id]

    def depot(self, depot_id: str) -> Depot:
        return self._depots_by_id[depot_id]

    def model_post_init(self, __context: Any) -> None:
        object.__setattr__(self, "_engineers_by_id", {e.id: e for e in self.engineers})
        object.__setattr__(self, "_tickets_by_id", {t.id: t for t in self.tickets})
        object.__setattr__(self, "_depots_by_id", {d.id: d for d in self.depots})
        # Started work with `started_at`: the planning core reads `duration_min` as the work left
        # at `now`, so it is set to that here, once; `to_dict` gives the document back as written.
        given = {}
        for t in self.tickets:
            if t.status == "started" and t.started_at is not None and self.now is not None:
                given[t.id] = t.duration_min
                object.__setattr__(t, "duration_min", work_left(t, self.now))
        object.__setattr__(self, "_given_duration", given)

    def given_duration_min(self, ticket: Ticket) -> float:
        """`duration_min` as the document gave it: for started work with `started_at` the whole
        job, while the parsed ticket's `duration_min` is the work left at `now`."""
        return self._given_duration.get(ticket.id, ticket.duration_min)

    def to_dict(self) -> dict:
        out = self.model_dump(mode="json", exclude_unset=True)
        for t in out["tickets"]:
            if t["id"] in self._given_duration:
                t["duration_min"] = self._given_duration[t["id"]]
        return out


def work_left(t: Ticket, now: datetime) -> float:
    """Minutes of a started job left at `now` (contract: max(0, started_at + duration_min -
    now))."""
    return max(0.0, t.duration_min - (now - t.started_at).total_seconds() / 60)


# ---------------------------------------------------------------- validation

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


_FIX_BY_FIELD = {
    "format": f"set it to '{SCENARIO_FORMAT}'",
    "duration_min": "give the on-site service time in minutes, greater than 0 (at most a year)",
    "lat": "use decimal degrees between -90 and 90",
    "lon": "use decimal degrees between -180 and 180",
    "priority": "use one of the SLA tier names",
    "max_overtime_min": f"use 0 or a positive number of minutes up to {MAX_MINUTES} (a year)",
    "restock_min": f"use 0 or a positive number of minutes up to {MAX_MINUTES} (a year)",
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
    "missing": "add the field (see CONTRACT.md)",
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


def _pydantic_problems(
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
                or _FIX_BY_TYPE.get(e["type"], "see CONTRACT.md")
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


def _engineer_problems(sc: Scenario) -> list[str]:
    out = []
    for i, e in enumerate(sc.engineers):
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
            out.append(
                f"{where}.priority: got {shown(t.priority)}; not an SLA tier; fix: use one of "
                f"{list(tiers)} "
                f"or add the tier to 'sla'"
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
    return out


def _started_problems(sc: Scenario) -> list[str]:
    out = []
    for i, t in enumerate(sc.tickets):
        if t.started_at is not None and sc.now is not None and t.started_at > sc.now:
            out.append(
                f"tickets[{i}] (id {shown(t.id)}).started_at: {t.started_at.isoformat()} is after "
                f"now "
                f"{sc.now.isoformat()}; fix: give when the work began, at or before now"
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
        + _engineer_problems(sc)
        + _started_problems(sc)
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


def parse_scenario(raw: Any) -> Scenario:
    """Validate a contract-v1 dict; raise ScenarioError listing every problem found."""
    if not isinstance(raw, dict):
        raise ScenarioError(
            [f"scenario: got a JSON {type(raw).__name__}; fix: the top level must be a JSON object"]
        )
    deep = too_deep(raw)
    if deep:
        raise ScenarioError([deep])
    problems = unknown_fields(raw, Scenario)  # on the user's own fields, before the catalogue
    raw, borrowed = resolve_faults(raw)
    try:
        sc = Scenario.model_validate(raw)
    except ValidationError as err:
        lines = [x for x in _pydantic_problems(err, raw) if _not_borrowed(x, borrowed)]
        problems += lines + _raw_problems(raw)
        raise ScenarioError(_at_most(problems)) from None
    problems += _problems(sc)
    if problems:
        raise ScenarioError(_at_most(problems))
    return sc


MAX_PROBLEMS = 200


def _at_most(problems: list[str]) -> list[str]:
    """A broken export can have a hundred thousand problems; the first ones tell what to fix."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = len(problems) - MAX_PROBLEMS
    return problems[:MAX_PROBLEMS] + [
        f"scenario: {more:,} more problems not shown; fix: mend the ones above first (an export "
        f"usually repeats the same fault on every row)"
    ]

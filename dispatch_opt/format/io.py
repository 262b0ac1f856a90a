"""Reading scenarios and plans from files, strings, dicts and pandas frames; writing plans.

I/O never builds solver objects: everything comes back as model or plan objects.
"""

from __future__ import annotations

import difflib
import json
import warnings
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd
from geopy.point import Point

from .plan import Plan
from .scenario import MAX_QUANTITY, PLAN_FORMAT, SCENARIO_FORMAT, Scenario, ScenarioError
from .schema import (
    PlanDocument,
    PlannedRoute,
    RestockStop,
    UnassignedTicket,
    VisitStop,
    fields_of,
)
from .validation import parse_scenario, shown

MAX_BYTES = 256 * 2**20  # far above any real day (large.json is a few MB); refuse, do not swap


def read_json(source: str | PathLike | dict, what: str) -> Any:
    """The JSON document at a path, in a string, or as given; ScenarioError says what is wrong."""
    if not isinstance(source, (str, bytes, PathLike)):
        return source  # already a document (a dict, a list, or a value the parser will name)
    text = str(source)
    if isinstance(source, str) and not text.strip():
        raise ScenarioError(
            [f"{what}: got empty text; fix: give a path to a {what} file or its JSON text"]
        )
    if isinstance(source, str) and text.lstrip()[:1] in ("{", "["):
        name = "the given text"
    else:
        path = Path(source)
        name = str(path) if str(path).isprintable() else repr(str(path))
        try:
            if path.stat().st_size > MAX_BYTES:
                raise ScenarioError(
                    [
                        f"{name}: {path.stat().st_size / 2**20:,.0f} MB is too large a {what} "
                        f"(at most {MAX_BYTES // 2**20} MB); fix: split the work or check the file"
                    ]
                )
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise ScenarioError(
                [f"{name}: cannot read the {what} file ({exc.strerror}); fix: check the path"]
            ) from None
        except UnicodeDecodeError as exc:
            raise ScenarioError(
                [
                    f"{name}: not UTF-8 (byte 0x{exc.object[exc.start]:02x} at position "
                    f"{exc.start}); "
                    f"fix: save the {what} as UTF-8"
                ]
            ) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ScenarioError(
            [
                f"{name}: nested too deeply to be a {what}; fix: write the {what} as "
                f"CONTRACT.md shows"
            ]
        ) from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            [
                f"{name}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                f"fix: save the {what} as UTF-8 JSON"
            ]
        ) from None


def load_scenario(source: str | PathLike | dict | Scenario) -> Scenario:
    """A validated Scenario from a path, a JSON string, a dict or a Scenario; ScenarioError lists
    every problem."""
    if isinstance(source, Scenario):
        return source
    return parse_scenario(read_json(source, "scenario"))


def load_plan(
    source: str | PathLike | dict, scenario: Scenario | None = None, *, what: str = "plan"
) -> Plan:
    """A contract-v1 plan from a path, JSON text or dict; ScenarioError lists every problem.

    With `scenario`, the plan must be one for it (its name, engineers, shifts, tickets and depots):
    a plan given back to re-plan, offer slots or report on must describe this operation, or the
    result would silently be about another one."""
    raw = read_json(source, what)
    problems = plan_problems(raw, scenario, what=what)
    if problems:
        raise ScenarioError(problems)
    try:
        return Plan.from_dict(raw, scenario)
    except (KeyError, TypeError, ValueError) as exc:  # a last line: plan_problems should catch it
        raise ScenarioError(
            [
                f"{what}: cannot be read as contract v1 ({type(exc).__name__}: {exc}); "
                f"fix: write the plan as CONTRACT.md describes"
            ]
        ) from None


_PLAN_FIELDS = fields_of(PlanDocument)
_ROUTE_FIELDS = fields_of(PlannedRoute)
_STOP_FIELDS = tuple(dict.fromkeys(fields_of(VisitStop) + fields_of(RestockStop)))
_UNASSIGNED_FIELDS = fields_of(UnassignedTicket)


def plan_problems(raw: Any, scenario: Scenario | None = None, *, what: str = "plan") -> list[str]:
    """What keeps `raw` from being a contract-v1 plan (and, with `scenario`, one for that scenario):
    one line per problem naming the field and the fix. Hard rules are the checker's business."""
    if not isinstance(raw, dict):
        return [f"{what}: got a JSON {type(raw).__name__}; fix: give a plan (a JSON object)"]
    if raw.get("format") != PLAN_FORMAT:
        kind = "a scenario, not a plan" if raw.get("format") == SCENARIO_FORMAT else "not a plan"
        return [
            f"{what}.format: got {raw.get('format')!r}; this is {kind}; "
            f"fix: give a plan file (format {PLAN_FORMAT!r})"
        ]
    out = _unknown(raw, _PLAN_FIELDS, what)
    refs = None if scenario is None else _Refs(scenario)
    if scenario is not None and raw.get("scenario", scenario.name) != scenario.name:
        out.append(
            f"{what}.scenario: made for {raw.get('scenario')!r}, not {scenario.name!r}; "
            f"fix: give the plan made for this scenario"
        )
    for key in ("routes", "unassigned"):
        if not isinstance(raw.get(key, []), list):
            out.append(f"{what}.{key}: got a {type(raw[key]).__name__}; fix: make it a JSON list")
    routes = raw.get("routes") if isinstance(raw.get("routes"), list) else []
    for i, r in enumerate(routes):
        out += _route_problems(r, f"{what}.routes[{i}]", refs)
    unassigned = raw.get("unassigned") if isinstance(raw.get("unassigned"), list) else []
    for i, u in enumerate(unassigned):
        where = f"{what}.unassigned[{i}]"
        if not isinstance(u, dict) or not isinstance(u.get("ticket"), str):
            out.append(f"{where}: needs a 'ticket' id; fix: give each entry a ticket and a reason")
            continue
        out += _unknown(u, _UNASSIGNED_FIELDS, where)
        out += _ticket_ref(u["ticket"], f"{where}.ticket", refs)
    return out


def _unknown(raw: dict, known: tuple[str, ...], where: str) -> list[str]:
    out = []
    for key in raw:
        if key in known or str(key).startswith("x_"):
            continue
        near = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        hint = f"did you mean {near[0]!r}? " if near else ""
        fix = f"rename it {near[0]!r}" if near else f"use one of {', '.join(known)}"
        out.append(f"{where}.{key}: unknown field; {hint}fix: {fix} (or prefix it with x_)")
    return out


class _Refs:
    """The ids a plan for this scenario may name: tickets, engineers (and shift counts), depots."""

    def __init__(self, sc: Scenario):
        self.tickets = {t.id for t in sc.tickets}
        self.shifts = {e.id: len(e.shifts) for e in sc.engineers}
        self.depots = {d.id for d in sc.depots}


def _ticket_ref(tid: Any, where: str, refs: _Refs | None) -> list[str]:
    if refs is None or (isinstance(tid, str) and tid in refs.tickets):
        return []
    return [f"{where}: got {tid!r}; no such ticket in the scenario; fix: give the plan made for it"]


def _time_problem(value: Any, where: str) -> list[str]:
    try:
        ok = isinstance(value, str) and datetime.fromisoformat(value).tzinfo is None
    except ValueError:
        ok = False
    return (
        []
        if ok
        else [f"{where}: got {value!r}; fix: write a local date-time such as 2026-11-23T09:00"]
    )


def _route_problems(r: Any, where: str, refs: _Refs | None) -> list[str]:
    if not isinstance(r, dict):
        return [f"{where}: got a {type(r).__name__}; fix: give each route as a JSON object"]
    out = _unknown(r, _ROUTE_FIELDS, where)
    eid, k = r.get("engineer"), r.get("shift", 0)
    if not isinstance(eid, str) or (refs is not None and eid not in refs.shifts):
        out.append(
            f"{where}.engineer: got {eid!r}; no such engineer; fix: give the plan made for it"
        )
    elif type(k) is not int or k < 0 or (refs is not None and k >= refs.shifts[eid]):
        out.append(f"{where}.shift: got {k!r}; {eid} has no such shift; fix: use a shift index")
    stops = r.get("stops", [])
    if not isinstance(stops, list):
        return out + [f"{where}.stops: got a {type(stops).__name__}; fix: make it a JSON list"]
    if stops:
        out += _time_problem(r.get("depart"), f"{where}.depart")
        out += _time_problem(r.get("return"), f"{where}.return")
    for j, s in enumerate(stops):
        w = f"{where}.stops[{j}]"
        if not isinstance(s, dict) or s.get("type") not in ("visit", "restock", "break"):
            out.append(f"{w}: not a stop; fix: give type visit, restock or break")
            continue
        out += _unknown(s, _STOP_FIELDS, w)
        for key in ("start", "end") + (("arrival",) if "arrival" in s else ()):
            out += _time_problem(s.get(key), f"{w}.{key}")
        if s["type"] == "visit":
            if not isinstance(s.get("ticket"), str):
                out.append(f"{w}.ticket: got {s.get('ticket')!r}; fix: give the ticket id")
            else:
                out += _ticket_ref(s["ticket"], f"{w}.ticket", refs)
        elif s["type"] == "restock":
            depot = s.get("depot")
            if not isinstance(depot, str) or (refs is not None and depot not in refs.depots):
                out.append(f"{w}.depot: got {depot!r}; no such depot; fix: give a depot id")
            if not isinstance(s.get("parts", {}), dict) or not isinstance(s.get("tools", []), list):
                out.append(f"{w}: parts must be an object and tools a list; fix: see CONTRACT.md")
            for part, q in (s["parts"] if isinstance(s.get("parts"), dict) else {}).items():
                if type(q) is not int or not 0 <= q <= MAX_QUANTITY:
                    out.append(
                        f"{w}.parts.{part}: got {shown(q)}; fix: give a whole quantity from 0 to "
                        f"{MAX_QUANTITY:,}"
                    )
    return out


def save_plan(plan: Plan, path: str | PathLike) -> None:
    Path(path).write_text(plan.to_json() + "\n", encoding="utf-8")


def _split(value: Any) -> list[str]:
    if _empty(value):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [s.strip() for s in str(value).replace(";", ",").split(",") if s.strip()]


def _empty(value: Any) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array in a cell
        return False


def _location(table: "_Table", i: int, row: dict) -> dict | None:
    """{lat, lon} from `lat`/`lon` columns, or one `location` column in any format geopy.Point
    reads ("44.49, 11.34", "44°29'N 11°20'E"), as exports from ticketing systems carry it."""
    if "lat" in row or "lon" in row:
        return {"lat": table.cell(i, row, "lat"), "lon": table.cell(i, row, "lon")}
    text = table.cell(i, row, "location")
    if text is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # geopy warns before refusing an out-of-range latitude
            point = Point(text)
    except ValueError as exc:
        table.problems.append(
            f"{table.where(i, row)}.location: got {text!r}; {exc}; fix: write latitude, "
            "longitude in degrees, e.g. '44.49, 11.34' or 44°29'N 11°20'E"
        )
        return None
    return {"lat": point.latitude, "lon": point.longitude}


def _required(frame: Any, columns: dict, alternatives: dict[str, tuple[str, ...]]) -> dict:
    """The required columns of this export: a column stands in for others when present (one
    `location` for `lat` and `lon`; a `fault` type for `duration_min`)."""
    have = {str(c) for c in frame.columns} if isinstance(frame, pd.DataFrame) else set()
    dropped = {c for alt, cols in alternatives.items() if alt in have for c in cols}
    return {k: v for k, v in columns.items() if k not in dropped}


class _Table:
    """One exported table read row by row: every bad column or cell becomes one field-named line,
    never a pandas or numpy exception (a planner fixes the export, not the code)."""

    def __init__(self, name: str, frame: Any, required: dict, optional: dict, prefixes: tuple):
        self.name, self.problems, self.rows = name, [], []
        self.required, self.kinds = set(required), {**required, **optional}
        if not isinstance(frame, pd.DataFrame):
            self.problems.append(
                f"{name}: got a {type(frame).__name__}; fix: pass a pandas DataFrame"
            )
            return
        columns = [str(c) for c in frame.columns]
        known = list(required) + list(optional)
        for c in columns:
            if c in known or c.startswith(prefixes) or c.startswith("x_"):
                continue
            near = difflib.get_close_matches(c, known, n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}? " if near else ""
            fix = f"rename it {near[0]!r}" if near else f"use {', '.join(known)}"
            self.problems.append(
                f"{name}.{c}: unknown column; {hint}fix: {fix} (or prefix it with x_)"
            )
        for c in required:
            if c not in columns:
                fix = _MISSING_FIX.get(c, "add the column")
                self.problems.append(f"{name}.{c}: missing column; fix: {fix}")
        if not self.problems:
            frame = frame.set_axis(columns, axis=1)
            self.rows = frame.to_dict("records")

    def where(self, i: int, row: dict) -> str:
        rid = row.get("id")
        return f"{self.name} row {i}" + ("" if _empty(rid) else f" (id {str(rid)!r})")

    def cell(self, i: int, row: dict, col: str, kind: str | None = None, default: Any = None):
        """The cell converted to its kind; None (and a problem line, if required) when unusable."""
        kind = kind or self.kinds[col]
        value = row.get(col)
        if _empty(value):
            if col in self.required:
                self.problems.append(f"{self.where(i, row)}.{col}: empty cell; fix: fill it in")
            return default
        try:
            return _convert(value, kind)
        except (TypeError, ValueError, OverflowError):
            self.problems.append(
                f"{self.where(i, row)}.{col}: got {value!r}; fix: {_KIND_FIX[kind]}"
            )
            return None


_MISSING_FIX = {
    "lat": "give lat and lon columns, or one 'location' column",
    "lon": "give lat and lon columns, or one 'location' column",
    "duration_min": "give duration_min, or a fault column with faults={...}",
}
_KIND_FIX = {
    "text": "give text",
    "number": "give a number",
    "whole": "give a whole number",
    "time": "give a date-time such as 2026-11-23T09:00",
}


def _convert(value: Any, kind: str) -> Any:
    if kind == "text":
        if isinstance(value, float) and value.is_integer():
            return str(int(value))  # ids read as numbers by pandas
        if isinstance(value, (dict, list, tuple, set)):
            raise TypeError("not text")
        return str(value)
    if isinstance(value, (bool, str)) and kind in ("number", "whole"):
        value = float(value) if isinstance(value, str) else None
    if kind == "number":
        return float(value)
    if kind == "whole":
        x = float(value)
        if not x.is_integer():
            raise ValueError("not whole")
        return int(x)
    if isinstance(value, str):
        return value  # the model validates the text and names the field
    return pd.Timestamp(value).isoformat()


_ENGINEER_COLUMNS = {"id": "text", "lat": "number", "lon": "number"}
_ENGINEER_COLUMNS |= {"shift_start": "time", "shift_end": "time"}
_ENGINEER_OPTIONAL = {
    "location": "text",
    "skills": "text",
    "tools": "text",
    "max_overtime_min": "number",
    "break_start": "time",
    "break_end": "time",
    "break_min": "number",
}
_TICKET_COLUMNS = {"id": "text", "lat": "number", "lon": "number", "created": "time"}
_TICKET_COLUMNS |= {"priority": "text", "duration_min": "number"}
_TICKET_OPTIONAL = {
    "skills": "text",
    "tools": "text",
    "window_start": "time",
    "window_end": "time",
    "engineer": "text",
    "zone": "text",
    "status": "text",
    "started_at": "time",
    "location": "text",
    "fault": "text",
    "preferred_engineer": "text",
}


def scenario_from_frames(
    engineers: pd.DataFrame,
    tickets: pd.DataFrame,
    *,
    name: str = "from-frames",
    depots: list[dict] | None = None,
    sla: dict | None = None,
    now: Any = None,
    travel: dict | None = None,
    faults: dict | None = None,
) -> Scenario:
    """A scenario from the tables a ticketing system exports.

    Coordinates are `lat` and `lon` columns, or one `location` column in any format geopy reads
    ("44.49, 11.34", "44°29'N 11°20'E", "44 29m N, 11 20m E").
    engineers: id, lat, lon, shift_start, shift_end (one row per shift; repeated ids give several
    shifts), optional skills ("a,b"), tools, max_overtime_min, break_start, break_end, break_min,
    and van_<part> columns. tickets: id, lat, lon, created, priority, duration_min, optional
    skills, tools, window_start, window_end, engineer, zone, status, started_at, fault,
    preferred_engineer, and part_<part> columns (quantity used). With `faults` (the catalogue), a
    ticket with a fault type may leave out duration, skills, tools and parts: empty cells are
    taken from its fault type. `x_` columns are ignored. A missing or misspelt column, an empty
    required cell or a cell of the wrong type is one line each in the ScenarioError.
    """
    by_location = {"location": ("lat", "lon")}
    et = _Table(
        "engineers",
        engineers,
        _required(engineers, _ENGINEER_COLUMNS, by_location),
        {**_ENGINEER_OPTIONAL, **_ENGINEER_COLUMNS},
        ("van_",),
    )
    tt = _Table(
        "tickets",
        tickets,
        _required(tickets, _TICKET_COLUMNS, {**by_location, "fault": ("duration_min",)}),
        {**_TICKET_OPTIONAL, **_TICKET_COLUMNS},
        ("part_",),
    )
    engs: dict[str, dict] = {}
    for i, row in enumerate(et.rows):
        eid = et.cell(i, row, "id")
        start = _location(et, i, row)
        shift = {"start": et.cell(i, row, "shift_start"), "end": et.cell(i, row, "shift_end")}
        van = {
            k[4:]: et.cell(i, row, k, "whole", 0)
            for k in row
            if k.startswith("van_") and not _empty(row[k])
        }
        if eid is None:
            continue
        e = engs.setdefault(
            eid,
            {
                "id": eid,
                "start": start,
                "shifts": [],
                "skills": _split(row.get("skills")),
                "tools": _split(row.get("tools")),
                "max_overtime_min": et.cell(i, row, "max_overtime_min", default=0.0),
                "van": van,
                "breaks": [],
            },
        )
        e["shifts"].append(shift)
        if not _empty(row.get("break_start")):
            e["breaks"].append(
                {
                    "start": et.cell(i, row, "break_start"),
                    "end": et.cell(i, row, "break_end", default=None),
                    "duration_min": et.cell(i, row, "break_min", default=30.0),
                }
            )
    out_tickets = []
    for i, row in enumerate(tt.rows):
        fault = None if _empty(row.get("fault")) else tt.cell(i, row, "fault")
        t = {
            "id": tt.cell(i, row, "id"),
            "location": _location(tt, i, row),
            "created": tt.cell(i, row, "created"),
            "priority": tt.cell(i, row, "priority"),
        }
        if not _empty(row.get("duration_min")) or fault is None:
            t["duration_min"] = tt.cell(i, row, "duration_min", "number")
        for key in ("skills", "tools"):  # empty with a fault type: taken from the catalogue
            if not _empty(row.get(key)) or fault is None:
                t[key] = _split(row.get(key))
        parts = {
            k[5:]: q
            for k in row
            if k.startswith("part_") and not _empty(row[k])
            for q in [tt.cell(i, row, k, "whole", 0)]
            if q
        }
        if parts or fault is None:
            t["parts"] = parts
        if not _empty(row.get("window_start")):
            t["windows"] = [
                {"start": tt.cell(i, row, "window_start"), "end": tt.cell(i, row, "window_end")}
            ]
        for key in ("engineer", "zone", "status", "started_at", "fault", "preferred_engineer"):
            if not _empty(row.get(key)):
                t[key] = tt.cell(i, row, key)
        out_tickets.append(t)
    problems = et.problems + tt.problems
    if problems:
        raise ScenarioError(problems)
    raw: dict[str, Any] = {
        "format": SCENARIO_FORMAT,
        "name": name,
        "engineers": list(engs.values()),
        "tickets": out_tickets,
        "depots": depots or [],
    }
    for key, value in (
        ("sla", sla),
        ("travel", travel),
        ("now", None if now is None else _convert(now, "time")),
        ("faults", faults),
    ):
        if value is not None:
            raw[key] = value
    return parse_scenario(raw)

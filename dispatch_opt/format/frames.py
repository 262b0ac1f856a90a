"""A scenario from the tables a ticketing system exports (pandas frames): every bad column, cell
or rule of the scenario is one line naming the table, the spreadsheet row and the column, all in
one pass, so a planner mends the export once."""

from __future__ import annotations

import difflib
import re
import warnings
from typing import Any

import pandas as pd
from geopy.point import Point

from .scenario import SCENARIO_FORMAT, Scenario, ScenarioError
from .validation import at_most, parse_scenario


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
        table.bad.add((i, "location"))
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


ROWS_NOTE = "rows as a spreadsheet numbers them: header row 1, first data row 2"


class _Table:
    """One exported table read row by row: every bad column or cell becomes one field-named line,
    never a pandas or numpy exception (a planner fixes the export, not the code). Rows are numbered
    as a spreadsheet shows them (the header is row 1), and every problem is found in one pass:
    bad columns do not stop the rows from being read."""

    def __init__(self, name: str, frame: Any, required: dict, optional: dict, prefixes: tuple):
        self.name, self.problems, self.rows = name, [], []
        self.required, self.kinds = set(required), {**required, **optional}
        self.missing: set[str] = set()  # required columns absent: not reported again per row
        self.bad: set[tuple[int, str]] = set()  # (row index, column) already reported
        if not isinstance(frame, pd.DataFrame):
            self.problems.append(
                f"{name}: got a {type(frame).__name__}; fix: pass a pandas DataFrame"
            )
            return
        columns = [str(c) for c in frame.columns]
        known = list(required) + list(optional)
        unknown = []
        for c in columns:
            if c in known or c.startswith(prefixes) or c.startswith("x_"):
                continue
            unknown.append(c)
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
                self.missing.add(c)
        frame = frame.set_axis(columns, axis=1).drop(columns=unknown)
        self.rows = frame.to_dict("records")

    def where(self, i: int, row: dict) -> str:
        rid = row.get("id")
        return f"{self.name} row {i + 2}" + ("" if _empty(rid) else f" (id {str(rid)!r})")

    def cell(self, i: int, row: dict, col: str, kind: str | None = None, default: Any = None):
        """The cell converted to its kind; None (and a problem line, if required) when unusable."""
        kind = kind or self.kinds[col]
        value = row.get(col)
        if _empty(value):
            if col in self.required and col not in self.missing and (i, col) not in self.bad:
                self.bad.add((i, col))
                self.problems.append(f"{self.where(i, row)}.{col}: empty cell; fix: fill it in")
            return default
        try:
            return _convert(value, kind)
        except (TypeError, ValueError, OverflowError):
            if (i, col) not in self.bad:
                self.bad.add((i, col))
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
    rows_of: dict[str, list[int]] = {}  # engineer id -> the rows of its shifts, in order
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
        rows_of.setdefault(eid, []).append(i)
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
    problems = et.problems + tt.problems
    try:
        sc = parse_scenario(raw)
    except ScenarioError as exc:  # in the export's terms: table, spreadsheet row, column
        rows = _Rows(et, tt, list(engs), rows_of)
        problems += [x for line in exc.problems if (x := rows.line(line)) is not None]
    if problems:
        first = next((k for k, p in enumerate(problems) if " row " in p.split(": ", 1)[0]), None)
        if first is not None:
            problems[first] += f" ({ROWS_NOTE})"
        raise ScenarioError(at_most(problems))
    return sc


class _Rows:
    """A scenario problem line (`tickets[3] (id 'T4').duration_min: ...`) told in the export's
    terms (`tickets row 5 (id 'T4').duration_min: ...`), or None when the frames already said it
    (a bad or empty cell, a missing column)."""

    PATH = re.compile(
        r"^(engineers|tickets)\[(\d+)\](?: \(id .*?\))?((?:\.\w+|\[\d+\])*)(.*)$", re.S
    )

    def __init__(self, et: "_Table", tt: "_Table", engineer_ids: list[str], rows_of: dict):
        self.tables = {"engineers": et, "tickets": tt}
        self.engineer_ids, self.rows_of = engineer_ids, rows_of

    def line(self, line: str) -> str | None:
        m = self.PATH.match(line)
        if m is None:
            return line
        kind, index, rest, tail = m.group(1), int(m.group(2)), m.group(3), m.group(4)
        table = self.tables[kind]
        parts = re.findall(r"\.(\w+)|\[(\d+)\]", rest)
        names = [a for a, _ in parts if a]
        numbers = [int(b) for _, b in parts if b]
        row = index
        if kind == "engineers":  # one engineer, several rows: the row of that shift (or break)
            eid = self.engineer_ids[index] if index < len(self.engineer_ids) else None
            rows = self.rows_of.get(eid, [0])
            nth = numbers[0] if names[:1] == ["shifts"] and numbers else 0
            row = rows[nth] if nth < len(rows) else rows[0]
        column = _column(kind, names)
        # a coordinate problem is one of the location's columns: said once, by whichever came first
        columns = {"lat", "lon", "location"} if column in ("lat", "lon", "location") else {column}
        if columns & table.missing or {(row, c) for c in columns} & table.bad:
            return None
        data = table.rows[row] if row < len(table.rows) else {}
        return f"{table.where(row, data)}.{column}{tail}"


def _column(kind: str, names: list[str]) -> str:
    """The export column a scenario field comes from."""
    if not names:
        return "id"
    head, sub = names[0], (names[1] if len(names) > 1 else "")
    if head in ("location", "start"):
        return sub if sub in ("lat", "lon") else "location"
    if head == "shifts":
        return f"shift_{sub or 'start'}"
    if head == "breaks":
        return {"start": "break_start", "end": "break_end"}.get(sub, "break_min")
    if head == "windows":
        return f"window_{sub or 'start'}"
    if head in ("van", "parts") and sub:
        return f"{'van' if head == 'van' else 'part'}_{sub}"
    return head

"""Reading scenarios and plans from files, strings, dicts and pandas frames; writing plans.

I/O never builds solver objects: everything comes back as model or plan objects.
"""

from __future__ import annotations

import json
import warnings
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd
from geopy.point import Point

from .model import SCENARIO_FORMAT, Scenario, ScenarioError, parse_scenario
from .plan import Plan


def read_json(source: str | PathLike | dict, what: str) -> Any:
    if isinstance(source, (dict, list)):
        return source
    text = str(source)
    if isinstance(source, str) and text.lstrip()[:1] in ("{", "["):
        name = "the given text"
    else:
        path = Path(source)
        name = str(path)
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise ScenarioError(
                [f"{name}: cannot read the {what} file ({exc.strerror}); fix: check the path"]
            ) from None
        except UnicodeDecodeError as exc:
            raise ScenarioError(
                [
                    f"{name}: not UTF-8 (byte 0x{exc.object[exc.start]:02x} at position {exc.start}); "
                    f"fix: save the {what} as UTF-8"
                ]
            ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            [
                f"{name}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                f"fix: save the {what} as UTF-8 JSON"
            ]
        ) from None


def load_scenario(source: str | PathLike | dict | Scenario) -> Scenario:
    """A validated Scenario from a path, a JSON string, a dict or a Scenario; ScenarioError lists every problem."""
    if isinstance(source, Scenario):
        return source
    return parse_scenario(read_json(source, "scenario"))


def load_plan(source: str | PathLike | dict, scenario: Scenario | None = None) -> Plan:
    raw = read_json(source, "plan")
    try:
        return Plan.from_dict(raw, scenario)
    except (KeyError, TypeError, ValueError) as exc:
        raise ScenarioError(
            [
                f"plan: cannot be read as contract v1 ({type(exc).__name__}: {exc}); "
                f"fix: write the plan as CONTRACT.md describes"
            ]
        ) from None


def save_plan(plan: Plan, path: str | PathLike) -> None:
    Path(path).write_text(plan.to_json() + "\n", encoding="utf-8")


def _split(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [s.strip() for s in str(value).replace(";", ",").split(",") if s.strip()]


def _clean(row: dict) -> dict:
    return {
        k: v for k, v in row.items() if not (v is None or (isinstance(v, float) and pd.isna(v)))
    }


def _latlon(row: dict, where: str, column: str = "location") -> dict:
    """{lat, lon} from `lat`/`lon` columns, or one `location` column in any format geopy.Point
    reads ("44.49, 11.34", "44°29'N 11°20'E"), as exports from ticketing systems carry it."""
    if "lat" in row and "lon" in row:
        return {"lat": float(row["lat"]), "lon": float(row["lon"])}
    if column not in row:
        raise ScenarioError(
            [f"{where}: no coordinates; fix: give lat and lon columns, or one '{column}' column"]
        )
    text = str(row[column])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # geopy warns before refusing an out-of-range latitude
            point = Point(text)
    except ValueError as exc:
        raise ScenarioError(
            [
                f"{where}.{column}: got {text!r}; {exc}; fix: write latitude, longitude "
                "in degrees, e.g. '44.49, 11.34' or 44°29'N 11°20'E"
            ]
        ) from None
    return {"lat": point.latitude, "lon": point.longitude}


def _time(value: Any) -> str:
    return pd.Timestamp(value).isoformat() if not isinstance(value, str) else value


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
    and van_<part> columns.
    tickets: id, lat, lon, created, priority, duration_min, optional skills, tools, window_start,
    window_end, engineer, zone, status, fault, preferred_engineer, and part_<part> columns
    (quantity used). With `faults` (the catalogue), a ticket with a fault type may leave out
    duration, skills, tools and parts: empty cells are taken from its fault type.
    """
    engs: dict[str, dict] = {}
    for i, row in enumerate(engineers.to_dict("records")):
        row = _clean(row)
        e = engs.setdefault(
            str(row["id"]),
            {
                "id": str(row["id"]),
                "start": _latlon(row, f"engineers row {i} (id {str(row['id'])!r})"),
                "shifts": [],
                "skills": _split(row.get("skills")),
                "tools": _split(row.get("tools")),
                "max_overtime_min": float(row.get("max_overtime_min", 0)),
                "van": {k[4:]: int(v) for k, v in row.items() if k.startswith("van_")},
                "breaks": [],
            },
        )
        e["shifts"].append({"start": _time(row["shift_start"]), "end": _time(row["shift_end"])})
        if "break_start" in row:
            e["breaks"].append(
                {
                    "start": _time(row["break_start"]),
                    "end": _time(row["break_end"]),
                    "duration_min": float(row.get("break_min", 30)),
                }
            )
    out_tickets = []
    for i, row in enumerate(tickets.to_dict("records")):
        row = _clean(row)
        t = {
            "id": str(row["id"]),
            "location": _latlon(row, f"tickets row {i} (id {str(row['id'])!r})"),
            "created": _time(row["created"]),
            "priority": str(row["priority"]),
        }
        if "duration_min" in row:
            t["duration_min"] = float(row["duration_min"])
        for key in ("skills", "tools"):
            if key in row or "fault" not in row:
                t[key] = _split(row.get(key))
        parts = {k[5:]: int(v) for k, v in row.items() if k.startswith("part_") and v}
        if parts or "fault" not in row:
            t["parts"] = parts
        if "window_start" in row:
            t["windows"] = [{"start": _time(row["window_start"]), "end": _time(row["window_end"])}]
        for key in ("engineer", "zone", "status", "fault", "preferred_engineer"):
            if key in row:
                t[key] = str(row[key])
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
        ("now", None if now is None else _time(now)),
        ("faults", faults),
    ):
        if value is not None:
            raw[key] = value
    return parse_scenario(raw)

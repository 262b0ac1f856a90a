"""Reading scenarios and plans from files, strings, dicts and pandas frames; writing plans.

I/O never builds solver objects: everything comes back as model or plan objects.
"""

from __future__ import annotations

import difflib
import json
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Any

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
from .validation import FORMAT_DOC, parse_scenario

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
                f"{name}: nested too deeply to be a {what}; fix: write the {what} as the format "
                f"shows ({FORMAT_DOC})"
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

    With `scenario`, the plan must be one for it: what it plans (its engineers, shifts, tickets and
    depots) must be in the scenario, or the result would silently be about another operation. The
    scenario's free-text name may differ (a copy of the day saved under another name): that is a
    note on the plan, not an error."""
    raw = read_json(source, what)
    problems = plan_problems(raw, scenario, what=what)
    if problems:
        raise ScenarioError(problems)
    try:
        plan = Plan.from_dict(raw, scenario)
    except (KeyError, TypeError, ValueError) as exc:  # a last line: plan_problems should catch it
        raise ScenarioError(
            [
                f"{what}: cannot be read as contract v1 ({type(exc).__name__}: {exc}); "
                f"fix: write the plan as the format describes ({FORMAT_DOC})"
            ]
        ) from None
    named = raw.get("scenario")
    if scenario is not None and isinstance(named, str) and named != scenario.name:
        plan.notes.append(
            f"{what}.scenario: made for {named!r}, given with {scenario.name!r}; matched by what "
            f"it plans (engineers, shifts, tickets), which the scenario has"
        )
    return plan


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
    if not isinstance(raw.get("scenario", ""), str):
        out.append(f"{what}.scenario: got {raw['scenario']!r}; fix: give the scenario's name")
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
                out.append(f"{w}: parts must be an object and tools a list; fix: {FORMAT_DOC}")
                continue
            out += _pickup_problems(s, w)
    return out


def _pickup_problems(s: dict, where: str) -> list[str]:
    """A restock's parts are whole quantities a depot could hold and its tools names: the plan is
    a warm start whose numbers reach the solver's integer arrays."""
    out = []
    for part, q in s.get("parts", {}).items():
        if type(q) is not int or not 0 <= q <= MAX_QUANTITY:
            out.append(
                f"{where}.parts.{part}: got {q!r}; fix: give a whole number of parts from 0 to "
                f"{MAX_QUANTITY:,}"
            )
    for k, tool in enumerate(s.get("tools", [])):
        if not isinstance(tool, str):
            out.append(f"{where}.tools[{k}]: got {tool!r}; fix: give tool names (text)")
    return out


def save_plan(plan: Plan, path: str | PathLike) -> None:
    Path(path).write_text(plan.to_json() + "\n", encoding="utf-8")

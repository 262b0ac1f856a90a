"""What happens during the day, as data: events that change a scenario before a re-plan.

Events are JSON objects with a `type` and the moment `at` they became known; they are validated
like scenarios (every problem named with its path and a fix) and applied in time order. Applying
moves the scenario's `now` to the latest event, so a re-plan starts from there.

A ticket reported `started` gets `started_at` (the event's `at`), so the work left at a later
`now` is what remains of `duration_min`; a job overrun makes the job end at the expected end (from
`started_at`, or, for a started ticket without it, `duration_min` becomes the minutes from `now`),
and the appointment windows are cleared: they were met when the work started.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .scenario import (
    LocalTime,
    Location,
    Scenario,
    ScenarioError,
    Ticket,
    TimeWindow,
)
from .validation import parse_scenario, pydantic_problems, unknown_fields


class _Event(BaseModel):
    # extra="allow" keeps `x_` fields; any other unknown field is refused by `unknown_fields` first
    model_config = ConfigDict(frozen=True, extra="allow", allow_inf_nan=False)
    at: LocalTime


class NewTicket(_Event):
    """A customer called: a ticket to plan (its `created` defaults to `at`)."""

    type: Literal["new_ticket"]
    ticket: dict[str, Any]


class CancelTicket(_Event):
    """The customer cancelled: the ticket leaves the scenario (not once work has started)."""

    type: Literal["cancel_ticket"]
    ticket: str


class EngineerUnavailable(_Event):
    """Sick call or breakdown: the engineer works no more from `since` (default `at`) until `until`
    (default: the end of the plan). Their en-route and started tickets are released to the
    others."""

    type: Literal["engineer_unavailable"]
    engineer: str
    since: LocalTime | None = None
    until: LocalTime | None = None


class JobOverrun(_Event):
    """A started job will end at `expected_end`, not when planned. A break it runs into is taken
    after it; past the end of the shift, the engineer's overtime allowance grows to finish it (and
    an hour home)."""

    type: Literal["job_overrun"]
    ticket: str
    expected_end: LocalTime


class PositionUpdate(_Event):
    """Where an engineer is now (from the van's tracker)."""

    type: Literal["position_update"]
    engineer: str
    position: Location


class WindowChange(_Event):
    """The customer agreed other appointment windows (an empty list: any time)."""

    type: Literal["window_change"]
    ticket: str
    windows: list[TimeWindow]


class TicketStatus(_Event):
    """The field reports progress: en route to, started or done with a ticket (with `engineer`)."""

    type: Literal["ticket_status"]
    ticket: str
    status: Literal["en_route", "started", "done"]
    engineer: str | None = None
    crew_engineers: list[str] | None = None  # a crew visit: everyone on it, the lead first


class Pin(_Event):
    """The dispatcher moved a ticket by hand: it stays with `engineer` (in that `shift`, starting
    at `start`, when given) in every re-plan until unpinned. Carried by the contract's own fields:
    `engineer` becomes required and `windows` narrow to the shift or the start's minute."""

    type: Literal["pin"]
    ticket: str
    engineer: str
    shift: Annotated[int, Field(ge=0)] | None = None
    start: LocalTime | None = None


class Unpin(_Event):
    """The hand move is undone: the ticket gets back the engineer and windows it had."""

    type: Literal["unpin"]
    ticket: str


_EVENT_MODELS = (
    NewTicket,
    CancelTicket,
    EngineerUnavailable,
    JobOverrun,
    PositionUpdate,
    WindowChange,
    TicketStatus,
    Pin,
    Unpin,
)
Event = Annotated[Union[_EVENT_MODELS], Field(discriminator="type")]
_EVENTS = TypeAdapter(list[Event])
EVENT_TYPES = (
    "new_ticket",
    "cancel_ticket",
    "engineer_unavailable",
    "job_overrun",
    "position_update",
    "window_change",
    "ticket_status",
    "pin",
    "unpin",
)


def parse_events(raw: Any) -> list:
    """Validated events, in time order (stable for equal times); ScenarioError lists every
    problem."""
    if isinstance(raw, dict) and "events" in raw:
        raw = raw["events"]
    if not isinstance(raw, list):
        raise ScenarioError(
            [
                f"events: got a JSON {type(raw).__name__}; fix: give a list of events "
                f"(or an object with an `events` list)"
            ]
        )
    problems = _unknown_event_fields(raw)
    try:
        events = _EVENTS.validate_python(raw)
    except ValidationError as err:
        fixes = {"union_tag_invalid": f"use one of {', '.join(EVENT_TYPES)}"}
        problems += [f"events{p}" for p in pydantic_problems(err, raw, fixes)]
    if problems:
        raise ScenarioError(problems)
    return sorted(events, key=lambda e: e.at)


def _unknown_event_fields(raw: list) -> list[str]:
    """Unknown fields of each event, and of the ticket a `new_ticket` event carries."""
    by_type = {m.model_fields["type"].annotation.__args__[0]: m for m in _EVENT_MODELS}
    out = []
    for i, ev in enumerate(raw):
        kind = ev.get("type") if isinstance(ev, dict) else None
        model = by_type.get(kind) if isinstance(kind, str) else None
        if model is None:
            continue  # not an object or no known type: the structure check says so
        out += unknown_fields(ev, model, f"events[{i}]", meta=())
        if model is NewTicket:
            out += unknown_fields(ev.get("ticket"), Ticket, f"events[{i}].ticket")
    return out


def apply_events(scenario: Scenario | dict, events: Any) -> Scenario:
    """The scenario as it stands after the events (validated; the input is not changed)."""
    raw = copy.deepcopy(scenario.to_dict() if isinstance(scenario, Scenario) else scenario)
    parsed = parse_events(events)
    problems: list[str] = []
    for i, ev in enumerate(parsed):
        where = f"events[{i}] ({ev.type} at {ev.at:%H:%M})"
        try:
            _APPLY[ev.type](raw, ev)
        except _Refused as exc:
            problems.append(f"{where}: {exc}")
            continue
        if raw.get("now") is None or _t(raw["now"]) < ev.at:
            raw["now"] = _iso(ev.at)
    if problems:
        raise ScenarioError(problems)
    return parse_scenario(raw)


# ---------------------------------------------------------------- one function per event type


class _Refused(Exception):
    """An event that cannot apply to this scenario; the message names the fix."""


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def _find(raw: dict, kind: str, item_id: str) -> dict:
    for x in raw.get(kind, []):
        if x.get("id") == item_id:
            return x
    raise _Refused(
        f"unknown {kind[:-1]} {item_id!r}; fix: use the id of a {kind[:-1]} in the scenario"
    )


def _new_ticket(raw: dict, ev: NewTicket) -> None:
    t = dict(ev.ticket)
    if any(x.get("id") == t.get("id") for x in raw["tickets"]):
        raise _Refused(
            f"ticket id {t.get('id')!r} already exists; fix: give the new ticket a unique id"
        )
    t.setdefault("created", _iso(ev.at))
    raw["tickets"].append(t)


def _cancel_ticket(raw: dict, ev: CancelTicket) -> None:
    t = _find(raw, "tickets", ev.ticket)
    if t.get("status") in ("started", "done"):
        raise _Refused(
            f"ticket {ev.ticket!r} is {t['status']}; fix: a job under way or done cannot be "
            f"cancelled"
            f"{'; report it done (ticket_status) instead' if t['status'] == 'started' else ''}"
        )
    raw["tickets"].remove(t)


def _engineer_unavailable(raw: dict, ev: EngineerUnavailable) -> None:
    _find(raw, "engineers", ev.engineer)
    since, until = ev.since or ev.at, ev.until
    if until is not None and until <= since:
        raise _Refused("`until` is not after `since`; fix: give a later `until` or leave it out")
    engineer_off(raw, ev.engineer, since, until)


def engineer_off(raw: dict, engineer: str, since: datetime, until: datetime | None) -> None:
    """In a raw scenario, the engineer works no more from `since` until `until` (None: the end of
    the plan): shifts cut, breaks outside them dropped, their en-route and started tickets released
    to the others. Shared by the `engineer_unavailable` event and the what-ifs (desk.whatif)."""
    e = next(x for x in raw["engineers"] if x.get("id") == engineer)
    shifts = []
    for sh in e["shifts"]:
        a, b = _t(sh["start"]), _t(sh["end"])
        pieces = [(a, min(b, since))] + ([(max(a, until), b)] if until is not None else [])
        shifts += [{"start": _iso(x), "end": _iso(y)} for x, y in pieces if y > x]
    e["shifts"] = shifts  # may end up empty: off for the whole plan
    e["breaks"] = [
        b
        for b in e.get("breaks", [])
        if any(
            _t(s["start"]) <= _t(b["start"]) and _t(b["end"]) <= _t(s["end"]) for s in e["shifts"]
        )
    ]
    for t in raw["tickets"]:
        on = t.get("crew_engineers") or [t.get("engineer")]  # a crew visit: any member
        if engineer in on and t.get("status") in ("en_route", "started"):
            t["status"] = "open"  # released: someone else must go (a started job is restarted)
            t.pop("engineer")
            t.pop("crew_engineers", None)


def _job_overrun(raw: dict, ev: JobOverrun) -> None:
    t = _find(raw, "tickets", ev.ticket)
    if t.get("status") != "started":
        raise _Refused(
            f"ticket {ev.ticket!r} is not started; fix: report it started first (ticket_status)"
        )
    now = max(ev.at, _t(raw["now"])) if raw.get("now") else ev.at
    if ev.expected_end <= now:
        raise _Refused(
            f"expected_end {_iso(ev.expected_end)} is not after {_iso(now)}; fix: report the job "
            f"done"
        )
    if t.get("started_at"):  # the whole job then ends at expected_end
        began = _t(t["started_at"])
        t["duration_min"] = round((ev.expected_end - began).total_seconds() / 60, 2)
    else:  # duration_min is the work left from now
        t["duration_min"] = round((ev.expected_end - now).total_seconds() / 60, 2)
    t["windows"] = []
    for who in t.get("crew_engineers") or [t["engineer"]]:  # a crew visit: everyone on it
        _overrun_for(_find(raw, "engineers", who), now, ev.expected_end)


def _overrun_for(e: dict, now: datetime, expected_end: datetime) -> None:
    """An engineer kept on a job until `expected_end`: a break it runs into comes after it, and
    past the end of the shift the job is finished in overtime, with an hour to get home."""
    _break_after(e, expected_end)
    shift_end = max((_t(sh["end"]) for sh in e["shifts"] if _t(sh["start"]) <= now), default=None)
    home = timedelta(hours=1)
    if shift_end is not None and expected_end + home > shift_end + timedelta(
        minutes=e.get("max_overtime_min", 0)
    ):
        e["max_overtime_min"] = round((expected_end + home - shift_end).total_seconds() / 60)


def _break_after(e: dict, busy_until: datetime) -> None:
    """Work under way runs into a break's interval: the break is taken right after it (its interval
    stretched to fit), as an engineer would, rather than making the day impossible to plan."""
    for b in e.get("breaks", []):
        b0, b1 = _t(b["start"]), _t(b["end"])
        need = timedelta(minutes=b["duration_min"])
        if b0 < busy_until and b1 - need < busy_until:
            b["end"] = _iso(busy_until + need)


def _position_update(raw: dict, ev: PositionUpdate) -> None:
    _find(raw, "engineers", ev.engineer)["position"] = ev.position.model_dump(exclude_none=True)


def _window_change(raw: dict, ev: WindowChange) -> None:
    t = _find(raw, "tickets", ev.ticket)
    if t.get("status") in ("started", "done"):
        raise _Refused(
            f"ticket {ev.ticket!r} is {t['status']}; fix: windows of work under way cannot change"
        )
    if t.get("pinned"):
        _release(t)  # the customer's new windows end the hand move
    t["windows"] = [w.model_dump(mode="json") for w in ev.windows]


def _ticket_status(raw: dict, ev: TicketStatus) -> None:
    t = _find(raw, "tickets", ev.ticket)
    crew = ev.crew_engineers or t.get("crew_engineers")
    engineer = ev.engineer or t.get("engineer") or (crew or [None])[0]
    if ev.status != "done":
        if engineer is None:
            raise _Refused(f"ticket {ev.ticket!r}: who is on it? fix: give `engineer`")
        if t.get("crew", 1) > 1:
            if not crew:
                raise _Refused(
                    f"ticket {ev.ticket!r} needs a crew of {t['crew']}: who is on it with "
                    f"{engineer}? fix: give `crew_engineers` (all {t['crew']}, the lead first)"
                )
            t["crew_engineers"] = [engineer] + [x for x in crew if x != engineer]
        for x in t.get("crew_engineers") or [engineer]:
            _find(raw, "engineers", x)
        t["engineer"] = engineer
    t["status"] = ev.status
    if ev.status == "started":
        t["windows"] = []  # met: the work has begun
        t.setdefault("started_at", _iso(ev.at))  # so a later re-plan knows how much is left
        for x in t.get("crew_engineers") or [engineer]:  # a crew: everyone on it
            _break_after(_find(raw, "engineers", x), ev.at + timedelta(minutes=t["duration_min"]))


def _pin(raw: dict, ev: Pin) -> None:
    t = _find(raw, "tickets", ev.ticket)
    if t.get("status", "open") != "open":
        raise _Refused(
            f"ticket {ev.ticket!r} is {t['status']} with {t.get('engineer')}; fix: only open "
            f"tickets can be pinned (work under way already stays with its engineer)"
        )
    e = _find(raw, "engineers", ev.engineer)
    if t.get("pinned"):
        _release(t)  # a new pin replaces the old one, from what was there before either
    required = t.get("engineer")
    if required is not None and required != ev.engineer:
        raise _Refused(
            f"ticket {ev.ticket!r} requires engineer {required!r}; fix: pin it to {required!r}"
        )
    spans = []
    if ev.shift is not None:
        if ev.shift >= len(e["shifts"]):
            raise _Refused(
                f"engineer {ev.engineer!r} has {len(e['shifts'])} shift(s), no shift {ev.shift}; "
                f"fix: give a shift index from 0 to {len(e['shifts']) - 1}"
            )
        sh = e["shifts"][ev.shift]
        spans.append((_t(sh["start"]), _t(sh["end"])))
    if ev.start is not None:
        spans.append((ev.start, ev.start + timedelta(minutes=1)))  # starts in that minute
    windows = [(_t(w["start"]), _t(w["end"])) for w in t.get("windows") or []]
    for lo, hi in spans:
        windows = [(max(a, lo), min(b, hi)) for a, b in windows or [(lo, hi)]]
        windows = [(a, b) for a, b in windows if b > a]
        if not windows:
            what = f"start {_iso(ev.start)}" if ev.start else f"shift {ev.shift}"
            raise _Refused(
                f"{what} lies outside ticket {ev.ticket!r}'s appointment windows or shift; fix: "
                f"pick a start inside them, or agree other windows first (window_change)"
            )
    t["pinned"] = {
        "engineer": ev.engineer,
        **({"shift": ev.shift} if ev.shift is not None else {}),
        **({"start": _iso(ev.start)} if ev.start is not None else {}),
        "before": {
            **({"engineer": required} if required is not None else {}),
            "windows": list(t.get("windows") or []),
        },
    }
    t["engineer"] = ev.engineer
    if spans:
        t["windows"] = [{"start": _iso(a), "end": _iso(b)} for a, b in windows]


def _unpin(raw: dict, ev: Unpin) -> None:
    t = _find(raw, "tickets", ev.ticket)
    if not t.get("pinned"):
        raise _Refused(f"ticket {ev.ticket!r} is not pinned; fix: unpin only a pinned ticket")
    _release(t)


def _release(t: dict) -> None:
    """Give a pinned ticket back what the pin replaced (work under way keeps its engineer)."""
    before = t.pop("pinned").get("before", {})
    if t.get("status") in ("started", "done"):
        return  # the windows were met and the engineer is the one on it
    if t.get("status") != "en_route":
        if before.get("engineer") is None:
            t.pop("engineer", None)
        else:
            t["engineer"] = before["engineer"]
    t["windows"] = before.get("windows", [])


_APPLY = {
    "new_ticket": _new_ticket,
    "cancel_ticket": _cancel_ticket,
    "engineer_unavailable": _engineer_unavailable,
    "job_overrun": _job_overrun,
    "position_update": _position_update,
    "window_change": _window_change,
    "ticket_status": _ticket_status,
    "pin": _pin,
    "unpin": _unpin,
}

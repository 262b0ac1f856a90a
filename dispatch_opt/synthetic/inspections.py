"""Periodic inspections: maintenance contracts turned into the tickets due over a planning horizon.

Why: maintenance contracts (a boiler serviced every year, a cold room every quarter) bring work
that is known weeks ahead and must be done by a date, mixed with breakdown calls. Each due visit
becomes an ordinary contract ticket, so the solver, the checker and the KPIs need nothing new:

- its SLA deadline is the end of the due day: `created` is the due day's end minus `promise_h`
  (the tier's promise), so an inspection may be done up to `promise_h` before it is due and
  lateness past the due day is weighed like any SLA lateness, in its own tier (ranked last);
- its windows are the customer's usual time of day on every day of the horizon;
- the engineer who knows the site is its `preferred_engineer`;
- `meta` says which contract and due date it comes from.

The scenario needs the tier: `inspection_tier()` gives `{"inspection": {"arrive_within_h": ...}}`
to add to `sla` after the breakdown tiers.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..format.scenario import Location, ScenarioError

INSPECTION_TIER = "inspection"
PROMISE_H = 14 * 24.0  # an inspection may be done up to two weeks before it is due
EVERY_MONTHS = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}


class TimeOfDay(BaseModel):
    """The customer's usual window, as times of day ("09:00" to "12:00")."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    start: time
    end: time

    @field_validator("end")
    @classmethod
    def _after_start(cls, v: time, info) -> time:
        if "start" in info.data and v <= info.data["start"]:
            raise ValueError("is not after start; fix: give a later end, e.g. 09:00 to 12:00")
        return v


class MaintenanceContract(BaseModel):
    """One customer's contract: where, how often, what a visit needs, and when it was last done.

    `every` is "month", "quarter", "half-year", "year" or a whole number of days. Without
    `last_visit` the first inspection is due at the start of the horizon.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    customer: Annotated[str, Field(min_length=1)]
    location: Location
    every: Union[Literal["month", "quarter", "half-year", "year"], Annotated[int, Field(gt=0)]]
    duration_min: Annotated[float, Field(gt=0)]
    skills: list[str] = []
    preferred_engineer: str | None = None
    window: TimeOfDay | None = None
    last_visit: date | None = None
    zone: str | None = None

    def next_due(self, after: date) -> date:
        """The due date one interval after `after`."""
        if isinstance(self.every, int):
            return after + timedelta(days=self.every)
        months = after.month - 1 + EVERY_MONTHS[self.every]
        year, month = after.year + months // 12, months % 12 + 1
        return date(year, month, min(after.day, calendar.monthrange(year, month)[1]))


def inspection_tier(promise_h: float = PROMISE_H) -> dict:
    """The SLA tier inspection tickets use; add it to the scenario's `sla`, ranked last."""
    return {INSPECTION_TIER: {"arrive_within_h": promise_h}}


def _contracts(contracts: list) -> list[MaintenanceContract]:
    out, problems = [], []
    for i, c in enumerate(contracts):
        if isinstance(c, MaintenanceContract):
            out.append(c)
            continue
        try:
            out.append(MaintenanceContract.model_validate(c))
        except ValidationError as err:
            name = c.get("customer") if isinstance(c, dict) else None
            where = f"contracts[{i}]" + (f" (customer {name!r})" if name else "")
            for e in err.errors():
                field = ".".join(
                    str(p) for p in e["loc"] if not str(p).startswith(("literal", "int"))
                )
                value = "" if e["type"] == "missing" else f"got {e.get('input')!r}; "
                msg = e["msg"].removeprefix("Value error, ")
                fix = "" if "fix:" in msg else "; fix: see MaintenanceContract (inspections.py)"
                problems.append(f"{where}.{field}: {value}{msg}{fix}")
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))
    return out


def _dues(c: MaintenanceContract, start: date, end: date) -> list[date]:
    """Due dates before `end`: every one inside the horizon, and one overdue visit (the next one
    after the last visit) if that is already past: a missed inspection is owed once, not twice."""
    due = start if c.last_visit is None else c.next_due(c.last_visit)
    out = []
    if due < start:
        out.append(due)
        while due < start:
            due = c.next_due(due)
    while due < end:
        out.append(due)
        due = c.next_due(due)
    return out


def inspection_tickets(
    contracts: list[dict | MaintenanceContract],
    start: date | datetime | str,
    days: int,
    *,
    priority: str = INSPECTION_TIER,
    promise_h: float = PROMISE_H,
) -> list[dict]:
    """Contract tickets for the inspections due from `start` over `days` days (and any overdue).

    Each has id `INS-<customer>-<due YYYYMMDD>`, the SLA deadline at the end of its due day (in
    the tier `priority` whose promise is `promise_h`; see `inspection_tier`), the customer's usual
    window on each day of the horizon, and `meta` {"contract", "due"}. Bad contracts raise
    ScenarioError, one line per problem.
    """
    if isinstance(start, str):
        start = datetime.fromisoformat(start)
    first = start.date() if isinstance(start, datetime) else start
    horizon = [first + timedelta(days=d) for d in range(days)]
    out = []
    for c in _contracts(contracts):
        for due in _dues(c, first, first + timedelta(days=days)):
            deadline = datetime.combine(due + timedelta(days=1), time())
            t: dict[str, Any] = {
                "id": f"INS-{c.customer}-{due:%Y%m%d}",
                "location": c.location.model_dump(exclude_none=True),
                "created": _iso(deadline - timedelta(hours=promise_h)),
                "priority": priority,
                "duration_min": c.duration_min,
                "skills": list(c.skills),
            }
            if c.window is not None:
                t["windows"] = [
                    {
                        "start": _iso(datetime.combine(d, c.window.start)),
                        "end": _iso(datetime.combine(d, c.window.end)),
                    }
                    for d in horizon
                ]
            if c.preferred_engineer:
                t["preferred_engineer"] = c.preferred_engineer
            if c.zone:
                t["zone"] = c.zone
            t["meta"] = {"contract": c.customer, "due": due.isoformat()}
            out.append(t)
    return out


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M")

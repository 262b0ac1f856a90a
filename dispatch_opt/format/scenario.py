"""Domain model of contract v1: scenarios parsed and validated once, then trusted.

Pydantic parses the structure (types, required fields, ranges); `_problems`
adds the rules that span several fields (references, overlaps, one location
kind). Every problem becomes one line naming the field, the value and the fix,
so a planner can correct the export without reading a traceback.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

SCENARIO_FORMAT = "dispatch-opt.scenario/1"
PLAN_FORMAT = "dispatch-opt.plan/1"
DEFAULT_SLA_HOURS = {"emergency": 4.0, "urgent": 24.0, "normal": 48.0, "low": 120.0}
FROZEN_STATUSES = ("en_route", "started")
TOLERANCE_MIN = 0.01  # minutes: the contract's tolerance on time comparisons


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


class PinnedBefore(_Model):
    """What a pin replaced, given back by `unpin`: the required engineer and the windows."""

    engineer: str | None = None
    windows: list[TimeWindow] = []


class Pinned(_Model):
    """Extension set by a `pin` event (format/events.py): the dispatcher's hand move. The pin
    itself is carried by the contract's own fields (`engineer` required, `windows` narrowed to
    the shift or the start), so the engine and the checker keep it as they keep any required
    engineer and window; this record says so and keeps what they were before."""

    engineer: str
    shift: Annotated[int, Field(ge=0)] | None = None
    start: LocalTime | None = None
    before: PinnedBefore = PinnedBefore()


class FollowUp(_Model):
    """A follow-up's link to the visit it follows (contract: `after`, added 2026-12-03)."""

    ticket: Annotated[str, Field(min_length=1)]
    min_lag_min: Annotated[float, Field(ge=0, le=MAX_MINUTES)] = 0.0
    max_lag_min: Annotated[float, Field(ge=0, le=MAX_MINUTES)] | None = None
    same_engineer: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> "FollowUp":
        if self.max_lag_min is not None and self.max_lag_min < self.min_lag_min:
            raise ValueError(
                f"max_lag_min {self.max_lag_min:g} is below min_lag_min {self.min_lag_min:g}; "
                f"fix: make max_lag_min at least min_lag_min"
            )
        return self


class Costs(_Model):
    """The objective's last level (contract: `costs`, added 2026-12-03): per travel minute and per
    on-duty minute (a route's return - depart, waiting included)."""

    travel_per_min: Annotated[float, Field(ge=0, le=1e6)] = 1.0
    on_duty_per_min: Annotated[float, Field(ge=0, le=1e6)] = 0.0


MAX_CREW = 100


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
    pinned: Pinned | None = None  # a dispatcher's pin (extension, see Pinned)
    # extension: a crew visit under way (en_route / started with crew > 1): every engineer of the
    # crew, `engineer` (the lead) among them; the contract names only one
    crew_engineers: list[str] | None = None
    crew: Annotated[int, Field(ge=1, le=MAX_CREW)] = 1  # engineers on site together
    after: FollowUp | None = None  # a follow-up of another ticket's visit

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
    costs: Costs | None = None
    literature: dict[str, Any] | None = None  # extension: where an imported instance came from

    @property
    def tiers(self) -> dict[str, SlaTier]:
        """SLA tiers in rank order (first = most important); made once (the scenario is frozen):
        KPIs and checks ask for every ticket's deadline. Read it, do not change it."""
        return self._tiers

    @property
    def live_tickets(self) -> list[Ticket]:
        """The tickets still to plan (not done); made once. Read it, do not change it."""
        return self._live

    def deadline(self, ticket: Ticket) -> datetime:
        """When the ticket's SLA tier wants an engineer on site (remembered per ticket: a
        whole-board KPI or check asks for it thousands of times)."""
        kept = self._deadlines.get(ticket.id)
        if kept is not None and kept[0] is ticket:
            return kept[1]
        at = ticket.created + timedelta(hours=self._tiers[ticket.priority].hours(ticket.zone))
        self._deadlines[ticket.id] = (ticket, at)
        return at

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

    def has_ticket(self, ticket_id: Any) -> bool:
        return isinstance(ticket_id, str) and ticket_id in self._tickets_by_id

    def depot(self, depot_id: str) -> Depot:
        return self._depots_by_id[depot_id]

    def model_post_init(self, __context: Any) -> None:
        object.__setattr__(self, "_engineers_by_id", {e.id: e for e in self.engineers})
        object.__setattr__(self, "_tickets_by_id", {t.id: t for t in self.tickets})
        object.__setattr__(self, "_depots_by_id", {d.id: d for d in self.depots})
        tiers = (
            dict(self.sla)
            if self.sla
            else {k: SlaTier(arrive_within_h=h) for k, h in DEFAULT_SLA_HOURS.items()}
        )
        object.__setattr__(self, "_tiers", tiers)
        object.__setattr__(self, "_deadlines", {})
        object.__setattr__(self, "_live", [t for t in self.tickets if t.status != "done"])
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

    def as_given(self, ticket: Ticket) -> Ticket:
        """The ticket as the document gave it (a copy when its `duration_min` is the work left),
        to make another scenario from."""
        given = self.given_duration_min(ticket)
        return (
            ticket
            if given == ticket.duration_min
            else ticket.model_copy(update={"duration_min": given})
        )

    def replace(self, **fields: Any) -> "Scenario":
        """This scenario with some fields replaced by objects already validated, without parsing
        the rest again (a re-plan near one ticket, a slot offer). Started work timed from
        `started_at` goes back to its given `duration_min`, since making a scenario sets it to the
        work left."""
        out = {k: getattr(self, k) for k in self.model_fields_set}
        out.update(fields)
        out["tickets"] = [self.as_given(t) for t in out.get("tickets", self.tickets)]
        made = Scenario(**out)
        if "sla" not in fields:  # deadlines known of the same ticket objects hold (see deadline)
            made._deadlines.update(self._deadlines)
        return made

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

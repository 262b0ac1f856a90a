"""JSON Schemas of the three documents the engine reads and writes (scenario, plan, events), made
from the models that validate them, so that other programs can check a document before sending it.

The schemas are stricter than pydantic's defaults in the ways the contract is: unknown fields are
refused (but `x_` fields and `meta` objects pass), and times are local date-times without an
offset. Validation (`dispatch-opt validate`) still says more than a schema can: references between
ids, overlaps, one location kind per scenario.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .events import Event
from .scenario import PLAN_FORMAT, Scenario
from .validation import META_HOLDERS

LOCAL_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"
DOCUMENTS = ("scenario", "plan", "events")


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VisitStop(_Doc):
    type: Literal["visit"]
    ticket: str
    arrival: str | None = None
    start: str
    end: str
    lead: bool | None = None  # a crew visit: the member whose van supplies parts and tools


class RestockStop(_Doc):
    type: Literal["restock"]
    depot: str
    arrival: str | None = None
    start: str
    end: str
    parts: dict[str, int] = {}
    tools: list[str] = []


class BreakStop(_Doc):
    type: Literal["break"]
    start: str
    end: str


class PlannedRoute(_Doc):
    engineer: str
    shift: int = Field(0, ge=0)
    stops: list[Annotated[Union[VisitStop, RestockStop, BreakStop], Field(discriminator="type")]]
    depart: str
    return_: str = Field(alias="return")
    travel_min: float = Field(ge=0)
    distance_km: float = Field(ge=0)


class UnassignedTicket(_Doc):
    ticket: str
    reason: str
    code: str | None = None


class PlanDocument(_Doc):
    """A plan as the engine writes it and reads it back (`--previous`, `check`, `report`)."""

    format: Literal[PLAN_FORMAT]  # type: ignore[valid-type]
    scenario: str
    routes: list[PlannedRoute]
    unassigned: list[UnassignedTicket] = []
    kpis: dict[str, Any] = {}
    notes: list[str] = []


def fields_of(model: type[BaseModel]) -> tuple[str, ...]:
    """The field names a document of `model` may carry (aliases as written in JSON)."""
    return tuple(f.alias or name for name, f in model.model_fields.items())


def json_schema(document: str) -> dict:
    """The JSON Schema (draft 2020-12) of a scenario, a plan or a list of events."""
    if document == "scenario":
        schema = Scenario.model_json_schema(by_alias=True)
        for name in META_HOLDERS:  # data of one's own, passed through untouched
            holder = schema if name == "Scenario" else schema["$defs"][name]
            holder["properties"]["meta"] = {"type": "object"}
        ticket = schema["$defs"]["Ticket"]  # a fault type may supply the duration
        ticket["required"].remove("duration_min")
        ticket["anyOf"] = [{"required": ["duration_min"]}, {"required": ["fault"]}]
    elif document == "plan":
        schema = PlanDocument.model_json_schema(by_alias=True)
    elif document == "events":
        listed = TypeAdapter(list[Event]).json_schema(by_alias=True)
        defs = listed.pop("$defs", {})
        schema = {
            "anyOf": [
                listed,
                {
                    "type": "object",
                    "properties": {"events": listed},
                    "required": ["events"],
                    "additionalProperties": False,
                },
            ],
            "$defs": defs,
        }
    else:
        raise ValueError(f"document: got {document!r}; fix: use one of {', '.join(DOCUMENTS)}")
    _contract_strict(schema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"dispatch-opt {document}, contract v1",
        **schema,
    }


def _contract_strict(node: Any) -> None:
    """In place: objects refuse unknown fields but `x_` ones; times are local date-times."""
    if isinstance(node, list):
        for item in node:
            _contract_strict(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("format") == "date-time":
        del node["format"]
        node["pattern"] = LOCAL_TIME_PATTERN
        node.setdefault("description", "a local date-time without offset, e.g. 2026-11-23T09:00")
    if node.get("type") == "object" and "properties" in node:
        node["additionalProperties"] = False
        node["patternProperties"] = {"^x_": {}}
    for value in node.values():
        _contract_strict(value)

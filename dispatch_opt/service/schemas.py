"""Request bodies with fixed fields (unknown fields are refused, numbers bounded); scenarios,
events, tickets and plans are checked by the package's own validation instead."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

BIG = 1e9  # far above any sensible weight or minute count; bounds what reaches the arrays


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class SolveParamsIn(_Strict):
    """The fields of SolveParams a caller may set (workers and scheduler are the server's)."""

    time_limit_s: float = Field(10.0, ge=0, le=86_400)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    first_solution: str = Field("GREEDY_INSERTION", max_length=60)
    metaheuristic: str = Field("GUIDED_LOCAL_SEARCH", max_length=60)
    lateness_per_min: list[float] | None = Field(None, min_length=1, max_length=16)
    overtime_per_min: float = Field(2.0, ge=0, le=BIG)
    restock_bonus_min: float = Field(20.0, ge=0, le=BIG)
    move_cost_min: float = Field(60.0, ge=0, le=BIG)
    eta_tolerance_min: float = Field(30.0, ge=0, le=BIG)
    eta_shift_per_min: float = Field(1.0, ge=0, le=BIG)
    preference_min: float = Field(30.0, ge=0, le=BIG)
    balance: float = Field(0.0, ge=0, le=BIG)
    ruin_share: float = Field(0.9, ge=0, le=1)
    iterations: int | None = Field(None, ge=0, le=10**9)
    split_above: int = Field(2000, ge=0, le=10**7)
    territory_tickets: int = Field(500, ge=10, le=10**7)

    def solve_params(self) -> dict:
        out = self.model_dump(exclude_none=True)
        if "lateness_per_min" in out:
            if any(not 0 <= w <= BIG for w in out["lateness_per_min"]):
                raise ValueError("lateness_per_min: each weight between 0 and 1e9")
            out["lateness_per_min"] = tuple(out["lateness_per_min"])
        return out


class SolveIn(_Strict):
    scenario: str = Field(max_length=100)
    params: SolveParamsIn = Field(default_factory=SolveParamsIn)


class OfferOptions(_Strict):
    slot_minutes: int = Field(120, ge=5, le=24 * 60)
    days: int = Field(3, ge=1, le=31)
    max_slots: int = Field(5, ge=1, le=100)
    rank: Literal["earliest", "cost"] = "earliest"

    def options(self) -> dict:
        return {
            "slot_minutes": self.slot_minutes,
            "horizon_days": self.days,
            "max_slots": self.max_slots,
            "rank": self.rank,
        }


class SlotsIn(OfferOptions):
    ticket: dict[str, Any]


class SlotIn(BaseModel):
    """A slot as offered: its window (and engineer, to insist on them); the offer's other fields
    may come back with it and are ignored."""

    model_config = ConfigDict(extra="forbid")
    start: datetime
    end: datetime
    engineer: str | None = None
    shift: int | None = None
    added_travel_min: float | None = None
    added_cost: float | None = None


class BookingIn(OfferOptions):
    ticket: dict[str, Any]
    slot: SlotIn


class AdvanceIn(_Strict):
    to: str = Field(max_length=40, description="the moment to carry the plan out to (local time)")

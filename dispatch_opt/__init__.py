"""dispatch_opt: field-service dispatch optimisation (tickets, engineers, vans, SLAs) on
OR-Tools."""

from .checker import CheckResult, check
from .events import apply_events, parse_events
from .inspections import MaintenanceContract, inspection_tickets
from .io import load_plan, load_scenario, save_plan, scenario_from_frames
from .model import Scenario, ScenarioError
from .plan import Plan, PlanDiff, Route, Stop, Unassigned
from .plan import diff_plans as diff
from .realtime import (
    DayReport,
    Slot,
    SlotOffer,
    advance,
    day_events,
    offer_slots,
    overdue_visits,
    simulate_day,
)
from .scale import solve  # the single-process solver, or territories / a portfolio on Dask
from .solver import Progress, SolveParams

__all__ = [
    "CheckResult",
    "DayReport",
    "MaintenanceContract",
    "inspection_tickets",
    "Plan",
    "PlanDiff",
    "Slot",
    "SlotOffer",
    "advance",
    "apply_events",
    "day_events",
    "diff",
    "offer_slots",
    "overdue_visits",
    "parse_events",
    "simulate_day",
    "Progress",
    "Route",
    "Scenario",
    "ScenarioError",
    "SolveParams",
    "Stop",
    "Unassigned",
    "check",
    "load_plan",
    "load_scenario",
    "save_plan",
    "scenario_from_frames",
    "solve",
]
__version__ = "0.1.0"

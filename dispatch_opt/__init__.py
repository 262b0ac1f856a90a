"""dispatch_opt: field-service dispatch optimisation (tickets, engineers, vans, SLAs) on
OR-Tools."""

from .desk.compare import compare, repeatable_params, what_if
from .desk.whatif import (
    with_engineer_like,
    with_longer_shifts,
    with_parts_on_vans,
    with_shorter_shifts,
    with_sla,
    without_engineers,
)
from .engine.params import Progress, SolveParams
from .evaluation.checker import CheckResult, check
from .evaluation.diff import PlanDiff
from .evaluation.diff import diff_plans as diff
from .format.events import apply_events, parse_events
from .format.frames import scenario_from_frames
from .format.io import load_plan, load_scenario, save_plan
from .format.plan import Plan, Route, Stop, Unassigned
from .format.scenario import Scenario, ScenarioError
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
from .scale import solve
from .synthetic.inspections import MaintenanceContract, inspection_tickets

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
    "compare",
    "repeatable_params",
    "what_if",
    "with_engineer_like",
    "with_longer_shifts",
    "with_parts_on_vans",
    "with_shorter_shifts",
    "with_sla",
    "without_engineers",
]
__version__ = "0.1.0"

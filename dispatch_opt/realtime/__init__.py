"""Real time: re-planning during the day starts from `advance`; slots for callers; a simulated
day. Re-planning itself is `do.solve(scenario, params, previous=plan)`."""

from .advance import advance, overdue_visits
from .day import DayReport, day_events, simulate_day
from .slots import Slot, SlotOffer, offer_slots

__all__ = [
    "DayReport",
    "Slot",
    "SlotOffer",
    "advance",
    "day_events",
    "offer_slots",
    "overdue_visits",
    "simulate_day",
]

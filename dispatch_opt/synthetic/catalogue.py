"""What a service network repairs and how customers book: appliances, fault types, maintenance
contracts, job kinds, SLA tiers, booking windows. Data, not code: the generator draws from it."""

from __future__ import annotations

import numpy as np

REFRIGERANT = "refrigerant_recovery"
UNSERVABLE_SKILL = "solar_inverter"  # a job nobody is trained for: exercises the "unassigned" path

# appliance -> (share of demand in late autumn: boilers busy, air conditioners quiet, spare parts)
APPLIANCES = {
    "washer": (0.22, ("pump", "door_seal", "drum_bearing")),
    "dryer": (0.09, ("drive_belt", "heater_element", "thermal_fuse")),
    "dishwasher": (0.14, ("drain_pump", "spray_arm", "door_latch")),
    "fridge": (0.14, ("thermostat", "relay", "compressor_fan")),
    "oven": (0.10, ("heating_element", "oven_thermostat", "door_hinge")),
    "boiler": (0.25, ("ignition_pcb", "gas_valve", "fan_motor")),
    "aircon": (0.06, ("capacitor", "indoor_fan", "control_board")),
}
# The call centre's fault types (the scenario's `faults` catalogue, with faults=True): what a repair
# of each needs, as service manuals list them. Parts are the appliance's spares above, so vans and
# the depot stock them; a refrigerant leak needs the recovery unit.
FAULTS = {
    "washer": {
        "washer-not-draining": {"duration_min": 50, "parts": {"pump": 1}},
        "washer-door-leak": {"duration_min": 40, "parts": {"door_seal": 1}},
        "washer-drum-noise": {"duration_min": 90, "parts": {"drum_bearing": 1}},
        "washer-error-code": {"duration_min": 45},
        "washer-wont-spin": {"duration_min": 45},
    },
    "dryer": {
        "dryer-no-heat": {"duration_min": 60, "parts": {"heater_element": 1}},
        "dryer-drum-not-turning": {"duration_min": 45, "parts": {"drive_belt": 1}},
        "dryer-cuts-out": {"duration_min": 40, "parts": {"thermal_fuse": 1}},
        "dryer-not-drying": {"duration_min": 40},
    },
    "dishwasher": {
        "dishwasher-not-draining": {"duration_min": 50, "parts": {"drain_pump": 1}},
        "dishwasher-poor-wash": {"duration_min": 35, "parts": {"spray_arm": 1}},
        "dishwasher-door-wont-latch": {"duration_min": 30, "parts": {"door_latch": 1}},
        "dishwasher-error-code": {"duration_min": 35},
    },
    "fridge": {
        "fridge-not-cooling": {"duration_min": 60, "parts": {"relay": 1}},
        "fridge-too-cold": {"duration_min": 40, "parts": {"thermostat": 1}},
        "fridge-noisy-fan": {"duration_min": 45, "parts": {"compressor_fan": 1}},
        "fridge-refrigerant-leak": {"duration_min": 120, "tools": [REFRIGERANT]},
        "fridge-ice-build-up": {"duration_min": 40},
    },
    "oven": {
        "oven-no-heat": {"duration_min": 60, "parts": {"heating_element": 1}},
        "oven-wrong-temperature": {"duration_min": 45, "parts": {"oven_thermostat": 1}},
        "oven-door-wont-close": {"duration_min": 35, "parts": {"door_hinge": 1}},
        "oven-error-code": {"duration_min": 35},
    },
    "boiler": {
        "boiler-no-ignition": {"duration_min": 60, "parts": {"ignition_pcb": 1}},
        "boiler-gas-valve-fault": {"duration_min": 75, "parts": {"gas_valve": 1}},
        "boiler-fan-fault": {"duration_min": 60, "parts": {"fan_motor": 1}},
        "boiler-low-pressure": {"duration_min": 40},
        "boiler-no-hot-water": {"duration_min": 45},
        "boiler-radiators-cold": {"duration_min": 50},
    },
    "aircon": {
        "aircon-not-cooling": {"duration_min": 90, "tools": [REFRIGERANT]},
        "aircon-wont-start": {"duration_min": 45, "parts": {"capacitor": 1}},
        "aircon-indoor-unit-noise": {"duration_min": 60, "parts": {"indoor_fan": 1}},
        "aircon-error-code": {"duration_min": 50, "parts": {"control_board": 1}},
        "aircon-water-leak": {"duration_min": 40},
    },
}
# maintenance contracts (with inspections > 0): appliance -> (share, every, minutes on site)
CONTRACTS = {
    "boiler": (0.55, "year", 60),
    "aircon": (0.20, "half-year", 50),
    "fridge": (0.15, "quarter", 45),  # shops' cold rooms
    "oven": (0.10, "half-year", 40),  # restaurant kitchens
}
INSPECTION_PROMISE_H = 14 * 24.0
APPLIANCE_NAMES = tuple(APPLIANCES)
APPLIANCE_DEMAND = np.array([v[0] for v in APPLIANCES.values()])
# job type -> (share, shortest, longest on-site minutes); short jobs are the most common
JOBS = {"repair": (0.60, 45, 90), "maintenance": (0.25, 30, 60), "installation": (0.15, 90, 150)}
SLA = {  # in rank order, first = most important
    "emergency": {"arrive_within_h": 4},
    "urgent": {"arrive_within_h": 24},
    "normal": {"arrive_within_h": 48, "by_zone": {"outskirts": 72}},
    "low": {"arrive_within_h": 120},
}
# tier -> (fewest, most whole days before the planning day it was raised, earliest, latest time of
# day); old normal/low tickets are near or past their deadline, so lateness is a real trade-off.
# Emergencies are raised within CityParams.emergency_hours instead (their times here are not used).
CREATED = {
    "emergency": (0, 0, "06:00", "11:00"),
    "urgent": (1, 1, "08:00", "18:00"),
    "normal": (1, 2, "08:00", "18:00"),
    "low": (1, 5, "08:00", "18:00"),
}
# appointment windows offered each day: (kind, start, end); a customer picks a kind, then a slot of
# it
WINDOWS = (
    ("morning", "08:00", "12:00"),
    ("afternoon", "12:00", "17:00"),
    ("slot", "08:00", "10:00"),
    ("slot", "10:00", "12:00"),
    ("slot", "12:00", "14:00"),
    ("slot", "14:00", "16:00"),
    ("slot", "15:00", "17:00"),
)
WINDOW_KINDS = {"morning": 0.35, "afternoon": 0.35, "slot": 0.30}
# Emergencies as a nightly plan sees them: raised from 18:00 the evening before until 07:30, the
# earliest shift start (when the plan is made); a plan for the day cannot know of later ones.
EVENING_BEFORE = (-6.0, 7.5)
TRAVEL_MODELS = ("haversine", "matrix")
SHAPES = ("round", "strip", "coast")
# the contract's default travel for lat/lon, used when a scenario has no `travel`
HAVERSINE_KMH, HAVERSINE_DETOUR = 30.0, 1.3
REBOOK_WINDOW = (
    "12:00",
    "17:00",
)  # a real-time snapshot rebooks appointments missed before `now` to the afternoon
WINDOW_MARGIN_MIN = (
    15  # in the played-out morning, nobody is sent to arrive in a window's last 15 minutes
)

"""Synthetic field-service scenarios (contract v1): a city day or week, a national network,
maintenance inspections. Deterministic: the same parameters give byte-identical JSON.

The flow: `catalogue` (what breaks, how customers book) and `presets` (the parameters) feed
`city.generate_scenario`; `snapshot` plays a morning out for a real-time scenario; `network`
joins several cities; `options` maps command-line options to all of these.
"""

from .city import generate_scenario
from .inspections import MaintenanceContract, inspection_tickets, inspection_tier
from .network import generate_network
from .options import generate_from_options, params_from_options, to_json, write_presets
from .presets import CITIES, NETWORKS, PRESETS, CityParams, NetworkParams

__all__ = [
    "CITIES",
    "NETWORKS",
    "PRESETS",
    "CityParams",
    "MaintenanceContract",
    "NetworkParams",
    "generate_from_options",
    "generate_network",
    "generate_scenario",
    "inspection_tickets",
    "inspection_tier",
    "params_from_options",
    "to_json",
    "write_presets",
]

"""The generator's parameters: a city (CityParams), the bundled presets, the Italian cities a
network is made of, and the national network (NetworkParams)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import datetime

from ..format import roads
from ..format.scenario import ScenarioError
from ..format.travel import KM_PER_DEG
from .catalogue import (
    EVENING_BEFORE,
    SHAPES,
    TRAVEL_MODELS,
)


@dataclass(frozen=True)
class CityParams:
    """Knobs of one synthetic planning problem; defaults are a small Bologna weekday."""

    name: str = "bologna"
    engineers: int = 8
    tickets: int = 50
    days: int = 1
    seed: int = 0
    centre_lat: float = 44.4949
    centre_lon: float = 11.3426
    radius_km: float = 9.0  # demand stays within this distance of the centre
    zone_radius_km: float = 5.0  # tickets inside are zone "city", beyond "outskirts"
    neighbourhoods: tuple[int, int] = (6, 10)  # how many demand clusters (inclusive range)
    outskirts_share: float = 0.15  # demand scattered outside the neighbourhoods
    home_radius_km: tuple[float, float] = (1.5, 11.0)  # engineers live around the city
    depot_lat: float = 44.5190  # parts warehouse by the ring road (Tangenziale, Fiera exit)
    depot_lon: float = 11.3690
    depot_stock: int = 20  # of every part: generous, restocks never run dry
    start_date: str = "2026-11-30"  # a Monday
    shifts: tuple[tuple[str, str, float], ...] = (
        ("08:00", "17:00", 0.6),
        ("07:30", "16:00", 0.2),
        ("09:00", "18:00", 0.2),
    )
    overtime_min: tuple[int, ...] = (0, 30, 60)
    break_interval: tuple[str, str] = ("12:00", "14:00")
    break_min: int = 30
    tier_mix: tuple[float, ...] = (0.05, 0.20, 0.60, 0.15)  # shares of the SLA tiers, in rank order
    window_share: float = 0.55  # of non-emergency tickets with an appointment
    emergency_window_share: float = 0.1  # emergencies rarely book one, and only in the afternoon
    two_window_share: float = 0.10  # of windowed tickets offering a second window
    part_share: float = 0.40  # of repairs needing a spare part
    named_engineer_share: float = 0.03  # follow-up visits by a named engineer
    skills_per_engineer: tuple[int, int] = (2, 4)
    min_skill_cover: int = 3  # engineers per appliance, at least
    unservable_ticket: bool = True  # include one solar_inverter ticket nobody can serve
    # when emergencies are raised, in hours from the midnight that starts the first planning day
    # (negative: the evening before). The default (06:00-11:00 of the planning day itself, which a
    # nightly plan could not know) is kept for the small and medium files and the recorded
    # benchmarks; see EVENING_BEFORE.
    emergency_hours: tuple[float, float] = (6.0, 11.0)
    travel: str = "haversine"  # or "matrix": quickest routes on a synthetic road network (roads.py)
    # "HH:MM" on the first planning day: a real-time snapshot at that moment (the morning played
    # out; engineers with `position`, tickets `done`, `started`, `en_route`); None: a plan made
    # before the day
    now: str | None = None
    # breakdowns as the call centre records them: a fault type from the `faults` catalogue (FAULTS)
    # instead of skills, duration and parts on the ticket
    faults: bool = False
    # follow-ups prefer (soft, `preferred_engineer`) rather than require (`engineer`) their engineer
    follow_ups_preferred: bool = False
    # maintenance contracts whose inspections due over the days are added (inspection_tickets)
    inspections: int = 0
    # shares of tickets made crew installs (two engineers together) and given a follow-up two to
    # five days later (synthetic.crews)
    crew_share: float = 0.0
    follow_up_share: float = 0.0
    # the city's shape: "round"; "strip" (stretched `aspect` times along `bearing_deg`, e.g. a
    # valley); "coast" (inland of a coastline through the centre along `bearing_deg`, stretched)
    shape: str = "round"
    aspect: float = 1.0
    bearing_deg: float = 90.0  # compass bearing of the long axis (90: east-west)
    road_spacing_km: float = 0.5  # street grid of the road network (travel="matrix")

    def __post_init__(self) -> None:
        problems = []
        if self.shape not in SHAPES:
            problems.append(f"shape: got {self.shape!r}; fix: use one of {', '.join(SHAPES)}")
        if not self.aspect >= 1:
            problems.append(f"aspect: got {self.aspect}; fix: use 1 (round) or more (stretched)")
        if not self.radius_km > 0:
            problems.append(f"radius_km: got {self.radius_km}; fix: use a positive number of km")
        if not 0.1 <= self.road_spacing_km <= 5:
            problems.append(
                f"road_spacing_km: got {self.road_spacing_km}; fix: use 0.1 to 5 km between streets"
            )
        if self.travel not in TRAVEL_MODELS:
            problems.append(
                f"travel: got {self.travel!r}; fix: use one of {', '.join(TRAVEL_MODELS)}"
            )
        for name in ("engineers", "tickets", "days"):
            if getattr(self, name) < 1:
                problems.append(
                    f"{name}: got {getattr(self, name)}; fix: use a whole number of at least 1"
                )
        if self.now is not None:
            try:
                datetime.strptime(self.now, "%H:%M")
            except (TypeError, ValueError):
                problems.append(f"now: got {self.now!r}; fix: give a time of day HH:MM, e.g. 11:00")
        if problems:
            raise ScenarioError(problems)

    @property
    def road_params(self) -> roads.RoadParams:
        """The road network of this city (used with travel="matrix")."""
        return roads.RoadParams(
            centre_lat=self.centre_lat,
            centre_lon=self.centre_lon,
            radius_km=max(12.5, self.radius_km * math.sqrt(self.aspect) + 3.5),
            spacing_km=self.road_spacing_km,
        )


# Bundled scenarios, one file each in scenarios/ (`--all`). Small is a little under capacity (nearly
# every ticket fits), medium close to it, so late or dropped low-tier work is a real trade-off;
# seeds were picked for representative mixes. Small and medium keep their original emergencies
# (raised on the planning morning) so their files and the recorded benchmark figures stay; every
# other preset is what a plan made before the day can know (EVENING_BEFORE), or a snapshot at `now`.
_MEDIUM = CityParams(name="bologna-medium", engineers=40, tickets=300, seed=2)
PRESETS = {
    "small": CityParams(name="bologna-small", engineers=8, tickets=50, seed=10),
    "medium": _MEDIUM,
    # the medium day on the road network: the same people and tickets, quickest routes instead of
    # straight lines
    "medium-roads": dataclasses.replace(
        _MEDIUM, name="bologna-medium-roads", travel="matrix", emergency_hours=EVENING_BEFORE
    ),
    # a big city day; straight-line travel, since its 1,651 x 1,651 road matrices would be 30 MB of
    # JSON
    "large": CityParams(
        name="bologna-large",
        engineers=150,
        tickets=1500,
        seed=1,
        neighbourhoods=(14, 22),
        depot_stock=60,
        emergency_hours=EVENING_BEFORE,
    ),
    # twice the work the engineers can do: what gets dropped, and is it the right work?
    "overload": CityParams(
        name="bologna-overload",
        engineers=20,
        tickets=300,
        seed=4,
        travel="matrix",
        emergency_hours=EVENING_BEFORE,
    ),
    # three days planned at once: appointments on any of them, van stock carried over
    "multiday": CityParams(
        name="bologna-multiday",
        engineers=25,
        tickets=450,
        days=3,
        seed=5,
        emergency_hours=EVENING_BEFORE,
    ),
    # a week with crews: installs needing two engineers, repairs with a part to order and a
    # follow-up two to five days later (half by the same engineer)
    "crews-week": CityParams(
        name="bologna-crews-week",
        engineers=12,
        tickets=120,
        days=5,
        seed=8,
        emergency_hours=EVENING_BEFORE,
        crew_share=0.15,
        follow_up_share=0.1,
    ),
    # a working week of breakdowns (fault types) and periodic inspections of maintenance contracts
    "maintenance-week": CityParams(
        name="bologna-maintenance-week",
        engineers=10,
        tickets=110,
        days=5,
        seed=5,
        emergency_hours=EVENING_BEFORE,
        faults=True,
        follow_ups_preferred=True,
        named_engineer_share=0.08,
        inspections=70,
    ),
    # replanning at 11:00 on the road network: the morning's work done or under way, new emergencies
    # up to now
    "realtime": CityParams(
        name="bologna-realtime",
        engineers=40,
        tickets=300,
        seed=6,
        travel="matrix",
        emergency_hours=(-6.0, 11.0),
        now="11:00",
    ),
}


def _city(name: str, lat: float, lon: float, depot: tuple[float, float], **shape) -> CityParams:
    """A city day planned the evening before; the depot at (east, north) km from the centre."""
    dlat = lat + depot[1] / KM_PER_DEG
    dlon = lon + depot[0] / (KM_PER_DEG * math.cos(math.radians(lat)))
    return CityParams(
        name=name,
        centre_lat=lat,
        centre_lon=lon,
        depot_lat=round(dlat, 4),
        depot_lon=round(dlon, 4),
        emergency_hours=EVENING_BEFORE,
        **shape,
    )


# Cities for `--city` (sized by --engineers/--tickets), of different shapes: round, a strip along
# the coast, a valley city stretched north-south, a sprawling one with wider streets
CITIES = {
    "bologna": CityParams(name="bologna", emergency_hours=EVENING_BEFORE),
    "milan": _city("milan", 45.4642, 9.1900, (-4.0, 5.0), radius_km=12.0, road_spacing_km=0.6),
    "turin": _city("turin", 45.0703, 7.6869, (3.0, -2.0), shape="strip", aspect=2.0, bearing_deg=0),
    "genoa": _city(
        "genoa", 44.4056, 8.9463, (1.0, 1.5), shape="coast", aspect=5.0, bearing_deg=70.0
    ),
    "florence": _city("florence", 43.7696, 11.2558, (-3.0, 2.0), radius_km=8.0),
    "rome": _city("rome", 41.9028, 12.4964, (5.0, 3.0), radius_km=14.0, road_spacing_km=0.7),
    "naples": _city(
        "naples", 40.8518, 14.2681, (2.0, 3.0), shape="coast", aspect=2.5, bearing_deg=110.0
    ),
}


@dataclass(frozen=True)
class NetworkParams:
    """A national after-sales network: several service centres, each a city with its own depot
    and engineers; engineers and tickets are shared out by `centres` (city, share)."""

    name: str = "italy-network"
    engineers: int = 1000
    tickets: int = 10000
    days: int = 1
    seed: int = 0
    centres: tuple[tuple[str, float], ...] = (
        ("milan", 0.22),
        ("turin", 0.11),
        ("genoa", 0.07),
        ("bologna", 0.10),
        ("florence", 0.10),
        ("rome", 0.24),
        ("naples", 0.16),
    )


NETWORKS = {"network": NetworkParams()}

"""Pictures and tables of a plan for planners: route map, schedule (Gantt), KPI tables, plan
comparison.

The plotting libraries (folium, matplotlib) are an optional extra, `pip install
'dispatch-opt[viz]'`,
so that a solver on a server installs lean; they are imported inside the functions that draw.
Tables are pandas only. KPIs are recomputed from the plan with `build_kpis`, so a plan written
by another program (without our `kpis`) is shown the same way as ours.
"""

from __future__ import annotations

import html
import importlib
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from ..desk.compare import compare
from ..evaluation.kpis import build_kpis
from ..format.plan import Plan, Route, Stop
from ..format.scenario import TOLERANCE_MIN, Location, Scenario, Ticket

# Colour-blind-friendly-ish, distinct on white; routes cycle through them.
ROUTE_COLOURS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#393b79",
    "#637939",
    "#8c6d31",
    "#843c39",
    "#7b4173",
    "#3182bd",
    "#e6550d",
    "#31a354",
]
# By tier rank: first tier (emergency) red, then orange, teal, grey-blue, ...
TIER_COLOURS = ["#d62828", "#f77f00", "#2a9d8f", "#6c8ebf", "#a0a0a0"]
LATE, UNASSIGNED, NOW = "#c00000", "#222222", "#1864ab"
TRAVEL, WAITING, BREAK, RESTOCK = "#9aa5b1", "#e9ecef", "#ffd166", "#495057"
CREW, FOLLOW_UP = "#7048e8", "#0b7285"  # links: a crew visit across its rows; a follow-up
INSTALL_HINT = "pip install 'dispatch-opt[viz]'"


def _need(module: str) -> Any:
    """Import an optional plotting library, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"dispatch_opt.presentation.viz needs {module.split('.')[0]}; "
            f"install it with: {INSTALL_HINT}"
        ) from exc


# ------------------------------------------------------------ shared helpers (also used by
# report.py)


def route_colour(i: int) -> str:
    return ROUTE_COLOURS[i % len(ROUTE_COLOURS)]


def tier_colour(sc: Scenario, tier: str) -> str:
    rank = list(sc.tiers).index(tier) if tier in sc.tiers else len(TIER_COLOURS) - 1
    return TIER_COLOURS[min(rank, len(TIER_COLOURS) - 1)]


def route_label(sc: Scenario, r: Route) -> str:
    """Engineer id, plus the shift's day when the engineer has several shifts."""
    e = sc.engineer(r.engineer)
    return r.engineer if len(e.shifts) == 1 else f"{r.engineer} {e.shifts[r.shift].start:%a %d}"


def route_start(sc: Scenario, r: Route) -> Location:
    """Where the route leaves from: `position` for the engineer's first open shift when `now` is
    set."""
    e = sc.engineer(r.engineer)
    if sc.now is None or e.position is None:
        return e.start
    open_shifts = sorted(
        (s.start, i)
        for i, s in enumerate(e.shifts)
        if s.end + timedelta(minutes=e.max_overtime_min) > sc.now
    )
    return e.position if open_shifts and open_shifts[0][1] == r.shift else e.start


def stop_location(sc: Scenario, s: Stop) -> Location | None:
    if s.type == "visit":
        return sc.ticket(s.ticket).location
    return sc.depot(s.depot).location if s.type == "restock" else None


def route_path(sc: Scenario, r: Route) -> list[Location]:
    """Start, every visit and restock in order, end: the polyline of a route (breaks have no
    place)."""
    stops = [loc for s in r.stops if (loc := stop_location(sc, s)) is not None]
    return [route_start(sc, r), *stops, sc.engineer(r.engineer).home]


def late_min(sc: Scenario, t: Ticket, start: datetime) -> float:
    return max(0.0, (start - sc.deadline(t)).total_seconds() / 60)


def location_kind(sc: Scenario) -> str:
    """'geo', 'planar' or 'node' (matrix travel without coordinates)."""
    locs = (
        [e.start for e in sc.engineers]
        + [t.location for t in sc.tickets]
        + [d.location for d in sc.depots]
    )
    return locs[0].kind if locs else "geo"


def _hm(t: datetime) -> str:
    return f"{t:%a %d %b %H:%M}"


def describe_stop(sc: Scenario, r: Route, s: Stop) -> list[str]:
    """The lines of a stop's popup: what a dispatcher asks about a visit."""
    if s.type == "restock":
        got = ", ".join(f"{p} x{q}" for p, q in s.parts.items()) or "nothing"
        return [
            f"restock at {s.depot}",
            f"engineer {route_label(sc, r)}",
            f"{s.start:%H:%M}-{s.end:%H:%M}",
            f"parts: {got}",
        ]
    t = sc.ticket(s.ticket)
    windows = (
        ", ".join(f"{w.start:%a %d %H:%M}-{w.end:%H:%M}" for w in t.windows)
        or "none (any time in shift)"
    )
    late = late_min(sc, t, s.start)
    arrival = f"arrive {s.arrival:%H:%M}, " if s.arrival is not None else ""
    return [
        f"{t.id} ({t.priority}, {t.duration_min:g} min)",
        f"engineer {route_label(sc, r)}",
        f"{arrival}start {s.start:%H:%M}, end {s.end:%H:%M}",
        f"window(s): {windows}",
        f"SLA deadline: {_hm(sc.deadline(t))}",
        f"LATE by {late:.0f} min" if late > TOLERANCE_MIN else "on time",
        "parts: " + (", ".join(f"{p} x{q}" for p, q in t.parts.items()) or "none"),
    ]


def describe_unassigned(sc: Scenario, ticket_id: str, reason: str) -> list[str]:
    t = sc.ticket(ticket_id)
    return [f"{t.id} ({t.priority}) UNASSIGNED", reason, f"SLA deadline: {_hm(sc.deadline(t))}"]


def _visits(plan: Plan) -> dict[str, tuple[int, Route, Stop]]:
    return {s.ticket: (i, r, s) for i, r in enumerate(plan.routes) for s in r.visits}


# ------------------------------------------------------------ interactive map


def route_map(scenario: Scenario, plan: Plan, *, tiles: str | None = "OpenStreetMap"):
    """A folium map: a coloured polyline per route, tickets filled by SLA tier, late visits ringed
    red, unassigned tickets dashed black, depots and homes as icons, a popup per stop.

    Lat/lon only: planar (x/y) scenarios raise ValueError (write_report draws those on its own map).
    Tiles are fetched by the viewer's browser; pass tiles=None for a map without background.
    """
    folium = _need("folium")
    if location_kind(scenario) != "geo":
        raise ValueError(
            "route_map needs lat/lon locations; this scenario uses x/y or matrix nodes: "
            "use write_report (its map draws planar coordinates) or schedule_figure"
        )
    m = folium.Map(tiles=tiles, control_scale=True)
    layers = {
        k: folium.FeatureGroup(name=k).add_to(m)
        for k in ("routes", "visits", "unassigned", "depots and homes")
    }
    points = []
    for i, r in enumerate(plan.routes):
        path = [(loc.lat, loc.lon) for loc in route_path(scenario, r)]
        points += path
        if len(path) > 2:
            folium.PolyLine(
                path,
                color=route_colour(i),
                weight=4,
                opacity=0.8,
                tooltip=f"{route_label(scenario, r)}: {len(r.visits)} visits",
            ).add_to(layers["routes"])
    visits = _visits(plan)
    reasons = {u.ticket: u.reason for u in plan.unassigned}
    for t in scenario.live_tickets:
        at = (t.location.lat, t.location.lon)
        points.append(at)
        if t.id in visits:
            i, r, s = visits[t.id]
            late = late_min(scenario, t, s.start) > TOLERANCE_MIN
            lines, edge, layer, dash = (
                describe_stop(scenario, r, s),
                LATE if late else route_colour(i),
                "visits",
                None,
            )
            weight = 4 if late else 2
        else:
            lines, edge, layer, dash, weight = (
                describe_unassigned(scenario, t.id, reasons.get(t.id, "")),
                UNASSIGNED,
                "unassigned",
                "4 3",
                3,
            )
        popup = folium.Popup("<br>".join(html.escape(x) for x in lines), max_width=340)
        folium.CircleMarker(
            at,
            radius=7,
            color=edge,
            weight=weight,
            dash_array=dash,
            fill=True,
            fill_color=tier_colour(scenario, t.priority),
            fill_opacity=0.9 if layer == "visits" else 0.4,
            popup=popup,
            tooltip=t.id,
        ).add_to(layers[layer])
    for d in scenario.depots:
        folium.Marker(
            (d.location.lat, d.location.lon),
            tooltip=f"depot {d.id}",
            icon=folium.Icon(color="black", icon="wrench"),
        ).add_to(layers["depots and homes"])
    for e in scenario.engineers:
        for loc in {(e.start.lat, e.start.lon), (e.home.lat, e.home.lon)}:
            folium.Marker(
                loc, tooltip=f"home {e.id}", icon=folium.Icon(color="gray", icon="home")
            ).add_to(layers["depots and homes"])
    if points:
        m.fit_bounds(
            [
                [min(p[0] for p in points), min(p[1] for p in points)],
                [max(p[0] for p in points), max(p[1] for p in points)],
            ]
        )
    folium.LayerControl(collapsed=False).add_to(m)
    return m


# ------------------------------------------------------------ schedule (Gantt)

# bar styles of the schedule, by kind; service bars are keyed by their tier colour
_BARS = {
    "shift": {"height": 0.9, "color": "#f8f9fa"},
    "travel": {"height": 0.22, "color": TRAVEL},
    "waiting": {"height": 0.22, "color": WAITING, "lw": 0.5},
    "break": {"height": 0.5, "color": BREAK, "zorder": 3},
    "late": {"height": 0.09, "color": LATE},
}


def schedule_figure(scenario: Scenario, plan: Plan):
    """A matplotlib Figure, one row per route (one panel per day): travel, waiting, service (tier
    colour), restocks and breaks as bars; appointment windows as a line under the bar; SLA deadlines
    as ticks and lateness as a red bar from deadline to start, labelled with the minutes late.

    Bars of a kind are one PolyCollection per panel: a patch per bar takes seconds on a 75-route
    week.
    """
    _need("matplotlib")
    from matplotlib import dates as mdates
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    days = sorted({r.depart.date() for r in plan.routes}) or [scenario.planning_start.date()]
    per_day = [[(i, r) for i, r in enumerate(plan.routes) if r.depart.date() == d] for d in days]
    n = sum(max(1, len(p)) for p in per_day)
    fig = Figure(figsize=(13.5, 1.2 + (0.6 if n <= 20 else 0.4) * n), layout="constrained")
    axes = fig.subplots(
        len(days), 1, squeeze=False, height_ratios=[max(1, len(p)) for p in per_day]
    )[:, 0]
    x = mdates.date2num
    placed: dict[str, list] = {}  # ticket -> [(axes, row, stop)] of each of its visits
    for ax, rows, day in zip(axes, per_day, days):
        bars: dict[str, list] = {}  # kind or tier colour -> [(y, from, to, edge colour)]
        marks: dict[str, list] = {"windows": [], "deadlines": []}
        for y, (i, r) in enumerate(rows):
            sh = scenario.engineer(r.engineer).shifts[r.shift]
            bars.setdefault("shift", []).append((y, sh.start, sh.end, "#dee2e6"))
            t = r.depart
            for k, s in enumerate(s for s in r.stops if s.type != "break"):
                arrival = s.arrival or s.start
                bars.setdefault("travel", []).append((y, t, arrival, TRAVEL))
                bars.setdefault("waiting", []).append((y, arrival, s.start, "#adb5bd"))
                colour = (
                    RESTOCK
                    if s.type == "restock"
                    else tier_colour(scenario, scenario.ticket(s.ticket).priority)
                )
                bars.setdefault(colour, []).append((y, s.start, s.end, route_colour(i)))
                t = s.end
                if s.type == "visit":
                    _visit_marks(ax, scenario, scenario.ticket(s.ticket), s, y, k, bars, marks, x)
                    placed.setdefault(s.ticket, []).append((ax, y, s))
            bars["travel"].append((y, t, r.return_, TRAVEL))
            bars.setdefault("break", []).extend(
                (y, b.start, b.end, "#b08900") for b in r.stops if b.type == "break"
            )
        for kind, items in bars.items():
            style = _BARS.get(kind, {"height": 0.5, "color": kind})
            h = style["height"] / 2
            verts = [
                [(x(a), y - h), (x(a), y + h), (x(b), y + h), (x(b), y - h)] for y, a, b, _ in items
            ]
            ax.add_collection(
                PolyCollection(
                    verts,
                    facecolors=style["color"],
                    edgecolors=[e for *_, e in items],
                    linewidths=style.get("lw", 1.0),
                    zorder=style.get("zorder", 2),
                )
            )
        if marks["windows"]:
            ys, a, b = map(list, zip(*marks["windows"]))
            ax.hlines(ys, x(a), x(b), color="#343a40", lw=1.2)
            ax.vlines(
                x(a + b),
                [y - 0.05 for y in ys * 2],
                [y + 0.05 for y in ys * 2],
                color="#343a40",
                lw=1.2,
            )
        if marks["deadlines"]:
            ys, when, late = zip(*marks["deadlines"])
            ax.vlines(
                x(list(when)),
                [y - 0.42 for y in ys],
                [y + 0.42 for y in ys],
                colors=[LATE if v else "#6c757d" for v in late],
                linestyles=["-" if v else ":" for v in late],
                lw=1.3,
            )
        spans = [(scenario.engineer(r.engineer).shifts[r.shift], r) for _, r in rows]
        lo = min(
            (min(sh.start, r.depart) for sh, r in spans),
            default=datetime.combine(day, datetime.min.time()),
        )
        hi = max((max(sh.end, r.return_) for sh, r in spans), default=lo + timedelta(hours=24))
        if scenario.now is not None and lo <= scenario.now <= hi:
            ax.axvline(x(scenario.now), color=NOW, ls="--", lw=1.5, zorder=6)
        ax.set_yticks(range(len(rows)), [route_label(scenario, r) for _, r in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlim(x(lo - timedelta(minutes=20)), x(hi + timedelta(minutes=20)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
        ax.xaxis.set_major_locator(mdates.HourLocator())
        ax.grid(axis="x", color="#e9ecef")
        ax.set_title(f"{day:%A %d %B %Y}", loc="left", fontsize=10)
    keys = [
        Patch(color=TRAVEL, label="travel"),
        Patch(facecolor=WAITING, edgecolor="#adb5bd", label="waiting"),
        *[Patch(color=tier_colour(scenario, k), label=f"service: {k}") for k in scenario.tiers],
        Patch(color=RESTOCK, label="restock"),
        Patch(color=BREAK, label="break"),
        Line2D([], [], color="#343a40", marker="|", label="appointment window"),
        Line2D([], [], color="#6c757d", ls=":", label="SLA deadline (met)"),
        Line2D([], [], color=LATE, lw=3, label="SLA missed: lateness"),
    ]
    keys += [Line2D([], [], color=NOW, ls="--", label="now")] if scenario.now is not None else []
    keys += _links(fig, scenario, placed, x)
    fig.legend(
        handles=keys,
        loc="outside lower center",
        ncol=(len(keys) + 1) // 2,
        fontsize=8,
        frameon=False,
    )
    return fig


def _links(fig, sc: Scenario, placed: dict[str, list], x) -> list:
    """Crew visits joined across their members' rows (a bar from the first row to the last at the
    common start, a dot on each member, a ring on the lead), follow-ups joined by a dashed arrow
    from the end of the visit they follow (its lead) to their start, across days too. Artists
    carry gid 'crew-link' / 'follow-up-link'; returns the legend keys for what was drawn."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import ConnectionPatch

    crews = follows = 0
    for tid, visits in placed.items():
        if len(visits) < 2:
            continue
        by_ax: dict = {}
        for ax, y, s in visits:
            by_ax.setdefault(ax, []).append((y, s))
        for ax, members in by_ax.items():
            ys = sorted(y for y, _ in members)
            at = x(members[0][1].start)
            ax.vlines(at, ys[0], ys[-1], color=CREW, lw=2.2, zorder=6, gid="crew-link")
            ax.scatter([at] * len(ys), ys, s=22, color=CREW, zorder=7, gid="crew-link")
            lead = [y for y, s in members if s.lead]
            ax.scatter([at] * len(lead), lead, s=70, facecolors="none", edgecolors=CREW, zorder=7)
            crews += 1
    for tid, visits in placed.items():
        after = sc.ticket(tid).after
        if after is None or after.ticket not in placed:
            continue
        ax2, y2, s2 = _lead_visit(visits)
        ax1, y1, s1 = _lead_visit(placed[after.ticket])
        link = ConnectionPatch(
            (x(s1.end), y1),
            (x(s2.start), y2),
            coordsA=ax1.transData,
            coordsB=ax2.transData,
            arrowstyle="->",
            linestyle="--",
            color=FOLLOW_UP,
            lw=1.3,
            connectionstyle="arc3,rad=-0.15" if ax1 is ax2 else "arc3,rad=0",
            zorder=8,
        )
        link.set_gid("follow-up-link")
        fig.add_artist(link)
        follows += 1
    keys = []
    if crews:
        keys.append(Line2D([], [], color=CREW, lw=2.2, marker="o", label="crew visit (together)"))
    if follows:
        keys.append(Line2D([], [], color=FOLLOW_UP, ls="--", label="follow-up of a visit"))
    return keys


def _lead_visit(visits: list) -> tuple:
    """The (axes, row, stop) of a visit's lead (a crew visit), or of its only visit."""
    return next((v for v in visits if v[2].lead), visits[0])


def _visit_marks(
    ax, sc: Scenario, t: Ticket, s: Stop, y: int, k: int, bars: dict, marks: dict, x
) -> None:
    """Windows under the bar (staggered so neighbours' windows do not merge), the SLA deadline as a
    tick (dotted grey while met, solid red when missed), lateness as a red bar from deadline to
    start."""
    marks["windows"] += [(y + 0.3 + 0.08 * (k % 2), w.start, w.end) for w in t.windows]
    deadline, late = sc.deadline(t), late_min(sc, t, s.start)
    marks["deadlines"].append((y, deadline, late > TOLERANCE_MIN))
    if late > TOLERANCE_MIN:
        bars.setdefault("late", []).append((y - 0.33, deadline, s.start, LATE))
        ax.text(
            x(s.start),
            y - 0.33,
            f" +{late:.0f} min late",
            color=LATE,
            fontsize=7,
            va="center",
            fontweight="bold",
            clip_on=True,
            zorder=5,
            bbox={"fc": "white", "ec": "none", "pad": 0.3, "alpha": 0.8},
        )


# ------------------------------------------------------------ KPI tables and figures


def kpi_tables(scenario: Scenario, plan: Plan) -> dict[str, pd.DataFrame]:
    """'summary', 'sla' (per tier), 'utilisation' (the engineer table), 'unassigned' (with
    reasons), 'response' (per tier) and 'response_zones', 'faults' (tickets by fault type, empty
    without), 'workload' (working minutes per engineer-day)."""
    k = build_kpis(scenario, plan)
    sla = pd.DataFrame.from_dict(k["tiers"], orient="index").rename_axis("tier")
    sla["late"] = sla["served"] - sla["on_time"]
    sla["on_time_pct"] = (100 * sla["on_time"] / sla["served"].where(sla["served"] > 0)).round(1)
    moves = plan.routes_frame().groupby("engineer")[["distance_km"]].sum()
    util = pd.DataFrame.from_dict(k["engineers"], orient="index").rename_axis("engineer")
    util = util.join(moves).fillna({"distance_km": 0.0}).round({"distance_km": 2})
    unassigned = pd.DataFrame(
        [
            {
                "ticket": u.ticket,
                "tier": scenario.ticket(u.ticket).priority,
                "deadline": scenario.deadline(scenario.ticket(u.ticket)),
                "code": u.code,
                "reason": u.reason,
            }
            for u in plan.unassigned
        ],
        columns=["ticket", "tier", "deadline", "code", "reason"],
    )
    values = {
        key: k[key]
        for key in ("tickets", "served", "unassigned", "travel_min", "distance_km", "overtime_min")
    }
    if "preferred" in k:
        values |= {"preferred": k["preferred"]["tickets"], "preferred_kept": k["preferred"]["kept"]}
    if "crews" in k:
        c = k["crews"]
        values |= {"crew_tickets": c["tickets"], "crew_visits": c["visits"]}
        values |= {"crew_hours": c["crew_hours"]}
    if "follow_ups" in k:
        f = k["follow_ups"]
        values |= {"follow_ups": f["tickets"], "follow_ups_planned": f["planned"]}
        values |= {"follow_ups_within_lag": f["within_lag"]}
    summary = pd.DataFrame({"value": values})
    response = {
        by: pd.DataFrame.from_dict(k["response"][key], orient="index").rename_axis(by)
        for by, key in (("tier", "tiers"), ("zone", "zones"))
    }
    faults = pd.DataFrame.from_dict(
        k.get("faults") or {}, orient="index", columns=["tickets", "served"]
    )
    return {
        "summary": summary,
        "sla": sla,
        "utilisation": util,
        "unassigned": unassigned,
        "response": response["tier"],
        "response_zones": response["zone"],
        "faults": faults.rename_axis("fault"),
        "workload": pd.DataFrame({"value": k["workload"]}),
    }


def utilisation_figure(scenario: Scenario, plan: Plan):
    """Per engineer, hours of service, travel, breaks and idle shift time, plus overtime,
    stacked."""
    _need("matplotlib")
    from matplotlib.figure import Figure

    util = kpi_tables(scenario, plan)["utilisation"]
    brk = {
        e: sum(
            (s.end - s.start).total_seconds() / 60
            for r in plan.routes
            if r.engineer == e
            for s in r.stops
            if s.type == "break"
        )
        for e in util.index
    }
    parts = {"service": util["service_min"], "travel": util["travel_min"], "break": pd.Series(brk)}
    parts["idle"] = (util["shift_min"] - sum(parts.values())).clip(lower=0)
    parts["overtime"] = util["overtime_min"]
    colours = {
        "service": "#2a9d8f",
        "travel": TRAVEL,
        "break": BREAK,
        "idle": WAITING,
        "overtime": LATE,
    }
    fig = Figure(figsize=(7, 0.8 + 0.32 * len(util)), layout="constrained")
    ax = fig.subplots()
    left = pd.Series(0.0, index=util.index)
    for name, v in parts.items():
        ax.barh(
            util.index,
            v / 60,
            left=left / 60,
            color=colours[name],
            label=name,
            edgecolor="white",
            lw=0.5,
        )
        left = left + v
    for y, (e, u) in enumerate(util["utilisation"].items()):
        ax.text(left[e] / 60 + 0.1, y, f"{100 * u:.0f}%", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("hours (utilisation = service / shift)")
    ax.legend(ncol=5, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
    return fig


# ------------------------------------------------------------ comparing two plans


def compare_plans(
    scenario: Scenario,
    plan_a: Plan,
    plan_b: Plan,
    labels: tuple[str, str] = ("A", "B"),
    *,
    scenario_a: Scenario | None = None,
) -> pd.DataFrame:
    """Two plans side by side with the change (B - A), one row per KPI: a thin form of
    `dispatch_opt.compare`. Each plan is judged against its own scenario: `plan.scenario` when the
    plan carries one (every solved or loaded plan does), else `scenario` (`scenario_a` for A)."""
    a = (scenario_a or plan_a.scenario or scenario, plan_a)
    b = (plan_b.scenario or scenario, plan_b)
    df = compare({labels[0]: a, labels[1]: b})
    df["change"] = (df[labels[1]] - df[labels[0]]).round(3)
    return df

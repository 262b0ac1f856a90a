"""One self-contained HTML report of a plan: map, schedule, KPIs, unassigned tickets with reasons.

The file must open on a dispatcher's laptop with no network, and be safe to mail around, so it
loads nothing: the map is inline SVG drawn here (routes over projected lat/lon, or x/y as is; no
tiles, no Leaflet, whose JS no installed package ships), the charts are inline PNGs, the style and
the few lines of script are inline. Hovering a ticket shows its popup (SVG <title>); clicking an
engineer in the legend highlights that route. The script also sets #report-status to 'ready' once
every image has decoded, which the browser test reads.
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import replace
from pathlib import Path

from ..evaluation.checker import check
from ..evaluation.lateness import CAUSES
from ..format.plan import Plan
from ..format.scenario import TOLERANCE_MIN, Location, Scenario, ScenarioError
from .viz import (
    LATE,
    UNASSIGNED,
    describe_stop,
    describe_unassigned,
    kpi_tables,
    late_min,
    location_kind,
    route_colour,
    route_label,
    route_path,
    schedule_figure,
    tier_colour,
    utilisation_figure,
)


def write_report(scenario: Scenario, plan: Plan, path, *, title: str | None = None) -> Path:
    """Write the report to `path` (UTF-8 HTML) and return the path."""
    Path(path).write_text(render_report(scenario, plan, title=title), encoding="utf-8")
    return Path(path)


def render_report(scenario: Scenario, plan: Plan, *, title: str | None = None) -> str:
    _same_ids(scenario, plan)
    title = title or f"Dispatch plan: {scenario.name}"
    tables = kpi_tables(scenario, plan)
    result = check(scenario, plan)
    verdict = (
        '<p class="ok">Checker: the plan keeps every hard rule.</p>'
        if result.ok
        else f'<div class="bad"><b>Checker: {len(result.violations)} violation(s)</b><ul>'
        + "".join(f"<li>{_e(v)}</li>" for v in result.violations[:50])
        + "</ul></div>"
    )
    unassigned = tables["unassigned"].assign(
        deadline=lambda d: d["deadline"].map(lambda t: f"{t:%a %d %b %H:%M}")
    )
    util = tables["utilisation"].assign(
        utilisation=lambda d: (100 * d["utilisation"]).map(lambda u: f"{u:.0f} %")
    )
    body = f"""<header><h1>{_e(title)}</h1>{_cards(scenario, tables)}{verdict}</header>
<section class="row"><div class="card map"><h2>Routes</h2>{svg_map(scenario, plan)}{
        _legend(scenario, plan)
    }</div>
<div class="card side"><h2>SLA by tier</h2>{_table(tables["sla"])}
<h2>Unassigned ({len(plan.unassigned)})</h2><div class="scroll">{
        _table(unassigned, index=False)
        if len(unassigned)
        else "<p>None: every ticket is planned.</p>"
    }</div></div></section>
<section class="card"><h2>Schedule</h2>{
        _png(schedule_figure(scenario, plan), "Schedule per engineer-shift")
    }</section>
<section class="row"><div class="card"><h2>Response times: call to engineer on site (min)</h2>{
        _table(tables["response"])
    }<h2>By zone</h2>{_table(tables["response_zones"])}</div>
<div class="card"><h2>Workload per engineer-day (service + travel)</h2>{_table(tables["workload"])}{
        _faults(tables["faults"])
    }</div></section>
<section class="row"><div class="card"><h2>Engineers</h2>{_table(util)}</div>
<div class="card"><h2>Utilisation</h2>{
        _png(utilisation_figure(scenario, plan), "Utilisation per engineer")
    }</div></section>
{_late(scenario, plan)}
<section class="card"><details><summary>All stops</summary>{
        _stops(scenario, plan)
    }</details></section>
<footer>Report script: <span id="report-status" data-state="pending">not run</span></footer>"""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>
<style>{CSS}</style></head><body>{body}<script>{JS}</script></body></html>"""


def _same_ids(sc: Scenario, plan: Plan) -> None:
    """A plan of another scenario would fail deep in the drawing; say so up front (CLI exit 2)."""
    shifts = {e.id: len(e.shifts) for e in sc.engineers}
    ids = {t.id for t in sc.tickets} | {d.id for d in sc.depots}
    problems = [
        f"plan route {r.engineer!r} shift {r.shift}: no such engineer or shift in the scenario"
        for r in plan.routes
        if r.shift >= shifts.get(r.engineer, 0)
    ]
    used = {s.ticket or s.depot for r in plan.routes for s in r.stops if s.type != "break"}
    used |= {u.ticket for u in plan.unassigned}
    problems += [f"plan: ticket or depot {x!r} is not in the scenario" for x in sorted(used - ids)]
    if problems:
        raise ScenarioError(
            [f"{p}; fix: report the plan with the scenario it was made for" for p in problems]
        )


def svg_map(scenario: Scenario, plan: Plan, width: int = 760, height: int = 560) -> str:
    """Routes, tickets, depots and homes as inline SVG, with a scale bar; no background tiles."""
    kind = location_kind(scenario)
    if kind == "node":
        return '<p class="note">No map: locations are matrix nodes without coordinates.</p>'
    every = [loc for r in plan.routes for loc in route_path(scenario, r)] + [
        t.location for t in scenario.live_tickets
    ]
    every += [d.location for d in scenario.depots] + [
        p for e in scenario.engineers for p in (e.start, e.home)
    ]
    cos0 = math.cos(math.radians(sum(p.lat for p in every) / len(every))) if kind == "geo" else 1.0

    def raw(p: Location) -> tuple[float, float]:
        return (p.lon * cos0, -p.lat) if kind == "geo" else (p.x, -p.y)

    xs, ys = zip(*(raw(p) for p in every))
    w, h = (
        max(max(xs) - min(xs), 0.01),
        max(max(ys) - min(ys), 0.01),
    )  # 0.01: about 1 km (geo), 10 m (x/y)
    scale = min((width - 48) / w, (height - 48) / h)
    ox, oy = (width - scale * w) / 2 - scale * min(xs), (height - scale * h) / 2 - scale * min(ys)

    def xy(p: Location) -> tuple[float, float]:
        x, y = raw(p)
        return ox + scale * x, oy + scale * y

    parts = [
        f'<svg id="map" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" '
        f'aria-label="route map"><rect width="100%" height="100%" fill="#f4f6f8"/>'
    ]
    for i, r in enumerate(plan.routes):
        if len(path := route_path(scenario, r)) > 2:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in map(xy, path))
            parts.append(
                f'<polyline class="route" data-route="{i}" points="{points}" '
                f'stroke="{route_colour(i)}">'
                f"<title>{_e(route_label(scenario, r))}: {len(r.visits)} visits, "
                f"{r.travel_min:.0f} min travel</title></polyline>"
            )
    for e in scenario.engineers:
        for x, y in {xy(e.start), xy(e.home)}:
            parts.append(
                f'<path class="home" d="M{x - 6:.1f},{y + 5:.1f}h12v-8l-6,-5l-6,5z">'
                f"<title>home {_e(e.id)}</title></path>"
            )
    for d in scenario.depots:
        x, y = xy(d.location)
        parts.append(
            f'<rect class="depot" x="{x - 7:.1f}" y="{y - 7:.1f}" width="14" height="14">'
            f"<title>depot {_e(d.id)}</title></rect>"
        )
    visits = {
        s.ticket: (i, r, s, n) for i, r in enumerate(plan.routes) for n, s in enumerate(r.visits, 1)
    }
    reasons = {u.ticket: u.reason for u in plan.unassigned}
    for t in scenario.live_tickets:
        x, y = xy(t.location)
        if t.id in visits:
            i, r, s, n = visits[t.id]
            late = late_min(scenario, t, s.start) > TOLERANCE_MIN
            cls, edge, label = (
                ("visit late", LATE, str(n)) if late else ("visit", route_colour(i), str(n))
            )
            lines = describe_stop(scenario, r, s)
        else:
            i, cls, edge, label = -1, "unassigned", UNASSIGNED, "?"
            lines = describe_unassigned(scenario, t.id, reasons.get(t.id, ""))
        parts.append(
            f'<g class="ticket {cls}" data-route="{i}" data-ticket="{_e(t.id)}">'
            f'<title>{_e(chr(10).join(lines))}</title><circle cx="{x:.1f}" cy="{y:.1f}" r="8" '
            f'fill="{tier_colour(scenario, t.priority)}" stroke="{edge}"/>'
            f'<text x="{x:.1f}" y="{y + 3:.1f}">{label}</text></g>'
        )
    km = (
        111.195 if kind == "geo" else 1.0
    ) / scale  # km per pixel (111.195 km per degree of latitude)
    bar = next(
        v
        for v in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 1e9)
        if v / km >= 80
    )
    parts.append(
        f'<g class="scale"><path d="M12,{height - 14}v5h{bar / km:.1f}v-5"/>'
        f'<text x="12" y="{height - 18}">{bar:g} km</text></g></svg>'
    )
    return "".join(parts)


def _legend(sc: Scenario, plan: Plan) -> str:
    tiers = "".join(
        f'<li><i class="dot" style="background:{tier_colour(sc, k)}"></i>{_e(k)}</li>'
        for k in sc.tiers
    )
    routes = "".join(
        f'<li class="pick" data-route="{i}"><i class="line" '
        f'style="background:{route_colour(i)}"></i>'
        f"{_e(route_label(sc, r))}</li>"
        for i, r in enumerate(plan.routes)
        if len(route_path(sc, r)) > 2
    )
    marks = (
        f'<li><i class="dot ring" style="border-color:{LATE}"></i>late visit</li>'
        f'<li><i class="dot ring dashed"></i>unassigned</li><li><i class="sq"></i>depot</li>'
        '<li><i class="house"></i>home</li>'
    )
    return (
        f'<ul class="legend">{tiers}{marks}</ul><ul class="legend routes">{routes}</ul>'
        '<p class="note">Numbers give the visit order. Hover a ticket for its details; click an '
        "engineer to "
        "highlight the route (again to show all).</p>"
    )


def _faults(faults) -> str:
    if not len(faults):
        return ""
    return f"<h2>Tickets by fault type</h2>{_table(faults)}"


def _cards(sc: Scenario, tables: dict) -> str:
    s, sla = tables["summary"]["value"], tables["sla"]
    cards = [
        ("planned", f"{s['served']:.0f} / {s['tickets']:.0f}"),
        ("unassigned", f"{s['unassigned']:.0f}"),
        *[(f"{v.Index} on time", f"{v.on_time} / {v.tickets}") for v in sla.itertuples()],
        ("travel", f"{s['travel_min'] / 60:.1f} h, {s['distance_km']:.0f} km"),
        ("overtime", f"{s['overtime_min']:.0f} min"),
    ]
    if "preferred_kept" in s:
        cards.append(
            ("with preferred engineer", f"{s['preferred_kept']:.0f} / {s['preferred']:.0f}")
        )
    if "crew_visits" in s:
        cards.append(("crew visits served", f"{s['crew_visits']:.0f} / {s['crew_tickets']:.0f}"))
        cards.append(("crew-hours on site", f"{s['crew_hours']:.1f} h"))
    if "follow_ups" in s:
        cards.append(
            (
                "follow-ups within their lag",
                f"{s['follow_ups_within_lag']:.0f} / {s['follow_ups']:.0f}",
            )
        )
    return (
        '<div class="cards">'
        + "".join(f"<div><b>{_e(v)}</b><span>{_e(k)}</span></div>" for k, v in cards)
        + "</div>"
    )


def _stops(sc: Scenario, plan: Plan) -> str:
    df = replace(plan, scenario=sc).stops_frame()
    for c in ("arrival", "start", "end"):
        df[c] = df[c].map(lambda t: f"{t:%H:%M}" if t == t and t is not None else "")
    df["deadline"] = df["deadline"].map(
        lambda t: f"{t:%a %d %H:%M}" if t == t and t is not None else ""
    )
    return _table(df.drop(columns=["depot"] if df["depot"].isna().all() else []), index=False)


def _late(sc: Scenario, plan: Plan) -> str:
    """Late visits with their cause: a tier whose windows open after its deadlines is then not
    read as a planning failure."""
    df = replace(plan, scenario=sc).stops_frame()
    df = df[df["late_cause"].notna()]
    if df.empty:
        return ""
    counts = df.groupby(["priority", "late_cause"]).size().unstack(fill_value=0)
    counts = counts.reindex([t for t in sc.tiers if t in counts.index])
    counts = counts.rename(columns=CAUSES)
    rows = df.assign(
        start=df["start"].map(lambda t: f"{t:%a %d %H:%M}"),
        deadline=df["deadline"].map(lambda t: f"{t:%a %d %H:%M}"),
    )[
        [
            "ticket",
            "priority",
            "engineer",
            "start",
            "deadline",
            "late_min",
            "late_cause",
            "late_reason",
        ]
    ]
    return (
        f'<section class="card"><h2>Late visits and why ({len(df)})</h2>{_table(counts)}'
        f"<details><summary>Each late visit</summary>{_table(rows, index=False)}</details></section>"
    )


def _table(df, index: bool = True) -> str:
    df = df.rename(columns=lambda c: str(c).replace("_", " ").replace(" pct", " %"))
    return df.to_html(
        border=0,
        index=index,
        index_names=False,
        na_rep="",
        float_format=lambda v: f"{v:,.1f}",
        classes="tbl",
    )


def _png(fig, alt: str) -> str:
    """A matplotlib figure as an inline base64 PNG: no file beside the report, nothing to fetch."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _e(text) -> str:
    return html.escape(str(text))


CSS = """body{font:14px system-ui,sans-serif;margin:16px;background:#eef1f4;color:#212529}h1{margin:0 0 8px;font-size:22px}
h2{font-size:15px;margin:4px 0 8px}.card{background:#fff;border-radius:6px;padding:12px;margin-bottom:12px}
.row{display:flex;gap:12px;align-items:flex-start}.row>.card{flex:1;min-width:0;overflow-x:auto}
.map{flex:0 0 786px!important}.cards{display:flex;gap:8px;flex-wrap:wrap;margin-bottom:8px}
.cards div{background:#fff;border-radius:6px;padding:8px 12px}.cards b{display:block;font-size:18px}
.cards span{color:#6c757d;font-size:12px}.ok{color:#2b8a3e;margin:4px 0}.bad{color:#c00000}
.scroll{max-height:560px;overflow-y:auto}img,#map{max-width:100%;height:auto}
.tbl{border-collapse:collapse;font-size:12px;width:100%}.tbl th,
.tbl td{padding:3px 5px;border-bottom:1px solid #e9ecef;text-align:right}.tbl td:last-child{text-align:left}
.route{fill:none;stroke-width:3;opacity:.85}.ticket circle{stroke-width:2}.late circle{stroke-width:4}
.unassigned circle{stroke-width:2.5;stroke-dasharray:3 2;fill-opacity:.45}
.ticket text{font-size:9px;text-anchor:middle;fill:#fff;font-weight:bold;pointer-events:none}
.unassigned text{fill:#222}.depot{fill:#222}.home{fill:#fff;stroke:#495057;stroke-width:1.5}
.scale path{fill:none;stroke:#333}.scale text{font-size:11px}.dim{opacity:.12}
.legend{list-style:none;padding:0;margin:6px 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px}
.legend i{display:inline-block;margin-right:4px;vertical-align:middle}.dot{width:12px;height:12px;border-radius:50%}
.ring{border:3px solid;width:8px;height:8px}.dashed{border:2px dashed #222}
.sq{width:11px;height:11px;background:#222}.house{width:10px;height:10px;border:1.5px solid #495057}
.line{width:18px;height:4px}.pick{cursor:pointer}.pick.on{font-weight:bold}.note,footer{color:#6c757d;font-size:12px}"""

JS = """window.addEventListener('load',function(){var st=document.getElementById('report-status');
try{var chosen=null,items=document.querySelectorAll('.pick'),marks=document.querySelectorAll('#map [data-route]');
items.forEach(function(li){li.addEventListener('click',function(){chosen=chosen===li.dataset.route?null:li.dataset.route;
items.forEach(function(x){x.classList.toggle('on',x.dataset.route===chosen)});
marks.forEach(function(m){m.classList.toggle('dim',chosen!==null&&m.dataset.route!==chosen)})})});
var bad=[].filter.call(document.images,function(i){return !(i.complete&&i.naturalWidth>0)}).length;
st.textContent=bad?bad+' image(s) failed to decode':'ready: '+document.querySelectorAll('#map .route').length+
' routes, '+document.querySelectorAll('#map .ticket').length+' tickets, '+document.images.length+' charts';
st.dataset.state=bad?'error':'ready'}catch(e){st.textContent='error: '+e;st.dataset.state='error';throw e}});"""

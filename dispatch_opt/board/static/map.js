// An offline map: the scenario's points on an SVG (no tiles), routes as lines. Latitude and
// longitude are drawn equirectangular around the area's middle; planar x/y as given.

import { tierStyle } from "./util.js";

const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text = null) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== null) {
    const t = document.createElementNS(NS, "title");
    t.textContent = text;
    e.append(t);
  }
  return e;
}

export function renderMap(root, view, selected) {
  const { scenario, plan, tiers } = view;
  const locs = [];
  const add = (l) => l && locs.push(l);
  scenario.engineers.forEach((e) => { add(e.start); add(e.position); });
  scenario.tickets.forEach((t) => add(t.location));
  (scenario.depots || []).forEach((d) => add(d.location));
  const geo = locs.length && "lat" in locs[0];
  const midLat = geo ? locs.reduce((s, l) => s + l.lat, 0) / locs.length : 0;
  const k = Math.cos((midLat * Math.PI) / 180);
  const px = (l) => (geo ? [l.lon * k, -l.lat] : [l.x, -l.y]);
  const pts = locs.map(px);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  const w = Math.max(Math.max(...xs) - x0, 1e-6);
  const h = Math.max(Math.max(...ys) - y0, 1e-6);
  const W = 380;
  const H = Math.max(200, Math.min(520, (W * h) / w));
  const sx = (W - 20) / w;
  const sy = (H - 20) / h;
  const s = Math.min(sx, sy);
  const P = (l) => {
    const [a, b] = px(l);
    return [10 + (a - x0) * s, 10 + (b - y0) * s];
  };
  const root2 = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img",
    "aria-label": "Map of tickets, engineers, depots and routes" });
  root2.append(svg("rect", { x: 0, y: 0, width: W, height: H, fill: "#fafafa",
    stroke: "#ccc" }));
  const byEng = new Map(scenario.engineers.map((e) => [e.id, e]));
  const tix = new Map(scenario.tickets.map((t) => [t.id, t]));
  const deps = new Map((scenario.depots || []).map((d) => [d.id, d]));
  for (const r of plan.routes) {
    const e = byEng.get(r.engineer);
    if (!e) continue;
    const seq = [e.position || e.start];
    for (const st of r.stops) {
      if (st.type === "visit" && tix.get(st.ticket)) seq.push(tix.get(st.ticket).location);
      if (st.type === "restock" && deps.get(st.depot)) seq.push(deps.get(st.depot).location);
    }
    seq.push(e.end || e.start);
    const on = selected === r.engineer;
    root2.append(svg("polyline", {
      points: seq.map((l) => P(l).join(",")).join(" "),
      fill: "none", stroke: on ? "#000" : "#555", "stroke-width": on ? 2.2 : 0.8,
      "stroke-opacity": on ? 1 : 0.45, "data-engineer": r.engineer,
    }, `route of ${r.engineer} shift ${r.shift}`));
  }
  const open = new Set(plan.unassigned.map((u) => u.ticket));
  for (const t of scenario.tickets) {
    if (t.status === "done") continue;
    const [cx, cy] = P(t.location);
    const st = tierStyle(tiers, t.priority);
    const un = open.has(t.id);
    root2.append(svg("circle", {
      cx, cy, r: un ? 4 : 3, fill: un ? "#fff" : st.bg, stroke: un ? st.bg : "#000",
      "stroke-width": un ? 2 : 0.5, "data-ticket": t.id,
    }, `${t.id} (${t.priority})${un ? ", unassigned" : ""}`));
  }
  for (const d of scenario.depots || []) {
    const [cx, cy] = P(d.location);
    root2.append(svg("rect", { x: cx - 5, y: cy - 5, width: 10, height: 10, fill: "#000" },
      `depot ${d.id}`));
  }
  for (const e of scenario.engineers) {
    const [cx, cy] = P(e.position || e.start);
    root2.append(svg("path", { d: `M${cx},${cy - 5} L${cx + 5},${cy + 4} L${cx - 5},${cy + 4} Z`,
      fill: selected === e.id ? "#000" : "#fff", stroke: "#000" }, `engineer ${e.id}`));
  }
  root.replaceChildren(root2);
  const key = document.createElement("p");
  key.className = "help";
  key.textContent = "Filled circle: planned ticket (colour = tier); ring: unassigned; " +
    "triangle: engineer; square: depot; lines: routes (the chosen engineer's in black).";
  root.append(key);
}

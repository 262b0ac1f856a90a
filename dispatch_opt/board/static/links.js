// Crew visits and follow-ups on the Gantt (contract of 2026-12-03: `crew`, `after`, a crew visit
// in each member's route with one `lead`). Two jobs, both from the plan as it stands: what each
// linked visit's box says (crew size, lead, the other members; the visit a follow-up follows, its
// lag, or that it is done), and the links drawn over the rows in one SVG overlay that the Gantt
// rebuilds with itself (so a new version or a resize redraws them, never adds to them).

import { dayHhmm, minutes } from "./util.js";

const SVG = "http://www.w3.org/2000/svg";

// ticket -> its visits in the plan: [{ engineer, shift, lead, start, end }], the lead first.
export function placedVisits(plan) {
  const placed = new Map();
  for (const r of plan.routes) {
    for (const s of r.stops) {
      if (s.type !== "visit") continue;
      if (!placed.has(s.ticket)) placed.set(s.ticket, []);
      placed.get(s.ticket).push({ engineer: r.engineer, shift: r.shift, lead: !!s.lead,
        start: minutes(s.start), end: minutes(s.end) });
    }
  }
  for (const visits of placed.values()) visits.sort((a, b) => b.lead - a.lead);
  return placed;
}

// A lag in the dispatcher's units: "2 d", "3 h 30 min", "45 min".
export function lagText(min) {
  const m = Math.round(min);
  if (m === 0) return "0 min";
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const r = m % 60;
  return [d && `${d} d`, h && `${h} h`, r && `${r} min`].filter(Boolean).join(" ");
}

function lagWords(after) {
  const lo = lagText(after.min_lag_min || 0);
  const bound = after.max_lag_min === undefined || after.max_lag_min === null
    ? `at least ${lo}` : `${lo} to ${lagText(after.max_lag_min)}`;
  return `${bound} after it ends${after.same_engineer ? ", same engineer" : ""}`;
}

// What the box of ticket `tid`'s visit by `eid` says: extra classes, short badges shown on the
// box, and the words added to its label (aria-label and title).
export function linkedLabel(view, placed, followers, tid, eid) {
  const out = { classes: [], badges: [], words: [] };
  const t = view.ticket(tid);
  const visits = placed.get(tid) || [];
  const k = Math.max(visits.length, (t && t.crew) || 1);
  if (k > 1) {
    const mine = visits.find((v) => v.engineer === eid);
    const lead = !!(mine && mine.lead);
    const others = visits.filter((v) => v.engineer !== eid)
      .map((v) => `${v.engineer}${v.lead ? " (lead)" : ""}`);
    out.classes.push("crew");
    if (lead) out.classes.push("lead");
    out.badges.push({ class: "crew-badge", text: `\u00d7${k}${lead ? " lead" : ""}` });
    out.words.push(`crew of ${k}${lead ? ", lead" : ""} with ${others.join(", ") || "nobody"}`);
  }
  const after = t && t.after;
  if (after) {
    const first = placed.get(after.ticket);
    const was = view.ticket(after.ticket);
    let state;
    if (first) {
      const end = first[0].end;
      const gap = visits.length ? visits[0].start - end : null;
      state = `${after.ticket} ends ${dayHhmm(end)} with ${first[0].engineer}` +
        (gap !== null ? `, this starts ${lagText(gap)} later` : "");
    } else if (!was || was.status === "done") {
      state = `${after.ticket} is done (not in this plan), so the lag no longer binds`;
    } else {
      state = `${after.ticket} is not in this plan`;
    }
    out.classes.push("follow-up");
    out.badges.push({ class: "follow-badge", text: "\u21aa" });
    out.words.push(`follow-up of ${after.ticket} (${lagWords(after)}): ${state}`);
  }
  const next = followers.get(tid) || [];
  if (next.length) out.words.push(`followed by ${next.join(", ")}`);
  if (out.words.length) out.words.push("key l: to the linked visits");
  return out;
}

// ticket -> the tickets that follow it (their `after`), for the label of the visit followed.
export function followersOf(scenario) {
  const by = new Map();
  for (const t of scenario.tickets) {
    if (!t.after || t.status === "done") continue;
    if (!by.has(t.after.ticket)) by.set(t.after.ticket, []);
    by.get(t.after.ticket).push(t.id);
  }
  return by;
}

function svg(tag, attrs = {}, text = null) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== null) e.textContent = text;
  return e;
}

// Where a box sits inside the Gantt's scrolled content (the overlay's own coordinates).
function box(node, root) {
  let x = 0;
  let y = 0;
  for (let n = node; n && n !== root; n = n.offsetParent) {
    x += n.offsetLeft;
    y += n.offsetTop;
  }
  return { x, y, w: node.offsetWidth, h: node.offsetHeight };
}

// The overlay: a crew visit's boxes joined by one bar at their common start (a dot on each member,
// a ring on the lead); a follow-up joined by a dashed arrow from the end of the visit it follows
// (its lead's box) to its own start, when both are on the board. `boxOf(ticket, engineer)` finds a
// drawn box. Drawn above the rows, under the sticky labels and header, never catching the pointer.
export function drawLinks(root, view, placed, boxOf) {
  // as large as the rows, no larger: sized to the scroll area, rounding alone could add scrollbars
  const last = root.lastElementChild;
  const layer = svg("svg", { class: "g-links", "aria-hidden": "true",
    width: last ? last.offsetWidth : 0, height: last ? last.offsetTop + last.offsetHeight : 0 });
  const defs = svg("defs");
  const head = svg("marker", { id: "follow-up-arrow", viewBox: "0 0 8 8", refX: 7, refY: 4,
    markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  head.append(svg("path", { d: "M0,0 L8,4 L0,8 z", class: "follow-up-head" }));
  defs.append(head);
  layer.append(defs);
  for (const [tid, visits] of placed) {
    const boxes = visits.map((v) => ({ v, n: boxOf(tid, v.engineer) })).filter((b) => b.n)
      .map((b) => ({ ...b, at: box(b.n, root) }));
    if (boxes.length < 2) continue;
    const x = boxes[0].at.x;
    const top = Math.min(...boxes.map((b) => b.at.y));
    const bottom = Math.max(...boxes.map((b) => b.at.y + b.at.h));
    const g = svg("g", { class: "crew-link", "data-ticket": tid });
    g.append(svg("title", {}, `${tid}: crew of ${visits.length} together at ` +
      `${dayHhmm(visits[0].start)}: ${visits.map((v) => v.engineer + (v.lead ? " (lead)" : ""))
        .join(", ")}`));
    g.append(svg("line", { x1: x, x2: x, y1: top, y2: bottom }));
    for (const b of boxes) {
      g.append(svg("circle", { cx: x, cy: b.at.y + b.at.h / 2, r: b.v.lead ? 4.5 : 2.5,
        class: b.v.lead ? "crew-lead" : "crew-member" }));
    }
    layer.append(g);
  }
  for (const [tid, visits] of placed) {
    const t = view.ticket(tid);
    const first = t && t.after ? placed.get(t.after.ticket) : null;
    if (!first) continue;
    const from = boxOf(t.after.ticket, first[0].engineer);
    const to = boxOf(tid, visits[0].engineer);
    if (!from || !to) continue;
    const a = box(from, root);
    const b = box(to, root);
    const x1 = a.x + a.w;
    const y1 = a.y + a.h / 2;
    const x2 = b.x;
    const y2 = b.y + b.h / 2;
    const reach = Math.max(12, Math.min(60, Math.abs(x2 - x1) / 2));
    // in one row an arc up to the row's edge, over the boxes between; across rows an S
    const lift = y1 === y2 ? -Math.min(a.h / 2 + 3, 2 + Math.abs(x2 - x1) / 8) : 0;
    const d = `M${x1},${y1} C${x1 + reach},${y1 + lift} ${x2 - reach},${y2 + lift} ${x2},${y2}`;
    const p = svg("path", { class: "follow-up-link", "data-ticket": tid,
      "data-follows": t.after.ticket, d, "marker-end": "url(#follow-up-arrow)" });
    p.append(svg("title", {}, `${tid} follows ${t.after.ticket} (${lagWords(t.after)})`));
    layer.append(p);
  }
  root.append(layer);
}

// The side panels: unassigned tickets with reason and action, KPIs per tier with response
// times, the ticket form (new ticket and caller) and what a re-plan changed.

import { actionFor, el, hhmm, minutes, signed, tierStyle } from "./util.js";

export function renderUnassigned(root, view, canMove, place) {
  root.replaceChildren();
  if (!view.plan.unassigned.length) {
    root.append(el("li", { text: "Every ticket is planned." }));
    return;
  }
  for (const u of view.plan.unassigned) {
    const t = view.ticket(u.ticket);
    const tier = t ? t.priority : "?";
    const st = tierStyle(view.tiers, tier);
    root.append(el("li", { class: "unassigned", "data-ticket": u.ticket },
      el("span", { class: "chip", style: { background: st.bg, color: st.ink } }, tier),
      el("strong", { text: ` ${u.ticket} ` }),
      el("span", { class: "code", text: `[${u.code || "reason"}] ` }),
      el("span", { class: "reason", text: u.reason }),
      el("div", { class: "action", text: `Action: ${actionFor(u.code)}` }),
      canMove ? el("button", { type: "button", class: "place", onclick: () => place(u.ticket),
        "aria-label": `Place ${u.ticket} by hand` }, "Place...") : null));
  }
}

export function renderKpis(root, view) {
  const k = view.plan.kpis || {};
  const resp = (k.response && k.response.tiers) || {};
  const rows = Object.entries(k.tiers || {}).map(([name, t]) => {
    const r = resp[name] || {};
    const st = tierStyle(view.tiers, name);
    return el("tr", {},
      el("th", { scope: "row" }, el("span", { class: "chip",
        style: { background: st.bg, color: st.ink } }, name)),
      el("td", { text: t.tickets }), el("td", { text: t.served }), el("td", { text: t.on_time }),
      el("td", { text: Math.round(t.late_total_min) }),
      el("td", { text: [r.median_min, r.p90_min, r.worst_min].map((x) =>
        (x === null || x === undefined ? "-" : Math.round(x))).join(" / ") }));
  });
  root.replaceChildren(
    el("table", { class: "kpis" },
      el("caption", { text: "Per SLA tier (minutes; response = raised to on site)" }),
      el("thead", {}, el("tr", {}, ...["tier", "tickets", "served", "on time", "late min",
        "response median / p90 / worst"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows)),
    el("p", { text: `Served ${k.served ?? "?"} of ${k.tickets ?? "?"}; unassigned ` +
      `${k.unassigned ?? "?"}; travel ${k.travel_min ?? "?"} min, ${k.distance_km ?? "?"} km; ` +
      `overtime ${k.overtime_min ?? 0} min.` }),
    k.status ? el("p", { class: "help", text: `Last re-plan: ${k.status}` }) : null,
  );
}

// The fields of a ticket, prefilled from the board (a point in the middle of the area).
export function ticketFields(root, view, prefix) {
  const s = view.scenario;
  const locs = s.tickets.map((t) => t.location);
  const geo = locs.length ? "lat" in locs[0] : "lat" in s.engineers[0].start;
  const mid = (f) => (locs.length ? locs.reduce((a, l) => a + l[f], 0) / locs.length : 0);
  const skills = [...new Set(s.engineers.flatMap((e) => e.skills || []))].sort();
  const id = `${prefix}-${Date.now().toString(36).slice(-5)}`;
  const field = (name, label, input) => el("div", { class: "field" },
    el("label", { for: `${prefix}-${name}`, text: label }), input);
  const num = (name, v, step) => el("input", { id: `${prefix}-${name}`, name, type: "number",
    step, value: v.toFixed(5), required: true });
  root.replaceChildren(
    field("id", "Ticket id", el("input", { id: `${prefix}-id`, name: "id", value: id,
      required: true })),
    geo ? field("lat", "Latitude", num("lat", mid("lat"), "0.00001"))
      : field("x", "x (km)", num("x", mid("x"), "0.01")),
    geo ? field("lon", "Longitude", num("lon", mid("lon"), "0.00001"))
      : field("y", "y (km)", num("y", mid("y"), "0.01")),
    field("priority", "SLA tier", el("select", { id: `${prefix}-priority`, name: "priority" },
      view.tiers.map((t) => el("option", { value: t, text: t,
        selected: prefix === "caller" && t === view.tiers[Math.min(2, view.tiers.length - 1)] })))),
    field("duration", "Minutes on site", el("input", { id: `${prefix}-duration`,
      name: "duration", type: "number", min: 1, value: 45, required: true })),
    field("skills", "Skill", el("select", { id: `${prefix}-skills`, name: "skills" },
      el("option", { value: "", text: "(none)" }),
      skills.map((k) => el("option", { value: k, text: k })))),
  );
  return geo;
}

export function readTicket(form, geo) {
  const v = (n) => form.elements[n].value;
  const t = {
    id: v("id").trim(),
    location: geo ? { lat: +v("lat"), lon: +v("lon") } : { x: +v("x"), y: +v("y") },
    priority: v("priority"),
    duration_min: +v("duration"),
  };
  if (v("skills")) t.skills = [v("skills")];
  return t;
}

// What a re-plan changed, from the service's diff, with the new ticket's place first.
export function describeAnswer(answer, tid) {
  const out = [];
  const visit = answer.plan.routes.flatMap((r) => r.stops.filter((s) => s.ticket === tid)
    .map((s) => ({ r, s })))[0];
  const un = answer.plan.unassigned.find((u) => u.ticket === tid);
  if (visit) {
    out.push(`${tid} went to ${visit.r.engineer} (shift ${visit.r.shift}), on site ` +
      `${hhmm(minutes(visit.s.start))}.`);
  } else if (un) {
    out.push(`${tid} could not be planned: ${un.reason}`);
  }
  const changes = (answer.diff && answer.diff.changes) || [];
  const moved = changes.filter((c) => c.ticket !== tid && c.change !== "eta");
  const shifted = changes.filter((c) => c.change === "eta");
  const words = {
    moved: (c) => `moved from ${c.old_engineer} to ${c.new_engineer}`,
    unassigned: (c) => `pushed out (was with ${c.old_engineer})`,
    planned: (c) => `now planned with ${c.new_engineer}`,
    removed: () => "no longer in the scenario",
  };
  for (const c of moved) {
    out.push(`${c.ticket}: ${(words[c.change] || (() => c.change))(c)}.`);
  }
  if (shifted.length) out.push(`${shifted.length} visit(s) re-timed.`);
  if (!moved.length) out.push("Nothing else moved between engineers.");
  return out;
}

export function costLines(c, tiers) {
  const lines = [`travel ${signed(c.travel_min, " min")}, ${signed(c.distance_km, " km")}`];
  for (const name of tiers) {
    const t = c.tiers[name];
    if (!t) continue;
    if (t.late_min || t.late_visits || t.served) {
      lines.push(`${name}: lateness ${signed(t.late_min, " min")}, late visits ` +
        `${signed(t.late_visits)}, served ${signed(t.served)}`);
    } else {
      lines.push(`${name}: no change`);
    }
  }
  lines.push(c.pushed_out.length ? `pushed out: ${c.pushed_out.join(", ")}`
    : "no ticket pushed out");
  return lines;
}

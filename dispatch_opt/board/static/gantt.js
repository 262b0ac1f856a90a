// The Gantt: one row per engineer against time; visits coloured and lettered by SLA tier, late
// visits hatched and marked "!", pinned ones outlined; breaks, restocks and travel drawn too.
// Visits are buttons: Enter opens the move menu; a drag (pointer events) to another row or time
// proposes that move. Arrow keys walk between visits. Crew visits and follow-ups are badged and
// linked across rows (links.js).

import { drawLinks, followersOf, linkedLabel, placedVisits } from "./links.js";
import { el, hhmm, minutes, tierStyle } from "./util.js";

const LABEL = 84; // px of the engineer column

export function span(scenario, plan) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const e of scenario.engineers) {
    for (const s of e.shifts) {
      lo = Math.min(lo, minutes(s.start));
      hi = Math.max(hi, minutes(s.end) + (e.max_overtime_min || 0));
    }
  }
  for (const r of plan.routes) {
    lo = Math.min(lo, minutes(r.depart));
    hi = Math.max(hi, minutes(r.return));
  }
  if (!isFinite(lo)) lo = 0;
  if (!isFinite(hi) || hi <= lo) hi = lo + 600;
  lo = Math.floor(lo / 60) * 60;
  hi = Math.ceil(hi / 60) * 60;
  return { lo, hi };
}

export function renderGantt(root, view, handlers) {
  const { scenario, plan, tiers, late, pinned } = view;
  const { lo, hi } = span(scenario, plan);
  const width = Math.max(400, root.clientWidth - LABEL - 20);
  const ppm = Math.max(width / (hi - lo), 0.6); // pixels per minute
  const x = (m) => (m - lo) * ppm;
  root.replaceChildren();
  root.style.setProperty("--label", `${LABEL}px`);
  const track = (hi - lo) * ppm;

  const head = el("div", { class: "g-head", style: { width: `${LABEL + track}px` } });
  head.append(el("div", { class: "g-label", text: "engineer" }));
  const ticks = el("div", { class: "g-track", style: { width: `${track}px` } });
  const step = (hi - lo) / 60 > 16 ? 120 : 60;
  for (let m = lo; m <= hi; m += step) {
    ticks.append(el("span", { class: "tick", style: { left: `${x(m)}px` }, text: hhmm(m) }));
  }
  head.append(ticks);
  root.append(head);

  const routesOf = new Map();
  for (const r of plan.routes) {
    if (!routesOf.has(r.engineer)) routesOf.set(r.engineer, []);
    routesOf.get(r.engineer).push(r);
  }
  const now = scenario.now ? minutes(scenario.now) : null;
  const placed = placedVisits(plan);
  const followers = followersOf(scenario);
  const boxes = new Map(); // "ticket engineer" -> its visit box, for the links
  for (const e of scenario.engineers) {
    const row = el("div", {
      class: "g-row",
      "data-engineer": e.id,
      style: { width: `${LABEL + track}px` },
    });
    const nVisits = (routesOf.get(e.id) || []).reduce(
      (n, r) => n + r.stops.filter((s) => s.type === "visit").length, 0);
    row.append(el("div", {
      class: "g-label",
      title: `${e.id}: skills ${(e.skills || []).join(", ") || "none"}; ${nVisits} visits`,
      text: e.id,
    }));
    const lane = el("div", { class: "g-track", style: { width: `${track}px` } });
    e.shifts.forEach((s, i) => {
      lane.append(el("div", {
        class: "shift",
        "data-shift": i,
        title: `${e.id} shift ${i}: ${hhmm(minutes(s.start))}-${hhmm(minutes(s.end))}`,
        style: { left: `${x(minutes(s.start))}px`,
          width: `${(minutes(s.end) - minutes(s.start)) * ppm}px` },
      }));
    });
    for (const r of routesOf.get(e.id) || []) {
      let prevEnd = minutes(r.depart);
      for (const s of r.stops) {
        const a = minutes(s.start);
        const b = minutes(s.end);
        if (s.type === "break") {
          lane.append(el("div", {
            class: "break", title: `break ${hhmm(a)}-${hhmm(b)}`,
            style: { left: `${x(a)}px`, width: `${(b - a) * ppm}px` },
          }));
          continue;
        }
        const arr = s.arrival ? minutes(s.arrival) : a;
        if (arr > prevEnd) {
          lane.append(el("div", {
            class: "travel", title: `travel ${hhmm(prevEnd)}-${hhmm(arr)}`,
            style: { left: `${x(prevEnd)}px`, width: `${(arr - prevEnd) * ppm}px` },
          }));
        }
        prevEnd = b;
        if (s.type === "restock") {
          lane.append(el("div", {
            class: "restock", title: `restock at ${s.depot} ${hhmm(a)}-${hhmm(b)}`,
            style: { left: `${x(a)}px`, width: `${Math.max(3, (b - a) * ppm)}px` },
          }, "R"));
          continue;
        }
        const t = view.ticket(s.ticket);
        const tier = t ? t.priority : "?";
        const st = tierStyle(tiers, tier);
        const lateBy = late.get(s.ticket) || 0;
        const pin = pinned.has(s.ticket);
        const linked = linkedLabel(view, placed, followers, s.ticket, e.id);
        const label = `${s.ticket}, ${tier}, ${e.id} ${hhmm(a)}-${hhmm(b)}` +
          (lateBy > 0 ? `, late ${Math.round(lateBy)} min` : "") + (pin ? ", pinned" : "") +
          linked.words.map((w) => `; ${w}`).join("");
        const v = el("button", {
          type: "button",
          class: ["visit", lateBy > 0 && "late", pin && "pinned", ...linked.classes]
            .filter(Boolean).join(" "),
          "data-ticket": s.ticket,
          "data-engineer": e.id,
          "data-shift": r.shift,
          "data-follows": t && t.after ? t.after.ticket : null,
          "aria-label": label,
          title: label,
          style: { left: `${x(a)}px`, width: `${Math.max(6, (b - a) * ppm)}px`,
            background: st.bg, color: st.ink },
        }, linked.badges.map((g) => el("span", { class: `badge ${g.class}`, text: g.text })),
        `${lateBy > 0 ? "!" : ""}${tier[0].toUpperCase()} ${s.ticket}`);
        lane.append(v);
        boxes.set(`${s.ticket} ${e.id}`, v);
      }
    }
    if (now !== null && now >= lo && now <= hi) {
      lane.append(el("div", { class: "now", title: `now ${hhmm(now)}`,
        style: { left: `${x(now)}px` } }));
    }
    row.append(lane);
    root.append(row);
  }
  drawLinks(root, view, placed, (tid, eid) => boxes.get(`${tid} ${eid}`));
  wire(root, { lo, ppm }, handlers);
}

function wire(root, scale, handlers) {
  let drag = null;
  root.onpointerdown = (ev) => {
    const v = ev.target.closest(".visit");
    if (!v || ev.button !== 0 || !handlers.canMove()) return;
    drag = { v, x0: ev.clientX, y0: ev.clientY, moved: false, ghost: null };
    ev.preventDefault();
  };
  root.onpointermove = (ev) => {
    if (!drag) return;
    if (!drag.moved && Math.hypot(ev.clientX - drag.x0, ev.clientY - drag.y0) < 5) return;
    if (!drag.moved) {
      drag.moved = true;
      drag.ghost = drag.v.cloneNode(true);
      drag.ghost.classList.add("ghost");
      drag.ghost.removeAttribute("data-ticket");
      document.body.append(drag.ghost);
    }
    const r = drag.v.getBoundingClientRect();
    Object.assign(drag.ghost.style, {
      position: "fixed", left: `${r.left + ev.clientX - drag.x0}px`,
      top: `${r.top + ev.clientY - drag.y0}px`, width: `${r.width}px`, height: `${r.height}px`,
    });
    for (const row of root.querySelectorAll(".g-row.target")) row.classList.remove("target");
    const row = rowAt(ev.clientX, ev.clientY);
    if (row) row.classList.add("target");
  };
  const finish = (ev) => {
    if (!drag) return;
    const d = drag;
    drag = null;
    if (d.ghost) d.ghost.remove();
    for (const row of root.querySelectorAll(".g-row.target")) row.classList.remove("target");
    if (!d.moved) {
      handlers.open(d.v.dataset.ticket, null);
      return;
    }
    const row = rowAt(ev.clientX, ev.clientY);
    if (!row) return;
    const track = row.querySelector(".g-track").getBoundingClientRect();
    const vr = d.v.getBoundingClientRect();
    const left = vr.left + ev.clientX - d.x0 - track.left; // where the visit's start lands
    const start = Math.round((scale.lo + left / scale.ppm) / 5) * 5;
    handlers.open(d.v.dataset.ticket, { engineer: row.dataset.engineer, start });
  };
  root.onpointerup = finish;
  root.onpointercancel = () => {
    if (drag && drag.ghost) drag.ghost.remove();
    drag = null;
  };
  root.onkeydown = (ev) => {
    const v = ev.target.closest(".visit");
    if (!v) return;
    if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      handlers.open(v.dataset.ticket, null);
      return;
    }
    const lane = v.parentElement;
    const mine = [...lane.querySelectorAll(".visit")];
    let next = null;
    if (ev.key === "l" || ev.key === "L") { // along the links: crew members, follow-ups
      const ring = linkedTo(root, v);
      if (ring.length > 1) {
        next = ring[(ring.indexOf(v) + (ev.key === "l" ? 1 : ring.length - 1)) % ring.length];
      }
    }
    if (ev.key === "ArrowRight") next = mine[mine.indexOf(v) + 1];
    if (ev.key === "ArrowLeft") next = mine[mine.indexOf(v) - 1];
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      let row = v.closest(".g-row");
      const cx = v.getBoundingClientRect().left;
      do {
        row = ev.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
      } while (row && !row.querySelector(".visit"));
      if (row) {
        const vs = [...row.querySelectorAll(".visit")];
        next = vs.reduce((a, b) => (Math.abs(b.getBoundingClientRect().left - cx) <
          Math.abs(a.getBoundingClientRect().left - cx) ? b : a));
      }
    }
    if (next) {
      ev.preventDefault();
      next.focus();
    }
  };
}

// The boxes linked to a visit, in order: the visit it follows, its own (a crew: every member's),
// the visits that follow it.
function linkedTo(root, v) {
  const of = (attr, tid) => (tid ? [...root.querySelectorAll(
    `.visit[${attr}="${CSS.escape(tid)}"]`)] : []);
  const ring = [...of("data-ticket", v.dataset.follows), ...of("data-ticket", v.dataset.ticket),
    ...of("data-follows", v.dataset.ticket)];
  return ring.filter((n, i) => ring.indexOf(n) === i);
}

function rowAt(cx, cy) {
  const hit = document.elementsFromPoint(cx, cy).find((n) => n.classList &&
    n.classList.contains("g-row"));
  return hit || null;
}

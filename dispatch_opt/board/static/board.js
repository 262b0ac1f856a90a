// The board: signs in, loads a board (scenario as it stands + plan in force), draws it, follows
// the version stream, and carries the dispatcher's actions: moves checked first and committed as
// `pin` events (undo: `unpin`), new tickets, and caller slots and bookings.

import { ApiError, call, key, stream } from "./api.js";
import { renderGantt } from "./gantt.js";
import { renderMap } from "./map.js";
import {
  costLines, describeAnswer, readTicket, renderKpis, renderUnassigned, ticketFields,
} from "./panels.js";
import { dayHhmm, el, hhmm, iso, minutes, tierStyle } from "./util.js";

const $ = (id) => document.getElementById(id);
const DEFAULT_SLA = { emergency: 4, urgent: 24, normal: 48, low: 120 };
const RANK = { viewer: 0, dispatcher: 1, admin: 2 };

const app = { role: null, sid: null, view: null, version: null, stop: null, lastPin: null,
  selected: null, move: null, event: null, offer: null };

function may(role) {
  return app.role !== null && RANK[app.role] >= RANK[role];
}

function say(text, bad = false) {
  $("status").textContent = text;
  $("status").className = bad ? "bad" : "";
}

function idem() {
  return `board-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

// ---------------------------------------------------------------- sign in

async function signIn(k) {
  key.set(k);
  try {
    app.role = (await call("GET", "/v1/me")).role;
  } catch (err) {
    key.clear();
    say(err.status === 401 ? "That key is not known or was revoked." : err.message, true);
    return;
  }
  $("signin").hidden = true;
  $("who").hidden = false;
  $("role").textContent = `signed in: ${app.role}`;
  for (const n of document.querySelectorAll("[data-needs]")) n.hidden = !may(n.dataset.needs);
  const { scenarios } = await call("GET", "/v1/scenarios");
  $("scenario").replaceChildren(...scenarios.map((s) => el("option", { value: s.id,
    text: `${s.name} (${s.id})` })));
  const want = new URLSearchParams(location.hash.slice(1)).get("board");
  if (want && scenarios.some((s) => String(s.id) === want)) $("scenario").value = want;
  if (scenarios.length) await openBoard($("scenario").value);
  else say("No scenario stored yet: an admin posts one to /v1/scenarios.");
}

function signOut() {
  key.clear();
  if (app.stop) app.stop();
  location.hash = "";
  location.reload();
}

// ---------------------------------------------------------------- loading and drawing

async function openBoard(sid) {
  if (app.stop) app.stop();
  app.sid = sid;
  app.version = null;
  location.hash = `board=${encodeURIComponent(sid)}`;
  await load();
  app.stop = stream(sid, (ev) => {
    if (ev.version !== app.version) load();
  }, (state) => {
    $("live").textContent = state === "live" ? "live" : state;
    $("live").className = state === "live" ? "ok" : "bad";
  });
}

async function load() {
  const sid = app.sid;
  const b = `/v1/boards/${encodeURIComponent(sid)}`;
  let scenario;
  let inForce;
  let versions;
  try {
    [scenario, inForce, versions] = await Promise.all([
      call("GET", `${b}/scenario`), call("GET", `${b}/plan`), call("GET", `${b}/plans`)]);
  } catch (err) {
    say(err.body && err.body.error === "no_plan" ? "This board has no plan yet: an admin " +
      "starts a solve (POST /v1/solves)." : err.message, true);
    return;
  }
  if (sid !== app.sid) return;
  app.version = inForce.version;
  const last = versions.versions.find((v) => v.version === inForce.version);
  $("version").textContent = `plan version ${inForce.version}` +
    (last ? ` (${last.cause}, ${last.created.replace("T", " ")} UTC)` : "");
  $("version").dataset.version = inForce.version;
  app.view = makeView(scenario, inForce.plan);
  $("main").hidden = false; // first, so the Gantt can measure its width
  draw();
}

function makeView(scenario, plan) {
  const sla = scenario.sla || Object.fromEntries(Object.entries(DEFAULT_SLA)
    .map(([k, h]) => [k, { arrive_within_h: h }]));
  const tiers = Object.keys(sla);
  const tickets = new Map(scenario.tickets.map((t) => [t.id, t]));
  const late = new Map();
  for (const r of plan.routes) {
    for (const s of r.stops) {
      if (s.type !== "visit") continue;
      const t = tickets.get(s.ticket);
      const tier = t && sla[t.priority];
      if (!tier) continue;
      const h = (t.zone && tier.by_zone && tier.by_zone[t.zone]) || tier.arrive_within_h;
      late.set(s.ticket, minutes(s.start) - (minutes(t.created) + h * 60));
    }
  }
  const pinned = new Set(scenario.tickets.filter((t) => t.pinned).map((t) => t.id));
  return { scenario, plan, tiers, late, pinned, ticket: (id) => tickets.get(id) };
}

function draw() {
  const v = app.view;
  const active = document.activeElement && document.activeElement.dataset;
  const focus = active && active.ticket // a crew visit: back to that member's own box
    ? { ticket: active.ticket, engineer: active.engineer } : null;
  renderGantt($("gantt"), v, { open: openMove, canMove: () => may("dispatcher") });
  renderUnassigned($("unassigned"), v, may("dispatcher"), (t) => openMove(t, null));
  renderKpis($("kpis"), v);
  renderMap($("map"), v, app.selected);
  $("legend").replaceChildren(...v.tiers.map((t) => el("span", { class: "chip",
    style: { background: tierStyle(v.tiers, t).bg, color: tierStyle(v.tiers, t).ink } },
  `${t[0].toUpperCase()} ${t}`)),
  el("span", { class: "chip" }, el("span", { class: "late-key" }, "!"), " late"), el("span", { class: "chip pin-key" }, "pinned"),
  el("span", { class: "chip break-key" }, "break"), el("span", { class: "chip restock-key" },
    "R restock"), el("span", { class: "chip travel-key" }, "travel"),
  v.scenario.tickets.some((t) => (t.crew || 1) > 1) ? el("span", { class: "chip crew-key",
    title: "a crew visit: its members' boxes joined at the common start, the lead ringed" },
  "\u00d7k crew") : "",
  v.scenario.tickets.some((t) => t.after) ? el("span", { class: "chip follow-key",
    title: "a follow-up: a dashed arrow from the end of the visit it follows" },
  "\u21aa follow-up") : "",
  app.lastPin && may("dispatcher") ? el("button", { type: "button", id: "undo",
    onclick: undo }, `Undo pin ${app.lastPin}`) : "");
  for (const n of document.querySelectorAll(".ticket-form .fields")) {
    if (!n.childElementCount) n.dataset.geo = ticketFields(n, v, n.closest("form").id);
  }
  if (focus) {
    const sel = `.visit[data-ticket="${CSS.escape(focus.ticket)}"]`;
    const again = (focus.engineer && $("gantt").querySelector(
      `${sel}[data-engineer="${CSS.escape(focus.engineer)}"]`)) || $("gantt").querySelector(sel);
    if (again) again.focus();
  }
}

// ---------------------------------------------------------------- moves

function currentPlace(tid) {
  for (const r of app.view.plan.routes) {
    const s = r.stops.find((x) => x.ticket === tid);
    if (s) return { engineer: r.engineer, shift: r.shift, start: minutes(s.start) };
  }
  return null;
}

function openMove(tid, proposal) {
  const v = app.view;
  const here = currentPlace(tid);
  app.selected = here ? here.engineer : null;
  if (!may("dispatcher")) {
    say(`${tid}: ${here ? `${here.engineer} at ${hhmm(here.start)}` : "unassigned"} ` +
      "(a viewer key cannot move work).");
    return;
  }
  const t = v.ticket(tid);
  app.move = tid;
  app.event = null;
  $("move-title").textContent = `Move ${tid} (${t ? t.priority : "?"}` +
    `${here ? `, now ${here.engineer} at ${hhmm(here.start)}` : ", unassigned"})`;
  const sel = $("move-engineer");
  sel.replaceChildren(...v.scenario.engineers.map((e) => el("option", { value: e.id,
    text: `${e.id} (${(e.skills || []).join(", ")})` })));
  sel.value = (proposal && proposal.engineer) || (here && here.engineer) ||
    v.scenario.engineers[0].id;
  fillShifts(proposal ? proposal.start : here && here.start);
  $("move-start").value = proposal && proposal.start !== undefined ? iso(proposal.start)
    .slice(0, 16) : "";
  $("move-unpin").hidden = !v.pinned.has(tid);
  $("move-commit").disabled = true;
  $("verdict").replaceChildren();
  $("move").showModal();
  if (proposal) preview();
  else sel.focus();
}

function fillShifts(at) {
  const e = app.view.scenario.engineers.find((x) => x.id === $("move-engineer").value);
  const opts = e.shifts.map((s, i) => el("option", { value: i,
    text: `${i}: ${dayHhmm(minutes(s.start))}-${hhmm(minutes(s.end))}` }));
  $("move-shift").replaceChildren(el("option", { value: "", text: "(by start)" }), ...opts);
  if (at !== null && at !== undefined) {
    const i = e.shifts.findIndex((s) => at < minutes(s.end) + (e.max_overtime_min || 0));
    if (i >= 0) $("move-shift").value = String(i);
  }
}

function moveBody() {
  const body = { ticket: app.move, engineer: $("move-engineer").value };
  if ($("move-shift").value !== "") body.shift = +$("move-shift").value;
  if ($("move-start").value) body.start = `${$("move-start").value}:00`.slice(0, 19);
  return body;
}

let asked = 0; // only the answer to the latest question is shown

async function preview() {
  const out = $("verdict");
  const mine = ++asked;
  app.event = null;
  $("move-commit").disabled = true;
  out.replaceChildren(el("p", { text: "Checking..." }));
  let ans;
  try {
    ans = await call("POST", `/v1/boards/${encodeURIComponent(app.sid)}/preview`, moveBody());
    if (mine !== asked) return;
  } catch (err) {
    if (mine !== asked) return;
    out.replaceChildren(el("p", { class: "bad", text: "The move cannot be made:" }),
      el("ul", {}, (err instanceof ApiError ? err.lines() : [err.message]).map((l) =>
        el("li", { text: l }))));
    return;
  }
  app.event = ans.event;
  const tiers = app.view.tiers;
  const hand = ans.hand;
  const re = ans.replan;
  const where = re.where ? `${ans.event.ticket} lands with ${re.where.engineer} (shift ` +
    `${re.where.shift}) at ${hhmm(minutes(re.where.start))}` : `${ans.event.ticket} cannot be ` +
    `kept there: ${re.reason}`;
  out.replaceChildren(
    el("h3", { text: hand.ok ? "The move by hand keeps every hard rule" :
      `The move by hand breaks ${hand.broken.length} rule line(s)` }),
    el("p", { class: "verdict-hand", "data-ok": hand.ok }, hand.ok ? `Kept: ${hand.kept.join("; ")}.`
      : `Kept: ${hand.kept.join("; ")}.`),
    hand.broken.length ? el("ul", { class: "broken" }, hand.broken.slice(0, 6).map((b) =>
      el("li", {}, el("strong", { text: `Rule ${b.name}: ` }), b.message))) : null,
    el("ul", { class: "cost" }, costLines(hand.cost, tiers).map((l) => el("li", { text: l }))),
    el("h3", { text: "Committing pins it and re-plans around it" }),
    el("p", { class: "verdict-replan", "data-ok": ans.can_commit }, `${where}. ` +
      (re.ok ? "The re-planned plan keeps every hard rule." : `Broken: ${re.broken.map((b) =>
        b.message).join("; ")}`) + (re.moved.length ? ` Moved to other engineers: ` +
        `${re.moved.join(", ")}.` : "")),
    el("ul", { class: "cost" }, costLines(re.cost, tiers).map((l) => el("li", { text: l }))),
  );
  $("move-commit").disabled = !ans.can_commit;
  if (ans.can_commit) $("move-commit").focus();
}

async function post(events) {
  return call("POST", `/v1/boards/${encodeURIComponent(app.sid)}/events`, events,
    { "Idempotency-Key": idem() });
}

async function commit() {
  if (!app.event) return;
  const ev = app.event;
  $("move-commit").disabled = true;
  try {
    const ans = await post([ev]);
    $("move").close();
    app.lastPin = ev.ticket;
    say(`Pinned ${ev.ticket} to ${ev.engineer}: plan version ${ans.version}. ` +
      describeAnswer(ans, ev.ticket).join(" "));
    await load();
    const v = $("gantt").querySelector(`.visit[data-ticket="${CSS.escape(ev.ticket)}"]`);
    if (v) v.focus();
  } catch (err) {
    $("verdict").append(el("p", { class: "bad", text: `Not committed: ${err.message}` }));
  }
}

async function unpin(tid) {
  const now = app.view.scenario.now || earliestShift();
  try {
    const ans = await post([{ type: "unpin", at: now, ticket: tid }]);
    if (app.lastPin === tid) app.lastPin = null;
    say(`Unpinned ${tid}: plan version ${ans.version}. ${describeAnswer(ans, tid).join(" ")}`);
    await load();
  } catch (err) {
    say(`Unpin failed: ${err instanceof ApiError ? err.lines().join("; ") : err.message}`, true);
  }
}

function undo() {
  if (app.lastPin) unpin(app.lastPin);
}

function earliestShift() {
  const all = app.view.scenario.engineers.flatMap((e) => e.shifts.map((s) => minutes(s.start)));
  return iso(Math.min(...all));
}

// ---------------------------------------------------------------- intake

async function newTicket(ev) {
  ev.preventDefault();
  const form = $("new-ticket");
  const t = readTicket(form, form.querySelector(".fields").dataset.geo === "true");
  const at = app.view.scenario.now || earliestShift();
  const out = $("new-result");
  out.textContent = "Re-planning...";
  try {
    const ans = await post([{ type: "new_ticket", at, ticket: t }]);
    out.replaceChildren(el("p", { text: `Plan version ${ans.version}.` }),
      el("ul", {}, describeAnswer(ans, t.id).map((l) => el("li", { text: l }))));
    form.querySelector(".fields").replaceChildren();
    await load();
  } catch (err) {
    out.replaceChildren(el("ul", { class: "bad" },
      (err instanceof ApiError ? err.lines() : [err.message]).map((l) => el("li", { text: l }))));
  }
}

function showSlots(slots) {
  const list = $("slot-list");
  list.replaceChildren(...slots.map((s, i) => el("div", {},
    el("input", { type: "radio", name: "slot", id: `slot-${i}`, value: i, checked: i === 0 }),
    el("label", { for: `slot-${i}`, text: ` ${dayHhmm(minutes(s.start))}-` +
      `${hhmm(minutes(s.end))}${s.engineer ? ` (${s.engineer})` : ""}` }))));
  $("slots").hidden = !slots.length;
}

async function offer(ev) {
  ev.preventDefault();
  const form = $("caller");
  const t = readTicket(form, form.querySelector(".fields").dataset.geo === "true");
  const out = $("caller-result");
  out.textContent = "Asking...";
  try {
    const ans = await call("POST", `/v1/boards/${encodeURIComponent(app.sid)}/slots`,
      { ticket: t });
    app.offer = { ticket: t, slots: ans.slots || [] };
    showSlots(app.offer.slots);
    out.textContent = app.offer.slots.length ? `${app.offer.slots.length} slot(s) to offer.`
      : `No slot fits: ${(ans.notes || []).join(" ")}`;
  } catch (err) {
    out.replaceChildren(el("ul", { class: "bad" },
      (err instanceof ApiError ? err.lines() : [err.message]).map((l) => el("li", { text: l }))));
  }
}

async function book(ev) {
  ev.preventDefault();
  const chosen = document.querySelector('input[name="slot"]:checked');
  if (!app.offer || !chosen) return;
  const slot = app.offer.slots[+chosen.value];
  const out = $("caller-result");
  try {
    const ans = await call("POST", `/v1/boards/${encodeURIComponent(app.sid)}/bookings`,
      { ticket: app.offer.ticket, slot });
    out.replaceChildren(el("p", { text: `Booked ${dayHhmm(minutes(slot.start))}-` +
      `${hhmm(minutes(slot.end))}: plan version ${ans.version}.` }),
      el("ul", {}, describeAnswer(ans, app.offer.ticket.id).map((l) => el("li", { text: l }))));
    $("slots").hidden = true;
    $("caller").querySelector(".fields").replaceChildren();
    await load();
  } catch (err) {
    if (err.status === 409 && err.body.offer) {
      app.offer.slots = err.body.offer.slots || [];
      showSlots(app.offer.slots);
      out.replaceChildren(el("p", { class: "bad", text: "409: that slot has just gone. " +
        "Fresh slots are listed; offer the caller one of them." }));
    } else {
      out.replaceChildren(el("ul", { class: "bad" },
        (err instanceof ApiError ? err.lines() : [err.message]).map((l) =>
          el("li", { text: l }))));
    }
  }
}

// ---------------------------------------------------------------- tabs and keys

function showTab(name) {
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const on = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", on);
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !on;
  }
}

function wire() {
  $("signin").addEventListener("submit", (ev) => {
    ev.preventDefault();
    signIn($("key").value.trim());
    $("key").value = "";
  });
  $("signout").onclick = signOut;
  $("scenario").onchange = () => openBoard($("scenario").value);
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  tabs.forEach((tab) => {
    tab.onclick = () => showTab(tab.id.slice(4));
    tab.onkeydown = (ev) => {
      const shown = tabs.filter((t) => !t.hidden);
      const i = shown.indexOf(tab);
      const d = ev.key === "ArrowRight" ? 1 : ev.key === "ArrowLeft" ? -1 : 0;
      if (d) {
        const next = shown[(i + d + shown.length) % shown.length];
        showTab(next.id.slice(4));
        next.focus();
      }
    };
  });
  showTab("unassigned");
  $("move-engineer").onchange = () => {
    fillShifts(null);
    $("move-commit").disabled = true;
  };
  for (const id of ["move-shift", "move-start"]) {
    $(id).onchange = () => { $("move-commit").disabled = true; };
  }
  $("move-preview").onclick = preview;
  $("move-commit").onclick = commit;
  $("move-unpin").onclick = () => { $("move").close(); unpin(app.move); };
  $("move-cancel").onclick = () => $("move").close();
  $("new-ticket").addEventListener("submit", newTicket);
  $("caller").addEventListener("submit", offer);
  $("slots").addEventListener("submit", book);
  document.addEventListener("keydown", (ev) => {
    if (ev.target.closest("input, select, textarea, dialog") || ev.ctrlKey || ev.metaKey ||
      ev.altKey || !app.view) return;
    const tabKeys = { u: "unassigned", k: "kpis", m: "map", n: "new", c: "caller" };
    if (ev.key === "g") {
      const first = $("gantt").querySelector(".visit");
      if (first) first.focus();
    } else if (tabKeys[ev.key] && !$(`tab-${tabKeys[ev.key]}`).hidden) {
      showTab(tabKeys[ev.key]);
      const panel = $(`panel-${tabKeys[ev.key]}`);
      const first = panel.querySelector("button, input, select") || $(`tab-${tabKeys[ev.key]}`);
      first.focus();
    } else if (ev.key === "z" && may("dispatcher")) {
      undo();
    } else {
      return;
    }
    ev.preventDefault();
  });
  let resizing = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => app.view && draw(), 150);
  });
  if (key.get()) signIn(key.get());
}

wire();

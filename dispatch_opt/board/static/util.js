// Times, tiers and small DOM helpers. Times are the contract's local date-times without offset:
// read and written as minutes on a UTC clock, so the browser's own time zone never shifts them.

export function minutes(iso) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?/.exec(iso);
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0)) / 60000;
}

export function iso(min) {
  const d = new Date(Math.round(min * 60) * 1000);
  return d.toISOString().slice(0, 19);
}

export function hhmm(min) {
  return iso(min).slice(11, 16);
}

export function dayHhmm(min) {
  return `${iso(min).slice(5, 10)} ${hhmm(min)}`;
}

// Okabe-Ito: distinguishable with the common colour-vision deficiencies; tiers are also named in
// text (a letter on each visit, the name in its label and in every list).
export const PALETTE = ["#D55E00", "#E69F00", "#0072B2", "#009E73", "#CC79A7", "#56B4E9",
  "#F0E442", "#000000"];
export const INK = ["#fff", "#000", "#fff", "#fff", "#000", "#000", "#000", "#fff"];

export function tierStyle(tiers, name) {
  const i = Math.max(0, tiers.indexOf(name)) % PALETTE.length;
  return { bg: PALETTE[i], ink: INK[i] };
}

export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k === "style") Object.assign(e.style, v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return e;
}

export function signed(x, unit = "") {
  const v = Math.round(x * 10) / 10;
  return `${v > 0 ? "+" : ""}${v}${unit}`;
}

// What each unassigned reason asks of the dispatcher (codes from engine/reasons.py).
export const ACTIONS = {
  skill: "Send someone with the skill (train, subcontract) or correct the ticket's skills.",
  engineer: "Give the required engineer a shift, or release the ticket to anyone.",
  tool: "Put the tool in a depot or on a qualified van.",
  part: "Order the part to a depot, or restock a van that can reach it.",
  window: "Call the customer to agree another window, or add a shift that meets it.",
  reach: "Allow overtime, or send a nearer engineer.",
  frozen: "Release the ticket or extend the engineer's shift.",
  capacity: "Shifts full with higher tiers: allow overtime, add a shift, or agree a later day.",
  stock: "No part left on a qualified van or in a depot: order stock.",
  depot: "A depot holds what it needs but no pick-up fitted: free time for a restock.",
  time_limit: "The solve ran out of time: re-plan with a longer limit.",
  follows: "Plan the visit it follows first.",
  crew: "Find enough engineers free at the same time.",
};

export function actionFor(code) {
  return ACTIONS[code] || "Place it by hand (Place...) or change what blocks it.";
}

"""What a re-plan changed, ticket by ticket, in the dispatcher's terms, new work first.

Words, as the summary uses them:
- new work: a ticket the plan in force did not hold at all (a call since): where it went first.
- bumped: planned before, unassigned now (to make room).
- moved: planned in both with another engineer, by the plan's choice (the first engineer still
  works at that time).
- released: planned in both with another engineer because the first one no longer works then
  (off sick, shift cut): the change forced it.
- ETA shift: same engineer, another start; counted over open work only (work under way is kept
  and only redrawn from `now`; finished work does not move).
- done: finished since the plan in force was made: one count, no line each.
- removed: no longer in the scenario (cancelled).
- lagging: visits of the plan in force that should have started before `now` but are still open
  (nothing reported them): the plan in force lags `now`, one warning with the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from ..format.plan import Plan, minutes_between
from ..format.scenario import TOLERANCE_MIN, Scenario

COLUMNS = [
    "ticket",
    "change",
    "new",
    "tier",
    "status",
    "old_engineer",
    "new_engineer",
    "old_start",
    "new_start",
    "eta_shift_min",
]
ORDER = ("planned", "unassigned", "moved", "released", "eta", "removed", "done")
UNDER_WAY = ("en_route", "started")
BUMPED_SHOWN = 5  # bumped tickets named in the headline; the details list them all


@dataclass
class PlanDiff:
    """What changed between two plans of the same operation (see the module's words).

    `frame`: one row per ticket that changed: change (planned | unassigned | moved | released |
    eta | removed | done), new (not in the plan in force at all), tier and status (in the new
    scenario, when known), old and new engineer, old and new start, ETA shift in minutes (new -
    old start, when planned in both). `lagging`: tickets of the plan in force that should have
    started before `now` but are still open. ETA shifts within `eta_tolerance_min` are listed in
    the frame but not counted."""

    frame: pd.DataFrame
    eta_tolerance_min: float = 0.0
    lagging: list[str] = field(default_factory=list)
    now: datetime | None = None
    reasons: dict[str, str] = field(default_factory=dict)  # unassigned ticket -> reason
    replan: bool = True  # the new plan was made as a re-plan of the old one (previous=)

    def tickets(self, change: str) -> list[str]:
        return self.frame.loc[self.frame["change"] == change, "ticket"].tolist()

    @property
    def moved(self) -> list[str]:
        """Tickets planned in both with another engineer by choice (see `released`)."""
        return self.tickets("moved")

    @property
    def released(self) -> list[str]:
        return self.tickets("released")

    @property
    def changed_hands(self) -> list[str]:
        """Planned in both with another engineer: moved or released."""
        return self.frame.loc[self.frame["change"].isin(["moved", "released"]), "ticket"].tolist()

    @property
    def newly_unassigned(self) -> list[str]:
        return self.tickets("unassigned")

    def _open_shifts(self) -> pd.Series:
        f = self.frame
        shifts = f.loc[(f["change"] == "eta") & (f["status"].fillna("open") == "open")]
        return shifts["eta_shift_min"].abs()

    def summary(self) -> dict:
        """JSON-ready: new work first (where it went), bumped tickets, then the counts."""
        f = self.frame
        counts = f["change"].value_counts()
        shifts = self._open_shifts()
        new = f[f["new"] & f["change"].isin(["planned", "unassigned"])]
        return {
            "new_work": [
                {
                    "ticket": r.ticket,
                    "tier": r.tier,
                    "engineer": None if pd.isna(r.new_engineer) else r.new_engineer,
                    "start": None if pd.isna(r.new_engineer) else r.new_start.isoformat(),
                }
                for r in new.itertuples()
            ],
            "bumped": [
                {"ticket": r.ticket, "tier": r.tier}
                for r in f[(f["change"] == "unassigned") & ~f["new"]].itertuples()
            ],
            "moved": int(counts.get("moved", 0)),
            "released": int(counts.get("released", 0)),
            "eta_shifted": int((shifts > self.eta_tolerance_min + TOLERANCE_MIN).sum()),
            "eta_shift_max_min": round(float(shifts.max()), 1) if len(shifts) else 0.0,
            "newly_unassigned": int(counts.get("unassigned", 0)),
            "newly_planned": int(counts.get("planned", 0)),
            "removed": int(counts.get("removed", 0)),
            "done": int(counts.get("done", 0)),
            "lagging": len(self.lagging),
        }

    def headline(self) -> list[str]:
        """Where the new work went, and what it bumped: the first thing a dispatcher asks."""
        f = self.frame
        out = []
        for r in f[f["new"] & f["change"].isin(["planned", "unassigned"])].itertuples():
            where = (
                f"{r.new_engineer} at {r.new_start:%a %H:%M}"
                if r.change == "planned"
                else f"not planned: {self.reasons.get(r.ticket, 'unassigned')}"
            )
            out.append(f"{r.ticket}{_tier(r.tier)} -> {where}")
        bumped = f[(f["change"] == "unassigned") & ~f["new"]]
        if len(bumped):
            text = ", ".join(
                f"{r.ticket}{_tier(r.tier)}" for r in bumped[:BUMPED_SHOWN].itertuples()
            )
            if len(bumped) > BUMPED_SHOWN:
                text += f" and {len(bumped) - BUMPED_SHOWN} more"
            if out:
                out[-1] += f"; bumped: {text}"
            else:
                out.append(f"bumped: {text}")
        return out

    def counts_line(self) -> str:
        s = self.summary()
        under_way = int(
            (self.frame["status"].isin(UNDER_WAY) & (self.frame["change"] == "eta")).sum()
        )
        parts = [
            f"{s['moved']} moved between engineers",
            *([f"{s['released']} released by an engineer no longer working"] * bool(s["released"])),
            f"{s['eta_shifted']} ETA shifts of open work beyond {self.eta_tolerance_min:g} min"
            + (f" (largest {s['eta_shift_max_min']:g} min)" if s["eta_shifted"] else ""),
        ]
        parts += [
            f"{n} {what}"
            for n, what in (
                (s["newly_planned"], "newly planned"),
                (s["newly_unassigned"], "newly unassigned"),
                (s["removed"], "cancelled or gone"),
            )
            if n
        ]
        tail = []
        if s["done"]:
            tail.append(f"{s['done']} done since the plan in force")
        if under_way:
            tail.append(f"{under_way} under way (kept, redrawn from now)")
        if not self.replan and (s["moved"] or s["released"]):
            tail.append(
                "the new plan was made from scratch, so its routes were laid out anew; a re-plan "
                "(previous=) keeps tickets with their engineer unless moving pays"
            )
        return ", ".join(parts) + ("; " + ", ".join(tail) if tail else "")

    def warning(self, fix: str | None = None) -> str | None:
        """One line when the plan in force lags `now`, with the fix (`fix`: how the reader types
        it; default: the Python call)."""
        if not self.lagging:
            return None
        now = f"{self.now:%a %H:%M}" if self.now else "now"
        first = ", ".join(self.lagging[:3]) + (" ..." if len(self.lagging) > 3 else "")
        fix = fix or "carry the plan in force out to now first: advance(scenario, plan, now)"
        return (
            f"warning: the plan in force lags now ({now}): {len(self.lagging)} of its visits "
            f"should have started by then but are still open, nothing reported them ({first}); "
            f"they are planned again from now; fix: {fix}"
        )

    def top(self, fix: str | None = None) -> list[str]:
        """The warning (if any), where new work went, and the counts."""
        return [w for w in [self.warning(fix)] if w] + self.headline() + [self.counts_line()]

    def details(self, limit: int | None = None) -> list[str]:
        """One line per changed ticket, but finished work and work under way (at most `limit`)."""
        out = []
        for change in ORDER[:-1]:
            for r in self.frame[self.frame["change"] == change].itertuples():
                if change == "eta" and (
                    r.status in UNDER_WAY
                    or abs(r.eta_shift_min) <= self.eta_tolerance_min + TOLERANCE_MIN
                ):
                    continue
                after = (
                    "gone (cancelled)"
                    if change == "removed"
                    else _where(r.new_engineer, r.new_start)
                )
                out.append(
                    f"  {r.ticket}: {change:10s} {_where(r.old_engineer, r.old_start)} -> {after}"
                )
        if limit is not None and len(out) > limit:
            more = len(out) - limit
            out = out[:limit] + [f"  ... and {more} more (the diff's frame lists them all)"]
        return out

    def lines(self, limit: int | None = None, fix: str | None = None) -> list[str]:
        """`top` then `details`: the whole summary as lines."""
        return self.top(fix) + self.details(limit)

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _tier(tier) -> str:
    return "" if tier is None or pd.isna(tier) else f" ({tier})"


def _where(engineer, start) -> str:
    return "unassigned" if pd.isna(engineer) else f"{engineer} {start:%a %H:%M}"


def _works_at(sc: Scenario, engineer: str, start: datetime) -> bool:
    """Whether the engineer still works when the visit is due (its old start, or now if later)."""
    try:
        e = sc.engineer(engineer)
    except KeyError:
        return False
    when = max(start, sc.now) if sc.now is not None else start
    extra = timedelta(minutes=e.max_overtime_min)
    return any(s.start <= when <= s.end + extra for s in e.shifts)


def diff_plans(
    old: Plan,
    new: Plan,
    eta_tolerance_min: float = 0.0,
    *,
    scenario: Scenario | None = None,
    replan: bool | None = None,
) -> PlanDiff:
    """What changed from `old` (the plan in force) to `new`, judged in `scenario` (default: the
    new plan's own scenario, which a solve attaches): see the module's words. Without a scenario,
    every ticket counts as open and none as released or done. `replan`: whether `new` was made as
    a re-plan of `old` (default: it was if its KPIs count changes)."""
    sc = scenario if scenario is not None else new.scenario
    before = {s.ticket: (r.engineer, s.start) for r in old.routes for s in r.visits}
    after = {s.ticket: (r.engineer, s.start) for r in new.routes for s in r.visits}
    held = set(before) | {u.ticket for u in old.unassigned}
    known_new = set(after) | {u.ticket for u in new.unassigned}
    ticket = _ticket_lookup(sc)
    rows = []
    for tid in dict.fromkeys([*before, *(u.ticket for u in old.unassigned), *after, *known_new]):
        was, now_ = before.get(tid), after.get(tid)
        t = ticket(tid)
        if tid not in known_new:
            change = "done" if t is not None and t.status == "done" else "removed"
        elif now_ is None:
            change = "unassigned" if was or tid not in held else None
        elif was is None:
            change = "planned"
        elif was[0] != now_[0]:
            change = "moved" if sc is None or _works_at(sc, was[0], was[1]) else "released"
        else:
            change = "eta" if was[1] != now_[1] else None
        if change:
            rows.append(
                {
                    "ticket": tid,
                    "change": change,
                    "new": tid not in held,
                    "tier": t.priority if t is not None else None,
                    "status": t.status if t is not None else None,
                    "old_engineer": was and was[0],
                    "new_engineer": now_ and now_[0],
                    "old_start": was and was[1],
                    "new_start": now_ and now_[1],
                    "eta_shift_min": minutes_between(was[1], now_[1]) if was and now_ else None,
                }
            )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["new"] = frame["new"].astype(bool)
    released = set(frame.loc[frame["change"] == "released", "ticket"])
    lagging = []
    if sc is not None and sc.now is not None:
        lagging = [
            tid
            for tid, (_, start) in before.items()
            if start < sc.now
            and tid not in released
            and (t := ticket(tid)) is not None
            and t.status == "open"
        ]
    reasons = {u.ticket: u.reason for u in new.unassigned}
    if replan is None:
        replan = "changes" in new.kpis
    return PlanDiff(frame, eta_tolerance_min, lagging, sc.now if sc else None, reasons, replan)


def _ticket_lookup(sc):
    def find(tid):
        if sc is None:
            return None
        try:
            return sc.ticket(tid)
        except KeyError:
            return None

    return find


def record_changes(previous: Plan, plan: Plan, eta_tolerance_min: float) -> None:
    """A re-plan's KPIs count what changed (`kpis["changes"]`), and its notes carry the one warning
    when the plan in force lags `now`."""
    d = diff_plans(previous, plan, eta_tolerance_min, replan=True)
    plan.kpis["changes"] = d.summary()
    warning = d.warning()
    if warning and warning not in plan.notes:
        plan.notes.append(warning)

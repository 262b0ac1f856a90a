"""What a re-plan changed, ticket by ticket, in the dispatcher's terms."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..format.plan import Plan, minutes_between


@dataclass
class PlanDiff:
    """What changed between two plans of the same operation, ticket by ticket, in the dispatcher's
    terms.

    `frame` has one row per ticket that changed: change (moved | eta | unassigned | planned |
    removed), old and new engineer, old and new start, ETA shift in minutes (new - old start, when
    planned in both).
    """

    frame: pd.DataFrame
    eta_tolerance_min: float = 0.0

    def tickets(self, change: str) -> list[str]:
        return self.frame.loc[self.frame["change"] == change, "ticket"].tolist()

    @property
    def moved(self) -> list[str]:
        return self.tickets("moved")

    @property
    def newly_unassigned(self) -> list[str]:
        return self.tickets("unassigned")

    def summary(self) -> dict:
        shifts = self.frame["eta_shift_min"].dropna().abs()
        counts = self.frame["change"].value_counts()
        return {
            "moved": int(counts.get("moved", 0)),
            "eta_shifted": int((shifts > self.eta_tolerance_min + 0.01).sum()),
            "eta_shift_max_min": round(float(shifts.max()), 1) if len(shifts) else 0.0,
            "newly_unassigned": int(counts.get("unassigned", 0)),
            "newly_planned": int(counts.get("planned", 0)),
            "removed": int(counts.get("removed", 0)),
        }

    def __str__(self) -> str:
        s = self.summary()
        lines = [
            f"{s['moved']} moved between engineers, {s['eta_shifted']} ETA shifts beyond "
            f"{self.eta_tolerance_min:g} min (largest {s['eta_shift_max_min']:g} min), "
            f"{s['newly_planned']} newly "
            f"planned, {s['newly_unassigned']} newly unassigned, {s['removed']} no longer in the "
            f"scenario"
        ]
        for row in self.frame.itertuples():
            if row.change == "eta" and abs(row.eta_shift_min) <= self.eta_tolerance_min + 0.01:
                continue
            after = (
                "gone (done or cancelled)"
                if row.change == "removed"
                else _where(row.new_engineer, row.new_start)
            )
            lines.append(
                f"  {row.ticket}: {row.change:10s} {_where(row.old_engineer, row.old_start)} -> "
                f"{after}"
            )
        return "\n".join(lines)


def _where(engineer, start) -> str:
    return "unassigned" if pd.isna(engineer) else f"{engineer} {start:%a %H:%M}"


def diff_plans(old: Plan, new: Plan, eta_tolerance_min: float = 0.0) -> PlanDiff:
    """Tickets moved between engineers, ETA shifts, newly unassigned or planned, and tickets the new
    plan no longer has (cancelled or done). ETA shifts within `eta_tolerance_min` are listed but not
    counted."""
    before = {s.ticket: (r.engineer, s.start) for r in old.routes for s in r.visits}
    after = {s.ticket: (r.engineer, s.start) for r in new.routes for s in r.visits}
    known_new = set(after) | {u.ticket for u in new.unassigned}
    rows = []
    for tid in dict.fromkeys([*before, *(u.ticket for u in old.unassigned), *after]):
        was, now_ = before.get(tid), after.get(tid)
        if tid not in known_new:
            change = "removed"
        elif now_ is None:
            change = "unassigned" if was else None
        elif was is None:
            change = "planned"
        elif was[0] != now_[0]:
            change = "moved"
        else:
            change = "eta" if was[1] != now_[1] else None
        if change:
            rows.append(
                {
                    "ticket": tid,
                    "change": change,
                    "old_engineer": was and was[0],
                    "new_engineer": now_ and now_[0],
                    "old_start": was and was[1],
                    "new_start": now_ and now_[1],
                    "eta_shift_min": minutes_between(was[1], now_[1]) if was and now_ else None,
                }
            )
    cols = [
        "ticket",
        "change",
        "old_engineer",
        "new_engineer",
        "old_start",
        "new_start",
        "eta_shift_min",
    ]
    return PlanDiff(pd.DataFrame(rows, columns=cols), eta_tolerance_min)

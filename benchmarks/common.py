"""What the benchmark runners share: one line per tier for the console, writing a result pair,
and the contract's referee."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

REFEREE_PATH = Path(__file__).resolve().parents[2] / "shared" / "tools" / "check_plan.py"


def load_referee():
    """The contract's referee (../shared/tools/check_plan.py) as a module, or None when absent."""
    if not REFEREE_PATH.exists():
        return None
    spec = importlib.util.spec_from_file_location("check_plan_referee", REFEREE_PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tier_summary(row: dict, tiers) -> str:
    """`eme 15/15(13) urg 60/60(54) ...`: served of tickets, (on time), per tier."""
    return " ".join(
        "{} {}/{}({})".format(t[:3], row[t + "_served"], row[t + "_tickets"], row[t + "_on_time"])
        for t in tiers
    )


def write_results(stem: Path, rows: list[dict], fields: list[str], markdown: str) -> None:
    """`<stem>.csv` (one row per measurement) and `<stem>.md` (the summary), and say where."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    with open(stem.with_suffix(".csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    stem.with_suffix(".md").write_text(markdown)
    print(f"wrote {stem.with_suffix('.csv')} and {stem.with_suffix('.md')}")

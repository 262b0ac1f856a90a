"""What workload balance and preferred engineers cost: the service KPIs of a plan under settings.

    python benchmarks/service_kpis.py [--time-limit 30]
        [--scenario medium --scenario maintenance-week]
        [--setting default --setting "balance=1" --setting "preference_min=20"]

Each setting is `default` or comma-separated `field=value` pairs for SolveParams (the fields the
solver has; an unknown one is a clear error). Per scenario and setting, one solve: tickets served
and on time, travel, working minutes per engineer-day (min, mean, max, coefficient of variation),
preferred engineers kept, the emergency response p90. Every plan goes through the package
checker and, when ../shared is present, the contract's referee. Results go to
benchmarks/results/service-kpis-<date>.csv and .md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import platform
import sys
from pathlib import Path

import dispatch_opt as do
from dispatch_opt.synthetic import PRESETS, generate_scenario

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load_referee, write_results  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIELDS = [
    "scenario",
    "setting",
    "time_limit_s",
    "served",
    "tickets",
    "on_time",
    "travel_min",
    "work_min_min",
    "work_mean_min",
    "work_max_min",
    "work_cv",
    "preferred_kept",
    "preferred_tickets",
    "emergency_p90_min",
    "checker_ok",
    "referee_ok",
]


def scenarios() -> dict[str, dict]:
    """The presets, and `medium-followups`: medium where 10 % of tickets are follow-ups preferring
    (not requiring) the engineer of the first visit, for the price of keeping them."""
    out = {name: PRESETS[name] for name in PRESETS}
    out["medium-followups"] = dataclasses.replace(
        PRESETS["medium"],
        name="bologna-medium-followups",
        follow_ups_preferred=True,
        named_engineer_share=0.10,
    )
    return out


def params(setting: str, time_limit: float) -> do.SolveParams:
    base = do.SolveParams(time_limit_s=time_limit, seed=0)
    if setting == "default":
        return base
    known = {f.name: f for f in dataclasses.fields(base)}
    changes = {}
    for pair in setting.split(","):
        name, _, value = pair.partition("=")
        if name.strip() not in known:
            sys.exit(f"error: setting {pair!r}: SolveParams has no field {name.strip()!r} (yet)")
        changes[name.strip()] = json.loads(value)
    return dataclasses.replace(base, **changes)


def run(name: str, raw: dict, setting: str, time_limit: float, ref) -> dict:
    sc = do.load_scenario(raw)
    plan = do.solve(sc, params(setting, time_limit))
    k = plan.kpis
    w, p = k["workload"], k.get("preferred") or {}
    emergency = k["response"]["tiers"].get("emergency", {})
    referee_ok = None
    if ref is not None:
        bad, _ = ref.check(json.loads(json.dumps(raw)), json.loads(plan.to_json()))
        referee_ok = not bad
    return {
        "scenario": name,
        "setting": setting,
        "time_limit_s": time_limit,
        "served": k["served"],
        "tickets": k["tickets"],
        "on_time": sum(t["on_time"] for t in k["tiers"].values()),
        "travel_min": k["travel_min"],
        "work_min_min": w["min_min"],
        "work_mean_min": w["mean_min"],
        "work_max_min": w["max_min"],
        "work_cv": w["cv"],
        "preferred_kept": p.get("kept", ""),
        "preferred_tickets": p.get("tickets", ""),
        "emergency_p90_min": emergency.get("p90_min", ""),
        "checker_ok": do.check(sc, plan).ok,
        "referee_ok": referee_ok,
    }


def markdown(rows: list[dict], args) -> str:
    head = (
        f"# Service KPIs under settings ({dt.date.today()})\n\n"
        f"`python benchmarks/service_kpis.py --time-limit {args.time_limit:g}`; "
        f"{platform.machine()}, Python {platform.python_version()}, one solve each, other "
        "agents running on the same 2 cores.\n\n"
        "| scenario | setting | served | on time | travel (min) | work per engineer-day "
        "min / mean / max (min) | CV | preferred kept | emergency p90 (min) | checker | referee |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = [
        f"| {r['scenario']} | {r['setting']} | {r['served']}/{r['tickets']} | {r['on_time']} | "
        f"{r['travel_min']:,.0f} | {r['work_min_min']:,.0f} / {r['work_mean_min']:,.0f} / "
        f"{r['work_max_min']:,.0f} | {r['work_cv']:.2f} | "
        f"{r['preferred_kept']}/{r['preferred_tickets']} | {r['emergency_p90_min']} | "
        f"{'ok' if r['checker_ok'] else 'FAIL'} | "
        f"{'ok' if r['referee_ok'] else 'FAIL' if r['referee_ok'] is False else '-'} |"
        for r in rows
    ]
    return head + "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--scenario", action="append", choices=sorted(scenarios()))
    ap.add_argument("--setting", action="append")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    names = args.scenario or ["medium", "medium-followups", "maintenance-week"]
    settings = args.setting or ["default"]
    for s in settings:
        params(s, args.time_limit)  # fail early on an unknown field
    ref, rows = load_referee(), []
    for name in names:
        raw = generate_scenario(scenarios()[name])
        for s in settings:
            row = run(name, raw, s, args.time_limit, ref)
            print(
                f"{name:17s} {s:24s} served {row['served']}/{row['tickets']} on time "
                f"{row['on_time']} travel {row['travel_min']:,.0f} work cv {row['work_cv']:.2f} "
                f"preferred {row['preferred_kept']}/{row['preferred_tickets']}",
                flush=True,
            )
            rows.append(row)
    stem = args.out or ROOT / "benchmarks" / "results" / f"service-kpis-{dt.date.today()}"
    write_results(Path(stem).with_suffix(""), rows, FIELDS, markdown(rows, args))


if __name__ == "__main__":
    main()

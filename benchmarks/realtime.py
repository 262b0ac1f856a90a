"""Real-time figures: emergency insertion latency, appointment-slot latency, and a simulated day.

    python benchmarks/realtime.py [--emergencies 30] [--callers 30] [--morning-time 20]
    [--replan-time 5]

1. Emergencies (medium and large presets): the morning plan is carried out up to a random moment
   of the day; an emergency is called in; latency = apply_events + solve(previous=plan,
   time_limit_s=0), i.e. from the call to a plan with the emergency inserted. Every plan is checked
   by the package checker (outside the timing); a plan with violations counts as a failure. Baseline
   in the same run, on the first few emergencies: a re-plan with search (--replan-time seconds).
2. Slots (medium): offer_slots for callers at known addresses; every offered slot of the first
   callers is booked and the resulting plan checked.
3. A simulated day (medium, seeded events): re-planning with search vs greedy insertion only.

Writes benchmarks/results/realtime-<date>.csv (one row per measurement) and realtime-<date>.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import time
from pathlib import Path

import numpy as np
import pandas as pd

import dispatch_opt as do
from dispatch_opt.realtime.advance import carry_out

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def _caller(sc: do.Scenario, rng: random.Random, tid: str, tier: str, at: dt.datetime) -> dict:
    base = rng.choice(sc.tickets)
    skills = sorted({k for e in sc.engineers for k in e.skills})
    t = {
        "id": tid,
        "location": base.location.model_dump(exclude_none=True),
        "created": at.isoformat(),
        "priority": tier,
        "duration_min": rng.choice([45, 60, 90]),
        "skills": [rng.choice(skills)],
    }
    if base.zone:
        t["zone"] = base.zone
    return t


def emergencies(
    name: str, n: int, morning_time: float, replan_time: float, baseline_n: int, seed: int
) -> list[dict]:
    sc = do.load_scenario(SCENARIOS / f"{name}.json")
    t0 = time.monotonic()
    morning = do.solve(sc, do.SolveParams(time_limit_s=morning_time))
    print(
        f"{name}: morning plan {morning.kpis['served']}/{morning.kpis['tickets']} in "
        f"{time.monotonic() - t0:.1f} s"
    )
    rng = random.Random(seed)
    first = min(r.depart for r in morning.routes)
    rows = []
    for i in range(n):
        at = first + dt.timedelta(minutes=rng.randrange(60, 7 * 60))
        state = do.load_scenario(carry_out(sc.to_dict(), morning, at, {}))
        event = {
            "type": "new_ticket",
            "at": at.isoformat(),
            "ticket": _caller(state, rng, f"EM{i:03d}", "emergency", at),
        }
        policies = [("insert", 0.0)] + ([("re-plan", replan_time)] if i < baseline_n else [])
        for policy, limit in policies:
            t1 = time.monotonic()
            new_sc = do.apply_events(state, [event])
            plan = do.solve(new_sc, do.SolveParams(time_limit_s=limit), previous=morning)
            latency = time.monotonic() - t1
            ok = do.check(new_sc, plan).ok
            visit = next(
                (s for r in plan.routes for s in r.visits if s.ticket == event["ticket"]["id"]),
                None,
            )
            deadline = new_sc.deadline(new_sc.ticket(event["ticket"]["id"]))
            rows.append(
                {
                    "suite": "emergency",
                    "scenario": name,
                    "case": i,
                    "policy": policy,
                    "latency_s": latency,
                    "valid": ok,
                    "served": visit is not None,
                    "on_time": bool(visit and visit.start <= deadline),
                    "moved": plan.kpis["changes"]["moved"],
                    "newly_unassigned": plan.kpis["changes"]["newly_unassigned"],
                    "reason": ""
                    if visit
                    else next(
                        u.reason for u in plan.unassigned if u.ticket == event["ticket"]["id"]
                    ),
                }
            )
    return rows


def slots(n: int, verify_n: int, morning_time: float, seed: int) -> list[dict]:
    sc = do.load_scenario(SCENARIOS / "medium.json")
    morning = do.solve(sc, do.SolveParams(time_limit_s=morning_time))
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        caller = _caller(sc, rng, f"C{i:03d}", rng.choice(["normal", "urgent"]), sc.planning_start)
        t1 = time.monotonic()
        offer = do.offer_slots(sc, morning, caller, slot_minutes=120, horizon_days=3, max_slots=5)
        latency = time.monotonic() - t1
        valid = True
        for slot in offer.slots if i < verify_n else []:
            booked = dict(caller, windows=[slot.window()])
            new_sc = do.apply_events(
                sc, [{"type": "new_ticket", "at": sc.planning_start.isoformat(), "ticket": booked}]
            )
            plan = do.solve(new_sc, do.SolveParams(time_limit_s=0), previous=morning)
            got = next((s for r in plan.routes for s in r.visits if s.ticket == caller["id"]), None)
            valid &= (
                do.check(new_sc, plan).ok
                and got is not None
                and slot.start <= got.start <= slot.end
            )
        rows.append(
            {
                "suite": "slots",
                "scenario": "medium",
                "case": i,
                "policy": "offer_slots",
                "latency_s": latency,
                "valid": valid,
                "served": bool(offer.slots),
                "slots": len(offer.slots),
                "verified": i < verify_n,
                "reason": offer.reason or "",
            }
        )
    return rows


def day(replan_time: float, morning_time: float, seed: int) -> tuple[list[dict], pd.DataFrame]:
    sc = do.load_scenario(SCENARIOS / "medium.json")
    morning = do.solve(sc, do.SolveParams(time_limit_s=morning_time))
    events = do.day_events(
        sc, morning, seed=seed, emergencies=6, overruns=4, sick=1, cancellations=3
    )
    report = do.simulate_day(sc, events, do.SolveParams(time_limit_s=replan_time), morning=morning)
    applied = report.log[report.log["applied"]]
    rows = [
        {
            "suite": "day",
            "scenario": "medium",
            "case": seed,
            "policy": p,
            "latency_s": g["solve_s"].mean(),
            "valid": bool((g["violations"] == 0).all()),
            **{k: v for k, v in report.kpis.loc[p].items()},
        }
        for p, g in applied.groupby("policy", sort=False)
    ]
    return rows, report.kpis


def _markdown(df: pd.DataFrame) -> str:
    cols = [df.index.name or ""] + [str(c) for c in df.columns]
    rows = [[str(i)] + [str(v) for v in r] for i, r in zip(df.index, df.itertuples(index=False))]
    return "\n".join(
        ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        + ["| " + " | ".join(r) + " |" for r in rows]
    )


def pct(xs, q) -> float:
    return float(np.percentile(np.asarray(xs, dtype=float), q)) if len(xs) else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--emergencies", type=int, default=30)
    ap.add_argument("--callers", type=int, default=30)
    ap.add_argument("--morning-time", type=float, default=20.0)
    ap.add_argument("--replan-time", type=float, default=5.0)
    ap.add_argument(
        "--baseline", type=int, default=5, help="emergencies also re-planned with search"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenarios", nargs="+", default=["medium", "large"])
    ap.add_argument(
        "--out",
        type=Path,
        default=ROOT / "benchmarks" / "results" / f"realtime-{dt.date.today()}.csv",
    )
    args = ap.parse_args()
    machine = (
        f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    )
    print(f"machine: {machine}")
    rows = []
    for name in args.scenarios:
        rows += emergencies(
            name, args.emergencies, args.morning_time, args.replan_time, args.baseline, args.seed
        )
    rows += slots(args.callers, 5, args.morning_time, args.seed)
    day_rows, day_kpis = day(args.replan_time, args.morning_time, args.seed)
    rows += day_rows
    df = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out, index=False)

    lines = [
        f"# Real-time benchmark, {dt.date.today()}",
        "",
        f"Machine: {machine}, 2 cores; one process, one search thread.",
        "",
        "| suite | scenario | policy | runs | p50 latency | p95 latency | max | valid | served | "
        "on time |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (suite, name, policy), g in df[df["suite"] != "day"].groupby(
        ["suite", "scenario", "policy"], sort=False
    ):
        on_time = (
            f"{int(g['on_time'].sum())}/{len(g)}"
            if "on_time" in g and g["on_time"].notna().all()
            else ""
        )
        lines.append(
            f"| {suite} | {name} | {policy} | {len(g)} | {pct(g['latency_s'], 50) * 1000:.0f} ms | "
            f"{pct(g['latency_s'], 95) * 1000:.0f} ms | {g['latency_s'].max() * 1000:.0f} ms | "
            f"{int(g['valid'].sum())}/{len(g)} | {int(g['served'].sum())}/{len(g)} | {on_time} |"
        )
    lines += [
        "",
        f"A simulated day on medium (seed {args.seed}; re-plan with {args.replan_time:g} s of "
        f"search at each "
        f"event vs greedy insertion only):",
        "",
        _markdown(day_kpis),
        "",
    ]
    md = "\n".join(lines)
    args.out.with_suffix(".md").write_text(md + "\n", encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()

"""Fixed teams against crews formed per job, on the crews-week preset (issue 20, item 5).

    python benchmarks/crews.py [--time-limit 30] [--seeds 1]

Fixed teams, the usual manual practice: engineers paired for the whole week (each with the next in
the list), the pair one van (the first's home and van, both their skills and tools): every ticket
is then a job for one team, a crew install too. Per-job crews: the engine plans the scenario as it
is, forming a crew only for a visit that needs one. Figures per tier (served, on time), crew
visits served, travel (van minutes: a team drives one van; and engineer minutes: two aboard),
engineer-hours (on-duty minutes of
every engineer, a team's counted twice). Every plan is checked by the package's checker and the
referee. Prints the table; writes results/crews-<date>.{csv,md}.
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import sys
from datetime import date
from pathlib import Path

import dispatch_opt as do
from dispatch_opt.synthetic.city import generate_scenario
from dispatch_opt.synthetic.options import params_from_options

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import load_referee, write_results  # noqa: E402

REFEREE = load_referee()


def fixed_teams(raw: dict) -> dict:
    """The same week with engineers paired for good: one van per pair, every ticket a team job."""
    out = copy.deepcopy(raw)
    people = out["engineers"]
    teams = []
    for a, b in zip(people[0::2], people[1::2]):
        team = copy.deepcopy(a)
        team["id"] = f"{a['id']}+{b['id']}"
        team["skills"] = sorted(set(a.get("skills", [])) | set(b.get("skills", [])))
        team["tools"] = sorted(set(a.get("tools", [])) | set(b.get("tools", [])))
        teams.append(team)
    if len(people) % 2:
        teams.append(copy.deepcopy(people[-1]))  # the odd one out works alone
    ids = {e["id"] for e in teams}
    for t in out["tickets"]:
        t.pop("crew", None)
        for key in ("engineer", "preferred_engineer"):
            if t.get(key) and t[key] not in ids:  # a named engineer: their team
                t[key] = next(e for e in ids if t[key] in e.split("+"))
    out["engineers"] = teams
    out["name"] += "-fixed-teams"
    return out


def figures(raw: dict, plan: do.Plan, team_size: dict[str, int]) -> dict:
    sc = do.load_scenario(copy.deepcopy(raw))
    bad = do.check(sc, plan).violations
    if REFEREE is not None:
        bad += REFEREE.check(json.loads(json.dumps(raw)), json.loads(plan.to_json()))[0]
    k = plan.kpis
    hours = sum(
        team_size.get(r.engineer, 1) * (r.return_ - r.depart).total_seconds() / 3600
        for r in plan.routes
        if r.stops
    )
    aboard = sum(team_size.get(r.engineer, 1) * r.travel_min for r in plan.routes)
    row = {
        "valid": not bad,
        "travel_min": k["travel_min"],
        "engineer_travel_min": round(aboard, 1),  # a team's drive is two engineers' time
        "engineer_hours": round(hours, 1),
    }
    for tier, f in k["tiers"].items():
        row[f"{tier}_served"], row[f"{tier}_tickets"] = f["served"], f["tickets"]
        row[f"{tier}_on_time"] = f["on_time"]
    crew_ids = {t["id"] for t in raw["tickets"] if t.get("crew", 1) > 1}
    served = {s.ticket for r in plan.routes for s in r.visits}
    row["crew_served"] = len(crew_ids & served)
    row["crew_tickets"] = len(crew_ids)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--seeds", type=int, default=1)
    args = ap.parse_args()
    rows = []
    for seed in range(args.seeds):
        params = params_from_options(preset="crews-week", seed=None if seed == 0 else seed)
        raw = generate_scenario(params)
        teams = fixed_teams(raw)
        crew_ids = {t["id"] for t in raw["tickets"] if t.get("crew", 1) > 1}
        for how, doc in (("per-job crews", raw), ("fixed teams", teams)):
            plan = do.solve(do.load_scenario(copy.deepcopy(doc)), do.SolveParams(args.time_limit))
            size = {e["id"]: len(e["id"].split("+")) for e in doc["engineers"]}
            row = {"seed": seed, "setting": how, **figures(doc, plan, size)}
            if how == "fixed teams":  # a crew install is a team job there: count it as served
                served = {s.ticket for r in plan.routes for s in r.visits}
                row["crew_served"], row["crew_tickets"] = len(crew_ids & served), len(crew_ids)
            rows.append(row)
            tiers = [t for t in ("emergency", "urgent", "normal", "low") if f"{t}_served" in row]
            per_tier = " ".join(
                f"{t[:3]} {row[t + '_served']}/{row[t + '_tickets']}({row[t + '_on_time']})"
                for t in tiers
            )
            print(
                f"seed {seed} {how:14} {per_tier} crews {row['crew_served']}/{row['crew_tickets']}"
                f" travel {row['travel_min']:.0f} van-min"
                f" ({row['engineer_travel_min']:.0f} engineer-min),"
                f" {row['engineer_hours']:.1f} engineer-h,"
                f" valid {row['valid']}"
            )
    machine = f"{platform.machine()}, {platform.python_version()}"
    lines = [
        f"# Fixed teams against per-job crews ({date.today()}, {machine}, "
        f"{args.time_limit:g} s per plan)",
        "",
        "| seed | setting | served per tier (on time) | crew installs | travel van-min | "
        "travel engineer-min | engineer-h | valid |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        tiers = [t for t in ("emergency", "urgent", "normal", "low") if f"{t}_served" in r]
        per = ", ".join(
            f"{t} {r[t + '_served']}/{r[t + '_tickets']} ({r[t + '_on_time']})" for t in tiers
        )
        lines.append(
            f"| {r['seed']} | {r['setting']} | {per} | {r['crew_served']}/{r['crew_tickets']} | "
            f"{r['travel_min']:.0f} | {r['engineer_travel_min']:.0f} | {r['engineer_hours']:.1f} | "
            f"{r['valid']} |"
        )
    stem = Path(__file__).resolve().parent / "results" / f"crews-{date.today()}"
    write_results(stem, rows, list(rows[0]), "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

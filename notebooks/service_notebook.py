"""Cells of the notebook "a day through the service" (07), for build_notebooks.py."""

from __future__ import annotations

from cells import code, md


def day_through_the_service(find_root: str) -> list:
    return [
        md("""
# A day through the service

The same kind of day as notebook 04, but through the dispatch service's HTTP API, as a ticketing
system or a call-centre screen would use it: a server on a temporary database (SQLite), the
night's scenario posted, a nightly solve, then a simulated day's events posted one by one; each
answer is the re-planned board. Needs the `service` extra (`pip install -e '.[service]'`).
"""),
        code(find_root),
        code("""
import subprocess, sys, tempfile, time, socket
from pathlib import Path
import pandas as pd
import httpx

import dispatch_opt as do
from dispatch_opt.client import Client, ServiceError

folder = Path(tempfile.mkdtemp())
db = f"sqlite:///{folder / 'dispatch.db'}"
cli = [sys.executable, "-m", "dispatch_opt"]
subprocess.run([*cli, "db", "upgrade", "--db", db], check=True, capture_output=True)
made = subprocess.run([*cli, "keys", "create", "--role", "admin", "--db", db],
                      check=True, capture_output=True, text=True)
key = made.stdout.split()[-1]          # shown once; the database keeps only its hash
with socket.socket() as s:
    s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
server = subprocess.Popen([*cli, "serve", "--db", db, "--port", str(port), "--workers", "1"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
url = f"http://127.0.0.1:{port}"
for _ in range(300):
    try:
        if httpx.get(url + "/health", timeout=1).status_code == 200:
            break
    except httpx.HTTPError:
        time.sleep(0.2)
c = Client(url, key)
c.health()
"""),
        md("Post the night's scenario (its id names the board) and solve it: the plan goes in force."),
        code("""
scenario = do.load_scenario(ROOT / "scenarios" / "small.json")
board = c.post_scenario(scenario)
night = c.solve(board, time_limit_s=3, seed=0)
print(board, f"{night.kpis['served']}/{night.kpis['tickets']} planned;", night.kpis["status"])
"""),
        md("""
The day's events (emergencies, overruns, a sick call, cancellations; `do.day_events`, seeded),
posted one at a time. Before each, the board is carried out to the event's moment (`advance`),
as the field would report it; each answer is the new version of the plan in force and its diff.
"""),
        code("""
events = do.day_events(scenario, night, seed=4, emergencies=4, overruns=2, sick=1, cancellations=2)
rows = []
for ev in events:
    try:
        c.advance(board, ev["at"])
        t = time.perf_counter()
        answer = c.post_events(board, ev)
        ms = (time.perf_counter() - t) * 1000
        s = answer["diff"]["summary"]
        rows.append({"at": ev["at"][11:16], "event": ev["type"], "version": answer["version"],
                     "answer_ms": round(ms), "planned": answer["plan"].kpis["served"],
                     "moved": s["moved"], "newly_unassigned": s["newly_unassigned"]})
    except ServiceError as exc:   # e.g. the overrun of a job the plan has not started: refused
        rows.append({"at": ev["at"][11:16], "event": ev["type"], "refused": exc.problems[0]["message"][:80]})
pd.DataFrame(rows)
"""),
        md("Every version is kept; the plan in force passes the package's checker on the board's scenario as it stands."),
        code("""
versions = pd.DataFrame(c.versions(board))
state = c.scenario(board)
plan = c.plan(board)
assert do.check(state, plan).ok
versions.tail(8)
"""),
        md("The event log, in the order applied (what a restart rebuilds the board from):"),
        code("""
log = pd.DataFrame([{"seq": e["seq"], "version": e["version"], "type": e["event"]["type"],
                     "at": e["event"]["at"]} for e in c.events(board)])
log
"""),
        md("What changed over the day, from the nightly plan to the plan in force:"),
        code("""
first, last = versions["version"].iloc[0], versions["version"].iloc[-1]
pd.DataFrame(c.diff(board, int(first), int(last))["diff"]["changes"]).head(10)
"""),
        code("""
c.close()
server.terminate(); server.wait(30)
"""),
    ]

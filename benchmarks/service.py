"""The dispatch service measured through HTTP on 127.0.0.1, against the Python API in the same run.

    python benchmarks/service.py [--emergencies 20] [--slots 20] [--nightly-s 30]
        [--concurrent-s 15] [--only city|large]

For each scenario (a generated city of 150 engineers x 1,200 tickets, and the bundled large):
a SQLite database in a temporary folder, `dispatch-opt serve` started on a free port, the
scenario posted, a nightly solve, the board carried out to mid-morning (advance); then, one at a
time: emergencies called in at the board's moment (request to answer), emergencies each a minute
later than the one before (the clock moves, so every route is re-timed: the whole board's fast
path), slot offers for callers; then 8 callers asking for slots at once while a dispatcher posts
emergencies, checking that no request fails and no event is lost. The baseline is the Python API
on the same board, in this process: `solve(state, SolveParams(time_limit_s=0), previous=plan)` per
emergency and `offer_slots` per caller. Prints p50/p95 per measure with the machine; the targets
(issue 19): emergency p95 <= 150 ms, slots p95 <= 150 ms, concurrent p95 <= 400 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import numpy as np

import dispatch_opt as do

ROOT = Path(__file__).resolve().parents[1]


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores {model}, "
        f"Python {platform.python_version()}"
    )


def pct(xs: list[float]) -> str:
    if not xs:
        return "n/a"
    a = np.array(xs) * 1000
    return f"p50 {np.percentile(a, 50):6.0f} ms  p95 {np.percentile(a, 95):6.0f} ms  (n={len(a)})"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str]) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return out.stdout


class Served:
    def __init__(self, folder: Path, offer_workers: int | None = None):
        self.db = f"sqlite:///{folder / 'bench.db'}"
        cli = [sys.executable, "-m", "dispatch_opt"]
        run([*cli, "db", "upgrade", "--db", self.db])
        self.key = run([*cli, "keys", "create", "--role", "admin", "--db", self.db]).split()[-1]
        self.port = free_port()
        self.log = open(folder / "server.log", "w")
        self.proc = subprocess.Popen(
            [*cli, "serve", "--db", self.db, "--port", str(self.port), "--workers", "1"]
            + ([] if offer_workers is None else ["--offer-workers", str(offer_workers)]),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(600):
            try:
                if httpx.get(self.base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the server did not start")

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, timeout=600, headers={"Authorization": f"Bearer {self.key}"}
        )

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


def emergency(sc: do.Scenario, i: int, at: datetime, rng: random.Random) -> dict:
    base = rng.choice(sc.tickets)
    skills = sorted({k for e in sc.engineers for k in e.skills})
    return {
        "type": "new_ticket",
        "at": at.isoformat(timespec="seconds"),
        "ticket": {
            "id": f"BENCH-EM{i:04d}",
            "location": base.location.model_dump(exclude_none=True),
            "priority": next(iter(sc.tiers)),
            "duration_min": rng.choice([45, 60, 75, 90]),
            "skills": [rng.choice(skills)] if skills else [],
        },
    }


def caller(sc: do.Scenario, i: int, rng: random.Random) -> dict:
    base = rng.choice(sc.tickets)
    tiers = list(sc.tiers)
    return {
        "id": f"BENCH-CALL{i:04d}",
        "location": base.location.model_dump(exclude_none=True),
        "priority": tiers[-1] if len(tiers) > 1 else tiers[0],
        "duration_min": 60,
        "skills": list(base.skills),
    }


def bench(name: str, raw: dict, args, folder: Path) -> dict:
    rng = random.Random(7)
    server = Served(folder, args.offer_workers)
    out: dict = {"scenario": name}
    try:
        with server.client() as c:
            board = c.post("/v1/scenarios", json=raw).json()["id"]
            t0 = time.monotonic()
            job = c.post(
                "/v1/solves", json={"scenario": board, "params": {"time_limit_s": args.nightly_s}}
            ).json()
            while (s := c.get(f"/v1/solves/{job['id']}").json())["status"] in ("queued", "running"):
                time.sleep(0.5)
            assert s["status"] == "done", s
            out["nightly_s"] = time.monotonic() - t0
            sc0 = do.load_scenario(raw)
            morning = sc0.planning_start + timedelta(hours=2)
            r = c.post(f"/v1/boards/{board}/advance", json={"to": morning.isoformat()})
            assert r.status_code == 200, r.text
            state = do.load_scenario(c.get(f"/v1/boards/{board}/scenario").json())
            plan = do.Plan.from_dict(c.get(f"/v1/boards/{board}/plan").json()["plan"], state)
            # the baseline's board: the same state and plan, in this process
            base_state, base_plan = state, plan
            now = state.now
            same, moving, slot_t, with_slots = [], [], [], 0
            for i in range(args.emergencies):
                ev = emergency(state, i, now, rng)
                t = time.perf_counter()
                r = c.post(f"/v1/boards/{board}/events", json=ev)
                same.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
            statuses = {c.get(f"/v1/boards/{board}/plan").json()["plan"]["kpis"]["status"]}
            for i in range(args.slots):
                t = time.perf_counter()
                r = c.post(
                    f"/v1/boards/{board}/slots", json={"ticket": caller(state, i, rng), "days": 2}
                )
                slot_t.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
                with_slots += bool(r.json()["slots"])
            for i in range(args.emergencies // 2):
                ev = emergency(state, 1000 + i, now + timedelta(minutes=i + 1), rng)
                t = time.perf_counter()
                r = c.post(f"/v1/boards/{board}/events", json=ev)
                moving.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
            now = now + timedelta(minutes=args.emergencies // 2)
            out.update(same=same, moving=moving, slots=slot_t, status=sorted(statuses))
            out["with_slots"] = with_slots
            out["concurrent"], out["concurrent_events"], out["errors"], out["lost"] = concurrent(
                server, board, state, now, args, rng
            )
            out["offer_workers"] = c.get("/health").json().get("offer_workers")
        # the Python API baseline on the same board (in this process, no HTTP, no database)
        api_e, api_s = [], []
        s_, p_ = base_state, base_plan
        for i in range(min(args.emergencies, args.baseline)):
            ev = emergency(s_, 5000 + i, s_.now, rng)
            t = time.perf_counter()
            s2 = do.apply_events(s_, [ev])
            p2 = do.solve(s2, do.SolveParams(time_limit_s=0), previous=p_)
            api_e.append(time.perf_counter() - t)
            s_, p_ = s2, p2
        for i in range(min(args.slots, args.baseline)):
            t = time.perf_counter()
            do.offer_slots(s_, p_, caller(s_, 6000 + i, rng), horizon_days=2)
            api_s.append(time.perf_counter() - t)
        out.update(api_emergency=api_e, api_slots=api_s)
    finally:
        server.stop()
    return out


def concurrent(server: Served, board: str, state, now, args, rng) -> tuple:
    """8 callers asking for slots while a dispatcher posts emergencies at the board's moment."""
    stop = time.monotonic() + args.concurrent_s
    times: list[float] = []
    posted: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def ask(k: int) -> None:
        r_ = random.Random(k)
        with server.client() as c:
            i = 0
            while time.monotonic() < stop:
                t = time.perf_counter()
                r = c.post(
                    f"/v1/boards/{board}/slots",
                    json={"ticket": caller(state, 10_000 * (k + 1) + i, r_), "days": 2},
                )
                with lock:
                    times.append(time.perf_counter() - t)
                    if r.status_code != 200:
                        errors.append(r.text[:200])
                i += 1

    def dispatch() -> None:
        with server.client() as c:
            i = 0
            while time.monotonic() < stop:
                ev = emergency(state, 20_000 + i, now, rng)
                r = c.post(f"/v1/boards/{board}/events", json=ev)
                if r.status_code == 200:
                    posted.append(ev["ticket"]["id"])
                else:
                    errors.append(r.text[:200])
                i += 1
                time.sleep(0.5)

    threads = [threading.Thread(target=ask, args=(k,)) for k in range(8)]
    threads.append(threading.Thread(target=dispatch))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with server.client() as c:
        log = c.get(f"/v1/boards/{board}/events").json()["events"]
    ids = [e["event"].get("ticket", {}).get("id") for e in log]
    lost = [x for x in posted if ids.count(x) != 1]
    return times, len(posted), errors, lost


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--emergencies", type=int, default=20)
    ap.add_argument("--slots", type=int, default=20)
    ap.add_argument("--baseline", type=int, default=10, help="calls of each kind for the baseline")
    ap.add_argument("--nightly-s", type=float, default=30.0)
    ap.add_argument("--concurrent-s", type=float, default=15.0)
    ap.add_argument("--only", choices=["city", "large"])
    ap.add_argument(
        "--offer-workers", type=int, help="the server's --offer-workers (default: its own)"
    )
    ap.add_argument("--tag", default="", help="suffix of the results file")
    args = ap.parse_args()
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    say(f"machine: {machine()}")
    say(f"date: {datetime.now():%Y-%m-%d %H:%M}; load average {os.getloadavg()[0]:.1f}")
    ow = "the server's default" if args.offer_workers is None else args.offer_workers
    say(f"offer workers: {ow}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = []
        if args.only in (None, "city"):
            path = tmp / "city.json"
            run(
                [
                    sys.executable,
                    "-m",
                    "dispatch_opt",
                    "generate",
                    "--engineers",
                    "150",
                    "--tickets",
                    "1200",
                    "--seed",
                    "1",
                    "-o",
                    str(path),
                ]
            )
            cases.append(("city 150x1200", json.loads(path.read_text())))
        if args.only in (None, "large"):
            cases.append(("large", json.loads((ROOT / "scenarios" / "large.json").read_text())))
        for name, raw in cases:
            folder = tmp / name.split()[0]
            folder.mkdir()
            r = bench(name, raw, args, folder)
            say(
                f"\n{name}: nightly solve {r['nightly_s']:.1f} s through the service; "
                f"fast path: {', '.join(r['status'])}"
            )
            say(f"  emergency at the board's moment, HTTP   {pct(r['same'])}")
            say(f"  emergency, clock moved a minute, HTTP  {pct(r['moving'])}")
            say(f"  emergency, Python API baseline         {pct(r['api_emergency'])}")
            say(
                f"  slot offer, HTTP                       {pct(r['slots'])}; "
                f"{r['with_slots']} of {len(r['slots'])} offered a slot"
            )
            say(f"  slot offer, Python API baseline        {pct(r['api_slots'])}")
            say(
                f"  8 callers asking slots while events arrive, HTTP {pct(r['concurrent'])}; "
                f"{r['concurrent_events']} events posted meanwhile, {len(r['errors'])} errors, "
                f"{len(r['lost'])} lost"
            )
            for e in r["errors"][:3]:
                say(f"    error: {e}")
            say(f"  offer workers: {r['offer_workers'] or 'none'}")
        say(f"load average at the end {os.getloadavg()[0]:.1f}")
    stamp = f"{datetime.now():%Y-%m-%d-%H%M}"  # a run never writes over another
    out = ROOT / "benchmarks" / "results" / f"service-{stamp}{args.tag}.md"
    out.write_text("```\n" + "\n".join(lines) + "\n```\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

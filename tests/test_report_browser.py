"""The HTML report of scenarios/small.json: self-contained, and drawn by a real browser without
errors.

The browser tests run headless Chromium (`/usr/bin/chromium`, or $CHROMIUM) and skip when it is
absent. Host resolution is mapped to nowhere, so any network load the report tried would fail
and show up as a console error.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, ROUNDS, by_rounds, engineer, scenario, ticket

import dispatch_opt as do

pytest.importorskip("matplotlib")
from dispatch_opt.presentation.report import write_report

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
# a resource load from the network: src=, href=, url( or @import with http(s): or protocol-relative
# //
REMOTE = re.compile(
    r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?|url\(\s*["']?|@import\s+["']?)\s*(?:https?:)?//""",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    sc = do.load_scenario(ROOT / "scenarios" / "small.json")
    plan = do.solve(sc, by_rounds(200))
    path = write_report(sc, plan, tmp_path_factory.mktemp("report") / "report.html")
    return sc, plan, path


def test_report_loads_nothing_from_the_network(small):
    sc, plan, path = small
    text = path.read_text(encoding="utf-8")
    assert REMOTE.findall(text) == []
    assert not re.search(r"<(?:link|iframe|object|embed)\b|<script[^>]*\bsrc=", text, re.IGNORECASE)
    assert re.findall(r'\bsrc="([a-z]+):', text) == ["data", "data"]  # the two charts, inline
    assert REMOTE.findall(
        '<img src="https://x/a.png"><link href="//cdn/x.css"><style>@import "http://y";</style>'
    ) == ['src="https://', 'href="//', '@import "http://']  # the scan itself works


def test_report_shows_every_ticket_route_and_unassigned_reason(small):
    sc, plan, path = small
    text = path.read_text(encoding="utf-8")
    driven = [r for r in plan.routes if any(s.type != "break" for s in r.stops)]
    assert len(re.findall(r'<polyline class="route"', text)) == len(driven) >= 1
    assert len(re.findall(r'<g class="ticket ', text)) == len(sc.live_tickets)
    assert len(re.findall(r'<g class="ticket unassigned"', text)) == len(plan.unassigned)
    for u in plan.unassigned:
        assert u.ticket in text and html.escape(u.reason) in text
    assert "keeps every hard rule" in text


def test_report_draws_planar_scenarios_too(tmp_path):
    raw = scenario(
        [engineer("E1"), engineer("E2", 20, 0)],
        [ticket("T1", 5, 0), ticket("T2", 15, 5), ticket("T3", 1, 1, skills=["boiler"])],
    )
    sc = do.load_scenario(raw)
    text = write_report(sc, do.solve(sc, by_rounds(ROUNDS)), tmp_path / "r.html").read_text()
    assert (
        text.count('<g class="ticket ') == 3
        and '<g class="ticket unassigned"' in text
        and "km</text>" in text
    )


def test_report_of_a_plan_from_another_scenario_names_the_mismatch(small, tmp_path):
    sc, plan, _ = small
    other = do.load_scenario(scenario([engineer("E01")], [ticket("T0001", 1, 1)]))
    with pytest.raises(
        do.ScenarioError, match="not in the scenario; fix: report the plan with the scenario"
    ):
        write_report(other, plan, tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


# ---------------------------------------------------------------- in a real browser


def _chromium() -> str:
    exe = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(exe).exists():
        pytest.skip("headless Chromium is not installed (apt-get install chromium)")
    return exe


def _run(args: list[str], tmp_path: Path, name: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{name}"  # a fresh user-data-dir per run
    cmd = [_chromium(), *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_report_runs_in_headless_chromium_without_errors(small, tmp_path):
    _, plan, path = small
    done = _run(["--enable-logging=stderr", "--v=0", "--dump-dom", path.as_uri()], tmp_path, "dom")
    console = [
        line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line
    ]
    assert console == [], "\n".join(console)
    status = re.search(r'id="report-status" data-state="(\w+)">([^<]*)<', done.stdout)
    assert status, done.stdout[-2000:] + done.stderr[-2000:]
    driven = sum(1 for r in plan.routes if any(s.type != "break" for s in r.stops))
    assert status.groups() == ("ready", f"ready: {driven} routes, 50 tickets, 2 charts")


def test_report_screenshot_shows_map_and_schedule(small, tmp_path):
    Image = pytest.importorskip("PIL.Image")
    _, plan, path = small
    shot = tmp_path / "report.png"
    done = _run(
        [f"--screenshot={shot}", "--window-size=1400,2000", path.as_uri()], tmp_path, "shot"
    )
    assert shot.exists(), done.stderr[-2000:]
    img = Image.open(shot).convert("RGB")
    assert img.size == (1400, 2000)
    colours = img.getcolors(maxcolors=1 << 20)
    assert len(colours) > 500  # a blank or error page has a handful
    background = max(colours)[1]
    assert sum(n for n, c in colours if c != background) > 0.3 * 1400 * 2000

    pixels = np.asarray(img).astype(int)

    def share(hex_colour: str, rows: slice) -> float:
        """Share of pixels within a few shades of the colour (lines are drawn slightly
        transparent)."""
        rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
        return float((np.abs(pixels[rows] - rgb).max(axis=2) <= 40).mean())

    from dispatch_opt.presentation.viz import TIER_COLOURS, route_colour

    top, bottom = slice(0, 850), slice(850, 1500)  # map (upper part), schedule (below it)
    assert share(route_colour(0), top) > 0.0005  # first route's polyline on the map
    assert share(TIER_COLOURS[2], top) > 0.0005  # 'normal' ticket markers
    assert share(TIER_COLOURS[2], bottom) > 0.01  # 'normal' service bars in the schedule

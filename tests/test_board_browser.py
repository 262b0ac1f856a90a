"""The board in a real browser: headless Chromium from the operating system's packages, driven by
Selenium, against the service on 127.0.0.1 with the bundled medium scenario (40 engineers) and a
nightly plan. Skipped, saying so, only where no Chromium and chromedriver are installed."""

from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from board_support import auth, board_app, post_board
from conftest import ROOT, assert_both_checkers, at, engineer, scenario, ticket

import dispatch_opt as do

webdriver = pytest.importorskip("selenium.webdriver")
uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
DRIVER = shutil.which("chromedriver")
DOCS = ROOT / "docs"
if CHROMIUM is None or DRIVER is None:
    pytest.skip(
        "browser tests skipped: no Chromium or chromedriver installed here (Debian: apt-get "
        "install chromium chromium-driver)",
        allow_module_level=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(db, raw: dict, nightly: do.Plan):
    """The service with its board on a free port of 127.0.0.1, `raw` stored with `nightly` in
    force: (base URL, client, keys, board id, raw)."""
    app, keys = board_app(db)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            sid = post_board(client, keys, raw, nightly)
            yield base, client, keys, sid, raw
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The board of medium.json with a nightly plan."""
    raw = json.loads((ROOT / "scenarios" / "medium.json").read_text())
    nightly = do.solve(do.load_scenario(copy.deepcopy(raw)),
                       do.SolveParams(time_limit_s=30, iterations=300, seed=0))
    with serving(tmp_path_factory.mktemp("browser") / "board.db", raw, nightly) as it:
        yield it


@pytest.fixture
def browser():
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium never fetches a browser or driver
    profile = tempfile.mkdtemp(prefix="board-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,800"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER),
                              options=opts)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",  # the page itself: 1280 x 800
                           {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def sign_in(driver, base: str, key: str, sid: str) -> None:
    driver.get(f"{base}/#board={sid}")
    driver.find_element(By.ID, "key").send_keys(key, Keys.ENTER)
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#gantt .visit"))


def wait(driver, cond, timeout=60):
    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(cond)


def version(driver) -> int:
    return int(driver.find_element(By.ID, "version").get_attribute("data-version"))


SHOTS = (DOCS if os.environ.get("BOARD_SCREENSHOTS") == "docs"
         else Path(tempfile.gettempdir()) / "dispatch-opt-board-shots")


def shot(driver, name: str) -> None:
    """A screenshot; into docs/ (the committed board-*.png) only with BOARD_SCREENSHOTS=docs, so
    a test run leaves the tree as it was."""
    SHOTS.mkdir(exist_ok=True)
    assert driver.save_screenshot(str(SHOTS / f"board-{name}.png"))


def a_move(client, keys, sid, raw) -> tuple[str, str, str]:
    """A visit and an engineer it can go to that the re-plan keeps (asked of the preview the board
    uses): the ticket, its engineer now, the engineer to move it to."""
    plan = client.get(f"/v1/boards/{sid}/plan", headers=auth(keys["viewer"])).json()["plan"]
    load = {e["id"]: 0 for e in raw["engineers"]}
    where = {}
    for r in plan["routes"]:
        for s in r["stops"]:
            if s["type"] == "visit":
                load[r["engineer"]] += 1
                where[s["ticket"]] = r["engineer"]
    idle = sorted(load, key=load.get)
    skills = {e["id"]: set(e.get("skills", [])) for e in raw["engineers"]}
    for t in raw["tickets"]:
        if t["id"] not in where or t.get("parts") or t["priority"] == "emergency":
            continue
        for eid in idle[:8]:
            if eid != where[t["id"]] and set(t.get("skills", [])) <= skills[eid]:
                p = client.post(f"/v1/boards/{sid}/preview", headers=auth(keys["dispatcher"]),
                                json={"ticket": t["id"], "engineer": eid}).json()
                if p["can_commit"]:
                    return t["id"], where[t["id"]], eid
    pytest.fail("no committable move found on medium.json")


def test_the_board_shows_the_day_and_a_checked_move_is_committed(served, browser):
    base, client, keys, sid, raw = served
    sign_in(browser, base, keys["dispatcher"], sid)
    rows = browser.find_elements(By.CSS_SELECTOR, "#gantt .g-row")
    assert [r.get_attribute("data-engineer") for r in rows] == [e["id"] for e in raw["engineers"]]
    plan = client.get(f"/v1/boards/{sid}/plan", headers=auth(keys["viewer"])).json()["plan"]
    shown = [li.get_attribute("data-ticket")
             for li in browser.find_elements(By.CSS_SELECTOR, "#unassigned li.unassigned")]
    assert sorted(shown) == sorted(u["ticket"] for u in plan["unassigned"])
    visits = browser.find_elements(By.CSS_SELECTOR, "#gantt .visit")
    assert len(visits) == sum(s["type"] == "visit" for r in plan["routes"] for s in r["stops"])
    shot(browser, "overview")

    tid, was, to = a_move(client, keys, sid, raw)
    v0 = version(browser)
    visit = browser.find_element(By.CSS_SELECTOR, f'.visit[data-ticket="{tid}"]')
    target = browser.find_element(By.CSS_SELECTOR, f'.g-row[data-engineer="{to}"] .g-track')
    # drag the visit onto the other engineer's row: the move dialog opens and checks it
    ActionChains(browser).click_and_hold(visit).move_by_offset(8, 4).move_to_element(target) \
        .pause(0.2).release().perform()
    wait(browser, lambda d: d.find_element(By.ID, "move").get_attribute("open") is not None)
    assert Select(browser.find_element(By.ID, "move-engineer")).first_selected_option \
        .get_attribute("value") == to
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#verdict .verdict-replan"))
    assert browser.find_element(By.ID, "move-start").get_attribute("value")  # the dropped time
    # the keyboard menu: any time with that engineer, checked again, then committed
    start = browser.find_element(By.ID, "move-start")
    start.send_keys(Keys.DELETE, Keys.TAB, Keys.DELETE, Keys.TAB, Keys.DELETE)
    browser.execute_script("document.getElementById('move-start').value = ''")
    browser.find_element(By.ID, "move-preview").send_keys(Keys.ENTER)
    wait(browser, lambda d: d.find_element(By.ID, "move-commit").is_enabled())
    verdict = browser.find_element(By.ID, "verdict").text
    assert "The move by hand" in verdict and f"{tid} lands with {to}" in verdict
    assert "Kept:" in verdict and "travel" in verdict
    shot(browser, "preview")
    browser.find_element(By.ID, "move-commit").send_keys(Keys.ENTER)
    wait(browser, lambda d: version(d) == v0 + 1)
    wait(browser, lambda d: d.find_elements(
        By.CSS_SELECTOR, f'.g-row[data-engineer="{to}"] .visit.pinned[data-ticket="{tid}"]'))
    assert not browser.find_elements(
        By.CSS_SELECTOR, f'.g-row[data-engineer="{was}"] .visit[data-ticket="{tid}"]')
    state = client.get(f"/v1/boards/{sid}/scenario", headers=auth(keys["viewer"])).json()
    plan = client.get(f"/v1/boards/{sid}/plan", headers=auth(keys["viewer"])).json()["plan"]
    assert_both_checkers(state, plan)
    # undo by keyboard: the pin is gone, and that plan passes both checkers too
    browser.find_element(By.TAG_NAME, "body").send_keys("z")
    wait(browser, lambda d: version(d) == v0 + 2)
    state = client.get(f"/v1/boards/{sid}/scenario", headers=auth(keys["viewer"])).json()
    assert "pinned" not in next(t for t in state["tickets"] if t["id"] == tid)
    plan = client.get(f"/v1/boards/{sid}/plan", headers=auth(keys["viewer"])).json()["plan"]
    assert_both_checkers(state, plan)
    for tab in ("kpis", "map"):
        browser.find_element(By.ID, f"tab-{tab}").click()
        shot(browser, tab)
    assert "emergency" in browser.find_element(By.ID, "kpis").get_attribute("textContent")

    # a caller: slots offered, one booked
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("c")
    Select(browser.find_element(By.ID, "caller-priority")).select_by_value("normal")
    browser.find_element(By.CSS_SELECTOR, "#caller button[type=submit]").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#slot-list input[type=radio]"))
    browser.find_element(By.CSS_SELECTOR, "#slots button[type=submit]").click()
    wait(browser, lambda d: "Booked" in d.find_element(By.ID, "caller-result").text)
    shot(browser, "caller")
    # an emergency through the new-ticket form: where it went is shown
    v1 = version(browser)
    body.send_keys("n")
    tid = browser.find_element(By.ID, "new-ticket-id").get_attribute("value")
    assert Select(browser.find_element(By.ID, "new-ticket-priority")).first_selected_option \
        .get_attribute("value") == "emergency"
    browser.find_element(By.CSS_SELECTOR, "#new-ticket button[type=submit]").click()
    wait(browser, lambda d: f"{tid} went to" in d.find_element(By.ID, "new-result").text)
    wait(browser, lambda d: version(d) == v1 + 1)
    assert browser.find_elements(By.CSS_SELECTOR, f'#gantt .visit[data-ticket="{tid}"]')
    shot(browser, "emergency")
    state = client.get(f"/v1/boards/{sid}/scenario", headers=auth(keys["viewer"])).json()
    plan = client.get(f"/v1/boards/{sid}/plan", headers=auth(keys["viewer"])).json()["plan"]
    assert_both_checkers(state, plan)


def test_an_event_from_outside_shows_up_without_reload(served, browser):
    base, client, keys, sid, raw = served
    sign_in(browser, base, keys["viewer"], sid)
    assert not browser.find_elements(By.CSS_SELECTOR, "#unassigned button.place")  # viewer
    assert not browser.find_element(By.ID, "tab-new").is_displayed()
    v0 = version(browser)
    browser.execute_script("window.__same_page = true")
    state = client.get(f"/v1/boards/{sid}/scenario", headers=auth(keys["viewer"])).json()
    loc = raw["tickets"][0]["location"]
    event = {"type": "new_ticket", "at": state.get("now") or "2026-11-30T09:00:00", "ticket": {
        "id": "OUTSIDE-1", "location": loc, "priority": "emergency", "duration_min": 30}}
    r = client.post(f"/v1/boards/{sid}/events", json=event, headers=auth(keys["dispatcher"]))
    assert r.status_code == 200, r.text
    wait(browser, lambda d: version(d) == r.json()["version"] > v0)
    placed = browser.find_elements(By.CSS_SELECTOR, '[data-ticket="OUTSIDE-1"]')
    assert placed, "the new ticket is on the board (Gantt or unassigned list)"
    assert browser.execute_script("return window.__same_page === true")  # no reload
    assert_both_checkers(
        client.get(f"/v1/boards/{sid}/scenario", headers=auth(keys["viewer"])).json(),
        r.json()["plan"])
    shot(browser, "live")


# ---------------------------------------------------------------- crews and follow-ups


def crews_scenario() -> dict:
    """Four engineers in a row: a crew of 2 (C1) and a crew of 3 (C2); F1 follows T1 an hour or
    more later, far away at the other end (another engineer's row); F2 follows the crew visit C1
    with its lead; F3 follows D0, which is done."""
    return scenario(
        [engineer("E1", 0, 0), engineer("E2", 4, 0), engineer("E3", 8, 0), engineer("E4", 12, 0)],
        [
            ticket("C1", 3, 2, duration=90, crew=2),
            ticket("C2", 9, 2, duration=60, crew=3),
            ticket("T1", 1, 1),
            ticket("F1", 12, 3, after={"ticket": "T1", "min_lag_min": 60, "max_lag_min": 2880}),
            ticket("F2", 3, 2, after={"ticket": "C1", "min_lag_min": 60, "max_lag_min": 480,
                                      "same_engineer": True}),
            ticket("D0", 6, 3, status="done"),
            ticket("F3", 6, 3, after={"ticket": "D0", "min_lag_min": 120}),
            ticket("T2", 11, 1), ticket("T3", 5, 4), ticket("T4", 7, 1),
        ],
    )


@pytest.fixture(scope="module")
def crews_board(tmp_path_factory):
    """The board of the crews scenario with a short nightly solve stopped on rounds."""
    raw = crews_scenario()
    nightly = do.solve(do.load_scenario(copy.deepcopy(raw)),
                       do.SolveParams(time_limit_s=30, iterations=50, seed=0))
    with serving(tmp_path_factory.mktemp("crews") / "board.db", raw, nightly) as it:
        yield it


def visits_in(plan: dict) -> dict[str, dict[str, bool]]:
    """ticket -> {engineer: lead?} for every visit in the plan JSON."""
    visits: dict[str, dict[str, bool]] = {}
    for r in plan["routes"]:
        for s in r["stops"]:
            if s["type"] == "visit":
                visits.setdefault(s["ticket"], {})[r["engineer"]] = bool(s.get("lead"))
    return visits


def linked_in(plan: dict, raw: dict) -> tuple[dict, set]:
    """From the plan JSON: the crew visits (by two or more) and the (follow-up, ticket followed)
    pairs where both visits are planned."""
    visits = visits_in(plan)
    crews = {t: members for t, members in visits.items() if len(members) > 1}
    follows = {(t["id"], t["after"]["ticket"]) for t in raw["tickets"]
               if t.get("after") and t["id"] in visits and t["after"]["ticket"] in visits}
    return crews, follows


LINK_ENDS = """
const p = arguments[0], m = p.getScreenCTM(), n = p.getTotalLength();
const at = (q) => [q.x * m.a + q.y * m.c + m.e, q.x * m.b + q.y * m.d + m.f];
return [at(p.getPointAtLength(0)), at(p.getPointAtLength(n))];
"""


def check_links(driver, plan: dict, raw: dict) -> tuple[dict, set]:
    """Every crew visit of the plan joined by one bar spanning its members' rows at the common
    start, every follow-up whose earlier visit is planned by one arrow from that visit's end to
    its start; nothing else drawn, one overlay."""
    crews, follows = linked_in(plan, raw)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#gantt svg.g-links")) == 1
    # the overlay adds no scrollbar: one day of four engineers fits the Gantt
    fits = ("const g = document.getElementById('gantt'); "
            "return [g.scrollWidth <= g.clientWidth, g.scrollHeight <= g.clientHeight]")
    assert driver.execute_script(fits) == [True, True]
    links = driver.find_elements(By.CSS_SELECTOR, "#gantt .crew-link")
    assert sorted(g.get_attribute("data-ticket") for g in links) == sorted(crews)
    for tid, members in crews.items():
        bar = driver.find_element(By.CSS_SELECTOR, f'#gantt .crew-link[data-ticket="{tid}"] line')
        b = bar.rect
        rows = [driver.find_element(By.CSS_SELECTOR, f'.g-row[data-engineer="{e}"]').rect
                for e in members]
        top = min(rows, key=lambda r: r["y"])
        bottom = max(rows, key=lambda r: r["y"])
        assert top["y"] - 1 <= b["y"] <= top["y"] + top["height"] / 2
        assert bottom["y"] + bottom["height"] / 2 <= b["y"] + b["height"] <= \
            bottom["y"] + bottom["height"] + 1
        title = driver.find_element(
            By.CSS_SELECTOR, f'#gantt .crew-link[data-ticket="{tid}"]').get_attribute("textContent")
        for e, lead in members.items():
            box = driver.find_element(
                By.CSS_SELECTOR, f'.visit[data-ticket="{tid}"][data-engineer="{e}"]')
            assert "crew" in box.get_attribute("class").split()
            assert abs(box.rect["x"] - (b["x"] + b["width"] / 2)) <= 3  # at the common start
            badge = box.find_element(By.CSS_SELECTOR, ".crew-badge").get_attribute("textContent")
            assert f"\u00d7{len(members)}" in badge and ("lead" in badge) == lead
            label = box.get_attribute("aria-label")
            others = [o for o in members if o != e]
            assert f"crew of {len(members)}" in label and all(o in label for o in others)
            assert e in title and (f"{e} (lead)" in title) == lead
    drawn = driver.find_elements(By.CSS_SELECTOR, "#gantt .follow-up-link")
    assert {(p.get_attribute("data-ticket"), p.get_attribute("data-follows"))
            for p in drawn} == follows and len(drawn) == len(follows)
    lead = {t: next((e for e, is_lead in m.items() if is_lead), next(iter(m)))
            for t, m in visits_in(plan).items()}
    for p in drawn:
        tid, first = p.get_attribute("data-ticket"), p.get_attribute("data-follows")
        (x1, y1), (x2, y2) = driver.execute_script(LINK_ENDS, p)
        a = driver.find_element(
            By.CSS_SELECTOR, f'.visit[data-ticket="{first}"][data-engineer="{lead[first]}"]').rect
        b = driver.find_element(
            By.CSS_SELECTOR, f'.visit[data-ticket="{tid}"][data-engineer="{lead[tid]}"]').rect
        assert abs(x1 - (a["x"] + a["width"])) <= 2 and a["y"] <= y1 <= a["y"] + a["height"]
        assert abs(x2 - b["x"]) <= 2 and b["y"] <= y2 <= b["y"] + b["height"]
        box = driver.find_element(By.CSS_SELECTOR, f'.visit[data-ticket="{tid}"]')
        assert "follow-up" in box.get_attribute("class").split()
        assert f"follow-up of {first}" in box.get_attribute("aria-label")
    return crews, follows


def test_crew_visits_and_follow_ups_are_linked_across_rows(crews_board, browser):
    base, client, keys, sid, raw = crews_board
    sign_in(browser, base, keys["viewer"], sid)
    plan = client.get(f"/v1/boards/{sid}/plan", headers=auth(keys["viewer"])).json()["plan"]
    crews, follows = check_links(browser, plan, raw)
    # the scenario is built so the short solve plans both crews and both live follow-ups
    assert set(crews) == {"C1", "C2"} and follows == {("F1", "T1"), ("F2", "C1")}
    f1 = browser.find_element(By.CSS_SELECTOR, '.visit[data-ticket="F1"]')
    assert "1 h to 2 d after it ends" in f1.get_attribute("aria-label")
    assert "same engineer" in browser.find_element(
        By.CSS_SELECTOR, '.visit[data-ticket="F2"]').get_attribute("aria-label")
    f3 = browser.find_element(By.CSS_SELECTOR, '.visit[data-ticket="F3"]')
    assert "follow-up" in f3.get_attribute("class").split()
    assert "D0 is done" in f3.get_attribute("aria-label")
    assert not browser.find_elements(By.CSS_SELECTOR, '.follow-up-link[data-ticket="F3"]')
    shot(browser, "crews")
    # the keyboard walks the links: from T1 to its follow-up, and round the crew of 3
    browser.find_element(By.CSS_SELECTOR, '.visit[data-ticket="T1"]').send_keys("l")
    assert browser.switch_to.active_element.get_attribute("data-ticket") == "F1"
    browser.find_element(By.CSS_SELECTOR, '.visit[data-ticket="C2"]').send_keys(Keys.NULL)
    seen = []
    for _ in crews["C2"]:
        here = browser.switch_to.active_element
        seen.append((here.get_attribute("data-ticket"), here.get_attribute("data-engineer")))
        here.send_keys("l")
    assert sorted(seen) == sorted(("C2", e) for e in crews["C2"])
    assert browser.switch_to.active_element.get_attribute("data-engineer") == seen[0][1]

    # a resize and a new version from outside: the links are redrawn, never added to
    browser.execute_script("window.dispatchEvent(new Event('resize'))")
    time.sleep(0.5)
    check_links(browser, plan, raw)
    v0 = version(browser)
    state = client.get(f"/v1/boards/{sid}/scenario", headers=auth(keys["viewer"])).json()
    event = {"type": "new_ticket", "at": state.get("now") or at("07:30"),
             "ticket": ticket("N1", 2, 3, priority="urgent", created=at("07:00"))}
    r = client.post(f"/v1/boards/{sid}/events", json=event, headers=auth(keys["dispatcher"]))
    assert r.status_code == 200, r.text
    wait(browser, lambda d: version(d) == r.json()["version"] > v0)
    state = client.get(f"/v1/boards/{sid}/scenario", headers=auth(keys["viewer"])).json()
    check_links(browser, r.json()["plan"], state)
    assert_both_checkers(state, r.json()["plan"])

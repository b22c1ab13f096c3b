"""Benchmark: the planner page in a real browser, as an advisor uses it on a call.

Starts ``streamlit run app.py`` on a free port (its own empty workspace folder), opens the
enterprise example at 10,000 paths in Debian chromium (Playwright) at 1280x800, and times:

- **first answer, cold server**: a freshly started server (healthy, nothing imported by the
  script yet), from opening the page to the headline figures on screen;
- **new tab, warm server**: a new tab (a new session) on the running server, the plan
  cached, from opening it to the first figure and to the whole answer (the headline's
  fingerprint of the scenario it answers: the decision on screen); ``--tabs`` of them;
- **offer typed to its ranking**: in the Offers tab, an offer typed cell by cell (name,
  discount, commitment), from the commit of its last cell to the offer in the ranking;
  ``--typed`` of them (``--typed 0`` skips it);
- **lever change to headline**: a portfolio slider moved one notch with the keyboard, to the
  new answer on screen (the headline's fingerprint of the scenario it answers has changed).
  Every move reaches a setting not seen before, on another slider than the move before
  (the batch, cache, landing and ramp sliders in turn), so nothing is cached or worked out
  ahead: the page simulates;
- **the same lever nudged again**: one slider moved one notch at a time, the same way, as an
  advisor asks for "a bit more": the page works the next notch out while the answer is read;
- **contract change to headline**: the risk appetite moved one notch (the simulation is
  reused: only the contract changed);
- **lever change to the position**: the same moves, to the buyer's position under the headline
  (worked out once the headline is on screen, on the same simulation);
- **page settled**: the lever changes until the whole page has redrawn;
- with ``--offers``, the lever changes again with three offers on the table (the enterprise
  example with the vendor's opening, a counter with rollover and a flat-rate offer,
  uploaded as an advisor would): the headline does not wait for them, the position does;
- **the simulation alone** (in this process, right after): the part of a lever change the
  page cannot avoid, as the machine's load makes it at the time.

Each move follows a pause (``--pause``, 1 s: the advisor reads the answer). Medians over at
least 10 moves each. Needs /usr/bin/chromium and playwright (``make test`` installs them).
Run: ``.venv/bin/python bench/bench_app.py [--moves N] [--pause S] [--offers] [--tabs N]
[--typed N]``. The last line reads
``lever_to_headline_seconds: N`` (the median of the lever changes to a new setting).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
NO_STALE = "document.querySelectorAll('[data-stale=\"true\"]').length === 0"
# The headline's fingerprint of the scenario it answers (``ui.headline.scenario_mark``), and
# the position's (the same fingerprint once the position of that scenario is drawn).
MARK = ("() => { const m = document.querySelector('.cp-answer'); "
        "return m ? m.dataset.scenario : ''; }")
POSITION = ("() => { const m = document.querySelector('.cp-position'); "
            "return m ? m.dataset.scenario : ''; }")
OFFERS = "\n" + (ROOT / "tests" / "fixtures" / "enterprise-offers.yaml").read_text()
TARGETS = {"first_answer": 3.0, "new_tab": 2.0, "lever_to_headline": 0.3, "offer_typed": 0.8}
#: Offers typed into the Offers table (distinct names and discounts: each is a new setting).
TYPED = [(f"Offer {i}", f"{6 + i}%", "3M") for i in range(1, 13)]
#: The table's cells typed, from its left edge: the row marker and the middle of the Offer,
#: Discount and Commitment columns (ui.offers.WIDTHS).
CELL_X = (33 + 62, 33 + 125 + 80 + 69, 33 + 125 + 80 + 138 + 68)
RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(workspace: Path) -> Iterator[tuple[str, float]]:
    """``streamlit run app.py`` in its own process group; yields its address and the seconds
    it took to answer its health check. Stopped by its pid afterwards."""
    port = free_port()
    log = (workspace / "streamlit.log").open("w")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "COMMITPLAN_WORKSPACE": str(workspace / "workspace")})
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.perf_counter() - start > 60:
                raise SystemExit(f"streamlit did not start: "
                                 f"{(workspace / 'streamlit.log').read_text()}")
            time.sleep(0.05)
        yield url, time.perf_counter() - start
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def settle(page) -> None:
    page.wait_for_selector(IDLE, timeout=120_000)
    page.wait_for_function(NO_STALE, timeout=120_000)


def slider(page, label: str):
    return page.locator('[data-testid="stSlider"]').filter(has_text=label).locator(
        'input[type="range"]')


def move(page, handle, key: str, pause: float) -> tuple[float, float, float]:
    """After ``pause`` seconds, press ``key`` on a slider; seconds to the new headline, to
    the new position under it, and to the settled page."""
    time.sleep(pause)
    before = page.evaluate(MARK)
    handle.focus()
    start = time.perf_counter()
    handle.press(key)
    page.wait_for_function(f"(before) => ({MARK})() !== before && ({MARK})() !== ''",
                           arg=before, timeout=60_000, polling="raf")
    shown = time.perf_counter() - start
    page.wait_for_function(f"() => ({POSITION})() === ({MARK})()", timeout=60_000,
                           polling="raf")
    position = time.perf_counter() - start
    settle(page)
    return shown, position, time.perf_counter() - start


def lever_series(page, moves: int, pause: float) -> tuple[list[float], list[float],
                                                         list[float]]:
    """Lever moves to settings not seen before: each slider walks away from the plan one
    notch at a time, the sliders in turn."""
    plan = [("Batch: share", "ArrowLeft"), ("Cache hit rate", "ArrowLeft"),
            ("Optimizations land in", "ArrowRight"), ("ramp in over", "ArrowRight")]
    shown, position, settled = [], [], []
    for i in range(moves):
        label, key = plan[i % len(plan)]
        a, b, c = move(page, slider(page, label), key, pause)
        shown.append(a)
        position.append(b)
        settled.append(c)
    return shown, position, settled


def new_tabs(browser, url: str, n: int) -> tuple[list[float], list[float]]:
    """``n`` new tabs on the running server, one after the other: seconds from opening each
    to its first figure, and to its whole answer (the headline's fingerprint)."""
    first, whole = [], []
    for _ in range(n):
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        start = time.perf_counter()
        page.goto(url)
        page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
        first.append(time.perf_counter() - start)
        page.wait_for_function(f"() => ({MARK})() !== ''", timeout=120_000, polling="raf")
        whole.append(time.perf_counter() - start)
        settle(page)
        page.close()
    return first, whole


def _steady_box(page, locator) -> dict:
    box = None
    for _ in range(20):
        page.wait_for_timeout(100)
        again = locator.bounding_box()
        if again == box:
            return box
        box = again
    return box


def _ran(page, start_within: float = 3.0) -> bool:
    """Whether a run starts within ``start_within`` s; then waits for the page to settle."""
    try:
        page.wait_for_selector(RUNNING, timeout=start_within * 1000, state="attached")
    except Exception:  # no run: the commit did not reach the server (typed again)
        return False
    settle(page)
    return True


def offers_typed(page, n: int, pause: float) -> list[float]:
    """Type ``n`` offers into the Offers table (the scenario has none): seconds from the
    commit of each offer's last cell (the one that makes the row whole) to the offer's name
    in the ranking table."""
    page.get_by_role("tab", name="Offers", exact=True).click()
    settle(page)
    grid = page.locator('.st-key-cp-offers [data-testid="stDataFrame"]').first
    times = []
    for k, cells in enumerate(TYPED[:n]):
        time.sleep(pause)
        y = 35 * (k + 1) + 17
        grid.scroll_into_view_if_needed()
        box = _steady_box(page, grid)
        page.mouse.click(box["x"] + CELL_X[0], box["y"] + y)  # the row that adds one
        _ran(page)
        for i, (x, text) in enumerate(zip(CELL_X, cells, strict=True)):
            for _attempt in range(3):
                grid.scroll_into_view_if_needed()
                box = _steady_box(page, grid)
                page.mouse.dblclick(box["x"] + x, box["y"] + y)
                editor = page.locator("textarea.gdg-input, #portal textarea").first
                editor.wait_for(timeout=10_000)
                editor.fill(text)
                start = time.perf_counter()
                page.keyboard.press("Tab")
                if i < 2:
                    if _ran(page):
                        break
                    continue
                try:
                    page.wait_for_function(
                        """([name]) => [...document.querySelectorAll(
                            '[role="tabpanel"]:not([hidden]) [data-testid="stDataFrame"]')]
                            .slice(1).some(g => [...g.querySelectorAll('[role="gridcell"]')]
                            .some(c => c.textContent === name))""",
                        arg=[cells[0]], timeout=60_000, polling="raf")
                except Exception:
                    continue  # the commit was dropped: typed again
                times.append(time.perf_counter() - start)
                settle(page)
                break
    return times


def simulation_alone(repeats: int = 5) -> list[float]:
    """The simulation under a lever change, timed in this process at the same moment: what
    the machine's load makes of the part of the time the page cannot avoid."""
    sys.path.insert(0, str(ROOT))
    from forecast.scenario_io import load_scenario, scenario_price_book
    from forecast.simulation import simulate

    scenario = load_scenario(ROOT / "scenarios" / "enterprise-portfolio.yaml")
    book = scenario_price_book(scenario)
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        simulate(scenario, book, n_paths=10_000, seed=scenario.simulation.seed)
        times.append(time.perf_counter() - start)
    return times[1:]  # the first pays for imports and page faults


def summary(name: str, times: list[float]) -> str:
    return (f"{name}: median {statistics.median(times):.2f} s (min {min(times):.2f}, max "
            f"{max(times):.2f}, n={len(times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=12, help="lever moves (at least 10)")
    parser.add_argument("--pause", type=float, default=1.0,
                        help="seconds between moves (reading the answer)")
    parser.add_argument("--offers", action="store_true",
                        help="also time lever changes with three offers on the table")
    parser.add_argument("--tabs", type=int, default=5, help="new tabs on the warm server")
    parser.add_argument("--typed", type=int, default=6,
                        help="offers typed into the Offers table (0: none)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, server(Path(tmp)) as (url, boot), \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        start = time.perf_counter()
        page.goto(url)
        page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
        first = time.perf_counter() - start
        settle(page)
        first_settled = time.perf_counter() - start

        tab_first, tab_whole = new_tabs(browser, url, max(args.tabs, 1))

        lever, lever_position, lever_settled = lever_series(page, max(args.moves, 10),
                                                            args.pause)

        # The batch slider moved left three times above, other sliders in between: the first
        # nudge here is cold, the next ones were worked out ahead.
        nudges = []
        for _ in range(max(args.moves, 10) + 1):
            shown, _position, _settled = move(page, slider(page, "Batch: share"), "ArrowLeft",
                                              args.pause)
            nudges.append(shown)
        nudges = nudges[1:]

        page.get_by_text("Contract terms", exact=True).click()
        settle(page)
        contract = []
        for _ in range(max(args.moves, 10)):
            shown, _position, _settled = move(page, slider(page, "Risk appetite"),
                                              "ArrowRight", args.pause)
            contract.append(shown)

        typed: list[float] = []
        if args.typed:
            # A scenario without offers, in a new tab: the levers moved above are kept in
            # the working copy, which this tab takes up; the offers are typed on top.
            typing = browser.new_page(viewport={"width": 1280, "height": 800})
            typing.goto(url)
            typing.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
            settle(typing)
            typed = offers_typed(typing, args.typed, args.pause)
            typing.close()

        offers: tuple[list[float], list[float], list[float]] | None = None
        if args.offers:
            page.goto(url)
            page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
            settle(page)
            scenario = Path(tmp) / "globex-offers.yaml"
            text = (ROOT / "scenarios" / "enterprise-portfolio.yaml").read_text()
            scenario.write_text(text.replace("name: Globex enterprise portfolio",
                                             "name: Globex with offers", 1) + OFFERS)
            page.locator('input[type="file"]').first.set_input_files(str(scenario))
            page.wait_for_function("() => [...document.querySelectorAll('h3')].some("
                                   "h => h.innerText === 'Globex with offers')",
                                   timeout=120_000)
            settle(page)
            offers = lever_series(page, max(args.moves, 10), args.pause)
        browser.close()

    alone = simulation_alone()
    load = os.getloadavg()
    print(f"server start to healthy: {boot:.2f} s")
    print(f"first answer, cold server: {first:.2f} s (page settled {first_settled:.2f} s; "
          f"target {TARGETS['first_answer']:.1f} s)")
    print(summary("new tab, warm server: first figure", tab_first))
    print(summary("new tab, warm server: the whole answer (the decision)", tab_whole)
          + f" (target {TARGETS['new_tab']:.1f} s)")
    print(summary("lever change to headline", lever)
          + f" (target {TARGETS['lever_to_headline']} s)")
    print(summary("lever change to the position under it", lever_position))
    print(summary("lever change, page settled", lever_settled))
    print(summary("the same lever nudged again (worked out ahead)", nudges))
    print(summary("contract change to headline (simulation reused)", contract))
    if typed:
        print(summary("offer typed to its ranking", typed)
              + f" (target {TARGETS['offer_typed']} s)")
    if offers is not None:
        print(summary("three offers on the table: lever change to headline", offers[0]))
        print(summary("three offers on the table: lever change to the position", offers[1]))
        print(summary("three offers on the table: page settled", offers[2]))
    print(summary("the simulation alone, in-process, right after", alone))
    print(f"load average while measuring: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"on {os.cpu_count()} cores")
    print(f"lever_to_headline_seconds: {statistics.median(lever):.2f}")


if __name__ == "__main__":
    main()

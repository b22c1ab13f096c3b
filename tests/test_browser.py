"""The planner in a real browser: Debian chromium driven by Playwright against ``streamlit run``.

Loads the page on the opening example (10,000 paths, as a user gets it), waits for the
recommendation, moves a portfolio lever and checks the answer moves; saves screenshots at
1280x800 and 1440x900 under the test's temporary folder (and copies them to
/tmp/app-screens/ to look at). Prints the first-render and lever-change times.

Skipped when /usr/bin/chromium (or Playwright) is missing, unless the CI variable is set:
then it fails, so CI cannot pass without the browser test having run.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SCREENS = Path("/tmp/app-screens")
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
NO_STALE = "document.querySelectorAll('[data-stale=\"true\"]').length === 0"


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so the browser test must run "
                    "(scripts/ensure-system-deps.sh installs chromium)")
    pytest.skip(f"{reason}; install it with `apt-get install -y chromium`")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _require_browser() -> None:
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing")
    if importlib.util.find_spec("playwright") is None:
        _missing("playwright is not installed")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """``streamlit run app.py`` in its own process group; stopped by its pid afterwards."""
    _require_browser()  # before starting anything
    port = _free_port()
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start: {(tmp_path / 'streamlit.log').read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


def _settle(page, timeout_ms: int = 60_000) -> None:
    """Wait until the script has finished and no element is left from the previous run."""
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    page.wait_for_function(NO_STALE, timeout=timeout_ms)


def _metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _money(text: str) -> float:
    """``$4.03M`` -> 4030000.0 (the app's usd_short format)."""
    scale = {"K": 1e3, "M": 1e6, "B": 1e9}
    text = text.replace("$", "").replace(",", "")
    return float(text[:-1]) * scale[text[-1]] if text[-1] in scale else float(text)


def _shot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path))
    try:
        SCREENS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SCREENS / name)
    except OSError:
        pass
    return path


def test_lever_moves_the_answer_in_a_real_browser(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            start = time.perf_counter()
            page.goto(server)
            page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
            _settle(page)
            first_render = time.perf_counter() - start

            # The answer is above the fold: the number and the flag, without scrolling.
            for label in ("Recommended commitment", "Risk-neutral", "Risk-bounded",
                          "Expected saving"):
                box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
                assert box.is_visible() and box.bounding_box()["y"] < 800, label
            flag = page.locator(".cp-flag").first
            assert flag.is_visible() and flag.bounding_box()["y"] + 20 < 800
            assert "Stranded savings" in flag.inner_text()
            _shot(page, tmp_path, "planner-1280x800.png")

            before = _metric(page, "Risk-bounded")
            # Portfolio batch lever: "as planned" -> 0% of the eligible traffic batched.
            # Less batch leaves more usage on the optimized path, so the largest commitment
            # within the shortfall appetite (risk-bounded) must rise.
            lever = page.locator('[data-testid="stSlider"]').filter(
                has_text="Batch: share of each workload").locator("input[type=range]")
            lever.focus()
            start = time.perf_counter()
            lever.press("ArrowRight")
            page.wait_for_function(
                """([label, before]) => {
                    const box = [...document.querySelectorAll('[data-testid="stMetric"]')]
                        .find(m => m.innerText.includes(label));
                    const v = box && box.querySelector('[data-testid="stMetricValue"]');
                    return v && v.innerText.trim() !== before;
                }""", arg=["Risk-bounded", before], timeout=30_000)
            shown = time.perf_counter() - start
            _settle(page)
            settled = time.perf_counter() - start
            after = _metric(page, "Risk-bounded")
            assert _money(after) > _money(before), (before, after)
            assert "0%" in page.locator('[data-testid="stSlider"]').filter(
                has_text="Batch: share of each workload").inner_text()
            _shot(page, tmp_path, "planner-lever-moved-1280x800.png")

            page.set_viewport_size({"width": 1440, "height": 900})
            _settle(page)
            _shot(page, tmp_path, "planner-1440x900.png")
            timings = (f"first render {first_render:.2f} s; lever change: new value shown "
                       f"{shown:.2f} s, page settled {settled:.2f} s "
                       f"(risk-bounded {before} -> {after})")
            print(timings)
            (tmp_path / "timings.txt").write_text(timings + "\n")
        finally:
            browser.close()

"""The page as the desk on a live call, in a real browser (Debian chromium, Playwright).

What is typed survives: three offers typed into the Offers table, a portfolio lever moved a
notch and a contract term edited come back after a reload and after a server restart (the
working copy in the workspace); the table shows the three offers whole, without scrolling
inside it (the offer's name pinned when it scrolls sideways), at 1280x800. A ramp in the
ranking reads whole at 1280 and 1920. Two tabs on one workspace: a deletion in one is seen
in the other on its next run, and one name cannot be saved twice. A 50 MB scenario upload
says why in the page's message area.

Each test has a server of its own (its own workspace folder), at 2,000 paths. Skipped when
chromium or Playwright is missing, as ``tests/test_browser.py`` is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.test_browser import (  # noqa: F401  (browser: the fixture, shared)
    CHROMIUM,
    ENTERPRISE,
    IDLE,
    NO_STALE,
    OFFERS,
    ROOT,
    TEAM,
    _free_port,
    _missing,
    _settle,
    _shot,
    _tab,
    serve_app,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

QUERY = "?paths=2000"
#: The offers typed, cell by cell: name, discount or tiers, commitment a year (a ramp).
TYPED = (("Vendor opening", "4M: 10%", "4M"), ("Our counter", "3M: 10%", "3M / 3.5M / 4M"),
         ("Flat 8%", "8%", "3M"))
#: Where each of those cells is, from the table's left edge: the row marker (33 px) and the
#: middle of the Offer (125), Discount (138) and Commitment (136) columns, past From (80)
#: (ui.offers.WIDTHS).
CELL_X = (33 + 62, 33 + 125 + 80 + 69, 33 + 125 + 80 + 138 + 68)
ROW_PX = 35


@contextmanager
def serving(workspace: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free port with ``workspace``; stopped by its pid."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing")
    with serve_app(workspace) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield chromium
        finally:
            chromium.close()


def _open(browser, url: str, width: int = 1280, height: int = 800):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
    _settle(page, 120_000)
    return page


def _steady_box(page, locator) -> dict:
    """The element's box once it stops moving (a rerun may still be laying the page out)."""
    box = None
    for _ in range(20):
        page.wait_for_timeout(150)
        again = locator.bounding_box()
        if again == box:
            break
        box = again
    return box


def _offers_grid(page):
    return page.locator('.st-key-cp-offers [data-testid="stDataFrame"]').first


RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'


def _ran(page) -> bool:
    """Whether a run starts within 3 s (a commit's), then waits for the page to be idle for
    a second."""
    try:
        page.wait_for_selector(RUNNING, timeout=3_000, state="attached")
    except Exception:  # no run: the commit did not reach the server
        return False
    quiet = 0
    while quiet < 4:
        page.wait_for_timeout(250)
        quiet = 0 if page.locator(RUNNING).count() else quiet + 1
    _settle(page)
    return True


def _type_offers(page, rows=TYPED) -> None:
    """Type offers into an empty offers table as an advisor does: click the row that adds
    one, then each cell: double-click, type, Tab. Each commit is a run of the page; a cell
    whose commit started no run (glide's editor can drop one committed right after a run,
    while the table redraws: the cell shows it, the page does not have it, and the hint
    beside the table says the row is not whole) is typed again."""
    grid = _offers_grid(page)
    for k, cells in enumerate(rows):
        y = ROW_PX * (k + 1) + 17
        grid.scroll_into_view_if_needed()
        box = _steady_box(page, grid)
        page.mouse.click(box["x"] + CELL_X[0], box["y"] + y)
        _ran(page)
        for x, text in zip(CELL_X, cells, strict=True):
            for _attempt in range(3):
                grid.scroll_into_view_if_needed()
                box = _steady_box(page, grid)
                page.mouse.dblclick(box["x"] + x, box["y"] + y)
                editor = page.locator("textarea.gdg-input, #portal textarea").first
                editor.wait_for(timeout=10_000)
                editor.fill(text)
                page.keyboard.press("Tab")
                if _ran(page):
                    break
            else:
                pytest.fail(f"the cell {text!r} of row {k + 1} was never committed")


def _lever_value(page, label: str) -> str:
    lever = page.locator('[data-testid="stSlider"]').filter(has_text=label)
    return lever.locator('[data-testid="stSliderThumbValue"]').inner_text()


def _sidebar_input(page, label: str):
    return page.locator('[data-testid="stSidebar"] [data-testid="stTextInput"]').filter(
        has_text=label).locator("input")


def _checks_after(page, notch: str) -> None:
    """What was typed is back: the three offers (in the table and the ranking), the lever's
    notch, the tiers, the view, and the working copy's note."""
    panel = page.locator('[role="tabpanel"]:not([hidden])')
    for grid in (_offers_grid(page), panel.locator('[data-testid="stDataFrame"]').nth(1)):
        grid.locator('[role="gridcell"]').first.wait_for(state="attached")
        cells = grid.locator('[role="gridcell"]').all_text_contents()
        for name, _d, _c in TYPED:
            assert name in cells, cells
    assert _lever_value(page, "Cache hit rate") == notch
    page.get_by_text("Contract terms", exact=True).click()
    assert _sidebar_input(page, "Discount tiers").input_value() == "1M: 6% / 3M: 11% / 6M: 14%"
    assert page.get_by_role("tab", name="Offers", exact=True).get_attribute(
        "aria-selected") == "true"
    assert "working copy, saved " in page.locator(".st-key-cp-title").inner_text()


# --------------------------------------------------------------------------- nothing lost
def test_typed_offers_a_lever_and_a_term_survive_a_reload_and_a_restart(browser, tmp_path):
    workspace = tmp_path / "workspace"
    with serving(workspace) as url:
        page = _open(browser, url + QUERY)
        try:
            _tab(page, "Offers")
            _type_offers(page)
            # The three offers whole in the table, no scroll inside it (downwards), at 1280x800.
            grid = _offers_grid(page)
            box = _steady_box(page, grid)
            assert box["height"] >= ROW_PX * (len(TYPED) + 2), box  # header, rows, the add row
            scroller = grid.locator(".dvn-scroller").first
            assert scroller.evaluate("e => e.scrollHeight <= e.clientHeight + 1")
            _shot(page, "offers-typed-1280x800.png")
            # A lever a notch (cache 71% -> 66%: 5 points), a term (the 3M tier 10% -> 11%).
            lever = page.locator('[data-testid="stSlider"]').filter(
                has_text="Cache hit rate").locator("input[type=range]")
            lever.focus()
            planned = _lever_value(page, "Cache hit rate")
            lever.press("ArrowLeft")
            assert _ran(page)
            notch = _lever_value(page, "Cache hit rate")
            assert notch != planned
            page.get_by_text("Contract terms", exact=True).click()
            tiers = _sidebar_input(page, "Discount tiers")
            tiers.fill("1M: 6% / 3M: 11% / 6M: 14%")
            tiers.press("Enter")
            assert _ran(page)
            address = page.url
            page.reload()
            page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
            _settle(page, 120_000)
            _checks_after(page, notch)
        finally:
            page.close()
    query = address[address.index("?"):]
    with serving(workspace) as url:  # a restart: a new server on the same workspace
        page = _open(browser, url + query)
        try:
            _checks_after(page, notch)
        finally:
            page.close()


# --------------------------------------------------------------------------- ramps whole
MEASURE = """([texts, width]) => {
    const ctx = document.createElement('canvas').getContext('2d');
    const family = getComputedStyle(document.body).fontFamily;
    ctx.font = `14px ${family}`;
    return texts.map(t => [t, ctx.measureText(t).width + 16 <= width]);
}"""


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1920, 1080)])
def test_a_ramp_reads_whole_in_the_ranking(browser, tmp_path, width, height):
    """The counter's ramp ($3.00M / $3.50M / $4.00M with its tiers) in the ranking's
    commitment column: the text in the table's font is narrower than the column, padding
    included."""
    from ui.views.offers_view import text_width

    scenario = tmp_path / "ramp.yaml"
    scenario.write_text(ENTERPRISE.replace("name: Globex enterprise portfolio",
                                           "name: Globex ramp", 1)
                        + OFFERS.replace("  rollover: 0.25",
                                         "  commitments: [3000000, 3500000, 4000000]"))
    with serving(tmp_path / "workspace") as url:
        page = _open(browser, url + QUERY, width, height)
        try:
            page.locator('input[type="file"]').first.set_input_files(str(scenario))
            page.wait_for_function("() => [...document.querySelectorAll('h3')].some("
                                   "h => h.innerText === 'Globex ramp')", timeout=120_000)
            _settle(page)
            _tab(page, "Offers")
            panel = page.locator('[role="tabpanel"]:not([hidden])')
            ranking = panel.locator('[data-testid="stDataFrame"]').nth(1)
            ranking.locator('[role="gridcell"]').first.wait_for(state="attached")
            cells = ranking.locator('[role="gridcell"]').all_text_contents()
            ramps = [c for c in cells if c.count(" / ") >= 2]
            assert ramps, cells  # the ramp is in the ranking
            commitments = [c for c in cells if "tier" in c or c.count(" / ") >= 2]
            column = text_width(commitments, 135)
            assert all(fits for _t, fits in page.evaluate(MEASURE, [ramps, column])), ramps
            _shot(page, f"offers-ramp-{width}x{height}.png")
        finally:
            page.close()


# --------------------------------------------------------------------------- two tabs
def test_two_tabs_see_a_deletion_and_cannot_save_one_name_twice(browser, tmp_path):
    scenario = tmp_path / "team.yaml"
    scenario.write_text(TEAM.replace("name: Small team", "name: Shared team", 1))
    with serving(tmp_path / "workspace") as url:
        first, second = _open(browser, url + QUERY), _open(browser, url + QUERY)
        try:
            first.locator('input[type="file"]').first.set_input_files(str(scenario))
            first.wait_for_function("() => [...document.querySelectorAll('h3')].some("
                                    "h => h.innerText.startsWith('Shared team'))",
                                    timeout=120_000)
            _settle(first)
            name = first.locator("h3").first.inner_text()
            _tab(second, "Files")  # the second tab's next run lists it
            # the click's rerun may start after _settle saw the page idle: wait for the name
            second.get_by_text(name, exact=False).first.wait_for(timeout=60_000)
            assert second.get_by_text(name, exact=False).count() >= 1
            _tab(first, "Files")
            first.get_by_role("button", name="Delete").first.click()
            _settle(first)
            _tab(second, "Spend")  # its next run: gone
            second.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
            options = second.locator('[role="option"]').all_inner_texts()
            second.keyboard.press("Escape")
            assert name not in options, options
            # One name, two tabs: the second is refused, then numbered at the user's choice.
            for page in (first, second):
                page.get_by_placeholder("variant name").fill("Shared name")
                page.get_by_role("button", name="Save", exact=True).click()
                _settle(page)
            messages = second.locator(".st-key-cp-messages").inner_text()
            assert "“Shared name” is already a scenario's name" in messages, messages
            second.get_by_role("button", name="Save as “Shared name (2)”").click()
            second.wait_for_function("() => [...document.querySelectorAll('h3')].some("
                                     "h => h.innerText === 'Shared name (2)')", timeout=60_000)
            _settle(second)
        finally:
            first.close()
            second.close()


# --------------------------------------------------------------------------- uploads
def test_a_50_mb_scenario_says_why_in_the_message_area(browser, tmp_path):
    big = tmp_path / "huge.yaml"
    big.write_bytes(b"# padding\n" * (5 * 2**20))  # 50 MB
    with serving(tmp_path / "workspace") as url:
        page = _open(browser, url + QUERY)
        try:
            page.locator('input[type="file"]').first.set_input_files(str(big))
            messages = page.locator(".st-key-cp-messages")
            messages.get_by_text("huge.yaml was not loaded").wait_for(timeout=120_000)
            text = messages.inner_text()
            assert "the file is 50.0 MB; a scenario file is at most 4 MB" in text, text
            _shot(page, "upload-50mb-1280x800.png")
        finally:
            page.close()

"""Commitment Planner: the Streamlit page (``make run``, or ``streamlit run app.py``).

The page reads top to bottom: the scenario store (``ui.state``: every scenario, its edits,
the workspace that keeps uploads, imports and variants), the sidebar (``ui.sidebar``:
scenario in, portfolio levers, contract terms, uncertainty, paths), the scenario as edited
(the workloads table, ``ui.edits``; the offers table, ``ui.offers``), the plan, then the
answer at the top (``ui.headline``), the buyer's position under it, and one tab per view
(``ui.views``); a scenario with a signed contract has a Tracking tab, where usage to date is
uploaded and the contract tracked against it. Every number comes from ``forecast/``; edits
go back through the scenario schema, so a bad edit is reported like a bad file, naming its
table row and field.

What the headline needs is computed first and drawn first; the position (every offer on the
same paths) follows on the same simulation, then the views. The expensive calls are cached
per scenario (``ui.cache``); a change to the contract's terms or the offers alone reuses the
simulation.

``?paths=N`` in the address caps the simulated paths (tests, slow machines); users get each
scenario's own count (10,000 in the bundled examples). The workspace folder is
``--workspace DIR`` after ``--`` (``streamlit run app.py -- --workspace DIR``), else
``$COMMITPLAN_WORKSPACE``, else ``~/.commitplan/workspace``.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import streamlit as st

from forecast import (
    Plan,
    PlannerError,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_scenario,
    scenario_price_book,
    scenario_to_dict,
)
from ui import cache, edits, headline, offers, portfolio, sidebar, views
from ui.book import book_section
from ui.state import ScenarioStore
from ui.text import md
from ui.workspace import Workspace, workspace_folder

ROOT = Path(__file__).resolve().parent
# The opening example: the 22-workload portfolio exercises every lever, the waiting test's
# three classes (and a gray workload batched past its eligible share), three discount tiers
# and the stranded-savings contrast the product exists for.
OPENING = ROOT / "scenarios" / "enterprise-portfolio.yaml"
# Tracking (after signing: the contract against usage to date) is shown for a scenario with
# a signed contract only (ui.views.shows_tracking).
VIEWS = ("Spend", "Commitment", "Offers", "Tracking", "Savings", "Workloads", "Sensitivity",
         "Compare", "Files")

st.set_page_config(page_title="Commitment Planner", layout="wide",
                   initial_sidebar_state="expanded")
# The page's styles (ui/style.css), set once at the top.
st.html("<style>\n" + (ROOT / "ui" / "style.css").read_text(encoding="utf-8") + "</style>")
ss = st.session_state


@st.cache_data(max_entries=4, show_spinner=False)
def bundled_scenarios() -> list[Scenario]:
    return [load_scenario(p) for p in sorted((ROOT / "scenarios").glob("*.yaml"))]


def plan_for(scenario: Scenario) -> Plan:
    return cache.plan_for_json(scenario.model_dump_json(), *run_settings(scenario))


def paths_cap() -> int | None:
    raw = st.query_params.get("paths")
    try:
        return max(1, int(raw)) if raw else None
    except ValueError:
        return None


def run_settings(scenario: Scenario) -> tuple[int, int]:
    """(paths, seed) to simulate: the scenario's, paths capped by ``?paths=``."""
    cap = paths_cap()
    paths = scenario.simulation.paths
    return (min(paths, cap) if cap else paths), scenario.simulation.seed


# --------------------------------------------------------------------------- the store
def open_store() -> ScenarioStore:
    """Once per session: the bundled scenarios and what the workspace keeps; the scenario
    named by ``?scenario=`` (kept there across a reload) or the opening example active."""
    if "store" not in ss:
        folder = workspace_folder(sys.argv[1:], os.environ)
        ss.store = ScenarioStore.open(bundled_scenarios(), load_scenario(OPENING).name,
                                      Workspace(folder))
        ss.store.activate(st.query_params.get("scenario", ss.store.active))
    return ss.store


store = open_store()
# Another tab may have kept, deleted or edited scenarios since the last run: list the workspace
# again, and take up the active scenario's working copy when another tab wrote it last.
store.sync()
store.check_working(store.active)
entry = store.current
origin = entry.origin_scenario()
book = scenario_price_book(origin)
editor_key = store.key("workloads")
offers_key = store.key("offers")
table = edits.apply_table_edits(entry.origin, ss.get(editor_key))
try:
    basis = edits.validate(table)  # what the portfolio levers start from
except ScenarioError:
    basis = origin
table = offers.apply_offer_edits(table, ss.get(offers_key))

with st.sidebar:
    controls = sidebar.render(basis, book, paths_cap())
if st.query_params.get("scenario") != store.active:
    st.query_params["scenario"] = store.active

header = st.container()

# --------------------------------------------------------------------------- the scenario
problems: list[str] = []
try:
    if controls.problems:
        raise ScenarioError(controls.problems)
    latest = scenario_to_dict(edits.validate(table, edits.apply_settings(table.data,
                                                                         controls.settings)))
except ScenarioError as exc:
    problems = exc.problems
    latest = entry.latest
try:
    scenario = parse_scenario(portfolio.apply_portfolio_levers(latest, controls.levers))
except ScenarioError as exc:  # a lever moved where the schema does not follow: say which
    problems = [*problems, *(f"portfolio levers: {p}" for p in exc.problems)]
    scenario = parse_scenario(latest)
levers_before = entry.levers
store.record(store.active, latest, scenario_to_dict(scenario), controls.levers)
scenario_json = scenario.model_dump_json()
paths, seed = run_settings(scenario)


def open_tabs(names: tuple[str, ...]) -> dict[str, Any]:
    """The tabs of ``views``. A new set of tabs is a new widget, which opens on its default:
    the view open before is made the default, so adding or dropping the Tracking tab (another
    scenario) keeps the view the user is on. A new session (a reload, a restart) opens on the
    view in the address (``?view=``), else the one the working copy was written from."""
    if ss.get("views_shown") != names:
        ss.views_shown = names
        before = ss.get("view") or st.query_params.get("view") or (
            entry.working.view if entry.working is not None else None)
        ss.view_default = before if before in names else None
    tabs = dict(zip(names, st.tabs(names, key="view", default=ss.view_default,
                                   on_change="rerun"), strict=True))
    view = ss.get("view") or ss.view_default
    if view and st.query_params.get("view") != view:
        st.query_params["view"] = view
    return tabs


tabs = open_tabs(VIEWS if views.shows_tracking(scenario) else
                 tuple(v for v in VIEWS if v != "Tracking"))
# What is typed is kept at once: the working copy of the scenario (ui.working).
store.keep_working(store.active, ss.get("view") or ss.view_default)

# --------------------------------------------------------------------------- the answer
with header:
    with st.container(horizontal=True, gap="medium", vertical_alignment="center",
                      key="cp-title"):
        st.markdown(f"### {md(scenario.name)}", width="content")
        sidebar.working_copy_note(entry)
    # The messages of this run in one box that is always there: the headline below keeps
    # its place in the page from one run to the next (a notice shown once does not shift it).
    with st.container(key="cp-messages"):
        if store.notice:
            st.success(md(store.notice))
            store.notice = None
        for title, lines in store.errors:
            st.error(sidebar.problems_md(title, lines))
        store.errors = []
        if not st.get_option("server.address"):
            st.warning("This server answers on every network interface (no `server.address` is "
                       "set): start it from the project folder (`make run`), where "
                       "`.streamlit/config.toml` binds it to this machine, or name an address on "
                       "purpose (README, *Running it safely*).")
        for warning in store.warnings:
            st.warning(md(warning))
        store.warnings = []
        # A problem of the offers table is said beside the table (the Offers tab), not here.
        if shown := [p for p in problems if not p.startswith(offers.WHERE)]:
            st.error(sidebar.problems_md("Your last change is not applied (the answer below is "
                                         "for the last valid settings):", shown))
    try:
        with st.spinner(f"Simulating {paths:,} paths × {scenario.horizon_months} months × "
                        f"{len(scenario.workloads)} workloads…"):
            plan = cache.plan_for_json(scenario_json, paths, seed)
        if scenario.offers:  # the decision weighs every offer: the headline waits for them
            with st.spinner("Weighing the offers…"):
                plan = cache.position_for(scenario_json, paths, seed)
    except PlannerError as exc:
        st.error(md(f"The planner cannot run this scenario: {exc}"))
        st.stop()
    except Exception as exc:  # named in the page, the traceback in the server's log only
        logging.getLogger("commitplan.app").exception("plan of %s", scenario.name)
        st.error(md(f"The planner failed on this scenario ({type(exc).__name__}); change "
                    "the last setting back, and report it with the scenario's YAML."))
        st.stop()
    slot = headline.render(plan, headline.notes(plan, paths, seed,
                                                controls.levers.describe()), scenario_json)
    views.import_guide(entry, scenario, bool(controls.levers.describe()))

# The position (every offer re-optimized on the same paths) once the headline is on screen.
try:
    plan = cache.position_for(scenario_json, paths, seed)
    headline.position(slot, plan, scenario_json)
except Exception as exc:  # the headline stands; the traceback in the server's log only
    logging.getLogger("commitplan.app").exception("position of %s", scenario.name)
    slot.error(md(f"The negotiation position could not be worked out "
                  f"({type(exc).__name__}); the figures above stand."))

# --------------------------------------------------------------------------- the views
if tabs["Spend"].open:
    with tabs["Spend"]:
        views.spend(plan, scenario_json, paths, seed)
if tabs["Commitment"].open:
    with tabs["Commitment"]:
        views.commitment(plan)
with tabs["Offers"]:
    # Drawn on every run, even behind another tab, so that its edits are kept.
    views.offers_editor(entry.origin, offers_key,
                        [*table.offer_hints,
                         *(p for p in problems if p.startswith(offers.WHERE))])
    if tabs["Offers"].open:
        views.offers(plan, store.key("asks_for"), lambda names: cache.position_for(
            scenario_json, paths, seed, names))
if "Tracking" in tabs and tabs["Tracking"].open:
    with tabs["Tracking"]:
        views.tracking(store, scenario, scenario_json, paths, seed)
if tabs["Savings"].open:
    with tabs["Savings"]:
        views.savings(plan)
with tabs["Workloads"]:
    if tabs["Workloads"].open:
        views.workloads_summary(plan)
    # Drawn on every run, even behind another tab, so that its edits are kept.
    views.workloads_editor(entry.origin, editor_key)
if tabs["Sensitivity"].open:
    with tabs["Sensitivity"]:
        views.sensitivity(entry, plan, scenario_json, paths, seed, lambda: cache.tornado_for(
            scenario_json, paths, seed, plan.recommendation.risk_bounded.annual_commit))
if tabs["Compare"].open:
    with tabs["Compare"]:
        views.compare(store, plan_for)
if tabs["Files"].open:
    with tabs["Files"]:
        views.files(store, scenario, plan, scenario_json, paths, seed)
        book_section(store)

# --------------------------------------------------------------------------- the next notch
# A lever nudged one notch is often nudged again: its next notch is worked out while the
# advisor reads this answer, so that the next nudge answers at once.
ahead = portfolio.next_notch(levers_before, controls.levers, controls.tracks)
if ahead is not None and not problems:
    next_scenario = parse_scenario(portfolio.apply_portfolio_levers(latest, ahead))
    cache.plan_ahead(next_scenario.model_dump_json(), *run_settings(next_scenario))
# The Tracking tab's as-of month is in the working copy too.
store.keep_working(store.active, ss.get("view") or ss.view_default)

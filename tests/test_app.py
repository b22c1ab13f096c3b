"""The Streamlit page, driven by ``streamlit.testing.v1.AppTest``.

The numbers are tested in the library; here the page's behaviour: it runs on every bundled
scenario and every view, levers move the answer in the direction the model says, and bad
input (an uploaded file, a table edit, a typed commitment) is shown in the page naming the
field, never as a traceback. Runs at 400 paths (``?paths=400``) for speed; the direction
checks hold path by path because the seed, and so every draw, stays the same.
"""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from forecast.scenario import load_scenario, read_scenario_text
from forecast.waiting import batch_eligible_share
from tests.conftest import ROOT, SCENARIOS

APP = str(ROOT / "app.py")
VIEWS = ("Spend", "Commitment", "Savings by lever", "Workloads", "Sensitivity", "Compare",
         "Scenario & downloads")
ENTERPRISE = load_scenario(ROOT / "scenarios" / "enterprise-portfolio.yaml").name


@pytest.fixture(autouse=True)
def _fresh_cache():
    """``st.cache_data`` outlives an AppTest: clear it so tests stay independent."""
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def open_app(paths: int = 400) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["paths"] = str(paths)
    at.run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def money(text: str) -> float:
    """``$4.03M`` -> 4030000.0 (the page shows ``usd_short``)."""
    text = text.replace("$", "").replace(",", "")
    scale = {"K": 1e3, "M": 1e6, "B": 1e9}
    return float(text[:-1]) * scale[text[-1]] if text[-1] in scale else float(text)


def widget(widgets, label: str):
    return next(w for w in widgets if w.label.startswith(label))


def show(at: AppTest, view: str) -> AppTest:
    at.session_state["view"] = view
    at.run()
    assert not at.exception, at.exception
    return at


def editor_key(at: AppTest) -> str:
    return next(k for k in at.session_state if str(k).endswith("|workloads"))


def table_with(at: AppTest, column: str):
    """The first table on the page with this column (editors are tables too)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


# --------------------------------------------------------------------------- opening state
def test_opens_on_the_enterprise_example_with_the_answer():
    at = open_app()
    assert ENTERPRISE in at.markdown[0].value
    for label in ("Recommended commitment", "Risk-neutral", "Risk-bounded", "Expected saving"):
        assert metric(at, label).startswith("$")
    # Risk-neutral ignores the shortfall risk; the recommended one is the best within it.
    assert money(metric(at, "Risk-bounded")) > 0
    flags = [m.value for m in at.markdown if "cp-flag" in m.value]
    assert flags and "Stranded savings" in flags[0]
    assert any(level in flags[0] for level in ("GREEN", "AMBER", "RED"))
    # The contrast the product exists for: sized on the unoptimized forecast, the floor
    # strands savings.
    assert "Sized on the unoptimized forecast" in flags[0] and "RED" in flags[0]
    assert not at.error
    # Users get each scenario's own path count; only ?paths= caps it.
    assert widget(at.selectbox, "Paths").value == 10_000
    assert any("capped at 400" in c.value for c in at.caption)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_bundled_scenario_runs_in_every_view(path):
    at = open_app()
    name = load_scenario(path).name
    at.selectbox(key="picker").select(name).run()
    assert not at.exception, at.exception
    assert name in at.markdown[0].value
    for view in VIEWS:
        show(at, view)
        assert not at.error, (view, errors(at))
    # Chart views draw Altair charts (Vega-Lite specs on the page).
    show(at, "Spend")
    assert at.get("vega_lite_chart"), "fan chart"
    show(at, "Savings by lever")
    assert len(at.get("vega_lite_chart")) == 2


# --------------------------------------------------------------------------- levers
def test_less_batch_raises_the_risk_bounded_commitment():
    """Batching nothing (portfolio lever at 0% of the eligible share) leaves the full
    real-time rate on work the plan batched: optimized usage rises on every path (same seed,
    same draws), so the largest commitment within the shortfall appetite rises too."""
    at = open_app()
    before = money(metric(at, "Risk-bounded"))
    widget(at.select_slider, "Batch:").set_value(0.0).run()
    assert not at.exception
    assert money(metric(at, "Risk-bounded")) > before
    assert any("batch 0% of eligible" in c.value for c in at.caption)


def test_lower_lever_realization_raises_the_risk_bounded_commitment():
    """Realizing half of each planned lever change instead of 85% keeps usage nearer today's:
    optimized usage rises, and with it the risk-bounded commitment."""
    at = open_app()
    before = money(metric(at, "Risk-bounded"))
    widget(at.slider, "Lever realization: mean").set_value(0.5).run()
    assert not at.exception
    assert money(metric(at, "Risk-bounded")) > before


def test_batching_everything_eligible_does_not_raise_it():
    """The opposite move: batch 100% of every eligible share (capped by the waiting test)."""
    at = open_app()
    before = money(metric(at, "Risk-bounded"))
    widget(at.select_slider, "Batch:").set_value(1.0).run()
    assert money(metric(at, "Risk-bounded")) <= before
    # The cap: the downloadable scenario batches no workload past its eligible share.
    show(at, "Scenario & downloads")
    scenario = read_scenario_text(at.code[0].value)
    for w in scenario.workloads:
        assert w.target.batch_share == pytest.approx(batch_eligible_share(w))


def test_a_valid_table_edit_moves_the_answer():
    """Doubling the biggest workload's requests adds usage: the risk-bounded commitment rises."""
    at = open_app()
    before = money(metric(at, "Risk-bounded"))
    at.session_state[editor_key(at)] = {
        "edited_rows": {2: {"requests_per_month": 6_000_000}}, "added_rows": [],
        "deleted_rows": []}
    at.run()
    assert not at.exception and not at.error, errors(at)
    assert money(metric(at, "Risk-bounded")) > before


# --------------------------------------------------------------------------- bad input
def test_an_invalid_upload_shows_an_error_naming_the_field():
    at = open_app()
    bad = (ROOT / "tests" / "bad_scenarios" / "shares_sum.yaml").read_bytes()
    at.file_uploader(key="upload").set_value(("shares_sum.yaml", bad, "application/x-yaml"))
    at.run()
    assert not at.exception
    text = errors(at)
    assert "shares_sum.yaml was not loaded" in text
    assert "`workloads[0].optimized.models`" in text and "shares sum to 1.2" in text
    # The page keeps answering for the scenario it had.
    assert ENTERPRISE in at.markdown[0].value and metric(at, "Risk-bounded").startswith("$")


def test_a_valid_upload_becomes_the_active_scenario():
    at = open_app()
    text = (ROOT / "scenarios" / "team-three-workloads.yaml").read_text()
    text = text.replace("name: Small team", "name: Uploaded team", 1)
    at.file_uploader(key="upload").set_value(("team.yaml", text.encode(), "application/x-yaml"))
    at.run()
    assert not at.exception and not at.error, errors(at)
    assert at.selectbox(key="picker").value.startswith("Uploaded team")
    assert "Uploaded team" in at.markdown[0].value


def test_an_invalid_table_edit_names_the_row_and_field():
    at = open_app()
    before = metric(at, "Risk-bounded")
    at.session_state[editor_key(at)] = {
        "edited_rows": {0: {"optimized_models": "claude-haiku-4-5: 0.7, claude-sonnet-4-5: 0.5"}},
        "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    text = errors(at)
    assert 'row 1 "Customer support copilot"' in text
    assert "`optimized.models`" in text and "shares sum to 1.2" in text
    assert "not applied" in text
    assert metric(at, "Risk-bounded") == before  # the last valid settings still answer


def test_the_table_caps_batch_share_by_the_waiting_test():
    """PR review bot is gray: its urgent share must stay real time, so less than 95% can
    batch; the table refuses 95% and says how much can."""
    at = open_app()
    workloads = load_scenario(ROOT / "scenarios" / "enterprise-portfolio.yaml").workloads
    row = next(i for i, w in enumerate(workloads) if w.name == "PR review bot")
    eligible = batch_eligible_share(workloads[row])
    assert eligible < 0.95
    at.session_state[editor_key(at)] = {
        "edited_rows": {row: {"batch_share": 0.95}}, "added_rows": [], "deleted_rows": []}
    at.run()
    text = errors(at)
    assert f'row {row + 1} "PR review bot"' in text and "`optimized.batch_share`" in text
    assert f"batch-eligible share {eligible:g}" in text and f"at most {eligible:g}" in text


def test_an_unreadable_commitment_names_the_contract_field():
    at = open_app()
    widget(at.text_input, "Commitment to test").input("a lot").run()
    assert not at.exception
    assert "`contract.commitments`" in errors(at)
    widget(at.text_input, "Commitment to test").input("3M / 3.5M / 4M").run()
    assert not at.error
    flags = next(m.value for m in at.markdown if "cp-flag" in m.value)
    assert "Your commitment" in flags


# --------------------------------------------------------------------------- scenarios
def test_save_as_variant_keeps_both_to_compare():
    at = open_app()
    base_bounded = metric(at, "Risk-bounded")
    widget(at.select_slider, "Batch:").set_value(0.0).run()
    variant_bounded = metric(at, "Risk-bounded")
    at.text_input(key="variant_name").input("No batch")
    widget(at.button, "Save").click()  # the form's Save button submits it
    at.run()
    assert not at.exception
    assert at.selectbox(key="picker").value == "No batch"
    assert metric(at, "Risk-bounded") == variant_bounded
    # The scenario the variant was made on is back as it was loaded.
    at.selectbox(key="picker").select(ENTERPRISE).run()
    assert metric(at, "Risk-bounded") == base_bounded
    at.session_state["compare"] = [ENTERPRISE, "No batch"]
    show(at, "Compare")
    assert at.get("vega_lite_chart"), "comparison chart"
    table = table_with(at, "scenario")
    assert list(table["scenario"]) == [ENTERPRISE, "No batch"]
    assert table["risk_bounded"].iloc[1] > table["risk_bounded"].iloc[0]


def test_standard_variants_are_compared_side_by_side():
    at = show(open_app(), "Compare")
    widget(at.button, "Add conservative").click().run()
    assert not at.exception
    table = table_with(at, "scenario")
    assert len(table) == 4
    by_name = dict(zip(table["scenario"], table["risk_bounded"], strict=True))
    base = by_name[ENTERPRISE]
    # Realizing less of the plan, later, keeps more usage; batching all it can, less.
    assert by_name[f"{ENTERPRISE} · conservative"] > base
    assert by_name[f"{ENTERPRISE} · aggressive batch"] <= base


def test_edits_survive_switching_scenarios():
    at = open_app()
    widget(at.slider, "Lever realization: mean").set_value(0.5).run()
    edited = metric(at, "Risk-bounded")
    at.selectbox(key="picker").select(load_scenario(SCENARIOS[1]).name).run()
    at.selectbox(key="picker").select(ENTERPRISE).run()
    assert metric(at, "Risk-bounded") == edited
    assert widget(at.slider, "Lever realization: mean").value == 0.5


def test_sensitivity_runs_only_when_asked():
    at = show(open_app(paths=200), "Sensitivity")
    assert not at.get("vega_lite_chart")
    widget(at.button, "Compute the tornado").click().run()
    assert not at.exception
    assert at.get("vega_lite_chart"), "tornado"
    widget(at.slider, "Walk-back probability").set_value(0.5).run()
    assert any("before your latest change" in c.value for c in at.caption)
    assert widget(at.button, "Recompute")


def test_downloads_are_offered():
    at = show(open_app(), "Scenario & downloads")
    labels = [b.label for b in at.download_button]
    assert "Scenario (YAML)" in labels and "Monthly projection (CSV)" in labels
    assert "Negotiation PDF" in labels
    # The YAML shown (and downloaded) is a scenario that loads back.
    assert read_scenario_text(at.code[0].value).name == ENTERPRISE


# --------------------------------------------------------------------------- usage import
USAGE = ROOT / "tests" / "fixtures" / "usage"


def test_imported_usage_becomes_the_active_scenario():
    # The three monthly Admin API pages of tests/fixtures/usage (figures worked in its README).
    pages = sorted(USAGE.glob("admin-2026-0?.json"))
    at = open_app()
    at.file_uploader(key="usage_files").set_value(
        [(p.name, p.read_bytes(), "application/json") for p in pages])
    at.run()
    widget(at.button, "Build a scenario from usage").click().run()
    assert not at.exception and not at.error, errors(at)
    assert at.selectbox(key="picker").value.startswith("Imported usage 2026-01 to 2026-03")


def test_a_failed_usage_import_is_shown():
    # A CSV without the expected columns: the message names the file and what is missing.
    at = open_app()
    at.file_uploader(key="usage_files").set_value([("usage.csv", b"a,b\n1,2\n", "text/csv")])
    at.run()
    widget(at.button, "Build a scenario from usage").click().run()
    assert not at.exception
    assert "usage.csv" in errors(at)

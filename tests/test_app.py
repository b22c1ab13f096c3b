"""The Streamlit page, driven by ``streamlit.testing.v1.AppTest``.

The numbers are tested in the library; here the page's behaviour: it runs on every bundled
scenario and every view, levers start from the plan and move the answer in the direction
the model says, the why is on the page, uploads and imports are kept in the workspace and
listed again by a new session (a reload), names are shown as typed, and bad input (an
uploaded file, a table edit, a typed commitment) is shown in the page naming the field, never
as a traceback. Runs at 400 paths (``?paths=400``) for speed; the direction checks hold path
by path because the seed, and so every draw, stays the same.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from forecast.plan import SAVING_LABEL
from forecast.scenario_io import load_scenario, read_scenario_text
from forecast.variations import STANDARD_VARIANTS
from forecast.waiting import batch_eligible_share
from tests.conftest import ROOT, SCENARIOS
from ui import portfolio
from ui.text import md

APP = str(ROOT / "app.py")
VIEWS = ("Spend", "Commitment", "Offers", "Savings", "Workloads", "Sensitivity", "Compare",
         "Files")
SAVING = SAVING_LABEL[:1].upper() + SAVING_LABEL[1:]
ENTERPRISE_SCENARIO = load_scenario(ROOT / "scenarios" / "enterprise-portfolio.yaml")
ENTERPRISE = ENTERPRISE_SCENARIO.name
ACME = load_scenario(ROOT / "scenarios" / "nightly-enrichment.yaml").name
TEAM_TEXT = (ROOT / "scenarios" / "team-three-workloads.yaml").read_text()
USAGE = ROOT / "tests" / "fixtures" / "usage"


@pytest.fixture(autouse=True)
def _fresh(tmp_path, monkeypatch):
    """A workspace folder of the test's own, and clear caches: ``st.cache_data`` and
    ``st.cache_resource`` outlive an AppTest."""
    monkeypatch.setenv("COMMITPLAN_WORKSPACE", str(tmp_path / "workspace"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


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


def title(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("### "))


def page_html(at: AppTest) -> str:
    """The HTML blocks of the page (flags, why, next step), as the browser reads them."""
    return html.unescape("\n".join(h.proto.body for h in at.get("html")))


def editor_key(at: AppTest) -> str:
    return next(k for k in at.session_state if str(k).endswith("|workloads"))


def table_with(at: AppTest, column: str):
    """The first table on the page with this column (editors are tables too)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def shown_scenario(at: AppTest):
    """The scenario the page answers for, as its YAML download holds it."""
    show(at, "Files")
    return read_scenario_text(at.code[-1].value)


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader(key="upload").set_value((name, content, "application/x-yaml"))
    at.run()
    assert not at.exception, at.exception
    return at


# --------------------------------------------------------------------------- opening state
def test_opens_on_the_enterprise_example_with_the_answer_and_why():
    at = open_app()
    assert title(at) == f"### {md(ENTERPRISE)}"
    # The decision first (the one amount to sign), then the two commitments it is read
    # against, then the one saving.
    assert at.metric[0].label == "Decision" and "$" in metric(at, "Decision")
    for label in ("Risk-neutral / yr", "Risk-bounded / yr", SAVING):
        assert metric(at, label).startswith("$")
    assert money(metric(at, "Risk-bounded")) > 0
    # The tier each headline amount earns, under it; the decision's says when to sign.
    assert [m.proto.delta for m in at.metric][1:3] == ["10% tier"] * 2
    assert "tier · sign " in at.metric[0].proto.delta
    text = page_html(at)
    assert "Stranded savings" in text and any(c in text for c in ("GREEN", "AMBER", "RED"))
    # The contrast the product exists for: sized on the unoptimized forecast, the floor
    # strands savings.
    assert "Sized on the unoptimized forecast" in text and "RED" in text
    # The why, under the headline: the decision, its reason, the three lines.
    assert "DECISION: " in text
    assert "Optimize first." in text and "Then commit" in text
    assert not at.error
    assert widget(at.selectbox, "Paths").value == 10_000
    assert any("capped at 400" in c.value for c in at.caption)


def test_with_offers_the_headline_is_the_decision_not_a_zero():
    """Acme: $0 under the contract's own terms, but an offer beats pay as you go: the
    headline quotes the decision under it (issue 20: one amount to sign, not two)."""
    at = open_app()
    at.selectbox(key="picker").select(ACME).run()
    decision = metric(at, "Decision")
    assert decision != "Pay as you go" and "$" in decision
    text = page_html(at)
    assert "DECISION: " in text and "under Our counter" in text


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_bundled_scenario_runs_in_every_view(path):
    at = open_app()
    name = load_scenario(path).name
    at.selectbox(key="picker").select(name).run()
    assert not at.exception, at.exception
    assert title(at) == f"### {md(name)}"
    for view in VIEWS:
        show(at, view)
        assert not at.error, (view, errors(at))
    show(at, "Spend")
    assert at.get("vega_lite_chart"), "fan chart"
    show(at, "Commitment")
    assert len(at.get("vega_lite_chart")) == 2, "cost curve and shortfall panels"
    show(at, "Savings")
    assert len(at.get("vega_lite_chart")) == 2


# --------------------------------------------------------------------------- levers
def batch_shifts() -> tuple[float, ...]:
    """The batch slider's notches on the enterprise example (weights do not move them)."""
    n = len(ENTERPRISE_SCENARIO.workloads)
    return portfolio.batch_track(ENTERPRISE_SCENARIO, np.ones(n)).shifts


def test_a_slider_starts_at_the_plan_and_a_notch_moves_it_one_step():
    """The cache slider opens "as planned: 71%"; one notch down lowers every cached
    workload's hit rate by 5 points, not to 0 (the issue: one notch turned caching off)."""
    at = open_app()
    lever = widget(at.select_slider, "Cache hit rate")
    assert lever.value == 0.0 and "as planned: 71%" in lever.options
    planned = {w.name: w.target.cache_hit_rate for w in ENTERPRISE_SCENARIO.workloads
               if w.token_counts.cacheable_prefix > 0}
    lever.set_value(-0.05).run()
    assert not at.exception and not at.error, errors(at)
    assert any(md("cache hit rate -5 pts") in c.value for c in at.caption)
    moved = {w.name: w.target.cache_hit_rate for w in shown_scenario(at).workloads
             if w.name in planned}
    assert moved == pytest.approx({n: max(r - 0.05, 0.0) for n, r in planned.items()})
    assert any(r > 0 for r in moved.values())


def test_less_batch_raises_the_risk_bounded_commitment():
    """Batching nothing (the batch slider's lowest notch) leaves the full real-time rate on
    work the plan batched: optimized usage rises on every path (same seed, same draws), so
    the largest commitment within the shortfall appetite rises too."""
    at = open_app()
    before = money(metric(at, "Risk-bounded"))
    widget(at.select_slider, "Batch:").set_value(batch_shifts()[0]).run()
    assert not at.exception
    assert money(metric(at, "Risk-bounded")) > before
    assert all(w.target.batch_share == 0.0 for w in shown_scenario(at).workloads)


def test_lower_lever_realization_raises_the_risk_bounded_commitment():
    """Realizing half of each planned lever change instead of 85% keeps usage nearer today's:
    optimized usage rises, and with it the risk-bounded commitment."""
    at = open_app()
    before = money(metric(at, "Risk-bounded"))
    widget(at.slider, "Lever realization: mean").set_value(0.5).run()
    assert not at.exception
    assert money(metric(at, "Risk-bounded")) > before


def test_batching_everything_eligible_does_not_raise_it():
    """The opposite move: the batch slider's top notch (capped by the waiting test)."""
    at = open_app()
    before = money(metric(at, "Risk-bounded"))
    widget(at.select_slider, "Batch:").set_value(batch_shifts()[-1]).run()
    assert money(metric(at, "Risk-bounded")) <= before
    for w in shown_scenario(at).workloads:
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


def test_a_contract_change_reuses_the_simulation(monkeypatch):
    """New tiers change only the contract: the plan is re-priced on the simulation it had;
    a lever change draws a new one."""
    from ui import cache

    drawn = []
    real = cache.simulate

    def counted(scenario, *a, **k):
        # The draws over the scenario's horizon; when to sign's longer window is drawn
        # (and cached) on its own, also once.
        if scenario.horizon_months == 36:
            drawn.append(1)
        return real(scenario, *a, **k)

    monkeypatch.setattr(cache, "simulate", counted)
    at = open_app()
    assert len(drawn) == 1
    widget(at.text_input, "Discount tiers").input("1M: 6% / 3M: 10% / 4M: 12%").run()
    assert not at.error, errors(at)
    assert "12%" in page_html(at)  # the new tier is in the answer's words
    assert len(drawn) == 1
    widget(at.slider, "Lever realization: mean").set_value(0.5).run()
    assert len(drawn) == 2


# --------------------------------------------------------------------------- bad input
def test_an_invalid_upload_shows_an_error_naming_the_field():
    at = upload(open_app(), "shares_sum.yaml",
                (ROOT / "tests" / "bad_scenarios" / "shares_sum.yaml").read_bytes())
    text = errors(at)
    assert "shares\\_sum\\.yaml was not loaded" in text
    assert "`workloads[0].optimized.models`" in text and "shares sum to 1\\.2" in text
    # The page keeps answering for the scenario it had.
    assert title(at) == f"### {md(ENTERPRISE)}"
    assert metric(at, "Risk-bounded").startswith("$")


def test_an_upload_naming_a_server_price_book_is_refused():
    book = ROOT / "forecast" / "data" / "pricebooks" / "anthropic-2026-11.yaml"
    at = upload(open_app(), "team.yaml",
                TEAM_TEXT.replace("price_book: anthropic-2026-11", f"price_book: {book}")
                .encode())
    assert "bundled price books only" in errors(at)
    assert title(at) == f"### {md(ENTERPRISE)}"


def test_an_upload_failing_unexpectedly_is_a_message_not_a_traceback():
    at = upload(open_app(), "deep.yaml", ("[" * 50_000 + "]" * 50_000).encode())
    assert "deep\\.yaml was not loaded" in errors(at)
    assert "Traceback" not in errors(at)


def test_a_valid_upload_becomes_the_active_scenario():
    at = upload(open_app(), "team.yaml",
                TEAM_TEXT.replace("name: Small team", "name: Uploaded team", 1).encode())
    assert not at.error, errors(at)
    assert at.selectbox(key="picker").value.startswith("Uploaded team")
    assert title(at).startswith("### Uploaded team")


def test_an_invalid_table_edit_names_the_row_and_field():
    at = open_app()
    before = metric(at, "Risk-bounded")
    at.session_state[editor_key(at)] = {
        "edited_rows": {0: {"optimized_models": "claude-haiku-4-5: 0.7, claude-sonnet-4-5: 0.5"}},
        "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    text = errors(at)
    assert 'row 1 \\"Customer support copilot\\"' in text
    assert "`optimized.models`" in text and "shares sum to 1\\.2" in text
    assert "not applied" in text
    assert metric(at, "Risk-bounded") == before  # the last valid settings still answer


def test_the_table_caps_batch_share_by_the_waiting_test():
    """PR review bot is gray: its urgent share must stay real time, so less than 95% can
    batch; the table refuses 95% and says how much can."""
    at = open_app()
    workloads = ENTERPRISE_SCENARIO.workloads
    row = next(i for i, w in enumerate(workloads) if w.name == "PR review bot")
    eligible = batch_eligible_share(workloads[row])
    assert eligible < 0.95
    at.session_state[editor_key(at)] = {
        "edited_rows": {row: {"batch_share": 0.95}}, "added_rows": [], "deleted_rows": []}
    at.run()
    text = errors(at)
    assert f'row {row + 1} \\"PR review bot\\"' in text and "`optimized.batch_share`" in text
    assert md(f"batch-eligible share {eligible:g}") in text and md(f"at most {eligible:g}") \
        in text


def test_an_unreadable_commitment_names_the_contract_field():
    at = open_app()
    widget(at.text_input, "Commitment to test").input("a lot").run()
    assert not at.exception
    assert "`contract.commitments`" in errors(at)
    widget(at.text_input, "Commitment to test").input("3M / 3.5M / 4M").run()
    assert not at.error
    assert "Your commitment" in page_html(at)


# --------------------------------------------------------------------------- names as text
HOSTILE = "[x](http://evil) <b>bold</b> :red[alarm] $5 **y**"


def test_scenario_and_workload_names_are_shown_as_typed():
    """A name that is Markdown and HTML: every Markdown element escapes it, every HTML block
    escapes it; the plain-text widgets (picker, tables) hold it as it is."""
    text = TEAM_TEXT.replace("name: Small team (chat, content pipeline, PR review)",
                             f"name: '{HOSTILE}'", 1)
    text = text.replace("- name: Live chat assistant", "- name: '<img src=x> [w](http://w)'")
    at = upload(open_app(), "hostile.yaml", text.encode())
    assert not at.error, errors(at)
    assert at.selectbox(key="picker").value == HOSTILE
    assert title(at) == f"### {md(HOSTILE)}"
    markdown = [m.value for m in at.markdown] + [c.value for c in at.caption] + \
        [s.value for s in at.success]
    assert any(md(HOSTILE) in m for m in markdown)
    for m in markdown:
        assert "](http" not in m and "<b>" not in m and "<img" not in m, m
    bodies = "\n".join(h.proto.body for h in at.get("html"))
    assert "<img" not in bodies and "&lt;img src=x&gt;" in bodies  # the narrative names it
    show(at, "Workloads")
    assert "<img src=x> [w](http://w)" in list(table_with(at, "saving_per_month")["workload"])


# --------------------------------------------------------------------------- scenarios
def test_save_as_variant_keeps_both_to_compare():
    at = open_app()
    base_bounded = metric(at, "Risk-bounded")
    widget(at.select_slider, "Batch:").set_value(batch_shifts()[0]).run()
    variant_bounded = metric(at, "Risk-bounded")
    at.text_input(key="variant_name").input("No batch")
    widget(at.button, "Save").click()  # the form's Save button submits it
    at.run()
    assert not at.exception
    assert at.selectbox(key="picker").value == "No batch"
    assert metric(at, "Risk-bounded") == variant_bounded
    at.selectbox(key="picker").select(ENTERPRISE).run()
    assert metric(at, "Risk-bounded") == base_bounded
    at.session_state["compare"] = [ENTERPRISE, "No batch"]
    show(at, "Compare")
    assert at.get("vega_lite_chart"), "comparison chart"
    table = table_with(at, "scenario")
    assert list(table["scenario"]) == [ENTERPRISE, "No batch"]
    assert money(table["risk_bounded"].iloc[1]) > money(table["risk_bounded"].iloc[0])


def test_uploads_and_variants_are_listed_again_after_a_reload():
    """A reload is a new session: a new AppTest on the same workspace folder."""
    at = upload(open_app(), "team.yaml",
                TEAM_TEXT.replace("name: Small team", "name: Uploaded team", 1).encode())
    uploaded = at.selectbox(key="picker").value
    at.text_input(key="variant_name").input("Team variant")
    widget(at.button, "Save").click()
    at.run()
    reloaded = open_app()
    options = reloaded.selectbox(key="picker").options
    assert uploaded in options and "Team variant" in options
    show(reloaded, "Files")
    assert any(b.label == "Download the workspace (zip)" for b in reloaded.download_button)
    # Delete one: gone from the page and from the next session.
    reloaded.button(key=f"delete|{uploaded}").click().run()
    assert uploaded not in reloaded.selectbox(key="picker").options
    assert uploaded not in open_app().selectbox(key="picker").options


def test_a_link_planted_in_the_workspace_is_left_out_of_the_list_and_the_zip(tmp_path):
    # Before round two, a symlink to /etc/passwd put in the workspace was archived in the
    # Files tab's zip as leak.yaml. Now the page lists it as left out, and neither the
    # listing nor the zip (the download button's bytes, built by the workspace's archive)
    # reads through it.
    import io
    import zipfile

    folder = tmp_path / "workspace"
    folder.mkdir()
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:SECRET\n")
    for name in ("leak.yaml", "leak.json"):
        (folder / name).symlink_to(secret)
    (folder / "etc.yaml").symlink_to("/etc/passwd")
    (folder / "etc.json").symlink_to("/etc/passwd")
    at = show(open_app(), "Files")
    assert not at.exception
    warnings = re.sub(r"\\(.)", r"\1", "\n".join(w.value for w in at.warning))  # unescaped
    assert "leak.json in the workspace could not be read: is a link" in warnings, warnings
    assert "etc.json in the workspace could not be read: is a link" in warnings, warnings
    assert not [o for o in at.selectbox(key="picker").options if "leak" in o]
    assert any(b.label == "Download the workspace (zip)" for b in at.download_button)
    store = at.session_state["store"]
    archive = zipfile.ZipFile(io.BytesIO(store.workspace.archive()))
    assert not [n for n in archive.namelist() if "leak" in n or "etc" in n]
    assert not any(b"root:" in archive.read(n) for n in archive.namelist())


def test_a_variant_name_no_scenario_may_have_is_refused_with_a_message(tmp_path):
    # Before round two, "../../../../etc/x" with control characters showed "This app has
    # encountered an error". Now the page says why and keeps everything; the same name
    # without them is a variant like any other, kept inside the workspace folder.
    at = open_app()
    before = list(at.selectbox(key="picker").options)
    at.text_input(key="variant_name").input("../../../../etc/x\x07\x1b[2J")
    widget(at.button, "Save").click()
    at.run()
    assert not at.exception, at.exception
    shown = re.sub(r"\\(.)", r"\1", errors(at))  # the Markdown escapes undone
    assert "variant name: contains BEL (U+0007) at position 18" in shown, shown
    assert list(at.selectbox(key="picker").options) == before
    at.text_input(key="variant_name").input("../../../../etc/x")
    widget(at.button, "Save").click()
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="picker").value == "../../../../etc/x"
    kept = sorted(p.name for p in (tmp_path / "workspace").iterdir())
    assert kept == ["etc-x.json", "etc-x.yaml"], kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["workspace"]


def test_standard_variants_are_compared_side_by_side():
    at = show(open_app(), "Compare")
    widget(at.button, "Add conservative").click().run()
    assert not at.exception
    assert at.multiselect(key="compare").value == [
        ENTERPRISE, *(f"{ENTERPRISE} · {v}" for v in STANDARD_VARIANTS)]
    table = table_with(at, "scenario")
    # Names shortened to fit, each keeping what tells it apart.
    assert list(table["scenario"]) == [ENTERPRISE, "Globex enterpr… · conservative",
                                       "Globex ent… · aggressive batch",
                                       "Globex enterprise… · walk-back"]
    base, conservative, aggressive, _walk_back = (money(v) for v in table["risk_bounded"])
    # Realizing less of the plan, later, keeps more usage; batching all it can, less.
    assert conservative > base
    assert aggressive <= base


def test_edits_survive_switching_scenarios():
    at = open_app()
    widget(at.slider, "Lever realization: mean").set_value(0.5).run()
    edited = metric(at, "Risk-bounded")
    at.selectbox(key="picker").select(load_scenario(SCENARIOS[1]).name).run()
    at.selectbox(key="picker").select(ENTERPRISE).run()
    assert metric(at, "Risk-bounded") == edited
    assert widget(at.slider, "Lever realization: mean").value == 0.5


def test_reset_discards_the_edits():
    at = open_app()
    before = metric(at, "Risk-bounded")
    widget(at.slider, "Lever realization: mean").set_value(0.5).run()
    assert metric(at, "Risk-bounded") != before
    at.button(key="revert").click().run()
    assert metric(at, "Risk-bounded") == before


def test_sensitivity_runs_only_when_asked():
    at = show(open_app(paths=200), "Sensitivity")
    assert not at.get("vega_lite_chart")
    widget(at.button, "Compute the tornado").click().run()
    assert not at.exception
    assert at.get("vega_lite_chart"), "tornado"
    table = table_with(at, "bounded_low")  # the risk-bounded one beside, as in the PDF
    assert all(v.startswith("$") for v in table["at_high"])
    widget(at.slider, "Walk-back probability").set_value(0.5).run()
    assert any("before your latest change" in c.value for c in at.caption)
    assert widget(at.button, "Recompute")


def test_downloads_are_offered():
    at = show(open_app(), "Files")
    labels = [b.label for b in at.download_button]
    assert "Scenario (YAML)" in labels and "Monthly projection (CSV)" in labels
    assert "Negotiation PDF (internal)" in labels and "Copy for the vendor (PDF)" in labels
    assert read_scenario_text(at.code[-1].value).name == ENTERPRISE


def test_the_pdf_buttons_report_the_whole_plan():
    """The headline's plan leaves the negotiation position out (it is worked out after the
    headline is drawn); the PDF has it, on the same simulation, with the tornado given, in
    either copy."""
    from forecast.report import render_pdf
    from forecast.types import Audience
    from ui import cache

    scenario_json = ENTERPRISE_SCENARIO.model_dump_json()
    plan = cache.plan_for_json(scenario_json, 300, 11)
    assert plan.position is None
    positioned = cache.position_for(scenario_json, 300, 11)
    assert positioned.position is not None and positioned.simulation is plan.simulation
    full = cache.pdf_plan(positioned, [])
    assert full.position is positioned.position
    assert cache.pdf_plan(plan, []).position is not None  # worked out when missing
    assert full.recommendation.recommended.annual_commit == \
        plan.recommendation.recommended.annual_commit
    assert render_pdf(full).startswith(b"%PDF")
    assert render_pdf(full, audience=Audience.VENDOR).startswith(b"%PDF")


def test_money_reads_one_way_in_the_tables():
    at = show(open_app(), "Commitment")
    table = table_with(at, "expected_cost")
    assert list(table.columns[:4]) == ["commitment", "per_year", "discount", "expected_cost"]
    for value in table["expected_cost"]:
        assert value.startswith("$") and value[-1] in "KMB0123456789", value


def test_the_server_settings_are_safe_by_default():
    """What ``streamlit run app.py`` reads from the project's config (the browser test checks
    that the address holds)."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1" and config["server"]["headless"]
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"] == {"showErrorDetails": "none", "toolbarMode": "minimal"}
    from ui.uploads import SCENARIO_MAX_MB, USAGE_MAX_MB

    assert config["server"]["maxUploadSize"] == USAGE_MAX_MB > SCENARIO_MAX_MB


# --------------------------------------------------------------------------- usage import
def import_fixture(at: AppTest) -> AppTest:
    """The three monthly Admin API pages of tests/fixtures/usage (figures in its README)."""
    pages = sorted(USAGE.glob("admin-2026-0?.json"))
    at.file_uploader(key="usage_files|0").set_value(
        [(p.name, p.read_bytes(), "application/json") for p in pages])
    at.run()
    widget(at.button, "Build a scenario from usage").click().run()
    assert not at.exception and not at.error, errors(at)
    return at


def test_an_import_shows_its_report_and_the_next_step():
    at = import_fixture(open_app())
    assert at.selectbox(key="picker").value.startswith("Imported usage 2026-01 to 2026-03")
    assert any(m.value.startswith("**Next step** (0 of 2 done)") for m in at.markdown)
    shown = "\n".join(m.value for m in at.markdown)
    assert md("Months: 2026-01 to 2026-03 (3 months)") in shown
    assert md("Fitted growth of the total:") in shown
    groups = table_with(at, "interval")
    assert list(groups["group"]) == ["wrkspc_chat", "wrkspc_nightly", "Default workspace"]
    assert groups["interval"].iloc[2] == "not fitted"
    assert any("Read 3 files" in c.value for c in at.code)  # the importer's full report
    # The pay-as-you-go headline of today's usage says why, and the tiers step is there.
    assert "DECISION: pay as you go, no commitment" in page_html(at)
    widget(at.text_input, "Discount tiers").input("100: 5%").run()
    assert any(m.value.startswith("**Next step** (1 of 2 done)") for m in at.markdown)
    widget(at.button, "Open the Workloads table").click().run()
    assert at.session_state["view"] == "Workloads"


def test_an_import_is_listed_again_after_a_reload_with_its_report():
    at = import_fixture(open_app())
    name = at.selectbox(key="picker").value
    reloaded = open_app()
    reloaded.selectbox(key="picker").select(name).run()
    assert any(m.value.startswith("**Next step**") for m in reloaded.markdown)
    assert table_with(reloaded, "interval") is not None


def test_a_failed_usage_import_is_shown():
    at = open_app()
    at.file_uploader(key="usage_files|0").set_value([("usage.csv", b"a,b\n1,2\n", "text/csv")])
    at.run()
    widget(at.button, "Build a scenario from usage").click().run()
    assert not at.exception
    assert "Usage import failed" in errors(at) and "`usage.csv`: missing columns" in errors(at)


def test_the_workspace_folder_holds_what_was_kept(tmp_path):
    at = upload(open_app(), "team.yaml", TEAM_TEXT.encode())
    folder = Path(tmp_path / "workspace")
    assert sorted(p.suffix for p in folder.iterdir()) == [".json", ".yaml"]
    assert not at.error

"""Commitment Planner: the Streamlit page (``make run``, or ``streamlit run app.py``).

The page reads top to bottom: session state, the sidebar (scenario in, portfolio levers,
contract terms, uncertainty, simulation), the workloads editor, the plan, then the answer
above the fold and one tab per view. Every number comes from ``forecast/`` (``build_plan``
and the chart definitions shared with the PDF); edits go through ``ui.edits`` and back
through the scenario schema, so a bad edit is reported like a bad file.

``?paths=N`` in the address caps the simulated paths (tests, slow machines); users get each
scenario's own count (10,000 in the bundled examples).
"""

from __future__ import annotations

import dataclasses
import html
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from forecast import charts
from forecast.errors import PlannerError, ScenarioError
from forecast.formatting import format_amounts, parse_amounts, pct, usd, usd_short
from forecast.plan import Flag, Plan, build_plan
from forecast.recommendation import CommitmentResult
from forecast.scenario import (
    Scenario,
    dump_scenario,
    load_scenario,
    parse_scenario,
    read_scenario_text,
    scenario_price_book,
    scenario_to_dict,
)
from forecast.sensitivity import SENSITIVITY_PATHS, SensitivityRow, tornado
from forecast.types import CacheTTL, CommitmentKind, Overage, Waiting
from forecast.usage import import_usage
from ui import edits

ROOT = Path(__file__).resolve().parent
# The opening example: the 22-workload portfolio exercises every lever, the waiting test's
# three classes (and a gray workload batched past its eligible share), three discount tiers
# and the stranded-savings contrast the product exists for.
OPENING = ROOT / "scenarios" / "enterprise-portfolio.yaml"
PATH_CHOICES = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000)
VIEWS = ("Spend", "Commitment", "Savings by lever", "Workloads", "Sensitivity", "Compare",
         "Scenario & downloads")

st.set_page_config(page_title="Commitment Planner",
                   layout="wide", initial_sidebar_state="expanded")
# Keep the answer above the fold: less padding at the top, smaller metric figures.
st.html("""<style>
[data-testid="stMainBlockContainer"] {padding-top: 3.3rem; padding-bottom: 2rem;}
[data-testid="stSidebarContent"] [data-testid="stSidebarUserContent"] {padding-top: 0.5rem;}
[data-testid="stMetricValue"] {font-size: 1.85rem;}
section[data-testid="stSidebar"] {width: 340px !important; min-width: 340px !important;}
.cp-flag {border-left: 6px solid; border-radius: 4px; padding: 0.35rem 0.7rem;
          margin: 0.15rem 0; font-size: 0.95rem; line-height: 1.35;}
.cp-flag.cp-minor {font-size: 0.85rem; padding: 0.2rem 0.7rem;}
.cp-level {font-weight: 700; letter-spacing: 0.04em;}
</style>""")
ss = st.session_state


# --------------------------------------------------------------------------- cached calls
@st.cache_data(max_entries=12, show_spinner=False)
def plan_for(scenario_json: str, paths: int, seed: int) -> Plan:
    """The plan of one scenario without the tornado: the expensive call, keyed on the JSON."""
    scenario = Scenario.model_validate_json(scenario_json)
    return build_plan(scenario, scenario_price_book(scenario), paths=paths, seed=seed,
                      sensitivity=False)


@st.cache_data(max_entries=8, show_spinner=False)
def tornado_for(scenario_json: str, paths: int, seed: int, anchor: float
                ) -> list[SensitivityRow]:
    """The sensitivity tornado (13 re-simulations): only on request; centred on the
    headline risk-bounded commitment (``anchor``)."""
    scenario = Scenario.model_validate_json(scenario_json)
    return tornado(scenario, scenario_price_book(scenario),
                   paths=min(SENSITIVITY_PATHS, paths), seed=seed, anchor=anchor)


def md(text: str) -> str:
    """Text for Markdown: a dollar sign would open a formula."""
    return text.replace("$", r"\$")


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


# --------------------------------------------------------------------------- session state
# Per scenario name: ``saved`` (as loaded or saved), ``origin`` (what the widgets start
# from), ``latest`` (origin plus the widgets' edits, last valid), ``effective`` (latest
# with the portfolio levers applied: what is planned), ``levers`` (portfolio lever values)
# and ``gen`` (bumped to re-create the widgets from origin).
def add_scenario(data: dict[str, Any], name: str | None = None, replace: bool = False) -> str:
    name = (name or data["name"]).strip()
    if not replace:
        name = edits.unique_name(name, ss.origin)
    data = {**data, "name": name}
    for store in (ss.saved, ss.origin, ss.latest, ss.effective):
        store[name] = data
    ss.levers[name] = {}
    ss.gen[name] = ss.gen.get(name, -1) + 1
    return name


def init_state() -> None:
    if "origin" in ss:
        return
    ss.saved, ss.origin, ss.latest, ss.effective, ss.levers, ss.gen = {}, {}, {}, {}, {}, {}
    ss.tornado = {}  # name -> (scenario JSON it was computed for, rows)
    ss.notice, ss.upload_problems, ss.import_problems = None, None, None
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        name = add_scenario(scenario_to_dict(load_scenario(path)))
        if path == OPENING:
            ss.active = name
    ss.picker = ss.active


def promote(name: str) -> None:
    """Fold the widgets' edits into the data they start from (before their state is lost)."""
    ss.origin[name] = ss.latest[name]
    ss.gen[name] += 1


def activate(name: str) -> None:
    promote(ss.active)
    ss.active = ss.picker = name


def key(field: str) -> str:
    """Widget key of the active scenario: its widgets keep their state per scenario."""
    return f"{ss.active}|{ss.gen[ss.active]}|{field}"


def seeded(field: str, value: Any, options: list[Any] | None = None) -> str:
    """A widget key whose first value comes from the scenario (set once, then the widget's);
    with ``options``, a value no longer among them falls back to the first."""
    k = key(field)
    if k not in ss:
        ss[k] = value if options is None or value in options else options[0]
    return k


# --------------------------------------------------------------------------- callbacks
def on_pick() -> None:
    promote(ss.active)
    ss.active = ss.picker


def on_upload() -> None:
    file = ss.get("upload")
    ss.upload_problems = None
    if file is None:
        return
    try:
        scenario = read_scenario_text(file.getvalue().decode("utf-8"), file.name)
    except UnicodeDecodeError:
        ss.upload_problems = (file.name, ["the file is not UTF-8 text; save it as YAML or "
                                          "JSON text"])
        return
    except ScenarioError as exc:
        ss.upload_problems = (file.name, exc.problems)
        return
    name = add_scenario(scenario_to_dict(scenario))
    activate(name)
    ss.notice = f"Loaded {file.name} as “{name}”."


def on_import_usage() -> None:
    files = ss.get("usage_files") or []
    ss.import_problems = None
    if not files:
        ss.import_problems = "choose one or more usage exports first"
        return
    try:
        result = import_usage([(f.name, f.getvalue()) for f in files])
    except PlannerError as exc:
        ss.import_problems = str(exc)
        return
    name = add_scenario(scenario_to_dict(result.scenario))
    activate(name)
    ss.notice = f"Imported {len(files)} usage file(s) as “{name}”."


def on_save_variant() -> None:
    """Save As: the current settings become a new scenario (now active); the scenario they
    were made on goes back to how it was saved, so the two can be compared."""
    source = ss.active
    name = add_scenario(ss.effective[source], ss.get("variant_name") or f"{source} variant")
    ss.origin[source] = ss.latest[source] = ss.effective[source] = ss.saved[source]
    ss.levers[source] = {}
    ss.gen[source] += 1
    ss.active = ss.picker = name
    ss.variant_name = ""
    ss.notice = f"Saved as “{name}”; “{source}” is back to how it was saved."


def on_standard_variants() -> None:
    source = ss.active
    made = []
    for label, (make, _why) in edits.STANDARD_VARIANTS.items():
        made.append(add_scenario(make(ss.effective[source]), f"{source} · {label}",
                                 replace=True))
    ss.compare = [source, *made]


def on_reset() -> None:
    name = ss.active
    ss.origin[name] = ss.latest[name] = ss.effective[name] = ss.saved[name]
    ss.levers[name] = {}
    ss.gen[name] += 1


def on_tornado(scenario_json: str) -> None:
    ss.tornado[ss.active] = (scenario_json, None)


init_state()

# --------------------------------------------------------------------------- sidebar
active = ss.active
origin = ss.origin[active]
origin_scenario = Scenario.model_validate(origin)
book = scenario_price_book(origin_scenario)
setting_problems: list[str] = []
settings: dict[str, Any] = {}

with st.sidebar:
    st.markdown("**Scenario**")
    st.selectbox("Scenario", list(ss.origin), key="picker", on_change=on_pick,
                 label_visibility="collapsed")
    with st.expander("Upload a scenario · import usage"):
        st.file_uploader("Scenario file (YAML or JSON)", type=["yaml", "yml", "json"],
                         key="upload", on_change=on_upload)
        st.file_uploader("Usage history (Admin API JSON pages or Console CSV)",
                         type=["json", "csv"], accept_multiple_files=True, key="usage_files")
        st.button("Build a scenario from usage", on_click=on_import_usage)

    with st.expander("Portfolio levers: every workload at once", expanded=True):
        saved_levers = ss.levers[active]
        as_planned = "as planned"

        def share_text(value: float | None) -> str:
            return as_planned if value is None else f"{value:.0%}"

        batch = st.select_slider(
            "Batch: share of each workload's batch-eligible traffic",
            options=[None, *(i / 10 for i in range(11))], format_func=share_text,
            key=seeded("lever_batch", saved_levers.get("batch_of_eligible")),
            help="Capped by the waiting test: 100% batches everything nobody waits on "
                 "(async, and the non-urgent part of gray workloads with an hour or more "
                 "of latency); interactive work stays real time.")
        hit = st.select_slider(
            "Cache hit rate on shared prefixes",
            options=[None, *(i / 20 for i in range(20))], format_func=share_text,
            key=seeded("lever_hit", saved_levers.get("cache_hit_rate")),
            help="Every workload with a cacheable prefix; 0% turns caching off.")
        ttl = st.segmented_control(
            "Cache TTL", options=[str(CacheTTL.FIVE_MINUTES), str(CacheTTL.ONE_HOUR)],
            key=seeded("lever_ttl", saved_levers.get("cache_ttl")),
            help="Leave both off to keep each workload's planned TTL.")
        def model_name(model_id: str) -> str:
            return (book.models[model_id].display_name or model_id).removeprefix("Claude ")

        model_ids = list(dict.fromkeys([*origin_scenario.model_ids(), *book.model_ids]))
        route_share = st.select_slider(
            "Routing: move this share of traffic…",
            options=[i / 10 for i in range(11)], format_func=lambda v: f"{v:.0%}",
            key=seeded("lever_route", saved_levers.get("route_share", 0.0)))
        left, right = st.columns(2)
        route_from = left.selectbox(
            "from", model_ids, format_func=model_name, key=seeded(
                "lever_route_from", saved_levers.get("route_from", model_ids[0]), model_ids))
        route_to = right.selectbox(
            "to", model_ids, format_func=model_name, key=seeded(
                "lever_route_to", saved_levers.get(
                    "route_to", model_ids[min(1, len(model_ids) - 1)]), model_ids))
        months = [None, *range(1, min(24, origin_scenario.horizon_months) + 1)]
        lands = st.select_slider(
            "Optimizations land in month", options=months,
            format_func=lambda v: as_planned if v is None else str(v),
            key=seeded("lever_lands", saved_levers.get("lands_month"), months))
        ramp = st.select_slider(
            "…and ramp in over (months)", options=[None, *range(13)],
            format_func=lambda v: as_planned if v is None else str(v),
            key=seeded("lever_ramp", saved_levers.get("ramp_months")))
        levers = edits.PortfolioLevers(
            batch_of_eligible=batch, cache_hit_rate=hit, cache_ttl=ttl,
            route_share=route_share, route_from=route_from, route_to=route_to,
            lands_month=lands, ramp_months=ramp)
        ss.levers[active] = {f.name: getattr(levers, f.name)
                             for f in dataclasses.fields(levers)}
        st.caption("Per-workload levers: the table in the Workloads tab.")

    with st.form("variant", border=False, enter_to_submit=True):
        left, right = st.columns([3, 2], vertical_alignment="bottom")
        left.text_input("Save as a variant", key="variant_name", placeholder="variant name",
                        help="Keeps these settings under a new name (now shown) and puts "
                             "this scenario back as it was saved, to compare the two.")
        right.form_submit_button("Save", on_click=on_save_variant, width="stretch")
    with st.expander("Contract terms"):
        contract = origin_scenario.contract
        left, right = st.columns(2)
        settings["contract.years"] = left.number_input(
            "Term (years)", 1, 5, key=seeded("years", contract.years))
        settings["horizon_months"] = right.number_input(
            "Horizon (months)", 12, 60, key=seeded("horizon", origin_scenario.horizon_months))
        commit_text = st.text_input(
            "Commitment to test ($ a year)",
            key=seeded("commitments", format_amounts(contract.commitments)),
            placeholder="blank: recommendation only",
            help="One amount a year, or a ramp: one per year separated by /, "
                 "e.g. 900k / 1.1M / 1.3M.")
        try:
            settings["contract.commitments"] = parse_amounts(commit_text)
        except ValueError as exc:
            setting_problems.append(f"contract.commitments: {exc}")
        settings["contract.overage"] = st.radio(
            "Overage billed at", [str(Overage.DISCOUNTED), str(Overage.LIST)],
            horizontal=True, key=seeded("overage", str(contract.overage)),
            format_func=lambda v: {"discounted": "discounted rate", "list": "list"}[v])
        tiers_text = st.text_input(
            "Discount tiers (commit at least: discount)",
            key=seeded("tiers", edits.format_tiers([t.model_dump()
                                                    for t in contract.discount_tiers])),
            placeholder="e.g. 1M: 6% / 3M: 10%",
            help="Commit at least this much a year, earn this discount on all usage; "
                 "tiers separated by /.")
        try:
            settings["contract.discount_tiers"] = edits.parse_tiers(tiers_text)
        except ValueError as exc:
            setting_problems.append(f"contract.discount_tiers: {exc}")
        settings["contract.risk_appetite.max_shortfall_probability"] = st.slider(
            "Risk appetite: max shortfall probability", 0.01, 0.5, step=0.01, format="percent",
            key=seeded("appetite", contract.risk_appetite.max_shortfall_probability))
        amber_red = st.slider(
            "Stranded-savings flag: amber and red above", 0.0, 1.0, step=0.01,
            format="percent", key=seeded("thresholds", (contract.stranded_thresholds.amber,
                                                        contract.stranded_thresholds.red)))
        settings["contract.stranded_thresholds.amber"] = amber_red[0]
        settings["contract.stranded_thresholds.red"] = amber_red[1]

    with st.expander("Uncertainty"):
        unc = origin_scenario.uncertainty
        settings["uncertainty.lever_realization.mean"] = st.slider(
            "Lever realization: mean share of the plan achieved", 0.05, 1.0, step=0.01,
            format="percent", key=seeded("real_mean", unc.lever_realization.mean))
        settings["uncertainty.lever_realization.sd"] = st.slider(
            "Lever realization: spread (sd)", 0.0, 0.3, step=0.01,
            key=seeded("real_sd", unc.lever_realization.sd))
        settings["uncertainty.slip_months.mean"] = st.slider(
            "Landing slip: mean months late", 0.0, 6.0, step=0.5,
            key=seeded("slip", unc.slip_months.mean))
        settings["uncertainty.walk_back_probability"] = st.slider(
            "Walk-back probability (gray workloads)", 0.0, 1.0, step=0.05, format="percent",
            key=seeded("walk_back", unc.walk_back_probability))
        settings["uncertainty.shared_growth_volatility"] = st.number_input(
            "Shared growth volatility (monthly)", 0.0, 0.5, step=0.005, format="%.3f",
            key=seeded("shared_vol", unc.shared_growth_volatility))

    with st.expander("Simulation"):
        sim = origin_scenario.simulation
        left, right = st.columns(2)
        settings["simulation.paths"] = left.selectbox(
            "Paths", sorted({*PATH_CHOICES, sim.paths}), key=seeded("paths", sim.paths),
            format_func=lambda v: f"{v:,}")
        settings["simulation.seed"] = right.number_input(
            "Seed", 0, 2**32 - 1, key=seeded("seed", sim.seed))
        if paths_cap():
            st.caption(f"Paths capped at {paths_cap():,} by ?paths= in the address.")

# --------------------------------------------------------------------------- page skeleton
header = st.container()
tabs = dict(zip(VIEWS, st.tabs(VIEWS, key="view", on_change="rerun"), strict=True))


def editor_column(column: edits.Column) -> Any:
    if column.key in ("waiting", "cache_ttl"):
        kinds = Waiting if column.key == "waiting" else CacheTTL
        return st.column_config.SelectboxColumn(column.label, help=column.help,
                                                options=[str(v) for v in kinds])
    if column.key in ("name", "current_models", "optimized_models"):
        return st.column_config.TextColumn(column.label, help=column.help)
    return st.column_config.NumberColumn(column.label, help=column.help)


# The editor is drawn on every run, even behind another tab, so its edits are kept.
with tabs["Workloads"]:
    workloads_summary = st.container()
    st.markdown("**Edit workloads** · one row per workload; lever columns are the optimized "
                "target. Edits are checked like a scenario file.")
    editor_key = key("workloads")
    st.data_editor(
        edits.workloads_frame(origin), key=editor_key, num_rows="dynamic", hide_index=True,
        width="stretch", height=min(38 + 35 * (len(origin["workloads"]) + 1), 420),
        column_config={c.key: editor_column(c) for c in edits.COLUMNS})

# --------------------------------------------------------------------------- the scenario
table = edits.apply_table_edits(origin, ss.get(editor_key))
problems: list[str] = []
try:
    if setting_problems:
        raise ScenarioError(setting_problems)
    edited = edits.validate(table, edits.apply_settings(table.data, settings))
    ss.latest[active] = scenario_to_dict(edited)
except ScenarioError as exc:
    problems = exc.problems
    edited = parse_scenario(ss.latest[active])
scenario = parse_scenario(edits.apply_portfolio_levers(scenario_to_dict(edited), levers))
ss.effective[active] = scenario_to_dict(scenario)
scenario_json = scenario.model_dump_json()
paths, seed = run_settings(scenario)


# --------------------------------------------------------------------------- the answer
def flag_html(level: str, text: str, title: str, minor: bool = False) -> str:
    colour = charts.FLAG_COLOURS[level]
    return (f'<div class="cp-flag{" cp-minor" if minor else ""}" title="{html.escape(title)}" '
            f'style="border-color:{colour}; background:{colour}14;">'
            f'<span class="cp-level" style="color:{colour}">{level.upper()}</span> · '
            f"{text}</div>").replace("$", "&#36;")


def amount_text(result: CommitmentResult) -> str:
    if result.is_ramp:
        return " → ".join(usd_short(c) for c in result.per_year) + " a year"
    return f"{usd_short(result.annual_commit)} a year"


def stranded_line(flag: Flag, result: CommitmentResult, who: str) -> str:
    """``Recommended $3.00M a year strands $0 (0% of ...)``: the flag's amount and share."""
    strands = (f"strands <b>{usd_short(flag.amount)}</b> ({pct(flag.share or 0.0)} of the "
               f"{usd_short(result.gross_savings)} the optimizations save over the term)")
    if flag.amount <= 0.5:
        strands += ": every dollar saved lowers the bill"
    amount = html.escape(amount_text(result))
    if result.kind == CommitmentKind.UNOPTIMIZED_FORECAST:
        return f"Sized on the unoptimized forecast ({amount}), a commitment {strands}"
    return f"{who} {amount} {strands}"


with header:
    st.markdown(f"### Commitment Planner · {md(scenario.name)}")
    if ss.notice:
        st.success(ss.notice)
        ss.notice = None
    if ss.upload_problems:
        name, lines = ss.upload_problems
        st.error(f"**{name} was not loaded**; fix and upload it again:\n\n"
                 + "\n".join(f"- {edits.emphasize_field(p)}" for p in lines))
    if ss.import_problems:
        st.error(f"**Usage import failed:** {md(ss.import_problems)}")
    if problems:
        st.error("**Your last change is not applied** (the answer below is for the last "
                 "valid settings):\n\n"
                 + "\n".join(f"- {edits.emphasize_field(p)}" for p in problems))
    try:
        with st.spinner(f"Simulating {paths:,} paths × {scenario.horizon_months} months × "
                        f"{len(scenario.workloads)} workloads…"):
            plan = plan_for(scenario_json, paths, seed)
    except PlannerError as exc:
        st.error(f"The planner cannot run this scenario: {exc}")
        st.stop()
    rec = plan.recommendation
    years = scenario.contract.years
    cols = st.columns([1.35, 1, 1, 1.2])
    cols[0].metric(
        "Recommended commitment / yr", usd_short(rec.recommended.annual_commit),
        help=md(f"{usd(rec.recommended.annual_commit)} a year: the lowest expected cost "
                f"among commitments within the {pct(rec.appetite)} shortfall appetite, sized "
                "on the optimized path."))
    cols[1].metric(
        "Risk-neutral / yr", usd_short(rec.risk_neutral.annual_commit),
        help=md(f"{usd(rec.risk_neutral.annual_commit)} a year: the lowest expected cost, "
                "whatever the shortfall risk."))
    cols[2].metric(
        "Risk-bounded / yr", usd_short(rec.risk_bounded.annual_commit),
        help=md(f"{usd(rec.risk_bounded.annual_commit)} a year: the largest commitment with "
                f"at most {pct(rec.appetite)} chance of a shortfall in some year."))
    cols[3].metric(
        f"Expected saving, {years}-yr term", usd_short(rec.recommended.saving_vs_current),
        help=md(f"{usd(rec.recommended.saving_vs_current)}: today's path at list "
                f"({usd(rec.recommended.expected_current_list)} expected over the term) "
                "minus the expected cost of the optimized path under the recommended "
                "commitment."))

    stranded = [f for f in plan.flags if f.kind == "stranded_savings"]
    results = [rec.recommended, *plan.named, rec.baseline_sized,
               *([rec.run_rate] if rec.run_rate is not None else [])]
    whos = ["Recommended", *("Your commitment" for _ in plan.named), "", ""]
    blocks = [flag_html(str(stranded[0].level),
                        "<b>Stranded savings</b>: "
                        + stranded_line(stranded[0], results[0], whos[0]), stranded[0].message)]
    for flag, result, who in list(zip(stranded, results, whos, strict=True))[1:]:
        blocks.append(flag_html(str(flag.level), stranded_line(flag, result, who),
                                flag.message, minor=True))
    st.markdown("".join(blocks), unsafe_allow_html=True)
    notes = [f"{pct(float(rec.recommended.discount[0]))} discount tier",
             f"cost P10–P90 {usd_short(rec.recommended.cost_p10)}–"
             f"{usd_short(rec.recommended.cost_p90)} over the term",
             f"shortfall risk {pct(rec.recommended.shortfall_probability)} "
             f"(appetite {pct(rec.appetite)})"]
    if rec.ramp_advised:
        notes.append(f"ramp advised: {amount_text(rec.ramp)}")
    notes.append(f"walk-back exposure {plan.walk_back.level}: "
                 f"{usd_short(plan.walk_back.extra_cost)}")
    notes.append(f"{paths:,} paths, seed {seed}")
    if levers.describe():
        notes.append("portfolio levers: " + ", ".join(levers.describe()))
    st.caption(md(" · ".join(notes)))


# --------------------------------------------------------------------------- views
def money_columns(labels: dict[str, str]) -> dict[str, Any]:
    return {column: st.column_config.NumberColumn(label, format="dollar", step=1)
            for column, label in labels.items()}


def share_columns(labels: dict[str, str]) -> dict[str, Any]:
    return {column: st.column_config.NumberColumn(label, format="percent", step=0.01)
            for column, label in labels.items()}


def commitment_options(plan: Plan) -> dict[str, CommitmentResult]:
    rec = plan.recommendation
    options = {"recommended": rec.recommended, "risk-bounded": rec.risk_bounded,
               "ramp": rec.ramp}
    for result in plan.named:
        options["your commitment"] = result
    options["sized on the unoptimized forecast"] = rec.unoptimized
    return options


if tabs["Spend"].open:
    with tabs["Spend"]:
        options = commitment_options(plan)
        if ss.get("fan_commit") not in options:
            ss.fan_commit = "recommended"
        chosen = st.segmented_control("Commitment drawn (the list spend it covers a month)",
                                      list(options), key="fan_commit")
        per_year = options[chosen or "recommended"].per_year
        st.altair_chart(charts.fan_chart(plan, commitment=per_year, height=300),
                        width="stretch")
        st.caption("Monthly list spend on today's path and on the optimized path; the dashed "
                   "red line is the list spend the commitment covers each month (annual / "
                   "(1 - discount) / 12) over the contract years. Usage above it is overage; "
                   "below it, the commitment is paid anyway.")

if tabs["Commitment"].open:
    with tabs["Commitment"]:
        st.altair_chart(charts.cost_curve(plan, width=700), width="content")
        frame = plan.candidates_frame()
        frame["per_year"] = [" / ".join(usd_short(c) for c in row) if len(set(row)) > 1
                             else usd_short(row[0]) for row in frame["per_year"]]
        st.markdown(f"**Commitments tabled** (money over the {years}-year term)")
        st.dataframe(
            # What decides first (amount, flag, stranding, risk), then the cost detail.
            frame[["label", "per_year", "flag", "stranded_savings", "stranded_share",
                   "shortfall_probability", "expected_cost", "discount", "cost_p10",
                   "cost_p90", "expected_unused", "expected_overage"]],
            hide_index=True, width="stretch", column_config={
                "label": st.column_config.TextColumn("commitment", width="medium"),
                "per_year": st.column_config.TextColumn("per year", width="medium"),
                "flag": "flag",
                **money_columns({"expected_cost": "expected cost", "cost_p10": "cost P10",
                                 "cost_p90": "cost P90", "expected_unused": "unused",
                                 "expected_overage": "overage",
                                 "stranded_savings": "stranded"}),
                **share_columns({"discount": "discount",
                                 "shortfall_probability": "shortfall risk",
                                 "stranded_share": "stranded share"})})
        st.markdown("**Flags**")
        for flag in plan.flags:
            icon = {"green": ":green[●]", "amber": ":orange[●]", "red": ":red[●]"}[
                str(flag.level)]
            st.markdown(f"{icon} **{flag.kind.replace('_', ' ')}** · {md(flag.message)}")

if tabs["Savings by lever"].open:
    with tabs["Savings by lever"]:
        left, right = st.columns(2)
        left.altair_chart(charts.shapley_chart(plan.projection, height=220), width="stretch")
        right.altair_chart(charts.waterfall_chart(plan.projection, height=220),
                           width="stretch")
        st.caption("The levers multiply: routing sets the base price, caching cuts the repeated "
                   "input, batch halves what is left. A sequential waterfall credits the first "
                   "lever with more; the Shapley split averages each lever over all six orders, "
                   "so it does not depend on one. Deterministic projection over the horizon.")
        st.dataframe(plan.projection.attribution.summary(), hide_index=True, column_config={
            "lever": "lever",
            **money_columns({"shapley_saving": "Shapley saving",
                             "waterfall_saving": "waterfall step"}),
            **share_columns({"shapley_share": "Shapley share"})})

with workloads_summary:
    if tabs["Workloads"].open:
        st.markdown("**Workloads in migration order**: largest monthly saving first; money "
                    f"over the {scenario.horizon_months}-month horizon (deterministic "
                    "projection).")
        st.dataframe(
            plan.projection.summary().sort_values("migration_order").set_index(
                "migration_order"), width="stretch", column_config={
                "migration_order": "order", "workload": "workload", "waiting": "waiting",
                **share_columns({"batch_eligible_share": "batch-eligible"}),
                **money_columns({"current_total": "current", "optimized_total": "optimized",
                                 "saving": "saving", "saving_per_month": "saving / month"})})
        for warning in plan.projection.warnings:
            st.warning(md(warning))

if tabs["Sensitivity"].open:
    with tabs["Sensitivity"]:
        done_json, done_rows = ss.tornado.get(active, (None, None))
        fresh = done_json == scenario_json
        if fresh and done_rows is None:
            with st.spinner("Re-simulating 13 times at "
                            f"{min(SENSITIVITY_PATHS, paths):,} paths…"):
                done_rows = tornado_for(scenario_json, paths, seed,
                                        plan.recommendation.risk_bounded.annual_commit)
            ss.tornado[active] = (scenario_json, done_rows)
        if not fresh:
            st.button("Compute the tornado" if done_rows is None else
                      "Recompute for the current settings", type="primary",
                      on_click=on_tornado, args=(scenario_json,),
                      help=f"13 re-simulations at {SENSITIVITY_PATHS:,} paths: a few seconds.")
        st.caption("Which assumption moves the commitment most: each set to a low and a high "
                   "value with everything else as it is, re-simulated with the same seed. "
                   "Measured on the risk-bounded commitment, which moves continuously (the "
                   "recommended one often sits on a tier edge).")
        if done_rows:
            if not fresh:
                st.caption("Computed before your latest change.")
            st.altair_chart(charts.tornado_chart(
                done_rows, width=640, height=40 * len(done_rows) + 90), width="content")
            st.dataframe(
                pd.DataFrame([r.to_dict() for r in done_rows]).drop(
                    columns=["measure", "recommended"]),
                hide_index=True, column_config={
                    "assumption": "assumption", "low_label": "low", "high_label": "high",
                    **money_columns({"low": "at low", "high": "at high", "base": "base",
                                     "swing": "swing"})})

if tabs["Compare"].open:
    with tabs["Compare"]:
        st.button("Add conservative, aggressive-batch and walk-back variants of this scenario",
                  on_click=on_standard_variants,
                  help="; ".join(f"{k}: {why}" for k, (_f, why) in
                                 edits.STANDARD_VARIANTS.items()))
        if "compare" not in ss or any(n not in ss.origin for n in ss.compare):
            ss.compare = [n for n in ss.get("compare", [active]) if n in ss.origin]
        chosen = st.multiselect("Scenarios side by side", list(ss.origin), key="compare")
        compared: list[tuple[str, Plan]] = []
        with st.spinner("Simulating the scenarios compared…"):
            for name in chosen:
                other = Scenario.model_validate(ss.effective[name])
                compared.append((name, plan_for(other.model_dump_json(), *run_settings(other))))
        if len(compared) >= 2:
            st.altair_chart(charts.comparison_chart(compared, width=720), width="content")
        else:
            st.caption("Pick two or more scenarios: save variants from the sidebar, or add the "
                       "standard ones with the button above.")
        if compared:
            st.dataframe(pd.DataFrame([{
                "scenario": name,
                "recommended": p.recommendation.recommended.annual_commit,
                "risk_neutral": p.recommendation.risk_neutral.annual_commit,
                "risk_bounded": p.recommendation.risk_bounded.annual_commit,
                "expected_cost": p.recommendation.recommended.expected_cost,
                "saving": p.recommendation.recommended.saving_vs_current,
                "stranded": p.recommendation.recommended.stranded_savings,
                "flag": str(p.recommendation.recommended.flag),
            } for name, p in compared]), hide_index=True, width="stretch",
                column_config={"scenario": st.column_config.TextColumn("scenario", width="large"),
                               "flag": "stranded flag", **money_columns({
                    "recommended": "recommended / yr", "risk_neutral": "risk-neutral / yr",
                    "risk_bounded": "risk-bounded / yr", "expected_cost": "expected cost, term",
                    "saving": "expected saving, term", "stranded": "stranded, term"})})

if tabs["Scenario & downloads"].open:
    with tabs["Scenario & downloads"]:
        stem = "".join(ch if ch.isalnum() else "-" for ch in scenario.name.lower()).strip("-")
        cols = st.columns(4)
        cols[0].download_button("Scenario (YAML)", dump_scenario(scenario),
                                file_name=f"{stem}.yaml", mime="application/x-yaml",
                                icon=":material/download:")
        cols[1].download_button(
            "Monthly projection (CSV)",
            lambda: plan.projection.monthly_frame().to_csv(index=False, float_format="%.2f"),
            file_name=f"{stem}-monthly.csv", mime="text/csv", icon=":material/download:")
        done_json, done_rows = ss.tornado.get(active, (None, None))
        known_rows = done_rows if done_json == scenario_json else None

        def negotiation_pdf() -> bytes:
            """Built on click, on another thread: no Streamlit calls in here."""
            from forecast.report import render_pdf  # reportlab loads on the first export

            rows = known_rows if known_rows is not None else tornado(
                scenario, plan.book, paths=min(SENSITIVITY_PATHS, paths), seed=seed,
                anchor=plan.recommendation.risk_bounded.annual_commit)
            return render_pdf(dataclasses.replace(plan, sensitivity=rows))

        cols[2].download_button(
            "Negotiation PDF", negotiation_pdf, file_name=f"{stem}.pdf",
            mime="application/pdf", icon=":material/download:",
            help="Built on click, with the sensitivity tornado (a few seconds).")
        cols[3].button("Reset to saved", on_click=on_reset, icon=":material/undo:",
                       help="Discard the edits and portfolio levers of this scenario.")
        st.caption("The YAML holds every edit and portfolio lever on this page: load it again "
                   "with the uploader, or run it with `commitplan`.")
        st.code(dump_scenario(scenario), language="yaml", height=420)

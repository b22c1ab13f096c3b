"""The sidebar: scenario in and out, portfolio levers, contract terms, uncertainty, paths.

:func:`render` draws it for the active scenario and returns what it sets (:class:`Controls`);
the callbacks here change the scenario store (``ui.state``) and nothing else. Each widget's
key belongs to the active scenario (``ScenarioStore.key``), so its edits survive switching
to another scenario and back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from forecast import PlannerError, PriceBook, Scenario, project
from forecast.formatting import format_amounts, format_tiers, parse_amounts, parse_tiers, pct
from forecast.types import CacheTTL, FloatArray, Overage
from ui import portfolio
from ui.importing import record_import
from ui.state import Entry, NameTaken, ScenarioStore, scenario_data
from ui.text import md
from ui.uploads import (
    SCENARIO_MAX_MB,
    USAGE_MAX_MB,
    UploadError,
    import_usage_uploads,
    read_scenario_upload,
)
from ui.workspace import EntryKind

PATH_CHOICES = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000)


@dataclass
class Controls:
    """What the sidebar sets: portfolio levers, scenario fields by dotted path, and the
    problems of what could not be read (each naming its field)."""

    levers: portfolio.PortfolioLevers
    settings: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    tracks: dict[str, portfolio.LeverTrack | None] = field(default_factory=dict)


def the_store() -> ScenarioStore:
    return st.session_state["store"]


def seeded(key: str, value: Any, options: list[Any] | None = None) -> str:
    """A widget key whose first value comes from the scenario (set once, then the widget's);
    with ``options``, a value no longer among them falls back to ``value`` (or the first)."""
    ss = st.session_state
    if key not in ss or (options is not None and ss[key] not in options):
        ss[key] = value if options is None or value in options else options[0]
    return key


# --------------------------------------------------------------------------- callbacks
def _show(name: str) -> None:
    store = the_store()
    store.activate(name)
    st.session_state.picker = store.active


def on_pick() -> None:
    store = the_store()
    store.sync()  # a scenario another tab deleted cannot be opened
    picked = st.session_state.picker
    if picked not in store.entries:
        store.errors.append((f"“{picked}” was not opened",
                             ["it is no longer in the workspace: another tab deleted it"]))
        st.session_state.picker = store.active
        return
    store.activate(picked)


def on_upload() -> None:
    file = st.session_state.get("upload")
    if file is None:
        return
    store = the_store()
    try:
        scenario = read_scenario_upload(file.name, file.getvalue())
    except UploadError as exc:
        store.errors.append((f"{file.name} was not loaded; fix it and upload it again",
                             exc.problems))
        return
    name = store.add(scenario_data(scenario), EntryKind.UPLOAD, source=file.name)
    _show(name)
    store.notice = f"Loaded {file.name} as “{name}” (kept in the workspace)."


def usage_key() -> str:
    """The usage uploader's key: a new (empty) uploader after each import, so the next import
    does not take the files of the last one again."""
    return f"usage_files|{st.session_state.get('usage_imports', 0)}"


def on_import_usage() -> None:
    files = st.session_state.get(usage_key()) or []
    store = the_store()
    try:
        result = import_usage_uploads([(f.name, f.getvalue()) for f in files])
    except UploadError as exc:
        store.errors.append(("Usage import failed", exc.problems))
        return
    name = store.add(scenario_data(result.scenario), EntryKind.IMPORT,
                     source=", ".join(f.name for f in files), record=record_import(result))
    _show(name)
    st.session_state.usage_imports = st.session_state.get("usage_imports", 0) + 1
    store.notice = (f"Imported {len(files)} usage file{'s' if len(files) > 1 else ''} as "
                    f"“{name}”: its report and the next step are below.")


def on_save_variant(numbered: bool = False) -> None:
    """Save the working copy as a variant under the name typed; a name taken (here, or by
    another tab since) is refused, with a button to save it numbered instead."""
    store = the_store()
    source = store.active
    typed = st.session_state.get("variant_name")
    try:
        name = store.save_variant(source, typed, numbered=numbered)
    except NameTaken as exc:
        st.session_state.variant_taken = (source, exc.name, exc.suggestion)
        store.errors.append((f"Not saved: “{exc.name}” is already a scenario's name",
                             [f"type another name, or save it as “{exc.suggestion}” (the "
                              "button under the name)"]))
        return
    except PlannerError as exc:  # a name no scenario may have: say why, keep what was typed
        store.errors.append(("The variant was not saved", [str(exc)]))
        return
    st.session_state.pop("variant_taken", None)
    st.session_state.picker = name
    st.session_state.variant_name = ""
    store.notice = f"Saved as “{name}”; “{source}” is back to how it was saved."


def on_reset() -> None:
    store = the_store()
    store.reset(store.active)
    store.notice = f"“{store.active}” is back to how it was saved (its working copy dropped)."


def working_copy_note(entry: Entry) -> None:
    """Beside the scenario's name: "working copy, saved HH:MM" and "Revert to the scenario",
    when anything is edited; nothing otherwise."""
    if not entry.edited():
        return
    copy = entry.working
    if copy is None or copy.revision == "unwritten":
        st.caption("working copy, not kept (the workspace cannot be written)", width="content")
    else:
        st.caption(f"working copy, saved {copy.saved_hhmm()}", width="content",
                   help="Every edit is kept in the workspace as it is made, and shown again "
                        "after a reload, a restart or in another tab. Save as variant (in the "
                        "sidebar) names it; Revert discards it.")
    st.button("Revert to the scenario", icon=":material/undo:", on_click=on_reset,
              key="revert", type="tertiary",
              help="Discard the edits and portfolio levers of this scenario (its working "
                   "copy): back to how it was loaded or saved.")


# --------------------------------------------------------------------------- levers
@st.cache_data(max_entries=16, show_spinner=False)
def spend_weights(scenario_json: str) -> FloatArray:
    """Each workload's mean monthly list spend on today's path, shape (n_workloads,): what
    the portfolio levers' values are weighted by."""
    from forecast import scenario_price_book

    scenario = Scenario.model_validate_json(scenario_json)
    return project(scenario, scenario_price_book(scenario)).current.mean(axis=0)


def _marker_css(key: str, track: portfolio.LeverTrack) -> str:
    """A tick under the slider's track at the planned notch (the thumb's ``left`` is the
    same percentage of the same box)."""
    where = 100.0 * track.planned / max(len(track.shifts) - 1, 1)
    return (f".st-key-{key} [role='group'] > div[data-orientation='horizontal']::after "
            f"{{left: {where:.3f}%;}}")


def lever_labels(track: portfolio.LeverTrack, show: Callable[[Any], str],
                 notch: Callable[[Any], str]) -> dict[Any, str]:
    """The slider's label for each notch: the portfolio value it gives, "as planned: ..." at
    the plan. Streamlit tells notches apart by their labels, so two notches that give the
    same value (clipped at an end, or rounded) also say how far they move (``notch``)."""
    texts = [show(v) for v in track.values]
    repeated = {t for t in texts if texts.count(t) > 1}
    labels = {}
    for i, (shift, text) in enumerate(zip(track.shifts, texts, strict=True)):
        if i == track.planned:
            labels[shift] = f"as planned: {text}"
        else:
            labels[shift] = f"{text} ({notch(shift)})" if text in repeated else text
    return labels


def _lever(label: str, name: str, track: portfolio.LeverTrack | None, current: Any,
           show: Callable[[Any], str], notch: Callable[[Any], str], help_text: str,
           css: list[str]) -> Any:
    """One portfolio slider over a :class:`ui.portfolio.LeverTrack`: it starts at the plan
    ("as planned: 80%"), a notch moves every workload one step either way, and the plan is
    marked on the track. Returns the shift chosen (0 when nothing can move)."""
    if track is None:
        st.caption(f"{label}: no workload to move")
        return 0
    labels = lever_labels(track, show, notch)
    options = list(track.shifts)
    key = seeded(the_store().key(f"lever_{name}"), current, options)
    box = f"cp-lever-{name}"
    css.append(_marker_css(box, track))
    with st.container(key=box):
        return st.select_slider(label, options, format_func=lambda s: labels.get(s, str(s)),
                                key=key, help=help_text)


def _points(shift: float) -> str:
    return f"{shift * 100:+.0f} pts"


def _months_moved(shift: int) -> str:
    return f"{shift:+d} mo"


def _portfolio_levers(basis: Scenario, book: PriceBook, saved: portfolio.PortfolioLevers,
                      tracks: dict[str, portfolio.LeverTrack | None]) -> portfolio.PortfolioLevers:
    weights = spend_weights(basis.model_dump_json())
    tracks.update(batch=portfolio.batch_track(basis, weights),
                  cache=portfolio.cache_track(basis, weights),
                  lands=portfolio.months_track(basis, ramp=False),
                  ramp=portfolio.months_track(basis, ramp=True))
    css: list[str] = []
    batch = _lever(
        "Batch: share of the batch-eligible spend", "batch",
        tracks["batch"], saved.batch_shift, pct, _points,
        "A notch moves every workload's batch share by 5 points of what it may batch (the "
        "waiting test caps it; interactive work stays real time). The figure is the share of "
        "all batch-eligible spend that is batched.", css)
    hit = _lever(
        "Cache hit rate on shared prefixes", "cache",
        tracks["cache"], saved.cache_shift, pct, _points,
        "A notch moves every cached workload's hit rate by 5 points (0% turns caching off; a "
        "workload that did not cache starts, with a 5-minute TTL). The figure is the "
        "spend-weighted hit rate.", css)
    ttl = st.segmented_control(
        "Cache TTL", options=[str(CacheTTL.FIVE_MINUTES), str(CacheTTL.ONE_HOUR)],
        key=seeded(the_store().key("lever_ttl"), saved.cache_ttl),
        help="Leave both off to keep each workload's planned TTL.")

    def model_name(model_id: str) -> str:
        return (book.models[model_id].display_name or model_id).removeprefix("Claude ")

    model_ids = list(dict.fromkeys([*basis.model_ids(), *book.model_ids]))
    shares = [i / 10 for i in range(11)]
    route_share = st.select_slider(
        "Routing: move this share of traffic…", options=shares,
        format_func=lambda v: "as planned: none" if v == 0 else f"{v:.0%}",
        key=seeded(the_store().key("lever_route"), saved.route_share, shares))
    left, right = st.columns(2)
    route_from = left.selectbox(
        "from", model_ids, format_func=model_name, key=seeded(
            the_store().key("lever_route_from"), saved.route_from or model_ids[0], model_ids))
    route_to = right.selectbox(
        "to", model_ids, format_func=model_name, key=seeded(
            the_store().key("lever_route_to"),
            saved.route_to or model_ids[min(1, len(model_ids) - 1)], model_ids))
    lands = _lever("Optimizations land in", "lands", tracks["lands"],
                   saved.lands_shift, str, _months_moved,
                   "A notch lands every optimization a month earlier or later.", css)
    ramp = _lever("…and ramp in over", "ramp", tracks["ramp"],
                  saved.ramp_shift, str, _months_moved,
                  "A notch makes every ramp a month longer or shorter.", css)
    st.html(f"<style>{''.join(css)}</style>")
    st.caption("Per-workload levers: the table in the Workloads tab.")
    return portfolio.PortfolioLevers(
        batch_shift=float(batch), cache_shift=float(hit), cache_ttl=ttl,
        route_share=route_share, route_from=route_from, route_to=route_to,
        lands_shift=int(lands), ramp_shift=int(ramp))


# --------------------------------------------------------------------------- the sidebar
def render(basis: Scenario, book: PriceBook, paths_cap: int | None) -> Controls:
    """Draw the sidebar for the active scenario.

    Parameters
    ----------
    basis : Scenario
        The active scenario with the table's edits (the plan the levers start from).
    paths_cap : int, optional
        ``?paths=`` in the address, shown under the paths.
    """
    store = the_store()
    entry = store.current
    origin = entry.origin_scenario()
    if st.session_state.get("picker") != store.active:
        st.session_state.picker = store.active
    key = store.key
    settings: dict[str, Any] = {}
    problems: list[str] = []

    st.markdown("**Scenario**")
    st.selectbox("Scenario", store.names, key="picker", on_change=on_pick,
                 label_visibility="collapsed")
    with st.expander("Upload a scenario · import usage"):
        # The scenario uploader takes files up to the server's limit, so that one too big is
        # refused by the page, with its size and the limit in the page's messages (a file
        # the browser refuses shows only a mark on its chip).
        st.file_uploader(f"Scenario file (YAML or JSON, up to {SCENARIO_MAX_MB} MB)",
                         type=["yaml", "yml", "json"], key="upload", on_change=on_upload,
                         max_upload_size=USAGE_MAX_MB)
        st.file_uploader(f"Usage history (Admin API JSON pages or Console CSV, up to "
                         f"{USAGE_MAX_MB} MB each)", type=["json", "csv"],
                         accept_multiple_files=True, key=usage_key(),
                         max_upload_size=USAGE_MAX_MB)
        st.button("Build a scenario from usage", on_click=on_import_usage)
    with st.form("variant", border=False, enter_to_submit=True):
        left, right = st.columns([3, 2], vertical_alignment="bottom")
        left.text_input("Save as variant", key="variant_name", placeholder="variant name",
                        help="Keeps this working copy under a new name (now shown, and kept "
                             "in the workspace) and puts this scenario back as it was saved, "
                             "to compare the two. Names are unique.")
        right.form_submit_button("Save", on_click=on_save_variant, width="stretch")
    taken = st.session_state.get("variant_taken")
    if taken and taken[0] == store.active:
        st.button(f"Save as “{taken[2]}”", key="variant_numbered", icon=":material/save:",
                  on_click=on_save_variant, kwargs={"numbered": True},
                  help=f"“{taken[1]}” is taken: keep it numbered instead.")

    tracks: dict[str, portfolio.LeverTrack | None] = {}
    with st.expander("Portfolio levers: every workload at once", expanded=True):
        levers = _portfolio_levers(basis, book, entry.levers, tracks)

    with st.expander("Contract terms"):
        contract = origin.contract
        left, right = st.columns(2)
        settings["contract.years"] = left.number_input(
            "Term (years)", 1, 5, key=seeded(key("years"), contract.years))
        settings["horizon_months"] = right.number_input(
            "Horizon (months)", 12, 60, key=seeded(key("horizon"), origin.horizon_months))
        commit_text = st.text_input(
            "Commitment to test ($ a year)",
            key=seeded(key("commitments"), format_amounts(contract.commitments)),
            placeholder="blank: recommendation only",
            help="One amount a year, or a ramp: one per year separated by /, "
                 "e.g. 900k / 1.1M / 1.3M.")
        try:
            settings["contract.commitments"] = parse_amounts(commit_text)
        except ValueError as exc:
            problems.append(f"contract.commitments: {exc}")
        settings["contract.overage"] = st.radio(
            "Overage billed at", [str(Overage.DISCOUNTED), str(Overage.LIST)],
            horizontal=True, key=seeded(key("overage"), str(contract.overage)),
            format_func=lambda v: {"discounted": "discounted rate", "list": "list"}[v])
        tiers_text = st.text_input(
            "Discount tiers (commit at least: discount)",
            key=seeded(key("tiers"), format_tiers([t.model_dump()
                                                   for t in contract.discount_tiers])),
            placeholder="e.g. 1M: 6% / 3M: 10%",
            help="Commit at least this much a year, earn this discount on all usage; "
                 "tiers separated by /.")
        try:
            settings["contract.discount_tiers"] = parse_tiers(tiers_text)
        except ValueError as exc:
            problems.append(f"contract.discount_tiers: {exc}")
        settings["contract.risk_appetite.max_shortfall_probability"] = st.slider(
            "Risk appetite: max shortfall probability", 0.01, 0.5, step=0.01,
            format="percent", key=seeded(key("appetite"),
                                         contract.risk_appetite.max_shortfall_probability))
        amber_red = st.slider(
            "Stranded-savings flag: amber and red above", 0.0, 1.0, step=0.01,
            format="percent", key=seeded(key("thresholds"),
                                         (contract.stranded_thresholds.amber,
                                          contract.stranded_thresholds.red)))
        settings["contract.stranded_thresholds.amber"] = amber_red[0]
        settings["contract.stranded_thresholds.red"] = amber_red[1]

    with st.expander("Uncertainty"):
        unc = origin.uncertainty
        settings["uncertainty.lever_realization.mean"] = st.slider(
            "Lever realization: mean share of the plan achieved", 0.05, 1.0, step=0.01,
            format="percent", key=seeded(key("real_mean"), unc.lever_realization.mean))
        settings["uncertainty.lever_realization.sd"] = st.slider(
            "Lever realization: spread (sd)", 0.0, 0.3, step=0.01,
            key=seeded(key("real_sd"), unc.lever_realization.sd))
        settings["uncertainty.slip_months.mean"] = st.slider(
            "Landing slip: mean months late", 0.0, 6.0, step=0.5,
            key=seeded(key("slip"), unc.slip_months.mean))
        settings["uncertainty.walk_back_probability"] = st.slider(
            "Walk-back probability (gray workloads)", 0.0, 1.0, step=0.05, format="percent",
            key=seeded(key("walk_back"), unc.walk_back_probability))
        settings["uncertainty.shared_growth_volatility"] = st.number_input(
            "Shared growth volatility (monthly)", 0.0, 0.5, step=0.005, format="%.3f",
            key=seeded(key("shared_vol"), unc.shared_growth_volatility))

    with st.expander("Simulation"):
        sim = origin.simulation
        left, right = st.columns(2)
        settings["simulation.paths"] = left.selectbox(
            "Paths", sorted({*PATH_CHOICES, sim.paths}), key=seeded(key("paths"), sim.paths),
            format_func=lambda v: f"{v:,}")
        settings["simulation.seed"] = right.number_input(
            "Seed", 0, 2**32 - 1, key=seeded(key("seed"), sim.seed))
        if paths_cap:
            st.caption(f"Paths capped at {paths_cap:,} by ?paths= in the address.")
    return Controls(levers, settings, problems, tracks)


def problems_md(title: str, problems: list[str]) -> str:
    """An error box's Markdown: a bold title, then one line per problem."""
    from ui.text import problem_md

    return f"**{md(title)}**\n\n" + "\n".join(f"- {problem_md(p)}" for p in problems)


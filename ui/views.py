"""The page's views, one function per tab, and the import report with its next step.

Each view reads a ``Plan`` (with its negotiation position for the Offers tab, and the
scenario store where it lists scenarios; the Tracking tab a ``forecast.tracking.Tracking``)
and draws; no figure is computed here. Money in
tables is written as on the headline and in the charts (``usd_short``: ``$1.23M``,
``$456K``; a commitment with its tier's edges), right-aligned; tables lead with the columns
that decide, names kept narrow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import altair as alt
import pandas as pd
import streamlit as st

from forecast import charts, narrative
from forecast.contract import CommitmentResult, tier_edges
from forecast.errors import PlannerError
from forecast.formatting import pct, usd, usd_short
from forecast.negotiation import OfferResult
from forecast.plan import SAVING_LABEL, Plan
from forecast.scenario import Contract, Scenario
from forecast.scenario_io import dump_scenario
from forecast.sensitivity import SENSITIVITY_PATHS, tornado
from forecast.tracking import WarningKind, has_signed_contract
from forecast.types import COMMITMENT_LABELS, Audience, CommitmentKind, Overage
from forecast.usage.months import month_offset, months_between
from ui import cache, edits, headline
from ui import offers as offers_table
from ui.importing import ImportRecord, next_steps
from ui.state import Entry, ScenarioStore
from ui.text import html_text, md
from ui.uploads import USAGE_MAX_MB, UploadError, check_usage_upload
from ui.workspace import EntryKind, UsageFile

if TYPE_CHECKING:
    from forecast.tracking import Tracking, YearTrack

PlanFor = Callable[[Scenario], Plan]
log = logging.getLogger(__name__)


def chart(spec: alt.TopLevelMixin, key: str | None = None) -> None:
    """A chart at its container's width; its height is the plot's (axes and legends come on
    top of it, instead of squeezing it)."""
    fitted = spec.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    st.altair_chart(fitted, width="stretch", key=key)


# --------------------------------------------------------------------------- tables
def money(values: Sequence[float] | pd.Series) -> list[str]:
    return [usd_short(float(v)) for v in values]


def shares(values: Sequence[float] | pd.Series) -> list[str]:
    return [pct(float(v)) for v in values]


def text_column(label: str, width: str = "small", help_text: str | None = None,
                right: bool = True, pinned: bool = False) -> Any:
    return st.column_config.TextColumn(label, width=width, help=help_text, pinned=pinned,
                                       alignment="right" if right else "left")


def short_name(name: str, limit: int = 30) -> str:
    """A name that fits a narrow column: a variant keeps its tail (``Globex enterprise… ·
    conservative``), any other name its head."""
    if len(name) <= limit:
        return name
    head, sep, tail = name.rpartition(" · ")
    if sep and len(tail) < limit - 8:
        return head[:limit - len(tail) - 4].rstrip() + "…" + sep + tail
    return name[:limit - 1].rstrip() + "…"


def name_column(label: str, help_text: str | None = None) -> Any:
    """A name column kept narrow and pinned: the full name shows on hover."""
    return st.column_config.TextColumn(label, width="medium", help=help_text, pinned=True)


# --------------------------------------------------------------------------- spend
def commitment_options(plan: Plan) -> dict[str, CommitmentResult]:
    """The commitments the fan chart can draw, by the name the page gives them."""
    rec = plan.recommendation
    options = {"recommended": rec.recommended, "risk-bounded": rec.risk_bounded,
               "ramp": rec.ramp}
    for result in plan.named:
        options["your commitment"] = result
    options[COMMITMENT_LABELS[rec.unoptimized.kind]] = rec.unoptimized
    return options


def spend(plan: Plan, scenario_json: str, paths: int, seed: int) -> None:
    options = commitment_options(plan)
    if st.session_state.get("fan_commit") not in options:
        st.session_state.fan_commit = "recommended"
    chosen = st.segmented_control("Commitment drawn (the list spend it covers a month)",
                                  list(options), key="fan_commit")
    per_year = tuple(float(c) for c in options[chosen or "recommended"].per_year)
    # The page's CSS gives this box a height from the window's (more on a tall screen); the
    # chart fills it, axes and legend included.
    with st.container(key="cp-fan"):
        st.vega_lite_chart(cache.fan_spec(scenario_json, paths, seed, per_year),
                           width="stretch", height="stretch")
    st.caption("Monthly list spend on today's path and on the optimized path; the dashed red "
               "line is the list spend the commitment covers each month (annual / (1 - "
               "discount) / 12) over the contract years. Usage above it is overage; below it, "
               "the commitment is paid anyway.")


# --------------------------------------------------------------------------- commitment
def candidate_name(result: CommitmentResult, contract: Contract) -> str:
    """A tabled commitment in a selector: what it is, its amount and tier."""
    kind = COMMITMENT_LABELS[result.kind]
    amount = narrative.with_tier(result, contract, short=True)
    return f"{kind} · {amount}" if kind else amount


def commitment(plan: Plan) -> None:
    top, bottom = charts.cost_curve_panels(plan, width="container", height=240)
    chart(top)
    chart(bottom)
    contract = plan.scenario.contract
    edges = tier_edges(contract)
    appetite = plan.recommendation.appetite
    shown = plan.candidates
    table = pd.DataFrame({
        "commitment": [COMMITMENT_LABELS[c.kind] for c in shown],
        "per_year": [" / ".join(usd_short(x, edges) for x in c.per_year) if c.is_ramp
                     else usd_short(c.annual_commit, edges) for c in shown],
        "discount": [" / ".join(pct(d) for d in c.discount) if c.is_ramp
                     else pct(c.discount[0]) for c in shown],
        "expected_cost": money([c.expected_cost for c in shown]),
        "spread": [f"{usd_short(c.cost_p10)}–{usd_short(c.cost_p90)}" for c in shown],
        "shortfall": shares([c.shortfall_probability for c in shown]),
        "colour": [str(c.colour) for c in shown],
        "stranded": money([c.stranded_savings for c in shown]),
        "unused": money([c.expected_unused for c in shown]),
        "overage": money([c.expected_overage for c in shown]),
        "saving": money([c.saving_vs_today for c in shown]),
        "why": ["; ".join(narrative.reason_text(r, appetite) for r in c.reasons)
                for c in shown],
    })
    st.markdown(f"**Commitments tabled** · money over the {contract.years}-year term; "
                "amounts with the tier they earn")
    ramp = narrative.ramp_note(plan)
    if ramp:
        st.caption(md(ramp))
    if plan.not_options:
        # Where the amounts that earn no discount would have been listed.
        st.caption(md(plan.not_options))
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "commitment": st.column_config.TextColumn("commitment", width=150, pinned=True),
        "per_year": text_column("per year", width=185 if any(c.is_ramp for c in shown)
                                else 75),
        "discount": text_column("disc.", width=55 if not any(c.is_ramp for c in shown)
                                else 110),
        "expected_cost": text_column("exp. cost", width=75,
                                     help_text="expected cost over the term"),
        "spread": text_column("P10–P90", width=115, help_text="cost on the luckiest and "
                              "the unluckiest tenth of paths"),
        "shortfall": text_column("shortfall", width=65, help_text="chance that some year's "
                                 "usage falls short of the commitment"),
        "colour": text_column("colour", width=60, right=False,
                              help_text="the worst of its risks (the reasons: last column)"),
        "stranded": text_column("stranded", width=70, help_text="of which stranded: "
                                "optimization savings lost under the commitment floor (part "
                                "of the saving's bridge, not another saving)"),
        "unused": text_column("unused", width=70, help_text="commitment paid but not used"),
        "overage": text_column("overage", width=70, help_text="spend beyond the commitment"),
        "saving": text_column("saving", width=75, help_text=SAVING_LABEL),
        "why": text_column("why this colour", width="large", right=False),
    })
    bridge(plan, shown)
    st.markdown("**Flags**")
    icons = {"green": ":green[●]", "amber": ":orange[●]", "red": ":red[●]"}
    for flag in plan.flags:
        st.markdown(f"{icons[str(flag.level)]} **{md(str(flag.kind).replace('_', ' '))}** · "
                    f"{md(flag.message)}")


def _identity(result: CommitmentResult) -> str:
    """What a tabled commitment is across reruns: its kind, or its amount for a grid row
    (so that the bridge shown stays the same commitment while levers move)."""
    if result.kind in (CommitmentKind.GRID, CommitmentKind.PAY_AS_YOU_GO):
        return f"{result.kind} {result.annual_commit:.0f}"
    return str(result.kind)


def bridge(plan: Plan, shown: list[CommitmentResult]) -> None:
    """The savings bridge of any tabled commitment, the recommended one first."""
    contract = plan.scenario.contract
    by_id = {_identity(c): c for c in shown}
    start = _identity(plan.recommendation.recommended)
    if st.session_state.get("bridge_of") not in by_id:
        st.session_state.bridge_of = start if start in by_id else next(iter(by_id))
    with st.container(horizontal=True, gap="medium", key="cp-bridge-pick"):
        with st.container(width=320):
            chosen = st.selectbox("Savings bridge of", list(by_id), key="bridge_of",
                                  format_func=lambda i: candidate_name(by_id[i], contract),
                                  help="Any tabled commitment: where its saving comes from, "
                                       "line by line, expected over the term.")
            result = by_id[chosen]
            st.caption(md(narrative.colour_text(result, plan.recommendation.appetite)))
        with st.container(key="cp-bridge-tab"):
            st.html(headline.bridge_html(result, contract, candidate_name(result, contract)))


# --------------------------------------------------------------------------- offers
def offers_editor(origin: dict[str, Any], key: str, problems: Sequence[str]) -> None:
    """The offers table, drawn on every run (even behind another tab) so that its edits are
    kept; read back by ``ui.offers.apply_offer_edits``. Its own problems under it."""
    st.markdown("**Offers on the table** · type each proposal as you hear it, one row per "
                "offer. Your scenario's contract (sidebar) is always the first offer; a blank "
                "cell takes its term. Leave the commitment blank when the buyer chooses it.")
    columns: dict[str, Any] = {}
    for c in offers_table.COLUMNS:
        width = offers_table.WIDTHS[c.key]
        if c.key == "overage":
            columns[c.key] = st.column_config.SelectboxColumn(
                c.label, help=c.help, options=offers_table.overage_options(), width=width)
        elif c.key == "price_protection":
            columns[c.key] = st.column_config.CheckboxColumn(c.label, help=c.help,
                                                             width=width)
        elif c.key in ("rollover", "shortfall_credit"):
            columns[c.key] = st.column_config.NumberColumn(c.label, help=c.help, min_value=0.0,
                                                           max_value=1.0, format="percent",
                                                           width=width)
        elif c.key == "years":
            columns[c.key] = st.column_config.NumberColumn(c.label, help=c.help, min_value=1,
                                                           max_value=5, format="%d",
                                                           width=width)
        else:
            columns[c.key] = st.column_config.TextColumn(c.label, help=c.help, width=width,
                                                         pinned=c.key == "name")
    frame = offers_table.offers_frame(origin)
    with st.container(key="cp-offers"):
        st.data_editor(frame, key=key, num_rows="dynamic", hide_index=True, width="stretch",
                       height=min(38 + 35 * (len(frame) + 2), 320), placeholder="",
                       column_config=columns)
    if problems:
        from ui.sidebar import problems_md

        st.error(problems_md("Not applied yet (the offers below are the last valid ones):",
                             list(problems)))


def _offer_why(offer: OfferResult) -> str:
    """The risks behind an offer's colour, and whether it beats paying as you go."""
    reasons = [narrative.reason_text(r, offer.appetite) for r in offer.result.reasons]
    if not offer.worth_signing and offer.result.total_commit > 0:
        reasons.insert(0, "does not beat pay as you go within your appetite")
    return "; ".join(reasons)


def offers(plan: Plan, asks_key: str, with_asks_for: Callable[[tuple[str, ...]], Plan]
           ) -> None:
    """The offers side by side on the same paths, every ask valued, the break-even discount.

    ``plan`` carries the position (asks of the best offer); ``with_asks_for(names)`` gives
    the plan whose position also values the asks of the offers named.
    """
    position = plan.position
    if position is None:
        return
    ranked = position.offers
    st.markdown("**The offers, compared on the same simulated paths** · ranked: worth "
                "signing first, then by expected cost a year; money over each offer's term")
    st.dataframe(pd.DataFrame({
        "rank": [o.rank for o in ranked],
        "offer": [o.name for o in ranked],
        "commitment": [narrative.with_tier(o.result, o.terms, short=True) for o in ranked],
        "expected_cost": money([o.result.expected_cost for o in ranked]),
        "spread": [f"{usd_short(o.result.cost_p10)}–{usd_short(o.result.cost_p90)}"
                   for o in ranked],
        "vs_payg": money([o.saving_vs_payg for o in ranked]),
        "shortfall": shares([o.result.shortfall_probability for o in ranked]),
        "stranded": money([o.result.stranded_savings for o in ranked]),
        "colour": [str(narrative.offer_colour(o)) for o in ranked],
        "dominated_by": [o.dominated_by or "" for o in ranked],
        "walk_away": ["none" if o.walk_away.bound == "none" else
                      usd_short(o.walk_away.annual_commit, tier_edges(o.terms))
                      for o in ranked],
        "why": [_offer_why(o) for o in ranked],
    }), hide_index=True, width="stretch", column_config={
        "rank": st.column_config.NumberColumn("#", width=30, pinned=True),
        "offer": st.column_config.TextColumn("offer", width=120, pinned=True),
        "commitment": text_column("commitment", width=135,
                                  help_text="the offer's own, or the best flat one within "
                                            "your appetite when the buyer chooses; with the "
                                            "tier it earns"),
        "expected_cost": text_column("exp. cost", width=75,
                                     help_text="expected cost over the offer's term"),
        "spread": text_column("P10–P90", width=115, help_text="cost on the luckiest and "
                              "the unluckiest tenth of paths"),
        "vs_payg": text_column("vs PAYG", width=70,
                               help_text="saving vs pay as you go: expected saving against "
                                         "paying list on the optimized path (your "
                                         "alternative)"),
        "shortfall": text_column("shortfall", width=65, help_text="chance that some year's "
                                 "usage falls short of the commitment"),
        "stranded": text_column("stranded", width=68),
        "colour": text_column("colour", width=60, right=False,
                              help_text="the worst of its risks; red when it does not beat "
                                        "pay as you go (the reasons: last column)"),
        "dominated_by": text_column("dominated by", width=110, right=False,
                                    help_text="an offer that costs no more on every path "
                                              "and less in expectation"),
        "walk_away": text_column("walk-away", width=75,
                                 help_text="walk away above this commitment a year: the "
                                           "largest whose expected cost stays at or below "
                                           "pay as you go, within your appetite"),
        "why": text_column("why this colour", width="large", right=False),
    })
    alt_ = position.alternative
    st.caption(md(f"Your alternative, pay as you go on the optimized path: "
                  f"{usd_short(alt_.expected_cost)} expected over {alt_.years} years (P10 "
                  f"{usd_short(alt_.cost_p10)}, P90 {usd_short(alt_.cost_p90)}). Internal: "
                  "the walk-away, the appetite and the alternative are not for the vendor."))

    left, right = st.columns([3, 2], gap="medium")
    with left:
        target = position.target
        others = [o.name for o in ranked if o is not target]
        if st.session_state.get(asks_key) and any(n not in others
                                                  for n in st.session_state[asks_key]):
            st.session_state[asks_key] = [n for n in st.session_state[asks_key]
                                          if n in others]
        chosen = st.multiselect(
            "Value the asks for", others, key=asks_key,
            placeholder="another offer" if others else "no other offer",
            help="The best offer's asks are always valued; add any other offer's.")
        asks_plan = with_asks_for(tuple(chosen)) if chosen else plan
        asks = asks_plan.position.asks if asks_plan.position is not None else []
        worth = [a for a in asks if a.expected_value > 0.5]
        nothing = [a for a in asks if a.expected_value <= 0.5]
        head = (f"against {target.name} as it stands (the best offer)" if target is not None
                else "against the offers as they stand")
        st.markdown(f"**Every ask valued** · {md(head)}"
                    f"{', and ' + md(', '.join(chosen)) if chosen else ''}: the expected saving "
                    "over the term, on the same paths, and the shortfall chance after")
        if worth:
            st.dataframe(pd.DataFrame({
                "ask": [a.description for a in worth],
                "offer": [a.offer for a in worth],
                "value": money([a.expected_value for a in worth]),
                "shortfall_after": shares([a.shortfall_probability_after for a in worth]),
            }), hide_index=True, width="stretch", column_config={
                "ask": text_column("ask", width="large", right=False),
                "offer": text_column("offer", width="small", right=False),
                "value": text_column("worth", help_text="expected saving over the term"),
                "shortfall_after": text_column("shortfall after")})
        if nothing:
            st.caption(md("Worth nothing on these paths: " + "; ".join(
                f"{a.description} ({a.offer})" for a in nothing) + "."))
    with right:
        contract = plan.scenario.contract
        st.markdown("**Break-even discount** · the least flat discount worth accepting at "
                    "each commitment (blue); the contract's tiers (grey)")
        chart(charts.break_even_chart(position, contract, width="container", height=180))
        named = [b for b in position.named_break_even]
        lines = [f"at {usd_short(b.annual_commit, tier_edges(contract))} a year: "
                 + ("no discount makes it pay" if b.discount is None else pct(b.discount, 1))
                 for b in named]
        st.caption(md("Above the blue line, committing beats paying as you go in "
                      "expectation; a red cross: no discount makes that amount pay."
                      + (" Your commitment, " + "; ".join(lines) + "." if lines else "")))


# --------------------------------------------------------------------------- tracking
#: Warnings about what the files hold rather than a risk to act on: shown as notes.
DATA_NOTES = frozenset({WarningKind.UNMATCHED, WarningKind.AMBIGUOUS, WarningKind.DATA})
_UPLOAD_PROBLEMS = "tracking_upload_problems"


def shows_tracking(scenario: Scenario) -> bool:
    """The Tracking tab is offered for a scenario with a signed contract
    (``contract.commitments``): usage to date is uploaded in it."""
    return has_signed_contract(scenario)


def _on_usage_upload(store: ScenarioStore, name: str, key: str) -> None:
    """Keep the files just uploaded for scenario ``name``, each checked on its own; a bad
    one is named, with what is wrong, and not kept."""
    uploads = st.session_state.get(key) or []
    good, problems = [], []
    for f in uploads:
        content = f.getvalue()
        try:
            check_usage_upload(f.name, content)
        except UploadError as exc:
            problems.append((f"{f.name} was not kept: fix it, or export it again, and upload "
                             "it again", exc.problems))
            continue
        good.append((f.name, content))
    st.session_state[_UPLOAD_PROBLEMS] = (name, problems)
    if good:
        store.add_usage(name, good)
    # A new uploader (an empty one) under a new key: what it held is kept, or refused.
    st.session_state["tracking_uploads"] = st.session_state.get("tracking_uploads", 0) + 1


def _on_remove_usage(store: ScenarioStore, name: str, file_name: str) -> None:
    store.remove_usage(name, [file_name])


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{max(n, 1) / 2**10:.0f} KB"


def _usage_files(store: ScenarioStore, name: str, files: list[UsageFile]) -> Any:
    """The uploader (open until a file is kept), then the files kept, each removable, with
    a slot beside them for the as-of month (returned)."""
    from ui.sidebar import problems_md

    key = store.key(f"usage_to_date|{st.session_state.get('tracking_uploads', 0)}")
    with st.expander("Add usage to date" if files else "Upload usage to date",
                     expanded=not files, icon=":material/upload_file:"), \
            st.container(key="cp-track-upload"):
        st.file_uploader(
            f"Console CSV exports or usage report pages (JSON), up to {USAGE_MAX_MB} MB each: "
            "every month from the contract's start. A file of a name already kept replaces "
            "it.", type=["csv", "json"], accept_multiple_files=True, key=key,
            on_change=_on_usage_upload, args=(store, name, key),
            max_upload_size=USAGE_MAX_MB)
    # Shown once, as the page's other messages are, and for the scenario they are about.
    about, problems = st.session_state.pop(_UPLOAD_PROBLEMS, (name, []))
    for title, lines in problems if about == name else []:
        st.error(problems_md(title, lines))
    with st.container(horizontal=True, gap="medium", vertical_alignment="bottom",
                      key="cp-track-files"):
        with st.container(gap=None, key="cp-track-kept"):
            for f in files:
                with st.container(horizontal=True, gap="small", vertical_alignment="center"):
                    st.markdown(f":material/description: {md(f.name)} · :gray[{_size(f.size)}]",
                                width="stretch")
                    st.button("Remove", key=f"untrack|{f.digest}|{f.name}",
                              icon=":material/delete:", on_click=_on_remove_usage,
                              args=(store, name, f.name), type="tertiary")
            if files and store.usage_in_workspace(name):
                st.caption("Kept in the workspace with this scenario: a reload tracks them "
                           "again.")
            elif files:
                st.caption("Kept for this session only: the workspace could not keep them.")
        return st.container(width=260)


def _sentence(text: str, starts_with_name: bool) -> str:
    """A warning as a sentence: capitalized, unless it starts with a workload's name (shown
    as typed)."""
    return text if starts_with_name else text[:1].upper() + text[1:]


def _contract_months(start: str, last: str) -> list[str]:
    """Every month from ``start`` to ``last``, newest first."""
    return [month_offset(last, -k) for k in range(months_between(start, last) + 1)]


def tracking(store: ScenarioStore, scenario: Scenario, scenario_json: str, paths: int,
             seed: int) -> None:
    """The signed contract against usage to date: the files (uploaded here, kept in the
    workspace), the as-of month, then per open contract year the figures, what to do,
    the burn-down, the tables, notes on the data, and the downloads."""
    name = store.active
    contract = scenario.contract
    committed = contract.commitment_per_year() or []
    amounts = [usd_short(c) for c in (committed[:1] if len(set(committed)) == 1
                                      else committed)]
    st.markdown("**Tracking the signed contract** · " + md(
        f"{contract.years}-year contract from {scenario.start}, {' then '.join(amounts)} a "
        "year committed: what is consumed to date, the forecast to each year's end, and what "
        "to do about it"))
    files = store.usage_files(name)
    slot = _usage_files(store, name, files)
    if not files:
        st.caption("Upload the usage since the contract's start (every month of it, in any "
                   "format the importer reads): the page keeps it in the workspace and tracks "
                   "the contract against it, as of the last full month it covers.")
        return
    usage_key = cache.files_key(files)

    def sources() -> list[tuple[str, bytes]]:
        return store.usage_sources(name)

    try:
        with st.spinner("Tracking the contract against the usage to date…"):
            latest = cache.tracking_for(scenario_json, usage_key, None, paths, seed, sources)
        months = _contract_months(scenario.start, latest.as_of)
        with slot:
            as_of = st.selectbox(
                "As of (the last month counted)", months, key=store.key(f"as_of|{usage_key}"),
                format_func=lambda m: f"{m} (the last full month)" if m == months[0] else m,
                help="Usage after it is left out and forecast instead: how the contract "
                     "looked at the end of an earlier month.")
        if as_of in (None, latest.as_of):
            result = latest
        else:
            with st.spinner(f"Tracking as of {as_of}…"):
                result = cache.tracking_for(scenario_json, usage_key, as_of, paths, seed,
                                            sources)
    except PlannerError as exc:
        st.error(md(f"The usage cannot be tracked against this contract: {exc}"))
        return
    except OSError as exc:
        st.error(md(f"A usage file kept in the workspace could not be read "
                    f"({exc.strerror or exc}): remove it and upload it again."))
        return
    except Exception as exc:  # named in the page, the traceback in the server's log only
        log.exception("tracking of %s", scenario.name)
        st.error(md(f"The usage could not be tracked ({type(exc).__name__}); check the "
                    "files, and report it with the scenario's YAML if they are right."))
        return
    tracking_figures(result, contract.risk_appetite.max_shortfall_probability)
    tracking_downloads(result, scenario_json, paths, seed)


def _year_metrics(y: YearTrack, appetite: float, overage: Overage) -> None:
    with st.container(horizontal=True, gap="small", key=f"cp-track-year-{y.year}"):
        st.metric("Committed", usd_short(y.committed), delta=f"{pct(y.discount)} discount",
                  delta_color="off", delta_arrow="off",
                  help=md(f"{usd(y.committed)}: the signed commitment of year {y.year}, "
                          f"{y.first_month} to {y.last_month}."))
        st.metric("Consumed to date", usd_short(y.consumed_to_date),
                  delta=f"{pct(y.consumed_to_date / y.committed if y.committed else 0)} of it",
                  delta_color="off", delta_arrow="off",
                  help=md(f"{usd(y.consumed_to_date)}: the list cost of the usage dated in "
                          f"the year up to the end of the as-of month, less the "
                          f"{pct(y.discount)} discount ({y.months_observed} of 12 months)."))
        st.metric("Expected at year end", usd_short(y.expected_at_year_end),
                  delta=f"P10–P90 {usd_short(y.p10)}–{usd_short(y.p90)}",
                  delta_color="off", delta_arrow="off",
                  help=md(f"{usd(y.expected_at_year_end)}: the consumption expected by "
                          f"{y.last_month}, re-simulated from each workload's observed level "
                          f"and levers; P10 {usd(y.p10)}, P90 {usd(y.p90)}."))
        over = y.shortfall_probability > appetite + 1e-12
        st.metric("Shortfall probability", pct(y.shortfall_probability),
                  delta=f"over the {pct(appetite)} appetite" if over
                  else f"appetite {pct(appetite)}",
                  delta_color="inverse" if over else "off", delta_arrow="off",
                  help="The chance that the year's consumption ends below the commitment "
                       "(the rest is paid anyway).")
        st.metric("Expected unused", usd_short(y.expected_unused), delta="paid anyway",
                  delta_color="off", delta_arrow="off",
                  help=md(f"{usd(y.expected_unused)}: commitment paid but not used, "
                          "expected over the paths."))
        rule = "at list" if overage == Overage.LIST else "at the discounted rate"
        st.metric("Expected overage", usd_short(y.expected_overage), delta=rule,
                  delta_color="off", delta_arrow="off",
                  help=md(f"{usd(y.expected_overage)}: what usage beyond the commitment is "
                          f"expected to cost ({rule})."))


def tracking_figures(result: Tracking, appetite: float) -> None:
    """Per open year its figures; what to do; the burn-downs; the tables; the notes."""
    open_years = [y for y in result.years if not y.closed]
    for y in open_years:
        st.markdown(f"**Year {y.year}** · " + md(
            f"{y.first_month} to {y.last_month}, {y.months_observed} of its 12 months "
            f"counted"))
        _year_metrics(y, appetite, result.overage)
    if not open_years:
        st.caption(md(f"Every contract year is closed as of {result.as_of}: the table below "
                      "has what each consumed."))
    risks = [w for w in result.warnings if w.kind not in DATA_NOTES]
    st.markdown("**What to do**" if risks else "**What to do** · nothing: every open year "
                "is within the appetite and every workload on plan")
    for w in risks:
        st.warning(md(_sentence(w.message, w.workload is not None)))
    with st.container(horizontal=True, gap="medium", key="cp-burn"):
        for y in open_years:
            with st.container(key=f"cp-burn-{y.year}"):
                chart(charts.burn_down_chart(result, y.year, height=220))
    st.caption("The solid line is the consumption to date (at the discounted rate, cumulated "
               "over the year); from the as-of month on, the dashed line is the forecast's "
               "expectation and the band its P10 to P90. Ending above the red line, the year "
               "passes its commitment (overage); below it, the gap is paid anyway.")
    with st.container(key="cp-track-tables"):
        years_table(result)
        workloads_table(result)
    notes = [w for w in result.warnings if w.kind in DATA_NOTES]
    if notes:
        st.markdown("**About the data**")
    for w in notes:
        st.info(md(_sentence(w.message, w.workload is not None)))


def years_table(result: Tracking) -> None:
    table = result.summary()
    st.markdown(md(f"Contract years as of {result.as_of} · consumption at the discounted "
                   "rate against the commitment"))
    st.dataframe(pd.DataFrame({
        "year": table["year"],
        "shortfall": shares(table["shortfall_probability"]),
        "expected": money(table["expected_at_year_end"]),
        "spread": [f"{usd_short(a)}–{usd_short(b)}" for a, b in zip(table["p10"], table["p90"],
                                                                    strict=True)],
        "committed": money(table["committed"]),
        "consumed": money(table["consumed_to_date"]),
        "unused": money(table["expected_unused"]),
        "overage": money(table["expected_overage"]),
        "discount": shares(table["discount"]),
        "months": table["months"],
    }), hide_index=True, width="stretch", column_config={
        "year": st.column_config.NumberColumn("year", width=45, pinned=True),
        "shortfall": text_column("shortfall", width=70, help_text="chance the year ends "
                                 "below its commitment"),
        "expected": text_column("at year end", width=85, help_text="consumption expected at "
                                "the year's end"),
        "spread": text_column("P10–P90", width=115),
        "committed": text_column("committed", width=80),
        "consumed": text_column("to date", width=75, help_text="consumed to date"),
        "unused": text_column("unused", width=70, help_text="expected unused commitment"),
        "overage": text_column("overage", width=75, help_text="expected cost of usage "
                               "beyond the commitment"),
        "discount": text_column("disc.", width=50),
        "months": text_column("months", width="medium", right=False)})


def _known(value: float | None) -> bool:
    return value is not None and value == value  # None, or NaN in a pandas column: unknown


def _planned_observed(planned: float | None, observed: float | None) -> str:
    """``100% / 10%``; a share the files do not show is a dash."""
    return " / ".join(pct(v) if _known(v) else "–" for v in (planned, observed))


def _money_or_dash(value: float | None) -> str:
    return usd_short(value) if _known(value) else "–"  # type: ignore[arg-type]


def workloads_table(result: Tracking) -> None:
    table = result.workload_summary()
    lands = {w.name: w.lands for w in result.workloads}
    st.markdown(md(f"Workloads in {result.as_of} against the plan for that month · "
                   "planned / observed"))
    st.dataframe(pd.DataFrame({
        "workload": table["workload"],
        "status": table["status"],
        "extra": [usd_short(v) if v else "–" for v in table["extra_cost_per_month"]],
        "batch": [_planned_observed(p, o) for p, o in zip(
            table["batch_share_planned"], table["batch_share_observed"], strict=True)],
        "cache": [_planned_observed(p, o) for p, o in zip(
            table["cache_hit_rate_planned"], table["cache_hit_rate_observed"], strict=True)],
        "spend": [f"{_money_or_dash(p)} / {_money_or_dash(o)}" for p, o in zip(
            table["list_spend_planned"], table["list_spend_observed"], strict=True)],
        "lands": [lands[n] for n in table["workload"]],
        "models_planned": table["models_planned"].fillna("–"),
        "models_observed": table["models_observed"].fillna("–"),
    }), hide_index=True, width="stretch", column_config={
        "workload": st.column_config.TextColumn("workload", width=150, pinned=True),
        "status": text_column("status", width=80, right=False,
                              help_text="on plan (every lever within 5 points), behind, "
                                        "ahead, reverted (walked back), not observed"),
        "extra": text_column("extra / mo", width=80, help_text="what the observed levers "
                             "cost a month at list beyond the plan's, at the observed volume"),
        "batch": text_column("batch", width=90, help_text="batch share, planned / observed "
                             "(– : the files do not show it)"),
        "cache": text_column("cache hits", width=90, help_text="cache hit rate, planned / "
                             "observed"),
        "spend": text_column("list spend", width=125, help_text="the month's list spend, "
                             "planned / observed"),
        "lands": text_column("move lands", width=85, help_text="the month the plan's move is "
                             "fully in place"),
        "models_planned": text_column("models planned", width=250, right=False),
        "models_observed": text_column("models observed", width=250, right=False)})


def tracking_downloads(result: Tracking, scenario_json: str, paths: int, seed: int) -> None:
    """The tracking PDF and the contract in FOCUS 1.3, built on click."""
    stem = "".join(ch if ch.isalnum() else "-" for ch in result.scenario_name.lower())
    stem = stem.strip("-")[:60] or "scenario"

    def pdf() -> bytes:
        from forecast.report import render_tracking_pdf  # reportlab loads on the first export

        return render_tracking_pdf(result)

    st.markdown("**For finance** · the tracking page, and the contract in the FinOps FOCUS "
                "1.3 Contract Commitment shape with the monthly projection beside it")
    with st.container(horizontal=True, gap="small", key="cp-track-downloads"):
        st.download_button(
            "Tracking PDF", pdf, file_name=f"{stem}-tracking-{result.as_of}.pdf",
            mime="application/pdf", icon=":material/download:",
            help="The burn-down per open year, the shortfall risk, the workloads behind plan "
                 "and what to do (built on click).")
        st.download_button(
            "FOCUS export (zip)", lambda: cache.focus_files(scenario_json, paths,
                                                            seed)["focus.zip"],
            file_name=f"{stem}-focus.zip", mime="application/zip",
            icon=":material/folder_zip:",
            help="contract_commitment.csv (one row per contract year, FOCUS 1.3) and "
                 "projection.csv (per month: expected list and contracted cost, P10, P90, "
                 "shortfall probability, stranded savings as x_ columns).")


# --------------------------------------------------------------------------- savings
def savings(plan: Plan) -> None:
    left, right = st.columns(2)
    with left:
        chart(charts.shapley_chart(plan.projection, height=180))
    with right:
        chart(charts.waterfall_chart(plan.projection, height=180))
    st.caption("The levers multiply: routing sets the base price, caching cuts the repeated "
               "input, batch halves what is left. A sequential waterfall credits the first "
               "lever with more; the Shapley split averages each lever over all six orders, "
               "so it does not depend on one. Deterministic projection over the horizon.")
    summary = plan.projection.attribution.summary()
    st.dataframe(pd.DataFrame({
        "lever": summary["lever"].astype(str),
        "shapley_saving": money(summary["shapley_saving"]),
        "shapley_share": shares(summary["shapley_share"]),
        "waterfall_saving": money(summary["waterfall_saving"]),
    }), hide_index=True, column_config={
        "lever": text_column("lever", right=False),
        "shapley_saving": text_column("Shapley saving"),
        "shapley_share": text_column("share"),
        "waterfall_saving": text_column("waterfall step")})


# --------------------------------------------------------------------------- workloads
def workloads_summary(plan: Plan) -> None:
    months = plan.scenario.horizon_months
    st.markdown("**Workloads in migration order**: largest monthly saving first; money over "
                f"the {months}-month horizon (deterministic projection).")
    frame = plan.projection.summary().sort_values("migration_order")
    st.dataframe(pd.DataFrame({
        "order": frame["migration_order"],
        "workload": frame["workload"],
        "saving_per_month": money(frame["saving_per_month"]),
        "saving": money(frame["saving"]),
        "current": money(frame["current_total"]),
        "optimized": money(frame["optimized_total"]),
        "waiting": frame["waiting"],
        "eligible": shares(frame["batch_eligible_share"]),
    }), hide_index=True, width="stretch", column_config={
        "order": st.column_config.NumberColumn("#", width="small"),
        "workload": name_column("workload"),
        "saving_per_month": text_column("saving / mo"),
        "saving": text_column("saving"),
        "current": text_column("current"),
        "optimized": text_column("optimized"),
        "waiting": text_column("waiting", right=False),
        "eligible": text_column("batchable", help_text="batch-eligible share (waiting test)")})
    for warning in plan.projection.warnings:
        st.warning(md(warning))


_FORMATS: dict[edits.CellKind, str] = {
    edits.CellKind.COUNT: "localized", edits.CellKind.SHARE: "percent",
    edits.CellKind.MONTHS: "%d", edits.CellKind.MINUTES: "%d", edits.CellKind.RATE: "%.3f",
}


def editor_column(column: edits.Column) -> Any:
    """The editor's column for one entry of ``ui.edits.COLUMNS``: its kind decides."""
    if column.kind == edits.CellKind.CHOICE:
        return st.column_config.SelectboxColumn(column.label, help=column.help,
                                                options=list(column.options), width="small")
    if column.kind in (edits.CellKind.TEXT, edits.CellKind.MODELS):
        return st.column_config.TextColumn(
            column.label, help=column.help, width="medium",
            pinned=column.kind == edits.CellKind.TEXT)
    return st.column_config.NumberColumn(column.label, help=column.help, width="small",
                                         format=_FORMATS[column.kind])


def workloads_editor(origin: dict[str, Any], key: str) -> None:
    """The workloads table, drawn on every run (even behind another tab) so that its edits
    are kept; what it holds is read from its state by ``ui.edits.apply_table_edits``."""
    st.markdown("**Edit workloads** · one row per workload; the lever columns are the "
                "optimized target. Edits are checked like a scenario file.")
    st.data_editor(
        edits.workloads_frame(origin), key=key, num_rows="dynamic", hide_index=True,
        width="stretch", height=min(38 + 35 * (len(origin["workloads"]) + 1), 420),
        placeholder="", column_config={c.key: editor_column(c) for c in edits.COLUMNS})


# --------------------------------------------------------------------------- sensitivity
def sensitivity(entry: Entry, plan: Plan, scenario_json: str, paths: int, seed: int,
                compute: Callable[[], list[Any]]) -> None:
    done_json, done_rows = entry.tornado or (None, None)
    fresh = done_json == scenario_json
    if fresh and done_rows is None:
        with st.spinner(f"Re-simulating 13 times at {min(SENSITIVITY_PATHS, paths):,} "
                        "paths…"):
            done_rows = compute()
        entry.tornado = (scenario_json, done_rows)
    if not fresh:
        st.button("Compute the tornado" if done_rows is None else
                  "Recompute for the current settings", type="primary",
                  on_click=_ask_tornado, args=(entry, scenario_json),
                  help=f"13 re-simulations at {SENSITIVITY_PATHS:,} paths: a few seconds.")
    st.caption("Which assumption moves the commitment most: each set to a low and a high "
               "value with everything else as it is, re-simulated with the same seed. "
               "Measured on the risk-bounded commitment, which moves continuously (the "
               "recommended one often sits on a tier edge: its value at low and high is in the "
               "table).")
    if not done_rows:
        return
    if not fresh:
        st.caption("Computed before your latest change.")
    chart(charts.tornado_chart(done_rows, height=30 * len(done_rows) + 20))
    st.dataframe(pd.DataFrame({
        "assumption": [r.assumption for r in done_rows],
        "low": [r.low_label for r in done_rows],
        "high": [r.high_label for r in done_rows],
        "at_low": money([r.low for r in done_rows]),
        "at_high": money([r.high for r in done_rows]),
        "swing": money([r.swing for r in done_rows]),
        "rec_low": money([r.recommended_low for r in done_rows]),
        "rec_high": money([r.recommended_high for r in done_rows]),
    }), hide_index=True, width="stretch", column_config={
        "assumption": name_column("assumption"),
        "low": text_column("low", right=False), "high": text_column("high", right=False),
        "at_low": text_column("bounded, low", help_text="risk-bounded commitment a year "
                              "at the low value"),
        "at_high": text_column("bounded, high", help_text="risk-bounded commitment a year "
                               "at the high value"),
        "swing": text_column("swing"),
        "rec_low": text_column("rec., low", help_text="recommended commitment a year at the "
                               "low value"),
        "rec_high": text_column("rec., high", help_text="recommended commitment a year at "
                                "the high value")})


def _ask_tornado(entry: Entry, scenario_json: str) -> None:
    entry.tornado = (scenario_json, None)


# --------------------------------------------------------------------------- compare
def _on_variants(store: ScenarioStore) -> None:
    source = store.active
    made = store.add_variants(source, {name: edit for name, (edit, _why)
                                       in edits.STANDARD_VARIANTS.items()})
    st.session_state.compare = [source, *made]


def compare(store: ScenarioStore, plan_for: PlanFor) -> None:
    st.button("Add conservative, aggressive-batch and walk-back variants of this scenario",
              on_click=_on_variants, args=(store,),
              help="; ".join(f"{name}: {why}" for name, (_edit, why)
                             in edits.STANDARD_VARIANTS.items()))
    names = store.names
    if "compare" not in st.session_state or any(n not in names for n in
                                                st.session_state.compare):
        st.session_state.compare = [n for n in st.session_state.get("compare", [store.active])
                                    if n in names]
    chosen = st.multiselect("Scenarios side by side", names, key="compare")
    compared: list[tuple[str, Plan]] = []
    with st.spinner("Simulating the scenarios compared…"):
        for name in chosen:
            compared.append((name, plan_for(Scenario.model_validate(
                store.entries[name].effective))))
    if len(compared) >= 2:
        chart(charts.comparison_chart(compared, width="container"))
    else:
        st.caption("Pick two or more scenarios: save variants from the sidebar, or add the "
                   "standard ones with the button above.")
    if not compared:
        return
    recs = [p.recommendation for _, p in compared]
    st.dataframe(pd.DataFrame({
        "scenario": [short_name(name) for name, _ in compared],
        "recommended": [usd_short(p.recommendation.recommended.annual_commit,
                                  tier_edges(p.scenario.contract)) for _, p in compared],
        "expected_cost": money([r.recommended.expected_cost for r in recs]),
        "saving": money([r.recommended.saving_vs_today for r in recs]),
        "stranded": money([r.recommended.stranded_savings for r in recs]),
        "flag": [str(r.recommended.colour) for r in recs],
        "risk_neutral": [usd_short(p.recommendation.risk_neutral.annual_commit,
                                   tier_edges(p.scenario.contract)) for _, p in compared],
        "risk_bounded": [usd_short(p.recommendation.risk_bounded.annual_commit,
                                   tier_edges(p.scenario.contract)) for _, p in compared],
    }), hide_index=True, width="stretch", column_config={
        "scenario": name_column("scenario", "shortened to fit: the full names are in the "
                                "chart's legend and tooltips"),
        "recommended": text_column("rec. / yr", help_text="recommended commitment a year"),
        "expected_cost": text_column("cost", help_text="expected cost over the term"),
        "saving": text_column("saving", help_text=SAVING_LABEL),
        "stranded": text_column("stranded", help_text="stranded savings over the term"),
        "flag": text_column("colour", right=False),
        "risk_neutral": text_column("neutral / yr"),
        "risk_bounded": text_column("bounded / yr")})


# --------------------------------------------------------------------------- files
def _on_delete(store: ScenarioStore, name: str) -> None:
    store.delete(name)
    st.session_state.picker = store.active
    store.notice = f"Deleted “{name}”."


def files(store: ScenarioStore, scenario: Scenario, plan: Plan, scenario_json: str,
          paths: int, seed: int) -> None:
    """Downloads of the scenario, and the workspace: what it keeps, delete, archive."""
    stem = "".join(ch if ch.isalnum() else "-" for ch in scenario.name.lower()).strip("-")
    stem = stem[:60] or "scenario"
    entry = store.current
    with st.container(horizontal=True, gap="small"):
        st.download_button("Scenario (YAML)", dump_scenario(scenario),
                           file_name=f"{stem}.yaml", mime="application/x-yaml",
                           icon=":material/download:")
        st.download_button(
            "Monthly projection (CSV)",
            lambda: plan.projection.monthly_frame().to_csv(index=False, float_format="%.2f"),
            file_name=f"{stem}-monthly.csv", mime="text/csv", icon=":material/download:")
        done_json, done_rows = entry.tornado or (None, None)
        known_rows = done_rows if done_json == scenario_json else None

        def internal_pdf() -> bytes:
            """Built on click, on another thread: no Streamlit calls in here."""
            from forecast.report import render_pdf  # reportlab loads on the first export

            rows = known_rows if known_rows is not None else tornado(
                scenario, plan.book, paths=min(SENSITIVITY_PATHS, paths), seed=seed,
                anchor=plan.recommendation.risk_bounded.annual_commit)
            return render_pdf(cache.pdf_plan(plan, rows))

        def vendor_pdf() -> bytes:
            """The copy for the other side of the table: no tornado in it."""
            from forecast.report import render_pdf

            return render_pdf(cache.pdf_plan(plan, []), audience=Audience.VENDOR)

        st.download_button(
            "Negotiation PDF (internal)", internal_pdf, file_name=f"{stem}.pdf",
            mime="application/pdf", icon=":material/download:",
            help="Your copy: everything, the position and the sensitivity tornado (built on "
                 "click, a few seconds).")
        st.download_button(
            "Copy for the vendor (PDF)", vendor_pdf, file_name=f"{stem}-for-vendor.pdf",
            mime="application/pdf", icon=":material/download:",
            help="The ask and its evidence (usage, the optimization plan and its timeline); "
                 "nothing of your appetite, walk-away, alternative, cost curve or risk "
                 "tables.")

    workspace(store)
    if entry.record is not None:
        with st.expander("Import report"):
            import_report(entry.record)
    st.caption("The YAML holds every edit and portfolio lever on this page: load it again "
               "with the uploader, or run it with `commitplan`.")
    st.code(dump_scenario(scenario), language="yaml", height=420)


_KIND_WORDS = {EntryKind.UPLOAD: "uploaded", EntryKind.IMPORT: "imported",
               EntryKind.VARIANT: "variant"}


def workspace(store: ScenarioStore) -> None:
    st.markdown("**Workspace** · every upload, import and saved variant, kept on this "
                "machine and listed again after a reload")
    if store.workspace is None:
        st.caption("No workspace: scenarios are kept for this session only.")
        return
    st.caption(md(f"Folder: {store.workspace.folder}"))
    made = [e for e in store.entries.values() if e.kind is not None]
    if not made:
        st.caption("Nothing kept yet: upload a scenario, import usage or save a variant.")
    for e in made:
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            where = "kept" if e.kept else "this session only"
            source = f" from {e.source}" if e.source else ""
            st.markdown(f"{md(e.name)} · :gray[{md(_KIND_WORDS[e.kind] + source)}, "
                        f"{md(where)}]", width="stretch")
            st.button("Delete", key=f"delete|{e.name}", icon=":material/delete:",
                      on_click=_on_delete, args=(store, e.name), type="tertiary")
    for bad in store.unreadable:
        st.warning(md(f"{bad.file} in the workspace could not be read: {bad.problem}"))
    st.download_button("Download the workspace (zip)", store.workspace.archive,
                       file_name="commitplan-workspace.zip", mime="application/zip",
                       icon=":material/folder_zip:")


# --------------------------------------------------------------------------- imports
def import_report(record: ImportRecord) -> None:
    """Months covered, tokens and cost per group, fitted growth with its interval,
    warnings."""
    st.markdown(md(f"Months: {record.months}; volumes and levers from {record.level_month}. "
                   f"Files: {', '.join(record.files)}."))
    st.markdown(md(f"Fitted growth of the total: {pct(record.total_growth, 1)} a month "
                   f"(95% interval {pct(record.total_low, 1)} to {pct(record.total_high, 1)}), "
                   f"volatility {pct(record.total_volatility, 1)}."))
    st.dataframe(pd.DataFrame({
        "group": [g.group for g in record.groups],
        "months": [g.months for g in record.groups],
        "tokens": [f"{g.tokens:,.0f}" for g in record.groups],
        "list_cost": money([g.list_cost for g in record.groups]),
        "level_cost": money([g.level_cost for g in record.groups]),
        "growth": [pct(g.growth, 1) for g in record.groups],
        "interval": ["not fitted" if g.growth_low is None else
                     f"{pct(g.growth_low, 1)} to {pct(g.growth_high or 0.0, 1)}"
                     for g in record.groups],
        "volatility": [pct(g.volatility, 1) for g in record.groups],
        "waiting": [g.waiting for g in record.groups],
    }), hide_index=True, width="stretch", column_config={
        "group": name_column("group"),
        "months": st.column_config.NumberColumn("months", width="small"),
        "tokens": text_column("tokens", help_text="all token classes over the months used"),
        "list_cost": text_column("list cost", help_text="over the months used"),
        "level_cost": text_column(f"in {record.level_month}"),
        "growth": text_column("growth / mo"),
        "interval": text_column("95% interval", width="medium"),
        "volatility": text_column("volatility"),
        "waiting": text_column("waiting", right=False)})
    for warning in record.warnings:
        st.warning(md(warning))
    with st.expander("The importer's full report"):
        st.code(record.report, language=None)


def _on_close_guide(entry: Entry) -> None:
    entry.guide_closed = True


def _to_workloads() -> None:
    st.session_state.view = "Workloads"


def import_guide(entry: Entry, scenario: Scenario, levers_moved: bool) -> None:
    """Under the headline of an imported scenario: its report and the next step."""
    if entry.kind != EntryKind.IMPORT or entry.guide_closed:
        return
    steps = next_steps(scenario, levers_moved)
    with st.container(border=True, key="cp-guide"):
        done = sum(s.done for s in steps)
        st.markdown(f"**Next step** ({done} of {len(steps)} done): this scenario is today's "
                    "usage; nothing is optimized yet and the contract has no tiers until you "
                    "set them. The answer above updates as you do.")
        items = "".join(
            f'<li class="{"cp-done" if s.done else ""}">{"✓ " if s.done else ""}'
            f"<b>{html_text(s.title)}</b>: {html_text(s.how)}</li>" for s in steps)
        st.html(f'<ol class="cp-next">{items}</ol>')
        with st.container(horizontal=True, gap="small"):
            st.button("Open the Workloads table", on_click=_to_workloads,
                      icon=":material/table:")
            st.button("Hide this", on_click=_on_close_guide, args=(entry,), type="tertiary")
        if entry.record is not None:
            with st.expander("Import report: months, tokens and cost per group, growth"):
                import_report(entry.record)


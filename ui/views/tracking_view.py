"""The Tracking tab: usage uploads, the as-of month, figures per open year, what to do,
burn-downs, the years and workloads tables, the tracking PDF and the FOCUS zip.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from forecast import PlannerError, Scenario, charts
from forecast.formatting import pct, usd, usd_short
from forecast.tracking import WarningKind, has_signed_contract
from forecast.types import Overage
from forecast.usage.months import month_offset, months_between
from ui import cache
from ui.state import ScenarioStore
from ui.text import md
from ui.uploads import USAGE_MAX_MB, UploadError, check_usage_upload
from ui.views.common import chart, money, shares, text_column
from ui.workspace import UsageFile

if TYPE_CHECKING:
    from forecast import Tracking
    from forecast.tracking import YearTrack


log = logging.getLogger("ui.views")


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
        # The as-of month is part of the working copy: a reload comes back to it.
        entry = store.current
        as_of_key = store.key(f"as_of|{usage_key}")
        if as_of_key not in st.session_state or st.session_state[as_of_key] not in months:
            st.session_state[as_of_key] = entry.as_of if entry.as_of in months else months[0]
        with slot:
            as_of = st.selectbox(
                "As of (the last month counted)", months, key=as_of_key,
                format_func=lambda m: f"{m} (the last full month)" if m == months[0] else m,
                help="Usage after it is left out and forecast instead: how the contract "
                     "looked at the end of an earlier month.")
        entry.as_of = None if as_of in (None, latest.as_of) else as_of
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
        from forecast import render_tracking_pdf  # reportlab loads on the first export

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

"""The Commitment tab: the options side by side, any commitment's savings bridge.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from forecast import CommitmentResult, Contract, Plan, charts, narrative
from forecast.contract import tier_edges
from forecast.formatting import pct, usd_short
from forecast.plan import SAVING_LABEL
from forecast.types import COMMITMENT_LABELS, CommitmentKind
from ui import headline
from ui.text import md
from ui.views.common import chart, money, shares, text_column


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

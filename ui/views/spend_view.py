"""The Spend tab: the fan chart of monthly spend and the commitment options.
"""

from __future__ import annotations

import streamlit as st

from forecast import CommitmentResult, Plan
from forecast.types import COMMITMENT_LABELS
from ui import cache


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

"""The Sensitivity tab: the tornado, computed on request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from forecast import Plan, charts
from forecast.formatting import usd
from forecast.sensitivity import SENSITIVITY_PATHS
from ui.state import Entry
from ui.views.common import chart, money, name_column, text_column


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
               "Measured on the recommended commitment, the headline's (it often sits on a tier "
               "edge and moves in steps: the risk-bounded one, which moves continuously, is in "
               "the table).")
    if not done_rows:
        return
    if not fresh:
        st.caption("Computed before your latest change.")
    if not charts.tornado_moves_recommended(done_rows):
        st.caption(f"No assumption moves the recommended commitment "
                   f"({usd(done_rows[0].recommended_base)} a year): the chart draws the "
                   "risk-bounded one, the room each assumption leaves within your appetite.")
    chart(charts.tornado_chart(done_rows, height=30 * len(done_rows) + 20))
    st.dataframe(pd.DataFrame({
        "assumption": [r.assumption for r in done_rows],
        "low": [r.low_label for r in done_rows],
        "high": [r.high_label for r in done_rows],
        "at_low": money([r.recommended_low for r in done_rows]),
        "at_high": money([r.recommended_high for r in done_rows]),
        "swing": money([r.recommended_swing for r in done_rows]),
        "bounded_low": money([r.low for r in done_rows]),
        "bounded_high": money([r.high for r in done_rows]),
    }), hide_index=True, width="stretch", column_config={
        "assumption": name_column("assumption"),
        "low": text_column("low", right=False), "high": text_column("high", right=False),
        "at_low": text_column("rec., low", help_text="recommended commitment a year at the "
                              "low value"),
        "at_high": text_column("rec., high", help_text="recommended commitment a year at "
                               "the high value"),
        "swing": text_column("swing"),
        "bounded_low": text_column("bounded, low", help_text="risk-bounded commitment a "
                                   "year at the low value"),
        "bounded_high": text_column("bounded, high", help_text="risk-bounded commitment a "
                                    "year at the high value")})


def _ask_tornado(entry: Entry, scenario_json: str) -> None:
    entry.tornado = (scenario_json, None)

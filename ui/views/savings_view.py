"""The Savings tab: savings by lever.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from forecast import Plan, charts
from ui.views.common import chart, money, shares, text_column


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

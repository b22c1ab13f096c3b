"""The Compare tab: the scenario beside its standard variants.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from forecast import Plan, Scenario, charts
from forecast.contract import tier_edges
from forecast.formatting import usd_short
from forecast.plan import SAVING_LABEL
from ui import edits
from ui.state import ScenarioStore
from ui.views.common import PlanFor, chart, money, name_column, short_name, text_column


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

"""Commitment Planner: the Streamlit face (placeholder until the planner page lands)."""

from pathlib import Path

import streamlit as st

from forecast.formatting import usd
from forecast.pricebook import load_price_book
from forecast.projection import project
from forecast.scenario import load_scenario

EXAMPLE = Path(__file__).parent / "scenarios" / "enterprise-portfolio.yaml"

st.set_page_config(page_title="Commitment Planner", layout="wide")
scenario = load_scenario(EXAMPLE)
projection = project(scenario, load_price_book(scenario.price_book))
st.title("Commitment Planner")
st.caption(f"{scenario.name}: optimize, then commit.")
a = projection.attribution
st.metric("Current path, horizon", usd(a.current_total))
st.metric("Optimized path, horizon", usd(a.optimized_total))
st.dataframe(projection.summary(), hide_index=True)

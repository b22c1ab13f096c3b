"""The import report and the guide to what an imported scenario still needs.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from forecast import Scenario
from forecast.formatting import pct
from ui.importing import ImportRecord, next_steps
from ui.state import Entry
from ui.text import html_text, md
from ui.views.common import money, name_column, text_column
from ui.workspace import EntryKind


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
        "tokens": text_column("tokens", width="medium",
                              help_text="all token classes over the months used"),
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
        if done == len(steps):
            st.markdown(f"**Every step done** ({done} of {len(steps)}): the answer above is "
                        "the plan as you set it; it updates as you change it.")
        else:
            left = [s.title.lower() for s in steps if not s.done]
            st.markdown(f"**Next step** ({done} of {len(steps)} done): this scenario starts "
                        f"as today's usage; {md(' and '.join(left))} to plan from it. The "
                        "answer above updates as you do.")
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

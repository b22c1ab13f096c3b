"""The Workloads tab: the summary per workload and the workloads table driven by its
column table.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from forecast import Plan
from ui import edits
from ui.text import md
from ui.views.common import money, name_column, shares, text_column


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

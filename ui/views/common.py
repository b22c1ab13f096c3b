"""What every tab uses: a chart at its container's width, money and share columns, names
shortened for a table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from forecast import Plan, Scenario
from forecast.formatting import pct, usd_short

PlanFor = Callable[[Scenario], Plan]


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

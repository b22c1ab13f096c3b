"""Commitment Planner: size a Claude API spend commitment on the optimized baseline.

Optimize, then commit: the library projects monthly consumption under optimization paths
(batch share, cache hit rate, model routing), simulates its uncertainty, evaluates
commitment sizes against it and flags savings a commitment would strand.

The names below load on first use, so that ``commitplan`` starts without pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "PlannerError": "forecast.errors",
    "ScenarioError": "forecast.errors",
    "PriceBookError": "forecast.errors",
    "PriceBook": "forecast.pricebook",
    "load_price_book": "forecast.pricebook",
    "Scenario": "forecast.scenario",
    "load_scenario": "forecast.scenario_io",
    "save_scenario": "forecast.scenario_io",
    "Projection": "forecast.projection",
    "project": "forecast.projection",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'forecast' has no attribute {name!r}")

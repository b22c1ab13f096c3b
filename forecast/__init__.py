"""Commitment Planner: size a Claude API spend commitment on the optimized baseline.

Optimize, then commit: the library projects monthly consumption under optimization paths
(batch share, cache hit rate, model routing), simulates its uncertainty, evaluates
commitment sizes against it and flags savings a commitment would strand.

The public API is the names below (the faces import from here): the scenario and its files,
the forecast, the commitment, the recommendation, the negotiation desk, ``build_plan`` (one
call for every face), tracking after signing, usage history and the exports. They load on
first use, so that ``commitplan`` starts without pandas. No name here is also the name of a
module of the package (``forecast.backtest`` is one): once that module is loaded,
``from forecast import name`` would give the module.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

# One BLAS thread, unless the environment says otherwise (read when numpy is first
# imported, so it holds when forecast comes first). The engine's matrix products are many
# small ones (months x months per workload, a block of paths); a second OpenBLAS thread
# only spins: measured on the enterprise plan at 10,000 paths with the tornado, load 8-10
# on 2 cores, 0.69-1.24 s wall and 0.47 s CPU with one thread against 1.2-5.9 s wall and
# 0.8-3.6 s CPU with the default two (docs/performance.md).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

_EXPORTS = {
    # errors: a user's input, exit status 2 in the CLI
    "PlannerError": "forecast.errors",
    "ScenarioError": "forecast.errors",
    "PriceBookError": "forecast.errors",
    "ImportUsageError": "forecast.errors",
    # price books
    "PriceBook": "forecast.pricebook",
    "load_price_book": "forecast.pricebook",
    # the scenario and its files
    "Scenario": "forecast.scenario",
    "Contract": "forecast.scenario",
    "Workload": "forecast.scenario",
    "scenario_to_dict": "forecast.scenario",
    "load_scenario": "forecast.scenario_io",
    "save_scenario": "forecast.scenario_io",
    "read_scenario_text": "forecast.scenario_io",
    "parse_scenario": "forecast.scenario_io",
    "dump_scenario": "forecast.scenario_io",
    "scenario_price_book": "forecast.scenario_io",
    # the forecast
    "Projection": "forecast.projection",
    "project": "forecast.projection",
    "Simulation": "forecast.simulation",
    "simulate": "forecast.simulation",
    # commitments, the recommendation, the negotiation desk
    "YearlyUsage": "forecast.contract",
    "CommitmentResult": "forecast.commitment",
    "evaluate_commitment": "forecast.commitment",
    "Recommendation": "forecast.recommendation",
    "recommend": "forecast.recommendation",
    "Position": "forecast.negotiation",
    "OfferResult": "forecast.negotiation",
    "WalkAway": "forecast.negotiation",
    "negotiate": "forecast.negotiation",
    "SensitivityRow": "forecast.sensitivity",
    "tornado": "forecast.sensitivity",
    # the one decision and when to sign
    "Decision": "forecast.decision",
    "decide": "forecast.decision",
    "WhenToSign": "forecast.signing",
    # one call for every face
    "Plan": "forecast.plan",
    "Flag": "forecast.plan",
    "build_plan": "forecast.plan",
    # after signing
    "Tracking": "forecast.tracking",
    "track": "forecast.tracking",
    "track_usage": "forecast.tracking",
    "read_usage_to_date": "forecast.tracking",
    # usage history, backtests, exports
    "UsageImport": "forecast.usage",
    "import_usage": "forecast.usage",
    "price_history": "forecast.usage",
    "Backtest": "forecast.backtest",
    # `backtest` the function is not exported: once the submodule forecast.backtest is
    # imported, Python binds that name to the module, which would shadow a lazy export.
    "FocusExport": "forecast.focus",
    "focus_export": "forecast.focus",
    "write_focus": "forecast.focus",
    "render_pdf": "forecast.report",
    "write_pdf": "forecast.report",
    "render_tracking_pdf": "forecast.report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'forecast' has no attribute {name!r}")

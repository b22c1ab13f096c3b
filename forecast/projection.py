"""Deterministic projection: monthly list spend on the current and optimized paths.

The projection is the central case, and the simulation's mean: every effect that shifts the
mean rather than spreading it is in it, in closed form or as an exact finite sum
(docs/model.md, "Projection"):

- expected volume growth and token drift, times the launch probability, times
  ``exp(sd^2 n^2 / 2)`` for the growth fit's standard error sd after n months;
- the expected list-price level ``(1 - q mu)^(t - 1)`` under price cuts;
- the expected unit cost along the ramp: the unit cost is a cubic in the fraction in place
  x = realization * ramp fraction at the slipped landing month, so its mean needs
  ``E[x^k]`` for k up to 3 (Beta moments times a finite sum over the Poisson slip), less the
  batch lever's part on the share of gray workloads walked back by each month.

With every spread at zero (no volatility, realization sd, slip, walk-back, growth-fit
error, price cuts or launch risk) every simulated path equals it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from forecast.attribution import WATERFALL_ORDER, Attribution, attribute, coalition_unit_cost
from forecast.cost import caching_warnings, corner_costs_by_month
from forecast.pricebook import PriceBook
from forecast.scenario import Scenario
from forecast.timeline import (
    RampMoments,
    expected_price_level,
    expected_volume,
    month_labels,
    ramp_moments,
    workload_vectors,
)

if TYPE_CHECKING:
    import pandas as pd

from forecast.types import LEVERS, FloatArray
from forecast.waiting import WaitingResult, waiting_test


@dataclass(frozen=True)
class Projection:
    """Monthly list spend of a scenario on both paths.

    Attributes
    ----------
    months : list of str
        ``YYYY-MM`` labels, length n_months.
    workloads : list of str
        Workload names, length n_workloads.
    current, optimized : ndarray of shape (n_months, n_workloads)
        Expected list spend in USD per month and workload.
    ramp : ndarray of shape (n_months, n_workloads)
        Expected fraction of each workload's planned change in place, ``E[x]``.
    moments : RampMoments
        ``E[x^k]`` and ``E[x^k J]``, k = 1..3, that the expected unit cost is made of.
    price_level : ndarray of shape (n_months,)
        Expected list-price level (1.0 = the book's prices).
    """

    scenario_name: str
    price_book: str
    months: list[str]
    workloads: list[str]
    current: FloatArray
    optimized: FloatArray
    ramp: FloatArray
    moments: RampMoments
    price_level: FloatArray
    waiting: list[WaitingResult]
    attribution: Attribution
    warnings: list[str] = field(default_factory=list)

    @property
    def current_total(self) -> FloatArray:
        """ndarray of shape (n_months,): current-path spend per month."""
        return self.current.sum(axis=1)

    @property
    def optimized_total(self) -> FloatArray:
        """ndarray of shape (n_months,): optimized-path spend per month."""
        return self.optimized.sum(axis=1)

    def monthly_frame(self) -> pd.DataFrame:
        """Long table: one row per month and workload, with both paths and the saving."""
        import pandas as pd

        n_m, n_w = self.current.shape
        return pd.DataFrame({
            "month": np.repeat(self.months, n_w),
            "workload": np.tile(self.workloads, n_m),
            "current": self.current.ravel(),
            "optimized": self.optimized.ravel(),
            "saving": (self.current - self.optimized).ravel(),
        })

    def summary(self) -> pd.DataFrame:
        """One row per workload: waiting class, eligible batch share, totals, saving, rank."""
        import pandas as pd

        cur = self.current.sum(axis=0)
        opt = self.optimized.sum(axis=0)
        frame = pd.DataFrame({
            "workload": self.workloads,
            "waiting": [str(w.waiting) for w in self.waiting],
            "batch_eligible_share": [w.batch_eligible_share for w in self.waiting],
            "current_total": cur,
            "optimized_total": opt,
            "saving": cur - opt,
            "saving_per_month": self.attribution.saving_per_month,
        })
        frame["migration_order"] = self.attribution.migration_order
        return frame


def project(scenario: Scenario, book: PriceBook) -> Projection:
    """Project expected monthly list spend on the current and optimized paths.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    book : PriceBook
        The book that prices it (``load_price_book(scenario.price_book)``).
    """
    corners, retirements = corner_costs_by_month(scenario, book)
    level = expected_price_level(scenario)
    volume = expected_volume(scenario) * level[:, None]  # (months, W)
    moments = ramp_moments(scenario)
    current = volume * corners.current
    optimized = volume * coalition_unit_cost(corners, moments, frozenset(LEVERS))
    v = workload_vectors(scenario)
    waiting = waiting_test(scenario)
    warnings = ([w.warning for w in waiting if w.warning] + caching_warnings(scenario, book)
                + [r.message() for r in retirements])
    return Projection(
        scenario_name=scenario.name,
        price_book=book.id,
        months=month_labels(scenario),
        workloads=[w.name for w in scenario.workloads],
        current=current,
        optimized=optimized,
        ramp=moments.x[0],
        moments=moments,
        price_level=level,
        waiting=waiting,
        attribution=attribute(corners, volume, moments,
                              v["volume"] * v["launch_probability"]),
        warnings=warnings,
    )


def projection_to_dict(projection: Projection, book: PriceBook) -> dict:
    """The projection as JSON-ready data (the ``commitplan project --json`` document)."""
    attribution = projection.attribution
    cur_total = float(projection.current.sum())
    opt_total = float(projection.optimized.sum())
    return {
        "scenario": projection.scenario_name,
        "price_book": {"id": book.id, "effective_date": book.effective_date.isoformat()},
        "months": projection.months,
        "current": {"total": cur_total, "monthly": projection.current_total.tolist()},
        "optimized": {"total": opt_total, "monthly": projection.optimized_total.tolist()},
        "saving": {"total": cur_total - opt_total,
                   "share": (cur_total - opt_total) / cur_total if cur_total else 0.0},
        "workloads": [
            {
                "name": name,
                "waiting": str(wt.waiting),
                "batch_eligible_share": wt.batch_eligible_share,
                "planned_batch_share": wt.planned_batch_share,
                "current_total": float(projection.current[:, i].sum()),
                "optimized_total": float(projection.optimized[:, i].sum()),
                "saving_per_month": float(attribution.saving_per_month[i]),
                "migration_order": int(attribution.migration_order[i]),
                "shapley": {
                    str(lv): float(attribution.shapley_by_workload[i, j])
                    for j, lv in enumerate(LEVERS)
                },
            }
            for i, (name, wt) in enumerate(zip(projection.workloads, projection.waiting,
                                              strict=True))
        ],
        "attribution": {
            "shapley": {str(lv): value for lv, value in attribution.shapley.items()},
            "waterfall": [{"lever": str(lv), "saving": value}
                          for lv, value in attribution.waterfall],
            "waterfall_order": [str(lv) for lv in WATERFALL_ORDER],
            "note": "levers multiply; Shapley shares average each lever's marginal saving "
                    "over the 6 orders, so they do not depend on an order",
        },
        "warnings": projection.warnings,
    }

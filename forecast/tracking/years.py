"""Year figures and the burn-down of a tracked contract: consumption at the discounted rate
against the commitment per contract year (to date, expected at year end, P10/P90, shortfall
probability, unused, overage) and cumulative consumption within each year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast.contract import discount_for, evaluate, yearly
from forecast.scenario import Contract
from forecast.tracking.months import _label
from forecast.tracking.results import YearTrack
from forecast.types import FloatArray


@dataclass(frozen=True)
class YearFigures:
    """The year figures and what the warnings read of them.

    Attributes
    ----------
    years : list of YearTrack
        One per contract year.
    outcome : object
        The contract evaluated on the paths (:func:`forecast.contract.evaluate`).
    list_years, consumed, consumed_frozen : ndarray, shape (n_paths, years)
        List spend per year; consumption at the discounted rate with the plan's remaining
        moves and with every lever frozen as observed.
    discount : ndarray, shape (years,)
        The discount each year's commitment earns.
    """

    years: list[YearTrack]
    outcome: Any
    list_years: FloatArray
    consumed: FloatArray
    consumed_frozen: FloatArray
    discount: FloatArray


def year_figures(contract: Contract, per_year: FloatArray, monthly: FloatArray,
                 monthly_frozen: FloatArray, observed_list: FloatArray, t_a: int, start: str
                 ) -> YearFigures:
    """Per contract year, from list spend per month on every path, shape (n_paths, term),
    and the observed list spend per month to the as-of month ``t_a``, shape (t_a,)."""
    n_years = contract.years
    list_years = yearly(monthly, n_years)  # (n_paths, years)
    outcome = evaluate(contract, list_years, per_year)
    discount = discount_for(contract, per_year)
    consumed = (1.0 - discount) * list_years
    consumed_frozen = (1.0 - discount) * yearly(monthly_frozen, n_years)
    p10, p90 = np.quantile(consumed, [0.1, 0.9], axis=0)
    years = []
    for y in range(n_years):
        seen = int(np.clip(t_a - 12 * y, 0, 12))
        years.append(YearTrack(
            year=y + 1, first_month=_label(start, 12 * y), last_month=_label(start, 12 * y + 11),
            committed=float(per_year[y]), discount=float(discount[y]),
            consumed_to_date=float((1.0 - discount[y]) * observed_list[12 * y:12 * y + seen]
                                   .sum()),
            expected_at_year_end=float(consumed[:, y].mean()), p10=float(p10[y]),
            p90=float(p90[y]), shortfall_probability=float(outcome.short[:, y].mean()),
            expected_unused=float(outcome.unused[:, y].mean()),
            expected_overage=float(outcome.overage[:, y].mean()), months_observed=seen))
    return YearFigures(years, outcome, list_years, consumed, consumed_frozen, discount)


def burn_down(discount: FloatArray, monthly: FloatArray, per_year: FloatArray, t_a: int,
              start: str) -> pd.DataFrame:
    """Cumulative consumption within each year (the frame :attr:`Tracking.burn_down`
    describes), from list spend per month on every path, shape (n_paths, term)."""
    n_paths = monthly.shape[0]
    n_years = len(per_year)
    term = 12 * n_years
    cumulative = np.cumsum(((1.0 - discount)[None, :, None]
                            * monthly.reshape(n_paths, n_years, 12)), axis=2)
    q10, q50, q90 = np.quantile(cumulative, [0.1, 0.5, 0.9], axis=0)
    mean = cumulative.mean(axis=0)
    t = np.arange(1, term + 1).reshape(n_years, 12)
    actual = np.where(t <= t_a, mean, np.nan)
    fc_mask = t >= t_a
    return pd.DataFrame({
        "year": np.repeat(np.arange(1, n_years + 1), 12),
        "month": [_label(start, k) for k in range(term)],
        "actual": actual.ravel(),
        "expected": np.where(fc_mask, mean, np.nan).ravel(),
        "p10": np.where(fc_mask, q10, np.nan).ravel(),
        "p50": np.where(fc_mask, q50, np.nan).ravel(),
        "p90": np.where(fc_mask, q90, np.nan).ravel(),
        "committed": np.repeat(per_year, 12),
    })

"""The timeline: month labels, expected volume growth, activity windows and lever ramps.

Month numbers run from 1 (the contract's start month) to the horizon. Every function here
broadcasts, so the simulation can pass per-path landing months and realizations.
"""

from __future__ import annotations

import numpy as np

from forecast.scenario import Scenario
from forecast.types import FloatArray


def month_labels(scenario: Scenario) -> list[str]:
    """``YYYY-MM`` of every month of the horizon, from the start month."""
    year, month = (int(p) for p in scenario.start.split("-"))
    labels = []
    for k in range(scenario.horizon_months):
        y, m = divmod(month - 1 + k, 12)
        labels.append(f"{year + y:04d}-{m + 1:02d}")
    return labels


def month_numbers(scenario: Scenario) -> FloatArray:
    """ndarray of shape (n_months,): 1, 2, ..., horizon."""
    return np.arange(1, scenario.horizon_months + 1, dtype=float)


def workload_vectors(scenario: Scenario) -> dict[str, FloatArray]:
    """Per-workload parameters as vectors of shape (n_workloads,)."""
    ws = scenario.workloads
    horizon = scenario.horizon_months
    return {
        "volume": np.array([w.volume for w in ws], dtype=float),
        "growth": np.array([w.growth.monthly for w in ws], dtype=float),
        "volatility": np.array([w.growth.volatility for w in ws], dtype=float),
        "lands": np.array([w.lands_month for w in ws], dtype=float),
        "ramp": np.array([w.ramp_months for w in ws], dtype=float),
        "starts": np.array([w.starts_month for w in ws], dtype=float),
        "ends": np.array([w.ends_month or horizon for w in ws], dtype=float),
        "launch_probability": np.array([w.launch_probability for w in ws], dtype=float),
    }


def ramp_fraction(months: FloatArray, lands: FloatArray, ramp: FloatArray) -> FloatArray:
    """Fraction of the planned change in place in each month.

    ``min(1, (t - lands + 1) / ramp)`` from the landing month on, 0 before; a ramp of 0
    lands at once.

    Parameters
    ----------
    months : ndarray of shape (n_months, 1)
        Month numbers (or any shape that broadcasts against ``lands``).
    lands, ramp : ndarray broadcasting to (..., n_workloads)

    Returns
    -------
    ndarray of the broadcast shape, values in [0, 1]
    """
    return np.clip((months - lands + 1.0) / np.maximum(ramp, 1.0), 0.0, 1.0)


def active_mask(months: FloatArray, starts: FloatArray, ends: FloatArray) -> FloatArray:
    """1.0 where the workload runs in that month (launch to sunset), else 0.0."""
    return ((months >= starts) & (months <= ends)).astype(float)


def expected_volume(scenario: Scenario) -> FloatArray:
    """Expected volume per month: ``R * ((1 + g) (1 + m))^(t - s)`` from the workload's
    first month s while active, times the launch probability (m: token drift per month,
    since cost is linear in tokens per request).

    Returns
    -------
    ndarray of shape (n_months, n_workloads)
    """
    v = workload_vectors(scenario)
    t = month_numbers(scenario)[:, None]
    rate = (1.0 + v["growth"]) * (1.0 + scenario.uncertainty.token_drift.monthly)
    growth = rate ** np.maximum(t - v["starts"], 0.0)
    active = active_mask(t, v["starts"], v["ends"])
    return v["volume"] * growth * active * v["launch_probability"]

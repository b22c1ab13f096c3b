"""The calendar-true growth fit and the weekday pattern, worked by hand.

Per-day rates r_t = cost_t / days_t; a least-squares line through log r_t; volatility from
the differenced residuals; g = exp(b + s^2 / 2) - 1 (forecast/usage/growth.py).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecast.usage import fit_growth, import_usage
from forecast.usage.growth import weekday_pattern

# 2026-01 to 2026-04: 31, 28, 31, 30 days.
DAYS = [31, 28, 31, 30]
CSV_HEADER = ("date,model,workspace,api_key,service_tier,input_tokens_uncached,"
              "cache_write_5m_tokens,cache_write_1h_tokens,cache_read_tokens,output_tokens\n")


def test_flat_per_day_fits_zero_growth_and_zero_volatility():
    # $10.00 a day: $310, $280, $310, $300. Per-day rates are all 10, so log rates are flat:
    # slope 0, residuals 0, volatility 0, g = exp(0) - 1 = 0, and no uncertainty.
    fit = fit_growth([310.0, 280.0, 310.0, 300.0], DAYS)
    assert fit.slope == pytest.approx(0.0, abs=1e-12)
    assert fit.volatility == pytest.approx(0.0, abs=1e-12)
    assert fit.monthly == pytest.approx(0.0, abs=1e-12)
    assert fit.monthly_se == pytest.approx(0.0, abs=1e-12)


def test_the_issues_history_without_the_calendar_reads_february_as_volatility():
    # The same $310, $280, $310, $300 fitted as monthly totals (no days). Log values 5.736572,
    # 5.634790, 5.736572, 5.703782; least squares over t = -1.5..1.5: slope
    # (-1.5 ln 310 - 0.5 ln 280 + 0.5 ln 310 + 1.5 ln 300) / 5 = 0.000341. The issue's 10.35%
    # is the sd of the log changes (-0.101783, +0.101783, -0.032790), and its 0.57% is
    # exp(0.000341 + 0.1035^2 / 2) - 1. From the residuals (0.034155, -0.067969, 0.033472,
    # 0.000341) the shocks are -0.102124, +0.101441, -0.033131: s = sqrt(0.021817 / 2)
    # = 0.104445 and g = exp(0.000341 + 0.104445^2 / 2) - 1 = 0.5812%. Either way February's
    # short month reads as a 10% swing; per day there is none (the test above).
    fit = fit_growth([310.0, 280.0, 310.0, 300.0])
    b = (-1.5 * math.log(310) - 0.5 * math.log(280) + 0.5 * math.log(310)
         + 1.5 * math.log(300)) / 5
    assert fit.slope == pytest.approx(b) == pytest.approx(0.000341, abs=1e-6)
    assert fit.volatility == pytest.approx(0.104445, abs=1e-6)
    assert fit.monthly == pytest.approx(0.005812, abs=1e-6)


def test_five_percent_a_month_per_day_fits_five_percent_without_volatility():
    # $10.00 a day growing 5% a month: per-day rates 10, 10.5, 11.025, 11.57625, times the
    # month's days: 310, 294, 341.775, 347.2875. log rates rise by ln 1.05 each month
    # exactly: slope ln 1.05, residuals 0, volatility 0, g = 1.05 - 1 = 5%.
    rates = [10.0 * 1.05**t for t in range(4)]
    fit = fit_growth([r * d for r, d in zip(rates, DAYS, strict=True)], DAYS)
    assert fit.slope == pytest.approx(math.log(1.05))
    assert fit.volatility == pytest.approx(0.0, abs=1e-12)
    assert fit.monthly == pytest.approx(0.05)
    assert fit.monthly_se == pytest.approx(0.0, abs=1e-12)


def test_volatility_is_the_sd_of_the_monthly_shocks():
    # Per-day rates 10, 12, 12.1 (days of no account: pass days of 1): log rates 2.302585,
    # 2.484907, 2.493205. Slope = (ln 12.1 - ln 10) / 2 = 0.095310; residuals of the line
    # through the mean 2.426899: -0.029004, +0.058008, -0.029004; shocks +0.087011,
    # -0.087011; s = sqrt(2 * 0.087011^2 / (3 - 2)) = 0.123053.
    fit = fit_growth([10.0, 12.0, 12.1], [1, 1, 1])
    assert fit.slope == pytest.approx(math.log(1.1))
    assert fit.volatility == pytest.approx(0.087011 * math.sqrt(2), abs=1e-6)


def test_import_of_a_flat_per_day_history_writes_no_growth_and_no_spread():
    # $10.00 a day of Sonnet 4.5 uncached input ($3 / MTok: 3,333,333.33 tokens a day),
    # one row per day, January to April 2026 (120 days).
    days = pd.date_range("2026-01-01", "2026-04-30", freq="D")
    rows = "".join(f"{d:%Y-%m-%d},claude-sonnet-4-5,ws,k,standard,{10 / 3 * 1e6:.2f},0,0,0,0\n"
                   for d in days)
    imported = import_usage([("flat.csv", CSV_HEADER + rows)])
    w = imported.scenario.workloads[0]
    assert (w.growth.monthly, w.growth.volatility, w.growth.monthly_sd) == (0.0, 0.0, 0.0)
    # Per average month (365.2425 / 12 days): $10.00 * 30.436875 = $304.37.
    assert imported.groups[0].scenario_cost == pytest.approx(10 * 365.2425 / 12, abs=0.01)
    assert imported.report.weekday is None  # flat: no weekday pattern


def test_weekday_pattern_is_found_and_described():
    # 8 weeks from Monday 2026-03-02: $100 on weekdays, $50 on weekends. Each day's level is
    # its cost over its month's mean per-day cost: March 2-31 holds 22 weekdays and 8 weekend
    # days ($2,600 / 30 = $86.67 a day: levels 1.154 and 0.577), April 1-26 holds 18 and 8
    # ($2,200 / 26 = $84.62: 1.182 and 0.591). Weekend levels average 0.584, half of the
    # weekday ones (Monday and Tuesday fall 5 times in March and 3 in April, Wednesday to
    # Friday 4 times in each: (5 * 1.154 + 3 * 1.182) / 8 = 1.164 against 1.168).
    days = pd.date_range("2026-03-02", periods=56, freq="D")
    cost = pd.Series(np.where(days.day_of_week >= 5, 50.0, 100.0), index=days)
    pattern = weekday_pattern(cost)
    assert pattern is not None and pattern.days == 56
    assert pattern.levels[5] / pattern.levels[0] == pytest.approx(0.5, abs=0.02)
    assert "Saturday lowest at 50% of Wednesday" in pattern.describe()
    # Flat days: no pattern.
    assert weekday_pattern(pd.Series(100.0, index=days)) is None


def test_shared_volatility_from_the_groups_covariance():
    from forecast.usage.growth import shared_volatility

    # Group B's log per-day rates 0, 0.1, 0, 0.1 (days of 1): slope
    # (-1.5 * 0 - 0.5 * 0.1 + 0.5 * 0 + 1.5 * 0.1) / 5 = 0.02; residuals about the mean 0.05:
    # -0.02, +0.06, -0.06, +0.02; shocks +0.08, -0.12, +0.08; variance 0.0272 / 2 = 0.0136.
    b = np.exp([0.0, 0.1, 0.0, 0.1])
    days = np.ones(4)
    assert fit_growth(b, days).volatility == pytest.approx(math.sqrt(0.0136))
    # A = 3 B moves with it: their covariance is B's variance, all of it shared.
    together = np.column_stack([3 * b, b])
    assert shared_volatility(together, days, [3.0, 1.0]) == pytest.approx(math.sqrt(0.0136))
    # A = 1 / B moves against it: covariance -0.0136, nothing shared.
    opposite = np.column_stack([1 / b, b])
    assert shared_volatility(opposite, days, [1.0, 1.0]) == 0.0
    # One group: nothing to share.
    assert shared_volatility(b[:, None], days, [1.0]) == 0.0


def test_groups_that_move_together_write_a_shared_volatility():
    # Two workspaces in fixed proportions (3:1) whose per-day usage moves 0, +10%, 0, +10%
    # by month: every shock is shared; each workload's own volatility is 0.
    rates = np.exp([0.0, 0.1, 0.0, 0.1])
    rows = "".join(f"2026-{m + 1:02d}-15,claude-sonnet-4-5,{ws},k,standard,"
                   f"{r * d * share * 1e6:.0f},0,0,0,0\n"
                   for m, (r, d) in enumerate(zip(rates, DAYS, strict=True))
                   for ws, share in (("a", 3), ("b", 1)))
    rows = "2026-01-01,claude-sonnet-4-5,a,k,standard,0,0,0,0,0\n" + rows + \
        "2026-04-30,claude-sonnet-4-5,a,k,standard,0,0,0,0,0\n"
    imported = import_usage([("two.csv", CSV_HEADER + rows)])
    s0 = imported.scenario.uncertainty.shared_growth_volatility
    assert s0 == pytest.approx(round(math.sqrt(0.0136), 4))
    assert [w.growth.volatility for w in imported.scenario.workloads] == [0.0, 0.0]

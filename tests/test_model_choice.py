"""The growth model's choice (a random walk or noise around a trend), worked by hand, and
the trend's fan in the simulation against its closed form (docs/model.md, "Forecasting
from history"; docs/forecasting.md).

- the likelihood ratio of a trend over a walk, by hand on a six-month zigzag;
- how often the choice is right on seeded histories of either model;
- a trend's P10-P90 at month h: normal (or Student's t) quantiles of
  sqrt(s^2 (1 + 1/m) + sd^2 (h - 1 + o)^2);
- the projection equals the simulation's mean;
- the import writes ``growth.model: trend_noise`` and says why.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from scipy.special import ndtri, stdtrit

from forecast.errors import PlannerError
from forecast.pricebook import DEFAULT_PRICE_BOOK, load_price_book
from forecast.projection import project
from forecast.scenario_io import parse_scenario
from forecast.simulation import simulate
from forecast.timeline import fit_uncertainty_factor, trend_terms
from forecast.usage import import_usage
from forecast.usage.growth import (
    MODEL_LEVEL,
    RANDOM_WALK,
    TREND_NOISE,
    choose_model,
    fit_growth,
    fit_trend_noise,
)
from tests.test_calibration import _page, _walk

BOOK = load_price_book(DEFAULT_PRICE_BOOK)


def _trend(rng: np.random.Generator, n: int, growth: float = 0.03, vol: float = 0.05
           ) -> np.ndarray:
    """Noise of sd ``vol`` around a line growing by ``growth`` a month (per-day rates)."""
    return 100.0 * np.exp(np.log1p(growth) * np.arange(n) + vol * rng.standard_normal(n))


def _doc(growth: dict, horizon: int = 24) -> dict:
    return {"name": "t", "start": "2026-01", "horizon_months": horizon,
            "workloads": [{"name": "w", "requests_per_month": 1e6,
                           "tokens": {"input": 1000}, "waiting": "async",
                           "current": {"models": {"claude-sonnet-4-5": 1.0}},
                           "growth": growth}]}


def _log_volume(growth: dict, paths: int, seed: int) -> np.ndarray:
    """Simulated log(volume / stated volume), shape (paths, months): the spend over the
    spend of the same scenario with no growth at all (one model, fixed levers)."""
    unit = simulate(parse_scenario(_doc({"monthly": 0.0})), BOOK, n_paths=2, seed=0)
    sim = simulate(parse_scenario(_doc(growth)), BOOK, n_paths=paths, seed=seed)
    return np.log(sim.current / unit.current[0, 0])


# --------------------------------------------------------------------------- the choice
def test_the_likelihood_ratio_by_hand_on_a_zigzag():
    # log rates 0, 1, 0, 1, 0, 1 (n = 6, m = 5 changes). Changes 1, -1, 1, -1, 1: mean 0.2,
    # s_walk^2 = (3 * 0.8^2 + 2 * 1.2^2) / 5 = (1.92 + 2.88) / 5 = 0.96. The line: t - tbar
    # = -2.5 .. 2.5, Sxx = 17.5, sum (t - tbar) y = -1.5 + 0.5 + 2.5 = 1.5; residual sum of
    # squares = Syy - 1.5^2 / 17.5 = 1.5 - 0.128571 = 1.371429, s_trend^2 = 0.274286.
    # LR = 5 ln(0.96 / 0.274286) - ln 6 = 5 ln 3.5 - ln 6 = 6.263815 - 1.791759 = 4.472056.
    choice = choose_model(np.exp([0.0, 1, 0, 1, 0, 1]))
    assert choice.ratio == pytest.approx(4.472056, abs=1e-6)
    # Its 99% quantile on six-month random walks (simulated on 20,000 walks, seeded: 4.414,
    # which 20,000 other walks pass 1.2% of the time): the zigzag just passes it, so it
    # reads as noise around a trend.
    assert 4.2 < choice.critical < 4.472
    assert choice.model == TREND_NOISE
    assert "noise around a trend" in choice.describe() and "4.5 against 4.4" in \
        choice.describe()


def test_under_six_months_no_choice_is_made():
    choice = choose_model(np.exp([0.0, 1, 0, 1, 0]))
    assert choice.model == RANDOM_WALK and math.isnan(choice.ratio)
    assert "no choice made" in choice.describe()


@pytest.mark.parametrize(("n", "trend_rate"), [(12, 0.195), (24, 0.80)])
def test_the_choice_on_seeded_histories_of_either_model(n: int, trend_rate: float):
    # The ratio depends on neither drift nor scale, so its law under each model depends on
    # n only. A random walk is read as a trend on MODEL_LEVEL = 1% of histories by
    # construction (1.3% and 1.0% on 20,000 simulated ones); a trend is found with the
    # test's power, 19.5% at 12 months and 80% at 24 (20,000 simulated histories each).
    # 400 histories of each: a rate p has standard error sqrt(p (1 - p) / 400) (0.005 at
    # 0.99, 0.020 at 0.195 and 0.80); tolerance 3 of them.
    assert MODEL_LEVEL == 0.01
    rng = np.random.default_rng(n)
    walks = [choose_model(_walk(rng, n)).model for _ in range(400)]
    trends = [choose_model(_trend(rng, n)).model for _ in range(400)]
    walk_kept = np.mean([m == RANDOM_WALK for m in walks])
    trend_found = np.mean([m == TREND_NOISE for m in trends])
    print(f"n={n}: random walk kept {walk_kept:.3f}, trend found {trend_found:.3f}")
    def tolerance(p: float) -> float:
        return 3 * math.sqrt(p * (1 - p) / 400)

    assert walk_kept == pytest.approx(0.99, abs=tolerance(0.99))
    assert trend_found == pytest.approx(trend_rate, abs=tolerance(trend_rate))


def test_the_trend_fit_by_hand():
    # log rates 0, 0.1, 0.1, 0.3 (n = 4): t - tbar = -1.5, -0.5, 0.5, 1.5, Sxx = 5,
    # slope = (0 - 0.05 + 0.05 + 0.45) / 5 = 0.09; mean 0.125, line 0.125 + 0.09 (t - tbar)
    # = -0.01, 0.08, 0.17, 0.26; residuals 0.01, 0.02, -0.07, 0.04, squares sum 0.0070;
    # s = sqrt(0.0070 / 2) = 0.059161; se = s / sqrt(5) = 0.026458; growth e^0.09 - 1.
    fit = fit_trend_noise(np.exp([0.0, 0.1, 0.1, 0.3]))
    assert fit.slope == pytest.approx(0.09, abs=1e-12)
    assert fit.volatility == pytest.approx(0.059161, abs=1e-6)
    assert fit.slope_se == pytest.approx(0.026458, abs=1e-6)
    assert fit.last_residual == pytest.approx(0.04, abs=1e-12)
    assert fit.monthly == pytest.approx(math.expm1(0.09), abs=1e-12)
    # The random walk on the same months has a larger growth: exp(b + s^2 / 2) - 1.
    walk = fit_growth(np.exp([0.0, 0.1, 0.1, 0.3]))
    assert walk.monthly > math.expm1(walk.slope)


# --------------------------------------------------------------------------- the fan
def test_a_known_trend_fan_is_the_noise_plus_the_growth_error_times_the_months():
    # fit_months 0 (nothing drawn but the normals): month h's log-volume is
    # h' ln(1 + g) - s^2 / 2 + sd h' eps + s z, h' = h - 1, so its P10 and P90 are
    # centre -/+ 1.2816 sqrt(s^2 + sd^2 h'^2). s = 0.05, sd = 0.01, g = 2%: at h = 13,
    # sqrt(0.0025 + 0.0144) = 0.13. 40,000 paths: a quantile's standard error is about
    # sqrt(0.09 / 4e4) / phi(1.2816) * 0.13 = 0.0011; tolerance 0.005. A random walk with
    # the same figures has P90 - P10 = 2.563 sqrt(12 s^2 + 144 sd^2) = 0.563 instead.
    growth = {"monthly": 0.02, "volatility": 0.05, "monthly_sd": 0.01,
              "model": "trend_noise"}
    log = _log_volume(growth, 40_000, 7)
    z = float(-ndtri(0.1))
    assert z == pytest.approx(1.2816, abs=1e-4)
    for h in (1, 2, 7, 13, 24):
        n = h - 1
        centre = n * math.log(1.02) - 0.05**2 / 2
        width = math.sqrt(0.05**2 + (0.01 * n) ** 2)
        p10, p90 = np.quantile(log[:, h - 1], [0.1, 0.9])
        assert p10 == pytest.approx(centre - z * width, abs=0.005), h
        assert p90 == pytest.approx(centre + z * width, abs=0.005), h
    walk = _log_volume({**growth, "model": "random_walk"}, 40_000, 7)
    assert np.ptp(np.quantile(walk[:, 12], [0.1, 0.9])) == pytest.approx(
        2 * z * math.sqrt(12 * 0.05**2 + 144 * 0.01**2), abs=0.01)


def test_a_fitted_trend_fan_has_students_t_quantiles_of_the_line_and_noise_error():
    # fit_months m = 12: each path draws F (nu = 10) and its log-volume at month h is
    # centre + F sqrt(s^2 (1 + 1/m) + sd^2 (h - 1 + o)^2) eps, o = (m + 1) / 2 = 6.5, i.e.
    # Student's t with 10 degrees of freedom (the cap F <= 2.5 moves P(X < 10 / 6.25) =
    # 0.1% of paths, far beyond P90). At h = 12 with s = 0.05, sd = 0.01:
    # sqrt(0.0025 * 13 / 12 + 0.0001 * 17.5^2) = sqrt(0.0027083 + 0.030625) = 0.182574;
    # t_10(0.9) = 1.3722. Tolerance 0.006 (40,000 paths, as above with t's density).
    offset, level = trend_terms(12.0)
    assert (offset, level) == (6.5, pytest.approx(1 / 12))
    growth = {"monthly": 0.0, "volatility": 0.05, "monthly_sd": 0.01, "fit_months": 12,
              "model": "trend_noise"}
    log = _log_volume(growth, 40_000, 11)
    t90 = float(stdtrit(10, 0.9))
    assert t90 == pytest.approx(1.3722, abs=1e-4)
    for h in (1, 12, 24):
        width = math.sqrt(0.05**2 * 13 / 12 + (0.01 * (h - 1 + 6.5)) ** 2)
        p10, p90 = np.quantile(log[:, h - 1], [0.1, 0.9])
        assert p90 - p10 == pytest.approx(2 * t90 * width, abs=0.012), h
        assert (p10 + p90) / 2 == pytest.approx(-0.05**2 / 2, abs=0.006), h
    assert math.sqrt(0.05**2 * 13 / 12 + (0.01 * 17.5) ** 2) == pytest.approx(0.182574,
                                                                               abs=1e-6)


@pytest.mark.parametrize("fit_months", [0, 6, 12])
def test_the_projection_is_the_simulations_mean_around_a_trend(fit_months: int):
    # The closed form E[V_h] / V = (1 + g)^(h-1) exp(-s^2/2) E[exp(F^2 (s^2 (1 + 1/m) +
    # sd^2 (h - 1 + o)^2) / 2)] (with no fit, exp(sd^2 (h - 1)^2 / 2)): the projection's
    # spend against 40,000 paths' mean, within 4 standard errors of that mean, each month.
    growth = {"monthly": 0.02, "volatility": 0.08, "monthly_sd": 0.01,
              "fit_months": fit_months, "model": "trend_noise"}
    scenario = parse_scenario(_doc(growth))
    expected = project(scenario, BOOK).current[:, 0]
    sim = simulate(scenario, BOOK, n_paths=40_000, seed=5)
    mean = sim.current.mean(axis=0)
    se = sim.current.std(axis=0) / math.sqrt(40_000)
    assert np.all(np.abs(mean - expected) <= 4 * se), np.max(np.abs(mean - expected) / se)
    if fit_months == 0:  # by hand at h = 13: 1.02^12 exp(0.0001 * 144 / 2) = 1.268242 * ...
        lift = fit_uncertainty_factor(np.array([[12.0]]), 0.08, 0.01, 0, True)[0, 0]
        assert lift == pytest.approx(math.exp(0.0001 * 144 / 2), rel=1e-12)


def test_a_trend_launched_in_month_4_beside_a_shared_walk_keeps_the_projections_mean():
    # Launch at month 4 (nothing before: spend exactly 0) and a shared portfolio shock of 3%
    # (a walk, its drift -s0^2 / 2 a month): the projection against 40,000 paths' mean
    # within 4 standard errors, each month the workload runs.
    doc = _doc({"monthly": 0.02, "volatility": 0.08, "monthly_sd": 0.01, "fit_months": 12,
                "model": "trend_noise"})
    doc["workloads"][0]["starts_month"] = 4
    doc["uncertainty"] = {"shared_growth_volatility": 0.03}
    scenario = parse_scenario(doc)
    expected = project(scenario, BOOK).current[:, 0]
    sim = simulate(scenario, BOOK, n_paths=40_000, seed=5)
    assert np.all(sim.current[:, :3] == 0) and np.all(expected[:3] == 0)
    mean = sim.current[:, 3:].mean(axis=0)
    se = sim.current[:, 3:].std(axis=0) / math.sqrt(40_000)
    assert np.all(np.abs(mean - expected[3:]) <= 4 * se)


def test_a_random_walk_written_out_draws_what_the_default_draws():
    # growth.model defaults to random_walk: saying so changes no path.
    growth = {"monthly": 0.02, "volatility": 0.05, "monthly_sd": 0.01, "fit_months": 12}
    a = simulate(parse_scenario(_doc(growth)), BOOK, n_paths=500, seed=2).current
    b = simulate(parse_scenario(_doc({**growth, "model": "random_walk"})), BOOK, n_paths=500,
                 seed=2).current
    assert np.array_equal(a, b)


@pytest.mark.parametrize("value", ["trend", "Trend_Noise", "trend-noise", "", 1, True, None,
                                   ["trend_noise"], {"trend_noise": 1}])
def test_a_bad_growth_model_names_the_field_and_the_choices(value: object):
    doc = copy.deepcopy(_doc({"monthly": 0.02, "model": "trend_noise"}))
    doc["workloads"][0]["growth"]["model"] = value
    with pytest.raises(PlannerError) as info:
        parse_scenario(doc)
    message = str(info.value)
    assert "workloads[0].growth.model" in message, message
    assert "random_walk" in message and "trend_noise" in message, message


# --------------------------------------------------------------------------- the import
def test_the_import_chooses_a_trend_writes_it_and_says_why():
    # 24 months of noise (sd 5%) around a 3% line: found 80% of the time (above); this
    # seed's history is one of them. Month 1 is the line's expected value one month past the
    # level month, not the level month's noise: its residual taken out.
    rates = _trend(np.random.default_rng(4), 24)
    result = import_usage([("h.json", _page(rates[:, None]))], group_by="product")
    report = result.report
    assert report.model_choice is not None and report.model_choice.model == TREND_NOISE
    assert report.total.trend_noise and report.growth_break is None
    growth = result.document["workloads"][0]["growth"]
    assert growth["model"] == "trend_noise" and growth["fit_months"] == 24
    text = report.text()
    assert "Growth model: noise around a trend" in text and "no break test" in text
    assert "p0 (trend)" in text  # the Simulated table names the model it draws from
    assert result.scenario.workloads[0].growth.model == "trend_noise"
    # The written growth is the line's, exp(slope) - 1 (no s^2 / 2 of a walk).
    assert growth["monthly"] == pytest.approx(round(report.total.monthly, 4), abs=1e-9)
    assert report.total.monthly == pytest.approx(math.expm1(report.total.slope), abs=1e-12)
    # Month 1 (2027-01, one month past the level month 2026-12 of 31 days): the level
    # month's cost per day x 30.44, its residual e taken out and exp(s^2 / 2) put in, grown
    # one month: cost / 31 x 30.436875 x exp(s^2 / 2 - e) x (1 + g).
    group, fit = report.groups[0], report.groups[0].fit
    assert report.level_month == "2026-12" and fit.trend_noise
    assert group.month1_expected == pytest.approx(
        group.level_cost_latest / 31 * 30.436875 * math.exp(fit.volatility**2 / 2
                                                            - fit.last_residual)
        * (1 + fit.monthly), rel=1e-12)


def test_the_import_keeps_a_random_walk_and_writes_no_model():
    rates = _walk(np.random.default_rng(3), 24)
    result = import_usage([("h.json", _page(rates[:, None]))], group_by="product")
    assert result.report.model_choice.model == RANDOM_WALK
    assert "model" not in result.document["workloads"][0]["growth"]
    assert "Growth model: a random walk with drift" in result.report.text()

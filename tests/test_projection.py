"""The projection: growth, ramps, launches and sunsets worked by hand, and every effect that
shifts the simulation's mean (slip, realization moments, walk-back, price cuts, growth fit)
in it, checked by hand and against the simulation."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.projection import project
from forecast.timeline import month_labels, ramp_fraction
from tests.conftest import SCENARIOS, make_scenario

# BASE_WORKLOAD: 10,000 requests of 4,000 in / 1,000 out on Sonnet 4.5 = $270 a month.


def test_flat_workload_costs_270_every_month(book):
    p = project(make_scenario(), book)
    np.testing.assert_allclose(p.current_total, 270.0)
    np.testing.assert_allclose(p.optimized_total, 270.0)
    assert p.months[0] == "2027-01" and p.months[-1] == "2027-12"


def test_growth_compounds_from_month_one(book):
    # 5% a month: month t costs 270 * 1.05^(t - 1); month 3 = 270 * 1.1025 = 297.675.
    p = project(make_scenario({"growth": {"monthly": 0.05}}), book)
    assert p.current_total[0] == pytest.approx(270.0)
    assert p.current_total[2] == pytest.approx(297.675)
    # Twelve months: 270 * (1.05^12 - 1) / 0.05 = 270 * 15.91713 = 4297.62
    assert p.current_total.sum() == pytest.approx(270 * (1.05**12 - 1) / 0.05)


def test_batch_ramps_in_linearly(book):
    # Lands in month 3 over 2 months: months 1-2 at $270, month 3 half batched ($202.50),
    # month 4 on fully batched ($135).
    s = make_scenario({"optimized": {"batch_share": 1.0, "lands_month": 3, "ramp_months": 2}})
    p = project(s, book)
    np.testing.assert_allclose(p.optimized_total[:5], [270, 270, 202.5, 135, 135])
    # Horizon: 2 * 270 + 202.5 + 9 * 135 = 540 + 202.5 + 1215 = 1957.5
    assert p.optimized_total.sum() == pytest.approx(1957.5)


def test_ramp_fraction_shapes():
    months = np.arange(1, 7, dtype=float)[:, None]
    frac = ramp_fraction(months, np.array([1.0, 3.0]), np.array([0.0, 3.0]))
    np.testing.assert_allclose(frac[:, 0], 1.0)  # lands at once in month 1
    np.testing.assert_allclose(frac[:, 1], [0, 0, 1 / 3, 2 / 3, 1, 1])


def test_launch_and_sunset(book):
    # Starts in month 4 with probability 0.5 and ends after month 6: expected $135 in
    # months 4-6 and nothing else.
    s = make_scenario({"starts_month": 4, "ends_month": 6, "launch_probability": 0.5})
    p = project(s, book)
    np.testing.assert_allclose(p.current_total, [0, 0, 0, 135, 135, 135] + [0] * 6)


def test_month_labels_cross_year():
    s = make_scenario(start="2027-11", horizon_months=14)
    labels = month_labels(s)
    assert labels[:3] == ["2027-11", "2027-12", "2028-01"] and labels[-1] == "2028-12"


def test_caching_below_break_even_is_reported_and_costs_more(book):
    # 1-hour cache at a 30% hit rate: 0.3 * 0.1 + 0.7 * 2 = 1.43x the plain input price on
    # the prefix (break-even is 1 / 1.9 = 52.6%). 10,000 requests x 1,000 prefix tokens:
    # 10 MTok * $3 = $30 uncached, $42.90 cached: priced as the cost it is, and warned.
    s = make_scenario({
        "tokens": {"cacheable_prefix": 1000, "input": 0, "output": 0},
        "optimized": {"cache_hit_rate": 0.3, "cache_ttl": "1h"},
    })
    p = project(s, book)
    assert p.current_total[0] == pytest.approx(30.0)
    assert p.optimized_total[0] == pytest.approx(42.9)
    assert any("break-even 52.6%" in w for w in p.warnings)


def test_bundled_examples_project(book):
    from forecast.scenario_io import load_scenario

    assert len(SCENARIOS) >= 3
    for path in SCENARIOS:
        p = project(load_scenario(path), book)
        assert p.optimized.sum() < p.current.sum(), path.name


# ----------------------------------------------------------------- the mean of the simulation
def test_projection_includes_the_expected_slip(book):
    # Batch lands in month 1 at once but slips a Poisson(2) number of months: month t is
    # batched when the slip is at most t - 1. E[month 1] = 270 - 135 P(K = 0)
    # = 270 - 135 e^-2 = 251.730; E[month 2] = 270 - 135 e^-2 (1 + 2) = 215.189.
    s = make_scenario({"optimized": {"batch_share": 1.0}},
                      uncertainty={"slip_months": {"mean": 2.0}})
    p = project(s, book)
    assert p.optimized_total[0] == pytest.approx(270 - 135 * np.exp(-2))
    assert p.optimized_total[1] == pytest.approx(270 - 135 * 3 * np.exp(-2))


def test_projection_uses_the_realizations_second_moment(book):
    # Opus 4.5 real time ($450) to Sonnet 4.5 batched: routing and batch both follow x, so the
    # unit cost is 450 - 180 x - 225 x + (135 - 270 - 225 + 450) x^2 = 450 - 405 x + 90 x^2.
    # Realization Beta with mean 0.8, sd 0.1: E[x^2] = 0.1^2 + 0.8^2 = 0.65, so
    # E[cost] = 450 - 324 + 58.5 = 184.50 (the mean alone would say 183.60).
    s = make_scenario({"current": {"models": {"claude-opus-4-5": 1.0}},
                       "optimized": {"models": {"claude-sonnet-4-5": 1.0}, "batch_share": 1.0}},
                      uncertainty={"lever_realization": {"mean": 0.8, "sd": 0.1}})
    p = project(s, book)
    np.testing.assert_allclose(p.optimized_total, 184.5)
    np.testing.assert_allclose(p.ramp, 0.8)


def test_projection_includes_the_expected_walk_back(book):
    # Gray, batched in month 1, one-year term: the revert month is uniform on 2..12 (11
    # months), so P(reverted by month t) = (t - 1) / 11, times the probability 0.5.
    # E[month t] = 135 + 135 * 0.5 * (t - 1) / 11: month 1 = 135, month 12 = 202.50.
    s = make_scenario({"waiting": "gray", "acceptable_latency_minutes": 120,
                       "optimized": {"batch_share": 1.0}},
                      uncertainty={"walk_back_probability": 0.5})
    p = project(s, book)
    t = np.arange(1, 13)
    np.testing.assert_allclose(p.optimized_total, 135 + 135 * 0.5 * (t - 1) / 11)


def test_projection_includes_price_cuts_and_the_growth_fit(book):
    # Cuts: annual probability 0.5 -> q = 1 - 0.5^(1/12) = 0.0561257; size 0.25: the level
    # at month 13 is (1 - 0.25 q)^12 = 0.844028, so month 13 costs 270 * 0.844028 = 227.888.
    s = make_scenario(horizon_months=13, uncertainty={"price_cuts": {
        "annual_probability": 0.5, "size": {"mean": 0.25, "sd": 0.05}}})
    p = project(s, book)
    assert p.price_level[12] == pytest.approx(0.844028, abs=1e-6)
    assert p.current_total[12] == pytest.approx(227.888, abs=1e-3)
    # Growth fit: 2% a month with a standard error of 1%: month 12 costs
    # 270 * 1.02^11 * exp(0.01^2 * 11^2 / 2) = 270 * 1.243374 * 1.006068 = 337.748.
    g = make_scenario({"growth": {"monthly": 0.02, "monthly_sd": 0.01}})
    assert project(g, book).current_total[11] == pytest.approx(337.748, abs=1e-3)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_each_contract_year_is_the_simulations_mean(book, path):
    # Every bundled example: each contract year's projected current and optimized spend is
    # within 1% of the mean of 20,000 simulated paths, and within 4.5 standard errors of it
    # (computed from the sample), so the gap is Monte Carlo error, not a bias.
    from forecast.contract import yearly
    from forecast.scenario_io import load_scenario
    from forecast.simulation import simulate

    s = load_scenario(path)
    n, years = 20_000, s.contract.years
    p, sim = project(s, book), simulate(s, book, n_paths=n, seed=3)
    for simulated, projected in ((sim.current, p.current_total),
                                 (sim.optimized, p.optimized_total)):
        by_year, expected = yearly(simulated, years), yearly(projected, years)
        gap = by_year.mean(axis=0) - expected
        assert np.all(np.abs(gap) < 0.01 * expected), gap / expected
        assert np.all(np.abs(gap) < 4.5 * by_year.std(axis=0, ddof=1) / np.sqrt(n))


def test_every_effect_at_once_matches_the_simulation_month_by_month(book):
    # Gray workload with routing, caching and batch (a cubic in x), growth fit, slip,
    # realization spread, walk-back, a late launch with launch risk and negative growth, a
    # sunset, token drift and price cuts: each month's projection is within 4.5 standard
    # errors of the mean of 40,000 paths (36 months: a false alarm has probability < 3e-4).
    from forecast.simulation import simulate

    gray = {"waiting": "gray", "acceptable_latency_minutes": 120, "urgent_share": 0.1,
            "current": {"models": {"claude-opus-4-5": 1.0}},
            "tokens": {"cacheable_prefix": 3000, "input": 1000, "output": 500},
            "optimized": {"models": {"claude-sonnet-4-5": 0.6, "claude-haiku-4-5": 0.4},
                          "batch_share": 0.8, "cache_hit_rate": 0.7, "cache_ttl": "5m",
                          "lands_month": 3, "ramp_months": 4},
            "growth": {"monthly": 0.02, "volatility": 0.08, "monthly_sd": 0.01}}
    late = {"starts_month": 7, "launch_probability": 0.6,
            "growth": {"monthly": -0.03, "volatility": 0.05, "monthly_sd": 0.02},
            "optimized": {"batch_share": 1.0, "lands_month": 9, "ramp_months": 2}}
    s = make_scenario(gray, late, {"ends_month": 20}, horizon_months=36, contract={"years": 2},
                      uncertainty={"shared_growth_volatility": 0.04,
                                   "lever_realization": {"mean": 0.7, "sd": 0.2},
                                   "slip_months": {"mean": 2.5}, "walk_back_probability": 0.4,
                                   "token_drift": {"monthly": 0.005, "volatility": 0.02},
                                   "price_cuts": {"annual_probability": 0.5,
                                                  "size": {"mean": 0.2, "sd": 0.1}}})
    n = 40_000
    p, sim = project(s, book), simulate(s, book, n_paths=n, seed=5)
    for simulated, projected in ((sim.current, p.current_total),
                                 (sim.optimized, p.optimized_total),
                                 (sim.price_level, p.price_level)):
        se = simulated.std(axis=0, ddof=1) / np.sqrt(n)
        se[0] = max(se[0], 1e-9)  # month 1 has no spread
        assert np.all(np.abs(simulated.mean(axis=0) - projected) < 4.5 * se + 1e-9)

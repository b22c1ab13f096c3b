"""Monte Carlo simulation: zero-spread limit, convergence, reproducibility, each draw."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.projection import project
from forecast.simulation import simulate
from tests.conftest import make_scenario

# BASE_WORKLOAD: 10,000 requests of 4,000 in / 1,000 out on Sonnet 4.5 = $270 a month real
# time, $135 fully batched; with only the batch lever moving, cost = 270 - 135 * fraction.


def test_zero_spread_paths_equal_the_projection(book):
    s = make_scenario(
        {"growth": {"monthly": 0.03}, "optimized": {"batch_share": 1.0, "lands_month": 3,
                                                    "ramp_months": 2}},
        {"optimized": {"models": {"claude-haiku-4-5": 1.0}, "lands_month": 2}},
        horizon_months=24,
    )
    sim = simulate(s, book, n_paths=5, seed=1)
    p = project(s, book)
    # The simulation's cells are float32 (relative precision ~6e-8 per operation).
    np.testing.assert_allclose(sim.current, np.tile(p.current_total, (5, 1)), rtol=1e-6)
    np.testing.assert_allclose(sim.optimized, np.tile(p.optimized_total, (5, 1)), rtol=1e-6)


def test_mean_converges_to_projection_within_its_confidence_interval(book):
    # Volume volatility only (workload 0.10, shared 0.05): the log drift ln(1+g) - s^2/2
    # makes E[volume] = R (1+g)^(t-1) exactly, so the simulated mean must match the
    # projection month by month. Tolerance: 4.5 standard errors computed from the sample,
    # per month (36 months: a false alarm has probability < 36 * 7e-6).
    s = make_scenario({"growth": {"monthly": 0.02, "volatility": 0.10},
                       "optimized": {"batch_share": 1.0, "lands_month": 4, "ramp_months": 3}},
                      horizon_months=36, uncertainty={"shared_growth_volatility": 0.05})
    n = 20_000
    sim = simulate(s, book, n_paths=n, seed=123)
    p = project(s, book)
    for path, expected in ((sim.current, p.current_total), (sim.optimized, p.optimized_total)):
        se = path.std(axis=0, ddof=1) / np.sqrt(n)
        se[0] = 1e-9  # month 1 has no spread
        z = np.abs(path.mean(axis=0) - expected) / se
        assert z.max() < 4.5, z.max()


def test_same_seed_same_bytes_and_other_seed_differs(book):
    s = make_scenario({"growth": {"monthly": 0.01, "volatility": 0.1},
                       "waiting": "gray", "acceptable_latency_minutes": 120,
                       "optimized": {"batch_share": 1.0}},
                      uncertainty={"shared_growth_volatility": 0.02, "walk_back_probability": 0.3,
                                   "lever_realization": {"mean": 0.8, "sd": 0.1},
                                   "slip_months": {"mean": 1.0}})
    a, b = simulate(s, book, n_paths=500, seed=9), simulate(s, book, n_paths=500, seed=9)
    for field in ("current", "optimized", "reverted"):
        assert getattr(a, field).tobytes() == getattr(b, field).tobytes()
    c = simulate(s, book, n_paths=500, seed=10)
    assert c.optimized.tobytes() != a.optimized.tobytes()


def test_shapes_have_a_leading_paths_axis(book):
    s = make_scenario({}, {}, {}, horizon_months=18)
    sim = simulate(s, book, n_paths=7, seed=0)
    assert sim.current.shape == sim.optimized.shape == sim.reverted.shape == (7, 18)
    assert sim.optimized_by_workload.shape == (18, 3)


def test_realization_is_a_fraction_of_the_planned_change(book):
    # Realization fixed at 0.5 (sd 0): the batch move lands half-way: 270 - 135 * 0.5.
    s = make_scenario({"optimized": {"batch_share": 1.0}},
                      uncertainty={"lever_realization": {"mean": 0.5, "sd": 0.0}})
    sim = simulate(s, book, n_paths=3, seed=0)
    np.testing.assert_allclose(sim.optimized, 202.5)


def test_beta_realization_mean(book):
    # Beta with mean 0.85, sd 0.10: E[cost] = 270 - 135 * 0.85 = 155.25 a month. The standard
    # error is 135 * 0.10 / sqrt(n); allow 4.5 of them.
    n = 20_000
    s = make_scenario({"optimized": {"batch_share": 1.0}},
                      uncertainty={"lever_realization": {"mean": 0.85, "sd": 0.10}})
    sim = simulate(s, book, n_paths=n, seed=4)
    month = sim.optimized[:, 5]
    assert abs(month.mean() - 155.25) < 4.5 * 135 * 0.10 / np.sqrt(n)
    assert month.std() == pytest.approx(13.5, rel=0.05)  # 135 * sd 0.10


def test_slip_delays_landing_by_a_poisson_number_of_months(book):
    # Planned to land in month 1 at once; slip ~ Poisson(2): month 1 is still unoptimized on
    # the paths that slipped at least a month, P = 1 - e^-2 = 0.8647. Binomial sd at n paths:
    # sqrt(p (1 - p) / n); allow 4.5 of them.
    n = 20_000
    s = make_scenario({"optimized": {"batch_share": 1.0}},
                      uncertainty={"slip_months": {"mean": 2.0}})
    sim = simulate(s, book, n_paths=n, seed=5)
    late = np.mean(np.isclose(sim.optimized[:, 0], 270.0))
    p = 1 - np.exp(-2.0)
    assert abs(late - p) < 4.5 * np.sqrt(p * (1 - p) / n)


def test_walk_back_reverts_batch_on_gray_workloads(book):
    gray = {"waiting": "gray", "acceptable_latency_minutes": 120,
            "optimized": {"batch_share": 1.0}}
    # Probability 1: by the last month every path has reverted to real time ($270).
    s1 = make_scenario(gray, uncertainty={"walk_back_probability": 1.0})
    sim = simulate(s1, book, n_paths=200, seed=2)
    np.testing.assert_allclose(sim.optimized[:, -1], 270.0)
    # Probability 0: stays batched ($135); the reverted (exposure) path still shows $270.
    s0 = make_scenario(gray, uncertainty={"walk_back_probability": 0.0})
    sim0 = simulate(s0, book, n_paths=200, seed=2)
    np.testing.assert_allclose(sim0.optimized[:, -1], 135.0)
    np.testing.assert_allclose(sim0.reverted[:, -1], 270.0)
    # Probability 0.3: about 30% of paths reverted by the last month (binomial, 4.5 sd).
    n = 20_000
    s3 = make_scenario(gray, uncertainty={"walk_back_probability": 0.3})
    share = np.mean(np.isclose(simulate(s3, book, n_paths=n, seed=3).optimized[:, -1], 270.0))
    assert abs(share - 0.3) < 4.5 * np.sqrt(0.3 * 0.7 / n)


def test_launch_probability_and_token_drift(book):
    n = 20_000
    s = make_scenario({"launch_probability": 0.25})
    launched = np.mean(simulate(s, book, n_paths=n, seed=6).current[:, 0] > 0)
    assert abs(launched - 0.25) < 4.5 * np.sqrt(0.25 * 0.75 / n)
    # Token drift of 1% a month with no spread: month 12 costs 270 * 1.01^11.
    d = make_scenario(uncertainty={"token_drift": {"monthly": 0.01, "volatility": 0.0}})
    sim = simulate(d, book, n_paths=2, seed=0)
    assert sim.current[0, 11] == pytest.approx(270 * 1.01**11)


def test_a_launch_enters_at_its_stated_volume(book):
    # Starts in month 13 with 5% growth: month 13 costs the stated $270 (growth compounds from
    # launch, not from the contract start), month 14 costs 270 * 1.05 = 283.50.
    s = make_scenario({"starts_month": 13, "growth": {"monthly": 0.05, "volatility": 0.0}},
                      horizon_months=24)
    p = project(s, book)
    assert p.current_total[11] == 0.0
    assert p.current_total[12] == pytest.approx(270.0)
    assert p.current_total[13] == pytest.approx(283.5)
    sim = simulate(s, book, n_paths=3, seed=0)
    np.testing.assert_allclose(sim.current[:, 12], 270.0, rtol=1e-6)


def test_token_drift_volatility_keeps_the_mean(book):
    # Token drift 1% a month with 5% monthly volatility: E[cost at month t] = 270 * 1.01^(t-1)
    # exactly (drift-corrected walk); month 24: 270 * 1.01^23 = 338.87. Tolerance 4.5 s.e.
    n = 20_000
    s = make_scenario(horizon_months=24,
                      uncertainty={"token_drift": {"monthly": 0.01, "volatility": 0.05}})
    month = simulate(s, book, n_paths=n, seed=12).current[:, 23]
    assert abs(month.mean() - 270 * 1.01**23) < 4.5 * month.std() / np.sqrt(n)
    assert project(s, book).current_total[23] == pytest.approx(270 * 1.01**23)

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


GRAY = {"waiting": "gray", "acceptable_latency_minutes": 120, "optimized": {"batch_share": 1.0}}


def test_planned_optimized_and_reverted_series(book):
    # One gray workload batched in month 1: planned stays at $135 on every path (no walk-back
    # drawn); reverted climbs back to $270 from each path's revert month; optimized follows
    # reverted on the paths where the walk-back happens (probability 0.5), planned elsewhere.
    s = make_scenario(GRAY, uncertainty={"walk_back_probability": 0.5})
    sim = simulate(s, book, n_paths=400, seed=8)
    np.testing.assert_allclose(sim.planned, 135.0, rtol=1e-6)
    assert set(np.round(np.unique(sim.reverted), 4)) == {135.0, 270.0}
    on_planned = np.isclose(sim.optimized, sim.planned)
    on_reverted = np.isclose(sim.optimized, sim.reverted)
    assert np.all(on_planned | on_reverted)
    # By the last month every path has reverted on the reverted series; a share of about
    # one half has on the optimized one (binomial, 4.5 sd at 400 paths: 0.5 +- 0.1125).
    np.testing.assert_allclose(sim.reverted[:, -1], 270.0, rtol=1e-6)
    assert abs(np.mean(on_reverted[:, -1]) - 0.5) < 4.5 * np.sqrt(0.25 / 400)
    # With no walk-back the optimized series is the planned one, to the byte.
    s0 = make_scenario(GRAY)
    sim0 = simulate(s0, book, n_paths=50, seed=8)
    assert sim0.optimized.tobytes() == sim0.planned.tobytes()


def test_price_cuts_scale_every_series_by_the_level_in_force(book):
    # Annual probability 0.5 -> monthly hazard q = 1 - 0.5^(1/12) = 0.056126, each cut 25%
    # (sd 0: fixed). With no other spread, month t costs $270 x the level, on every series;
    # the level is 0.75^k after k cuts; no cut in month 1 (priced by the book in force).
    n = 20_000
    s = make_scenario(horizon_months=13,
                      uncertainty={"price_cuts": {"annual_probability": 0.5,
                                                  "size": {"mean": 0.25, "sd": 0.0}}})
    sim = simulate(s, book, n_paths=n, seed=21)
    for series in (sim.current, sim.planned, sim.optimized, sim.reverted):
        np.testing.assert_allclose(series, 270.0 * sim.price_level, rtol=1e-6)
    np.testing.assert_allclose(sim.price_level[:, 0], 1.0)
    cuts = np.log(sim.price_level) / np.log(0.75)
    np.testing.assert_allclose(cuts, np.round(cuts), atol=1e-9)
    # P(no cut over months 2..13) = (1 - q)^12 = 0.5 exactly: binomial tolerance, 4.5 sd.
    uncut = np.mean(sim.price_level[:, -1] == 1.0)
    assert abs(uncut - 0.5) < 4.5 * np.sqrt(0.25 / n)
    # E[level at month 13] = (1 - q * 0.25)^12 = 0.844028; tolerance 4.5 s.e. of the sample.
    level = sim.price_level[:, -1]
    assert abs(level.mean() - 0.844028) < 4.5 * level.std() / np.sqrt(n)


def test_price_cut_sizes_follow_their_beta(book):
    # Certain cuts (probability 1 a year: q = 1, a cut every month from month 2) of Beta
    # size with mean 0.2, sd 0.05: month 2's level is 1 - size, mean 0.8 and sd 0.05.
    n = 20_000
    s = make_scenario(uncertainty={"price_cuts": {"annual_probability": 1.0,
                                                  "size": {"mean": 0.2, "sd": 0.05}}})
    level = simulate(s, book, n_paths=n, seed=22).price_level[:, 1]
    assert abs(level.mean() - 0.8) < 4.5 * 0.05 / np.sqrt(n)
    assert level.std() == pytest.approx(0.05, rel=0.05)


def test_growth_fit_draws_one_rate_per_path(book):
    # Growth 2% a month with a standard error of 1% and no volatility: each path's
    # log-volume is linear in the month, with slope ln(1.02) + 0.01 eps (eps ~ N(0, 1)).
    # Mean at month t: 270 * 1.02^(t-1) * exp(0.01^2 (t-1)^2 / 2); month 12:
    # 270 * 1.243374 * 1.006068 = 337.748. Tolerance 4.5 s.e. of the sample.
    n = 20_000
    s = make_scenario({"growth": {"monthly": 0.02, "volatility": 0.0, "monthly_sd": 0.01}})
    sim = simulate(s, book, n_paths=n, seed=23)
    slope = np.log(sim.current[:, 1:] / sim.current[:, :-1])
    assert np.abs(slope - slope[:, :1]).max() < 1e-5  # constant over months (float32 cells)
    assert abs(slope[:, 0].mean() - np.log(1.02)) < 4.5 * 0.01 / np.sqrt(n)
    assert slope[:, 0].std() == pytest.approx(0.01, rel=0.05)
    month12 = sim.current[:, 11]
    assert abs(month12.mean() - 337.748) < 4.5 * month12.std() / np.sqrt(n)


def test_a_paths_draws_do_not_depend_on_how_many_paths_follow(book):
    # Blocks have a fixed size for a scenario's shape (60 months x 3 workloads: 2,912 paths),
    # and each block draws from its own streams: the first block's paths are the same bytes
    # whether 2,912 or 6,000 paths are simulated.
    from forecast.simulation import block_paths

    s = make_scenario({"growth": {"monthly": 0.01, "volatility": 0.1}}, GRAY,
                      {"optimized": {"models": {"claude-haiku-4-5": 1.0}}}, horizon_months=60,
                      uncertainty={"shared_growth_volatility": 0.02, "slip_months": {"mean": 1},
                                   "walk_back_probability": 0.3,
                                   "lever_realization": {"mean": 0.8, "sd": 0.1}})
    size = block_paths(60, 3)
    assert size == 2912  # 2^19 cells // (60 x 3)
    small, large = simulate(s, book, n_paths=size, seed=4), simulate(s, book, n_paths=6000,
                                                                      seed=4)
    for field in ("current", "planned", "optimized", "reverted"):
        assert getattr(small, field).tobytes() == getattr(large, field)[:size].tobytes()
    assert large.current.shape == (6000, 60)


def test_only_the_effects_a_scenario_has_are_drawn(book):
    from forecast.draws import build_model, draw

    plain = make_scenario({"optimized": {"batch_share": 1.0}})
    d = draw(build_model(plain, book), 0, 0, 10)
    assert all(getattr(d, name) is None for name in (
        "walk", "shared", "growth", "realization", "slip", "revert", "happens", "launch", "cut",
        "cut_size"))
    rich = make_scenario({"growth": {"volatility": 0.1, "monthly_sd": 0.01},
                          "launch_probability": 0.5}, GRAY,
                         uncertainty={"shared_growth_volatility": 0.02,
                                      "lever_realization": {"mean": 0.8, "sd": 0.1},
                                      "slip_months": {"mean": 1.0},
                                      "walk_back_probability": 0.2,
                                      "price_cuts": {"annual_probability": 0.3,
                                                     "size": {"mean": 0.2, "sd": 0.05}}})
    d = draw(build_model(rich, book), 0, 0, 10)
    assert d.walk.shape == (11, 2, 10) and d.shared.shape == (11, 10)
    assert d.cut.shape == d.cut_size.shape == (11, 10)
    for name in ("growth", "realization", "slip", "revert", "happens", "launch"):
        assert getattr(d, name).shape == (2, 10), name


def test_a_variant_reuses_the_draws_of_every_effect_it_keeps(book):
    # Variants simulated together share their draws: the base gives the same bytes as a plain
    # simulation; adding slip leaves today's path untouched (slip moves only the plan) and
    # never makes a path's planned spend lower (a later landing saves less, path by path:
    # the slip is the Poisson quantile of one uniform per path, so it grows with its mean).
    from forecast.simulation import simulate_variants
    from forecast.variations import with_slip_mean

    s = make_scenario({"growth": {"monthly": 0.02, "volatility": 0.08},
                       "optimized": {"batch_share": 1.0, "lands_month": 2, "ramp_months": 2}},
                      horizon_months=24, uncertainty={"shared_growth_volatility": 0.03})
    base, late, later = simulate_variants([s, with_slip_mean(2.0)(s), with_slip_mean(4.0)(s)],
                                          book, 700, 5)
    assert base.optimized.tobytes() == simulate(s, book, n_paths=700, seed=5).optimized.tobytes()
    assert late.current.tobytes() == base.current.tobytes()
    assert np.all(late.planned >= base.planned * (1 - 1e-6))
    assert np.all(later.planned >= late.planned * (1 - 1e-6))
    assert np.any(later.planned > late.planned * (1 + 1e-3))


def test_a_variant_that_reorders_the_workloads_keeps_each_workloads_draws(book):
    # Walking back the gray workload's batch move takes it off the walk-back slab (engine
    # columns change order); its volume draws follow it, so today's path is unchanged.
    from forecast.simulation import simulate_variants
    from forecast.variations import walked_back

    s = make_scenario({**GRAY, "growth": {"volatility": 0.05}},
                      {"growth": {"volatility": 0.1}, "optimized": {"batch_share": 1.0}},
                      horizon_months=24, uncertainty={"walk_back_probability": 0.3})
    base, back = simulate_variants([s, walked_back(s)], book, 300, 2)
    np.testing.assert_allclose(back.current, base.current, rtol=1e-6)
    np.testing.assert_allclose(back.current_by_workload, base.current_by_workload, rtol=1e-6)

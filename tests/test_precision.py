"""Monte Carlo precision (docs/model.md, "Precision"): the control-variate estimator against
the plain mean, and every quoted standard error against the spread across seeds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from forecast.commitment import evaluate_commitment
from forecast.contract import YearlyUsage
from forecast.precision import Controls, plain_mean, proportion, quantile
from forecast.pricebook import load_price_book
from forecast.projection import Projection, project
from forecast.scenario import Scenario
from forecast.scenario_io import load_scenario
from forecast.simulation import simulate
from tests.conftest import ROOT

BOOK = load_price_book("anthropic-2026-11")
#: Seeds and paths per seed of the across-seeds tests: small paths, many seeds.
SEEDS, PATHS = 200, 400


# --------------------------------------------------------------------------- the estimator
def test_a_control_that_explains_everything_gives_its_exact_mean_with_no_error():
    # y = 3 + 2 x path by path, and E[x] = 10 is known: the estimate is 3 + 2 * 10 = 23
    # exactly, whatever the sample mean of x, with a standard error of 0 (to float rounding:
    # the residual sum of squares is a difference of two sums of about 46, so 1e-7 at most).
    x = np.array([8.0, 9.0, 13.0, 7.0, 12.0, 11.0, 6.0])
    est = Controls(x[:, None], [10.0]).mean(3.0 + 2.0 * x)
    assert est.value == pytest.approx(23.0, abs=1e-9)
    assert est.se == pytest.approx(0.0, abs=1e-7)


def test_a_control_that_does_not_vary_is_dropped_and_the_plain_mean_is_left():
    # A constant control carries no information: the estimate is the plain mean, (1 + 2 + 6)
    # / 3 = 3, with the plain standard error sqrt(var / n) = sqrt(7 / 3).
    y = np.array([1.0, 2.0, 6.0, 1.0, 2.0, 6.0])
    est = Controls(np.full((6, 1), 5.0), [4.0]).mean(y)
    assert est.value == pytest.approx(3.0)
    assert est.se == pytest.approx(np.sqrt(np.var(y, ddof=1) / 6))
    assert plain_mean(y).se == pytest.approx(est.se)


def test_proportion_and_quantile_standard_errors_by_hand():
    # 1 path in 10 short: p = 0.1, se = sqrt(0.1 * 0.9 / 10) = 0.0949.
    est = proportion(np.arange(10) == 3)
    assert (est.value, est.se) == pytest.approx((0.1, np.sqrt(0.09 / 10)))
    # The values 0..99: the 10% quantile by numpy's rule is 9.9; one binomial sd of the rank
    # is sqrt(100 * 0.1 * 0.9) = 3, so the order statistics at ranks floor(10 - 3) = 7 and
    # ceil(10 + 3) = 13 (values 7 and 13) give a standard error of (13 - 7) / 2 = 3.
    est = quantile(np.arange(100.0), 0.1)
    assert (est.value, est.se) == pytest.approx((9.9, 3.0))


# --------------------------------------------------------------------------- across seeds
def _scenario(fitted: bool = False) -> Scenario:
    """The three-workload example with list-price cuts too (they move the mean through the
    price level, a part of the projection the controls must get exactly right); ``fitted``:
    each workload's growth also fitted on 8 months (a standard error of 0.01 a month and a
    volatility drawn per path: the projection's mean lift by quadrature)."""
    s = load_scenario(ROOT / "scenarios" / "team-three-workloads.yaml")
    data = s.model_dump(mode="json")
    data["uncertainty"]["price_cuts"] = {"annual_probability": 0.3,
                                         "size": {"mean": 0.25, "sd": 0.1}}
    if fitted:
        for w in data["workloads"]:
            w["growth"] |= {"monthly_sd": 0.01, "fit_months": 8}
    return Scenario.model_validate(data)


def _usage(scenario: Scenario, seed: int, paths: int, projection: Projection | None = None
           ) -> YearlyUsage:
    """The simulation's yearly usage with the projection's exact means as its controls."""
    projection = project(scenario, BOOK) if projection is None else projection
    sim = dataclasses.replace(simulate(scenario, BOOK, n_paths=paths, seed=seed),
                              expected_current=projection.current_total,
                              expected_optimized=projection.optimized_total)
    return YearlyUsage.from_simulation(sim, scenario.contract.years)


@pytest.fixture(scope="module", params=[False, True], ids=["price-cuts", "fitted-growth"])
def across_seeds(request: pytest.FixtureRequest) -> dict[str, np.ndarray]:
    """Per seed: the plain and control-variate estimates of one commitment's figures and
    their quoted standard errors, at a commitment near 10% shortfall."""
    scenario = _scenario(fitted=request.param)
    contract = scenario.contract
    # The commitment: covers the 10% quantile of the lowest year's usage at the 5% tier
    # (from a larger run apart from the seeds below), so about 10% of paths fall short.
    projection = project(scenario, BOOK)
    reference = _usage(scenario, 10_000, 4000, projection)
    commit = 0.95 * float(np.quantile(reference.optimized.min(axis=1), 0.1))
    assert 100_000 <= commit < 250_000  # inside the 5% tier
    rows = []
    for seed in range(SEEDS):
        usage = _usage(scenario, seed, PATHS, projection)
        r = evaluate_commitment(contract, usage, commit)
        plain = dataclasses.replace(usage, controls=None)
        p = evaluate_commitment(contract, plain, commit)
        rows.append([r.expected_cost, p.expected_cost, r.expected_cost_se, p.expected_cost_se,
                     r.saving_vs_payg, p.saving_vs_payg, r.saving_vs_payg_se,
                     p.saving_vs_payg_se, r.shortfall_probability, r.shortfall_probability_se,
                     r.cost_p10, r.cost_p10_se, r.cost_p90, r.cost_p90_se,
                     r.bridge.unused, r.bridge.standard_errors["unused"]])
    names = ["cost", "cost_plain", "cost_se", "cost_plain_se", "vs_payg", "vs_payg_plain",
             "vs_payg_se", "vs_payg_plain_se", "short", "short_se", "p10", "p10_se", "p90",
             "p90_se", "unused", "unused_se"]
    table = np.array(rows)
    return {name: table[:, i] for i, name in enumerate(names)}


def test_control_variate_estimate_is_unbiased_against_the_plain_mean(across_seeds):
    # Both are estimates of the same expectation on the same paths; the plain mean is
    # unbiased, so the mean of their difference over 200 seeds is zero within 3 standard
    # errors of that mean.
    for cv, plain in (("cost", "cost_plain"), ("vs_payg", "vs_payg_plain")):
        diff = across_seeds[cv] - across_seeds[plain]
        se = diff.std(ddof=1) / np.sqrt(SEEDS)
        assert abs(diff.mean()) <= 3 * se, (cv, diff.mean(), se)


def test_control_variates_cut_the_variance(across_seeds):
    # Measured over 200 seeds at 400 paths, at this commitment near 10% shortfall: the
    # expected cost's variance falls 49-fold (82-fold with fitted growth: cost is discounted
    # usage plus the unused part, and usage is the control), the saving vs pay as you go's
    # 1.8-fold against the plain paired difference (what is left is the unused part's kink at
    # the commitment); asserted with room: 25-fold and 1.3-fold. (On the enterprise example's
    # recommended $3M, far from shortfall, the standard error of the expected cost falls
    # from $30,062 to $16.)
    for cv, plain, factor in (("cost", "cost_plain", 25.0), ("vs_payg", "vs_payg_plain", 1.3)):
        ratio = across_seeds[plain].var(ddof=1) / across_seeds[cv].var(ddof=1)
        assert ratio >= factor, (cv, ratio)


@pytest.mark.parametrize("figure", ["cost", "cost_plain", "vs_payg", "short", "p10", "p90",
                                    "unused"])
def test_quoted_standard_errors_agree_with_the_spread_across_seeds(across_seeds, figure):
    # The mean quoted standard error against the standard deviation of the estimate over 200
    # seeds (itself known to about 1 / sqrt(2 * 200) = 5%): within 20% (measured: 0.91 to
    # 1.07 of it).
    spread = across_seeds[figure].std(ddof=1)
    quoted = across_seeds[f"{figure}_se"].mean()
    assert quoted == pytest.approx(spread, rel=0.2), (figure, quoted, spread)


# --------------------------------------------------------------------------- the faces
def test_plan_json_carries_a_finite_standard_error_beside_every_quoted_estimate():
    from forecast.cli.display import _plan_text
    from forecast.plan import build_plan

    data = _scenario().model_dump(mode="json")
    # An offer with the scenario contract's own terms costs the same on every path (a
    # difference of 0 with a standard error of 0: within noise); one at a 30% discount
    # costs clearly less than both.
    data["offers"] = [{"name": "Same terms", "discount_tiers": data["contract"]["discount_tiers"]},
                      {"name": "Deep", "discount": 0.30, "commitments": 150_000}]
    plan = build_plan(Scenario.model_validate(data), BOOK, paths=1000, sensitivity=False)
    doc = plan.to_dict()
    lines = {"today_list", "levers", "payg", "discount", "unused", "expected_cost"}
    assert set(doc["bridge_se"]) == lines <= set(doc["bridge"])
    assert doc["bridge_se"]["payg"] < 1e-6 * doc["bridge"]["payg"]  # a control: exact
    assert {"vs_today_se", "vs_payg_se"} <= set(doc["saving"])
    keys = {"expected_cost_se", "saving_vs_today_se", "saving_vs_payg_se",
            "shortfall_probability_se", "cost_p10_se", "cost_p90_se"}
    for result in [doc["recommendation"]["recommended"], *doc["candidates"]]:
        assert keys <= set(result)
        assert all(np.isfinite(result[k]) and result[k] >= 0 for k in keys)
    # The binomial error of the recommended commitment's shortfall, sqrt(p (1 - p) / 1000).
    r = doc["recommendation"]["recommended"]
    p = r["shortfall_probability"]
    assert r["shortfall_probability_se"] == pytest.approx(np.sqrt(p * (1 - p) / 1000))
    assert all({"expected_cost_se", "saving_vs_payg_se", "shortfall_probability_se"}
               <= set(o) for o in doc["offers"])
    assert {"optimized_p10_se", "optimized_p90_se"} <= set(doc["yearly_list_usage"])
    calls = {(c["first"], c["second"]) for c in doc["position"]["within_noise"]}
    assert {("scenario contract", "Same terms"), ("Same terms", "scenario contract")} & calls
    assert not any("Deep" in pair for pair in calls)
    text = _plan_text(plan)
    assert "Monte Carlo error at 1,000 paths" in text
    assert "'Same terms'" in text and "are within noise of each other" in text

"""Contract evaluation and the recommendation, against hand arithmetic and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.commitment import evaluate_commitment
from forecast.contract import YearlyUsage, discount_for, evaluate, yearly
from forecast.recommendation import SortedUsage, recommend, risk_bounded_commit, sweep_flat
from forecast.scenario import Contract
from forecast.types import FlagLevel

TIERS = [{"min_annual_commit": 500_000, "discount": 0.08},
         {"min_annual_commit": 1_000_000, "discount": 0.12}]


def ev(c: Contract, optimized, baseline, amount):
    """Evaluate one commitment on optimized / baseline yearly usage."""
    return evaluate_commitment(c, YearlyUsage.of(optimized, baseline), amount)


def contract(**kw) -> Contract:
    return Contract.model_validate({"years": 1, **kw})


def test_discount_tiers():
    c = contract(discount_tiers=TIERS)
    np.testing.assert_allclose(discount_for(c, [0, 499_999, 500_000, 999_999, 1_000_000, 5e6]),
                               [0, 0, 0.08, 0.08, 0.12, 0.12])


def test_yearly_sums_twelve_months():
    monthly = np.arange(1.0, 37.0)  # 1..36
    # Year 1: 1+..+12 = 78; year 2: 13+..+24 = 222; year 3: 25+..+36 = 366.
    np.testing.assert_allclose(yearly(monthly, 3), [78, 222, 366])
    assert yearly(np.ones((5, 24)), 2).shape == (5, 2)


def test_costs_by_hand_discounted_overage():
    # C = 900,000 at 10% (one tier at 0): list usage 1.2M -> D = 1.08M -> cost 1.08M,
    # overage 180,000; list usage 800k -> D = 720k -> cost 900k, unused 180k.
    c = contract(discount_tiers=[{"min_annual_commit": 0, "discount": 0.1}])
    out = evaluate(c, np.array([[1_200_000.0], [800_000.0]]), 900_000)
    np.testing.assert_allclose(out.cost[:, 0], [1_080_000, 900_000])
    np.testing.assert_allclose(out.unused[:, 0], [0, 180_000])
    np.testing.assert_allclose(out.overage[:, 0], [180_000, 0])


def test_costs_by_hand_list_overage():
    # Overage at list: cost = C + max(0, L - C / (1 - d)). C = 900k, d = 0.1 covers 1M of list
    # usage: L = 1.2M -> 900k + 200k = 1.1M; L = 950k -> 900k (D = 855k, unused 45k).
    c = contract(discount_tiers=[{"min_annual_commit": 0, "discount": 0.1}], overage="list")
    out = evaluate(c, np.array([[1_200_000.0], [950_000.0]]), 900_000)
    np.testing.assert_allclose(out.cost[:, 0], [1_100_000, 900_000])
    np.testing.assert_allclose(out.unused[:, 0], [0, 45_000])


def test_rollover_by_hand():
    # Two years of 100, no discount, half the unspent balance rolls over. Usage 60 then 130:
    # year 1 balance 40 -> 20 carried, 20 forfeited; year 2 capacity 120, overage 10 -> 110.
    c = Contract.model_validate({"years": 2, "rollover": 0.5})
    out = evaluate(c, np.array([[60.0, 130.0]]), 100)
    np.testing.assert_allclose(out.cost[0], [100, 110])
    np.testing.assert_allclose(out.unused[0], [20, 0])
    # Full rollover, usage 50 then 100: year 1's 50 carries and year 2 leaves 150 - 100 = 50
    # unspent at the end. Paid 200, used 150: 50 unused in all, not 100.
    full = Contract.model_validate({"years": 2, "rollover": 1.0})
    out = evaluate(full, np.array([[50.0, 100.0]]), 100)
    np.testing.assert_allclose(out.unused[0], [0, 50])
    np.testing.assert_allclose(out.cost[0], [100, 100])


def test_zero_volatility_cost_curve_is_exact():
    # Every path uses exactly 1.2M list a year for 2 years; tiers as TIERS; discounted overage.
    # C = 0: cost 2 * 1.2M = 2.4M. C = 500k (8%): 2 * max(500k, 1.104M) = 2.208M.
    # C = 1M (12%): 2 * max(1M, 1.056M) = 2.112M. C = 1.2M (12%): 2 * 1.2M = 2.4M.
    c = Contract.model_validate({"years": 2, "discount_tiers": TIERS})
    usage = np.full((50, 2), 1_200_000.0)
    s = sweep_flat(c, SortedUsage(usage), SortedUsage(usage),
                   np.array([0, 500_000, 1_000_000, 1_200_000.0]))
    np.testing.assert_allclose(s.expected_cost, [2_400_000, 2_208_000, 2_112_000, 2_400_000])
    np.testing.assert_allclose(s.shortfall_probability, [0, 0, 0, 1])
    rec = recommend(c, usage, usage)
    assert rec.risk_neutral.annual_commit == pytest.approx(1_000_000)


def test_newsvendor_critical_fractile():
    """One discount d, overage at list: C* = (1 - d) F_L^-1(d), shortfall probability d.

    Yearly list usage is lognormal(ln 1e6, 0.25). With d = 0.2 the closed form is
    C* = 0.8 * exp(ln 1e6 + 0.25 * z_0.2) = 0.8 * 1e6 * exp(0.25 * -0.841621) = 647,478.
    """
    rng = np.random.default_rng(42)
    n = 200_000
    usage = np.exp(np.log(1e6) + 0.25 * rng.standard_normal((n, 1)))
    d = 0.2
    c = contract(discount_tiers=[{"min_annual_commit": 0, "discount": d}], overage="list")
    rec = recommend(c, usage, usage)
    closed_form = 0.8 * 1e6 * np.exp(0.25 * -0.8416212335729143)
    # Sampling error of the 20% quantile: sd = sqrt(p (1-p) / n) / f(q) ~ 0.06% of q here.
    assert rec.risk_neutral.annual_commit == pytest.approx(closed_form, rel=0.005)
    assert rec.risk_neutral.annual_commit == pytest.approx((1 - d) * np.quantile(usage, d),
                                                           rel=1e-4)
    assert rec.risk_neutral.shortfall_probability == pytest.approx(d, abs=0.005)
    # The grid sweep agrees within one grid step.
    step = 1.1 * np.quantile(usage, 0.99) / 199
    assert abs(rec.grid_optimum - closed_form) <= 1.5 * step


def test_recommendation_stable_when_grid_doubles():
    rng = np.random.default_rng(7)
    usage = np.exp(np.log(2e6) + 0.2 * rng.standard_normal((20_000, 3)))
    c = Contract.model_validate({"years": 3, "discount_tiers": TIERS, "overage": "list"})
    a = recommend(c, usage * 0.6, usage, n_grid=100)
    b = recommend(c, usage * 0.6, usage, n_grid=200)
    for x, y in ((a.recommended, b.recommended), (a.risk_bounded, b.risk_bounded)):
        assert abs(x.annual_commit - y.annual_commit) <= 0.01 * y.annual_commit


def test_risk_bounded_is_the_largest_within_appetite():
    rng = np.random.default_rng(3)
    usage = rng.uniform(800_000, 1_200_000, size=(10_000, 2))
    c = Contract.model_validate({"years": 2, "discount_tiers": TIERS})
    su = SortedUsage(usage)
    cap = risk_bounded_commit(c, su, 0.10)
    at = ev(c, usage, usage, cap).shortfall_probability
    above = ev(c, usage, usage, cap * 1.01).shortfall_probability
    assert at <= 0.10 < above


def test_stranded_limits():
    rng = np.random.default_rng(11)
    base = rng.uniform(900_000, 1_100_000, size=(5_000, 2))
    opt = 0.6 * base
    c = Contract.model_validate({"years": 2, "discount_tiers": TIERS})
    zero = ev(c, opt, base, 0.0)
    assert zero.stranded_savings == 0.0 and zero.flag == FlagLevel.GREEN
    # Above every path's baseline usage, the floor absorbs all of the saving:
    # min(C, D_base) - min(C, D_opt) = D_base - D_opt on every path.
    huge = ev(c, opt, base, 5_000_000.0)
    assert huge.stranded_savings == pytest.approx(huge.gross_savings, rel=1e-12)
    assert huge.stranded_share == pytest.approx(1.0) and huge.flag == FlagLevel.RED


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), years=st.integers(1, 4), n=st.integers(1, 300),
       commits=st.lists(st.floats(0, 3e6), min_size=1, max_size=6),
       overage=st.sampled_from(["discounted", "list"]),
       credit=st.sampled_from([0.0, 0.25, 0.5, 1.0]))
def test_sweep_matches_path_by_path_evaluation(seed, years, n, commits, overage, credit):
    # The closed form draws the shortfall credit too (rollover and moving price levels are
    # not closed form: tests/test_rules.py draws them against the rule itself).
    rng = np.random.default_rng(seed)
    base = rng.lognormal(np.log(1e6), 0.3, size=(n, years))
    opt = base * rng.uniform(0.3, 1.0, size=(n, years))
    c = Contract.model_validate({"years": years, "discount_tiers": TIERS, "overage": overage,
                                 "shortfall_credit": credit})
    s = sweep_flat(c, SortedUsage(opt), SortedUsage(base), np.array(commits))
    for i, amount in enumerate(commits):
        r = ev(c, opt, base, amount)
        assert s.expected_cost[i] == pytest.approx(r.expected_cost, rel=1e-9, abs=1e-6)
        assert s.expected_unused[i] == pytest.approx(r.expected_unused, rel=1e-9, abs=1e-6)
        assert s.expected_overage[i] == pytest.approx(r.expected_overage, rel=1e-9, abs=1e-6)
        assert s.stranded_savings[i] == pytest.approx(r.stranded_savings, rel=1e-9, abs=1e-6)
        assert s.shortfall_probability[i] == pytest.approx(r.shortfall_probability)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), commit=st.floats(0, 3e6), years=st.integers(1, 3))
def test_unused_minus_overage_is_commitment_minus_discounted_usage(seed, commit, years):
    # Overage discounted, no rollover: per path and year cost = max(C, D), so
    # unused - overage = (C - D); in expectation E[unused] - E[overage] = Y C - E[D].
    rng = np.random.default_rng(seed)
    usage = rng.lognormal(np.log(1e6), 0.4, size=(200, years))
    c = Contract.model_validate({"years": years, "discount_tiers": TIERS})
    r = ev(c, usage, usage, commit)
    d = r.discount[0]
    expected_d = (1 - d) * usage.sum(axis=1).mean()
    assert r.expected_unused - r.expected_overage == pytest.approx(
        years * commit - expected_d, rel=1e-9, abs=1e-3)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), a=st.floats(0, 3e6), b=st.floats(0, 3e6))
def test_bigger_commitment_never_lowers_shortfall_probability(seed, a, b):
    rng = np.random.default_rng(seed)
    usage = rng.lognormal(np.log(1e6), 0.4, size=(300, 2))
    c = Contract.model_validate({"years": 2, "discount_tiers": TIERS})
    lo, hi = sorted((a, b))
    p_lo = ev(c, usage, usage, lo).shortfall_probability
    p_hi = ev(c, usage, usage, hi).shortfall_probability
    assert p_hi >= p_lo


def test_ramp_keeps_the_joint_shortfall_within_appetite():
    # Sizing each of 3 years at the full 10% appetite lets some year fall short ~27% of the
    # time; the ramp is chosen jointly, so the chance that any year falls short stays <= 10%.
    rng = np.random.default_rng(8)
    growth = np.array([1.0, 1.6, 2.4])
    usage = np.exp(np.log(4e5) + 0.3 * rng.standard_normal((20_000, 3))) * growth
    c = Contract.model_validate({"years": 3, "overage": "list",
                                 "discount_tiers": [{"min_annual_commit": 0, "discount": 0.2}]})
    rec = recommend(c, usage, usage)
    assert rec.ramp.shortfall_probability <= 0.10
    assert rec.ramp.per_year[2] > rec.ramp.per_year[0]


def test_rollover_recommendation_matches_brute_force():
    # Rollover couples the years, so the closed forms do not hold; the recommendation is found
    # by direct evaluation and must match a brute-force search over a fine grid (to 0.05% of
    # the expected cost).
    rng = np.random.default_rng(5)
    usage = np.exp(np.log(3e5) + 0.35 * rng.standard_normal((4_000, 3)))
    tiers = [{"min_annual_commit": 100_000, "discount": 0.1},
             {"min_annual_commit": 300_000, "discount": 0.2}]
    c = Contract.model_validate({"years": 3, "rollover": 1.0, "overage": "list",
                                 "discount_tiers": tiers})
    rec = recommend(c, usage, usage, n_grid=50)
    brute = min(ev(c, usage, usage, float(x)).expected_cost
                for x in np.linspace(0, 600_000, 1201))
    assert rec.risk_neutral.expected_cost <= brute * (1 + 5e-4)

"""The search's rules (forecast/recommendation.py, forecast/negotiation.py), each pinned by a
figure worked out by hand (docs/model.md, "The recommended commitment", "Negotiation")."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.contract import YearlyUsage
from forecast.recommendation import (
    SortedUsage,
    _argmin,
    closed_form,
    exact_candidates,
    grid,
    recommend,
    risk_bounded_commit,
    safe_commit_amount,
    sweep_flat,
)
from forecast.scenario import Contract
from forecast.types import CommitmentKind

#: Two years, four paths: year 1 usage 10, 20, 30, 40; year 2 usage 40, 5, 25, 15.
USAGE = np.array([[10.0, 40.0], [20.0, 5.0], [30.0, 25.0], [40.0, 15.0]])


def test_sorted_usage_by_hand():
    su = SortedUsage(USAGE)
    assert (su.n_paths, su.years) == (4, 2)
    np.testing.assert_allclose(su.mean, [25, 21.25])  # 100 / 4, 85 / 4
    # E[max(0, L - 20)]: year 1 (0 + 0 + 10 + 20) / 4 = 7.5; year 2 (20 + 0 + 5 + 0) / 4
    # = 6.25. At K = 0 it is the mean; at K = 50 nothing.
    np.testing.assert_allclose(su.excess(np.array([20.0, 0.0, 50.0])),
                               [[7.5, 25, 0], [6.25, 21.25, 0]])
    # P(L < 20): year 1 one path of 4 (10; 20 is not below), year 2 two (5, 15).
    np.testing.assert_allclose(su.below(np.array([20.0])), [[0.25], [0.5]])
    # The yearly minimum per path is 10, 5, 25, 15: P(min < 15) = 2 / 4 (5 and 10), and
    # P(min < 15.5) = 3 / 4.
    np.testing.assert_allclose(su.any_below(np.array([15.0, 15.5])), [0.5, 0.75])
    np.testing.assert_allclose(su.min_sorted, [5, 10, 15, 25])
    np.testing.assert_allclose(su.pooled, [5, 10, 15, 20, 25, 30, 40, 40])


def contract(years: int = 1, **kw) -> Contract:
    return Contract.model_validate({"years": years, **kw})


TIERS = [{"min_annual_commit": 500_000, "discount": 0.08},
         {"min_annual_commit": 1_000_000, "discount": 0.12}]


def test_risk_bounded_commit_is_an_order_statistic_of_the_yearly_minimum():
    # Yearly minima sorted 5, 10, 15, 25 (no tiers: C = K). Appetite 25%: one path of four
    # may fall short, floor(0.25 * 4) = 1, so K is the second smallest, 10; appetite 0.99:
    # floor(3.96) = 3, K = 25; appetite 0.2: floor(0.8) = 0, K = 5.
    su = SortedUsage(USAGE)
    c = contract()
    assert [risk_bounded_commit(c, su, a) for a in (0.25, 0.99, 0.2)] == [10, 25, 5]
    # Under TIERS, K = 1.1M covers 0.88 * 1.1M = 968k below the 12% edge, so a dollar
    # under 1M in the 8% tier (0.92 * 1.1M = 1.012M is past it).
    big = SortedUsage(np.full((4, 1), 1_100_000.0))
    assert risk_bounded_commit(contract(discount_tiers=TIERS), big, 0.1) == 999_999


def test_exact_candidates_by_hand():
    # Overage discounted: no tier has an interior optimum, the candidates are 0 and the
    # tiers' lower edges, and the cap.
    su = SortedUsage(np.linspace(100.0, 1_000.0, 10)[:, None])
    disc = contract(discount_tiers=[{"min_annual_commit": 500, "discount": 0.1}])
    np.testing.assert_allclose(exact_candidates(disc, su), [0, 500])
    np.testing.assert_allclose(exact_candidates(disc, su, cap=400), [0, 400])
    # Overage at list, one 20% tier from 0: the exceedance 0.8 puts K* at the pooled
    # usage's 20% point: j = ceil(0.2 * 10) - 1 = 1 (float: 0.2 * 10 rounds to 2), so the
    # order statistics j - 1, j, j + 1 = 100, 200, 300 cover C = 80, 160, 240.
    lst = contract(overage="list", discount_tiers=[{"min_annual_commit": 0, "discount": 0.2}])
    np.testing.assert_allclose(exact_candidates(lst, su), [0, 80, 160, 240])
    np.testing.assert_allclose(exact_candidates(lst, su, cap=200), [0, 80, 160, 200])


def test_argmin_and_grid_by_hand():
    # Ties (within a cent and 1e-9 of the cost) go to the smaller commitment.
    assert _argmin(np.array([3.0, 1.0, 2.0]), np.array([5.0, 5.0, 6.0])) == 1.0
    assert _argmin(np.array([1.0, 2.0, 3.0]), np.array([5.004, 5.0, 6.0])) == 1.0
    assert _argmin(np.array([1.0, 2.0, 3.0]), np.array([5.006, 5.0, 6.0])) == 2.0
    # 5 points from 0 to 1,000, the edges under it (500) and a dollar under each (499), and
    # the extra 123; the edge at 2,000 is past the top.
    c = contract(discount_tiers=[{"min_annual_commit": 500, "discount": 0.1},
                                 {"min_annual_commit": 2_000, "discount": 0.2}])
    np.testing.assert_allclose(grid(1_000.0, 5, c), [0, 250, 499, 500, 750, 1_000])
    np.testing.assert_allclose(grid(1_000.0, 5, c, extra=np.array([123.0])),
                               [0, 123, 250, 499, 500, 750, 1_000])
    np.testing.assert_allclose(grid(0.0, 3, contract()), [0, 0.5, 1])


def test_closed_form_only_without_rollover_or_moving_prices():
    flat = YearlyUsage.of([[1.0, 2.0]], price_level=[[0.9, 0.9]])
    moving = YearlyUsage.of([[1.0, 2.0]], price_level=[[0.9, 1.0]])
    assert closed_form(contract(2), moving)
    assert closed_form(contract(2, price_protection=True), flat)
    assert not closed_form(contract(2, price_protection=True), moving)
    assert not closed_form(contract(2, rollover=0.25), flat)


def test_safe_commit_by_hand():
    # One path, one year: today 1,000, optimized 600, no tiers. The stranded share of a
    # commitment covering K is (min(K, 1,000) - min(K, 600)) / 400: amber 10% at K = 640.
    base, opt = SortedUsage(np.array([[1_000.0]])), SortedUsage(np.array([[600.0]]))
    assert safe_commit_amount(contract(), opt, base) == pytest.approx(640, abs=1e-6)
    # A 20% tier from 0: the same K covers C = 0.8 * 640 = 512.
    tier = contract(discount_tiers=[{"min_annual_commit": 0, "discount": 0.2}])
    assert safe_commit_amount(tier, opt, base) == pytest.approx(512, abs=1e-6)
    # Amber at 100%: every K is safe, up to the largest usage, 1,000.
    lax = contract(stranded_thresholds={"amber": 1.0, "red": 1.0})
    assert safe_commit_amount(lax, opt, base) == pytest.approx(1_000)
    # No saving (optimized = today's): nothing is safe to commit on a saving.
    assert safe_commit_amount(contract(), base, base) == 0.0


def test_sweep_with_a_discount_given_by_hand():
    # One path of 1,000 list usage, one year, overage discounted. C = 900 at a given 20%
    # (instead of its tier's 0): D = 800, cost max(900, 800) = 900, unused 100. At 5%: D =
    # 950, cost 950, overage 0.95 * (1,000 - 900 / 0.95) = 50.
    su = SortedUsage(np.array([[1_000.0]]))
    s = sweep_flat(contract(), su, su, np.array([900.0, 900.0]), np.array([0.2, 0.05]))
    np.testing.assert_allclose(s.expected_cost, [900, 950])
    np.testing.assert_allclose(s.expected_unused, [100, 0], atol=1e-9)
    np.testing.assert_allclose(s.expected_overage, [0, 50], atol=1e-9)
    np.testing.assert_allclose(s.discount, [0.2, 0.05])


def test_recommendation_on_certain_usage_by_hand():
    # Every path uses 1.2M a year for 2 years (today's path 2M); TIERS, overage discounted.
    # Risk-neutral: 1M (12%: 2 * max(1M, 1.056M) = 2.112M, the cheapest). Risk-bounded: no
    # path falls short below K = 1.2M: 0.88 * 1.2M = 1.056M. Recommended: 1M (<= 1.056M).
    # Unoptimized: today's 2M a year covered: 0.88 * 2M = 1.76M. Safe from stranding: share
    # (min(K, 2M) - min(K, 1.2M)) / 0.8M = 10% at K = 1.28M: 0.88 * 1.28M = 1,126,400.
    usage = np.full((50, 2), 1_200_000.0)
    c = contract(2, discount_tiers=TIERS)
    rec = recommend(c, usage, np.full((50, 2), 2_000_000.0), run_rate=1_500_000.0)
    assert rec.risk_neutral.annual_commit == pytest.approx(1_000_000)
    assert rec.risk_neutral.expected_cost == pytest.approx(2_112_000)
    assert rec.risk_bounded.annual_commit == pytest.approx(1_056_000)
    assert rec.recommended.annual_commit == pytest.approx(1_000_000)
    np.testing.assert_allclose(rec.unoptimized.per_year, [1_760_000, 1_760_000])
    assert rec.safe_commit.annual_commit == pytest.approx(1_126_400, abs=0.01)
    assert rec.run_rate.annual_commit == 1_500_000
    assert rec.appetite == 0.1
    # Flat usage: no ramp beats flat; the ramp is the flat commitment, not advised.
    assert not rec.ramp_advised and rec.ramp_gain == 0.0
    assert rec.ramp.expected_cost == pytest.approx(2_112_000)
    assert {r.kind for r in (rec.risk_neutral, rec.risk_bounded, rec.recommended, rec.ramp,
                             rec.safe_commit, rec.unoptimized, rec.run_rate)} == {
        CommitmentKind.RISK_NEUTRAL, CommitmentKind.RISK_BOUNDED, CommitmentKind.RECOMMENDED,
        CommitmentKind.RAMP, CommitmentKind.SAFE_FROM_STRANDING,
        CommitmentKind.UNOPTIMIZED_FORECAST, CommitmentKind.RUN_RATE}
    # The grid's own optimum is the 1M edge (a grid point), and the sweep spans 0 to 1.1
    # times today's 99th percentile, 2.2M.
    assert rec.grid_optimum == pytest.approx(1_000_000)
    assert rec.sweep.commitment[0] == 0 and rec.sweep.commitment[-1] == pytest.approx(2.2e6)
    # Another appetite is the one quoted, and no run rate is tabled without one.
    other = recommend(c, usage, usage, appetite=0.3)
    assert other.appetite == 0.3 and other.run_rate is None

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
    # Appetite 1: floor(4) = 4 is past the last path: the largest minimum, 25.
    assert risk_bounded_commit(c, su, 1.0) == 25
    # 0.29 * 100 is 28.999999999999996 in floating point: 29 paths may fall short (the 1e-9
    # nudge), so K is the 30th smallest of 1..100, 30.
    hundred = SortedUsage(np.arange(1.0, 101.0)[:, None])
    assert risk_bounded_commit(c, hundred, 0.29) == 30
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
    # Twenty paths 100..2,000: j = ceil(0.2 * 20) - 1 = 3, the order statistics 300, 400,
    # 500 cover 240, 320, 400.
    su20 = SortedUsage(np.linspace(100.0, 2_000.0, 20)[:, None])
    np.testing.assert_allclose(exact_candidates(lst, su20), [0, 240, 320, 400])
    # A full credit (s = 1): exceedance 0, K* at the top: j = 10 - 1 = 9, the statistics 900
    # and 1,000 (twice, clipped to the last path) cover 720 and 800.
    full = contract(overage="list", shortfall_credit=1.0,
                    discount_tiers=[{"min_annual_commit": 0, "discount": 0.2}])
    np.testing.assert_allclose(exact_candidates(full, su), [0, 720, 800])


def test_argmin_and_grid_by_hand():
    # Ties (within a cent and 1e-9 of the cost) go to the smaller commitment.
    assert _argmin(np.array([3.0, 1.0, 2.0]), np.array([5.0, 5.0, 6.0])) == 1.0
    assert _argmin(np.array([1.0, 2.0, 3.0]), np.array([5.004, 5.0, 6.0])) == 1.0
    assert _argmin(np.array([1.0, 2.0, 3.0]), np.array([5.006, 5.0, 6.0])) == 2.0
    # The tie line: best + 1e-9 max(|best|, 1) + 0.005, included. At 5: 5.005000005.
    line = 5.0 + 1e-9 * 5.0 + 0.005
    assert _argmin(np.array([2.0, 1.0]), np.array([5.0, line])) == 1.0
    # At 1M the relative part is 0.001: 0.0055 above is a tie; at 1 it is 1e-9 (not 2e-9).
    assert _argmin(np.array([2.0, 1.0]), np.array([1e6, 1e6 + 0.0055])) == 1.0
    assert _argmin(np.array([2.0, 1.0]), np.array([1.0, 1.0 + 0.005 + 1.5e-9])) == 2.0
    # 5 points from 0 to 1,000, the edges under it (500) and a dollar under each (499), and
    # the extra 123; the edge at 2,000 is past the top.
    c = contract(discount_tiers=[{"min_annual_commit": 500, "discount": 0.1},
                                 {"min_annual_commit": 2_000, "discount": 0.2}])
    np.testing.assert_allclose(grid(1_000.0, 5, c), [0, 250, 499, 500, 750, 1_000])
    np.testing.assert_allclose(grid(1_000.0, 5, c, extra=np.array([123.0])),
                               [0, 123, 250, 499, 500, 750, 1_000])
    np.testing.assert_allclose(grid(0.0, 3, contract()), [0, 0.5, 1])
    # An edge at the top is kept, with the dollar under it; a tier from 0 adds 0 (not -1).
    np.testing.assert_allclose(grid(500.0, 3, c), [0, 250, 499, 500])
    zero = contract(discount_tiers=[{"min_annual_commit": 0, "discount": 0.1}])
    np.testing.assert_allclose(grid(100.0, 3, zero), [0, 50, 100])


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
    assert safe_commit_amount(lax, opt, base) == 1_000.0
    # Two paths, today 1,000 each, optimized 600 and 800 (gross 300): for K in [600, 800]
    # the share is (K - (600 + K) / 2) / 300, 10% at K = 660.
    two_base = SortedUsage(np.array([[1_000.0], [1_000.0]]))
    two_opt = SortedUsage(np.array([[600.0], [800.0]]))
    assert safe_commit_amount(contract(), two_opt, two_base) == pytest.approx(660, abs=1e-6)
    # Under a dollar: today 1, optimized 0.5: the share (min(K, 1) - min(K, 0.5)) / 0.5 is
    # 10% at K = 0.55.
    tiny = safe_commit_amount(contract(), SortedUsage(np.array([[0.5]])),
                              SortedUsage(np.array([[1.0]])))
    assert tiny == pytest.approx(0.55, abs=1e-9)
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
    # Integer commitments and discounts come back as floats.
    ints = sweep_flat(contract(), su, su, np.array([900]), np.array([0]))
    assert ints.commitment.dtype == np.float64 and ints.discount.dtype == np.float64


def test_sweep_gross_and_stranded_by_hand():
    # One year, a 10% tier from 0, overage at list; optimized paths 800 and 1,200, today's
    # twice that. C = 900 covers K = 1,000. Gross: 0.9 * (2,000 - 1,000) = 900. Stranded:
    # 0.9 * ((E[L_base] - G_base) - (E[L_opt] - G_opt)) = 0.9 * ((2,000 - 1,000) - (1,000 -
    # 100)) = 90 (per path min(900, D_base) - min(900, D_opt): 900 - 720 and 900 - 900).
    c = contract(overage="list", discount_tiers=[{"min_annual_commit": 0, "discount": 0.1}])
    opt = SortedUsage(np.array([[800.0], [1_200.0]]))
    base = SortedUsage(np.array([[1_600.0], [2_400.0]]))
    s = sweep_flat(c, opt, base, np.array([900.0, 0.0]))
    # (C = 0 earns the tier from 0 too: the same 900 gross, nothing stranded.)
    np.testing.assert_allclose(s.gross_savings, [900, 900])
    np.testing.assert_allclose(s.stranded_savings, [90, 0])


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


# --------------------------------------------------------------------------- the desk
def test_alternative_and_flat_costs_by_hand():
    from forecast.negotiation import alternative, flat_costs

    # Terms 3, 7, 11 over two years: mean 7; P10 3 + 0.2 * 4 = 3.8; P90 7 + 0.8 * 4 = 10.2.
    a = alternative(YearlyUsage.of([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    assert (a.years, a.expected_cost, a.cost_p10, a.cost_p90) == pytest.approx(
        (2, 7, 3.8, 10.2))
    # One path of 600 then 1,400 list, no discount, C = 1,000 a year, overage at list.
    # No rollover (closed form): 1,000 + (1,000 + 400) = 2,400, year 1 short.
    # Full rollover (path by path): year 1's 400 carries, year 2 covers 1,400: 2,000, and
    # nothing is lost: not short.
    usage = YearlyUsage.of([[600.0, 1_400.0]])
    cost, short = flat_costs(contract(2, overage="list"), usage, np.array([1_000.0]))
    assert (cost[0], short[0]) == pytest.approx((2_400, 1))
    cost, short = flat_costs(contract(2, overage="list", rollover=1.0), usage,
                             np.array([1_000.0]))
    assert (cost[0], short[0]) == pytest.approx((2_000, 0))
    # A discount given: 50% on C = 1,000 covers 2,000 a year: cost 2,000, year 1 short.
    cost, _ = flat_costs(contract(2, overage="list"), usage, np.array([1_000.0]),
                         np.array([0.5]))
    assert cost[0] == pytest.approx(2_000)


def test_walk_away_by_hand():
    from forecast.negotiation import walk_away

    # One year; half the paths use 1M of list, half 2M: pay as you go 1.5M. One 10% tier
    # from 0, overage at list. With K = C / 0.9: for K <= 1M the expected cost is
    # 1.5M - C / 9; for 1M < K <= 2M it is C + 0.5 (2M - K) = 1M + C (1 - 1 / 1.8), which
    # reaches 1.5M at C = 0.5M / (4 / 9) = 1.125M. Appetite 60%: the cap covers the 2M paths,
    # C = 1.8M, so pay as you go bounds it: 1.125M, falling short on the 1M half.
    usage = YearlyUsage.of(np.repeat([[1e6], [2e6]], 25, axis=0))
    c = contract(overage="list", discount_tiers=[{"min_annual_commit": 0, "discount": 0.1}])
    w = walk_away("offer", c, usage, 0.6, 1.5e6)
    assert (w.offer, w.bound) == ("offer", "payg")
    assert w.annual_commit == pytest.approx(1_125_000, abs=1.0)
    assert w.expected_cost == pytest.approx(1.5e6, abs=0.01)
    assert w.shortfall_probability == 0.5
    # Appetite 10%: the cap covers the 1M paths, C = 0.9M (cost 1.5M - 0.1M = 1.4M): the
    # appetite bounds it.
    w = walk_away("offer", c, usage, 0.1, 1.5e6)
    assert (w.bound, w.shortfall_probability) == ("appetite", 0.0)
    assert w.annual_commit == pytest.approx(900_000, abs=1.0)
    assert w.expected_cost == pytest.approx(1_400_000, abs=1.0)
    # A tier from 5M only: nothing under it earns a discount, nothing above it beats pay as
    # you go; the walk-away is $0, which costs pay as you go.
    far = contract(overage="list", discount_tiers=[{"min_annual_commit": 5e6, "discount": 0.1}])
    w = walk_away("far", far, usage, 0.6, 1.5e6)
    assert (w.annual_commit, w.bound) == (0.0, "none")
    assert w.expected_cost == pytest.approx(1.5e6)
    # The same with a rollover (years 2, by direct evaluation): certain usage of 1M a year
    # under TIERS, discounted overage: the cap covers 1M, C = 0.92 * 1M = 920k (8% tier),
    # cost 2 * 920k = 1.84M < 2M.
    two = YearlyUsage.of(np.full((20, 2), 1e6))
    w = walk_away("roll", contract(2, rollover=0.5, discount_tiers=TIERS), two, 0.1, 2e6)
    assert w.bound == "appetite"
    assert w.annual_commit == pytest.approx(920_000, rel=1e-5)
    assert w.expected_cost == pytest.approx(1_840_000, rel=1e-5)


def test_break_even_discount_by_hand():
    from forecast.negotiation import break_even_discount

    # One year, paths at 0.5M and 1.5M list (pay as you go 1M), overage discounted.
    # C = 1M at discount d: 0.5 (1M + max(1M, 1.5M (1 - d))) = 1.25M - 0.75M d until
    # d = 1/3, then 1M: the least discount that costs no more than pay as you go is 1/3.
    # C = 0.4M: at d = 0 it costs max(0.4M, L) = L, pay as you go already: 0. C = 2M: at
    # least 2M whatever the discount: none.
    usage = YearlyUsage.of(np.array([[0.5e6], [1.5e6]]))
    out = break_even_discount(contract(), usage, np.array([1e6, 0.4e6, 2e6]), 1e6)
    assert [b.annual_commit for b in out] == [1e6, 0.4e6, 2e6]
    assert out[0].discount == pytest.approx(1 / 3, abs=1e-8)
    assert (out[1].discount, out[2].discount) == (0.0, None)
    # The same by direct evaluation (rollover on a one-year term changes nothing).
    roll = YearlyUsage.of(np.array([[0.5e6, 0.5e6], [1.5e6, 1.5e6]]))
    out = break_even_discount(contract(2, rollover=1.0), roll, np.array([1e6]), 2e6)
    # Two years, rollover: year 1 carries the 0.5M path's unused 1M - 0.5M (1 - d)... at
    # d = 1/3 each path still costs 1M a year (no overage on the 1.5M path at 1M / (2/3)
    # = 1.5M covered), so the same 1/3.
    assert out[0].discount == pytest.approx(1 / 3, abs=1e-6)


def test_lower_threshold_and_asks_by_hand():
    from forecast.negotiation import Clause, _with_lower_threshold, evaluate_offer, value_asks

    c = contract(2, overage="list", discount_tiers=TIERS)
    lowered, words = _with_lower_threshold(c, 700_000.0)
    assert [(t.min_annual_commit, t.discount) for t in lowered.discount_tiers] == [
        (500_000, 0.08), (700_000, 0.12)]
    assert words == ("the 12% tier's threshold moved from $1,000,000 down to $700,000 a "
                     "year")
    assert _with_lower_threshold(c, 0.0) is None
    assert _with_lower_threshold(c, 1_200_000.0) is None
    # Three tiers: moving the middle one down keeps the tier above it.
    three = contract(2, discount_tiers=[*TIERS, {"min_annual_commit": 2e6, "discount": 0.2}])
    lowered, _ = _with_lower_threshold(three, 700_000.0)
    assert [t.min_annual_commit for t in lowered.discount_tiers] == [500_000, 700_000, 2e6]
    # Certain usage of 1M a year for two years; 700k a year fixed at 8%, overage at list:
    # covered 700k / 0.92 = 760,870, overage 239,130, 939,130 a year, 1,878,261 in all.
    # The 12% tier at 700k: covered 795,455, 904,545 a year, 1,809,091: worth 69,170.
    # Overage at 0.92: 700k + 0.92 * 239,130 = 920k a year: worth 2 * 19,130 = 38,261.
    # Rollover, a credit, price protection: nothing is unused and prices do not move: 0.
    usage = YearlyUsage.of(np.full((20, 2), 1e6))
    fixed = contract(2, overage="list", discount_tiers=TIERS, commitments=700_000)
    offer = evaluate_offer("Vendor", fixed, usage, 0.1)
    base = 2 * (700_000 + 1e6 - 700_000 / 0.92)
    assert offer.result.expected_cost == pytest.approx(base)
    asks = {a.clause: a for a in value_asks(offer, usage, 0.1)}
    lower = 2 * (700_000 + 1e6 - 700_000 / 0.88)
    assert asks[Clause.LOWER_THRESHOLD].expected_value == pytest.approx(base - lower)
    assert asks[Clause.DISCOUNTED_OVERAGE].expected_value == pytest.approx(base - 1.84e6)
    for clause in (Clause.ROLLOVER, Clause.SHORTFALL_CREDIT, Clause.PRICE_PROTECTION):
        assert asks[clause].expected_value == pytest.approx(0, abs=1e-6)
    ordered = value_asks(offer, usage, 0.1)
    assert [a.clause for a in ordered[:2]] == [Clause.LOWER_THRESHOLD,
                                               Clause.DISCOUNTED_OVERAGE]
    assert all(a.offer == "Vendor" and a.shortfall_probability_after == 0 for a in ordered)
    np.testing.assert_allclose(asks[Clause.LOWER_THRESHOLD].per_year_after, [700_000] * 2)
    # Every rollover share above the offer's own is asked: 25%, 50% and 100%.
    rollovers = [a.description for a in ordered if a.clause == Clause.ROLLOVER]
    assert sorted(rollovers) == [f"rollover of {p} of unused commitment to the next year"
                                 for p in ("100%", "25%", "50%")]
    assert asks[Clause.SHORTFALL_CREDIT].description == \
        "a credit of 50% of any unused commitment"
    assert asks[Clause.DISCOUNTED_OVERAGE].description == \
        "overage at the discounted rate instead of list"
    # An offer that already has the clauses is not asked for them.
    granted = contract(2, overage="discounted", discount_tiers=TIERS, commitments=700_000,
                       rollover=1.0, shortfall_credit=0.5, price_protection=True)
    kinds = {a.clause for a in value_asks(evaluate_offer("G", granted, usage, 0.1), usage, 0.1)}
    assert kinds <= {Clause.LOWER_THRESHOLD, Clause.RAMP}


def test_offers_ranked_and_dominated_by_hand():
    from forecast.negotiation import _dominates, _rank, evaluate_offer, offer_level
    from forecast.types import FlagLevel

    # Certain usage of 1M a year for two years (pay as you go 2M); 700k a year fixed,
    # overage discounted. At 12%: max(700k, 880k) = 880k a year, 1.76M; at 8%: 920k a
    # year, 1.84M; at 0% (a tier from 5M): 2M, no saving: not worth signing, and red.
    usage = YearlyUsage.of(np.full((20, 2), 1e6))

    def fixed(d: float, edge: float = 0.0, years: int = 2):
        return contract(years, commitments=700_000,
                        discount_tiers=[{"min_annual_commit": edge, "discount": d}])

    deep = evaluate_offer("Deep", fixed(0.12), usage, 0.1)
    shallow = evaluate_offer("Shallow", fixed(0.08), usage, 0.1)
    none = evaluate_offer("None", fixed(0.1, 5e6), usage, 0.1)
    assert (deep.result.expected_cost, shallow.result.expected_cost) == pytest.approx(
        (1.76e6, 1.84e6))
    assert (deep.saving_vs_payg, shallow.saving_vs_payg) == pytest.approx((240_000, 160_000))
    assert deep.worth_signing and shallow.worth_signing and not none.worth_signing
    assert deep.within_appetite and deep.fixed
    assert _dominates(deep, shallow) and not _dominates(shallow, deep)
    assert not _dominates(deep, deep)  # not less in expectation
    ranked = _rank([none, shallow, deep])
    assert [(o.name, o.rank, o.dominated_by) for o in ranked] == [
        ("Deep", 1, None), ("Shallow", 2, "Deep"), ("None", 3, "Shallow")]
    assert offer_level(ranked[2]) == FlagLevel.RED
    assert offer_level(ranked[0]) == deep.result.colour == FlagLevel.GREEN
    # Another term is never compared path by path.
    one_year = evaluate_offer("One", fixed(0.12, years=1), YearlyUsage.of(np.full((20, 1), 1e6)),
                              0.1)
    assert not _dominates(deep, one_year) and not _dominates(one_year, deep)
    # Two offers worth signing, neither dominated: cheaper per year first. One year at 8%
    # costs 920k in all, less than Deep's 1.76M, but more per year than Deep's 880k.
    short = evaluate_offer("Short", fixed(0.08, years=1),
                           YearlyUsage.of(np.full((20, 1), 1e6)), 0.1)
    assert [o.name for o in _rank([short, deep])] == ["Deep", "Short"]


def has(doc: dict, expected: dict) -> None:
    """Every key worked by hand is in the JSON with its figure (keys added later, such as
    standard errors, are the serializer's tests' to pin)."""
    assert {k: doc[k] for k in expected} == expected


def test_the_desk_as_json_by_hand():
    from forecast.negotiation import (
        Ask,
        BreakEven,
        Clause,
        Position,
        alternative,
        evaluate_offer,
    )

    # Certain usage of 1M a year for two years: pay as you go 2M (P10 = P90 = 2M). The
    # offer: 700k a year fixed at 12%, overage discounted: max(700k, 880k) = 880k a year,
    # 1.76M, a saving of 240k; nothing falls short. Its walk-away: the cap covers 1M,
    # 0.88 * 1M = 880k, which costs 1.76M: bounded by the appetite.
    usage = YearlyUsage.of(np.full((20, 2), 1e6))
    terms = contract(2, commitments=700_000,
                     discount_tiers=[{"min_annual_commit": 0, "discount": 0.12}])
    offer = evaluate_offer("Deep", terms, usage, 0.1)
    payg = alternative(usage)
    has(payg.to_dict(), {"years": 2, "expected_cost": 2e6, "cost_p10": 2e6,
                         "cost_p90": 2e6})
    walk = {"offer": "Deep", "annual_commit": pytest.approx(880_000, abs=1),
            "expected_cost": pytest.approx(1.76e6, abs=2), "shortfall_probability": 0.0,
            "bound": "appetite"}
    has(offer.walk_away.to_dict(), walk)
    doc = offer.to_dict()
    expected = {
        "name": "Deep", "rank": 0, "fixed": True, "years": 2, "annual_commit": 700_000.0,
        "discount": [0.12, 0.12], "expected_cost": pytest.approx(1.76e6),
        "cost_p10": pytest.approx(1.76e6), "cost_p90": pytest.approx(1.76e6),
        "saving_vs_payg": pytest.approx(240_000), "shortfall_probability": 0.0,
        "stranded_savings": 0.0, "flag": "green", "reasons": [], "dominated_by": None,
        "worth_signing": True, "best_flat": offer.best_flat.annual_commit,
        # Against pay as you go on every path: 1.76M - 2M = -240k, at P90 and in the worst
        # 10% alike (the usage is certain); nothing unused (880k of usage against 700k).
        "extra_cost_p90": pytest.approx(-240_000), "cvar90_extra_cost": pytest.approx(-240_000),
        "expected_unused": 0.0,
        "best_ramp": offer.best_ramp.per_year.tolist(), "walk_away": walk}
    assert {k: doc[k] for k in expected} == expected
    # No best flat or ramp under the offer's terms: null, not an error.
    from dataclasses import replace

    bare_offer = replace(offer, best_flat=None, best_ramp=None).to_dict()
    assert (bare_offer["best_flat"], bare_offer["best_ramp"]) == (None, None)
    # A ramp is written per year, not as one annual amount.
    ramp = evaluate_offer("Ramp", terms.model_copy(update={"commitments": [600_000, 800_000]}),
                          usage, 0.1)
    assert ramp.to_dict()["per_year"] == [600_000, 800_000]
    assert "annual_commit" not in ramp.to_dict()
    ask = Ask(Clause.ROLLOVER, "Deep", "words", 12.5, 0.05, np.array([1.0, 2.0]))
    assert ask.to_dict() == {"clause": "rollover", "offer": "Deep", "description": "words",
                             "expected_value": 12.5, "shortfall_probability_after": 0.05,
                             "per_year_after": [1.0, 2.0]}
    even = BreakEven(700_000.0, 0.05)
    assert even.to_dict() == {"annual_commit": 700_000.0, "discount": 0.05}
    pos = Position(alternative=payg, offers=[offer], target=offer, break_even=[even],
                   named_break_even=[BreakEven(1.0, None)], opening_ask=ask, asks=[ask])
    assert pos.walk_away == [offer.walk_away]
    has(pos.to_dict(), {
        "payg_expected_cost": 2e6, "payg": payg.to_dict(),
        "walk_away": [walk], "break_even_discount": [even.to_dict()],
        "named_break_even_discount": [{"annual_commit": 1.0, "discount": None}],
        "opening_ask": ask.to_dict(), "asks": [ask.to_dict()], "package": None})
    has(pos.to_dict()["target"], {
        "offer": "Deep", "per_year": [700_000.0, 700_000.0],
        "expected_cost": pytest.approx(1.76e6), "saving_vs_payg": pytest.approx(240_000),
        "shortfall_probability": 0.0})
    bare = Position(alternative=payg, offers=[], target=None, break_even=[],
                    named_break_even=[], opening_ask=None)
    assert bare.to_dict()["target"] is None and bare.to_dict()["opening_ask"] is None
    assert bare.to_dict()["asks"] == []


def test_negotiate_by_hand():
    from forecast.errors import PlannerError
    from forecast.negotiation import SCENARIO_OFFER, negotiate
    from tests.conftest import make_scenario

    # Certain usage of 1M a year for two years: pay as you go 2M. The scenario's contract
    # (TIERS, overage discounted, the buyer chooses): 500k at 8% costs 2 * max(500k, 920k)
    # = 1.84M, the cheapest (the 12% tier costs 2C >= 2M). "Fixed": 700k at 12%,
    # 2 * max(700k, 880k) = 1.76M, no more on any path: it dominates the scenario's.
    # "Poor": 1.5M at 1%, 3M: not worth signing, dominated by the scenario's (first listed).
    s = make_scenario(horizon_months=24, contract={"years": 2, "discount_tiers": TIERS},
                      offers=[{"name": "Fixed", "discount": 0.12, "commitments": 700_000},
                              {"name": "Poor", "discount": 0.01, "commitments": 1_500_000}])
    usage = YearlyUsage.of(np.full((20, 2), 1e6))
    rec = recommend(s.contract, usage)
    assert rec.recommended.annual_commit == 500_000
    pos = negotiate(s, usage, rec, commits=[np.array([700_000.0])], asks_for=["Poor"])
    assert pos.alternative.expected_cost == 2e6
    assert [(o.name, o.rank, o.dominated_by) for o in pos.offers] == [
        ("Fixed", 1, None), (SCENARIO_OFFER, 2, "Fixed"), ("Poor", 3, SCENARIO_OFFER)]
    assert [o.result.expected_cost for o in pos.offers] == pytest.approx([1.76e6, 1.84e6,
                                                                          3e6])
    assert pos.target.name == "Fixed"
    # The break-even curve: 12 points from 0 to 1.2 times the 90th percentile (1M),
    # rounded to the thousand. Up to 1M, committing already costs pay as you go at d = 0;
    # above it, 2C > 2M whatever the discount.
    assert [b.annual_commit for b in pos.break_even] == [
        0, 109_000, 218_000, 327_000, 436_000, 545_000, 655_000, 764_000, 873_000, 982_000,
        1_091_000, 1_200_000]
    assert [b.discount for b in pos.break_even] == [0.0] * 10 + [None, None]
    assert [(b.annual_commit, b.discount) for b in pos.named_break_even] == [(700_000, 0.0)]
    with pytest.raises(PlannerError, match="--asks-for: no offer named Nobody"):
        negotiate(s, usage, rec, asks_for=["Nobody"])
    # A fixed commitment in the contract is the first named break-even.
    fixed = s.model_copy(update={"contract": s.contract.model_copy(
        update={"commitments": [900_000.0, 900_000.0]}), "offers": []})
    pos = negotiate(fixed, usage, rec, commits=[np.array([700_000.0])])
    assert [b.annual_commit for b in pos.named_break_even] == [900_000, 700_000]
    assert [o.name for o in pos.offers] == [SCENARIO_OFFER]


def test_risk_bounded_direct_by_hand():
    from forecast.recommendation import risk_bounded_direct

    # Two years, rollover 50%, no tiers; path i uses L_i both years. Year 1 loses half of
    # any balance, so a path falls short exactly when L_i < C: P(short) = P(L < C).
    two = contract(2, rollover=0.5)

    def cap(levels, appetite, high):
        usage = YearlyUsage.of(np.repeat(np.asarray(levels, dtype=float)[:, None], 2, axis=1))
        return risk_bounded_direct(two, usage, appetite, high)

    # L = 100, 200, ..., 1,000; appetite 20%: P(L < C) <= 0.2 up to C = 300 (100 and 200
    # below it), on the line included.
    assert cap(np.arange(100, 1_001, 100), 0.2, 1_000.0) == pytest.approx(300, abs=1e-3)
    # A path at 0.5 and appetite 0: the largest C is 0.5, under the bracket's first step.
    assert cap([0.5, *range(100, 1_000, 100)], 0.0, 1_000.0) == pytest.approx(0.5, abs=1e-3)
    # The answer in the last step of the bracket (968.75 to 1,000): 990.
    assert cap([990.0, 2_000.0], 0.0, 1_000.0) == pytest.approx(990, abs=1e-3)
    # Everything up to the top is within the appetite: the top, 1 (the top is at least $1).
    assert cap([0.5, 1.5], 0.5, 0.5) == 1.0


def test_recommendation_with_rollover_on_certain_usage_by_hand():
    # 5M of list every year for three years, a 10% tier from 3M, half of unused rolls over,
    # overage discounted: any C from 3M to 4.5M costs 4.5M a year; the cheapest is the edge,
    # 3M (ties to the smaller). No path falls short below K = 5M: the risk-bounded cap is
    # 0.9 * 5M = 4.5M. The sweep (direct evaluation) draws the same curve: 13.5M at 3M.
    c = contract(3, rollover=0.5, discount_tiers=[{"min_annual_commit": 3e6, "discount": 0.1}])
    usage = np.full((20, 3), 5e6)
    rec = recommend(c, usage, usage, n_grid=11)
    assert rec.recommended.annual_commit == 3e6
    assert rec.risk_bounded.annual_commit == pytest.approx(4.5e6, rel=1e-6)
    assert rec.recommended.expected_cost == pytest.approx(13.5e6)
    at = {float(x): y for x, y in zip(rec.sweep.commitment, rec.sweep.expected_cost,
                                      strict=True)}
    assert at[3e6] == pytest.approx(13.5e6) and at[0.0] == pytest.approx(15e6)
    assert rec.grid_optimum == 3e6
    # Appetite 0 on spread usage (1M to 3M a year, 21 paths): the cap is the smallest
    # path's cover, 1M (no tier below 3M), and the recommendation is capped at it.
    spread = np.repeat(np.linspace(1e6, 3e6, 21)[:, None], 3, axis=1)
    capped = recommend(c, spread, spread, appetite=0.0, n_grid=11)
    assert capped.risk_bounded.annual_commit == pytest.approx(1e6, rel=1e-5)
    assert capped.recommended.annual_commit <= capped.risk_bounded.annual_commit
    assert capped.recommended.shortfall_probability == 0.0


def test_the_ramp_search_by_hand():
    from forecast.recommendation import _polish, _Year, joint_ramp

    # One 20% tier from 0, overage at list; ten paths using 100, 200, ..., 1,000 in year 1
    # and twice that in year 2; appetite 20%: 2 paths of 10 may fall short in some year.
    # A year's cost at C (K = C / 0.8): C + E[max(0, L - K)]. Year 1: C = 160 (K = 200):
    # 160 + (0 + 0 + 100 + ... + 800) / 10 = 160 + 360 = 520; C = 240 (K = 300): 240 + 280
    # = 520 (a tie: the smaller); C = 80: 80 + 450 = 530; C = 0: 550. Year 2: C = 320
    # (K = 400): 320 + 720 = 1,040, tied with 480 (K = 600: 480 + 560); 160: 160 + 900.
    # Both short only on the first path (100 < 200, 200 < 400): 1 path <= 2.
    c = contract(2, overage="list", discount_tiers=[{"min_annual_commit": 0, "discount": 0.2}])
    first = np.arange(100.0, 1_001.0, 100.0)
    usage = np.stack([first, 2 * first], axis=1)
    np.testing.assert_allclose(joint_ramp(c, usage, 0.2), [160, 320])
    years = [_Year(c, usage[:, 0]), _Year(c, usage[:, 1])]
    np.testing.assert_allclose(years[0].cost(np.array([0.0, 80.0, 160.0, 240.0])),
                               [550, 530, 520, 520])
    # Polished from nothing: each year moves to its cheapest within the room the other
    # leaves: [160, 320]; from [240, 480] (as cheap, more at risk) it stays: no move saves.
    np.testing.assert_allclose(_polish(years, np.array([0.0, 0.0]), 2), [160, 320])
    np.testing.assert_allclose(_polish(years, np.array([240.0, 480.0]), 2), [240, 480])
    # No room at all (appetite 0): no year may fall short on any path: year 1 covers at
    # most 100 (C = 80, cost 530), year 2 at most 200 (C = 160, 1,060).
    np.testing.assert_allclose(joint_ramp(c, usage, 0.0), [80, 160])
    np.testing.assert_allclose(_polish(years, np.array([0.0, 0.0]), 0), [80, 160])


def test_the_desk_on_another_term_and_with_nothing_worth_signing():
    from types import SimpleNamespace

    from forecast.negotiation import _offer_usage, break_even_discount, negotiate

    # A one-year offer on a two-year plan takes its own yearly sums from the simulation:
    # 24 months of 1 on two paths sum to 12 in its one year; with no simulation, or the
    # same term, the plan's usage is used as it is.
    usage = YearlyUsage.of(np.full((2, 2), 12.0))
    sim = SimpleNamespace(optimized=np.ones((2, 24)), current=2 * np.ones((2, 24)),
                          reverted=np.ones((2, 24)))
    one = _offer_usage(contract(1), usage, sim)
    assert one.years == 1 and one.current[0, 0] == 24
    assert _offer_usage(contract(2), usage, sim) is usage
    assert _offer_usage(contract(1), usage, None) is usage
    # Nothing worth signing: 1.5M a year at 1% on usage of 1M (3M against 2M): no target,
    # no opening ask.
    from tests.conftest import make_scenario

    s = make_scenario(horizon_months=24, contract={
        "years": 2, "commitments": 1_500_000,
        "discount_tiers": [{"min_annual_commit": 0, "discount": 0.01}]})
    flat = YearlyUsage.of(np.full((20, 2), 1e6))
    pos = negotiate(s, flat, recommend(s.contract, flat))
    assert pos.target is None and pos.opening_ask is None
    # The break-even search starts from no discount, not the tier's: one year, paths at
    # 0.5M and 1.5M, C = 1M under a 40% tier from 0 costs pay as you go at 40% already, but
    # the least discount that does is 1/3.
    deep = contract(discount_tiers=[{"min_annual_commit": 0, "discount": 0.4}])
    (b,) = break_even_discount(deep, YearlyUsage.of(np.array([[0.5e6], [1.5e6]])),
                               np.array([1e6]), 1e6)
    assert b.discount == pytest.approx(1 / 3, abs=1e-8)

"""Every contract term drawn, and each rule pinned by a figure worked out by hand.

A test here fails when a rule of docs/model.md ("Contract evaluation", "The recommended
commitment") changes: the shortfall credit on the balance not carried over, rollover, price
protection, ramps, the credit in the closed-form sweep and in the newsvendor fractile.
``reference`` restates the per-year rule for one path in plain Python scalars, as
docs/model.md writes it, so the property tests compare the vectorized evaluation (and the
sorted-usage sweep) against the rule itself rather than against each other.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.commitment import evaluate_commitment
from forecast.contract import (
    YearlyUsage,
    evaluate,
    evaluate_flat,
)
from forecast.recommendation import (
    SortedUsage,
    closed_form,
    fractile_exceedance,
    recommend,
    sweep_flat,
)
from forecast.scenario import Contract

TIERS = [{"min_annual_commit": 500_000, "discount": 0.08},
         {"min_annual_commit": 1_000_000, "discount": 0.12}]


def terms(years: int = 1, **kw) -> Contract:
    return Contract.model_validate({"years": years, **kw})


def tier_discount(amount: float) -> float:
    """The discount TIERS give a nominal annual amount (the highest tier it meets)."""
    return 0.12 if amount >= 1_000_000 else 0.08 if amount >= 500_000 else 0.0


def reference(per_year, usage, level, *, rollover, credit, overage, protected):
    """One path's contract years by the rule of docs/model.md, in scalars.

    Each year: the commitment (times the year's list-price level when price protected) plus
    what the last year carried is the capacity; it covers ``capacity / (1 - d)`` of list
    usage. The balance ``max(0, capacity - (1 - d) L)`` is unspent: a ``rollover`` share of
    it carries into the next year (none out of the last year), and the credit pays back
    ``credit`` times the rest. Overage is the list usage above the covered amount, at
    ``1 - d`` or at list. Returns lists (cost, unused, overage, short) per year.
    """
    cost, unused, over, short = [], [], [], []
    carry = 0.0
    years = len(per_year)
    for y in range(years):
        d = tier_discount(per_year[y])
        c = per_year[y] * (level[y] if protected else 1.0)
        capacity = c + carry
        above = max(0.0, usage[y] - capacity / (1.0 - d))
        o = ((1.0 - d) if overage == "discounted" else 1.0) * above
        balance = max(0.0, capacity - (1.0 - d) * usage[y])
        carried = rollover * balance if y < years - 1 else 0.0
        credited = credit * (balance - carried)
        cost.append(c + o - credited)
        unused.append(balance - carried - credited)
        over.append(o)
        short.append(balance - carried > 0.0)
        carry = carried
    return cost, unused, over, short


# --------------------------------------------------------------------------- by hand
def test_credit_pays_back_a_share_of_the_balance_not_carried_over():
    # Two years of 100, no discount, rollover 50%, credit 40%. Usage 60 then 130.
    # Year 1: balance 100 - 60 = 40; carried 0.5 * 40 = 20; credited 0.4 * (40 - 20) = 8;
    #   cost 100 - 8 = 92; unused 40 - 20 - 8 = 12 (a credit on all 40 would give 84 and 4).
    # Year 2: capacity 100 + 20 = 120 covers 120 of the 130: overage 10, cost 110, unused 0.
    c = terms(2, rollover=0.5, shortfall_credit=0.4)
    out = evaluate(c, np.array([[60.0, 130.0]]), 100)
    np.testing.assert_allclose(out.cost[0], [92, 110])
    np.testing.assert_allclose(out.unused[0], [12, 0])
    np.testing.assert_allclose(out.overage[0], [0, 10])
    np.testing.assert_array_equal(out.short[0], [True, False])


def test_the_last_year_carries_nothing_and_its_whole_balance_earns_the_credit():
    # Two years of 100, no discount, rollover 50%, credit 40%. Usage 50 then 100.
    # Year 1: balance 50; carried 25; credited 0.4 * 25 = 10; cost 90; unused 15.
    # Year 2 (the last): capacity 125, balance 125 - 100 = 25; nothing carries out of the
    #   term, so credited 0.4 * 25 = 10, cost 100 - 10 = 90, unused 25 - 10 = 15.
    c = terms(2, rollover=0.5, shortfall_credit=0.4)
    out = evaluate(c, np.array([[50.0, 100.0]]), 100)
    np.testing.assert_allclose(out.cost[0], [90, 90])
    np.testing.assert_allclose(out.unused[0], [15, 15])
    np.testing.assert_array_equal(out.short[0], [True, True])


def test_full_rollover_is_not_short_until_the_last_year():
    # Rollover 100%: year 1's balance 40 (usage 60 of 100) all carries, nothing is lost, so
    # year 1 is not short; year 2 has 140 for 100 of usage: 40 lost at the end, short.
    c = terms(2, rollover=1.0)
    out = evaluate(c, np.array([[60.0, 100.0]]), 100)
    np.testing.assert_array_equal(out.short[0], [False, True])
    np.testing.assert_allclose(out.unused[0], [0, 40])


def test_rollover_with_a_discount_covers_the_carried_balance_at_the_discount():
    # One 10% tier from 0; two years of 90; rollover 100%; overage at list. Usage 50 then 150.
    # Year 1: D = 0.9 * 50 = 45, balance 90 - 45 = 45, all carried; cost 90.
    # Year 2: capacity 90 + 45 = 135 covers 135 / 0.9 = 150 of list: no overage; cost 90,
    # discount earned 0.1 * 150 = 15 (all of year 2's usage is covered).
    c = terms(2, rollover=1.0, overage="list",
              discount_tiers=[{"min_annual_commit": 0, "discount": 0.1}])
    out = evaluate(c, np.array([[50.0, 150.0]]), 90)
    np.testing.assert_allclose(out.cost[0], [90, 90])
    np.testing.assert_allclose(out.overage[0], [0, 0])
    np.testing.assert_allclose(out.discount_earned[0], [5, 15])
    np.testing.assert_allclose(out.unused[0], [0, 0])


def test_price_protection_scales_the_commitment_not_the_discount():
    # One tier of 10% from 100; commitment 100; price protected; the year's list prices are
    # at 80% (level 0.8). The commitment billed is 100 * 0.8 = 80; the discount stays the
    # nominal 100's tier, 10% (80 alone would earn none). Usage 60 at list: D = 54, cost
    # max(80, 54) = 80, unused 26. Usage 100: covered 80 / 0.9 = 88.9, overage at the
    # discounted rate 0.9 * (100 - 88.89) = 10, cost 80 + 10 = 90 (= 0.9 * 100).
    c = terms(1, price_protection=True,
              discount_tiers=[{"min_annual_commit": 100, "discount": 0.1}])
    out = evaluate(c, np.array([[60.0], [100.0]]), 100, price_level=np.array([[0.8], [0.8]]))
    np.testing.assert_allclose(out.discount, [0.1])
    np.testing.assert_allclose(out.cost[:, 0], [80, 90])
    np.testing.assert_allclose(out.unused[:, 0], [26, 0])
    # Without protection the same level changes nothing: cost max(100, 54) = 100 and
    # max(100, 90) = 100.
    plain = terms(1, discount_tiers=[{"min_annual_commit": 100, "discount": 0.1}])
    out = evaluate(plain, np.array([[60.0], [100.0]]), 100,
                   price_level=np.array([[0.8], [0.8]]))
    np.testing.assert_allclose(out.cost[:, 0], [100, 100])


def test_a_ramp_earns_each_years_own_tier():
    # Ramp 400k / 600k / 1.2M under TIERS: discounts 0, 8%, 12%. Usage 1M list each year,
    # overage discounted: cost = max(C, (1 - d) L) = 1M, max(600k, 920k) = 920k,
    # max(1.2M, 880k) = 1.2M; unused 0, 0, 1.2M - 880k = 320k.
    c = terms(3, discount_tiers=TIERS)
    out = evaluate(c, np.array([[1e6, 1e6, 1e6]]), [400_000, 600_000, 1_200_000])
    np.testing.assert_allclose(out.discount, [0, 0.08, 0.12])
    np.testing.assert_allclose(out.cost[0], [1_000_000, 920_000, 1_200_000])
    np.testing.assert_allclose(out.unused[0], [0, 0, 320_000])


def test_the_sweep_subtracts_the_credit_on_the_unused_commitment():
    # One year, a 10% tier from 0, overage at list, credit 50%; two paths of list usage 800
    # and 1,200; C = 900 covers K = 900 / 0.9 = 1,000.
    # G(K) = E[max(0, L - K)] = (0 + 200) / 2 = 100.
    # Unused before the credit U = 0.9 * (K - E[L] + G) = 0.9 * (1,000 - 1,000 + 100) = 90
    #   (path 1: 900 - 720 = 180; path 2: 0; mean 90).
    # Expected cost = C + rate G - s U = 900 + 100 - 0.5 * 90 = 955
    #   (path 1: 900 - 0.5 * 180 = 810; path 2: 900 + 200 = 1,100; mean 955).
    # Expected unused after the credit (1 - s) U = 45; overage rate G = 100.
    c = terms(1, shortfall_credit=0.5, overage="list",
              discount_tiers=[{"min_annual_commit": 0, "discount": 0.1}])
    usage = np.array([[800.0], [1_200.0]])
    su = SortedUsage(usage)
    s = sweep_flat(c, su, su, np.array([900.0]))
    assert s.expected_cost[0] == pytest.approx(955)
    assert s.expected_unused[0] == pytest.approx(45)
    assert s.expected_overage[0] == pytest.approx(100)
    assert s.shortfall_probability[0] == pytest.approx(0.5)
    r = evaluate_commitment(c, YearlyUsage.of(usage), 900.0)
    assert r.expected_cost == pytest.approx(955)
    assert r.expected_unused == pytest.approx(45)


def test_fractile_exceedance_with_a_credit_by_hand():
    # (1 - d)(1 - s) / (rate - s (1 - d)). d = 0.2, s = 0.5, overage at list (rate 1):
    # 0.8 * 0.5 / (1 - 0.4) = 0.4 / 0.6 = 2/3. No credit: 0.8 / 1 = 0.8 = 1 - d.
    # Overage discounted (rate 0.8), s = 0.5: 0.4 / (0.8 - 0.4) = 1: no interior optimum.
    # s = 1: denominator 1 - 0.8 = 0.2, numerator 0: exceedance 0 (commit up to the top).
    assert fractile_exceedance(terms(1, overage="list", shortfall_credit=0.5), 0.2) == \
        pytest.approx(2 / 3)
    assert fractile_exceedance(terms(1, overage="list"), 0.2) == pytest.approx(0.8)
    assert fractile_exceedance(terms(1, shortfall_credit=0.5), 0.2) == pytest.approx(1.0)
    assert fractile_exceedance(terms(1, overage="list", shortfall_credit=1.0), 0.2) == 0.0
    # Discounted overage and a full credit: rate - s (1 - d) = 0.8 - 0.8 = 0: none inside.
    assert fractile_exceedance(terms(1, shortfall_credit=1.0), 0.2) == 1.0


def test_newsvendor_with_a_shortfall_credit():
    """One 20% tier from 0, overage at list, credit 50%: C* = 0.8 F_L^-1(1 - 2/3).

    The exceedance at the optimum is 2/3 (above), so K* is the 1/3 quantile of the yearly
    list usage and C* = 0.8 K*. Usage: 3,000 evenly spaced values on [600k, 1.2M], whose
    1/3 quantile is 600k + 600k / 3 = 800k, so C* = 640k to within one spacing (200).
    """
    usage = np.linspace(600_000, 1_200_000, 3_000)[:, None]
    c = terms(1, overage="list", shortfall_credit=0.5,
              discount_tiers=[{"min_annual_commit": 0, "discount": 0.2}])
    rec = recommend(c, usage, usage)
    assert rec.risk_neutral.annual_commit == pytest.approx(640_000, abs=0.8 * 400)
    # Without the credit the fractile is at 1 - d = 0.8 exceedance: K* = 600k + 0.2 * 600k
    # = 720k, C* = 0.8 * 720k = 576k.
    plain = terms(1, overage="list", discount_tiers=[{"min_annual_commit": 0, "discount": 0.2}])
    assert recommend(plain, usage, usage).risk_neutral.annual_commit == pytest.approx(
        576_000, abs=0.8 * 400)


# --------------------------------------------------------------------------- properties
contract_terms = st.fixed_dictionaries({
    "years": st.integers(1, 4),
    "rollover": st.sampled_from([0.0, 0.25, 0.5, 1.0]),
    "shortfall_credit": st.sampled_from([0.0, 0.3, 0.5, 1.0]),
    "price_protection": st.booleans(),
    "overage": st.sampled_from(["discounted", "list"]),
})


@settings(max_examples=50, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 12), kw=contract_terms,
       commit=st.floats(0, 2e6), ramp=st.booleans())
def test_evaluation_follows_the_rule_with_every_term_drawn(seed, n, kw, commit, ramp):
    # Every term drawn at once: rollover, shortfall credit, price protection (with a price
    # level that moves per path and year), overage, a ramp across tier edges. The vectorized
    # evaluation equals the scalar rule on every path and year (to 1e-9 relative).
    rng = np.random.default_rng(seed)
    years = kw["years"]
    usage = rng.lognormal(np.log(1e6), 0.5, size=(n, years))
    level = rng.uniform(0.6, 1.0, size=(n, years))
    per_year = commit * np.linspace(0.5, 1.5, years) if ramp else np.full(years, commit)
    c = terms(discount_tiers=TIERS, **kw)
    out = evaluate(c, usage, per_year, price_level=level)
    for p in range(n):
        cost, unused, over, short = reference(
            per_year, usage[p], level[p], rollover=kw["rollover"],
            credit=kw["shortfall_credit"], overage=kw["overage"],
            protected=kw["price_protection"])
        np.testing.assert_allclose(out.cost[p], cost, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(out.unused[p], unused, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(out.overage[p], over, rtol=1e-9, atol=1e-6)
        np.testing.assert_array_equal(out.short[p], short)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), kw=contract_terms,
       commits=st.lists(st.floats(0, 2e6), min_size=1, max_size=5))
def test_batched_flat_evaluation_matches_one_by_one_with_every_term(seed, n, kw, commits):
    # evaluate_flat (candidates batched) against evaluate_commitment (one at a time) on the
    # same usage and price levels: the expected cost, unused, overage, shortfall and
    # stranded figures agree to 1e-9 relative.
    rng = np.random.default_rng(seed)
    years = kw["years"]
    base = rng.lognormal(np.log(1e6), 0.4, size=(n, years))
    opt = base * rng.uniform(0.3, 1.0, size=(n, years))
    level = rng.uniform(0.6, 1.0, size=(n, years))
    c = terms(discount_tiers=TIERS, **kw)
    usage = YearlyUsage.of(opt, base, price_level=level)
    flat = evaluate_flat(c, usage, np.array(commits))
    for i, amount in enumerate(commits):
        r = evaluate_commitment(c, usage, amount)
        assert flat.expected_cost[i] == pytest.approx(r.expected_cost, rel=1e-9, abs=1e-6)
        assert flat.expected_unused[i] == pytest.approx(r.expected_unused, rel=1e-9, abs=1e-6)
        assert flat.expected_overage[i] == pytest.approx(r.expected_overage, rel=1e-9,
                                                         abs=1e-6)
        assert flat.shortfall_probability[i] == pytest.approx(r.shortfall_probability)
        assert flat.stranded_savings[i] == pytest.approx(r.stranded_savings, rel=1e-9,
                                                         abs=1e-6)
        assert flat.gross_savings[i] == pytest.approx(r.gross_savings, rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), years=st.integers(1, 4), n=st.integers(1, 60),
       commits=st.lists(st.floats(0, 3e6), min_size=1, max_size=6),
       overage=st.sampled_from(["discounted", "list"]),
       credit=st.sampled_from([0.0, 0.25, 0.5, 1.0]))
def test_closed_form_sweep_with_a_credit_matches_the_rule(seed, years, n, commits, overage,
                                                          credit):
    # No rollover, no moving price level: the sorted-usage sweep is exact. With a credit s
    # its expected cost is Y C + rate sum_y G_y(K) - s U; each path's cost by the scalar rule,
    # averaged, must equal it (and the unused after the credit, (1 - s) U).
    rng = np.random.default_rng(seed)
    base = rng.lognormal(np.log(1e6), 0.3, size=(n, years))
    opt = base * rng.uniform(0.3, 1.0, size=(n, years))
    c = terms(years, discount_tiers=TIERS, overage=overage, shortfall_credit=credit)
    usage = YearlyUsage.of(opt, base)
    assert closed_form(c, usage)
    s = sweep_flat(c, SortedUsage(opt), SortedUsage(base), np.array(commits))
    ones = np.ones(years)
    for i, amount in enumerate(commits):
        rows = [reference(np.full(years, amount), opt[p], ones, rollover=0.0, credit=credit,
                          overage=overage, protected=False) for p in range(n)]
        cost = np.mean([sum(r[0]) for r in rows])
        unused = np.mean([sum(r[1]) for r in rows])
        over = np.mean([sum(r[2]) for r in rows])
        short = np.mean([any(r[3]) for r in rows])
        assert s.expected_cost[i] == pytest.approx(cost, rel=1e-9, abs=1e-6)
        assert s.expected_unused[i] == pytest.approx(unused, rel=1e-9, abs=1e-6)
        assert s.expected_overage[i] == pytest.approx(over, rel=1e-9, abs=1e-6)
        assert s.shortfall_probability[i] == pytest.approx(short)


# --------------------------------------------------------------------------- the helpers
def test_tiers_by_hand():
    from forecast.contract import (
        covered_list_spend,
        discount_for,
        largest_commit_covering,
        next_tier,
        tier_bounds,
        tier_edges,
    )

    c = terms(discount_tiers=TIERS)
    # Intervals [0, 500k) at 0, [500k, 1M) at 8%, [1M, inf) at 12%.
    assert tier_bounds(c) == [(0.0, 500_000, 0.0), (500_000, 1_000_000, 0.08),
                              (1_000_000, np.inf, 0.12)]
    # A tier from 0 leaves no empty interval before it.
    assert tier_bounds(terms(discount_tiers=[{"min_annual_commit": 0, "discount": 0.1}])) \
        == [(0.0, np.inf, 0.1)]
    assert tier_bounds(terms()) == [(0.0, np.inf, 0.0)]
    assert tier_edges(c) == [500_000, 1_000_000]
    # The first tier above: at 499,999 the 8% one; at exactly 500k the 12% one; above 1M none.
    assert next_tier(c, 499_999) == (500_000, 0.08)
    assert next_tier(c, 500_000) == (1_000_000, 0.12)
    assert next_tier(c, 1_000_000) is None
    np.testing.assert_allclose(discount_for(terms(), [0, 1e9]), [0, 0])
    assert discount_for(c, 750_000).shape == ()
    # C / (1 - d): 900 / 0.9 = 1,000.
    assert covered_list_spend(900.0, 0.1) == pytest.approx(1_000)
    # Largest C with C / (1 - d(C)) <= K. K = 540k: 0.92 * 540k = 496,800 < 500k... in the
    # 8% tier 0.92 K = 496.8k is below its edge, so the 0% tier's min(540k, 499,999) = 499,999
    # wins. K = 600k: 0.92 * 600k = 552k (8% tier); K = 1.1M: 0.88 * 1.1M = 968k is under the
    # 12% edge, 0.92 * 1.1M = 1.012M is past the 8% tier's top: a dollar under 1M.
    assert largest_commit_covering(c, 540_000) == pytest.approx(499_999)
    assert largest_commit_covering(c, 600_000) == pytest.approx(552_000)
    assert largest_commit_covering(c, 1_100_000) == pytest.approx(999_999)
    # K = 2M: 0.88 * 2M = 1.76M in the 12% tier.
    assert largest_commit_covering(c, 2_000_000) == pytest.approx(1_760_000)
    assert largest_commit_covering(c, 0.0) == 0.0
    # On the edge: a 50% tier from 250 and K = 500: 0.5 * 500 = 250 meets the edge exactly,
    # so 250 (which covers 500) and not 249, the dollar under it.
    edge = terms(discount_tiers=[{"min_annual_commit": 250, "discount": 0.5}])
    assert largest_commit_covering(edge, 500.0) == 250.0


def test_yearly_usage_by_hand():
    from forecast.contract import ContractError, as_commitment, yearly

    with pytest.raises(ContractError, match="2 years need 24 months"):
        yearly(np.ones(23), 2)
    np.testing.assert_allclose(yearly(np.ones(24), 2), [12, 12])
    u = YearlyUsage.of([[1.0, 2.0]])
    assert (u.n_paths, u.years) == (1, 2)
    np.testing.assert_allclose(u.price_level, [[1, 1]])
    for series in (u.current, u.planned, u.reverted):
        np.testing.assert_allclose(series, [[1, 2]])
    u = YearlyUsage.of([[1.0, 2.0]], [[3.0, 4.0]], [[5.0, 6.0]], [[7.0, 8.0]], [[0.5, 0.9]])
    np.testing.assert_allclose([u.current, u.planned, u.reverted, u.price_level],
                               [[[3, 4]], [[5, 6]], [[7, 8]], [[0.5, 0.9]]])
    w = u.with_optimized(np.array([9.0, 9.0]))
    np.testing.assert_allclose([w.optimized, w.current, w.planned, w.reverted, w.price_level],
                               [[[9, 9]], [[3, 4]], [[5, 6]], [[7, 8]], [[0.5, 0.9]]])
    two = terms(2)
    np.testing.assert_allclose(as_commitment(two, 5.0), [5, 5])
    np.testing.assert_allclose(as_commitment(two, [1.0, 2.0]), [1, 2])
    for bad in ([1.0, 2.0, 3.0], -1.0, np.nan, [1.0, np.inf]):
        with pytest.raises(ContractError):
            as_commitment(two, bad)
    np.testing.assert_allclose(as_commitment(two, 0.0), [0, 0])


def test_yearly_usage_from_a_simulation_and_a_projection():
    from types import SimpleNamespace

    # Two paths, 24 months: optimized 1 a month, current 2, planned 3, reverted 4, price
    # level 0.5 in year 1 and 1 in year 2 (the year's mean level: 6 / 12 and 12 / 12).
    ones = np.ones((2, 24))
    level = np.concatenate([np.full((2, 12), 0.5), np.ones((2, 12))], axis=1)
    sim = SimpleNamespace(optimized=ones, current=2 * ones, planned=3 * ones,
                          reverted=4 * ones, price_level=level)
    u = YearlyUsage.from_simulation(sim, 2)
    np.testing.assert_allclose([u.optimized, u.current, u.planned, u.reverted, u.price_level],
                               [np.full((2, 2), 12), np.full((2, 2), 24), np.full((2, 2), 36),
                                np.full((2, 2), 48), [[0.5, 1], [0.5, 1]]])
    # No planned series or price level: planned is the optimized one, the level 1.
    bare = SimpleNamespace(optimized=ones, current=2 * ones, reverted=4 * ones)
    u = YearlyUsage.from_simulation(bare, 2)
    np.testing.assert_allclose(u.planned, u.optimized)
    np.testing.assert_allclose(u.price_level, np.ones((2, 2)))
    proj = SimpleNamespace(optimized_total=np.arange(24.0), current_total=np.full(24, 2.0))
    p = YearlyUsage.from_projection(proj, 2)
    # 0 + ... + 11 = 66; 12 + ... + 23 = 210.
    np.testing.assert_allclose([p.optimized, p.current], [[[66, 210]], [[24, 24]]])


def test_colours_by_hand():
    from forecast.commitment import risk_reasons, shortfall_level, stranded_level
    from forecast.types import FlagLevel, Risk

    c = terms()  # appetite 10%, red line 20%; stranded amber 10%, red 25%
    assert [stranded_level(x, c) for x in (0.10, 0.1001, 0.25, 0.2501)] == [
        FlagLevel.GREEN, FlagLevel.AMBER, FlagLevel.AMBER, FlagLevel.RED]
    assert [shortfall_level(x, c) for x in (0.10, 0.1001, 0.20, 0.2001)] == [
        FlagLevel.GREEN, FlagLevel.AMBER, FlagLevel.AMBER, FlagLevel.RED]
    # Another appetite, 30%: amber past 30%, red past twice it, 60%.
    assert [shortfall_level(x, c, 0.3) for x in (0.3, 0.31, 0.6, 0.61)] == [
        FlagLevel.GREEN, FlagLevel.AMBER, FlagLevel.AMBER, FlagLevel.RED]
    # Twice 0.7 is past 1: the red line is 1, which nothing exceeds.
    assert shortfall_level(1.0, c, 0.7) == FlagLevel.AMBER
    # A red line the contract states stays, whatever the appetite: 0.5 here.
    stated = terms(risk_appetite={"max_shortfall_probability": 0.1,
                                  "red_shortfall_probability": 0.5})
    assert [shortfall_level(x, stated, 0.3) for x in (0.3, 0.5, 0.51)] == [
        FlagLevel.GREEN, FlagLevel.AMBER, FlagLevel.RED]
    reasons = risk_reasons(c, np.array([100.0, 0.0, 5.0]), np.array([0.0, 0.0, 0.1]), 0.3,
                           0.15)
    assert [(r.risk, r.level, r.value) for r in reasons] == [
        (Risk.STRANDING, FlagLevel.RED, 0.3), (Risk.SHORTFALL, FlagLevel.AMBER, 0.15),
        (Risk.NO_DISCOUNT, FlagLevel.RED, 1.0)]  # one committed year (100) earns nothing
    assert risk_reasons(c, np.array([0.0]), np.array([0.0]), 0.0, 0.0) == ()


def test_one_commitment_evaluated_by_hand():
    # One year, ten paths of list usage 100, 200, ..., 1,000 (mean 550); today's path twice
    # that. A 10% tier from 0, overage at list, commitment 360 (covers 400).
    # Costs: 360 for usage <= 400 (paths 1-4), else 360 + L - 400: 460, ..., 960.
    # Mean cost: (4 * 360 + 460 + 560 + 660 + 760 + 860 + 960) / 10 = (1,440 + 4,260) / 10
    # = 570. Shortfall: usage below 400 on 3 paths: 30%. Unused: 360 - 0.9 L on those:
    # 270 + 180 + 90 = 540, mean 54. Overage: 60 + ... + 600 = 2,100, mean 210.
    usage = np.arange(100.0, 1_001.0, 100.0)[:, None]
    c = terms(overage="list", discount_tiers=[{"min_annual_commit": 0, "discount": 0.1}])
    r = evaluate_commitment(c, YearlyUsage.of(usage, 2 * usage), 360.0)
    assert r.expected_cost == pytest.approx(570)
    assert r.shortfall_probability == pytest.approx(0.3)
    np.testing.assert_allclose(r.shortfall_by_year, [0.3])
    assert r.expected_unused == pytest.approx(54)
    assert r.expected_overage == pytest.approx(210)
    # P10 / P50 / P90 of the ten sorted costs (linear interpolation at positions 0.9, 4.5,
    # 8.1): 360; (460 + 560) / 2 = 510; 860 + 0.1 * 100 = 870.
    assert (r.cost_p10, r.cost_p50, r.cost_p90) == pytest.approx((360, 510, 870))
    # Gross: 0.9 * (1,100 - 550) = 495. Stranded: E[min(360, 0.9 * 2L) - min(360, 0.9 L)]:
    # 0.9 * 2L is 180, 360, ... so min is 180 then 360; 0.9 L is 90, 180, 270, 360...:
    # (180 - 90) + (360 - 180) + (360 - 270) = 360 over ten paths: 36; share 36 / 495.
    assert r.gross_savings == pytest.approx(495)
    assert r.stranded_savings == pytest.approx(36)
    assert r.stranded_share == pytest.approx(36 / 495)
    assert r.bridge.today_list == pytest.approx(1_100) and r.bridge.payg == pytest.approx(550)
    assert r.bridge.levers == pytest.approx(550)
    # Discount earned: 0.1 * min(L, 400): 10 + 20 + 30 + 40 * 7 = 340, mean 34.
    assert r.bridge.discount == pytest.approx(34)
    assert r.saving_vs_today == pytest.approx(1_100 - 570)
    assert r.saving_vs_payg == pytest.approx(550 - 570)
    assert r.expected_list == r.bridge.payg and r.expected_current_list == r.bridge.today_list
    assert (r.annual_commit, r.total_commit, r.is_ramp, r.earns_discount) == \
        (360, 360, False, True)
    assert r.colour == r.flag
    # No saving to strand (optimized = today): share 0 and nothing stranded.
    same = evaluate_commitment(c, YearlyUsage.of(usage, usage), 360.0)
    assert (same.gross_savings, same.stranded_savings, same.stranded_share) == (0, 0, 0)
    # The optimized path costing more than today's: no saving, nothing stranded either.
    worse = evaluate_commitment(c, YearlyUsage.of(usage, 0.5 * usage), 360.0)
    assert worse.gross_savings < 0 and (worse.stranded_savings, worse.stranded_share) == (0, 0)


def test_a_ramp_result_by_hand():
    c = terms(2, discount_tiers=TIERS)
    r = evaluate_commitment(c, YearlyUsage.of([[1e6, 1e6]]), [400_000, 600_000])
    assert r.is_ramp and r.annual_commit == 400_000 and r.total_commit == 1_000_000
    # Year 1 commits 400k and earns nothing: not every committed year earns a discount.
    assert not r.earns_discount
    assert evaluate_commitment(c, YearlyUsage.of([[1e6, 1e6]]), 0.0).earns_discount


def test_the_json_of_one_commitment_by_hand():
    # The hand-worked commitment above (360 a year on usage 100..1,000), as JSON: every key
    # and the figure worked for it.
    from forecast.types import CommitmentKind

    usage = np.arange(100.0, 1_001.0, 100.0)[:, None]
    c = terms(overage="list", discount_tiers=[{"min_annual_commit": 0, "discount": 0.1}])
    r = evaluate_commitment(c, YearlyUsage.of(usage, 2 * usage), 360.0,
                            CommitmentKind.RECOMMENDED)
    doc = r.to_dict()
    # Every figure worked here is in the JSON under its key (fields added later, such as
    # standard errors, are the serializer's tests' to pin).
    expected = {
        "kind": "recommended", "label": "recommended", "annual_commit": 360.0, "per_year": [360.0],
        "is_ramp": False, "discount": 0.1, "discount_per_year": [0.1],
        "expected_cost": pytest.approx(570), "cost_p10": pytest.approx(360),
        "cost_p50": pytest.approx(510), "cost_p90": pytest.approx(870),
        "shortfall_probability": pytest.approx(0.3),
        "shortfall_probability_by_year": [pytest.approx(0.3)],
        "expected_unused": pytest.approx(54), "expected_overage": pytest.approx(210),
        "saving_vs_today": pytest.approx(530), "saving_vs_payg": pytest.approx(-20),
        "gross_savings": pytest.approx(495), "stranded_savings": pytest.approx(36),
        "stranded_share": pytest.approx(36 / 495),
        # 30% falls short: past the 20% red line; 7.3% stranded: under the amber 10%.
        # The shortfall's dollars: the expected unused commitment, 54.
        "flag": "red", "reasons": [{"risk": "shortfall", "level": "red",
                                     "value": pytest.approx(0.3),
                                     "dollars": pytest.approx(54)}],
        # Cost minus pay as you go per path: 260, 160, 60 (usage 100..300), then -40 on the
        # seven others. P90 at position 8.1 of the sorted ten: 160 + 0.1 * 100 = 170; the
        # worst 10% (one path): 260.
        "extra_cost_p90": pytest.approx(170), "cvar90_extra_cost": pytest.approx(260),
        "bridge": {"today_list": pytest.approx(1_100), "levers": pytest.approx(550),
                   "payg": pytest.approx(550), "discount": pytest.approx(34),
                   "unused": pytest.approx(54), "expected_cost": pytest.approx(570)}}
    assert {k: doc[k] for k in expected} == expected


def test_a_search_that_needs_only_cost_and_shortfall_gets_zeros_for_the_rest():
    # full=False: the cost and the shortfall probability as with full=True, zeros for the
    # unused, overage, gross and stranded figures. One path of 600 list (today's 1,000), one
    # year, no discount, C = 800: cost 800, short; unused 200 and stranded
    # min(800, 1,000) - min(800, 600) = 200 only when asked for.
    usage = YearlyUsage.of([[600.0]], [[1_000.0]])
    full = evaluate_flat(terms(), usage, np.array([800.0]))
    part = evaluate_flat(terms(), usage, np.array([800.0]), full=False)
    for s in (full, part):
        np.testing.assert_allclose([s.expected_cost, s.shortfall_probability], [[800], [1]])
    np.testing.assert_allclose([full.expected_unused, full.stranded_savings,
                                full.gross_savings], [[200], [200], [400]])
    np.testing.assert_allclose([part.expected_unused, part.expected_overage,
                                part.gross_savings, part.stranded_savings], np.zeros((4, 1)))
    # More candidates than one batch (32): every one evaluated, in order: C = 0..39 on 600.
    many = evaluate_flat(terms(), usage, np.arange(40.0))
    np.testing.assert_allclose(many.expected_cost, np.full(40, 600.0))
    np.testing.assert_allclose(many.commitment, np.arange(40.0))
    # The stranded share: stranded over gross, 0 where there is no gross saving.
    np.testing.assert_allclose(full.stranded_share, [0.5])
    assert evaluate_flat(terms(), YearlyUsage.of([[600.0]]), np.array([800.0])) \
        .stranded_share[0] == 0.0


def test_yearly_takes_the_first_whole_years_and_a_given_discount_replaces_the_tier():
    from forecast.contract import covered_list_spend, yearly

    # 36 months 1..36 summed into 2 contract years: the third year of months is not used:
    # 1 + ... + 12 = 78, 13 + ... + 24 = 222.
    np.testing.assert_allclose(yearly(np.arange(1.0, 37.0), 2), [78, 222])
    # A discount given per candidate replaces the tier's (here none): one path of 600 list,
    # C = 400 at 50% covers 800: cost 400, unused 400 - 300 = 100; at 0%: 400 + 200 = 600.
    usage = YearlyUsage.of([[600.0]])
    s = evaluate_flat(terms(overage="list"), usage, np.array([400.0, 400.0]),
                      discount=np.array([0.5, 0.0]))
    np.testing.assert_allclose(s.expected_cost, [400, 600])
    np.testing.assert_allclose(s.expected_unused, [100, 0])
    np.testing.assert_allclose(s.discount, [0.5, 0.0])
    # One discount for every candidate broadcasts: 25% covers 400 / 0.75 = 533.3, overage
    # 66.7 at list: 466.7.
    one = evaluate_flat(terms(overage="list"), usage, np.array([400.0]), discount=0.25)
    np.testing.assert_allclose(one.expected_cost, [400 + 600 - 400 / 0.75])
    # Integer amounts are evaluated as dollars, and the commitments come back as floats.
    ints = evaluate_flat(terms(), usage, np.array([100, 700]))
    assert ints.commitment.dtype == np.float64
    np.testing.assert_allclose(ints.expected_cost, [600, 700])
    np.testing.assert_allclose(covered_list_spend(np.array([90, 180]), np.array([0.1, 0.1])),
                               [100, 200])


def test_discounted_overage_earns_the_discount_on_all_the_usage():
    # One 10% tier from 0, overage at the discounted rate, C = 900 (covers 1,000). Usage
    # 1,200: all of it is billed at 0.9, so the discount earned is 0.1 * 1,200 = 120 (at
    # list overage only the covered 1,000 would earn it: 100).
    c = terms(discount_tiers=[{"min_annual_commit": 0, "discount": 0.1}])
    out = evaluate(c, np.array([[1_200.0]]), 900)
    np.testing.assert_allclose(out.discount_earned, [[120]])
    np.testing.assert_allclose(out.cost, [[1_080]])
    listed = evaluate(terms(overage="list", discount_tiers=[
        {"min_annual_commit": 0, "discount": 0.1}]), np.array([[1_200.0]]), 900)
    np.testing.assert_allclose(listed.discount_earned, [[100]])
    # A given discount replaces the tier's: C = 900 at 25% covers 1,200: cost 900, no
    # overage, 0.25 * 1,200 = 300 earned.
    given = evaluate(c, np.array([[1_200.0]]), 900, discount=np.array([0.25]))
    np.testing.assert_allclose([given.cost[0, 0], given.overage[0, 0],
                                given.discount_earned[0, 0]], [900, 0, 300])
    np.testing.assert_allclose(given.discount, [0.25])
    # Less than a dollar unused is still a shortfall: C = 100, usage 99.5 (no discount).
    short = evaluate(terms(), np.array([[99.5], [100.0]]), 100)
    np.testing.assert_array_equal(short.short[:, 0], [True, False])
    assert short.short.dtype == bool
    np.testing.assert_allclose(short.list_usage, [[99.5], [100.0]])


def test_amounts_given_as_integers_are_floats():
    # Integer usage, commitments and discounts are read as floats (the arrays' dtype is
    # part of the contract of YearlyUsage, as_commitment and the sweep).
    from forecast.contract import as_commitment

    u = YearlyUsage.of([[1, 2]], [[3, 4]])
    assert u.optimized.dtype == np.float64 and u.current.dtype == np.float64
    assert as_commitment(terms(2), 5).dtype == np.float64
    from forecast.contract import discount_for

    assert discount_for(terms(), np.array([1, 2])).dtype == np.float64  # no tiers: 0.0
    assert evaluate(terms(2), np.array([[1.0, 2.0]]), [1, 2]).commitment.dtype == np.float64
    s = evaluate_flat(terms(), YearlyUsage.of([[600.0]]), np.array([400.0]),
                      discount=np.array([0]))
    assert s.discount.dtype == np.float64


def test_stranding_under_the_noise_floor_by_hand():
    # Savings below a millionth of the discounted usage (or of $1) are float noise, not
    # savings (commitment.NOISE). No tiers, one year.
    def strand(base, opt, commit):
        r = evaluate_commitment(terms(), YearlyUsage.of(opt, base), commit)
        return r.gross_savings, r.stranded_savings, r.stranded_share

    # 1,000 paths at 1M today and 999,500 optimized: a 500 saving, above the floor of
    # 1e-6 * 1M = 1 (the floor scales with one path's usage, not the sum over paths).
    # C = 1M strands all of it: min(1M, 1M) - min(1M, 999,500) = 500, share 1.
    gross, stranded, share = strand(np.full((1_000, 1), 1e6), np.full((1_000, 1), 999_500.0),
                                    1e6)
    assert (gross, stranded, share) == pytest.approx((500, 500, 1.0))
    # One path, 1M today and 600k optimized (floor 1): C = 600,000.5 strands 0.5, under the
    # floor: share 0, the half dollar kept as stranded.
    gross, stranded, share = strand([[1e6]], [[600_000.0]], 600_000.5)
    assert gross == pytest.approx(400_000) and stranded == pytest.approx(0.5) and share == 0
    # Exactly on the floor: today 0.5, optimized 0 (floor 1e-6 * max(0.5, 1) = 1e-6), C =
    # 1e-6 strands 1e-6: on the floor is noise, share 0.
    gross, stranded, share = strand([[0.5]], [[0.0]], 1e-6)
    assert (gross, stranded, share) == (0.5, 1e-6, 0.0)
    # Under $1 of usage the floor is 1e-6: 1.5e-6 stranded of a 0.5 saving is above it:
    # share 1.5e-6 / 0.5 = 3e-6.
    gross, stranded, share = strand([[1.0]], [[0.5]], 0.5 + 1.5e-6)
    assert share == pytest.approx(3e-6, rel=1e-3)
    # No saving in expectation (path A saves 3, path B costs 3 more) while C = 1 would
    # strand (1 - 0 + 1 - 1) / 2 = 0.5: with no saving, nothing is stranded.
    gross, stranded, share = strand([[3.0], [1.0]], [[0.0], [4.0]], 1.0)
    assert (gross, stranded, share) == (0.0, 0.0, 0.0)


def test_a_commitment_coloured_at_the_appetite_asked_for_and_labelled_as_asked():
    # The hand-worked commitment (360 a year on usage 100..1,000, 30% short): red at the
    # contract's 10% appetite (past its 20% red line), green at an appetite of 50%.
    usage = np.arange(100.0, 1_001.0, 100.0)[:, None]
    c = terms(overage="list", discount_tiers=[{"min_annual_commit": 0, "discount": 0.1}])
    u = YearlyUsage.of(usage, 2 * usage)
    assert evaluate_commitment(c, u, 360.0).colour == "red"
    lax = evaluate_commitment(c, u, 360.0, appetite=0.5, label="mine")
    assert (lax.colour, lax.reasons, lax.label) == ("green", (), "mine")


def test_colour_lines_are_exclusive_and_risk_reasons_take_the_appetite():
    from forecast.commitment import SLACK, risk_reasons, shortfall_level, stranded_level
    from forecast.types import FlagLevel, Risk

    c = terms()  # stranded amber 10%, red 25%; shortfall appetite 10%, red line 20%
    # On a line (to the float, slack included) is not past it.
    assert stranded_level(0.25 + SLACK, c) == FlagLevel.AMBER
    assert stranded_level(0.10 + SLACK, c) == FlagLevel.GREEN
    assert shortfall_level(0.20 + SLACK, c) == FlagLevel.AMBER
    assert shortfall_level(0.10 + SLACK, c) == FlagLevel.GREEN
    # 15% short: amber at the contract's 10%, green at an appetite of 20%.
    (reason,) = risk_reasons(c, np.array([100.0]), np.array([0.1]), 0.0, 0.15)
    assert (reason.risk, reason.level) == (Risk.SHORTFALL, FlagLevel.AMBER)
    assert risk_reasons(c, np.array([100.0]), np.array([0.1]), 0.0, 0.15, 0.2) == ()
    # Half a dollar committed with no discount is committed with no discount.
    (reason,) = risk_reasons(c, np.array([0.5]), np.array([0.0]), 0.0, 0.0)
    assert (reason.risk, reason.level, reason.value) == (Risk.NO_DISCOUNT, FlagLevel.RED, 1.0)

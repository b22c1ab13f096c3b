"""The one decision, when to sign, risk in dollars and the budget view, worked by hand
(docs/model.md, "One decision", "When to sign", "Risk in dollars")."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.commitment import evaluate_commitment
from forecast.contract import YearlyUsage
from forecast.decision import DecisionKind, months_between
from forecast.plan import build_plan
from forecast.recommendation import recommend
from forecast.scenario import Contract
from forecast.signing import when_to_sign
from forecast.types import FlagLevel, Risk
from tests.conftest import make_scenario


# --------------------------------------------------------------------------- when to sign
def two_groups(n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """18 months at $100 a month on today's path; on half the paths the lever lands fully
    in month 6 (index 5) and halves the usage, on the other half it never lands. No
    volatility."""
    current = np.full((n, 18), 100.0)
    optimized = current.copy()
    optimized[: n // 2, 5:] = 50.0
    return optimized, current


TIER_900 = Contract.model_validate({"years": 1, "overage": "list", "discount_tiers": [
    {"min_annual_commit": 900, "discount": 0.2}]})


def test_signing_after_the_lever_lands_fits_each_path_and_waiting_is_worth_the_hand_sum():
    optimized, current = two_groups()
    # Signing now, the recommendation within a 60% appetite: $900 a year (the 20% tier's
    # edge; a year's usage is 850 on landed paths, 1,200 on the others; above the edge the
    # mean cost (1.75 C + 1,200) / 2 rises with C, and $0 costs (850 + 1,200) / 2 = 1,025).
    usage = YearlyUsage.of(optimized[:, :12].sum(axis=1)[:, None],
                           current[:, :12].sum(axis=1)[:, None])
    rec = recommend(Contract.model_validate(TIER_900.model_dump() | {"risk_appetite": {
        "max_shortfall_probability": 0.6}}), usage)
    assert rec.recommended.annual_commit == pytest.approx(900.0)
    w = when_to_sign(TIER_900, optimized, current, 900.0, 0.6, [0, 6])
    now, later = w.rows
    assert w.window_months == 18
    # Now: months 1-12 under $900 (K = 900 / 0.8 = 1,125). Landed: usage 5 x 100 + 7 x 50 =
    # 850 < 1,125, cost 900 (unused 900 - 0.8 x 850 = 220); then months 13-18 at list,
    # 6 x 50 = 300: 1,200. Not landed: 900 + (1,200 - 1,125) = 975, then 600: 1,575.
    assert now.expected_cost == pytest.approx((1_200 + 1_575) / 2)
    # After 6 months: months 1-6 at list (landed 5 x 100 + 50 = 550, else 600); the term is
    # months 7-18. Landed: 12 x 50 = 600 a year, below the tier ($900 > 600): sign $0,
    # pay 600. Not landed: 1,200 a year: sign 0.8 x 1,200 = $960 (covers it exactly).
    half = optimized.shape[0] // 2
    assert np.all(later.signed[:half] == 0.0)
    assert np.allclose(later.signed[half:], 960.0)
    assert later.expected_cost == pytest.approx(((550 + 600) + (600 + 960)) / 2)
    # The value of waiting: on landed paths the unused 220 avoided minus the discount
    # forgone on months 1-12 (0.2 x 850 = 170) = 50; on the others the commitment fits
    # (975 - 960 = 15). (50 + 15) / 2 = 32.5.
    assert now.expected_cost - later.expected_cost == pytest.approx(32.5)
    assert later.shortfall_probability == 0.0 and now.shortfall_probability == 0.5


def test_with_no_uncertainty_waiting_is_worth_only_the_usage_shift():
    # One deterministic path growing $10 a month from $100; 20% on all usage from $0,
    # overage discounted. Every path the same: nothing to learn.
    months = 100.0 + 10.0 * np.arange(18)
    optimized = np.tile(months, (5, 1))
    terms = Contract.model_validate({"years": 1, "discount_tiers": [
        {"min_annual_commit": 0, "discount": 0.2}]})
    w = when_to_sign(terms, optimized, optimized, None, 0.1, [0, 6])
    mean = when_to_sign(terms, optimized[:1], optimized[:1], None, 0.1, [0, 6])
    w = w.with_shift(mean)
    now, later = w.rows
    # Now: 0.8 x (1,200 + 10 x 66) = 1,488 for months 1-12, then months 13-18 at list:
    # 600 + 10 x (12 + ... + 17) = 1,470. Total 2,958.
    assert now.expected_cost == pytest.approx(2_958.0)
    # After 6: months 1-6 at list, 600 + 10 x 15 = 750; months 7-18 discounted:
    # 0.8 x (1,200 + 10 x 138) = 2,064. Total 2,814.
    assert later.expected_cost == pytest.approx(2_814.0)
    # Waiting gains 144 = 0.2 x (1,470 - 750): the discount moves onto bigger months, the
    # usage shift, and nothing else: its information value is 0, so it is not advised.
    assert w.usage_shift[1] == pytest.approx(144.0)
    assert w.information_value(later) == pytest.approx(0.0, abs=1e-6)
    assert w.best() is now


def test_an_offer_that_lapses_prices_waiting_as_pay_as_you_go():
    optimized, current = two_groups()
    # sign_by before the start: the offer cannot be signed after month 0.
    w = when_to_sign(TIER_900, optimized, current, 900.0, 0.6, [0, 6], lapse_after=-1)
    payg = optimized[:, :18].sum(axis=1).mean()  # (5 x 100 + 13 x 50 + 18 x 100) / 2
    assert payg == pytest.approx((1_150 + 1_800) / 2)
    later = w.rows[1]
    assert later.lapsed and later.expected_cost == pytest.approx(payg)
    assert later.saving_vs_payg == 0.0
    assert months_between("2027-01", "2026-12") == -1
    assert months_between("2027-01", "2027-07") == 6


# --------------------------------------------------------------------------- risk in dollars
def wide_usage(n: int = 10_000) -> YearlyUsage:
    """One year of list usage spread evenly over [500k, 1.5M]."""
    usage = np.linspace(500_000, 1_500_000, n)[:, None]
    return YearlyUsage.of(usage, usage)


TWO_TIERS = {"years": 1, "overage": "discounted", "discount_tiers": [
    {"min_annual_commit": 400_000, "discount": 0.03},
    {"min_annual_commit": 900_000, "discount": 0.2}]}


def test_max_extra_cost_p90_binds_and_moves_the_recommendation():
    loose = Contract.model_validate(TWO_TIERS | {"risk_appetite": {
        "max_shortfall_probability": 0.9}})
    rec = recommend(loose, wide_usage())
    r = rec.recommended
    # $900k at 20%: cost max(900k, 0.8 L); 0.8 L > 900k when L > 1.125M (37.5% of paths):
    # E = 0.625 x 900k + 0.375 x 0.8 x 1.3125M = 956,250 < E[L] = 1M. In the 3% tier the
    # cost is 0.97 L (0.97 x 500k > 400k): 970,000. So $900k, unbounded.
    assert r.annual_commit == pytest.approx(900_000)
    assert r.expected_cost == pytest.approx(956_250, rel=1e-4)
    # Its extra cost 900k - L is worst on the smallest usage: at P90 (L's 10th
    # percentile, 600k) it is 300,000; the worst 10% average 900k - 550k = 350,000.
    assert r.extra_cost_p90 == pytest.approx(300_000, rel=1e-3)
    assert r.cvar90_extra_cost == pytest.approx(350_000, rel=1e-3)
    bound = loose.model_copy(update={"risk_appetite": loose.risk_appetite.model_copy(
        update={"max_extra_cost_p90": 100_000})})
    b = recommend(bound, wide_usage()).recommended
    # Bounded at $100k: the 20% tier is out; the 3% tier's amounts all cost 0.97 E[L] =
    # 970,000 and tie, so the smallest, $400k; its extra cost -0.03 L is at P90 -0.03 x 600k.
    assert b.annual_commit == pytest.approx(400_000)
    assert b.expected_cost == pytest.approx(970_000, rel=1e-6)
    assert b.extra_cost_p90 == pytest.approx(-18_000, rel=1e-3)


def test_max_expected_unused_binds():
    c = Contract.model_validate(TWO_TIERS | {"risk_appetite": {
        "max_shortfall_probability": 0.9, "max_expected_unused": 10_000}})
    b = recommend(c, wide_usage()).recommended
    # $900k leaves E[max(0, 900k - 0.8 L)] = 0.8 x E[max(0, 1.125M - L)] = 0.8 x (625k^2 /
    # 2) / 1M = 156,250 unused: past the $10k bound; the 3% tier's $400k leaves none.
    assert b.annual_commit == pytest.approx(400_000)
    assert b.expected_unused == pytest.approx(0.0, abs=1e-6)


def test_cheaper_than_pay_as_you_go_at_p90_and_in_expectation_is_not_red_for_shortfall():
    c = Contract.model_validate(TWO_TIERS)
    r = evaluate_commitment(c, wide_usage(), 900_000)
    # 62.5% shortfall (L < 1.125M) is past the 20% red line, but the extra cost at P90 is
    # 300k > 0: red stays.
    assert r.colour == FlagLevel.RED
    # One year of usage on [950k, 1.05M]: $900k at 20% costs max(900k, 0.8 L) with
    # 0.8 L in [760k, 840k]: always 900k, below L on every path (L >= 950k). Shortfall on
    # every path (100%), cheaper than pay as you go in expectation (900k < 1M) and at P90
    # (900k - 960k < 0): amber, not red, and the reason carries the expected unused
    # 900k - 0.8 x 1M = 100,000.
    usage = np.linspace(950_000, 1_050_000, 10_001)[:, None]
    r = evaluate_commitment(c, YearlyUsage.of(usage, usage), 900_000)
    assert r.shortfall_probability == 1.0
    assert r.colour == FlagLevel.AMBER
    (reason,) = r.reasons
    assert reason.risk == Risk.SHORTFALL and reason.dollars == pytest.approx(100_000)


# --------------------------------------------------------------------------- the decision
def test_plan_decision_budget_and_json_keys(book):
    s = make_scenario({"requests_per_month": 2_000_000}, horizon_months=24,
                      current_discount=0.12,
                      contract={"years": 1, "discount_tiers": [
                          {"min_annual_commit": 10_000, "discount": 0.1}]})
    plan = build_plan(s, book, paths=200, seed=1, sensitivity=False)
    doc = plan.to_dict()
    assert set(doc["decision"]) == {
        "offer", "per_year", "sign_after_months", "expected_cost", "saving_vs_payg",
        "saving_vs_today", "shortfall_probability", "extra_cost_p90", "cvar90_extra_cost",
        "reason"}
    assert all(set(r) == {"sign_after_months", "expected_cost", "saving_vs_payg",
                          "shortfall_probability"} for r in doc["when_to_sign"])
    assert [r["sign_after_months"] for r in doc["when_to_sign"]] == [0, 3, 6, 9, 12]
    assert all(set(b) == {"year", "expected_cost", "cost_p10", "cost_p90",
                          "payg_expected_cost", "today_rate_cost"} for b in doc["budget"])
    for c in doc["candidates"]:
        assert {"extra_cost_p90", "cvar90_extra_cost", "expected_unused"} <= set(c)
    d = plan.decision
    assert d.kind == DecisionKind.SIGN_NOW
    (year,) = d.budget
    # One contract year: the budget is the decision's expected cost; pay as you go is the
    # optimized usage; today's rate is 88% of today's path at list.
    assert year.expected_cost == pytest.approx(d.expected_cost)
    assert year.payg_expected_cost == pytest.approx(plan.usage.optimized.mean())
    assert year.today_rate_cost == pytest.approx(0.88 * plan.usage.current.mean())
    # The one saving is measured from today's rate: 0.88 x today's list minus the cost.
    assert d.saving_vs_today == pytest.approx(0.88 * plan.usage.current.mean()
                                              - d.expected_cost)
    assert doc["saving"]["vs_today"] == d.saving_vs_today
    assert "today's rate (12% under list)" in doc["saving"]["label"]


def test_a_term_the_longest_horizon_cannot_wait_for_is_said(book):
    # Five years fill the longest horizon (60 months): no delay fits after them, and the
    # plan says so instead of extending past what a scenario may hold.
    s = make_scenario({"requests_per_month": 2_000_000}, horizon_months=60,
                      contract={"years": 5, "discount_tiers": [
                          {"min_annual_commit": 10_000, "discount": 0.1}]})
    plan = build_plan(s, book, paths=100, seed=1, sensitivity=False)
    w = plan.decision.timing
    assert [r.sign_after_months for r in w.rows] == [0]
    assert w.notes[0] == ("signing after 3 months needs 63 months of simulated usage; the "
                          "longest horizon is 60: not evaluated")
    assert plan.decision.sign_after_months == 0


def test_a_contract_signed_by_before_the_start_prices_every_delay_as_pay_as_you_go(book):
    s = make_scenario({"requests_per_month": 2_000_000}, horizon_months=24,
                      contract={"years": 1, "sign_by": "2026-12", "discount_tiers": [
                          {"min_annual_commit": 10_000, "discount": 0.1}]})
    plan = build_plan(s, book, paths=100, seed=1, sensitivity=False)
    w = plan.decision.timing
    payg = w.payg_costs.mean()
    later = w.rows[1:]
    assert later and all(r.lapsed and r.expected_cost == payg for r in later)
    assert any("lapses after 2026-12" in n for n in w.notes)

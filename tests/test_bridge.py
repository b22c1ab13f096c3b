"""One set of numbers: the savings bridge, one colour per commitment, the joint ramp, the
amounts written with their tier (docs/model.md, "One savings bridge", "One colour", "The
ramp")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.commitment import evaluate_commitment
from forecast.contract import YearlyUsage
from forecast.formatting import rounded_shares, usd_short
from forecast.plan import build_plan
from forecast.pricebook import load_price_book
from forecast.recommendation import recommend
from forecast.scenario import Contract
from forecast.scenario_io import load_scenario
from forecast.types import CommitmentKind, FlagKind, FlagLevel, Risk
from tests.conftest import SCENARIOS, make_scenario

BOOK = load_price_book("anthropic-2026-11")
CENT = 0.005


def assert_bridge_adds_up(result, usage: YearlyUsage, contract: Contract) -> None:
    """Each line from its own definition; the two identities hold to the cent.

    Each line is the mean over the paths through the usage's control variates (the plain
    mean for usage typed by hand): the estimate is linear in the per-path figure, so the
    identities hold as they do path by path.
    """
    b = result.bridge
    assert b.today_list - b.levers == pytest.approx(b.payg, abs=CENT)
    assert b.payg - b.discount + b.unused == pytest.approx(b.expected_cost, abs=CENT)
    assert b.today_list == pytest.approx(usage.mean(usage.current.sum(axis=1)).value, abs=CENT)
    assert b.payg == pytest.approx(usage.mean(usage.optimized.sum(axis=1)).value, abs=CENT)
    assert result.saving_vs_today == pytest.approx(b.today_list - b.expected_cost, abs=CENT)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_bridge_adds_up_to_the_cent_on_bundled_examples(path):
    s = load_scenario(path)
    plan = build_plan(s, BOOK, paths=2000, sensitivity=False)
    contract = s.contract
    for result in [*plan.candidates, plan.recommendation.ramp, plan.recommendation.unoptimized]:
        assert_bridge_adds_up(result, plan.usage, contract)
        # The discount line against its closed form (no rollover, no credit): d times the
        # usage billed at the discounted rate, all of it when overage is discounted, else
        # the part the commitment covers, min(L, C / (1 - d)).
        d = result.discount
        opt = plan.usage.optimized
        covered = result.per_year / (1 - d)
        billed = opt if str(contract.overage) == "discounted" else np.minimum(opt, covered)
        assert result.bridge.discount == pytest.approx(
            plan.usage.mean((d * billed).sum(axis=1)).value, abs=CENT)
    # Today's path and pay as you go are control variates themselves: each is estimated at
    # its exact mean, the projection's sum over the term, with no Monte Carlo error.
    months = 12 * contract.years
    r = plan.recommendation.recommended
    assert r.bridge.today_list == pytest.approx(
        plan.projection.current_total[:months].sum(), rel=1e-9)
    assert r.bridge.payg == pytest.approx(plan.projection.optimized_total[:months].sum(),
                                          rel=1e-9)
    assert r.bridge.se_to_dict()["payg"] < 1e-6 * r.bridge.payg
    # The JSON quotes the decision's bridge (with today's rate beside it), and every
    # candidate carries one.
    doc = plan.to_dict()
    keys = {"today_list", "levers", "payg", "discount", "unused", "expected_cost"}
    assert doc["bridge"] == plan.decision.bridge.to_dict() | {
        "current_discount": 0.0, "today_rate": doc["bridge"]["today_list"]}
    assert set(doc["bridge"]) == keys | {"current_discount", "today_rate"}
    assert all(set(c["bridge"]) == keys for c in doc["candidates"])
    b = doc["bridge"]  # its lines add up to the cent too
    assert b["today_list"] - b["levers"] == pytest.approx(b["payg"], abs=CENT)
    assert b["payg"] - b["discount"] + b["unused"] == pytest.approx(b["expected_cost"],
                                                                    abs=CENT)
    assert doc["saving"]["vs_today"] == pytest.approx(
        doc["bridge"]["today_list"] - doc["bridge"]["expected_cost"], abs=CENT)


def test_bridge_by_hand():
    # One year, one path: today's path 1,000,000 at list, optimized 600,000, a 10% tier from
    # 500,000, overage at list, commitment 700,000 (covers 700,000 / 0.9 = 777,778 of list).
    # Levers: 1,000,000 - 600,000 = 400,000. Discount earned: 0.1 * 600,000 = 60,000 (all of
    # the usage is under the covered amount). Unused: 700,000 - 0.9 * 600,000 = 160,000.
    # Expected cost: the commitment, 700,000 = 600,000 - 60,000 + 160,000.
    c = Contract.model_validate({"years": 1, "overage": "list", "discount_tiers": [
        {"min_annual_commit": 500_000, "discount": 0.1}]})
    r = evaluate_commitment(c, YearlyUsage.of([[600_000.0]], [[1_000_000.0]]), 700_000)
    assert r.bridge.to_dict() == pytest.approx({
        "today_list": 1_000_000, "levers": 400_000, "payg": 600_000, "discount": 60_000,
        "unused": 160_000, "expected_cost": 700_000})
    # Stranded: min(C, D_base) - min(C, D_opt) = min(700k, 900k) - min(700k, 540k) = 160k,
    # "of which stranded": part of the 400,000 the levers save, shown as unused above.
    assert r.stranded_savings == pytest.approx(160_000)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), years=st.integers(1, 4), n=st.integers(1, 200),
       commit=st.floats(0, 3e6), overage=st.sampled_from(["discounted", "list"]),
       rollover=st.sampled_from([0.0, 0.25, 1.0]), credit=st.sampled_from([0.0, 0.5]),
       ramp=st.booleans())
def test_bridge_adds_up_on_random_usage_and_terms(seed, years, n, commit, overage, rollover,
                                                  credit, ramp):
    rng = np.random.default_rng(seed)
    base = rng.lognormal(np.log(1e6), 0.4, size=(n, years))
    opt = base * rng.uniform(0.3, 1.0, size=(n, years))
    c = Contract.model_validate({
        "years": years, "overage": overage, "rollover": rollover, "shortfall_credit": credit,
        "discount_tiers": [{"min_annual_commit": 500_000, "discount": 0.08},
                           {"min_annual_commit": 1_000_000, "discount": 0.12}]})
    amount = commit * np.linspace(1.0, 1.5, years) if ramp else commit
    usage = YearlyUsage.of(opt, base)
    assert_bridge_adds_up(evaluate_commitment(c, usage, amount), usage, c)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(batch=st.floats(0.0, 1.0), growth=st.floats(-0.02, 0.06), volatility=st.floats(0, 0.2),
       tier=st.floats(1_000, 60_000), discount=st.floats(0.01, 0.3),
       overage=st.sampled_from(["discounted", "list"]))
def test_bridge_adds_up_on_random_scenarios(batch, growth, volatility, tier, discount,
                                            overage):
    s = make_scenario(
        {"requests_per_month": 100_000, "growth": {"monthly": growth, "volatility": volatility},
         "optimized": {"batch_share": batch, "lands_month": 3}},
        horizon_months=24, contract={"years": 2, "overage": overage, "discount_tiers": [
            {"min_annual_commit": tier, "discount": discount}]})
    plan = build_plan(s, BOOK, paths=300, seed=3, sensitivity=False)
    for result in plan.candidates:
        assert_bridge_adds_up(result, plan.usage, s.contract)


# --------------------------------------------------------------------------- one colour
def uniform_usage(n: int = 10_000) -> np.ndarray:
    """One year of list usage spread evenly over [900k, 1.1M]: P(L < K) = (K - 900k) / 200k."""
    return np.linspace(900_000, 1_100_000, n)[:, None]


def colour_of(commit: float, **contract) -> tuple[FlagLevel, tuple]:
    c = Contract.model_validate({"years": 1, "discount_tiers": [
        {"min_annual_commit": 0, "discount": 0.1}], **contract})
    usage = uniform_usage()
    r = evaluate_commitment(c, YearlyUsage.of(usage, usage), commit)
    return r.colour, tuple((x.risk, x.level) for x in r.reasons)


def test_a_commitment_that_strands_nothing_but_almost_surely_falls_short_is_red():
    # K = C / 0.9; P(L < K) = (K - 900k) / 200k. 96%: K = 1,092,000, C = 982,800.
    # The optimized path equals today's: nothing to strand, so the colour is the shortfall's.
    assert colour_of(982_800) == (FlagLevel.RED, ((Risk.SHORTFALL, FlagLevel.RED),))
    # 15% (K = 930,000, C = 837,000): above the 10% appetite, below the 20% red line: amber.
    assert colour_of(837_000) == (FlagLevel.AMBER, ((Risk.SHORTFALL, FlagLevel.AMBER),))
    # 96% is red although the cost is max(C, 0.9 L): for L < C = 982,800 (a (982,800 -
    # 900,000) / 200,000 = 41.4% chance) the extra cost C - L is positive, so the P90 of the
    # extra cost is above 0 and the commitment is not cheaper than pay as you go at P90.
    # 25% (K = 950,000, C = 855,000): above the 20% red line, but the cost max(855,000,
    # 0.9 L) is below L on every path (L >= 900,000 > 855,000): cheaper than pay as you go
    # in expectation and at P90, so not red for the shortfall probability alone: amber.
    assert colour_of(855_000) == (FlagLevel.AMBER, ((Risk.SHORTFALL, FlagLevel.AMBER),))
    assert colour_of(855_000, risk_appetite={"max_shortfall_probability": 0.1,
                                             "red_shortfall_probability": 0.3}
                     )[0] == FlagLevel.AMBER
    # 5% (K = 910,000, C = 819,000): within the appetite: green, no reasons.
    assert colour_of(819_000) == (FlagLevel.GREEN, ())


def test_a_commitment_that_earns_no_discount_is_red_and_not_tabled():
    # Tiers start at 1,000,000: 500,000 a year earns nothing, only risk.
    c = Contract.model_validate({"years": 1, "discount_tiers": [
        {"min_annual_commit": 1_000_000, "discount": 0.1}]})
    usage = uniform_usage()
    r = evaluate_commitment(c, YearlyUsage.of(usage, usage), 500_000)
    assert r.colour == FlagLevel.RED and r.reasons[0].risk == Risk.NO_DISCOUNT
    s = make_scenario({"requests_per_month": 2_000_000}, contract={
        "years": 1, "commitments": 500_000, "discount_tiers": [
            {"min_annual_commit": 1_000_000, "discount": 0.1}]})
    plan = build_plan(s, BOOK, paths=200, sensitivity=False)
    grid_rows = [c for c in plan.candidates if c.kind == CommitmentKind.GRID]
    assert all(c.discount[0] > 0 for c in grid_rows)
    assert "below $1,000,000 a year earn no discount" in plan.not_options
    assert any(f.kind == FlagKind.NO_DISCOUNT for f in plan.flags)


def test_zero_commitment_under_a_tier_at_zero_says_it_earns_the_discount():
    s = make_scenario(contract={"years": 1, "commitments": 0, "discount_tiers": [
        {"min_annual_commit": 0, "discount": 0.1}]})
    plan = build_plan(s, BOOK, paths=200, sensitivity=False)
    flag = next(f for f in plan.flags if f.commitment == CommitmentKind.SCENARIO)
    assert "earns its 10% discount" in flag.message
    assert "no discount" not in flag.message


# --------------------------------------------------------------------------- the ramp
def test_joint_ramp_by_hand():
    # Every path uses exactly 1M, 2M and 4M of list in years 1-3; tiers 5% from 1M, 10% from
    # 2M, 15% from 4M; overage at the discounted rate; a shortfall in any year is certain,
    # so none is allowed. Flat: 1M covers 1M / 0.95 = 1.053M > 1M (year 1 short), so the most
    # without a shortfall is 999,999 at 0%: nothing beats paying list, 7M.
    # Ramp: year 1 0 (list, 1M); year 2 1M at 5% (max(1M, 0.95 * 2M) = 1.9M; 2M at 10% would
    # cover 2.22M > 2M); year 3 2M at 10% (max(2M, 0.9 * 4M) = 3.6M; 4M at 15% covers 4.7M).
    # 1M + 1.9M + 3.6M = 6.5M, 0.5M less than flat.
    c = Contract.model_validate({"years": 3, "discount_tiers": [
        {"min_annual_commit": 1_000_000, "discount": 0.05},
        {"min_annual_commit": 2_000_000, "discount": 0.10},
        {"min_annual_commit": 4_000_000, "discount": 0.15}]})
    usage = np.tile([1e6, 2e6, 4e6], (100, 1))
    rec = recommend(c, usage, usage)
    assert rec.recommended.expected_cost == pytest.approx(7_000_000)
    np.testing.assert_allclose(rec.ramp.per_year, [0, 1_000_000, 2_000_000])
    assert rec.ramp.expected_cost == pytest.approx(6_500_000)
    assert rec.ramp.shortfall_probability == 0.0
    assert rec.ramp_advised and rec.ramp_gain == pytest.approx(500_000)


def test_joint_ramp_beats_flat_on_the_enterprise_example():
    s = load_scenario(SCENARIOS[0].parent / "enterprise-portfolio.yaml")
    plan = build_plan(s, BOOK, sensitivity=False)
    rec = plan.recommendation
    assert rec.ramp.is_ramp and rec.ramp_advised
    assert rec.ramp.expected_cost < rec.recommended.expected_cost
    # Evaluated again path by path: the chance that any year falls short within the appetite.
    again = evaluate_commitment(s.contract, plan.usage, rec.ramp.per_year)
    assert again.shortfall_probability <= rec.appetite
    assert again.expected_cost == pytest.approx(rec.ramp.expected_cost, rel=1e-12)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), years=st.integers(2, 4), growth=st.floats(0.0, 0.8),
       overage=st.sampled_from(["discounted", "list"]), appetite=st.sampled_from([0.05, 0.2]))
def test_ramp_never_costs_more_than_flat_and_keeps_the_appetite(seed, years, growth, overage,
                                                                 appetite):
    rng = np.random.default_rng(seed)
    usage = rng.lognormal(np.log(1e6), 0.3, size=(2_000, years)) * (1 + growth) ** np.arange(
        years)
    c = Contract.model_validate({"years": years, "overage": overage, "discount_tiers": [
        {"min_annual_commit": 500_000, "discount": 0.08},
        {"min_annual_commit": 1_000_000, "discount": 0.12}]})
    rec = recommend(c, usage, usage, n_grid=20, appetite=appetite)
    assert rec.ramp.expected_cost <= rec.recommended.expected_cost + 0.01
    assert rec.ramp.shortfall_probability <= appetite


def test_rollover_ties_go_to_the_smaller_commitment():
    # 5M of list every year, a 10% tier from 3M, half of unused rolls over, overage at the
    # discounted rate: every commitment from 3M to 4.5M costs max(C, 4.5M) = 4.5M a year, the
    # same; the recommendation is the tier edge, 3,000,000 exactly (less to strand).
    c = Contract.model_validate({"years": 3, "rollover": 0.5, "discount_tiers": [
        {"min_annual_commit": 3_000_000, "discount": 0.1}]})
    usage = np.full((200, 3), 5_000_000.0)
    rec = recommend(c, usage, usage, n_grid=50)
    assert rec.recommended.annual_commit == 3_000_000
    assert rec.recommended.expected_cost == pytest.approx(3 * 4_500_000)


def test_run_rate_times_twelve_is_todays_month_at_list():
    # 10,000 requests of 4,000 input and 1,000 output tokens on Sonnet 4.5 ($3 / $15 per MTok):
    # 10,000 * (4,000 * 3 + 1,000 * 15) / 1e6 = $270 a month; x 12 = $3,240 a year.
    s = make_scenario(contract={"years": 1, "discount_tiers": [
        {"min_annual_commit": 1_000, "discount": 0.05}]})
    plan = build_plan(s, BOOK, paths=100, sensitivity=False)
    assert plan.recommendation.run_rate.annual_commit == pytest.approx(3_240)
    assert plan.recommendation.run_rate.kind == CommitmentKind.RUN_RATE


# --------------------------------------------------------------------------- amounts
def test_amounts_never_round_up_across_a_tier_edge():
    assert usd_short(2_999_999) == "$3.00M"
    assert usd_short(2_999_999, edges=[3_000_000]) == "$2.99M"
    assert usd_short(3_000_000, edges=[3_000_000]) == "$3.00M"
    assert usd_short(999_999.6) == "$1.00M"  # the unit is chosen after rounding
    assert usd_short(999_999.6, edges=[1_000_000]) == "$999K"
    assert usd_short(44_999, edges=[45_000]) == "$44K"


def test_shares_are_rounded_to_add_up():
    # 38.4 + 37.4 + 24.2 = 100: rounding each gives 38 + 37 + 24 = 99; the largest remainders
    # (0.4, 0.4) take the missing point, first come first: 39 + 37 + 24 = 100.
    assert rounded_shares([0.384, 0.374, 0.242]) == [0.39, 0.37, 0.24]
    assert sum(rounded_shares([1 / 3] * 3)) == pytest.approx(1.0)


# --------------------------------------------------------------------------- walk-back
def test_walk_back_exposure_is_zero_at_probability_zero_and_grows_with_it():
    # On the same paths: the expected cost with walk-back drawn minus with none. At
    # probability 0 no batch move reverts: 0 exactly. Each gray workload's revert is an
    # independent coin of probability p on the same draws, so the exposure rises with p
    # and at p = 1 every move reverts: it equals the cost if all revert.
    s = load_scenario(SCENARIOS[0].parent / "enterprise-portfolio.yaml")
    data = s.model_dump(mode="json")
    exposures = []
    for p in (0.0, 0.2, 0.5, 1.0):
        data["uncertainty"]["walk_back_probability"] = p
        plan = build_plan(make_scenario_from(data), BOOK, paths=2000, sensitivity=False,
                          negotiation=False)
        exposures.append((plan.walk_back.expected_extra_cost, plan.walk_back.if_all_revert))
    assert exposures[0][0] == 0.0
    extra = [e for e, _ in exposures]
    assert extra == sorted(extra) and len(set(extra)) == 4
    assert exposures[-1][0] == pytest.approx(exposures[-1][1], rel=1e-9)
    # Same paths: the cost if all revert does not depend on p. It is estimated through the
    # control variates, whose known means (the optimized path's) move with p, so the four
    # estimates agree within their Monte Carlo error (0.1% here), not to the byte.
    assert all(a == pytest.approx(exposures[0][1], rel=1e-3) for _, a in exposures)
    assert plan.to_dict()["walk_back"]["if_all_revert"] == exposures[-1][1]


def make_scenario_from(data: dict):
    from forecast.scenario_io import parse_scenario

    return parse_scenario(data)


def test_price_protection_is_valued_against_price_cuts_in_a_plan():
    # With list-price cuts possible, a dollar commitment strands like an optimization does:
    # the stranded flag says so and the price-protection ask is worth something; without
    # cuts it is worth nothing.
    s = load_scenario(SCENARIOS[0].parent / "team-three-workloads.yaml")
    data = s.model_dump(mode="json")
    data["contract"]["commitments"] = [400_000]
    values = {}
    for p in (0.0, 0.5):
        data["uncertainty"]["price_cuts"] = {"annual_probability": p,
                                             "size": {"mean": 0.3, "sd": 0.05}}
        plan = build_plan(make_scenario_from(data), BOOK, paths=2000, sensitivity=False)
        target = plan.position.target or plan.position.offers[0]
        from forecast.negotiation import Clause, value_asks

        asks = value_asks(target, plan.usage, plan.recommendation.appetite)
        values[p] = next(a.expected_value for a in asks if a.clause == Clause.PRICE_PROTECTION)
        flag = next(f for f in plan.flags if f.commitment == CommitmentKind.SCENARIO
                    and f.kind == FlagKind.STRANDED_SAVINGS)
        assert ("list prices may fall" in flag.message) == (p > 0)
    assert values[0.0] == 0.0 and values[0.5] > 0

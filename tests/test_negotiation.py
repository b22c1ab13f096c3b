"""The negotiation desk: offers on the same paths, dominance, the walk-away, the break-even
discount, every ask valued (docs/model.md, "Negotiation")."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from pypdf import PdfReader

from forecast.commitment import evaluate_commitment
from forecast.contract import YearlyUsage
from forecast.negotiation import (
    Clause,
    alternative,
    break_even_discount,
    evaluate_offer,
    walk_away,
)
from forecast.plan import build_plan
from forecast.pricebook import load_price_book
from forecast.recommendation import recommend
from forecast.report import render_pdf
from forecast.scenario import Contract, scenario_to_dict
from forecast.scenario_io import load_scenario, parse_scenario
from forecast.types import Audience, FlagKind
from tests.conftest import ROOT, make_scenario

BOOK = load_price_book("anthropic-2026-11")
TIERS = [{"min_annual_commit": 500_000, "discount": 0.08},
         {"min_annual_commit": 1_000_000, "discount": 0.12}]


def terms(**kw) -> Contract:
    return Contract.model_validate({"years": 2, "discount_tiers": TIERS, **kw})


def lognormal_usage(seed: int = 4, n: int = 20_000, years: int = 2) -> YearlyUsage:
    rng = np.random.default_rng(seed)
    opt = np.exp(np.log(1e6) + 0.25 * rng.standard_normal((n, years)))
    return YearlyUsage.of(opt, opt * 1.6)


# --------------------------------------------------------------------------- break-even
@pytest.mark.parametrize("overage", ["discounted", "list"])
def test_break_even_discount_with_no_volatility(overage):
    # Every path uses exactly 1M of list a year; pay as you go costs 2M over two years.
    # C <= 1M: at d = 0 the commitment costs max(C, L) = L (discounted overage) or
    # C + (L - C) = L (list overage): already pay as you go, so d* = 0.
    # C > 1M: the commitment alone costs more than 1M a year whatever the discount: none.
    usage = YearlyUsage.of(np.full((50, 2), 1_000_000.0))
    c = terms(overage=overage)
    payg = alternative(usage).expected_cost
    assert payg == 2_000_000
    result = break_even_discount(c, usage, np.array([0, 500_000, 1_000_000, 1_200_000.0]),
                                 payg)
    assert [b.discount for b in result] == [0.0, 0.0, 0.0, None]


def test_break_even_discount_with_volatility_prices_to_pay_as_you_go_and_rises():
    usage = lognormal_usage()
    c = terms()
    payg = alternative(usage).expected_cost
    # Usage is lognormal around 1M a year: commitments up to about its mean can be made to
    # pay by a discount that rises as the commitment nears the usage.
    amounts = np.array([700_000, 800_000, 900_000, 1_000_000.0])
    curve = break_even_discount(c, usage, amounts, payg)
    found = [b.discount for b in curve]
    assert all(d is not None and 0 < d < 0.99 for d in found)
    assert found == sorted(found) and len(set(found)) == len(found)  # d* rises with C
    for b in curve:
        # Re-evaluated at d*(C), one flat discount from C: the cost equals pay as you go.
        at = Contract.model_validate({"years": 2, "discount_tiers": [
            {"min_annual_commit": b.annual_commit, "discount": b.discount}]})
        cost = evaluate_commitment(at, usage, b.annual_commit).expected_cost
        assert cost == pytest.approx(payg, rel=1e-3)


# --------------------------------------------------------------------------- offers
def scenario_with_offers(*offers: dict, **contract) -> object:
    s = load_scenario(ROOT / "scenarios" / "team-three-workloads.yaml")
    data = scenario_to_dict(s)
    data["simulation"] = {"paths": 4000, "seed": 5}
    data["contract"].update(contract)
    data["offers"] = list(offers)
    return parse_scenario(data)


def test_an_offer_identical_to_the_contract_costs_exactly_the_recommendation():
    s = load_scenario(ROOT / "scenarios" / "team-three-workloads.yaml")
    data = scenario_to_dict(s)
    data["offers"] = [{"name": "Same terms",
                       "discount_tiers": data["contract"]["discount_tiers"]}]
    plan = build_plan(parse_scenario(data), BOOK, paths=3000, sensitivity=False)
    offers = {o.name: o for o in plan.position.offers}
    rec = plan.recommendation.recommended
    assert offers["Same terms"].result.expected_cost == rec.expected_cost
    assert offers["scenario contract"].result.expected_cost == rec.expected_cost
    np.testing.assert_array_equal(offers["Same terms"].result.per_year, rec.per_year)


def test_less_discount_at_the_same_terms_is_dominated():
    s = scenario_with_offers(
        {"name": "Deep", "discount": 0.12, "commitments": 250_000},
        {"name": "Shallow", "discount": 0.08, "commitments": 250_000})
    plan = build_plan(s, BOOK, sensitivity=False)
    offers = {o.name: o for o in plan.position.offers}
    assert offers["Shallow"].dominated_by == "Deep"
    assert offers["Deep"].dominated_by is None
    assert offers["Deep"].rank < offers["Shallow"].rank
    # Same commitment, deeper discount: cheaper on every path, not only on average.
    assert np.all(offers["Deep"].path_costs <= offers["Shallow"].path_costs)


def test_every_ask_is_the_difference_of_two_evaluations_on_the_same_paths():
    usage = lognormal_usage(n=5_000, years=3)
    c = Contract.model_validate({"years": 3, "discount_tiers": TIERS, "overage": "list"})
    offer = evaluate_offer("Vendor", c, usage, appetite=0.1)
    rec = recommend(c, usage)
    from forecast.negotiation import value_asks

    asks = value_asks(offer, usage, 0.1)
    clauses = {a.clause for a in asks}
    assert {Clause.ROLLOVER, Clause.DISCOUNTED_OVERAGE, Clause.SHORTFALL_CREDIT,
            Clause.PRICE_PROTECTION} <= clauses
    base = evaluate_commitment(c, usage, rec.recommended.per_year).expected_cost
    for ask in asks:
        changed = {
            Clause.DISCOUNTED_OVERAGE: {"overage": "discounted"},
            Clause.SHORTFALL_CREDIT: {"shortfall_credit": 0.5},
            Clause.PRICE_PROTECTION: {"price_protection": True},
        }.get(ask.clause)
        if ask.clause == Clause.ROLLOVER:
            share = float(re.search(r"rollover of (\d+)%", ask.description).group(1)) / 100
            changed = {"rollover": share}
        if changed is None:  # the ramp and the lowered threshold: checked through per_year
            new_terms = c if ask.clause == Clause.RAMP else None
            if new_terms is None:
                continue
        else:
            new_terms = c.model_copy(update=changed)
        after = evaluate_commitment(new_terms, usage, ask.per_year_after).expected_cost
        assert ask.expected_value == pytest.approx(base - after, abs=1e-6), ask.clause
    assert [a.expected_value for a in asks] == sorted((a.expected_value for a in asks),
                                                      reverse=True)


def test_price_protection_is_worth_nothing_without_price_cuts_and_something_with_them():
    usage = lognormal_usage(n=5_000)
    c = terms(commitments=[1_000_000])  # a fixed commitment near the usage
    flat = evaluate_offer("Vendor", c, usage, appetite=0.1)
    from forecast.negotiation import value_asks

    def protection(u: YearlyUsage) -> float:
        offer = evaluate_offer("Vendor", c, u, appetite=0.1)
        return next(a.expected_value for a in value_asks(offer, u, 0.1)
                    if a.clause == Clause.PRICE_PROTECTION)

    assert protection(usage) == 0.0
    # List prices cut by 30% on half the paths: spend falls with them (usage is in dollars);
    # a protected commitment falls too, an unprotected one strands the cut.
    level = np.ones_like(usage.optimized)
    level[::2] = 0.7
    cut = YearlyUsage.of(usage.optimized * level, usage.current * level,
                         price_level=level)
    assert protection(cut) > 0
    assert flat.result.expected_cost > 0


def test_walk_away_is_at_pay_as_you_go_or_at_the_appetite():
    usage = lognormal_usage(n=10_000)
    payg = alternative(usage).expected_cost
    for c, appetite in ((terms(), 0.5), (terms(), 0.05), (terms(overage="list"), 0.5)):
        w = walk_away("x", c, usage, appetite, payg)
        assert w.expected_cost <= payg + 0.01
        if w.bound == "payg":
            assert w.expected_cost == pytest.approx(payg, rel=0.005)
        else:
            assert w.bound == "appetite"
            # At the boundary: within the appetite, and a dollar more is not.
            assert w.shortfall_probability <= appetite
            above = evaluate_commitment(c, usage, w.annual_commit * 1.001)
            assert above.shortfall_probability > appetite or above.expected_cost > payg


def test_position_json_and_text():
    s = scenario_with_offers(
        {"name": "Vendor opening", "discount_tiers": [{"min_annual_commit": 400_000,
                                                       "discount": 0.10}],
         "commitments": [400_000], "overage": "list"},
        {"name": "Our counter", "discount_tiers": [{"min_annual_commit": 250_000,
                                                    "discount": 0.10}], "rollover": 0.25})
    plan = build_plan(s, BOOK, sensitivity=False, commits=[200_000])
    doc = plan.to_dict()
    keys = {"name", "expected_cost", "saving_vs_payg", "shortfall_probability",
            "stranded_savings", "flag", "dominated_by", "rank"}
    assert all(keys <= set(o) and ("annual_commit" in o or "per_year" in o)
               for o in doc["offers"])
    assert doc["offers"][0]["name"] == doc["position"]["target"]["offer"]
    pos = doc["position"]
    assert {"payg_expected_cost", "target", "walk_away", "break_even_discount", "asks"} <= set(
        pos)
    assert {"offer", "per_year", "expected_cost"} <= set(pos["target"])
    assert all({"offer", "annual_commit", "expected_cost"} <= set(w) for w in pos["walk_away"])
    assert all({"annual_commit", "discount"} <= set(b) for b in pos["break_even_discount"])
    assert all({"clause", "offer", "expected_value", "shortfall_probability_after"} <= set(a)
               for a in pos["asks"])
    # --commit amounts get their break-even discount too.
    assert [b["annual_commit"] for b in pos["named_break_even_discount"]] == [200_000]


def test_tier_miss_and_beaten_flags_by_hand():
    # 10,000 requests of 4,000 input and 1,000 output tokens on Sonnet 4.5: $270 a month,
    # $3,240 a year, with no spread. A 6% tier from $2,000.
    # $1,900 earns nothing: max(1,900, 3,240) = $3,240. $100 more earns 6%:
    # max(2,000, 0.94 * 3,240 = 3,045.60) = $3,045.60, $194.40 less: a tier miss.
    # $3,100 earns 6% but costs max(3,100, 3,045.60) = $3,100: beaten by $2,000 at
    # $3,045.60 (the recommendation, the tier edge), $54.40 less.
    s = make_scenario(contract={"years": 1, "discount_tiers": [
        {"min_annual_commit": 2_000, "discount": 0.06}]})
    plan = build_plan(s, BOOK, paths=50, sensitivity=False, commits=[1_900, 3_100])
    flags = {f.kind: f for f in plan.flags if f.kind in (FlagKind.TIER_MISS, FlagKind.BEATEN)}
    assert flags[FlagKind.TIER_MISS].amount == pytest.approx(194.40)
    assert "$100 more a year earns 6%, $194 less over the term" in \
        flags[FlagKind.TIER_MISS].message
    assert flags[FlagKind.BEATEN].amount == pytest.approx(54.40)
    assert "beaten in expectation by $2,000 a year" in flags[FlagKind.BEATEN].message


# --------------------------------------------------------------------------- audiences
@pytest.fixture(scope="module")
def enterprise_plan():
    s = load_scenario(ROOT / "scenarios" / "enterprise-portfolio.yaml")
    return build_plan(s, BOOK, paths=2000, seed=3, sensitivity=False)


def pdf_text(pdf: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]


def test_the_vendor_copy_says_nothing_of_the_buyers_position(enterprise_plan):
    pages = pdf_text(render_pdf(enterprise_plan, audience=Audience.VENDOR))
    whole = " ".join(pages).lower()
    for word in ("appetite", "walk-away", "walk away", "pay as you go", "pay-as-you-go",
                 "alternative", "shortfall", "p10", "p90", "expected cost over the term for "
                 "each flat annual commitment", "commitment options", "internal ·"):
        assert word not in whole, word
    # The ask and its evidence are there.
    assert "our proposal" in whole and "the optimization plan and its timeline" in whole
    position = enterprise_plan.position
    assert position.opening_ask.description.lower() in whole


def test_the_internal_copy_says_internal_on_every_page_and_holds_the_position(enterprise_plan):
    pages = pdf_text(render_pdf(enterprise_plan))
    assert all("commitment plan · internal" in p for p in pages)
    first = pages[0]
    assert "THE NEGOTIATION" in first and "Walk away" in first and "Opening ask" in first
    ask = enterprise_plan.position.opening_ask
    assert f"worth ${ask.expected_value:,.0f}" in first

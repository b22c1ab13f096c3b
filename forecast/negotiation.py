"""The negotiation desk: offers compared on the same paths, the buyer's position, every ask
valued (docs/model.md, "Negotiation").

- **Offers**: the scenario's ``contract`` is the first; ``offers:`` add the vendor's and the
  buyer's proposals. Each is evaluated on the same simulated paths (common random numbers),
  so their differences are not Monte Carlo noise: its commitment (fixed by the offer, or the
  best flat one within the appetite when the buyer chooses), the best flat and ramp under its
  terms, and which offer dominates it (no more on every path, less in expectation).
- **Pay as you go** on the optimized path, at list, is the alternative: an offer that does not
  beat it in expectation, within the appetite, is worth walking away from.
- **Walk-away** under an offer: the largest flat commitment whose expected cost stays at or
  below pay as you go and whose shortfall probability stays within the appetite.
- **Break-even discount** d*(C): the smallest flat discount at which committing C a year costs
  no more than paying as you go (the expected cost falls with d: bisection).
- **Target**: the best offer and its commitment. **Asks**: clauses valued in expected dollars
  over the term against the offer as it stands, each the difference of two evaluations on the
  same paths, with the shortfall probability after. **Opening ask**: the next tier's discount
  at the target commitment (its threshold moved down to it).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from forecast.commitment import evaluate_commitment
from forecast.contract import (
    YearlyUsage,
    discount_for,
    evaluate,
    evaluate_flat,
    tier_bounds,
)
from forecast.formatting import pct, usd
from forecast.offer_results import (
    CENT as CENT,
)
from forecast.offer_results import (
    CREDIT_ASK as CREDIT_ASK,
)
from forecast.offer_results import (
    ROLLOVER_ASKS as ROLLOVER_ASKS,
)
from forecast.offer_results import (  # re-exported: the desk's results
    SCENARIO_OFFER as SCENARIO_OFFER,
)
from forecast.offer_results import (
    Alternative as Alternative,
)
from forecast.offer_results import (
    Ask as Ask,
)
from forecast.offer_results import (
    BreakEven as BreakEven,
)
from forecast.offer_results import (
    Clause as Clause,
)
from forecast.offer_results import CloseCall
from forecast.offer_results import (
    OfferResult as OfferResult,
)
from forecast.offer_results import (
    Position as Position,
)
from forecast.offer_results import (
    WalkAway as WalkAway,
)
from forecast.offer_results import (
    _offer_usage as _offer_usage,
)
from forecast.offer_results import (
    _with_lower_threshold as _with_lower_threshold,
)
from forecast.offer_results import (
    alternative as alternative,
)
from forecast.package import (
    MIN_ASK_FLOOR as MIN_ASK_FLOOR,
)
from forecast.package import (
    MIN_ASK_SHARE as MIN_ASK_SHARE,
)
from forecast.package import (
    SHAPE_CLAUSES as SHAPE_CLAUSES,
)
from forecast.package import (
    Joint as Joint,
)
from forecast.package import (  # re-exported: the asks package
    Package as Package,
)
from forecast.package import (
    PackageAsk as PackageAsk,
)
from forecast.package import (
    aimed_at as aimed_at,
)
from forecast.package import (
    build_package as build_package,
)
from forecast.package import (
    joint_evaluation as joint_evaluation,
)
from forecast.package import (
    min_ask_value as min_ask_value,
)
from forecast.package import (
    with_package as with_package,
)
from forecast.precision import plain_mean
from forecast.recommendation import (
    Recommendation,
    SortedUsage,
    closed_form,
    joint_ramp,
    recommend,
    risk_bounded_commit,
    risk_bounded_direct,
    sweep_flat,
)
from forecast.scenario import Contract, Scenario
from forecast.types import CommitmentKind, FlagLevel, FloatArray, Overage, WalkAwayBound

if TYPE_CHECKING:
    from forecast.simulation import Simulation

#: Points of the break-even discount curve.
BREAK_EVEN_POINTS = 12
#: Bisection steps of the walk-away and the cap (each after a grid has bracketed the
#: answer: a millionth of the range).
BISECTIONS = 20



def flat_costs(terms: Contract, usage: YearlyUsage, commitments: FloatArray,
               discount: FloatArray | None = None,
               sorted_usage: SortedUsage | None = None) -> tuple[FloatArray, FloatArray]:
    """Expected cost over the term and shortfall probability of flat commitments.

    Parameters
    ----------
    commitments : ndarray of shape (n,)
    discount : ndarray of shape (n,), optional
        A discount per commitment (the break-even search); default: the tier each earns.

    Returns
    -------
    (expected_cost, shortfall_probability), each ndarray of shape (n,)
    """
    c = np.atleast_1d(np.asarray(commitments, dtype=float))
    if closed_form(terms, usage):
        su = sorted_usage or SortedUsage(usage.optimized)
        flat = sweep_flat(terms, su, su, c, discount)
    else:
        flat = evaluate_flat(terms, usage, c, discount, full=False)
    return flat.expected_cost, flat.shortfall_probability


def walk_away(name: str, terms: Contract, usage: YearlyUsage, appetite: float,
              payg: float) -> WalkAway:
    """The largest flat commitment with expected cost <= pay as you go and shortfall
    probability <= appetite, under ``terms`` (docs/model.md, "Negotiation")."""
    su = SortedUsage(usage.optimized)
    cap = risk_bounded_commit(terms, su, appetite) if closed_form(terms, usage) else \
        risk_bounded_direct(terms, usage, appetite, float(su.sorted[:, -1].max()))
    edges = np.array([lo for lo, _hi, _d in tier_bounds(terms) if 0 < lo <= cap])
    points = 401 if closed_form(terms, usage) else 65
    grid = np.unique(np.concatenate([np.linspace(0.0, cap, points), edges,
                                     np.maximum(edges - 1.0, 0.0)]))
    costs, _ = flat_costs(terms, usage, grid, sorted_usage=su)
    ok = (costs <= payg + CENT) & ((grid == 0) | (discount_for(terms, grid) > 0))
    i = int(np.flatnonzero(ok)[-1]) if ok.any() else 0
    best = float(grid[i])
    if i + 1 < grid.size and not ok[i + 1] and best > 0:
        # Refine where the cost crosses pay as you go, inside one tier (cost is continuous
        # and rising there).
        lo, hi = best, float(grid[i + 1])
        if discount_for(terms, lo) == discount_for(terms, hi):
            for _ in range(BISECTIONS):
                mid = 0.5 * (lo + hi)
                if flat_costs(terms, usage, np.array([mid]), sorted_usage=su)[0][0] \
                        <= payg + CENT:
                    lo = mid
                else:
                    hi = mid
            best = lo
    cost, short = flat_costs(terms, usage, np.array([best]), sorted_usage=su)
    if best <= 0:
        bound = WalkAwayBound.NONE
    elif abs(best - cap) <= max(1.0, 1e-6 * cap):
        bound = WalkAwayBound.APPETITE
    else:
        bound = WalkAwayBound.PAYG
    return WalkAway(name, best, float(cost[0]), float(short[0]), bound)


def break_even_discount(terms: Contract, usage: YearlyUsage, commitments: FloatArray,
                        payg: float) -> list[BreakEven]:
    """d*(C) for each commitment: the smallest flat discount at which committing C a year
    costs no more than paying as you go in expectation (``None`` when no discount below 99%
    does). The expected cost falls as d rises, so each is a bisection on d, all C at once.
    """
    c = np.atleast_1d(np.asarray(commitments, dtype=float))
    su = SortedUsage(usage.optimized) if closed_form(terms, usage) else None

    def excess(d: FloatArray) -> FloatArray:
        return flat_costs(terms, usage, c, d, sorted_usage=su)[0] - payg

    lo, hi = np.zeros(c.size), np.full(c.size, 0.99)
    at_zero, at_top = excess(lo), excess(hi)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        above = excess(mid) > CENT
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    out = []
    for i, amount in enumerate(c):
        if at_zero[i] <= CENT:
            out.append(BreakEven(float(amount), 0.0))
        elif at_top[i] > CENT:
            out.append(BreakEven(float(amount), None))
        else:
            out.append(BreakEven(float(amount), float(hi[i])))
    return out


def named_break_even(terms: Contract, usage: YearlyUsage, per_year: FloatArray,
                     payg: float) -> BreakEven:
    """The break-even discount of a named commitment: for a flat one d*(C); for a ramp the
    flat discount at which the whole ramp costs what paying as you go costs (``None`` when
    no discount below 99% makes it pay). Cost falls with the discount: bisection.

    Parameters
    ----------
    per_year : ndarray of shape (years,) or (1,)
    """
    c = np.asarray(per_year, dtype=float)
    if c.size == 1 or np.ptp(c) == 0:
        return break_even_discount(terms, usage, c[:1], payg)[0]
    c = np.broadcast_to(c, (terms.years,)) if c.size != terms.years else c

    def excess(d: float) -> float:
        cost = evaluate(terms, usage.optimized, c, usage.price_level,
                        discount=np.full(c.size, d)).cost
        return float(cost.sum(axis=-1).mean()) - payg

    if excess(0.0) <= CENT:
        return BreakEven(float(c.mean()), 0.0, tuple(float(x) for x in c))
    if excess(0.99) > CENT:
        return BreakEven(float(c.mean()), None, tuple(float(x) for x in c))
    lo, hi = 0.0, 0.99
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if excess(mid) > CENT else (lo, mid)
    return BreakEven(float(c.mean()), hi, tuple(float(x) for x in c))


def _dominates(a: OfferResult, b: OfferResult) -> bool:
    """a costs no more than b on every path and less in expectation (same paths, same term)."""
    if a.terms.years != b.terms.years:
        return False
    return bool(np.all(a.path_costs <= b.path_costs + 1e-6)
                and a.result.expected_cost < b.result.expected_cost - CENT)


# --------------------------------------------------------------------------- offers

def _plain(payg: Alternative) -> float:
    """Pay as you go's plain mean over the paths: the walk-away and break-even searches
    compare it with plain means of the same paths (their comparisons are paired)."""
    return payg.expected_cost if payg.sample_mean is None else payg.sample_mean


def _close_calls(offers: list[OfferResult], usage: YearlyUsage) -> list[CloseCall]:
    """Offers next in rank (same term, so on the same paths and years) whose paired
    difference in expected cost is within noise (docs/model.md, "Precision")."""
    out = []
    for a, b in itertools.pairwise(offers):
        if a.terms.years != b.terms.years or a.path_costs.shape != b.path_costs.shape:
            continue
        diff = b.path_costs - a.path_costs
        est = usage.mean(diff) if a.terms.years == usage.years else plain_mean(diff)
        if est.within_noise():
            out.append(CloseCall(a.name, b.name, est.value, est.se))
    return out


def evaluate_offer(name: str, terms: Contract, usage: YearlyUsage, appetite: float,
                   recommendation: Recommendation | None = None) -> OfferResult:
    """One offer on the common paths: its commitment, best flat and ramp, walk-away."""
    payg = alternative(usage)
    per_year = terms.commitment_per_year()
    rec = recommendation if recommendation is not None else recommend(
        terms, usage, n_grid=20, appetite=appetite)
    if per_year is not None:
        result = evaluate_commitment(terms, usage, per_year, CommitmentKind.NAMED, label=name,
                                     appetite=appetite)
    else:
        result = evaluate_commitment(terms, usage, rec.recommended.per_year,
                                     CommitmentKind.RECOMMENDED, label=name,
                                     appetite=appetite)
    costs = evaluate(terms, usage.optimized, result.per_year, usage.price_level).cost
    return OfferResult(
        name=name, terms=terms, fixed=per_year is not None, result=result,
        best_flat=rec.recommended, best_ramp=rec.ramp, alternative=payg,
        path_costs=costs.sum(axis=-1), appetite=appetite,
        walk_away=walk_away(name, terms, usage, appetite, _plain(payg)))


def _rank(offers: list[OfferResult]) -> list[OfferResult]:
    """Dominance, then rank: offers worth signing first, cheapest per year first."""
    out = []
    for o in offers:
        dominated = next((a.name for a in offers if a is not o and _dominates(a, o)), None)
        out.append(o if dominated is None else _replace(o, dominated_by=dominated))
    order = sorted(out, key=lambda o: (not o.worth_signing, o.dominated_by is not None,
                                       o.result.expected_cost / o.terms.years))
    return [_replace(o, rank=i + 1) for i, o in enumerate(order)]


def _replace(offer: OfferResult, **changes: object) -> OfferResult:
    from dataclasses import replace

    return replace(offer, **changes)


# --------------------------------------------------------------------------- asks

def value_asks(offer: OfferResult, usage: YearlyUsage, appetite: float) -> list[Ask]:
    """Every clause the buyer can ask for under ``offer``, valued against it as it stands
    on the same paths, most valuable first."""
    terms, c = offer.terms, offer.result.per_year
    base = offer.result.expected_cost
    asks: list[Ask] = []

    def add(clause: Clause, words: str, new_terms: Contract, per_year: FloatArray) -> None:
        after = evaluate_commitment(new_terms, usage, per_year, appetite=appetite)
        asks.append(Ask(clause, offer.name, words, base - after.expected_cost,
                        after.shortfall_probability, np.asarray(per_year, dtype=float)))

    lowered = _with_lower_threshold(terms, float(c.min()))
    if lowered is not None and not offer.result.is_ramp:
        add(Clause.LOWER_THRESHOLD, lowered[1], lowered[0], c)
    for share in ROLLOVER_ASKS:
        if terms.rollover < share and terms.years > 1:
            add(Clause.ROLLOVER, f"rollover of {pct(share)} of unused commitment to the "
                "next year", terms.model_copy(update={"rollover": share}), c)
    if terms.years > 1 and not offer.result.is_ramp:
        ramp = joint_ramp(terms, usage.optimized, appetite, start=c)
        if np.ptp(ramp) > 0:
            add(Clause.RAMP, "a ramp of " + " / ".join(usd(x) for x in ramp)
                + " instead of flat", terms, ramp)
    if terms.overage == Overage.LIST:
        add(Clause.DISCOUNTED_OVERAGE, "overage at the discounted rate instead of list",
            terms.model_copy(update={"overage": Overage.DISCOUNTED}), c)
    if terms.shortfall_credit < CREDIT_ASK:
        add(Clause.SHORTFALL_CREDIT, f"a credit of {pct(CREDIT_ASK)} of any unused "
            "commitment", terms.model_copy(update={"shortfall_credit": CREDIT_ASK}), c)
    if not terms.price_protection:
        add(Clause.PRICE_PROTECTION, "price protection: the commitment falls with list "
            "prices", terms.model_copy(update={"price_protection": True}), c)
    return sorted(asks, key=lambda a: -a.expected_value)


# --------------------------------------------------------------------------- the position
def offer_terms(scenario: Scenario) -> list[tuple[str, Contract]]:
    """Every offer's full terms, the scenario's contract first."""
    return [(SCENARIO_OFFER, scenario.contract)] + [
        (o.name, o.to_contract(scenario.contract)) for o in scenario.offers]


def negotiate(scenario: Scenario, usage: YearlyUsage, recommendation: Recommendation,
              simulation: Simulation | None = None, commits: list[FloatArray] | None = None,
              asks_for: list[str] | None = None) -> Position:
    """The buyer's position on one scenario's simulated usage.

    Parameters
    ----------
    usage : YearlyUsage
        The plan's yearly usage (the scenario contract's term); an offer with another term
        gets its own yearly sums from ``simulation``.
    recommendation : Recommendation
        The plan's recommendation under the scenario's contract (reused, so the scenario
        contract as an offer costs exactly what the recommendation costs).
    commits : list of ndarray, optional
        Commitments the buyer named (``--commit``): their break-even discount.
    asks_for : list of str, optional
        Offers to aim the asks package at (default: the latest vendor offer).
    """
    appetite = recommendation.appetite
    payg = alternative(usage)
    evaluated = []
    for name, terms in offer_terms(scenario):
        offer_usage = _offer_usage(terms, usage, simulation)
        same = name == SCENARIO_OFFER
        evaluated.append(evaluate_offer(name, terms, offer_usage, appetite,
                                        recommendation if same else None))
    offers = _rank(evaluated)
    target = next((o for o in offers if o.worth_signing), None)

    high = float(np.quantile(usage.optimized, 0.9, axis=0).max())
    curve = np.unique(np.round(np.linspace(0.0, 1.2 * high, BREAK_EVEN_POINTS), -3))
    terms = scenario.contract
    named = [np.asarray(c, dtype=float) for c in (commits or [])]
    per_year = terms.commitment_per_year()
    if per_year is not None:
        named.insert(0, np.asarray(per_year, dtype=float))
    position = Position(
        alternative=payg, offers=offers, target=target,
        break_even=break_even_discount(terms, usage, curve, _plain(payg)),
        named_break_even=[named_break_even(terms, usage, c, _plain(payg)) for c in named],
        opening_ask=None, within_noise=_close_calls(offers, usage))
    return with_package(position, scenario, usage, simulation, appetite, asks_for)


def offer_level(offer: OfferResult) -> FlagLevel:
    """An offer's colour: its commitment's, and red when it does not beat paying as you go."""
    if not offer.worth_signing and offer.result.total_commit > 0:
        return FlagLevel.RED
    return offer.result.colour


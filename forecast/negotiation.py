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
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from forecast.commitment import CommitmentResult, evaluate_commitment
from forecast.contract import (
    YearlyUsage,
    discount_for,
    evaluate,
    evaluate_flat,
    next_tier,
    tier_bounds,
)
from forecast.formatting import pct, usd
from forecast.precision import Estimate, quantile
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
from forecast.results import Serializable, as_dict
from forecast.scenario import Contract, DiscountTier, Scenario
from forecast.types import CommitmentKind, FlagLevel, FloatArray, Overage

if TYPE_CHECKING:
    from forecast.simulation import Simulation

#: The scenario's own contract, as the first offer.
SCENARIO_OFFER = "scenario contract"
#: Rollover shares valued as asks.
ROLLOVER_ASKS = (0.25, 0.5, 1.0)
#: Share of unused commitment a shortfall-credit ask asks the vendor to credit back.
CREDIT_ASK = 0.5
#: Points of the break-even discount curve.
BREAK_EVEN_POINTS = 12
#: Bisection steps of the walk-away and the cap (each after a grid has bracketed the
#: answer: a millionth of the range).
BISECTIONS = 20
#: Expected costs closer than this (USD over the term) are equal.
CENT = 0.005


class Clause(StrEnum):
    """A term a buyer can ask for."""

    LOWER_THRESHOLD = "lower_threshold"
    ROLLOVER = "rollover"
    RAMP = "ramp"
    DISCOUNTED_OVERAGE = "discounted_overage"
    SHORTFALL_CREDIT = "shortfall_credit"
    PRICE_PROTECTION = "price_protection"
    LOWER_COMMITMENT = "lower_commitment"
    SHORTER_TERM = "shorter_term"


@dataclass(frozen=True)
class Alternative(Serializable):
    """Pay as you go on the optimized path, at list: the buyer's alternative (over a term)."""

    years: int
    expected_cost: float
    cost_p10: float
    cost_p90: float
    #: Monte Carlo standard errors (0 for the expected cost when the usage has control
    #: variates: pay as you go is one, estimated at its exact mean).
    expected_cost_se: float = 0.0
    cost_p10_se: float = 0.0
    cost_p90_se: float = 0.0
    #: The plain mean over the paths: what the searches (walk-away, break-even) compare
    #: their own plain means with, so that their comparisons are on one footing.
    sample_mean: float | None = None

    def to_dict(self) -> dict:
        """The fields but ``sample_mean`` (the searches' internal footing)."""
        return {k: v for k, v in as_dict(self).items() if k != "sample_mean"}


@dataclass(frozen=True)
class WalkAway(Serializable):
    """The largest flat commitment worth signing under an offer's terms.

    ``bound`` says what stops it: ``payg`` (a bigger one costs more than paying as you go in
    expectation), ``appetite`` (a bigger one falls short too often) or ``none`` (no
    commitment above $0 beats paying as you go).
    """

    offer: str
    annual_commit: float
    expected_cost: float
    shortfall_probability: float
    bound: str


@dataclass(frozen=True)
class BreakEven:
    """The least flat discount worth accepting for committing ``annual_commit`` a year (a
    ramp's mean, its years in ``per_year``); ``None`` when no discount makes it cost no more
    than paying as you go."""

    annual_commit: float
    discount: float | None
    per_year: tuple[float, ...] | None = None

    @property
    def label(self) -> str:
        """The commitment as typed: one amount, or a ramp's amounts."""
        if self.per_year is None:
            return usd(self.annual_commit)
        return "/".join(usd(x) for x in self.per_year)

    def to_dict(self) -> dict:
        out = {"annual_commit": self.annual_commit, "discount": self.discount}
        if self.per_year is not None:
            out["per_year"] = list(self.per_year)
        return out


@dataclass(frozen=True)
class Ask(Serializable):
    """One clause asked for, valued on the same paths against the offer as it stands."""

    clause: Clause
    offer: str
    description: str
    expected_value: float
    shortfall_probability_after: float
    per_year_after: FloatArray


@dataclass(frozen=True)
class OfferResult:
    """One offer evaluated on the common paths.

    Attributes
    ----------
    result : CommitmentResult
        The offer's commitment: its own when fixed, else the best flat one within the
        appetite under its terms.
    best_flat, best_ramp : CommitmentResult or None
        The best flat commitment and ramp under its terms, when the buyer chooses.
    path_costs : ndarray of shape (n_paths,)
        Cost over the term on each path (for dominance).
    """

    name: str
    terms: Contract
    fixed: bool
    result: CommitmentResult
    best_flat: CommitmentResult | None
    best_ramp: CommitmentResult | None
    alternative: Alternative
    path_costs: FloatArray
    walk_away: WalkAway
    appetite: float
    dominated_by: str | None = None
    rank: int = 0

    @property
    def saving_vs_payg(self) -> float:
        return self.alternative.expected_cost - self.result.expected_cost

    @property
    def saving_vs_payg_se(self) -> float:
        return self.result.saving_vs_payg_se

    @property
    def within_appetite(self) -> bool:
        """Within every bound of the appetite that is set (shortfall, dollars)."""
        return self.result.within_bounds(self.terms, self.appetite)

    @property
    def worth_signing(self) -> bool:
        """Beats paying as you go in expectation, within the appetite."""
        return self.saving_vs_payg > CENT and self.within_appetite

    def to_dict(self) -> dict:
        r = self.result
        out: dict = {"name": self.name, "rank": self.rank, "fixed": self.fixed,
                     "years": self.terms.years}
        if r.is_ramp:
            out["per_year"] = r.per_year.tolist()
        else:
            out["annual_commit"] = r.annual_commit
        out |= {
            "discount": r.discount.tolist(),
            "expected_cost": r.expected_cost, "cost_p10": r.cost_p10, "cost_p90": r.cost_p90,
            "saving_vs_payg": self.saving_vs_payg,
            "shortfall_probability": r.shortfall_probability,
            "expected_cost_se": r.expected_cost_se, "cost_p10_se": r.cost_p10_se,
            "cost_p90_se": r.cost_p90_se, "saving_vs_payg_se": self.saving_vs_payg_se,
            "shortfall_probability_se": r.shortfall_probability_se,
            "stranded_savings": r.stranded_savings, "flag": str(r.colour),
            "expected_unused": r.expected_unused, "extra_cost_p90": r.extra_cost_p90,
            "cvar90_extra_cost": r.cvar90_extra_cost,
            "reasons": [x.to_dict() for x in r.reasons],
            "dominated_by": self.dominated_by, "worth_signing": self.worth_signing,
            "best_flat": None if self.best_flat is None else self.best_flat.annual_commit,
            "best_ramp": None if self.best_ramp is None else self.best_ramp.per_year.tolist(),
            "walk_away": self.walk_away.to_dict(),
        }
        return out


@dataclass(frozen=True)
class CloseCall(Serializable):
    """Two offers whose expected costs differ by less than two standard errors of their
    paired difference (same paths): Monte Carlo cannot tell them apart at these paths."""

    first: str
    second: str
    difference: float
    difference_se: float


@dataclass(frozen=True)
class Position:
    """The buyer's position: the alternative, the offers ranked, the target, the walk-away
    under each offer, the break-even discount curve and the asks."""

    alternative: Alternative
    offers: list[OfferResult]
    target: OfferResult | None
    break_even: list[BreakEven]
    named_break_even: list[BreakEven]
    opening_ask: Ask | None
    asks: list[Ask] = field(default_factory=list)
    #: Offers next to each other in the ranking whose expected costs are within noise of
    #: each other (:class:`CloseCall`).
    within_noise: list[CloseCall] = field(default_factory=list)
    package: Package | None = None
    packages: list[Package] = field(default_factory=list)

    @property
    def walk_away(self) -> list[WalkAway]:
        return [o.walk_away for o in self.offers]

    def to_dict(self) -> dict:
        t = self.target
        return {
            "payg_expected_cost": self.alternative.expected_cost,
            "payg": self.alternative.to_dict(),
            "target": None if t is None else {
                "offer": t.name, "per_year": t.result.per_year.tolist(),
                "expected_cost": t.result.expected_cost,
                "saving_vs_payg": t.saving_vs_payg,
                "shortfall_probability": t.result.shortfall_probability,
                "expected_cost_se": t.result.expected_cost_se,
                "saving_vs_payg_se": t.saving_vs_payg_se,
                "shortfall_probability_se": t.result.shortfall_probability_se},
            "walk_away": [w.to_dict() for w in self.walk_away],
            "break_even_discount": [b.to_dict() for b in self.break_even],
            "named_break_even_discount": [b.to_dict() for b in self.named_break_even],
            "opening_ask": None if self.opening_ask is None else self.opening_ask.to_dict(),
            "asks": [a.to_dict() for a in self.asks],
            "within_noise": [c.to_dict() for c in self.within_noise],
            "package": None if self.package is None else self.package.to_dict(),
        }


# --------------------------------------------------------------------------- helpers
def alternative(usage: YearlyUsage) -> Alternative:
    """Pay as you go on the optimized path at list, over the usage's term (its expected
    cost through the usage's control variates: the exact mean when it has them)."""
    total = usage.optimized.sum(axis=1)
    p10, p90 = quantile(total, 0.1), quantile(total, 0.9)
    mean = usage.mean(total)
    return Alternative(usage.years, mean.value, p10.value, p90.value, mean.se, p10.se,
                       p90.se, float(total.mean()))


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
        bound = "none"
    elif abs(best - cap) <= max(1.0, 1e-6 * cap):
        bound = "appetite"
    else:
        bound = "payg"
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


def _plain(payg: Alternative) -> float:
    """Pay as you go's plain mean over the paths: the walk-away and break-even searches
    compare it with plain means of the same paths (their comparisons are paired)."""
    return payg.expected_cost if payg.sample_mean is None else payg.sample_mean


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
def _offer_usage(terms: Contract, usage: YearlyUsage, simulation: Simulation | None
                 ) -> YearlyUsage:
    if terms.years == usage.years or simulation is None:
        return usage
    return YearlyUsage.from_simulation(simulation, terms.years)


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


def _close_calls(offers: list[OfferResult], usage: YearlyUsage) -> list[CloseCall]:
    """Offers next in rank (same term, so on the same paths and years) whose paired
    difference in expected cost is within noise (docs/model.md, "Precision")."""
    out = []
    for a, b in itertools.pairwise(offers):
        if a.terms.years != b.terms.years or a.path_costs.shape != b.path_costs.shape:
            continue
        diff = usage.mean(b.path_costs - a.path_costs) if a.terms.years == usage.years \
            else Estimate(float((b.path_costs - a.path_costs).mean()),
                          float((b.path_costs - a.path_costs).std(ddof=1)
                                / np.sqrt(max(a.path_costs.size, 1))))
        if diff.within_noise():
            out.append(CloseCall(a.name, b.name, diff.value, diff.se))
    return out


# --------------------------------------------------------------------------- asks
def _with_lower_threshold(terms: Contract, commitment: float) -> tuple[Contract, str] | None:
    """The terms with the next tier above ``commitment`` moved down to it."""
    nxt = next_tier(terms, commitment)
    if nxt is None or commitment <= 0:
        return None
    threshold, discount = nxt
    tiers = [t for t in terms.discount_tiers
             if t.min_annual_commit < commitment and t.discount < discount]
    tiers += [DiscountTier(min_annual_commit=commitment, discount=discount)]
    tiers += [t for t in terms.discount_tiers if t.min_annual_commit > threshold]
    words = (f"the {pct(discount)} tier's threshold moved from {usd(threshold)} down to "
             f"{usd(commitment)} a year")
    return terms.model_copy(update={"discount_tiers": tiers}), words


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


# --------------------------------------------------------------------------- the package
#: Materiality of an ask, absent ``negotiation.min_ask_value``: the larger of this floor and
#: this share of the offer's expected cost over the term.
MIN_ASK_FLOOR = 1_000.0
MIN_ASK_SHARE = 0.0025
#: Clauses that change the commitment per year (one of them at most: flat or one ramp).
SHAPE_CLAUSES = (Clause.LOWER_COMMITMENT, Clause.RAMP)


@dataclass(frozen=True)
class _Deal:
    """Terms, commitment per year and whether the last contract year is dropped."""

    terms: Contract
    per_year: FloatArray
    shorter: bool = False


@dataclass(frozen=True)
class _Choice:
    """One alternative within a clause: its words and how it changes a deal (None when it
    does not apply to that deal)."""

    clause: Clause
    key: str
    apply: Callable[[_Deal], tuple[_Deal, str] | None]


@dataclass(frozen=True)
class Joint:
    """A deal evaluated on the same paths: expected cost over the offer's term (a shorter
    term pays as you go for the year it drops), shortfall probability (some year falls
    short), extra cost at P90 and expected unused, and whether it is within the appetite."""

    expected_cost: float
    shortfall_probability: float
    extra_cost_p90: float
    expected_unused: float
    within_appetite: bool


def joint_evaluation(deal_terms: Contract, per_year: FloatArray, usage: YearlyUsage,
                     appetite: float, shorter: bool = False,
                     bounds: Contract | None = None) -> Joint:
    """One deal on every path (docs/model.md, "The asks package").

    Parameters
    ----------
    deal_terms : Contract
        The terms as asked for (their ``years`` the offer's).
    per_year : ndarray of shape (years,)
    usage : YearlyUsage
        Yearly usage over the offer's term, arrays of shape (n_paths, years).
    shorter : bool
        The term one year shorter: the last year is paid as you go (list).
    bounds : Contract, optional
        Whose risk appetite bounds the deal (default ``deal_terms``).
    """
    years = deal_terms.years
    kept = years - 1 if shorter else years
    opt = usage.optimized
    terms = deal_terms.model_copy(update={"years": kept}) if shorter else deal_terms
    out = evaluate(terms, opt[:, :kept], np.asarray(per_year, dtype=float)[:kept],
                   usage.price_level[:, :kept])
    total = out.cost.sum(axis=-1) + opt[:, kept:].sum(axis=-1)
    from forecast.commitment import bounds_met
    from forecast.contract import extra_cost_tail

    short = float(out.short.any(axis=-1).mean())
    p90, _cvar = extra_cost_tail(total - opt.sum(axis=-1))
    unused = float(out.unused.sum(axis=-1).mean())
    ok = bounds_met(bounds or deal_terms, short, float(p90), unused, appetite)
    return Joint(float(total.mean()), short, float(p90), unused, ok)


@dataclass(frozen=True)
class PackageAsk:
    """One ask in the package.

    ``value``: the ask alone against the offer as it stands; ``marginal_value``: the
    package minus the package without it; ``shortfall_probability_after``: the offer with
    this ask alone.
    """

    clause: Clause
    description: str
    value: float
    marginal_value: float
    shortfall_probability_after: float

    def to_dict(self) -> dict:
        return {"clause": str(self.clause), "description": self.description,
                "value": self.value, "marginal_value": self.marginal_value,
                "shortfall_probability_after": self.shortfall_probability_after}


@dataclass(frozen=True)
class Package:
    """The asks as one package against one offer (docs/model.md, "The asks package").

    ``value``: the offer's expected cost minus the package's, jointly on the same paths;
    ``interaction``: ``value`` minus the sum of the marginal values. ``none_within`` says
    that no combination (not even the offer as it stands with any ask) is within the
    appetite: then there are no asks.
    """

    offer: str
    asks: list[PackageAsk]
    value: float
    shortfall_probability_after: float
    expected_cost_after: float
    min_ask_value: float
    per_year_after: FloatArray
    none_within: bool = False

    @property
    def interaction(self) -> float:
        return self.value - sum(a.marginal_value for a in self.asks)

    def to_dict(self) -> dict:
        return {"offer": self.offer, "asks": [a.to_dict() for a in self.asks],
                "value": self.value, "interaction": self.interaction,
                "shortfall_probability_after": self.shortfall_probability_after,
                "min_ask_value": self.min_ask_value,
                "per_year_after": self.per_year_after.tolist(),
                "none_within_appetite": self.none_within}


def _choices(offer: OfferResult, usage: YearlyUsage, appetite: float,
             lower_to: FloatArray | None) -> list[list[_Choice | None]]:
    """The clauses' alternatives, one group per clause (``None``: the offer as it stands)."""
    terms, c = offer.terms, offer.result.per_year
    years = terms.years
    groups: list[list[_Choice | None]] = []
    shape: list[_Choice | None] = [None]
    if lower_to is not None:
        low = np.broadcast_to(np.asarray(lower_to, dtype=float), c.shape).copy()
        if np.all(low <= c + CENT) and np.any(low < c - 1.0) and np.all(low > 0):
            shape.append(_Choice(Clause.LOWER_COMMITMENT, "lower", lambda d: (
                _replace_deal(d, per_year=low),
                "a commitment of " + _amounts(low) + " instead of " + _amounts(c))))
    if years > 1 and not offer.result.is_ramp:
        ramp = joint_ramp(terms, usage.optimized, appetite, start=c)
        if np.ptp(ramp) > 0 and np.all(ramp > 0):
            shape.append(_Choice(Clause.RAMP, "ramp", lambda d: (
                _replace_deal(d, per_year=ramp),
                "a ramp of " + " / ".join(usd(x) for x in ramp) + " instead of "
                + _amounts(c))))
    groups.append(shape)
    groups.append([None] + [
        _Choice(Clause.ROLLOVER, f"rollover {share}", _rollover(share))
        for share in ROLLOVER_ASKS if terms.rollover < share and years > 1])

    def lower(d: _Deal) -> tuple[_Deal, str] | None:
        if np.ptp(d.per_year) > 0:
            return None
        moved = _with_lower_threshold(d.terms, float(d.per_year.min()))
        return None if moved is None else (_replace_deal(d, terms=moved[0]), moved[1])

    groups.append([None, _Choice(Clause.LOWER_THRESHOLD, "threshold", lower)])
    if terms.overage == Overage.LIST:
        groups.append([None, _Choice(Clause.DISCOUNTED_OVERAGE, "overage", _update(
            {"overage": Overage.DISCOUNTED}, "overage at the discounted rate instead of list"))])
    if terms.shortfall_credit < CREDIT_ASK:
        groups.append([None, _Choice(Clause.SHORTFALL_CREDIT, "credit", _update(
            {"shortfall_credit": CREDIT_ASK},
            f"a credit of {pct(CREDIT_ASK)} of any unused commitment"))])
    if not terms.price_protection:
        groups.append([None, _Choice(Clause.PRICE_PROTECTION, "protection", _update(
            {"price_protection": True}, "price protection: the commitment falls with list "
            "prices"))])
    if years > 1:
        groups.append([None, _Choice(Clause.SHORTER_TERM, "shorter", lambda d: (
            _replace_deal(d, shorter=True),
            f"a {years - 1}-year term instead of {years} years"))])
    return groups


def _amounts(per_year: FloatArray) -> str:
    a = np.asarray(per_year, dtype=float)
    return f"{usd(float(a[0]))} a year" if np.ptp(a) == 0 else " / ".join(usd(x) for x in a)


def _replace_deal(deal: _Deal, **changes: object) -> _Deal:
    from dataclasses import replace

    return replace(deal, **changes)


def _update(update: dict, words: str) -> Callable[[_Deal], tuple[_Deal, str] | None]:
    return lambda d: (_replace_deal(d, terms=d.terms.model_copy(update=update)), words)


def _rollover(share: float) -> Callable[[_Deal], tuple[_Deal, str] | None]:
    return _update({"rollover": share},
                   f"rollover of {pct(share)} of unused commitment to the next year")


def min_ask_value(scenario: Scenario, offer: OfferResult) -> float:
    """The materiality line of an ask under ``offer`` (USD over the term)."""
    own = scenario.negotiation.min_ask_value
    if own is not None:
        return float(own)
    return max(MIN_ASK_FLOOR, MIN_ASK_SHARE * offer.result.expected_cost)


def build_package(offer: OfferResult, usage: YearlyUsage, appetite: float, line: float,
                  lower_to: FloatArray | None = None) -> Package:
    """The best package of asks under ``offer`` (docs/model.md, "The asks package").

    Every combination of the clauses' alternatives (at most one per clause: one rollover
    level, flat or one ramp or a lower commitment, one threshold; the others on or off) is
    evaluated jointly on the same paths; the package is the cheapest within the appetite.
    An ask whose marginal value (package minus package without it) is under ``line`` is
    dropped (the smallest first) and the search runs again without it.

    Parameters
    ----------
    usage : YearlyUsage
        Yearly usage over the offer's term, arrays of shape (n_paths, years).
    line : float
        The least marginal value of an ask (USD over the term).
    lower_to : ndarray of shape (years,), optional
        The lower commitment to ask for (the decision's amount under these terms).
    """
    import itertools

    groups = _choices(offer, usage, appetite, lower_to)
    start = _Deal(offer.terms, np.asarray(offer.result.per_year, dtype=float))
    seen: dict[tuple, tuple[Joint, _Deal, list[str]] | None] = {}

    def run(combo: tuple[_Choice | None, ...]) -> tuple[Joint, _Deal, list[str]] | None:
        key = tuple(None if x is None else x.key for x in combo)
        if key not in seen:
            deal, words = start, []
            for choice in combo:
                if choice is None:
                    words.append("")
                    continue
                step = choice.apply(deal)
                if step is None:
                    seen[key] = None
                    return None
                deal, said = step
                words.append(said)
            joint = joint_evaluation(deal.terms, deal.per_year, usage, appetite,
                                     deal.shorter, bounds=offer.terms)
            seen[key] = (joint, deal, words)
        return seen[key]

    base = run(tuple(None for _ in groups))
    assert base is not None
    offer_cost = base[0].expected_cost
    banned: set[str] = set()
    while True:
        best: tuple[float, tuple] | None = None
        for combo in itertools.product(*groups):
            if any(x is not None and x.key in banned for x in combo):
                continue
            got = run(combo)
            if got is None or not got[0].within_appetite:
                continue
            cost = got[0].expected_cost
            if best is None or cost < best[0] - CENT:
                best = (cost, combo)
        if best is None:
            return Package(offer.name, [], 0.0, base[0].shortfall_probability,
                           offer_cost, line, start.per_year, none_within=True)
        combo = best[1]
        joint, deal, words = run(combo)  # type: ignore[misc]
        asks: list[PackageAsk] = []
        for i, choice in enumerate(combo):
            if choice is None:
                continue
            without = run((*combo[:i], None, *combo[i + 1:]))
            alone_combo = tuple(choice if j == i else None for j in range(len(groups)))
            alone = run(alone_combo)
            marginal = (without[0].expected_cost if without is not None else offer_cost) \
                - joint.expected_cost
            value = offer_cost - (alone[0].expected_cost if alone is not None else offer_cost)
            after = alone[0].shortfall_probability if alone is not None \
                else joint.shortfall_probability
            asks.append(PackageAsk(choice.clause, words[i], value, marginal, after))
        weak = [(a.marginal_value, c.key) for a, c in zip(
            asks, [x for x in combo if x is not None], strict=True) if a.marginal_value < line]
        if not weak:
            return Package(offer.name, sorted(asks, key=lambda a: -a.marginal_value),
                           offer_cost - joint.expected_cost, joint.shortfall_probability,
                           joint.expected_cost, line, deal.per_year)
        banned.add(min(weak)[1])


def aimed_at(scenario: Scenario, position: Position, decision_offer: str | None) -> str:
    """The offer the package aims at: the latest vendor offer (``from: vendor``), else the
    decision's offer, else the best one."""
    vendor = [o.name for o in scenario.offers if o.side == "vendor"]
    if vendor:
        return vendor[-1]
    if decision_offer is not None:
        return decision_offer
    return position.target.name if position.target is not None else position.offers[0].name


def with_package(position: Position, scenario: Scenario, usage: YearlyUsage,
                 simulation: Simulation | None, appetite: float,
                 asks_for: list[str] | None = None, decision_offer: str | None = None,
                 decision_per_year: FloatArray | None = None) -> Position:
    """The position with its asks package(s): against the latest vendor offer by default,
    or against each offer of ``asks_for``; ``position.asks`` are the packages' asks (their
    ``expected_value`` the marginal value), the opening ask the first package's largest.

    ``decision_per_year`` (the decision's commitment) is the lower commitment asked for
    under an offer whose terms have as many years; otherwise the offer's best flat
    commitment within the appetite is.
    """
    from dataclasses import replace

    names = list(asks_for or []) or [aimed_at(scenario, position, decision_offer)]
    by_name = {o.name: o for o in position.offers}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        from forecast.errors import PlannerError

        raise PlannerError(f"--asks-for: no offer named {', '.join(sorted(unknown))}; "
                           "offers: " + ", ".join(o.name for o in position.offers))
    packages = []
    asks: list[Ask] = []
    for name in dict.fromkeys(names):
        o = by_name[name]
        u = _offer_usage(o.terms, usage, simulation)
        lower = None
        if decision_per_year is not None and decision_per_year.size == o.terms.years \
                and np.all(decision_per_year > 0):
            lower = decision_per_year
        elif o.best_flat is not None and o.best_flat.total_commit > 0:
            lower = o.best_flat.per_year
        p = build_package(o, u, appetite, min_ask_value(scenario, o), lower)
        packages.append(p)
        asks += [Ask(a.clause, o.name, a.description, a.marginal_value,
                     a.shortfall_probability_after, p.per_year_after) for a in p.asks]
    first = [a for a in asks if a.offer == packages[0].offer]
    opening = next((a for a in first if a.clause == Clause.LOWER_THRESHOLD),
                   first[0] if first else None)
    return replace(position, package=packages[0], packages=packages, asks=asks,
                   opening_ask=opening)

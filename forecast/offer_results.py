"""The negotiation desk's results and the helpers the desk and the asks package share
(docs/model.md, "Negotiation"): the alternative (pay as you go), an offer evaluated, the
walk-away, the break-even discount, an ask, the position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from forecast.commitment import CommitmentResult
from forecast.contract import (
    YearlyUsage,
    next_tier,
)
from forecast.formatting import pct, usd
from forecast.precision import quantile
from forecast.results import Serializable, as_dict
from forecast.scenario import Contract, DiscountTier
from forecast.types import FloatArray, WalkAwayBound

if TYPE_CHECKING:
    from forecast.package import Package
    from forecast.simulation import Simulation

#: The scenario's own contract, as the first offer.
SCENARIO_OFFER = "scenario contract"
#: Rollover shares valued as asks.
ROLLOVER_ASKS = (0.25, 0.5, 1.0)
#: Share of unused commitment a shortfall-credit ask asks the vendor to credit back.
CREDIT_ASK = 0.5
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
    bound: WalkAwayBound


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
    package: Package | None = None
    packages: list[Package] = field(default_factory=list)
    #: Offers next to each other in the ranking whose expected costs are within noise of
    #: each other (:class:`CloseCall`).
    within_noise: list[CloseCall] = field(default_factory=list)

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
            "package": None if self.package is None else self.package.to_dict(),
            "within_noise": [c.to_dict() for c in self.within_noise],
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



def _offer_usage(terms: Contract, usage: YearlyUsage, simulation: Simulation | None
                 ) -> YearlyUsage:
    if terms.years == usage.years or simulation is None:
        return usage
    return YearlyUsage.from_simulation(simulation, terms.years)



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


"""The asks as one package (docs/model.md, "Negotiation", the asks package): alternatives
within a clause, combined across clauses, evaluated jointly on the same paths within the
appetite; each ask's marginal value inside the package; the materiality line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from forecast.contract import (
    YearlyUsage,
    evaluate,
)
from forecast.formatting import pct, usd
from forecast.recommendation import (
    joint_ramp,
)
from forecast.scenario import Contract, Scenario
from forecast.types import FloatArray, Overage

if TYPE_CHECKING:
    from forecast.simulation import Simulation
from forecast.offer_results import (
    CENT,
    CREDIT_ASK,
    ROLLOVER_ASKS,
    Ask,
    Clause,
    OfferResult,
    Position,
    _offer_usage,
    _with_lower_threshold,
)

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

"""The one decision: the offer to sign, the commitment per year under it, when, and why; or
pay as you go with its reason (docs/model.md, "One decision").

The options are every offer's commitment (the scenario's contract is one offer, at the
recommended commitment under its terms) that beats pay as you go in expectation within every
bound of the appetite; the decision is the one that saves most a year against pay as you go.
Then :mod:`forecast.signing` prices waiting: if paying as you go for k months and signing then
(on what is observed by then) is cheaper over the common window by a material amount, the
decision is to wait. The budget view is the decision's cost per contract year, beside pay as
you go and today's effective rate (``scenario.current_discount``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from forecast import limits
from forecast.commitment import Bridge, CommitmentResult
from forecast.contract import YearlyUsage, discount_for, evaluate, tier_edges
from forecast.errors import PlannerError
from forecast.formatting import pct, usd
from forecast.negotiation import CENT, SCENARIO_OFFER, Position
from forecast.results import Serializable
from forecast.scenario import Contract, Scenario
from forecast.signing import SigningRow, WhenToSign, delays, when_to_sign
from forecast.types import FloatArray

if TYPE_CHECKING:
    from forecast.recommendation import Recommendation
    from forecast.simulation import Simulation

#: Simulates the scenario over more months (same seed and paths) when its horizon is short.
Extend = Callable[[int], "Simulation"]


class DecisionKind(StrEnum):
    """What the decision says to do."""

    SIGN_NOW = "sign_now"
    WAIT_THEN_SIGN = "wait_then_sign"
    PAY_AS_YOU_GO = "pay_as_you_go"


@dataclass(frozen=True)
class BudgetYear(Serializable):
    """One contract year's expected cash cost under the decision, with its P10-P90, beside
    pay as you go and today's path at today's effective rate."""

    year: int
    expected_cost: float
    cost_p10: float
    cost_p90: float
    payg_expected_cost: float
    today_rate_cost: float


@dataclass(frozen=True)
class Decision:
    """The planner's one answer.

    Money is over the contract term on the plan's paths when signing now, and over the
    common window of :attr:`timing` (``window_months``) when waiting; ``result`` is the
    commitment signed now evaluated over the term (None for pay as you go or waiting).

    Attributes
    ----------
    per_year : ndarray of shape (years,)
        The commitment per contract year (zeros: pay as you go). When waiting, the median
        over the paths of what is signed then.
    """

    kind: DecisionKind
    offer: str | None
    terms: Contract | None
    result: CommitmentResult | None
    per_year: FloatArray
    sign_after_months: int
    expected_cost: float
    saving_vs_payg: float
    saving_vs_today: float
    shortfall_probability: float
    extra_cost_p90: float
    cvar90_extra_cost: float
    reason: str
    window_months: int | None
    timing: WhenToSign | None
    bridge: Bridge
    budget: list[BudgetYear] = field(default_factory=list)
    current_discount: float = 0.0

    @property
    def today_rate(self) -> float:
        """Today's path at today's effective rate, expected over the bridge's months: the
        line the saving vs today is measured from."""
        return (1.0 - self.current_discount) * self.bridge.today_list

    @property
    def stranded_savings(self) -> float:
        """Stranded savings of the commitment signed now (0 otherwise)."""
        return 0.0 if self.result is None else self.result.stranded_savings

    @property
    def signs(self) -> bool:
        """True when the decision signs a commitment (now or later)."""
        return self.kind != DecisionKind.PAY_AS_YOU_GO

    @property
    def annual_commit(self) -> float:
        """The first year's commitment (0 for pay as you go)."""
        return float(self.per_year[0]) if self.per_year.size else 0.0

    @property
    def is_ramp(self) -> bool:
        return bool(self.per_year.size and np.ptp(self.per_year) > 0)

    @property
    def discount(self) -> FloatArray:
        """The discount each year's commitment earns under the offer: shape (years,)."""
        if self.terms is None:
            return np.zeros_like(self.per_year)
        return discount_for(self.terms, self.per_year)

    @property
    def edges(self) -> list[float]:
        """The offer's tier thresholds (amounts are never rounded up across one)."""
        return [] if self.terms is None else tier_edges(self.terms)

    def to_dict(self) -> dict:
        """The decision in ``plan --json``: the fields a buyer signs on (its timing, bridge
        and budget are the plan's own keys)."""
        return {"offer": self.offer, "per_year": self.per_year.tolist(),
                "sign_after_months": self.sign_after_months,
                "expected_cost": self.expected_cost, "saving_vs_payg": self.saving_vs_payg,
                "saving_vs_today": self.saving_vs_today,
                "shortfall_probability": self.shortfall_probability,
                "extra_cost_p90": self.extra_cost_p90,
                "cvar90_extra_cost": self.cvar90_extra_cost, "reason": self.reason}


# --------------------------------------------------------------------------- helpers
def offer_words(offer: str | None) -> str:
    """How a sentence names an offer: the scenario's own contract is "the contract's terms"."""
    if offer is None:
        return "no offer"
    return "the contract's terms" if offer == SCENARIO_OFFER else offer


def landed_month(scenario: Scenario) -> int | None:
    """The month by which every planned move is fully in place (before any slip), or None
    when nothing moves."""
    lands = [w.lands_month + max(w.ramp_months, 1) - 1 for w in scenario.workloads
             if w.optimized is not None and w.target != w.current]
    return max(lands) if lands else None


def months_between(start: str, end: str) -> int:
    """Months from ``start`` to ``end`` (both ``YYYY-MM``): 0 for the same month."""
    return (int(end[:4]) - int(start[:4])) * 12 + int(end[5:7]) - int(start[5:7])


@dataclass(frozen=True)
class Option:
    """An offer's commitment that could be signed now."""

    offer: str
    terms: Contract
    result: CommitmentResult

    @property
    def saving_per_year(self) -> float:
        return (self.result.bridge.payg - self.result.expected_cost) / self.terms.years


def options(scenario: Scenario, rec: Recommendation, position: Position | None
            ) -> list[Option]:
    """Every commitment that could be signed now and beats pay as you go in expectation
    within every bound of the appetite: each offer's commitment (its best ramp when the
    buyer chooses and the ramp is cheaper within the appetite), and the recommended one
    under the scenario contract's terms (also when the contract names a commitment)."""
    appetite = rec.appetite
    out = [Option(SCENARIO_OFFER, scenario.contract, rec.recommended)]
    if rec.ramp_advised:
        out.append(Option(SCENARIO_OFFER, scenario.contract, rec.ramp))
    if position is not None:
        for o in position.offers:
            out.append(Option(o.name, o.terms, o.result))
            ramp = o.best_ramp
            if not o.fixed and ramp is not None and ramp.is_ramp \
                    and ramp.expected_cost < o.result.expected_cost - CENT:
                out.append(Option(o.name, o.terms, ramp))
    # A ramp with a $0 year is signing later, which when to sign prices: not an option here.
    return [o for o in out
            if o.result.total_commit > 0 and bool(np.all(o.result.per_year > 0))
            and o.result.earns_discount
            and o.result.saving_vs_payg > CENT
            and o.result.within_bounds(o.terms, appetite)]


def _budget_now(terms: Contract, usage: YearlyUsage, per_year: FloatArray,
                current_discount: float) -> list[BudgetYear]:
    cost = evaluate(terms, usage.optimized, per_year, usage.price_level).cost  # (P, Y)
    return _budget(cost, usage.optimized, usage.current, current_discount)


def _budget(cost: FloatArray, optimized: FloatArray, current: FloatArray,
            current_discount: float) -> list[BudgetYear]:
    """Budget rows from per-path yearly costs and usage, each of shape (n_paths, years)."""
    p10, p90 = np.quantile(cost, [0.1, 0.9], axis=0)
    mean = cost.mean(axis=0)
    payg = optimized.mean(axis=0)
    today = (1.0 - current_discount) * current.mean(axis=0)
    return [BudgetYear(y + 1, float(mean[y]), float(p10[y]), float(p90[y]), float(payg[y]),
                       float(today[y])) for y in range(cost.shape[1])]


def _timing(scenario: Scenario, terms: Contract, offer: str, sign_now: FloatArray,
            appetite: float, simulation: Simulation, extend: Extend | None,
            prior: Simulation | None = None) -> WhenToSign:
    """Signing now against waiting, on one set of paths covering the common window."""
    years = terms.years
    wanted = delays(terms, landed_month(scenario))
    notes: list[str] = []
    longest = limits.MAX_HORIZON_MONTHS
    fits = [k for k in wanted if k + 12 * years <= longest]
    for k in wanted:
        if k not in fits:
            notes.append(f"signing after {k} months needs {k + 12 * years} months of "
                         f"simulated usage; the longest horizon is {longest}: not evaluated")
    window = max(fits) + 12 * years
    sim = simulation
    if sim.optimized.shape[1] < window and prior is not None \
            and prior.optimized.shape[1] >= window:
        sim = prior
        notes.append(f"evaluated on {sim.n_paths:,} paths simulated over "
                     f"{sim.optimized.shape[1]} months (the horizon extended from "
                     f"{scenario.horizon_months})")
    elif sim.optimized.shape[1] < window:
        if extend is None:
            fits = [k for k in fits if k + 12 * years <= sim.optimized.shape[1]]
            notes.append(f"the horizon ({sim.optimized.shape[1]} months) covers delays up to "
                         f"{max(fits)} months only")
        else:
            sim = extend(window)
            notes.append(f"evaluated on {sim.n_paths:,} paths simulated over {window} months "
                         f"(the horizon extended from {scenario.horizon_months})")
    lapse = None
    if terms.sign_by is not None:
        lapse = months_between(scenario.start, terms.sign_by)
        if lapse < max(fits):
            notes.append(f"the offer lapses after {terms.sign_by}: signing later is priced as "
                         "pay as you go")
    level = getattr(sim, "price_level", None)
    when = when_to_sign(terms, sim.optimized, sim.current, sign_now, appetite, fits,
                        lapse_after=lapse, price_level=level, offer=offer, notes=notes)
    # The usage shift: the same delays on the expected path, where nothing is learnt.
    mean = when_to_sign(terms, sim.optimized.mean(axis=0)[None, :],
                        sim.current.mean(axis=0)[None, :], None, appetite, fits,
                        lapse_after=lapse,
                        price_level=None if level is None else level.mean(axis=0)[None, :])
    from dataclasses import replace

    return replace(when.with_shift(mean), simulation=sim)


def _reason_now(option: Option, timing: WhenToSign | None, appetite: float) -> str:
    r = option.result
    name = offer_words(option.offer)
    words = (f"{name[:1].upper() + name[1:]}: the commitment that saves most against pay as "
             f"you go ({usd(r.saving_vs_payg)} over the term) within your appetite "
             f"({pct(r.shortfall_probability)} chance that some year falls short, at most "
             f"{pct(appetite)})")
    if timing is not None and len(timing.rows) > 1:
        later = max(timing.rows[1:], key=timing.information_value)
        gain = timing.now.expected_cost - later.expected_cost
        learnt = timing.information_value(later)
        words += (f". Sign now: waiting {later.sign_after_months} months "
                  f"{'gains' if gain >= 0 else 'loses'} {usd(abs(gain))} over the "
                  f"{timing.window_months}-month window, and what is learnt by then is worth "
                  f"{usd(learnt)} beyond the usage shift, short of the "
                  f"{usd(timing.materiality)} that would pay for waiting's risks")
    return words + "."


def decide(scenario: Scenario, usage: YearlyUsage, rec: Recommendation,
           position: Position | None, simulation: Simulation,
           extend: Extend | None = None, timing: bool = True,
           prior: Simulation | None = None) -> Decision:
    """The one decision for a plan (docs/model.md, "One decision").

    Parameters
    ----------
    usage : YearlyUsage
        The plan's yearly usage (the scenario contract's term).
    simulation : Simulation
        The plan's simulation (monthly usage for when to sign).
    extend : callable, optional
        ``extend(months)`` simulates the scenario over ``months`` with the same seed and
        paths, when the horizon is shorter than the window of when to sign.
    timing : bool
        Evaluate when to sign (else signing now is assumed).
    prior : Simulation, optional
        A longer simulation of the same scenario, paths and seed already made (a previous
        decision's), reused when it covers the window.
    """
    cd = scenario.current_discount or 0.0
    appetite = rec.appetite
    choices = options(scenario, rec, position)
    best = max(choices, key=lambda o: o.saving_per_year, default=None)
    if best is not None:
        terms, offer, now = best.terms, best.offer, best.result.per_year
    else:
        top = position.offers[0] if position is not None and position.offers else None
        terms = top.terms if top is not None else scenario.contract
        offer = top.name if top is not None else SCENARIO_OFFER
        now = np.zeros(terms.years)
    when = None
    if timing:
        try:
            when = _timing(scenario, terms, offer, now, appetite, simulation, extend, prior)
        except PlannerError:
            when = None  # the extended simulation does not fit in memory: sign-now only
    chosen: SigningRow | None = when.best() if when is not None else None
    if chosen is not None and chosen.sign_after_months > 0 and not chosen.lapsed \
            and chosen.saving_vs_payg > CENT:
        return _waiting(scenario, terms, offer, when, chosen, cd, appetite)
    if best is None:
        return _pay_as_you_go(scenario, usage, when, cd, appetite, position is not None)
    r = best.result
    today = (1.0 - cd) * r.bridge.today_list
    return Decision(DecisionKind.SIGN_NOW, best.offer, best.terms, r, r.per_year.copy(), 0,
                    r.expected_cost, r.saving_vs_payg, today - r.expected_cost,
                    r.shortfall_probability, r.extra_cost_p90, r.cvar90_extra_cost,
                    _reason_now(best, when, appetite), None, when, r.bridge,
                    _budget_now(best.terms, _term_usage(usage, best.terms, simulation),
                                r.per_year, cd), cd)


def _term_usage(usage: YearlyUsage, terms: Contract, simulation: Simulation) -> YearlyUsage:
    if terms.years == usage.years:
        return usage
    return YearlyUsage.from_simulation(simulation, terms.years)


def _pay_as_you_go(scenario: Scenario, usage: YearlyUsage, when: WhenToSign | None,
                   cd: float, appetite: float, offers: bool) -> Decision:
    payg = float(usage.optimized.sum(axis=1).mean())
    today = (1.0 - cd) * float(usage.current.sum(axis=1).mean())
    which = "no offer" if offers and scenario.offers else "no commitment under these terms"
    reason = (f"Pay as you go: {which} beats paying as you go in expectation within your "
              f"appetite (a shortfall chance of at most {pct(appetite)}"
              + _dollar_bounds(scenario.contract) + ")")
    if when is not None and len(when.rows) > 1:
        later = min(when.rows[1:], key=lambda x: x.expected_cost)
        reason += (f"; nor does signing after {later.sign_after_months} months "
                   f"({usd(later.saving_vs_payg)} against pay as you go over the "
                   f"{when.window_months}-month window, not a material gain)")
    reason += "."
    budget = _budget(usage.optimized, usage.optimized, usage.current, cd)
    listed = float(usage.current.sum(axis=1).mean())
    bridge = Bridge(listed, listed - payg, payg, 0.0, 0.0, payg)
    return Decision(DecisionKind.PAY_AS_YOU_GO, None, None, None, np.zeros(usage.years), 0,
                    payg, 0.0, today - payg, 0.0, 0.0, 0.0, reason, None, when, bridge,
                    budget, cd)


def round_down(amounts: FloatArray, digits: int = 3) -> FloatArray:
    """Amounts rounded down to ``digits`` significant digits: what is signed later is an
    estimate, and rounding down never crosses a round tier edge upward."""
    a = np.asarray(amounts, dtype=float)
    out = np.zeros_like(a)
    pos = a > 0
    scale = 10.0 ** (np.floor(np.log10(a[pos])) - (digits - 1))
    out[pos] = np.floor(a[pos] / scale + 1e-9) * scale
    return out


def _dollar_bounds(contract: Contract) -> str:
    ra = contract.risk_appetite
    out = ""
    if ra.max_extra_cost_p90 is not None:
        out += f", an extra cost at P90 of at most {usd(ra.max_extra_cost_p90)}"
    if ra.max_expected_unused is not None:
        out += f", an expected unused commitment of at most {usd(ra.max_expected_unused)}"
    return out


def _waiting(scenario: Scenario, terms: Contract, offer: str, when: WhenToSign,
             row: SigningRow, cd: float, appetite: float) -> Decision:
    now = when.now
    gain = now.expected_cost - row.expected_cost
    p90, cvar = when.extra_tail(row)
    today = (1.0 - cd) * float(when.today_costs.mean())
    i = when.rows.index(row)
    shift = max(when.usage_shift[i], 0.0) if when.usage_shift else 0.0
    reason = (f"Wait {row.sign_after_months} months, then sign {offer_words(offer)} sized on "
              "the usage "
              f"observed by then: over the {when.window_months}-month window it costs "
              f"{usd(gain)} less in expectation than signing now, {usd(gain - shift)} of it "
              f"from what is learnt by then (the rest, {usd(shift)}, is the usage shift: the "
              f"months at list move to the window's start), with a "
              f"{pct(row.shortfall_probability)} chance that some year falls short")
    risks = ["the terms may not be on the table then"]
    if terms.sign_by is not None:
        risks = [f"the offer lapses after {terms.sign_by}"]
    if scenario.uncertainty.price_cuts.annual_probability > 0:
        risks.append("a list-price cut may be reversed")
    reason += ". What waiting risks: " + "; ".join(risks) + "."
    k = row.sign_after_months
    per_year = round_down(row.per_year)
    listed, payg = float(when.today_costs.mean()), float(when.payg_costs.mean())
    # Over the window: discount earned - unused = pay as you go - cost (the bridge's identity).
    bridge = Bridge(listed, listed - payg, payg,
                    payg - row.expected_cost + row.expected_unused, row.expected_unused,
                    row.expected_cost)
    return Decision(DecisionKind.WAIT_THEN_SIGN, offer, terms, None, per_year, k,
                    row.expected_cost, row.saving_vs_payg, today - row.expected_cost,
                    row.shortfall_probability, p90, cvar, reason, when.window_months, when,
                    bridge, _budget(row.year_costs, row.year_optimized, row.year_current, cd), cd)


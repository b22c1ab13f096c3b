"""Sensitivity: which assumption moves the recommended commitment most (a tornado).

Each assumption is set to a low and a high value with everything else at the scenario's
values (the variations of :mod:`forecast.variations`), and the plan is re-evaluated on the
same paths (:func:`forecast.simulation.simulate_variants`): the draws are made once and
every variant reuses them (common random numbers), so a bar is the assumption's effect, not
noise, and the 13 evaluations cost far less than 13 simulations. A variant that needs an
effect the base did not draw (slip where the base has none, say) draws it from that effect's
own stream, leaving every other draw as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from forecast.contract import yearly
from forecast.pricebook import PriceBook
from forecast.recommendation import recommend
from forecast.scenario import Scenario
from forecast.simulation import Simulation, simulate_variants
from forecast.variations import (
    Variation,
    with_growth_shift,
    with_hit_rate_shift,
    with_price_cut_probability,
    with_realization_mean,
    with_slip_mean,
    with_volatility_scaled,
    with_walk_back_probability,
)

#: Paths per sensitivity run: common random numbers keep low-vs-high differences stable at
#: this size (the 10% quantile it moves has a sampling error near 0.5% of the commitment).
SENSITIVITY_PATHS = 1000
#: How much more likely a list-price cut is in the price-cut row's high case.
PRICE_CUT_STEP = 0.3


@dataclass(frozen=True)
class SensitivityRow:
    """The risk-bounded annual commitment (the largest within the buyer's appetite) with one
    assumption at its low and high value, and the recommended one beside it.

    The tornado is drawn on the risk-bounded amount because it moves continuously with the
    usage distribution; the recommended amount often sits on a tier edge and moves in steps.
    """

    assumption: str
    low_label: str
    high_label: str
    low: float
    high: float
    base: float
    recommended_low: float
    recommended_high: float
    recommended_base: float

    @property
    def swing(self) -> float:
        """The risk-bounded commitment's swing."""
        return abs(self.high - self.low)

    @property
    def recommended_swing(self) -> float:
        """The recommended commitment's swing: what the tornado draws (the headline's
        figure; it moves in steps at tier edges)."""
        return abs(self.recommended_high - self.recommended_low)

    def to_dict(self) -> dict:
        return {"assumption": self.assumption, "low_label": self.low_label,
                "high_label": self.high_label, "low": self.low, "high": self.high,
                "base": self.base, "swing": self.swing,
                "measure": "risk-bounded annual commitment",
                "recommended": {"low": self.recommended_low, "high": self.recommended_high,
                                "base": self.recommended_base}}


@dataclass(frozen=True)
class Assumption:
    """One bar of the tornado: an assumption and its low and high variations."""

    name: str
    low_label: str
    low: Variation
    high_label: str
    high: Variation


def assumptions(scenario: Scenario, price_cuts: bool | None = None) -> list[Assumption]:
    """The tornado's assumptions at their low and high values.

    Parameters
    ----------
    price_cuts : bool, optional
        Add the list-price-cut row (no cuts vs the annual probability raised by 0.3).
        Default: when the scenario has price cuts.
    """
    unc = scenario.uncertainty
    mean = unc.lever_realization.mean
    slip = unc.slip_months.mean
    wb = unc.walk_back_probability
    low_mean, high_mean = max(0.05, mean - 0.15), min(1.0, mean + 0.15)
    rows = [
        Assumption("volume growth", "-1 pt/month", with_growth_shift(-0.01),
                   "+1 pt/month", with_growth_shift(0.01)),
        Assumption("volume volatility", "x0.5", with_volatility_scaled(0.5),
                   "x2", with_volatility_scaled(2.0)),
        Assumption("lever realization", f"mean {low_mean:.2f}", with_realization_mean(low_mean),
                   f"mean {high_mean:.2f}", with_realization_mean(high_mean)),
        Assumption("landing slip", "none", with_slip_mean(0.0),
                   f"mean {slip + 2:g} months", with_slip_mean(slip + 2.0)),
        Assumption("walk-back probability", "0", with_walk_back_probability(0.0),
                   f"{min(1.0, wb + 0.25):.2f}", with_walk_back_probability(min(1.0, wb + 0.25))),
        Assumption("cache hit rate", "-15 pts", with_hit_rate_shift(-0.15),
                   "+10 pts", with_hit_rate_shift(0.10)),
    ]
    cut = unc.price_cuts.annual_probability
    if price_cuts or (price_cuts is None and cut > 0):
        high = min(1.0, cut + PRICE_CUT_STEP)
        rows.append(Assumption("list-price cuts", "none", with_price_cut_probability(0.0),
                               f"{high:.0%} a year", with_price_cut_probability(high)))
    return rows


def _commitments(sim: Simulation, scenario: Scenario) -> tuple[float, float]:
    """(risk-bounded, recommended) annual commitment on a simulation."""
    c = scenario.contract
    rec = recommend(c, yearly(sim.optimized, c.years), yearly(sim.current, c.years), n_grid=2)
    return rec.risk_bounded.annual_commit, rec.recommended.annual_commit


def tornado(scenario: Scenario, book: PriceBook, paths: int = SENSITIVITY_PATHS,
            seed: int | None = None,
            progress: Callable[[int, int], None] | None = None,
            anchor: float | None = None,
            price_cuts: bool | None = None) -> list[SensitivityRow]:
    """Risk-bounded and recommended annual commitment at each assumption's low and high.

    Rows are sorted by swing, largest first (the top bar of the tornado). With ``anchor``
    (the headline risk-bounded commitment, from more paths), the risk-bounded bars are moved
    by ``anchor - base`` so the tornado is centred on the figure the buyer sees; each bar's
    length, the effect measured with common random numbers, is unchanged. ``price_cuts`` as
    in :func:`assumptions`.
    """
    seed = scenario.simulation.seed if seed is None else seed
    items = assumptions(scenario, price_cuts)
    variants = [scenario] + [vary(scenario) for item in items for vary in (item.low, item.high)]
    sims = iter(simulate_variants(variants, book, paths, seed))
    base = _commitments(next(sims), scenario)
    shift = 0.0 if anchor is None else anchor - base[0]
    rows = []
    for i, item in enumerate(items):
        low, high = _commitments(next(sims), scenario), _commitments(next(sims), scenario)
        rows.append(SensitivityRow(item.name, item.low_label, item.high_label, low[0] + shift,
                                   high[0] + shift, base[0] + shift, low[1], high[1], base[1]))
        if progress:
            progress(i + 1, len(items))
    # Ordered by what the tornado draws, the recommended commitment's swing; the
    # risk-bounded one, which moves continuously, breaks ties.
    rows.sort(key=lambda r: (r.recommended_swing, r.swing), reverse=True)
    return rows

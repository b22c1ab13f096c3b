"""Variations of a scenario: typed functions ``Scenario -> Scenario``.

The tornado's low and high cases, the app's standard variants and the negotiation's asks
all change a scenario the same way: through these functions, never by editing its data.
Each returns a new, validated scenario and leaves its argument as it was. A parameterized
variation is made by a factory (``with_slip_mean(3.5)``) so that every variation has the
same type, :data:`Variation`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from forecast import limits
from forecast.scenario import OptimizedLeverSet, Scenario, Workload
from forecast.types import CacheTTL, Waiting
from forecast.waiting import batch_eligible_share

Variation = Callable[[Scenario], Scenario]

#: Lowest and highest monthly growth a growth shift can reach (the scenario's bounds).
MIN_GROWTH, MAX_GROWTH = limits.GROWTH_RANGE
#: Largest realization sd kept, as a share of the Beta's limit sqrt(m (1 - m)).
_SD_SHARE_OF_LIMIT = 0.9


def _valid(scenario: Scenario) -> Scenario:
    """The scenario through the schema again, so a variation can never bypass validation."""
    return Scenario.model_validate(scenario.model_dump())


def _with(model: Any, **changes: Any) -> Any:
    return model.model_copy(update=changes)


def _each_workload(scenario: Scenario, change: Callable[[Workload], Workload]) -> Scenario:
    return _valid(_with(scenario, workloads=[change(w) for w in scenario.workloads]))


def _with_uncertainty(scenario: Scenario, **changes: Any) -> Scenario:
    return _valid(_with(scenario, uncertainty=_with(scenario.uncertainty, **changes)))


# --------------------------------------------------------------------------- assumptions
def with_growth_shift(delta: float) -> Variation:
    """Every workload's monthly growth moved by ``delta``, within the scenario's bounds
    (-50% to +100% a month)."""
    def vary(scenario: Scenario) -> Scenario:
        return _each_workload(scenario, lambda w: _with(w, growth=_with(
            w.growth, monthly=min(MAX_GROWTH, max(MIN_GROWTH, w.growth.monthly + delta)))))
    return vary


def with_volatility_scaled(factor: float) -> Variation:
    """Every workload's volume volatility and the shared volatility times ``factor`` (at
    most the scenario's bound, 1)."""
    top = limits.MAX_VOLATILITY

    def vary(scenario: Scenario) -> Scenario:
        scaled = _each_workload(scenario, lambda w: _with(w, growth=_with(
            w.growth, volatility=min(top, w.growth.volatility * factor))))
        return _with_uncertainty(scaled, shared_growth_volatility=min(
            top, factor * scenario.uncertainty.shared_growth_volatility))
    return vary


def with_realization_mean(mean: float) -> Variation:
    """Levers realized at ``mean`` of the plan; the sd is kept where a Beta with that mean
    allows it, else cut to 90% of its limit ``sqrt(m (1 - m))``."""
    def vary(scenario: Scenario) -> Scenario:
        real = scenario.uncertainty.lever_realization
        limit = math.sqrt(mean * (1.0 - mean))
        sd = min(real.sd, _SD_SHARE_OF_LIMIT * limit)
        return _with_uncertainty(scenario, lever_realization=_with(real, mean=mean, sd=sd))
    return vary


def with_slip_mean(mean: float) -> Variation:
    """Migrations land late by a Poisson number of months with this mean (at most the
    scenario's bound, 24)."""
    def vary(scenario: Scenario) -> Scenario:
        return _with_uncertainty(scenario, slip_months=_with(
            scenario.uncertainty.slip_months, mean=min(limits.MAX_SLIP_MONTHS, mean)))
    return vary


def with_walk_back_probability(probability: float) -> Variation:
    """Each gray workload's batch move is walked back with this probability."""
    def vary(scenario: Scenario) -> Scenario:
        return _with_uncertainty(scenario, walk_back_probability=probability)
    return vary


def with_price_cut_probability(probability: float) -> Variation:
    """List-price cuts with this annual probability (sizes as the scenario states them)."""
    def vary(scenario: Scenario) -> Scenario:
        cuts = scenario.uncertainty.price_cuts
        return _with_uncertainty(scenario,
                                 price_cuts=_with(cuts, annual_probability=probability))
    return vary


def with_hit_rate_shift(delta: float) -> Variation:
    """The optimized cache hit rates (real time and batch) moved by ``delta``, within
    [0, 1], on every workload that caches in its plan."""
    def one(w: Workload) -> Workload:
        opt = w.optimized
        if opt is None or w.target.cache_ttl == CacheTTL.NONE:
            return w
        target = w.target
        hit = min(1.0, max(0.0, target.cache_hit_rate + delta))
        batch_hit = opt.batch_cache_hit_rate
        if batch_hit is not None:
            batch_hit = min(1.0, max(0.0, batch_hit + delta))
        return _with(w, optimized=_with(opt, cache_hit_rate=hit,
                                        batch_cache_hit_rate=batch_hit))

    def vary(scenario: Scenario) -> Scenario:
        return _each_workload(scenario, one)
    return vary


# --------------------------------------------------------------------------- standard variants
def conservative(scenario: Scenario) -> Scenario:
    """Levers realized 15 points less (the tornado's low case) and landing 2 months later."""
    unc = scenario.uncertainty
    lower = with_realization_mean(max(0.05, unc.lever_realization.mean - 0.15))(scenario)
    return with_slip_mean(unc.slip_months.mean + 2.0)(lower)


def aggressive_batch(scenario: Scenario) -> Scenario:
    """Every workload batches all of its batch-eligible share (the waiting test's cap)."""
    def one(w: Workload) -> Workload:
        share = round(batch_eligible_share(w), 9)
        opt = w.optimized if w.optimized is not None else OptimizedLeverSet()
        return _with(w, optimized=_with(opt, batch_share=share))
    return _each_workload(scenario, one)


def walked_back(scenario: Scenario) -> Scenario:
    """The gray workloads' batch moves are walked back: they stay on the real-time path."""
    def one(w: Workload) -> Workload:
        if w.waiting != Waiting.GRAY or w.optimized is None:
            return w
        return _with(w, optimized=_with(w.optimized, batch_share=w.current.batch_share))
    return _each_workload(scenario, one)


@dataclass(frozen=True)
class Variant:
    """A named variation with the one line that says why a buyer would look at it."""

    name: str
    vary: Variation
    why: str


#: The app's three standard variants, by name.
STANDARD_VARIANTS: dict[str, Variant] = {v.name: v for v in (
    Variant("conservative", conservative, "levers realized 15 pts less, landing 2 months later"),
    Variant("aggressive batch", aggressive_batch, "every workload batches all it can"),
    Variant("walk-back", walked_back, "gray workloads stay real time"),
)}

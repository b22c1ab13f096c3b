"""Portfolio levers: lever moves for every workload at once, each from that workload's own
plan (batch, cache, routing, landing and ramp), applied to scenario data, and the tracks the
sidebar's sliders run on (where each starts: the plan; its notches; the next notch ahead).
No Streamlit; they compute no cost, usage or commitment.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from forecast import Scenario, Workload
from forecast.types import CacheTTL, FloatArray
from forecast.waiting import batch_eligible_share
from ui.edits import Data

# --------------------------------------------------------------------------- portfolio levers
#: One notch of the batch and cache portfolio levers, in points of share.
SHARE_STEP = 0.05
#: How far the landing and ramp levers reach past the plan, in months.
MONTHS_REACH = 12


@dataclass(frozen=True)
class PortfolioLevers:
    """Lever moves for every workload at once, each from that workload's own plan; zero (and
    ``None``) keeps the plan.

    Attributes
    ----------
    batch_shift : float
        Points added to each workload's batched fraction of its batch-eligible share,
        clipped to 0-1 of it: the waiting test caps it, so +1 batches everything that can
        wait and -1 batches nothing.
    cache_shift : float
        Points added to the cache hit rate of every workload with a cacheable prefix, clipped
        to 0-1; a workload at 0 stops caching, one that did not cache starts (5-minute TTL).
    cache_ttl : str, optional
        ``5m`` or ``1h`` for every workload that caches.
    route_share, route_from, route_to :
        Move this share of each workload's ``route_from`` traffic to ``route_to``.
    lands_shift, ramp_shift : int
        Months added to each optimized workload's landing month (within the horizon) and to
        its ramp (at least 0).
    """

    batch_shift: float = 0.0
    cache_shift: float = 0.0
    cache_ttl: str | None = None
    route_share: float = 0.0
    route_from: str | None = None
    route_to: str | None = None
    lands_shift: int = 0
    ramp_shift: int = 0

    @property
    def routes(self) -> bool:
        return bool(self.route_share > 0 and self.route_from and self.route_to
                    and self.route_from != self.route_to)

    def describe(self) -> list[str]:
        """Short phrases for the levers moved, e.g. ``batch +10 pts of eligible``."""
        out = []
        if self.batch_shift:
            out.append(f"batch {self.batch_shift * 100:+.0f} pts of eligible")
        if self.cache_shift:
            out.append(f"cache hit rate {self.cache_shift * 100:+.0f} pts")
        if self.cache_ttl is not None:
            out.append(f"cache TTL {self.cache_ttl}")
        if self.routes:
            out.append(f"route {self.route_share:.0%} of {self.route_from} to {self.route_to}")
        if self.lands_shift:
            out.append(f"land {_months(abs(self.lands_shift))} "
                       f"{'later' if self.lands_shift > 0 else 'earlier'}")
        if self.ramp_shift:
            out.append(f"ramp {_months(abs(self.ramp_shift))} "
                       f"{'longer' if self.ramp_shift > 0 else 'shorter'}")
        return out


def _months(n: int) -> str:
    return f"{n} month{'s' if n != 1 else ''}"


def apply_portfolio_levers(data: Data, levers: PortfolioLevers) -> Data:
    """Move the levers on every workload's optimized target; ``data`` must be valid."""
    if not levers.describe():
        return data
    out = copy.deepcopy(data)
    scenario = Scenario.model_validate(data)
    for w_data, w in zip(out["workloads"], scenario.workloads, strict=True):
        _portfolio_one(w_data, w, levers, scenario.horizon_months)
    return out


def _batched_fraction(w: Workload) -> float:
    """The planned batch share as a fraction of the batch-eligible share, at most 1 (a file
    may plan past the waiting test; a lever moved from it starts from the cap); 0 when
    nothing may wait."""
    eligible = batch_eligible_share(w)
    return min(w.target.batch_share / eligible, 1.0) if eligible > 0 else 0.0


def _portfolio_one(w_data: Data, w: Workload, levers: PortfolioLevers, horizon: int) -> None:
    opt: Data = w_data.setdefault("optimized", {})
    if levers.batch_shift:
        fraction = min(max(_batched_fraction(w) + levers.batch_shift, 0.0), 1.0)
        opt["batch_share"] = round(fraction * batch_eligible_share(w), 9)
    if levers.cache_shift and w.token_counts.cacheable_prefix > 0:
        rate = round(min(max(w.target.cache_hit_rate + levers.cache_shift, 0.0), 1.0), 9)
        if rate <= 0:
            opt.update(cache_hit_rate=0.0, batch_cache_hit_rate=0.0,
                       cache_ttl=str(CacheTTL.NONE))
        else:
            opt["cache_hit_rate"] = rate
            if w.target.cache_ttl == CacheTTL.NONE:
                opt["cache_ttl"] = str(CacheTTL.FIVE_MINUTES)
            if w.target.batch_cache_hit_rate is not None:
                opt["batch_cache_hit_rate"] = min(rate, w.target.batch_cache_hit_rate)
    if levers.cache_ttl is not None:
        rate = opt.get("cache_hit_rate", w.target.cache_hit_rate)
        if rate and rate > 0:
            opt["cache_ttl"] = levers.cache_ttl
    if levers.routes:
        models = dict(opt.get("models") or w.current.models)
        if levers.route_from in models:
            moved = models[levers.route_from] * levers.route_share
            models[levers.route_from] -= moved
            if models[levers.route_from] <= 1e-12:
                del models[levers.route_from]
            models[levers.route_to] = models.get(levers.route_to, 0.0) + moved
            opt["models"] = {m: round(s, 12) for m, s in models.items()}
    if w.optimized is not None:
        if levers.lands_shift:
            opt["lands_month"] = min(max(w.lands_month + levers.lands_shift, 1), horizon)
        if levers.ramp_shift:
            opt["ramp_months"] = max(w.ramp_months + levers.ramp_shift, 0)
    if not opt:
        w_data.pop("optimized")


# --------------------------------------------------------------------------- lever tracks
@dataclass(frozen=True)
class LeverTrack:
    """The notches of one portfolio lever and the portfolio's value at each.

    Attributes
    ----------
    shifts : tuple
        The lever's settings (moves from the plan), in order; 0 (the plan) is among them.
    values : tuple
        What each setting gives the portfolio (a share, or a month range as text), for the
        slider's labels.
    planned : int
        Index of the plan (shift 0) in ``shifts``.
    """

    shifts: tuple[Any, ...]
    values: tuple[Any, ...]
    planned: int

    def value_of(self, shift: Any) -> Any:
        return self.values[self.shifts.index(shift)]


def _share_track(fractions: FloatArray, weights: FloatArray, scale: FloatArray,
                 step: float = SHARE_STEP) -> LeverTrack | None:
    """Shifts of a share lever from the lowest to the highest that changes something, and
    the weighted portfolio share at each: sum(w s clip(f + shift, 0, 1)) / sum(w s)."""
    total = float((weights * scale).sum())
    if fractions.size == 0 or total <= 0:
        return None
    low = -math.ceil(float(fractions.max()) / step - 1e-9)
    high = math.ceil((1.0 - float(fractions.min())) / step - 1e-9)
    shifts = np.arange(low, max(high, 0) + 1) * step  # (n_shifts,)
    moved = np.clip(fractions[None, :] + shifts[:, None], 0.0, 1.0)  # (n_shifts, n_workloads)
    values = (moved * (weights * scale)[None, :]).sum(axis=1) / total
    keys = tuple(round(float(s), 2) for s in shifts)
    return LeverTrack(keys, tuple(float(v) for v in values), keys.index(0.0))


def batch_track(scenario: Scenario, weights: FloatArray) -> LeverTrack | None:
    """The batch lever: the share of the batch-eligible spend that is batched, weighted by
    each workload's spend (``weights``, shape (n_workloads,)); ``None`` when nothing can
    wait for batch."""
    eligible = np.array([batch_eligible_share(w) for w in scenario.workloads])
    fractions = np.array([_batched_fraction(w) for w in scenario.workloads])
    keep = eligible > 0
    return _share_track(fractions[keep], np.asarray(weights)[keep], eligible[keep])


def cache_track(scenario: Scenario, weights: FloatArray) -> LeverTrack | None:
    """The cache lever: the spend-weighted hit rate of the workloads with a cacheable
    prefix; ``None`` when none has one."""
    keep = np.array([w.token_counts.cacheable_prefix > 0 for w in scenario.workloads])
    rates = np.array([w.target.cache_hit_rate for w in scenario.workloads])
    return _share_track(rates[keep], np.asarray(weights)[keep], np.ones(int(keep.sum())))


def _span(values: list[int], one: str, many: str) -> str:
    low, high = min(values), max(values)
    return one.format(low) if low == high else many.format(f"{low}–{high}")


def months_track(scenario: Scenario, ramp: bool) -> LeverTrack | None:
    """The landing (or ramp) lever: month shifts from the plan, labelled with the landing
    months (or ramp lengths) they give the optimized workloads."""
    planned = [w.ramp_months if ramp else w.lands_month
               for w in scenario.workloads if w.optimized is not None]
    if not planned:
        return None
    low_end, high_end = (0, None) if ramp else (1, scenario.horizon_months)
    low = low_end - max(planned)
    high = MONTHS_REACH if high_end is None else min(MONTHS_REACH, high_end - min(planned))
    shifts = tuple(range(low, max(high, 0) + 1))
    values = []
    for s in shifts:
        moved = [max(p + s, low_end) if high_end is None else min(max(p + s, low_end), high_end)
                 for p in planned]
        values.append(_span(moved, "{} months", "{} months") if ramp
                      else _span(moved, "month {}", "months {}"))
    return LeverTrack(shifts, tuple(values), shifts.index(0))


#: The portfolio levers with a track, by the name of their field in PortfolioLevers.
TRACKED = {"batch": "batch_shift", "cache": "cache_shift", "lands": "lands_shift",
           "ramp": "ramp_shift"}


def next_notch(before: PortfolioLevers, after: PortfolioLevers,
               tracks: Mapping[str, LeverTrack | None]) -> PortfolioLevers | None:
    """The likely next setting when one tracked lever moved: one notch further the same way
    (an advisor nudging a lever "a bit more"); ``None`` when anything else changed too, or
    the lever is at the end of its track."""
    moved = [name for name, f in TRACKED.items() if getattr(before, f) != getattr(after, f)]
    if len(moved) != 1:
        return None
    name = moved[0]
    field_name, track = TRACKED[name], tracks.get(name)
    others = {f: getattr(after, f) for f in PortfolioLevers.__dataclass_fields__
              if f != field_name}
    if track is None or others != {f: getattr(before, f) for f in others}:
        return None
    now, was = getattr(after, field_name), getattr(before, field_name)
    if now not in track.shifts:
        return None
    i = track.shifts.index(now) + (1 if now > was else -1)
    if not 0 <= i < len(track.shifts):
        return None
    return PortfolioLevers(**{**others, field_name: track.shifts[i]})

"""Levers observed against the plan: a workload's usage in a month, the plan as written in
that month, each lever's status (on plan / behind / ahead / reverted) and the workload's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast.pricebook import PriceBook
from forecast.scenario import LeverSet, Workload
from forecast.tracking.results import LeverCheck, Status
from forecast.types import CacheTTL, Lever

#: A lever within this of the plan's value (5 points of batch share or hit rate, or a
#: total-variation distance of 5 points between model mixes) is on plan.
LEVER_TOLERANCE = 0.05


# --------------------------------------------------------------------------- observed
@dataclass(frozen=True)
class Observed:
    """A workload's usage in one month: list spend (in force; at the latest prices) and
    levers (``batch_share`` None when no line states a service tier)."""

    list_cost: float
    list_latest: float
    batch_share: float | None
    cache_hit_rate: float
    cache_ttl: CacheTTL
    models: dict[str, float]

    def lever_set(self, fallback_batch: float) -> LeverSet:
        from forecast.usage.levers import rounded_shares, share

        caching = self.cache_ttl != CacheTTL.NONE
        return LeverSet(models=rounded_shares(self.models),
                        batch_share=share(fallback_batch if self.batch_share is None
                                          else self.batch_share),
                        cache_hit_rate=share(self.cache_hit_rate) if caching else 0.0,
                        cache_ttl=self.cache_ttl)


def _observed_levers(lines: pd.DataFrame, month: Any, owner: Any, book: PriceBook
                     ) -> dict[tuple[int, int], Observed]:
    """Levers and spend of every (contract month, workload index) pair the lines carry
    (``month`` and ``owner`` int arrays, shape (n_lines,)), read as ``commitplan import``
    reads today's levers (:func:`forecast.usage.levers.levers_by_group`); in the order the
    pairs first appear."""
    from forecast.usage.levers import levers_by_group

    if lines.empty:
        return {}
    width = int(owner.max()) + 1
    frame = lines.assign(group=month * width + owner)  # one code per (month, workload)
    levers = levers_by_group(frame, book)
    stated = frame["service_tier"].notna().groupby(frame["group"]).any()
    cost = frame.groupby("group")[["list_cost", "list_cost_latest"]].sum()
    out = {}
    for key, lv in levers.items():
        if not lv.model_mix:
            continue
        code = int(key)
        m, i = divmod(code, width)
        out[(m, i)] = Observed(float(cost.at[code, "list_cost"]),
                               float(cost.at[code, "list_cost_latest"]),
                               lv.batch_share if bool(stated.get(code, False)) else None,
                               lv.cache_hit_rate, lv.cache_ttl, dict(lv.model_mix))
    return out


# --------------------------------------------------------------------------- the plan
def _planned_levers(w: Workload, month: int) -> tuple[float, float, dict[str, float], float]:
    """The plan as written in contract month ``month``: batch share, hit rate, mix, and
    the fraction of the move in place."""
    from forecast.timeline import ramp_fraction

    f = float(ramp_fraction(np.float64(month), np.float64(w.lands_month),
                            np.float64(w.ramp_months)))
    cur, tgt = w.current, w.target
    models = {m: (1 - f) * cur.models.get(m, 0.0) + f * tgt.models.get(m, 0.0)
              for m in dict.fromkeys([*cur.models, *tgt.models])}
    if cur.cache_ttl == CacheTTL.NONE and tgt.cache_ttl != CacheTTL.NONE:
        # Switching caching on moves a growing share of the prefix onto the target's
        # settings (docs/model.md, "Cost of one workload-month"): the traffic that caches
        # hits at the target's rate from the first month, which is what usage shows.
        hit_rate = tgt.cache_hit_rate if f > 0 else 0.0
    else:
        hit_rate = (1 - f) * cur.cache_hit_rate + f * tgt.cache_hit_rate
    return (1 - f) * cur.batch_share + f * tgt.batch_share, hit_rate, models, f


def _tv(a: dict[str, float], b: dict[str, float]) -> float:
    """Total-variation distance between two model mixes."""
    return 0.5 * sum(abs(a.get(m, 0.0) - b.get(m, 0.0)) for m in {*a, *b})


def _mix_price(book: PriceBook, w: Workload, models: dict[str, float]) -> float:
    """List cost of one volume unit with this mix and the workload's current other levers."""
    from forecast.cost import request_cost

    lever = w.current.model_copy(update={"models": {m: s for m, s in models.items() if s > 0}})
    return request_cost(book, w.token_counts, lever, long_prompt_share=w.long_prompt_share,
                        us_inference_share=w.us_inference_share)


def _checks(book: PriceBook, w: Workload, month: int, obs: Observed,
            earlier: Sequence[tuple[int, Observed]]) -> tuple[LeverCheck, ...]:
    """Each observable lever against the plan of ``month``; reverted when it is behind now
    and was not behind in an earlier month after its move began."""

    def judge(m: int, o: Observed) -> dict[Lever, tuple[Any, Any, float, Status]]:
        b_plan, h_plan, mix_plan, _ = _planned_levers(w, m)
        out: dict[Lever, tuple[Any, Any, float, Status]] = {}
        if o.batch_share is not None:
            out[Lever.BATCH] = (b_plan, o.batch_share, o.batch_share - b_plan,
                                _scalar_status(o.batch_share - b_plan))
        out[Lever.CACHING] = (h_plan, o.cache_hit_rate, o.cache_hit_rate - h_plan,
                              _scalar_status(o.cache_hit_rate - h_plan))
        distance = _tv(o.models, mix_plan)
        if distance <= LEVER_TOLERANCE + 1e-9:
            status = Status.ON_PLAN
        else:
            dearer = _mix_price(book, w, o.models) > _mix_price(book, w, mix_plan)
            status = Status.BEHIND if dearer else Status.AHEAD
        out[Lever.ROUTING] = (mix_plan, o.models, distance, status)
        return out

    now = judge(month, obs)
    began = {Lever.BATCH: w.current.batch_share != w.target.batch_share,
             Lever.CACHING: w.current.cache_hit_rate != w.target.cache_hit_rate,
             Lever.ROUTING: _tv(w.current.models, w.target.models) > 0}
    checks = []
    for lever, (planned, observed, gap, status) in now.items():
        if status == Status.BEHIND and began[lever]:
            landed = [m for m, o in earlier
                      if _planned_levers(w, m)[3] > 0 and lever in (past := judge(m, o))
                      and past[lever][3] != Status.BEHIND]
            if landed:
                status = Status.REVERTED
        checks.append(LeverCheck(lever, planned, observed, float(gap), status))
    return tuple(checks)


def _scalar_status(gap: float) -> Status:
    """Batch share and hit rate: higher is cheaper (batch halves the price; a hit costs a
    read, a miss a write)."""
    if gap < -LEVER_TOLERANCE - 1e-9:
        return Status.BEHIND
    if gap > LEVER_TOLERANCE + 1e-9:
        return Status.AHEAD
    return Status.ON_PLAN


def _workload_status(checks: Sequence[LeverCheck]) -> Status:
    for status in (Status.REVERTED, Status.BEHIND, Status.AHEAD):
        if any(c.status == status for c in checks):
            return status
    return Status.ON_PLAN

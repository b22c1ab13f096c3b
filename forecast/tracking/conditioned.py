"""The forecast restarted from actuals: the scenario re-started at the as-of month from the
observed level and levers, the rest of the plan still to land (docs/model.md, "Tracking
the commitment").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from forecast.errors import PlannerError
from forecast.pricebook import PriceBook
from forecast.scenario import LeverSet, Scenario, Workload
from forecast.tracking.levers import Observed, _planned_levers
from forecast.tracking.months import _label
from forecast.types import Lever, Waiting
from forecast.usage.months import AVERAGE_MONTH_DAYS, days_in_month


# --------------------------------------------------------------------------- conditioning
def _continue_to(observed: float, target: float, current: float) -> bool:
    """True when the plan still moves a scalar lever from ``observed`` towards ``target``."""
    move = target - current
    return abs(move) > 1e-9 and (target - observed) * math.copysign(1.0, move) > 1e-9


def _remaining_target(w: Workload, obs_set: LeverSet, reverted: set[Lever]) -> LeverSet:
    """The lever set the rest of the plan moves to from the observed one: the target for
    each lever still short of it in the planned direction; the observed value for a lever
    at or past its target, without a planned move, or walked back."""
    cur, tgt = w.current, w.target
    batch = tgt.batch_share if Lever.BATCH not in reverted and _continue_to(
        obs_set.batch_share, tgt.batch_share, cur.batch_share) else obs_set.batch_share
    if Lever.CACHING not in reverted and _continue_to(
            obs_set.cache_hit_rate, tgt.cache_hit_rate, cur.cache_hit_rate):
        cache = {"cache_hit_rate": tgt.cache_hit_rate, "cache_ttl": tgt.cache_ttl,
                 "batch_cache_hit_rate": tgt.batch_cache_hit_rate}
    else:
        cache = {"cache_hit_rate": obs_set.cache_hit_rate, "cache_ttl": obs_set.cache_ttl,
                 "batch_cache_hit_rate": None}
    move = {m: tgt.models.get(m, 0.0) - cur.models.get(m, 0.0) for m in {*cur.models,
                                                                        *tgt.models}}
    norm = sum(v * v for v in move.values())
    done = sum((obs_set.models.get(m, 0.0) - cur.models.get(m, 0.0)) * v
               for m, v in move.items()) / norm if norm > 1e-12 else 1.0
    models = tgt.models if Lever.ROUTING not in reverted and done < 1.0 - 1e-6 \
        else obs_set.models
    return LeverSet(models=dict(models), batch_share=batch, **cache)


def _set_volume(data: dict[str, Any], w: Workload, units: float) -> None:
    """Set a workload's volume to ``units`` volume units a month (requests, or multiples of
    its monthly token totals), in place."""
    if w.uses_monthly_tokens:
        tokens = dict(data["monthly_tokens"])
        for part in ("cacheable_prefix", "input", "output"):
            tokens[part] = tokens.get(part, 0.0) * units
        data["monthly_tokens"] = tokens
    else:
        data["requests_per_month"] = units


@dataclass(frozen=True)
class Conditioned:
    """The scenario re-started at the as-of month (``None`` when nothing runs any more)
    and the same with every lever frozen as observed (the plan's remaining moves left out),
    for what the rest of the plan changes."""

    scenario: Scenario | None
    frozen: Scenario | None
    months: int  # contract months from the as-of month to the term's end, inclusive
    anchored: tuple[int, ...] = ()  # workloads started at their observed level


def conditioned_scenario(scenario: Scenario, book: PriceBook, as_of_month: int,
                         observed: dict[int, Observed],
                         reverted: dict[int, set[Lever]]) -> Conditioned:
    """The scenario re-started at contract month ``as_of_month`` from what was observed.

    Its month 1 is the as-of month: each running workload's volume is set so that month
    1 costs its observed list spend (per average month, at the latest prices) at its
    observed levers; the rest of the plan lands on the plan's dates (from month 2 at the
    earliest). A workload not yet launched keeps its plan, shifted; one that has ended or
    shows no usage is left out. Its horizon covers the rest of the term in whole years (the
    walk-back's revert month is drawn up to that end).

    Parameters
    ----------
    observed : dict of int to Observed
        The as-of month's usage per workload index.
    reverted : dict of int to set of Lever
        Levers observed walked back, per workload index.
    """
    from forecast.cost import request_cost
    from forecast.scenario_messages import validation_problems

    term = 12 * scenario.contract.years
    months = term - as_of_month + 1
    years = math.ceil(months / 12)
    horizon = 12 * years
    start = _label(scenario.start, as_of_month - 1)
    days = days_in_month(start)
    workloads = []
    anchored: list[int] = []
    for i, w in enumerate(scenario.workloads):
        shift = as_of_month - 1
        if w.ends_month is not None and w.ends_month < as_of_month:
            continue
        data = w.model_dump(mode="json", exclude_none=True)
        data.pop("usage_match", None)
        obs = observed.get(i)
        if obs is not None and obs.list_latest > 0:
            b_plan = _planned_levers(w, as_of_month)[0]
            now = obs.lever_set(b_plan)
            unit = request_cost(book, w.token_counts, now,
                                long_prompt_share=w.long_prompt_share,
                                us_inference_share=w.us_inference_share)
            if unit <= 0:
                continue
            level = obs.list_latest * AVERAGE_MONTH_DAYS / days
            _set_volume(data, w, level / unit)
            anchored.append(i)
            target = _remaining_target(w, now, reverted.get(i, set()))
            data["current"] = now.model_dump(mode="json", exclude_none=True)
            data.pop("optimized", None)
            if target != now:
                lands, ramp = w.lands_month - shift, w.ramp_months
                if lands < 2:  # the plan's date has passed: the rest lands from next month
                    lands, ramp = 2, max(0, w.lands_month + max(ramp, 1) - 1 - as_of_month)
                if lands <= horizon:
                    data["optimized"] = {**target.model_dump(mode="json", exclude_none=True),
                                         "lands_month": lands, "ramp_months": ramp}
            if now.batch_share > 0 and w.waiting == Waiting.INTERACTIVE:
                data["waiting"] = str(Waiting.ASYNC)  # batching observed: nobody waits on it
            data["starts_month"] = 1
            data["launch_probability"] = 1.0
        elif w.starts_month > as_of_month:
            data["starts_month"] = w.starts_month - shift
            if data["starts_month"] > horizon:
                continue
            if "optimized" in data:
                data["optimized"]["lands_month"] = max(1, w.lands_month - shift)
                if data["optimized"]["lands_month"] > horizon:
                    data.pop("optimized")
        else:
            continue  # should run but shows no usage: forecast at nothing (and warned)
        if w.ends_month is not None:
            data["ends_month"] = w.ends_month - shift
        workloads.append(data)
    if not workloads:
        return Conditioned(None, None, months, tuple(anchored))
    document = {
        "name": scenario.name, "price_book": scenario.price_book, "start": start,
        "horizon_months": horizon, "simulation": scenario.simulation.model_dump(),
        "workloads": workloads, "uncertainty": scenario.uncertainty.model_dump(mode="json"),
        "contract": {"years": years},
    }
    frozen = {**document, "workloads": [{k: v for k, v in w.items() if k != "optimized"}
                                        for w in workloads]}
    try:
        return Conditioned(Scenario.model_validate(document), Scenario.model_validate(frozen),
                           months, tuple(anchored))
    except Exception as exc:  # a level the schema cannot hold: say which, not a traceback
        from pydantic import ValidationError

        if not isinstance(exc, ValidationError):
            raise
        raise PlannerError("the usage to date cannot re-start the forecast: "
                           + "; ".join(validation_problems(exc)[:3])) from None

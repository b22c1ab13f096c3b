"""After signing: the commitment tracked against usage to date (docs/model.md, "Tracking
the commitment").

A signed contract is the scenario's ``contract.commitments`` from its ``start``. Given usage
to date (any format :func:`forecast.usage.price_history` reads), :func:`track` reports:

- per contract year: committed; consumed to date at the discounted rate (the list cost of
  every usage line dated in the year, up to the end of the as-of month, times 1 - d); the
  consumption expected at year end conditioned on the actuals, its P10 and P90, the
  probability of a shortfall and the expected unused commitment;
- per workload: the levers observed in the as-of month (the last full month) against the
  plan's values for that month, and a :class:`Status`;
- early warnings that name what to do (:class:`TrackWarning`).

**Which usage is whose.** A usage line belongs to the workload whose ``usage_match`` it
matches (:func:`match_usage`). A line that matches no workload, or more than one, is counted
in the consumption (the commitment draws on every line) but attributed to none: it is
carried flat into the forecast at its as-of month's daily level, and reported.

**The forecast conditioned on the actuals.** The scenario is re-simulated from the as-of
month (:func:`conditioned_scenario`): each workload that runs starts at its observed list
spend and its observed levers, with the scenario's growth and uncertainty; what the plan
still has to land (the rest of each lever's move towards the target) lands on the plan's
dates, or from the next month when that date has passed, with the scenario's slip,
realization and walk-back. A move observed as walked back stays walked back. Months are
calendar months: the simulation's month is an average month, scaled by each month's days.
With no spread left (no volatility, realization sd, slip, walk-back, growth error, cuts)
every path is the same and the year-end figure is exact.

**Status of a workload** (in the as-of month, lever by lever, against the plan as written:
``current + f(t) (target - current)``, f the ramp fraction of that month, no realization or
slip): a lever is *on plan* within :data:`LEVER_TOLERANCE` (5 points of batch share or hit
rate; for the model mix, a total-variation distance of 5 points); outside it, *behind* when
it costs more than the plan's value (a lower batch share or hit rate; a model mix whose list
price is higher) and *ahead* when it costs less. A lever behind now that was not behind in
an earlier month after its move began is *reverted* (walked back). The workload is reverted
when any lever is, else behind when any lever is, else ahead when any lever is, else on
plan; *not observed* when no usage matched it in the as-of month. A lever the files cannot
show (the batch share of usage without a service tier, as the analytics report gives) is
taken at the plan's value and not judged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.contract import (
    as_commitment,
    discount_for,
    evaluate,
    next_tier,
    yearly,
)
from forecast.errors import PlannerError
from forecast.formatting import pct, usd
from forecast.pricebook import PriceBook
from forecast.scenario import LeverSet, Scenario, Workload
from forecast.types import CacheTTL, FloatArray, Lever, Overage, Waiting
from forecast.usage.months import AVERAGE_MONTH_DAYS, days_in_month, month_offset, months_between

if TYPE_CHECKING:
    from forecast.usage import PricedHistory

#: A lever within this of the plan's value (5 points of batch share or hit rate, or a
#: total-variation distance of 5 points between model mixes) is on plan.
LEVER_TOLERANCE = 0.05
#: Usage more than this above or below the plan's expected spend is warned.
PLAN_TOLERANCE = 0.10
#: Overage expected above this share of a year's commitment is warned.
OVERAGE_SHARE = 0.01
#: Grouping fields a ``usage_match`` may name, and what stands for a line without one (as
#: ``commitplan import`` names its groups).
MATCH_FIELDS = ("workspace", "api_key", "model", "product")
_MISSING = {"workspace": "Default workspace", "api_key": "(no API key)",
            "product": "(no product)"}


class Status(StrEnum):
    """How a workload's levers compare with the plan in the as-of month (module docstring)."""

    ON_PLAN = "on plan"
    BEHIND = "behind"
    AHEAD = "ahead"
    REVERTED = "reverted"
    NOT_OBSERVED = "not observed"


class WarningKind(StrEnum):
    """What an early warning is about."""

    SHORTFALL = "shortfall"
    CLOSED_SHORT = "closed_short"
    OVERAGE = "overage"
    BELOW_PLAN = "below_plan"
    BEHIND_PLAN = "behind_plan"
    REVERTED = "reverted"
    NOT_OBSERVED = "not_observed"
    UNMATCHED = "unmatched"
    AMBIGUOUS = "ambiguous"
    DATA = "data"


#: The words a lever goes by in a warning.
_MOVE = {Lever.BATCH: "the batch move", Lever.CACHING: "prompt caching",
         Lever.ROUTING: "the model routing"}


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class LeverValues:
    """A workload's levers in one month, planned or observed.

    ``None`` where a value is not known (a lever the files cannot show). ``list_spend`` is
    the month's list spend: observed, or the plan's expected spend for that calendar month.
    """

    batch_share: float | None
    cache_hit_rate: float | None
    models: dict[str, float] | None
    list_spend: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"batch_share": self.batch_share, "cache_hit_rate": self.cache_hit_rate,
                "models": self.models, "list_spend": self.list_spend}


@dataclass(frozen=True)
class LeverCheck:
    """One lever of one workload against the plan: the gap in points (observed minus
    planned for batch share and hit rate; the total-variation distance for the mix) and
    the lever's status."""

    lever: Lever
    planned: float | dict[str, float]
    observed: float | dict[str, float]
    gap: float
    status: Status


@dataclass(frozen=True)
class WorkloadTrack:
    """A workload in the as-of month.

    Attributes
    ----------
    extra_cost : float
        What the observed levers cost a month at list beyond the plan's levers for that
        month, at the observed volume (negative when ahead); 0 when not observed.
    lands : str
        The month the plan's move is fully in place (``YYYY-MM``).
    """

    name: str
    month: str
    planned: LeverValues
    observed: LeverValues | None
    status: Status
    checks: tuple[LeverCheck, ...]
    extra_cost: float
    lands: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "planned": self.planned.to_dict(),
                "observed": None if self.observed is None else self.observed.to_dict(),
                "status": str(self.status)}


@dataclass(frozen=True)
class YearTrack:
    """One contract year: consumption (at the discounted rate) against the commitment.

    ``p10`` and ``p90`` are quantiles of the consumption at year end over the paths;
    ``expected_overage`` is what usage beyond the commitment is expected to cost under the
    contract's overage rule. A closed year (all its months observed) has no spread.
    """

    year: int
    first_month: str
    last_month: str
    committed: float
    discount: float
    consumed_to_date: float
    expected_at_year_end: float
    p10: float
    p90: float
    shortfall_probability: float
    expected_unused: float
    expected_overage: float
    months_observed: int

    @property
    def closed(self) -> bool:
        return self.months_observed >= 12

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "committed": self.committed,
                "consumed_to_date": self.consumed_to_date,
                "expected_at_year_end": self.expected_at_year_end, "p10": self.p10,
                "p90": self.p90, "shortfall_probability": self.shortfall_probability,
                "expected_unused": self.expected_unused}


@dataclass(frozen=True)
class TrackWarning:
    """An early warning: what it is about, the year or workload it concerns, its words."""

    kind: WarningKind
    message: str
    year: int | None = None
    workload: str | None = None


@dataclass(frozen=True)
class Tracking:
    """The commitment tracked against usage to date; every face reads this.

    Attributes
    ----------
    burn_down : pandas.DataFrame
        One row per contract month: ``year``, ``month`` (``YYYY-MM``), ``actual`` (cumulative
        consumption in the year, observed months only, else NaN), ``expected``, ``p10``,
        ``p50``, ``p90`` (cumulative consumption over the paths, forecast months only; the
        as-of month repeats the actual so a chart's fan starts on it), ``committed``.
    unattributed_list : float
        List cost of the usage to date that matches no workload or several.
    usage_above_plan : float or None
        The as-of month's list spend over the plan's for that month, minus 1 (0.32: 32%
        above plan); None when the plan expects nothing.
    notes : tuple of str
        What the reading left out or could not be sure of (also among the warnings).
    """

    scenario_name: str
    start: str
    as_of: str
    years: tuple[YearTrack, ...]
    workloads: tuple[WorkloadTrack, ...]
    warnings: tuple[TrackWarning, ...]
    burn_down: pd.DataFrame
    n_paths: int
    seed: int
    price_book: str
    overage: Overage
    unattributed_list: float
    usage_above_plan: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def current_year(self) -> int:
        """The contract year the month after the as-of month falls in (the last year once
        the term is over)."""
        open_years = [y.year for y in self.years if not y.closed]
        return open_years[0] if open_years else self.years[-1].year

    def summary(self) -> pd.DataFrame:
        """One row per contract year: committed, consumed to date, the year-end forecast,
        its P10/P90, shortfall probability, expected unused (USD; probabilities 0-1)."""
        return pd.DataFrame([{
            "year": y.year, "months": f"{y.first_month} to {y.last_month}",
            "committed": y.committed, "discount": y.discount,
            "consumed_to_date": y.consumed_to_date,
            "expected_at_year_end": y.expected_at_year_end, "p10": y.p10, "p90": y.p90,
            "shortfall_probability": y.shortfall_probability,
            "expected_unused": y.expected_unused, "expected_overage": y.expected_overage,
        } for y in self.years])

    def workload_summary(self) -> pd.DataFrame:
        """One row per workload: status, and each lever planned against observed."""
        rows = []
        for w in self.workloads:
            obs = w.observed
            rows.append({
                "workload": w.name, "status": str(w.status),
                "batch_share_planned": w.planned.batch_share,
                "batch_share_observed": None if obs is None else obs.batch_share,
                "cache_hit_rate_planned": w.planned.cache_hit_rate,
                "cache_hit_rate_observed": None if obs is None else obs.cache_hit_rate,
                "models_planned": mix_text(w.planned.models),
                "models_observed": None if obs is None else mix_text(obs.models),
                "list_spend_planned": w.planned.list_spend,
                "list_spend_observed": None if obs is None else obs.list_spend,
                "extra_cost_per_month": w.extra_cost,
            })
        return pd.DataFrame(rows)

    def behind(self) -> list[WorkloadTrack]:
        """The workloads behind plan or reverted."""
        return [w for w in self.workloads if w.status in (Status.BEHIND, Status.REVERTED)]

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``commitplan track --json``."""
        return {"as_of": self.as_of, "years": [y.to_dict() for y in self.years],
                "workloads": [w.to_dict() for w in self.workloads],
                "warnings": [w.message for w in self.warnings]}


def mix_text(mix: dict[str, float] | None) -> str | None:
    """A model mix in words: ``claude-haiku-4-5 60%, claude-sonnet-4-5 40%``."""
    if mix is None:
        return None
    return ", ".join(f"{m} {pct(s)}" for m, s in sorted(mix.items(), key=lambda kv: -kv[1])
                     if s > 0)


# --------------------------------------------------------------------------- months
def _label(start: str, offset: int) -> str:
    """The ``YYYY-MM`` month ``offset`` months after ``start``."""
    return month_offset(start, offset)


def _index(start: str, label: str) -> int:
    """Contract month number of ``label`` (1 = the start month)."""
    return months_between(start, label) + 1


def parse_month(text: str, what: str = "--as-of") -> str:
    """A ``YYYY-MM`` month, or a PlannerError naming ``what``."""
    import re

    shown = text if len(text) <= 24 else text[:23] + "…"
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text.strip()):
        raise PlannerError(f"{what}: {shown!r} is not a month; give YYYY-MM, e.g. 2027-04")
    return text.strip()


def has_signed_contract(scenario: Scenario) -> bool:
    """True when the scenario names its commitments: the contract tracking follows."""
    return scenario.contract.commitments is not None


def require_signed_contract(scenario: Scenario) -> FloatArray:
    """The signed commitment per contract year, shape (years,).

    Raises
    ------
    PlannerError
        When the scenario has no ``contract.commitments``, naming the field.
    """
    if not has_signed_contract(scenario):
        raise PlannerError(
            "contract.commitments: not given; tracking follows a signed contract: give "
            "contract.commitments (one amount a year, or one per contract year) with the "
            "contract's first month as start")
    return as_commitment(scenario.contract, scenario.contract.commitment_per_year())


# --------------------------------------------------------------------------- matching
@dataclass(frozen=True)
class UsageMatches:
    """Which workload each usage line belongs to.

    Attributes
    ----------
    owner : ndarray of int, shape (n_lines,)
        Index of the workload a line belongs to; -1 when it matches none or several.
    count : ndarray of int, shape (n_lines,)
        Workloads the line matches.
    ambiguous_names : list of tuple of str
        Per line with ``count > 1``, in order: the names of the workloads it matches.
    """

    owner: Any
    count: Any
    ambiguous_names: list[tuple[str, ...]]


def _field_values(lines: pd.DataFrame, name: str) -> pd.Series:
    """A grouping field as ``commitplan import`` names its groups (a missing workspace is
    the Default workspace, ...)."""
    values = lines[name]
    return values.fillna(_MISSING[name]) if name in _MISSING else values


def match_usage(scenario: Scenario, book: PriceBook, lines: pd.DataFrame) -> UsageMatches:
    """Match every usage line to the workloads whose ``usage_match`` it satisfies.

    A line matches a workload when, for every field its ``usage_match`` gives, the line's
    value is one of the listed values (a model by any name the price book knows).

    Raises
    ------
    PlannerError
        When no workload has a ``usage_match``, when one names a model the book does not
        price, or a field the usage files never state (naming the workload and field).
    """
    have = [i for i, w in enumerate(scenario.workloads) if w.usage_match is not None]
    if not have:
        raise PlannerError(
            "workloads[].usage_match: no workload says which usage is its own; give each "
            "workload a usage_match (workspace, api_key, model or product), as "
            "`commitplan import` writes it")
    n = len(lines)
    masks = np.zeros((n, len(scenario.workloads)), dtype=bool)
    problems = []
    for i in have:
        match = scenario.workloads[i].usage_match
        assert match is not None
        mask = np.ones(n, dtype=bool)
        for name in MATCH_FIELDS:
            wanted = getattr(match, name)
            if wanted is None:
                continue
            if name == "model":
                resolved = []
                for j, raw in enumerate(wanted):
                    model = book.resolve_model(raw)
                    if model is None:
                        problems.append(f"workloads[{i}].usage_match.model[{j}]: {raw!r} is "
                                        f"not a model of price book {book.id!r}; it prices "
                                        f"{', '.join(book.model_ids)}")
                    resolved.append(model)
                wanted = resolved
            if lines[name].isna().all() and _MISSING.get(name) not in wanted:
                problems.append(f"workloads[{i}].usage_match.{name}: the usage files state no "
                                f"{name.replace('_', ' ')} on any line (the analytics report "
                                "has no workspace or API key; the Console export no product); "
                                "match on a field the files carry")
                continue
            mask &= _field_values(lines, name).isin(wanted).to_numpy()
        masks[:, i] = mask
    if problems:
        raise PlannerError("; ".join(problems[:5]))
    count = masks.sum(axis=1)
    owner = np.where(count == 1, masks.argmax(axis=1), -1)
    names = [w.name for w in scenario.workloads]
    ambiguous = [tuple(names[k] for k in np.flatnonzero(row)) for row in masks[count > 1]]
    return UsageMatches(owner, count, ambiguous)


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


def _observed_levers(lines: pd.DataFrame, keys: Any, book: PriceBook) -> dict[Any, Observed]:
    """Levers and spend of every (month, workload) key, read as ``commitplan import`` reads
    today's levers (:func:`forecast.usage.levers.levers_by_group`)."""
    from forecast.usage.levers import levers_by_group

    if lines.empty:
        return {}
    frame = lines.assign(group=keys)
    levers = levers_by_group(frame, book)
    stated = frame["service_tier"].notna().groupby(frame["group"]).any()
    cost = frame.groupby("group")[["list_cost", "list_cost_latest"]].sum()
    out = {}
    for key, lv in levers.items():
        if not lv.model_mix:
            continue
        out[key] = Observed(float(cost.at[key, "list_cost"]),
                            float(cost.at[key, "list_cost_latest"]),
                            lv.batch_share if bool(stated.get(key, False)) else None,
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


# --------------------------------------------------------------------------- track
def read_usage_to_date(sources: Sequence[tuple[str, bytes | str]], scenario: Scenario,
                       base_dir: Any = None) -> PricedHistory:
    """Read, merge and price usage files at the scenario's price book (every line at the
    entry in force on its day)."""
    from pathlib import Path

    from forecast.pricebook import bundled_price_book_ids
    from forecast.usage import price_history
    from forecast.usage.importer import name_the_files

    ref = scenario.price_book
    if ref not in bundled_price_book_ids() and base_dir is not None \
            and not Path(ref).is_absolute():
        ref = str(Path(base_dir) / ref)
    try:
        return price_history(sources, ref)
    except PlannerError as exc:
        from forecast.errors import ImportUsageError

        if isinstance(exc, ImportUsageError):
            raise name_the_files(exc, [n for n, _ in sources]) from None
        raise


def _coverage(history: PricedHistory, start: str, end: str, as_of: str | None
              ) -> tuple[str, list[str]]:
    """The as-of month (checked, or the last full month) and notes on partial months."""
    from forecast.usage.months import month_coverage

    labels, share = month_coverage(history.spans)
    cover = dict(zip(labels, share.tolist(), strict=True))
    full = [m for m in labels if cover[m] >= 1 - 1e-9]
    span = f"{labels[0]} to {labels[-1]}"
    if labels[-1] < start:
        raise PlannerError(f"the usage covers {span}, all before the contract start {start} "
                           "(the scenario's start); give usage from the contract's first "
                           "month on")
    if as_of is None:
        inside = [m for m in full if start <= m <= end]
        if not inside:
            raise PlannerError(f"the usage covers {span}: no full month of the contract "
                               f"({start} to {end}) yet; track from the end of the first "
                               "full month")
        as_of = inside[-1]
    else:
        as_of = parse_month(as_of)
        if as_of < start:
            raise PlannerError(f"--as-of: {as_of} is before the contract start {start} "
                               "(the scenario's start); give a month of the contract")
        if as_of > end:
            raise PlannerError(f"--as-of: {as_of} is past the contract's end ({end}); give "
                               f"a month of the contract, {start} to {end}")
        if cover.get(as_of, 0.0) < 1 - 1e-9:
            last = max(full) if full else None
            hint = f"; the last full month is {last}" if last else ""
            raise PlannerError(f"--as-of: the usage does not cover {as_of} in full (it "
                               f"covers {span}{hint}); give a month the files cover end to "
                               "end")
    months = [_label(start, k) for k in range(_index(start, as_of))]
    missing = [m for m in months if cover.get(m, 0.0) <= 0]
    if missing:
        shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
        raise PlannerError(f"the usage covers {span} but not {shown}: usage to date must "
                           f"cover every month from the contract start {start} to the as-of "
                           f"month {as_of}; add the missing export or page")
    notes = [f"{m} is {pct(cover[m])} covered by the files: its consumption counts what they "
             "hold" for m in months if cover[m] < 1 - 1e-9]
    return as_of, notes


def track(scenario: Scenario, book: PriceBook, history: PricedHistory,
          as_of: str | None = None, paths: int | None = None, seed: int | None = None
          ) -> Tracking:
    """Track the scenario's signed contract against usage to date.

    Parameters
    ----------
    scenario : Scenario
        With ``contract.commitments`` (the signed contract, from ``start``) and each
        workload's ``usage_match``.
    history : PricedHistory
        Usage to date (:func:`read_usage_to_date`).
    as_of : str, optional
        The last month of actuals (``YYYY-MM``); default: the last month the files cover in
        full within the contract.
    paths, seed : int, optional
        Paths and seed of the re-simulation (default: the scenario's).

    Raises
    ------
    PlannerError
        No signed contract (``contract.commitments``), an as-of month outside the contract
        or not covered, usage that misses a month or lies wholly before the start, no
        ``usage_match``, or no line matching any workload.
    """
    from forecast.cost import corner_costs, interpolate, request_cost
    from forecast.simulation import simulate_variants
    from forecast.timeline import expected_volume

    per_year = require_signed_contract(scenario)
    contract = scenario.contract
    n_years = contract.years
    term = 12 * n_years
    start, end = scenario.start, _label(scenario.start, term - 1)
    as_of, notes = _coverage(history, start, end, as_of)
    t_a = _index(start, as_of)
    days_a = days_in_month(as_of)
    warnings: list[TrackWarning] = []

    lines = history.lines
    before = lines["month"] < start
    after = lines["month"] > as_of
    if before.any():
        notes.append(f"{int(before.sum())} usage lines before the contract start {start} "
                     f"({usd(float(lines.loc[before, 'list_cost'].sum()), 2)} at list) are not "
                     "part of the contract: left out")
    if after.any():
        notes.append(f"{int(after.sum())} usage lines after the as-of month {as_of} are left "
                     "out")
    scope = lines[~before & ~after].reset_index(drop=True)
    from forecast.usage.months import provisional_months

    provisional = sorted(provisional_months(sorted(scope["month"].unique()), history.watermark))
    if provisional:
        notes.append(f"{', '.join(provisional)} may still change: the analytics report's data "
                     "is final about 30 days after the usage date")

    matches = match_usage(scenario, book, scope)
    names = [w.name for w in scenario.workloads]
    if not (matches.count > 0).any():
        raise PlannerError(f"no usage line matches any workload's usage_match "
                           f"({_seen_values(scope, _match_fields(scenario))}); give each "
                           "workload the workspace, API key, model or product its usage "
                           "carries")
    month_index = scope["month"].map({m: _index(start, m) for m in scope["month"].unique()}
                                     ).to_numpy(dtype=np.int64)
    observed_list = np.bincount(month_index - 1, weights=scope["list_cost"].to_numpy(),
                                minlength=t_a)[:t_a]

    owned = matches.owner >= 0
    keys = np.char.add(np.char.add(month_index.astype(str), "|"), matches.owner.astype(str))
    levers = _observed_levers(scope[owned], keys[owned], book)
    by_month: dict[int, dict[int, Observed]] = {}
    for key, obs in levers.items():
        m, i = (int(p) for p in key.split("|"))
        by_month.setdefault(m, {})[i] = obs
    now = by_month.get(t_a, {})

    # --- each workload against the plan of the as-of month, as written: its expected
    # volume at the levers the plan has in place that month (no realization, slip or cut)
    corners = corner_costs(scenario, book)
    in_place = np.array([_planned_levers(w, t_a)[3] for w in scenario.workloads])
    unit_plans = interpolate(corners, in_place, in_place, in_place)  # (W,) per volume unit
    plan_spend = expected_volume(scenario)[t_a - 1] * unit_plans * days_a / AVERAGE_MONTH_DAYS
    tracks: list[WorkloadTrack] = []
    reverted: dict[int, set[Lever]] = {}
    for i, w in enumerate(scenario.workloads):
        b_plan, h_plan, mix_plan, _ = _planned_levers(w, t_a)
        planned = LeverValues(b_plan, h_plan, {m: s for m, s in mix_plan.items() if s > 0},
                              float(plan_spend[i]))
        done = min(term, w.lands_month + max(w.ramp_months, 1) - 1)
        obs = now.get(i)
        if obs is None:
            tracks.append(WorkloadTrack(w.name, as_of, planned, None, Status.NOT_OBSERVED, (),
                                        0.0, _label(start, done - 1)))
            continue
        earlier = [(m, by_month[m][i]) for m in range(1, t_a) if i in by_month.get(m, {})]
        checks = _checks(book, w, t_a, obs, earlier)
        reverted[i] = {c.lever for c in checks if c.status == Status.REVERTED}
        unit_obs = request_cost(book, w.token_counts, obs.lever_set(b_plan),
                                long_prompt_share=w.long_prompt_share,
                                us_inference_share=w.us_inference_share)
        extra = obs.list_latest * (1.0 - unit_plans[i] / unit_obs) if unit_obs > 0 else 0.0
        tracks.append(WorkloadTrack(
            w.name, as_of, planned,
            LeverValues(obs.batch_share, obs.cache_hit_rate, dict(obs.models), obs.list_latest),
            _workload_status(checks), checks, float(extra), _label(start, done - 1)))

    # --- the forecast conditioned on the actuals
    n_paths = scenario.simulation.paths if paths is None else paths
    seed = scenario.simulation.seed if seed is None else seed
    if n_paths < 1:
        raise PlannerError(f"--paths: is {n_paths}; simulate at least 1 path")
    cond = conditioned_scenario(scenario, book, t_a, now, reverted)
    unattributed_now = float(scope.loc[~owned & (month_index == t_a),
                                       "list_cost_latest"].sum())
    not_anchored = sum(o.list_latest for i, o in now.items() if i not in cond.anchored)
    flat_per_day = (unattributed_now + not_anchored) / days_a
    n_fc = cond.months - 1
    fc_labels = [_label(as_of, k) for k in range(1, cond.months)]
    fc_days = np.array([days_in_month(m) for m in fc_labels], dtype=float)
    if cond.scenario is not None and n_fc > 0:
        assert cond.frozen is not None
        plan_sim, frozen_sim = simulate_variants([cond.scenario, cond.frozen], book, n_paths,
                                                 seed)
        scale = fc_days / AVERAGE_MONTH_DAYS
        forecast = plan_sim.optimized[:, 1:cond.months] * scale + flat_per_day * fc_days
        frozen = frozen_sim.optimized[:, 1:cond.months] * scale + flat_per_day * fc_days
    else:
        forecast = np.broadcast_to(flat_per_day * fc_days, (n_paths, n_fc))
        frozen = forecast
    monthly = np.concatenate([np.broadcast_to(observed_list, (n_paths, t_a)), forecast], axis=1)
    monthly_frozen = np.concatenate([np.broadcast_to(observed_list, (n_paths, t_a)), frozen],
                                    axis=1)
    list_years = yearly(monthly, n_years)  # (n_paths, years)
    outcome = evaluate(contract, list_years, per_year)
    discount = discount_for(contract, per_year)
    consumed = (1.0 - discount) * list_years
    consumed_frozen = (1.0 - discount) * yearly(monthly_frozen, n_years)
    p10, p90 = np.quantile(consumed, [0.1, 0.9], axis=0)
    years = []
    for y in range(n_years):
        seen = int(np.clip(t_a - 12 * y, 0, 12))
        years.append(YearTrack(
            year=y + 1, first_month=_label(start, 12 * y), last_month=_label(start, 12 * y + 11),
            committed=float(per_year[y]), discount=float(discount[y]),
            consumed_to_date=float((1.0 - discount[y]) * observed_list[12 * y:12 * y + seen]
                                   .sum()),
            expected_at_year_end=float(consumed[:, y].mean()), p10=float(p10[y]),
            p90=float(p90[y]), shortfall_probability=float(outcome.short[:, y].mean()),
            expected_unused=float(outcome.unused[:, y].mean()),
            expected_overage=float(outcome.overage[:, y].mean()), months_observed=seen))

    # --- burn-down: cumulative consumption within each year
    cumulative = np.cumsum(((1.0 - discount)[None, :, None]
                            * monthly.reshape(n_paths, n_years, 12)), axis=2)
    q10, q50, q90 = np.quantile(cumulative, [0.1, 0.5, 0.9], axis=0)
    mean = cumulative.mean(axis=0)
    t = np.arange(1, term + 1).reshape(n_years, 12)
    actual = np.where(t <= t_a, mean, np.nan)
    fc_mask = t >= t_a
    burn = pd.DataFrame({
        "year": np.repeat(np.arange(1, n_years + 1), 12),
        "month": [_label(start, k) for k in range(term)],
        "actual": actual.ravel(),
        "expected": np.where(fc_mask, mean, np.nan).ravel(),
        "p10": np.where(fc_mask, q10, np.nan).ravel(),
        "p50": np.where(fc_mask, q50, np.nan).ravel(),
        "p90": np.where(fc_mask, q90, np.nan).ravel(),
        "committed": np.repeat(per_year, 12),
    })

    # --- warnings
    observed_total = float(scope.loc[month_index == t_a, "list_cost_latest"].sum())
    plan_total = float(plan_spend.sum())
    above = observed_total / plan_total - 1.0 if plan_total > 0 else None
    unattributed = float(scope.loc[~owned, "list_cost"].sum())
    context = _Context(scenario, book, as_of, t_a, years, tuple(tracks), outcome, list_years,
                       consumed, consumed_frozen, per_year, above, observed_total, plan_total)
    warnings += _money_warnings(context)
    warnings += _workload_warnings(context)
    warnings += _usage_warnings(scenario, scope, matches, names, unattributed,
                                float(scope["list_cost"].sum()), tracks, t_a)
    warnings += [TrackWarning(WarningKind.DATA, note) for note in notes]
    return Tracking(
        scenario_name=scenario.name, start=start, as_of=as_of, years=tuple(years),
        workloads=tuple(tracks), warnings=tuple(warnings), burn_down=burn, n_paths=n_paths,
        seed=int(seed), price_book=book.id, overage=contract.overage,
        unattributed_list=unattributed, usage_above_plan=above, notes=tuple(notes))


def track_usage(scenario: Scenario, book: PriceBook,
                sources: Sequence[tuple[str, bytes | str]], as_of: str | None = None,
                paths: int | None = None, seed: int | None = None, base_dir: Any = None
                ) -> Tracking:
    """:func:`track` from usage files as (name, content) pairs (an app's uploads)."""
    require_signed_contract(scenario)
    return track(scenario, book, read_usage_to_date(sources, scenario, base_dir), as_of,
                 paths, seed)


# --------------------------------------------------------------------------- warnings
@dataclass(frozen=True)
class _Context:
    """What the warnings read (arrays of shape (n_paths, years))."""

    scenario: Scenario
    book: PriceBook
    as_of: str
    t_a: int
    years: list[YearTrack]
    tracks: tuple[WorkloadTrack, ...]
    outcome: Any
    list_years: FloatArray
    consumed: FloatArray
    consumed_frozen: FloatArray
    per_year: FloatArray
    above: float | None
    observed_total: float
    plan_total: float

    @property
    def open_years(self) -> list[YearTrack]:
        return [y for y in self.years if not y.closed]


def _money_warnings(c: _Context) -> list[TrackWarning]:
    """Shortfall and overage, year by year, with what to do."""
    contract = c.scenario.contract
    appetite = contract.risk_appetite.max_shortfall_probability
    out = []
    for y in c.years:
        k = y.year - 1
        if y.closed:
            if y.expected_unused > 0.005:
                out.append(TrackWarning(WarningKind.CLOSED_SHORT, (
                    f"year {y.year} closed {usd(y.expected_unused)} short of its "
                    f"{usd(y.committed)} commitment: paid anyway"), y.year))
            continue
        if y.shortfall_probability > appetite + 1e-12:
            ask = (f"ask now to carry the unused balance into year {y.year + 1}"
                   if y.year < contract.years else "ask for a shortfall credit")
            text = (f"year {y.year} falls short with probability "
                    f"{pct(y.shortfall_probability)}: expected unused "
                    f"{usd(y.expected_unused)} of the {usd(y.committed)} committed. Bring "
                    f"usage onto the contract before {y.last_month} (workloads planned for "
                    f"later, other teams' Claude spend) or {ask}")
            committed = c.per_year[k]
            stranded = float((np.minimum(committed, c.consumed_frozen[:, k])
                              - np.minimum(committed, c.consumed[:, k])).mean())
            if stranded > 0.005 * committed:
                text += (f"; the moves still to land would strand {usd(stranded)} of their "
                         f"savings under the commitment in year {y.year}")
            out.append(TrackWarning(WarningKind.SHORTFALL, text, y.year))
        elif y.expected_overage > OVERAGE_SHARE * y.committed:
            if y.year == c.open_years[0].year and c.above is not None \
                    and c.above > PLAN_TOLERANCE:
                lead = (f"usage runs {pct(c.above)} above plan ({usd(c.observed_total)} "
                        f"against {usd(c.plan_total)} at list in {c.as_of})")
            else:
                lead = f"year {y.year} is expected to pass its commitment"
            rule = "at list" if contract.overage == Overage.LIST else "at the discounted rate"
            text = (f"{lead}: the overage {rule} costs {usd(y.expected_overage)} in year "
                    f"{y.year} (expected)")
            ask = _next_tier_value(c, k)
            if ask is not None:
                amount, discount, value = ask
                text += (f"; ask for the next tier now: {usd(amount)} a year earns "
                         f"{pct(discount)} and saves about {usd(value)} on this forecast")
            elif any(t.status in (Status.BEHIND, Status.REVERTED) for t in c.tracks):
                text += "; land the moves behind plan first"
            out.append(TrackWarning(WarningKind.OVERAGE, text, y.year))
    first = c.open_years[0] if c.open_years else None
    if first is not None and c.above is not None and c.above < -PLAN_TOLERANCE \
            and not any(w.kind == WarningKind.SHORTFALL and w.year == first.year for w in out):
        out.append(TrackWarning(WarningKind.BELOW_PLAN, (
            f"usage runs {pct(-c.above)} below plan ({usd(c.observed_total)} against "
            f"{usd(c.plan_total)} at list in {c.as_of}); year {first.year} still falls short "
            f"with probability {pct(first.shortfall_probability)} only"), first.year))
    return out


def _next_tier_value(c: _Context, k: int) -> tuple[float, float, float] | None:
    """The next tier above year ``k``'s commitment: its threshold, discount and what moving
    that year to it saves in expectation on the forecast paths (None when it saves nothing
    or there is none)."""
    contract = c.scenario.contract
    tier = next_tier(contract, float(c.per_year[k]))
    if tier is None:
        return None
    amount, discount = tier
    moved = c.per_year.copy()
    moved[k] = amount
    now = evaluate(contract, c.list_years, c.per_year).cost.sum(axis=1).mean()
    then = evaluate(contract, c.list_years, moved).cost.sum(axis=1).mean()
    value = float(now - then)
    return (amount, discount, value) if value > 0.5 else None


def _lever_words(check: LeverCheck) -> tuple[str, str]:
    """(planned, observed) of a lever in words."""
    if check.lever == Lever.BATCH:
        return f"{pct(check.planned)} batch", pct(check.observed)  # type: ignore[arg-type]
    if check.lever == Lever.CACHING:
        return (f"{pct(check.planned)} cache hits",  # type: ignore[arg-type]
                pct(check.observed))  # type: ignore[arg-type]
    return str(mix_text(check.planned)), str(mix_text(check.observed))  # type: ignore[arg-type]


_WHY_REVERTED = {Lever.BATCH: "find out who waits on the batched results before moving "
                              "them again",
                 Lever.CACHING: "check what changed in the shared prefix (any change misses "
                                "the cache)",
                 Lever.ROUTING: "find out which calls moved back and why"}


def _workload_warnings(c: _Context) -> list[TrackWarning]:
    """One warning per workload behind plan or reverted, naming the move to land."""
    out = []
    first = c.open_years[0] if c.open_years else None
    appetite = c.scenario.contract.risk_appetite.max_shortfall_probability
    for w in c.tracks:
        if w.status not in (Status.BEHIND, Status.REVERTED):
            continue
        cost = (f"it costs {usd(w.extra_cost)} a month at list more than the plan"
                if w.extra_cost > 0.5 else "")
        parts = []
        for check in w.checks:
            planned, observed = _lever_words(check)
            when = f"by {w.lands}" if w.lands <= c.as_of else f"in {c.as_of}"
            if check.status == Status.REVERTED:
                parts.append(f"{_MOVE[check.lever]} was walked back (planned {planned} "
                             f"{when}, observed {observed} in {c.as_of}): "
                             f"{_WHY_REVERTED[check.lever]}")
            elif check.status == Status.BEHIND:
                parts.append(f"land {_MOVE[check.lever]} (planned {planned} {when}, "
                             f"observed {observed} in {c.as_of})")
        text = f"{w.name}: " + "; ".join(parts)
        if cost:
            text += f"; {cost}"
        if first is not None and first.shortfall_probability > appetite and cost:
            text += (f"; with year {first.year} likely to fall short, this year's part of "
                     "that saving would be stranded under the commitment")
        kind = WarningKind.REVERTED if w.status == Status.REVERTED else WarningKind.BEHIND_PLAN
        out.append(TrackWarning(kind, text, workload=w.name))
    return out


def _match_fields(scenario: Scenario) -> tuple[str, ...]:
    """The grouping fields the scenario's usage_match entries use (every one when none)."""
    used = tuple(f for f in MATCH_FIELDS if any(
        w.usage_match is not None and getattr(w.usage_match, f) is not None
        for w in scenario.workloads))
    return used or MATCH_FIELDS


def _seen_values(lines: pd.DataFrame, fields: Sequence[str] = MATCH_FIELDS, limit: int = 3
                 ) -> str:
    """The grouping values the usage carries, most costly first, for a message."""
    out = []
    for name in fields:
        if lines[name].isna().all():
            continue
        cost = lines.groupby(_field_values(lines, name))["list_cost"].sum()
        top = cost.sort_values(ascending=False).index[:limit]
        out.append(f"{name.replace('_', ' ')}s " + ", ".join(repr(str(v)) for v in top))
    return "the usage names " + "; ".join(out) if out else "the usage names no group"


def _usage_warnings(scenario: Scenario, scope: pd.DataFrame, matches: UsageMatches,
                    names: list[str], unattributed: float, total: float,
                    tracks: list[WorkloadTrack], t_a: int) -> list[TrackWarning]:
    """Usage that matches no workload or several; workloads that should run and show none."""
    out = []
    unmatched = matches.count == 0
    if unmatched.any():
        cost = float(scope.loc[unmatched, "list_cost"].sum())
        out.append(TrackWarning(WarningKind.UNMATCHED, (
            f"{int(unmatched.sum())} usage lines ({usd(cost, 2)} at list to date, "
            f"{pct(cost / total if total else 0, 1)} of the usage) match no workload "
            f"({_seen_values(scope[unmatched], _match_fields(scenario))}): counted in the "
            "consumption and carried flat "
            "in the forecast; add them to a workload's usage_match")))
    several = matches.count > 1
    if several.any():
        cost = float(scope.loc[several, "list_cost"].sum())
        groups = sorted(set(matches.ambiguous_names))
        shown = "; ".join(" and ".join(g) for g in groups[:3])
        out.append(TrackWarning(WarningKind.AMBIGUOUS, (
            f"{int(several.sum())} usage lines ({usd(cost, 2)} at list to date) match more "
            f"than one workload ({shown}): counted once in the consumption, attributed to "
            "none; make the usage_match fields exclusive")))
    for i, (w, t) in enumerate(zip(scenario.workloads, tracks, strict=True)):
        running = w.starts_month <= t_a and (w.ends_month is None or w.ends_month >= t_a)
        if t.status == Status.NOT_OBSERVED and running:
            where = "it has no usage_match" if w.usage_match is None else \
                f"usage_match {_match_text(w)}"
            out.append(TrackWarning(WarningKind.NOT_OBSERVED, (
                f"{w.name}: no usage matched it in {t.month} ({where}); it is forecast at "
                "nothing from here: check workloads"
                f"[{i}].usage_match"), workload=w.name))
    return out


def _match_text(w: Workload) -> str:
    match = w.usage_match
    assert match is not None
    return ", ".join(f"{name}: {', '.join(getattr(match, name))}" for name in MATCH_FIELDS
                     if getattr(match, name) is not None)

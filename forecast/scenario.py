"""Scenario schema: the YAML/JSON file a buyer writes, shares and keeps.

Validated with pydantic v2. Every problem is reported with the path of the field it concerns
(``workloads[1].optimized.models: shares sum to 1.2; they must sum to 1``), never a
traceback. Months are numbered from 1 (month 1 is the contract's start month).

A workload states its volume in one of two forms:

- ``requests_per_month`` with ``tokens`` per request (``cacheable_prefix``, ``input``,
  ``output``), the form a team writes by hand;
- ``monthly_tokens``: token totals per month by class, the form the usage importer writes
  (the Admin usage report counts tokens, not requests).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from forecast import limits
from forecast.pricebook import DEFAULT_PRICE_BOOK
from forecast.scenario_contract import (
    Contract as Contract,
)
from forecast.scenario_contract import (  # re-exported: the contract side of the schema
    DiscountTier as DiscountTier,
)
from forecast.scenario_contract import (
    HistoryMonth as HistoryMonth,
)
from forecast.scenario_contract import (
    Negotiation as Negotiation,
)
from forecast.scenario_contract import (
    Offer as Offer,
)
from forecast.scenario_contract import (
    RiskAppetite as RiskAppetite,
)
from forecast.scenario_contract import (
    Side as Side,
)
from forecast.scenario_contract import (
    StrandedThresholds as StrandedThresholds,
)
from forecast.scenario_messages import _at, _each, _show, validation_problems
from forecast.scenario_values import (
    _NO_BOOL,
    FitMonths,
    GrowthSd,
    Name,
    NotADate,
    Requests,
    Share,
    Text,
    TokenCount,
    Volatility,
    Whole,
    _at_most,
    _rate,
    _Strict,
)
from forecast.types import CacheTTL, GrowthModel, Waiting

#: Batch turns around within 24 h, most within an hour: below this latency a workload
#: cannot batch.
MIN_BATCH_LATENCY_MINUTES = 60.0
_SHARE_TOLERANCE = 1e-6


# --------------------------------------------------------------------------- workloads
class Tokens(_Strict):
    """Tokens per request (or per month, in ``monthly_tokens``) by class.

    ``counted_on`` names the model whose tokenizer counted them (default: the reference,
    pre-Opus-4.7 tokenizer); routing to a model with another tokenizer scales the volumes.
    """

    cacheable_prefix: TokenCount = 0.0
    input: TokenCount = 0.0
    output: TokenCount = 0.0
    counted_on: str | None = None


class LeverSet(_Strict):
    """How a workload runs: model routing shares, batch share, prompt caching."""

    models: dict[str, Share]
    batch_share: Share = 0.0
    cache_hit_rate: Share = 0.0
    batch_cache_hit_rate: Share | None = Field(
        None, description="hit rate of batched traffic (best effort); default: cache_hit_rate"
    )
    cache_ttl: CacheTTL = CacheTTL.NONE

    @field_validator("models")
    @classmethod
    def _shares_sum_to_one(cls, models: dict[str, float]) -> dict[str, float]:
        if not models:
            raise ValueError(
                "name at least one model with its share, e.g. {claude-sonnet-4-5: 1.0}"
            )
        total = sum(models.values())
        if abs(total - 1.0) > _SHARE_TOLERANCE:
            raise ValueError(f"shares sum to {total:g}; they must sum to 1")
        return models

    @model_validator(mode="after")
    def _caching_needs_ttl(self) -> Self:
        if self.cache_ttl == CacheTTL.NONE:
            for field in ("cache_hit_rate", "batch_cache_hit_rate"):
                value = getattr(self, field)
                if value:
                    raise _at(
                        field,
                        f"is {value:g} but cache_ttl is none; set cache_ttl to 5m or 1h, "
                        "or the hit rate to 0",
                    )
        return self

    @property
    def effective_batch_hit_rate(self) -> float:
        """Hit rate of the batched traffic."""
        own = self.batch_cache_hit_rate
        return self.cache_hit_rate if own is None else own


class OptimizedLeverSet(_Strict):
    """The optimized target; a field left out keeps the workload's current value.

    It lands in ``lands_month`` and ramps in linearly over ``ramp_months`` (0: at once):
    in month ``lands_month + k`` a fraction ``min(1, (k + 1) / ramp_months)`` of the change
    is in place.
    """

    models: dict[str, Share] | None = None
    batch_share: Share | None = None
    cache_hit_rate: Share | None = None
    batch_cache_hit_rate: Share | None = None
    cache_ttl: CacheTTL | None = None
    lands_month: Whole = Field(1, ge=1, le=limits.MAX_HORIZON_MONTHS)
    ramp_months: Whole = Field(0, ge=0, le=limits.MAX_RAMP_MONTHS)

    @field_validator("models")
    @classmethod
    def _shares_sum_to_one(cls, models: dict[str, float] | None) -> dict[str, float] | None:
        return None if models is None else LeverSet._shares_sum_to_one(models)

    def resolve(self, current: LeverSet) -> LeverSet:
        """The full lever set: this target's fields over the current ones."""
        merged = current.model_dump()
        for field in LeverSet.model_fields:
            value = getattr(self, field)
            if value is not None:
                merged[field] = value
        return LeverSet.model_validate(merged)


class Growth(_Strict):
    """Volume growth: expected month-over-month growth and volatility of the log change.

    ``monthly_sd`` is the standard error of a growth rate fitted on history (the importer
    writes it): each simulated path draws its own growth rate from it, so a short history
    widens the fan instead of being taken at face value (0: the rate is known).
    ``fit_months`` is the number of months the fit used (0: not fitted): each path then also
    draws its own volatility, a scaled inverse chi-square with ``fit_months - 2`` degrees of
    freedom, and its growth error scaled with it, so that a fit on few months has the fat
    tails of Student's t (docs/model.md, "Forecasting from history").
    ``model`` is ``random_walk`` (the default: the monthly shocks of sd ``volatility`` add
    up, so the fan widens with the square root of time) or ``trend_noise`` (volume is noise
    of sd ``volatility`` around a trend growing by ``monthly``: the fan does not widen but
    for the trend's error, ``monthly_sd`` times the months from the fitted months' centre,
    and the level's, ``volatility / sqrt(fit_months)``); ``commitplan import`` chooses.
    """

    monthly: Annotated[float, _NO_BOOL, _rate(*limits.GROWTH_RANGE, "a monthly growth")] = 0.0
    volatility: Volatility = 0.0
    monthly_sd: GrowthSd = 0.0
    fit_months: FitMonths = 0
    model: GrowthModel = GrowthModel.RANDOM_WALK


#: Values one usage_match field may list: plain names, at least one.
MatchValues = Annotated[list[Name], Field(min_length=1, max_length=limits.MAX_MATCH_VALUES)]


class UsageMatch(_Strict):
    """Which usage-report rows belong to a workload (any of the report's grouping fields).

    Each field is one value or a list of values; a row matches when every given field
    matches one of its values. Written by ``commitplan import``, read by ``commitplan track``.
    """

    workspace: MatchValues | None = None
    api_key: MatchValues | None = None
    model: MatchValues | None = None
    product: MatchValues | None = None

    @field_validator("workspace", "api_key", "model", "product", mode="before")
    @classmethod
    def _one_to_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _some_field(self) -> Self:
        # An empty match would claim every usage line for this workload.
        if all(getattr(self, f) is None for f in UsageMatch.model_fields):
            raise ValueError("names no field; give at least one of workspace, api_key, "
                             "model or product, e.g. {workspace: [wrkspc_nightly]}")
        return self


class Workload(_Strict):
    """One stream of Claude calls with one consumer.

    ``long_prompt_share`` is the share of requests whose prompt (input plus cache reads and
    writes) is above the model's long-prompt threshold, priced at the book's higher band;
    ``us_inference_share`` the share run with US-only inference, at the book's region
    multiplier.
    """

    name: Name
    requests_per_month: Requests | None = None
    tokens: Tokens | None = None
    monthly_tokens: Tokens | None = None
    waiting: Waiting
    acceptable_latency_minutes: Annotated[float, _NO_BOOL, Field(gt=0), _at_most(
        limits.MAX_LATENCY_MINUTES, "a year of minutes")] | None = None
    urgent_share: Share = 0.0
    current: LeverSet
    optimized: OptimizedLeverSet | None = None
    growth: Growth = Growth()
    starts_month: Whole = Field(1, ge=1, le=limits.MAX_HORIZON_MONTHS)
    ends_month: Whole | None = Field(None, ge=1, le=limits.MAX_ENDS_MONTH)
    launch_probability: Share = 1.0
    long_prompt_share: Share = 0.0
    us_inference_share: Share = 0.0
    usage_match: UsageMatch | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        problems: list[tuple[str, str]] = []
        per_request = self.requests_per_month is not None or self.tokens is not None
        if per_request and self.monthly_tokens is not None:
            problems.append((
                "monthly_tokens",
                "give either requests_per_month with tokens per request, or monthly_tokens, "
                "not both",
            ))
        elif self.monthly_tokens is None:
            if self.requests_per_month is None:
                problems.append((
                    "requests_per_month",
                    "missing; give requests_per_month with tokens per request, "
                    "or monthly_tokens",
                ))
            if self.tokens is None:
                problems.append(("tokens", "missing; give tokens per request "
                                 "{cacheable_prefix: ..., input: ..., output: ...}"))
        if self.tokens is not None:
            cap = limits.MAX_TOKENS_PER_REQUEST
            for part in ("cacheable_prefix", "input", "output"):
                value = getattr(self.tokens, part)
                if value > cap:
                    problems.append((f"tokens.{part}", (
                        f"is {value:g} tokens per request; above {cap:g} (ten times the "
                        "largest context window) it is surely a typo; for token totals a "
                        "month, use monthly_tokens")))
        if self.waiting == Waiting.GRAY and self.acceptable_latency_minutes is None:
            problems.append((
                "acceptable_latency_minutes",
                "a gray workload needs its acceptable latency in minutes (and urgent_share)",
            ))
        if self.waiting == Waiting.INTERACTIVE:
            if self.current.batch_share > 0:
                problems.append((
                    "current.batch_share",
                    f"is {self.current.batch_share:g} on an interactive workload; someone "
                    "waits on every result, so it must be 0 (or classify it async or gray)",
                ))
            if self.optimized is not None and (self.optimized.batch_share or 0) > 0:
                problems.append((
                    "optimized.batch_share",
                    f"is {self.optimized.batch_share:g} on an interactive workload; someone "
                    "waits on every result, so it must be 0 (or classify it async or gray)",
                ))
        if self.ends_month is not None and self.ends_month < self.starts_month:
            problems.append(("ends_month", f"is {self.ends_month}, before starts_month "
                             f"{self.starts_month}"))
        if self.optimized is not None:
            try:
                self.optimized.resolve(self.current)
            except ValidationError as exc:
                for line in validation_problems(exc):
                    sub, _, msg = line.partition(": ")
                    problems.append((f"optimized.{sub}" if msg else "optimized", msg or sub))
        if problems:
            raise _each(problems)
        return self

    # -- derived -----------------------------------------------------------------------
    @property
    def uses_monthly_tokens(self) -> bool:
        """True when volume is given as monthly token totals."""
        return self.monthly_tokens is not None

    @property
    def volume(self) -> float:
        """Units per month that growth applies to: requests, or 1 for monthly totals."""
        return 1.0 if self.monthly_tokens is not None else float(self.requests_per_month or 0)

    @property
    def token_counts(self) -> Tokens:
        """Tokens per volume unit (per request, or per month)."""
        tokens = self.monthly_tokens if self.monthly_tokens is not None else self.tokens
        assert tokens is not None
        return tokens

    @property
    def target(self) -> LeverSet:
        """The optimized lever set, fully resolved (equal to current when not given)."""
        return self.current if self.optimized is None else self.optimized.resolve(self.current)

    @property
    def lands_month(self) -> int:
        return 1 if self.optimized is None else self.optimized.lands_month

    @property
    def ramp_months(self) -> int:
        return 0 if self.optimized is None else self.optimized.ramp_months


# --------------------------------------------------------------------------- uncertainty
def _tiny_sd_is_zero(value: float) -> float:
    # A Beta's parameters grow as 1/sd^2: an sd of 1e-200 would overflow them, and any sd
    # this small is no spread at all.
    return 0.0 if value < limits.MIN_BETA_SD else value


BetaSd = Annotated[float, _NO_BOOL, Field(ge=0.0), AfterValidator(_tiny_sd_is_zero)]


def _beta_problem(mean: float, sd: float) -> str | None:
    """Why no Beta has this mean and sd (None when one does).

    The test is the one the draw makes: ``m (1 - m) / sd^2 - 1`` must be positive (docs/
    model.md, "Uncertainty"), so an sd that rounds onto the limit is refused too.
    """
    if sd == 0 or mean * (1.0 - mean) / (sd * sd) - 1.0 > 0:
        return None
    limit = math.sqrt(mean * (1.0 - mean))
    return (f"is {sd:g}; a Beta with mean {mean:g} needs sd below {limit:.4f} (and a mean "
            "below 1 to have any spread); an sd under 0.0001 counts as 0")


class _Beta(_Strict):
    """A Beta given by its ``mean`` and ``sd`` (fields of the subclass): refused when no Beta
    has them."""

    mean: float
    sd: float

    @model_validator(mode="after")
    def _beta_exists(self) -> Self:
        problem = _beta_problem(self.mean, self.sd)
        if problem:
            raise _at("sd", problem)
        return self


class Realization(_Beta):
    """Fraction of each planned lever change actually achieved, drawn from a Beta.

    An ``sd`` below 0.0001 is read as 0 (no spread).
    """

    mean: Annotated[float, _NO_BOOL, Field(gt=0.0, le=1.0)] = 1.0
    sd: BetaSd = 0.0


class Slip(_Strict):
    """Months a migration lands late: Poisson with this mean."""

    mean: Annotated[float, _NO_BOOL, Field(ge=0.0), _at_most(
        limits.MAX_SLIP_MONTHS, "two years late on average is not a plan")] = 0.0


class TokenDrift(_Strict):
    """Drift of tokens per request: a monthly rate drawn per path and workload."""

    monthly: Annotated[float, _NO_BOOL, _rate(*limits.TOKEN_DRIFT_RANGE,
                                              "a monthly token drift")] = 0.0
    volatility: Annotated[float, _NO_BOOL, _rate(0.0, limits.MAX_TOKEN_DRIFT_VOLATILITY,
                                                 "a monthly token volatility")] = 0.0


class PriceCutSize(_Beta):
    """Fraction by which list prices fall at a cut: a Beta with this mean and sd (an sd
    below 0.0001 is read as 0)."""

    mean: Annotated[float, _NO_BOOL, Field(gt=0.0, lt=1.0)] = 0.25
    sd: BetaSd = 0.0


class PriceCuts(_Strict):
    """List-price cuts: in any contract year, with ``annual_probability``, the list price of
    the models in use falls by a drawn fraction (a vendor cut, or a cheaper generation the
    team moves to). Spend in dollars falls with it, so a dollar commitment burns slower."""

    annual_probability: Share = 0.0
    size: PriceCutSize = PriceCutSize()


class Uncertainty(_Strict):
    """Spreads of the Monte Carlo simulation; all zero gives the deterministic projection."""

    shared_growth_volatility: Volatility = 0.0
    shared_growth_sd: GrowthSd = 0.0
    shared_fit_months: FitMonths = 0
    lever_realization: Realization = Realization()
    slip_months: Slip = Slip()
    walk_back_probability: Share = 0.0
    token_drift: TokenDrift = TokenDrift()
    price_cuts: PriceCuts = PriceCuts()


# --------------------------------------------------------------------------- contract
class SimulationSettings(_Strict):
    paths: Whole = Field(10_000, ge=1, le=100_000)
    seed: Whole = Field(0, ge=0, le=limits.MAX_SEED)


# --------------------------------------------------------------------------- scenario
class Scenario(_Strict):
    """A buyer's scenario: workloads, uncertainty and contract terms."""

    name: Name
    description: Text | None = None
    price_book: str = DEFAULT_PRICE_BOOK
    start: str = Field("2027-01", pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    horizon_months: Whole = Field(36, ge=12, le=limits.MAX_HORIZON_MONTHS)
    simulation: SimulationSettings = SimulationSettings()
    workloads: list[Workload] = Field(min_length=1)
    uncertainty: Uncertainty = Uncertainty()
    contract: Contract = Contract()
    offers: list[Offer] = Field(default_factory=list)
    negotiation: Negotiation = Negotiation()
    #: Usage as it happened, month by month (from an import): the vendor copy shows it.
    history: list[HistoryMonth] | None = Field(None, min_length=1,
                                               max_length=limits.MAX_HISTORY_MONTHS)
    #: The discount off list the buyer pays today (0.12 = 12% off), from a cost report's
    #: amount against its list amount; absent = 0 (list prices). A record of where a renewal
    #: starts from: it does not change the forecast, which is at list.
    current_discount: float | None = Field(None, ge=0.0, lt=1.0, allow_inf_nan=False)

    @field_validator("start", mode="before")
    @classmethod
    def _start_text(cls, value: Any) -> Any:
        # YAML reads 2027-01-01 as a date; accept it and keep the month.
        if isinstance(value, NotADate):
            raise ValueError(f"is {str(value)!r}, which is not a date ({value.reason}); give "
                             "the contract's first month as YYYY-MM, e.g. 2027-01")
        if hasattr(value, "year") and hasattr(value, "month"):
            return f"{value.year:04d}-{value.month:02d}"
        return value

    @field_validator("start")
    @classmethod
    def _start_year(cls, value: str) -> str:
        first, last = limits.START_YEARS
        if not first <= int(value[:4]) <= last:
            raise ValueError(f"is {value}; give a month from {first}-01 to {last}-12 "
                             "(YYYY-MM)")
        return value

    @model_validator(mode="after")
    def _check(self) -> Self:
        problems: list[tuple[str, str]] = []
        h = self.horizon_months
        seen: dict[str, int] = {}
        for i, w in enumerate(self.workloads):
            if w.name in seen:
                problems.append((f"workloads[{i}].name",
                                 f"{_show(w.name)} is used by workloads[{seen[w.name]}] too; "
                                 "names must be unique"))
            seen.setdefault(w.name, i)
            if w.optimized is not None and w.optimized.lands_month > h:
                problems.append((f"workloads[{i}].optimized.lands_month",
                                 f"is {w.optimized.lands_month}, past the {h}-month horizon"))
            if w.starts_month > h:
                problems.append((f"workloads[{i}].starts_month",
                                 f"is {w.starts_month}, past the {h}-month horizon"))
        if self.contract.years * 12 > h:
            problems.append(("contract.years",
                             f"{self.contract.years} years need a horizon of at least "
                             f"{self.contract.years * 12} months; horizon_months is {h}"))
        names: dict[str, int] = {}
        for i, offer in enumerate(self.offers):
            if offer.name in names:
                problems.append((f"offers[{i}].name", f"{_show(offer.name)} is used by "
                                 f"offers[{names[offer.name]}] too; names must be unique"))
            names.setdefault(offer.name, i)
            try:
                terms = offer.to_contract(self.contract)
            except ValidationError as exc:
                for line in validation_problems(exc):
                    sub, _, msg = line.partition(": ")
                    problems.append((f"offers[{i}].{sub}" if msg else f"offers[{i}]",
                                     msg or sub))
                continue
            if terms.years * 12 > h:
                problems.append((f"offers[{i}].years",
                                 f"{terms.years} years need a horizon of at least "
                                 f"{terms.years * 12} months; horizon_months is {h}"))
        months = [m.month for m in self.history or []]
        for i in range(1, len(months)):
            if months[i] <= months[i - 1]:
                problems.append((f"history[{i}].month",
                                 f"is {months[i]}, not after {months[i - 1]}; list each month "
                                 "once, oldest first"))
                break
        if problems:
            raise _each(problems)
        return self

    def model_ids(self) -> list[str]:
        """Every model named anywhere in the scenario, in first-seen order."""
        names: dict[str, None] = {}
        for w in self.workloads:
            for lever in (w.current, w.target):
                names.update(dict.fromkeys(lever.models))
            if w.token_counts.counted_on:
                names[w.token_counts.counted_on] = None
        return list(names)


# --------------------------------------------------------------------------- plain data
def _whole_floats_as_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_floats_as_int(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_floats_as_int(v) for v in value]
    return value


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data, with defaults written out and unset options left out;
    whole numbers are written without a decimal point (``2400000``, not ``2400000.0``)."""
    return _whole_floats_as_int(scenario.model_dump(mode="json", exclude_none=True))

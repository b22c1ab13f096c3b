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

import difflib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from forecast.errors import PlannerError, PriceBookError, ScenarioError
from forecast.pricebook import DEFAULT_PRICE_BOOK, PriceBook, load_price_book
from forecast.types import CacheTTL, Overage, Waiting

#: Batch turns around within 24 h, most within an hour: below this latency a workload
#: cannot batch.
MIN_BATCH_LATENCY_MINUTES = 60.0
_SHARE_TOLERANCE = 1e-6
_SUBFIELD = "\x00"  # separates a sub-field path from the message in model validators


def _at(field: str, message: str) -> ValueError:
    """A validation error about ``field`` below the model being validated."""
    return ValueError(f"{field}{_SUBFIELD}{message}")


Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


# --------------------------------------------------------------------------- workloads
class Tokens(_Strict):
    """Tokens per request (or per month, in ``monthly_tokens``) by class.

    ``counted_on`` names the model whose tokenizer counted them (default: the reference,
    pre-Opus-4.7 tokenizer); routing to a model with another tokenizer scales the volumes.
    """

    cacheable_prefix: NonNegative = 0.0
    input: NonNegative = 0.0
    output: NonNegative = 0.0
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
    lands_month: int = Field(1, ge=1)
    ramp_months: int = Field(0, ge=0)

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
    """

    monthly: float = Field(0.0, gt=-1.0)
    volatility: NonNegative = 0.0
    monthly_sd: NonNegative = 0.0


class UsageMatch(_Strict):
    """Which usage-report rows belong to a workload (any of the report's grouping fields).

    Each field is one value or a list of values; a row matches when every given field
    matches one of its values. Written by ``commitplan import``, read by ``commitplan track``.
    """

    workspace: list[str] | None = None
    api_key: list[str] | None = None
    model: list[str] | None = None
    product: list[str] | None = None

    @field_validator("workspace", "api_key", "model", "product", mode="before")
    @classmethod
    def _one_to_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Workload(_Strict):
    """One stream of Claude calls with one consumer.

    ``long_prompt_share`` is the share of requests whose prompt (input plus cache reads and
    writes) is above the model's long-prompt threshold, priced at the book's higher band;
    ``us_inference_share`` the share run with US-only inference, at the book's region
    multiplier.
    """

    name: str = Field(min_length=1)
    requests_per_month: NonNegative | None = None
    tokens: Tokens | None = None
    monthly_tokens: Tokens | None = None
    waiting: Waiting
    acceptable_latency_minutes: float | None = Field(None, gt=0)
    urgent_share: Share = 0.0
    current: LeverSet
    optimized: OptimizedLeverSet | None = None
    growth: Growth = Growth()
    starts_month: int = Field(1, ge=1)
    ends_month: int | None = Field(None, ge=1)
    launch_probability: Share = 1.0
    long_prompt_share: Share = 0.0
    us_inference_share: Share = 0.0
    usage_match: UsageMatch | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        per_request = self.requests_per_month is not None or self.tokens is not None
        if per_request and self.monthly_tokens is not None:
            raise _at(
                "monthly_tokens",
                "give either requests_per_month with tokens per request, or monthly_tokens, "
                "not both",
            )
        if self.monthly_tokens is None:
            if self.requests_per_month is None:
                raise _at(
                    "requests_per_month",
                    "missing; give requests_per_month with tokens per request, "
                    "or monthly_tokens",
                )
            if self.tokens is None:
                raise _at("tokens", "missing; give tokens per request "
                          "{cacheable_prefix: ..., input: ..., output: ...}")
        if self.waiting == Waiting.GRAY and self.acceptable_latency_minutes is None:
            raise _at(
                "acceptable_latency_minutes",
                "a gray workload needs its acceptable latency in minutes (and urgent_share)",
            )
        if self.waiting == Waiting.INTERACTIVE:
            if self.current.batch_share > 0:
                raise _at(
                    "current.batch_share",
                    f"is {self.current.batch_share:g} on an interactive workload; someone waits "
                    "on every result, so it must be 0 (or classify it async or gray)",
                )
            if self.optimized is not None and (self.optimized.batch_share or 0) > 0:
                raise _at(
                    "optimized.batch_share",
                    f"is {self.optimized.batch_share:g} on an interactive workload; someone "
                    "waits on every result, so it must be 0 (or classify it async or gray)",
                )
        if self.ends_month is not None and self.ends_month < self.starts_month:
            raise _at("ends_month", f"is {self.ends_month}, before starts_month "
                      f"{self.starts_month}")
        if self.optimized is not None:
            try:
                self.optimized.resolve(self.current)
            except ValidationError as exc:
                sub, _, msg = _first_message(exc).partition(": ")
                raise _at(f"optimized.{sub}" if msg else "optimized", msg or sub) from None
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
class Realization(_Strict):
    """Fraction of each planned lever change actually achieved, drawn from a Beta."""

    mean: float = Field(1.0, gt=0.0, le=1.0)
    sd: NonNegative = 0.0

    @model_validator(mode="after")
    def _beta_exists(self) -> Self:
        if self.sd > 0:
            limit = math.sqrt(self.mean * (1.0 - self.mean))
            if self.sd >= limit:
                raise _at(
                    "sd",
                    f"is {self.sd:g}; a Beta with mean {self.mean:g} needs sd below "
                    f"{limit:.3f} (and a mean below 1 to have any spread)",
                )
        return self


class Slip(_Strict):
    """Months a migration lands late: Poisson with this mean."""

    mean: NonNegative = 0.0


class TokenDrift(_Strict):
    """Drift of tokens per request: a monthly rate drawn per path and workload."""

    monthly: float = Field(0.0, gt=-1.0)
    volatility: NonNegative = 0.0


class PriceCutSize(_Strict):
    """Fraction by which list prices fall at a cut: a Beta with this mean and sd."""

    mean: float = Field(0.25, gt=0.0, lt=1.0)
    sd: NonNegative = 0.0

    @model_validator(mode="after")
    def _beta_exists(self) -> Self:
        if self.sd > 0:
            limit = math.sqrt(self.mean * (1.0 - self.mean))
            if self.sd >= limit:
                raise _at("sd", f"is {self.sd:g}; a Beta with mean {self.mean:g} needs sd "
                          f"below {limit:.3f}")
        return self


class PriceCuts(_Strict):
    """List-price cuts: in any contract year, with ``annual_probability``, the list price of
    the models in use falls by a drawn fraction (a vendor cut, or a cheaper generation the
    team moves to). Spend in dollars falls with it, so a dollar commitment burns slower."""

    annual_probability: Share = 0.0
    size: PriceCutSize = PriceCutSize()


class Uncertainty(_Strict):
    """Spreads of the Monte Carlo simulation; all zero gives the deterministic projection."""

    shared_growth_volatility: NonNegative = 0.0
    lever_realization: Realization = Realization()
    slip_months: Slip = Slip()
    walk_back_probability: Share = 0.0
    token_drift: TokenDrift = TokenDrift()
    price_cuts: PriceCuts = PriceCuts()


# --------------------------------------------------------------------------- contract
class DiscountTier(_Strict):
    """Commit at least ``min_annual_commit`` a year, earn ``discount`` on all usage."""

    min_annual_commit: NonNegative
    discount: float = Field(ge=0.0, lt=1.0)


class RiskAppetite(_Strict):
    """The buyer's tolerance for a shortfall (some contract year below the commitment).

    A commitment whose shortfall probability is above ``max_shortfall_probability`` is
    amber; above ``red_shortfall_probability`` (default: twice the appetite) it is red.
    """

    max_shortfall_probability: float = Field(0.10, gt=0.0, lt=1.0)
    red_shortfall_probability: float | None = Field(None, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        red = self.red_shortfall_probability
        if red is not None and red < self.max_shortfall_probability:
            raise _at("red_shortfall_probability",
                      f"is {red:g}, below max_shortfall_probability "
                      f"{self.max_shortfall_probability:g}; red must be the higher line")
        return self

    @property
    def red_line(self) -> float:
        """Shortfall probability above which a commitment is red."""
        red = self.red_shortfall_probability
        return min(1.0, 2.0 * self.max_shortfall_probability) if red is None else red


class StrandedThresholds(_Strict):
    """Stranded share of gross savings above which the flag turns amber / red."""

    amber: Share = 0.10
    red: Share = 0.25

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.amber > self.red:
            raise _at("amber", f"is {self.amber:g}, above red {self.red:g}; amber must be lower")
        return self


class Contract(_Strict):
    """Contract terms. ``commitments`` is one amount a year (flat) or one per year (ramp);
    leave it out to get a recommendation only. With ``commitments`` given, the contract is
    the signed one that ``commitplan track`` follows from the scenario's ``start``.

    ``shortfall_credit`` is the share of each year's unused commitment the vendor credits
    back; ``price_protection`` makes the commitment fall with list prices (it matters only
    when ``uncertainty.price_cuts`` can happen); ``id`` names the contract in exports.
    """

    years: int = Field(1, ge=1, le=5)
    commitments: list[NonNegative] | None = None
    discount_tiers: list[DiscountTier] = Field(default_factory=list)
    overage: Overage = Overage.DISCOUNTED
    rollover: Share = 0.0
    shortfall_credit: Share = 0.0
    price_protection: bool = False
    id: str | None = None
    risk_appetite: RiskAppetite = RiskAppetite()
    stranded_thresholds: StrandedThresholds = StrandedThresholds()

    @field_validator("commitments", mode="before")
    @classmethod
    def _flat_to_list(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return [value]
        return value

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.commitments is not None:
            n = len(self.commitments)
            if n == 0:
                raise _at("commitments", "is empty; give one amount, or one per contract year")
            if n > self.years:
                raise _at(
                    "commitments",
                    f"ramp has {n} years, longer than the {self.years}-year term; give one "
                    f"amount, or {self.years}",
                )
            if 1 < n < self.years:
                raise _at(
                    "commitments",
                    f"ramp has {n} years for a {self.years}-year term; give one amount, "
                    f"or {self.years}",
                )
        for i in range(1, len(self.discount_tiers)):
            prev, tier = self.discount_tiers[i - 1], self.discount_tiers[i]
            if tier.min_annual_commit <= prev.min_annual_commit:
                raise _at(
                    f"discount_tiers[{i}].min_annual_commit",
                    f"is {tier.min_annual_commit:,.0f}, not above the tier before it "
                    f"({prev.min_annual_commit:,.0f}); list tiers in increasing order",
                )
            if tier.discount < prev.discount:
                raise _at(
                    f"discount_tiers[{i}].discount",
                    f"is {tier.discount:g}, below the smaller tier's {prev.discount:g}; a "
                    "bigger commitment must not earn a smaller discount",
                )
        return self

    def commitment_per_year(self) -> list[float] | None:
        """The named commitment as one amount per contract year, or None."""
        if self.commitments is None:
            return None
        if len(self.commitments) == 1:
            return self.commitments * self.years
        return list(self.commitments)


class Offer(_Strict):
    """A contract proposed by either side, compared with the others on the same paths.

    A term left out is the scenario's ``contract`` term, except ``commitments``: an offer
    without them leaves the amount to the buyer. ``discount`` is one discount for
    any commitment at or above the offer's smallest yearly commitment (give ``commitments``
    with it) and stands in for ``discount_tiers``; without ``commitments`` the buyer chooses
    the commitment and the planner picks the best within the appetite.
    """

    name: str = Field(min_length=1)
    discount: float | None = Field(None, ge=0.0, lt=1.0)
    discount_tiers: list[DiscountTier] | None = None
    commitments: list[NonNegative] | None = None
    overage: Overage | None = None
    rollover: Share | None = None
    years: int | None = Field(None, ge=1, le=5)
    shortfall_credit: Share | None = None
    price_protection: bool | None = None

    @field_validator("commitments", mode="before")
    @classmethod
    def _flat_to_list(cls, value: Any) -> Any:
        return Contract._flat_to_list(value)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.discount is not None and self.discount_tiers is not None:
            raise _at("discount", "give one discount or discount_tiers, not both")
        if self.discount is not None and self.commitments is None:
            raise _at("commitments", "one discount needs the commitment it is offered for; "
                      "give commitments, or discount_tiers with their minimums")
        return self

    def to_contract(self, base: Contract) -> Contract:
        """The offer's full terms: its own, and ``base``'s where it says nothing."""
        update: dict[str, Any] = {"commitments": self.commitments}
        for field in ("overage", "rollover", "years", "shortfall_credit",
                      "price_protection"):
            value = getattr(self, field)
            if value is not None:
                update[field] = value
        if self.discount_tiers is not None:
            update["discount_tiers"] = self.discount_tiers
        elif self.discount is not None:
            assert self.commitments is not None
            update["discount_tiers"] = [DiscountTier(min_annual_commit=min(self.commitments),
                                                     discount=self.discount)]
        data = base.model_dump() | {k: v for k, v in update.items()}
        data["discount_tiers"] = [t.model_dump() if isinstance(t, DiscountTier) else t
                                  for t in data["discount_tiers"]]
        return Contract.model_validate(data)


class SimulationSettings(_Strict):
    paths: int = Field(10_000, ge=1, le=100_000)
    seed: int = Field(0, ge=0)


# --------------------------------------------------------------------------- scenario
class Scenario(_Strict):
    """A buyer's scenario: workloads, uncertainty and contract terms."""

    name: str = Field(min_length=1)
    description: str | None = None
    price_book: str = DEFAULT_PRICE_BOOK
    start: str = Field("2027-01", pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    horizon_months: int = Field(36, ge=12, le=60)
    simulation: SimulationSettings = SimulationSettings()
    workloads: list[Workload] = Field(min_length=1)
    uncertainty: Uncertainty = Uncertainty()
    contract: Contract = Contract()
    offers: list[Offer] = Field(default_factory=list)

    @field_validator("start", mode="before")
    @classmethod
    def _start_text(cls, value: Any) -> Any:
        # YAML reads 2027-01-01 as a date; accept it and keep the month.
        if hasattr(value, "year") and hasattr(value, "month"):
            return f"{value.year:04d}-{value.month:02d}"
        return value

    @model_validator(mode="after")
    def _check(self) -> Self:
        seen: dict[str, int] = {}
        for i, w in enumerate(self.workloads):
            if w.name in seen:
                raise _at(f"workloads[{i}].name",
                          f"{w.name!r} is used by workloads[{seen[w.name]}] too; names must "
                          "be unique")
            seen[w.name] = i
            h = self.horizon_months
            if w.optimized is not None and w.optimized.lands_month > h:
                raise _at(f"workloads[{i}].optimized.lands_month",
                          f"is {w.optimized.lands_month}, past the {h}-month horizon")
            if w.starts_month > h:
                raise _at(f"workloads[{i}].starts_month",
                          f"is {w.starts_month}, past the {h}-month horizon")
        if self.contract.years * 12 > self.horizon_months:
            raise _at("contract.years",
                      f"{self.contract.years} years need a horizon of at least "
                      f"{self.contract.years * 12} months; horizon_months is "
                      f"{self.horizon_months}")
        names: dict[str, int] = {}
        for i, offer in enumerate(self.offers):
            if offer.name in names:
                raise _at(f"offers[{i}].name", f"{offer.name!r} is used by "
                          f"offers[{names[offer.name]}] too; names must be unique")
            names[offer.name] = i
            try:
                terms = offer.to_contract(self.contract)
            except ValidationError as exc:
                sub, _, msg = _first_message(exc).partition(": ")
                raise _at(f"offers[{i}].{sub}" if msg else f"offers[{i}]", msg or sub) from None
            if terms.years * 12 > self.horizon_months:
                raise _at(f"offers[{i}].years",
                          f"{terms.years} years need a horizon of at least {terms.years * 12} "
                          f"months; horizon_months is {self.horizon_months}")
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


# --------------------------------------------------------------------------- messages
def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _format_error(err: dict[str, Any]) -> str:
    loc = tuple(err["loc"])
    msg: str = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if _SUBFIELD in msg:
        sub, msg = msg.split(_SUBFIELD, 1)
        loc = loc + tuple(_split_path(sub))
    kind = err["type"]
    if kind == "extra_forbidden":
        field = loc[-1]
        return f"{_path(loc)}: unknown field {field!r}; check its spelling (see the README)"
    if kind == "missing":
        return f"{_path(loc)}: missing; this field is required"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        msg = f"is {err.get('input')!r}; {msg[0].lower()}{msg[1:]}"
    elif kind == "enum":
        msg = f"is {err.get('input')!r}; {msg[0].lower()}{msg[1:]}"
    path = _path(loc)
    return f"{path}: {msg}" if path else msg


def _split_path(text: str) -> list[str | int]:
    parts: list[str | int] = []
    for chunk in text.split("."):
        name, *indices = chunk.replace("]", "").split("[")
        if name:
            parts.append(name)
        parts.extend(int(i) for i in indices)
    return parts


def _first_message(exc: ValidationError) -> str:
    return _format_error(exc.errors()[0])


def validation_problems(exc: ValidationError) -> list[str]:
    """One readable line per pydantic error, each led by its field path."""
    return [_format_error(e) for e in exc.errors()]


# --------------------------------------------------------------------------- load / save
def parse_scenario(data: Any, source: str | None = None, base_dir: Path | None = None
                   ) -> Scenario:
    """Validate a scenario mapping, including its price book and model names.

    Raises
    ------
    ScenarioError
        With one problem per line, each naming the field.
    """
    if not isinstance(data, dict):
        raise ScenarioError(["the file must hold a mapping (name:, workloads:, ...), "
                             f"not {type(data).__name__}"], source)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc), source) from None
    problems = check_against_price_book(scenario, base_dir)
    if problems:
        raise ScenarioError(problems, source)
    return scenario


def check_against_price_book(scenario: Scenario, base_dir: Path | None = None) -> list[str]:
    """Problems with the scenario's price book or model names (empty when none)."""
    try:
        book = load_price_book(scenario.price_book, base_dir)
    except PriceBookError as exc:
        return [f"price_book: {exc}"]
    problems = []
    known = ", ".join(book.model_ids)
    for i, w in enumerate(scenario.workloads):
        for part, lever in (("current", w.current), ("optimized", w.optimized)):
            for model in (lever.models or {}) if lever is not None else {}:
                if model not in book.models:
                    close = difflib.get_close_matches(model, book.model_ids, n=1)
                    hint = f"did you mean {close[0]!r}? " if close else ""
                    problems.append(
                        f"workloads[{i}].{part}.models: unknown model {model!r} in price book "
                        f"{book.id!r}; {hint}known models: {known}"
                    )
        counted_on = w.token_counts.counted_on
        if counted_on and counted_on not in book.models:
            field = "monthly_tokens" if w.uses_monthly_tokens else "tokens"
            problems.append(f"workloads[{i}].{field}.counted_on: unknown model {counted_on!r}; "
                            f"known models: {known}")
    return problems


def read_scenario_text(text: str, source: str = "<scenario>", base_dir: Path | None = None
                       ) -> Scenario:
    """Parse YAML or JSON text (JSON is YAML) into a validated scenario."""
    if not text.strip():
        raise ScenarioError(["the file is empty; a scenario needs at least name and workloads"],
                            source)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([f"{where}not valid YAML/JSON ({problem})"], source) from None
    return parse_scenario(data, source, base_dir)


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file (``.yaml``, ``.yml`` or ``.json``).

    A relative ``price_book`` path is resolved against the scenario's folder.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(["no such file"], str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"cannot read the file ({exc})"], str(path)) from None
    return read_scenario_text(text, str(path), path.parent)


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


def dump_scenario(scenario: Scenario, fmt: str = "yaml") -> str:
    """Serialise to YAML (default) or JSON text; loading it gives back an equal scenario."""
    data = scenario_to_dict(scenario)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def atomic_write(path: str | Path, payload: str | bytes) -> None:
    """Write a file all at once: a temporary file beside it, then a rename.

    A failure leaves the destination as it was, never half-written.
    """
    path = Path(path)
    mode = "wb" if isinstance(payload, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_scenario(scenario: Scenario, path: str | Path) -> None:
    """Save as YAML, or JSON when the path ends in ``.json``; written atomically."""
    path = Path(path)
    fmt = "json" if path.suffix.lower() == ".json" else "yaml"
    try:
        atomic_write(path, dump_scenario(scenario, fmt))
    except OSError as exc:
        raise PlannerError(f"{path}: cannot write the scenario ({exc.strerror or exc})") from None


def scenario_price_book(scenario: Scenario, base_dir: Path | None = None) -> PriceBook:
    """The price book a validated scenario names."""
    return load_price_book(scenario.price_book, base_dir)

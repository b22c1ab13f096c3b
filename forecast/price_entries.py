"""A price book's entries: one model's prices (latest, earlier, fast mode, retirement, the
sources of its figures), the prices of each token class, and the bounds every figure is
checked against (docs/model.md, "The price book"; docs/prices.md). The book that holds them
and loads them is :mod:`forecast.pricebook`, which re-exports these names.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Self

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from forecast.types import CacheTTL, FloatArray

_DATE_SUFFIX = re.compile(r"-\d{8}$")
_CONTEXT_SUFFIX = re.compile(r"\[\d+[km]\]$")  # claude-sonnet-5-5[1m]: the 1M-context variant

#: Highest accepted price, USD per million tokens. The dearest list price is $75 (output of
#: the Opus 4 and 4.1 generation); a figure above $1,000 is surely a typo.
MAX_PRICE = 1_000.0
#: Highest accepted multiplier (cache writes are 1.25x and 2x, US inference 1.1x).
MAX_MULTIPLIER = 10.0
#: Highest accepted long-prompt threshold, in prompt tokens (context windows are up to 1M).
MAX_THRESHOLD = 10_000_000
#: Largest price-book file read, in bytes (the bundled one is about 10 kB).
MAX_BOOK_BYTES = 1_000_000

Price = Annotated[float, Field(ge=0.0, le=MAX_PRICE, allow_inf_nan=False)]
Multiplier = Annotated[float, Field(gt=0.0, le=MAX_MULTIPLIER, allow_inf_nan=False)]
ReadMultiplier = Annotated[float, Field(ge=0.0, le=MAX_MULTIPLIER, allow_inf_nan=False)]


class Speed(StrEnum):
    """Output speed of a request (the usage report's ``speed``)."""

    STANDARD = "standard"
    FAST = "fast"


class InferenceGeo(StrEnum):
    """Where inference runs (the usage report's ``inference_geo``)."""

    GLOBAL = "global"
    US = "us"


#: Token classes in the order of :class:`TokenPrices` and of the usage import.
TOKEN_CLASSES: tuple[str, ...] = (
    "uncached_input", "cache_write_5m", "cache_write_1h", "cache_read", "output",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class CacheMultipliers(_Frozen):
    """Cache prices as multipliers of the input price."""

    write_5m: Multiplier = 1.25
    write_1h: Multiplier = 2.0
    read: ReadMultiplier = 0.1


class LongPromptBand(_Frozen):
    """Prices of a request whose prompt is above ``threshold`` tokens (every token of it).

    ``cache_write_5m``, ``cache_write_1h`` and ``cache_read`` are multipliers of the band's
    ``input``; left out, they are the model's.
    """

    threshold: int = Field(ge=1, le=MAX_THRESHOLD)
    input: Price
    output: Price
    cache_write_5m: Multiplier | None = None
    cache_write_1h: Multiplier | None = None
    cache_read: ReadMultiplier | None = None


class FastMode(_Frozen):
    """Fast output speed: every token class at ``multiplier`` times the standard price,
    offered from ``since`` (open when absent) until ``until`` (exclusive; the removal day)."""

    multiplier: Multiplier
    since: dt.date | None = None
    until: dt.date | None = None

    @model_validator(mode="after")
    def _dates_order(self) -> Self:
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise ValueError(f"until: {self.until} is not after since {self.since}")
        return self

    def offered(self, day: dt.date | None) -> bool:
        """Whether fast mode is offered on ``day`` (``None``: today, the forecast's day: a
        fast mode with a removal date is then taken as removed)."""
        if day is None:
            return self.until is None
        return (self.since is None or day >= self.since) and (
            self.until is None or day < self.until)


#: What a source may vouch for: the fields of a model's entry.
SOURCED_FIELDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read",
                  "long_prompt", "inference_geo", "tokenizer_factor", "fast", "retires",
                  "successor", "before", "batch_discount", "cache_multipliers", "currency")


class Source(_Frozen):
    """Where some of a model's figures come from: the page, and whether it is the vendor's.

    ``verified: false`` marks figures found only in secondary sources (resellers, release
    notes of third-party tools): ``commitplan prices --unverified`` lists them.
    """

    fields: tuple[str, ...] = Field(min_length=1)
    url: str = Field(min_length=1, max_length=500)
    verified: bool = True
    note: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _known_fields(self) -> Self:
        bad = [f for f in self.fields if f not in SOURCED_FIELDS]
        if bad:
            raise ValueError(f"fields: {', '.join(map(repr, bad))} is not a price-book field; "
                             f"one of {', '.join(SOURCED_FIELDS)}")
        return self


#: Fields of a model's entry that may change on a date.
_DATED_FIELDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read",
                 "long_prompt", "inference_geo")


class EarlierPrices(_Frozen):
    """Prices in force before ``until``: only the fields that differ from the next entry.

    ``long_prompt: null`` says the model had no band then (a band added later).
    """

    until: dt.date
    input: Price | None = None
    output: Price | None = None
    cache_write_5m: Multiplier | None = None
    cache_write_1h: Multiplier | None = None
    cache_read: ReadMultiplier | None = None
    long_prompt: LongPromptBand | None = None
    inference_geo: dict[InferenceGeo, Multiplier] | None = None


class ModelPrice(_Frozen):
    """One model's latest list prices in USD per million tokens, and its earlier entries.

    ``cache_write_5m``, ``cache_write_1h`` and ``cache_read`` are multipliers of ``input``
    that override the book's defaults for this model.
    """

    display_name: str | None = None
    input: Price
    output: Price
    cache_write_5m: Multiplier | None = None
    cache_write_1h: Multiplier | None = None
    cache_read: ReadMultiplier | None = None
    long_prompt: LongPromptBand | None = None
    inference_geo: dict[InferenceGeo, Multiplier] = Field(default_factory=dict)
    tokenizer_factor: float = Field(1.0, gt=0, le=MAX_MULTIPLIER, allow_inf_nan=False)
    aliases: tuple[str, ...] = ()
    before: tuple[EarlierPrices, ...] = ()
    fast: FastMode | None = None
    retires: dt.date | None = None
    successor: str | None = None
    sources: tuple[Source, ...] = ()

    @model_validator(mode="after")
    def _dates_increase(self) -> Self:
        if self.successor is not None and self.retires is None:
            raise ValueError("successor: given without retires; a successor takes over on "
                             "the model's retirement date")
        dates = [b.until for b in self.before]
        for i in range(1, len(dates)):
            if dates[i] <= dates[i - 1]:
                raise ValueError(f"before[{i}].until: {dates[i]} is not after "
                                 f"before[{i - 1}].until {dates[i - 1]}; list earlier entries "
                                 "oldest first")
        return self

    def on(self, day: dt.date | None) -> ModelPrice:
        """The entry in force on ``day`` (the latest for ``None``), without ``before``."""
        if day is None or not self.before:
            return self if not self.before else self.model_copy(update={"before": ()})
        update: dict[str, Any] = {"before": ()}
        for earlier in reversed(self.before):  # newest first: the oldest applicable wins
            if day >= earlier.until:
                break
            for name in earlier.model_fields_set & set(_DATED_FIELDS):
                update[name] = getattr(earlier, name)
        if update.get("inference_geo", {}) is None:
            update["inference_geo"] = {}
        return self.model_copy(update=update)

    @property
    def change_dates(self) -> list[dt.date]:
        """Dates on which this model's prices changed (fast mode's start and removal
        included), oldest first."""
        dates = {b.until for b in self.before}
        if self.fast is not None:
            dates |= {d for d in (self.fast.since, self.fast.until) if d is not None}
        return sorted(dates)

    def fast_multiplier(self, day: dt.date | None) -> float | None:
        """Fast mode's multiplier on ``day`` (``None``: today); ``None`` when not offered."""
        if self.fast is None or not self.fast.offered(day):
            return None
        return self.fast.multiplier


@dataclass(frozen=True)
class TokenPrices:
    """List price of each token class, USD per million tokens, before the batch discount.

    The region multiplier is included; cache prices are the multipliers times the input
    price of the band in force.
    """

    uncached_input: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float
    output: float

    def as_array(self) -> FloatArray:
        """ndarray of shape (5,), in the order of :data:`TOKEN_CLASSES`."""
        return np.array([getattr(self, c) for c in TOKEN_CLASSES])

    def cache_write(self, ttl: CacheTTL) -> float:
        """Write price for a TTL (the input price for ``none``: plain input)."""
        if ttl == CacheTTL.FIVE_MINUTES:
            return self.cache_write_5m
        if ttl == CacheTTL.ONE_HOUR:
            return self.cache_write_1h
        return self.uncached_input

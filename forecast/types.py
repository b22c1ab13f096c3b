"""Enums and type aliases shared across the library, kept in one place."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]


class Waiting(StrEnum):
    """The waiting test: is someone waiting on the result the instant it is produced?"""

    INTERACTIVE = "interactive"
    ASYNC = "async"
    GRAY = "gray"


class GrowthModel(StrEnum):
    """How a workload's volume moves around its growth (docs/model.md, "Forecasting from
    history"): a random walk with drift, whose shocks add up, or noise around a trend,
    whose monthly noise does not."""

    RANDOM_WALK = "random_walk"
    TREND_NOISE = "trend_noise"


class CacheTTL(StrEnum):
    """Prompt-cache lifetime of a lever set; ``none`` bills the prefix as plain input."""

    NONE = "none"
    FIVE_MINUTES = "5m"
    ONE_HOUR = "1h"


class WalkAwayBound(StrEnum):
    """What stops the walk-away commitment under an offer from being larger."""

    PAYG = "payg"  # a bigger one costs more than paying as you go in expectation
    APPETITE = "appetite"  # a bigger one falls short too often
    NONE = "none"  # no commitment above $0 beats paying as you go


class Overage(StrEnum):
    """How usage beyond the commitment is billed."""

    DISCOUNTED = "discounted"
    LIST = "list"


class Lever(StrEnum):
    """The three optimization levers; they multiply, they do not add."""

    ROUTING = "routing"
    CACHING = "caching"
    BATCH = "batch"


class FlagLevel(StrEnum):
    """Traffic-light level of a flag."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


LEVERS: tuple[Lever, ...] = (Lever.ROUTING, Lever.CACHING, Lever.BATCH)


class CommitmentKind(StrEnum):
    """What a tabled commitment is: its identity in code, JSON and pages.

    The words a page shows for it come from :data:`COMMITMENT_LABELS`; nothing matches on
    those words.
    """

    RECOMMENDED = "recommended"
    RISK_NEUTRAL = "risk_neutral"
    RISK_BOUNDED = "risk_bounded"
    RAMP = "ramp"
    SAFE_FROM_STRANDING = "safe_from_stranding"
    UNOPTIMIZED_FORECAST = "unoptimized_forecast"
    RUN_RATE = "run_rate"
    SCENARIO = "scenario"
    NAMED = "named"
    GRID = "grid"
    PAY_AS_YOU_GO = "pay_as_you_go"


COMMITMENT_LABELS: dict[CommitmentKind, str] = {
    CommitmentKind.RECOMMENDED: "recommended",
    CommitmentKind.RISK_NEUTRAL: "risk-neutral",
    CommitmentKind.RISK_BOUNDED: "risk-bounded",
    CommitmentKind.RAMP: "best ramp",
    CommitmentKind.SAFE_FROM_STRANDING: "largest under the amber stranding line",
    CommitmentKind.UNOPTIMIZED_FORECAST: "sized on the unoptimized forecast",
    CommitmentKind.RUN_RATE: "today's run rate x 12",
    CommitmentKind.SCENARIO: "your commitment",
    CommitmentKind.NAMED: "--commit",
    CommitmentKind.GRID: "",
    CommitmentKind.PAY_AS_YOU_GO: "pay as you go",
}


class Risk(StrEnum):
    """A risk that can colour a commitment (its colour is the worst of them)."""

    STRANDING = "stranding"
    SHORTFALL = "shortfall"
    NO_DISCOUNT = "no_discount"
    EXTRA_COST = "extra_cost"
    UNUSED = "unused"


class FlagKind(StrEnum):
    """What a finding is about."""

    STRANDED_SAVINGS = "stranded_savings"
    SHORTFALL = "shortfall"
    NO_DISCOUNT = "no_discount"
    WALK_BACK = "walk_back"
    TIER_MISS = "tier_miss"
    BEATEN = "beaten"
    CACHING_BREAK_EVEN = "caching_break_even"
    WAITING_TEST = "waiting_test"
    MODEL_RETIRES = "model_retires"


def worst(levels: Iterable[FlagLevel]) -> FlagLevel:
    """The worst of some levels (green when there are none)."""
    order = (FlagLevel.GREEN, FlagLevel.AMBER, FlagLevel.RED)
    return max(levels, key=order.index, default=FlagLevel.GREEN)


class Audience(StrEnum):
    """Who a report is for: the buyer's own copy, or the copy handed to the vendor."""

    INTERNAL = "internal"
    VENDOR = "vendor"

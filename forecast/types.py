"""Enums and type aliases shared across the library, kept in one place."""

from __future__ import annotations

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


class CacheTTL(StrEnum):
    """Prompt-cache lifetime of a lever set; ``none`` bills the prefix as plain input."""

    NONE = "none"
    FIVE_MINUTES = "5m"
    ONE_HOUR = "1h"


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

"""One serializer for the result objects: a dataclass's fields, in the order they are
declared, as plain data (``to_dict``), so that a result's JSON never drifts from its fields.

Values: an enum as its value, a numpy array as a list, a nested result through its own
``to_dict``, tuples and lists as lists, mappings with their values converted; anything else
(numbers, strings, None) as it is.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

import numpy as np


def plain(value: Any) -> Any:
    """``value`` as plain data (see the module docstring)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, np.ndarray):
        return value.tolist()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        to_dict = getattr(value, "to_dict", None)
        return to_dict() if callable(to_dict) else as_dict(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def as_dict(result: Any) -> dict[str, Any]:
    """A dataclass instance's fields as plain data, in declaration order."""
    return {f.name: plain(getattr(result, f.name)) for f in dataclasses.fields(result)}


class Serializable:
    """Mixin for a result dataclass: ``to_dict`` from its fields (:func:`as_dict`)."""

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)

"""Which usage is whose: every usage line matched to the workloads whose ``usage_match`` it
satisfies, and the grouping values the usage carries, for a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import PlannerError
from forecast.pricebook import PriceBook
from forecast.scenario import Scenario, Workload
from forecast.usage.importer import DEFAULT_WORKSPACE, NO_API_KEY, NO_PRODUCT

#: Grouping fields a ``usage_match`` may name, and what stands for a line without one (as
#: ``commitplan import`` names its groups).
MATCH_FIELDS = ("workspace", "api_key", "model", "product")
_MISSING = {"workspace": DEFAULT_WORKSPACE, "api_key": NO_API_KEY, "product": NO_PRODUCT}


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


def _match_text(w: Workload) -> str:
    match = w.usage_match
    assert match is not None
    return ", ".join(f"{name}: {', '.join(getattr(match, name))}" for name in MATCH_FIELDS
                     if getattr(match, name) is not None)

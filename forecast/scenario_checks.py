"""A scenario against its price book: the book and the model names it uses, and each
workload's expected list spend (which needs the cost formula, one floor above the schema).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Any

import numpy as np

from forecast import limits
from forecast.cost import corner_costs_by_month
from forecast.errors import PriceBookError
from forecast.pricebook import (
    DEFAULT_PRICE_BOOK,
    PriceBook,
    bundled_price_book_ids,
    load_price_book,
)
from forecast.scenario import Scenario, scenario_to_dict
from forecast.scenario_messages import _show
from forecast.timeline import expected_volume, month_labels


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _price_book_problems(data: dict[str, Any], base_dir: Path | None,
                         allow_book_paths: bool) -> tuple[PriceBook | None, list[str]]:
    """The scenario's price book and the problems with it and with the model names.

    Works on the raw mapping, so that a file with schema errors still hears about its
    unknown models in the same run.
    """
    ref = data.get("price_book", DEFAULT_PRICE_BOOK)
    if not isinstance(ref, str):
        return None, []  # the schema says what is wrong with it
    if not allow_book_paths and ref not in bundled_price_book_ids():
        return None, [f"price_book: is {_show(ref)}; uploaded scenarios may use bundled price "
                      f"books only: {', '.join(bundled_price_book_ids())}"]
    try:
        book = load_price_book(ref, base_dir)
    except PriceBookError as exc:
        return None, [f"price_book: {exc}"]
    problems = []
    known = ", ".join(book.model_ids)
    workloads = data.get("workloads")
    for i, w in enumerate(workloads if isinstance(workloads, list) else []):
        w = _mapping(w)
        current = _mapping(_mapping(w.get("current")).get("models"))
        for part in ("current", "optimized"):
            for model in _mapping(_mapping(w.get(part)).get("models")):
                if part == "optimized" and isinstance(model, str) and model in book.models \
                        and model not in current:  # kept where it is: moved with a warning
                    retired = _retired_by_start(book, model, data.get("start"))
                    if retired:
                        problems.append(f"workloads[{i}].optimized.models: {retired}")
                if isinstance(model, str) and model not in book.models:
                    close = difflib.get_close_matches(model, book.model_ids, n=1)
                    hint = f"did you mean {close[0]!r}? " if close else ""
                    problems.append(
                        f"workloads[{i}].{part}.models: unknown model {_show(model)} in price "
                        f"book {book.id!r}; {hint}known models: {known}"
                    )
        for field in ("tokens", "monthly_tokens"):
            counted_on = _mapping(w.get(field)).get("counted_on")
            if isinstance(counted_on, str) and counted_on not in book.models:
                problems.append(f"workloads[{i}].{field}.counted_on: unknown model "
                                f"{_show(counted_on)}; known models: {known}")
    return book, problems


def _retired_by_start(book: PriceBook, model: str, start: Any) -> str | None:
    """Why a plan cannot move traffic onto ``model``: it retires on or before the first day
    of the scenario's start month (``None`` when it does not). Traffic already on it (the
    current mix) is moved to the successor by the forecast, with a warning."""
    if not isinstance(start, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", start):
        start = Scenario.model_fields["start"].default
    first = dt.date(int(start[:4]), int(start[5:7]), 1)
    moved = book.successor_on(model, first)
    if moved == model:
        return None
    retires = book.models[model].retires
    return (f"{model!r} retires on {retires}, before this plan's start {start}: a plan "
            f"cannot move traffic onto it; route to its successor {moved!r}")


def _spend_problems(scenario: Scenario, book: PriceBook) -> list[str]:
    """Workloads whose expected list spend passes :data:`limits.MAX_MONTHLY_SPEND` in some
    month: each field may be plausible alone and their product still a typo.

    The bound is taken at the dearest of the 8 lever corners, on the paths where the
    workload launches, so no path's expected spend is above it.
    """
    launch = np.array([w.launch_probability for w in scenario.workloads])
    volume = expected_volume(scenario) / np.where(launch > 0, launch, 1.0)  # (M, W)
    values = corner_costs_by_month(scenario, book)[0].values
    unit = values.reshape(*values.shape[:-3], -1).max(axis=-1)  # (W,) or (M, W)
    spend = volume * unit
    labels = month_labels(scenario)
    cap = limits.MAX_MONTHLY_SPEND
    problems = []
    for i in np.flatnonzero(spend.max(axis=0) > cap):
        month = int(spend[:, i].argmax())
        problems.append(
            f"workloads[{i}]: expected list spend reaches ${spend[month, i]:.3g} a month by "
            f"{labels[month]}; above ${cap:.0e} (a hundred billion dollars) a month it is "
            "surely a typo: check requests_per_month or monthly_tokens, tokens and "
            "growth.monthly" + (
                "; growth.monthly_sd and fit_months lift the expected spend (each path draws "
                "its growth and volatility): a shorter horizon or a smaller monthly_sd keeps "
                "it bounded" if scenario.workloads[i].growth.monthly_sd > 0 else ""))
    return problems


def check_against_price_book(scenario: Scenario, base_dir: Path | None = None) -> list[str]:
    """Problems with the scenario's price book, model names and expected spend (empty when
    none)."""
    book, problems = _price_book_problems(scenario_to_dict(scenario), base_dir, True)
    if book is not None and not problems:
        problems = _spend_problems(scenario, book)
    return problems

"""Scenario edits the page makes: the workloads table, settings, and the standard variants
(``forecast.variations``) applied to scenario data (the portfolio levers are
:mod:`ui.portfolio`).

Pure functions on scenario data, the JSON-mode mapping of a ``Scenario``
(``forecast.scenario.scenario_to_dict``). They move values between widgets and the scenario;
they compute no cost, usage or commitment. What they return goes back through the schema
(:func:`validate`, which calls ``parse_scenario``) before the planner sees it, so a bad edit
is reported like a bad file: one line per problem, naming the row and the field.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd

from forecast import Scenario, ScenarioError, Workload, parse_scenario, scenario_to_dict, variations
from forecast.formatting import format_models, parse_models
from forecast.types import CacheTTL, Waiting
from forecast.waiting import batch_eligible_share

Data = dict[str, Any]


# --------------------------------------------------------------------------- workloads table
class CellKind(StrEnum):
    """What a column of the workloads table holds, and so how it is read and shown."""

    TEXT = "text"
    CHOICE = "choice"
    MODELS = "models"  # a routing mix typed as text (``forecast.formatting.parse_models``)
    SHARE = "share"  # a fraction 0-1
    COUNT = "count"  # requests or tokens
    MONTHS = "months"  # a month number or a number of months
    MINUTES = "minutes"
    RATE = "rate"  # a monthly growth rate or volatility


class Blank(StrEnum):
    """What a cell left blank writes."""

    REMOVE = "remove"  # the field is left out (its default, or the current value, applies)
    ZERO = "zero"
    EMPTY = "empty"  # an empty text or an empty routing mix


@dataclass(frozen=True)
class Column:
    """One column of the flat workloads table and the scenario field it edits.

    Attributes
    ----------
    key, label, help : str
        The table's column name, its header and its tooltip.
    field : str
        Dotted path in a workload's data; ``tokens.`` stands for ``tokens`` or
        ``monthly_tokens``, whichever the workload gives.
    read : callable
        The value shown, from the validated workload (lever columns show the optimized
        target as resolved: a field the file leaves out shows the current value it keeps).
    options : tuple of str
        The choices of a ``CHOICE`` column.
    """

    key: str
    label: str
    field: str
    help: str
    kind: CellKind
    blank: Blank
    read: Callable[[Workload], Any]
    options: tuple[str, ...] = ()


# The optimized levers lead: they are what an advisor sets first (after an import, all of
# them); the waiting test, the volume and its growth follow.
COLUMNS: tuple[Column, ...] = (
    Column("name", "Workload", "name", "unique name", CellKind.TEXT, Blank.EMPTY,
           lambda w: w.name),
    Column("optimized_models", "Optimized models", "optimized.models",
           "target routing mix, e.g. claude-haiku-4-5: 0.7, claude-sonnet-4-5: 0.3; blank "
           "keeps the current models", CellKind.MODELS, Blank.REMOVE,
           lambda w: format_models(w.target.models)),
    Column("batch_share", "Batch", "optimized.batch_share",
           "target share sent to the Batch API (0-1), at most the batch-eligible share",
           CellKind.SHARE, Blank.REMOVE, lambda w: w.target.batch_share),
    Column("cache_hit_rate", "Cache", "optimized.cache_hit_rate",
           "target prompt-cache hit rate on the prefix (0-1); needs a cache TTL",
           CellKind.SHARE, Blank.REMOVE, lambda w: w.target.cache_hit_rate),
    Column("cache_ttl", "TTL", "optimized.cache_ttl", "cache lifetime: none, 5m or 1h",
           CellKind.CHOICE, Blank.REMOVE, lambda w: str(w.target.cache_ttl),
           tuple(str(v) for v in CacheTTL)),
    Column("lands_month", "Lands", "optimized.lands_month",
           "month the optimization lands (1 = contract start)", CellKind.MONTHS,
           Blank.REMOVE, lambda w: w.lands_month),
    Column("ramp_months", "Ramp", "optimized.ramp_months",
           "months to ramp in linearly (0 = at once)", CellKind.MONTHS, Blank.REMOVE,
           lambda w: w.ramp_months),
    Column("waiting", "Waiting", "waiting",
           "the waiting test: interactive (stays real time), async (batch candidate), gray",
           CellKind.CHOICE, Blank.REMOVE, lambda w: str(w.waiting),
           tuple(str(v) for v in Waiting)),
    Column("latency_minutes", "Latency (min)", "acceptable_latency_minutes",
           "gray only: acceptable latency in minutes; under 60 nothing can wait for batch",
           CellKind.MINUTES, Blank.REMOVE, lambda w: w.acceptable_latency_minutes),
    Column("urgent_share", "Urgent", "urgent_share",
           "gray only: share that must stay real time (0-1)", CellKind.SHARE, Blank.ZERO,
           lambda w: w.urgent_share),
    Column("requests_per_month", "Requests / mo", "requests_per_month",
           "blank for an imported workload given as monthly token totals", CellKind.COUNT,
           Blank.REMOVE, lambda w: w.requests_per_month),
    Column("prefix_tokens", "Prefix tokens", "tokens.cacheable_prefix",
           "cacheable shared prefix, tokens per request (per month when requests is blank)",
           CellKind.COUNT, Blank.ZERO, lambda w: w.token_counts.cacheable_prefix),
    Column("input_tokens", "Input tokens", "tokens.input",
           "rest of the input, tokens per request (per month when requests is blank)",
           CellKind.COUNT, Blank.ZERO, lambda w: w.token_counts.input),
    Column("output_tokens", "Output tokens", "tokens.output",
           "output tokens per request (per month when requests is blank)", CellKind.COUNT,
           Blank.ZERO, lambda w: w.token_counts.output),
    Column("current_models", "Current models", "current.models",
           "today's routing mix, e.g. claude-sonnet-4-5: 1", CellKind.MODELS, Blank.EMPTY,
           lambda w: format_models(w.current.models)),
    Column("growth_monthly", "Growth / mo", "growth.monthly",
           "expected month-over-month volume growth, e.g. 0.03", CellKind.RATE, Blank.ZERO,
           lambda w: w.growth.monthly),
    Column("volatility", "Volatility", "growth.volatility",
           "standard deviation of the monthly log change of volume", CellKind.RATE,
           Blank.ZERO, lambda w: w.growth.volatility),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
_TEXT_KINDS = (CellKind.TEXT, CellKind.CHOICE, CellKind.MODELS)


def workloads_frame(data: Data) -> pd.DataFrame:
    """The workloads as a flat table (one row each, :data:`COLUMNS` in order), for
    ``st.data_editor``; number columns are floats, blanks NaN."""
    scenario = Scenario.model_validate(data)
    frame = pd.DataFrame([[c.read(w) for c in COLUMNS] for w in scenario.workloads],
                         columns=[c.key for c in COLUMNS])
    for c in COLUMNS:
        if c.kind not in _TEXT_KINDS:
            frame[c.key] = frame[c.key].astype("float64")
    return frame


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def _number(value: Any) -> Any:
    """A number from a table cell, as an int when whole (so 3.0 months reads as 3)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _cell_value(column: Column, value: Any) -> Any:
    if column.kind == CellKind.MODELS:
        return parse_models(str(value)) or {}
    if column.kind in (CellKind.TEXT, CellKind.CHOICE):
        return str(value).strip()
    return _number(value)


def _set_cell(w: Data, key: str, value: Any) -> None:
    """Write one table cell into a workload's data, at its column's field."""
    column = COLUMN_BY_KEY[key]
    parts = column.field.split(".")
    if parts[0] == "tokens":
        parts[0] = "monthly_tokens" if "monthly_tokens" in w else "tokens"
    *parents, last = parts
    if _blank(value) and column.blank == Blank.REMOVE:
        node: Any = w
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(last, None)
        return
    node = w
    for part in parents:
        node = node.setdefault(part, {})
    if not _blank(value):
        node[last] = _cell_value(column, value)
    elif column.blank == Blank.ZERO:
        node[last] = 0.0
    else:
        node[last] = {} if column.kind == CellKind.MODELS else ""


def row_label(row: int, name: Any) -> str:
    """How an error names a table row: ``row 3 "PR review bot"`` (rows count from 1)."""
    shown = str(name).strip() if not _blank(name) else "new workload"
    return f'row {row + 1} "{shown}"'


@dataclass
class TableEdit:
    """The scenario data after the table's edits, and what could not be read.

    Attributes
    ----------
    data : dict
        Scenario data with the edits applied (not yet validated).
    problems : list of str
        Cells that could not be read (e.g. a routing mix), each naming its row and field.
    row_labels : list of str
        For each workload of ``data``, the table row it came from.
    typed_batch : list of int
        Workloads (indices into ``data``) whose batch share was typed in the table: the
        waiting test caps those.
    offer_labels : list of str
        For each offer of ``data``, the offers table's row it came from (``ui.offers``).
    offer_hints : list of str
        Rows of the offers table left out of ``data`` until they are whole, and why.
    """

    data: Data
    problems: list[str] = field(default_factory=list)
    row_labels: list[str] = field(default_factory=list)
    typed_batch: list[int] = field(default_factory=list)
    offer_labels: list[str] = field(default_factory=list)
    offer_hints: list[str] = field(default_factory=list)


def apply_table_edits(data: Data, edits: Mapping[str, Any] | None) -> TableEdit:
    """Apply ``st.data_editor`` edit state to the scenario data it was drawn from.

    Parameters
    ----------
    data : dict
        The scenario data the table was built from (:func:`workloads_frame`).
    edits : mapping
        The editor's state: ``edited_rows`` ({row: {column: value}}), ``added_rows``
        ([{column: value}]) and ``deleted_rows`` ([row]).
    """
    out = copy.deepcopy(data)
    workloads: list[Data] = out["workloads"]
    edits = edits or {}
    problems: list[str] = []
    typed: set[int] = set()

    def write(w: Data, row: int, changes: Mapping[str, Any]) -> None:
        for key, value in changes.items():
            if key not in COLUMN_BY_KEY:
                continue
            try:
                _set_cell(w, key, value)
            except ValueError as exc:
                problems.append(f"Workloads table, {row_label(row, w.get('name'))}: "
                                f"{COLUMN_BY_KEY[key].field}: {exc}")
            if key == "batch_share" and not _blank(value):
                typed.add(row)

    for key, changes in (edits.get("edited_rows") or {}).items():
        row = int(key)
        if 0 <= row < len(workloads):
            write(workloads[row], row, changes)
    for changes in edits.get("added_rows") or []:
        row = len(workloads)
        volume = "monthly_tokens" if _blank(changes.get("requests_per_month")) else "tokens"
        w: Data = {"current": {"models": {}}, volume: {}}
        workloads.append(w)
        write(w, row, changes)
    deleted = {int(r) for r in edits.get("deleted_rows") or []}
    kept = [i for i in range(len(workloads)) if i not in deleted]
    out["workloads"] = [workloads[i] for i in kept]
    labels = [row_label(i, workloads[i].get("name")) for i in kept]
    typed_batch = [n for n, i in enumerate(kept) if i in typed]
    return TableEdit(out, problems, labels, typed_batch)


_TABLE_PROBLEM = re.compile(r"^(workloads|offers)\[(\d+)\]\.?([^:]*): (.*)$", re.DOTALL)
_ROW_REFERENCE = re.compile(r"\b(workloads|offers)\[(\d+)\]")
#: The table each list of the scenario is edited in, and what a whole row is called.
_TABLES = {"workloads": ("Workloads table", "workload"), "offers": ("Offers table", "offer")}


def locate(problems: list[str], row_labels: list[str],
           offer_labels: list[str] | None = None) -> list[str]:
    """Name the table row of each workload or offer problem:
    ``workloads[3].optimized.batch_share: ...`` -> ``Workloads table, row 4 "X": ...``,
    ``offers[1].commitments: ...`` -> ``Offers table, row 2 "Y": commitments: ...``."""
    labels = {"workloads": row_labels, "offers": offer_labels or []}
    out = []
    for problem in problems:
        match = _TABLE_PROBLEM.match(problem)
        rows = labels[match.group(1)] if match else []
        if match and int(match.group(2)) < len(rows):
            table, whole = _TABLES[match.group(1)]
            where = match.group(3) or whole

            def row_of(ref: re.Match[str]) -> str:
                """``offers[0]`` in a message -> ``row 1 "Vendor opening"`` (as the table)."""
                these = labels[ref.group(1)]
                k = int(ref.group(2))
                return these[k] if k < len(these) else ref.group(0)

            message = _ROW_REFERENCE.sub(row_of, match.group(4))
            out.append(f"{table}, {rows[int(match.group(2))]}: {where}: {message}")
        else:
            out.append(problem)
    return out


def batch_cap_problems(scenario: Scenario, edit: TableEdit) -> list[str]:
    """Typed batch shares above what the waiting test lets batch.

    A file may plan past the cap (the planner then warns of walk-back); the table does not
    let a user type it.
    """
    problems = []
    for i in edit.typed_batch:
        w = scenario.workloads[i]
        eligible = batch_eligible_share(w)
        planned = w.target.batch_share
        if planned > eligible + 1e-9:
            why = {Waiting.INTERACTIVE: "it is interactive",
                   Waiting.GRAY: (f"it is gray with latency {w.acceptable_latency_minutes:g} min "
                                  f"and urgent share {w.urgent_share:g}")}.get(w.waiting, "")
            problems.append(
                f"Workloads table, {edit.row_labels[i]}: optimized.batch_share: is "
                f"{planned:g}, above the batch-eligible share {eligible:g} of the waiting test"
                f"{' (' + why + ')' if why else ''}; at most {eligible:g}")
    return problems


def validate(edit: TableEdit, data: Data | None = None) -> Scenario:
    """Validate edited data (the table's, with the sidebar settings applied when given).

    Raises
    ------
    ScenarioError
        Problems naming the table row and field, or the scenario field.
    """
    if edit.problems:
        raise ScenarioError(edit.problems)
    try:
        scenario = parse_scenario(edit.data if data is None else data)
    except ScenarioError as exc:
        raise ScenarioError(locate(exc.problems, edit.row_labels, edit.offer_labels)
                            ) from None
    problems = batch_cap_problems(scenario, edit)
    if problems:
        raise ScenarioError(problems)
    return scenario


# --------------------------------------------------------------------------- settings
def get_path(data: Data, path: str, default: Any = None) -> Any:
    """The value at a dotted path (``contract.risk_appetite.max_shortfall_probability``)."""
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def apply_settings(data: Data, settings: Mapping[str, Any]) -> Data:
    """Set fields by dotted path; a ``None`` value removes the field (its default applies)."""
    out = copy.deepcopy(data)
    for path, value in settings.items():
        *parents, last = path.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return out


# --------------------------------------------------------------------------- variants
def _on_data(vary: Callable[[Scenario], Scenario]) -> Callable[[Data], Data]:
    return lambda data: scenario_to_dict(vary(Scenario.model_validate(data)))


#: The standard variants (``forecast.variations``) as the page applies them, to scenario
#: data: name -> (edit, why). The one place the page reaches them.
STANDARD_VARIANTS: dict[str, tuple[Callable[[Data], Data], str]] = {
    name: (_on_data(v.vary), v.why) for name, v in variations.STANDARD_VARIANTS.items()}


# --------------------------------------------------------------------------- names
def unique_name(name: str, taken: Mapping[str, Any] | list[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``... when it is taken."""
    name = " ".join(name.split()) or "Untitled scenario"
    if name not in taken:
        return name
    n = 2
    while f"{name} ({n})" in taken:
        n += 1
    return f"{name} ({n})"

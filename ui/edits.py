"""Scenario edits the page makes: the workloads table, portfolio levers, contract text, variants.

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
from typing import Any

import pandas as pd

from forecast.errors import ScenarioError
from forecast.formatting import parse_amounts
from forecast.scenario import Scenario, Workload, parse_scenario
from forecast.types import CacheTTL, Waiting
from forecast.waiting import batch_eligible_share

Data = dict[str, Any]


# --------------------------------------------------------------------------- workloads table
@dataclass(frozen=True)
class Column:
    """One column of the flat workloads table and the scenario field it edits."""

    key: str
    label: str
    field: str
    help: str


COLUMNS: tuple[Column, ...] = (
    Column("name", "Workload", "name", "unique name"),
    Column("waiting", "Waiting", "waiting",
           "the waiting test: interactive (stays real time), async (batch candidate), gray"),
    Column("latency_minutes", "Latency (min)", "acceptable_latency_minutes",
           "gray only: acceptable latency in minutes; under 60 nothing can wait for batch"),
    Column("urgent_share", "Urgent share", "urgent_share",
           "gray only: share that must stay real time (0-1)"),
    Column("requests_per_month", "Requests / month", "requests_per_month",
           "blank for an imported workload given as monthly token totals"),
    Column("prefix_tokens", "Prefix tokens", "tokens.cacheable_prefix",
           "cacheable shared prefix, tokens per request (per month when requests is blank)"),
    Column("input_tokens", "Input tokens", "tokens.input",
           "rest of the input, tokens per request (per month when requests is blank)"),
    Column("output_tokens", "Output tokens", "tokens.output",
           "output tokens per request (per month when requests is blank)"),
    Column("current_models", "Current models", "current.models",
           "today's routing mix, e.g. claude-sonnet-4-5: 1"),
    Column("optimized_models", "Optimized models", "optimized.models",
           "target routing mix, e.g. claude-haiku-4-5: 0.7, claude-sonnet-4-5: 0.3"),
    Column("batch_share", "Batch share", "optimized.batch_share",
           "target share sent to the Batch API (0-1), at most the batch-eligible share"),
    Column("cache_hit_rate", "Cache hit rate", "optimized.cache_hit_rate",
           "target prompt-cache hit rate on the prefix (0-1); needs a cache TTL"),
    Column("cache_ttl", "Cache TTL", "optimized.cache_ttl", "none, 5m or 1h"),
    Column("lands_month", "Lands (month)", "optimized.lands_month",
           "month the optimization lands (1 = contract start)"),
    Column("ramp_months", "Ramp (months)", "optimized.ramp_months",
           "months to ramp in linearly (0 = at once)"),
    Column("growth_monthly", "Growth / month", "growth.monthly",
           "expected month-over-month volume growth, e.g. 0.03"),
    Column("volatility", "Volatility", "growth.volatility",
           "standard deviation of the monthly log change of volume"),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


def format_models(models: Mapping[str, float]) -> str:
    """``{'claude-haiku-4-5': 0.7, ...}`` -> ``'claude-haiku-4-5: 0.7, ...'``."""
    return ", ".join(f"{model}: {share:g}" for model, share in models.items())


def parse_models(text: str) -> dict[str, float] | None:
    """Read a routing mix typed in a table cell; ``None`` when blank.

    Accepts ``model: share`` pairs separated by commas, a share as a fraction or a
    percentage (``0.7`` or ``70%``); a single model without a share takes all the traffic.
    """
    text = (text or "").strip()
    if not text:
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    models: dict[str, float] = {}
    for part in parts:
        match = re.match(r"^([^\s:=]+)\s*[:=]?\s*(.*)$", part)
        name, share_text = (match.group(1), match.group(2).strip()) if match else (part, "")
        if not share_text and len(parts) == 1:
            share = 1.0
        else:
            try:
                share = (float(share_text[:-1]) / 100.0 if share_text.endswith("%")
                         else float(share_text))
            except ValueError:
                raise ValueError(
                    f"cannot read {part!r}; write model: share pairs separated by commas, "
                    "e.g. claude-haiku-4-5: 0.7, claude-sonnet-4-5: 0.3") from None
        models[name] = models.get(name, 0.0) + share
    return models


def workloads_frame(data: Data) -> pd.DataFrame:
    """The workloads as a flat table (one row each), for ``st.data_editor``.

    Lever columns show the optimized target as resolved (a field the file leaves out shows
    the current value it keeps).
    """
    scenario = Scenario.model_validate(data)
    rows = []
    for w in scenario.workloads:
        target, tokens = w.target, w.token_counts
        rows.append({
            "name": w.name,
            "waiting": str(w.waiting),
            "latency_minutes": w.acceptable_latency_minutes,
            "urgent_share": w.urgent_share,
            "requests_per_month": w.requests_per_month,
            "prefix_tokens": tokens.cacheable_prefix,
            "input_tokens": tokens.input,
            "output_tokens": tokens.output,
            "current_models": format_models(w.current.models),
            "optimized_models": format_models(target.models),
            "batch_share": target.batch_share,
            "cache_hit_rate": target.cache_hit_rate,
            "cache_ttl": str(target.cache_ttl),
            "lands_month": w.lands_month,
            "ramp_months": w.ramp_months,
            "growth_monthly": w.growth.monthly,
            "volatility": w.growth.volatility,
        })
    frame = pd.DataFrame(rows, columns=[c.key for c in COLUMNS])
    for key in ("latency_minutes", "requests_per_month"):
        frame[key] = frame[key].astype("float64")
    return frame


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def _number(value: Any) -> Any:
    """A number from a table cell, as an int when whole (so 3.0 months reads as 3)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _set_cell(w: Data, key: str, value: Any) -> None:
    """Write one table cell into a workload's data; a blank cell removes the field."""
    blank = _blank(value)
    value = None if blank else _number(value)
    tokens_key = "monthly_tokens" if "monthly_tokens" in w else "tokens"
    opt = w.setdefault("optimized", {}) if COLUMN_BY_KEY[key].field.startswith(
        "optimized.") else None
    if key == "name":
        w["name"] = "" if blank else str(value).strip()
    elif key == "waiting":
        if blank:
            w.pop("waiting", None)
        else:
            w["waiting"] = str(value)
    elif key == "latency_minutes":
        if blank:
            w.pop("acceptable_latency_minutes", None)
        else:
            w["acceptable_latency_minutes"] = value
    elif key == "urgent_share":
        w["urgent_share"] = 0.0 if blank else value
    elif key == "requests_per_month":
        if blank:
            w.pop("requests_per_month", None)
        else:
            w["requests_per_month"] = value
    elif key in ("prefix_tokens", "input_tokens", "output_tokens"):
        name = {"prefix_tokens": "cacheable_prefix", "input_tokens": "input",
                "output_tokens": "output"}[key]
        w.setdefault(tokens_key, {})[name] = 0.0 if blank else value
    elif key == "current_models":
        w.setdefault("current", {})["models"] = parse_models("" if blank else str(value)) or {}
    elif key == "optimized_models":
        models = parse_models("" if blank else str(value))
        assert opt is not None
        if models is None:
            opt.pop("models", None)
        else:
            opt["models"] = models
    elif key in ("batch_share", "cache_hit_rate", "cache_ttl", "lands_month", "ramp_months"):
        assert opt is not None
        if blank:
            opt.pop(key, None)
        else:
            opt[key] = str(value) if key == "cache_ttl" else value
    elif key in ("growth_monthly", "volatility"):
        name = "monthly" if key == "growth_monthly" else "volatility"
        w.setdefault("growth", {})[name] = 0.0 if blank else value
    else:  # pragma: no cover - every column is handled above
        raise KeyError(key)


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
    """

    data: Data
    problems: list[str] = field(default_factory=list)
    row_labels: list[str] = field(default_factory=list)
    typed_batch: list[int] = field(default_factory=list)


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


_WORKLOAD_PROBLEM = re.compile(r"^workloads\[(\d+)\]\.?([^:]*): (.*)$", re.DOTALL)


def locate(problems: list[str], row_labels: list[str]) -> list[str]:
    """Name the table row of each workload problem:
    ``workloads[3].optimized.batch_share: ...`` -> ``Workloads table, row 4 "X": ...``."""
    out = []
    for problem in problems:
        match = _WORKLOAD_PROBLEM.match(problem)
        if match and int(match.group(1)) < len(row_labels):
            where = match.group(2) or "workload"
            out.append(f"Workloads table, {row_labels[int(match.group(1))]}: {where}: "
                       f"{match.group(3)}")
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
        raise ScenarioError(locate(exc.problems, edit.row_labels)) from None
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


# --------------------------------------------------------------------------- portfolio levers
@dataclass(frozen=True)
class PortfolioLevers:
    """Lever values set for every workload at once; ``None`` keeps each workload's own plan.

    Attributes
    ----------
    batch_of_eligible : float, optional
        Batch this share of each workload's batch-eligible share (the waiting test caps it:
        1.0 batches everything that can wait, nothing more).
    cache_hit_rate : float, optional
        Target hit rate on every workload with a cacheable prefix (0 turns caching off).
    cache_ttl : str, optional
        ``5m`` or ``1h`` for every workload that caches.
    route_share, route_from, route_to :
        Move this share of each workload's ``route_from`` traffic to ``route_to``.
    lands_month, ramp_months : int, optional
        When every workload's optimization lands, and over how many months it ramps in.
    """

    batch_of_eligible: float | None = None
    cache_hit_rate: float | None = None
    cache_ttl: str | None = None
    route_share: float = 0.0
    route_from: str | None = None
    route_to: str | None = None
    lands_month: int | None = None
    ramp_months: int | None = None

    @property
    def routes(self) -> bool:
        return bool(self.route_share > 0 and self.route_from and self.route_to
                    and self.route_from != self.route_to)

    def describe(self) -> list[str]:
        """Short phrases for the levers that are set, e.g. ``batch 50% of eligible``."""
        out = []
        if self.batch_of_eligible is not None:
            out.append(f"batch {self.batch_of_eligible:.0%} of eligible")
        if self.cache_hit_rate is not None:
            out.append(f"cache hit rate {self.cache_hit_rate:.0%}")
        if self.cache_ttl is not None:
            out.append(f"cache TTL {self.cache_ttl}")
        if self.routes:
            out.append(f"route {self.route_share:.0%} of {self.route_from} to {self.route_to}")
        if self.lands_month is not None:
            out.append(f"land in month {self.lands_month}")
        if self.ramp_months is not None:
            out.append(f"ramp over {self.ramp_months} months")
        return out


def apply_portfolio_levers(data: Data, levers: PortfolioLevers) -> Data:
    """Set the levers on every workload's optimized target; ``data`` must be valid."""
    if not levers.describe():
        return data
    out = copy.deepcopy(data)
    scenario = Scenario.model_validate(data)
    for w_data, w in zip(out["workloads"], scenario.workloads, strict=True):
        _portfolio_one(w_data, w, levers, scenario.horizon_months)
    return out


def _portfolio_one(w_data: Data, w: Workload, levers: PortfolioLevers, horizon: int) -> None:
    opt: Data = w_data.setdefault("optimized", {})
    current = w.current
    if levers.batch_of_eligible is not None:
        opt["batch_share"] = round(levers.batch_of_eligible * batch_eligible_share(w), 9)
    if levers.cache_hit_rate is not None and w.token_counts.cacheable_prefix > 0:
        rate = levers.cache_hit_rate
        if rate <= 0:
            opt.update(cache_hit_rate=0.0, batch_cache_hit_rate=0.0,
                       cache_ttl=str(CacheTTL.NONE))
        else:
            opt["cache_hit_rate"] = rate
            if w.target.cache_ttl == CacheTTL.NONE:
                opt["cache_ttl"] = str(CacheTTL.FIVE_MINUTES)
            if w.target.batch_cache_hit_rate is not None:
                opt["batch_cache_hit_rate"] = min(rate, w.target.batch_cache_hit_rate)
    if levers.cache_ttl is not None:
        rate = opt.get("cache_hit_rate", w.target.cache_hit_rate)
        if rate and rate > 0:
            opt["cache_ttl"] = levers.cache_ttl
    if levers.routes:
        models = dict(opt.get("models") or current.models)
        if levers.route_from in models:
            moved = models[levers.route_from] * levers.route_share
            models[levers.route_from] -= moved
            if models[levers.route_from] <= 1e-12:
                del models[levers.route_from]
            models[levers.route_to] = models.get(levers.route_to, 0.0) + moved
            opt["models"] = {m: round(s, 12) for m, s in models.items()}
    if levers.lands_month is not None:
        opt["lands_month"] = min(levers.lands_month, horizon)
    if levers.ramp_months is not None:
        opt["ramp_months"] = levers.ramp_months
    if not opt:
        w_data.pop("optimized")


# --------------------------------------------------------------------------- variants
def conservative(data: Data) -> Data:
    """Levers realized 15 points less (the tornado's low case) and landing 2 months later."""
    out = copy.deepcopy(data)
    unc = out.setdefault("uncertainty", {})
    real = unc.setdefault("lever_realization", {"mean": 1.0, "sd": 0.0})
    real["mean"] = max(0.05, real.get("mean", 1.0) - 0.15)
    limit = math.sqrt(real["mean"] * (1.0 - real["mean"]))
    real["sd"] = min(real.get("sd", 0.0), 0.9 * limit)
    slip = unc.setdefault("slip_months", {})
    slip["mean"] = slip.get("mean", 0.0) + 2.0
    return out


def aggressive_batch(data: Data) -> Data:
    """Every workload batches all of its batch-eligible share."""
    return apply_portfolio_levers(data, PortfolioLevers(batch_of_eligible=1.0))


def walked_back(data: Data) -> Data:
    """The gray workloads' batch moves are walked back: they stay on the real-time path."""
    out = copy.deepcopy(data)
    for w in out["workloads"]:
        if w.get("waiting") == str(Waiting.GRAY) and "optimized" in w:
            w["optimized"]["batch_share"] = w["current"].get("batch_share", 0.0)
    return out


STANDARD_VARIANTS: dict[str, tuple[Callable[[Data], Data], str]] = {
    "conservative": (conservative, "levers realized 15 pts less, landing 2 months later"),
    "aggressive batch": (aggressive_batch, "every workload batches all it can"),
    "walk-back": (walked_back, "gray workloads stay real time"),
}


def unique_name(name: str, taken: Mapping[str, Any] | list[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``... when it is taken."""
    name = name.strip() or "Untitled scenario"
    if name not in taken:
        return name
    n = 2
    while f"{name} ({n})" in taken:
        n += 1
    return f"{name} ({n})"


def emphasize_field(problem: str) -> str:
    """A problem line as Markdown, its field path in code style and dollar signs escaped:
    ``Workloads table, row 4 "X": optimized.batch_share: is 1.2; ...`` ->
    ``Workloads table, row 4 "X": `optimized.batch_share`: is 1.2; ...``."""
    where = ""
    if problem.startswith("Workloads table, row "):
        where, _, problem = problem.partition('": ')
        where += '": '
    path, sep, message = problem.partition(": ")
    if sep and path and " " not in path:
        problem = f"`{path}`: {message}"
    return (where + problem).replace("$", r"\$")


def parse_tiers(text: str) -> list[dict[str, float]]:
    """Read discount tiers typed as ``commit: discount`` pairs separated by ``/``:
    ``1M: 6% / 3M: 10%`` -> ``[{min_annual_commit: 1e6, discount: 0.06}, ...]``."""
    tiers = []
    for part in re.split(r"[/;]", text or ""):
        if not part.strip():
            continue
        commit, sep, discount = part.partition(":")
        try:
            if not sep:
                raise ValueError
            amount = parse_amounts(commit)
            rate = discount.strip()
            value = float(rate[:-1]) / 100.0 if rate.endswith("%") else float(rate)
        except ValueError:
            raise ValueError(
                f"cannot read {part.strip()!r}; write commit: discount pairs separated by /, "
                "e.g. 1M: 6% / 3M: 10%") from None
        if not amount or len(amount) != 1:
            raise ValueError(f"cannot read {part.strip()!r}; give one amount per tier")
        tiers.append({"min_annual_commit": amount[0], "discount": value})
    return tiers


def format_tiers(tiers: list[Mapping[str, float]]) -> str:
    """The inverse of :func:`parse_tiers`."""
    def short(amount: float) -> str:
        for scale, suffix in ((1e6, "M"), (1e3, "k")):
            if amount >= scale and amount % (scale / 100) == 0:
                return f"{amount / scale:g}{suffix}"
        return f"{amount:,.0f}"
    return " / ".join(f"{short(t['min_annual_commit'])}: {t['discount'] * 100:g}%"
                      for t in tiers)

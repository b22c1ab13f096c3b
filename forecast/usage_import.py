"""Import Claude usage history and fit the baseline: a scenario from what was really used.

:func:`import_usage` reads Admin API usage report pages and Console CSV exports
(:mod:`forecast.usage_readers`), rolls the buckets up to calendar months, prices every token
class at the price book's list prices, fits growth, and writes a scenario with one workload
per workspace, API key or model. ``commitplan import`` is its command line
(:func:`register_cli`).

Choices where the history does not decide:

- **Partial months.** A month the files do not cover end to end (the first and last usually)
  is partial. When at least 3 full months remain, partial first and last months are dropped;
  otherwise every partial month is scaled up by 1 / covered share. A partial month inside
  the history (a missing page) is always scaled, and a month with no data at all inside it
  is an error. ``months`` keeps the last N of the months used.
- **Volumes and levers.** Each workload's ``monthly_tokens`` and ``current`` levers are
  those of the last full month used (the *level month*): the month the buyer recognizes on
  the bill. The scenario starts the month after the history, at that level. ``cacheable_prefix`` =
  cache writes + cache reads, ``input`` = uncached input, ``output`` = output; token counts
  are expressed in the tokenizer of the workload's main model (``counted_on``), so routing
  keeps pricing them right.
- **Observed levers.** Model mix: each model's share of the tokens (all classes, in the
  reference tokenizer). Cache hit rate: reads / (reads + writes); ``cache_ttl``: the TTL that
  most write tokens used (5m when there are only reads). Batch share (``service_tier``
  batch): batch traffic's share of the list cost before the batch discount (its token share
  when batch and real-time calls have the same token mix), so that the scenario reprices a
  single-model, single-TTL workload exactly.
- **Waiting class.** The history cannot say who waits on a result. A workload with no batch
  traffic is ``interactive`` (it cannot be batched until the buyer says otherwise); one that
  batches everything is ``async``; one that batches part is ``gray`` with an acceptable
  latency of 1,440 minutes and an urgent share of 1 - batch share (only today's batched part
  is known to wait). The header says so, so the buyer checks it.
- **Growth.** Least-squares line through log monthly list cost: slope b. Volatility s is the
  standard deviation of the monthly log changes (the simulation's log random walk). Expected
  monthly growth g = exp(b + s^2 / 2) - 1, so that the simulation's log drift for
  ``growth: {monthly: g, volatility: s}``, ln(1 + g) - s^2 / 2 (DESIGN.md), is b. The standard
  error of b is exact for a log random walk: b - drift = sum_k eps_k W_k with W_k the sum of
  the least-squares weights from month k on, so se(b) = s * sqrt(sum W_k^2); the 95% interval
  uses Student's t with n - 2 degrees of freedom. Fewer than 3 months is refused. A group
  with fewer than 3 months of usage (a launch), or a month without any inside its span, is
  not fitted: it is written flat (growth 0) with the total's volatility, and the output
  says so (the total's drift would credit it with the portfolio's launches).
- **Prices.** Billed tokens are priced as counted (no tokenizer factor): uncached input at
  the input price, 5-minute and 1-hour writes at their multipliers, reads at the read
  multiplier, output at the output price, batch tier at the book's batch discount. Service
  tiers other than batch, and the 200k-1M context window, are priced at standard list prices
  (the book has no others), with a warning.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.errors import ImportUsageError

if TYPE_CHECKING:
    import pandas as pd

    from forecast.pricebook import PriceBook
    from forecast.scenario import Scenario
    from forecast.types import CacheTTL, Waiting
    from forecast.usage_readers import UsageRecords

#: Acceptable latency written for a workload that already batches part of its traffic.
BATCH_LATENCY_MINUTES = 1440
#: Fewest months the growth fit accepts.
MIN_MONTHS = 3
DEFAULT_WORKSPACE = "Default workspace"
NO_API_KEY = "(no API key)"
_FULL = 1.0 - 1e-9
_KINDS = {"json": "Admin API JSON", "csv": "Console CSV"}


class GroupBy(StrEnum):
    """What becomes one workload of the scenario."""

    WORKSPACE = "workspace"
    API_KEY = "api_key"
    MODEL = "model"


class MonthUse(StrEnum):
    """What the import did with a calendar month of the history."""

    FULL = "full"
    SCALED = "scaled"
    DROPPED = "dropped"
    OUTSIDE = "before --months"


@dataclass(frozen=True)
class MonthCoverage:
    """One calendar month of the history: how much of it the files cover, and its use."""

    month: str
    coverage: float
    use: MonthUse

    @property
    def used(self) -> bool:
        return self.use in (MonthUse.FULL, MonthUse.SCALED)

    @property
    def scale(self) -> float:
        """Factor the month's tokens are multiplied by (1 / coverage when scaled)."""
        return 1.0 / self.coverage if self.use == MonthUse.SCALED else 1.0

    def describe(self) -> str:
        if self.use == MonthUse.FULL:
            return f"{self.month} full"
        if self.use == MonthUse.SCALED:
            return f"{self.month} {self.coverage:.0%} covered, scaled x{self.scale:.2f}"
        if self.use == MonthUse.DROPPED:
            return f"{self.month} {self.coverage:.0%} covered, dropped"
        return f"{self.month} left out (--months)"


# --------------------------------------------------------------------------- growth fit
@dataclass(frozen=True)
class GrowthFit:
    """Log-linear least-squares fit of a monthly series (see the module docstring).

    Attributes
    ----------
    months : int
        Number of months fitted.
    slope, slope_se : float
        Slope of log cost per month, and its standard error under a log random walk.
    volatility : float
        Standard deviation of the monthly log changes.
    """

    months: int
    slope: float
    slope_se: float
    volatility: float

    @property
    def monthly(self) -> float:
        """Expected month-over-month growth g = exp(b + s^2 / 2) - 1."""
        return math.expm1(self.slope + self.volatility**2 / 2)

    @property
    def monthly_se(self) -> float:
        """Standard error of ``monthly`` (delta method: (1 + g) * se(b))."""
        return (1.0 + self.monthly) * self.slope_se

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Confidence interval of ``monthly`` (Student's t, n - 2 degrees of freedom)."""
        from scipy.special import stdtrit

        t = float(stdtrit(self.months - 2, 0.5 + level / 2))
        shift = self.volatility**2 / 2
        return (math.expm1(self.slope - t * self.slope_se + shift),
                math.expm1(self.slope + t * self.slope_se + shift))


def fit_growth(monthly_cost: Sequence[float] | Any) -> GrowthFit:
    """Fit growth to a monthly series (cost or volume), oldest month first.

    Parameters
    ----------
    monthly_cost : array-like of shape (n_months,)
        Positive values, one per consecutive month; at least 3.

    Raises
    ------
    ImportUsageError
        With fewer than 3 months, or a month that is not positive.
    """
    import numpy as np

    values = np.asarray(monthly_cost, dtype=float)
    n = values.size
    if n < MIN_MONTHS:
        raise ImportUsageError(f"{n} month{'s' if n != 1 else ''} of history; fitting growth "
                               f"needs at least {MIN_MONTHS}")
    if not np.all(values > 0):
        raise ImportUsageError("every month must have some usage to fit growth; month "
                               f"{int(np.argmin(values > 0)) + 1} has none")
    log = np.log(values)
    t = np.arange(n, dtype=float)
    centred = t - t.mean()
    weights = centred / (centred @ centred)  # slope = weights @ log
    slope = float(weights @ log)
    volatility = float(np.diff(log).std(ddof=1))
    # log_t = log_0 + drift * t + sum_{k<=t} eps_k, so slope - drift = sum_k eps_k * W_k.
    tail = np.cumsum(weights[::-1])[::-1][1:]
    slope_se = volatility * float(np.sqrt(tail @ tail))
    return GrowthFit(n, slope, slope_se, volatility)


# --------------------------------------------------------------------------- months
def month_coverage(spans: pd.DataFrame) -> tuple[list[str], Any]:
    """Share of each calendar month, first to last, that the files cover.

    Returns
    -------
    (list of str, ndarray of shape (n_months,))
        ``YYYY-MM`` labels and covered shares in [0, 1].
    """
    import numpy as np

    order = spans["start"].to_numpy().argsort()
    start = spans["start"].to_numpy()[order]
    end = spans["end"].to_numpy()[order]
    # Merge overlapping spans: a new segment begins where a span starts past all ends so far.
    reach = np.maximum.accumulate(end)
    new = np.r_[True, start[1:] > reach[:-1]]
    seg_start = start[new]
    seg_end = reach[np.r_[np.flatnonzero(new)[1:] - 1, end.size - 1]]
    first = seg_start.min().astype("datetime64[M]")
    last = (seg_end.max() - np.timedelta64(1, "ns")).astype("datetime64[M]")
    months = np.arange(first, last + 1)
    m_start = months.astype("datetime64[ns]")[None, :]
    m_end = (months + 1).astype("datetime64[ns]")[None, :]
    overlap = np.minimum(seg_end[:, None], m_end) - np.maximum(seg_start[:, None], m_start)
    covered = np.clip(overlap.astype(np.int64), 0, None).sum(axis=0)
    share = covered / (m_end - m_start).astype(np.int64)[0]
    return [str(m) for m in months], share


def plan_months(labels: list[str], coverage: Any, keep_last: int | None = None
                ) -> list[MonthCoverage]:
    """Decide for every month: full, scaled, dropped, or left out by ``keep_last``.

    Raises
    ------
    ImportUsageError
        A month with no data inside the history, or fewer than 3 months left to fit.
    """
    full = [c >= _FULL for c in coverage]
    for label, c in zip(labels, coverage, strict=True):
        if c <= 0:
            raise ImportUsageError(f"no file covers {label}, inside the history "
                                   f"{labels[0]} to {labels[-1]}; add the missing page or export")
    uses = [MonthUse.FULL if f else MonthUse.SCALED for f in full]
    if sum(full) >= MIN_MONTHS:
        for edge in {0, len(uses) - 1}:
            if not full[edge]:
                uses[edge] = MonthUse.DROPPED
    used = [i for i, u in enumerate(uses) if u in (MonthUse.FULL, MonthUse.SCALED)]
    if keep_last is not None:
        for i in used[:-keep_last]:
            uses[i] = MonthUse.OUTSIDE
        used = used[-keep_last:]
    plan = [MonthCoverage(m, float(c), u) for m, c, u in zip(labels, coverage, uses,
                                                             strict=True)]
    if len(used) < MIN_MONTHS:
        seen = ", ".join(m.describe() for m in plan)
        limit = f" (--months {keep_last} keeps only {keep_last})" if keep_last else ""
        raise ImportUsageError(f"the history gives {len(used)} month"
                               f"{'s' if len(used) != 1 else ''} to fit{limit}: {seen}; "
                               f"fitting growth needs at least {MIN_MONTHS} months, export a "
                               "longer history")
    return plan


# --------------------------------------------------------------------------- result
@dataclass(frozen=True)
class SourceRead:
    """One file read: its name, format and how much it held."""

    name: str
    kind: str
    buckets: int
    rows: int


@dataclass(frozen=True)
class GroupHistory:
    """One group (future workload) of the history.

    ``monthly_cost`` has shape (n_months_used,); the levers and tokens are those of the
    level month, tokens as billed (before tokenizer conversion).
    """

    name: str
    monthly_cost: Any
    level_cost: float
    fit: GrowthFit | None
    growth_monthly: float
    growth_volatility: float
    fit_note: str | None
    tokens: dict[str, float]
    monthly_tokens: dict[str, Any]
    batch_share: float
    cache_hit_rate: float
    cache_ttl: CacheTTL
    model_mix: dict[str, float]
    waiting: Waiting
    scenario_cost: float | None  # the scenario's month-1 current cost; None when left out


@dataclass(frozen=True)
class UsageImport:
    """What :func:`import_usage` read and inferred.

    Attributes
    ----------
    scenario : Scenario
        The validated scenario (one workload per group with usage in the level month).
    document : dict
        The scenario as written (compact), under :meth:`scenario_yaml`'s header.
    usage : pandas.DataFrame
        Monthly tokens by class and list cost: one row per month, group, model and service
        tier (months used only, partial months scaled).
    months : list of MonthCoverage
        Every calendar month the files touch, with what was done with it.
    groups : list of GroupHistory
    total : GrowthFit
        The fit of the total monthly cost.
    """

    scenario: Scenario
    document: dict[str, Any]
    usage: pd.DataFrame
    months: list[MonthCoverage]
    groups: list[GroupHistory]
    total: GrowthFit
    group_by: GroupBy
    book: PriceBook
    level_month: str
    sources: list[SourceRead]
    duplicates: int
    warnings: list[str] = field(default_factory=list)

    @property
    def used_months(self) -> list[str]:
        return [m.month for m in self.months if m.used]

    def monthly_cost(self) -> pd.DataFrame:
        """List cost per month (rows) and group (columns), with a ``total`` column."""
        import pandas as pd

        frame = pd.DataFrame({g.name: g.monthly_cost for g in self.groups},
                             index=pd.Index(self.used_months, name="month"))
        frame["total"] = frame.sum(axis=1)
        return frame

    def summary(self) -> pd.DataFrame:
        """One row per group: history cost, level-month tokens and levers, fitted growth."""
        import pandas as pd

        rows = []
        for g in self.groups:
            nan = float("nan")
            low, high = g.fit.interval() if g.fit else (nan, nan)
            rows.append({
                "group": g.name, "months": int((g.monthly_cost > 0).sum()),
                "list_cost": float(g.monthly_cost.sum()), "level_month_cost": g.level_cost,
                **{f"{c}_tokens": g.tokens[c] for c in g.tokens},
                "batch_share": g.batch_share, "cache_hit_rate": g.cache_hit_rate,
                "cache_ttl": g.cache_ttl,
                "model_mix": ", ".join(f"{m} {s:.0%}" for m, s in g.model_mix.items()),
                "growth_monthly": g.growth_monthly,
                "growth_se": g.fit.monthly_se if g.fit else nan,
                "growth_low_95": low, "growth_high_95": high,
                "volatility": g.growth_volatility, "fitted": g.fit is not None,
                "waiting": g.waiting, "in_scenario": g.scenario_cost is not None,
            })
        return pd.DataFrame(rows)

    # -- text --------------------------------------------------------------------------
    def _history_line(self) -> str:
        used = self.used_months
        partial = [m.describe() for m in self.months if m.use != MonthUse.FULL]
        note = f"; {'; '.join(partial)}" if partial else "; no partial months"
        return f"{used[0]} to {used[-1]} ({len(used)} months){note}"

    def header(self) -> list[str]:
        """The scenario file's comment header, one paragraph per item: where it came from
        and what was inferred."""
        from forecast.formatting import pct, usd

        t, level = self.total, self.level_month
        lo, hi = t.interval()
        cost = self.monthly_cost()["total"]
        lines = [
            "Generated by `commitplan import` from Claude usage history. Check it, then add "
            "the optimized path and the contract (see the README).",
            "Sources: " + "; ".join(f"{s.name} ({s.kind}, {s.buckets} buckets, {s.rows} rows)"
                                    for s in self.sources),
            f"History: {self._history_line()}. Duplicate usage lines counted once: "
            f"{self.duplicates}.",
            f"Grouping: one workload per {self.group_by} ({len(self.groups)} groups).",
            f"Priced at {self.book.id} list prices: {usd(cost.sum(), 2)} over the history, "
            f"{usd(cost.loc[level], 2)} in {level}.",
            "Inferred:",
            "- volume: monthly_tokens, token totals per month by class (not requests: the "
            f"usage report counts tokens), at the level of {level} as billed; month 1 "
            f"({self.scenario.start}) starts at that level: if the contract starts later, "
            "scale the volumes by (1 + growth) per month in between. cacheable_prefix = "
            "cache writes + "
            "cache reads, input = uncached input, output = output; counted_on names the "
            "tokenizer when it is not the reference one.",
            "- current: model mix (token shares), batch_share (service_tier batch: share of "
            "list cost before the batch discount), cache_hit_rate = reads / (reads + writes), "
            f"cache_ttl = the TTL most writes used; all observed in {level}.",
            "- optimized: equal to current, so nothing changes yet: edit only what you plan "
            "to change.",
            "- waiting: interactive where nothing was batched, gray (acceptable latency "
            f"{BATCH_LATENCY_MINUTES} minutes, urgent_share = 1 - batch share) where part was, "
            "async where all was. The history cannot tell who waits on a result: check each.",
            "- growth: least-squares line through log monthly list cost; volatility = sd of "
            "the monthly log changes; monthly = exp(slope + volatility^2 / 2) - 1. Total: "
            f"{pct(t.monthly, 1)} a month (95% interval {pct(lo, 1)} to {pct(hi, 1)}), "
            f"volatility {pct(t.volatility, 1)}, over {t.months} months.",
        ]
        for g in self.groups:
            if g.scenario_cost is None:
                lines.append(f"- {g.name}: no usage in {level}, left out.")
                continue
            lines.append(
                f"- {g.name}: {usd(g.level_cost, 2)} in {level}; growth "
                + (f"{pct(g.fit.monthly, 1)} +/- {pct(g.fit.monthly_se, 1)} a month"
                   if g.fit else "0% a month (not fitted)")
                + f", volatility {pct(g.growth_volatility, 1)}; batch "
                f"{pct(g.batch_share, 1)}, cache hit rate {pct(g.cache_hit_rate, 1)} "
                f"({g.cache_ttl}); waiting {g.waiting}."
                + (f" Note: {g.fit_note}." if g.fit_note else "")
            )
        return lines + [f"Warning: {w}" for w in self.warnings]

    def scenario_yaml(self) -> str:
        """The scenario as YAML under a comment header (every header line starts ``#``)."""
        import textwrap

        import yaml

        head = "".join(f"# {line}\n" for text in self.header()
                       for line in textwrap.wrap(" ".join(text.split()), 92,
                                                 subsequent_indent="  ",
                                                 break_on_hyphens=False))
        body = yaml.safe_dump(self.document, sort_keys=False, default_flow_style=None,
                              allow_unicode=True, width=100)
        return head + "\n" + body

    def report(self) -> str:
        """Plain text: what was read, months, groups, tokens, cost, fitted growth."""
        from forecast.formatting import pct, table, usd

        cost = self.monthly_cost()
        out = [
            f"Read {len(self.sources)} file{'s' if len(self.sources) > 1 else ''}:",
            *(f"  {s.name} ({s.kind}, {s.buckets} buckets, {s.rows} rows)"
              for s in self.sources),
            f"Duplicate usage lines counted once: {self.duplicates}",
            f"Months: {self._history_line()}",
            f"Price book: {self.book.id} ({self.book.effective_date}), list prices",
            f"Grouped by {self.group_by}: {len(self.groups)} groups; scenario volumes and "
            f"levers from {self.level_month}",
            "",
            "List cost per month (USD)",
            table([[m, *(usd(v, 2) for v in row)] for m, row in zip(cost.index,
                                                                   cost.to_numpy(),
                                                                   strict=True)],
                  ["month", *cost.columns], right=set(range(1, len(cost.columns) + 1))),
            "",
            "Tokens by class over the months used",
        ]
        from forecast.usage_readers import TOKEN_CLASSES

        tokens = (self.usage.groupby("group")[[*TOKEN_CLASSES, "list_cost"]].sum()
                  .reindex([g.name for g in self.groups]))
        rows = [[name, *(f"{v:,.0f}" for v in r[:-1]), usd(r[-1], 2)]
                for name, r in zip(tokens.index, tokens.to_numpy(), strict=True)]
        out.append(table(rows, ["group", *TOKEN_CLASSES, "list cost"], right=set(range(1, 7))))
        out += ["", f"Levers observed in {self.level_month} (the scenario's current path)"]
        rows = []
        for g in self.groups:
            reprice = "-" if g.scenario_cost is None else usd(g.scenario_cost, 2)
            rows.append([g.name, usd(g.level_cost, 2), pct(g.batch_share, 1),
                         pct(g.cache_hit_rate, 1), g.cache_ttl,
                         ", ".join(f"{m} {s:.0%}" for m, s in g.model_mix.items()) or "-",
                         g.waiting, reprice])
        out.append(table(rows, ["group", "list cost", "batch", "cache hits", "ttl", "models",
                                "waiting", "scenario month 1"], right={1, 2, 3, 7}))
        out += ["", "Growth: least-squares line through log monthly list cost; volatility = "
                "sd of monthly log changes", ""]
        rows = []
        for name, fit, g in [*((g.name, g.fit, g) for g in self.groups),
                             ("total", self.total, None)]:
            if fit is None:
                rows.append([name, str(int((g.monthly_cost > 0).sum())), "0.00%", "-",
                             "not fitted", pct(g.growth_volatility, 2)])
                continue
            lo, hi = fit.interval()
            rows.append([name, str(fit.months), pct(fit.monthly, 2), pct(fit.monthly_se, 2),
                         f"{pct(lo, 1)} to {pct(hi, 1)}", pct(fit.volatility, 2)])
        out.append(table(rows, ["group", "months", "growth/month", "std err", "95% interval",
                                "volatility"], right={1, 2, 3, 5}))
        out += [f"note: {g.name}: {g.fit_note}" for g in self.groups if g.fit_note]
        out += [f"warning: {w}" for w in self.warnings]
        return "\n".join(out)


# --------------------------------------------------------------------------- import
def import_usage(
    sources: Sequence[tuple[str, bytes | str]],
    group_by: GroupBy | str = GroupBy.WORKSPACE,
    months: int | None = None,
    price_book: str | None = None,
    name: str | None = None,
) -> UsageImport:
    """Turn usage history files into a scenario with fitted growth.

    Parameters
    ----------
    sources : sequence of (file name, content)
        Admin API usage report pages (``.json``) and Console usage exports (``.csv``); the
        name is used in messages and to tell the format. Several files are merged.
    group_by : {"workspace", "api_key", "model"}
        What becomes one workload.
    months : int, optional
        Keep only the last N months used (after partial months are dropped or scaled).
    price_book : str, optional
        A bundled id or a book file; default the bundled default book.
    name : str, optional
        The scenario's name; default ``Imported usage FIRST to LAST``.

    Raises
    ------
    ImportUsageError
        Naming the file, bucket or row, and the problem.
    """
    from forecast.pricebook import DEFAULT_PRICE_BOOK, load_price_book
    from forecast.usage_readers import merge_records, read_usage

    group_by = _group_by(group_by)
    if months is not None and months < 1:
        raise ImportUsageError(f"months is {months}; keep at least 1 month (3 to fit growth)")
    if not sources:
        raise ImportUsageError("no usage files given")
    book_ref = price_book or DEFAULT_PRICE_BOOK
    book = load_price_book(book_ref)
    parts = [read_usage(file_name, content) for file_name, content in sources]
    if not any(len(p.buckets) for p in parts):
        raise ImportUsageError(f"{', '.join(n for n, _ in sources)}: no usage buckets: every "
                               "page has an empty data[]")
    records, duplicates = merge_records(parts)
    read = [SourceRead(file_name, _KINDS[p.kind], len(p.buckets), len(p.rows))
            for (file_name, _), p in zip(sources, parts, strict=True)]
    model_ids = _resolve_models(records, book)
    labels, coverage = month_coverage(records.spans)
    plan = plan_months(labels, coverage, months)
    usage, warnings = _rollup(records, model_ids, plan, group_by, book)
    used = [m.month for m in plan if m.used]
    level = next((m.month for m in reversed(plan) if m.use == MonthUse.FULL), used[-1])
    cost = (usage.pivot_table(index="month", columns="group", values="list_cost",
                              aggfunc="sum", sort=False)
            .reindex(index=used).fillna(0.0))
    cost = cost[sorted(cost.columns, key=lambda g: (-cost[g].sum(), g))]
    totals = cost.sum(axis=1)
    if (totals <= 0).any():
        empty = ", ".join(totals.index[totals <= 0])
        raise ImportUsageError(f"no usage at all in {empty}: growth is fitted to log cost, so "
                               "every month used needs some; use --months to start after it")
    total = fit_growth(totals.to_numpy())
    groups = [_group_history(g, cost[g].to_numpy(), usage, level, book, total)
              for g in cost.columns]
    document = _scenario_document(groups, book_ref, level, used,
                                  name or f"Imported usage {used[0]} to {used[-1]}")
    scenario, groups = _validate(document, groups, book)
    warnings += _reprice_warnings(groups, group_by)
    return UsageImport(scenario, document, usage, plan, groups, total, group_by, book,
                       level, read, duplicates, warnings)


def _group_by(value: GroupBy | str) -> GroupBy:
    try:
        return GroupBy(value)
    except ValueError:
        choices = ", ".join(g.value for g in GroupBy)
        raise ImportUsageError(f"group_by is {value!r}; choose one of {choices}") from None


def _resolve_models(records: UsageRecords, book: PriceBook) -> Any:
    """Book model id of every row; one error listing every unknown name and where it is."""
    names = records.rows["model"]
    mapping = {raw: book.resolve_model(raw) for raw in names.unique()}
    unknown = [raw for raw, model_id in mapping.items() if model_id is None]
    if unknown:
        where = ", ".join(f"{raw!r} (first at {records.locate((names == raw).idxmax())})"
                          for raw in unknown)
        raise ImportUsageError(
            f"unknown model{'s' if len(unknown) > 1 else ''} {where}: not in price book "
            f"{book.id!r}, which prices {', '.join(book.model_ids)} (API ids with or "
            "without a date suffix, aliases and display names such as 'Claude Sonnet 4.5' "
            "are recognised); give a price book that prices them (--price-book)"
        )
    return names.map(mapping)


def _rollup(records: UsageRecords, model_ids: Any, plan: list[MonthCoverage],
            group_by: GroupBy, book: PriceBook) -> tuple[pd.DataFrame, list[str]]:
    """Monthly tokens and list cost per month, group, model and service tier."""
    import numpy as np

    from forecast.usage_readers import TOKEN_CLASSES

    rows = records.rows
    month = records.buckets["start"].dt.strftime("%Y-%m").reindex(rows["bucket"]).to_numpy()
    tier = rows["service_tier"].fillna("standard").str.lower()
    group = {GroupBy.WORKSPACE: rows["workspace"].fillna(DEFAULT_WORKSPACE),
             GroupBy.API_KEY: rows["api_key"].fillna(NO_API_KEY),
             GroupBy.MODEL: model_ids}[group_by]
    frame = rows[list(TOKEN_CLASSES)].assign(month=month, group=group.to_numpy(),
                                             model=model_ids.to_numpy(),
                                             service_tier=tier.to_numpy())
    scale = {m.month: m.scale for m in plan if m.used}
    frame = frame[frame["month"].isin(list(scale))]
    keys = ["month", "group", "model", "service_tier"]
    usage = frame.groupby(keys, sort=True)[list(TOKEN_CLASSES)].sum().reset_index()
    usage[list(TOKEN_CLASSES)] = usage[list(TOKEN_CLASSES)].mul(
        usage["month"].map(scale), axis=0)
    before_batch = _undiscounted_cost(usage, book)
    usage["list_cost"] = before_batch * np.where(usage["service_tier"] == "batch",
                                                 1.0 - book.batch_discount, 1.0)

    warnings = []
    tokens = frame[list(TOKEN_CLASSES)].sum(axis=1)
    if rows["service_tier"].isna().any():
        warnings.append(f"{int(rows['service_tier'].isna().sum())} usage rows have no "
                        "service_tier: priced as standard (real time); export the report "
                        "grouped by service_tier to see batch traffic")
    other = sorted(set(frame["service_tier"]) - {"standard", "batch"})
    if other:
        warnings.append(f"service tier {', '.join(other)} priced at standard list prices "
                        "(the price book has no separate prices for it)")
    long = frame.index[rows.loc[frame.index, "context_window"].fillna("0-200k") != "0-200k"]
    if len(long):
        warnings.append(f"{tokens.loc[long].sum():,.0f} tokens in the 200k-1M context window "
                        "priced at standard rates: the price book has no long-context "
                        "prices, so their cost is understated")
    return usage, warnings


def _undiscounted_cost(usage: pd.DataFrame, book: PriceBook) -> Any:
    """USD list cost of each row before the batch discount, token class by token class."""
    import pandas as pd

    from forecast.cost import MTOK

    models = sorted(usage["model"].unique())
    p = book.arrays(models)
    idx = pd.Categorical(usage["model"], categories=models).codes
    input_price = p["input"][idx]
    input_units = (usage["uncached_input"].to_numpy()
                   + usage["cache_write_5m"].to_numpy() * p["write_5m"][idx]
                   + usage["cache_write_1h"].to_numpy() * p["write_1h"][idx]
                   + usage["cache_read"].to_numpy() * p["read"][idx])
    return (input_units * input_price + usage["output"].to_numpy() * p["output"][idx]) / MTOK


def _group_history(name: str, monthly_cost: Any, usage: pd.DataFrame, level: str,
                   book: PriceBook, total: GrowthFit) -> GroupHistory:
    """Levers and tokens of one group in the level month, and its growth fit."""
    import numpy as np

    from forecast.types import CacheTTL, Waiting
    from forecast.usage_readers import TOKEN_CLASSES

    rows = usage[(usage["group"] == name) & (usage["month"] == level)]
    tokens = {c: float(rows[c].sum()) for c in TOKEN_CLASSES}
    writes = tokens["cache_write_5m"] + tokens["cache_write_1h"]
    cached = writes + tokens["cache_read"]
    ttl = CacheTTL.NONE if cached == 0 else (
        CacheTTL.ONE_HOUR if tokens["cache_write_1h"] > tokens["cache_write_5m"]
        else CacheTTL.FIVE_MINUTES)
    hit_rate = tokens["cache_read"] / cached if cached else 0.0
    is_batch = rows["service_tier"] == "batch"
    batch_before_discount = rows["list_cost"][is_batch].sum() / (1.0 - book.batch_discount)
    before_discount = rows["list_cost"][~is_batch].sum() + batch_before_discount
    batch_share = float(batch_before_discount / before_discount) if before_discount else 0.0
    # Model mix in reference-tokenizer tokens; volumes in the main model's tokenizer, so
    # that the cost model's factor k_m / k_main gives each model back its billed tokens.
    factor = rows["model"].map({m: p.tokenizer_factor for m, p in book.models.items()}
                               ).astype(float)
    by_model = (rows[list(TOKEN_CLASSES)].sum(axis=1) / factor).groupby(rows["model"]).sum()
    by_model = by_model[by_model > 0].sort_values(ascending=False, kind="stable")
    mix = {m: float(v / by_model.sum()) for m, v in by_model.items()}
    monthly_tokens: dict[str, Any] = {}
    if mix:
        main = next(iter(mix))
        k_main = book.models[main].tokenizer_factor
        converted = rows[list(TOKEN_CLASSES)].div(factor, axis=0).sum() * k_main
        monthly_tokens = {
            "cacheable_prefix": _whole(converted[["cache_write_5m", "cache_write_1h",
                                                  "cache_read"]].sum()),
            "input": _whole(converted["uncached_input"]),
            "output": _whole(converted["output"]),
        }
        if k_main != 1.0:
            monthly_tokens["counted_on"] = main
    if batch_share >= _FULL:
        waiting = Waiting.ASYNC
    elif batch_share > 0:
        waiting = Waiting.GRAY
    else:
        waiting = Waiting.INTERACTIVE

    note = None
    active = np.flatnonzero(monthly_cost > 0)
    span = monthly_cost[active[0]:active[-1] + 1] if active.size else monthly_cost[:0]
    fit = fit_growth(span) if span.size >= MIN_MONTHS and np.all(span > 0) else None
    if fit is None:
        note = (f"usage in {active.size} of {monthly_cost.size} months, too few (or with "
                "gaps) to fit growth: written flat with the total's volatility; set its growth")
    monthly, volatility = (fit.monthly, fit.volatility) if fit else (0.0, total.volatility)
    level_cost = float(rows["list_cost"].sum())
    return GroupHistory(name, monthly_cost, level_cost, fit, monthly, volatility, note, tokens,
                        monthly_tokens, batch_share, hit_rate, ttl, mix, waiting, None)


def _whole(tokens: float) -> int:
    return round(float(tokens))


def _share(value: float) -> float:
    """Shares and rates to 6 decimals: readable, and off the exact cost by < 1e-6."""
    return round(float(value), 6)


def _rounded_shares(mix: dict[str, float]) -> dict[str, float]:
    """Model shares to 6 decimals that still sum to 1 (the largest takes the rounding)."""
    shares = {m: _share(s) for m, s in mix.items() if _share(s) > 0}
    first = next(iter(shares))
    shares[first] = _share(1.0 - sum(v for m, v in shares.items() if m != first))
    return shares


def _scenario_document(groups: list[GroupHistory], book_ref: str, level: str,
                       used: list[str], name: str) -> dict[str, Any]:
    """The scenario as plain data: one workload per group with usage in the level month."""
    from forecast.types import Waiting

    year, month = (int(p) for p in used[-1].split("-"))
    start = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    workloads = []
    for g in groups:
        if not g.model_mix:
            continue
        levers: dict[str, Any] = {
            "models": _rounded_shares(g.model_mix),
            "batch_share": _share(g.batch_share),
            "cache_hit_rate": _share(g.cache_hit_rate),
            "cache_ttl": str(g.cache_ttl),
        }
        workload: dict[str, Any] = {"name": g.name, "monthly_tokens": g.monthly_tokens,
                                    "waiting": str(g.waiting)}
        if g.waiting == Waiting.GRAY:
            workload["acceptable_latency_minutes"] = BATCH_LATENCY_MINUTES
            workload["urgent_share"] = _share(1.0 - g.batch_share)
        workload["current"] = levers
        workload["optimized"] = {**levers, "models": dict(levers["models"]),
                                 "lands_month": 1, "ramp_months": 0}
        workload["growth"] = {"monthly": round(g.growth_monthly, 4),
                              "volatility": round(g.growth_volatility, 4)}
        workloads.append(workload)
    if not workloads:
        raise ImportUsageError(f"no group has usage in {level}; nothing to write")
    return {
        "name": name,
        "description": f"Imported from Claude usage history, {used[0]} to {used[-1]}; "
                       "see the header comment for what was inferred.",
        "price_book": book_ref,
        "start": start,
        "horizon_months": 36,
        "workloads": workloads,
    }


def _validate(document: dict[str, Any], groups: list[GroupHistory], book: PriceBook
              ) -> tuple[Scenario, list[GroupHistory]]:
    """Validate the document and reprice each workload's first month on its current path."""
    from dataclasses import replace

    from forecast.cost import request_cost
    from forecast.errors import ScenarioError
    from forecast.scenario import parse_scenario

    try:
        scenario = parse_scenario(document)
    except ScenarioError as exc:  # a bug here, not the user's: say what was built
        raise ImportUsageError(f"the imported scenario does not validate: {exc}") from None
    cost = {w.name: request_cost(book, w.token_counts, w.current) for w in scenario.workloads}
    return scenario, [replace(g, scenario_cost=cost.get(g.name)) for g in groups]


def _reprice_warnings(groups: list[GroupHistory], group_by: GroupBy) -> list[str]:
    """Groups whose scenario does not reprice their last month within 1%.

    A workload carries one token mix for all its models; when a group's models use tokens
    differently (or mix cache TTLs), the per-model mix is lost and the scenario's month 1
    drifts from what was billed. Grouping by model keeps each model's own mix.
    """
    from forecast.formatting import usd

    out = []
    for g in groups:
        if g.scenario_cost is None or g.level_cost <= 0:
            continue
        gap = g.scenario_cost / g.level_cost - 1.0
        if abs(gap) > 0.01:
            hint = "" if group_by == GroupBy.MODEL else "; import with --group-by model for " \
                "an exact baseline"
            out.append(f"{g.name}: the scenario prices its month 1 at "
                       f"{usd(g.scenario_cost, 2)} against {usd(g.level_cost, 2)} billed "
                       f"({gap:+.1%}): its models (or cache TTLs) use tokens differently and "
                       f"one workload carries one token mix{hint}")
    return out


# --------------------------------------------------------------------------- CLI
def register_cli(subparsers: Any) -> None:
    """Add ``commitplan import`` to the command line's sub-parsers."""
    p = subparsers.add_parser(
        "import", help="turn Claude usage history into a scenario with fitted growth",
        description="Read Admin API usage report pages (.json) and Console usage exports "
                    "(.csv), roll them up to months, price them and write a scenario: one "
                    "workload per group, today's levers as observed, growth fitted.")
    p.add_argument("usage", nargs="+", metavar="USAGE", help="usage files (.json or .csv)")
    p.add_argument("-o", "--output", metavar="SCENARIO.yaml",
                   help="write the scenario here (YAML); without it, print it")
    p.add_argument("--group-by", choices=[g.value for g in GroupBy],
                   default=GroupBy.WORKSPACE.value, help="one workload per (default workspace)")
    p.add_argument("--months", type=int, metavar="N",
                   help="keep the last N months (after partial months are dropped or scaled)")
    p.add_argument("--report", action="store_true",
                   help="print what was read: months, groups, tokens, cost, fitted growth")
    p.add_argument("--name", help="the scenario's name")
    p.add_argument("--price-book", metavar="ID|FILE",
                   help="a bundled price book id or a book file (default: the bundled one)")
    p.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    """Handler of ``commitplan import``: nothing is written when anything fails."""
    from forecast.scenario import atomic_write

    if args.output and Path(args.output).suffix.lower() == ".json":
        raise ImportUsageError(f"{args.output}: write the scenario as .yaml; it carries a "
                               "comment header, which JSON cannot hold")
    sources = []
    for path in args.usage:
        try:
            sources.append((path, Path(path).read_bytes()))
        except FileNotFoundError:
            raise ImportUsageError(f"{path}: no such file") from None
        except OSError as exc:
            raise ImportUsageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    book = args.price_book
    if book and Path(book).suffix.lower() in (".yaml", ".yml", ".json"):
        book = str(Path(book).resolve())  # the scenario may be saved in another folder
    result = import_usage(sources, args.group_by, args.months, book, args.name)
    if args.report:
        print(result.report())
    if args.output:
        try:
            atomic_write(args.output, result.scenario_yaml())
        except OSError as exc:
            raise ImportUsageError(f"{args.output}: cannot write ({exc.strerror or exc})"
                                   ) from None
        print(f"wrote {args.output}: {len(result.scenario.workloads)} workloads from "
              f"{len(args.usage)} file{'s' if len(args.usage) > 1 else ''}", file=sys.stderr)
    elif not args.report:
        sys.stdout.write(result.scenario_yaml())
    return 0

"""Usage history to scenario: read, de-duplicate, price, roll up to months, fit, infer.

:func:`import_usage` is the whole import. It is two steps, so that a backtest can fit many
training windows on one reading: :func:`price_history` (read every file, resolve models,
merge, price every line at the book's dated entries) and :func:`build_import` (months,
growth fits, levers and the scenario, for a window of months).

The scenario starts the month after the last month used. Its volumes are per average month
(:data:`~forecast.usage.months.AVERAGE_MONTH_DAYS` days): the level month's usage per day
times that, grown by each group's fitted growth to month 1, and priced at the book's latest
entries. A backtest asks for ``start_at_level``: the scenario then starts at the level month
itself, at its own per-day level, so that the simulation's later months are the forecast.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast import limits
from forecast.errors import ImportUsageError, PlannerError
from forecast.pricebook import LATEST_PRICE_BOOK, PriceBook, load_price_book
from forecast.types import CacheTTL, GrowthModel, Waiting
from forecast.usage.fitting import (
    IMPORT_HORIZON,
    GroupFit,
    SharedFit,
    bounded_growth,
    break_warning,
    fit_total,
    group_fits,
)
from forecast.usage.formats import read_usage
from forecast.usage.growth import (
    WeekdayPattern,
    shared_volatility,
    weekday_pattern,
)
from forecast.usage.levers import (
    BATCH_LATENCY_MINUTES,
    GroupLevers,
    levers_by_group,
    rounded_shares,
    share,
    volume_fields,
)
from forecast.usage.merge import merge_records
from forecast.usage.months import (
    AVERAGE_MONTH_DAYS,
    MonthCoverage,
    MonthUse,
    days_in_month,
    month_coverage,
    month_offset,
    months_between,
    plan_months,
    provisional_months,
)
from forecast.usage.pricing import price_rows
from forecast.usage.records import TOKEN_CLASSES, CostRecords, UsageRecords
from forecast.usage.result import (
    EffectiveRate,
    GroupBy,
    GroupHistory,
    ImportReport,
    SourceRead,
    UsageImport,
)

DEFAULT_WORKSPACE = "Default workspace"
NO_API_KEY = "(no API key)"
NO_PRODUCT = "(no product)"
#: A group whose scenario month 1 is off what it should cost by more than this is warned.
REPRICE_TOLERANCE = 0.01
#: Levers of a group without usage in the level month (left out of the scenario).
_NO_USAGE = GroupLevers({c: 0.0 for c in TOKEN_CLASSES}, None, {}, None, 0.0, 0.0,
                        CacheTTL.NONE, {}, 0.0, 0.0, Waiting.INTERACTIVE)


@dataclass(frozen=True)
class PricedHistory:
    """Usage read, merged and priced, before any choice of months or groups.

    Attributes
    ----------
    lines : pandas.DataFrame
        One row per merged usage line: ``month``, ``start``, ``end`` (its bucket), the
        grouping fields (``model`` as the book's id), the token classes, ``requests``, the
        :class:`~forecast.usage.pricing.PricedRows` columns and ``batch_weight`` (the share
        of the line batched).
    spans : pandas.DataFrame
        ``start``, ``end`` of every usage bucket: the time the files cover.
    """

    book: PriceBook
    book_ref: str
    sources: list[SourceRead]
    duplicates: int
    lines: pd.DataFrame
    spans: pd.DataFrame
    watermark: np.datetime64 | None
    cost: list[CostRecords]
    warnings: list[str]
    batch_share: float | None


def import_usage(
    sources: Sequence[tuple[str, bytes | str]],
    group_by: GroupBy | str | None = None,
    months: int | None = None,
    price_book: str | None = None,
    name: str | None = None,
    batch_share: float | None = None,
    include_provisional: bool = False,
) -> UsageImport:
    """Turn usage history files into a scenario with fitted growth.

    Parameters
    ----------
    sources : sequence of (file name, content)
        Usage report pages (``.json``: analytics or legacy Admin API), cost report pages and
        Console usage exports (``.csv``); the format is told from the content. Several files
        are merged, every usage line counted once.
    group_by : {"workspace", "api_key", "model", "product"}, optional
        What becomes one workload; default: workspace when the files name workspaces, else
        product when they name products, else model.
    months : int, optional
        Keep only the last N months used (after partial months are dropped or scaled).
    price_book : str, optional
        A bundled id or a book file; default the bundled default book.
    name : str, optional
        The scenario's name; default ``Imported usage FIRST to LAST``.
    batch_share : float, optional
        Share of the traffic batched, for usage lines without a service tier (the analytics
        report has none); default 0.
    include_provisional : bool
        Fit provisional months too (within 30 days of the report's ``data_refreshed_at``).

    Raises
    ------
    ImportUsageError
        Naming the file, bucket or row, and the problem.
    """
    try:
        history = price_history(sources, price_book, batch_share)
        return build_import(history, group_by, months, include_provisional, name)
    except ImportUsageError as exc:
        raise name_the_files(exc, [n for n, _ in sources]) from None


def name_the_files(exc: ImportUsageError, names: list[str]) -> ImportUsageError:
    """The error, led by the files' names when it names none of them (a month too few...)."""
    text = str(exc)
    if any(n and n in text for n in names):
        return exc
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return ImportUsageError(f"{shown}: {text}")


# --------------------------------------------------------------------------- step 1
def price_history(sources: Sequence[tuple[str, bytes | str]], price_book: str | None = None,
                  batch_share: float | None = None) -> PricedHistory:
    """Read every file, resolve models, merge and price every usage line."""
    if not sources:
        raise ImportUsageError("no usage files given")
    if batch_share is not None and not 0.0 <= batch_share <= 1.0:
        raise ImportUsageError(f"batch_share is {batch_share:g}; give a share between 0 and 1 "
                               "(0.3 for 30%)")
    book_ref = price_book or LATEST_PRICE_BOOK
    book = load_price_book(book_ref)
    parts: list[UsageRecords] = []
    costs: list[CostRecords] = []
    read: list[SourceRead] = []
    for file_name, content in sources:
        records = read_usage(file_name, content)
        read.append(SourceRead(file_name, records.fmt, len(records.buckets), len(records.rows),
                               len(records.incomplete), records.version,
                               records.bucket_width))
        if isinstance(records, CostRecords):
            costs.append(records)
        else:
            parts.append(records)
    if not parts:
        raise ImportUsageError(f"{', '.join(n for n, _ in sources)}: no usage report or usage "
                               "export among the files (cost report pages are reconciled "
                               "against usage; give the usage pages beside them)")
    if not any(len(p.buckets) for p in parts):
        raise ImportUsageError(f"{', '.join(n for n, _ in sources)}: no usage buckets: every "
                               "page has an empty data[]")
    parts = _resolve_models(parts, book)
    records, duplicates = merge_records(parts)
    buckets = records.buckets
    lines = records.rows.join(buckets[["start", "end"]], on="bucket")
    priced, warnings = price_rows(lines, lines["start"].to_numpy(), lines["end"].to_numpy(),
                                  book, batch_share)
    for column in ("list_cost", "list_cost_latest", "before_region_latest",
                   "base_band_latest", "before_batch_latest", "long", "us", "has_band",
                   "offers_us"):
        lines[column] = getattr(priced, column)
    no_tier = lines["service_tier"].isna().to_numpy()
    lines["batch_weight"] = np.where(lines["service_tier"].to_numpy() == "batch", 1.0,
                                     np.where(no_tier, batch_share or 0.0, 0.0))
    lines["month"] = lines["start"].dt.strftime("%Y-%m")
    lines = lines.drop(columns=["bucket"]).reset_index(drop=True)
    marks = [p.watermark for p in parts if p.watermark is not None]
    spans = buckets[["start", "end"]].drop_duplicates().reset_index(drop=True)
    return PricedHistory(book, book_ref, read, duplicates, lines, spans,
                         max(marks) if marks else None, costs, warnings, batch_share)


def _resolve_models(parts: list[UsageRecords], book: PriceBook) -> list[UsageRecords]:
    """Every part with ``model`` as the book's id; one error for every unknown name."""
    unknown: dict[str, str] = {}
    out = []
    for part in parts:
        names = part.rows["model"]
        mapping = {raw: book.resolve_model(raw) for raw in names.unique()}
        for raw, model_id in mapping.items():
            if model_id is None and raw not in unknown:
                unknown[raw] = part.locate((names == raw).idxmax())
        rows = part.rows.assign(model=names.map(mapping))
        out.append(UsageRecords(rows, part.buckets, part.fmt, part.watermark, part.incomplete))
    if unknown:
        where = ", ".join(f"{raw[:60]!r} (first at {loc})" for raw, loc in unknown.items())
        raise ImportUsageError(
            f"unknown model{'s' if len(unknown) > 1 else ''} {where}: not in price book "
            f"{book.id!r}, which prices {', '.join(book.model_ids)} (API ids with or "
            "without a date suffix, aliases and display names such as 'Claude Sonnet 4.5' "
            "are recognised); give a price book that prices them (--price-book)"
        )
    return out


# --------------------------------------------------------------------------- step 2
def build_import(history: PricedHistory, group_by: GroupBy | str | None = None,
                 months: int | None = None, include_provisional: bool = False,
                 name: str | None = None, through: str | None = None,
                 start_at_level: bool = False) -> UsageImport:
    """Months, fits, levers and the scenario, for a window of the priced history.

    Parameters
    ----------
    history : PricedHistory
        From :func:`price_history`.
    through : str, optional
        Last month of the window (``YYYY-MM``): later months are left out.
    start_at_level : bool
        Start the scenario at the level month, at its per-day level (for a backtest).
    """
    if months is not None and months < 1:
        raise ImportUsageError(f"months is {months}; keep at least 1 month (3 to fit growth)")
    lines = history.lines
    group_by, group_note = _group_by(group_by, lines)
    labels, coverage = month_coverage(history.spans)
    provisional = provisional_months(labels, history.watermark)
    plan = plan_months(labels, coverage, months, provisional, include_provisional, through)
    used = [m.month for m in plan if m.used]
    level = next((m.month for m in reversed(plan) if m.use == MonthUse.FULL), used[-1])
    scale = {m.month: m.scale for m in plan if m.used}
    days = np.array([days_in_month(m) for m in used], dtype=float)

    frame = lines[lines["month"].isin(used)].copy()
    frame["group"] = _group_column(frame, group_by)
    factor = frame["month"].map(scale).to_numpy()
    scaled = [*TOKEN_CLASSES, "requests", "list_cost", "list_cost_latest",
              "before_region_latest", "base_band_latest", "before_batch_latest"]
    frame[scaled] = frame[scaled].mul(factor, axis=0)
    warnings = list(history.warnings)

    def pivot(column: str) -> pd.DataFrame:
        return (frame.pivot_table(index="month", columns="group", values=column,
                                  aggfunc="sum", sort=False)
                .reindex(index=used).fillna(0.0))

    billed, latest = pivot("list_cost"), pivot("list_cost_latest")
    order = sorted(latest.columns, key=lambda g: (-latest[g].sum(), g))
    billed, latest = billed.reindex(columns=order, fill_value=0.0), latest[order]
    totals = latest.sum(axis=1)
    if (totals <= 0).any():
        empty = ", ".join(totals.index[totals <= 0])
        raise ImportUsageError(f"no usage at all in {empty}: growth is fitted to log cost, so "
                               "every month used needs some; use --months to start after it")
    total, growth_break, fit_from, choice = fit_total(totals.to_numpy(), days)
    if growth_break is not None:
        warnings.append(break_warning(growth_break, used, total))
    window = latest.iloc[fit_from:]
    whole = [g for g in order if (window[g] > 0).all()]  # groups fitted over every month
    # The shared shock is a random walk: around a trend each group keeps all of its noise.
    shared = 0.0 if total.trend_noise else shared_volatility(
        window[whole].to_numpy(), days[fit_from:], window[whole].sum().to_numpy())
    # The shared part of every group's growth error: the shared shock's, s0 sqrt(sum W_k^2),
    # in growth units like monthly_sd ((1 + g) se(b)).
    shared_sd = shared * total.slope_weight * (1.0 + total.monthly)
    start = level if start_at_level else month_offset(used[-1], 1)
    gap = months_between(level, start)
    level_frame = frame[frame["month"] == level]
    levers = levers_by_group(level_frame, history.book)
    level_cost = level_frame.groupby("group")[["list_cost", "list_cost_latest"]].sum()
    fits = group_fits({g: latest[g].to_numpy() for g in order}, days, fit_from, total)
    groups = []
    for g in order:
        groups.append(_group_history(
            g, billed[g].to_numpy(), latest[g].to_numpy(), fits[g], levers.get(g),
            level_cost.reindex([g]).fillna(0.0).iloc[0], level, gap, shared, shared_sd))
    shared_fit = SharedFit(shared, shared_sd, total.months)
    document, capped = _scenario_document(groups, history, level, used, start,
                                          name or f"Imported usage {used[0]} to {used[-1]}",
                                          shared_fit, group_by)
    warnings += capped
    spent = billed.sum(axis=1)
    document["history"] = [{"month": m, "list_spend": round(float(spent[m]), 2)}
                           for m in used[-limits.MAX_HISTORY_MONTHS:]]
    scenario, groups = _validate(document, groups, history.book)
    warnings += _reprice_warnings(groups, group_by)

    usage = (frame.groupby(["month", "group", "model", "service_tier"], sort=True,
                           dropna=False)[scaled].sum(min_count=0).reset_index())
    monthly = billed.copy()
    monthly.index.name = "month"
    monthly["total"] = monthly.sum(axis=1)
    tokens = frame.groupby("group")[[*TOKEN_CLASSES, "list_cost"]].sum().reindex(order)
    rate, rate_problem = _effective_rate(history, plan)
    warnings += [rate_problem] if rate_problem else []
    if rate is not None:
        document["current_discount"] = round(rate.current_discount, 4)
        scenario = scenario.model_copy(update={"current_discount":
                                               document["current_discount"]})
    report = ImportReport(
        sources=history.sources, duplicates=history.duplicates, months=plan,
        used_months=used, provisional_months=sorted(provisional),
        watermark=None if history.watermark is None else str(history.watermark)[:19] + "Z",
        group_by=group_by, group_by_note=group_note, level_month=level,
        book_id=history.book.id, book_date=str(history.book.effective_date),
        monthly_cost=monthly, tokens=tokens, groups=groups, total=total,
        shared_volatility=shared, shared_growth_sd=shared_sd, growth_break=growth_break,
        model_choice=choice,
        written=document["workloads"], written_uncertainty=document.get("uncertainty", {}),
        effective_rate=rate, weekday=_weekdays(lines, used), warnings=warnings)
    return UsageImport(scenario, document, usage, report, history.book)


def _group_by(value: GroupBy | str | None, lines: pd.DataFrame) -> tuple[GroupBy, str | None]:
    """The grouping asked for, or the default the files allow, with a note on the choice."""
    if value is not None:
        try:
            return GroupBy(value), None
        except ValueError:
            choices = ", ".join(g.value for g in GroupBy)
            raise ImportUsageError(f"group_by is {value!r}; choose one of {choices}") from None
    if lines["workspace"].notna().any():
        return GroupBy.WORKSPACE, None
    if lines["product"].notna().any():
        return GroupBy.PRODUCT, "the files name no workspace: the analytics report has none"
    return GroupBy.MODEL, "the files name no workspace and no product"


def _group_column(frame: pd.DataFrame, group_by: GroupBy) -> Any:
    if group_by == GroupBy.WORKSPACE:
        return frame["workspace"].fillna(DEFAULT_WORKSPACE).to_numpy()
    if group_by == GroupBy.API_KEY:
        return frame["api_key"].fillna(NO_API_KEY).to_numpy()
    if group_by == GroupBy.PRODUCT:
        return frame["product"].fillna(NO_PRODUCT).to_numpy()
    return frame["model"].to_numpy()


def _group_history(name: str, billed: Any, latest: Any, fit: GroupFit,
                   levers: GroupLevers | None, level_cost: pd.Series, level: str, gap: int,
                   shared: float, shared_sd: float
                   ) -> tuple[GroupHistory, GroupLevers, float]:
    """Levers of one group in the level month, its growth fit, and the factor from the level
    month's volume to month 1's (per average month, grown over ``gap`` months). Its own
    volatility (and slope error) is what its shocks leave beyond the ``shared`` ones."""
    levers = levers or _NO_USAGE
    own = float(np.sqrt(max(0.0, fit.volatility**2 - shared**2)))
    own_sd = float(np.sqrt(max(0.0, fit.sd**2 - shared_sd**2)))
    level_latest = float(level_cost["list_cost_latest"])
    factor = AVERAGE_MONTH_DAYS / days_in_month(level) * (1.0 + fit.monthly) ** gap
    if fit.fit is not None and fit.fit.trend_noise:
        # Around a trend month 1 is the line's expected value, not the last month's noise:
        # the level month's residual taken out, exp(s^2 / 2) put in (docs/model.md).
        factor *= math.exp(fit.fit.volatility**2 / 2 - fit.fit.last_residual)
    return GroupHistory(
        name=name, monthly_cost=billed, monthly_cost_latest=latest,
        level_cost=float(level_cost["list_cost"]), level_cost_latest=level_latest,
        fit=fit.fit, growth_monthly=fit.monthly, growth_volatility=fit.volatility,
        own_volatility=own, growth_sd=fit.sd, own_growth_sd=own_sd, fit_months=fit.fit_months,
        fit_note=fit.note, tokens=levers.tokens, requests=levers.requests,
        batch_share=levers.batch_share, cache_hit_rate=levers.cache_hit_rate,
        cache_ttl=levers.cache_ttl, model_mix=levers.model_mix,
        long_prompt_share=levers.long_prompt_share,
        us_inference_share=levers.us_inference_share, waiting=levers.waiting,
        month1_expected=level_latest * factor,
    ), levers, factor


def _scenario_document(groups: list[tuple[GroupHistory, GroupLevers, float]],
                       history: PricedHistory, level: str, used: list[str], start: str,
                       name: str, shared: SharedFit, group_by: GroupBy = GroupBy.WORKSPACE
                       ) -> tuple[dict[str, Any], list[str]]:
    """The scenario as plain data: one workload per group with usage in the level month,
    and the warnings of fits that had to be capped.

    Each workload says which usage it came from (``usage_match``: the group's value of the
    grouping field, as :func:`forecast.tracking.match_usage` reads it back), so that
    ``commitplan track`` can follow it after signing."""
    workloads = []
    capped: list[str] = []
    for g, levers, factor in groups:
        if not g.model_mix:
            continue
        lever_set: dict[str, Any] = {
            "models": rounded_shares(g.model_mix),
            "batch_share": share(g.batch_share),
            "cache_hit_rate": share(g.cache_hit_rate),
            "cache_ttl": str(g.cache_ttl),
        }
        workload: dict[str, Any] = {"name": g.name, **volume_fields(levers, factor),
                                    "waiting": str(g.waiting)}
        if g.waiting == Waiting.GRAY:
            workload["acceptable_latency_minutes"] = BATCH_LATENCY_MINUTES
            workload["urgent_share"] = share(1.0 - g.batch_share)
        if share(g.long_prompt_share) > 0:
            workload["long_prompt_share"] = share(g.long_prompt_share)
        if share(g.us_inference_share) > 0:
            workload["us_inference_share"] = share(g.us_inference_share)
        workload["usage_match"] = {str(group_by): [g.name]}
        workload["current"] = lever_set
        workload["optimized"] = {**lever_set, "models": dict(lever_set["models"]),
                                 "lands_month": 1, "ramp_months": 0}
        trend = g.fit is not None and g.fit.trend_noise
        monthly, own, sd, note = bounded_growth(g.name, g.growth_monthly, g.own_volatility,
                                                g.own_growth_sd, g.month1_expected,
                                                fit_months=g.fit_months, shared=shared,
                                                trend_noise=trend)
        if note:
            capped.append(note)
        workload["growth"] = {"monthly": round(monthly, 4), "volatility": round(own, 4),
                              "monthly_sd": round(sd, 4), "fit_months": g.fit_months}
        if trend:
            workload["growth"]["model"] = str(GrowthModel.TREND_NOISE)
        workloads.append(workload)
    if not workloads:
        raise ImportUsageError(f"no group has usage in {level}; nothing to write")
    document = {
        "name": name,
        "description": f"Imported from Claude usage history, {used[0]} to {used[-1]}; "
                       "see the header comment for what was inferred.",
        "price_book": history.book_ref,
        "start": start,
        "horizon_months": IMPORT_HORIZON,
        "workloads": workloads,
    }
    uncertainty: dict[str, Any] = {}
    if round(shared.volatility, 4) > 0:
        uncertainty["shared_growth_volatility"] = round(min(shared.volatility,
                                                            limits.MAX_VOLATILITY), 4)
    if round(shared.growth_sd, 4) > 0:
        uncertainty["shared_growth_sd"] = round(min(shared.growth_sd, limits.MAX_GROWTH_SD), 4)
    if uncertainty:
        uncertainty["shared_fit_months"] = shared.months
        document["uncertainty"] = uncertainty
    return document, capped


def _validate(document: dict[str, Any],
              groups: list[tuple[GroupHistory, GroupLevers, float]], book: PriceBook
              ) -> tuple[Any, list[GroupHistory]]:
    """Validate the document and price each workload's month 1 on its current path."""
    from dataclasses import replace

    from forecast.cost import request_cost
    from forecast.scenario_io import parse_scenario

    try:
        scenario = parse_scenario(document)
    except PlannerError as exc:  # a bug here, not the user's: say what was built
        raise ImportUsageError(f"the imported scenario does not validate: {exc}") from None
    cost = {w.name: w.volume * request_cost(book, w.token_counts, w.current,
                                            long_prompt_share=w.long_prompt_share,
                                            us_inference_share=w.us_inference_share)
            for w in scenario.workloads}
    return scenario, [replace(g, scenario_cost=cost.get(g.name)) for g, _, _ in groups]


def _reprice_warnings(groups: list[GroupHistory], group_by: GroupBy) -> list[str]:
    """Groups whose scenario month 1 is more than 1% off what it should cost.

    A workload carries one token mix for all its models; when a group's models use tokens
    differently (or mix cache TTLs, bands or regions), the per-model mix is lost and the
    scenario's month 1 drifts from the level month's cost. Grouping by model keeps each
    model's own mix.
    """
    from forecast.formatting import usd

    out = []
    for g in groups:
        if g.scenario_cost is None or g.month1_expected <= 0:
            continue
        gap = g.scenario_cost / g.month1_expected - 1.0
        if abs(gap) > REPRICE_TOLERANCE:
            hint = "" if group_by == GroupBy.MODEL else "; import with --group-by model for " \
                "an exact baseline"
            out.append(f"{g.name}: the scenario prices its month 1 at "
                       f"{usd(g.scenario_cost, 2)} against {usd(g.month1_expected, 2)} from "
                       f"its usage ({gap:+.1%}): its models (or cache TTLs) use tokens "
                       f"differently and one workload carries one token mix{hint}")
    return out


# --------------------------------------------------------------------------- extras
def _weekdays(lines: pd.DataFrame, used: list[str]) -> WeekdayPattern | None:
    """The weekday pattern of whole days covered by buckets of a day or less."""
    width = lines["end"] - lines["start"]
    short = lines[(width <= pd.Timedelta(days=1)) & lines["month"].isin(used)]
    if short.empty:
        return None
    day = short["start"].dt.floor("D")
    buckets = short.assign(day=day, width=width[short.index]).drop_duplicates(["start", "end"])
    whole = buckets.groupby("day")["width"].sum() >= pd.Timedelta(days=1)
    cost = short.assign(day=day).groupby("day")["list_cost_latest"].sum()
    cost = cost[whole.reindex(cost.index, fill_value=False)]
    return weekday_pattern(cost)


def _effective_rate(history: PricedHistory, plan: list[MonthCoverage]
                    ) -> tuple[EffectiveRate | None, str | None]:
    """Billed (cost report) against list (usage at the book) per month both cover in full;
    or a warning saying why it cannot be told."""
    if not history.cost:
        return None, None
    rows = pd.concat([c.rows.join(c.buckets[["start", "end"]], on="bucket")
                      for c in history.cost], ignore_index=True)
    tokens_only = rows["cost_type"].isna() | (rows["cost_type"] == "tokens")
    note = None
    if rows["cost_type"].isna().all():
        note = ("the cost report is not grouped by cost_type, so its amounts include any "
                "web search and code execution charges; group it by cost_type to compare "
                "tokens only")
    rows = rows[tokens_only]
    buckets = pd.concat([c.buckets for c in history.cost]).drop_duplicates(["start", "end"])
    cost_cover = _coverage_by_month(buckets)
    usage_cover = {m.month: m.coverage for m in plan}
    months = sorted(m for m, c in cost_cover.items()
                    if c >= 1 - 1e-9 and usage_cover.get(m, 0) >= 1 - 1e-9)
    if not months:
        return None, ("the cost report and the usage cover no whole month in common, so the "
                      "effective rate cannot be told; export both for the same months")
    rows = rows.assign(month=rows["start"].dt.strftime("%Y-%m"))
    billed = rows.groupby("month")["amount"].sum()
    report_list = rows.groupby("month")["list_amount"].sum(min_count=1)
    ours = history.lines.groupby("month")["list_cost"].sum()
    out = [{"month": m, "billed": float(billed.get(m, 0.0)), "list": float(ours.get(m, 0.0)),
            "report_list": float(report_list.get(m, np.nan)),
            "rate": float(billed.get(m, 0.0) / ours.get(m, np.nan))} for m in months]
    return EffectiveRate(out, sum(r["billed"] for r in out), sum(r["list"] for r in out),
                         note), None


def _coverage_by_month(buckets: pd.DataFrame) -> dict[str, float]:
    labels, share_ = month_coverage(buckets[["start", "end"]])
    return dict(zip(labels, share_.tolist(), strict=True))

"""What an import read and inferred: :class:`UsageImport`, its typed :class:`ImportReport`.

The report is data first (months covered, tokens and cost per group, fitted growth with
its interval, provisional months, the effective rate, warnings), so that every face renders
the same figures: :meth:`ImportReport.text` for the command line, the fields for the app.
:meth:`UsageImport.scenario_yaml` writes the scenario under a comment header that says
where each figure came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.types import CacheTTL, Waiting
from forecast.usage.growth import GrowthBreak, GrowthFit, ModelChoice, WeekdayPattern
from forecast.usage.levers import BATCH_LATENCY_MINUTES
from forecast.usage.months import AVERAGE_MONTH_DAYS, MonthCoverage, MonthUse
from forecast.usage.records import TOKEN_CLASSES, UsageFormat

if TYPE_CHECKING:
    import pandas as pd

    from forecast.pricebook import PriceBook
    from forecast.scenario import Scenario


class GroupBy(StrEnum):
    """What becomes one workload of the scenario."""

    WORKSPACE = "workspace"
    API_KEY = "api_key"
    MODEL = "model"
    PRODUCT = "product"


@dataclass(frozen=True)
class SourceRead:
    """One file read: its name, format, how much it held and what was left out."""

    name: str
    fmt: UsageFormat
    buckets: int
    rows: int
    incomplete: int = 0
    version: str | None = None
    bucket_width: str | None = None

    @property
    def kind(self) -> str:
        return str(self.fmt)

    def describe(self) -> str:
        cut = f", {self.incomplete} incomplete buckets past data_refreshed_at left out" \
            if self.incomplete else ""
        version = f", read as anthropic-beta {self.version}" if self.version else ""
        width = f", time_bucket_width {self.bucket_width}" if self.bucket_width else ""
        return (f"{self.name} ({self.fmt}{version}{width}, {self.buckets} buckets, "
                f"{self.rows} rows{cut})")


@dataclass(frozen=True)
class GroupHistory:
    """One group (future workload) of the history.

    ``monthly_cost`` (as billed) and ``monthly_cost_latest`` (at the latest prices, what the
    growth is fitted on) have shape (n_months_used,). The levers and tokens are those of the
    level month, tokens as billed (before tokenizer conversion).
    """

    name: str
    monthly_cost: Any
    monthly_cost_latest: Any
    level_cost: float
    level_cost_latest: float
    fit: GrowthFit | None
    growth_monthly: float
    growth_volatility: float
    own_volatility: float  # what is left beyond the shared shock: written to the scenario
    growth_sd: float
    own_growth_sd: float  # the slope error left beyond the shared one: written
    fit_months: int  # months of the fit (or the pooled estimate's weight + 2): written
    fit_note: str | None
    tokens: dict[str, float]
    requests: float | None
    batch_share: float
    cache_hit_rate: float
    cache_ttl: CacheTTL
    model_mix: dict[str, float]
    long_prompt_share: float
    us_inference_share: float
    waiting: Waiting
    month1_expected: float  # what the scenario's month 1 should cost (latest prices)
    scenario_cost: float | None = None  # the scenario's month-1 cost; None when left out

    @property
    def interval(self) -> tuple[float, float] | None:
        """95% interval of the fitted monthly growth (None when not fitted)."""
        return self.fit.interval() if self.fit else None


@dataclass(frozen=True)
class EffectiveRate:
    """Billed against list: the buyer's effective rate, from cost report pages.

    ``months`` rows hold ``month``, ``billed`` (USD, post-discount), ``list`` (the usage
    priced at the book), ``report_list`` (the report's own ``list_amount``, NaN without)
    and ``rate`` (billed / list), for months the usage and cost report both cover in full.
    """

    months: list[dict[str, Any]]
    billed: float
    list_cost: float
    note: str | None = None

    @property
    def rate(self) -> float:
        """Billed / list over all reconciled months."""
        return self.billed / self.list_cost if self.list_cost else float("nan")

    @property
    def today(self) -> float:
        """Billed / list in the latest reconciled month: where a renewal starts from."""
        last = self.months[-1]
        return last["billed"] / last["list"] if last["list"] else float("nan")

    @property
    def report_discount(self) -> float | None:
        """The discount the cost pages state themselves in the latest reconciled month:
        1 - amount / list_amount (``None`` where they carry no list amount)."""
        last = self.months[-1]
        lst = last.get("report_list", float("nan"))
        if not lst == lst or lst <= 0:  # NaN or nothing listed
            return None
        return 1.0 - last["billed"] / lst

    @property
    def current_discount(self) -> float:
        """The scenario's ``current_discount``: the cost pages' own discount where they give
        the list amount, else billed against the usage priced at the book; within [0, 1)."""
        d = self.report_discount
        d = self.discount_today if d is None else d
        return min(max(d, 0.0), 0.9999) if d == d else 0.0

    @property
    def discount_today(self) -> float:
        return 1.0 - self.today


@dataclass(frozen=True)
class ImportReport:
    """Everything a face shows about an import, as data; :meth:`text` renders it."""

    sources: list[SourceRead]
    duplicates: int
    months: list[MonthCoverage]
    used_months: list[str]
    provisional_months: list[str]
    watermark: str | None
    group_by: GroupBy
    group_by_note: str | None
    level_month: str
    book_id: str
    book_date: str
    monthly_cost: pd.DataFrame
    tokens: pd.DataFrame
    groups: list[GroupHistory]
    total: GrowthFit
    shared_volatility: float
    effective_rate: EffectiveRate | None
    weekday: WeekdayPattern | None
    warnings: list[str] = field(default_factory=list)
    shared_growth_sd: float = 0.0
    growth_break: GrowthBreak | None = None
    model_choice: ModelChoice | None = None
    #: The workloads and uncertainty as written to the scenario: what is simulated, caps in.
    written: list[dict[str, Any]] = field(default_factory=list)
    written_uncertainty: dict[str, Any] = field(default_factory=dict)

    def history_line(self) -> str:
        used = self.used_months
        partial = [m.describe() for m in self.months if m.use != MonthUse.FULL]
        note = f"; {'; '.join(partial)}" if partial else "; no partial months"
        return f"{used[0]} to {used[-1]} ({len(used)} months){note}"

    def simulated_lines(self) -> list[str]:
        """The growth as written to the scenario, caps included: what the simulation draws
        from (each path draws its volatility with fit_months - 2 degrees of freedom and its
        growth error scaled with it)."""
        from forecast.formatting import table

        return ["Simulated (as written to the scenario, caps included): each path draws its "
                "volatility (scaled inverse chi-square, fit months - 2 degrees of freedom) "
                "and its growth error with it",
                table(_simulated_rows(self), ["workload", "growth/month", "volatility",
                                              "growth std err", "fit months"],
                      right={1, 2, 3, 4})]

    def text(self) -> str:
        """Plain text: what was read, months, groups, tokens, cost, fitted growth."""
        from forecast.formatting import pct, table, usd

        cost = self.monthly_cost
        n = len(self.sources)
        out = [
            f"Read {n} file{'s' if n > 1 else ''}:",
            *(f"  {s.describe()}" for s in self.sources),
            f"Duplicate usage lines counted once: {self.duplicates}",
            f"Months: {self.history_line()}",
        ]
        if self.watermark:
            out.append(f"Data refreshed at {self.watermark}: later buckets are incomplete "
                       "and left out; months within 30 days of it are provisional"
                       + (f" ({', '.join(self.provisional_months)})"
                          if self.provisional_months else ""))
        out += [
            f"Price book: {self.book_id} ({self.book_date}), list prices in force on each "
            "day of usage",
            f"Grouped by {self.group_by}: {len(self.groups)} groups; scenario volumes and "
            f"levers from {self.level_month}"
            + (f" ({self.group_by_note})" if self.group_by_note else ""),
            "",
            "List cost per month (USD)",
            table([[m, *(usd(v, 2) for v in row)] for m, row in zip(
                cost.index, cost.to_numpy(), strict=True)],
                  ["month", *cost.columns], right=set(range(1, len(cost.columns) + 1))),
            "",
            "Tokens by class over the months used",
        ]
        tok = self.tokens
        rows = [[name, *(f"{v:,.0f}" for v in r[:-1]), usd(r[-1], 2)]
                for name, r in zip(tok.index, tok.to_numpy(), strict=True)]
        out.append(table(rows, ["group", *TOKEN_CLASSES, "list cost"], right=set(range(1, 7))))
        out += ["", f"Levers observed in {self.level_month} (the scenario's current path)"]
        rows = []
        for g in self.groups:
            reprice = "-" if g.scenario_cost is None else usd(g.scenario_cost, 2)
            rows.append([g.name, usd(g.level_cost, 2), pct(g.batch_share, 1),
                         pct(g.cache_hit_rate, 1), str(g.cache_ttl),
                         pct(g.long_prompt_share, 1), pct(g.us_inference_share, 1),
                         ", ".join(f"{m} {s:.0%}" for m, s in g.model_mix.items()) or "-",
                         str(g.waiting), usd(g.month1_expected, 2), reprice])
        out.append(table(rows, ["group", "list cost", "batch", "cache hits", "ttl", "long",
                                "us", "models", "waiting", "month 1 expected",
                                "scenario month 1"], right={1, 2, 3, 5, 6, 9, 10}))
        out += ["", "Growth: least-squares line through log per-day list cost (at the latest "
                "prices); volatility = sd of the monthly shocks", ""]
        rows = []
        for name, fit, g in [*((g.name, g.fit, g) for g in self.groups),
                             ("total", self.total, None)]:
            if fit is None:
                assert g is not None
                rows.append([name, str(int((g.monthly_cost > 0).sum())), "0.00%", "-",
                             "not fitted", pct(g.growth_volatility, 2)])
                continue
            lo, hi = fit.interval()
            rows.append([name, str(fit.months), pct(fit.monthly, 2), pct(fit.monthly_se, 2),
                         f"{pct(lo, 1)} to {pct(hi, 1)}", pct(fit.volatility, 2)])
        out.append(table(rows, ["group", "months", "growth/month", "std err", "95% interval",
                                "volatility"], right={1, 2, 3, 5}))
        if self.model_choice is not None:
            out.append(self.model_choice.describe()[0].upper() + self.model_choice.describe()[1:]
                       + _MODEL_WHY[self.model_choice.model])
        if self.shared_volatility > 0:
            out.append(f"Shared volatility (the groups' common shock, from the covariance of "
                       f"their shocks): {pct(self.shared_volatility, 2)}; each workload keeps "
                       "the rest of its volatility as its own")
        if self.written:
            out += ["", *self.simulated_lines()]
        if self.effective_rate is not None:
            out += ["", *_effective_rate_lines(self.effective_rate)]
        if self.weekday is not None:
            out += ["", f"Weekday pattern: {self.weekday.describe()}."]
        out += [f"note: {g.name}: {g.fit_note}" for g in self.groups if g.fit_note]
        out += [f"warning: {w}" for w in self.warnings]
        return "\n".join(out)


#: What the chosen model means for the fan, after the import report's model line.
_MODEL_WHY = {
    "random_walk": ": the monthly shocks add up, so the fan widens with the square root of "
                   "the months ahead",
    "trend_noise": ": the months swing around a line rather than wander, so the fan is the "
                   "noise's width plus the line's error, which grows with the months ahead "
                   "(volatility = sd of the residuals about the line, growth = exp(slope) - "
                   "1; no break test: a swing is noise, not a change of growth)",
}


def _simulated_rows(report: ImportReport) -> list[list[str]]:
    from forecast.formatting import pct

    rows = [[w["name"] + (" (trend)" if w["growth"].get("model") == "trend_noise" else ""),
             pct(w["growth"]["monthly"], 2), pct(w["growth"]["volatility"], 2),
             pct(w["growth"]["monthly_sd"], 2), str(w["growth"].get("fit_months", 0))]
            for w in report.written]
    u = report.written_uncertainty
    if u:
        rows.append(["(shared by all)", "-", pct(u.get("shared_growth_volatility", 0.0), 2),
                     pct(u.get("shared_growth_sd", 0.0), 2), str(u.get("shared_fit_months", 0))])
    return rows


def _effective_rate_lines(er: EffectiveRate) -> list[str]:
    from forecast.formatting import pct, table, usd

    out = [f"Effective rate (cost report): billed {usd(er.billed, 2)} against "
           f"{usd(er.list_cost, 2)} at list = {er.rate:.4f} ({pct(1 - er.rate, 1)} off "
           f"list); latest month {er.months[-1]['month']}: {er.today:.4f} "
           f"({pct(er.discount_today, 1)} off): the rate a renewal starts from"]
    rows = []
    for m in er.months:
        report = "-" if np.isnan(m["report_list"]) else usd(m["report_list"], 2)
        rows.append([m["month"], usd(m["billed"], 2), usd(m["list"], 2), report,
                     f"{m['rate']:.4f}"])
    out.append(table(rows, ["month", "billed", "list (book)", "list (report)", "rate"],
                     right={1, 2, 3, 4}))
    if er.note:
        out.append(f"note: {er.note}")
    return out


@dataclass(frozen=True)
class UsageImport:
    """What :func:`forecast.usage.import_usage` read and inferred.

    Attributes
    ----------
    scenario : Scenario
        The validated scenario (one workload per group with usage in the level month).
    document : dict
        The scenario as written (compact), under :meth:`scenario_yaml`'s header.
    usage : pandas.DataFrame
        Tokens, requests and list cost (as billed and at the latest prices) per month,
        group, model and service tier (months used only, partial months scaled).
    report : ImportReport
        The figures every face shows.
    book : PriceBook
    """

    scenario: Scenario
    document: dict[str, Any]
    usage: pd.DataFrame
    report: ImportReport
    book: PriceBook

    # -- shortcuts ---------------------------------------------------------------------
    @property
    def months(self) -> list[MonthCoverage]:
        return self.report.months

    @property
    def used_months(self) -> list[str]:
        return self.report.used_months

    @property
    def groups(self) -> list[GroupHistory]:
        return self.report.groups

    @property
    def total(self) -> GrowthFit:
        return self.report.total

    @property
    def level_month(self) -> str:
        return self.report.level_month

    @property
    def sources(self) -> list[SourceRead]:
        return self.report.sources

    @property
    def duplicates(self) -> int:
        return self.report.duplicates

    @property
    def warnings(self) -> list[str]:
        return self.report.warnings

    @property
    def group_by(self) -> GroupBy:
        return self.report.group_by

    def monthly_cost(self) -> pd.DataFrame:
        """List cost as billed per month (rows) and group (columns), with ``total``."""
        return self.report.monthly_cost

    def summary(self) -> pd.DataFrame:
        """One row per group: history cost, level-month tokens and levers, fitted growth."""
        import pandas as pd

        rows = []
        for g in self.groups:
            nan = float("nan")
            low, high = g.interval or (nan, nan)
            rows.append({
                "group": g.name, "months": int((g.monthly_cost > 0).sum()),
                "list_cost": float(g.monthly_cost.sum()), "level_month_cost": g.level_cost,
                **{f"{c}_tokens": g.tokens[c] for c in g.tokens},
                "requests": g.requests if g.requests is not None else nan,
                "batch_share": g.batch_share, "cache_hit_rate": g.cache_hit_rate,
                "cache_ttl": g.cache_ttl, "long_prompt_share": g.long_prompt_share,
                "us_inference_share": g.us_inference_share,
                "model_mix": ", ".join(f"{m} {s:.0%}" for m, s in g.model_mix.items()),
                "growth_monthly": g.growth_monthly, "growth_se": g.growth_sd,
                "growth_low_95": low, "growth_high_95": high,
                "volatility": g.growth_volatility, "fitted": g.fit is not None,
                "waiting": g.waiting, "in_scenario": g.scenario_cost is not None,
            })
        return pd.DataFrame(rows)

    # -- text --------------------------------------------------------------------------
    def header(self) -> list[str]:
        """The scenario file's comment header, one paragraph per item: where it came from
        and what was inferred."""
        from forecast.formatting import pct, usd

        r = self.report
        t, level = r.total, r.level_month
        lo, hi = t.interval()
        cost = r.monthly_cost["total"]
        start = self.scenario.start
        lines = [
            "Generated by `commitplan import` from Claude usage history. Check it, then add "
            "the optimized path and the contract (see the README).",
            "Sources: " + "; ".join(s.describe() for s in r.sources),
            f"History: {r.history_line()}. Duplicate usage lines counted once: "
            f"{r.duplicates}.",
            f"Grouping: one workload per {r.group_by} ({len(r.groups)} groups)"
            + (f"; {r.group_by_note}" if r.group_by_note else "") + ".",
            f"Priced at {r.book_id} list prices in force on each day: {usd(cost.sum(), 2)} "
            f"over the history, {usd(cost.loc[level], 2)} in {level}. The forecast uses the "
            "book's latest prices.",
            "Inferred:",
            f"- volume: per average month ({AVERAGE_MONTH_DAYS:.2f} days): {level}'s usage "
            f"per day times {AVERAGE_MONTH_DAYS:.2f}, grown by each workload's fitted growth "
            f"to month 1 ({start}). requests_per_month with tokens per request where the "
            "report counts requests, else monthly_tokens (token totals): cacheable_prefix = "
            "cache writes + cache reads, input = uncached input, output = output; "
            "counted_on names the tokenizer when it is not the reference one.",
            "- current: model mix (token shares), batch_share (share of list cost before "
            "the batch discount), cache_hit_rate = reads / (reads + writes), cache_ttl = the "
            "TTL most writes used; long_prompt_share and us_inference_share from the "
            f"report's context_window and inference_geo; all observed in {level}.",
            "- optimized: equal to current, so nothing changes yet: edit only what you plan "
            "to change.",
            "- waiting: interactive where nothing was batched, gray (acceptable latency "
            f"{BATCH_LATENCY_MINUTES} minutes, urgent_share = 1 - batch share) where part was, "
            "async where all was. The history cannot tell who waits on a result: check each.",
            "- growth: least-squares line through log per-day list cost at the latest prices; "
            "volatility = sd of the monthly shocks (differenced residuals); monthly = "
            "exp(slope + volatility^2 / 2) - 1; monthly_sd = its standard error, which the "
            "simulation draws each path's growth from; fit_months = the months fitted: each "
            "path also draws its volatility (scaled inverse chi-square, fit_months - 2 "
            f"degrees of freedom). Total: {pct(t.monthly, 1)} a month "
            f"(95% interval {pct(lo, 1)} to {pct(hi, 1)}), volatility "
            f"{pct(t.volatility, 1)}, over {t.months} months."
            + (" Around a trend each workload's noise is its own (no shared shock)."
               if t.trend_noise else
               " Groups move together: the shared part of their shocks is "
               "uncertainty.shared_growth_volatility "
               f"({pct(r.shared_volatility, 1)}) and of their growth error "
               f"uncertainty.shared_growth_sd ({pct(r.shared_growth_sd, 2)}), each "
               "workload's the rest.")
            + ("" if r.model_choice is None else " " + r.model_choice.describe()[0].upper()
               + r.model_choice.describe()[1:] + _MODEL_WHY[r.model_choice.model] + ".")
            + ("" if r.growth_break is None else
               f" The growth changed in {r.used_months[r.growth_break.month]} (sup-F test): "
               "fitted on the months from then on."),
        ]
        used_provisional = [m.month for m in self.months if m.provisional and m.used]
        if used_provisional:
            lines.append("Provisional months fitted (--include-provisional; data not final "
                         "until about 30 days after the usage date, may still be revised): "
                         + ", ".join(used_provisional) + ".")
        if r.effective_rate is not None:
            er = r.effective_rate
            lines.append(f"Effective rate (cost report): {er.today:.4f} of list in "
                         f"{er.months[-1]['month']} ({pct(er.discount_today, 1)} off list). "
                         f"current_discount = {er.current_discount:.4f}: "
                         + ("1 - amount / list_amount as the cost pages state them"
                            if er.report_discount is not None else
                            "1 - billed / the usage priced at the book") + ".")
        for g in r.groups:
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
        if r.weekday is not None:
            lines.append(f"Weekday pattern: {r.weekday.describe()}.")
        return lines + [f"Warning: {w}" for w in r.warnings]

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

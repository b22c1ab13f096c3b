"""The import's growth fits: the total's (with the break test), each group's fit or its
volatility pooled with its peers', the part the groups share, and the bounds a scenario can
hold (docs/model.md, "Forecasting from history").

:func:`fit_total` and :func:`bounded_growth` are what a one-group import writes, and what
``bench/bench_calibration.py`` calls without reading pages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from forecast import limits
from forecast.usage.growth import (
    TREND_NOISE,
    GrowthBreak,
    GrowthFit,
    ModelChoice,
    after_break,
    choose_model,
    find_break,
    fit_growth,
    fit_trend_noise,
    pooled_volatility,
)
from forecast.usage.months import MIN_MONTHS


@dataclass(frozen=True)
class SharedFit:
    """What the groups of one history share: the shock's volatility s0, the growth error
    (1 + g) s0 sqrt(sum W_k^2) and the months both were measured on."""

    volatility: float
    growth_sd: float
    months: int


@dataclass(frozen=True)
class GroupFit:
    """One group's growth as fitted (or pooled): what its scenario workload is written from."""

    fit: GrowthFit | None
    monthly: float
    volatility: float
    sd: float
    fit_months: int
    note: str | None


def fit_total(totals: Any, days: Any
              ) -> tuple[GrowthFit, GrowthBreak | None, int, ModelChoice]:
    """The total's model (:func:`~forecast.usage.growth.choose_model`) and fit.

    Noise around a trend explains swings a random walk would read as a change of growth,
    so the break test runs only when the random walk is chosen; the fit then starts at the
    break (its slope error widened, :func:`~forecast.usage.growth.after_break`).

    Returns
    -------
    fit, growth_break, fit_from, choice
        The fit, the break (or None), the 0-based month the fit starts at, the model choice.
    """
    choice = choose_model(totals, days)
    if choice.model == TREND_NOISE:
        return fit_trend_noise(totals, days), None, 0, choice
    growth_break = find_break(totals, days)
    if growth_break is None:
        return fit_growth(totals, days), None, 0, choice
    k = growth_break.month
    fit = after_break(fit_growth(totals[:k + 1], days[:k + 1]),
                      fit_growth(totals[k:], days[k:]))
    return fit, growth_break, k, choice


def break_warning(b: GrowthBreak, used: list[str], total: GrowthFit) -> str:
    """The import's warning of a break: its month, the test, the growth before and after."""
    return (f"the growth changed in {used[b.month]} (sup-F test: F = {b.statistic:.1f} "
            f"against {b.critical:.1f} at the 5% level): {math.expm1(b.before):+.1%} a month "
            f"before, {math.expm1(b.after):+.1%} after. Growth is fitted on {used[b.month]} "
            f"to {used[-1]} only ({total.months} months), with its uncertainty widened by "
            "that of the change")


def group_fits(series: dict[str, Any], days: Any, fit_from: int, total: GrowthFit
               ) -> dict[str, GroupFit]:
    """Each group's fit over the months from ``fit_from``, and for a group with too few
    months (or gaps) a volatility pooled with its peers' (docs/model.md, "Forecasting from
    history"): never the total's, which adding groups averages down. A group is fitted with
    the total's model (noise around a trend or the random walk)."""
    out: dict[str, GroupFit] = {}
    short: list[str] = []
    widen = total.slope_se / fit_growth_unwidened_se(total) \
        if total.slope_se > 0 and not total.trend_noise else 1.0
    for name, values in series.items():
        window, span_days = values[fit_from:], days[fit_from:]
        active = np.flatnonzero(window > 0)
        span = slice(active[0], active[-1] + 1) if active.size else slice(0, 0)
        if window[span].size >= MIN_MONTHS and np.all(window[span] > 0):
            fit = (fit_trend_noise if total.trend_noise else fit_growth)(
                window[span], span_days[span])
            if widen != 1.0:
                fit = replace(fit, slope_se=fit.slope_se * widen)
            out[name] = GroupFit(fit, fit.monthly, fit.volatility, fit.monthly_se,
                                 fit.months, None)
        else:
            short.append(name)
    fitted = list(out)  # every group fitted so far: the peers
    for name in short:
        values = series[name]
        active = np.flatnonzero(values > 0)
        if fitted:
            tail = values[active[0]:] if active.size else values[:0]
            tail_days = days[active[0]:] if active.size else days[:0]
            run = tail[: np.argmin(tail > 0) if np.any(tail <= 0) else tail.size]
            changes = np.diff(np.log(run / tail_days[:run.size])) if run.size > 1 else \
                np.zeros(0)
            weights = np.array([series[g].sum() for g in fitted])
            volatility, dof = pooled_volatility(
                changes, [out[g].volatility for g in fitted], weights)
            sd = float(np.sqrt((weights * np.array([out[g].sd for g in fitted]) ** 2).sum()
                               / weights.sum()))
            note = (f"usage in {active.size} of {values.size} months, too few (or with gaps) "
                    f"to fit growth: written flat, with volatility {volatility:.3f} pooled "
                    f"from its {run.size} month{'s' if run.size != 1 else ''} and its peers' "
                    f"and the peers' growth uncertainty {sd:.3f}; set its growth")
            out[name] = GroupFit(None, 0.0, volatility, sd, int(dof) + 2, note)
        else:
            note = (f"usage in {active.size} of {values.size} months, too few (or with gaps) "
                    "to fit growth, and no other group fitted: written flat with the total's "
                    "volatility; set its growth")
            out[name] = GroupFit(None, 0.0, total.volatility, total.monthly_se,
                                 total.months, note)
    return out


def fit_growth_unwidened_se(fit: GrowthFit) -> float:
    """The slope error a fit on its months has before any widening: s sqrt(sum W_k^2),
    with the least-squares weights of ``fit.months`` equally spaced months."""
    n = fit.months
    t = np.arange(n, dtype=float)
    centred = t - t.mean()
    weights = centred / (centred @ centred)
    tail = np.cumsum(weights[::-1])[::-1][1:]
    return fit.volatility * float(np.sqrt(tail @ tail))


#: Months of the imported scenario's horizon.
IMPORT_HORIZON = 36
#: The fit written to a scenario keeps the expected spend of its last month at least this
#: factor below the scenario bound (limits.MAX_MONTHLY_SPEND).
SPEND_MARGIN = 100.0


def bounded_growth(name: str, monthly: float, volatility: float, sd: float, month1: float,
                   horizon: int = IMPORT_HORIZON, fit_months: int = 0,
                   shared: SharedFit | None = None, trend_noise: bool = False
                   ) -> tuple[float, float, float, str | None]:
    """The fit as a scenario may hold it, and a warning when it had to be capped.

    A fit on a few bursty months can imply growth no business keeps up for years: the
    growth is capped to the schema's range and so that month 1's spend, grown over the
    horizon with the growth-uncertainty factor
    (:func:`~forecast.timeline.fit_uncertainty_factor`, the workload's and the shared one),
    stays at least ``SPEND_MARGIN`` under the spend bound; the volatility and the standard
    error to their bounds (the standard error lowered further until the bound holds).
    ``trend_noise``: the fit is noise around a trend (``growth.model: trend_noise``).
    """
    from forecast.timeline import fit_uncertainty_factor

    lo, hi = limits.GROWTH_RANGE
    n = float(horizon - 1)
    g = min(max(monthly, lo + 1e-4), hi)
    v = min(volatility, limits.MAX_VOLATILITY)
    s = min(sd, limits.MAX_GROWTH_SD)
    ceiling = limits.MAX_MONTHLY_SPEND / SPEND_MARGIN
    if month1 > 0:
        months = np.array([[n]])
        common = 1.0 if shared is None else float(fit_uncertainty_factor(
            months, min(shared.volatility, limits.MAX_VOLATILITY),
            min(shared.growth_sd, limits.MAX_GROWTH_SD), shared.months)[0, 0])

        def lift(sd_: float) -> float:
            return common * float(fit_uncertainty_factor(months, v, sd_, fit_months,
                                                         trend_noise)[0, 0])

        grown = month1 * (1.0 + max(g, 0.0)) ** n
        if grown * lift(s) > ceiling:  # the largest sd that keeps the bound, by bisection
            low, high = 0.0, s
            for _ in range(40):
                mid = 0.5 * (low + high)
                low, high = (mid, high) if grown * lift(mid) <= ceiling else (low, mid)
            s = low
        g = min(g, float((ceiling / month1 / lift(s)) ** (1.0 / n) - 1.0))
    if (round(g, 4), round(v, 4), round(s, 4)) == (round(monthly, 4), round(volatility, 4),
                                                    round(sd, 4)):
        return monthly, volatility, sd, None
    return g, v, s, (
        f"{name}: the fit on this history ({monthly:.1%} growth a month, volatility "
        f"{volatility:.2f}, standard error {sd:.3f}) cannot be carried over "
        f"{horizon} months; written as {g:.1%}, {v:.2f} and {s:.3f}. A short or bursty "
        "history says little about the years ahead: set growth from your own plans")

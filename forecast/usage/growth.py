"""Calendar-true growth fit of a monthly series, and the weekday pattern of daily usage.

The fit (docs/model.md, "Forecasting from history"):

- **Per-day rates.** Each month's usage is divided by its days, r_t = c_t / d_t, so that a
  February is not read as a dip: a history flat per day has zero growth and no volatility.
- **Trend.** Least-squares line through log r_t: slope b, residuals e_t.
- **Volatility.** The planner's model is a log random walk: log r_t = log r_0 + drift * t +
  sum of monthly shocks. Its shocks are the first differences of the residuals,
  e_t - e_(t-1) = (log r_t - log r_(t-1)) - b, so the volatility is
  s = sqrt(sum (e_t - e_(t-1))^2 / (n - 2)) (n - 1 differences, one fitted slope).
- **Growth.** g = exp(b + s^2 / 2) - 1, so that the simulation's log drift for
  ``growth: {monthly: g, volatility: s}``, ln(1 + g) - s^2 / 2, is b.
- **Uncertainty.** Under the random walk the slope's error is a weighted sum of the shocks:
  b - drift = sum_k eps_k W_k with W_k the sum of the least-squares weights from month k
  on, so se(b) = s * sqrt(sum W_k^2), exactly. se(g) = (1 + g) se(b) (delta method) is
  written to the scenario as ``growth.monthly_sd``; the 95% interval uses Student's t with
  n - 2 degrees of freedom. Fewer than 3 months is refused.
- **Model.** :func:`choose_model` reads a history of 6 months or more as noise around a
  trend instead (:func:`fit_trend_noise`: the same line, the residuals' spread as the
  volatility) when a likelihood-ratio test rejects the random walk at 1%.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from forecast.errors import ImportUsageError
from forecast.usage.months import MIN_MONTHS


@dataclass(frozen=True)
class GrowthFit:
    """Log-linear least-squares fit of a monthly series' per-day rates.

    Attributes
    ----------
    months : int
        Number of months fitted.
    slope, slope_se : float
        Slope of the log per-day rate per month, and its standard error under a log random
        walk.
    volatility : float
        Standard deviation of the monthly shocks (differenced residuals).
    """

    months: int
    slope: float
    slope_se: float
    volatility: float
    #: ``random_walk`` or ``trend_noise`` (:func:`fit_trend_noise`).
    model: str = "random_walk"
    #: Trend-noise only: the last month's residual, log rate minus the fitted line.
    last_residual: float = 0.0

    @property
    def trend_noise(self) -> bool:
        return self.model == TREND_NOISE

    @property
    def slope_weight(self) -> float:
        """se(b) / s: the slope's error per unit of volatility, sqrt(sum W_k^2)."""
        return self.slope_se / self.volatility if self.volatility > 0 else 0.0

    @property
    def monthly(self) -> float:
        """Expected month-over-month growth: g = exp(b + s^2 / 2) - 1 under the random walk,
        whose shocks add up; g = exp(b) - 1 around a trend, whose noise does not."""
        if self.trend_noise:
            return math.expm1(self.slope)
        return math.expm1(self.slope + self.volatility**2 / 2)

    @property
    def monthly_se(self) -> float:
        """Standard error of ``monthly`` (delta method: (1 + g) * se(b))."""
        return (1.0 + self.monthly) * self.slope_se

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Confidence interval of ``monthly`` (Student's t, n - 2 degrees of freedom)."""
        from scipy.special import stdtrit

        t = float(stdtrit(self.months - 2, 0.5 + level / 2))
        shift = 0.0 if self.trend_noise else self.volatility**2 / 2
        return (math.expm1(self.slope - t * self.slope_se + shift),
                math.expm1(self.slope + t * self.slope_se + shift))


def fit_growth(monthly: Sequence[float] | Any, days: Sequence[float] | Any | None = None
               ) -> GrowthFit:
    """Fit growth to a monthly series (cost or volume), oldest month first.

    Parameters
    ----------
    monthly : array-like of shape (n_months,)
        Positive values, one per consecutive month; at least 3.
    days : array-like of shape (n_months,), optional
        Days of each month: the fit is on ``monthly / days``. Without it, on ``monthly``.

    Raises
    ------
    ImportUsageError
        With fewer than 3 months, or a month that is not positive.
    """
    values = np.asarray(monthly, dtype=float)
    n = values.size
    if n < MIN_MONTHS:
        raise ImportUsageError(f"{n} month{'s' if n != 1 else ''} of history; fitting growth "
                               f"needs at least {MIN_MONTHS}")
    if not np.all(values > 0):
        raise ImportUsageError("every month must have some usage to fit growth; month "
                               f"{int(np.argmin(values > 0)) + 1} has none")
    slope, shocks, weights = _trend(values, days)
    volatility = float(np.sqrt(shocks @ shocks / (n - 2)))
    # log_t = log_0 + drift * t + sum_{k<=t} eps_k, so slope - drift = sum_k eps_k * W_k.
    tail = np.cumsum(weights[::-1])[::-1][1:]
    slope_se = volatility * float(np.sqrt(tail @ tail))
    return GrowthFit(n, slope, slope_se, volatility)


#: The growth models a fit can choose (``growth.model`` in a scenario).
RANDOM_WALK = "random_walk"
TREND_NOISE = "trend_noise"


def fit_trend_noise(monthly: Sequence[float] | Any, days: Sequence[float] | Any | None = None
                    ) -> GrowthFit:
    """Fit noise around a trend: log r_t = a + b t + e_t, e_t i.i.d. N(0, s^2).

    The same least-squares line as :func:`fit_growth`; the volatility is the sd of the
    residuals themselves, s = sqrt(sum e_t^2 / (n - 2)), and the slope's error is the
    textbook s / sqrt(sum (t - tbar)^2) (docs/model.md, "Forecasting from history").

    Raises
    ------
    ImportUsageError
        As :func:`fit_growth`.
    """
    values = np.asarray(monthly, dtype=float)
    fit_growth(values, days)  # the same checks on the months
    n = values.size
    rates = values if days is None else values / np.asarray(days, dtype=float)
    log = np.log(rates)
    t = np.arange(n, dtype=float)
    centred = t - t.mean()
    sxx = float(centred @ centred)
    slope = float(centred @ log / sxx)
    residuals = log - log.mean() - slope * centred
    volatility = float(np.sqrt(residuals @ residuals / (n - 2)))
    return GrowthFit(n, slope, volatility / math.sqrt(sxx), volatility, TREND_NOISE,
                     float(residuals[-1]))


#: Noise around a trend is chosen when the likelihood ratio passes its null quantile at this
#: level: the chance of reading a random walk as a trend (which narrows the fan).
MODEL_LEVEL = 0.01
#: Fewest months to choose a model on: with fewer the random walk is kept (wider, safer).
MODEL_MIN_MONTHS = 6
#: Random-walk histories the null distribution of the ratio is simulated on (seeded).
MODEL_NULL_DRAWS = 20_000


@dataclass(frozen=True)
class ModelChoice:
    """Which growth model the history supports, and the criterion's figures.

    Both models give the m = n - 1 monthly log changes d of the per-day rate a normal law
    with two parameters (a mean and a scale): the random walk i.i.d. N(b, s^2); noise
    around a trend b + e_t - e_(t-1), covariance s^2 K with K tridiagonal (2 on the
    diagonal, -1 beside it), det K = n. Twice the log-likelihood ratio, trend over walk, is
    LR = m ln(s_walk^2 / s_trend^2) - ln n, with s_walk^2 the changes' variance about their
    mean and s_trend^2 the line's squared residuals summed over m (both maximum
    likelihood). Neither depends on the drift or the scale, so under a random walk LR's law
    depends on n only: noise around a trend is chosen when LR passes its
    (1 - :data:`MODEL_LEVEL`) quantile for n months (simulated, seeded). Akaike's criterion
    (LR > 0, as many parameters) reads 82% of 6-month and 46% of 12-month random walks as
    a trend (docs/forecasting.md), and a walk read as a trend gets too narrow a fan.

    Attributes
    ----------
    model : str
        :data:`RANDOM_WALK` or :data:`TREND_NOISE`.
    ratio : float
        LR (nan under :data:`MODEL_MIN_MONTHS` months).
    critical : float
        Its null quantile for this many months (nan when not tested).
    """

    model: str
    ratio: float
    critical: float

    def describe(self) -> str:
        if not math.isfinite(self.critical):
            return (f"growth model: a random walk with drift (under {MODEL_MIN_MONTHS} "
                    "months: no choice made)")
        chosen = "noise around a trend" if self.model == TREND_NOISE else \
            "a random walk with drift"
        return (f"growth model: {chosen} (likelihood ratio of a trend over a random walk "
                f"{self.ratio:.1f} against {self.critical:.1f}, its "
                f"{1 - MODEL_LEVEL:.0%} quantile on random walks)")


def _trend_ratio(log: Any) -> Any:
    """LR of :class:`ModelChoice` for each row of ``log``, shape (R, n) -> (R,)."""
    n = log.shape[1]
    m = n - 1
    d = np.diff(log, axis=1)
    walk = ((d - d.mean(axis=1, keepdims=True)) ** 2).sum(axis=1) / m
    t = np.arange(n, dtype=float) - (n - 1) / 2
    residuals = log - log.mean(axis=1, keepdims=True) - np.outer(log @ t / (t @ t), t)
    trend = (residuals * residuals).sum(axis=1) / m
    tiny = 1e-300
    return m * np.log(np.maximum(walk, tiny) / np.maximum(trend, tiny)) - math.log(n)


@functools.lru_cache(maxsize=64)
def _model_critical(n: int) -> float:
    """Null quantile of LR on n months of a random walk, by simulation with a fixed seed."""
    rng = np.random.default_rng(20_261_208 + n)
    walks = np.cumsum(rng.standard_normal((MODEL_NULL_DRAWS, n)), axis=1)
    return float(np.quantile(_trend_ratio(walks), 1.0 - MODEL_LEVEL))


def choose_model(monthly: Sequence[float] | Any, days: Sequence[float] | Any | None = None
                 ) -> ModelChoice:
    """Choose between a random walk with drift and noise around a trend: a likelihood-ratio
    test with the random walk as the null (:class:`ModelChoice`; docs/model.md,
    "Forecasting from history"). Under :data:`MODEL_MIN_MONTHS` months the random walk is
    kept."""
    values = np.asarray(monthly, dtype=float)
    if values.size < MODEL_MIN_MONTHS or not np.all(values > 0):
        return ModelChoice(RANDOM_WALK, math.nan, math.nan)
    rates = values if days is None else values / np.asarray(days, dtype=float)
    ratio = float(_trend_ratio(np.log(rates)[None, :])[0])
    critical = _model_critical(values.size)
    return ModelChoice(TREND_NOISE if ratio > critical else RANDOM_WALK, ratio, critical)


def _trend(values: Any, days: Any | None) -> tuple[float, Any, Any]:
    """Slope of the log per-day rates, their monthly shocks (differenced residuals) and the
    least-squares weights (slope = weights @ log)."""
    rates = values if days is None else values / np.asarray(days, dtype=float)
    log = np.log(rates)
    t = np.arange(values.size, dtype=float)
    centred = t - t.mean()
    weights = centred / (centred @ centred)
    slope = float(weights @ log)
    residuals = log - log.mean() - slope * centred
    return slope, np.diff(residuals), weights


def shared_volatility(series: Any, days: Any, weights: Any) -> float:
    """Volatility of the shock that groups share, from the covariance of their shocks.

    Groups rarely move independently: a portfolio grows or shrinks together. With each
    group's shocks s0 * e0 + s_g * e_g (e0 shared), the covariance of two groups' shocks is
    s0^2; it is estimated as the cost-weighted mean of the pairwise covariances,
    s0^2 = sum_(g != h) w_g w_h C_gh / sum_(g != h) w_g w_h (0 when negative), so that
    the total's variance, s0^2 + sum_g w_g^2 s_g^2, matches the groups' (docs/model.md,
    "Forecasting from history").

    Parameters
    ----------
    series : ndarray of shape (n_months, n_groups)
        Positive monthly values of the groups fitted over the same months.
    days : ndarray of shape (n_months,)
    weights : ndarray of shape (n_groups,)
        The groups' shares of the cost (they need not sum to 1).

    Returns
    -------
    float
        s0; 0 with fewer than 2 groups.
    """
    values = np.asarray(series, dtype=float)
    n, groups = values.shape
    if groups < 2 or n < MIN_MONTHS:
        return 0.0
    shocks = np.column_stack([_trend(values[:, g], days)[1] for g in range(groups)])
    cov = shocks.T @ shocks / (n - 2)  # (n_groups, n_groups), about a zero mean
    w = np.asarray(weights, dtype=float)
    pair = np.outer(w, w)
    np.fill_diagonal(pair, 0.0)
    if pair.sum() <= 0:
        return 0.0
    return float(np.sqrt(max(0.0, (pair * cov).sum() / pair.sum())))


# --------------------------------------------------------------------------- breaks
#: A break is reported when the sup-F statistic passes its null distribution's quantile at
#: this level (the chance of a false break on a history whose growth never changed).
BREAK_LEVEL = 0.05
#: Fewest monthly changes on each side of a candidate break (so each side has 3 months).
BREAK_MIN_SIDE = 2
#: Histories the null distribution of sup-F is simulated on (seeded: one answer per length).
BREAK_NULL_DRAWS = 4000
#: Fewest months of history to test for a break (two sides of 3 months).
BREAK_MIN_MONTHS = 6


@dataclass(frozen=True)
class GrowthBreak:
    """A change in the mean monthly log growth found inside a history.

    Attributes
    ----------
    month : int
        0-based index of the first month of the new regime (the fit restarts there).
    statistic : float
        The sup-F statistic.
    critical : float
        Its null quantile at :data:`BREAK_LEVEL` for this length of history.
    before, after : float
        Mean monthly log growth before and after the break.
    """

    month: int
    statistic: float
    critical: float
    before: float
    after: float


def _sup_f(changes: Any, lo: int) -> tuple[Any, Any]:
    """Chow's F for a shift in the mean of ``changes`` after each candidate split.

    Parameters
    ----------
    changes : ndarray of shape (R, m)
        Monthly log changes of R histories.
    lo : int
        Fewest changes on each side.

    Returns
    -------
    F : ndarray of shape (R, n_candidates)
        F_k = (SSR_0 - SSR_k) / (SSR_k / (m - 2)) for a split after k changes, k = lo ..
        m - lo; SSR_0 about one mean, SSR_k about each side's mean.
    k : ndarray of shape (n_candidates,)
    """
    m = changes.shape[1]
    k = np.arange(lo, m - lo + 1)
    total = changes.sum(axis=1, keepdims=True)
    head = np.cumsum(changes, axis=1)[:, k - 1]
    ssr0 = ((changes - changes.mean(axis=1, keepdims=True)) ** 2).sum(axis=1, keepdims=True)
    # SSR_0 - SSR_k = k (m - k) / m * (mean_1 - mean_2)^2.
    mean1, mean2 = head / k, (total - head) / (m - k)
    gain = k * (m - k) / m * (mean1 - mean2) ** 2
    ssr = np.maximum(ssr0 - gain, 1e-300)
    return gain / (ssr / (m - 2)), k


@functools.lru_cache(maxsize=64)
def _break_critical(m: int) -> float:
    """Null quantile of sup-F for m monthly changes (i.i.d. normal, which the statistic's
    law does not depend on the mean or scale of), by simulation with a fixed seed."""
    rng = np.random.default_rng(20_261_207 + m)
    f, _ = _sup_f(rng.standard_normal((BREAK_NULL_DRAWS, m)), BREAK_MIN_SIDE)
    return float(np.quantile(f.max(axis=1), 1.0 - BREAK_LEVEL))


def find_break(monthly: Sequence[float] | Any, days: Sequence[float] | Any | None = None
               ) -> GrowthBreak | None:
    """Test a history for one change in its growth: the sup-F (Quandt-Andrews) test.

    Chow's F for a shift in the mean monthly log change of the per-day rates is computed
    at every split that leaves at least 3 months on each side; the largest is compared
    with its null distribution for this many months (simulated, seeded). The break is at
    the split of the largest F (docs/model.md, "Forecasting from history").

    Returns
    -------
    GrowthBreak or None
        None when the history is under :data:`BREAK_MIN_MONTHS` months or no break passes.
    """
    values = np.asarray(monthly, dtype=float)
    if values.size < BREAK_MIN_MONTHS or not np.all(values > 0):
        return None
    rates = values if days is None else values / np.asarray(days, dtype=float)
    changes = np.diff(np.log(rates))[None, :]
    if np.ptp(changes) == 0:
        return None
    f, k = _sup_f(changes, BREAK_MIN_SIDE)
    best = int(np.argmax(f[0]))
    critical = _break_critical(changes.shape[1])
    if not f[0, best] > critical:
        return None
    split = int(k[best])
    return GrowthBreak(split, float(f[0, best]), critical,
                       float(changes[0, :split].mean()), float(changes[0, split:].mean()))


#: On a break, the growth after it is uncertain by this share of the change as well. 0: on
#: the benchmark (docs/forecasting.md) 0.5 and 1 widen a detected 6% -> 0% break past 92%
#: inside P10-P90 while they bring seasonal real series from 64% to 73% and 77%.
BREAK_CHANGE_SHARE = 0.0


def after_break(fit_before: GrowthFit, fit_after: GrowthFit) -> GrowthFit:
    """The fit on the months after a break, its slope's error widened.

    The growth changed once inside the history, so it may still be moving, and the split
    was chosen where the change looks largest (which overstates it): the slope's standard
    error is sqrt(se_after^2 + se_before^2 + (c (b_after - b_before))^2), the error of the
    change itself plus c = :data:`BREAK_CHANGE_SHARE` of its size (docs/model.md,
    "Forecasting from history").
    """
    from dataclasses import replace

    change = BREAK_CHANGE_SHARE * (fit_after.slope - fit_before.slope)
    return replace(fit_after, slope_se=float(np.sqrt(
        fit_after.slope_se**2 + fit_before.slope_se**2 + change**2)))


# --------------------------------------------------------------------------- pooling
#: Prior weight, in monthly changes, of the peers' volatility for a workload with too few
#: months of its own (docs/model.md, "Forecasting from history").
POOL_WEIGHT = 2


def pooled_volatility(own_changes: Any, peer_volatility: Any, peer_weights: Any
                      ) -> tuple[float, float]:
    """Volatility of a workload with too few months, shrunk toward its peers'.

    s^2 = (sum_k d_k^2 + kappa * sbar^2) / (m + kappa), with d_k its m monthly log changes
    of the per-day rate (0, 1 or a few; taken about zero, since no growth is fitted),
    kappa = :data:`POOL_WEIGHT` and sbar^2 = sum_g w_g s_g^2 / sum_g w_g over the peers that
    were fitted (cost-weighted; the total's volatility is never used, since adding groups
    averages their shocks away).

    Returns
    -------
    volatility : float
    weight : float
        m + kappa: the monthly changes the estimate rests on (its degrees of freedom).
    """
    d = np.asarray(own_changes, dtype=float)
    w = np.asarray(peer_weights, dtype=float)
    s = np.asarray(peer_volatility, dtype=float)
    sbar2 = float((w * s * s).sum() / w.sum())
    m = d.size
    return float(np.sqrt((d @ d + POOL_WEIGHT * sbar2) / (m + POOL_WEIGHT))), m + POOL_WEIGHT


# --------------------------------------------------------------------------- weekdays
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Daily data must show this significance (one-way ANOVA over weekdays) ...
WEEKDAY_P_VALUE = 0.001
#: ... and this spread between the highest and lowest weekday level to be reported.
WEEKDAY_SPREAD = 0.10
#: Fewest whole days of daily data to look for a pattern (four weeks).
WEEKDAY_MIN_DAYS = 28


@dataclass(frozen=True)
class WeekdayPattern:
    """Usage level by day of the week, relative to each day's month (mean 1).

    Attributes
    ----------
    levels : ndarray of shape (7,)
        Mean level Monday to Sunday (a day's cost over its month's mean per-day cost).
    days : int
        Days of daily data it was measured on.
    p_value : float
        One-way ANOVA of the levels across weekdays.
    """

    levels: Any
    days: int
    p_value: float

    def describe(self) -> str:
        low = int(np.argmin(self.levels))
        high = int(np.argmax(self.levels))
        shown = ", ".join(f"{d[:3]} {v:.2f}" for d, v in zip(WEEKDAYS, self.levels,
                                                             strict=True))
        return (f"daily usage has a weekday pattern over {self.days} days ({shown}; "
                f"{WEEKDAYS[low]} lowest at {self.levels[low] / self.levels[high]:.0%} of "
                f"{WEEKDAYS[high]}). The fit uses per-day rates, so a month with more "
                "low days reads a little lower; that shows up as volatility, not growth")


def _anova_p(groups: list[Any]) -> float:
    """p-value of a one-way ANOVA: F = (SSB / (k - 1)) / (SSW / (N - k)), F-distributed
    with (k - 1, N - k) degrees of freedom under equal means (scipy.special, not the slow
    import of scipy.stats)."""
    from scipy.special import fdtrc

    values = np.concatenate(groups)
    k, n = len(groups), values.size
    grand = values.mean()
    between = sum(g.size * (g.mean() - grand) ** 2 for g in groups)
    within = sum(((g - g.mean()) ** 2).sum() for g in groups)
    if within <= 0:
        return 0.0 if between > 0 else 1.0
    f = (between / (k - 1)) / (within / (n - k))
    return float(fdtrc(k - 1, n - k, f))


def weekday_pattern(day_costs: Any) -> WeekdayPattern | None:
    """The weekday pattern of daily costs, or None when there is none to speak of.

    Parameters
    ----------
    day_costs : pandas.Series
        Cost per whole day, indexed by day (``datetime64``).
    """
    if len(day_costs) < WEEKDAY_MIN_DAYS:
        return None
    days = day_costs.index
    month = days.to_period("M")
    mean = day_costs.groupby(month).transform("mean")
    level = (day_costs / mean.where(mean > 0)).dropna()
    if len(level) < WEEKDAY_MIN_DAYS:
        return None
    weekday = level.index.day_of_week
    groups = [level[weekday == d].to_numpy() for d in range(7)]
    if min(g.size for g in groups) < 2 or all(np.ptp(g) == 0 for g in groups):
        return None
    p_value = _anova_p(groups)
    levels = np.array([g.mean() for g in groups])
    if not np.isfinite(p_value) or p_value > WEEKDAY_P_VALUE or \
            levels.max() - levels.min() < WEEKDAY_SPREAD:
        return None
    return WeekdayPattern(levels, int(level.size), p_value)

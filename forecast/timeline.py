"""The timeline: month labels, expected volume growth, activity windows, lever ramps and the
expected list-price level.

Month numbers run from 1 (the contract's start month) to the horizon. Every function here
broadcasts, so the simulation can pass per-path landing months and realizations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.limits import MAX_FIT_FACTOR
from forecast.scenario import Scenario
from forecast.types import BoolArray, FloatArray, GrowthModel, Waiting


def month_labels(scenario: Scenario) -> list[str]:
    """``YYYY-MM`` of every month of the horizon, from the start month."""
    year, month = (int(p) for p in scenario.start.split("-"))
    labels = []
    for k in range(scenario.horizon_months):
        y, m = divmod(month - 1 + k, 12)
        labels.append(f"{year + y:04d}-{m + 1:02d}")
    return labels


def month_numbers(scenario: Scenario) -> FloatArray:
    """ndarray of shape (n_months,): 1, 2, ..., horizon."""
    return np.arange(1, scenario.horizon_months + 1, dtype=float)


def workload_vectors(scenario: Scenario) -> dict[str, FloatArray]:
    """Per-workload parameters as vectors of shape (n_workloads,)."""
    ws = scenario.workloads
    horizon = scenario.horizon_months
    return {
        "volume": np.array([w.volume for w in ws], dtype=float),
        "growth": np.array([w.growth.monthly for w in ws], dtype=float),
        "volatility": np.array([w.growth.volatility for w in ws], dtype=float),
        "growth_sd": np.array([w.growth.monthly_sd for w in ws], dtype=float),
        "fit_months": np.array([w.growth.fit_months for w in ws], dtype=float),
        "trend_noise": np.array([w.growth.model == GrowthModel.TREND_NOISE for w in ws],
                                dtype=float),
        "lands": np.array([w.lands_month for w in ws], dtype=float),
        "ramp": np.array([w.ramp_months for w in ws], dtype=float),
        "starts": np.array([w.starts_month for w in ws], dtype=float),
        "ends": np.array([w.ends_month or horizon for w in ws], dtype=float),
        "launch_probability": np.array([w.launch_probability for w in ws], dtype=float),
    }


def ramp_fraction(months: FloatArray, lands: FloatArray, ramp: FloatArray) -> FloatArray:
    """Fraction of the planned change in place in each month.

    ``min(1, (t - lands + 1) / ramp)`` from the landing month on, 0 before; a ramp of 0
    lands at once.

    Parameters
    ----------
    months : ndarray of shape (n_months, 1)
        Month numbers (or any shape that broadcasts against ``lands``).
    lands, ramp : ndarray broadcasting to (..., n_workloads)

    Returns
    -------
    ndarray of the broadcast shape, values in [0, 1]
    """
    return np.clip((months - lands + 1.0) / np.maximum(ramp, 1.0), 0.0, 1.0)


def active_mask(months: FloatArray, starts: FloatArray, ends: FloatArray) -> FloatArray:
    """1.0 where the workload runs in that month (launch to sunset), else 0.0."""
    return ((months >= starts) & (months <= ends)).astype(float)


def months_since_start(scenario: Scenario) -> FloatArray:
    """Months of growth behind each month: ``max(0, t - s)`` from the workload's first month s.

    Returns
    -------
    ndarray of shape (n_months, n_workloads)
    """
    v = workload_vectors(scenario)
    return np.maximum(month_numbers(scenario)[:, None] - v["starts"], 0.0)


def expected_volume(scenario: Scenario) -> FloatArray:
    """Expected volume per month: ``R * ((1 + g) (1 + m))^n * U_n`` for the n months since
    the workload's first month while active, times the launch probability.

    m is the token drift per month (cost is linear in tokens per request). U_n is the growth
    fit's uncertainty (:func:`fit_uncertainty_factor`): each path draws its monthly
    log-growth once with standard error sd (and, for a fit on few months, its volatility),
    which lifts the mean; with no volatility draw ``U_n = exp(sd^2 n^2 / 2)``
    (docs/model.md, "Simulation").

    Returns
    -------
    ndarray of shape (n_months, n_workloads)
    """
    v = workload_vectors(scenario)
    t = month_numbers(scenario)[:, None]
    n = months_since_start(scenario)
    unc = scenario.uncertainty
    rate = (1.0 + v["growth"]) * (1.0 + unc.token_drift.monthly)
    growth = rate**n * fit_uncertainty_factor(n, v["volatility"], v["growth_sd"],
                                              v["fit_months"], v["trend_noise"] > 0)
    growth *= fit_uncertainty_factor(n, unc.shared_growth_volatility, unc.shared_growth_sd,
                                     unc.shared_fit_months)
    active = active_mask(t, v["starts"], v["ends"])
    return v["volume"] * growth * active * v["launch_probability"]


#: Gauss-Legendre nodes of the fit-uncertainty integral over the drawn variance factor.
_FIT_NODES = 96


def fit_factor_dof(fit_months: FloatArray | float) -> FloatArray:
    """Degrees of freedom of the volatility a fit on n months draws: n - 2 (n - 1 monthly
    changes about a fitted slope); 0 (no draw) when the growth is not fitted."""
    n = np.asarray(fit_months, dtype=float)
    return np.where(n >= 3, n - 2.0, 0.0)


def trend_terms(fit_months: FloatArray | float) -> tuple[FloatArray, FloatArray]:
    """What noise around a trend adds to the trend's error, per workload fitted on n months
    (the scenario's month 1 following the last month fitted).

    Returns
    -------
    offset : ndarray
        (n + 1) / 2: months from the fitted months' centre to month 1, so that month t's
        trend error is the slope's times (t - 1 + offset) (0 when not fitted).
    level : ndarray
        1 / n: the variance of the line's level at the centre, per unit of the noise's
        variance (0 when not fitted).
    """
    n = np.asarray(fit_months, dtype=float)
    fitted = n >= 3
    return (np.where(fitted, (n + 1.0) / 2.0, 0.0),
            np.divide(1.0, n, out=np.zeros_like(n), where=fitted))


def fit_uncertainty_factor(n: FloatArray, volatility: FloatArray | float,
                           growth_sd: FloatArray | float, fit_months: FloatArray | float,
                           trend_noise: BoolArray | bool = False) -> FloatArray:
    """Mean lift of the volume after n months from the growth fit's uncertainty.

    A path draws F^2 = min(nu / X, c^2), X ~ chi-square(nu), nu = fit_months - 2,
    c = :data:`~forecast.limits.MAX_FIT_FACTOR` (F = 1 when not fitted); its walk has
    variance F^2 s^2 a month, its log-growth error is F sd eps, and its drift is the
    stated one, ln(1 + g) - s^2 / 2. So E[volume] / (1 + g)^n is
    ``exp(-n s^2 / 2) E[exp(F^2 (n s^2 + n^2 sd^2) / 2)]``, which is
    ``exp(n^2 sd^2 / 2)`` when F = 1. Around a trend (``trend_noise``) the noise does not
    add up and the line's level is fitted too: the log-volume's variance is
    F^2 (s^2 (1 + 1/m) + sd^2 (n + o)^2) with m the months fitted and o = (m + 1) / 2
    (:func:`trend_terms`), its drift carries -s^2 / 2 once, so the lift is
    ``exp(-s^2 / 2) E[exp(F^2 (s^2 (1 + 1/m) + sd^2 (n + o)^2) / 2)]``. The expectation
    over F^2 (a scaled inverse chi-square, capped) is ``exp(A c^2) P(X <= nu / c^2)`` plus
    the integral over y = F^2 in (0, c^2) of ``exp(A y)`` times its density, by Gauss-Legendre.

    Parameters
    ----------
    n : ndarray of shape (n_months, n_workloads)
        Months since the workload's first month.
    volatility, growth_sd, fit_months : ndarray of shape (n_workloads,) or float
    trend_noise : ndarray of shape (n_workloads,) of bool, or bool
        True for noise around a trend, False for the random walk.

    Returns
    -------
    ndarray of shape (n_months, n_workloads)
    """
    from scipy.special import chdtr, gammaln, roots_legendre

    n = np.asarray(n, dtype=float)
    s2 = np.broadcast_to(np.asarray(volatility, dtype=float) ** 2, n.shape[-1:])
    sd2 = np.broadcast_to(np.asarray(growth_sd, dtype=float) ** 2, n.shape[-1:])
    dof = np.broadcast_to(fit_factor_dof(fit_months), n.shape[-1:])
    offset, level = trend_terms(np.broadcast_to(np.asarray(fit_months, dtype=float),
                                                n.shape[-1:]))
    trend = np.broadcast_to(np.asarray(trend_noise, dtype=bool), n.shape[-1:])
    noise = np.where(trend, 1.0, n)  # months of noise the log-volume carries
    x = np.where(trend, n + offset, n)  # months the growth error is multiplied by
    extra = np.where(trend, level * s2, 0.0)  # the level's error
    a = 0.5 * (noise * s2 + x * x * sd2 + extra)
    out = np.exp(0.5 * (x * x * sd2 + extra))
    cap = MAX_FIT_FACTOR**2
    nodes, w = roots_legendre(_FIT_NODES)
    y = 0.5 * cap * (nodes + 1.0)  # nodes on (0, c^2)
    for nu in np.unique(dof[dof > 0]):
        cols = dof == nu
        # Density of Y = nu / X: p_X(nu / y) nu / y^2, p_X the chi-square density.
        z = nu / y
        log_density = ((nu / 2 - 1) * np.log(z) - z / 2 - (nu / 2) * np.log(2.0)
                       - gammaln(nu / 2) + np.log(nu) - 2 * np.log(y))
        weight = 0.5 * cap * w * np.exp(log_density)  # (nodes,)
        ac = a[..., cols]
        tail = np.exp(ac * cap) * chdtr(nu, nu / cap)
        body = np.exp(ac[..., None] * y) @ weight
        out[..., cols] = np.exp(-0.5 * noise[..., cols] * s2[cols]) * (tail + body)
    return out


def monthly_cut_hazard(annual_probability: float) -> float:
    """Monthly probability of a list-price cut: ``1 - (1 - p)^(1/12)``, so that a twelve-month
    window holds at least one cut with probability p."""
    return 1.0 - (1.0 - annual_probability) ** (1.0 / 12.0)


def expected_price_level(scenario: Scenario) -> FloatArray:
    """Expected list-price level per month (1.0 = the book's prices): ``(1 - q mu)^(t - 1)``.

    Cuts can take effect from month 2 on (month 1 is priced by the book in force), each month
    with hazard q, each by an independent fraction of mean mu.

    Returns
    -------
    ndarray of shape (n_months,)
    """
    cuts = scenario.uncertainty.price_cuts
    q = monthly_cut_hazard(cuts.annual_probability)
    return (1.0 - q * cuts.size.mean) ** (month_numbers(scenario) - 1.0)


def walk_back_candidates(scenario: Scenario) -> BoolArray:
    """ndarray of shape (n_workloads,): gray workloads whose plan raises the batch share.

    Their batch move is the one that can be walked back.
    """
    return np.array([w.waiting == Waiting.GRAY and w.target.batch_share > w.current.batch_share
                     for w in scenario.workloads], dtype=bool)


#: A spread (sd) below this is none: a Beta that narrow is its mean to float32 precision, and
#: its parameters would overflow.
MIN_SD = 1e-6


def spread(sd: float) -> float:
    """``sd``, or 0 when it is below :data:`MIN_SD`."""
    return sd if sd >= MIN_SD else 0.0


def beta_parameters(mean: float, sd: float) -> tuple[float, float]:
    """Beta(alpha, beta) with this mean and sd (method of moments); needs ``sd >= MIN_SD``."""
    k = mean * (1.0 - mean) / (sd * sd) - 1.0
    return mean * k, (1.0 - mean) * k


def realization_moments(scenario: Scenario) -> FloatArray:
    """``E[r^k]`` for k = 1, 2, 3 of the lever realization r (fixed at its mean when sd = 0).

    For Beta(a, b): ``E[r^k] = prod_{j<k} (a + j) / (a + b + j)``.
    """
    real = scenario.uncertainty.lever_realization
    if spread(real.sd) == 0:
        return real.mean ** np.arange(1.0, 4.0)
    a, b = beta_parameters(real.mean, real.sd)
    j = np.arange(3.0)
    return np.cumprod((a + j) / (a + b + j))


def slip_support(mean: float, n_months: int) -> FloatArray:
    """:func:`slip_distribution` up to the slip past which less than 1e-15 of the
    probability is left (all of it when the mean is large): the sums over the slip need no
    more months than that."""
    pmf = slip_distribution(mean, n_months)
    tail = 1.0 - np.cumsum(pmf)
    keep = int(np.searchsorted(-tail, -1e-15)) + 1
    return pmf[:keep]


def slip_distribution(mean: float, n_months: int) -> FloatArray:
    """Poisson(mean) probabilities of 0 .. n_months - 1 months of slip.

    A slip of ``n_months`` or more lands past the horizon, where nothing of the plan is in
    place, so those probabilities are not needed. Computed in logs, so a huge mean gives
    probabilities near 0 rather than an overflow.
    """
    k = np.arange(n_months, dtype=float)
    if mean == 0:
        return (k == 0).astype(float)
    log_factorial = np.concatenate([[0.0], np.cumsum(np.log(k[1:]))])
    return np.exp(-mean + k * np.log(mean) - log_factorial)


@dataclass(frozen=True)
class RampMoments:
    """Expected powers of the fraction of the plan in place, per month and workload.

    The fraction is ``x = r * f(t - L)``: the realization r times the ramp fraction at the
    landing month L (planned month plus a Poisson slip). J is 1 from the month a gray
    workload's batch move is walked back (drawn uniformly after landing, within the contract
    term, on a share ``walk_back_probability`` of paths), else 0. The unit cost is a cubic in
    x, so its mean needs ``E[x^k]`` for k up to 3, not ``E[x]`` alone (docs/model.md,
    "Projection").

    Attributes
    ----------
    x : ndarray of shape (3, n_months, n_workloads)
        ``E[x^k]`` for k = 1, 2, 3.
    x_reverted : ndarray of shape (3, n_months, n_workloads)
        ``E[x^k J]`` for k = 1, 2, 3 (0 where the workload cannot walk back).
    """

    x: FloatArray
    x_reverted: FloatArray

    def power(self, k: int, batch: bool) -> FloatArray | float:
        """``E[x^k]``, or ``E[x^k (1 - J)]`` when the batch lever is counted (it is the one
        that walks back); ``k = 0`` gives 1."""
        if k == 0:
            return 1.0
        return self.x[k - 1] - self.x_reverted[k - 1] if batch else self.x[k - 1]


def ramp_moments(scenario: Scenario) -> RampMoments:
    """Exact ``E[x^k]`` and ``E[x^k J]`` as finite sums over the slip's Poisson months."""
    v = workload_vectors(scenario)
    n_months = scenario.horizon_months
    unc = scenario.uncertainty
    t = month_numbers(scenario)[:, None, None]  # (M, 1, 1)
    pmf = slip_support(unc.slip_months.mean, n_months)
    slip = np.arange(pmf.size, dtype=float)[None, :, None]  # (1, K, 1)
    pmf = pmf[None, :, None]
    lands = v["lands"] + slip  # (1, K, W)
    frac = ramp_fraction(t, lands, v["ramp"])  # (M, K, W)
    # Reverted by month t, given landing in month l: the revert month is uniform on
    # l + 1 .. term end, so P = min(t - l, span) / span (and 0 with no month to revert in).
    term_end = float(min(n_months, 12 * scenario.contract.years))
    span = term_end - lands
    safe_span = np.where(span > 0, span, 1.0)
    reverted = np.where(span > 0, np.clip((t - lands) / safe_span, 0.0, 1.0), 0.0)
    reverted = reverted * (unc.walk_back_probability * walk_back_candidates(scenario))
    rho = realization_moments(scenario)
    x = np.empty((3, n_months, len(scenario.workloads)))
    x_rev = np.empty_like(x)
    power = np.ones_like(frac)
    for k in range(3):
        power = power * frac
        x[k] = rho[k] * (pmf * power).sum(axis=1)
        x_rev[k] = rho[k] * (pmf * power * reverted).sum(axis=1)
    return RampMoments(x, x_rev)

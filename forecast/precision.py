"""Monte Carlo precision: every estimate the planner quotes with its standard error.

The simulation's yearly list usage on today's path and on the optimized path has an exactly
known mean: the projection (:mod:`forecast.projection`, the simulation's mean in closed
form). A figure computed on each path (the cost of a commitment, the discount it earns, its
unused part) moves with that path's usage, so the usage serves as a **control variate**
(docs/model.md, "Precision"): with per-path values y of shape (n_paths,), controls X of shape
(n_paths, k) and their known means mu, the regression-adjusted estimate is

    beta  = least squares of (y - mean y) on (X - mean X)
    y_cv  = mean(y) - beta . (mean(X) - mu)

the intercept of the regression of y on X, read at X = mu. It is unbiased up to O(1/n) and
its standard error is the regression's: ``s_e^2 (1/n + delta' (Xc'Xc)^-1 delta)`` with
``s_e^2`` the residual variance (n - r - 1 degrees of freedom, r the controls' rank) and
``delta = mu - mean(X)``. The estimate is linear in y for fixed controls, so the bridge's
lines estimated one by one still add up to the cent, and a control itself (pay as you go)
is estimated exactly at its known mean with no error.

Quantiles (P10, P90) are the plain order statistics; their standard error is read from the
order statistics about one binomial standard deviation either side (distribution-free:
``(x_(np + sqrt(np(1-p))) - x_(np - sqrt(np(1-p)))) / 2``). A difference of two options on
the same paths (common random numbers) is estimated from the per-path difference, so its
standard error is the paired one; two options are **within noise** of each other when that
difference is within two standard errors of zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from forecast.types import FloatArray

#: Two options are within noise of each other when their paired difference is within this
#: many standard errors of zero.
NOISE_SE = 2.0
#: Singular values of the scaled controls below this share of the largest are dropped
#: (collinear controls: today's path equal to the optimized one, a constant year).
RANK_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate and its standard error."""

    value: float
    se: float

    def within_noise(self) -> bool:
        """True when the estimate (a paired difference) is within ``NOISE_SE`` standard
        errors of zero."""
        return abs(self.value) <= NOISE_SE * self.se


def plain_mean(values: FloatArray) -> Estimate:
    """The sample mean of per-path values of shape (n_paths,) and its standard error (0 for
    one path: the projection, no Monte Carlo)."""
    y = np.asarray(values, dtype=float).ravel()
    n = y.size
    se = float(y.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    return Estimate(float(y.mean()), se)


def proportion(hits: FloatArray) -> Estimate:
    """The share of paths where ``hits`` (bool, shape (n_paths,)) is true, with the binomial
    standard error ``sqrt(p (1 - p) / n)``."""
    h = np.asarray(hits, dtype=bool).ravel()
    n = h.size
    p = float(h.mean())
    return Estimate(p, math.sqrt(p * (1.0 - p) / n) if n > 1 else 0.0)


def quantile(values: FloatArray, q: float) -> Estimate:
    """The q-quantile of per-path values of shape (n_paths,) (numpy's linear rule) and the
    distribution-free standard error from the order statistics one binomial standard
    deviation either side of rank ``n q``."""
    return quantiles(values, (q,))[0]


def quantiles(values: FloatArray, qs: tuple[float, ...]) -> list[Estimate]:
    """:func:`quantile` at several levels, with one partial sort for all of them."""
    y = np.asarray(values, dtype=float).ravel()
    n = y.size
    if n < 3:
        return [Estimate(float(np.quantile(y, q)), 0.0) for q in qs]
    ranks: dict[float, tuple[int, int, int, int, float]] = {}
    for q in qs:
        position = (n - 1) * q  # numpy's linear rule: between ranks floor and floor + 1
        below = math.floor(position)
        half = math.sqrt(n * q * (1.0 - q))
        lo = int(min(max(math.floor(n * q - half), 0), n - 1))
        hi = int(min(max(math.ceil(n * q + half), 0), n - 1))
        ranks[q] = (below, min(below + 1, n - 1), lo, hi, position - below)
    needed = sorted({k for r in ranks.values() for k in r[:4]})
    part = np.partition(y, needed)
    out = []
    for q in qs:
        below, above, lo, hi, frac = ranks[q]
        value = part[below] + frac * (part[above] - part[below])
        out.append(Estimate(float(value), float(part[hi] - part[lo]) / 2.0))
    return out


class Controls:
    """Control variates with known means, fitted once and applied to many per-path figures.

    Parameters
    ----------
    values : ndarray of shape (n_paths, k)
        Each path's controls (e.g. its yearly list usage on both paths).
    means : ndarray of shape (k,)
        Their exact means.

    Notes
    -----
    Controls that do not vary are dropped, collinear ones are reduced to their rank, so the
    estimator is defined whatever the scenario (no volatility: every path is the mean, and
    the estimate is the plain mean with no correction).
    """

    def __init__(self, values: FloatArray, means: FloatArray) -> None:
        x = np.asarray(values, dtype=float)
        if x.ndim == 1:
            x = x[:, None]
        mu = np.asarray(means, dtype=float).ravel()
        if x.shape[1] != mu.size:
            raise ValueError(f"controls: {x.shape[1]} columns but {mu.size} known means")
        self.n = x.shape[0]
        centre = x.mean(axis=0)
        scale = x.std(axis=0)
        keep = scale > RANK_TOLERANCE * np.maximum(np.abs(centre), 1.0)
        xs = (x[:, keep] - centre[keep]) / scale[keep]
        delta = (mu[keep] - centre[keep]) / scale[keep]  # (k',)
        if xs.shape[1] and self.n > xs.shape[1] + 2:
            u, s, vt = np.linalg.svd(xs, full_matrices=False)
            rank = int(np.sum(s > RANK_TOLERANCE * s[0])) if s.size else 0
            u, s, vt = u[:, :rank], s[:rank], vt[:rank]
        else:
            u, s, vt = np.zeros((self.n, 0)), np.zeros(0), np.zeros((0, xs.shape[1]))
        self.rank = s.size
        self._u = u  # (n, r): orthonormal basis of the centred controls
        # The correction for y is (U' yc) . w with w = diag(1/s) V delta; the intercept's
        # variance factor is |w|^2.
        self._w = (vt @ delta) / s if s.size else np.zeros(0)

    def mean(self, values: FloatArray) -> Estimate:
        """The control-variate estimate of the mean of ``values`` (shape (n_paths,))."""
        est = self.means(np.asarray(values, dtype=float).reshape(self.n, 1))
        return Estimate(float(est[0][0]), float(est[1][0]))

    def means(self, values: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Control-variate estimates of many figures at once.

        Parameters
        ----------
        values : ndarray of shape (n_paths, m)

        Returns
        -------
        (estimates, standard errors), each ndarray of shape (m,)
        """
        y = np.asarray(values, dtype=float)
        ybar = y.mean(axis=0)
        yc = y - ybar
        coef = self._u.T @ yc  # (r, m)
        estimate = ybar + self._w @ coef
        # The residual sum of squares: |yc|^2 minus its part in the controls' span (U is
        # orthonormal); to float rounding, about 1e-16 of |yc|^2.
        resid = np.einsum("nm,nm->m", yc, yc) - np.einsum("rm,rm->m", coef, coef)
        dof = max(self.n - self.rank - 1, 1)
        var = np.maximum(resid, 0.0) / dof * (1.0 / self.n + float(self._w @ self._w))
        return estimate, np.sqrt(var)


def difference(a: FloatArray, b: FloatArray, controls: Controls | None = None) -> Estimate:
    """``E[a - b]`` for two per-path figures on the same paths, with the paired standard
    error (through the control variates when given)."""
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return plain_mean(diff) if controls is None else controls.mean(diff)


def yearly_usage_document(current: FloatArray, optimized: FloatArray) -> dict[str, list[float]]:
    """Yearly list usage for ``plan --json``: the plain means over the paths of both paths
    and the optimized path's P10 and P90, each with its standard error.

    Parameters
    ----------
    current, optimized : ndarray of shape (n_paths, years)
    """
    n = optimized.shape[0]
    bands = [quantiles(optimized[:, y], (0.1, 0.9)) for y in range(optimized.shape[1])]

    def mean_se(x: FloatArray) -> list[float]:
        return (x.std(axis=0, ddof=1) / math.sqrt(n)).tolist() if n > 1 \
            else [0.0] * x.shape[1]

    return {
        "current_mean": current.mean(axis=0).tolist(),
        "optimized_mean": optimized.mean(axis=0).tolist(),
        "optimized_p10": np.quantile(optimized, 0.1, axis=0).tolist(),
        "optimized_p90": np.quantile(optimized, 0.9, axis=0).tolist(),
        "current_mean_se": mean_se(current),
        "optimized_mean_se": mean_se(optimized),
        "optimized_p10_se": [p10.se for p10, _ in bands],
        "optimized_p90_se": [p90.se for _, p90 in bands],
    }

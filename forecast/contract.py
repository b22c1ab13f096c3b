"""Contract evaluation: what a commitment costs on simulated (or projected) usage.

For each path and contract year, with L the year's list usage, d the discount the
commitment's tier earns, D = (1 - d) L the discounted usage and C the commitment
(DESIGN.md, "Contract evaluation")::

    cost   = max(C, D)                          overage at the discounted rate
    cost   = C + max(0, L - C / (1 - d))        overage at list
    unused = max(0, C - D)

Both rules are ``C + rate * max(0, L - K)`` with ``K = C / (1 - d)`` the list usage the
commitment covers and ``rate`` = 1 - d (discounted) or 1 (list). That form lets a sweep over
many flat commitments use sorted usage and cumulative sums (:class:`SortedUsage`) instead of
a pass over all paths per candidate. A rollover share carries part of a year's unused
commitment into the next year; it couples the years, so it is evaluated path by path.

The functions accept the projection (no paths axis) or the simulation (a leading paths axis)
alike: the last axis is always months or years.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.errors import ContractError
from forecast.scenario import Contract
from forecast.types import FloatArray, Overage


def discount_for(contract: Contract, commitment: FloatArray | float) -> FloatArray:
    """Discount earned by an annual commitment: the highest tier whose minimum it meets.

    Parameters
    ----------
    commitment : float or ndarray of any shape
        Annual commitment(s) in USD.

    Returns
    -------
    ndarray of the same shape, values in [0, 1)
    """
    c = np.asarray(commitment, dtype=float)
    if not contract.discount_tiers:
        return np.zeros_like(c)
    mins = np.array([t.min_annual_commit for t in contract.discount_tiers])
    rates = np.array([0.0] + [t.discount for t in contract.discount_tiers])
    return rates[np.searchsorted(mins, c, side="right")]


def tier_bounds(contract: Contract) -> list[tuple[float, float, float]]:
    """``(low, high, discount)`` of every commitment interval with one discount, from 0."""
    edges = [0.0] + [t.min_annual_commit for t in contract.discount_tiers] + [np.inf]
    rates = [0.0] + [t.discount for t in contract.discount_tiers]
    out = []
    for lo, hi, d in zip(edges[:-1], edges[1:], rates, strict=True):
        if hi > lo:
            out.append((lo, hi, d))
    return out


def yearly(monthly: FloatArray, years: int) -> FloatArray:
    """Sum months into contract years.

    Parameters
    ----------
    monthly : ndarray of shape (..., n_months)
    years : int
        Contract years; needs ``12 * years <= n_months``.

    Returns
    -------
    ndarray of shape (..., years)
    """
    n = monthly.shape[-1]
    if 12 * years > n:
        raise ContractError(f"contract.years: {years} years need {12 * years} months of "
                            f"usage; the horizon has {n}")
    return monthly[..., : 12 * years].reshape(*monthly.shape[:-1], years, 12).sum(axis=-1)


def overage_rate(contract: Contract, discount: FloatArray | float) -> FloatArray:
    """Price of one list dollar of usage beyond the commitment."""
    d = np.asarray(discount, dtype=float)
    return 1.0 - d if contract.overage == Overage.DISCOUNTED else np.ones_like(d)


@dataclass(frozen=True)
class Outcome:
    """A commitment's outcome per path and year.

    Attributes
    ----------
    commitment, discount : ndarray of shape (years,)
    cost, unused, overage : ndarray of shape (..., years)
        Billed cost, commitment paid but not used, and usage billed beyond the commitment.
    list_usage : ndarray of shape (..., years)
    """

    commitment: FloatArray
    discount: FloatArray
    cost: FloatArray
    unused: FloatArray
    overage: FloatArray
    list_usage: FloatArray


def as_commitment(contract: Contract, commitment: float | list[float] | FloatArray
                  ) -> FloatArray:
    """A flat amount or a per-year ramp as an array of shape (years,)."""
    c = np.atleast_1d(np.asarray(commitment, dtype=float))
    if c.size == 1:
        c = np.repeat(c, contract.years)
    if c.shape != (contract.years,):
        raise ContractError(f"commitments: a ramp of {c.size} years for a {contract.years}-year "
                            f"term; give one amount, or {contract.years}")
    if np.any(c < 0):
        raise ContractError("commitments: must not be negative")
    return c


def evaluate(contract: Contract, yearly_list: FloatArray,
             commitment: float | list[float] | FloatArray) -> Outcome:
    """Evaluate one commitment (flat or ramp) on every path and year.

    Parameters
    ----------
    yearly_list : ndarray of shape (..., years)
        List usage per contract year (from :func:`yearly`).
    commitment : float or sequence of float
        One annual amount, or one per year.
    """
    c = as_commitment(contract, commitment)
    d = discount_for(contract, c)
    rate = overage_rate(contract, d)
    usage = (1.0 - d) * yearly_list  # discounted usage D
    if contract.rollover == 0.0:
        cost = c + rate * np.maximum(0.0, yearly_list - c / (1.0 - d))
        unused = np.maximum(0.0, c - usage)
    else:
        # Carry a share of each year's unspent balance into the next: years are coupled.
        # ``unused`` is what is forfeited: the balance not carried (all of it in the last
        # year), so a dollar carried and then spent is not counted as unused.
        cost = np.empty_like(usage)
        unused = np.empty_like(usage)
        carry = np.zeros(usage.shape[:-1])
        for y in range(contract.years):
            capacity = c[y] + carry
            covered_list = capacity / (1.0 - d[y])
            cost[..., y] = c[y] + rate[y] * np.maximum(0.0, yearly_list[..., y] - covered_list)
            balance = np.maximum(0.0, capacity - usage[..., y])
            carry = contract.rollover * balance if y + 1 < contract.years else 0.0 * balance
            unused[..., y] = balance - carry
    return Outcome(c, d, cost, unused, cost - np.minimum(c, cost), yearly_list)


class SortedUsage:
    """Yearly list usage sorted per year, with prefix sums, for fast sweeps.

    For thresholds K it gives ``E[max(0, L_y - K)]`` and ``P(L_y < K)`` per year, and the
    probability that any year falls below K, in O(log P) per threshold.

    Parameters
    ----------
    yearly_list : ndarray of shape (n_paths, years)
    """

    def __init__(self, yearly_list: FloatArray) -> None:
        usage = np.atleast_2d(yearly_list)
        self.n_paths, self.years = usage.shape
        self.sorted = np.sort(usage, axis=0).T  # (years, P)
        zero = np.zeros((self.years, 1))
        self.prefix = np.concatenate([zero, np.cumsum(self.sorted, axis=1)], axis=1)
        self.mean = self.prefix[:, -1] / self.n_paths  # (years,)
        self.min_sorted = np.sort(usage.min(axis=1))
        self.pooled = np.sort(usage.ravel())

    def excess(self, k: FloatArray) -> FloatArray:
        """``E[max(0, L_y - K)]`` for every year and threshold: shape (years, n_k)."""
        k = np.atleast_1d(np.asarray(k, dtype=float))
        out = np.empty((self.years, k.size))
        for y in range(self.years):  # years <= 5
            idx = np.searchsorted(self.sorted[y], k, side="right")
            above_sum = self.prefix[y, -1] - self.prefix[y, idx]
            out[y] = (above_sum - (self.n_paths - idx) * k) / self.n_paths
        return out

    def below(self, k: FloatArray) -> FloatArray:
        """``P(L_y < K)`` for every year and threshold: shape (years, n_k)."""
        k = np.atleast_1d(np.asarray(k, dtype=float))
        return np.stack([np.searchsorted(self.sorted[y], k, side="left") / self.n_paths
                         for y in range(self.years)])

    def any_below(self, k: FloatArray) -> FloatArray:
        """``P(min_y L_y < K)``: the chance that some year falls short; shape (n_k,)."""
        k = np.atleast_1d(np.asarray(k, dtype=float))
        return np.searchsorted(self.min_sorted, k, side="left") / self.n_paths


@dataclass(frozen=True)
class Sweep:
    """Flat commitments evaluated with sorted usage (no rollover).

    Every array has shape (n_candidates,); money is summed over the contract years.
    """

    commitment: FloatArray
    discount: FloatArray
    expected_cost: FloatArray
    shortfall_probability: FloatArray
    expected_unused: FloatArray
    expected_overage: FloatArray
    gross_savings: FloatArray
    stranded_savings: FloatArray

    @property
    def stranded_share(self) -> FloatArray:
        gross = self.gross_savings
        return np.divide(self.stranded_savings, gross, out=np.zeros_like(gross),
                         where=np.abs(gross) > 1e-9)


def sweep_flat(contract: Contract, optimized: SortedUsage, baseline: SortedUsage,
               commitments: FloatArray) -> Sweep:
    """Evaluate many flat commitments at once from sorted usage and prefix sums.

    Exact for ``rollover = 0``: with ``K = C / (1 - d)`` and ``G_y(K) = E[max(0, L_y - K)]``,
    expected cost = ``sum_y (C + rate G_y(K))``, expected unused =
    ``(1 - d) sum_y (K - E[L_y] + G_y(K))``, and stranded savings (DESIGN.md)
    ``E[min(C, D_base) - min(C, D_opt)] = (1 - d) sum_y (E[L_base] - G_base - E[L_opt] + G_opt)``.
    """
    c = np.asarray(commitments, dtype=float)
    d = discount_for(contract, c)
    rate = overage_rate(contract, d)
    k = c / (1.0 - d)
    g_opt = optimized.excess(k)  # (Y, n)
    g_base = baseline.excess(k)
    years = contract.years
    expected_cost = years * c + rate * g_opt.sum(axis=0)
    unused = (1.0 - d) * (years * k - optimized.mean.sum() + g_opt.sum(axis=0))
    overage = rate * g_opt.sum(axis=0)
    gross = (1.0 - d) * (baseline.mean.sum() - optimized.mean.sum())
    stranded = (1.0 - d) * ((baseline.mean.sum() - g_base.sum(axis=0))
                            - (optimized.mean.sum() - g_opt.sum(axis=0)))
    return Sweep(c, d, expected_cost, optimized.any_below(k), unused, overage,
                 np.broadcast_to(gross, c.shape).copy(), stranded)

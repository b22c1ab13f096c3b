"""Contract evaluation: what one commitment costs under given terms, on every path.

For each path and contract year, with L the year's list usage, d the discount the
commitment's tier earns, D = (1 - d) L the discounted usage and C the commitment
(docs/model.md, "Contract evaluation")::

    cost   = max(C, D)                          overage at the discounted rate
    cost   = C + max(0, L - C / (1 - d))        overage at list
    unused = max(0, C - D)

Both rules are ``C + rate * max(0, L - K)`` with ``K = C / (1 - d)`` the list usage the
commitment covers and ``rate`` = 1 - d (discounted) or 1 (list). Optional clauses: a rollover
share carries part of a year's unused balance into the next (years are then coupled and
evaluated in turn); a shortfall credit pays back a share of the unused commitment; price
protection scales the commitment with the list-price level of the year (it falls when list
prices are cut).

This module evaluates a commitment someone names; its result, with the savings bridge and
the colour, is :mod:`forecast.commitment`; searching for the best one is
:mod:`forecast.recommendation`. The functions accept the projection (no paths axis) or the
simulation (a leading paths axis) alike: the last axis is always months or years.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from forecast.errors import ContractError
from forecast.precision import Controls, Estimate, plain_mean
from forecast.scenario import Contract
from forecast.types import (
    FloatArray,
    Overage,
)

if TYPE_CHECKING:
    from forecast.projection import Projection
    from forecast.simulation import Simulation

#: Relative size below which a saving is rounding noise (float32 cells), not a saving.
NOISE = 1e-6
#: Slack on threshold comparisons, so that a commitment sized exactly on a line is on it.
SLACK = 1e-9


# --------------------------------------------------------------------------- tiers
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


def tier_edges(contract: Contract) -> list[float]:
    """The tiers' minimum annual commitments, in increasing order."""
    return [t.min_annual_commit for t in contract.discount_tiers]


def next_tier(contract: Contract, commitment: float) -> tuple[float, float] | None:
    """``(min_annual_commit, discount)`` of the first tier above ``commitment``, or None."""
    for t in contract.discount_tiers:
        if t.min_annual_commit > commitment:
            return t.min_annual_commit, t.discount
    return None


def covered_list_spend(commitment: FloatArray | float, discount: FloatArray | float
                       ) -> FloatArray:
    """The list spend a commitment covers: ``C / (1 - d)``, the usage that draws it down."""
    return np.asarray(commitment, dtype=float) / (1.0 - np.asarray(discount, dtype=float))


def largest_commit_covering(contract: Contract, k_max: float) -> float:
    """Largest commitment C whose covered list spend ``C / (1 - d(C))`` is at most k_max.

    Within a tier the answer is ``(1 - d) k_max``; when that reaches the next tier's edge
    (where the bigger discount would cover more usage than k_max), it is a dollar under it.
    """
    best = 0.0
    for lo, hi, d in tier_bounds(contract):
        c = (1.0 - d) * k_max
        if c >= lo:
            best = max(best, min(c, hi - 1.0))
    return best


# --------------------------------------------------------------------------- risk in dollars
#: The tail the dollar risk measures look at: the worst 10% of paths.
TAIL = 0.10


def extra_cost_tail(extra: FloatArray) -> tuple[FloatArray, FloatArray]:
    """P90 and CVaR90 of the extra cost over the paths (docs/model.md, "Risk in dollars").

    Parameters
    ----------
    extra : ndarray of shape (..., n_paths)
        Cost minus pay as you go, path by path, over the term.

    Returns
    -------
    (p90, cvar90), each ndarray of shape (...): the 90th percentile (linear interpolation
    between order statistics) and the mean of the worst ``ceil(n_paths / 10)`` paths.
    """
    extra = np.asarray(extra, dtype=float)
    n = extra.shape[-1]
    worst_n = max(1, int(np.ceil(TAIL * n - 1e-9)))
    p90 = np.quantile(extra, 1.0 - TAIL, axis=-1)
    top = np.partition(extra, n - worst_n, axis=-1)[..., n - worst_n:]
    return p90, top.mean(axis=-1)


# --------------------------------------------------------------------------- usage
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


@dataclass(frozen=True)
class YearlyUsage:
    """List usage per contract year, on every path: what a contract is evaluated on.

    Attributes
    ----------
    optimized : ndarray of shape (n_paths, years)
        The optimized path as simulated (walk-back drawn).
    current : ndarray of shape (n_paths, years)
        Today's path, the same draws.
    planned : ndarray of shape (n_paths, years)
        The optimized path with no walk-back (equal to ``optimized`` when not simulated).
    reverted : ndarray of shape (n_paths, years)
        The optimized path with every gray batch move reverted.
    price_level : ndarray of shape (n_paths, years)
        Mean list-price level of each year (1 = the price book's prices); a price-protected
        commitment is scaled by it.
    controls : Controls, optional
        Control variates with known means (the simulated yearly usage on both paths against
        the projection's): every expected figure is then estimated through them
        (:mod:`forecast.precision`); without them (usage typed by hand, no projection), the
        plain mean over the paths.
    """

    optimized: FloatArray
    current: FloatArray
    planned: FloatArray
    reverted: FloatArray
    price_level: FloatArray
    controls: Controls | None = None

    @classmethod
    def of(cls, optimized: FloatArray, current: FloatArray | None = None,
           planned: FloatArray | None = None, reverted: FloatArray | None = None,
           price_level: FloatArray | None = None) -> YearlyUsage:
        """From yearly arrays of shape (n_paths, years) or (years,); missing ones default
        to ``optimized`` (usage) or 1 (price level)."""
        opt = np.atleast_2d(np.asarray(optimized, dtype=float))

        def same(a: FloatArray | None, default: FloatArray) -> FloatArray:
            return default if a is None else np.atleast_2d(np.asarray(a, dtype=float))

        return cls(opt, same(current, opt), same(planned, opt), same(reverted, opt),
                   same(price_level, np.ones_like(opt)))

    @classmethod
    def from_simulation(cls, sim: Simulation, years: int) -> YearlyUsage:
        """Yearly sums of a simulation's monthly series (paths x months); with the
        simulation's exact monthly means (``sim.expected_optimized``, ``sim.expected_current``,
        the projection's), the yearly usage on both paths becomes the control variates."""
        planned = getattr(sim, "planned", None)
        level = getattr(sim, "price_level", None)
        usage = cls.of(
            yearly(sim.optimized, years), yearly(sim.current, years),
            None if planned is None else yearly(planned, years),
            yearly(sim.reverted, years),
            None if level is None else yearly(level, years) / 12.0)
        known_opt = getattr(sim, "expected_optimized", None)
        known_cur = getattr(sim, "expected_current", None)
        if known_opt is None or known_cur is None or usage.n_paths < 4 * usage.years + 4:
            return usage
        controls = Controls(np.concatenate([usage.optimized, usage.current], axis=1),
                            np.concatenate([yearly(np.asarray(known_opt), years),
                                            yearly(np.asarray(known_cur), years)]))
        return dataclasses.replace(usage, controls=controls)

    @classmethod
    def from_projection(cls, projection: Projection, years: int) -> YearlyUsage:
        """The deterministic projection as one path."""
        return cls.of(yearly(projection.optimized_total, years),
                      yearly(projection.current_total, years))

    @property
    def n_paths(self) -> int:
        return self.optimized.shape[0]

    @property
    def years(self) -> int:
        return self.optimized.shape[1]

    def with_optimized(self, optimized: FloatArray) -> YearlyUsage:
        """The same usage with another optimized path (e.g. ``planned``); the control
        variates stay those of the simulated paths (still valid controls for any figure)."""
        return YearlyUsage(np.atleast_2d(optimized), self.current, self.planned,
                           self.reverted, self.price_level, self.controls)

    def mean(self, values: FloatArray) -> Estimate:
        """``E[values]`` for a per-path figure of shape (n_paths,), with its standard error:
        through the control variates when known, else the plain mean."""
        if self.controls is None:
            return plain_mean(values)
        return self.controls.mean(values)

    def means(self, values: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Estimates and standard errors of many per-path figures, shape (n_paths, m) in,
        two arrays of shape (m,) out."""
        y = np.asarray(values, dtype=float)
        if self.controls is None:
            n = y.shape[0]
            se = y.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.zeros(y.shape[1])
            return y.mean(axis=0), se
        return self.controls.means(y)


# --------------------------------------------------------------------------- one commitment
def overage_rate(contract: Contract, discount: FloatArray | float) -> FloatArray:
    """Price of one list dollar of usage beyond the commitment."""
    d = np.asarray(discount, dtype=float)
    return 1.0 - d if contract.overage == Overage.DISCOUNTED else np.ones_like(d)


def as_commitment(contract: Contract, commitment: float | list[float] | FloatArray
                  ) -> FloatArray:
    """A flat amount or a per-year ramp as an array of shape (years,)."""
    c = np.atleast_1d(np.asarray(commitment, dtype=float))
    if c.size == 1:
        c = np.repeat(c, contract.years)
    if c.shape != (contract.years,):
        raise ContractError(f"commitments: a ramp of {c.size} years for a {contract.years}-year "
                            f"term; give one amount, or {contract.years}")
    if np.any(c < 0) or not np.all(np.isfinite(c)):
        raise ContractError("commitments: must be finite and not negative")
    return c


@dataclass(frozen=True)
class Outcome:
    """A commitment's outcome per path and year.

    Attributes
    ----------
    commitment, discount : ndarray of shape (years,)
        The nominal commitment and the discount its tier earns.
    cost : ndarray of shape (..., years)
        Billed cost, after any shortfall credit.
    unused : ndarray of shape (..., years)
        Commitment paid and lost: not used, not carried over, not credited back.
    overage : ndarray of shape (..., years)
        Spend beyond the commitment.
    discount_earned : ndarray of shape (..., years)
        List spend minus what the usage is billed at: ``d`` times the usage billed at the
        discounted rate.
    short : ndarray of bool, shape (..., years)
        The year's usage fell below the commitment and not all of the balance carries over
        (some commitment is paid for nothing, before any credit).
    list_usage : ndarray of shape (..., years)
    """

    commitment: FloatArray
    discount: FloatArray
    cost: FloatArray
    unused: FloatArray
    overage: FloatArray
    discount_earned: FloatArray
    short: FloatArray
    list_usage: FloatArray


def evaluate(contract: Contract, yearly_list: FloatArray,
             commitment: float | list[float] | FloatArray,
             price_level: FloatArray | None = None,
             discount: FloatArray | None = None) -> Outcome:
    """Evaluate one commitment (flat or ramp) on every path and year.

    Parameters
    ----------
    yearly_list : ndarray of shape (..., years)
        List usage per contract year (from :func:`yearly`).
    commitment : float or sequence of float
        One annual amount, or one per year.
    price_level : ndarray of shape (..., years), optional
        The year's mean list-price level; with ``contract.price_protection`` the commitment
        is scaled by it (the discount stays the nominal commitment's tier).
    discount : ndarray of shape (years,), optional
        The discount to apply instead of the tier the commitment earns (the break-even
        search).
    """
    c = as_commitment(contract, commitment)
    d = discount_for(contract, c) if discount is None else \
        np.broadcast_to(np.asarray(discount, dtype=float), c.shape)
    return _evaluate(contract, yearly_list, c, d, price_level)


def _evaluate(contract: Contract, yearly_list: FloatArray, c: FloatArray, d: FloatArray,
              price_level: FloatArray | None) -> Outcome:
    """The evaluation, for commitments ``c`` and discounts ``d`` of shape (..., years) that
    broadcast against ``yearly_list`` (a leading candidates axis evaluates many at once)."""
    rate = overage_rate(contract, d)
    protected = contract.price_protection and price_level is not None
    shape = np.broadcast_shapes(yearly_list.shape, c.shape)
    c_eff = np.broadcast_to(c * price_level if protected else c, shape)
    usage = (1.0 - d) * yearly_list  # discounted usage D
    credit = contract.shortfall_credit
    discounted_overage = contract.overage == Overage.DISCOUNTED
    cost = np.empty(shape)
    unused = np.empty(shape)
    earned = np.empty(shape)
    overage = np.empty(shape)
    short = np.empty(shape, dtype=bool)
    carry = np.zeros(shape[:-1])
    for y in range(contract.years):  # years <= 5; paths and candidates are vectorized
        capacity = c_eff[..., y] + carry
        covered = capacity / (1.0 - d[..., y])
        above = np.maximum(0.0, yearly_list[..., y] - covered)
        balance = np.maximum(0.0, capacity - usage[..., y])
        carried = contract.rollover * balance if y + 1 < contract.years else 0.0 * balance
        credited = credit * (balance - carried)
        overage[..., y] = rate[..., y] * above
        cost[..., y] = c_eff[..., y] + overage[..., y] - credited
        unused[..., y] = balance - carried - credited
        billed_discounted = yearly_list[..., y] if discounted_overage \
            else np.minimum(yearly_list[..., y], covered)
        earned[..., y] = d[..., y] * billed_discounted
        # Short: some of the year's commitment is lost (not carried over): with no
        # rollover, exactly when the usage is below the list spend the commitment covers.
        short[..., y] = balance - carried > 0.0
        carry = carried
    return Outcome(c, d, cost, unused, overage, earned, short, yearly_list)


@dataclass(frozen=True)
class FlatSummary:
    """Many flat commitments evaluated at once (a sweep): money summed over the term, means
    over the paths. Every array has shape (n,)."""

    commitment: FloatArray
    discount: FloatArray
    expected_cost: FloatArray
    shortfall_probability: FloatArray
    expected_unused: FloatArray
    expected_overage: FloatArray
    gross_savings: FloatArray
    stranded_savings: FloatArray
    extra_cost_p90: FloatArray | None = None
    cvar90_extra_cost: FloatArray | None = None

    @property
    def stranded_share(self) -> FloatArray:
        gross = self.gross_savings
        return np.divide(self.stranded_savings, gross, out=np.zeros_like(gross),
                         where=np.abs(gross) > 1e-9)


#: Candidates evaluated at once in :func:`evaluate_flat`: bounds the memory of the batch.
BATCH = 32


def evaluate_flat(contract: Contract, usage: YearlyUsage, commitments: FloatArray,
                  discount: FloatArray | None = None, full: bool = True) -> FlatSummary:
    """Evaluate many flat commitments path by path, in batches (rollover, price protection,
    any discount), vectorized over the candidates and the paths.

    Parameters
    ----------
    commitments : ndarray of shape (n,)
    discount : ndarray of shape (n,), optional
        The discount of each (default: the tier each earns).
    full : bool
        Also the unused, overage, gross and stranded figures (else zeros: a search that
        needs only the cost and the shortfall probability).
    """
    amounts = np.atleast_1d(np.asarray(commitments, dtype=float))
    disc = discount_for(contract, amounts) if discount is None else \
        np.broadcast_to(np.asarray(discount, dtype=float), amounts.shape)
    years = contract.years
    fields: dict[str, list[FloatArray]] = {k: [] for k in (
        "cost", "short", "unused", "overage", "gross", "stranded", "p90", "cvar")}
    opt, base = usage.optimized, usage.current
    payg = opt.sum(axis=-1)  # (P,)
    for start in range(0, amounts.size, BATCH):
        c = np.repeat(amounts[start:start + BATCH, None, None], years, axis=2)  # (n, 1, Y)
        d = np.repeat(disc[start:start + BATCH, None, None], years, axis=2)
        out = _evaluate(contract, opt, c, d, usage.price_level)
        fields["cost"].append(out.cost.sum(axis=-1).mean(axis=-1))
        fields["short"].append(out.short.any(axis=-1).mean(axis=-1))
        if not full:
            continue
        fields["unused"].append(out.unused.sum(axis=-1).mean(axis=-1))
        p90, cvar = extra_cost_tail(out.cost.sum(axis=-1) - payg)
        fields["p90"].append(p90)
        fields["cvar"].append(cvar)
        fields["overage"].append(out.overage.sum(axis=-1).mean(axis=-1))
        c_eff = c * usage.price_level if contract.price_protection else c
        d_base, d_opt = (1.0 - d) * base, (1.0 - d) * opt
        fields["gross"].append((d_base - d_opt).sum(axis=-1).mean(axis=-1))
        fields["stranded"].append((np.minimum(c_eff, d_base) - np.minimum(c_eff, d_opt))
                                  .sum(axis=-1).mean(axis=-1))
    cat = {k: np.concatenate(v) if v else np.zeros(amounts.size) for k, v in fields.items()}
    return FlatSummary(amounts, np.asarray(disc, dtype=float), cat["cost"], cat["short"],
                       cat["unused"], cat["overage"], cat["gross"], cat["stranded"],
                       cat["p90"] if full else None, cat["cvar"] if full else None)

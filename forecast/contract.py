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

This module evaluates a commitment someone names; searching for the best one is
:mod:`forecast.recommendation`. The functions accept the projection (no paths axis) or the
simulation (a leading paths axis) alike: the last axis is always months or years.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from forecast.errors import ContractError
from forecast.precision import Controls, Estimate, plain_mean, proportion, quantiles
from forecast.scenario import Contract
from forecast.types import (
    COMMITMENT_LABELS,
    CommitmentKind,
    FlagLevel,
    FloatArray,
    Overage,
    Risk,
    worst,
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
        "cost", "short", "unused", "overage", "gross", "stranded")}
    opt, base = usage.optimized, usage.current
    for start in range(0, amounts.size, BATCH):
        c = np.repeat(amounts[start:start + BATCH, None, None], years, axis=2)  # (n, 1, Y)
        d = np.repeat(disc[start:start + BATCH, None, None], years, axis=2)
        out = _evaluate(contract, opt, c, d, usage.price_level)
        fields["cost"].append(out.cost.sum(axis=-1).mean(axis=-1))
        fields["short"].append(out.short.any(axis=-1).mean(axis=-1))
        if not full:
            continue
        fields["unused"].append(out.unused.sum(axis=-1).mean(axis=-1))
        fields["overage"].append(out.overage.sum(axis=-1).mean(axis=-1))
        c_eff = c * usage.price_level if contract.price_protection else c
        d_base, d_opt = (1.0 - d) * base, (1.0 - d) * opt
        fields["gross"].append((d_base - d_opt).sum(axis=-1).mean(axis=-1))
        fields["stranded"].append((np.minimum(c_eff, d_base) - np.minimum(c_eff, d_opt))
                                  .sum(axis=-1).mean(axis=-1))
    cat = {k: np.concatenate(v) if v else np.zeros(amounts.size) for k, v in fields.items()}
    return FlatSummary(amounts, np.asarray(disc, dtype=float), cat["cost"], cat["short"],
                       cat["unused"], cat["overage"], cat["gross"], cat["stranded"])


# --------------------------------------------------------------------------- the result
@dataclass(frozen=True)
class Bridge:
    """One savings bridge over the contract term, from the means over the paths.

    ``today_list - levers = payg``, ``payg - discount + unused = expected_cost`` (docs/model.md,
    "One savings bridge"). Each line is computed from its own definition; they add up to
    the cent.
    """

    today_list: float
    levers: float
    payg: float
    discount: float
    unused: float
    expected_cost: float
    #: Monte Carlo standard error of each line, by the line's name (docs/model.md,
    #: "Precision"); empty for a bridge not estimated from paths.
    standard_errors: dict[str, float] = field(default_factory=dict)

    @property
    def saving_vs_today(self) -> float:
        """Today's path at list minus the expected cost: the saving every face quotes."""
        return self.today_list - self.expected_cost

    @property
    def saving_vs_payg(self) -> float:
        """Pay as you go on the optimized path minus the expected cost: what committing adds."""
        return self.payg - self.expected_cost

    def to_dict(self) -> dict[str, float]:
        return {"today_list": self.today_list, "levers": self.levers, "payg": self.payg,
                "discount": self.discount, "unused": self.unused,
                "expected_cost": self.expected_cost}

    def se_to_dict(self) -> dict[str, float]:
        """The standard error of each line, keyed as :meth:`to_dict` (0 where unknown)."""
        return {key: float(self.standard_errors.get(key, 0.0)) for key in self.to_dict()}


@dataclass(frozen=True)
class RiskReason:
    """One risk behind a commitment's colour: which, how bad, and the figure."""

    risk: Risk
    level: FlagLevel
    value: float

    def to_dict(self) -> dict[str, object]:
        return {"risk": str(self.risk), "level": str(self.level), "value": self.value}


@dataclass(frozen=True)
class CommitmentResult:
    """One commitment (flat or ramp) evaluated on every path.

    Money is summed over the contract term; ``per_year`` and ``discount`` have one entry per
    contract year. ``colour`` is the worst of its risks (``reasons``).
    """

    kind: CommitmentKind
    label: str
    per_year: FloatArray
    discount: FloatArray
    expected_cost: float
    cost_p10: float
    cost_p50: float
    cost_p90: float
    shortfall_probability: float
    shortfall_by_year: FloatArray
    expected_unused: float
    expected_overage: float
    bridge: Bridge
    gross_savings: float
    stranded_savings: float
    stranded_share: float
    colour: FlagLevel
    reasons: tuple[RiskReason, ...] = field(default_factory=tuple)
    #: Monte Carlo standard errors (docs/model.md, "Precision"): of ``expected_cost``,
    #: ``saving_vs_today``, ``saving_vs_payg`` (through the control variates when the usage
    #: has them), of ``shortfall_probability`` (binomial) and of the cost quantiles.
    expected_cost_se: float = 0.0
    saving_vs_today_se: float = 0.0
    saving_vs_payg_se: float = 0.0
    shortfall_probability_se: float = 0.0
    cost_p10_se: float = 0.0
    cost_p90_se: float = 0.0
    #: Per path, the cost over the term minus pay as you go, shape (n_paths,): two options'
    #: difference and its paired standard error come from these (None for one path).
    extra_cost_paths: FloatArray | None = field(default=None, repr=False, compare=False)

    @property
    def flag(self) -> FlagLevel:
        """The commitment's one colour (alias of ``colour``)."""
        return self.colour

    @property
    def is_ramp(self) -> bool:
        return bool(np.ptp(self.per_year) > 0)

    @property
    def annual_commit(self) -> float:
        """The flat annual amount (first year's amount for a ramp)."""
        return float(self.per_year[0])

    @property
    def total_commit(self) -> float:
        """The commitment over the whole term."""
        return float(self.per_year.sum())

    @property
    def earns_discount(self) -> bool:
        """True when every committed year earns a discount (or nothing is committed)."""
        return bool(np.all((self.discount > 0) | (self.per_year <= 0)))

    @property
    def expected_list(self) -> float:
        """Pay as you go: the optimized usage at list (the bridge's ``payg``)."""
        return self.bridge.payg

    @property
    def expected_current_list(self) -> float:
        """Today's path at list (the bridge's ``today_list``)."""
        return self.bridge.today_list

    @property
    def saving_vs_today(self) -> float:
        return self.bridge.saving_vs_today

    @property
    def saving_vs_payg(self) -> float:
        return self.bridge.saving_vs_payg

    def to_dict(self) -> dict:
        return {
            "kind": str(self.kind),
            "label": self.label,
            "annual_commit": self.annual_commit,
            "per_year": self.per_year.tolist(),
            "is_ramp": self.is_ramp,
            "discount": float(self.discount[0]),
            "discount_per_year": self.discount.tolist(),
            "expected_cost": self.expected_cost,
            "cost_p10": self.cost_p10,
            "cost_p50": self.cost_p50,
            "cost_p90": self.cost_p90,
            "shortfall_probability": self.shortfall_probability,
            "shortfall_probability_by_year": self.shortfall_by_year.tolist(),
            "expected_unused": self.expected_unused,
            "expected_overage": self.expected_overage,
            "saving_vs_today": self.saving_vs_today,
            "saving_vs_payg": self.saving_vs_payg,
            "gross_savings": self.gross_savings,
            "stranded_savings": self.stranded_savings,
            "stranded_share": self.stranded_share,
            "flag": str(self.colour),
            "reasons": [r.to_dict() for r in self.reasons],
            "bridge": self.bridge.to_dict(),
            "expected_cost_se": self.expected_cost_se,
            "saving_vs_today_se": self.saving_vs_today_se,
            "saving_vs_payg_se": self.saving_vs_payg_se,
            "shortfall_probability_se": self.shortfall_probability_se,
            "cost_p10_se": self.cost_p10_se,
            "cost_p90_se": self.cost_p90_se,
            "bridge_se": self.bridge.se_to_dict(),
        }


def stranded_level(share: float, contract: Contract) -> FlagLevel:
    """Red above the red threshold, amber above the amber one, else green."""
    t = contract.stranded_thresholds
    if share > t.red + SLACK:
        return FlagLevel.RED
    if share > t.amber + SLACK:
        return FlagLevel.AMBER
    return FlagLevel.GREEN


def shortfall_level(probability: float, contract: Contract, appetite: float | None = None
                    ) -> FlagLevel:
    """Amber above the appetite, red above the red line (default twice the appetite)."""
    ra = contract.risk_appetite
    amber = ra.max_shortfall_probability if appetite is None else appetite
    red = ra.red_line if appetite is None or ra.red_shortfall_probability is not None \
        else min(1.0, 2.0 * appetite)
    if probability > red + SLACK:
        return FlagLevel.RED
    if probability > amber + SLACK:
        return FlagLevel.AMBER
    return FlagLevel.GREEN


def risk_reasons(contract: Contract, per_year: FloatArray, discount: FloatArray,
                 stranded_share: float, shortfall_probability: float,
                 appetite: float | None = None) -> tuple[RiskReason, ...]:
    """Every risk that colours a commitment amber or red (docs/model.md, "One colour").

    A commitment above 0 that earns no discount is red: it only adds risk to paying as you
    go.
    """
    out = []
    level = stranded_level(stranded_share, contract)
    if level != FlagLevel.GREEN:
        out.append(RiskReason(Risk.STRANDING, level, stranded_share))
    level = shortfall_level(shortfall_probability, contract, appetite)
    if level != FlagLevel.GREEN:
        out.append(RiskReason(Risk.SHORTFALL, level, shortfall_probability))
    no_discount = (np.asarray(per_year) > 0) & (np.asarray(discount) <= 0)
    if np.any(no_discount):
        out.append(RiskReason(Risk.NO_DISCOUNT, FlagLevel.RED, float(no_discount.sum())))
    return tuple(out)


def evaluate_commitment(contract: Contract, usage: YearlyUsage,
                        commitment: float | list[float] | FloatArray,
                        kind: CommitmentKind = CommitmentKind.GRID, label: str | None = None,
                        appetite: float | None = None) -> CommitmentResult:
    """Evaluate one commitment path by path: costs, risks, the bridge and stranding.

    Parameters
    ----------
    usage : YearlyUsage
        Yearly list usage on every path (shape (n_paths, years) in each series).
    commitment : float or sequence of float
        One annual amount, or one per contract year.
    kind, label
        What the commitment is; the label defaults to the kind's words.
    appetite : float, optional
        Shortfall appetite for its colour (default: the contract's).
    """
    optimized, baseline = usage.optimized, usage.current
    out = evaluate(contract, optimized, commitment, usage.price_level)
    c, d = out.commitment, out.discount
    total = out.cost.sum(axis=-1)
    p10, p50, p90 = quantiles(total, (0.1, 0.5, 0.9))
    d_base, d_opt = (1.0 - d) * baseline, (1.0 - d) * optimized
    c_eff = c * usage.price_level if contract.price_protection else c
    today_paths = baseline.sum(axis=-1)
    payg_paths = optimized.sum(axis=-1)
    # Every expected figure at once, through the same control variates (or plain means):
    # linear in the per-path figure, so the bridge's lines still add up to the cent.
    figures = np.stack([
        today_paths, payg_paths, out.discount_earned.sum(axis=-1), out.unused.sum(axis=-1),
        total, out.overage.sum(axis=-1), (d_base - d_opt).sum(axis=-1),
        (np.minimum(c_eff, d_base) - np.minimum(c_eff, d_opt)).sum(axis=-1),
        today_paths - total, payg_paths - total], axis=1)
    means, ses = usage.means(figures)
    today, payg, earned, unused, expected, overage, gross, stranded = (
        float(v) for v in means[:8])
    se = dict(zip(("today_list", "payg", "discount", "unused", "expected_cost"),
                  (float(v) for v in ses[[0, 1, 2, 3, 4]]), strict=True))
    se["levers"] = float(usage.mean(today_paths - payg_paths).se)
    noise = NOISE * max(float(d_base.sum(axis=-1).mean()), 1.0)
    if gross <= noise or stranded <= noise:
        # No saving to strand (or the optimized path costs more): nothing is stranded.
        share = 0.0
        stranded = max(stranded, 0.0) if gross > noise else 0.0
    else:
        share = stranded / gross
    bridge = Bridge(today_list=today, levers=today - payg, payg=payg, discount=earned,
                    unused=unused, expected_cost=expected, standard_errors=se)
    short = out.short.any(axis=-1)
    shortfall = proportion(short)
    reasons = risk_reasons(contract, c, d, share, shortfall.value, appetite)
    return CommitmentResult(
        kind=kind,
        label=COMMITMENT_LABELS[kind] if label is None else label,
        per_year=c,
        discount=d,
        expected_cost=bridge.expected_cost,
        cost_p10=p10.value,
        cost_p50=p50.value,
        cost_p90=p90.value,
        shortfall_probability=shortfall.value,
        shortfall_by_year=out.short.mean(axis=0) if out.short.ndim > 1 else out.short * 1.0,
        expected_unused=bridge.unused,
        expected_overage=overage,
        bridge=bridge,
        gross_savings=gross,
        stranded_savings=stranded,
        stranded_share=share,
        colour=worst(r.level for r in reasons),
        reasons=reasons,
        expected_cost_se=se["expected_cost"],
        saving_vs_today_se=float(ses[8]),
        saving_vs_payg_se=float(ses[9]),
        shortfall_probability_se=shortfall.se,
        cost_p10_se=p10.se,
        cost_p90_se=p90.se,
        extra_cost_paths=total - payg_paths,
    )


def compare(a: CommitmentResult, b: CommitmentResult, usage: YearlyUsage) -> Estimate:
    """``E[cost of a - cost of b]`` on the same paths, with its paired standard error: the
    two are within noise of each other when it is within two standard errors of zero
    (:meth:`forecast.precision.Estimate.within_noise`)."""
    if a.extra_cost_paths is None or b.extra_cost_paths is None \
            or a.extra_cost_paths.shape != b.extra_cost_paths.shape:
        return Estimate(a.expected_cost - b.expected_cost, float("nan"))
    return usage.mean(a.extra_cost_paths - b.extra_cost_paths)

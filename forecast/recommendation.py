"""The recommended commitment: a sweep over candidates plus the exact optima.

On the optimized path (DESIGN.md, "The recommended commitment"):

- risk-neutral: the commitment with the lowest expected cost;
- risk-bounded: the largest commitment whose shortfall probability (some contract year's
  discounted usage below the commitment) stays within the buyer's appetite;
- recommended: the lowest expected cost among commitments within the appetite (the
  risk-neutral one when it is within it, else the best one below the risk-bounded cap);
- a per-year ramp, each year sized on its own usage, for terms where usage grows.

Within one discount tier the expected cost is convex in the commitment. With overage at
list its minimum sits where the pooled yearly list usage has exceedance ``1 - d``: the
newsvendor critical fractile ``C* = (1 - d) F_L^-1(d)``. With overage at the discounted rate
it never falls inside a tier (``max(C, D) >= D``), so the optimum is a tier's lower edge or
zero. The sweep over the grid draws the cost curve; the exact candidates make the
recommendation independent of the grid's spacing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.contract import (
    SortedUsage,
    Sweep,
    evaluate,
    sweep_flat,
    tier_bounds,
)
from forecast.scenario import Contract
from forecast.types import FlagLevel, FloatArray, Overage

DEFAULT_GRID_POINTS = 200


@dataclass(frozen=True)
class CommitmentResult:
    """One commitment (flat or ramp) evaluated on every path.

    Money is summed over the contract term; ``per_year`` and ``discount`` have one entry per
    contract year.
    """

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
    expected_list: float
    expected_current_list: float
    gross_savings: float
    stranded_savings: float
    stranded_share: float
    flag: FlagLevel

    @property
    def is_ramp(self) -> bool:
        return bool(np.ptp(self.per_year) > 0)

    @property
    def annual_commit(self) -> float:
        """The flat annual amount (first year's amount for a ramp)."""
        return float(self.per_year[0])

    @property
    def saving_vs_list(self) -> float:
        """Expected list price of the optimized usage minus the expected cost."""
        return self.expected_list - self.expected_cost

    @property
    def saving_vs_current(self) -> float:
        """Expected list price of today's path (no commitment) minus the expected cost."""
        return self.expected_current_list - self.expected_cost

    def to_dict(self) -> dict:
        return {
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
            "saving_vs_list": self.saving_vs_list,
            "saving_vs_current": self.saving_vs_current,
            "gross_savings": self.gross_savings,
            "stranded_savings": self.stranded_savings,
            "stranded_share": self.stranded_share,
            "flag": str(self.flag),
        }


#: Relative size below which a saving is rounding noise (float32 cells), not a saving.
NOISE = 1e-6
#: Slack on threshold comparisons, so that a commitment sized exactly on a line is on it.
_SLACK = 1e-9


def stranded_level(share: float, contract: Contract) -> FlagLevel:
    """Red above the red threshold, amber above the amber one, else green."""
    t = contract.stranded_thresholds
    if share > t.red + _SLACK:
        return FlagLevel.RED
    if share > t.amber + _SLACK:
        return FlagLevel.AMBER
    return FlagLevel.GREEN


def evaluate_commitment(contract: Contract, optimized: FloatArray, baseline: FloatArray,
                        commitment: float | list[float] | FloatArray, label: str
                        ) -> CommitmentResult:
    """Evaluate one commitment path by path.

    Parameters
    ----------
    optimized, baseline : ndarray of shape (n_paths, years)
        Yearly list usage on the optimized and current paths (same draws).
    """
    out = evaluate(contract, optimized, commitment)
    c, d = out.commitment, out.discount
    total = out.cost.sum(axis=-1)
    p10, p50, p90 = np.quantile(total, [0.1, 0.5, 0.9])
    if contract.rollover == 0.0:
        # L < C / (1 - d), the same test the sweep makes on sorted usage.
        short = optimized < c / (1.0 - d)  # (P, Y)
    else:
        short = out.unused > 0.0  # commitment forfeited in that year
    d_base, d_opt = (1.0 - d) * baseline, (1.0 - d) * optimized
    gross = float((d_base - d_opt).sum(axis=-1).mean())
    stranded = float((np.minimum(c, d_base) - np.minimum(c, d_opt)).sum(axis=-1).mean())
    noise = NOISE * max(float(d_base.sum(axis=-1).mean()), 1.0)
    if gross <= noise or stranded <= noise:
        # No saving to strand (or the optimized path costs more): nothing is stranded.
        share = 0.0
        stranded = max(stranded, 0.0) if gross > noise else 0.0
    else:
        share = stranded / gross
    return CommitmentResult(
        label=label,
        per_year=c,
        discount=d,
        expected_cost=float(total.mean()),
        cost_p10=float(p10),
        cost_p50=float(p50),
        cost_p90=float(p90),
        shortfall_probability=float(short.any(axis=-1).mean()),
        shortfall_by_year=short.mean(axis=0),
        expected_unused=float(out.unused.sum(axis=-1).mean()),
        expected_overage=float(out.overage.sum(axis=-1).mean()),
        expected_list=float(optimized.sum(axis=-1).mean()),
        expected_current_list=float(baseline.sum(axis=-1).mean()),
        gross_savings=gross,
        stranded_savings=stranded,
        stranded_share=share,
        flag=stranded_level(share, contract),
    )


# --------------------------------------------------------------------------- exact optima
def _largest_commit_covering(contract: Contract, k_max: float) -> float:
    """Largest commitment C whose covered list usage ``C / (1 - d(C))`` is at most k_max.

    Within a tier the answer is ``(1 - d) k_max``; when that reaches the next tier's edge
    (where the bigger discount would cover more usage than k_max), it is a dollar under it.
    """
    best = 0.0
    for lo, hi, d in tier_bounds(contract):
        c = (1.0 - d) * k_max
        if c >= lo:
            best = max(best, min(c, hi - 1.0))
    return best


def risk_bounded_commit(contract: Contract, usage: SortedUsage, appetite: float) -> float:
    """Largest commitment with ``P(some year's discounted usage < C) <= appetite``.

    The chance of a shortfall is ``P(min_y L_y < K)`` with ``K = C / (1 - d)``: it rises
    with K, so the cap is an order statistic of the yearly minimum.
    """
    j = int(np.floor(appetite * usage.n_paths + 1e-9))
    k_max = float(usage.min_sorted[min(j, usage.n_paths - 1)])
    return _largest_commit_covering(contract, k_max)


def exact_candidates(contract: Contract, usage: SortedUsage, cap: float = np.inf) -> FloatArray:
    """Commitments that can minimise expected cost: tier edges and each tier's fractile."""
    out = [0.0]
    n = usage.pooled.size
    for lo, hi, d in tier_bounds(contract):
        if lo <= cap:
            out.append(lo)
        if contract.overage == Overage.LIST:
            j = int(np.ceil(d * n)) - 1
            for jj in (j - 1, j, j + 1):
                k = float(usage.pooled[min(max(jj, 0), n - 1)])
                c = (1.0 - d) * k
                if lo <= c < hi and c <= cap:
                    out.append(c)
    if np.isfinite(cap):
        out.append(cap)
    return np.unique(np.array(out))


def _argmin_cost(contract: Contract, opt: SortedUsage, base: SortedUsage,
                 candidates: FloatArray) -> float:
    sweep = sweep_flat(contract, opt, base, candidates)
    # Ties (flat stretches of the curve) go to the smaller commitment: less to strand.
    best = np.flatnonzero(sweep.expected_cost <= sweep.expected_cost.min() * (1 + 1e-12))
    return float(candidates[best[0]])


def grid(usage_high: float, n_points: int, contract: Contract,
         extra: FloatArray | None = None) -> FloatArray:
    """Candidate commitments: ``n_points`` from 0 to ``usage_high``, plus tier edges."""
    points = np.linspace(0.0, max(usage_high, 1.0), n_points)
    edges = np.array([t.min_annual_commit for t in contract.discount_tiers])
    edges = edges[edges <= usage_high]
    # A dollar under each edge too, so the cost curve steps at the edge instead of sloping.
    parts = [points, edges, np.maximum(edges - 1.0, 0.0)]
    if extra is not None:
        parts.append(np.asarray(extra, dtype=float))
    return np.unique(np.concatenate(parts))


@dataclass(frozen=True)
class Recommendation:
    """The commitments the planner recommends, and the sweep behind them."""

    risk_neutral: CommitmentResult
    risk_bounded: CommitmentResult
    recommended: CommitmentResult
    ramp: CommitmentResult
    ramp_advised: bool
    safe_commit: CommitmentResult
    baseline_sized: CommitmentResult
    sweep: Sweep
    grid_optimum: float
    appetite: float


def _one_year(contract: Contract) -> Contract:
    return contract.model_copy(update={"years": 1, "commitments": None})


def _recommend_flat(contract: Contract, opt: SortedUsage, base: SortedUsage,
                    appetite: float) -> tuple[float, float, float]:
    """(risk-neutral, risk-bounded, recommended) flat commitments, no rollover."""
    rn = _argmin_cost(contract, opt, base, exact_candidates(contract, opt))
    rb = risk_bounded_commit(contract, opt, appetite)
    rec = rn if rn <= rb else _argmin_cost(contract, opt, base,
                                           exact_candidates(contract, opt, cap=rb))
    return rn, rb, rec


def sweep_direct(contract: Contract, optimized: FloatArray, baseline: FloatArray,
                 commitments: FloatArray) -> Sweep:
    """The sweep by path-by-path evaluation: for rollover, which couples the years."""
    rows = [evaluate_commitment(contract, optimized, baseline, float(c), "")
            for c in commitments]

    def col(name: str) -> FloatArray:
        return np.array([getattr(r, name) for r in rows])

    return Sweep(np.asarray(commitments, dtype=float), np.array([r.discount[0] for r in rows]),
                 col("expected_cost"), col("shortfall_probability"), col("expected_unused"),
                 col("expected_overage"), col("gross_savings"), col("stranded_savings"))


def _recommend_rollover(contract: Contract, optimized: FloatArray, baseline: FloatArray,
                        opt: SortedUsage, high: float, appetite: float
                        ) -> tuple[float, float, float]:
    """(risk-neutral, risk-bounded, recommended) with rollover, by direct evaluation.

    Rollover breaks the closed forms, so the candidates (grid, tier edges, the no-rollover
    optima) are evaluated path by path, the best is refined on a fine local grid, and the
    risk-bounded cap is bisected (a bigger commitment never forfeits less).
    """
    def shortfall(c: float) -> float:
        return evaluate_commitment(contract, optimized, baseline, c, "").shortfall_probability

    lo, hi = 0.0, max(high, 1.0)
    if shortfall(hi) <= appetite:
        rb = hi
    else:
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if shortfall(mid) <= appetite else (lo, mid)
        rb = lo

    def best(cap: float) -> float:
        coarse = np.unique(np.concatenate([
            grid(min(high, cap), 60, contract), exact_candidates(contract, opt, cap=cap)]))
        coarse = coarse[coarse <= cap]
        costs = sweep_direct(contract, optimized, baseline, coarse).expected_cost
        i = int(np.argmin(costs))
        fine = np.linspace(coarse[max(i - 1, 0)], coarse[min(i + 1, coarse.size - 1)], 41)
        fine = np.unique(np.concatenate([fine, coarse[i:i + 1]]))
        fine_costs = sweep_direct(contract, optimized, baseline, fine).expected_cost
        return float(fine[int(np.argmin(fine_costs))])

    rn = best(np.inf)
    rec = rn if rn <= rb else best(rb)
    return rn, rb, rec


def safe_commit_amount(contract: Contract, opt: SortedUsage, base: SortedUsage) -> float:
    """Largest flat commitment whose stranded share stays at or under the amber line.

    The stranded share ``E[min(K, L_base) - min(K, L_opt)] / E[L_base - L_opt]`` rises with
    the covered usage K; bisect on K, then find the largest commitment covering at most it.
    """
    gross = base.mean.sum() - opt.mean.sum()
    if gross <= 0:
        return 0.0
    amber = contract.stranded_thresholds.amber

    def share(k: float) -> float:
        gb, go = base.excess(np.array([k])).sum(), opt.excess(np.array([k])).sum()
        return ((base.mean.sum() - gb) - (opt.mean.sum() - go)) / gross

    lo, hi = 0.0, float(base.sorted[:, -1].max())
    if share(hi) <= amber:
        return _largest_commit_covering(contract, hi)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if share(mid) <= amber else (lo, mid)
    return _largest_commit_covering(contract, lo)


def recommend(contract: Contract, optimized: FloatArray, baseline: FloatArray,
              n_grid: int = DEFAULT_GRID_POINTS, appetite: float | None = None
              ) -> Recommendation:
    """Recommend a commitment from yearly list usage on both paths.

    Parameters
    ----------
    optimized, baseline : ndarray of shape (n_paths, years)
        Yearly list usage on the optimized and current paths.
    n_grid : int
        Points of the sweep grid (the cost curve).
    appetite : float, optional
        Maximum shortfall probability (default: the contract's risk appetite).
    """
    appetite = contract.risk_appetite.max_shortfall_probability if appetite is None \
        else appetite
    opt, base = SortedUsage(optimized), SortedUsage(baseline)
    high = 1.1 * float(np.quantile(baseline, 0.99, axis=0).max())
    if contract.rollover == 0.0:
        rn, rb, rec = _recommend_flat(contract, opt, base, appetite)

        def run_sweep(points: FloatArray) -> Sweep:
            return sweep_flat(contract, opt, base, points)
    else:
        rn, rb, rec = _recommend_rollover(contract, optimized, baseline, opt, high, appetite)

        def run_sweep(points: FloatArray) -> Sweep:
            return sweep_direct(contract, optimized, baseline, points)
    candidates = grid(high, n_grid, contract, extra=np.array([rn, rb, rec]))
    sweep = run_sweep(candidates)
    grid_points = grid(high, n_grid, contract)
    grid_sweep = sweep if contract.rollover else run_sweep(grid_points)
    grid_optimum = float(grid_sweep.commitment[np.argmin(grid_sweep.expected_cost)])

    # Per-year ramp: each year sized on its own usage with the same rules, at an appetite of
    # appetite / years per year, so that the chance that *some* year falls short stays
    # within the buyer's appetite (union bound).
    one = _one_year(contract)
    ramp = np.array([
        _recommend_flat(one, SortedUsage(optimized[:, [y]]), SortedUsage(baseline[:, [y]]),
                        appetite / contract.years)[2]
        for y in range(contract.years)
    ])
    # What a buyer signs who sizes on today's spend: each year, what the current,
    # unoptimized path is expected to use (at the discount that amount earns).
    base_sized = np.array([_largest_commit_covering(contract, float(m)) for m in base.mean])
    safe = safe_commit_amount(contract, opt, base)

    def ev(c: float | FloatArray, label: str) -> CommitmentResult:
        return evaluate_commitment(contract, optimized, baseline, c, label)

    flat_rec = ev(rec, "recommended")
    ramp_result = ev(ramp, "recommended ramp")
    growth = ramp[-1] > ramp[0] * 1.05 if contract.years > 1 else False
    ramp_advised = bool(growth and ramp_result.expected_cost < flat_rec.expected_cost
                        and ramp_result.shortfall_probability <= appetite)
    return Recommendation(
        risk_neutral=ev(rn, "risk-neutral"),
        risk_bounded=ev(rb, "risk-bounded"),
        recommended=flat_rec,
        ramp=ramp_result,
        ramp_advised=ramp_advised,
        safe_commit=ev(safe, "strands under the amber line"),
        baseline_sized=ev(base_sized, "sized on today's spend"),
        sweep=sweep,
        grid_optimum=grid_optimum,
        appetite=appetite,
    )

"""Searching for the commitment to sign: sweeps over candidates, the exact optima, the ramp.

On the optimized path (docs/model.md, "The recommended commitment"):

- risk-neutral: the flat commitment with the lowest expected cost;
- risk-bounded: the largest flat commitment whose shortfall probability (some contract year
  below the commitment) stays within the buyer's appetite;
- recommended: the lowest expected cost among flat commitments within the appetite;
- ramp: one commitment per contract year, chosen jointly and tier-aware, with the lowest
  expected cost such that the probability that *any* year falls short stays within the
  appetite;
- for comparison: what a buyer signs who sizes on the unoptimized forecast (each year's
  expected usage on today's path), on today's run rate times twelve, and the largest flat
  commitment whose stranded share stays under the amber line.

Within one discount tier the expected cost is convex in the commitment. With overage at
list its minimum sits where the pooled yearly list usage has exceedance ``1 - d``: the
newsvendor critical fractile ``C* = (1 - d) F_L^-1(d)`` (with a shortfall credit s, the
exceedance is ``(1 - d)(1 - s) / (1 - s (1 - d))``). With overage at the discounted rate it
never falls inside a tier (``max(C, D) >= D``), so the optimum is a tier's lower edge or zero.
The sweep over the grid draws the cost curve; the exact candidates make the recommendation
independent of the grid's spacing. Evaluating one commitment is :mod:`forecast.contract`.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from forecast.commitment import CommitmentResult, bounds_met, evaluate_commitment
from forecast.contract import (
    FlatSummary,
    YearlyUsage,
    discount_for,
    evaluate_flat,
    largest_commit_covering,
    overage_rate,
    tier_bounds,
)
from forecast.scenario import Contract
from forecast.types import CommitmentKind, FloatArray, Overage, Risk

__all__ = ["CommitmentResult", "Recommendation", "SortedUsage", "Sweep", "evaluate_commitment",
           "recommend", "risk_bounded_commit", "sweep_flat"]

DEFAULT_GRID_POINTS = 200
#: Cost differences below this share of the cost are ties (float rounding), broken toward
#: the smaller commitment: less to strand.
TIE = 1e-9
#: Direct evaluation (rollover, price protection): points of the coarse grid, of the fine
#: grid around its best, and bisection steps for the risk-bounded cap (a 1/32 bracket
#: halved 20 times: a millionth of the range).
COARSE_POINTS, FINE_POINTS, BISECTIONS = 40, 25, 20
#: The best-first search of the ramp stops after this many combinations.
RAMP_SEARCH_LIMIT = 20_000


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


#: Flat commitments evaluated at once: the sweep behind the cost curve.
Sweep = FlatSummary


def _credit(contract: Contract) -> float:
    return contract.shortfall_credit


def sweep_flat(contract: Contract, optimized: SortedUsage, baseline: SortedUsage,
               commitments: FloatArray, discount: FloatArray | None = None) -> Sweep:
    """Evaluate many flat commitments at once from sorted usage and prefix sums.

    Exact with no rollover and no price protection: with ``K = C / (1 - d)``,
    ``G_y(K) = E[max(0, L_y - K)]`` and s the shortfall credit, unused before the credit is
    ``U = (1 - d) sum_y (K - E[L_y] + G_y(K))``; expected cost = ``Y C + rate sum_y G_y(K)
    - s U``, and stranded savings ``E[min(C, D_base) - min(C, D_opt)] = (1 - d) sum_y
    (E[L_base] - G_base - E[L_opt] + G_opt)``. ``discount`` (one per commitment) replaces
    the tier each earns (the break-even search).
    """
    c = np.asarray(commitments, dtype=float)
    d = discount_for(contract, c) if discount is None else np.broadcast_to(
        np.asarray(discount, dtype=float), c.shape)
    rate = overage_rate(contract, d)
    k = c / (1.0 - d)
    g_opt = optimized.excess(k).sum(axis=0)
    g_base = baseline.excess(k).sum(axis=0)
    years = optimized.years
    s = _credit(contract)
    unused_before_credit = (1.0 - d) * (years * k - optimized.mean.sum() + g_opt)
    expected_cost = years * c + rate * g_opt - s * unused_before_credit
    gross = (1.0 - d) * (baseline.mean.sum() - optimized.mean.sum())
    stranded = (1.0 - d) * ((baseline.mean.sum() - g_base) - (optimized.mean.sum() - g_opt))
    return Sweep(c, d, expected_cost, optimized.any_below(k), (1 - s) * unused_before_credit,
                 rate * g_opt, np.broadcast_to(gross, c.shape).copy(), stranded)


def sweep_direct(contract: Contract, usage: YearlyUsage, commitments: FloatArray) -> Sweep:
    """The sweep by path-by-path evaluation: for rollover (which couples the years) and
    price protection (which scales the commitment per path)."""
    return evaluate_flat(contract, usage, commitments)


def closed_form(contract: Contract, usage: YearlyUsage) -> bool:
    """True when the sorted-usage sweep is exact for these terms and this usage (no
    rollover, no price protection that moves)."""
    protected = contract.price_protection and float(np.ptp(usage.price_level)) > 0
    return contract.rollover == 0.0 and not protected


# --------------------------------------------------------------------------- exact optima
def fractile_exceedance(contract: Contract, d: float) -> float:
    """Exceedance ``P(L > K*)`` at a tier's interior optimum (1 or more: none inside).

    Derivative of the expected cost in K within a tier: ``(1 - d)(1 - s) Y - (rate -
    s (1 - d)) sum_y P(L_y > K)``; zero where the pooled exceedance is
    ``(1 - d)(1 - s) / (rate - s (1 - d))`` (``1 - d`` with no credit and overage at list).
    """
    s = _credit(contract)
    rate = 1.0 - d if contract.overage == Overage.DISCOUNTED else 1.0
    denominator = rate - s * (1.0 - d)
    if denominator <= 0:
        return 1.0
    return (1.0 - d) * (1.0 - s) / denominator


def risk_bounded_commit(contract: Contract, usage: SortedUsage, appetite: float) -> float:
    """Largest flat commitment with ``P(some year's discounted usage < C) <= appetite``.

    The chance of a shortfall is ``P(min_y L_y < K)`` with ``K = C / (1 - d)``: it rises
    with K, so the cap is an order statistic of the yearly minimum.
    """
    j = int(np.floor(appetite * usage.n_paths + 1e-9))
    k_max = float(usage.min_sorted[min(j, usage.n_paths - 1)])
    return largest_commit_covering(contract, k_max)


def exact_candidates(contract: Contract, usage: SortedUsage, cap: float = np.inf) -> FloatArray:
    """Commitments that can minimise expected cost: tier edges and each tier's fractile."""
    out = [0.0]
    pooled = usage.pooled
    n = pooled.size
    for lo, hi, d in tier_bounds(contract):
        if lo <= cap:
            out.append(lo)
        q = fractile_exceedance(contract, d)
        if q < 1.0:
            j = int(np.ceil((1.0 - q) * n)) - 1
            for jj in (j - 1, j, j + 1):
                k = float(pooled[min(max(jj, 0), n - 1)])
                c = (1.0 - d) * k
                if lo <= c < hi and c <= cap:
                    out.append(c)
    if np.isfinite(cap):
        out.append(cap)
    return np.unique(np.array(out))


def _argmin(values: FloatArray, costs: FloatArray) -> float:
    """The smallest value whose cost ties the minimum (ties go to the smaller commitment)."""
    best = float(costs.min())
    within = np.flatnonzero(costs <= best + TIE * max(abs(best), 1.0) + 0.005)
    return float(values[within[np.argmin(values[within])]])


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


def _recommend_flat(contract: Contract, opt: SortedUsage, base: SortedUsage,
                    appetite: float) -> tuple[float, float, float]:
    """(risk-neutral, risk-bounded, recommended) flat commitments, closed form."""

    def cheapest(candidates: FloatArray) -> float:
        return _argmin(candidates, sweep_flat(contract, opt, base, candidates).expected_cost)

    rn = cheapest(exact_candidates(contract, opt))
    rb = risk_bounded_commit(contract, opt, appetite)
    rec = rn if rn <= rb else cheapest(exact_candidates(contract, opt, cap=rb))
    return rn, rb, rec


def risk_bounded_direct(contract: Contract, usage: YearlyUsage, appetite: float,
                        high: float) -> float:
    """Largest flat commitment within the appetite by direct evaluation (rollover, price
    protection): a batched grid up to ``high`` brackets it, bisection refines it (a bigger
    commitment never falls short less often)."""
    def shortfall(c: FloatArray) -> FloatArray:
        return evaluate_flat(contract, usage, c, full=False).shortfall_probability

    bracket = np.linspace(0.0, max(high, 1.0), 33)
    ok = np.flatnonzero(shortfall(bracket) <= appetite)
    i = int(ok[-1]) if ok.size else 0
    if i + 1 >= bracket.size:
        return float(bracket[-1])
    lo, hi = float(bracket[i]), float(bracket[i + 1])
    for _ in range(BISECTIONS):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if shortfall(np.array([mid]))[0] <= appetite else (lo, mid)
    return lo


def _recommend_direct(contract: Contract, usage: YearlyUsage, opt: SortedUsage, high: float,
                      appetite: float) -> tuple[float, float, float]:
    """(risk-neutral, risk-bounded, recommended) by direct evaluation (rollover, price
    protection): candidates (grid, tier edges, the closed-form optima) evaluated path by
    path, the best refined on a fine local grid, the risk-bounded cap bisected (a bigger
    commitment never falls short less often)."""
    rb = risk_bounded_direct(contract, usage, appetite, high)

    def best(cap: float) -> float:
        coarse = np.unique(np.concatenate([
            grid(min(high, cap), COARSE_POINTS, contract),
            exact_candidates(contract, opt, cap=cap)]))
        coarse = coarse[coarse <= cap]
        costs = evaluate_flat(contract, usage, coarse, full=False).expected_cost
        i = int(np.argmin(costs))
        fine = np.linspace(coarse[max(i - 1, 0)], coarse[min(i + 1, coarse.size - 1)],
                           FINE_POINTS)
        fine = np.unique(np.concatenate([fine, coarse]))
        fine = fine[fine <= cap]
        return _argmin(fine, evaluate_flat(contract, usage, fine, full=False).expected_cost)

    rn = best(np.inf)
    rec = rn if rn <= rb else best(rb)
    return rn, rb, rec


def dollar_bounds(contract: Contract) -> bool:
    """True when the appetite bounds a dollar figure (extra cost at P90, expected unused)."""
    ra = contract.risk_appetite
    return ra.max_extra_cost_p90 is not None or ra.max_expected_unused is not None


def bounded_best(contract: Contract, usage: YearlyUsage, opt: SortedUsage, appetite: float,
                 cap: float, extra: FloatArray) -> float:
    """The flat commitment with the lowest expected cost within every bound of the appetite
    (shortfall probability, extra cost at P90, expected unused; docs/model.md, "Risk in
    dollars"), by direct evaluation: the exact candidates up to ``cap`` (the risk-bounded
    commitment), a grid, ``extra`` amounts; then the edge of the feasible set next to the
    best is bisected within its tier (a bound that binds puts the optimum on it). $0 is
    always feasible (it is pay as you go)."""
    points = np.unique(np.concatenate([
        grid(cap, COARSE_POINTS * 2, contract), exact_candidates(contract, opt, cap=cap),
        np.asarray(extra, dtype=float)]))
    points = points[(points <= cap) & ((points == 0) | (discount_for(contract, points) > 0))]

    def feasible(s: Sweep) -> FloatArray:
        return np.array([bounds_met(contract, float(s.shortfall_probability[i]),
                                    float(s.extra_cost_p90[i]), float(s.expected_unused[i]),
                                    appetite) for i in range(s.commitment.size)])

    s = evaluate_flat(contract, usage, points)
    ok = feasible(s)
    ok[points == 0] = True
    best_i = int(np.flatnonzero(ok)[np.argmin(s.expected_cost[ok])])
    best = float(points[best_i])
    best_cost = float(s.expected_cost[best_i])
    above = np.flatnonzero((points > best) & ~ok)
    if above.size:
        lo, hi = best, float(points[above[0]])
        if discount_for(contract, lo) == discount_for(contract, hi) or lo == 0:
            for _ in range(BISECTIONS):
                mid = 0.5 * (lo + hi)
                one = evaluate_flat(contract, usage, np.array([mid]))
                if feasible(one)[0] and discount_for(contract, mid) > 0:
                    lo = mid
                else:
                    hi = mid
            if lo > best:
                cost = float(evaluate_flat(contract, usage, np.array([lo]),
                                           full=False).expected_cost[0])
                if cost < best_cost - 0.005:
                    best = lo
    return best


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
        return largest_commit_covering(contract, hi)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if share(mid) <= amber else (lo, mid)
    return largest_commit_covering(contract, lo)


# --------------------------------------------------------------------------- the ramp
class _Year:
    """One contract year's usage for the ramp search: its cost as a function of the
    commitment, and which paths fall short."""

    def __init__(self, contract: Contract, usage: FloatArray) -> None:
        self.contract = contract
        self.usage = usage  # (P,)
        self.sorted = SortedUsage(usage[:, None])
        self.one = contract.model_copy(update={"years": 1, "commitments": None})

    def cost(self, c: FloatArray) -> FloatArray:
        """Expected cost of the year at each commitment (closed form, as :func:`sweep_flat`),
        rounded to the cent so that float noise does not break ties."""
        return np.round(sweep_flat(self.one, self.sorted, self.sorted, c).expected_cost, 2)

    def covered(self, c: FloatArray) -> FloatArray:
        c = np.asarray(c, dtype=float)
        return c / (1.0 - discount_for(self.contract, c))

    def candidates(self, appetite: float) -> FloatArray:
        """Tier edges, each tier's fractile and the commitments that cover each of a few
        quantiles up to the appetite (so the search can split the appetite unevenly)."""
        exact = exact_candidates(self.one, self.sorted)
        n = self.usage.size
        srt = self.sorted.sorted[0]
        levels = np.unique(np.floor(np.linspace(0.0, appetite, 9) * n + 1e-9).astype(int))
        caps = [largest_commit_covering(self.contract, float(srt[min(j, n - 1)]))
                for j in levels]
        return self.options(np.concatenate([exact, caps]))

    def options(self, values: FloatArray) -> FloatArray:
        """The values that are options: 0, or a commitment that earns a discount (one that
        earns none is pay as you go plus risk)."""
        values = np.unique(values)
        return values[(values == 0) | (discount_for(self.contract, values) > 0)]


def _ramp_cost(years: list[_Year], c: FloatArray) -> float:
    return float(sum(y.cost(np.array([c[i]]))[0] for i, y in enumerate(years)))


def _short_masks(years: list[_Year], c: FloatArray) -> FloatArray:
    """(years, P) booleans: the year falls short at its commitment."""
    return np.stack([y.usage < y.covered(np.array([c[i]]))[0] for i, y in enumerate(years)])


def _polish(years: list[_Year], c: FloatArray, allowed: int) -> FloatArray:
    """Coordinate descent: each year in turn moves to its cheapest commitment that keeps
    the joint shortfall (paths where any year falls short) within ``allowed`` paths."""
    c = c.copy()
    short = _short_masks(years, c)
    for _ in range(20):
        changed = False
        for i, year in enumerate(years):
            others = np.delete(short, i, axis=0).any(axis=0)
            room = allowed - int(others.sum())
            free = np.sort(year.usage[~others])
            k_cap = float(free[room]) if 0 <= room < free.size else (
                np.inf if room >= free.size else 0.0)
            cap = largest_commit_covering(year.contract, k_cap) if np.isfinite(k_cap) \
                else np.inf
            options = year.options(exact_candidates(year.one, year.sorted, cap=cap))
            best = _argmin(options, year.cost(options))
            if abs(best - c[i]) > 0.5 and year.cost(np.array([best]))[0] < \
                    year.cost(np.array([c[i]]))[0] - 0.005:
                c[i] = best
                short[i] = year.usage < year.covered(np.array([best]))[0]
                changed = True
        if not changed:
            break
    return c


def joint_ramp(contract: Contract, optimized: FloatArray, appetite: float,
               start: FloatArray | None = None) -> FloatArray:
    """Per-year commitments with the lowest expected cost such that the probability that
    any year falls short stays within the appetite (tier-aware; docs/model.md, "The ramp").

    The cost is a sum over years, the constraint is joint. A best-first search walks the
    combinations of each year's candidates (tier edges, fractiles, commitments covering a
    few quantiles of its usage) in increasing cost until one meets the constraint; then
    coordinate descent moves each year to its cheapest commitment within the room the
    other years leave. ``start`` (e.g. the best flat commitment) is polished too and the
    cheaper result kept, so the ramp never costs more than a feasible start.

    Parameters
    ----------
    optimized : ndarray of shape (n_paths, years)
        Yearly list usage on the optimized path.

    Returns
    -------
    ndarray of shape (years,)
    """
    opt = np.atleast_2d(optimized)
    n_paths, n_years = opt.shape
    allowed = int(np.floor(appetite * n_paths + 1e-9))
    years = [_Year(contract, opt[:, y]) for y in range(n_years)]
    options = []
    for year in years:
        values = year.candidates(appetite)
        costs = year.cost(values)
        order = np.lexsort((values, costs))
        options.append((values[order], costs[order],
                        np.stack([year.usage < k for k in year.covered(values[order])])))
    start_index = (0,) * n_years
    heap = [(sum(o[1][0] for o in options), start_index)]
    seen = {start_index}
    found = np.zeros(n_years)
    for _ in range(RAMP_SEARCH_LIMIT):
        if not heap:
            break
        _cost, index = heapq.heappop(heap)
        short = np.zeros(n_paths, dtype=bool)
        for y, j in enumerate(index):
            short |= options[y][2][j]
        if int(short.sum()) <= allowed:
            found = np.array([options[y][0][j] for y, j in enumerate(index)])
            break
        for y in range(n_years):
            if index[y] + 1 < options[y][0].size:
                nxt = (*index[:y], index[y] + 1, *index[y + 1:])
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (sum(options[k][1][nxt[k]] for k in range(n_years)),
                                          nxt))
    results = [_polish(years, found, allowed)]
    if start is not None:
        results.append(_polish(years, np.asarray(start, dtype=float), allowed))
    costs = [_ramp_cost(years, r) for r in results]
    return results[int(np.argmin(costs))]


# --------------------------------------------------------------------------- recommend
@dataclass(frozen=True)
class Recommendation:
    """The commitments the planner recommends, the ones it compares, and the sweep."""

    risk_neutral: CommitmentResult
    risk_bounded: CommitmentResult
    recommended: CommitmentResult
    ramp: CommitmentResult
    ramp_advised: bool
    safe_commit: CommitmentResult
    unoptimized: CommitmentResult
    run_rate: CommitmentResult | None
    sweep: Sweep
    grid_optimum: float
    appetite: float
    #: The largest commitment neither amber nor red on stranding, within every bound of the
    #: appetite and earning a discount; None when there is none. (``safe_commit`` is the
    #: stranding line alone, which the flags quote.)
    safe_from_stranding: CommitmentResult | None = None

    @property
    def ramp_gain(self) -> float:
        """What the best ramp saves against the recommended flat commitment (>= 0)."""
        return max(0.0, self.recommended.expected_cost - self.ramp.expected_cost)


def recommend(contract: Contract, usage: YearlyUsage | FloatArray,
              baseline: FloatArray | None = None, n_grid: int = DEFAULT_GRID_POINTS,
              appetite: float | None = None, run_rate: float | None = None
              ) -> Recommendation:
    """Recommend a commitment from yearly list usage.

    Parameters
    ----------
    usage : YearlyUsage, or ndarray of shape (n_paths, years)
        Yearly list usage; an array is the optimized path, with ``baseline`` today's.
    baseline : ndarray of shape (n_paths, years), optional
        Today's path, when ``usage`` is an array.
    n_grid : int
        Points of the sweep grid (the cost curve).
    appetite : float, optional
        Maximum shortfall probability (default: the contract's risk appetite).
    run_rate : float, optional
        Today's run rate times twelve, to table as the commitment buyers often sign.
    """
    if not isinstance(usage, YearlyUsage):
        usage = YearlyUsage.of(usage, baseline)
    appetite = contract.risk_appetite.max_shortfall_probability if appetite is None \
        else appetite
    optimized, current = usage.optimized, usage.current
    opt, base = SortedUsage(optimized), SortedUsage(current)
    high = 1.1 * float(np.quantile(current, 0.99, axis=0).max())
    if closed_form(contract, usage):
        rn, rb, rec = _recommend_flat(contract, opt, base, appetite)

        def run_sweep(points: FloatArray) -> Sweep:
            return sweep_flat(contract, opt, base, points)
    else:
        rn, rb, rec = _recommend_direct(contract, usage, opt, high, appetite)

        def run_sweep(points: FloatArray) -> Sweep:
            return sweep_direct(contract, usage, points)
    bounded = dollar_bounds(contract)
    if bounded:
        rec = bounded_best(contract, usage, opt, appetite, rb, np.array([rn, rb, rec]))
    candidates = grid(high, n_grid, contract, extra=np.array([rn, rb, rec]))
    sweep = run_sweep(candidates)
    grid_points = grid(high, n_grid, contract)
    grid_sweep = sweep if not closed_form(contract, usage) else run_sweep(grid_points)
    grid_optimum = float(grid_sweep.commitment[np.argmin(grid_sweep.expected_cost)])

    def ev(c: float | FloatArray, kind: CommitmentKind) -> CommitmentResult:
        return evaluate_commitment(contract, usage, c, kind, appetite=appetite)

    flat_rec = ev(rec, CommitmentKind.RECOMMENDED)
    if contract.years > 1:
        ramp = ev(joint_ramp(contract, optimized, appetite, start=np.full(contract.years, rec)),
                  CommitmentKind.RAMP)
        if ramp.expected_cost > flat_rec.expected_cost or \
                not ramp.within_bounds(contract, appetite):
            # Rollover or price protection can make the closed-form search's pick worse
            # than flat once evaluated path by path: then the flat one is the best ramp.
            ramp = ev(rec, CommitmentKind.RAMP)
    else:
        ramp = ev(rec, CommitmentKind.RAMP)
    ramp_advised = bool(ramp.is_ramp and ramp.expected_cost < flat_rec.expected_cost
                        * (1 - 1e-6) and ramp.within_bounds(contract, appetite))
    # What a buyer signs who sizes on the unoptimized forecast: each year, what today's path
    # is expected to use (at the discount that amount earns).
    unoptimized = np.array([largest_commit_covering(contract, float(m)) for m in base.mean])
    safe = safe_commit_amount(contract, opt, base)
    safe_result = ev(safe, CommitmentKind.SAFE_FROM_STRANDING)
    safe_ok = ev(min(safe, rb), CommitmentKind.SAFE_FROM_STRANDING) if rb < safe \
        else safe_result
    if bounded and not safe_ok.within_bounds(contract, appetite):
        safe_ok = ev(min(safe_ok.annual_commit, rec), CommitmentKind.SAFE_FROM_STRANDING)
    if safe_ok.total_commit <= 0 or not safe_ok.earns_discount \
            or any(r.risk == Risk.STRANDING for r in safe_ok.reasons) \
            or not safe_ok.within_bounds(contract, appetite):
        safe_ok = None
    return Recommendation(
        risk_neutral=ev(rn, CommitmentKind.RISK_NEUTRAL),
        risk_bounded=ev(rb, CommitmentKind.RISK_BOUNDED),
        recommended=flat_rec,
        ramp=ramp,
        ramp_advised=ramp_advised,
        safe_commit=safe_result,
        unoptimized=ev(unoptimized, CommitmentKind.UNOPTIMIZED_FORECAST),
        run_rate=None if run_rate is None else ev(run_rate, CommitmentKind.RUN_RATE),
        sweep=sweep,
        grid_optimum=grid_optimum,
        appetite=appetite,
        safe_from_stranding=safe_ok,
    )

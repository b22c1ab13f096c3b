"""When to sign: signing now against paying as you go for k months and signing then.

Every delay k is followed by the offer's full term, and all are compared over one common
window (the longest delay plus the term), months outside the contract at pay as you go, on
the same simulated paths (docs/model.md, "When to sign"). A commitment signed at month k is
chosen with what is known by then: on each path, from the usage and the lever progress
observed through month k, by least-squares Monte Carlo (LSM). Every candidate commitment's
cost over the term is regressed, across the paths, on the state observed at month k; each
path signs the candidate whose fitted (conditional) expected cost is lowest among those
whose fitted shortfall probability (and expected unused, when bounded) stays within the
appetite. So the comparison prices the discount forgone against the stranding avoided, not
a second draw of the same ignorance. Signing now (k = 0) signs the decision's commitment on
every path: nothing is observed yet.

An offer that lapses (``sign_by``) cannot be signed after it: waiting past it is priced as
pay as you go for the whole window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from forecast.contract import (
    _evaluate,
    as_commitment,
    discount_for,
    extra_cost_tail,
    largest_commit_covering,
    tier_bounds,
    yearly,
)
from forecast.scenario import Contract
from forecast.types import FloatArray

#: Delays evaluated by default (months of pay as you go before signing); the month by which
#: the planned moves have landed is added to them.
DEFAULT_DELAYS = (0, 3, 6, 9, 12)
#: Quantiles of each year's usage whose covering commitments are candidates (flat and ramp).
QUANTILES = np.linspace(0.0, 1.0, 21)
#: Points of the flat grid of candidates.
GRID_POINTS = 24
#: Candidates evaluated at once (bounds the memory: candidates x paths x years).
BATCH = 16
#: Waiting must be worth, beyond the usage shift, at least the larger of this ...
MATERIAL_DOLLARS = 1_000.0
#: ... and this share of signing now's expected cost over the window to be advised: waiting
#: has costs the paths do not see (a vendor's deadline, the team's time, list prices that
#: rise), so a sliver of a gain does not justify it.
MATERIAL_SHARE = 0.01


@dataclass(frozen=True)
class SigningRow:
    """Signing after ``sign_after_months`` months of pay as you go, over the common window.

    Attributes
    ----------
    path_costs : ndarray of shape (n_paths,)
        Cost over the window on each path (months outside the contract at list).
    short : ndarray of bool, shape (n_paths,)
        The commitment signed on the path falls short in some contract year.
    per_year : ndarray of shape (years,)
        The median over the paths of the commitment signed, per contract year.
    year_costs, year_optimized, year_current : ndarray of shape (n_paths, years)
        Per contract year: the cost under the commitment signed on the path, and the list
        usage on the optimized and today's paths.
    lapsed : bool
        The offer lapses before this month: priced as pay as you go.
    """

    sign_after_months: int
    expected_cost: float
    saving_vs_payg: float
    shortfall_probability: float
    path_costs: FloatArray
    short: FloatArray
    per_year: FloatArray
    year_costs: FloatArray
    year_optimized: FloatArray
    year_current: FloatArray
    lapsed: bool = False
    expected_unused: float = 0.0
    #: ndarray of shape (n_paths, years): the commitment signed on each path.
    signed: FloatArray | None = None

    def to_dict(self) -> dict:
        return {"sign_after_months": self.sign_after_months,
                "expected_cost": self.expected_cost, "saving_vs_payg": self.saving_vs_payg,
                "shortfall_probability": self.shortfall_probability}


@dataclass(frozen=True)
class WhenToSign:
    """Every delay evaluated on the same paths over one window.

    Attributes
    ----------
    payg_costs, today_costs : ndarray of shape (n_paths,)
        Pay as you go on the optimized path, and today's path at list, over the window.
    notes : list of str
        What could not be evaluated, and why (a delay past the longest horizon).
    """

    offer: str
    window_months: int
    rows: list[SigningRow]
    payg_costs: FloatArray
    today_costs: FloatArray
    notes: list[str] = field(default_factory=list)
    usage_shift: list[float] = field(default_factory=list)
    #: The simulation the rows were evaluated on (the plan's, or one over a longer horizon).
    simulation: object = field(default=None, repr=False, compare=False)

    def with_shift(self, shift: WhenToSign) -> WhenToSign:
        """The same rows, with the usage shift of each delay measured on ``shift`` (the
        same delays on the expected path: no uncertainty, so nothing to learn)."""
        from dataclasses import replace

        base = shift.rows[0].expected_cost
        return replace(self, usage_shift=[base - r.expected_cost for r in shift.rows])

    def information_value(self, row: SigningRow) -> float:
        """What waiting until ``row`` is worth beyond the usage shift: signing now's
        expected cost minus the row's, minus what the same wait gains on the expected path
        (where the window's edges move the months at list, and nothing is learnt)."""
        i = self.rows.index(row)
        shift = self.usage_shift[i] if self.usage_shift else 0.0
        return self.now.expected_cost - row.expected_cost - max(shift, 0.0)

    @property
    def now(self) -> SigningRow:
        return self.rows[0]

    @property
    def materiality(self) -> float:
        """What waiting must be worth beyond the usage shift to be advised (the larger of
        $1,000 and 1% of signing now's expected cost over the window)."""
        return max(MATERIAL_DOLLARS, MATERIAL_SHARE * abs(self.now.expected_cost))

    def best(self) -> SigningRow:
        """The delay whose information value (:meth:`information_value`) is largest, when
        it is material (the larger of $1,000 and 1% of signing now's expected cost) and
        the delay is also cheaper over the window; else signing now."""
        now = self.now
        top = max(self.rows[1:], key=lambda r: (round(self.information_value(r), 2),
                                                -r.sign_after_months), default=now)
        if top is not now and self.information_value(top) > self.materiality \
                and top.expected_cost < now.expected_cost:
            return top
        return now

    def extra_tail(self, row: SigningRow) -> tuple[float, float]:
        """(P90, CVaR90) of the row's cost minus pay as you go, path by path, over the
        window."""
        p90, cvar = extra_cost_tail(row.path_costs - self.payg_costs)
        return float(p90), float(cvar)


def delays(terms: Contract, landed_month: int | None,
           base: Sequence[int] = DEFAULT_DELAYS) -> list[int]:
    """The delays to evaluate: ``base`` and the month the planned moves have landed."""
    out = set(base)
    if landed_month is not None and landed_month > 0:
        out.add(int(landed_month))
    return sorted(out)


def candidates(terms: Contract, yearly_list: FloatArray, extra: FloatArray | None = None
               ) -> FloatArray:
    """Commitments a buyer could sign at month k: $0, the tier edges, a flat grid, and the
    flat and ramped commitments that cover each of a few quantiles of the years' usage;
    only those that earn a discount in every committed year, smallest first.

    Parameters
    ----------
    yearly_list : ndarray of shape (n_paths, years)
    extra : ndarray of shape (n, years), optional

    Returns
    -------
    ndarray of shape (n_candidates, years)
    """
    years = yearly_list.shape[1]
    rows: list[FloatArray] = [np.zeros(years)]
    edges = [lo for lo, _hi, _d in tier_bounds(terms) if lo > 0]
    top = float(np.max(yearly_list)) if yearly_list.size else 0.0
    flat = np.concatenate([np.array(edges), np.linspace(0.0, top, GRID_POINTS)])
    low = np.min(yearly_list, axis=1)
    for q in QUANTILES:
        k_flat = float(np.quantile(low, q, method="inverted_cdf"))
        flat = np.append(flat, largest_commit_covering(terms, k_flat))
        per_year = np.quantile(yearly_list, q, axis=0, method="inverted_cdf")
        rows.append(np.array([largest_commit_covering(terms, float(k)) for k in per_year]))
    rows += [np.full(years, c) for c in flat]
    if extra is not None:
        rows += list(np.atleast_2d(extra))
    out = np.unique(np.round(np.array(rows), 2), axis=0)
    earns = (out == 0) | (discount_for(terms, out) > 0)
    out = out[earns.all(axis=1)]
    return out[np.lexsort((out.sum(axis=1),))]


def _features(optimized: FloatArray, current: FloatArray, k: int) -> FloatArray:
    """The state observed through month k, as regressors: 1, three observations (the last
    month's usage, its ratio to today's levers, the mean of the last three months; logs,
    standardized), their squares and pairwise products. Shape (n_paths, 10)."""
    tiny = 1e-9
    last = np.maximum(optimized[:, k - 1], tiny)
    ratio = last / np.maximum(current[:, k - 1], tiny)
    recent = np.maximum(optimized[:, max(0, k - 3):k].mean(axis=1), tiny)
    x = np.log(np.stack([last, ratio, recent], axis=1))
    sd = x.std(axis=0)
    x = np.where(sd > 1e-12, (x - x.mean(axis=0)) / np.where(sd > 1e-12, sd, 1.0), 0.0)
    cols = [np.ones(x.shape[0]), *x.T, *(x ** 2).T,
            x[:, 0] * x[:, 1], x[:, 0] * x[:, 2], x[:, 1] * x[:, 2]]
    return np.stack(cols, axis=1)


def _projector(basis: FloatArray) -> FloatArray:
    """The least-squares solver of a basis, once for every target: its pseudo-inverse, of
    shape (n_basis, n_paths) (rank-deficient columns, such as a state that does not vary,
    get the minimum-norm fit)."""
    return np.linalg.pinv(basis)


def _fit(basis: FloatArray, targets: FloatArray, solver: FloatArray | None = None
         ) -> FloatArray:
    """Least-squares fit of each target column on the basis; the fitted values.

    basis : (n_paths, n_basis); targets : (n_paths, n) -> (n_paths, n)
    """
    solver = _projector(basis) if solver is None else solver
    return basis @ (solver @ targets)


def _evaluate_many(terms: Contract, yearly_list: FloatArray, cands: FloatArray,
                   price_level: FloatArray | None) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Cost over the term, shortfall and unused of every candidate on every path, each of
    shape (n_paths, n_candidates)."""
    n_paths = yearly_list.shape[0]
    cost = np.empty((n_paths, cands.shape[0]))
    short = np.empty((n_paths, cands.shape[0]), dtype=bool)
    unused = np.empty((n_paths, cands.shape[0]))
    for start in range(0, cands.shape[0], BATCH):
        c = cands[start:start + BATCH, None, :]  # (b, 1, Y)
        d = discount_for(terms, c)
        out = _evaluate(terms, yearly_list, c, d, price_level)
        cost[:, start:start + BATCH] = out.cost.sum(axis=-1).T
        short[:, start:start + BATCH] = out.short.any(axis=-1).T
        unused[:, start:start + BATCH] = out.unused.sum(axis=-1).T
    return cost, short, unused


def when_to_sign(terms: Contract, optimized: FloatArray, current: FloatArray,
                 sign_now: FloatArray | float, appetite: float, delays_months: Sequence[int],
                 lapse_after: int | None = None, price_level: FloatArray | None = None,
                 offer: str = "", notes: Sequence[str] = ()) -> WhenToSign:
    """Evaluate signing after each delay on the same paths, over one common window.

    Parameters
    ----------
    terms : Contract
        The offer's terms (term, tiers, overage, clauses, appetite bounds).
    optimized, current : ndarray of shape (n_paths, n_months)
        Monthly list usage on the optimized path and on today's path; ``n_months`` covers
        the window (the longest delay plus the term).
    sign_now : float or ndarray of shape (years,), or None
        The commitment signed now (0: pay as you go), on every path; None: the candidate
        with the lowest expected cost within the appetite, chosen on nothing observed.
    appetite : float
        The shortfall probability a commitment signed at month k may have, given what is
        observed then.
    delays_months : sequence of int
        Months of pay as you go before signing (0 = now).
    lapse_after : int, optional
        The last delay at which the offer can still be signed (``sign_by``); later ones are
        pay as you go over the window.
    price_level : ndarray of shape (n_paths, n_months), optional
        List-price level (for price protection).
    """
    ks = sorted(set(int(k) for k in delays_months) | {0})
    years = terms.years
    window = max(ks) + 12 * years
    if optimized.shape[1] < window:
        raise ValueError(f"when to sign: a window of {window} months needs usage for as "
                         f"many; got {optimized.shape[1]}")
    opt = np.asarray(optimized, dtype=float)[:, :window]
    cur = np.asarray(current, dtype=float)[:, :window]
    payg = opt.sum(axis=1)
    today = cur.sum(axis=1)
    now = None if sign_now is None else as_commitment(terms, sign_now)
    bound_unused = terms.risk_appetite.max_expected_unused
    rows = []
    for k in ks:
        term = slice(k, k + 12 * years)
        yl = yearly(opt[:, term], years)
        level = None if price_level is None else yearly(price_level[:, :window][:, term],
                                                        years) / 12.0
        yc = yearly(cur[:, term], years)
        outside = payg - yl.sum(axis=1)
        if k > 0 and lapse_after is not None and k > lapse_after:
            rows.append(SigningRow(k, float(payg.mean()), 0.0, 0.0, payg.copy(),
                                   np.zeros(payg.size, dtype=bool), np.zeros(years), yl, yl,
                                   yc, True))
            continue
        if k == 0 and now is not None:
            cands = now[None, :]
            choice = np.zeros(opt.shape[0], dtype=int)
            cost, short, unused = _evaluate_many(terms, yl, cands, level)
        else:
            cands = candidates(terms, yl, None if now is None else now[None, :])
            cost, short, unused = _evaluate_many(terms, yl, cands, level)
            # Nothing is observed before month 1: the fit on a constant is the mean.
            basis = _features(opt, cur, k) if k > 0 else np.ones((opt.shape[0], 1))
            solver = _projector(basis)
            fitted = np.round(_fit(basis, cost, solver), 2)
            ok = _fit(basis, short.astype(float), solver) <= appetite + 1e-9
            if bound_unused is not None:
                ok &= _fit(basis, unused, solver) <= bound_unused + 0.005
            ok[:, 0] = True  # $0 (pay as you go) is always allowed
            choice = np.argmin(np.where(ok, fitted, np.inf), axis=1)
        idx = np.arange(opt.shape[0])
        path_costs = outside + cost[idx, choice]
        path_short = short[idx, choice]
        unused_chosen = unused[idx, choice]
        expected = float(path_costs.mean())
        signed = cands[choice]  # (P, Y)
        year_costs = _evaluate(terms, yl, signed, discount_for(terms, signed), level).cost
        rows.append(SigningRow(k, expected, float(payg.mean()) - expected,
                               float(path_short.mean()), path_costs, path_short,
                               np.quantile(signed, 0.5, axis=0, method="inverted_cdf"),
                               year_costs, yl, yc, False, float(unused_chosen.mean()),
                               signed))
    return WhenToSign(offer, window, rows, payg, today, list(notes))

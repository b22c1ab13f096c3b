"""The simulation's model and its draws (docs/model.md, "The simulation").

:func:`build_model` turns a scenario into the arrays every block reads (per-workload vectors,
the mixing of the walk, the cost polynomials, the walk-back candidates); :func:`draw` makes
one block's random inputs, each effect from its own generator seeded from
``SeedSequence(seed, spawn_key=(block, stream))`` (:class:`Stream`), so that switching one
effect on or off leaves every other effect's draws unchanged. The block runner and the
memory estimate are :mod:`forecast.simulation`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from forecast.cost import CornerCosts, corner_costs_by_month, ramp_polynomial
from forecast.limits import MAX_FIT_FACTOR
from forecast.pricebook import PriceBook
from forecast.scenario import Scenario
from forecast.timeline import (
    active_mask,
    beta_parameters,
    fit_factor_dof,
    monthly_cut_hazard,
    months_since_start,
    spread,
    trend_terms,
    walk_back_candidates,
    workload_vectors,
)
from forecast.types import BoolArray, FloatArray, IntArray

#: dtype of the cells (months x workloads x paths of a block).
CELL = np.float32


class Stream(IntEnum):
    """The random effects; each block draws each effect from its own generator."""

    WALK = 0
    SHARED = 1
    GROWTH_FIT = 2
    REALIZATION = 3
    SLIP = 4
    REVERT = 5
    HAPPENS = 6
    LAUNCH = 7
    PRICE_CUT = 8
    CUT_SIZE = 9
    VOL_FIT = 10
    SHARED_VOL_FIT = 11
    SHARED_GROWTH_FIT = 12
    FIRST_NOISE = 13
    LEVEL_FIT = 14


def _months(n_months: int) -> FloatArray:
    """Month numbers 1, 2, ..., n_months as floats."""
    return np.arange(1.0, n_months + 1.0)


# --------------------------------------------------------------------------- the model
#: Log-volume of a month with no volume (before a launch, after a sunset, on a path where
#: the workload never launches): exp of it is exactly 0, and it stays finite in float32.
_NO_VOLUME = -1e30


class Row(IntEnum):
    """Rows of a block's random inputs after the monthly normals: each enters the log-volume
    through one column of the per-workload mixing matrix (:attr:`Model.mixing`)."""

    ONES = 0  # times the deterministic log-drift
    NOT_LAUNCHED = 1  # 1 on paths where the workload does not launch, times -1e30
    GROWTH_FIT = 2  # the path's log-growth error (F sd eps + F0 sd0 eps0), times months since
    SHARED_AT_START = 3  # the shared shock at a launch's first month, subtracted
    FIRST_NOISE = 4  # noise around a trend: month 1's noise (the walk's normals do the rest)
    LEVEL_FIT = 5  # noise around a trend: the path's error in the fitted line's level


@dataclass(frozen=True)
class Model:
    """A scenario as the engine reads it: per-workload vectors in engine column order.

    Columns are the scenario's workloads reordered so that the walk-back candidates come
    last (``order[j]`` is the scenario index of column j): their extra work runs on one
    contiguous slab. Costs are per unit of *relative* volume (the stated volume R is folded
    into them), so the log-volume the cells carry stays near 0, where float32 is precise.
    """

    n_months: int
    order: IntArray
    n_gray: int
    # With a model retiring inside the horizon the three below carry a month axis before W:
    # base_cost (M, W), plan_poly and batch_poly (3, M, W).
    base_cost: FloatArray  # (W,) R * a0: spend at today's levers per unit relative volume
    plan_poly: FloatArray  # (3, W) R * c1..c3: plan minus today = c1 x + c2 x^2 + c3 x^3
    batch_poly: FloatArray  # (3, W) R * b0..b2: the batch lever's part, x (b0 + b1 x + b2 x^2)
    walk_scale: FloatArray  # (W,) monthly log-volatility (workload and token drift)
    shared_vol: float
    growth_sd: FloatArray  # (W,) standard error of the monthly log-growth
    fit_dof: FloatArray  # (W,) degrees of freedom of the drawn volatility (0: not drawn)
    fit_share: FloatArray  # (W,) share of the walk's variance that is fitted (s^2 / scale^2)
    shared_growth_sd: float
    shared_dof: float
    first: IntArray  # (W,) 0-based index of the workload's first month
    trend_noise: BoolArray  # (W,) noise around a trend rather than a random walk
    level_sd: FloatArray  # (W,) sd of the fitted line's level (noise around a trend; else 0)
    rows: tuple[Row, ...]  # the extra input rows this scenario needs, in order
    mixing: FloatArray  # (W, M, K) log-volume = mixing @ inputs, per workload
    launch_probability: FloatArray  # (W,)
    lands: FloatArray  # (W,) planned landing month
    ramp_len: FloatArray  # (W,) ramp months, at least 1
    realization_mean: float
    realization_sd: float
    slip_mean: float
    walk_back_probability: float
    term_end: float
    cut_hazard: float
    cut_mean: float
    cut_sd: float

    @property
    def n_workloads(self) -> int:
        return len(self.order)

    @property
    def has_walk(self) -> bool:
        return bool(np.any(self.walk_scale > 0))

    @property
    def has_growth_fit(self) -> bool:
        return bool(np.any(self.growth_sd > 0) or self.shared_growth_sd > 0)

    @property
    def draws_volatility(self) -> bool:
        """True when some workload draws its own volatility (a fit with its months)."""
        return bool(np.any((self.fit_dof > 0) & ((self.fit_share > 0) | (self.growth_sd > 0)
                                                 | (self.level_sd > 0))))

    @property
    def n_inputs(self) -> int:
        """K: rows of a block's random inputs (monthly normals, then :attr:`rows`)."""
        return self.mixing.shape[2]

    @property
    def fixed_ramp(self) -> bool:
        """True when the fraction in place is the same on every path (no realization spread,
        no slip): the unit cost is then priced once per month and workload."""
        return self.realization_sd == 0 and self.slip_mean == 0


def _mixing(walk_scale: FloatArray, log_drift: FloatArray, first: IntArray,
            rows: tuple[Row, ...], with_walk: bool, trend_noise: BoolArray | None = None,
            offset: FloatArray | None = None) -> FloatArray:
    """Per-workload matrix that turns a block's inputs into log-volume, shape (W, M, K).

    Month t's log-volume of workload w is the sum of its scaled normals from its first month
    to t (a lower-triangular block: a running sum as one matrix product, several times
    faster than cumsum over the months axis), plus one column per extra input row. Around
    a trend (``trend_noise``, shape (W,)) month t takes its own normal only (a diagonal
    block, month 1's from :attr:`Row.FIRST_NOISE`), and the growth error is multiplied by
    the months since the fitted months' centre, ``offset`` (W,) more than since the start.
    """
    n_w = log_drift.shape[1]
    trend = np.zeros(n_w, dtype=bool) if trend_noise is None else trend_noise
    offset = np.zeros(n_w) if offset is None else np.where(trend, offset, 0.0)
    n_months, n_w = log_drift.shape
    n_steps = n_months - 1 if with_walk else 0
    out = np.zeros((n_w, n_months, n_steps + len(rows)), dtype=CELL)
    t = np.arange(n_months)[:, None]  # month index of the output
    if with_walk:
        j = np.arange(n_steps)[None, :]  # the normal of the step into month j + 2
        for_month = np.where(trend[:, None, None], (j == t - 1)[None],
                             (j < t)[None] & (j[None] >= first[:, None, None]))  # (W, M, M-1)
        np.multiply(for_month, walk_scale.astype(CELL)[:, None, None], out=out[:, :, :n_steps])
    since = np.maximum(t.T - first[:, None], 0)  # (W, M)
    for k, row in enumerate(rows, start=n_steps):
        if row == Row.ONES:
            out[:, :, k] = log_drift.T
        elif row == Row.NOT_LAUNCHED:
            out[:, :, k] = _NO_VOLUME
        elif row == Row.GROWTH_FIT:
            out[:, :, k] = since + offset[:, None]
        elif row == Row.FIRST_NOISE:
            out[:, 0, k] = np.where(trend, walk_scale, 0.0)
        else:  # SHARED_AT_START, LEVEL_FIT
            out[:, :, k] = 1.0
    return out


def build_model(scenario: Scenario, book: PriceBook, corners: CornerCosts | None = None
                ) -> Model:
    """Read a scenario and its book into the engine's vectors (``corners``: the scenario's
    corner costs, when already known)."""
    unc = scenario.uncertainty
    v = workload_vectors(scenario)
    gray = walk_back_candidates(scenario)
    order = np.concatenate([np.flatnonzero(~gray), np.flatnonzero(gray)])
    v = {key: value[order] for key, value in v.items()}
    corners = corner_costs_by_month(scenario, book)[0] if corners is None else corners
    # (6, W), or (6, M, W) when a model retires inside the horizon (cost by month)
    a0, a1, a2, b0, b1, b2 = ramp_polynomial(corners)[..., order] * v["volume"]
    token = unc.token_drift
    # Cost is linear in tokens per request, so token drift is more volume growth: its rate
    # adds to the drift and its (independent) volatility to the workload's.
    walk_scale = np.sqrt(v["volatility"] ** 2 + token.volatility**2)
    s0 = unc.shared_growth_volatility
    trend = v["trend_noise"] > 0
    # A walk's variance grows by walk_scale^2 a month; noise around a trend has it once.
    drift = np.log1p(v["growth"]) + np.log1p(token.monthly) - 0.5 * (
        np.where(trend, 0.0, walk_scale**2) + s0 * s0)
    months = _months(scenario.horizon_months)[:, None]
    active = active_mask(months, v["starts"], v["ends"]) > 0
    log_drift = np.where(active, drift * months_since_start(scenario)[:, order]
                         - np.where(trend, 0.5 * walk_scale**2, 0.0), _NO_VOLUME)
    offset, level = trend_terms(v["fit_months"])
    level_sd = np.where(trend, v["volatility"] * np.sqrt(level), 0.0)
    first = v["starts"].astype(np.int64) - 1
    rows = [Row.ONES]
    if np.any(v["launch_probability"] < 1):
        rows.append(Row.NOT_LAUNCHED)
    if np.any(v["growth_sd"] > 0) or unc.shared_growth_sd > 0:
        rows.append(Row.GROWTH_FIT)
    if s0 > 0 and np.any(first > 0):
        rows.append(Row.SHARED_AT_START)
    if np.any(trend & (walk_scale > 0)):
        rows.append(Row.FIRST_NOISE)
    if np.any(level_sd > 0):
        rows.append(Row.LEVEL_FIT)
    cuts = unc.price_cuts
    return Model(
        n_months=scenario.horizon_months,
        order=order,
        n_gray=int(gray.sum()),
        base_cost=a0,
        plan_poly=np.stack([a1 + b0, a2 + b1, b2]),
        batch_poly=np.stack([b0, b1, b2]),
        walk_scale=walk_scale,
        shared_vol=s0,
        growth_sd=v["growth_sd"],
        fit_dof=fit_factor_dof(v["fit_months"]),
        fit_share=np.divide(v["volatility"] ** 2, walk_scale**2,
                            out=np.zeros_like(walk_scale), where=walk_scale > 0),
        shared_growth_sd=unc.shared_growth_sd,
        shared_dof=float(fit_factor_dof(unc.shared_fit_months)),
        first=first,
        trend_noise=trend,
        level_sd=level_sd,
        rows=tuple(rows),
        mixing=_mixing(walk_scale, log_drift, first, tuple(rows),
                       bool(np.any(walk_scale > 0)), trend, offset),
        launch_probability=v["launch_probability"],
        lands=v["lands"],
        ramp_len=np.maximum(v["ramp"], 1.0),
        realization_mean=unc.lever_realization.mean,
        realization_sd=spread(unc.lever_realization.sd),
        slip_mean=unc.slip_months.mean,
        walk_back_probability=unc.walk_back_probability,
        term_end=float(min(scenario.horizon_months, 12 * scenario.contract.years)),
        cut_hazard=monthly_cut_hazard(cuts.annual_probability),
        cut_mean=cuts.size.mean,
        cut_sd=spread(cuts.size.sd),
    )


# --------------------------------------------------------------------------- draws
@dataclass
class Draws:
    """The random draws of one block of paths, in engine column order ``order``.

    Arrays are None where the scenario does not need the effect. Normals and uniforms are
    parameter-free, so a variant of the scenario reuses them as they are (a slip is drawn as
    a uniform and read through the Poisson quantile function, so a variant's slip moves
    monotonically with its mean); a Beta remembers the parameters it was drawn with.
    """

    block: int
    n_paths: int
    order: IntArray
    walk: FloatArray | None = None  # (M - 1, W, B) standard normals, float32
    shared: FloatArray | None = None  # (M - 1, B) standard normals, float32
    growth: FloatArray | None = None  # (W, B) standard normals, float32
    vol_fit: FloatArray | None = None  # (W, B) volatility factor F of the fit, float32
    shared_vol_fit: FloatArray | None = None  # (B,) the shared volatility's F
    shared_growth: FloatArray | None = None  # (B,) standard normals: the shared growth error
    first_noise: FloatArray | None = None  # (W, B) standard normals: month 1's noise (trend)
    level: FloatArray | None = None  # (W, B) standard normals: the line's level error (trend)
    realization: FloatArray | None = None  # (W, B) Beta, float32
    realization_params: tuple[float, float] = (1.0, 0.0)
    slip: FloatArray | None = None  # (W, B) uniforms: the slip's quantile
    revert: FloatArray | None = None  # (W, B) uniforms: when the batch move reverts
    happens: FloatArray | None = None  # (W, B) uniforms: whether it does
    launch: FloatArray | None = None  # (W, B) uniforms: whether the workload launches
    cut: FloatArray | None = None  # (M - 1, B) uniforms: whether a price cut falls
    cut_size: FloatArray | None = None  # (M - 1, B) Beta
    cut_size_params: tuple[float, float] = (0.0, 0.0)

    def reordered(self, order: IntArray) -> Draws:
        """The same draws with columns in another engine order (a variant that changes
        which workloads can walk back)."""
        if np.array_equal(order, self.order):
            return self
        position = np.empty_like(self.order)
        position[self.order] = np.arange(len(self.order))
        take = position[order]
        out = copy.copy(self)
        out.order = order
        for name in ("walk", "growth", "vol_fit", "realization", "slip", "revert", "happens",
                     "launch", "first_noise", "level"):
            value = getattr(self, name)
            if value is not None:
                setattr(out, name, np.take(value, take, axis=-2))
        return out


def _generator(entropy: int, block: int, stream: Stream) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(
        np.random.SeedSequence(entropy, spawn_key=(block, int(stream)))))


def draw(model: Model, entropy: int, block: int, n_paths: int, prior: Draws | None = None,
         walk_out: FloatArray | None = None) -> Draws:
    """Draw what ``model`` needs for one block, reusing ``prior``'s draws where they apply.

    Parameters
    ----------
    prior : Draws, optional
        Draws of the same block for another scenario of the same shape: its normals and
        uniforms are reused, its Beta draws too when the parameters match (else the Beta is
        drawn again from its own stream, which keeps it close to the old draw).
    walk_out : ndarray, optional
        Buffer of shape (M - 1, W, n_paths), float32, for the monthly normals.
    """
    if prior is not None:
        prior = prior.reordered(model.order)
    n_m, n_w = model.n_months, model.n_workloads
    out = Draws(block, n_paths, model.order)

    def take(name: str, stream: Stream, make: Callable[[np.random.Generator], FloatArray]
             ) -> FloatArray:
        old = None if prior is None else getattr(prior, name)
        return make(_generator(entropy, block, stream)) if old is None else old

    def beta(name: str, stream: Stream, params: tuple[float, float], shape: tuple[int, ...]
             ) -> FloatArray:
        """A Beta draw, the prior's when its parameters are these ones."""
        setattr(out, f"{name}_params", params)
        if prior is not None and getattr(prior, f"{name}_params") == params:
            return getattr(prior, name)
        return _generator(entropy, block, stream).beta(*beta_parameters(*params), shape)

    if model.has_walk:
        out.walk = take("walk", Stream.WALK, lambda g: g.standard_normal(
            (n_m - 1, n_w, n_paths), dtype=CELL, out=walk_out))
    if Row.FIRST_NOISE in model.rows:
        out.first_noise = take("first_noise", Stream.FIRST_NOISE, lambda g: g.standard_normal(
            (n_w, n_paths), dtype=CELL))
    if Row.LEVEL_FIT in model.rows:
        out.level = take("level", Stream.LEVEL_FIT, lambda g: g.standard_normal(
            (n_w, n_paths), dtype=CELL))
    if model.shared_vol > 0:
        out.shared = take("shared", Stream.SHARED,
                          lambda g: g.standard_normal((n_m - 1, n_paths), dtype=CELL))
    if np.any(model.growth_sd > 0):
        out.growth = take("growth", Stream.GROWTH_FIT,
                          lambda g: g.standard_normal((n_w, n_paths), dtype=CELL))
    if model.draws_volatility:
        out.vol_fit = take("vol_fit", Stream.VOL_FIT,
                           lambda g: fit_factor(g, model.fit_dof, n_paths).astype(CELL))
    if model.shared_growth_sd > 0:
        out.shared_growth = take("shared_growth", Stream.SHARED_GROWTH_FIT,
                                 lambda g: g.standard_normal(n_paths))
    if model.shared_dof > 0 and (model.shared_vol > 0 or model.shared_growth_sd > 0):
        out.shared_vol_fit = take("shared_vol_fit", Stream.SHARED_VOL_FIT,
                                  lambda g: fit_factor(g, np.array([model.shared_dof]),
                                                       n_paths)[0])
    if model.realization_sd > 0:
        out.realization = beta("realization", Stream.REALIZATION,
                               (model.realization_mean, model.realization_sd),
                               (n_w, n_paths)).astype(CELL, copy=False)
    if model.slip_mean > 0:
        out.slip = take("slip", Stream.SLIP, lambda g: g.random((n_w, n_paths)))
    if model.n_gray:
        out.revert = take("revert", Stream.REVERT,
                          lambda g: g.random((n_w, n_paths), dtype=CELL))
        if 0 < model.walk_back_probability < 1:
            out.happens = take("happens", Stream.HAPPENS,
                               lambda g: g.random((n_w, n_paths), dtype=CELL))
    if np.any(model.launch_probability < 1):
        out.launch = take("launch", Stream.LAUNCH, lambda g: g.random((n_w, n_paths)))
    if model.cut_hazard > 0:
        out.cut = take("cut", Stream.PRICE_CUT, lambda g: g.random((n_m - 1, n_paths)))
        if model.cut_sd > 0:
            out.cut_size = beta("cut_size", Stream.CUT_SIZE, (model.cut_mean, model.cut_sd),
                                (n_m - 1, n_paths))
    return out


def fit_factor(g: np.random.Generator, dof: FloatArray, n_paths: int) -> FloatArray:
    """Each path's volatility factor F = sqrt(min(nu / X, c^2)), X ~ chi-square(nu).

    A volatility s fitted on n months is s_true times sqrt(X / nu) with nu = n - 2 (normal
    shocks); a path that draws s F has, at every horizon, Student's t with nu degrees of
    freedom as its log-volume's law (with its growth error scaled by F too), the predictive
    distribution of a fit on n months. c = :data:`~forecast.limits.MAX_FIT_FACTOR` keeps
    the expected volume finite (docs/model.md, "Forecasting from history").

    Parameters
    ----------
    dof : ndarray of shape (W,)
        nu per workload; 0 draws F = 1.

    Returns
    -------
    ndarray of shape (W, n_paths)
    """
    nu = np.where(dof > 0, dof, 1.0)[:, None]
    x = g.chisquare(nu, (dof.size, n_paths))
    f2 = np.minimum(nu / x, MAX_FIT_FACTOR**2)
    return np.where(dof[:, None] > 0, np.sqrt(f2), 1.0)


def shared_walk(m: Model, d: Draws) -> FloatArray | None:
    """The shared shock's running sum, shape (M, B) (its volatility drawn per path when
    fitted), or None without one."""
    if d.shared is None:
        return None
    scale = m.shared_vol if d.shared_vol_fit is None else m.shared_vol * d.shared_vol_fit
    steps = scale * d.shared
    out = np.zeros((steps.shape[0] + 1, steps.shape[1]))
    np.cumsum(steps, axis=0, out=out[1:])
    return out


def growth_error(m: Model, d: Draws) -> FloatArray:
    """Each path's monthly log-growth error, shape (W, B): the workload's own, sd F eps, plus
    the one its history shares with the others, sd0 F0 eps0."""
    out = np.zeros((m.n_workloads, d.n_paths))
    if d.growth is not None:
        own = m.growth_sd[:, None] * d.growth
        out += own if d.vol_fit is None else own * d.vol_fit
    if d.shared_growth is not None:
        shared = m.shared_growth_sd * d.shared_growth
        out += shared if d.shared_vol_fit is None else shared * d.shared_vol_fit
    return out


def level_error(m: Model, d: Draws) -> FloatArray:
    """Each path's error in a trend's fitted level, shape (W, B): level_sd F eps (0 for a
    random walk, whose month 1 is observed)."""
    out = m.level_sd[:, None] * d.level
    return out if d.vol_fit is None else out * d.vol_fit

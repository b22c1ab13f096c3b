"""Monte Carlo simulation: the projection with a leading paths axis.

Each path draws (docs/model.md, "Simulation"):

- volume: a log-volume random walk per workload plus a shared portfolio shock. With expected
  monthly growth g, workload volatility s and shared volatility s0, the log drift is
  ``ln(1 + g) - (s^2 + s0^2) / 2`` so that expected volume follows ``R (1 + g)^(t - 1)``
  exactly; a launch's walk starts at its first month, at its stated volume. A workload
  with ``growth.model: trend_noise`` is noise of sd s around its trend instead (each month
  its own normal, drift ``ln(1 + g)`` a month less ``s^2 / 2`` once, the line's slope and
  level errors drawn per path);
- growth-fit uncertainty: each path and workload draws its monthly log-growth once,
  ``ln(1 + g) + monthly_sd * eps``, constant over the months (this shifts the mean up by
  ``exp(monthly_sd^2 n^2 / 2)`` after n months, and the projection includes it); the part
  of the error a history shares between its workloads (``shared_growth_sd``) is one normal
  per path for all of them;
- predictive volatility: a workload fitted on n months (``growth.fit_months``) draws its
  volatility per path, s F with F^2 a scaled inverse chi-square with n - 2 degrees of
  freedom (capped), and its growth error is scaled by the same F: the fan of a short
  history has Student's t tails (the shared shock likewise, with ``shared_fit_months``);
- lever realization: the fraction of the planned change achieved, Beta per path and workload
  (one draw moves all three levers of that workload);
- slip: the landing month moves later by a Poisson number of months;
- walk-back: for a gray workload whose plan raises its batch share, the batch move is
  reverted from a month drawn uniformly after landing, within the contract term (routing and
  caching stay), on a share ``walk_back_probability`` of paths;
- token drift: tokens per request drift at a monthly rate with a monthly volatility; cost is
  linear in tokens, so it enters the volume walk as extra drift and independent volatility;
- launches: a workload with ``launch_probability < 1`` runs on that share of paths;
- list-price cuts: from month 2 on, each month with hazard ``q = 1 - (1 - p)^(1/12)`` (p the
  annual probability), the list price of every model falls by a drawn fraction (Beta with the
  size's mean and sd, fixed when sd = 0). Every series is at the prices in force that month;
  ``price_level`` is the level per path and month (1.0 = the book's prices).

Four series share every draw (common random numbers): ``current`` (today's levers),
``planned`` (the optimized plan with no walk-back), ``optimized`` (walk-back drawn) and
``reverted`` (every gray batch move walked back, each at its drawn month).

Blocks. Paths are simulated in blocks of a fixed number of paths (set by the months and
workloads, never by the memory at hand), each reduced to its per-path monthly totals before
the next; peak memory depends on the block, not on paths x months x workloads. Every effect
of every block draws from its own generator, seeded from ``SeedSequence(seed,
spawn_key=(block, stream))``: a seed reproduces every result to the byte, and switching one
effect on or off (a variant of the scenario) leaves every other effect's draws unchanged.
Only the effects a scenario has are drawn (no realization draws when its sd is 0, ...). The
model a block reads and its draws are :mod:`forecast.draws`; this module runs the blocks.

The cells (months x workloads x paths of a block) are float32, laid out with paths last so
that a month's slab of workloads is contiguous; the unit cost is the cubic of
:func:`forecast.cost.ramp_polynomial` in the fraction in place, evaluated only where it is
random (a deterministic ramp is priced once per month and workload), and every sum over
workloads is a matrix product. Per-path totals are kept in float64.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from forecast.cost import corner_costs_by_month
from forecast.draws import (
    CELL,
    Draws,
    Model,
    Row,
    _months,
    build_model,
    draw,
    growth_error,
    level_error,
    shared_walk,
)
from forecast.errors import PlannerError
from forecast.pricebook import PriceBook
from forecast.scenario import Scenario
from forecast.timeline import (
    month_labels,
    ramp_fraction,
    slip_distribution,
    slip_support,
)
from forecast.types import FloatArray

#: Cells simulated at once: a block holds ``BLOCK_CELLS // (months x workloads)`` paths (at
#: least ``MIN_BLOCK_PATHS``), small enough for the CPU's cache, large enough that numpy's
#: per-call overhead is small.
BLOCK_CELLS = 1 << 19
MIN_BLOCK_PATHS = 64
#: Float32 buffers of a block's size alive at once (normals, matrix-product inputs, the
#: base's and a variant's volume, fraction in place, unit cost, the gray workloads'
#: walk-back part and its mask, a temporary), for the memory estimate.
_BLOCK_BUFFERS = 9
#: Per path and month, float64: the five series of a Simulation plus the copies its
#: consumers make at the same size (yearly sums, quantiles, sorts, the walk-back evaluation).
_SERIES_COPIES = 10
#: Mixing matrices (months x months per workload, float32) alive at once: the plan's, the
#: tornado's variants that change the volume model, and a temporary.
_TABLES = 8
#: Memory a plan needs besides the simulation (the tornado's paths, the projection, tables).
_PLAN_OVERHEAD = 64 << 20
#: The default memory budget of one plan; the environment variable overrides it.
DEFAULT_MEMORY_MIB = 2048
MEMORY_ENV = "COMMITPLAN_MEMORY_MIB"


@dataclass(frozen=True)
class Simulation:
    """Simulated monthly list spend.

    Attributes
    ----------
    current, planned, optimized, reverted : ndarray of shape (n_paths, n_months)
        Total list spend per path and month: today's levers; the plan with no walk-back;
        the plan with walk-back drawn; every gray batch move walked back (each at its drawn
        month). All four share their draws (common random numbers), so differences are
        effects on the same path, not noise.
    price_level : ndarray of shape (n_paths, n_months)
        List-price level in force (1.0 = the book's prices); every series above is at it.
    current_by_workload, optimized_by_workload : ndarray of shape (n_months, n_workloads)
        Mean over paths, per workload.
    expected_current, expected_optimized : ndarray of shape (n_months,), optional
        The exact means of ``current`` and ``optimized`` (the projection's totals, set by
        :func:`forecast.plan.build_plan`): the control variates of every estimate
        (:mod:`forecast.precision`).
    """

    months: list[str]
    workloads: list[str]
    current: FloatArray
    optimized: FloatArray
    planned: FloatArray
    reverted: FloatArray
    price_level: FloatArray
    current_by_workload: FloatArray
    optimized_by_workload: FloatArray
    seed: int | None
    expected_current: FloatArray | None = None
    expected_optimized: FloatArray | None = None

    @property
    def n_paths(self) -> int:
        return self.current.shape[0]


# --------------------------------------------------------------------------- memory
def block_paths(n_months: int, n_workloads: int) -> int:
    """Paths per block: fixed by the scenario's shape, so results never depend on memory."""
    return max(MIN_BLOCK_PATHS, BLOCK_CELLS // max(1, n_months * n_workloads))


def estimate_memory(scenario: Scenario, n_paths: int) -> int:
    """Bytes a plan of ``n_paths`` paths needs at its peak (an upper estimate).

    The block's working set (months x workloads x the block's paths, float32), the
    per-path monthly series (float64) and the copies the plan makes of them, and the
    per-workload tables (the engine's mixing matrices, months x months per workload, and the
    projection's sums over the slip's months); it grows with paths x months, and with
    workloads only through the block and the tables.
    """
    n_months, n_w = scenario.horizon_months, len(scenario.workloads)
    block = min(block_paths(n_months, n_w), max(n_paths, 1))
    cells = _BLOCK_BUFFERS * block * n_months * n_w * np.dtype(CELL).itemsize
    series = _SERIES_COPIES * n_paths * n_months * 8
    slip = slip_support(scenario.uncertainty.slip_months.mean, n_months).size
    tables = n_w * n_months * (_TABLES * (n_months + 4) * np.dtype(CELL).itemsize
                               + 8 * slip * 8)
    return int(cells + series + tables + _PLAN_OVERHEAD)


def memory_budget() -> int:
    """The memory budget in bytes: ``COMMITPLAN_MEMORY_MIB`` MiB, or 2,048 MiB."""
    text = os.environ.get(MEMORY_ENV, "").strip()
    if not text:
        return DEFAULT_MEMORY_MIB << 20
    try:
        mib = float(text)
    except ValueError:
        mib = math.nan
    if not math.isfinite(mib) or mib <= 0:
        raise PlannerError(f"{MEMORY_ENV}: is {text!r}; give the memory budget of one plan in "
                           f"MiB, a number above 0 (default {DEFAULT_MEMORY_MIB})")
    return int(mib * (1 << 20))


def check_memory(scenario: Scenario, n_paths: int) -> None:
    """Refuse a plan whose estimated memory is past the budget, naming the fields to reduce.

    Raises
    ------
    PlannerError
        When :func:`estimate_memory` exceeds :func:`memory_budget`.
    """
    need, budget = estimate_memory(scenario, n_paths), memory_budget()
    if need > budget:
        raise PlannerError(
            f"this plan needs about {need / 2**20:,.0f} MiB ({n_paths:,} paths x "
            f"{scenario.horizon_months} months x {len(scenario.workloads):,} workloads), past "
            f"the memory budget of {budget / 2**20:,.0f} MiB: reduce simulation.paths, "
            f"horizon_months or the number of workloads, or raise {MEMORY_ENV}")


# --------------------------------------------------------------------------- one block
@dataclass
class _Workspace:
    """Buffers reused from block to block (fresh pages cost more than the work on them)."""

    buffers: dict[str, np.ndarray] = field(default_factory=dict)

    def get(self, name: str, shape: tuple[int, ...], dtype: type = CELL) -> np.ndarray:
        size = math.prod(shape)
        buf = self.buffers.get(name)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = np.empty(size, dtype=dtype)
            self.buffers[name] = buf
        return buf[:size].reshape(shape)

    def inputs(self, m: Model, n_paths: int) -> np.ndarray:
        """The block's input rows, shape (K, W, n_paths); the normals are its first rows."""
        return self.get("inputs", (m.n_inputs, m.n_workloads, n_paths))


@dataclass(frozen=True)
class _BlockSums:
    """One block reduced: series of shape (M, B) and sums over its paths of shape (M, W)."""

    current: FloatArray
    planned: FloatArray
    optimized: FloatArray
    reverted: FloatArray
    price_level: FloatArray
    current_by_workload: FloatArray
    optimized_by_workload: FloatArray


def _running_sum(steps: FloatArray) -> FloatArray:
    """Running sum over months of steps into month 2, 3, ... (shape (M - 1, B)): (M, B),
    0 in month 1."""
    out = np.zeros((steps.shape[0] + 1, steps.shape[1]))
    np.cumsum(steps, axis=0, out=out[1:])
    return out


def _volume(m: Model, d: Draws, ws: _Workspace, shared: FloatArray | None,
            name: str = "volume") -> np.ndarray:
    """Relative volume per cell, shape (M, W, B): 1 in a workload's first month; written to
    the workspace buffer ``name``.

    One matrix product per workload turns the inputs (monthly normals, then the rows of
    :class:`Row`) into the log-volume; one ``exp`` finishes it.
    """
    n_m, n_w, n_p = m.n_months, m.n_workloads, d.n_paths
    inputs = ws.inputs(m, n_p)
    k = 0
    if d.walk is not None:
        k = n_m - 1
        if not np.may_share_memory(d.walk, inputs):
            inputs[:k] = d.walk
        if d.vol_fit is not None:
            # The fitted part of each walk's variance drawn per path: scale^2 (1 + (F^2 - 1)
            # share), F^2 s^2 + (token drift's volatility)^2.
            factor = np.sqrt(1.0 + (d.vol_fit * d.vol_fit - 1.0) * m.fit_share[:, None]
                             ).astype(CELL)
            inputs[:k] *= factor
    for i, row in enumerate(m.rows, start=k):
        if row == Row.ONES:
            inputs[i] = 1.0
        elif row == Row.NOT_LAUNCHED:
            np.greater_equal(d.launch, m.launch_probability[:, None], out=inputs[i],
                             casting="unsafe")
        elif row == Row.GROWTH_FIT:
            inputs[i] = growth_error(m, d)
        elif row == Row.FIRST_NOISE:
            inputs[i] = d.first_noise if d.vol_fit is None else d.first_noise * factor
        elif row == Row.LEVEL_FIT:
            inputs[i] = level_error(m, d)
        else:
            inputs[i] = -shared[m.first]
    volume = ws.get(name, (n_m, n_w, n_p))
    np.matmul(m.mixing, inputs.transpose(1, 0, 2), out=volume.transpose(1, 0, 2))
    np.exp(volume, out=volume)
    return volume


def _fraction(m: Model, d: Draws, lands: FloatArray, ws: _Workspace) -> np.ndarray:
    """Fraction of each plan in place per cell, x = r * f(t - L), shape (M, W, B), for
    landing months ``lands`` of shape (W, B) (or (W, 1) with no slip)."""
    n_m, n_w, n_p = m.n_months, m.n_workloads, d.n_paths
    x = ws.get("fraction", (n_m, n_w, n_p))
    if d.slip is not None:
        # (t + 1 - L) / n clipped to [0, 1].
        step = ((_months(n_m)[:, None] + 1.0) / m.ramp_len).astype(CELL)
        np.subtract(step[:, :, None], (lands / m.ramp_len[:, None]).astype(CELL)[None], out=x)
        np.clip(x, 0.0, 1.0, out=x)
        if d.realization is not None:
            x *= d.realization
        elif m.realization_mean != 1.0:
            x *= CELL(m.realization_mean)
    else:
        frac = ramp_fraction(_months(n_m)[:, None], m.lands, m.ramp_len)
        np.multiply(frac.astype(CELL)[:, :, None], d.realization[None], out=x)
    return x


def _slip_months(m: Model, d: Draws) -> FloatArray:
    """Months of slip per workload and path, (W, B): the Poisson quantile of the uniform."""
    cdf = np.cumsum(slip_distribution(m.slip_mean, m.n_months))
    return np.searchsorted(cdf, d.slip, side="right").astype(float)


def _polynomial(coeffs: FloatArray, x: FloatArray) -> FloatArray:
    """``x (c0 + c1 x + c2 x^2)`` for coefficients of shape (3, W) or (3, M, W) and x of
    shape (M, W)."""
    c0, c1, c2 = coeffs
    return x * (c0 + x * (c1 + x * c2))


def _polynomial_cells(coeffs: FloatArray, x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """:func:`_polynomial` on cells of shape (M, W, B), in place in ``out`` (Horner).

    The coefficients are spread over (W, B) first: numpy runs a contiguous operand twice as
    fast as one broadcast along the paths.
    """
    if coeffs.ndim == 3:  # by month (a retirement): broadcast along the paths, no copies
        c0, c1, c2 = (c.astype(CELL)[:, :, None] for c in coeffs)
    else:
        shape = (coeffs.shape[1], x.shape[2])
        c0, c1, c2 = (np.broadcast_to(c.astype(CELL)[:, None], shape).copy() for c in coeffs)
    np.multiply(x, c2, out=out)
    out += c1
    out *= x
    out += c0
    out *= x
    return out


def _path_sum(cells: np.ndarray, weight: FloatArray | None) -> FloatArray:
    """Sum over the block's paths (weighted per month and path), shape (M, W), float64."""
    if weight is None:
        return cells.sum(axis=2).astype(np.float64)
    return np.matmul(cells, weight.astype(CELL)[:, :, None])[:, :, 0].astype(np.float64)


def evaluate(m: Model, d: Draws, ws: _Workspace | None = None,
             volume: np.ndarray | None = None) -> _BlockSums:
    """Spend on the four series for one block of draws.

    Parameters
    ----------
    volume : ndarray of shape (M, W, B), optional
        The block's relative volume when already known (a variant that keeps the volume
        model of the scenario it varies); read, never written.
    """
    ws = _Workspace() if ws is None else ws
    n_m, n_w, n_p = m.n_months, m.n_workloads, d.n_paths
    gray = slice(n_w - m.n_gray, n_w)

    # Factors common to every workload of a path and month: the shared shock and the price
    # level. They multiply the sums over workloads, never the cells.
    shared = shared_walk(m, d)
    level = _price_level(m, d)
    common = None if shared is None else np.exp(shared)
    if level is not None:
        common = level if common is None else common * level

    if volume is None:
        volume = _volume(m, d, ws, shared)
    if m.base_cost.ndim == 2:  # cost by month: (M, 1, W) @ (M, W, B)
        current = np.matmul(m.base_cost.astype(CELL)[:, None, :], volume)[:, 0, :]
        current = current.astype(np.float64)
    else:
        current = np.matmul(m.base_cost.astype(CELL), volume).astype(np.float64)  # (M, B)
    current_sums = _path_sum(volume, common) * m.base_cost

    # The plan's spend minus today's, per cell: volume * (c1 x + c2 x^2 + c3 x^3).
    lands = m.lands[:, None] + (0.0 if d.slip is None else _slip_months(m, d))
    unit = ws.get("unit", (n_m, n_w, n_p))
    back = ws.get("walk_back", (n_m, m.n_gray, n_p))
    if m.fixed_ramp:
        x_fixed = m.realization_mean * ramp_fraction(_months(n_m)[:, None], m.lands,
                                                     m.ramp_len)
        np.multiply(volume, _polynomial(m.plan_poly, x_fixed).astype(CELL)[:, :, None],
                    out=unit)
        if m.n_gray:
            batch = _polynomial(m.batch_poly[..., gray], x_fixed[:, gray])
            np.multiply(volume[:, gray], batch.astype(CELL)[:, :, None], out=back)
    else:
        x = _fraction(m, d, lands, ws)
        _polynomial_cells(m.plan_poly, x, unit)
        unit *= volume
        if m.n_gray:
            _polynomial_cells(m.batch_poly[..., gray], x[:, gray], back)
            back *= volume[:, gray]
    planned = current + np.matmul(np.ones(n_w, dtype=CELL), unit)
    plan_sums = current_sums + _path_sum(unit, common)

    reverted, optimized, opt_sums = planned, planned, plan_sums
    if m.n_gray:
        # The batch lever's part, x (b0 + b1 x + b2 x^2), is lost from the revert month on,
        # drawn uniformly after landing within the contract term.
        span = np.maximum(m.term_end - lands[gray], 0.0)
        revert_month = np.where(span > 0, lands[gray] + 1.0 + np.floor(d.revert[gray] * span),
                                np.inf)
        reverting = ws.get("reverting", (n_m, m.n_gray, n_p), np.bool_)
        np.greater_equal(_months(n_m)[:, None, None], revert_month[None], out=reverting)
        back *= reverting
        reverted = planned - back.sum(axis=1, dtype=np.float64)
        p = m.walk_back_probability
        if p > 0:
            if d.happens is not None:
                back *= d.happens[gray] < p
            optimized = planned - back.sum(axis=1, dtype=np.float64)
            opt_sums = plan_sums.copy()
            opt_sums[:, gray] -= _path_sum(back, common)
    if common is not None:
        current, planned, optimized, reverted = (current * common, planned * common,
                                                 optimized * common, reverted * common)
    return _BlockSums(current, planned, optimized, reverted,
                      np.ones((n_m, n_p)) if level is None else level, current_sums, opt_sums)


def _price_level(m: Model, d: Draws) -> FloatArray | None:
    """List-price level per month and path, shape (M, B), or None with no price cuts."""
    if d.cut is None:
        return None
    size = m.cut_mean if d.cut_size is None else d.cut_size
    # A Beta draw can round to a cut of exactly 100%: keep a price above zero (log of 0).
    size = np.minimum(size, MAX_CUT)
    return np.exp(_running_sum(np.where(d.cut < m.cut_hazard, np.log1p(-size), 0.0)))


#: The largest single list-price cut: a Beta draw of 1.0 would price the models at $0.
MAX_CUT = 1.0 - 1e-9


# --------------------------------------------------------------------------- simulate
def _entropy(scenario: Scenario, seed: int | None, rng: np.random.Generator | None
             ) -> tuple[int, int | None]:
    """(entropy of every block's generators, the seed to report)."""
    if rng is not None:
        return int(rng.integers(2**63)), None
    seed = scenario.simulation.seed if seed is None else seed
    return int(seed), seed


def _same_volume(m: Model, base: Model) -> bool:
    """True when ``m`` turns the same draws into the same relative volume as ``base``."""
    return (m.rows == base.rows and np.array_equal(m.order, base.order)
            and np.array_equal(m.launch_probability, base.launch_probability)
            and np.array_equal(m.growth_sd, base.growth_sd)
            and np.array_equal(m.fit_dof, base.fit_dof)
            and np.array_equal(m.fit_share, base.fit_share)
            and (m.shared_growth_sd, m.shared_dof, m.shared_vol)
            == (base.shared_growth_sd, base.shared_dof, base.shared_vol)
            and np.array_equal(m.mixing, base.mixing))


def _simulate_models(scenarios: Sequence[Scenario], models: Sequence[Model], entropy: int,
                     n_paths: int, seed: int | None) -> list[Simulation]:
    """Evaluate every model on the same paths, block by block, each block reduced before the
    next: peak memory is a block's, whatever the number of paths.

    The first model's draws are the block's; every other model reuses them where they apply
    (:func:`draw`) and the first model's volume when its volume model is the same.
    """
    base = models[0]
    n_m, n_w = base.n_months, base.n_workloads
    names = ("current", "planned", "optimized", "reverted", "price_level")
    series = [{name: np.empty((n_paths, n_m)) for name in names} for _ in models]
    current_sums = [np.zeros((n_m, n_w)) for _ in models]
    optimized_sums = [np.zeros((n_m, n_w)) for _ in models]
    reuse = [i > 0 and _same_volume(m, base) for i, m in enumerate(models)]
    ws = _Workspace()
    size = block_paths(n_m, n_w)
    for b, start in enumerate(range(0, n_paths, size)):
        n = min(size, n_paths - start)
        # One model draws its normals straight into the matrix product's input rows; with
        # variants they are kept apart, since a variant may reorder them.
        walk_out = None
        if base.has_walk:
            walk_out = ws.get("walk", (n_m - 1, n_w, n)) if len(models) > 1 \
                else ws.inputs(base, n)[: n_m - 1]
        block = draw(base, entropy, b, n, walk_out=walk_out)
        base_volume = None
        for i, m in enumerate(models):
            d = block if i == 0 else draw(m, entropy, b, n, prior=block)
            if i == 0 and len(models) > 1:
                shared = shared_walk(m, d)
                base_volume = _volume(m, d, ws, shared, name="base_volume")
            sums = evaluate(m, d, ws, base_volume if i == 0 or reuse[i] else None)
            for name, out in series[i].items():
                out[start:start + n] = getattr(sums, name).T
            current_sums[i] += sums.current_by_workload
            optimized_sums[i] += sums.optimized_by_workload
    results = []
    for i, (scenario, m) in enumerate(zip(scenarios, models, strict=True)):
        back = np.empty_like(m.order)
        back[m.order] = np.arange(n_w)
        results.append(Simulation(
            months=month_labels(scenario),
            workloads=[w.name for w in scenario.workloads],
            current_by_workload=current_sums[i][:, back] / n_paths,
            optimized_by_workload=optimized_sums[i][:, back] / n_paths,
            seed=seed,
            **series[i],
        ))
    return results


def _check_paths(n_paths: int) -> None:
    if n_paths < 1:
        raise ValueError(f"paths: is {n_paths}; simulate at least 1 path")


def simulate(
    scenario: Scenario,
    book: PriceBook,
    n_paths: int | None = None,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> Simulation:
    """Simulate monthly list spend on the current, planned, optimized and reverted series.

    Parameters
    ----------
    scenario, book
        A validated scenario and the book that prices it.
    n_paths : int, optional
        Paths to draw (default: ``scenario.simulation.paths``).
    seed : int, optional
        Seed (default: ``scenario.simulation.seed``); ignored when ``rng`` is given.
    rng : numpy.random.Generator, optional
        The generator to seed from (one draw of it seeds every block).

    Raises
    ------
    PlannerError
        When the plan's estimated memory is past the budget (:func:`check_memory`).
    """
    n_paths = scenario.simulation.paths if n_paths is None else n_paths
    _check_paths(n_paths)
    check_memory(scenario, n_paths)
    entropy, seed = _entropy(scenario, seed, rng)
    model = build_model(scenario, book)
    return _simulate_models([scenario], [model], entropy, n_paths, seed)[0]


def _cost_inputs(scenario: Scenario) -> list[dict]:
    """Everything the unit costs depend on: each workload but its growth and timing."""
    return [w.model_dump(exclude={"name", "growth", "starts_month", "ends_month",
                                  "launch_probability"}) for w in scenario.workloads]


def simulate_variants(scenarios: Sequence[Scenario], book: PriceBook, n_paths: int,
                      seed: int) -> list[Simulation]:
    """Simulate variants of one scenario on the same paths (common random numbers).

    The first scenario is the base; the others vary it (same months and workloads; any
    growth, volatility, realization, slip, walk-back, levers or price cuts). Every variant
    reuses the base's draws where they apply and draws the rest from the same per-effect
    streams, so each result equals ``simulate(variant, book, n_paths, seed)`` (to the byte
    when the variant keeps the order of the workloads), while the normals are drawn once
    and a variant that keeps the volume model reuses the base's volume. Blocks are the
    outer loop, so memory stays a block's. The tornado evaluates its variants this way.
    """
    _check_paths(n_paths)
    base = scenarios[0]
    shape = (base.horizon_months, len(base.workloads))
    for s in scenarios[1:]:
        if (s.horizon_months, len(s.workloads)) != shape:
            raise ValueError(f"a variant must keep months x workloads {shape}; got "
                             f"{(s.horizon_months, len(s.workloads))}")
    check_memory(base, n_paths)
    # Pricing the lever corners is the slow part of reading a scenario; most variants
    # (growth, volatility, realization, slip, walk-back, price cuts) keep them.
    key, corners = _cost_inputs(base), corner_costs_by_month(base, book)[0]
    models = [build_model(s, book, corners if i == 0 or _cost_inputs(s) == key else None)
              for i, s in enumerate(scenarios)]
    # Variants that keep the volume model share its mixing matrices (months x months per
    # workload: the largest table of a model).
    models = [m if i == 0 or not _same_volume(m, models[0])
              else dataclasses.replace(m, mixing=models[0].mixing) for i, m in enumerate(models)]
    return _simulate_models(scenarios, models, int(seed), n_paths, seed)

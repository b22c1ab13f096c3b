"""Monte Carlo simulation: the projection with a leading paths axis.

Every draw is vectorized over arrays shaped (paths, months, workloads); there is no Python
loop over paths or months. Randomness comes from one ``numpy.random.Generator`` seeded from
the scenario (or passed in), so a seed reproduces every result to the byte.

Draws (DESIGN.md, "Uncertainty"):

- volume: a log-volume random walk per workload plus a shared portfolio shock. With expected
  monthly growth g, workload volatility s and shared volatility s0, the log drift is
  ``ln(1 + g) - (s^2 + s0^2) / 2`` so that expected volume follows ``R (1 + g)^(t - 1)``
  exactly;
- lever realization: the fraction of the planned change achieved, Beta per path and workload
  (one draw moves all three levers of that workload);
- slip: the landing month moves later by a Poisson number of months;
- walk-back: for a gray workload whose plan raises its batch share, with some probability
  the batch move is reverted from a random month after landing, within the contract term
  (routing and caching stay);
- token drift: tokens per request drift at a monthly rate with a monthly volatility; cost is
  linear in tokens, so it enters the volume walk as extra drift and independent volatility;
- launches: a workload with ``launch_probability < 1`` runs on that share of paths.

With every spread at zero (volatilities, realization sd, slip, walk-back) each path equals
the deterministic projection, which applies the realization mean and the token drift rate.

The (paths, months, workloads) buffers are float32: it halves memory traffic and makes the
draws and ``exp`` cheaper, at a relative precision of about 1e-7 per cell (cents on a
million-dollar month); every sum over workloads or paths accumulates in float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.cost import corner_costs, cost_along_ramp, ramp_polynomial
from forecast.pricebook import PriceBook
from forecast.scenario import Realization, Scenario
from forecast.timeline import active_mask, month_labels, month_numbers, workload_vectors
from forecast.types import FloatArray, Waiting

#: dtype of the (paths, months, workloads) buffers.
CELL = np.float32


@dataclass(frozen=True)
class Simulation:
    """Simulated monthly list spend.

    Attributes
    ----------
    current, optimized : ndarray of shape (n_paths, n_months)
        Total list spend per path and month on each path. The two share their volume draws
        (common random numbers), so their difference is the saving on that path.
    reverted : ndarray of shape (n_paths, n_months)
        The optimized path if every gray workload's batch move were walked back (each at its
        drawn month): the walk-back exposure.
    current_by_workload, optimized_by_workload : ndarray of shape (n_months, n_workloads)
        Mean over paths, per workload.
    """

    months: list[str]
    workloads: list[str]
    current: FloatArray
    optimized: FloatArray
    reverted: FloatArray
    current_by_workload: FloatArray
    optimized_by_workload: FloatArray
    seed: int | None

    @property
    def n_paths(self) -> int:
        return self.current.shape[0]


def beta_parameters(realization: Realization) -> tuple[float, float]:
    """Beta(alpha, beta) with the realization's mean and sd (method of moments)."""
    m, s = realization.mean, realization.sd
    k = m * (1.0 - m) / (s * s) - 1.0
    return m * k, (1.0 - m) * k


def _volume(scenario: Scenario, rng: np.random.Generator, n_paths: int) -> FloatArray:
    """Volume per path, month and workload, shape (P, M, W); activity and launches applied.

    The normals are drawn straight into the output buffer and every later step works in
    place: random number generation, not arithmetic, is the floor of this function.
    """
    v = workload_vectors(scenario)
    n_months, n_w = scenario.horizon_months, len(scenario.workloads)
    s0 = scenario.uncertainty.shared_growth_volatility
    token = scenario.uncertainty.token_drift
    # Cost is linear in tokens per request, so token drift is more volume growth: its rate
    # adds to the drift and its (independent) volatility to the workload's.
    vol = np.sqrt(v["volatility"] ** 2 + token.volatility**2)
    drift = np.log1p(v["growth"]) + np.log1p(token.monthly) - 0.5 * (vol * vol + s0 * s0)
    log_v = np.empty((n_paths, n_months, n_w), dtype=CELL)
    if np.any(vol > 0):
        rng.standard_normal(dtype=CELL, out=log_v)
        log_v *= vol.astype(CELL)
    else:
        log_v.fill(0.0)
    if s0 > 0:
        log_v += (s0 * rng.standard_normal((n_paths, n_months, 1), dtype=CELL)).astype(CELL)
    log_v += drift.astype(CELL)
    log_v[:, 0, :] = 0.0  # month 1 is today's volume; changes start in month 2
    np.cumsum(log_v, axis=1, out=log_v)
    start = v["starts"].astype(np.int64) - 1
    if np.any(start > 0):
        # A launch enters at its stated volume: the walk restarts at its first month.
        log_v -= log_v[:, start, np.arange(n_w)][:, None, :]
    np.exp(log_v, out=log_v)
    volume = log_v
    t = month_numbers(scenario)[:, None]
    volume *= (v["volume"] * active_mask(t, v["starts"], v["ends"])).astype(CELL)
    launch = v["launch_probability"]
    if np.any(launch < 1.0):
        volume *= rng.random((n_paths, 1, n_w)) < launch
    return volume


def simulate(
    scenario: Scenario,
    book: PriceBook,
    n_paths: int | None = None,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> Simulation:
    """Simulate monthly list spend on the current and optimized paths.

    Parameters
    ----------
    scenario, book
        A validated scenario and the book that prices it.
    n_paths : int, optional
        Paths to draw (default: ``scenario.simulation.paths``).
    seed : int, optional
        Seed (default: ``scenario.simulation.seed``); ignored when ``rng`` is given.
    rng : numpy.random.Generator, optional
        The generator to draw from.
    """
    n_paths = scenario.simulation.paths if n_paths is None else n_paths
    if n_paths < 1:
        raise ValueError(f"paths: is {n_paths}; simulate at least 1 path")
    if rng is None:
        seed = scenario.simulation.seed if seed is None else seed
        rng = np.random.default_rng(seed)
    else:
        seed = None
    unc = scenario.uncertainty
    v = workload_vectors(scenario)
    n_months, n_w = scenario.horizon_months, len(scenario.workloads)
    corners = corner_costs(scenario, book)
    coeffs = ramp_polynomial(corners)

    volume = _volume(scenario, rng, n_paths)

    # Lever realization and slip, per path and workload.
    real = unc.lever_realization
    if real.sd > 0:
        a, b = beta_parameters(real)
        realization = rng.beta(a, b, size=(n_paths, 1, n_w))
    else:
        realization = np.full((1, 1, n_w), real.mean)
    lands = np.broadcast_to(v["lands"], (1, 1, n_w)).astype(float)
    if unc.slip_months.mean > 0:
        lands = lands + rng.poisson(unc.slip_months.mean, size=(n_paths, 1, n_w))
    t = month_numbers(scenario)[None, :, None]

    # Fraction of the plan in place, per path, month and workload, built in one buffer.
    ramp = np.empty((n_paths, n_months, n_w), dtype=CELL)
    np.subtract((t + 1.0).astype(CELL), lands.astype(CELL), out=ramp)
    ramp *= (1.0 / np.maximum(v["ramp"], 1.0)).astype(CELL)
    np.clip(ramp, 0.0, 1.0, out=ramp)
    ramp *= realization.astype(CELL)

    # Walk-back candidates: gray workloads whose plan raises the batch share.
    gray = np.flatnonzero([
        w.waiting == Waiting.GRAY and w.target.batch_share > w.current.batch_share
        for w in scenario.workloads
    ])
    # Today's path goes through the same float32 arithmetic as the optimized one (at ramp 0
    # the polynomial is exactly a0), so a workload with no plan saves exactly nothing.
    current_cells = volume * coeffs[0].astype(CELL)
    current = current_cells.sum(axis=2, dtype=np.float64)
    current_by_workload = current_cells.mean(axis=0, dtype=np.float64)
    del current_cells
    cells = cost_along_ramp(coeffs.astype(CELL), ramp)  # (P, M, W): unit cost, z = x
    cells *= volume
    reverted_extra = np.zeros((n_paths, n_months))
    if gray.size:
        # Each gray workload's batch move is reverted from a month drawn uniformly after its
        # landing month, up to the contract's end (the term the commitment is set for); on a
        # share walk_back_probability of paths it happens.
        land_g = np.broadcast_to(lands, (n_paths, 1, n_w))[:, :, gray]
        term_end = float(min(n_months, 12 * scenario.contract.years))
        span = np.maximum(term_end - land_g, 0.0)
        revert_month = np.where(span > 0, land_g + 1.0 + np.floor(rng.random(land_g.shape)
                                                                   * span), np.inf)
        happens = rng.random(land_g.shape) < unc.walk_back_probability
        x_g = ramp[:, :, gray]
        z_g = np.where(t >= revert_month, 0.0, x_g)
        walked = cost_along_ramp(coeffs[:, gray].astype(CELL), x_g, z_g.astype(CELL))
        walked *= volume[:, :, gray]
        planned = cells[:, :, gray]
        realized = np.where(happens, walked, planned)
        reverted_extra = (walked - realized).sum(axis=2, dtype=np.float64)
        cells[:, :, gray] = realized
    del ramp

    optimized = cells.sum(axis=2, dtype=np.float64)
    optimized_by_workload = cells.mean(axis=0, dtype=np.float64)
    del cells
    return Simulation(
        months=month_labels(scenario),
        workloads=[w.name for w in scenario.workloads],
        current=current,
        optimized=optimized,
        reverted=optimized + reverted_extra,
        current_by_workload=current_by_workload,
        optimized_by_workload=optimized_by_workload,
        seed=seed,
    )

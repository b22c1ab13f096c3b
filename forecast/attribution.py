"""Where the savings come from: by lever (Shapley and waterfall) and by workload.

The levers multiply (routing changes the base price, caching cuts the repeated input, batch
halves the whole rate), so a sequential waterfall depends on the order the levers are
applied in. The Shapley share of a lever is its marginal saving averaged over the 3! = 6
orders: order-free, and the shares add up to the total saving exactly.

Every coalition of levers is priced at its expected cost, like the projection: the unit
cost is multilinear in the three lever fractions, routing and caching move with the
fraction in place x and batch with ``x (1 - J)`` (J: walked back), so each coalition's
expected unit cost is a sum of ``E[x^k]`` and ``E[x^k J]`` (:class:`RampMoments`). The full
coalition is the projection's optimized spend, so the shares add up to the projection's
saving.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, permutations
from typing import TYPE_CHECKING

import numpy as np

from forecast.cost import CornerCosts
from forecast.timeline import RampMoments

if TYPE_CHECKING:
    import pandas as pd

from forecast.types import LEVERS, FloatArray, IntArray, Lever

#: The order of the sequential waterfall: route first (it sets the base price), then cache,
#: then batch (which halves whatever rate is left).
WATERFALL_ORDER: tuple[Lever, ...] = (Lever.ROUTING, Lever.CACHING, Lever.BATCH)


@dataclass(frozen=True)
class Attribution:
    """Saving over the horizon split by lever and by workload.

    Attributes
    ----------
    shapley : dict of Lever to float
        Shapley share of the total saving (USD over the horizon) per lever.
    shapley_by_workload : ndarray of shape (n_workloads, 3)
        The same split per workload, columns in ``LEVERS`` order.
    waterfall : list of (Lever, float)
        Saving of each lever applied in ``WATERFALL_ORDER``.
    current_total, optimized_total : float
        Horizon spend on each path; their difference is the total saving.
    saving_per_month : ndarray of shape (n_workloads,)
        Monthly saving once the workload's plan has fully landed, at the volume it starts
        at (today's, or a launch's stated volume), times its launch probability, at today's
        prices.
    migration_order : ndarray of int, shape (n_workloads,)
        1 for the workload to migrate first (largest monthly saving), 2 next, ...
    """

    shapley: dict[Lever, float]
    shapley_by_workload: FloatArray
    waterfall: list[tuple[Lever, float]]
    current_total: float
    optimized_total: float
    saving_per_month: FloatArray
    migration_order: IntArray

    @property
    def total_saving(self) -> float:
        return self.current_total - self.optimized_total

    def summary(self) -> pd.DataFrame:
        """One row per lever: Shapley saving, its share, and the waterfall step."""
        import pandas as pd

        steps = dict(self.waterfall)
        total = self.total_saving
        return pd.DataFrame({
            "lever": [str(lv) for lv in LEVERS],
            "shapley_saving": [self.shapley[lv] for lv in LEVERS],
            "shapley_share": [self.shapley[lv] / total if total else 0.0 for lv in LEVERS],
            "waterfall_saving": [steps[lv] for lv in LEVERS],
        })


def _cube_coefficients(corners: CornerCosts) -> FloatArray:
    """Coefficients of the multilinear unit cost: ``T(r, c, b) = sum d[i, j, k] r^i c^j b^k``.

    The Moebius transform of the 8 corner costs (a difference along each lever's axis);
    shape (n_workloads, 2, 2, 2).
    """
    d = corners.values.copy()
    for axis in (-3, -2, -1):
        high = [slice(None)] * d.ndim
        low = [slice(None)] * d.ndim
        high[axis], low[axis] = 1, 0
        d[tuple(high)] -= d[tuple(low)]
    return d


def coalition_unit_cost(corners: CornerCosts, moments: RampMoments,
                        moved: frozenset[Lever]) -> FloatArray:
    """Expected cost per volume unit with only the levers in ``moved`` following the plan.

    Routing and caching move with x, batch with ``x (1 - J)``; a lever not moved stays at
    today's value (0). With ``moved`` all three levers this is the projection's optimized
    unit cost; with none, today's.

    Returns
    -------
    ndarray of shape (n_months, n_workloads)
    """
    d = _cube_coefficients(corners)
    out = np.zeros(moments.x.shape[1:])
    for i in (0, 1) if Lever.ROUTING in moved else (0,):
        for j in (0, 1) if Lever.CACHING in moved else (0,):
            for k in (0, 1) if Lever.BATCH in moved else (0,):
                out = out + d[..., i, j, k] * moments.power(i + j + k, batch=k == 1)
    return out


def attribute(corners: CornerCosts, volume: FloatArray, moments: RampMoments,
              run_rate: FloatArray) -> Attribution:
    """Split the saving by lever and rank workloads.

    Parameters
    ----------
    corners : CornerCosts
        Cost per volume unit at the lever corners, for W workloads.
    volume : ndarray of shape (n_months, W)
        Expected volume per month, at the expected list-price level.
    moments : RampMoments
        Expected powers of the fraction of each plan in place.
    run_rate : ndarray of shape (W,)
        Volume per month a workload starts at (today's, or its launch volume), times its
        launch probability: the base of ``saving_per_month``.
    """
    spend = {
        frozenset(c): (volume * coalition_unit_cost(corners, moments, frozenset(c))).sum(axis=0)
        for r in range(4)
        for c in combinations(LEVERS, r)
    }
    base = spend[frozenset()]
    # Shapley value: marginal saving of each lever averaged over the 6 orders.
    orders = list(permutations(LEVERS))
    by_workload = np.zeros((volume.shape[1], len(LEVERS)))
    for order in orders:
        done: frozenset[Lever] = frozenset()
        for lever in order:
            after = done | {lever}
            by_workload[:, LEVERS.index(lever)] += spend[done] - spend[after]
            done = after
    by_workload /= len(orders)
    waterfall = []
    done = frozenset()
    for lever in WATERFALL_ORDER:
        after = done | {lever}
        waterfall.append((lever, float((spend[done] - spend[after]).sum())))
        done = after
    # Saving once the plan has fully landed, at the volume the workload starts at: a launch
    # is ranked on its launch volume, not on a later (or smaller) month's.
    start = corners.at_start()
    per_month = run_rate * (start.current - start.optimized)
    order_idx = np.argsort(-per_month, kind="stable")
    rank = np.empty(len(per_month), dtype=np.int64)
    rank[order_idx] = np.arange(1, len(per_month) + 1)
    return Attribution(
        shapley={lv: float(by_workload[:, i].sum()) for i, lv in enumerate(LEVERS)},
        shapley_by_workload=by_workload,
        waterfall=waterfall,
        current_total=float(base.sum()),
        optimized_total=float(spend[frozenset(LEVERS)].sum()),
        saving_per_month=per_month,
        migration_order=rank,
    )

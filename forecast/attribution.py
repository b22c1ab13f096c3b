"""Where the savings come from: by lever (Shapley and waterfall) and by workload.

The levers multiply (routing changes the base price, caching cuts the repeated input, batch
halves the whole rate), so a sequential waterfall depends on the order the levers are
applied in. The Shapley share of a lever is its marginal saving averaged over the 3! = 6
orders: order-free, and the shares add up to the total saving exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, permutations
from typing import TYPE_CHECKING

import numpy as np

from forecast.cost import CornerCosts, interpolate

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
        Monthly saving at today's volume once the workload's plan has fully landed.
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


def _coalition_spend(corners: CornerCosts, volume: FloatArray, ramp: FloatArray,
                     moved: frozenset[Lever]) -> FloatArray:
    """Horizon spend per workload with only the levers in ``moved`` following their ramp."""
    frac = {lv: (ramp if lv in moved else 0.0) for lv in LEVERS}
    unit = interpolate(corners, frac[Lever.ROUTING], frac[Lever.CACHING], frac[Lever.BATCH])
    return (volume * unit).sum(axis=0)


def attribute(corners: CornerCosts, volume: FloatArray, ramp: FloatArray) -> Attribution:
    """Split the saving by lever and rank workloads.

    Parameters
    ----------
    corners : CornerCosts
        Cost per volume unit at the lever corners, for W workloads.
    volume : ndarray of shape (n_months, W)
        Expected volume per month.
    ramp : ndarray of shape (n_months, W)
        Fraction of each workload's planned change in place.
    """
    spend = {
        frozenset(c): _coalition_spend(corners, volume, ramp, frozenset(c))
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
    run_rate = volume[0] if volume.shape[0] else np.zeros(volume.shape[1])
    # Saving at full landing, at the first month's volume (or base volume for launches).
    unit_saving = corners.current - corners.optimized
    first_active = np.where(volume > 0, volume, np.inf).min(axis=0)
    first_active = np.where(np.isfinite(first_active), first_active, 0.0)
    per_month = np.where(run_rate > 0, run_rate, first_active) * unit_saving
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

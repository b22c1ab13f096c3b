"""Sensitivity: which assumption moves the recommended commitment most (a tornado).

Each assumption is set to a low and a high value with everything else at the scenario's
values; the plan is re-simulated with the same seed (common random numbers, so the
difference is the assumption's effect, not noise) and re-recommended.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from forecast import limits
from forecast.contract import yearly
from forecast.pricebook import PriceBook
from forecast.recommendation import recommend
from forecast.scenario import Scenario
from forecast.simulation import simulate
from forecast.types import CacheTTL

#: Paths per sensitivity run: common random numbers keep low-vs-high differences stable at
#: this size (the 10% quantile it moves has a sampling error near 0.5% of the commitment),
#: and 13 runs stay cheap enough for the PDF export.
SENSITIVITY_PATHS = 1000

Edit = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class SensitivityRow:
    """The risk-bounded annual commitment (the largest within the buyer's appetite) with one
    assumption at its low and high value, and the recommended one beside it.

    The tornado is drawn on the risk-bounded amount because it moves continuously with the
    usage distribution; the recommended amount often sits on a tier edge and moves in steps.
    """

    assumption: str
    low_label: str
    high_label: str
    low: float
    high: float
    base: float
    recommended_low: float
    recommended_high: float
    recommended_base: float

    @property
    def swing(self) -> float:
        return abs(self.high - self.low)

    def to_dict(self) -> dict:
        return {"assumption": self.assumption, "low_label": self.low_label,
                "high_label": self.high_label, "low": self.low, "high": self.high,
                "base": self.base, "swing": self.swing,
                "measure": "risk-bounded annual commitment",
                "recommended": {"low": self.recommended_low, "high": self.recommended_high,
                                "base": self.recommended_base}}


def _each_workload(data: dict[str, Any], fn: Callable[[dict[str, Any]], None]) -> None:
    for w in data["workloads"]:
        fn(w)


def _growth(delta: float) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        def one(w: dict[str, Any]) -> None:
            w["growth"]["monthly"] = float(np.clip(w["growth"]["monthly"] + delta,
                                                   *limits.GROWTH_RANGE))
        _each_workload(data, one)
    return edit


def _volatility(factor: float) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        def one(w: dict[str, Any]) -> None:
            w["growth"]["volatility"] = min(limits.MAX_VOLATILITY,
                                            w["growth"]["volatility"] * factor)
        _each_workload(data, one)
        unc = data["uncertainty"]
        unc["shared_growth_volatility"] = min(limits.MAX_VOLATILITY,
                                              unc["shared_growth_volatility"] * factor)
    return edit


def _realization(mean: float) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        real = data["uncertainty"]["lever_realization"]
        real["mean"] = mean
        limit = float(np.sqrt(mean * (1.0 - mean)))
        real["sd"] = min(real["sd"], 0.9 * limit)
    return edit


def _slip(mean: float) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        data["uncertainty"]["slip_months"]["mean"] = min(limits.MAX_SLIP_MONTHS, mean)
    return edit


def _walk_back(p: float) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        data["uncertainty"]["walk_back_probability"] = p
    return edit


def _hit_rate(delta: float) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        def one(w: dict[str, Any]) -> None:
            opt = w.get("optimized")
            if opt is None:
                return
            ttl = opt.get("cache_ttl") or w["current"].get("cache_ttl", "none")
            if ttl == CacheTTL.NONE:
                return
            for key in ("cache_hit_rate", "batch_cache_hit_rate"):
                base = opt.get(key)
                if base is None and key == "cache_hit_rate":
                    base = w["current"].get("cache_hit_rate", 0.0)
                if base is not None:
                    opt[key] = float(np.clip(base + delta, 0.0, 1.0))
        _each_workload(data, one)
    return edit


def assumptions(scenario: Scenario) -> list[tuple[str, str, Edit, str, Edit]]:
    """The tornado's assumptions: (name, low label, low edit, high label, high edit)."""
    unc = scenario.uncertainty
    mean = unc.lever_realization.mean
    slip = unc.slip_months.mean
    wb = unc.walk_back_probability
    return [
        ("volume growth", "-1 pt/month", _growth(-0.01), "+1 pt/month", _growth(0.01)),
        ("volume volatility", "x0.5", _volatility(0.5), "x2", _volatility(2.0)),
        ("lever realization", f"mean {max(0.05, mean - 0.15):.2f}",
         _realization(max(0.05, mean - 0.15)), f"mean {min(1.0, mean + 0.15):.2f}",
         _realization(min(1.0, mean + 0.15))),
        ("landing slip", "none", _slip(0.0), f"mean {slip + 2:g} months", _slip(slip + 2.0)),
        ("walk-back probability", "0", _walk_back(0.0), f"{min(1.0, wb + 0.25):.2f}",
         _walk_back(min(1.0, wb + 0.25))),
        ("cache hit rate", "-15 pts", _hit_rate(-0.15), "+10 pts", _hit_rate(0.10)),
    ]


def _recommended(scenario: Scenario, book: PriceBook, paths: int, seed: int
                 ) -> tuple[float, float]:
    """(risk-bounded, recommended) annual commitment."""
    sim = simulate(scenario, book, n_paths=paths, seed=seed)
    c = scenario.contract
    rec = recommend(c, yearly(sim.optimized, c.years), yearly(sim.current, c.years), n_grid=2)
    return rec.risk_bounded.annual_commit, rec.recommended.annual_commit


def tornado(scenario: Scenario, book: PriceBook, paths: int = SENSITIVITY_PATHS,
            seed: int | None = None,
            progress: Callable[[int, int], None] | None = None,
            anchor: float | None = None) -> list[SensitivityRow]:
    """Risk-bounded and recommended annual commitment at each assumption's low and high.

    Rows are sorted by swing, largest first (the top bar of the tornado). With ``anchor``
    (the headline risk-bounded commitment, from more paths), the risk-bounded bars are moved
    by ``anchor - base`` so the tornado is centred on the figure the buyer sees; each bar's
    length, the effect measured with common random numbers, is unchanged.
    """
    seed = scenario.simulation.seed if seed is None else seed
    base = _recommended(scenario, book, paths, seed)
    data = scenario.model_dump(mode="json")
    rows = []
    items = assumptions(scenario)
    for i, (name, low_label, low_edit, high_label, high_edit) in enumerate(items):
        values = []
        for edit in (low_edit, high_edit):
            changed = copy.deepcopy(data)
            edit(changed)
            values.append(_recommended(Scenario.model_validate(changed), book, paths, seed))
        shift = 0.0 if anchor is None else anchor - base[0]
        rows.append(SensitivityRow(name, low_label, high_label, values[0][0] + shift,
                                   values[1][0] + shift, base[0] + shift, values[0][1],
                                   values[1][1], base[1]))
        if progress:
            progress(i + 1, len(items))
    rows.sort(key=lambda r: (r.swing, abs(r.recommended_high - r.recommended_low)),
              reverse=True)
    return rows

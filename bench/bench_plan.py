"""Benchmark: simulation plus a 200-candidate sweep, against numpy's own RNG floor.

The bundled enterprise portfolio scaled to 50 workloads (its workloads repeated under new
names), 10,000 paths, 36 months. Timed in-process next to the time numpy needs to draw the
same count of normal variates on the same machine; medians of several runs. Peak memory is
measured in a separate run with tracemalloc (numpy reports its buffers to it).

Run: ``make bench`` or ``.venv/bin/python bench/bench_plan.py [--repeats N]``.
The last line reads ``ratio_to_rng_floor: N``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecast.contract import yearly  # noqa: E402
from forecast.pricebook import load_price_book  # noqa: E402
from forecast.recommendation import recommend  # noqa: E402
from forecast.scenario import Scenario, load_scenario  # noqa: E402
from forecast.simulation import simulate  # noqa: E402

PATHS, MONTHS, WORKLOADS, CANDIDATES = 10_000, 36, 50, 200


def scaled_portfolio() -> Scenario:
    base = load_scenario(ROOT / "scenarios" / "enterprise-portfolio.yaml")
    data = base.model_dump(mode="json")
    source = data["workloads"]
    data["workloads"] = [
        {**source[i % len(source)], "name": f"{source[i % len(source)]['name']} #{i}"}
        for i in range(WORKLOADS)
    ]
    data["horizon_months"] = MONTHS
    return Scenario.model_validate(data)


def run_plan(scenario: Scenario, book) -> float:
    sim = simulate(scenario, book, n_paths=PATHS, seed=1)
    c = scenario.contract
    rec = recommend(c, yearly(sim.optimized, c.years), yearly(sim.current, c.years),
                    n_grid=CANDIDATES)
    return rec.recommended.annual_commit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    scenario = scaled_portfolio()
    book = load_price_book(scenario.price_book)
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

    tracemalloc.start()
    run_plan(scenario, book)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    plan_med, floor_med = statistics.median(plan_times), statistics.median(floor_times)
    print(f"workload: {WORKLOADS} workloads x {PATHS:,} paths x {MONTHS} months, "
          f"{CANDIDATES}-point sweep; {args.repeats} repeats")
    print(f"plan (simulate + sweep + recommend): median {plan_med:.3f} s "
          f"(min {min(plan_times):.3f}, max {max(plan_times):.3f})")
    print(f"rng floor ({n_normals:,} standard normals): median {floor_med:.3f} s "
          f"(min {min(floor_times):.3f}, max {max(floor_times):.3f})")
    floor32 = statistics.median(floor32_times)
    print(f"rng floor in float32 (the simulation draws float32): median {floor32:.3f} s; "
          f"ratio to it {plan_med / floor32:.2f}")
    print(f"peak traced memory: {peak / 2**20:,.0f} MiB (target < 2,048 MiB)")
    print(f"ratio_to_rng_floor: {plan_med / floor_med:.2f}")


if __name__ == "__main__":
    main()

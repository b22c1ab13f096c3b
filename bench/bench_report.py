"""Benchmark: export the negotiation PDF of the enterprise example at 10,000 paths.

The bundled 22-workload portfolio (``scenarios/enterprise-portfolio.yaml``), 10,000 paths,
with the sensitivity tornado (13 re-simulations at 2,000 paths). Three figures, medians of
several runs:

- the command line, cold: ``commitplan report FILE -o OUT.pdf --paths 10000`` in a fresh
  process (imports, simulation, sensitivity, charts, PDF): what a user waits for;
- in one warm process, as the app does after its first export: ``build_plan`` then
  ``render_pdf``;
- ``render_pdf`` alone (charts and layout).

Beside it, the fixed cost every export pays whatever the scenario: a fresh process that
imports what ``commitplan report`` imports and starts the chart engine, and the export of
the three-workload example (little simulation, the same pages); the difference is the
per-scenario cost.

Target: under 3 seconds. Run: ``.venv/bin/python bench/bench_report.py [--repeats N]``.
The last line reads ``export_seconds: N`` (the command line's median).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecast.plan import build_plan  # noqa: E402
from forecast.pricebook import load_price_book  # noqa: E402
from forecast.report import render_pdf  # noqa: E402
from forecast.scenario_io import load_scenario  # noqa: E402

SCENARIO = ROOT / "scenarios" / "enterprise-portfolio.yaml"
SMALL = ROOT / "scenarios" / "team-three-workloads.yaml"
PATHS = 10_000
TARGET_SECONDS = 3.0
#: What every export pays before it computes anything: the imports of the report command
#: and the chart engine's start.
FIXED = ("import forecast.cli, forecast.plan, forecast.report, forecast.charts; "
         "forecast.charts.to_svg(forecast.charts.alt.Chart(forecast.charts.alt.Data("
         "values=[{'x': 0}])).mark_point().encode(x='x:Q'))")


def cli_export(out: Path, scenario: Path = SCENARIO) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "forecast", "report", str(scenario), "-o", str(out),
                    "--paths", str(PATHS)], check=True, cwd=ROOT, capture_output=True)
    return time.perf_counter() - start


def fixed_cost() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", FIXED], check=True, cwd=ROOT, capture_output=True)
    return time.perf_counter() - start


def summary(times: list[float]) -> str:
    return (f"median {statistics.median(times):.2f} s (min {min(times):.2f}, "
            f"max {max(times):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO)
    book = load_price_book(scenario.price_book)

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.pdf"
        cli_times, small_times, fixed_times = [], [], []
        for _ in range(args.repeats):  # interleaved, so that load drifts hit all three
            cli_times.append(cli_export(out))
            small_times.append(cli_export(Path(folder) / "small.pdf", SMALL))
            fixed_times.append(fixed_cost())
        pages = len(PdfReader(out).pages)

    plan = build_plan(scenario, book, paths=PATHS)  # warm-up: imports, first chart render
    render_pdf(plan)
    warm_times, render_times = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        plan = build_plan(scenario, book, paths=PATHS)
        middle = time.perf_counter()
        render_pdf(plan)
        end = time.perf_counter()
        warm_times.append(end - start)
        render_times.append(end - middle)

    cli_median = statistics.median(cli_times)
    print(f"workload: {len(scenario.workloads)} workloads x {PATHS:,} paths x "
          f"{scenario.horizon_months} months, sensitivity on; {args.repeats} repeats; "
          f"{pages} pages")
    print(f"fixed cost (fresh process: imports and the chart engine's start): "
          f"{summary(fixed_times)}")
    print(f"commitplan report, three-workload example (fresh process): "
          f"{summary(small_times)}")
    print(f"commitplan report, enterprise example (fresh process): {summary(cli_times)}")
    print(f"per-scenario cost of the enterprise example over the fixed cost: "
          f"{statistics.median(cli_times) - statistics.median(fixed_times):.2f} s")
    print(f"build_plan + render_pdf (warm process): {summary(warm_times)}")
    print(f"render_pdf alone: {summary(render_times)}")
    verdict = "met" if cli_median < TARGET_SECONDS else "MISSED"
    print(f"target: under {TARGET_SECONDS:.0f} s: {verdict}")
    print(f"export_seconds: {cli_median:.2f}")


if __name__ == "__main__":
    main()

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

Also, fresh processes: ``commitplan plan --json`` on the enterprise example
(``plan_cli_seconds``, target 0.8 s) and ``commitplan --help`` (target 0.3 s), with the CPU
seconds beside the wall (on a loaded machine the wall waits for a core); and where the fixed
cost goes: ``python -X importtime`` of what ``commitplan report`` imports, summed per
top-level package. The load average is printed with the figures.

Target: ``report`` under 2 seconds. Run: ``.venv/bin/python bench/bench_report.py
[--repeats N]``. The last lines read ``plan_cli_seconds: N`` and ``export_seconds: N`` (the
command line's median).
"""

from __future__ import annotations

import os

# One BLAS thread, as the library sets it (forecast/__init__.py); numpy comes first here.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import resource
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
TARGET_SECONDS = 2.0
PLAN_TARGET_SECONDS, HELP_TARGET_SECONDS = 0.8, 0.3
#: What every export pays before it computes anything: the imports of the report command
#: and the chart engine's start.
FIXED = ("import forecast.cli, forecast.plan, forecast.report, forecast.charts; "
         "forecast.charts.to_svg(forecast.charts.alt.Chart(forecast.charts.alt.Data("
         "values=[{'x': 0}])).mark_point().encode(x='x:Q'))")


def timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


#: CPU seconds of each enterprise export, beside its wall time.
EXPORT_CPU: list[float] = []


def cli_export(out: Path, scenario: Path = SCENARIO) -> float:
    wall, cpu = timed([sys.executable, "-m", "forecast", "report", str(scenario), "-o",
                       str(out), "--paths", str(PATHS)])
    if scenario == SCENARIO:
        EXPORT_CPU.append(cpu)
    return wall


def import_costs(statement: str = FIXED.split(";")[0]) -> list[tuple[str, float]]:
    """Milliseconds of ``python -X importtime`` per top-level package (the self time of
    every module, summed by the first part of its name), largest first."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], check=True,
                          cwd=ROOT, capture_output=True, text=True)
    totals: dict[str, float] = {}
    for line in done.stderr.splitlines():
        parts = line.split("|")
        self_us = parts[0].rsplit(":", 1)[-1].strip() if len(parts) == 3 else ""
        if not self_us.isdigit():
            continue
        package = parts[2].strip().split(".")[0]
        totals[package] = totals.get(package, 0.0) + int(self_us) / 1000
    return sorted(totals.items(), key=lambda kv: -kv[1])


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

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    plan_cli = [timed([sys.executable, "-m", "forecast", "plan", "--json", str(SCENARIO)])
                for _ in range(args.repeats)]
    helps = [timed([sys.executable, "-m", "forecast", "--help"]) for _ in range(args.repeats)]
    costs = import_costs()
    print("where the fixed cost goes (python -X importtime of the report command's imports, "
          "ms per top-level package): " + ", ".join(f"{name} {ms:.0f}"
                                                     for name, ms in costs[:10]))
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
    print(f"commitplan report, enterprise example (fresh process): {summary(cli_times)}; "
          f"CPU median {statistics.median(EXPORT_CPU):.2f} s")
    print(f"per-scenario cost of the enterprise example over the fixed cost: "
          f"{statistics.median(cli_times) - statistics.median(fixed_times):.2f} s")
    print(f"build_plan + render_pdf (warm process): {summary(warm_times)}")
    print(f"render_pdf alone: {summary(render_times)}")
    verdict = "met" if cli_median < TARGET_SECONDS else "MISSED"
    print(f"target: under {TARGET_SECONDS:.0f} s: {verdict}")
    for name, runs, target in (("commitplan --help", helps, HELP_TARGET_SECONDS),
                               ("commitplan plan --json (enterprise example)", plan_cli,
                                PLAN_TARGET_SECONDS)):
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{name}, fresh process: median {wall:.2f} s wall, {cpu:.2f} s CPU "
              f"(target {target} s: {'met' if wall < target else 'MISSED'})")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"help_seconds: {statistics.median(w for w, _ in helps):.2f}")
    print(f"plan_cli_seconds: {statistics.median(w for w, _ in plan_cli):.2f}")
    print(f"export_seconds: {cli_median:.2f}")


if __name__ == "__main__":
    main()

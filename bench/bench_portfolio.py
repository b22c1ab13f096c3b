"""Benchmark: refresh a book of 200 generated clients on a Dask LocalCluster, 1 then 2 workers.

The book (written to a temporary folder, the same for both runs): clients of a spread of
sizes, each a subset of the bundled 22-workload portfolio (``scenarios/
enterprise-portfolio.yaml``) with 1 to 22 workloads, volumes scaled by 0.05x to 2x, a 12-,
24- or 36-month horizon and 1,000, 2,000 or 4,000 paths; one client in ten is the signed
example (``scenarios/signed-contract-tracking.yaml``) tracked against the usage fixture
(``tests/fixtures/tracking/``). No PDF (``--pdf`` adds both copies).

For each worker count: a ``LocalCluster`` of that many worker processes (one thread each) is
started and warmed (the planner imported on every worker), then the book is refreshed
(:func:`forecast.portfolio.refresh_book`) and timed. Printed: clients per second, the
speedup of 2 workers over 1, the peak resident memory of each worker (``ru_maxrss``), and
the load average before and after (the machine is shared: read the speedup against it).

Also printed: the workers' CPU seconds per client, the share of their cores the workers got
(CPU time over workers x wall time: below 100% when other work shares the machine), and the
speedup per core received (each run's rate divided by that share), which is what the
speedup would be on a quiet machine if Dask's own overhead is the only difference.

Run: ``.venv/bin/python bench/bench_portfolio.py [--clients 200] [--pdf]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecast.portfolio import RefreshOptions, read_book, refresh_book  # noqa: E402
from forecast.types import Audience  # noqa: E402


def write_book(folder: Path, n_clients: int, seed: int = 26) -> dict[str, int]:
    """Write ``n_clients`` scenarios (and usage folders for the tracked tenth) into
    ``folder``; returns how many clients have each number of workloads."""
    rng = np.random.default_rng(seed)
    base = yaml.safe_load((ROOT / "scenarios" / "enterprise-portfolio.yaml").read_text())
    signed = (ROOT / "scenarios" / "signed-contract-tracking.yaml").read_text()
    usage = sorted((ROOT / "tests" / "fixtures" / "tracking").glob("*.csv"))
    sizes: dict[str, int] = {}
    for i in range(n_clients):
        name = f"client-{i:04d}"
        if i % 10 == 9:  # one in ten: a signed contract with usage to date
            (folder / f"{name}.yaml").write_text(signed.replace("seed: 11", f"seed: {i}"))
            target = folder / "usage" / name
            target.mkdir(parents=True)
            for f in usage:
                shutil.copy(f, target / f.name)
            sizes["tracked"] = sizes.get("tracked", 0) + 1
            continue
        n_workloads = int(rng.choice([1, 2, 3, 5, 8, 13, 22]))
        picked = sorted(rng.choice(len(base["workloads"]), n_workloads, replace=False))
        scale = float(rng.choice([0.05, 0.2, 0.5, 1.0, 2.0]))
        workloads = []
        for k in picked:
            w = dict(base["workloads"][k])
            w["requests_per_month"] = max(1, round(w["requests_per_month"] * scale))
            workloads.append(w)
        scenario: dict[str, Any] = {k: v for k, v in base.items() if k != "workloads"}
        scenario.update(name=name, workloads=workloads,
                        horizon_months=int(rng.choice([12, 24, 36])),
                        simulation={"paths": int(rng.choice([1000, 2000, 4000])), "seed": i})
        scenario["contract"] = dict(base["contract"])
        scenario["contract"]["years"] = min(scenario["contract"].get("years", 1),
                                            scenario["horizon_months"] // 12)
        scenario["contract"].pop("commitments", None)
        scenario.pop("offers", None)
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
        sizes[str(n_workloads)] = sizes.get(str(n_workloads), 0) + 1
    return sizes


def _peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_seconds() -> float:
    """CPU time (user + system) this worker process has used so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _warm() -> bool:
    import forecast.plan
    import forecast.tracking  # noqa: F401

    return True


def run(book_dir: Path, out_dir: Path, workers: int, pdf: bool) -> dict[str, Any]:
    """Refresh the book on a fresh LocalCluster of ``workers`` processes."""
    import logging

    from distributed import Client, LocalCluster

    book = read_book(book_dir)
    options = RefreshOptions(str(out_dir), pdf=(Audience.INTERNAL, Audience.VENDOR) if pdf
                             else ())
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.ERROR)
    try:
        with Client(cluster) as client:
            client.run(_warm)
            cpu_before = client.run(_cpu_seconds)
            load_before = os.getloadavg()
            start = time.perf_counter()
            refresh = refresh_book(book, options, client)
            seconds = time.perf_counter() - start
            load_after = os.getloadavg()
            cpu_after = client.run(_cpu_seconds)
            peaks = sorted(client.run(_peak_rss_mib).values())
    finally:
        cluster.close()
    cpu = sum(cpu_after[w] - cpu_before[w] for w in cpu_after)
    return {"workers": workers, "seconds": seconds, "clients": len(refresh.rows),
            "cpu_per_client": cpu / len(refresh.rows), "core_share": cpu / (workers * seconds),
            "failed": refresh.failed, "rate": len(refresh.rows) / seconds, "peaks": peaks,
            "load_before": load_before, "load_after": load_after}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--pdf", action="store_true", help="write both PDF copies too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "book"
        book.mkdir()
        sizes = write_book(book, args.clients)
        print(f"book: {args.clients} clients; by workloads: "
              + ", ".join(f"{k}: {v}" for k, v in sorted(sizes.items(),
                                                         key=lambda kv: (len(kv[0]), kv[0]))))
        print(f"cores: {os.cpu_count()}")
        results = []
        for workers in (1, 2):
            r = run(book, Path(tmp) / f"out-{workers}", workers, args.pdf)
            results.append(r)
            print(f"workers {workers}: {r['clients']} clients in {r['seconds']:.1f} s, "
                  f"{r['rate']:.2f} clients/s, failed {len(r['failed'])}, peak memory per "
                  f"worker {', '.join(f'{p:.0f}' for p in r['peaks'])} MiB, CPU "
                  f"{r['cpu_per_client']:.2f} s per client, the workers got "
                  f"{r['core_share']:.0%} of their cores, load average "
                  f"{r['load_before'][0]:.2f} before, {r['load_after'][0]:.2f} after")
        one, two = results
        print(f"speedup_2_workers: {two['rate'] / one['rate']:.2f}")
        # Per core actually received: what the speedup would be had both runs had their
        # cores to themselves (the machine is shared; docs/portfolio.md).
        print(f"speedup_per_core_received: "
              f"{(two['rate'] / two['core_share']) / (one['rate'] / one['core_share']):.2f}")
        print(f"clients_per_second_2_workers: {results[1]['rate']:.2f}")


if __name__ == "__main__":
    main()

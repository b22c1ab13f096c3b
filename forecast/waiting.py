"""The waiting test: which work can leave the real-time path for the Batch API.

``interactive``: someone waits on every result, batch-eligible share 0. ``async``: nobody
waits, share 1. ``gray``: an acceptable latency and an urgent share that must stay real
time; share ``1 - urgent_share``, or 0 when the acceptable latency is under an hour (Batch
turns around within 24 h, most within an hour).
"""

from __future__ import annotations

from dataclasses import dataclass

from forecast.scenario import MIN_BATCH_LATENCY_MINUTES, Scenario, Workload
from forecast.types import Waiting


def batch_eligible_share(workload: Workload) -> float:
    """Share of a workload's requests that pass the waiting test for batch."""
    if workload.waiting == Waiting.INTERACTIVE:
        return 0.0
    if workload.waiting == Waiting.ASYNC:
        return 1.0
    latency = workload.acceptable_latency_minutes or 0.0
    if latency < MIN_BATCH_LATENCY_MINUTES:
        return 0.0
    return 1.0 - workload.urgent_share


@dataclass(frozen=True)
class WaitingResult:
    """The waiting test's verdict on one workload."""

    name: str
    waiting: Waiting
    batch_eligible_share: float
    planned_batch_share: float
    warning: str | None


def waiting_test(scenario: Scenario) -> list[WaitingResult]:
    """Classify every workload; warn where the plan batches more than is eligible."""
    out = []
    for i, w in enumerate(scenario.workloads):
        eligible = batch_eligible_share(w)
        planned = w.target.batch_share
        warning = None
        if planned > eligible + 1e-9:
            if w.waiting == Waiting.GRAY and eligible == 0.0:
                why = (f"its acceptable latency of {w.acceptable_latency_minutes:g} minutes is "
                       f"under {MIN_BATCH_LATENCY_MINUTES:g}, so nothing can wait for batch")
            else:
                why = (f"only {eligible:.0%} can wait (urgent share "
                       f"{w.urgent_share:.0%} must stay real time)")
            warning = (f"workloads[{i}] {w.name!r}: optimized batch_share {planned:.0%} exceeds "
                       f"the batch-eligible share: {why}; expect walk-back")
        out.append(WaitingResult(w.name, w.waiting, eligible, planned, warning))
    return out

"""Shared fixtures: a seeded generator, scenario builders, a clean Streamlit cache."""

from __future__ import annotations

import os

# One BLAS thread, as the library sets it (forecast/__init__.py): here numpy is imported
# before forecast, so the default must be set first.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import Phase, settings

from forecast.pricebook import load_price_book
from forecast.scenario import Scenario
from forecast.scenario_io import parse_scenario

if "mutants" in Path(__file__).resolve().parts:
    # Under `make mutation` (mutmut runs the tests from its mutants/ copy): a property test
    # that fails has killed its mutant; shrinking the example would only cost minutes.
    settings.register_profile("mutation", phases=[Phase.explicit, Phase.reuse,
                                                  Phase.generate], database=None)
    settings.load_profile("mutation")

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

BASE_WORKLOAD: dict[str, Any] = {
    "name": "W",
    "requests_per_month": 10_000,
    "tokens": {"cacheable_prefix": 0, "input": 4000, "output": 1000},
    "waiting": "async",
    "current": {"models": {"claude-sonnet-4-5": 1.0}},
}


def make_scenario(*workloads: dict[str, Any], **top: Any) -> Scenario:
    """A validated scenario from workload overrides of BASE_WORKLOAD and top-level keys."""
    ws = []
    for i, over in enumerate(workloads or ({},)):
        w = copy.deepcopy(BASE_WORKLOAD)
        w["name"] = f"W{i}"
        w.update(copy.deepcopy(over))
        ws.append(w)
    data: dict[str, Any] = {"name": "test", "horizon_months": 12, "workloads": ws}
    data.update(top)
    return parse_scenario(data)


@pytest.fixture
def book():
    return load_price_book("anthropic-2026-11")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)

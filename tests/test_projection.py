"""Deterministic projection: growth, ramps, launches and sunsets, worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.projection import project
from forecast.timeline import month_labels, ramp_fraction
from tests.conftest import make_scenario

# BASE_WORKLOAD: 10,000 requests of 4,000 in / 1,000 out on Sonnet 4.5 = $270 a month.


def test_flat_workload_costs_270_every_month(book):
    p = project(make_scenario(), book)
    np.testing.assert_allclose(p.current_total, 270.0)
    np.testing.assert_allclose(p.optimized_total, 270.0)
    assert p.months[0] == "2027-01" and p.months[-1] == "2027-12"


def test_growth_compounds_from_month_one(book):
    # 5% a month: month t costs 270 * 1.05^(t - 1); month 3 = 270 * 1.1025 = 297.675.
    p = project(make_scenario({"growth": {"monthly": 0.05}}), book)
    assert p.current_total[0] == pytest.approx(270.0)
    assert p.current_total[2] == pytest.approx(297.675)
    # Twelve months: 270 * (1.05^12 - 1) / 0.05 = 270 * 15.91713 = 4297.62
    assert p.current_total.sum() == pytest.approx(270 * (1.05**12 - 1) / 0.05)


def test_batch_ramps_in_linearly(book):
    # Lands in month 3 over 2 months: months 1-2 at $270, month 3 half batched ($202.50),
    # month 4 on fully batched ($135).
    s = make_scenario({"optimized": {"batch_share": 1.0, "lands_month": 3, "ramp_months": 2}})
    p = project(s, book)
    np.testing.assert_allclose(p.optimized_total[:5], [270, 270, 202.5, 135, 135])
    # Horizon: 2 * 270 + 202.5 + 9 * 135 = 540 + 202.5 + 1215 = 1957.5
    assert p.optimized_total.sum() == pytest.approx(1957.5)


def test_ramp_fraction_shapes():
    months = np.arange(1, 7, dtype=float)[:, None]
    frac = ramp_fraction(months, np.array([1.0, 3.0]), np.array([0.0, 3.0]))
    np.testing.assert_allclose(frac[:, 0], 1.0)  # lands at once in month 1
    np.testing.assert_allclose(frac[:, 1], [0, 0, 1 / 3, 2 / 3, 1, 1])


def test_launch_and_sunset(book):
    # Starts in month 4 with probability 0.5 and ends after month 6: expected $135 in
    # months 4-6 and nothing else.
    s = make_scenario({"starts_month": 4, "ends_month": 6, "launch_probability": 0.5})
    p = project(s, book)
    np.testing.assert_allclose(p.current_total, [0, 0, 0, 135, 135, 135] + [0] * 6)


def test_month_labels_cross_year():
    s = make_scenario(start="2027-11", horizon_months=14)
    labels = month_labels(s)
    assert labels[:3] == ["2027-11", "2027-12", "2028-01"] and labels[-1] == "2028-12"


def test_caching_below_break_even_is_reported_and_costs_more(book):
    # 1-hour cache at a 30% hit rate: 0.3 * 0.1 + 0.7 * 2 = 1.43x the plain input price on
    # the prefix (break-even is 1 / 1.9 = 52.6%). 10,000 requests x 1,000 prefix tokens:
    # 10 MTok * $3 = $30 uncached, $42.90 cached: priced as the cost it is, and warned.
    s = make_scenario({
        "tokens": {"cacheable_prefix": 1000, "input": 0, "output": 0},
        "optimized": {"cache_hit_rate": 0.3, "cache_ttl": "1h"},
    })
    p = project(s, book)
    assert p.current_total[0] == pytest.approx(30.0)
    assert p.optimized_total[0] == pytest.approx(42.9)
    assert any("break-even 52.6%" in w for w in p.warnings)


def test_bundled_examples_project(book):
    from forecast.scenario import load_scenario
    from tests.conftest import SCENARIOS

    assert len(SCENARIOS) >= 3
    for path in SCENARIOS:
        p = project(load_scenario(path), book)
        assert p.optimized.sum() < p.current.sum(), path.name

"""Savings by lever: Shapley shares and the sequential waterfall, by hand."""

from __future__ import annotations

import pytest

from forecast.projection import project
from forecast.types import Lever
from tests.conftest import make_scenario


def test_two_levers_by_hand(book):
    # 10,000 requests, 4,000 in / 1,000 out. Current: Opus 4.5 ($5/$25):
    #   40 MTok * 5 + 10 MTok * 25 = 200 + 250 = $450 a month.
    # Routing to Sonnet ($3/$15): $270. Batch alone on Opus: $225. Both: $135.
    # Marginal savings: routing first 180 then batch 135; batch first 225 then routing 90.
    # Shapley (caching moves nothing, so the 6 orders reduce to these two, 3 each):
    #   routing = (180 + 90) / 2 = 135, batch = (135 + 225) / 2 = 180; total 315 = 450 - 135.
    s = make_scenario({
        "current": {"models": {"claude-opus-4-5": 1.0}},
        "optimized": {"models": {"claude-sonnet-4-5": 1.0}, "batch_share": 1.0},
    })
    a = project(s, book).attribution
    months = 12
    assert a.shapley[Lever.ROUTING] == pytest.approx(135 * months)
    assert a.shapley[Lever.BATCH] == pytest.approx(180 * months)
    assert a.shapley[Lever.CACHING] == pytest.approx(0.0)
    # Waterfall in the stated order (routing, caching, batch): 180, 0, 135 a month.
    steps = dict(a.waterfall)
    assert steps[Lever.ROUTING] == pytest.approx(180 * months)
    assert steps[Lever.CACHING] == pytest.approx(0.0)
    assert steps[Lever.BATCH] == pytest.approx(135 * months)
    assert a.total_saving == pytest.approx(315 * months)
    assert a.saving_per_month[0] == pytest.approx(315.0)


def test_migration_order_ranks_largest_monthly_saving_first(book):
    small = {"optimized": {"batch_share": 1.0}}  # saves $135 a month
    big = {"requests_per_month": 30_000, "optimized": {"batch_share": 1.0}}  # saves $405
    none = {}  # saves nothing
    p = project(make_scenario(small, big, none), book)
    assert list(p.attribution.migration_order) == [2, 1, 3]
    assert list(p.attribution.saving_per_month) == pytest.approx([135.0, 405.0, 0.0])

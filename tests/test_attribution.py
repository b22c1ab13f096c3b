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


def test_shapley_prices_each_coalition_at_its_expected_cost(book):
    # Opus 4.5 real time to Sonnet 4.5 batched, realization Beta(mean 0.8, sd 0.1):
    # E[x] = 0.8, E[x^2] = 0.65. Unit cost with routing at r and batch at b (caching moves
    # nothing): 450 - 180 r - 225 b + 90 r b. Coalitions a month: {} 450; {routing}
    # 450 - 144 = 306; {batch} 450 - 180 = 270; both 450 - 324 + 90 * 0.65 = 184.50.
    # Shapley: routing ((450 - 306) + (270 - 184.5)) / 2 = 114.75,
    # batch ((450 - 270) + (306 - 184.5)) / 2 = 150.75; together 265.50 = 450 - 184.50.
    s = make_scenario({
        "current": {"models": {"claude-opus-4-5": 1.0}},
        "optimized": {"models": {"claude-sonnet-4-5": 1.0}, "batch_share": 1.0},
    }, uncertainty={"lever_realization": {"mean": 0.8, "sd": 0.1}})
    p = project(s, book)
    a = p.attribution
    assert a.shapley[Lever.ROUTING] == pytest.approx(114.75 * 12)
    assert a.shapley[Lever.BATCH] == pytest.approx(150.75 * 12)
    assert a.total_saving == pytest.approx(p.current.sum() - p.optimized.sum())


def test_a_launch_is_ranked_on_its_launch_volume(book):
    # Launches in month 7 on Opus 4.5 ($450 a month at 10,000 requests) to Sonnet 4.5
    # batched ($135): it saves 450 - 135 = 315 a month at its launch volume, although volume
    # then falls 10% a month (the smallest month, 12, would give 315 * 0.9^5 = 186.00).
    # Half as likely to launch: 157.50.
    launch = {"starts_month": 7, "growth": {"monthly": -0.10},
              "current": {"models": {"claude-opus-4-5": 1.0}},
              "optimized": {"models": {"claude-sonnet-4-5": 1.0}, "batch_share": 1.0}}
    a = project(make_scenario(launch), book).attribution
    assert a.saving_per_month[0] == pytest.approx(315.0)
    maybe = project(make_scenario({**launch, "launch_probability": 0.5}), book).attribution
    assert maybe.saving_per_month[0] == pytest.approx(157.5)

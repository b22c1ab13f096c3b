"""The cost model's rules, each pinned by a figure worked out by hand: the multilinear lever
interpolation at a point off every edge, the ramp polynomial, the prefix multiplier and the
caching break-even warning (docs/model.md, "Cost of one workload-month")."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.cost import (
    CornerCosts,
    caching_warnings,
    corner_costs,
    interpolate,
    prefix_multiplier,
    ramp_polynomial,
    request_cost,
)
from forecast.pricebook import load_price_book
from forecast.scenario import LeverSet, Tokens
from forecast.types import CacheTTL
from tests.conftest import make_scenario

BOOK = load_price_book("anthropic-2026-11")
SONNET = {"claude-sonnet-4-5": 1.0}  # $3 in / $15 out per MTok; cache read 0.1x, 5m write 1.25x

#: Corner costs 1, 2, 4, ..., 128: values[0, i, j, k] = 2 ** (4 i + 2 j + k), every corner
#: distinct so that swapping any two changes the interpolation.
POWERS = CornerCosts(np.array([2.0 ** (4 * i + 2 * j + k) for i in (0, 1) for j in (0, 1)
                               for k in (0, 1)]).reshape(1, 2, 2, 2))


def test_interpolation_off_every_edge_by_hand():
    # Routing x = 0.5, caching y = 0.25, batch z = 0.75: each corner weighs
    # (x or 1 - x)(y or 1 - y)(z or 1 - z). Corner values 2 ** (4 i + 2 j + k):
    #   (0,0,0) 1 * .5 * .75 * .25 = 0.09375     (0,0,1) 2 * .5 * .75 * .75 = 0.5625
    #   (0,1,0) 4 * .5 * .25 * .25 = 0.125       (0,1,1) 8 * .5 * .25 * .75 = 0.75
    #   (1,0,0) 16 * .5 * .75 * .25 = 1.5        (1,0,1) 32 * .5 * .75 * .75 = 9.0
    #   (1,1,0) 64 * .5 * .25 * .25 = 2.0        (1,1,1) 128 * .5 * .25 * .75 = 12.0
    # Sum: 0.09375 + 0.5625 + 0.125 + 0.75 + 1.5 + 9 + 2 + 12 = 26.03125.
    assert interpolate(POWERS, 0.5, 0.25, 0.75)[0] == pytest.approx(26.03125)
    # Each lever alone, the others at current: routing 0.5 -> 1 + 0.5 * (16 - 1) = 8.5;
    # caching 0.25 -> 1 + 0.25 * (4 - 1) = 1.75; batch 0.75 -> 1 + 0.75 * (2 - 1) = 1.75.
    assert interpolate(POWERS, 0.5, 0.0, 0.0)[0] == pytest.approx(8.5)
    assert interpolate(POWERS, 0.0, 0.25, 0.0)[0] == pytest.approx(1.75)
    assert interpolate(POWERS, 0.0, 0.0, 0.75)[0] == pytest.approx(1.75)
    # Arrays of fractions broadcast: shape (2, 1) for one workload.
    out = interpolate(POWERS, np.array([[0.0], [1.0]]), np.array([[0.0], [1.0]]),
                      np.array([[0.0], [1.0]]))
    np.testing.assert_allclose(out, [[1.0], [128.0]])


def test_ramp_polynomial_by_hand():
    # Routing and caching both at x, batch at z: T(x, z) = a0 + a1 x + a2 x^2
    # + z (b0 + b1 x + b2 x^2). With the corners above (k = 0: c00 1, c01 4, c10 16, c11 64;
    # k = 1: 2, 8, 32, 128):
    #   a0 = 1, a1 = 4 + 16 - 2 = 18, a2 = 1 - 4 - 16 + 64 = 45;
    #   at k = 1: 2, 8 + 32 - 4 = 36, 2 - 8 - 32 + 128 = 90; b = those minus a: 1, 18, 45.
    np.testing.assert_allclose(ramp_polynomial(POWERS)[:, 0], [1, 18, 45, 1, 18, 45])
    # At x = 0.5, z = 0.75: a = 1 + 9 + 11.25 = 21.25, b = 21.25, T = 21.25 * 1.75 = 37.1875,
    # equal to the interpolation at (0.5, 0.5, 0.75).
    a0, a1, a2, b0, b1, b2 = ramp_polynomial(POWERS)[:, 0]
    x, z = 0.5, 0.75
    t = a0 + a1 * x + a2 * x * x + z * (b0 + b1 * x + b2 * x * x)
    assert t == pytest.approx(37.1875)
    assert interpolate(POWERS, x, x, z)[0] == pytest.approx(37.1875)


def test_corner_costs_take_each_lever_from_its_own_corner():
    # Current: Sonnet, no cache, no batch. Optimized: Haiku ($1 / $5), 5m cache at hit 0.8,
    # all batched. Tokens: prefix 3,000, input 1,000, output 500 (micro-dollars below).
    # Sonnet no cache: 4,000 * 3 + 500 * 15 = 19,500. Haiku no cache: 4,000 + 2,500 = 6,500.
    # Sonnet cached: 3,000 * 3 * (0.8 * 0.1 + 0.2 * 1.25) + 3,000 + 7,500 = 2,970 + 10,500
    # = 13,470. Haiku cached: 3,000 * (0.33) + 1,000 + 2,500 = 4,490. Batch halves each.
    s = make_scenario({"tokens": {"cacheable_prefix": 3000, "input": 1000, "output": 500},
                       "optimized": {"models": {"claude-haiku-4-5": 1.0}, "batch_share": 1.0,
                                     "cache_hit_rate": 0.8, "cache_ttl": "5m"}})
    v = corner_costs(s, BOOK).values[0] * 1e6
    expected = {(0, 0, 0): 19_500, (0, 0, 1): 9_750, (0, 1, 0): 13_470, (0, 1, 1): 6_735,
                (1, 0, 0): 6_500, (1, 0, 1): 3_250, (1, 1, 0): 4_490, (1, 1, 1): 2_245}
    for (i, j, k), micro in expected.items():
        assert v[i, j, k] == pytest.approx(micro), (i, j, k)
    assert corner_costs(s, BOOK).current[0] * 1e6 == pytest.approx(19_500)
    assert corner_costs(s, BOOK).optimized[0] * 1e6 == pytest.approx(2_245)


def test_prefix_multiplier_by_hand():
    # Sonnet, 5-minute cache: h r + (1 - h) w = 0.8 * 0.1 + 0.2 * 1.25 = 0.33; one hour
    # (write 2x): 0.08 + 0.4 = 0.48; caching off: 1.
    assert prefix_multiplier(BOOK, "claude-sonnet-4-5", CacheTTL.FIVE_MINUTES, 0.8) == \
        pytest.approx(0.33)
    assert prefix_multiplier(BOOK, "claude-sonnet-4-5", CacheTTL.ONE_HOUR, 0.8) == \
        pytest.approx(0.48)
    assert prefix_multiplier(BOOK, "claude-sonnet-4-5", CacheTTL.NONE, 0.8) == 1.0


def test_a_share_of_zero_costs_nothing_and_long_prompts_pay_the_band():
    # A model at share 0 adds nothing: 1,000 input on Sonnet alone = 3,000 micro-dollars.
    tokens = Tokens(input=1000)
    levers = LeverSet(models={"claude-sonnet-4-5": 1.0, "claude-haiku-4-5": 0.0})
    assert request_cost(BOOK, tokens, levers) == pytest.approx(0.003)
    # Long-prompt share l: (1 - l) base + l band, linear in l: the cost at l = 0.5 is the
    # mean of the costs at 0 and 1, and differs from the base when the model has a band.
    model = next(m for m in BOOK.models if BOOK.has_long_prompt_band(m))
    one = LeverSet(models={model: 1.0})
    at = [request_cost(BOOK, tokens, one, long_prompt_share=x) for x in (0.0, 0.5, 1.0)]
    assert at[1] == pytest.approx(0.5 * (at[0] + at[2]))
    assert at[2] != pytest.approx(at[0])


def test_caching_warnings_name_the_lever_below_break_even():
    # Sonnet's 5-minute break-even is 0.25 / 1.15 = 21.7%: a plan at 10% is warned about,
    # one at 50% is not; a batch hit rate of 10% on a batched plan is warned about too.
    low = make_scenario({"tokens": {"cacheable_prefix": 2000, "input": 100, "output": 10},
                         "optimized": {"cache_hit_rate": 0.1, "cache_ttl": "5m"}})
    lines = caching_warnings(low, BOOK)
    assert len(lines) == 1
    assert "workloads[0] 'W0': optimized cache_hit_rate 10% is below the break-even 21.7%" \
        in lines[0]
    assert "claude-sonnet-4-5" in lines[0]
    ok = make_scenario({"tokens": {"cacheable_prefix": 2000, "input": 100, "output": 10},
                        "optimized": {"cache_hit_rate": 0.5, "cache_ttl": "5m"}})
    assert caching_warnings(ok, BOOK) == []
    batch = make_scenario({"tokens": {"cacheable_prefix": 2000, "input": 100, "output": 10},
                           "optimized": {"cache_hit_rate": 0.5, "cache_ttl": "5m",
                                         "batch_share": 1.0, "batch_cache_hit_rate": 0.1}})
    (line,) = caching_warnings(batch, BOOK)
    assert "optimized batch_cache_hit_rate 10% is below the break-even 21.7%" in line
    # Today's caching is checked too, and a plan equal to today's is not warned about twice.
    today = make_scenario({"tokens": {"cacheable_prefix": 2000, "input": 100, "output": 10},
                           "current": {"models": SONNET, "cache_hit_rate": 0.1,
                                       "cache_ttl": "5m"}})
    (line,) = caching_warnings(today, BOOK)
    assert "current cache_hit_rate 10%" in line


def test_corners_carry_long_prompts_and_us_inference_and_skip_unused_models():
    # A workload with half its traffic on long prompts and half US-only: every corner is the
    # request cost with both shares (Sonnet 4.5 has a long-prompt band; Opus 5.5 a US
    # multiplier of 1.1), not without them.
    w = {"current": {"models": {"claude-sonnet-4-5": 0.5, "claude-opus-5-5": 0.5}},
         "long_prompt_share": 0.5, "us_inference_share": 0.5}
    s = make_scenario(w)
    levers = LeverSet(models={"claude-sonnet-4-5": 0.5, "claude-opus-5-5": 0.5})
    tokens = s.workloads[0].token_counts
    both = request_cost(BOOK, tokens, levers, long_prompt_share=0.5, us_inference_share=0.5)
    got = corner_costs(s, BOOK).current[0]
    assert got == pytest.approx(both)
    assert got != pytest.approx(request_cost(BOOK, tokens, levers, us_inference_share=0.5))
    assert got != pytest.approx(request_cost(BOOK, tokens, levers, long_prompt_share=0.5))
    # A model at share 0 listed first does not end the sum: Sonnet alone, 1,000 input
    # tokens, 3,000 micro-dollars.
    first_zero = LeverSet(models={"claude-haiku-4-5": 0.0, "claude-sonnet-4-5": 1.0})
    assert request_cost(BOOK, Tokens(input=1000), first_zero) == pytest.approx(0.003)


def test_interpolation_scales_with_the_corner_differences():
    # Corners three times POWERS: batch alone at 0.75: 3 + 0.75 * (6 - 3) = 5.25.
    triple = CornerCosts(3 * POWERS.values)
    assert interpolate(triple, 0.0, 0.0, 0.75)[0] == pytest.approx(5.25)
    # The ramp polynomial's constant terms: a0 = c000 = 3 and b0 = c001 - c000 = 3.
    np.testing.assert_allclose(ramp_polynomial(triple)[:, 0], [3, 54, 135, 3, 54, 135])


def test_caching_warnings_at_the_line_and_past_unused_entries():
    prefix = {"cacheable_prefix": 2000, "input": 100, "output": 10}
    be = BOOK.break_even_hit_rate("claude-sonnet-4-5", CacheTTL.FIVE_MINUTES)  # 0.25 / 1.15
    # Exactly at break-even caching costs what it saves: not warned about.
    at = make_scenario({"tokens": prefix, "optimized": {"cache_hit_rate": be, "cache_ttl": "5m"}})
    assert caching_warnings(at, BOOK) == []
    # A batch hit rate on a plan that batches nothing is not read.
    idle = make_scenario({"tokens": prefix, "optimized": {
        "cache_hit_rate": 0.5, "cache_ttl": "5m", "batch_cache_hit_rate": 0.1}})
    assert caching_warnings(idle, BOOK) == []
    # A model at share 0 listed first does not hide the next: Sonnet at 10% is warned about,
    # and the line ends with what the planner does about it.
    mix = make_scenario({"tokens": prefix, "optimized": {
        "models": {"claude-haiku-4-5": 0.0, "claude-sonnet-4-5": 1.0},
        "cache_hit_rate": 0.1, "cache_ttl": "5m"}})
    (line,) = caching_warnings(mix, BOOK)
    assert "on claude-sonnet-4-5;" in line
    assert line.endswith("caching costs more than it saves here, so it is priced as a cost, "
                         "not a saving")

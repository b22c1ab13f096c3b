"""The cost formula against figures worked out by hand (prices from anthropic-2026-11)."""

from __future__ import annotations

import pytest

from forecast.cost import corner_costs, interpolate, request_cost
from forecast.pricebook import load_price_book
from forecast.scenario import LeverSet, Tokens
from forecast.types import CacheTTL

BOOK = load_price_book("anthropic-2026-11")
SONNET = {"claude-sonnet-4-5": 1.0}  # $3 in / $15 out per MTok


def month_cost(tokens: Tokens, levers: LeverSet, requests: float) -> float:
    return requests * request_cost(BOOK, tokens, levers)


def test_real_time_and_batch_month_by_hand():
    # 10,000 requests x 4,000 input tokens = 40 MTok x $3 = $120
    # 10,000 requests x 1,000 output tokens = 10 MTok x $15 = $150  -> $270 real time
    tokens = Tokens(input=4000, output=1000)
    assert month_cost(tokens, LeverSet(models=SONNET), 10_000) == pytest.approx(270.0)
    # Batch halves every token class: $135.
    batch = LeverSet(models=SONNET, batch_share=1.0)
    assert month_cost(tokens, batch, 10_000) == pytest.approx(135.0)
    # Half the traffic batched: 0.5 * 270 + 0.5 * 135 = 202.50
    half = LeverSet(models=SONNET, batch_share=0.5)
    assert month_cost(tokens, half, 10_000) == pytest.approx(202.5)


def test_prompt_caching_by_hand():
    # 10,000 requests with a 3,000-token prefix, 1,000 other input, 500 output, Sonnet.
    # Without caching: 40 MTok input... = (3000 + 1000) * 10k = 40 MTok * $3 = $120,
    #                  output 5 MTok * $15 = $75 -> $195.
    tokens = Tokens(cacheable_prefix=3000, input=1000, output=500)
    assert month_cost(tokens, LeverSet(models=SONNET), 10_000) == pytest.approx(195.0)
    # 5-minute cache, hit rate 0.8: prefix 30 MTok at $3 * (0.8 * 0.1 + 0.2 * 1.25) = $3 * 0.33
    # = $29.70; other input 10 MTok * $3 = $30; output $75 -> $134.70.
    cached = LeverSet(models=SONNET, cache_hit_rate=0.8, cache_ttl=CacheTTL.FIVE_MINUTES)
    assert month_cost(tokens, cached, 10_000) == pytest.approx(134.70)
    # 1-hour cache, hit rate 0.8: prefix at $3 * (0.08 + 0.2 * 2) = $3 * 0.48 -> $43.20 + 105.
    hour = LeverSet(models=SONNET, cache_hit_rate=0.8, cache_ttl=CacheTTL.ONE_HOUR)
    assert month_cost(tokens, hour, 10_000) == pytest.approx(148.20)


def test_batch_stacks_with_caching_and_batch_hit_rate():
    # All batched, 5-minute cache, batch hit rate 0.4 (real-time rate 0.8 unused):
    # prefix 30 MTok * $3 * (0.4 * 0.1 + 0.6 * 1.25) = 90 * 0.79 = $71.10
    # + other input $30 + output $75 = $176.10, halved by batch = $88.05.
    tokens = Tokens(cacheable_prefix=3000, input=1000, output=500)
    levers = LeverSet(models=SONNET, batch_share=1.0, cache_hit_rate=0.8,
                      batch_cache_hit_rate=0.4, cache_ttl=CacheTTL.FIVE_MINUTES)
    assert month_cost(tokens, levers, 10_000) == pytest.approx(88.05)


def test_routing_mix_and_tokenizer_factor():
    # 70% Haiku 4.5 ($1/$5), 30% Opus 4.7 ($5/$25, tokenizer 1.3x).
    # Per request, 1,000 input + 100 output:
    #   Haiku: 1000 * 1 + 100 * 5 = 1,500 micro-dollars
    #   Opus 4.7: 1.3 * (1000 * 5 + 100 * 25) = 1.3 * 7,500 = 9,750
    #   mix: 0.7 * 1500 + 0.3 * 9750 = 1,050 + 2,925 = 3,975 -> $0.003975 per request.
    tokens = Tokens(input=1000, output=100)
    levers = LeverSet(models={"claude-haiku-4-5": 0.7, "claude-opus-4-7": 0.3})
    assert request_cost(BOOK, tokens, levers) == pytest.approx(0.003975)
    # Counted on Opus 4.7's tokenizer, the same request on Opus 4.7 scales by 1.3/1.3 = 1
    # and on Haiku by 1/1.3: 0.7 * 1500 / 1.3 + 0.3 * 7500 = 807.69 + 2250 = 3057.69.
    counted = Tokens(input=1000, output=100, counted_on="claude-opus-4-7")
    assert request_cost(BOOK, counted, levers) == pytest.approx((1050 / 1.3 + 2250) / 1e6)


def test_model_specific_cache_read_price():
    # Opus 5.5 reads its cache at 0.05x of $4: a fully-hit 1 MTok prefix costs
    # 1e6 * 4 * (1.0 * 0.05) / 1e6 = $0.20 per request of 1M prefix tokens.
    tokens = Tokens(cacheable_prefix=1_000_000)
    levers = LeverSet(models={"claude-opus-5-5": 1.0}, cache_hit_rate=1.0, cache_ttl="5m")
    # tokenizer factor 1.3 applies (reference tokenizer counted the prefix): 0.20 * 1.3
    assert request_cost(BOOK, tokens, levers) == pytest.approx(0.26)


def test_break_even_hit_rate_closed_form():
    # Caching pays when h * r + (1 - h) * w < 1, i.e. h > (w - 1) / (w - r).
    assert BOOK.break_even_hit_rate("claude-sonnet-4-5", CacheTTL.FIVE_MINUTES) == \
        pytest.approx(0.25 / 1.15)
    assert BOOK.break_even_hit_rate("claude-sonnet-4-5", CacheTTL.ONE_HOUR) == \
        pytest.approx(1.0 / 1.9)
    # At exactly break-even the prefix costs what it would uncached.
    h = 0.25 / 1.15
    tokens = Tokens(cacheable_prefix=1000)
    on = LeverSet(models=SONNET, cache_hit_rate=h, cache_ttl="5m")
    off = LeverSet(models=SONNET)
    assert request_cost(BOOK, tokens, on) == pytest.approx(request_cost(BOOK, tokens, off))


def test_interpolation_hits_corners_and_midpoint_of_one_lever():
    from tests.conftest import make_scenario

    s = make_scenario({"optimized": {"batch_share": 1.0}})
    corners = corner_costs(s, BOOK)
    # Per request: 4000 * 3 + 1000 * 15 = 27,000 micro-dollars = $0.027; batched $0.0135.
    assert interpolate(corners, 0.0, 0.0, 0.0)[0] == pytest.approx(0.027)
    assert interpolate(corners, 1.0, 1.0, 1.0)[0] == pytest.approx(0.0135)
    # Half-way through the batch ramp: batch share 0.5 -> (0.027 + 0.0135) / 2.
    assert interpolate(corners, 1.0, 1.0, 0.5)[0] == pytest.approx(0.02025)

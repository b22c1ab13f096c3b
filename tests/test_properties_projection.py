"""Invariants of the cost model and the scenario file, checked with hypothesis."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.cost import request_cost
from forecast.pricebook import load_price_book
from forecast.projection import project
from forecast.scenario import LeverSet, Tokens
from forecast.scenario_io import dump_scenario, read_scenario_text
from tests.conftest import make_scenario

BOOK = load_price_book("anthropic-2026-11")
MODELS = ["claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-7"]
share = st.floats(0.0, 1.0)
# Token counts are 0 or at least a millionth: tinier ones make costs in the subnormal range,
# where a float keeps fewer than 16 digits and no relative tolerance means anything.
def _count(top: float) -> st.SearchStrategy[float]:
    return st.one_of(st.just(0.0), st.floats(1e-6, top))


tokens_st = st.builds(Tokens, cacheable_prefix=_count(50_000), input=_count(50_000),
                      output=_count(10_000))


@st.composite
def lever_sets(draw):
    weights = draw(st.lists(st.floats(0.01, 1.0), min_size=len(MODELS), max_size=len(MODELS)))
    total = sum(weights)
    models = {m: w / total for m, w in zip(MODELS, weights, strict=True)}
    ttl = draw(st.sampled_from(["none", "5m", "1h"]))
    hit = 0.0 if ttl == "none" else draw(share)
    return LeverSet(models=models, batch_share=draw(share), cache_hit_rate=hit, cache_ttl=ttl)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(tokens=tokens_st, levers=lever_sets(), volume=st.floats(1, 1e7),
       factor=st.floats(0.1, 10))
def test_cost_is_linear_in_volume(tokens, levers, volume, factor):
    # month cost = R * request cost: scaling the scenario's requests_per_month by k scales
    # every projected month by k, through the projection (volume growth, the 8 corners and
    # their interpolation), on both paths.
    def projected(requests: float):
        s = make_scenario({"requests_per_month": requests, "tokens": tokens.model_dump(),
                           "current": levers.model_dump(),
                           "optimized": {"batch_share": 0.0, "lands_month": 3},
                           "growth": {"monthly": 0.01}})
        return project(s, BOOK)

    a, b = projected(volume), projected(factor * volume)
    np.testing.assert_allclose(b.current, factor * a.current, rtol=1e-12)
    np.testing.assert_allclose(b.optimized, factor * a.optimized, rtol=1e-12)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(tokens=tokens_st, levers=lever_sets(), more=share)
def test_more_batch_never_costs_more(tokens, levers, more):
    higher = min(1.0, levers.batch_share + more)
    bigger = levers.model_copy(update={"batch_share": higher})
    assert request_cost(BOOK, tokens, bigger) <= request_cost(BOOK, tokens, levers) + 1e-15


@settings(max_examples=60, deadline=None, derandomize=True)
@given(cur=lever_sets(), opt=lever_sets(), lands=st.integers(1, 12), ramp=st.integers(0, 6),
       growth=st.floats(-0.05, 0.1))
def test_shapley_shares_sum_to_total_saving(cur, opt, lands, ramp, growth):
    optimized = opt.model_dump() | {"lands_month": lands, "ramp_months": ramp}
    s = make_scenario({
        "tokens": {"cacheable_prefix": 2000, "input": 1000, "output": 300},
        "current": cur.model_dump(), "optimized": optimized, "growth": {"monthly": growth},
    })
    p = project(s, BOOK)
    a = p.attribution
    saving = p.current.sum() - p.optimized.sum()
    assert sum(a.shapley.values()) == pytest.approx(saving, rel=1e-9, abs=1e-6)
    assert sum(v for _, v in a.waterfall) == pytest.approx(saving, rel=1e-9, abs=1e-6)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(cur=lever_sets(), opt=lever_sets(), lands=st.integers(1, 12), ramp=st.integers(0, 6),
       mean=st.floats(0.3, 1.0), sd_share=st.floats(0.0, 0.8), slip=st.floats(0.0, 4.0),
       walk_back=share, cut=share, growth_sd=st.floats(0.0, 0.03))
def test_shapley_adds_up_to_the_projected_saving_under_uncertainty(
        cur, opt, lands, ramp, mean, sd_share, slip, walk_back, cut, growth_sd):
    # The projection is the simulation's mean (slip, realization moments, walk-back, price
    # cuts, growth fit): the Shapley shares and the waterfall still add up to its saving.
    optimized = opt.model_dump() | {"lands_month": lands, "ramp_months": ramp}
    sd = sd_share * (mean * (1 - mean)) ** 0.5
    s = make_scenario({
        "tokens": {"cacheable_prefix": 2000, "input": 1000, "output": 300},
        "waiting": "gray", "acceptable_latency_minutes": 120,
        "current": cur.model_dump(), "optimized": optimized,
        "growth": {"monthly": 0.01, "monthly_sd": growth_sd},
    }, uncertainty={"lever_realization": {"mean": mean, "sd": sd},
                    "slip_months": {"mean": slip}, "walk_back_probability": walk_back,
                    "price_cuts": {"annual_probability": cut}})
    p = project(s, BOOK)
    a = p.attribution
    saving = p.current.sum() - p.optimized.sum()
    assert sum(a.shapley.values()) == pytest.approx(saving, rel=1e-9, abs=1e-6)
    assert sum(v for _, v in a.waterfall) == pytest.approx(saving, rel=1e-9, abs=1e-6)


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                max_size=30).filter(lambda s: s.strip() == s and s)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(name=names, levers=lever_sets(), requests=st.floats(0, 1e8),
       fmt=st.sampled_from(["yaml", "json"]))
def test_save_then_load_gives_the_same_scenario(name, levers, requests, fmt):
    s = make_scenario({"name": name, "requests_per_month": requests,
                       "current": levers.model_dump()}, name=name)
    assert read_scenario_text(dump_scenario(s, fmt)) == s

"""The tornado: every bar evaluated on the base's draws, equal to simulating the variant."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.contract import yearly
from forecast.recommendation import recommend
from forecast.scenario_io import load_scenario
from forecast.sensitivity import assumptions, tornado
from forecast.simulation import simulate, simulate_variants
from tests.conftest import ROOT, make_scenario

ENTERPRISE = ROOT / "scenarios" / "enterprise-portfolio.yaml"


def test_each_bar_is_the_variant_simulated_with_the_same_seed(book):
    # Reusing the base's draws changes nothing but the cost: every variant evaluated on them
    # gives the same bytes as simulating the variant from scratch with the same seed (each
    # effect draws from its own stream, so a variant's draws are the base's where they
    # apply), and the bar's value is the recommendation on that simulation.
    s = load_scenario(ENTERPRISE)
    variants = [s] + [vary(s) for item in assumptions(s, price_cuts=True)
                      for vary in (item.low, item.high)]
    for variant, reused in zip(variants, simulate_variants(variants, book, 300, 7),
                               strict=True):
        fresh = simulate(variant, book, 300, 7)
        for field in ("current", "planned", "optimized", "reverted", "price_level"):
            assert getattr(reused, field).tobytes() == getattr(fresh, field).tobytes()
    rows = {r.assumption: r for r in tornado(s, book, paths=300, seed=7)}
    growth = next(a for a in assumptions(s) if a.name == "volume growth")
    sim = simulate(growth.low(s), book, 300, 7)
    c = s.contract
    rec = recommend(c, yearly(sim.optimized, c.years), yearly(sim.current, c.years), n_grid=2)
    assert rows["volume growth"].low == rec.risk_bounded.annual_commit


def test_price_cut_row_when_the_scenario_has_cuts(book):
    # Without cuts the tornado has its six rows; with cuts (or on request) a seventh, from no
    # cuts to the annual probability raised by 0.3. Cuts lower the spend a commitment is
    # sized on, so the risk-bounded commitment is lower at the high end.
    plain = make_scenario({"growth": {"monthly": 0.02, "volatility": 0.05}},
                          {"optimized": {"batch_share": 1.0}}, horizon_months=24,
                          contract={"years": 2})
    assert len(tornado(plain, book, paths=200, seed=1)) == 6
    rows = tornado(plain, book, paths=200, seed=1, price_cuts=True)
    cut = next(r for r in rows if r.assumption == "list-price cuts")
    assert (cut.low_label, cut.high_label) == ("none", "30% a year")
    assert cut.high < cut.low == cut.base
    with_cuts = plain.model_copy(update={"uncertainty": plain.uncertainty.model_copy(
        update={"price_cuts": plain.uncertainty.price_cuts.model_copy(
            update={"annual_probability": 0.2})})})
    labels = {r.assumption: r.high_label for r in tornado(with_cuts, book, paths=200, seed=1)}
    assert labels["list-price cuts"] == "50% a year"


def test_an_assumption_that_changes_nothing_has_no_bar(book):
    # No gray workload: the walk-back probability moves nothing, to the cent, because the
    # low, high and base runs share every draw.
    s = make_scenario({"growth": {"monthly": 0.01, "volatility": 0.08},
                       "optimized": {"batch_share": 1.0}}, horizon_months=24,
                      contract={"years": 2})
    rows = {r.assumption: r for r in tornado(s, book, paths=300, seed=3)}
    walk = rows["walk-back probability"]
    assert walk.low == walk.high == walk.base
    assert walk.swing == 0.0


def test_without_an_anchor_each_bar_is_centred_on_the_base_simulation(book):
    # No anchor: every row's base is the risk-bounded commitment recommended on the base
    # scenario simulated alone (same paths, same seed), not moved.
    s = load_scenario(ENTERPRISE)
    sim = simulate(s, book, 200, 2)
    c = s.contract
    rec = recommend(c, yearly(sim.optimized, c.years), yearly(sim.current, c.years), n_grid=2)
    rows = tornado(s, book, paths=200, seed=2, anchor=None)
    assert rows and all(r.base == rec.risk_bounded.annual_commit for r in rows)
    assert all(r.recommended_base == rec.recommended.annual_commit for r in rows)


def test_anchor_moves_the_bars_not_their_length(book):
    # With an anchor A every risk-bounded figure moves by A - base: the base lands on A to
    # the cent, each bar keeps its length (high - low), the recommended figures stay.
    s = load_scenario(ENTERPRISE)
    anchor = 5_000_000.0
    free = {r.assumption: r for r in tornado(s, book, paths=200, seed=2)}
    rows = tornado(s, book, paths=200, seed=2, anchor=anchor)
    assert {r.assumption for r in rows} == set(free)
    for r in rows:
        f = free[r.assumption]
        shift = anchor - f.base
        assert r.base == pytest.approx(anchor, abs=0.005)
        np.testing.assert_allclose([r.low, r.high], [f.low + shift, f.high + shift])
        assert r.high - r.low == pytest.approx(f.high - f.low, abs=0.01)
        assert (r.recommended_low, r.recommended_high, r.recommended_base) == \
            (f.recommended_low, f.recommended_high, f.recommended_base)

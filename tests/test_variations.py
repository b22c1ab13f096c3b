"""Scenario variations: each typed function by hand, and the app's standard variants."""

from __future__ import annotations

import copy
import math

import pytest

from forecast.scenario import scenario_to_dict
from forecast.scenario_io import load_scenario, parse_scenario
from forecast.variations import (
    STANDARD_VARIANTS,
    aggressive_batch,
    conservative,
    walked_back,
    with_growth_shift,
    with_hit_rate_shift,
    with_price_cut_probability,
    with_realization_mean,
    with_slip_mean,
    with_volatility_scaled,
    with_walk_back_probability,
)
from tests.conftest import SCENARIOS, make_scenario

CACHED = {"tokens": {"cacheable_prefix": 2000, "input": 500, "output": 100},
          "optimized": {"cache_hit_rate": 0.6, "batch_cache_hit_rate": 0.95, "cache_ttl": "5m"}}


def test_growth_and_volatility():
    s = make_scenario({"growth": {"monthly": 0.03, "volatility": 0.04}},
                      {"growth": {"monthly": -0.495, "volatility": 0.1}},
                      uncertainty={"shared_growth_volatility": 0.02})
    up = with_growth_shift(0.01)(s)
    assert [w.growth.monthly for w in up.workloads] == pytest.approx([0.04, -0.485])
    down = with_growth_shift(-0.01)(s)  # -0.505 is floored at -50% a month
    assert [w.growth.monthly for w in down.workloads] == pytest.approx([0.02, -0.5])
    wide = with_volatility_scaled(2.0)(s)
    assert [w.growth.volatility for w in wide.workloads] == pytest.approx([0.08, 0.2])
    assert wide.uncertainty.shared_growth_volatility == pytest.approx(0.04)
    # The argument is left as it was.
    assert s.workloads[0].growth.monthly == 0.03 and s.uncertainty.shared_growth_volatility == 0.02


def test_realization_keeps_its_sd_where_a_beta_allows_it():
    s = make_scenario(uncertainty={"lever_realization": {"mean": 0.85, "sd": 0.1}})
    # Mean 0.70: the limit sqrt(0.7 * 0.3) = 0.458 leaves sd 0.1 as it was.
    low = with_realization_mean(0.70)(s).uncertainty.lever_realization
    assert (low.mean, low.sd) == (0.70, 0.1)
    # Mean 0.99: limit sqrt(0.99 * 0.01) = 0.0995; sd is cut to 90% of it, 0.08955.
    high = with_realization_mean(0.99)(s).uncertainty.lever_realization
    assert high.sd == pytest.approx(0.9 * math.sqrt(0.99 * 0.01))
    # Mean 1: no spread is possible.
    assert with_realization_mean(1.0)(s).uncertainty.lever_realization.sd == 0.0


def test_slip_walk_back_and_price_cuts():
    s = make_scenario(uncertainty={"slip_months": {"mean": 1.5},
                                   "price_cuts": {"size": {"mean": 0.3, "sd": 0.05}}})
    assert with_slip_mean(3.5)(s).uncertainty.slip_months.mean == 3.5
    assert with_walk_back_probability(0.4)(s).uncertainty.walk_back_probability == 0.4
    cuts = with_price_cut_probability(0.3)(s).uncertainty.price_cuts
    assert cuts.annual_probability == 0.3 and (cuts.size.mean, cuts.size.sd) == (0.3, 0.05)


def test_hit_rate_shift_moves_only_plans_that_cache():
    # Real-time hit rate 0.6 and batch 0.95: +0.10 gives 0.70 and 1.00 (capped); -0.15 gives
    # 0.45 and 0.80. A workload with no caching in its plan is left alone.
    s = make_scenario(CACHED, {"optimized": {"batch_share": 1.0}})
    up = with_hit_rate_shift(0.10)(s)
    assert up.workloads[0].target.cache_hit_rate == pytest.approx(0.70)
    assert up.workloads[0].target.batch_cache_hit_rate == pytest.approx(1.0)
    assert up.workloads[1] == s.workloads[1]
    down = with_hit_rate_shift(-0.15)(s).workloads[0].target
    assert (down.cache_hit_rate, down.batch_cache_hit_rate) == pytest.approx((0.45, 0.80))


def test_standard_variants_by_hand():
    gray = {"waiting": "gray", "acceptable_latency_minutes": 120, "urgent_share": 0.25,
            "optimized": {"batch_share": 0.5}}
    s = make_scenario(gray, {"waiting": "interactive"},
                      uncertainty={"lever_realization": {"mean": 0.85, "sd": 0.1},
                                   "slip_months": {"mean": 1.0}})
    # Conservative: realization 0.85 - 0.15 = 0.70, slip 1 + 2 = 3 months.
    c = conservative(s).uncertainty
    assert (c.lever_realization.mean, c.slip_months.mean) == pytest.approx((0.70, 3.0))
    # Aggressive batch: the gray workload batches its eligible 1 - 0.25 = 75%; the
    # interactive one nothing (it gets a plan with batch share 0).
    a = aggressive_batch(s)
    assert [w.target.batch_share for w in a.workloads] == [0.75, 0.0]
    # Walked back: the gray workload's batch share returns to today's (0).
    assert walked_back(s).workloads[0].target.batch_share == 0.0
    assert set(STANDARD_VARIANTS) == {"conservative", "aggressive batch", "walk-back"}
    assert all(v.why for v in STANDARD_VARIANTS.values())


def expected_variant(name: str, data: dict) -> dict:
    """The standard variant built by hand on the scenario's data, from its one-line rule.

    conservative: realization mean 15 points lower (sd kept under 90% of sqrt(m (1 - m))),
    slip mean 2 months longer; aggressive batch: every workload's optimized batch share is
    its eligible share (interactive 0, async 1, gray 1 - urgent share when it can wait an
    hour, else 0); walk-back: each gray workload's optimized batch share back to today's.
    """
    d = copy.deepcopy(data)
    unc = d["uncertainty"]
    if name == "conservative":
        real = unc["lever_realization"]
        real["mean"] = max(0.05, real["mean"] - 0.15)
        real["sd"] = min(real["sd"], 0.9 * math.sqrt(real["mean"] * (1 - real["mean"])))
        unc["slip_months"]["mean"] = min(24, unc["slip_months"]["mean"] + 2)
    for w in d["workloads"]:
        if name == "aggressive batch":
            waiting = w.get("waiting")
            gray_ok = waiting == "gray" and (w.get("acceptable_latency_minutes") or 0) >= 60
            share = 1.0 if waiting == "async" else \
                round(1.0 - w.get("urgent_share", 0.0), 9) if gray_ok else 0.0
            w["optimized"] = {**(w.get("optimized") or {}), "batch_share": share}
        if name == "walk-back" and w.get("waiting") == "gray" and w.get("optimized"):
            w["optimized"]["batch_share"] = w.get("current", {}).get("batch_share", 0.0)
    return d


def test_expected_variants_by_hand_on_the_enterprise_example():
    # The hand-built expectation itself, on figures read off the enterprise example:
    # realization 0.85 - 0.15 = 0.70, sd 0.1 kept (0.9 * sqrt(0.7 * 0.3) = 0.412 > 0.1),
    # slip 1.5 + 2 = 3.5; the PR review bot (gray, 120 min, urgent 0.3) batches 1 - 0.3 =
    # 0.7; fraud alerts (gray, 15 min) nothing; walk-back returns it to today's 0.
    data = scenario_to_dict(load_scenario(SCENARIOS[0]))
    assert data["name"] and "enterprise" in SCENARIOS[0].name
    con = expected_variant("conservative", data)["uncertainty"]
    assert (con["lever_realization"]["mean"], con["lever_realization"]["sd"],
            con["slip_months"]["mean"]) == pytest.approx((0.70, 0.1, 3.5))
    by_name = {w["name"]: w for w in expected_variant("aggressive batch", data)["workloads"]}
    assert by_name["PR review bot"]["optimized"]["batch_share"] == pytest.approx(0.7)
    assert by_name["Fraud alert explanations"]["optimized"]["batch_share"] == 0.0
    back = {w["name"]: w for w in expected_variant("walk-back", data)["workloads"]}
    assert back["PR review bot"]["optimized"]["batch_share"] == 0.0


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_standard_variants_equal_the_apps(path):
    # The app's variants (ui/edits.py, dict edits) and these typed functions each give the
    # scenario built by hand from the variant's rule (expected_variant), on every bundled
    # example; on the enterprise example every variant changes the scenario.
    from ui import edits

    s = load_scenario(path)
    data = scenario_to_dict(s)
    for name, (edit, _why) in edits.STANDARD_VARIANTS.items():
        expected = parse_scenario(expected_variant(name, data))
        assert STANDARD_VARIANTS[name].vary(s) == expected, name
        assert parse_scenario(edit(data)) == expected, name
        if "enterprise" in path.name:
            assert expected != s, name

"""The plan end to end: flags, the CLI's JSON document, bad contract input."""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from forecast.errors import PlannerError, ScenarioError
from forecast.plan import build_plan, display_grid
from forecast.pricebook import load_price_book
from forecast.projection import project
from forecast.scenario_io import load_scenario
from forecast.types import CommitmentKind, FlagKind, FlagLevel, Risk
from tests.conftest import ROOT, SCENARIOS, make_scenario
from tests.inprocess import commitplan

BOOK = load_price_book("anthropic-2026-11")


def stranding(result) -> FlagLevel:
    """The level of a commitment's stranding risk alone (green when it is not a reason)."""
    return next((r.level for r in result.reasons if r.risk == Risk.STRANDING), FlagLevel.GREEN)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_sized_on_the_unoptimized_forecast_strands_red_on_bundled_examples(path):
    # Every bundled example saves 50%+ on its optimized path.
    s = load_scenario(path)
    plan = build_plan(s, BOOK, paths=2000, sensitivity=False)
    p = plan.projection.attribution
    assert p.total_saving / p.current_total >= 0.3
    unoptimized = plan.recommendation.unoptimized
    assert stranding(unoptimized) == FlagLevel.RED and unoptimized.flag == FlagLevel.RED
    flags = {(f.kind, f.commitment): f for f in plan.flags}
    flag = flags[(FlagKind.STRANDED_SAVINGS, CommitmentKind.UNOPTIMIZED_FORECAST)]
    assert flag.level == FlagLevel.RED


@settings(max_examples=25, deadline=None, derandomize=True)
@given(saving=st.floats(0.3, 0.9), volatility=st.floats(0.0, 0.15),
       lands=st.integers(1, 6), ramp=st.integers(0, 4), growth=st.floats(-0.01, 0.05))
def test_sized_on_current_path_is_red_whenever_optimized_saves_30_percent(
        saving, volatility, lands, ramp, growth):
    # Only the batch lever moves: batch share b saves 0.5 b of the cost, so b = 2 * saving
    # (up to 1) gives the wanted saving once landed; routing to Haiku adds the rest above 50%.
    models = {"claude-sonnet-4-5": 1.0}
    batch = min(1.0, 2 * saving)
    if saving > 0.5:
        # Haiku is 1/3 of Sonnet's price: (1 - s_h) + s_h / 3 = 2 (1 - saving)
        share = min(1.0, 1.5 * (1 - 2 * (1 - saving)))
        models = {"claude-haiku-4-5": share, "claude-sonnet-4-5": 1 - share}
        if share == 1.0:
            models = {"claude-haiku-4-5": 1.0}
    s = make_scenario(
        {"requests_per_month": 2_000_000, "growth": {"monthly": growth,
                                                      "volatility": volatility},
         "optimized": {"models": models, "batch_share": batch, "lands_month": lands,
                       "ramp_months": ramp}},
        horizon_months=24, contract={"years": 2, "discount_tiers": [
            {"min_annual_commit": 100_000, "discount": 0.05}]})
    # Ramps and late landings eat part of the saving over the term: only draws that still
    # save 30% over the horizon are claims about this property.
    a = project(s, BOOK).attribution
    assume(a.total_saving / a.current_total >= 0.3)
    plan = build_plan(s, BOOK, paths=500, seed=1, sensitivity=False)
    assert stranding(plan.recommendation.unoptimized) == FlagLevel.RED


def test_zero_commitment_strands_nothing_and_named_commitment_is_evaluated():
    s = load_scenario(ROOT / "scenarios" / "nightly-enrichment.yaml")
    plan = build_plan(s, BOOK, paths=1000, commits=[0.0, 2_000_000], sensitivity=False)
    kinds = [c.kind for c in plan.named]
    assert kinds == [CommitmentKind.SCENARIO, CommitmentKind.NAMED, CommitmentKind.NAMED]
    assert list(plan.named[0].per_year) == [900_000, 1_100_000, 1_300_000]
    assert plan.named[1].stranded_savings == 0.0


@pytest.mark.parametrize(
    ("contract", "message"),
    [
        ({"years": 1, "discount_tiers": [{"min_annual_commit": 5, "discount": 0.1},
                                         {"min_annual_commit": 2, "discount": 0.2}]},
         r"contract\.discount_tiers\[1\]\.min_annual_commit: is 2, not above"),
        ({"years": 1, "discount_tiers": [{"min_annual_commit": 5, "discount": 1.0}]},
         r"contract\.discount_tiers\[0\]\.discount: is 1\.0; input should be less than 1"),
        ({"years": 1, "discount_tiers": [{"min_annual_commit": 5, "discount": -0.1}]},
         r"contract\.discount_tiers\[0\]\.discount: is -0\.1"),
        ({"years": 1, "commitments": [1, 2]}, r"contract\.commitments: ramp has 2 years, "
                                              r"longer than the 1-year term"),
        ({"years": 1, "stranded_thresholds": {"amber": 0.5, "red": 0.2}},
         r"contract\.stranded_thresholds\.amber: is 0\.5, above red"),
    ],
)
def test_bad_contract_input_names_the_field(contract, message):
    with pytest.raises(ScenarioError, match=message):
        make_scenario(contract=contract)


def test_zero_paths_is_refused():
    with pytest.raises(ScenarioError, match=r"simulation\.paths: is 0"):
        make_scenario(simulation={"paths": 0, "seed": 1})
    with pytest.raises(PlannerError, match=r"--paths: is 0"):
        build_plan(make_scenario(), BOOK, paths=0)


def test_display_grid_is_round():
    assert list(display_grid(1_000_000, n=5)) == [0, 200_000, 400_000, 600_000, 800_000,
                                                   1_000_000]


def run(*args: str):
    return commitplan(*args)


def test_plan_json_document_and_determinism():
    path = str(ROOT / "scenarios" / "team-three-workloads.yaml")
    args = ("plan", path, "--paths", "2000", "--seed", "5", "--commit", "300,000", "--json")
    first, second = run(*args), run(*args)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout  # same seed, same bytes
    doc = json.loads(first.stdout)
    for key in ("risk_neutral", "risk_bounded"):
        rec = doc["recommendation"][key]
        assert {"annual_commit", "discount", "expected_cost", "shortfall_probability"} <= set(rec)
    need = {"annual_commit", "discount", "expected_cost", "cost_p10", "cost_p50", "cost_p90",
            "shortfall_probability", "expected_unused", "expected_overage", "stranded_savings",
            "stranded_share", "flag"}
    assert all(need <= set(c) for c in doc["candidates"])
    assert any(c["kind"] == "named" and c["annual_commit"] == 300_000
               for c in doc["candidates"])
    assert all({"kind", "level", "amount", "message"} <= set(f) for f in doc["flags"])
    assert len(doc["sensitivity"]) == 6
    assert doc["paths"] == 2000 and doc["seed"] == 5


def test_plan_bad_flags_exit_2():
    path = str(ROOT / "scenarios" / "team-three-workloads.yaml")
    for args in (("--paths", "0"), ("--commit", "lots"), ("--seed", "-3")):
        result = run("plan", path, *args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr


def test_no_plan_strands_nothing():
    # No workload has an optimized path: both paths are the same spend, so gross savings are
    # zero and no commitment can strand any (float32 rounding must not read as savings).
    s = make_scenario({"growth": {"monthly": 0.02, "volatility": 0.1}}, {},
                      horizon_months=24,
                      contract={"years": 2, "commitments": 150_000, "discount_tiers": [
                          {"min_annual_commit": 100_000, "discount": 0.05}]})
    plan = build_plan(s, BOOK, paths=500, seed=2, sensitivity=False)
    for c in plan.candidates:
        assert c.stranded_savings == 0.0 and stranding(c) == FlagLevel.GREEN, c.label


def test_costlier_optimized_path_strands_nothing():
    # Routing Haiku -> Sonnet triples the price: the "saving" is negative, nothing strands.
    s = make_scenario({"current": {"models": {"claude-haiku-4-5": 1.0}},
                       "optimized": {"models": {"claude-sonnet-4-5": 1.0}}},
                      contract={"years": 1, "commitments": 3_000})
    plan = build_plan(s, BOOK, paths=200, seed=1, sensitivity=False)
    named = plan.named[0]
    assert named.gross_savings < 0 and stranding(named) == FlagLevel.GREEN
    assert named.stranded_share == 0.0


def test_landing_note_counts_a_zero_ramp_as_landing_in_its_month():
    from forecast.plan import _landing_note

    s = make_scenario({"optimized": {"batch_share": 1.0, "lands_month": 3, "ramp_months": 0}})
    assert "fully in place by month 3" in _landing_note(s)
    s2 = make_scenario({"optimized": {"batch_share": 1.0, "lands_month": 2, "ramp_months": 0}})
    assert "fully in place by month 2" in _landing_note(s2)


def test_commit_flag_reads_suffixes_and_ramps():
    path = str(ROOT / "scenarios" / "nightly-enrichment.yaml")
    result = run("plan", path, "--paths", "500", "--no-sensitivity", "--json",
                 "--commit", "1.2M", "400k/600k/900k")
    assert result.returncode == 0, result.stderr
    named = [c for c in json.loads(result.stdout)["candidates"] if c["kind"] == "named"]
    assert sorted(c["per_year"] for c in named) == [[400_000, 600_000, 900_000],
                                                   [1_200_000] * 3]
    bad = run("plan", path, "--commit", "1/2")  # a 2-year ramp for a 3-year term
    assert bad.returncode == 2 and "ramp of 2 years for a 3-year term" in bad.stderr

"""Each sentence issue 20 found wrong, built and read: every one is derived from the figures
it describes (docs/model.md, "One decision")."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
from pypdf import PdfReader

from forecast import narrative
from forecast.commitment import evaluate_commitment
from forecast.contract import YearlyUsage
from forecast.negotiation import WalkAway
from forecast.plan import _not_options, build_plan
from forecast.scenario import Contract
from forecast.types import WalkAwayBound
from tests.conftest import ROOT, make_scenario
from tests.inprocess import run_cli


def test_target_is_the_decision_when_the_named_commitment_does_not_beat_pay_as_you_go(book):
    # The contract names $5M a year, far above the usage (~$0.6M a year at list): it does
    # not beat pay as you go. Under the same terms the 10% tier from $100k does. Old text:
    # "Target: none: no offer beats paying as you go" beside a recommendation that beats it.
    s = make_scenario({"requests_per_month": 2_000_000}, horizon_months=24,
                      contract={"years": 1, "commitments": 5_000_000, "discount_tiers": [
                          {"min_annual_commit": 100_000, "discount": 0.1}]},
                      offers=[{"name": "Vendor", "discount": 0.05,
                               "commitments": 4_000_000}])
    plan = build_plan(s, book, paths=200, seed=2, sensitivity=False)
    d = plan.decision
    assert d.signs and d.per_year[0] < 5_000_000
    assert d.saving_vs_payg > 0
    target = dict(narrative.position_items(plan))["Target"][0]
    assert not target.startswith("none")
    assert narrative.formatting.usd(d.per_year[0]) in target


def ramp_plan(per_year: list[float]) -> SimpleNamespace:
    """A stand-in plan whose advised ramp is ``per_year`` (three years of usage spread
    evenly, 10% from $100k)."""
    contract = Contract.model_validate({"years": 3, "discount_tiers": [
        {"min_annual_commit": 100_000, "discount": 0.1}]})
    usage = np.linspace(200_000, 400_000, 101)[:, None].repeat(3, axis=1)
    yu = YearlyUsage.of(usage, usage)
    ramp = evaluate_commitment(contract, yu, per_year)
    flat = evaluate_commitment(contract, yu, 150_000)
    rec = SimpleNamespace(ramp_advised=True, ramp=ramp, recommended=flat, ramp_gain=1_000.0,
                          appetite=0.1)
    return SimpleNamespace(recommendation=rec, scenario=SimpleNamespace(contract=contract))


def test_the_ramp_sentence_reads_its_shape_from_the_amounts():
    # Old text: "usage grows over the term, so ask for it" under $268,938 / $0 / $0.
    front = narrative.ramp_note(ramp_plan([268_938, 0, 0]))
    assert "front-loaded" in front and "grows" not in front
    back = narrative.ramp_note(ramp_plan([150_000, 200_000, 250_000]))
    assert "back-loaded" in back and "grows over the term" in back
    assert narrative.ramp_shape([100.0, 300.0, 200.0]) == "uneven"
    assert narrative.ramp_shape([5.0, 5.0, 5.0]) == "flat"


def test_a_walk_away_that_does_not_exist_says_so():
    # Old text: "Walk away: ... Vendor: none", read as "no limit".
    w = WalkAway("Vendor", 0.0, 1.0, 0.0, WalkAwayBound.NONE)
    for sentence in (narrative.walk_away_text(w), narrative.walk_away_short(w)):
        assert sentence == "Vendor: no commitment under this offer beats pay as you go"


def test_the_no_discount_range_reads_the_first_tier_that_pays():
    # Old text: "Commitments above $0 and below $0 a year earn no discount" for a first tier
    # at $0 that gives nothing.
    s = make_scenario({}, contract={"years": 1, "discount_tiers": [
        {"min_annual_commit": 0, "discount": 0.0},
        {"min_annual_commit": 100_000, "discount": 0.1}]})
    assert _not_options(s, [50_000.0]) == (
        "Commitments above $0 and below $100,000 a year earn no discount: they are pay as "
        "you go plus shortfall risk, so they are not options.")
    s = make_scenario({}, contract={"years": 1, "discount_tiers": [
        {"min_annual_commit": 0, "discount": 0.05}]})
    assert _not_options(s, [50_000.0]) == ""


def test_no_ramp_with_a_zero_year_is_proposed(book):
    # Old: the vendor copy proposed "$0 / $0 / $500,000". A ramp with a $0 year is signing
    # later, which "when to sign" prices; the decision never signs one.
    scenario_path = ROOT / "scenarios" / "nightly-enrichment.yaml"
    from forecast.cli.common import _load

    s, b = _load(str(scenario_path))
    plan = build_plan(s, b, paths=300, seed=7, sensitivity=False)
    assert plan.recommendation.ramp.per_year.min() == 0  # the ramp the old text proposed
    d = plan.decision
    assert not d.signs or bool(np.all(d.per_year > 0))


def test_a_signed_contracts_report_with_usage_is_a_tracking_report(tmp_path: Path):
    # Old: it opened with "RECOMMENDED COMMITMENT" and the walk-away.
    out = tmp_path / "report.pdf"
    result = run_cli("report", str(ROOT / "scenarios" / "signed-contract-tracking.yaml"),
                     "--usage", str(ROOT / "tests" / "fixtures" / "tracking"
                                    / "console-usage-2026-12-to-2027-05.csv"),
                     "-o", str(out), "--paths", "300", "--no-sensitivity")
    assert result.code == 0, result.stderr
    pages = [p.extract_text() for p in PdfReader(out).pages]
    assert "Tracking report" in pages[0]
    assert "Tracking the commitment: as of 2027-04" in pages[0]
    text = " ".join(pages).lower()
    for advice in ("recommended commitment", "walk away", "the decision", "our proposal"):
        assert advice not in text, advice


def test_the_tornado_draws_the_recommended_commitment_or_says_it_holds():
    import json

    from forecast.charts import tornado_chart, tornado_moves_recommended
    from forecast.sensitivity import SensitivityRow

    moving = [SensitivityRow("growth", "-1", "+1", 90.0, 110.0, 100.0, 80.0, 120.0, 100.0)]
    holding = [SensitivityRow("growth", "-1", "+1", 90.0, 110.0, 100.0, 100.0, 100.0, 100.0)]
    assert tornado_moves_recommended(moving) and not tornado_moves_recommended(holding)

    def drawn(rows: list) -> tuple[str, list]:
        bars = json.loads(tornado_chart(rows).to_json())["layer"][0]
        data = bars["data"]["values"]
        title = bars["encoding"]["x"]["title"]
        return title, [(d["left"], d["right"]) for d in data]

    # It moves: the bar spans the recommended commitment at low and high, 80 to 120.
    assert drawn(moving) == ("Recommended annual commitment ($ per year)", [(80.0, 120.0)])
    # It holds: the risk-bounded one is drawn, 90 to 110, and titled so.
    assert drawn(holding) == ("Risk-bounded annual commitment ($ per year)", [(90.0, 110.0)])

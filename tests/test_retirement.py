"""Retirement in the forecast: a workload on a model that retires inside the horizon is
priced on its successor from the retirement month (docs/model.md, "Retirements").

The scenario: 1,000,000 requests a month of 1,000 input and 200 output tokens, no caching,
no batch, no growth, no volatility, on Sonnet 4.5 (tokenizer 1.0), priced with
anthropic-2026-12 from 2026-10 for 36 months.

- Sonnet 4.5: 1,000 x $3 + 200 x $15 = $6,000 per million requests: $6,000 a month.
- It retires on 2026-11-30, so from 2026-12 (the first month that begins on or after that
  day) it runs on Claude Sonnet 5.5, whose tokenizer counts 1.3x the tokens:
  1.3 x (1,000 x $2 + 200 x $10) = 1.3 x $4,000 = $5,200 a month: -13.3%.
"""

from __future__ import annotations

import numpy as np
import pytest

from forecast.errors import ScenarioError
from forecast.plan import build_plan
from forecast.pricebook import load_price_book
from forecast.projection import project
from forecast.scenario_io import parse_scenario
from forecast.simulation import simulate
from forecast.types import FlagKind

BOOK = load_price_book("anthropic-2026-12")


def _scenario(start: str = "2026-10", optimized: dict | None = None,
              workloads_current: dict | None = None, **extra):
    data = {
        "name": "retiring", "price_book": "anthropic-2026-12", "start": start,
        "horizon_months": 36, "simulation": {"paths": 200, "seed": 3},
        "workloads": [{
            "name": "chat", "requests_per_month": 1_000_000,
            "tokens": {"cacheable_prefix": 0, "input": 1000, "output": 200},
            "waiting": "interactive",
            "current": {"models": workloads_current or {"claude-sonnet-4-5": 1.0},
                        "batch_share": 0.0,
                        "cache_hit_rate": 0.0},
            **({"optimized": optimized} if optimized else {}),
            "growth": {"monthly": 0.0, "volatility": 0.0}}],
        "uncertainty": {"shared_growth_volatility": 0.0},
        "contract": {"years": 3, "commitments": [0, 0, 0], "discount_tiers": []},
        **extra,
    }
    return parse_scenario(data)


def test_a_sonnet_4_5_workload_moves_to_its_successor_from_2026_12():
    proj = project(_scenario(), BOOK)
    assert proj.months[:3] == ["2026-10", "2026-11", "2026-12"]
    spend = proj.current[:, 0]
    assert spend[:2] == pytest.approx([6_000.0, 6_000.0], rel=1e-12)
    assert spend[2:] == pytest.approx(np.full(34, 5_200.0), rel=1e-12)
    # the 2027 months are all on Sonnet 5.5
    assert proj.current[proj.months.index("2027-06"), 0] == pytest.approx(5_200.0)
    warning = next(w for w in proj.warnings if "retires" in w)
    assert "claude-sonnet-4-5, which retires on 2026-11-30" in warning
    assert "claude-sonnet-5-5 from 2026-12" in warning
    assert "-13.3%" in warning  # 5,200 / 6,000 - 1


def test_a_2027_projection_is_priced_on_the_successor_throughout():
    proj = project(_scenario(start="2027-01"), BOOK)
    assert proj.current[:, 0] == pytest.approx(np.full(36, 5_200.0), rel=1e-12)
    assert any("from 2027-01" in w for w in proj.warnings)


def test_the_simulation_agrees_with_the_projection_month_by_month():
    # No volatility and no uncertainty: every path is the projection.
    scenario = _scenario()
    sim = simulate(scenario, BOOK, n_paths=50)
    proj = project(scenario, BOOK)
    assert sim.current.mean(axis=0) == pytest.approx(proj.current.sum(axis=1), rel=1e-6)


def test_the_warning_is_a_flag_of_the_plan_every_face_shows():
    plan = build_plan(_scenario(), BOOK, paths=200, sensitivity=False, negotiation=False)
    flags = [f for f in plan.flags if f.kind == FlagKind.MODEL_RETIRES]
    assert len(flags) == 1 and "from 2026-12" in flags[0].message
    assert any("retires" in w for w in plan.to_dict()["warnings"])


def test_optimized_models_on_a_retired_model_is_refused_naming_the_successor():
    target = {"models": {"claude-sonnet-4-5": 1.0}}
    with pytest.raises(ScenarioError) as err:
        _scenario(start="2027-01", optimized=target,
                  workloads_current={"claude-haiku-4-5": 1.0})
    text = str(err.value)
    assert "workloads[0].optimized.models" in text
    assert "'claude-sonnet-4-5' retires on 2026-11-30" in text
    assert "successor 'claude-sonnet-5-5'" in text
    # before its retirement a plan may still name it (it is then moved with a warning), and
    # a plan that keeps today's traffic on it is moved by the forecast, not refused
    assert _scenario(start="2026-10", optimized=target,
                     workloads_current={"claude-haiku-4-5": 1.0}).workloads[0].target.models
    kept = _scenario(start="2027-01", optimized=target)
    assert any("retires" in w for w in project(kept, BOOK).warnings)


def test_a_book_without_retirements_leaves_the_cost_unchanged():
    old = load_price_book("anthropic-2026-11")
    data = _scenario()
    proj = project(data, old)
    assert proj.current[:, 0] == pytest.approx(np.full(36, 6_000.0), rel=1e-12)
    assert not any("retires" in w for w in proj.warnings)


def test_the_command_line_plan_shows_the_move(tmp_path):
    import yaml

    from forecast.scenario import scenario_to_dict
    from tests.inprocess import run_cli

    path = tmp_path / "retiring.yaml"
    path.write_text(yaml.safe_dump(scenario_to_dict(_scenario())))
    run = run_cli("plan", str(path), "--paths", "50", "--no-sensitivity")
    assert run.code == 0, run.stderr
    text = " ".join(run.stdout.split())
    assert "claude-sonnet-4-5, which retires on 2026-11-30" in text
    assert "claude-sonnet-5-5 from 2026-12" in text


def test_tracking_prices_the_as_of_months_plan_on_the_models_serving_it():
    """The signed example on anthropic-2026-12: Sonnet 4.5 (retired 2026-11-30) runs on
    Sonnet 5.5 from 2027-01, Opus 4.5 (retiring 2027-01-22) on Opus 5.5 from 2027-02. The
    plan's list spend of the as-of month changes by the unit cost's ratio (batch and volume
    are the same on both books; neither workload caches):
    - PR review, 14,000 input and 1,200 output tokens: Sonnet 4.5 14,000 x 3 + 1,200 x 15 =
      60,000; Sonnet 5.5 1.3 x (14,000 x 2 + 1,200 x 10) = 52,000: x 52 / 60;
    - Nightly enrichment, 5,200 and 300: Opus 4.5 5,200 x 5 + 300 x 25 = 33,500; Opus 5.5
      1.3 x (5,200 x 4 + 300 x 20) = 34,840: x 34,840 / 33,500."""
    from forecast.scenario_io import load_scenario
    from forecast.tracking import track_usage
    from tests.conftest import ROOT

    example = ROOT / "scenarios" / "signed-contract-tracking.yaml"
    usage = ROOT / "tests" / "fixtures" / "tracking" / "console-usage-2026-12-to-2027-05.csv"
    files = [(usage.name, usage.read_bytes())]
    old = load_scenario(example)
    new = old.model_copy(update={"price_book": "anthropic-2026-12"})
    before = track_usage(old, load_price_book("anthropic-2026-11"), files, paths=50)
    after = track_usage(new, BOOK, files, paths=50)
    planned = {w.name: (b.planned.list_spend, w.planned.list_spend)
               for b, w in zip(before.workloads, after.workloads, strict=True)}
    old_pr, new_pr = planned["PR review"]
    assert new_pr == pytest.approx(old_pr * 52_000 / 60_000, rel=1e-9)
    old_night, new_night = planned["Nightly enrichment"]
    assert new_night == pytest.approx(old_night * 34_840 / 33_500, rel=1e-9)

"""The backtest: a flat history worked by hand, the bundled twelve-month history and the JSON
the command prints (calibration on histories drawn from known parameters:
tests/test_calibration.py)."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

from forecast.backtest import backtest, default_contract, rolling_backtest
from forecast.errors import ImportUsageError
from forecast.usage import price_history
from tests.conftest import ROOT
from tests.inprocess import commitplan

HISTORY = sorted((ROOT / "tests" / "fixtures" / "usage" / "history").glob("*.json"))
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "usage"))

CSV_HEADER = ("date,model,workspace,api_key,service_tier,input_tokens_uncached,"
              "cache_write_5m_tokens,cache_write_1h_tokens,cache_read_tokens,output_tokens\n")


@pytest.fixture(scope="module")
def flat():
    # $10.00 a day of Sonnet 4.5 uncached input ($3 / MTok), every day of 2026.
    days = pd.date_range("2026-01-01", "2026-12-31", freq="D")
    rows = "".join(f"{d:%Y-%m-%d},claude-sonnet-4-5,ws,k,standard,{10 / 3 * 1e6:.4f},0,0,0,0\n"
                   for d in days)
    return price_history([("flat.csv", CSV_HEADER + rows)])


def test_a_flat_history_is_forecast_exactly_and_the_commitment_worked_by_hand(flat):
    # Fitted on January to June: no growth, no volatility, so every path is $10 a day and
    # each forecast month is $10 times its days: July $310, ..., December $310.
    b = backtest(flat, train_months=6, paths=200)
    assert [m.month for m in b.months] == [f"2026-{m:02d}" for m in range(7, 13)]
    days = [31, 31, 30, 31, 30, 31]
    for m, d in zip(b.months, days, strict=True):
        assert m.actual == pytest.approx(10.0 * d, abs=1e-6)
        assert (m.p10, m.p50, m.p90) == pytest.approx((10.0 * d,) * 3, rel=1e-6)  # float32
    assert b.coverage_p10_p90 == 1.0 and b.median_abs_pct_error < 1e-6
    # Commitment (10% off any commitment, overage at list): the simulated year after June,
    # July 2026 to June 2027, is 365 days = $3,650 on every path; the expected cost
    # C + max(0, L - C / 0.9) is lowest at C = 0.9 * 3,650 = $3,285.
    c = b.commitment
    assert c.recommended == pytest.approx(3_285.0, abs=0.01)
    # Actual July to December: 184 days = $1,840, $3,680 at a yearly rate. Recommended:
    # 3,285 + (3,680 - 3,285 / 0.9) = $3,315 a year, $1,657.50 over the six months. Best in
    # hindsight: C = 0.9 * 3,680 = $3,312, costing $3,312, $1,656.00 over six months.
    assert c.recommended_cost == pytest.approx(1_657.50, abs=0.01)
    assert c.hindsight_best == pytest.approx(3_312.0) and c.hindsight_cost == \
        pytest.approx(1_656.0)
    assert c.extra_cost == pytest.approx(1.50, abs=0.01)


def test_window_errors_name_the_history(flat):
    with pytest.raises(ImportUsageError, match="--train-months 12: the history has 12 months"):
        backtest(flat, train_months=12)
    with pytest.raises(ImportUsageError, match="--horizon 7: after 6 training months the "
                                               "history has 6 months left"):
        backtest(flat, train_months=6, horizon=7)


def test_rolling_backtest_forecasts_from_every_origin(flat):
    r = rolling_backtest(flat, horizon=2, min_train=9, paths=200)
    # Origins after 9, 10 and 11 months: 2 + 2 + 1 months forecast.
    assert [b.origin for b in r.origins] == ["2026-09", "2026-10", "2026-11"]
    assert [len(b.months) for b in r.origins] == [2, 2, 1]
    assert r.coverage_p10_p90 == 1.0
    # Flat: every path is the actual, so each origin's total (2, 2 and 1 months) is inside,
    # and both horizons are held; the second by the two origins that reach it.
    assert [b.total.months for b in r.origins] == [2, 2, 1]
    assert r.coverage_p10_p90_yearly == 1.0 and r.coverage_by_horizon == [1.0, 1.0]
    doc = r.to_dict()
    assert doc["coverage_p10_p90_monthly"] == 1.0 and doc["coverage_p10_p90_yearly"] == 1.0


def test_the_bundled_history_backtest_json(tmp_path):
    result = commitplan("backtest", *map(str, HISTORY), "--train-months", "6", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["train_months"] == 6
    assert [m["month"] for m in doc["months"]] == [f"2026-{m:02d}" for m in range(5, 11)]
    assert set(doc["months"][0]) >= {"month", "actual", "p10", "p50", "p90"}
    assert set(doc["commitment"]) >= {"recommended", "hindsight_best", "extra_cost"}
    assert 0.0 <= doc["coverage_p10_p90"] <= 1.0 and doc["median_abs_pct_error"] >= 0
    inside = [m["p10"] <= m["actual"] <= m["p90"] for m in doc["months"]]
    assert doc["coverage_p10_p90"] == pytest.approx(np.mean(inside))
    assert doc["coverage_p10_p90_monthly"] == doc["coverage_p10_p90"]
    # The year's total: the six forecast months (fewer than twelve), actual their sum.
    year = doc["year_total"]
    assert year["months"] == 6
    assert year["actual"] == pytest.approx(sum(m["actual"] for m in doc["months"]))
    assert doc["coverage_p10_p90_yearly"] == float(year["p10"] <= year["actual"] <= year["p90"])
    # What was simulated is what the scenario holds: six months fitted, 6 - 2 = 4 degrees of
    # freedom for each path's volatility.
    simulated = doc["simulated"]["workloads"]
    assert simulated and all(w["growth"]["fit_months"] == 6 for w in simulated)
    # The actuals are the history's monthly totals (no price change inside it).
    imported = commitplan("import", *map(str, HISTORY), "--report").stdout
    may = next(line for line in imported.splitlines() if line.startswith("2026-05"))
    assert f"${doc['months'][0]['actual']:,.2f}" == may.split()[-1]


def test_contract_comes_from_a_scenario(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\nworkloads:\n  - {name: w, requests_per_month: 1, "
                        "tokens: {input: 1}, waiting: async, current: {models: "
                        "{claude-sonnet-4-5: 1.0}}}\ncontract:\n  years: 2\n  discount_tiers: "
                        "[{min_annual_commit: 50000, discount: 0.15}]\n  overage: list\n")
    result = commitplan("backtest", *map(str, HISTORY), "--train-months", "9", "--contract",
                        str(scenario))
    assert result.returncode == 0, result.stderr
    assert "15% from $50,000, overage at list" in result.stdout
    assert "10% from $0" in default_contract_text()


def default_contract_text() -> str:
    from forecast.backtest import _describe

    return _describe(default_contract())

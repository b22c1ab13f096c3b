"""History priced with the entry in force on each day; a change mid-month splits the month.

Sonnet 5.5 ($2 / $10; cache reads 0.1x = $0.20 / MTok before 2026-10-07, 0.05x = $0.10
from it), 10M cache reads a day.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from forecast.usage import import_usage

CSV_HEADER = ("date,model,workspace,api_key,service_tier,input_tokens_uncached,"
              "cache_write_5m_tokens,cache_write_1h_tokens,cache_read_tokens,output_tokens\n")


def cents(value: float) -> float:
    return round(float(value), 2)


def test_daily_history_across_the_cut_is_priced_at_both_read_rates():
    # August 31 days * $2.00 = $62.00; September 30 * $2.00 = $60.00; October: 6 days at
    # $2.00 (the 1st to the 6th) and 25 at $1.00 (from the 7th) = $37.00.
    days = pd.date_range("2026-08-01", "2026-10-31", freq="D")
    rows = "".join(f"{d:%Y-%m-%d},Claude Sonnet 5.5,ws,k,standard,0,0,0,10000000,0\n"
                   for d in days)
    imported = import_usage([("reads.csv", CSV_HEADER + rows)])
    assert imported.monthly_cost()["total"].map(cents).to_list() == [62.00, 60.00, 37.00]
    # The forecast prices at the latest entry ($1.00 a day) whatever the history paid, and
    # the growth is fitted at those constant prices: flat per day, no growth.
    g = imported.groups[0]
    assert [cents(v) for v in g.monthly_cost_latest] == [31.00, 30.00, 31.00]
    assert g.growth_monthly == pytest.approx(0.0, abs=1e-12)
    assert g.month1_expected == pytest.approx(1.00 * 365.2425 / 12)


def test_a_month_wide_bucket_is_split_pro_rata_at_the_change():
    # One bucket for all of October with 310M reads: 6/31 of it at $0.20 and 25/31 at $0.10:
    # 310 * (6/31 * 0.20 + 25/31 * 0.10) = 12 + 25 = $37.00, as by day.
    def bucket(month: str, end: str, reads: int) -> dict:
        return {"starting_at": f"{month}-01T00:00:00Z", "ending_at": f"{end}-01T00:00:00Z",
                "results": [{"model": "claude-sonnet-5-5", "service_tier": "standard",
                             "workspace_id": "ws", "uncached_input_tokens": 0,
                             "cache_creation": {"ephemeral_5m_input_tokens": 0,
                                                "ephemeral_1h_input_tokens": 0},
                             "cache_read_input_tokens": reads, "output_tokens": 0}]}
    page = {"data": [bucket("2026-08", "2026-09", 310_000_000),
                     bucket("2026-09", "2026-10", 300_000_000),
                     bucket("2026-10", "2026-11", 310_000_000)]}
    imported = import_usage([("months.json", json.dumps(page))])
    assert imported.monthly_cost()["total"].map(cents).to_list() == [62.00, 60.00, 37.00]

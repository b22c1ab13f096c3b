"""Usage import: readers, monthly roll-up, list pricing, growth fit, scenario, command line.

Prices from anthropic-2026-11: Sonnet 4.5 $3 / $15 per MTok, Haiku 4.5 $1 / $5, Opus 4.5
$5 / $25, Opus 4.7 $5 / $25 with a 1.3 tokenizer factor; cache writes 1.25x (5 minutes) and
2x (1 hour) the input price, reads 0.1x; batch half price. The fixtures' figures are listed in
tests/fixtures/usage/README.md.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from forecast import limits
from forecast.errors import ImportUsageError
from forecast.projection import project
from forecast.scenario_io import read_scenario_text
from forecast.usage import (
    AVERAGE_MONTH_DAYS,
    MonthUse,
    fit_growth,
    import_usage,
    merge_records,
    read_usage,
)
from tests.conftest import ROOT
from tests.inprocess import commitplan

FIXTURES = ROOT / "tests" / "fixtures" / "usage"
PAGES = sorted(FIXTURES.glob("admin-*.json"))
CONSOLE_CSV = FIXTURES / "console-usage.csv"
BAD = sorted((FIXTURES / "bad").iterdir())
CSV_HEADER = ("date,model,workspace,api_key,service_tier,input_tokens_uncached,"
              "cache_write_5m_tokens,cache_write_1h_tokens,cache_read_tokens,output_tokens\n")


def files(*paths: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in paths]


def cents(value: float) -> float:
    return round(float(value), 2)


@pytest.fixture(scope="module")
def pages():
    """The four Admin API pages, grouped by workspace."""
    return import_usage(files(*PAGES))


@pytest.fixture(scope="module")
def console():
    """The Console CSV, grouped by workspace."""
    return import_usage(files(CONSOLE_CSV))


def month_page(usage: dict[str, list[dict]]) -> str:
    """A page with one bucket per calendar month (``YYYY-MM`` -> results)."""
    data = []
    for month, results in usage.items():
        year, m = (int(p) for p in month.split("-"))
        end = f"{year + m // 12:04d}-{m % 12 + 1:02d}"
        data.append({"starting_at": f"{month}-01T00:00:00Z", "ending_at": f"{end}-01T00:00:00Z",
                     "results": results})
    return json.dumps({"data": data, "has_more": False, "next_page": None})


def result(model="claude-sonnet-4-5", tier="standard", workspace="w", uncached=0, w5=0,
           w1=0, read=0, output=0, **extra) -> dict:
    return {"uncached_input_tokens": uncached,
            "cache_creation": {"ephemeral_5m_input_tokens": w5, "ephemeral_1h_input_tokens": w1},
            "cache_read_input_tokens": read, "output_tokens": output, "model": model,
            "service_tier": tier, "workspace_id": workspace, "api_key_id": None, **extra}


# --------------------------------------------------------------------------- Admin API JSON
def test_json_pages_merge_and_roll_up_to_months(pages):
    cost = pages.monthly_cost()
    # January, daily buckets:
    #   chat, Sonnet: 10M uncached * $3 + 2M 5m writes * $3.75 + 30M reads * $0.30
    #                 + 1M output * $15 = 30 + 7.50 + 9 + 15 = $61.50
    #   nightly, Haiku batch: (20M * $1 + 4M * $5) * 0.5 = $20
    #   no workspace (Default workspace), 2026-01-31: 1M * $3 = $3, in both the January and
    #   the February page: counted once.
    assert cost.loc["2026-01"].map(cents).to_dict() == {
        "wrkspc_chat": 61.50, "wrkspc_nightly": 20.00, "Default workspace": 3.00,
        "total": 84.50}
    # February, daily buckets plus the 24 hourly buckets of 2026-02-14:
    #   chat: 33 + 7.50 + 9.90 + 16.50 = $66.90, + 1M uncached at 09:00 = $3 -> $69.90
    #   nightly: (22M * $1 + 4.4M * $5) * 0.5 = $22, + 0.2M output at 15:00 batch = $0.50
    assert cost.loc["2026-02"].map(cents).to_dict() == {
        "wrkspc_chat": 69.90, "wrkspc_nightly": 22.50, "Default workspace": 0.0,
        "total": 92.40}
    # March: chat 36 + 7.50 + 10.80 + 18 = $72.30;
    #   nightly batch (24 + 24) * 0.5 = $24 and standard 4M * $1 + 0.8M * $5 = $8 -> $32
    assert cost.loc["2026-03"].map(cents).to_dict() == {
        "wrkspc_chat": 72.30, "wrkspc_nightly": 32.00, "Default workspace": 0.0,
        "total": 104.30}
    # Tokens by class: chat's February uncached input is 11M (daily) + 1M (hourly).
    feb_chat = pages.usage.query("month == '2026-02' and group == 'wrkspc_chat'")
    assert feb_chat["uncached_input"].sum() == 12_000_000
    # 2026-01-30 and 2026-01-31 are in both the January and February pages; the one usage
    # line among them (2026-01-31, $3) counts once.
    assert pages.duplicates == 1
    assert [s.buckets for s in pages.sources] == [31, 24, 29, 31]  # Jan, Feb 14 hourly, Feb, Mar


def test_total_reconciles_with_the_price_book_to_the_cent(pages):
    # 84.50 + 92.40 + 104.30 = $281.20 over the three months.
    assert cents(pages.usage["list_cost"].sum()) == 281.20
    assert pages.usage.groupby("month")["list_cost"].sum().map(cents).to_list() == [
        84.50, 92.40, 104.30]


def test_duplicate_usage_line_keeps_the_copy_with_more_tokens():
    # A bucket exported while the month was in progress (1M tokens) and again later (3M,
    # plus a model first used after the early export).
    early = month_page({"2026-01": [result(uncached=1_000_000)]})
    late = month_page({"2026-01": [result(uncached=3_000_000),
                                   result(model="claude-haiku-4-5", output=10)]})
    merged, dropped = merge_records([read_usage("early.json", early),
                                     read_usage("late.json", late)])
    assert dropped == 1
    assert merged.rows["uncached_input"].sum() == 3_000_000
    assert merged.rows["output"].sum() == 10


def test_files_split_by_workspace_add_up():
    # The same buckets exported once per workspace (a workspace filter): different usage
    # lines, so nothing is a duplicate: 1M + 2M.
    a = month_page({"2026-01": [result(workspace="a", uncached=1_000_000)]})
    b = month_page({"2026-01": [result(workspace="b", uncached=2_000_000)]})
    merged, dropped = merge_records([read_usage("a.json", a), read_usage("b.json", b)])
    assert dropped == 0
    assert merged.rows["uncached_input"].sum() == 3_000_000


def test_overlapping_buckets_of_different_widths_are_refused():
    daily = json.dumps({"data": [{"starting_at": "2026-02-14T00:00:00Z",
                                  "ending_at": "2026-02-15T00:00:00Z", "results": []}]})
    parts = [read_usage("daily.json", daily),
             read_usage("hourly.json", (FIXTURES / "admin-2026-02-14-hourly.json").read_text())]
    with pytest.raises(ImportUsageError, match=r"daily.json: data\[0\] \(starting_at "
                       r"2026-02-14T00:00:00Z\) overlaps hourly.json: data\[0\].*count that "
                       "usage twice"):
        merge_records(parts)


def test_minute_buckets_are_read_and_cover_their_minutes():
    from forecast.usage.months import month_coverage

    buckets = [{"starting_at": f"2026-03-01T10:{m:02d}:00Z",
                "ending_at": f"2026-03-01T10:{m + 1:02d}:00Z" if m < 59 else
                "2026-03-01T11:00:00Z",
                "results": [result(uncached=1000)]} for m in range(60)]
    records = read_usage("minutes.json", json.dumps({"data": buckets}))
    assert records.rows["uncached_input"].sum() == 60_000
    labels, share = month_coverage(records.buckets)
    # One hour of March's 31 * 24 = 744 hours.
    assert labels == ["2026-03"] and share[0] == pytest.approx(1 / 744)


# --------------------------------------------------------------------------- Console CSV
def test_console_csv_prices_the_issue_example(console):
    cost = console.monthly_cost()
    # Support, Sonnet 4.5, every full month: 10M uncached, 2M 5m writes, 30M reads, 1M output
    # = 30 + 7.50 + 9 + 15 = $61.50 (the issue's example).
    assert cost["Support"].map(cents).to_list() == [61.50, 61.50, 61.50]
    # Research, Opus 4.5 from March: 2M uncached * $5 = 10, 1M 1h writes * $10 = 10,
    # 4M reads * $0.50 = 2, 0.2M output * $25 = 5 -> $27.
    assert cost["Research"].map(cents).to_list() == [0.0, 27.00, 27.00]
    # 3 * 61.50 + 2 * 27 = $238.50
    assert cents(console.usage["list_cost"].sum()) == 238.50


def test_display_names_and_dated_ids_map_onto_the_book(console):
    # The CSV names Sonnet as "Claude Sonnet 4.5" and "claude-sonnet-4-5-20250929", Opus as
    # "Claude Opus 4.5" and "claude-opus-4-5-20251101".
    assert sorted(console.usage["model"].unique()) == ["claude-opus-4-5", "claude-sonnet-4-5"]


@pytest.mark.parametrize(("name", "model_id"), [
    ("Claude Sonnet 4.5", "claude-sonnet-4-5"),
    ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ("claude-sonnet-4-6-20260101", "claude-sonnet-4-6"),
    ("claude-opus-4-20250514", "claude-opus-4-0"),
    ("Claude 3.5 Haiku", "claude-3-5-haiku"),  # older display style, words reordered
    ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
    ("gpt-4o", None),
])
def test_model_name_forms(book, name, model_id):
    assert book.resolve_model(name) == model_id


def test_csv_header_variants_are_accepted():
    records = read_usage("export.csv", (FIXTURES / "console-usage-variant-headers.csv")
                         .read_bytes())
    rows = records.rows
    # "Usage Type" is the service tier, in any case; "4,000,000" is four million; empty
    # cells are zero.
    assert rows["service_tier"].to_list() == ["standard", "batch"]
    assert rows["uncached_input"].to_list() == [10_000_000, 4_000_000]
    assert rows["cache_read"].to_list() == [30_000_000, 0]
    assert rows["item"].to_list() == [2, 3]  # spreadsheet rows: the header is row 1


# --------------------------------------------------------------------------- observed levers
def test_observed_batch_share_cache_hit_rate_and_waiting(pages, console):
    chat, nightly, default = pages.groups
    # March: chat reads 36M, writes 2M (5 minutes): hit rate 36 / 38 = 0.947368.
    assert chat.cache_hit_rate == pytest.approx(36 / 38) and chat.cache_ttl == "5m"
    assert chat.batch_share == 0 and chat.waiting == "interactive"
    # nightly: batch $48 before the discount, standard $8: batch share 48 / 56 = 6/7, the
    # same as its token share (28.8M of 33.6M); part batched -> gray, urgent share 1/7.
    assert nightly.batch_share == pytest.approx(6 / 7) and nightly.waiting == "gray"
    assert nightly.cache_ttl == "none" and nightly.cache_hit_rate == 0
    w = pages.scenario.workloads[1]
    assert w.acceptable_latency_minutes == 1440 and w.urgent_share == pytest.approx(1 / 7)
    # The group with no usage in the level month (March) is left out of the scenario.
    assert default.scenario_cost is None
    assert [w.name for w in pages.scenario.workloads] == ["wrkspc_chat", "wrkspc_nightly"]
    # Research: 4M reads, 1M one-hour writes: hit rate 0.8, TTL 1h.
    research = next(g for g in console.groups if g.name == "Research")
    assert research.cache_hit_rate == pytest.approx(0.8) and research.cache_ttl == "1h"


def test_all_batched_is_async_and_groups_by_model_and_api_key():
    page = month_page({m: [result(model="claude-haiku-4-5", tier="batch", uncached=2_000_000),
                           result(uncached=1_000_000, workspace=None)]
                       for m in ("2026-01", "2026-02", "2026-03")})
    by_model = import_usage([("p.json", page)], group_by="model")
    haiku = next(g for g in by_model.groups if g.name == "claude-haiku-4-5")
    assert haiku.batch_share == 1.0 and haiku.waiting == "async"
    by_key = import_usage([("p.json", page)], group_by="api_key")
    assert [g.name for g in by_key.groups] == ["(no API key)"]
    # 2M Haiku batch = $1 and 1M Sonnet = $3 a month: $4.
    assert by_key.monthly_cost()["total"].map(cents).to_list() == [4.0, 4.0, 4.0]


def test_mixed_tokenizers_reprice_exactly():
    # One workspace, flat per day (so no growth): Opus 4.7 billed 143,000 uncached tokens a
    # day (tokenizer 1.3: 110,000 reference tokens) = $0.715 a day, and Sonnet 4.5 100,000 a
    # day = $0.30; one CSV row a month holding the month's days.
    rows = "".join(f"2026-{m:02d}-{d:02d},{model},ws,k,standard,{per_day * days},0,0,0,0\n"
                   for m, d, days in ((1, 1, 31), (2, 15, 28), (3, 31, 31))
                   for model, per_day in (("claude-opus-4-7", 143_000),
                                          ("Claude Sonnet 4.5", 100_000)))
    result_ = import_usage([("mix.csv", CSV_HEADER + rows)])
    w = result_.scenario.workloads[0]
    assert w.growth.monthly == 0 and w.growth.volatility == 0
    # Mix by reference tokens: 110 / 210 Opus, 100 / 210 Sonnet. Volumes per average month in
    # Opus 4.7's tokenizer: (110,000 + 100,000) * 1.3 * 30.436875 = 8,309,266.9.
    assert w.current.models == pytest.approx({"claude-opus-4-7": 11 / 21,
                                              "claude-sonnet-4-5": 10 / 21}, abs=1e-6)
    assert w.monthly_tokens.input == round(273_000 * 365.2425 / 12)
    assert w.monthly_tokens.counted_on == "claude-opus-4-7"
    # Opus: 11/21 * 8.309M * $5 and Sonnet: 10/21 * 8.309M / 1.3 * $3 make ($0.715 + $0.30)
    # a day over an average month: 1.015 * 30.436875 = $30.8934.
    assert result_.groups[0].scenario_cost == pytest.approx(1.015 * 365.2425 / 12, abs=1e-4)


def test_a_book_of_ones_own_prices_a_retired_model(tmp_path: Path):
    # The bundled book does not price Claude Sonnet 3.5; a copy that adds it at $3 / $15
    # does, and the scenario names that book. 1M uncached a month = $3.
    bundled = ROOT / "forecast" / "data" / "pricebooks" / "anthropic-2026-11.yaml"
    book_file = tmp_path / "acme.yaml"
    book_file.write_text(bundled.read_text().replace("id: anthropic-2026-11", "id: acme")
                         + "  claude-3-5-sonnet: {display_name: Claude Sonnet 3.5, input: 3.0,"
                           " output: 15.0, aliases: [claude-3-5-sonnet-20241022]}\n")
    rows = "".join(f"{day},{model},ws,k,standard,1000000,0,0,0,0\n" for day, model in (
        ("2026-01-01", "claude-3-5-sonnet-20241022"), ("2026-02-01", "Claude 3.5 Sonnet"),
        ("2026-03-31", "claude-3-5-sonnet")))
    with pytest.raises(ImportUsageError, match=r"unknown models 'claude-3-5-sonnet-20241022' "
                       r"\(first at old.csv: row 2\), 'Claude 3.5 Sonnet'"):
        import_usage([("old.csv", CSV_HEADER + rows)])
    result_ = import_usage([("old.csv", CSV_HEADER + rows)], price_book=str(book_file))
    assert result_.scenario.price_book == str(book_file)
    assert result_.monthly_cost()["total"].map(cents).to_list() == [3.00, 3.00, 3.00]


def test_long_context_band_and_warnings_for_tiers_the_book_does_not_price():
    # Sonnet 4.5, each month: 1M uncached in the 200k-1M window pays the band's $6 / MTok;
    # 1M at the priority tier and 1M without a tier pay the standard $3: $6 + $3 + $3 = $12.
    page = month_page({m: [result(uncached=1_000_000, context_window="200k-1M"),
                           result(uncached=1_000_000, tier="priority"),
                           result(uncached=1_000_000, tier=None)]
                       for m in ("2026-01", "2026-02", "2026-03")})
    imported = import_usage([("p.json", page)])
    assert imported.monthly_cost()["total"].map(cents).to_list() == [12.0, 12.0, 12.0]
    warnings = imported.warnings
    assert any("service tier priority (3,000,000 tokens) priced at standard list prices" in w
               for w in warnings)
    assert any("3 usage lines have no service tier" in w for w in warnings)


# --------------------------------------------------------------------------- months
def test_partial_months_dropped_when_three_full_months_remain(console):
    # The CSV runs from 2026-01-15 to 2026-05-10: January 17/31 covered, May 10/31.
    plan = {m.month: m for m in console.months}
    assert plan["2026-01"].use == MonthUse.DROPPED
    assert plan["2026-01"].coverage == pytest.approx(17 / 31)
    assert plan["2026-05"].use == MonthUse.DROPPED
    assert plan["2026-05"].coverage == pytest.approx(10 / 31)
    assert console.used_months == ["2026-02", "2026-03", "2026-04"]
    assert "2026-01 55% covered, dropped; 2026-05 32% covered, dropped" in console.report.text()
    assert any("2026-01 55% covered, dropped" in line for line in console.header())


def test_partial_months_scaled_when_fewer_than_three_full():
    # 2026-01-17 to 2026-03-31: two full months, so January (15 of 31 days) is scaled up.
    # 10M Sonnet uncached = $30 a month; January becomes 30 * 31 / 15 = $62.
    rows = "".join(f"{day},Claude Sonnet 4.5,ws,k,standard,10000000,0,0,0,0\n"
                   for day in ("2026-01-17", "2026-02-10", "2026-03-31"))
    result_ = import_usage([("short.csv", CSV_HEADER + rows)])
    assert result_.months[0].use == MonthUse.SCALED
    assert result_.months[0].scale == pytest.approx(31 / 15)
    assert result_.monthly_cost()["total"].map(cents).to_list() == [62.00, 30.00, 30.00]
    assert "2026-01 48% covered, scaled x2.07" in result_.report.text()


def test_volumes_come_from_the_last_full_month():
    # 2026-01-01 to 2026-03-15: two full months, so March (15 of 31 days) is scaled, but the
    # volumes and levers come from February, the last full month: 20M Sonnet uncached, $60.
    rows = "".join(f"{day},Claude Sonnet 4.5,ws,k,standard,{tokens},0,0,0,0\n"
                   for day, tokens in (("2026-01-01", 10_000_000), ("2026-02-10", 20_000_000),
                                       ("2026-03-15", 15_000_000)))
    result_ = import_usage([("short.csv", CSV_HEADER + rows)])
    assert result_.level_month == "2026-02" and result_.scenario.start == "2026-04"
    # February's 20M over its 28 days, per average month, grown to April (two months).
    g = result_.groups[0].growth_monthly
    assert result_.scenario.workloads[0].monthly_tokens.input == round(
        20_000_000 / 28 * AVERAGE_MONTH_DAYS * (1 + g) ** 2)
    assert cents(result_.groups[0].level_cost) == 60.00
    # March: 15M * $3 = $45 over 15 days, scaled by 31 / 15 to $93.
    assert result_.monthly_cost()["total"].map(cents).to_list() == [30.00, 60.00, 93.00]


def test_months_option_keeps_the_last_n(console):
    three = import_usage(files(CONSOLE_CSV), months=3)
    assert three.used_months == console.used_months
    with pytest.raises(ImportUsageError, match=r"--months 2 keeps only 2.*needs at least 3"):
        import_usage(files(CONSOLE_CSV), months=2)


def test_fewer_than_three_months_is_refused():
    # The variant-header CSV covers 2026-02-03 and 2026-02-04 only.
    with pytest.raises(ImportUsageError, match=r"gives 1 month to fit.*at least 3 months"):
        import_usage(files(FIXTURES / "console-usage-variant-headers.csv"))
    with pytest.raises(ImportUsageError, match="2 months of history; fitting growth needs at "
                                               "least 3"):
        fit_growth([100.0, 110.0])


def test_gap_inside_the_history_is_an_error():
    jan, mar = (FIXTURES / "admin-2026-01.json", FIXTURES / "admin-2026-03.json")
    with pytest.raises(ImportUsageError, match="no file covers 2026-02"):
        import_usage(files(jan, mar))


# --------------------------------------------------------------------------- growth fit
def test_growth_fit_by_hand():
    # 100, 120, 121: slope = (ln 121 - ln 100) / 2 = ln 1.1 = 0.095310;
    # log changes ln 1.2 = 0.182322 and ln(121/120) = 0.008299: sd = 0.174023 / sqrt 2
    # = 0.123053; g = exp(0.095310 + 0.123053^2 / 2) - 1 = exp(0.102881) - 1 = 0.108360.
    # With three months the slope is the mean of two log changes: se = 0.123053 / sqrt 2.
    fit = fit_growth([100.0, 120.0, 121.0])
    assert fit.slope == pytest.approx(math.log(1.1))
    assert fit.volatility == pytest.approx(0.123053, abs=1e-6)
    assert fit.monthly == pytest.approx(0.108360, abs=1e-6)
    assert fit.slope_se == pytest.approx(0.123053 / math.sqrt(2), abs=1e-6)
    # Steady 10% growth: no volatility, no uncertainty.
    steady = fit_growth([100.0, 110.0, 121.0, 133.1])
    assert steady.monthly == pytest.approx(0.10) and steady.slope_se == pytest.approx(0.0)


def synthetic_costs(rng: np.random.Generator, growth: float, volatility: float,
                    months: int, paths: int = 1) -> np.ndarray:
    """Monthly cost from the simulation's model: log changes with drift
    ln(1 + g) - s^2 / 2 and sd s (docs/model.md, "Uncertainty")."""
    steps = rng.normal(math.log1p(growth) - volatility**2 / 2, volatility, (paths, months - 1))
    return 50_000.0 * np.exp(np.concatenate([np.zeros((paths, 1)), steps.cumsum(axis=1)], 1))


def test_growth_fit_recovers_a_known_drift(rng):
    # 24 months at g = 4% a month, volatility 5%. The stated uncertainty is the 95% interval
    # (Student's t, 22 degrees of freedom: +/- 2.07 standard errors). This seeded history
    # draws high: its estimate, 6.7%, sits 2.0 standard errors above the truth, inside the
    # interval. The coverage check below is the real test of the stated uncertainty.
    fit = fit_growth(synthetic_costs(rng, 0.04, 0.05, 24)[0])
    low, high = fit.interval()
    assert low <= 0.04 <= high
    assert abs(fit.monthly - 0.04) <= 2.07 * fit.monthly_se
    assert fit.volatility == pytest.approx(0.05, abs=0.01)
    # Across 2,000 histories the stated 95% interval holds the true drift 93% to 97% of the
    # time (measured 94.8%; the binomial sd of the share is 0.5 points).
    costs = synthetic_costs(rng, 0.04, 0.05, 24, paths=2000)
    inside = [lo <= 0.04 <= hi for lo, hi in (fit_growth(c).interval() for c in costs)]
    assert 0.93 <= np.mean(inside) <= 0.97


def test_import_recovers_the_drift_of_a_synthetic_history(rng):
    # 24 months of Sonnet uncached input whose cost per day follows g = 3%, volatility 4%
    # (each month's total is its per-day cost times its days); one row a month, on the 1st
    # (and the last row on 2025-12-31 so that December is full). The same seed draws the same
    # standard normals as above, so this history also sits 2.0 standard errors high: inside
    # its 95% interval.
    import calendar

    per_day = synthetic_costs(rng, 0.03, 0.04, 24)[0] / 30
    months = [(2024 + i // 12, i % 12 + 1) for i in range(24)]
    days = [f"{y}-{m:02d}-01" for y, m in months]
    days[-1] = "2025-12-31"
    cost = [c * calendar.monthrange(y, m)[1] for c, (y, m) in zip(per_day, months, strict=True)]
    rows = "".join(f"{d},claude-sonnet-4-5,ws,k,standard,{c / 3 * 1e6:.0f},0,0,0,0\n"
                   for d, c in zip(days, cost, strict=True))
    result_ = import_usage([("history.csv", CSV_HEADER + rows)])
    fit = result_.groups[0].fit
    assert fit.months == 24
    low, high = fit.interval()
    assert low <= 0.03 <= high
    assert result_.scenario.workloads[0].growth.monthly == pytest.approx(fit.monthly, abs=1e-4)


# --------------------------------------------------------------------------- scenario
def test_generated_scenario_validates_and_projects(pages, book):
    text = pages.scenario_yaml()
    header = text.split("\n\n", 1)[0].splitlines()
    assert all(line.startswith("#") for line in header)
    joined = " ".join(header)
    for needle in ("admin-2026-01.json", "2026-01 to 2026-03 (3 months)", "no partial months",
                   "one workload per workspace", "monthly_tokens", "optimized: equal to current",
                   "waiting: interactive where nothing was batched", "Duplicate usage lines"):
        assert needle in joined
    scenario = read_scenario_text(text)
    assert scenario.start == "2026-04"
    chat = scenario.workloads[0]
    # Volumes at March's level per day, per average month, grown one month: prefix = 2M
    # writes + 36M reads, input 12M, output 1.2M, each times 30.436875 / 31 * (1 + g).
    factor = AVERAGE_MONTH_DAYS / 31 * (1 + pages.groups[0].growth_monthly)
    assert chat.monthly_tokens.model_dump(exclude_none=True) == {
        "cacheable_prefix": round(38_000_000 * factor), "input": round(12_000_000 * factor),
        "output": round(1_200_000 * factor)}
    # Three months fit a standard error of 0.165 a month: past the 0.1 bound a scenario may
    # hold, and with 3 - 2 = 1 degree of freedom each path's volatility factor F (capped at
    # 2.5) lifts the mean by E[exp(F^2 (35 s^2 + 35^2 sd^2) / 2)] by month 36: the largest
    # sd that keeps month 36's expected spend under $1e11 / 100 is written, and the report
    # says so.
    assert pages.groups[0].fit.monthly_se > limits.MAX_GROWTH_SD
    assert chat.growth.fit_months == 3
    assert 0 < chat.growth.monthly_sd < limits.MAX_GROWTH_SD
    assert any("cannot be carried over 36 months" in w for w in pages.report.warnings)
    from forecast.timeline import fit_uncertainty_factor

    def month36(sd: float) -> float:
        lift = fit_uncertainty_factor(np.array([[35.0]]), chat.growth.volatility, sd, 3)
        return pages.groups[0].month1_expected * (1 + chat.growth.monthly) ** 35 * lift[0, 0]

    assert month36(chat.growth.monthly_sd) <= 1e9 < month36(chat.growth.monthly_sd + 1e-3)
    assert chat.target == chat.current  # optimized is current: no change planned yet
    projection = project(scenario, book)
    # Month 1 reprices March ($72.30 and $32.00) per average month, grown one month; month 2
    # grows by the fitted rate.
    nightly = AVERAGE_MONTH_DAYS / 31 * (1 + pages.groups[1].growth_monthly)
    assert projection.current[0] == pytest.approx([72.30 * factor, 32.00 * nightly], rel=1e-6)
    # grows by the fitted rate and by the growth-uncertainty factor at n = 1 month: each path
    # draws its own rate and volatility, and the mean of exp is above exp of the mean.

    g, sd = chat.growth.monthly, chat.growth.monthly_sd
    lift = fit_uncertainty_factor(np.array([[1.0]]), chat.growth.volatility, sd, 3)[0, 0]
    assert lift > math.exp(sd**2 / 2)
    assert projection.current[1, 0] == pytest.approx(72.30 * factor * (1 + g) * lift,
                                                     rel=1e-6)
    assert projection.attribution.total_saving == pytest.approx(0.0, abs=1e-6)


def test_summary_frame(pages):
    summary = pages.summary()
    assert summary["group"].to_list() == ["wrkspc_chat", "wrkspc_nightly", "Default workspace"]
    chat = summary.iloc[0]
    # 61.50 + 69.90 + 72.30 = $203.70 over the history.
    assert cents(chat["list_cost"]) == 203.70 and cents(chat["level_month_cost"]) == 72.30
    assert chat["cache_read_tokens"] == 36_000_000
    assert not summary.iloc[2]["fitted"] and not summary.iloc[2]["in_scenario"]


# --------------------------------------------------------------------------- command line
def run(*args: str):
    return commitplan("import", *args)


# What each bad file's message must say: the file, the bucket or row, the problem.
EXPECTED = {
    "empty.csv": "empty.csv: the file is empty",
    "empty.json": "empty.json: the file is empty",
    "missing-field.json": "missing-field.json: data[1] (starting_at 2026-01-02T00:00:00Z): "
                          "results[0]: output_tokens: missing",
    "negative-tokens.csv": "negative-tokens.csv: row 3: cache_read_tokens is -3; a token "
                           "count cannot be negative",
    "negative-tokens.json": "negative-tokens.json: data[0] (starting_at 2026-01-01T00:00:00Z):"
                            " results[0]: cache_read_input_tokens is -500",
    "not-json.json": "not-json.json: not valid JSON (line 2, column 1",
    "unknown-model.csv": "unknown models 'gpt-4o' (first at tests/fixtures/usage/bad/"
                         "unknown-model.csv: row 3), 'Claude Sonnet 9' (first at",
    "wrong-columns.csv": "wrong-columns.csv: missing columns input_tokens_uncached, "
                         "cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens",
}


def test_every_bad_file_has_an_expectation():
    assert sorted(p.name for p in BAD) == sorted(EXPECTED)


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_files_exit_2_and_write_nothing(path: Path, tmp_path: Path):
    out = tmp_path / "scenario.yaml"
    # The bad file comes after good pages: nothing may be half-written either way.
    result_ = run(*(str(p.relative_to(ROOT)) for p in PAGES), str(path.relative_to(ROOT)),
                  "-o", str(out))
    assert result_.returncode == 2, result_.stderr
    assert EXPECTED[path.name] in result_.stderr
    assert "Traceback" not in result_.stderr + result_.stdout
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cli_writes_the_scenario_and_reports(tmp_path: Path):
    out = tmp_path / "imported.yaml"
    result_ = run(*map(str, PAGES), "-o", str(out), "--report", "--name", "Acme usage")
    assert result_.returncode == 0, result_.stderr
    report = result_.stdout
    for needle in ("Months: 2026-01 to 2026-03 (3 months)", "wrkspc_chat", "$104.30",
                   "Tokens by class", "growth/month", "95% interval", "total"):
        assert needle in report
    scenario = read_scenario_text(out.read_text())
    assert scenario.name == "Acme usage" and len(scenario.workloads) == 2
    validate = commitplan("validate", str(out))
    assert validate.returncode == 0, validate.stderr


def test_cli_refuses_unwritable_output_and_json_output(tmp_path: Path):
    result_ = run(str(CONSOLE_CSV), "-o", str(tmp_path / "no" / "such" / "dir.yaml"))
    assert result_.returncode == 2 and "cannot write" in result_.stderr
    result_ = run(str(CONSOLE_CSV), "-o", str(tmp_path / "s.json"))
    assert result_.returncode == 2 and "write the scenario as .yaml" in result_.stderr
    assert "Traceback" not in result_.stderr
    result_ = run("no/such/usage.json")
    assert result_.returncode == 2 and "no/such/usage.json: no such file" in result_.stderr


def test_a_group_whose_models_use_tokens_differently_is_warned():
    # One workspace, two models with opposite token mixes, each month:
    #   Opus 4.5: 1M output tokens * $25 = $25;  Haiku 4.5: 10M uncached input * $1 = $10.
    # Billed: $35 a month. A workload carries one token mix (10M input, 1M output) spread over
    # the model shares by tokens, Opus 1/11 and Haiku 10/11, so the scenario prices
    #   10M in * (1/11 * $5 + 10/11 * $1) + 1M out * (1/11 * $25 + 10/11 * $5)
    #   = 10 * 1.3636 + 1 * 6.8182 = $20.45, 41.6% under what was billed: warned.
    usage = {m: [result(model="claude-opus-4-5", output=1_000_000),
                 result(model="claude-haiku-4-5", uncached=10_000_000)]
             for m in ("2026-01", "2026-02", "2026-03")}
    imported = import_usage([("mixed.json", month_page(usage))])
    assert any("--group-by model" in w and "(-41.6%)" in w for w in imported.warnings)
    # Grouped by model, each workload keeps its own mix and reprices exactly.
    by_model = import_usage([("mixed.json", month_page(usage))], group_by="model")
    assert not any("billed" in w for w in by_model.warnings)

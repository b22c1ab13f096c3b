"""The usage and cost analytics API: pages with requests, a watermark, provisional months,
bands, regions, and a cost report, worked by hand (tests/fixtures/usage/analytics/).

Each month, on the 10th (prices of anthropic-2026-11):
  A  claude_code, Sonnet 4.6, 1,000 requests: 2M uncached * $3 + 1M 5m writes * $3.75
     + 10M reads * $0.30 + 0.5M output * $15 = 6 + 3.75 + 3 + 7.5 = $20.25
  B  claude_code, Sonnet 4.6, US-only, 500 requests: (1M * $3 + 0.2M * $15) * 1.1 = $6.60
  C  chat, Haiku 5.5, 200k-1M window, 10 requests: above the 100k threshold, the band's
     $0.50 / $2.50: 3M * 0.50 + 0.1M * 2.50 = $1.75
  D  chat, Haiku 5.5, 0-200k window, 2,000 requests: 20M * $0.10 + 2M * $0.50 = $3.00
     (the window straddles the threshold: lower band, with a warning)
  = $31.60 a month: claude_code $26.85, chat $4.75.
"""

from __future__ import annotations

import pytest

from forecast.usage import (
    AVERAGE_MONTH_DAYS,
    MonthUse,
    UsageFormat,
    import_usage,
    price_history,
    read_usage,
)
from tests.conftest import ROOT
from tests.inprocess import commitplan

FOLDER = ROOT / "tests" / "fixtures" / "usage" / "analytics"
USAGE = sorted(FOLDER.glob("usage-*.json"))
COST = FOLDER / "cost-2026-06-09.json"


def files(*paths):
    return [(p.name, p.read_bytes()) for p in paths]


def cents(value: float) -> float:
    return round(float(value), 2)


@pytest.fixture(scope="module")
def imported():
    return import_usage(files(*USAGE, COST))


def test_formats_are_told_from_the_content():
    assert read_usage("page.json", USAGE[0].read_bytes()).fmt == UsageFormat.ANALYTICS_JSON
    assert read_usage("x.json", COST.read_bytes()).fmt == UsageFormat.COST_JSON
    admin = ROOT / "tests" / "fixtures" / "usage" / "admin-2026-01.json"
    assert read_usage("y.json", admin.read_bytes()).fmt == UsageFormat.ADMIN_JSON


def test_costs_reconcile_to_the_cent(imported):
    cost = imported.monthly_cost()
    assert cost["claude_code"].map(cents).to_list() == [26.85, 26.85, 26.85]
    assert cost["chat"].map(cents).to_list() == [4.75, 4.75, 4.75]
    assert cost["total"].map(cents).to_list() == [31.60, 31.60, 31.60]
    assert imported.report.group_by == "product"  # no workspace in this report


def test_watermark_cuts_a_bucket_and_marks_provisional_months(imported):
    # data_refreshed_at 2026-10-15T06:00Z: the 2026-10-15 bucket ends at 10-16, past it: left
    # out (its $6.00 of Sonnet never counts). Months ending after 2026-09-15T06:00 (30 days
    # before) are provisional: September and October; the fit uses June to August.
    second = next(s for s in imported.sources if s.name == "usage-2026-08-10.json")
    assert second.incomplete == 1 and second.buckets == 75  # 2026-08-01 .. 2026-10-14
    assert imported.used_months == ["2026-06", "2026-07", "2026-08"]
    uses = {m.month: m.use for m in imported.months}
    assert uses["2026-09"] == uses["2026-10"] == MonthUse.PROVISIONAL
    assert imported.report.provisional_months == ["2026-09", "2026-10"]
    history = price_history(files(*USAGE))
    october = history.lines[history.lines["month"] == "2026-10"]
    assert cents(october["list_cost"].sum()) == 31.60  # the 10th only, not the 15th
    # With --include-provisional September is fitted and October (14 of 31 days covered,
    # with 4 full months) dropped as partial.
    more = import_usage(files(*USAGE), include_provisional=True)
    assert more.used_months == ["2026-06", "2026-07", "2026-08", "2026-09"]
    oct_ = next(m for m in more.months if m.month == "2026-10")
    assert oct_.use == MonthUse.DROPPED and oct_.coverage == pytest.approx(14 / 31)


def test_requests_give_requests_per_month_and_tokens_per_request(imported):
    code = imported.scenario.workloads[0]
    assert code.name == "claude_code" and code.monthly_tokens is None
    # August: 1,500 requests; per request: prefix (1M writes + 10M reads) / 1,500 = 7,333.333,
    # input 3M / 1,500 = 2,000, output 0.7M / 1,500 = 466.667.
    assert code.tokens.model_dump(exclude_none=True) == {
        "cacheable_prefix": 7_333.333, "input": 2_000.0, "output": 466.667}
    g = imported.groups[0].growth_monthly
    assert code.requests_per_month == round(1_500 / 31 * AVERAGE_MONTH_DAYS * (1 + g), 3)


def test_long_prompt_and_us_shares_reprice_the_level_month(imported):
    code, chat = imported.scenario.workloads
    # US share of claude_code's cost before the multiplier: $6.00 of $20.25 + $6.00.
    assert code.us_inference_share == pytest.approx(6.00 / 26.25, abs=1e-6)
    # Long share of chat's cost at lower-band prices: C at $0.30 + $0.05 = $0.35 of
    # $0.35 + $3.00. Haiku 5.5's band is 5x every price, so (1 - l) * 3.35 + l * 16.75
    # = 3.35 + 0.104478 * 13.40 = $4.75 exactly.
    assert chat.long_prompt_share == pytest.approx(0.35 / 3.35, abs=1e-6)
    for g in imported.groups:  # month 1 as the scenario prices it, against the usage
        assert g.scenario_cost == pytest.approx(g.month1_expected, rel=1e-5)
    # August per day, per average month, grown one month: $26.85 / 31 * 30.436875 * (1 + g).
    code_g = imported.groups[0]
    assert code_g.month1_expected == pytest.approx(
        26.85 / 31 * AVERAGE_MONTH_DAYS * (1 + code_g.growth_monthly))
    assert not [w for w in imported.warnings if "prices its month 1" in w]


def test_cost_report_reveals_a_twelve_percent_effective_discount(imported):
    # Billed 2780.8 cents = $27.808 on each usage day against $31.60 at list: 0.88.
    er = imported.report.effective_rate
    assert [m["month"] for m in er.months] == ["2026-06", "2026-07", "2026-08", "2026-09"]
    assert er.billed == pytest.approx(4 * 27.808) and er.list_cost == pytest.approx(4 * 31.60)
    assert er.rate == pytest.approx(0.88) and er.discount_today == pytest.approx(0.12)
    assert all(m["report_list"] == pytest.approx(31.60) for m in er.months)


def test_batch_share_cannot_be_observed_unless_given():
    plain = import_usage(files(*USAGE))
    assert any("batch share cannot be observed and is 0" in w for w in plain.warnings)
    assert all(w.current.batch_share == 0 for w in plain.scenario.workloads)
    # Half batched: every line without a tier pays 1 - 0.5 * 0.5 = 0.75 of list: $23.70.
    half = import_usage(files(*USAGE), batch_share=0.5)
    assert half.monthly_cost()["total"].map(cents).to_list() == [23.70, 23.70, 23.70]
    assert [w.current.batch_share for w in half.scenario.workloads] == [0.5, 0.5]
    assert half.scenario.workloads[0].waiting == "gray"


def test_group_by_model_and_the_straddle_warning():
    by_model = import_usage(files(*USAGE), group_by="model")
    assert [g.name for g in by_model.groups] == ["claude-sonnet-4-6", "claude-haiku-5-5"]
    # Line D's 22M tokens in each of the five months read (June to October 10th).
    assert any("110,000,000 tokens of claude-haiku-5-5" in w and "straddles" in w
               for w in by_model.warnings)


def test_cli_report_shows_the_effective_rate():
    result = commitplan("import", *map(str, [*USAGE, COST]), "--report")
    assert result.returncode == 0, result.stderr
    for needle in ("Effective rate (cost report)", "12.0% off list", "provisional",
                   "1 incomplete buckets past data_refreshed_at left out", "Grouped by product"):
        assert needle in result.stdout

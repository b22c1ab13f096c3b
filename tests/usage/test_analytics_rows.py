"""The analytics API's /analytics/usage and /analytics/cost pages (beta), worked by hand.

Each month of June, July and August 2026 (one row per group, time_bucket_width 1mo), priced
with anthropic-2026-12:
  A  api, Fable 5.2, 1,000 requests: 1M uncached x $8 + 10M cache reads x $0.20
     + 0.2M output x $40 = 8 + 2 + 8 = $18.00
  B  api, Opus 5.5 at speed fast (2x), 100 requests: 0.5M x $8 + 0.1M x $40 = 4 + 4 = $8.00
  C  claude_code, Haiku 5.5, 5,000 requests: 10M x $0.10 + 2M x $0.50 = 1 + 1 = $2.00
  = $28.00 a month: api $26.00, claude_code $2.00.
The cost page bills each row at 88% of list, in fractional cents: A 1,584 of 1,800, B 704 of
800, C 176 of 200: 2,464 of 2,800 cents = $24.64 of $28.00, 12% off: current_discount 0.12.
"""

from __future__ import annotations

import json
import math

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from forecast.errors import ImportUsageError, PlannerError
from forecast.usage import UsageFormat, import_usage, read_usage
from forecast.usage.analytics_rows import BETA_VERSION
from tests.usage.test_bad_usage import FUZZ, SCALARS, finite_numbers

MONTHS = [("2026-06-01", "2026-07-01"), ("2026-07-01", "2026-08-01"),
          ("2026-08-01", "2026-09-01")]
GROUPS = {
    "A": ({"model": "claude-fable-5-2", "product": "api", "speed": "standard"},
          {"uncached_input_tokens": 1_000_000, "cache_read_input_tokens": 10_000_000,
           "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
           "output_tokens": 200_000, "requests": 1000}, ("1584.000000", "1800.000000")),
    "B": ({"model": "claude-opus-5-5", "product": "api", "speed": "fast"},
          {"uncached_input_tokens": 500_000, "cache_read_input_tokens": 0,
           "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
           "output_tokens": 100_000, "requests": 100}, ("704.000000", "800.000000")),
    "C": ({"model": "claude-haiku-5-5", "product": "claude_code", "speed": "standard"},
          {"uncached_input_tokens": 10_000_000, "cache_read_input_tokens": 0,
           "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
           "output_tokens": 2_000_000, "requests": 5000}, ("176.000000", "200.000000")),
}
WATERMARK = "2026-10-05T00:00:00Z"  # 31 Aug is 35 days back: August is final


def usage_page(**top) -> bytes:
    data = [{"starting_at": f"{a}T00:00:00Z", "ending_at": f"{b}T00:00:00Z", "group": g,
             "usage": u} for a, b in MONTHS for g, u, _ in GROUPS.values()]
    return json.dumps({"data": data, "time_bucket_width": "1mo",
                       "data_refreshed_at": WATERMARK, "has_more": False, **top}).encode()


def cost_page() -> bytes:
    data = [{"starting_at": f"{a}T00:00:00Z", "ending_at": f"{b}T00:00:00Z",
             "group": {"model": g["model"]},
             "cost": {"amount": amount, "list_amount": listed, "currency": "USD",
                      "requests": u["requests"]}}
            for a, b in MONTHS for g, u, (amount, listed) in GROUPS.values()]
    return json.dumps({"data": data, "time_bucket_width": "1mo",
                       "data_refreshed_at": WATERMARK}).encode()


@pytest.fixture(scope="module")
def imported():
    return import_usage([("usage.json", usage_page()), ("cost.json", cost_page())],
                        price_book="anthropic-2026-12", group_by="product")


def test_the_pages_are_told_from_their_content():
    usage = read_usage("page", usage_page())
    assert usage.fmt == UsageFormat.ANALYTICS_USAGE_ROWS
    assert (usage.version, usage.bucket_width) == (BETA_VERSION, "1mo")
    assert read_usage("x.json", cost_page()).fmt == UsageFormat.ANALYTICS_COST_ROWS
    saved = read_usage("p.json", usage_page(anthropic_beta="analytics-usage-cost-2026-11-01"))
    assert saved.version == "analytics-usage-cost-2026-11-01"


def test_usage_and_cost_reconcile_to_the_cent(imported):
    cost = imported.monthly_cost()
    assert [round(v, 2) for v in cost["api"]] == [26.00, 26.00, 26.00]
    assert [round(v, 2) for v in cost["claude_code"]] == [2.00, 2.00, 2.00]
    assert [round(v, 2) for v in cost["total"]] == [28.00, 28.00, 28.00]
    er = imported.report.effective_rate
    assert [m["month"] for m in er.months] == ["2026-06", "2026-07", "2026-08"]
    assert round(er.billed, 2) == 3 * 24.64 and round(er.list_cost, 2) == 3 * 28.00
    assert er.report_discount == pytest.approx(1 - 2464 / 2800)  # 0.12
    assert er.current_discount == pytest.approx(0.12)


def test_the_effective_discount_is_written_to_the_scenario(imported):
    assert imported.scenario.current_discount == pytest.approx(0.12)
    text = imported.scenario_yaml()
    assert yaml.safe_load(text)["current_discount"] == 0.12
    assert "1 - amount / list_amount as the cost pages state them" in text.replace("\n# ", " ")


def test_the_import_report_records_the_beta_version_and_bucket_width(imported):
    described = [s.describe() for s in imported.report.sources]
    assert any(f"read as anthropic-beta {BETA_VERSION}, time_bucket_width 1mo" in d
               for d in described)
    assert imported.report.provisional_months == []  # August is 35 days back


def test_any_bucket_width_reads_the_same_usage():
    # The same June as 30 daily rows of a thirtieth each: 1M / 30 ... sums back to June.
    u = dict(GROUPS["C"][1])
    daily = [{"starting_at": f"2026-06-{d:02d}T00:00:00Z",
              "ending_at": f"2026-06-{d + 1:02d}T00:00:00Z" if d < 30 else
              "2026-07-01T00:00:00Z", "group": GROUPS["C"][0],
              "usage": {**u, "uncached_input_tokens": 1_000_000 / 3, "output_tokens": 0,
                        "requests": 0}} for d in range(1, 31)]
    records = read_usage("daily.json", json.dumps({"data": daily, "time_bucket_width": "1d"}))
    assert len(records.buckets) == 30 and records.bucket_width == "1d"
    assert records.rows["uncached_input"].sum() == pytest.approx(10_000_000)


@pytest.mark.parametrize(("mutate", "needle"), [
    (lambda p: p["data"][0].update(group=[1]), "daily.json: data[0]: group is"),
    (lambda p: p["data"][0].pop("usage"), "daily.json: data[0]: usage missing"),
    (lambda p: p["data"][0].update(usage=5), "daily.json: data[0]: usage is '5'"),
    (lambda p: p["data"][0].update(cost={"amount": "1"}) or p["data"][0].pop("usage"),
     "data[0]: usage missing; expected an object (a cost row in a usage page"),
    (lambda p: p["data"][0]["group"].update(requests=3), "requests is both a grouping"),
    (lambda p: p.update(time_bucket_width=7), "time_bucket_width is '7'"),
    (lambda p: p.update(anthropic_beta=""), "anthropic_beta is ''"),
    (lambda p: p["data"][0].update(starting_at="June"), "data[0]: starting_at 'June'"),
    (lambda p: p["data"][0]["usage"].update(output_tokens=-4), "output_tokens is -4"),
    (lambda p: p["data"][0]["group"].update(model=None), "model is null"),
    (lambda p: p["data"].insert(0, "row"), "data[0]: expected a row object"),
])
def test_malformed_rows_are_refused_by_file_row_and_field(mutate, needle):
    page = json.loads(usage_page())
    mutate(page)
    with pytest.raises(ImportUsageError) as err:
        read_usage("daily.json", json.dumps(page))
    assert needle in str(err.value)


def test_malformed_cost_rows_name_the_field():
    page = json.loads(cost_page())
    page["data"][2]["cost"]["amount"] = "lots"
    with pytest.raises(ImportUsageError, match=r"cost.json: data\[2\].*amount is 'lots'"):
        read_usage("cost.json", json.dumps(page))
    page = json.loads(cost_page())
    page["data"][0]["cost"]["currency"] = "EUR"
    with pytest.raises(ImportUsageError, match="currency is 'EUR'"):
        read_usage("cost.json", json.dumps(page))


ROW_FIELDS = ["group", "usage", "cost", "starting_at", "ending_at"]
BODY_FIELDS = ["uncached_input_tokens", "output_tokens", "requests", "cache_creation",
               "model", "speed", "amount", "list_amount"]


@st.composite
def row_pages(draw) -> str:
    """An analytics rows page close to the real shape, with some fields replaced."""
    page = json.loads(usage_page() if draw(st.booleans()) else cost_page())
    for row in page["data"]:
        body = row.get("usage") or row.get("cost")
        for name in draw(st.lists(st.sampled_from(BODY_FIELDS), max_size=2)):
            (row["group"] if name in ("model", "speed") else body)[name] = draw(SCALARS)
        for name in draw(st.lists(st.sampled_from(ROW_FIELDS), max_size=1)):
            row[name] = draw(st.one_of(SCALARS, st.dictionaries(st.text(max_size=5), SCALARS,
                                                                max_size=2)))
    for name in draw(st.lists(st.sampled_from(["time_bucket_width", "anthropic_beta",
                                               "data_refreshed_at"]), max_size=2)):
        page[name] = draw(SCALARS)
    return json.dumps(page, allow_nan=True)


@FUZZ
@given(text=row_pages())
def test_fuzzed_analytics_row_pages_import_or_are_refused_by_name(text: str):
    try:
        imported = import_usage([("fuzz.json", text), ("usage.json", usage_page())],
                                price_book="anthropic-2026-12")
    except PlannerError as exc:
        assert "fuzz.json" in str(exc) or "usage.json" in str(exc)
        return
    assert finite_numbers(yaml.safe_load(imported.scenario_yaml()))
    assert all(math.isfinite(v) for v in imported.monthly_cost().to_numpy().ravel())

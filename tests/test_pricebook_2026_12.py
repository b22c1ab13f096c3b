"""The book as of 2026-12: Fable 5.2 and Mythos 5.2, fast mode, retirements, sources.

Every figure below is worked from the book's published prices (docs/prices.md), never read
back from the code under test.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from forecast.errors import PriceBookError
from forecast.pricebook import InferenceGeo, Speed, load_price_book
from forecast.usage.pricing import price_rows
from forecast.usage.records import ROW_COLUMNS
from tests.inprocess import run_cli

BOOK = load_price_book("anthropic-2026-12")
D = dt.date


def _cost(model: str, on: dt.date | None = None, speed: Speed = Speed.STANDARD,
          **tokens: float) -> float:
    p = BOOK.token_prices(model, on, speed=speed)
    return sum(getattr(p, k) * v for k, v in tokens.items()) / 1e6


def test_fable_5_2_request_with_cache_reads():
    # $8 input, $0.20 cache reads (0.025 x $8), $40 output per MTok:
    # 10,000 x 8 + 50,000 x 0.20 + 2,000 x 40 = 80,000 + 10,000 + 80,000 = 170,000 -> $0.17
    cost = _cost("claude-fable-5-2", uncached_input=10_000, cache_read=50_000, output=2_000)
    assert cost == pytest.approx(0.17, abs=1e-12)
    # cache writes: $10 (1.25 x $8) for 5 minutes, $16 (2 x $8) for an hour
    p = BOOK.token_prices("claude-fable-5-2")
    assert (p.cache_write_5m, p.cache_write_1h) == pytest.approx((10.0, 16.0))
    assert BOOK.resolve_model("Claude Mythos 5.2") == "claude-mythos-5-2"


def test_fast_mode_opus_5_5_request_from_the_published_figures():
    # Fast is 2x on every token class: $8 input and $40 output against $4 / $20.
    # 1,000 x 8 + 4,000 x 40 = 8,000 + 160,000 = 168,000 -> $0.168; standard is half.
    fast = _cost("claude-opus-5-5", speed=Speed.FAST, uncached_input=1_000, output=4_000)
    standard = _cost("claude-opus-5-5", uncached_input=1_000, output=4_000)
    assert fast == pytest.approx(0.168, abs=1e-12)
    assert standard == pytest.approx(0.084, abs=1e-12)


def test_fast_mode_has_its_removal_dates():
    # Opus 4.8: 2x until 2026-11-30 (removed that day); Opus 4.7: 6x until 2026-07-24.
    args = {"uncached_input": 1_000_000}
    assert _cost("claude-opus-4-8", D(2026, 11, 29), Speed.FAST, **args) == pytest.approx(10.0)
    assert _cost("claude-opus-4-8", D(2026, 11, 30), Speed.FAST, **args) == pytest.approx(5.0)
    assert _cost("claude-opus-4-7", D(2026, 7, 23), Speed.FAST, **args) == pytest.approx(30.0)
    assert _cost("claude-opus-4-7", D(2026, 7, 24), Speed.FAST, **args) == pytest.approx(5.0)
    # today (the forecast's day): a fast mode with a removal date is gone
    assert BOOK.models["claude-opus-4-8"].fast_multiplier(None) is None
    assert BOOK.models["claude-opus-5"].fast_multiplier(None) == 2.0
    # the removal day is a change date of the model's prices
    assert "2026-11-30" in [str(d) for d in BOOK.models["claude-opus-4-8"].change_dates]


def test_fast_usage_lines_are_priced_at_the_multiplier_of_their_day():
    # One Opus 4.8 line of 1M output tokens at speed fast in a two-day bucket that spans the
    # removal (29 and 30 Nov): half at 2 x $25 = $50, half at $25: 25 + 12.5 = $37.50.
    row = dict.fromkeys(ROW_COLUMNS)
    row.update(bucket=0, item=0, model="claude-opus-4-8", speed="fast", uncached_input=0.0,
               cache_write_5m=0.0, cache_write_1h=0.0, cache_read=0.0, output=1e6,
               requests=np.nan)
    rows = pd.DataFrame([row])[ROW_COLUMNS]
    starts = np.array(["2026-11-29"], dtype="datetime64[ns]")
    ends = np.array(["2026-12-01"], dtype="datetime64[ns]")
    priced, warnings = price_rows(rows, starts, ends, BOOK)
    assert priced.list_cost[0] == pytest.approx(37.5)
    # the forecast cannot buy fast on Opus 4.8 any more: standard, $25, and it says so
    assert priced.list_cost_latest[0] == pytest.approx(25.0)
    assert any("fast mode has been removed" in w for w in warnings)


def test_sonnet_4_5_and_4_long_context_band_ended_on_its_date():
    # $6 / $22.50 above 200k prompt tokens until 2026-04-30, then the standard $3 / $15
    for model in ("claude-sonnet-4-5", "claude-sonnet-4-0"):
        before = BOOK.token_prices(model, D(2026, 4, 29), long_prompt=True)
        after = BOOK.token_prices(model, D(2026, 4, 30), long_prompt=True)
        assert (before.uncached_input, before.output) == (6.0, 22.5)
        assert (after.uncached_input, after.output) == (3.0, 15.0)
        assert not BOOK.has_long_prompt_band(model)


def test_retirements_and_successors():
    assert BOOK.retirement("claude-sonnet-4-5") == (D(2026, 11, 30), "claude-sonnet-5-5")
    assert BOOK.successor_on("claude-sonnet-4-5", D(2026, 11, 29)) == "claude-sonnet-4-5"
    assert BOOK.successor_on("claude-sonnet-4-5", D(2026, 12, 1)) == "claude-sonnet-5-5"
    # Opus 4.8 keeps serving (legacy): only its fast mode was removed on 2026-11-30
    assert BOOK.retirement("claude-opus-4-8") is None
    assert BOOK.retirement("claude-fable-5-2") is None


def test_every_model_cites_its_pages_and_unverified_figures_are_listed():
    for model_id, price in BOOK.models.items():
        assert price.sources, model_id
        assert all(s.url.startswith("https://") for s in price.sources), model_id
    unverified = {(r["model"], r["fields"]) for r in BOOK.unverified()}
    assert ("claude-fable-5-2", "cache_read, cache_write_5m, cache_write_1h") in unverified
    assert not any(m == "claude-fable-5-1" for m, _ in unverified)
    assert ("claude-fable-5-2", "input, output") not in unverified  # on the vendor's page


def _book(tmp_path: Path, **model: object) -> Path:
    data = {"id": "t", "effective_date": "2026-12-01", "source": "test",
            "models": {"a": {"input": 1.0, "output": 2.0, **model},
                       "b": {"input": 1.0, "output": 2.0}}}
    path = tmp_path / "book.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(("model", "needle"), [
    ({"successor": "b"}, "successor: given without retires"),
    ({"retires": "2026-01-01", "successor": "zz"}, "'zz' is not a model of this book"),
    ({"retires": "2026-01-01", "successor": "a"}, "cannot succeed itself"),
    ({"fast": {"multiplier": 2, "since": "2026-05-01", "until": "2026-04-01"}},
     "is not after since"),
    ({"fast": {"multiplier": 0}}, "fast.multiplier"),
    ({"fast": {"multiplier": 1e9}}, "fast.multiplier"),
    ({"sources": [{"fields": ["price"], "url": "https://x"}]}, "'price' is not a price-book"),
    ({"sources": [{"fields": [], "url": "https://x"}]}, "sources.0.fields"),
    ({"sources": [{"fields": ["input"], "url": ""}]}, "sources.0.url"),
    ({"retires": "someday", "successor": "b"}, "models.a.retires"),
])
def test_malformed_new_fields_are_refused_naming_them(tmp_path: Path, model: dict, needle: str):
    with pytest.raises(PriceBookError, match="price book") as err:
        load_price_book(str(_book(tmp_path, **model)))
    assert needle in str(err.value)


def test_a_circle_of_successors_is_refused(tmp_path: Path):
    data = {"id": "t", "effective_date": "2026-12-01", "source": "test", "models": {
        "a": {"input": 1.0, "output": 2.0, "retires": "2026-01-01", "successor": "b"},
        "b": {"input": 1.0, "output": 2.0, "retires": "2026-02-01", "successor": "a"}}}
    path = tmp_path / "book.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(PriceBookError, match="circle"):
        load_price_book(str(path))


def test_prices_json_carries_batch_currency_source_verified_retires():
    run = run_cli("prices", "--json")
    assert run.code == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["price_book"] == "anthropic-2026-12"
    assert (doc["currency"], doc["batch_discount"]) == ("USD", 0.5)
    rows = {r["model"]: r for r in doc["models"]}
    s45 = rows["claude-sonnet-4-5"]
    assert (s45["retires"], s45["successor"]) == ("2026-11-30", "claude-sonnet-5-5")
    assert rows["claude-fable-5-2"]["verified"] is False
    assert rows["claude-fable-5-1"]["verified"] is True
    assert all(r["sources"] for r in doc["models"])
    # money without float noise: Sonnet 4.5's cache read is 0.1 x $3 = $0.30, which binary
    # floating point makes 0.30000000000000004; Haiku 5.5's is 0.1 x $0.10 = $0.01
    assert 3.0 * 0.1 != 0.3
    assert rows["claude-sonnet-4-5"]["cache_read"] == 0.3
    assert rows["claude-haiku-5-5"]["cache_read"] == 0.01
    assert "0000000000" not in run.stdout


def test_prices_unverified_lists_secondary_figures():
    run = run_cli("prices", "--unverified")
    assert run.code == 0, run.stderr
    assert "claude-fable-5-2" in run.stdout and "archid21/rightsize" in run.stdout
    one = json.loads(run_cli("prices", "--unverified", "--json", "--model",
                             "claude-fable-5-1").stdout)
    assert one["unverified"] == []
    old = run_cli("prices", "--unverified", "--price-book", "anthropic-2026-11")
    assert old.code == 0 and "every figure is from the vendor's own pages" in old.stdout


def test_region_and_fast_multiply():
    # US-only fast Fable 5.2 output: $40 x 1.1 x 2 = $88 per MTok
    p = BOOK.token_prices("claude-fable-5-2", geo=InferenceGeo.US, speed=Speed.FAST)
    assert p.output == pytest.approx(88.0)

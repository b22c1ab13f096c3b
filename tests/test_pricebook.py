"""The dated price book: bands, regions, dated entries, bounds; prices of anthropic-2026-11.

Figures from the pricing page as transcribed in the bundled book: Haiku 5.5 $0.10 / $0.50
up to 100,000 prompt tokens and $0.50 / $2.50 above, cache writes 1.25x and 2x and reads
0.1x of the band's input; Fable 5.1 $10 / $50 with reads at 0.025x ($0.25); Fable 5 reads
at 0.1x ($1); Sonnet 5.5 reads 0.1x before 2026-10-07 and 0.05x from it; US-only inference
1.1x on Opus 4.6 and later; Sonnet 4.5 $6 / $22.50 above 200k prompt tokens.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from forecast.cost import request_cost
from forecast.errors import PriceBookError
from forecast.pricebook import InferenceGeo, load_price_book
from forecast.scenario import LeverSet, Tokens
from forecast.types import CacheTTL
from tests.conftest import ROOT
from tests.inprocess import commitplan

BOOK = load_price_book("anthropic-2026-11")
BUNDLED = ROOT / "forecast" / "data" / "pricebooks" / "anthropic-2026-11.yaml"


def cost(model: str, uncached=0, w5=0, w1=0, read=0, output=0, long=False, on=None,
         geo=InferenceGeo.GLOBAL) -> float:
    p = BOOK.token_prices(model, on, long, geo)
    return (uncached * p.uncached_input + w5 * p.cache_write_5m + w1 * p.cache_write_1h
            + read * p.cache_read + output * p.output) / 1e6


def test_haiku_5_5_request_on_each_side_of_the_threshold():
    # 99,000 prompt tokens (90,000 uncached + 5,000 reads + 4,000 5m writes), 2,000 output:
    # lower band, 90,000 * $0.10 + 5,000 * $0.01 + 4,000 * $0.125 + 2,000 * $0.50
    # = $0.0090 + $0.00005 + $0.0005 + $0.0010 = $0.01055.
    assert cost("claude-haiku-5-5", 90_000, 4_000, 0, 5_000, 2_000) == pytest.approx(0.01055)
    # 109,000 prompt tokens (100,000 + 5,000 + 4,000): every token at the upper band,
    # output included: 100,000 * $0.50 + 5,000 * $0.05 + 4,000 * $0.625 + 2,000 * $2.50
    # = $0.05 + $0.00025 + $0.0025 + $0.005 = $0.05775.
    assert cost("claude-haiku-5-5", 100_000, 4_000, 0, 5_000, 2_000, long=True) == \
        pytest.approx(0.05775)
    assert BOOK.models["claude-haiku-5-5"].long_prompt.threshold == 100_000


def test_haiku_5_5_in_the_cost_model_by_long_prompt_share():
    # The same 109,000-token request as a workload: prefix 9,000 (4,000 writes, 5,000 reads
    # at a 5/9 hit rate), input 100,000, output 2,000. All of it long: $0.05775; a quarter
    # long: 0.75 * (the same tokens at the lower band: 100,000 * 0.10 + 5,000 * 0.01 +
    # 4,000 * 0.125 + 2,000 * 0.50 = $0.01155) + 0.25 * $0.05775 = $0.0230.
    tokens = Tokens(cacheable_prefix=9_000, input=100_000, output=2_000,
                    counted_on="claude-haiku-5-5")
    levers = LeverSet(models={"claude-haiku-5-5": 1.0}, cache_hit_rate=5 / 9,
                      cache_ttl=CacheTTL.FIVE_MINUTES)
    assert request_cost(BOOK, tokens, levers, long_prompt_share=1.0) == pytest.approx(0.05775)
    assert request_cost(BOOK, tokens, levers) == pytest.approx(0.01155)
    assert request_cost(BOOK, tokens, levers, long_prompt_share=0.25) == \
        pytest.approx(0.75 * 0.01155 + 0.25 * 0.05775)


def test_fable_5_1_request_with_cache_reads():
    # 10,000 uncached, 200,000 cache reads, 1,000 output on Fable 5.1: reads at 0.025x of $10
    # = $0.25: 10,000 * $10 + 200,000 * $0.25 + 1,000 * $50 = $0.10 + $0.05 + $0.05 = $0.20.
    assert cost("claude-fable-5-1", 10_000, read=200_000, output=1_000) == pytest.approx(0.20)
    # Fable 5 reads at 0.1x = $1: $0.10 + $0.20 + $0.05 = $0.35.
    assert cost("claude-fable-5", 10_000, read=200_000, output=1_000) == pytest.approx(0.35)
    # In the cost model, a 200,000-token prefix read every time (hit rate 1) prices the same.
    tokens = Tokens(cacheable_prefix=200_000, input=10_000, output=1_000,
                    counted_on="claude-fable-5-1")
    levers = LeverSet(models={"claude-fable-5-1": 1.0}, cache_hit_rate=1.0,
                      cache_ttl=CacheTTL.FIVE_MINUTES)
    assert request_cost(BOOK, tokens, levers) == pytest.approx(0.20)
    assert BOOK.models["claude-mythos-5-1"].cache_read == 0.025
    assert BOOK.models["claude-fable-5"].tokenizer_factor == 1.3


def test_sonnet_5_5_read_cut_is_a_dated_entry():
    # 10M cache reads: $0.20 / MTok before 2026-10-07 ($2.00), $0.10 from it ($1.00); the
    # forecast (no date) uses the latest.
    assert cost("claude-sonnet-5-5", read=10_000_000, on=dt.date(2026, 10, 6)) == \
        pytest.approx(2.00)
    assert cost("claude-sonnet-5-5", read=10_000_000, on=dt.date(2026, 10, 7)) == \
        pytest.approx(1.00)
    assert cost("claude-sonnet-5-5", read=10_000_000) == pytest.approx(1.00)
    assert BOOK.models["claude-sonnet-5-5"].change_dates == [dt.date(2026, 10, 7)]


def test_us_only_inference_on_opus_4_6_and_later():
    # 1M input and 100,000 output on Opus 4.6: $5 + $2.50 = $7.50 globally, 1.1x = $8.25 US.
    assert cost("claude-opus-4-6", 1_000_000, output=100_000) == pytest.approx(7.50)
    assert cost("claude-opus-4-6", 1_000_000, output=100_000, geo=InferenceGeo.US) == \
        pytest.approx(8.25)
    later = ["claude-opus-4-6", "claude-opus-4-7", "claude-opus-4-8", "claude-opus-5",
             "claude-opus-5-5", "claude-sonnet-4-6", "claude-sonnet-5", "claude-sonnet-5-5",
             "claude-haiku-5-5", "claude-fable-5", "claude-fable-5-1", "claude-mythos-5",
             "claude-mythos-5-1"]
    for model in later:
        assert BOOK.region_multiplier(model, InferenceGeo.US) == 1.1, model
    for model in ("claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5"):
        assert BOOK.region_multiplier(model, InferenceGeo.US) is None, model


def test_us_inference_share_in_the_cost_model():
    # 1,000 input + 100 output on Opus 4.6: $0.005 + $0.0025 = $0.0075; 40% US at 1.1x:
    # 0.0075 * (1 + 0.4 * 0.1) = $0.0078. Opus 4.5 has no US price: the share changes nothing.
    tokens = Tokens(input=1_000, output=100)
    opus46 = LeverSet(models={"claude-opus-4-6": 1.0})
    assert request_cost(BOOK, tokens, opus46, us_inference_share=0.4) == pytest.approx(0.0078)
    opus45 = LeverSet(models={"claude-opus-4-5": 1.0})
    assert request_cost(BOOK, tokens, opus45, us_inference_share=0.4) == pytest.approx(0.0075)


def test_long_context_bands_on_older_models_and_their_dates():
    # Sonnet 4.5 above 200k prompt tokens: $6 / $22.50, reads 0.1x of $6 = $0.60:
    # 250,000 uncached + 50,000 reads + 2,000 output = $1.50 + $0.03 + $0.045 = $1.575.
    assert cost("claude-sonnet-4-5", 250_000, read=50_000, output=2_000, long=True) == \
        pytest.approx(1.575)
    # Opus 4.6 had a $10 / $37.50 band until its 1M context became standard-priced on
    # 2026-03-13; from then on a long request costs the standard $5 / $25.
    before, after = dt.date(2026, 3, 12), dt.date(2026, 3, 13)
    assert BOOK.entry("claude-opus-4-6", before).long_prompt.output == 37.5
    assert BOOK.entry("claude-opus-4-6", after).long_prompt is None
    assert cost("claude-opus-4-6", 300_000, output=1_000, long=True, on=before) == \
        pytest.approx(3.0 + 0.0375)
    assert cost("claude-opus-4-6", 300_000, output=1_000, long=True, on=after) == \
        pytest.approx(1.5 + 0.025)


def test_the_book_lists_what_it_cannot_express():
    text = " ".join(BOOK.not_expressed)
    for needle in ("Fast mode", "Priority Tier", "web search", "Bedrock", "refusals"):
        assert needle in text


@pytest.mark.parametrize(("field", "value", "message"), [
    ("input", ".inf", "models.claude-sonnet-4-5.input: Input should be a finite number"),
    ("input", ".nan", "models.claude-sonnet-4-5.input: Input should be a finite number"),
    ("input", '"1e400"', "models.claude-sonnet-4-5.input: Input should be a finite number"),
    ("input", "3000000000.0", "models.claude-sonnet-4-5.input: Input should be less than or "
                              "equal to 1000 (is 3000000000.0); USD per million tokens, at "
                              "most 1,000"),
    ("input", "-3", "models.claude-sonnet-4-5.input: Input should be greater than or equal "
                    "to 0"),
    ("cache_read", "50", "models.claude-sonnet-4-5.cache_read: Input should be less than or "
                         "equal to 10"),
])
def test_non_finite_and_absurd_prices_are_refused_naming_the_field(tmp_path: Path, field: str,
                                                                    value: str, message: str):
    book = tmp_path / "acme.yaml"
    book.write_text("id: acme\neffective_date: 2026-11-01\nsource: negotiated\nmodels:\n"
                    f"  claude-sonnet-4-5: {{input: 3.0, output: 15.0, {field}: {value}}}\n"
                    if field != "input" else
                    "id: acme\neffective_date: 2026-11-01\nsource: negotiated\nmodels:\n"
                    f"  claude-sonnet-4-5: {{input: {value}, output: 15.0}}\n")
    with pytest.raises(PriceBookError, match="acme.yaml: " + message.replace("(", r"\(")
                       .replace(")", r"\)").replace(".", r"\.")):
        load_price_book(str(book))


def test_deeply_nested_or_huge_books_are_refused(tmp_path: Path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(PriceBookError, match=r"deep\.json: nested too deeply"):
        load_price_book(str(deep))
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 1_000_001)
    with pytest.raises(PriceBookError, match=r"big\.yaml: larger than 1,000,000 bytes"):
        load_price_book(str(big))


def test_dated_entries_must_be_in_order(tmp_path: Path):
    book = tmp_path / "dated.yaml"
    book.write_text("id: dated\neffective_date: 2026-11-01\nsource: test\nmodels:\n"
                    "  m: {input: 1, output: 5, before: [{until: 2026-05-01, input: 2}, "
                    "{until: 2026-01-01, input: 3}]}\n")
    with pytest.raises(PriceBookError, match=r"before\[1\]\.until: 2026-01-01 is not after"):
        load_price_book(str(book))


def test_prices_command_prints_the_book_on_a_date():
    def run(*args: str):
        return commitplan("prices", *args)

    before = run("--model", "Claude Sonnet 5.5", "--on", "2026-10-06")
    assert before.returncode == 0, before.stderr
    row = next(line for line in before.stdout.splitlines() if line.startswith("claude-sonnet"))
    # input, 5m write, 1h write, cache read, output
    assert row.split()[1:6] == ["$2.00", "$2.50", "$4.00", "$0.20", "$10.00"]
    after = run("--model", "claude-sonnet-5-5", "--on", "2026-10-07", "--json")
    model = json.loads(after.stdout)["models"][0]
    assert model["cache_read"] == pytest.approx(0.10) and model["changes"] == ["2026-10-07"]
    everything = run()
    assert "claude-fable-5-1" in everything.stdout and "Not expressed" in everything.stdout
    assert ">100k: $0.50 / $2.50" in everything.stdout
    bad = run("--model", "gpt-4o")
    assert bad.returncode == 2 and "--model 'gpt-4o': not in price book" in bad.stderr
    bad_date = run("--on", "2026-13-01")
    assert bad_date.returncode == 2 and "is not a date" in bad_date.stderr

"""Bad usage files and price books: a message naming the file, bucket or row and the field,
exit status 2, nothing written; never a traceback, never a non-finite number.

The fuzz tests are seeded (``derandomize``) and bounded: each draws at most 40 files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from forecast.cli import main
from forecast.errors import PlannerError, PriceBookError
from forecast.pricebook import _parse_book
from forecast.usage import import_usage

CSV_HEADER = ("date,model,workspace,api_key,service_tier,input_tokens_uncached,"
              "cache_write_5m_tokens,cache_write_1h_tokens,cache_read_tokens,output_tokens\n")
FUZZ = settings(derandomize=True, max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def result(**fields) -> dict:
    base = {"model": "claude-sonnet-4-5", "service_tier": "standard", "workspace_id": "w",
            "uncached_input_tokens": 1000,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "cache_read_input_tokens": 0, "output_tokens": 10}
    base.update(fields)
    return base


def page(results: list[dict], start: str = "2026-01-01T00:00:00Z",
         end: str = "2026-02-01T00:00:00Z") -> str:
    return json.dumps({"data": [{"starting_at": start, "ending_at": end,
                                 "results": results}]})


def refused(files: list[tuple[str, str | bytes]], message: str) -> None:
    with pytest.raises(PlannerError) as err:
        import_usage(files)
    assert message in str(err.value), str(err.value)


# --------------------------------------------------------------------------- dates
@pytest.mark.parametrize("stamp", ["2300-01-01T00:00:00Z", "1600-01-01T00:00:00Z",
                                   "9999-12-31T23:59:59Z"])
def test_dates_outside_the_usable_years_name_file_bucket_and_field(stamp: str):
    refused([("far.json", page([result()], start=stamp))],
            f"far.json: data[0]: starting_at {stamp!r} is outside 2000 to 2199")


@pytest.mark.parametrize("day", ["2300-01-01", "1600-01-01", "10000-01-01"])
def test_csv_dates_outside_the_usable_years_name_the_row(day: str):
    rows = f"{day},Claude Sonnet 4.5,ws,k,standard,1000,0,0,0,10\n"
    with pytest.raises(PlannerError, match=r"far\.csv: row 2: date '" + day):
        import_usage([("far.csv", CSV_HEADER + rows)])


# --------------------------------------------------------------------------- numbers
def test_an_integer_too_large_for_a_float_names_bucket_and_field():
    text = page([result()]).replace('"uncached_input_tokens": 1000',
                                    '"uncached_input_tokens": 1' + "0" * 400)
    refused([("big.json", text)], "big.json: data[0] (starting_at 2026-01-01T00:00:00Z): "
                                  "results[0]: uncached_input_tokens is a 401-digit number, "
                                  "too large to be a token count")


@pytest.mark.parametrize(("value", "problem"), [
    ("1e300", "is 1e+300; more than 1e+15 on one line is not plausible usage"),
    ("Infinity", "is inf; expected a finite token count"),
    ("NaN", "is nan; expected a finite token count"),
    ("-5", "is -5; a token count cannot be negative"),
    ('"12"', "is '12'; expected a token count"),
    ("true", "is True; expected a token count"),
])
def test_absurd_token_counts_name_bucket_and_field(value: str, problem: str):
    text = page([result()]).replace('"output_tokens": 10', f'"output_tokens": {value}')
    refused([("odd.json", text)], "odd.json: data[0] (starting_at 2026-01-01T00:00:00Z): "
                                  f"results[0]: output_tokens {problem}")


@pytest.mark.parametrize(("cell", "problem"), [
    ("1" + "0" * 400, "is inf; expected a finite token count"),
    ("1e300", "is 1e+300; more than 1e+15 on one line is not plausible usage"),
    ("nan", "is 'nan'; expected a token count"),
])
def test_absurd_csv_counts_name_the_row(cell: str, problem: str):
    rows = f"2026-01-05,Claude Sonnet 4.5,ws,k,standard,1000,0,0,0,{cell}\n"
    refused([("odd.csv", CSV_HEADER + rows)], f"odd.csv: row 2: output_tokens {problem}")


def test_cost_amounts_must_be_finite_cents():
    cost = json.dumps({"data": [{"starting_at": "2026-01-01T00:00:00Z",
                                 "ending_at": "2026-01-02T00:00:00Z",
                                 "results": [{"amount": "Infinity", "currency": "USD"}]}]})
    refused([("u.json", page([result()])), ("cost.json", cost)],
            "cost.json: data[0] (starting_at 2026-01-01T00:00:00Z): results[0]: amount is "
            "'Infinity'; expected a finite amount")


# --------------------------------------------------------------------------- shapes, size
def test_deep_nesting_is_a_message_not_a_recursion_error():
    refused([("deep.json", "[" * 200_000 + "]" * 200_000)], "deep.json: nested too deeply")
    refused([("deep.json", '{"data": ' * 100_000)], "deep.json:")


def test_usage_files_are_read_up_to_a_cap(tmp_path: Path, monkeypatch, capsys):
    import forecast.usage.formats as formats

    monkeypatch.setattr(formats, "MAX_USAGE_FILE_BYTES", 2**20)
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * (2**20 + 1))
    out = tmp_path / "s.yaml"
    assert main(["import", str(big), "-o", str(out)]) == 2
    assert f"{big}: is larger than 1 MiB" in capsys.readouterr().err
    assert main(["import", "/dev/zero", "-o", str(out)]) == 2  # a device that never ends
    assert "/dev/zero: is larger than 1 MiB" in capsys.readouterr().err
    assert not out.exists() and list(tmp_path.iterdir()) == [big]


def test_too_few_months_names_the_files():
    refused([("short.json", page([result()]))], "short.json: the history gives 1 month to fit")


# --------------------------------------------------------------------------- fuzz: usage
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**3, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["2026-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "2300-01-01T00:00:00Z",
                     "claude-sonnet-4-5", "Claude Haiku 4.5", "batch", "200k-1M", "us"]),
)
FIELDS = ["model", "service_tier", "workspace_id", "context_window", "inference_geo",
          "uncached_input_tokens", "cache_read_input_tokens", "output_tokens", "requests",
          "product", "amount", "cache_creation"]


@st.composite
def usage_pages(draw) -> str:
    """A page close to the real shape, with some fields replaced by anything."""
    months = draw(st.integers(min_value=1, max_value=4))
    data = []
    for m in range(months):
        results = []
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            r = result()
            for name in draw(st.lists(st.sampled_from(FIELDS), max_size=3)):
                r[name] = draw(st.one_of(SCALARS, st.dictionaries(st.text(max_size=5),
                                                                  SCALARS, max_size=2)))
            results.append(r)
        bucket: dict = {"starting_at": f"2026-{m + 1:02d}-01T00:00:00Z",
                        "ending_at": f"2026-{m + 2:02d}-01T00:00:00Z", "results": results}
        if draw(st.booleans()) and draw(st.booleans()):
            bucket[draw(st.sampled_from(["starting_at", "ending_at", "results"]))] = \
                draw(SCALARS)
        data.append(bucket)
    top: dict = {"data": data}
    if draw(st.booleans()):
        top["data_refreshed_at"] = draw(st.one_of(st.just("2026-12-01T00:00:00Z"), SCALARS))
    return json.dumps(top, allow_nan=True)


def finite_numbers(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(finite_numbers(v) for v in value.values())
    if isinstance(value, list):
        return all(finite_numbers(v) for v in value)
    return True


@FUZZ
@given(text=usage_pages())
def test_fuzzed_usage_pages_import_or_are_refused_by_name(text: str):
    try:
        imported = import_usage([("fuzz.json", text)])
    except PlannerError as exc:
        assert "fuzz.json" in str(exc)
        return
    assert finite_numbers(yaml.safe_load(imported.scenario_yaml()))
    assert all(math.isfinite(v) for v in imported.monthly_cost().to_numpy().ravel())


@FUZZ
@given(cells=st.lists(st.lists(st.one_of(
    st.text(alphabet="0123456789.-e,", max_size=8), st.sampled_from(
        ["2026-01-05", "2026-02-05", "2026-03-05", "2026-04-31", "Claude Sonnet 4.5", "",
         "inf", "1" + "0" * 320, "batch", "\"", "2299-01-01"])), min_size=10, max_size=10),
    min_size=1, max_size=6))
def test_fuzzed_console_csv_imports_or_is_refused_by_name(cells: list[list[str]]):
    text = CSV_HEADER + "\n".join(",".join(row) for row in cells) + "\n"
    try:
        imported = import_usage([("fuzz.csv", text)])
    except PlannerError as exc:
        assert "fuzz.csv" in str(exc)
        return
    assert finite_numbers(yaml.safe_load(imported.scenario_yaml()))


@FUZZ
@given(text=usage_pages())
def test_fuzzed_cli_import_exits_0_or_2_and_writes_nothing_on_failure(text: str, tmp_path,
                                                                      capsys):
    usage = tmp_path / "fuzz.json"
    usage.write_text(text)
    out = tmp_path / "out.yaml"
    out.unlink(missing_ok=True)
    status = main(["import", str(usage), "-o", str(out)])
    err = capsys.readouterr().err
    assert status in (0, 2) and "Traceback" not in err
    if status == 2:
        assert "fuzz.json" in err and not out.exists()
    else:
        assert finite_numbers(yaml.safe_load(out.read_text()))


# --------------------------------------------------------------------------- fuzz: books
PRICE_VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                         st.integers(min_value=-10, max_value=10**40), st.none(),
                         st.text(max_size=6), st.sampled_from(["1e400", "-.inf", ".nan"]))


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(["input", "output", "cache_read",
                                                "cache_write_5m", "tokenizer_factor",
                                                "long_prompt", "inference_geo", "before"]),
                              PRICE_VALUES, max_size=4),
       batch=PRICE_VALUES)
def test_fuzzed_price_books_load_or_are_refused_naming_the_field(fields: dict, batch):
    model = {"input": 3.0, "output": 15.0, **fields}
    data = {"id": "fuzz", "effective_date": "2026-11-01", "source": "fuzz",
            "batch_discount": batch, "models": {"m": model}}
    assume(data["batch_discount"] is not None or fields)
    try:
        book = _parse_book(json.dumps(data, allow_nan=True), "fuzz.json")
    except PriceBookError as exc:
        text = str(exc)
        assert text.startswith("price book fuzz.json: ")
        assert "models.m." in text or "batch_discount" in text
        return
    prices = book.token_prices("m").as_array()
    assert all(math.isfinite(p) for p in prices)
    assert book.batch_discount < 1.0


NEW_BOOK_VALUES = st.one_of(
    PRICE_VALUES, st.sampled_from(["2026-11-30", "2027-13-01", "n", "m", "zz", ""]),
    st.dictionaries(st.sampled_from(["multiplier", "since", "until", "fields", "url",
                                     "verified", "note"]),
                    st.one_of(PRICE_VALUES, st.sampled_from(["2026-06-01", "2026-05-01",
                                                             ["input"], ["price"], [],
                                                             "https://x", True])),
                    max_size=4),
    st.lists(st.dictionaries(st.sampled_from(["fields", "url", "verified"]),
                             st.sampled_from([["input"], ["fast"], ["nope"], "https://x",
                                              "", True, 3, None]), max_size=3), max_size=2))


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(["fast", "retires", "successor", "sources"]),
                              NEW_BOOK_VALUES, max_size=4))
def test_fuzzed_new_book_fields_load_or_are_refused_naming_the_field(fields: dict):
    """fast, retires, successor and sources (anthropic-2026-12's fields), malformed."""
    data = {"id": "fuzz", "effective_date": "2026-12-01", "source": "fuzz",
            "models": {"m": {"input": 3.0, "output": 15.0, **fields},
                       "n": {"input": 1.0, "output": 5.0}}}
    try:
        book = _parse_book(json.dumps(data, allow_nan=True), "fuzz.json")
    except PriceBookError as exc:
        text = str(exc)
        assert text.startswith("price book fuzz.json: ")
        assert "models.m" in text or "models: " in text, text
        return
    import datetime as dt

    from forecast.pricebook import Speed

    for day in (None, dt.date(2026, 6, 1)):
        prices = book.token_prices("m", day, speed=Speed.FAST).as_array()
        assert all(math.isfinite(p) and p >= 0 for p in prices)
    assert book.successor_on("m", dt.date(2030, 1, 1)) in book.models

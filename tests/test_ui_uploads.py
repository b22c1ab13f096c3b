"""User text and uploaded files on the page (``ui/text.py``, ``ui/uploads.py``): names shown
as typed, never as Markdown or HTML; uploads bounded in size, bundled price books only, and
every failure a message naming the file, never a traceback."""

from __future__ import annotations

import pytest

from forecast.pricebook import bundled_price_book_ids
from tests.conftest import ROOT
from ui import uploads
from ui.text import html_text, md, problem_md
from ui.uploads import (
    SCENARIO_MAX_MB,
    USAGE_MAX_MB,
    UploadError,
    check_usage_upload,
    import_usage_uploads,
    read_scenario_upload,
)

TEAM = (ROOT / "scenarios" / "team-three-workloads.yaml").read_text()


# --------------------------------------------------------------------------- text
def test_markdown_text_is_escaped_character_by_character():
    assert md("[x](http://evil)") == r"\[x\]\(http\:\/\/evil\)"
    assert md("<b>bold</b> **y** $5") == r"\<b\>bold\<\/b\> \*\*y\*\* \$5"
    assert md(":red[alert] `code` # head") == r"\:red\[alert\] \`code\` \# head"
    assert md("line one\nline two") == "line one line two"
    assert md("Globex enterprise portfolio") == "Globex enterprise portfolio"


def test_long_names_are_shortened_keeping_what_tells_them_apart():
    from ui.views import short_name

    assert short_name("Globex enterprise portfolio") == "Globex enterprise portfolio"
    assert short_name("Globex enterprise portfolio · conservative") == \
        "Globex enterpr… · conservative"  # 30 characters, the variant's label whole
    assert short_name("Acme renewal 2027 (nightly enrichment)") == \
        "Acme renewal 2027 (nightly en…"
    assert len(short_name("x" * 80)) == 30


def test_html_text_is_escaped():
    assert html_text('<b>"A" & $5</b>') == "&lt;b&gt;&quot;A&quot; &amp; &#36;5&lt;/b&gt;"


def test_a_problem_keeps_its_field_in_code_and_escapes_the_rest():
    assert problem_md('Workloads table, row 2 "[x](y)": optimized.models: sum $1') == (
        r'Workloads table\, row 2 \"\[x\]\(y\)\"\: `optimized.models`: sum \$1')
    assert problem_md("contract.years: 6 years") == "`contract.years`: 6 years"
    assert problem_md("the file is empty") == "the file is empty"


# --------------------------------------------------------------------------- scenarios
def test_a_valid_upload_reads():
    assert read_scenario_upload("team.yaml", TEAM.encode()).name.startswith("Small team")


def test_a_price_book_that_is_not_bundled_is_refused_before_it_is_read():
    """The bundled book itself, named by its path on the server: a valid book, so only the
    refusal stops it. The message names the field and the books that may be used."""
    path = ROOT / "forecast" / "data" / "pricebooks" / "anthropic-2026-11.yaml"
    text = TEAM.replace("price_book: anthropic-2026-11", f"price_book: {path}")
    assert str(path) in text
    with pytest.raises(UploadError) as err:
        read_scenario_upload("team.yaml", text.encode())
    (problem,) = err.value.problems
    assert problem.startswith("price_book: ") and "bundled price books only" in problem
    assert all(book in problem for book in bundled_price_book_ids())


@pytest.mark.parametrize("book", ["/etc/passwd", ["a", "list"], 42])
def test_any_other_price_book_value_is_refused(book):
    text = TEAM.replace("price_book: anthropic-2026-11", f"price_book: {book}")
    with pytest.raises(UploadError) as err:
        read_scenario_upload("team.yaml", text.encode())
    assert err.value.problems[0].startswith("price_book: ")


def test_the_pages_own_check_refuses_a_book_path():
    """The page's check, for a library that reads book paths (one switch away)."""
    from forecast.errors import ScenarioError

    with pytest.raises(ScenarioError, match="'/etc/passwd' is not a bundled price book"):
        uploads.refuse_book_paths(TEAM.replace("price_book: anthropic-2026-11",
                                               "price_book: /etc/passwd"), "team.yaml")
    uploads.refuse_book_paths(TEAM, "team.yaml")  # a bundled id passes
    uploads.refuse_book_paths("name: [unclosed", "bad.yaml")  # the parser reports this one


def test_a_scenario_too_big_is_refused_by_size():
    content = b"#" * (SCENARIO_MAX_MB * 2**20 + 1)
    with pytest.raises(UploadError, match=f"is at most {SCENARIO_MAX_MB} MB"):
        read_scenario_upload("huge.yaml", content)


def test_not_utf8():
    with pytest.raises(UploadError, match="not UTF-8 text"):
        read_scenario_upload("latin1.yaml", "name: Café".encode("latin-1"))


def test_schema_problems_are_listed_one_per_line():
    bad = (ROOT / "tests" / "bad_scenarios" / "shares_sum.yaml").read_bytes()
    with pytest.raises(UploadError) as err:
        read_scenario_upload("shares_sum.yaml", bad)
    assert any("shares sum to 1.2" in p for p in err.value.problems)


def test_deep_nesting_is_a_message_not_a_traceback():
    with pytest.raises(UploadError) as err:
        read_scenario_upload("deep.yaml", ("[" * 50_000 + "]" * 50_000).encode())
    text = " ".join(err.value.problems)
    assert text and "Traceback" not in text


def test_an_unforeseen_failure_is_named_without_a_traceback(monkeypatch):
    def broken(*_args, **_kwargs):
        raise KeyError("somewhere deep")

    monkeypatch.setattr(uploads, "read_scenario_text", broken)
    with pytest.raises(UploadError) as err:
        read_scenario_upload("team.yaml", TEAM.encode())
    assert err.value.problems == [
        "could not be read (KeyError); check that it is the right file, and report it if it "
        "is"]


# --------------------------------------------------------------------------- usage exports
def test_usage_imports_need_a_file_within_the_size_limit():
    with pytest.raises(UploadError, match="choose one or more usage exports"):
        import_usage_uploads([])
    with pytest.raises(UploadError, match=f"at most {USAGE_MAX_MB} MB"):
        import_usage_uploads([("big.csv", b"a" * (USAGE_MAX_MB * 2**20 + 1))])


def test_the_importers_message_names_the_file():
    with pytest.raises(UploadError) as err:
        import_usage_uploads([("usage.csv", b"a,b\n1,2\n")])
    assert "usage.csv" in err.value.problems[0]


def test_a_usage_file_to_track_is_checked_on_its_own_and_named():
    """The Tracking tab's uploads: one file at a time, within the size limit, in a format the
    importer reads."""
    with pytest.raises(UploadError, match=f"at most {USAGE_MAX_MB} MB") as err:
        check_usage_upload("big.csv", b"a" * (USAGE_MAX_MB * 2**20 + 1))
    assert err.value.source == "big.csv"
    with pytest.raises(UploadError) as err:
        check_usage_upload("notes.csv", b"hello,world\n1,2\n")
    assert str(err.value).startswith("notes.csv: missing columns")
    with pytest.raises(UploadError, match="not valid JSON"):
        check_usage_upload("page.json", b"[1")
    usage = ROOT / "tests" / "fixtures" / "tracking" / "console-usage-2026-12-to-2027-05.csv"
    check_usage_upload(usage.name, usage.read_bytes())  # a Console export: no error


def test_an_unforeseen_failure_reading_usage_is_named(monkeypatch):
    import forecast.usage

    def boom(name, content):
        raise KeyError("x")

    monkeypatch.setattr(forecast.usage, "read_usage", boom)
    with pytest.raises(UploadError) as err:
        check_usage_upload("odd.csv", b"date\n")
    assert err.value.problems == [
        "could not be read (KeyError); check that it is the right file, and report it if it "
        "is"]

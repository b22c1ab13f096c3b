"""The negotiation PDF: read back, its figures equal ``commitplan plan --json``'s.

The PDF is read with pypdf (text in drawing order, so a table row reads left to right);
whitespace is collapsed because paragraphs wrap where they like.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from forecast.errors import PlannerError
from forecast.formatting import pct, usd
from forecast.plan import build_plan
from forecast.pricebook import load_price_book
from forecast.report import conclusion, render_pdf, write_pdf
from forecast.scenario_io import load_scenario
from forecast.typeset import text
from tests.conftest import ROOT, make_scenario
from tests.inprocess import commitplan

ENTERPRISE = ROOT / "scenarios" / "enterprise-portfolio.yaml"
RUN = ("--paths", "2000", "--seed", "3", "--no-sensitivity")
DATE = dt.date(2026, 11, 23)
AWKWARD = ["R&D <bots>", "Überprüfung", "評価", "\"Quoted\" & 'single' names",
           "Отчёты и Σύνοψη",
           "A very long workload name that goes on and on to test wrapping in every table"]


def cli(*args: str, cwd: Path = ROOT):
    return commitplan(*args, cwd=cwd)


def pages(pdf: bytes) -> list[str]:
    """Text of each page, whitespace collapsed."""
    return [re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]


def money_after(page: str, label: str) -> str:
    """The first dollar figure after ``label`` on the page."""
    start = page.index(label) + len(label)
    match = re.search(r"-?\$[\d,]+", page[start:])
    assert match, f"no dollar figure after {label!r}"
    return match.group(0)


def amount(result: dict) -> str:
    """How the report prints a commitment: one amount, or one per year for a ramp."""
    return " ".join(usd(c) for c in result["per_year"]) if result["is_ramp"] \
        else usd(result["annual_commit"])


@pytest.fixture(scope="module")
def enterprise(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list[str], Path]:
    """The plan JSON and the report of the same scenario, paths and seed, both by the CLI."""
    folder = tmp_path_factory.mktemp("report")
    out = folder / "enterprise.pdf"
    plan = commitplan("plan", str(ENTERPRISE), "--json", *RUN)
    report = commitplan("report", str(ENTERPRISE), "-o", str(out), *RUN)
    assert plan.returncode == 0, plan.stderr
    assert report.returncode == 0, report.stderr
    plan_out, report_err = plan.stdout, report.stderr
    assert f"wrote {out}" in report_err
    return json.loads(plan_out), pages(out.read_bytes()), out


@pytest.fixture(scope="module")
def awkward_plan():
    """Names with markup characters, quotes and non-Latin letters; a gray workload so the
    walk-back flag names one of them; a scenario commitment and a --commit."""
    workloads = []
    for i, name in enumerate(AWKWARD):
        w = {"name": name, "optimized": {"models": {"claude-haiku-4-5": 1.0},
                                         "batch_share": 1.0, "lands_month": 2}}
        if i == 0:
            w.update(waiting="gray", acceptable_latency_minutes=120, urgent_share=0.2,
                     optimized={"batch_share": 0.8, "lands_month": 3})
        workloads.append(w)
    scenario = make_scenario(
        *workloads, name='Acme "R&D" <renewal> 評価 & Überprüfung', horizon_months=24,
        contract={"years": 2, "commitments": [30000],
                  "discount_tiers": [{"min_annual_commit": 10000, "discount": 0.1}]},
        uncertainty={"walk_back_probability": 0.2, "shared_growth_volatility": 0.02})
    return build_plan(scenario, load_price_book("anthropic-2026-11"), paths=300, seed=1,
                      commits=[20000], sensitivity=False)


@pytest.fixture(scope="module")
def awkward_pdf(awkward_plan) -> bytes:
    return render_pdf(awkward_plan, DATE)


# --------------------------------------------------------------------------- figures
def test_summary_figures_equal_plan_json(enterprise):
    doc, text_pages, _ = enterprise
    summary = text_pages[0]
    rec = doc["recommendation"]
    assert doc["scenario"] in summary
    assert f"price book {doc['price_book']['id']}" in summary
    assert f"(effective {doc['price_book']['effective_date']})" in summary
    assert f"prepared {dt.date.today().isoformat()}" in summary
    assert f"{doc['paths']:,} simulated paths, seed {doc['seed']}" in summary
    # The decision with its reason, then the four figures under it: the one saving quoted
    # is the decision's bridge's first line minus its last.
    d = doc["decision"]
    assert "THE DECISION" in summary and d["reason"][:60] in summary
    for c in d["per_year"]:
        assert usd(c) in summary
    assert money_after(summary, "WINDOW" if d["sign_after_months"] else "TERM") == usd(
        d["expected_cost"])
    bridge = doc["bridge"]
    assert money_after(summary, "EXPECTED SAVING VS TODAY'S PATH AT LIST") == usd(
        bridge["today_list"] - bridge["expected_cost"])
    assert usd(d["saving_vs_today"]) == usd(doc["saving"]["vs_today"])
    assert f"SHORTFALL PROBABILITY {pct(d['shortfall_probability'])}" in summary
    assert money_after(summary, "IN A BAD CASE (P90)") == usd(d["extra_cost_p90"])
    # The bridge, line by line (under its heading: the position's box above quotes pay as
    # you go over the term too).
    summary = summary[summary.index("The savings bridge of the decision"):]
    for words, key, sign in (("today's path at list", "today_list", 1),
                             ("optimization levers", "levers", -1),
                             ("pay as you go on the optimized path", "payg", 1),
                             ("discount earned", "discount", -1),
                             ("unused commitment", "unused", 1),
                             ("expected cost of the decision", "expected_cost", 1)):
        assert money_after(summary, words) == usd(sign * bridge[key]), words
    # The budget, year by year, beside when to sign (page 2).
    timing = next(p for p in text_pages if "When to sign" in p)
    for b in doc["budget"]:
        assert money_after(timing, f"year {b['year']}") == usd(b["expected_cost"])
    # The options table (page two), row by row: commitment, discount, expected cost, saving
    # against today's path, shortfall probability, stranded savings, colour.
    options = next(p for p in text_pages if p.startswith("The options on the table"))
    for label, key in (("Recommended", "recommended"), ("Risk-neutral", "risk_neutral"),
                       ("Risk-bounded", "risk_bounded"), ("Best ramp", "ramp"),
                       ("Sized on the unoptimized forecast", "unoptimized_forecast"),
                       ("Today's run rate x 12", "run_rate")):
        result = rec[key]
        discounts = sorted(set(result["discount_per_year"]), key=result["discount_per_year"].index)
        discount = " ".join(pct(d) for d in result["discount_per_year"]) \
            if len(discounts) > 1 else pct(result["discount"])
        row = (f"{amount(result)} {discount} {usd(result['expected_cost'])} "
               f"{usd(result['saving_vs_today'])} {pct(result['shortfall_probability'])} "
               f"{usd(result['stranded_savings'])} {result['flag'].upper()}")
        start = options.index(label, options.index("The options on the table"))
        assert row in options[start:], label


def test_stranded_and_walk_back_flags_equal_plan_json(enterprise):
    doc, text_pages, _ = enterprise
    start = next(i for i, p in enumerate(text_pages) if p.startswith("The options on"))
    summary = " ".join(text_pages[start:start + 2])  # with the options
    flags = {(f["kind"], f.get("commitment")): f for f in doc["flags"]}
    for kind in ("recommended", "unoptimized_forecast", "run_rate"):
        flag = flags[("stranded_savings", kind)]
        head = (f"Stranded savings: {usd(flag['amount'])}, {pct(flag['share'])} of the gross "
                "savings.")
        assert head in summary
        assert flag["level"].upper() in summary
    baseline = doc["recommendation"]["unoptimized_forecast"]
    assert usd(baseline["stranded_savings"]) == usd(flags[("stranded_savings",
                                                           "unoptimized_forecast")]["amount"])
    walk = doc["walk_back"]
    assert (f"Walk-back exposure: {usd(walk['expected_extra_cost'])} expected over the term."
            in summary)
    assert f"if every one reverts, {usd(walk['if_all_revert'])}" in summary


def test_conclusion_on_the_summary(enterprise):
    doc, text_pages, _ = enterprise
    summary = text_pages[0]
    d = doc["decision"]
    base = doc["recommendation"]["unoptimized_forecast"]
    assert "OPTIMIZE, THEN COMMIT" in summary
    assert "1. Optimize first. Land " in summary
    # Line 2 is the decision, its amounts as they are signed.
    assert "2. Then commit " in summary
    assert all(usd(c) in summary[summary.index("2. Then commit "):] for c in d["per_year"])
    # The enterprise example's baseline-sized commitment strands red: line 3 says so.
    assert base["flag"] == "red"
    assert (f"would strand {usd(base['stranded_savings'])}, {pct(base['stranded_share'])} "
            "of the savings") in summary


def test_sections_in_order_with_footer_on_every_page(enterprise):
    doc, text_pages, _ = enterprise
    headings = ["The offers, compared", "The options on the table", "Forecast: monthly spend",
                "Commitment options",
                "Where the savings come from", "Sensitivity: what moves", "Assumptions"]
    first_page = [next(i for i, p in enumerate(text_pages) if h in p) for h in headings]
    assert first_page == sorted(first_page)
    assert first_page[0] == 1  # the summary fits on page one, the offers on page two
    n = len(text_pages)
    for i, page in enumerate(text_pages, 1):
        assert f"page {i} of {n}" in page
        assert f"{doc['scenario']} · commitment plan · internal" in page


def test_every_workload_in_the_appendix(enterprise):
    _, text_pages, _ = enterprise
    start = next(i for i, p in enumerate(text_pages) if p.startswith("Assumptions"))
    appendix = " ".join(text_pages[start:])
    names = [w.name for w in load_scenario(ENTERPRISE).workloads]
    assert len(names) == 22
    for name in names:
        # twice: the inputs table and the levers table
        assert appendix.count(name) >= 2, name
    assert "2,000 paths, seed 3" in appendix
    assert "claude-opus-4-5 $5.00 $25.00" in appendix  # the price book's figures


def test_candidates_table_equals_plan_json(enterprise):
    doc, text_pages, _ = enterprise
    options = next(p for p in text_pages if p.startswith("Commitment options"))
    for cand in doc["candidates"]:
        if cand["is_ramp"]:
            continue
        row = (f"{usd(cand['annual_commit'])} {pct(cand['discount'])} "
               f"{usd(cand['expected_cost'])} {usd(cand['cost_p10'])} "
               f"{usd(cand['cost_p90'])} {pct(cand['shortfall_probability'])} "
               f"{usd(cand['expected_unused'])} {usd(cand['expected_overage'])} "
               f"{usd(cand['stranded_savings'])} {cand['flag'].upper()}")
        assert row in options


# --------------------------------------------------------------------------- user text
def test_text_escapes_and_sets_cjk_in_the_fallback_font():
    assert text("R&D <bots>") == "R&amp;D &lt;bots&gt;"
    assert text('"Quoted" Überprüfung') == '"Quoted" Überprüfung'
    assert text("評価 x") == '<font name="DroidSansFallback">評価 </font>x'
    assert text("a\x00b") == "a b"
    assert text("x\ud800") == "x\ufffd"


def test_characters_no_font_has_do_not_break_the_export():
    scenario = make_scenario({"name": "Emoji 🚀 in a name"},
                             {"name": "עברית and العربية"}, name="🚀")
    plan = build_plan(scenario, load_price_book("anthropic-2026-11"), paths=20, seed=1,
                      sensitivity=False)
    assert render_pdf(plan, DATE).startswith(b"%PDF-")


def test_awkward_names_export_and_read_back(awkward_plan, awkward_pdf):
    text_pages = pages(awkward_pdf)
    whole = " ".join(text_pages)
    scenario = awkward_plan.scenario
    assert text_pages[0].startswith(scenario.name)
    for name in AWKWARD:
        assert whole.count(name) >= 3, name  # savings table, inputs, levers
    assert "(R&D <bots>)" in whole  # inside the library's walk-back message
    assert "not computed" in whole  # sensitivity switched off


def test_every_font_is_embedded(awkward_pdf):
    reader = PdfReader(io.BytesIO(awkward_pdf))
    fonts = {}
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            fonts[font["/BaseFont"]] = font
    names = " ".join(fonts)
    assert "DejaVuSans" in names and "DroidSansFallback" in names
    for name, font in fonts.items():
        assert "/FontFile2" in font["/FontDescriptor"], f"{name} is not embedded"


def test_same_plan_and_date_give_the_same_bytes(awkward_plan, awkward_pdf):
    assert render_pdf(awkward_plan, DATE) == awkward_pdf


def test_conclusion_names_the_leaders_that_carry_most_of_the_saving():
    """Three async workloads moving wholly to batch save half their cost: 100k, 10k and
    10k requests a month, so the first carries 100 / 120 = 83% of the monthly saving, over
    the 60% the rule asks for: it is named alone and the two others "follow"."""
    scenario = make_scenario(
        {"name": "Big", "requests_per_month": 100_000, "optimized": {"batch_share": 1.0}},
        {"name": "Small A", "optimized": {"batch_share": 1.0}},
        {"name": "Small B", "optimized": {"batch_share": 1.0}},
    )
    plan = build_plan(scenario, load_price_book("anthropic-2026-11"), paths=50, seed=1,
                      sensitivity=False)
    first = conclusion(plan)[0]
    saving = plan.projection.attribution.saving_per_month
    assert saving[0] == pytest.approx(10 * saving[1])
    assert f"Land Big before signing: it carries {usd(saving[0])} (83%) of the " in first
    assert f"{usd(saving.sum())} a month" in first
    assert "2 more follow in migration order" in first


# --------------------------------------------------------------------------- CLI and files
def test_cli_writes_a_pdf(enterprise):
    _, _, out = enterprise
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary left


@pytest.mark.parametrize("target, message", [
    ("missing/out.pdf", "is not an existing folder"),
    (".", "is a folder"),
])
def test_cli_bad_output_exits_2_and_leaves_nothing(tmp_path: Path, target: str, message: str):
    result = cli("report", str(ENTERPRISE), "-o", target, "--paths", "10", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert list(tmp_path.iterdir()) == []


def test_cli_bad_flags_exit_2(tmp_path: Path):
    for args in (("-o", "x.pdf", "--paths", "zero"), ("-o", "x.pdf", "--commit", "lots"),
                 ()):
        result = cli("report", str(ENTERPRISE), *args, cwd=tmp_path)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_write_that_fails_midway_keeps_the_old_file(tmp_path: Path, awkward_plan,
                                                      monkeypatch):
    # The real PDF is rendered and written; the disk fills up after the first 4 KiB reach
    # the temporary file. The previous report must be left as it was, and nothing beside it.
    import errno

    import forecast.files as files

    out = tmp_path / "plan.pdf"
    out.write_bytes(b"the previous report")
    real_write = files.os.write
    written = {"bytes": 0}

    def fills_up(fd: int, data: bytes) -> int:
        if written["bytes"] >= 4096:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = real_write(fd, bytes(data[:4096]))
        written["bytes"] += n
        return n

    monkeypatch.setattr(files.os, "write", fills_up)
    with pytest.raises(PlannerError, match="No space left on device"):
        write_pdf(awkward_plan, out)
    assert written["bytes"] >= 4096  # the write really started
    assert out.read_bytes() == b"the previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.pdf"]

"""Every usage line counted once, keyed on the usage itself, never on the file name.

Usage: Sonnet 4.5 ($3 / $15) for workspace "chat" and Haiku 4.5 ($1 / $5), batch, for
"nightly", on the 5th, 15th and 25th of January to March 2026:
  chat     2M uncached + 0.2M output = 6 + 3 = $9.00 a day
  nightly  4M uncached + 1M output, batch = (4 + 5) / 2 = $4.50 a day
  $13.50 a day, 3 days: $40.50 a month.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from forecast.cli import main
from forecast.errors import ImportUsageError
from forecast.usage import import_usage

DAYS = [f"2026-{m:02d}-{d:02d}" for m in (1, 2, 3) for d in (5, 15, 25)]
LINES = {  # workspace: (JSON model id, CSV display name, tier, uncached, output)
    "chat": ("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "standard", 2_000_000, 200_000),
    "nightly": ("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "batch", 4_000_000, 1_000_000),
}
CSV_HEADER = ("date,model,workspace,api_key,service_tier,input_tokens_uncached,"
              "cache_write_5m_tokens,cache_write_1h_tokens,cache_read_tokens,output_tokens\n")


def json_page(workspaces: bool = True, scale: dict[str, float] | None = None) -> str:
    """Daily buckets 2026-01-01 to 2026-04-01 of the legacy report, with context_window."""
    data = []
    for day in pd.date_range("2026-01-01", "2026-03-31", freq="D"):
        results = []
        if f"{day:%Y-%m-%d}" in DAYS:
            for ws, (model, _, tier, uncached, output) in LINES.items():
                k = (scale or {}).get(ws, 1.0)
                results.append({"model": model, "service_tier": tier,
                                "workspace_id": f"wrkspc_{ws}" if workspaces else None,
                                "api_key_id": None, "context_window": "0-200k",
                                "uncached_input_tokens": int(uncached * k),
                                "cache_creation": {"ephemeral_5m_input_tokens": 0,
                                                   "ephemeral_1h_input_tokens": 0},
                                "cache_read_input_tokens": 0, "output_tokens": int(output * k)})
        end = day + pd.Timedelta(days=1)
        data.append({"starting_at": f"{day:%Y-%m-%d}T00:00:00Z",
                     "ending_at": f"{end:%Y-%m-%d}T00:00:00Z", "results": results})
    return json.dumps({"data": data, "has_more": False, "next_page": None})


def console_csv(first: str = "2026-01-01", last: str = "2026-03-31",
                changed: dict[str, int] | None = None, workspace: str | None = None) -> str:
    """The same usage as a Console export: display names, workspace names, no window."""
    rows = []
    for day in DAYS:
        for ws, (_, name, tier, uncached, output) in LINES.items():
            if workspace and ws != workspace:
                continue
            uncached = (changed or {}).get(day, uncached) if ws == "chat" else uncached
            rows.append(f"{day},{name},{ws.title()},key-{ws},{tier},{uncached},0,0,0,{output}")
    edges = [f"{first},Claude Sonnet 4.5,Chat,key-chat,standard,0,0,0,0,0",
             f"{last},Claude Sonnet 4.5,Chat,key-chat,standard,0,0,0,0,0"]
    return CSV_HEADER + "\n".join([edges[0], *rows, edges[1]]) + "\n"


def totals(imported) -> list[float]:
    return imported.monthly_cost()["total"].round(2).to_list()


def test_one_source_prices_the_usage():
    assert totals(import_usage([("usage.json", json_page())])) == [40.50, 40.50, 40.50]
    assert totals(import_usage([("usage.csv", console_csv())])) == [40.50, 40.50, 40.50]


def test_the_same_file_given_twice_counts_once():
    for name, text in (("usage.json", json_page()), ("usage.csv", console_csv())):
        twice = import_usage([(name, text), (name, text)])
        assert totals(twice) == [40.50, 40.50, 40.50]
        # Every line of the second copy is a duplicate: 2 lines on each of 9 days (plus the
        # CSV's two zero rows at its edges).
        assert twice.duplicates == (18 if name.endswith(".json") else 20)


def test_two_uploads_with_one_name_but_different_usage_add_up():
    # Two exports both called usage.csv, one per workspace: different lines, so both count.
    chat = console_csv(workspace="chat")
    nightly = console_csv(workspace="nightly")
    both = import_usage([("usage.csv", chat), ("usage.csv", nightly)])
    assert totals(both) == [40.50, 40.50, 40.50] and both.duplicates == 2  # the edge rows


def test_a_console_csv_beside_json_pages_of_the_same_period_counts_once():
    # The CSV names models by display name and workspaces by name, and has no
    # context_window; the JSON has dated ids, workspace ids and windows. Compared by model
    # and service tier on the days both cover, they agree: counted once.
    both = import_usage([("usage.json", json_page()), ("console.csv", console_csv())])
    assert totals(both) == [40.50, 40.50, 40.50]
    assert both.duplicates == 20  # 18 usage rows and the 2 edge rows of the CSV
    # The JSON's finer lines are the ones kept: workspace ids, not names.
    assert sorted(g.name for g in both.groups) == ["wrkspc_chat", "wrkspc_nightly"]


def test_a_mixed_set_that_disagrees_is_refused_naming_the_files_and_months():
    # The CSV says chat used 3M uncached on 2026-02-15, the JSON 2M: which is right cannot
    # be told, so nothing is imported.
    csv = console_csv(changed={"2026-02-15": 3_000_000})
    with pytest.raises(ImportUsageError) as err:
        import_usage([("usage.json", json_page()), ("console.csv", csv)])
    message = str(err.value)
    assert "cannot be de-duplicated safely" in message
    assert "console.csv and usage.json both cover 2026-02" in message
    assert "2026-02-15" in message and "3,200,000 tokens in console.csv, 2,200,000 in " \
        "usage.json" in message


def test_pages_of_different_grains_compare_at_the_common_detail():
    # A page grouped by workspace and one that is not, same days, same usage: once.
    both = import_usage([("by-ws.json", json_page()), ("all.json", json_page(False))])
    assert totals(both) == [40.50, 40.50, 40.50]
    # The ungrouped page with 10% more chat usage: refused.
    more = json_page(False, scale={"chat": 1.1})
    with pytest.raises(ImportUsageError, match=r"all\.json and by-ws\.json both cover "
                                               r"2026-01, 2026-02, 2026-03"):
        import_usage([("by-ws.json", json_page()), ("all.json", more)])


def test_cli_refuses_to_write_over_an_input(tmp_path: Path, capsys):
    usage = tmp_path / "u.csv"
    usage.write_text(console_csv())
    before = usage.read_bytes()
    assert main(["import", str(usage), "-o", str(usage)]) == 2
    err = capsys.readouterr().err
    assert f"{usage}: is the input {usage} itself" in err
    assert usage.read_bytes() == before

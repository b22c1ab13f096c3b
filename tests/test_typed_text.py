"""What a buyer types (tiers, routing mixes) and how money is written: ``forecast.formatting``,
and the charts' money labels, which must read exactly as the page's."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import pytest

from forecast import charts
from forecast.formatting import (
    format_models,
    format_tiers,
    parse_models,
    parse_tiers,
    usd_short,
)


# --------------------------------------------------------------------------- routing mixes
@pytest.mark.parametrize(("text", "models"), [
    ("claude-haiku-4-5: 0.7, claude-sonnet-4-5: 0.3",
     {"claude-haiku-4-5": 0.7, "claude-sonnet-4-5": 0.3}),
    ("claude-haiku-4-5 70%, claude-sonnet-4-5=30%",
     {"claude-haiku-4-5": 0.7, "claude-sonnet-4-5": 0.3}),
    ("claude-opus-4-5", {"claude-opus-4-5": 1.0}),
    ("claude-opus-4-5: 0.5, claude-opus-4-5: 0.5", {"claude-opus-4-5": 1.0}),
    ("  ", None),
])
def test_parse_models(text, models):
    parsed = parse_models(text)
    assert parsed == (None if models is None else pytest.approx(models))


def test_parse_models_says_how_to_write_a_mix():
    with pytest.raises(ValueError, match="write model: share pairs"):
        parse_models("claude-haiku-4-5: lots, claude-sonnet-4-5: 0.3")


def test_format_models_reads_back():
    mix = {"claude-haiku-4-5": 0.7, "claude-sonnet-4-5": 0.3}
    assert format_models(mix) == "claude-haiku-4-5: 0.7, claude-sonnet-4-5: 0.3"
    assert parse_models(format_models(mix)) == mix


# --------------------------------------------------------------------------- tiers
def test_parse_tiers_and_back():
    tiers = parse_tiers("1M: 6% / 3M: 10% / 6,500,000: 0.14")
    assert tiers == [{"min_annual_commit": 1e6, "discount": 0.06},
                     {"min_annual_commit": 3e6, "discount": 0.10},
                     {"min_annual_commit": 6.5e6, "discount": 0.14}]
    assert format_tiers(tiers) == "1M: 6% / 3M: 10% / 6.5M: 14%"
    assert parse_tiers(format_tiers(tiers)) == tiers
    assert parse_tiers("") == []
    assert format_tiers([{"min_annual_commit": 250_000, "discount": 0.08}]) == "250k: 8%"


@pytest.mark.parametrize("text", ["1M 6%", "1M: lots", "1M / 2M: 6%: 7%"])
def test_parse_tiers_says_how_to_write_them(text):
    with pytest.raises(ValueError, match="commit: discount pairs"):
        parse_tiers(text)


# --------------------------------------------------------------------------- money
def test_chart_axis_labels_read_as_the_page_writes_money():
    """The Vega expression behind every money axis, rendered offline, against usd_short
    on the same values (both sides of each unit's threshold: $9,499 and $10K, $995K and
    $1.00M, $995.00M... and $1.00B)."""
    values = [0.0, 7_890.0, 9_499.0, 9_501.0, 456_400.0, 994_990.0, 995_010.0,
              19_047_262.0, 994_990_000.0, 995_010_000.0, 1_234_000_000.0, -2_500_000.0]
    chart = alt.Chart(pd.DataFrame({"v": values, "y": range(len(values))})).mark_point(
    ).encode(x=alt.X("v:Q", axis=charts.money_axis(values=values, labelOverlap=False,
                                                   labelAngle=90),
                     scale=alt.Scale(domain=[-3e6, 1.3e9])), y="y:O")
    svg = charts.to_svg(chart)
    shown = re.findall(r"<text[^>]*>([^<]*\$[^<]*)</text>", svg)
    expected = [usd_short(v) for v in values]
    assert sorted(shown) == sorted(expected)


def test_every_chart_mark_names_its_tooltip():
    """Left to defaults, a mark's tooltip shows raw floats under the axis title (the fan
    chart's band read "p90 785758.063916" and called P10 "List spend"): every layer of the
    page's charts either names its tooltip, with money as text in the page's format, or has
    none."""
    from forecast.plan import build_plan
    from forecast.scenario_io import load_scenario, scenario_price_book
    from tests.conftest import ROOT

    scenario = load_scenario(ROOT / "scenarios" / "team-three-workloads.yaml")
    plan = build_plan(scenario, scenario_price_book(scenario), paths=200,
                      sensitivity=True, sensitivity_paths=100)
    specs = [charts.fan_chart(plan), *charts.cost_curve_panels(plan),
             charts.shapley_chart(plan.projection), charts.waterfall_chart(plan.projection),
             charts.tornado_chart(plan.sensitivity),
             charts.comparison_chart([("a", plan), ("b", plan)])]
    for spec in specs:
        for layer in spec.to_dict().get("layer", [spec.to_dict()]):
            mark = layer["mark"] if isinstance(layer["mark"], dict) else {}
            tooltip = layer.get("encoding", {}).get("tooltip")
            if mark.get("tooltip", "unset") is None:
                continue
            assert tooltip, layer["mark"]
            for item in tooltip:
                assert item.get("title"), item
                if item["type"] == "quantitative":  # shares and counts, formatted
                    assert "format" in item, item

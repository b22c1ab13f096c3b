"""Chart definitions shared by the app and the PDF report: one source of truth.

Every function takes library results and returns an Altair chart with its data inline (no
URLs), so it renders offline: in Streamlit with ``st.altair_chart`` and in the PDF through
vl-convert (:func:`to_svg`). Money axes are in dollars per month or per year, as titled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd

from forecast.contract import as_commitment, discount_for

if TYPE_CHECKING:
    from forecast.plan import Plan
    from forecast.projection import Projection
    from forecast.sensitivity import SensitivityRow
    from forecast.tracking import Tracking

CURRENT = "#9aa5b1"  # today's path: grey
OPTIMIZED = "#1f6feb"  # optimized path: blue
COMMIT = "#d1242f"  # the commitment: red
INK = "#1f2328"  # what happened: near black
LEVER_COLOURS = {"routing": "#8250df", "caching": "#1a7f37", "batch": "#bf8700"}
FLAG_COLOURS = {"green": "#1a7f37", "amber": "#bf8700", "red": "#d1242f"}
MONEY = "$,.3~s"  # d3 format: $1.2M, $450k
WIDTH = 640


def _dates(months: Sequence[str]) -> list[str]:
    return [f"{m}-01" for m in months]


def fan_chart(plan: Plan, commitment: np.ndarray | None = None, width: int = WIDTH,
              height: int = 300) -> alt.LayerChart:
    """Monthly list spend, current vs optimized: P10-P90 band and median line, with the
    list spend the commitment covers each month over the contract years: annual commitment /
    (1 - discount) / 12, since usage draws the commitment down at the discounted rate. List
    spend above the line is overage; below it, the commitment is paid anyway."""
    sim = plan.simulation
    rows = []
    for name, paths in (("Current path", sim.current), ("Optimized path", sim.optimized)):
        p10, p50, p90 = np.quantile(paths, [0.1, 0.5, 0.9], axis=0)
        for i, month in enumerate(_dates(sim.months)):
            rows.append({"month": month, "path": name, "p10": p10[i], "p50": p50[i],
                         "p90": p90[i]})
    data = pd.DataFrame(rows)
    colour = alt.Color("path:N", title=None,
                       scale=alt.Scale(domain=["Current path", "Optimized path"],
                                       range=[CURRENT, OPTIMIZED]),
                       legend=alt.Legend(orient="top"))
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0,
                                                    tickCount=8))
    band = alt.Chart(data).mark_area(opacity=0.25).encode(
        x=x, y=alt.Y("p10:Q", title="List spend ($ per month)",
                     axis=alt.Axis(format=MONEY)),
        y2="p90:Q", color=colour)
    line = alt.Chart(data).mark_line(strokeWidth=2).encode(
        x=x, y="p50:Q", color=colour,
        tooltip=[alt.Tooltip("month:T", format="%b %Y"), "path:N",
                 alt.Tooltip("p10:Q", format="$,.0f", title="P10"),
                 alt.Tooltip("p50:Q", format="$,.0f", title="median"),
                 alt.Tooltip("p90:Q", format="$,.0f", title="P90")])
    layers: list[alt.Chart] = [band, line]
    per_year = plan.recommendation.recommended.per_year if commitment is None \
        else np.asarray(commitment, dtype=float)
    per_year = as_commitment(plan.scenario.contract, per_year)
    discount = discount_for(plan.scenario.contract, per_year)
    if per_year.sum() > 0:
        months = _dates(sim.months)
        steps = []
        for y, amount in enumerate(per_year):
            start = months[12 * y]
            end = months[min(12 * (y + 1), len(months) - 1)]
            covered = amount / (1.0 - discount[y]) / 12.0
            steps.append({"start": start, "end": end, "monthly": covered,
                          "commit": amount / 12.0})
        rule = alt.Chart(pd.DataFrame(steps)).mark_rule(
            color=COMMIT, strokeDash=[6, 3], strokeWidth=2).encode(
            x="start:T", x2="end:T", y="monthly:Q",
            tooltip=[alt.Tooltip("commit:Q", format="$,.0f", title="commitment / month"),
                     alt.Tooltip("monthly:Q", format="$,.0f", title="covers list / month")])
        # Labelled at its right end, where growth has usually lifted the bands clear of it.
        text = alt.Chart(pd.DataFrame(steps[-1:])).mark_text(
            color=COMMIT, align="right", dy=-8, fontSize=11).encode(
            x="end:T", y="monthly:Q", text=alt.value("list spend the commitment covers"))
        layers += [rule, text]
    return alt.layer(*layers).properties(
        width=width, height=height,
        title="Monthly spend: current vs optimized (P10-P90 band, median line)")


def cost_curve(plan: Plan, width: int = WIDTH, height: int = 280) -> alt.VConcatChart:
    """Expected cost over the term against the annual commitment, tier edges and the
    recommendations marked; shortfall probability in a panel below on the same axis."""
    rec = plan.recommendation
    curve = plan.curve_frame()
    # Show the region where the decision is: up to well past the recommendations, the top
    # tier edge and the line where stranding crosses amber.
    edges = [t.min_annual_commit for t in plan.scenario.contract.discount_tiers]
    x_max = max(1.6 * max(rec.risk_bounded.annual_commit, rec.risk_neutral.annual_commit),
                1.15 * max(edges, default=0.0), 1.1 * rec.safe_commit.annual_commit, 1.0)
    curve = curve[curve["annual_commit"] <= x_max]
    marks = pd.DataFrame([
        {"annual_commit": r.annual_commit, "expected_cost": r.expected_cost, "label": label,
         "shortfall_probability": r.shortfall_probability}
        for label, r in (("recommended", rec.recommended), ("risk-neutral", rec.risk_neutral),
                         ("risk-bounded", rec.risk_bounded))
    ])
    x = alt.X("annual_commit:Q", title="Annual commitment ($ per year)",
              axis=alt.Axis(format=MONEY))
    tiers = pd.DataFrame([{"edge": t.min_annual_commit,
                           "label": f"{t.discount:.0%} tier"}
                          for t in plan.scenario.contract.discount_tiers
                          if t.min_annual_commit <= curve["annual_commit"].max()])
    cost = alt.Chart(curve).mark_line(color=OPTIMIZED, strokeWidth=2).encode(
        x=x, y=alt.Y("expected_cost:Q", title="Expected cost over the term ($)",
                     axis=alt.Axis(format=MONEY), scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("annual_commit:Q", format="$,.0f", title="commit / year"),
                 alt.Tooltip("expected_cost:Q", format="$,.0f", title="expected cost"),
                 alt.Tooltip("shortfall_probability:Q", format=".0%", title="shortfall"),
                 alt.Tooltip("discount:Q", format=".0%")])
    points = alt.Chart(marks).mark_point(filled=True, size=90, color=COMMIT).encode(
        x="annual_commit:Q", y="expected_cost:Q",
        shape=alt.Shape("label:N", title=None, legend=alt.Legend(orient="top")),
        tooltip=["label:N", alt.Tooltip("annual_commit:Q", format="$,.0f"),
                 alt.Tooltip("expected_cost:Q", format="$,.0f")])
    layers: list[alt.Chart] = [cost, points]
    if not tiers.empty:
        layers.append(alt.Chart(tiers).mark_rule(color="#888", strokeDash=[3, 3]).encode(
            x="edge:Q"))
        layers.append(alt.Chart(tiers).mark_text(align="left", dx=3, dy=-6, color="#555",
                                                 fontSize=10).encode(
            x="edge:Q", y=alt.value(0), text="label:N"))
    top = alt.layer(*layers).properties(width=width, height=height,
                                        title="Expected cost against commitment size")
    short = alt.Chart(curve).mark_area(color=COMMIT, opacity=0.3, line=True).encode(
        x=x, y=alt.Y("shortfall_probability:Q", title="Shortfall probability",
                     axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1])))
    appetite = alt.Chart(pd.DataFrame({"a": [rec.appetite]})).mark_rule(
        color="#555", strokeDash=[4, 2]).encode(y="a:Q")
    bottom = alt.layer(short, appetite).properties(width=width, height=90)
    return alt.vconcat(top, bottom, spacing=6)


def shapley_chart(projection: Projection, width: int = 300, height: int = 200) -> alt.Chart:
    """Saving over the horizon by lever (Shapley shares: order-free)."""
    a = projection.attribution
    data = pd.DataFrame({"lever": [str(k) for k in a.shapley],
                         "saving": list(a.shapley.values())})
    total = a.total_saving
    data["share"] = data["saving"] / total if total else 0.0
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("saving:Q", title="Saving over the horizon ($)", axis=alt.Axis(format=MONEY)),
        y=alt.Y("lever:N", title=None, sort=["routing", "caching", "batch"]),
        color=alt.Color("lever:N", legend=None,
                        scale=alt.Scale(domain=list(LEVER_COLOURS),
                                        range=list(LEVER_COLOURS.values()))),
        tooltip=["lever:N", alt.Tooltip("saving:Q", format="$,.0f"),
                 alt.Tooltip("share:Q", format=".0%")],
    ).properties(width=width, height=height,
                 title=alt.TitleParams("Savings by lever",
                                       subtitle="Shapley shares: averaged over every order"))


def waterfall_chart(projection: Projection, width: int = 300, height: int = 200) -> alt.Chart:
    """Sequential waterfall from current to optimized spend: routing, caching, batch."""
    a = projection.attribution
    rows = [{"step": "Current path", "start": 0.0, "end": a.current_total, "kind": "total"}]
    level = a.current_total
    for lever, saving in a.waterfall:
        rows.append({"step": f"- {lever}", "start": level - saving, "end": level,
                     "kind": str(lever)})
        level -= saving
    rows.append({"step": "Optimized path", "start": 0.0, "end": level, "kind": "total"})
    data = pd.DataFrame(rows)
    data["amount"] = data["end"] - data["start"]
    order = list(data["step"])
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("step:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("start:Q", title="Spend over the horizon ($)", axis=alt.Axis(format=MONEY)),
        y2="end:Q",
        color=alt.Color("kind:N", legend=None,
                        scale=alt.Scale(domain=["total", *LEVER_COLOURS],
                                        range=[CURRENT, *LEVER_COLOURS.values()])),
        tooltip=["step:N", alt.Tooltip("amount:Q", format="$,.0f")],
    ).properties(width=width, height=height,
                 title=alt.TitleParams("Sequential waterfall",
                                       subtitle="in order: routing, then caching, then batch"))


def tornado_chart(rows: Sequence[SensitivityRow], width: int = 520, height: int | None = None
                  ) -> alt.LayerChart:
    """Risk-bounded annual commitment at each assumption's low and high value; each bar is
    labelled at both ends with the assumption value that put it there."""
    data = pd.DataFrame([{
        "assumption": r.assumption, "low": r.low, "high": r.high, "base": r.base,
        "low_label": r.low_label, "high_label": r.high_label,
        "left": min(r.low, r.high), "right": max(r.low, r.high),
        "left_label": r.low_label if r.low <= r.high else r.high_label,
        "right_label": r.high_label if r.low <= r.high else r.low_label,
    } for r in rows])
    order = list(data["assumption"])
    lo, hi = float(data["left"].min()), float(data["right"].max())
    pad = 0.3 * max(hi - lo, 0.05 * max(abs(hi), 1.0))
    x_scale = alt.Scale(domain=[max(0.0, lo - pad), hi + pad], zero=False, nice=False)
    y = alt.Y("assumption:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    bars = alt.Chart(data).mark_bar(color=OPTIMIZED, opacity=0.75, height=14).encode(
        x=alt.X("left:Q", title="Risk-bounded annual commitment ($ per year)",
                axis=alt.Axis(format=MONEY), scale=x_scale),
        x2="right:Q", y=y,
        tooltip=["assumption:N", "low_label:N", alt.Tooltip("low:Q", format="$,.0f"),
                 "high_label:N", alt.Tooltip("high:Q", format="$,.0f")])
    base = alt.Chart(data.head(1)).mark_rule(color=COMMIT, strokeWidth=2).encode(x="base:Q")
    left_text = alt.Chart(data).mark_text(align="right", dx=-4, fontSize=10).encode(
        x="left:Q", y=y, text="left_label:N")
    right_text = alt.Chart(data).mark_text(align="left", dx=4, fontSize=10).encode(
        x="right:Q", y=y, text="right_label:N")
    return alt.layer(bars, base, left_text, right_text).properties(
        width=width, height=height or 30 * len(data) + 20,
        title="What moves the commitment most (base: red line)")


def comparison_chart(plans: Sequence[tuple[str, Plan]], width: int = WIDTH,
                     height: int = 220) -> alt.Chart:
    """Side by side: recommended annual commitment, expected yearly cost and stranded
    savings (at the recommended commitment) per scenario."""
    rows = []
    for name, plan in plans:
        r = plan.recommendation.recommended
        years = plan.scenario.contract.years
        for measure, value in (("Recommended commitment / year", r.annual_commit),
                               ("Expected cost / year", r.expected_cost / years),
                               ("Today's path at list / year", r.expected_current_list / years),
                               ("Stranded savings / year", r.stranded_savings / years)):
            rows.append({"scenario": name, "measure": measure, "value": value})
    data = pd.DataFrame(rows)
    names = list(dict.fromkeys(data["scenario"]))
    measures = list(dict.fromkeys(data["measure"]))
    # Scenario names are long: the colour legend names the bars, not crowded axis labels.
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("scenario:N", title=None, sort=names, axis=None),
        y=alt.Y("value:Q", title="$ per year", axis=alt.Axis(format=MONEY)),
        color=alt.Color("scenario:N", title=None, sort=names,
                        legend=alt.Legend(orient="top", columns=2, labelLimit=400)),
        column=alt.Column("measure:N", title=None, sort=measures,
                          header=alt.Header(labelFontSize=11, labelLimit=220)),
        tooltip=["scenario:N", "measure:N", alt.Tooltip("value:Q", format="$,.0f")],
    ).properties(width=max(120, width // 4 - 20), height=height)


def burn_down_chart(tracking: Tracking, year: int, width: int = WIDTH, height: int = 260
                    ) -> alt.LayerChart:
    """Burn-down of one contract year: consumption at the discounted rate, cumulated over
    the year's months, against the commitment (red dashed line). The solid line is the
    consumption to date; from the as-of month on, the band spans the forecast's P10 to P90
    and the dashed line is its expectation. Where the forecast ends above the red line the
    year passes its commitment; below it, the gap is paid anyway.

    Parameters
    ----------
    tracking : Tracking
        From :func:`forecast.tracking.track`.
    year : int
        The contract year, from 1.
    """
    from forecast.formatting import usd

    data = tracking.burn_down[tracking.burn_down["year"] == year].copy()
    if data.empty:
        raise ValueError(f"year {year}: the contract has years 1 to {len(tracking.years)}")
    data["date"] = _dates(list(data["month"]))
    committed = float(data["committed"].iloc[0])
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=6))
    y_title = "Consumed ($, cumulative)"
    forecast = data.dropna(subset=["p10"]).assign(kind="forecast (expected)")
    actual = data.dropna(subset=["actual"]).assign(kind="consumed to date")
    shown = [(k, c) for k, c, part in (("consumed to date", INK, actual),
                                       ("forecast (expected)", OPTIMIZED, forecast),
                                       ("committed", COMMIT, data)) if not part.empty]
    colour = alt.Color("kind:N", title=None, legend=alt.Legend(orient="top"),
                       scale=alt.Scale(domain=[k for k, _ in shown],
                                       range=[c for _, c in shown]))
    money = alt.Axis(format=MONEY)
    layers: list[alt.Chart] = []
    if not forecast.empty:
        layers.append(alt.Chart(forecast).mark_area(opacity=0.2, color=OPTIMIZED).encode(
            x=x, y=alt.Y("p10:Q", title=y_title, axis=money), y2="p90:Q",
            tooltip=[alt.Tooltip("month:N"), alt.Tooltip("p10:Q", format="$,.0f", title="P10"),
                     alt.Tooltip("expected:Q", format="$,.0f", title="expected"),
                     alt.Tooltip("p90:Q", format="$,.0f", title="P90")]))
        layers.append(alt.Chart(forecast).mark_line(strokeDash=[5, 3], strokeWidth=2).encode(
            x=x, y=alt.Y("expected:Q", title=y_title, axis=money), color=colour))
    if not actual.empty:
        layers.append(alt.Chart(actual).mark_line(strokeWidth=2.5, point=True).encode(
            x=x, y=alt.Y("actual:Q", title=y_title, axis=money), color=colour,
            tooltip=[alt.Tooltip("month:N"),
                     alt.Tooltip("actual:Q", format="$,.0f", title="consumed to date")]))
    line = pd.DataFrame({"date": [data["date"].iloc[0], data["date"].iloc[-1]],
                         "committed": [committed, committed], "kind": ["committed"] * 2})
    layers.append(alt.Chart(line).mark_line(strokeDash=[6, 3], strokeWidth=2).encode(
        x=x, y=alt.Y("committed:Q", title=y_title, axis=money), color=colour,
        tooltip=[alt.Tooltip("committed:Q", format="$,.0f", title="committed")]))
    first, last = data["month"].iloc[0], data["month"].iloc[-1]
    return alt.layer(*layers).properties(
        width=width, height=height,
        title=alt.TitleParams(f"Year {year} ({first} to {last}): {usd(committed)} committed",
                              subtitle=f"consumption at the discounted rate, as of "
                                       f"{tracking.as_of}; band: forecast P10 to P90"))


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to SVG offline (vl-convert bundles its own engine)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart.to_json(validate=False))


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """Render a chart to PNG offline."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(chart.to_json(validate=False), scale=scale)

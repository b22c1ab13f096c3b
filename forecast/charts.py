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

from forecast.contract import as_commitment, discount_for
from forecast.formatting import usd_short

if TYPE_CHECKING:
    from forecast.negotiation import Position
    from forecast.plan import Plan
    from forecast.projection import Projection
    from forecast.scenario import Contract
    from forecast.sensitivity import SensitivityRow
    from forecast.tracking import Tracking

CURRENT = "#9aa5b1"  # today's path: grey
OPTIMIZED = "#1f6feb"  # optimized path: blue
COMMIT = "#d1242f"  # the commitment: red
INK = "#1f2328"  # what happened: near black
LEVER_COLOURS = {"routing": "#8250df", "caching": "#1a7f37", "batch": "#bf8700"}
FLAG_COLOURS = {"green": "#1a7f37", "amber": "#bf8700", "red": "#d1242f"}
WIDTH = 640


#: Where :func:`forecast.formatting.usd_short` moves to the next unit (it chooses the unit
#: after rounding: $995,000 reads $1.00M, never $995K or $1000K), with the unit's scale,
#: suffix and decimals. tests/test_typed_text.py renders the labels against usd_short.
SHORT_UNITS: tuple[tuple[float, float, str, int], ...] = (
    (995_000_000.0, 1e9, "B", 2),
    (995_000.0, 1e6, "M", 2),
    (9_500.0, 1e3, "K", 0),
)


def _money_expr(value: str) -> str:
    """A Vega expression writing ``value`` as :func:`forecast.formatting.usd_short` does."""
    a = f"abs({value})"
    out = f"'$' + format({a}, ',.0f')"
    for threshold, scale, suffix, decimals in reversed(SHORT_UNITS):
        out = (f"({a} >= {threshold!r} ? '$' + format({a} / {scale!r}, '.{decimals}f') + "
               f"'{suffix}' : {out})")
    return f"({value} <= -0.5 ? '-' : '') + {out}"


#: Axis labels in the page's money format (``$1.23M``, ``$456K``): one format per magnitude
#: for the page, its tables and its charts.
MONEY_LABEL = _money_expr("datum.value")


def money_axis(**kwargs: object) -> alt.Axis:
    """An axis labelled in the page's money format."""
    return alt.Axis(labelExpr=MONEY_LABEL, **kwargs)


def money_text(values: object) -> list[str]:
    """Tooltip and label text in the page's money format."""
    return [usd_short(float(v)) for v in np.asarray(values, dtype=float).ravel()]


def _data(rows: Sequence[dict[str, object]]) -> alt.Data:
    """Rows as inline chart data (plain Python numbers: no pandas on the export's path)."""
    def plain(v: object) -> object:
        return float(v) if isinstance(v, np.floating | np.integer) else v

    return alt.Data(values=[{k: plain(v) for k, v in row.items()} for row in rows])


#: Time scales in UTC: a month's first day (``2027-01-01``, read as UTC midnight) is labelled
#: by its own month whatever the time zone of the viewer or of the PDF's machine.
UTC = alt.Scale(type="utc")


def _dates(months: Sequence[str]) -> list[str]:
    return [f"{m}-01" for m in months]


def fan_chart(plan: Plan, commitment: np.ndarray | None = None, width: int | str = WIDTH,
              height: int | str = 300) -> alt.LayerChart:
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
                         "p90": p90[i], "p10_text": usd_short(p10[i]),
                         "p50_text": usd_short(p50[i]), "p90_text": usd_short(p90[i])})
    data = _data(rows)
    colour = alt.Color("path:N", title=None,
                       scale=alt.Scale(domain=["Current path", "Optimized path"],
                                       range=[CURRENT, OPTIMIZED]),
                       legend=alt.Legend(orient="top"))
    x = alt.X("month:T", title=None, scale=UTC, axis=alt.Axis(
        format="%b %Y", labelAngle=0, tickCount=8))
    # Every mark names its own tooltip: left to defaults, a band would show raw floats and
    # call its lower edge by the axis title.
    tooltip = [alt.Tooltip("month:T", format="%b %Y", formatType="utc", title="month"),
               alt.Tooltip("path:N", title="path"),
               alt.Tooltip("p10_text:N", title="P10"),
               alt.Tooltip("p50_text:N", title="median"),
               alt.Tooltip("p90_text:N", title="P90")]
    band = alt.Chart(data).mark_area(opacity=0.25).encode(
        x=x, y=alt.Y("p10:Q", title="List spend ($ per month)", axis=money_axis()),
        y2="p90:Q", color=colour, tooltip=tooltip)
    line = alt.Chart(data).mark_line(strokeWidth=2).encode(
        x=x, y="p50:Q", color=colour, tooltip=tooltip)
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
                          "commit_text": usd_short(amount / 12.0),
                          "covered_text": usd_short(covered)})
        rule = alt.Chart(_data(steps)).mark_rule(
            color=COMMIT, strokeDash=[6, 3], strokeWidth=2).encode(
            x=alt.X("start:T", scale=UTC), x2="end:T", y="monthly:Q",
            tooltip=[alt.Tooltip("commit_text:N", title="commitment / month"),
                     alt.Tooltip("covered_text:N", title="covers list / month")])
        # Labelled at its right end, where growth has usually lifted the bands clear of it.
        text = alt.Chart(_data(steps[-1:])).mark_text(
            color=COMMIT, align="right", dy=-8, fontSize=11, tooltip=None).encode(
            x=alt.X("end:T", scale=UTC), y="monthly:Q",
            text=alt.value("list spend the commitment covers"))
        layers += [rule, text]
    return alt.layer(*layers).properties(
        width=width, height=height,
        title=alt.TitleParams("Monthly spend: current vs optimized",
                              subtitle="P10-P90 band, median line"))


#: Width of the y axis (labels and title) of the cost curve's two panels, so that drawn
#: apart (the app) their x axes still line up.
_Y_EXTENT = 64


def cost_curve_panels(plan: Plan, width: int | str = WIDTH, height: int = 280
                      ) -> tuple[alt.LayerChart, alt.LayerChart]:
    """The cost curve's two panels on one x scale: expected cost over the term against the
    annual commitment (tier edges and the recommendations marked), and the shortfall
    probability below it. The app draws them one above the other at its container's width;
    :func:`cost_curve` joins them for the PDF."""
    rec = plan.recommendation
    sweep = rec.sweep
    # Show the region where the decision is: up to well past the recommendations, the top
    # tier edge and the line where stranding crosses amber.
    edges = [t.min_annual_commit for t in plan.scenario.contract.discount_tiers]
    x_max = max(1.6 * max(rec.risk_bounded.annual_commit, rec.risk_neutral.annual_commit),
                1.15 * max(edges, default=0.0), 1.1 * rec.safe_commit.annual_commit, 1.0)
    shown = np.flatnonzero(sweep.commitment <= x_max)
    curve = _data([{"annual_commit": sweep.commitment[i], "discount": sweep.discount[i],
                    "expected_cost": sweep.expected_cost[i],
                    "shortfall_probability": sweep.shortfall_probability[i],
                    "commit_text": usd_short(sweep.commitment[i]),
                    "cost_text": usd_short(sweep.expected_cost[i])} for i in shown])
    x_top = float(sweep.commitment[shown].max()) if shown.size else 1.0
    marks = _data([
        {"annual_commit": r.annual_commit, "expected_cost": r.expected_cost, "label": label,
         "commit_text": usd_short(r.annual_commit), "cost_text": usd_short(r.expected_cost)}
        for label, r in (("recommended", rec.recommended), ("risk-neutral", rec.risk_neutral),
                         ("risk-bounded", rec.risk_bounded))
    ])
    x_scale = alt.Scale(domain=[0.0, x_top], nice=False)
    x = alt.X("annual_commit:Q", title="Annual commitment ($ per year)",
              axis=money_axis(), scale=x_scale)
    tier_rows = [{"edge": t.min_annual_commit, "label": f"{t.discount:.0%} tier"}
                 for t in plan.scenario.contract.discount_tiers
                 if t.min_annual_commit <= x_top]
    tiers = _data(tier_rows)
    cost = alt.Chart(curve).mark_line(color=OPTIMIZED, strokeWidth=2).encode(
        x=x, y=alt.Y("expected_cost:Q", title="Expected cost, term ($)",
                     axis=money_axis(minExtent=_Y_EXTENT, maxExtent=_Y_EXTENT),
                     scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("commit_text:N", title="commit / year"),
                 alt.Tooltip("cost_text:N", title="expected cost"),
                 alt.Tooltip("shortfall_probability:Q", format=".0%", title="shortfall"),
                 alt.Tooltip("discount:Q", format=".0%", title="discount")])
    points = alt.Chart(marks).mark_point(filled=True, size=90, color=COMMIT).encode(
        x="annual_commit:Q", y="expected_cost:Q",
        shape=alt.Shape("label:N", title=None, legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("label:N", title="commitment"),
                 alt.Tooltip("commit_text:N", title="per year"),
                 alt.Tooltip("cost_text:N", title="expected cost")])
    layers: list[alt.Chart] = [cost, points]
    if tier_rows:
        layers.append(alt.Chart(tiers).mark_rule(color="#888", strokeDash=[3, 3],
                                                 tooltip=None).encode(x="edge:Q"))
        layers.append(alt.Chart(tiers).mark_text(align="left", dx=3, dy=-6, color="#555",
                                                 fontSize=10, tooltip=None).encode(
            x="edge:Q", y=alt.value(0), text="label:N"))
    top = alt.layer(*layers).properties(width=width, height=height,
                                        title="Expected cost against commitment size")
    short = alt.Chart(curve).mark_area(color=COMMIT, opacity=0.3, line=True).encode(
        x=x, y=alt.Y("shortfall_probability:Q", title="Shortfall",
                     axis=alt.Axis(format=".0%", minExtent=_Y_EXTENT, maxExtent=_Y_EXTENT,
                                   tickCount=3),
                     scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("commit_text:N", title="commit / year"),
                 alt.Tooltip("shortfall_probability:Q", format=".0%", title="shortfall")])
    appetite = alt.Chart(_data([{"a": rec.appetite}])).mark_rule(
        color="#555", strokeDash=[4, 2], tooltip=None).encode(y="a:Q")
    bottom = alt.layer(short, appetite).properties(width=width, height=90)
    return top, bottom


def cost_curve(plan: Plan, width: int = WIDTH, height: int = 280) -> alt.VConcatChart:
    """Expected cost over the term against the annual commitment, tier edges and the
    recommendations marked; shortfall probability in a panel below on the same axis."""
    top, bottom = cost_curve_panels(plan, width, height)
    return alt.vconcat(top, bottom, spacing=6)


def shapley_chart(projection: Projection, width: int = 300, height: int = 200
                  ) -> alt.LayerChart:
    """Saving over the horizon by lever (Shapley shares: order-free), each bar labelled."""
    a = projection.attribution
    total = a.total_saving
    data = _data([{"lever": str(k), "saving": v, "share": v / total if total else 0.0,
                   "saving_text": usd_short(v)} for k, v in a.shapley.items()])
    y = alt.Y("lever:N", title=None, sort=["routing", "caching", "batch"])
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("saving:Q", title="Saving over the horizon ($)", axis=money_axis(),
                scale=alt.Scale(nice=True)),
        y=y,
        color=alt.Color("lever:N", legend=None,
                        scale=alt.Scale(domain=list(LEVER_COLOURS),
                                        range=list(LEVER_COLOURS.values()))),
        tooltip=[alt.Tooltip("lever:N", title="lever"),
                 alt.Tooltip("saving_text:N", title="saving"),
                 alt.Tooltip("share:Q", format=".0%", title="share")],
    )
    labels = bars.mark_text(align="left", dx=3, fontSize=11, color="#333").encode(
        text="saving_text:N", color=alt.value("#333"))
    return alt.layer(bars, labels).properties(
        width=width, height=height,
        title=alt.TitleParams("Savings by lever", subtitle="Shapley: averaged over every order"))


def waterfall_chart(projection: Projection, width: int = 300, height: int = 200) -> alt.Chart:
    """Sequential waterfall from current to optimized spend: routing, caching, batch."""
    a = projection.attribution
    # Short step names, so that all five fit under a narrow chart; the colour and the
    # tooltip say which lever took each step down.
    rows: list[dict[str, object]] = [
        {"step": "Today", "start": 0.0, "end": a.current_total, "kind": "total"}]
    level = a.current_total
    for lever, saving in a.waterfall:
        rows.append({"step": str(lever), "start": level - saving, "end": level,
                     "kind": str(lever)})
        level -= saving
    rows.append({"step": "Optimized", "start": 0.0, "end": level, "kind": "total"})
    for row in rows:
        row["amount_text"] = usd_short(float(row["end"]) - float(row["start"]))
    order = [str(row["step"]) for row in rows]
    return alt.Chart(_data(rows)).mark_bar().encode(
        x=alt.X("step:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("start:Q", title="Spend over the horizon ($)", axis=money_axis()),
        y2="end:Q",
        color=alt.Color("kind:N", legend=None,
                        scale=alt.Scale(domain=["total", *LEVER_COLOURS],
                                        range=[CURRENT, *LEVER_COLOURS.values()])),
        tooltip=[alt.Tooltip("step:N", title="step"),
                 alt.Tooltip("amount_text:N", title="amount")],
    ).properties(width=width, height=height,
                 title=alt.TitleParams("Waterfall", subtitle="routing, then caching, then batch"))


def tornado_moves_recommended(rows: Sequence[SensitivityRow]) -> bool:
    """True when some assumption moves the recommended commitment (else the tornado draws
    the risk-bounded one, and the faces say the recommendation holds)."""
    return any(r.recommended_swing > 0.5 for r in rows)


def tornado_chart(rows: Sequence[SensitivityRow], width: int = 520, height: int | None = None
                  ) -> alt.LayerChart:
    """The recommended annual commitment (the headline's) at each assumption's low and high
    value; each bar is labelled at both ends with the assumption value that put it there.
    When no assumption moves it (it sits on a tier edge), the risk-bounded commitment, which
    moves continuously, is drawn instead, and titled so."""
    recommended = tornado_moves_recommended(rows)

    def values(r: SensitivityRow) -> tuple[float, float, float]:
        return (r.recommended_low, r.recommended_high, r.recommended_base) if recommended \
            else (r.low, r.high, r.base)

    records = []
    for r in rows:
        low, high, centre = values(r)
        records.append({
            "assumption": r.assumption, "low": low, "high": high, "base": centre,
            "low_label": r.low_label, "high_label": r.high_label,
            "low_text": usd_short(low), "high_text": usd_short(high),
            "left": min(low, high), "right": max(low, high),
            "left_label": r.low_label if low <= high else r.high_label,
            "right_label": r.high_label if low <= high else r.low_label})
    data = _data(records)
    order = [str(r["assumption"]) for r in records]
    lo = float(min(r["left"] for r in records))
    hi = float(max(r["right"] for r in records))
    pad = 0.3 * max(hi - lo, 0.05 * max(abs(hi), 1.0))
    x_scale = alt.Scale(domain=[max(0.0, lo - pad), hi + pad], zero=False, nice=False)
    y = alt.Y("assumption:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    bars = alt.Chart(data).mark_bar(color=OPTIMIZED, opacity=0.75, height=14).encode(
        x=alt.X("left:Q", title=("Recommended" if recommended else "Risk-bounded")
                + " annual commitment ($ per year)",
                axis=money_axis(), scale=x_scale),
        x2="right:Q", y=y,
        tooltip=[alt.Tooltip("assumption:N", title="assumption"),
                 alt.Tooltip("low_label:N", title="low"),
                 alt.Tooltip("low_text:N", title="commitment at low"),
                 alt.Tooltip("high_label:N", title="high"),
                 alt.Tooltip("high_text:N", title="commitment at high")])
    base = alt.Chart(_data(records[:1])).mark_rule(color=COMMIT, strokeWidth=2,
                                             tooltip=None).encode(x="base:Q")
    left_text = alt.Chart(data).mark_text(align="right", dx=-4, fontSize=10,
                                          tooltip=None).encode(
        x="left:Q", y=y, text="left_label:N")
    right_text = alt.Chart(data).mark_text(align="left", dx=4, fontSize=10,
                                           tooltip=None).encode(
        x="right:Q", y=y, text="right_label:N")
    return alt.layer(bars, base, left_text, right_text).properties(
        width=width, height=height or 30 * len(records) + 20,
        title="What moves the commitment most (base: red line)")


#: The comparison's measures, per year, in the order drawn.
COMPARE_MEASURES = ("Recommended / yr", "Expected cost / yr", "Today at list / yr",
                    "Stranded / yr")


def comparison_chart(plans: Sequence[tuple[str, Plan]], width: int | str = WIDTH,
                     height: int = 240) -> alt.LayerChart:
    """Side by side, per year: recommended annual commitment, expected cost, today's path at
    list and stranded savings (at the recommended commitment), one bar per scenario in each
    group, each labelled with its amount (a $0 bar still reads "$0")."""
    rows = []
    for name, plan in plans:
        r = plan.recommendation.recommended
        years = plan.scenario.contract.years
        values = (r.annual_commit, r.expected_cost / years, r.expected_current_list / years,
                  r.stranded_savings / years)
        for measure, value in zip(COMPARE_MEASURES, values, strict=True):
            rows.append({"scenario": name, "measure": measure, "value": value,
                         "value_text": usd_short(value)})
    data = _data(rows)
    names = list(dict.fromkeys(str(r["scenario"]) for r in rows))
    top = max((float(r["value"]) for r in rows), default=0.0)
    x = alt.X("measure:N", title=None, sort=list(COMPARE_MEASURES),
              axis=alt.Axis(labelAngle=0, labelLimit=160))
    offset = alt.XOffset("scenario:N", sort=names)
    tooltip = [alt.Tooltip("scenario:N", title="scenario"),
               alt.Tooltip("measure:N", title="measure"),
               alt.Tooltip("value_text:N", title="amount")]
    bars = alt.Chart(data).mark_bar().encode(
        x=x, xOffset=offset,
        # Headroom above the tallest bar for its upright label.
        y=alt.Y("value:Q", title="$ per year", axis=money_axis(),
                scale=alt.Scale(domain=[0.0, 1.25 * max(top, 1.0)])),
        # Names can be long: the legend names the bars (wrapping is not Vega's), the
        # tooltip gives the full name.
        color=alt.Color("scenario:N", title=None, sort=names,
                        legend=alt.Legend(orient="top", direction="vertical",
                                          labelLimit=600)),
        tooltip=tooltip)
    # Upright text along each bar, so that labels of narrow bars do not run into each other.
    labels = alt.Chart(data).mark_text(angle=270, align="left", baseline="middle", dx=4,
                                       fontSize=10, color="#333").encode(
        x=x, xOffset=offset, y="value:Q", text="value_text:N", tooltip=tooltip)
    return alt.layer(bars, labels).properties(width=width, height=height)


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
    x = alt.X("date:T", title=None, scale=UTC,
              axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=6))
    y_title = "Consumed ($, cumulative)"
    forecast = data.dropna(subset=["p10"]).assign(kind="forecast (expected)")
    actual = data.dropna(subset=["actual"]).assign(kind="consumed to date")
    shown = [(k, c) for k, c, part in (("consumed to date", INK, actual),
                                       ("forecast (expected)", OPTIMIZED, forecast),
                                       ("committed", COMMIT, data)) if not part.empty]
    colour = alt.Color("kind:N", title=None, legend=alt.Legend(orient="top"),
                       scale=alt.Scale(domain=[k for k, _ in shown],
                                       range=[c for _, c in shown]))
    money = money_axis()
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
    line = _data([{"date": data["date"].iloc[i], "committed": committed, "kind": "committed"}
                  for i in (0, -1)])
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
    """Render a chart to SVG offline (vl-convert bundles its own engine; under an
    address-space limit it runs in a child process, see :mod:`forecast.chartengine`)."""
    from forecast.chartengine import render_svg

    return render_svg(chart.to_json(validate=False))


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """Render a chart to PNG offline (in this process: refused under an address-space
    limit, see :mod:`forecast.chartengine`)."""
    import vl_convert as vlc

    from forecast.chartengine import ChartEngineError, address_space_limit, check_address_space

    check_address_space()
    if address_space_limit() is not None:
        raise ChartEngineError("PNG charts are drawn in this process, which has an "
                               "address-space limit (ulimit -v); use SVG (to_svg)")
    return vlc.vegalite_to_png(chart.to_json(validate=False), scale=scale)


def break_even_chart(position: Position, terms: Contract, width: int | str = WIDTH,
                     height: int = 200) -> alt.LayerChart:
    """The break-even discount d*(C) against the annual commitment: the least flat discount
    worth accepting for committing C a year (``position.break_even``), with the discount the
    terms' tiers give each amount as a step line. Where the step lies above the curve,
    committing beats paying as you go in expectation. Amounts for which no discount makes
    committing pay are marked along the top; a commitment the buyer named
    (``position.named_break_even``) is marked in red.
    """
    import pandas as pd  # the app's chart (pandas is loaded there anyway)

    curve = pd.DataFrame([{"annual_commit": b.annual_commit,
                           "discount": np.nan if b.discount is None else b.discount,
                           "commit_text": usd_short(b.annual_commit),
                           "discount_text": "none" if b.discount is None
                           else f"{b.discount:.1%}"} for b in position.break_even])
    x_max = max(float(curve["annual_commit"].max()), 1.0)
    edges = [t.min_annual_commit for t in terms.discount_tiers if t.min_annual_commit < x_max]
    steps_x = np.array(sorted({0.0, *edges, x_max}))
    steps = pd.DataFrame({"annual_commit": steps_x,
                          "discount": np.asarray(discount_for(terms, steps_x), dtype=float),
                          "commit_text": money_text(steps_x)})
    top = max(float(np.nanmax(curve["discount"])) if curve["discount"].notna().any()
              else 0.0, float(steps["discount"].max()), 0.05) * 1.2
    x = alt.X("annual_commit:Q", title="Annual commitment ($ per year)", axis=money_axis(),
              scale=alt.Scale(domain=[0.0, x_max], nice=False))
    y_scale = alt.Scale(domain=[0.0, top])
    tooltip = [alt.Tooltip("commit_text:N", title="commit / year"),
               alt.Tooltip("discount_text:N", title="least discount worth it")]
    defined = curve[curve["discount"].notna()]
    none = curve[curve["discount"].isna()].assign(discount=top)
    layers: list[alt.Chart] = [
        alt.Chart(steps).mark_line(interpolate="step-after", color=CURRENT, strokeWidth=2,
                                   strokeDash=[4, 2]).encode(
            x=x, y=alt.Y("discount:Q", scale=y_scale),
            tooltip=[alt.Tooltip("commit_text:N", title="from / year"),
                     alt.Tooltip("discount:Q", format=".0%", title="tier discount")]),
        alt.Chart(defined).mark_line(color=OPTIMIZED, strokeWidth=2, point=True).encode(
            x=x, y=alt.Y("discount:Q", title="Discount", scale=y_scale,
                         axis=alt.Axis(format=".0%")),
            tooltip=tooltip),
    ]
    if not none.empty:
        layers.append(alt.Chart(none).mark_point(shape="cross", color=COMMIT, size=60).encode(
            x=x, y=alt.Y("discount:Q", scale=y_scale), tooltip=tooltip))
    if position.named_break_even:
        named = pd.DataFrame([{"annual_commit": b.annual_commit,
                               "discount": top if b.discount is None else b.discount,
                               "commit_text": usd_short(b.annual_commit),
                               "discount_text": "none" if b.discount is None
                               else f"{b.discount:.1%}"} for b in position.named_break_even])
        layers.append(alt.Chart(named).mark_point(filled=True, size=90, color=COMMIT).encode(
            x=x, y=alt.Y("discount:Q", scale=y_scale), tooltip=tooltip))
    return alt.layer(*layers).properties(width=width, height=height)

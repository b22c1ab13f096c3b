"""The tracking page: the signed contract against usage to date, in the internal PDF and as
its own document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from forecast.formatting import pct, usd
from forecast.typeset import (
    chart_drawing,
    para,
    table,
    text,
)

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

    from forecast import Tracking


# --------------------------------------------------------------------------- tracking
def tracking_page(tracking: Tracking, width: float) -> list[Flowable]:
    """After signing: the burn-down of the open years, the shortfall risk per year, the
    workloads behind plan and the warnings, from :func:`forecast.tracking.track`."""
    from reportlab.platypus import Spacer

    from forecast.charts import burn_down_chart
    from forecast.tracking import Status, mix_text
    from forecast.types import Lever

    t = tracking
    seen = sum(y.months_observed for y in t.years)
    story: list[Flowable] = [
        para(f"Tracking the commitment: as of {text(t.as_of)}", "h1"),
        para(f"{seen} month{'s' * (seen != 1)} of usage from {text(t.start)}; the rest of the "
             f"term re-simulated from each workload's observed level ({t.n_paths:,} paths, "
             f"seed {t.seed}, price book {text(t.price_book)}).", "subtitle"),
    ]
    open_years = [y for y in t.years if not y.closed][:2] or [t.years[-1]]
    for y in open_years:
        story.append(chart_drawing(burn_down_chart(t, y.year, height=150), width * 0.9))
        story.append(Spacer(1, 6))
    story.append(para("Consumption at the discounted rate (list cost times one minus the "
                      "discount), cumulated over each contract year. Solid: consumed to date; "
                      "dashed, with the P10-P90 band: the forecast to year end. Above the red "
                      "line the year passes its commitment; below it the gap is paid anyway.",
                      "note"))
    story.append(para("Shortfall risk by contract year", "h2"))
    rows = [[str(y.year), f"{y.first_month} to {y.last_month}", usd(y.committed),
             usd(y.consumed_to_date), usd(y.expected_at_year_end), usd(y.p10), usd(y.p90),
             pct(y.shortfall_probability), usd(y.expected_unused)] for y in t.years]
    story.append(table(["year", "months", "committed", "consumed to date",
                        "expected at year end", "P10", "P90", "shortfall probability",
                        "expected unused"], rows, width,
                       [None, 1, None, None, None, None, None, None, None],
                       right=range(2, 9)))
    behind = t.behind()
    story.append(para("Workloads behind plan", "h2"))
    if not behind:
        story.append(para(f"None: every workload with usage in {text(t.as_of)} has its "
                          "levers on plan or ahead of it.", "body"))
    else:
        rows = []
        for w in behind:
            for c in w.checks:
                if c.status not in (Status.BEHIND, Status.REVERTED):
                    continue
                if c.lever == Lever.ROUTING:
                    planned, observed = mix_text(c.planned), mix_text(c.observed)  # type: ignore[arg-type]
                else:
                    planned, observed = pct(c.planned), pct(c.observed)  # type: ignore[arg-type]
                rows.append([w.name, str(w.status), str(c.lever), str(planned), str(observed),
                             usd(w.extra_cost)])
        story.append(table(["workload", "status", "lever", f"planned in {t.as_of}",
                            "observed", "extra cost a month at list"], rows, width,
                           [1.2, None, None, 1, 1, None], right={5}))
    if t.warnings:
        story.append(para("What to do", "h2"))
        story += [para(f"{i}. {text(w.message)}", "body") for i, w in enumerate(t.warnings, 1)]
    return story

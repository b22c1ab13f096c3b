"""The assumptions appendix of the negotiation PDF (both copies): the run's settings, each
workload's volume, waiting and levers today and planned.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from forecast.formatting import pct, usd
from forecast.types import Overage
from forecast.typeset import (
    para,
    table,
    text,
)

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

    from forecast import Plan, Workload
    from forecast.scenario import LeverSet


def _levers(levers: LeverSet) -> str:
    """Models on the first line; batch and caching on the second."""
    models = ", ".join(f"{m} {pct(s)}" for m, s in levers.models.items())
    parts = [f"batch {pct(levers.batch_share)}"]
    if str(levers.cache_ttl) != "none":
        hit = f"cache hits {pct(levers.cache_hit_rate)} ({levers.cache_ttl})"
        if levers.batch_cache_hit_rate is not None:
            hit += f", {pct(levers.batch_cache_hit_rate)} in batch"
        parts.append(hit)
    else:
        parts.append("no caching")
    return models + "\n" + "; ".join(parts)


def _volume(w: Workload) -> tuple[str, str]:
    t = w.token_counts
    tokens = f"{t.cacheable_prefix:,.0f} / {t.input:,.0f} / {t.output:,.0f}"
    if w.uses_monthly_tokens:
        return "token totals", tokens
    return f"{w.requests_per_month:,.0f}", tokens


def _waiting(w: Workload) -> str:
    out = str(w.waiting)
    if w.acceptable_latency_minutes is not None:
        out += f", {w.acceptable_latency_minutes:g} min"
    if w.urgent_share:
        out += f", {pct(w.urgent_share)} urgent"
    return out


def _appendix(plan: Plan, width: float, generated: dt.date, internal: bool = True
              ) -> list[Flowable]:
    sc = plan.scenario
    story: list[Flowable] = [para("Assumptions", "h1")]
    if sc.description:
        story.append(para(text(sc.description), "body"))

    if internal:
        story += _run_settings(plan, width, generated)
    story += _workload_tables(plan, width, forecast=internal)
    return story


def _run_settings(plan: Plan, width: float, generated: dt.date) -> list[Flowable]:
    """The run, the contract terms and the uncertainty: the buyer's copy only."""
    from forecast.sensitivity import SENSITIVITY_PATHS

    sc, book = plan.scenario, plan.book
    c, unc = sc.contract, sc.uncertainty
    story: list[Flowable] = []
    story.append(para("Run, contract and uncertainty", "h2"))
    named = c.commitment_per_year()
    real, drift = unc.lever_realization, unc.token_drift
    sensitivity = (f"; sensitivity on {min(SENSITIVITY_PATHS, plan.n_paths):,} paths per run"
                   if plan.sensitivity else "; sensitivity not computed")
    settings = [
        ("scenario", sc.name),
        ("prepared", generated.isoformat()),
        ("horizon", f"{sc.horizon_months} months from {sc.start}"),
        ("simulation", f"{plan.n_paths:,} paths, seed {plan.seed}{sensitivity}"),
        ("price book", f"{book.id}, effective {book.effective_date.isoformat()}; source: "
                       f"{book.source}"),
        ("contract term", f"{c.years} year{'s' if c.years > 1 else ''}"),
        ("commitment in the scenario", " / ".join(usd(x) for x in named) + " a year"
         if named else "none named (recommendation only)"),
        ("discount tiers", "; ".join(f"{pct(t.discount)} from {usd(t.min_annual_commit)} a "
                                     "year" for t in c.discount_tiers) or "none"),
        ("overage", "billed at the discounted rate" if c.overage is Overage.DISCOUNTED
         else "billed at list price"),
        ("rollover of unused commitment", pct(c.rollover)),
        ("risk appetite", "shortfall probability at most "
                          f"{pct(c.risk_appetite.max_shortfall_probability)}"),
        ("stranded-savings flag", f"amber above {pct(c.stranded_thresholds.amber)}, red "
                                  f"above {pct(c.stranded_thresholds.red)} of gross savings"),
        ("shared growth volatility", f"{unc.shared_growth_volatility:g} (monthly log change "
                                     "common to every workload)"),
        ("lever realization", f"Beta, mean {real.mean:g}, sd {real.sd:g} (the fraction of "
                              "each planned change achieved)"),
        ("landing slip", f"Poisson, mean {unc.slip_months.mean:g} months"),
        ("walk-back probability", f"{unc.walk_back_probability:g} (a gray workload's batch "
                                  "move reverted at a random month)"),
        ("token drift", f"{drift.monthly:g} a month, volatility {drift.volatility:g}"),
    ]
    story.append(table(["setting", "value"], [list(s) for s in settings], width,
                        [None, 1]))
    return story


def _workload_tables(plan: Plan, width: float, forecast: bool = True) -> list[Flowable]:
    """Every workload's inputs, levers and landing, and the prices of the models used;
    ``forecast=False`` (the vendor's copy) leaves out each workload's growth, volatility
    and launch chance."""
    from forecast.types import CacheTTL

    sc, book = plan.scenario, plan.book
    story: list[Flowable] = []
    story.append(para("Workloads: inputs", "h2"))
    rows = []
    for w in sc.workloads:
        volume, tokens = _volume(w)
        counted = f" ({w.token_counts.counted_on})" if w.token_counts.counted_on else ""
        rows.append([w.name, volume, tokens + counted, _waiting(w),
                     f"{pct(w.growth.monthly, 1)} ± {w.growth.volatility:g}",
                     f"{w.starts_month} to {w.ends_month or sc.horizon_months}",
                     pct(w.launch_probability)])
    if forecast:
        story.append(table(
            ["workload", "requests a month", "tokens a request: prefix / input / output",
             "waiting test", "growth a month ± volatility", "months active",
             "launch chance"],
            rows, width, [1, None, 0.62, 0.5, None, None, None], right={1, 2, 4, 5, 6}))
    else:
        rows = [r[:4] for r in rows]
        story.append(table(
            ["workload", "requests a month", "tokens a request: prefix / input / output",
             "waiting test"], rows, width, [1, None, 0.8, 0.6], right={1, 2}))

    story.append(para("Workloads: levers and landing", "h2"))
    rows = []
    for w in sc.workloads:
        changed = w.optimized is not None and w.target != w.current
        rows.append([w.name, _levers(w.current),
                     _levers(w.target) if changed else "unchanged",
                     str(w.lands_month) if changed else "",
                     str(w.ramp_months) if changed else ""])
    story.append(table(["workload", "current", "optimized", "lands in month",
                         "ramp months"], rows, width, [0.75, 1, 1, None, None],
                        right={3, 4}))

    story.append(para(f"Price book {text(book.id)}: the models used, USD per million tokens",
                    "h2"))
    used: list[str] = []
    for w in sc.workloads:
        for m in (*w.current.models, *w.target.models):
            if m not in used:
                used.append(m)
    rows = []
    for m in used:
        price = book.models[m]
        rows.append([m, usd(price.input, 2), usd(price.output, 2),
                     usd(price.input * book.write_multiplier(m, CacheTTL.FIVE_MINUTES), 2),
                     usd(price.input * book.write_multiplier(m, CacheTTL.ONE_HOUR), 2),
                     usd(price.input * book.read_multiplier(m), 2),
                     f"{price.tokenizer_factor:g}"])
    story.append(table(["model", "input", "output", "cache write, 5 min",
                         "cache write, 1 hour", "cache read", "tokenizer factor"], rows,
                        width, [1, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45], right=range(1, 7)))
    story.append(para(f"Batch: {pct(book.batch_discount)} off every token class, stacking with "
                    "caching. Tokenizer factor: tokens counted for the same text against the "
                    "reference tokenizer; routing to a model with a higher factor scales the "
                    "workload's token volumes.", "note"))
    return story

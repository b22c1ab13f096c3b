"""Today's levers of one group, read from its usage in the level month.

Choices where the history does not decide (the import's header repeats them):

- **Model mix**: each model's share of the tokens (all classes, in the reference tokenizer).
  Volumes are expressed in the tokenizer of the group's main model (``counted_on``), so
  routing keeps pricing them right.
- **Cache hit rate**: reads / (reads + writes); ``cache_ttl`` the TTL that most write tokens
  used (5m when there are only reads).
- **Batch share**: batch traffic's share of the list cost before the batch discount (its
  token share when batch and real-time calls have the same mix), so that the scenario
  reprices a single-model, single-TTL group exactly. Lines without a service tier count as
  batched at the share the buyer gave (``--batch-share``), else not.
- **Long-prompt share**: on models with a long-prompt band, the share of the cost at
  lower-band prices that came from lines above the threshold (for a band that is a constant
  multiple of the lower one, as Haiku 5.5's 5x, this reprices the level month exactly).
- **US inference share**: on models that offer US-only inference, the US lines' share of
  the cost before the region multiplier.
- **Waiting class**: the history cannot say who waits on a result. Nothing batched:
  ``interactive``; everything: ``async``; part: ``gray`` with an acceptable latency of
  :data:`BATCH_LATENCY_MINUTES` minutes and an urgent share of 1 - batch share.
- **Requests**: when every line of the level month states its requests (the analytics
  report), the volume is written as ``requests_per_month`` with ``tokens`` per request;
  otherwise as ``monthly_tokens``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from forecast.pricebook import PriceBook
from forecast.types import CacheTTL, Waiting
from forecast.usage.records import TOKEN_CLASSES

#: Acceptable latency written for a workload that already batches part of its traffic.
BATCH_LATENCY_MINUTES = 1440
_FULL = 1.0 - 1e-9


@dataclass(frozen=True)
class GroupLevers:
    """Levers and volume of one group in the level month (tokens as billed).

    Attributes
    ----------
    tokens : dict of str to float
        Tokens by class (:data:`TOKEN_CLASSES`) in the level month.
    requests : float or None
        Requests in the level month, when every line states them.
    volume_tokens : dict of str to float
        ``cacheable_prefix``, ``input``, ``output`` in the main model's tokenizer.
    counted_on : str or None
        The main model, when its tokenizer is not the reference one.
    """

    tokens: dict[str, float]
    requests: float | None
    volume_tokens: dict[str, float]
    counted_on: str | None
    batch_share: float
    cache_hit_rate: float
    cache_ttl: CacheTTL
    model_mix: dict[str, float]
    long_prompt_share: float
    us_inference_share: float
    waiting: Waiting


def levers_by_group(lines: pd.DataFrame, book: PriceBook) -> dict[str, GroupLevers]:
    """Levers of every group from its priced lines in the level month.

    Parameters
    ----------
    lines : pandas.DataFrame
        Priced lines (the import's line frame, with ``group``) of the level month.

    Returns
    -------
    dict of str to GroupLevers
        One entry per group with lines in the month.
    """
    group = lines["group"]
    before = lines["before_batch_latest"]
    band, us_ok = lines["has_band"], lines["offers_us"]
    sums = pd.DataFrame({
        **{c: lines[c] for c in TOKEN_CLASSES},
        "before": before, "batched": before * lines["batch_weight"],
        "band_base": lines["base_band_latest"].where(band, 0.0),
        "band_long": lines["base_band_latest"].where(band & lines["long"], 0.0),
        "us_pre": lines["before_region_latest"].where(us_ok, 0.0),
        "us_us": lines["before_region_latest"].where(us_ok & lines["us"], 0.0),
        "requests": lines["requests"].fillna(0.0),
        "no_requests": lines["requests"].isna().astype(float),
    }).groupby(group, sort=False).sum()
    # Model mix in reference-tokenizer tokens; volumes in the main model's tokenizer, so
    # that the cost model's factor k_m / k_main gives each model back its billed tokens.
    factor = lines["model"].map({m: p.tokenizer_factor for m, p in book.models.items()}
                                ).astype(float)
    reference = lines[list(TOKEN_CLASSES)].div(factor, axis=0)
    by_model = reference.groupby([group, lines["model"]], sort=True).sum()
    per_group: dict[str, dict[str, Any]] = {}
    for (name, model), row in zip(by_model.index, by_model.to_numpy(), strict=True):
        per_group.setdefault(name, {})[model] = row
    return {str(name): _levers(row, per_group.get(name, {}), book)
            for name, row in sums.iterrows()}


def _levers(row: pd.Series, models: dict[str, Any], book: PriceBook) -> GroupLevers:
    """One group's levers from its sums and its reference tokens by model (class order)."""
    tokens = {c: float(row[c]) for c in TOKEN_CLASSES}
    writes = tokens["cache_write_5m"] + tokens["cache_write_1h"]
    cached = writes + tokens["cache_read"]
    ttl = CacheTTL.NONE if cached == 0 else (
        CacheTTL.ONE_HOUR if tokens["cache_write_1h"] > tokens["cache_write_5m"]
        else CacheTTL.FIVE_MINUTES)
    hit_rate = tokens["cache_read"] / cached if cached else 0.0
    batch_share = row["batched"] / row["before"] if row["before"] > 0 else 0.0
    long_share = row["band_long"] / row["band_base"] if row["band_base"] > 0 else 0.0
    us_share = row["us_us"] / row["us_pre"] if row["us_pre"] > 0 else 0.0

    totals = {m: float(v.sum()) for m, v in models.items() if v.sum() > 0}
    order = sorted(totals, key=lambda m: -totals[m])  # stable: ties keep the model order
    mix = {str(m): totals[m] / sum(totals.values()) for m in order}
    volume: dict[str, float] = {}
    counted_on = None
    if mix:
        main = order[0]
        k_main = book.models[main].tokenizer_factor
        converted = sum(models.values()) * k_main  # by class, in the main model's tokens
        c = dict(zip(TOKEN_CLASSES, converted, strict=True))
        volume = {"cacheable_prefix": float(c["cache_write_5m"] + c["cache_write_1h"]
                                            + c["cache_read"]),
                  "input": float(c["uncached_input"]), "output": float(c["output"])}
        counted_on = main if k_main != 1.0 else None
    requests = float(row["requests"]) if row["no_requests"] == 0 and row["requests"] > 0 \
        else None
    if batch_share >= _FULL:
        waiting = Waiting.ASYNC
    elif batch_share > 0:
        waiting = Waiting.GRAY
    else:
        waiting = Waiting.INTERACTIVE
    return GroupLevers(tokens, requests, volume, counted_on, float(batch_share), hit_rate,
                       ttl, mix, float(long_share), float(us_share), waiting)


def share(value: float) -> float:
    """Shares and rates to 6 decimals: readable, and off the exact cost by < 1e-6."""
    return round(float(value), 6)


def rounded_shares(mix: dict[str, float]) -> dict[str, float]:
    """Model shares to 6 decimals that still sum to 1 (the largest takes the rounding)."""
    shares = {m: share(s) for m, s in mix.items() if share(s) > 0}
    first = next(iter(shares))
    shares[first] = share(1.0 - sum(v for m, v in shares.items() if m != first))
    return shares


def _count(value: float) -> float:
    """A volume written readably and within 5e-6 of exact: whole from 100,000 on, else to
    3 decimals."""
    return round(value) if value >= 1e5 else round(value, 3)


def volume_fields(levers: GroupLevers, factor: float) -> dict[str, Any]:
    """The workload's volume fields, the level month's volume times ``factor``.

    ``requests_per_month`` with ``tokens`` per request when requests are known, else
    ``monthly_tokens``; token totals are whole numbers, per-request tokens to 3 decimals.
    """
    if levers.requests:
        tokens: dict[str, Any] = {k: round(v / levers.requests, 3)
                                  for k, v in levers.volume_tokens.items()}
        if levers.counted_on:
            tokens["counted_on"] = levers.counted_on
        return {"requests_per_month": _count(levers.requests * factor), "tokens": tokens}
    monthly: dict[str, Any] = {k: round(v * factor) for k, v in levers.volume_tokens.items()}
    if levers.counted_on:
        monthly["counted_on"] = levers.counted_on
    return {"monthly_tokens": monthly}

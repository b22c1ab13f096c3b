"""List price of every usage line: dated entries, prompt-length bands, regions, tiers.

Billed tokens are priced as counted (no tokenizer factor: the model that billed them counted
them), token class by token class at :meth:`forecast.pricebook.PriceBook.token_prices`:

- **Dates.** A line is priced with the book's entry in force on its bucket's days; a bucket
  that spans a price change (a month-wide bucket, say) is split pro rata by time. History is
  priced as it was billed; the ``*_latest`` columns price the same tokens at the latest
  entries, which the forecast uses.
- **Bands.** A line whose ``context_window`` (``200k-1M``) starts at or above the model's
  long-prompt threshold pays the band's prices. A window that straddles the threshold
  (Haiku 5.5's 100k inside ``0-200k``) cannot be told apart: it is priced at the lower band,
  with a warning.
- **Regions.** ``inference_geo: us`` pays the model's US multiplier; on a model without one
  the global price applies, with a warning.
- **Tiers.** ``batch`` pays the book's batch discount. A line without a tier (the analytics
  report has none) is standard unless the buyer gives the batch share, which then applies
  to it; other tiers (``priority``, ...) are priced at standard rates, with a warning (the
  book lists them as not expressed).
- **Speed.** ``speed: fast`` pays the model's fast-mode multiplier on the days the book says
  fast mode was offered; a fast line the book has no multiplier for is priced at standard
  rates with a warning. The ``*_latest`` columns price fast lines at today's multiplier, or
  at standard rates where fast mode has since been removed (the forecast cannot buy it).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast.cost import MTOK
from forecast.pricebook import InferenceGeo, PriceBook, Speed
from forecast.usage.records import TOKEN_CLASSES

_WINDOW = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*-\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$")
_UNIT = {"": 1, "k": 1_000, "m": 1_000_000}


def window_bounds(label: str | None) -> tuple[float, float] | None:
    """Prompt-token bounds of a ``context_window`` label (``0-200k``, ``200k-1M``)."""
    if label is None:
        return None
    match = _WINDOW.match(label)
    if not match:
        return None
    lo, lu, hi, hu = match.groups()
    return float(lo) * _UNIT[lu.lower()], float(hi) * _UNIT[hu.lower()]


@dataclass(frozen=True)
class PricedRows:
    """Per-line prices, aligned with the records' rows.

    Attributes
    ----------
    list_cost : ndarray of shape (n_rows,)
        USD at the prices in force on the line's days (batch discount applied).
    list_cost_latest : ndarray of shape (n_rows,)
        USD at the latest prices.
    before_region_latest : ndarray of shape (n_rows,)
        ``list_cost_latest`` without the region multiplier.
    base_band_latest : ndarray of shape (n_rows,)
        Latest prices at the lower band, global, batch applied: what the line would cost
        were its prompt short.
    before_batch_latest : ndarray of shape (n_rows,)
        ``list_cost_latest`` before the batch discount.
    long, us, batch : ndarray of bool, shape (n_rows,)
        Priced at the long-prompt band; at the US multiplier; at the batch discount.
    has_band, offers_us : ndarray of bool, shape (n_rows,)
        The line's model has a band; offers US-only inference (latest entries).
    """

    list_cost: Any
    list_cost_latest: Any
    before_region_latest: Any
    base_band_latest: Any
    before_batch_latest: Any
    long: Any
    us: Any
    batch: Any
    has_band: Any
    offers_us: Any


def price_rows(rows: pd.DataFrame, starts: Any, ends: Any, book: PriceBook,
               batch_share: float | None = None) -> tuple[PricedRows, list[str]]:
    """Price every usage line.

    Parameters
    ----------
    rows : pandas.DataFrame
        Records' rows with ``model`` resolved to the book's ids.
    starts, ends : ndarray of datetime64[ns], shape (n_rows,)
        Each line's bucket.
    batch_share : float, optional
        Share of the traffic batched, for lines without a service tier.

    Returns
    -------
    (PricedRows, list of str)
        The prices and the warnings (what was priced at standard rates, and why).
    """
    n = len(rows)
    tokens = rows[list(TOKEN_CLASSES)].to_numpy(dtype=float)
    tier = rows["service_tier"].astype(object).to_numpy()
    geo = rows["inference_geo"].astype(object).to_numpy()
    is_us = geo == InferenceGeo.US.value
    is_fast = (rows["speed"].astype(object) == Speed.FAST.value).to_numpy()
    is_batch = tier == "batch"
    no_tier = pd.isna(rows["service_tier"]).to_numpy()
    disc = book.batch_discount
    tier_factor = np.where(is_batch, 1.0 - disc, 1.0)
    if batch_share is not None:
        tier_factor = np.where(no_tier, 1.0 - batch_share * disc, tier_factor)
    bounds = [window_bounds(w) for w in rows["context_window"].astype(object).to_numpy()]
    lo = np.array([np.nan if b is None else b[0] for b in bounds])
    hi = np.array([np.nan if b is None else b[1] for b in bounds])

    out = {name: np.zeros(n) for name in ("list_cost", "list_cost_latest",
                                           "before_region_latest", "base_band_latest")}
    flags = {name: np.zeros(n, dtype=bool) for name in ("long", "us", "has_band",
                                                        "offers_us", "straddle",
                                                        "fast_unpriced", "fast_gone")}
    span = (ends - starts).astype(np.int64).astype(float)
    models = rows["model"].to_numpy()
    for model_id in pd.unique(models):
        idx = np.flatnonzero(models == model_id)
        price = book.models[model_id]
        for a, b, on in _entries(price.change_dates):
            s = starts[idx] if np.isnat(a) else np.maximum(starts[idx], a)
            e = ends[idx] if np.isnat(b) else np.minimum(ends[idx], b)
            frac = np.clip((e - s).astype(np.int64), 0, None) / span[idx]
            if not frac.any():
                continue
            cost, long, us, straddle = _entry_cost(book, model_id, on, tokens[idx], lo[idx],
                                                   hi[idx], is_us[idx])
            fast_m = price.fast_multiplier(on)
            cost = np.where(is_fast[idx], cost * (fast_m or 1.0), cost)
            out["list_cost"][idx] += frac * cost * tier_factor[idx]
            flags["straddle"][idx] |= straddle & (frac > 0)
            if fast_m is None:
                flags["fast_unpriced"][idx] |= is_fast[idx] & (frac > 0)
        cost, long, us, _ = _entry_cost(book, model_id, None, tokens[idx], lo[idx], hi[idx],
                                        is_us[idx])
        fast_now = price.fast_multiplier(None)
        cost = np.where(is_fast[idx], cost * (fast_now or 1.0), cost)
        if fast_now is None and price.fast is not None:
            flags["fast_gone"][idx] = is_fast[idx]
        base = tokens[idx] @ book.token_prices(model_id).as_array() / MTOK
        base = np.where(is_fast[idx], base * (fast_now or 1.0), base)
        region = book.region_multiplier(model_id, InferenceGeo.US)
        out["list_cost_latest"][idx] = cost * tier_factor[idx]
        out["before_region_latest"][idx] = np.where(us, cost / (region or 1.0), cost) * \
            tier_factor[idx]
        out["base_band_latest"][idx] = base * tier_factor[idx]
        flags["long"][idx] = long
        flags["us"][idx] = us
        flags["has_band"][idx] = book.has_long_prompt_band(model_id)
        flags["offers_us"][idx] = region is not None
    before_batch = out["list_cost_latest"] / tier_factor
    priced = PricedRows(out["list_cost"], out["list_cost_latest"], out["before_region_latest"],
                        out["base_band_latest"], before_batch, flags["long"], flags["us"],
                        tier_factor < 1.0, flags["has_band"], flags["offers_us"])
    return priced, _warnings(rows, tokens, no_tier, is_us, flags, batch_share)


def _entries(changes: list[dt.date]) -> list[tuple[Any, Any, dt.date | None]]:
    """A model's dated entries: (from, until) as datetime64 (NaT: open) and a day in each."""
    if not changes:
        return [(np.datetime64("NaT"), np.datetime64("NaT"), None)]
    edges = [np.datetime64(d, "ns") for d in changes]
    lows = [np.datetime64("NaT"), *edges]
    highs = [*edges, np.datetime64("NaT")]
    days = [changes[0] - dt.timedelta(days=1), *changes]
    return list(zip(lows, highs, days, strict=True))


def _entry_cost(book: PriceBook, model_id: str, on: dt.date | None, tokens: Any, lo: Any,
                hi: Any, is_us: Any) -> tuple[Any, Any, Any, Any]:
    """USD per line at one dated entry, before the tier factor, and the band/region flags."""
    entry = book.entry(model_id, on)
    band = entry.long_prompt
    base = tokens @ book.token_prices(model_id, on).as_array() / MTOK
    long = np.zeros(len(tokens), dtype=bool)
    straddle = np.zeros(len(tokens), dtype=bool)
    if band is not None:
        long = np.nan_to_num(lo, nan=-1.0) >= band.threshold
        straddle = (np.nan_to_num(lo, nan=np.inf) < band.threshold) & \
            (np.nan_to_num(hi, nan=-np.inf) > band.threshold)
        high = tokens @ book.token_prices(model_id, on, long_prompt=True).as_array() / MTOK
        base = np.where(long, high, base)
    region = entry.inference_geo.get(InferenceGeo.US)
    us = is_us & (region is not None)
    return np.where(us, base * (region or 1.0), base), long, us, straddle


def _warnings(rows: pd.DataFrame, tokens: Any, no_tier: Any, is_us: Any,
              flags: dict[str, Any], batch_share: float | None) -> list[str]:
    total = tokens.sum(axis=1)
    out = []
    if no_tier.any():
        lines = int(no_tier.sum())
        if batch_share is None:
            out.append(f"{lines:,} usage lines have no service tier (the analytics report has "
                       "none; a CSV without the column): priced as standard (real time), so "
                       "the batch share cannot be observed and is 0; give it with "
                       "--batch-share if part of this traffic is batched")
        else:
            out.append(f"{lines:,} usage lines have no service tier: priced with the batch "
                       f"share given, {batch_share:.0%}")
    tier = rows["service_tier"].astype(object)
    other = sorted(set(tier.dropna()) - {"standard", "batch"})
    if other:
        tok = total[tier.isin(other).to_numpy()].sum()
        out.append(f"service tier {', '.join(map(str, other))} ({tok:,.0f} tokens) priced at "
                   "standard list prices (the price book has no separate prices for it)")
    unpriced = flags["fast_unpriced"]
    if unpriced.any():
        models = ", ".join(sorted(set(rows["model"].to_numpy()[unpriced])))
        out.append(f"{total[unpriced].sum():,.0f} tokens at speed fast on {models}, for days "
                   "the price book has no fast-mode multiplier for: priced at standard rates, "
                   "so their cost is understated")
    gone = flags["fast_gone"]
    if gone.any():
        models = ", ".join(sorted(set(rows["model"].to_numpy()[gone])))
        out.append(f"{total[gone].sum():,.0f} tokens at speed fast on {models}, whose fast "
                   "mode has been removed: the forecast prices them at standard rates")
    if flags["straddle"].any():
        models = ", ".join(sorted(set(rows["model"].to_numpy()[flags["straddle"]])))
        out.append(f"{total[flags['straddle']].sum():,.0f} tokens of {models} are in a "
                   "context window that straddles the model's long-prompt threshold: priced "
                   "at the lower band (the report cannot tell which requests were above it), "
                   "so their cost may be understated")
    unpriced_us = is_us & ~flags["us"]
    if unpriced_us.any():
        models = ", ".join(sorted(set(rows["model"].to_numpy()[unpriced_us])))
        out.append(f"{total[unpriced_us].sum():,.0f} tokens with inference_geo us on "
                   f"{models}, which the price book lists without a US multiplier: priced at "
                   "the global price")
    return out

"""Reader of cost report pages: what was billed, to reconcile against list-priced tokens.

``GET /v1/organizations/analytics/cost_report`` (Claude API reference, Admin > Analytics >
Cost, model ``CostBucket``): ``data[]`` buckets with ``results[]`` carrying ``amount``
("post-discount, pre-credit, in fractional cents", a decimal string), ``list_amount``
("list-price amount, pre-discount, in fractional cents"), ``currency`` (``USD``),
``cost_type`` (``tokens``, ``web_search``, ``code_execution`` when grouped by it) and the
grouping fields of the usage report; ``data_refreshed_at`` at the top. The legacy
``/v1/organizations/cost_report`` has the same ``amount`` in cents and no ``list_amount``.

Amounts are converted to USD here (cents / 100). Only ``cost_type`` ``tokens`` (or rows
not grouped by cost type) are compared with token usage; the import says which.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import ImportUsageError
from forecast.usage.records import (
    MAX_AMOUNT_USD,
    CostRecords,
    UsageFormat,
    first_result,
    page_results,
    text_field,
)


def is_cost_page(page: Any) -> bool:
    """A cost page: its first result has an ``amount``."""
    first = first_result(page)
    return first is not None and "amount" in first


def _usd(values: list[Any], name: str, where: Any, required: bool) -> np.ndarray:
    """Cent amounts (decimal strings or numbers) as USD floats; NaN where absent."""
    out = np.full(len(values), np.nan)
    for k, v in enumerate(values):
        if v is None:
            if required:
                raise ImportUsageError(f"{where(k)}: {name}: missing; expected an amount in "
                                       "cents such as \"41280.000000\"")
            continue
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            raise ImportUsageError(f"{where(k)}: {name} is {v!r:.40}; expected an amount in "
                                   "cents (a decimal string)")
        try:
            cents = Decimal(str(v).strip())
        except InvalidOperation:
            raise ImportUsageError(f"{where(k)}: {name} is {str(v)[:40]!r}; expected an amount "
                                   "in cents (a decimal string)") from None
        if not cents.is_finite() or abs(cents) > Decimal(MAX_AMOUNT_USD * 100):
            raise ImportUsageError(f"{where(k)}: {name} is {str(v)[:40]!r}; expected a finite "
                                   f"amount of at most {MAX_AMOUNT_USD:.0e} USD")
        out[k] = float(cents) / 100.0
    return out


def read_cost_report(page: Any, source: str) -> CostRecords:
    """Read one parsed cost report page (analytics or legacy)."""
    pr = page_results(page, source, "a cost report page")
    currency = text_field([r.get("currency") for r in pr.results], "currency", pr.where)
    bad = next((k for k, c in enumerate(currency) if c not in (None, "USD")), None)
    if bad is not None:
        raise ImportUsageError(f"{pr.where(bad)}: currency is {currency[bad]!r}; the planner "
                               "reconciles USD amounts only")
    rows = pd.DataFrame({
        "bucket": pr.bucket_ids, "item": pr.items,
        "amount": _usd([r.get("amount") for r in pr.results], "amount", pr.where, True),
        "list_amount": _usd([r.get("list_amount") for r in pr.results], "list_amount",
                            pr.where, False),
        "cost_type": text_field([r.get("cost_type") for r in pr.results], "cost_type",
                                pr.where),
        "model": text_field([r.get("model") for r in pr.results], "model", pr.where),
    })
    return CostRecords(rows, pr.buckets, UsageFormat.COST_JSON, pr.watermark, pr.incomplete)

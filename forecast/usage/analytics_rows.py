"""Reader of the Usage and Cost Analytics API pages (beta), one saved JSON page per file.

``GET /v1/organizations/analytics/usage`` and ``/v1/organizations/analytics/cost`` (beta
header ``anthropic-beta: analytics-usage-cost-2026-08-24``) serve flat rows, one per time
bucket and group::

    {"data": [{"starting_at": "2026-08-01T00:00:00Z", "ending_at": "2026-08-02T00:00:00Z",
               "group": {"model": "claude-sonnet-5-5", "product": "api", "speed": "fast"},
               "usage": {"uncached_input_tokens": 1200, "cache_read_input_tokens": 900,
                         "cache_creation": {"ephemeral_5m_input_tokens": 300,
                                            "ephemeral_1h_input_tokens": 0},
                         "output_tokens": 450, "requests": 12}}],
     "time_bucket_width": "1d", "data_refreshed_at": "2026-09-30T12:00:00Z",
     "has_more": false, "next_page": null}

and the cost rows ``{..., "cost": {"amount": "4128.5", "list_amount": "4690.34",
"currency": "USD", "requests": 12}}`` (fractional cents: the amount after discount and the
list amount). Any ``time_bucket_width`` (a minute, an hour, a day, a week, a month) is read:
each row carries its own ``starting_at`` and ``ending_at``. The grouping fields are read as
served (``model``, ``product``, ``context_window``, ``inference_geo``, ``speed``, and
``workspace_id`` and ``api_key_id`` when grouped by them); a field not grouped by is absent.

A page cannot carry the request's headers: the beta version is the one this reader was
written for (:data:`BETA_VERSION`), unless the saved page says otherwise in a top-level
``anthropic_beta`` field (some export tools keep it); either is recorded in the import report.
Each row becomes a bucket of one result, so the checks, messages and de-duplication of the
other JSON readers apply unchanged.
"""

from __future__ import annotations

from typing import Any

from forecast.errors import ImportUsageError
from forecast.usage.admin_report import result_rows
from forecast.usage.cost_report import read_cost_report
from forecast.usage.records import CostRecords, UsageFormat, UsageRecords, page_results

#: The beta header value this reader was written for.
BETA_VERSION = "analytics-usage-cost-2026-08-24"
#: Grouping fields of the analytics pages, by our name.
ROW_GROUP_FIELDS = {"model": "model", "product": "product",
                    "context_window": "context_window", "inference_geo": "inference_geo",
                    "speed": "speed", "workspace": "workspace_id", "api_key": "api_key_id"}
_BODIES = ("usage", "cost")


def row_page_kind(page: Any) -> str | None:
    """``"usage"`` or ``"cost"`` for a page of analytics rows (rows with a ``group`` and a
    ``usage`` or ``cost`` object, the kind most of its first rows have), else ``None``."""
    data = page.get("data") if isinstance(page, dict) else None
    if not isinstance(data, list):
        return None
    rows = [r for r in data[:20] if isinstance(r, dict)]
    if not rows or any("results" in r for r in rows) or not any("group" in r for r in rows):
        return None
    votes = {b: sum(isinstance(r.get(b), dict) for r in rows) for b in _BODIES}
    if not any(votes.values()):
        return "usage" if not any(b in r for r in rows for b in ("cost",)) else "cost"
    return max(_BODIES, key=lambda b: votes[b])


def _as_buckets(page: dict, source: str, body: str) -> tuple[dict, str | None, str]:
    """The page as buckets of one result each ({**group, **body}), its bucket width and the
    beta version it was read as."""
    rows = []
    for i, row in enumerate(page["data"]):
        where = f"{source}: data[{i}]"
        if not isinstance(row, dict):
            raise ImportUsageError(f"{where}: expected a row object with starting_at, "
                                   f"ending_at, group and {body}")
        group, values = row.get("group", {}), row.get(body)
        if group is None:
            group = {}
        if not isinstance(group, dict):
            raise ImportUsageError(f"{where}: group is {str(group)[:40]!r}; expected an object "
                                   "of grouping fields (model, product, ...)")
        if not isinstance(values, dict):
            problem = "missing" if values is None else f"is {str(values)[:40]!r}"
            other = "cost" if body == "usage" else "usage"
            hint = f" (a {other} row in a {body} page: one endpoint per file)" \
                if isinstance(row.get(other), dict) else ""
            raise ImportUsageError(f"{where}: {body} {problem}; expected an object{hint}")
        clash = sorted(set(group) & set(values))
        if clash:
            raise ImportUsageError(f"{where}: {clash[0]} is both a grouping field and a "
                                   f"{body} field; expected it in one of them")
        rows.append({"starting_at": row.get("starting_at"), "ending_at": row.get("ending_at"),
                     "results": [{**group, **values}]})
    width = page.get("time_bucket_width")
    if width is not None and not isinstance(width, str):
        raise ImportUsageError(f"{source}: time_bucket_width is {str(width)[:40]!r}; expected "
                               "text such as 1d")
    version = page.get("anthropic_beta", BETA_VERSION)
    if not isinstance(version, str) or not version.strip():
        raise ImportUsageError(f"{source}: anthropic_beta is {str(version)[:40]!r}; expected "
                               f"the beta header's value, such as {BETA_VERSION}")
    converted = {"data": rows}
    if "data_refreshed_at" in page:
        converted["data_refreshed_at"] = page["data_refreshed_at"]
    return converted, width, version.strip()[:100]


def read_analytics_rows(page: Any, source: str) -> UsageRecords | CostRecords:
    """Read one parsed page of ``/analytics/usage`` or ``/analytics/cost`` rows."""
    kind = row_page_kind(page)
    if kind is None:
        raise ImportUsageError(f"{source}: expected a page of analytics rows (data[] of "
                               "starting_at, ending_at, group, usage or cost)")
    converted, width, version = _as_buckets(page, source, kind)
    if kind == "cost":
        cost = read_cost_report(converted, source)
        return CostRecords(cost.rows, cost.buckets, UsageFormat.ANALYTICS_COST_ROWS,
                           cost.watermark, cost.incomplete, version, width)
    pr = page_results(converted, source, "a usage and cost analytics API usage page")
    rows = result_rows(pr, ROW_GROUP_FIELDS, with_requests=True)
    return UsageRecords(rows, pr.buckets, UsageFormat.ANALYTICS_USAGE_ROWS, pr.watermark,
                        pr.incomplete, version, width)

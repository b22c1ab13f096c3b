"""Reader of the usage and cost analytics API usage report, one saved JSON page per file.

``GET /v1/organizations/analytics/usage_report`` (Claude API reference, Admin > Analytics >
Usage, model ``UsageBucket``): ``data[]`` buckets with ``starting_at``, ``ending_at`` and
``results[]`` carrying the token classes of the legacy report (``uncached_input_tokens``,
``cache_creation.ephemeral_5m_input_tokens`` and ``ephemeral_1h_input_tokens``,
``cache_read_input_tokens``, ``output_tokens``), ``requests``, ``server_tool_use`` and the
grouping fields ``model``, ``product``, ``context_window`` (``0-200k``, ``200k-1M``),
``inference_geo`` (``global``, ``us``) and ``speed`` (``fast``, ``standard``); at the top
``data_refreshed_at``, ``has_more``, ``next_page`` and ``organization_id``.

The reference says of ``data_refreshed_at``: buckets beyond this watermark are incomplete,
and data is not final until about 30 days after the usage date. Buckets ending past it are
left out here (and listed); months within 30 days of it are marked provisional by the
import (:mod:`forecast.usage.months`). The report has no service tier and no workspace.
"""

from __future__ import annotations

from typing import Any

from forecast.usage.admin_report import result_rows
from forecast.usage.records import UsageFormat, UsageRecords, first_result, page_results

#: Grouping fields of the analytics report, by our name.
ANALYTICS_GROUP_FIELDS = {"model": "model", "product": "product",
                          "context_window": "context_window", "inference_geo": "inference_geo",
                          "speed": "speed"}


def is_analytics_page(page: Any) -> bool:
    """An analytics page: it has the watermark or the organization id at the top, or
    ``requests``/``product`` in a result (the legacy report has neither)."""
    if not isinstance(page, dict):
        return False
    if "data_refreshed_at" in page or "organization_id" in page:
        return True
    first = first_result(page)
    return first is not None and ("requests" in first or "product" in first)


def read_analytics_report(page: Any, source: str) -> UsageRecords:
    """Read one parsed page of the analytics usage report."""
    pr = page_results(page, source, "a usage and cost analytics API usage report page")
    rows = result_rows(pr, ANALYTICS_GROUP_FIELDS, with_requests=True)
    return UsageRecords(rows, pr.buckets, UsageFormat.ANALYTICS_JSON, pr.watermark,
                        pr.incomplete)

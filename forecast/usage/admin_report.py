"""Reader of the Admin API messages usage report (legacy), one saved JSON page per file.

``GET /v1/organizations/usage_report/messages`` (Claude API reference, Admin > Usage Report;
its docs now point new integrations to the usage and cost analytics API)::

    {"data": [{"starting_at": "2026-05-01T00:00:00Z", "ending_at": "2026-05-02T00:00:00Z",
               "results": [{"uncached_input_tokens": 1200, "cache_read_input_tokens": 900,
                            "cache_creation": {"ephemeral_5m_input_tokens": 300,
                                               "ephemeral_1h_input_tokens": 0},
                            "output_tokens": 450, "model": "claude-sonnet-4-5-20250929",
                            "service_tier": "standard", "workspace_id": "wrkspc_01...",
                            "api_key_id": "apikey_01...", "context_window": "0-200k"}]}],
     "has_more": true, "next_page": "page_..."}

Buckets may be a day, an hour or a minute wide; a bucket with no usage has ``results: []``
and still counts as covered time. Grouping fields may be null or absent (not grouped by).
The token fields are shared with the analytics report (:mod:`forecast.usage.analytics_report`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import ImportUsageError
from forecast.usage.records import (
    GROUP_FIELDS,
    MAX_REQUESTS,
    ROW_COLUMNS,
    TOKEN_CLASSES,
    PageResults,
    UsageFormat,
    UsageRecords,
    counts,
    nested,
    page_results,
    text_field,
)

#: Where each token class sits in a result (the same in both JSON reports).
JSON_TOKEN_FIELDS: dict[str, tuple[str, ...]] = {
    "uncached_input": ("uncached_input_tokens",),
    "cache_write_5m": ("cache_creation", "ephemeral_5m_input_tokens"),
    "cache_write_1h": ("cache_creation", "ephemeral_1h_input_tokens"),
    "cache_read": ("cache_read_input_tokens",),
    "output": ("output_tokens",),
}
#: Grouping fields of the legacy report, by our name.
ADMIN_GROUP_FIELDS = {"model": "model", "service_tier": "service_tier",
                      "workspace": "workspace_id", "api_key": "api_key_id",
                      "context_window": "context_window", "inference_geo": "inference_geo"}


def result_rows(pr: PageResults, group_fields: dict[str, str], with_requests: bool
                ) -> pd.DataFrame:
    """Validate a page's results column by column into :data:`ROW_COLUMNS`."""
    columns: dict[str, Any] = {}
    for name in GROUP_FIELDS:
        json_name = group_fields.get(name)
        values = [None] * len(pr.results) if json_name is None else \
            text_field([r.get(json_name) for r in pr.results], json_name, pr.where)
        columns[name] = values
    bad = next((k for k, v in enumerate(columns["model"]) if not v), None)
    if bad is not None:
        raise ImportUsageError(f"{pr.where(bad)}: model is null; export the report grouped by "
                               "model (group_by[]=model) so that its tokens can be priced")
    for cls, path in JSON_TOKEN_FIELDS.items():
        columns[cls] = counts(nested(pr.results, path), ".".join(path), pr.where)
    if with_requests:
        columns["requests"] = counts([r.get("requests") for r in pr.results], "requests",
                                     pr.where, limit=MAX_REQUESTS, missing_ok=True,
                                     what="request count")
    else:
        columns["requests"] = np.full(len(pr.results), np.nan)
    frame = pd.DataFrame(columns)
    frame.insert(0, "bucket", pr.bucket_ids)
    frame.insert(1, "item", pr.items)
    return frame[ROW_COLUMNS]


def read_admin_report(page: Any, source: str) -> UsageRecords:
    """Read one parsed page of the legacy messages usage report."""
    pr = page_results(page, source, "an Admin API usage report page")
    rows = result_rows(pr, ADMIN_GROUP_FIELDS, with_requests=False)
    for name in TOKEN_CLASSES:
        rows[name] = rows[name].astype(float)
    return UsageRecords(rows, pr.buckets, UsageFormat.ADMIN_JSON, pr.watermark, pr.incomplete)

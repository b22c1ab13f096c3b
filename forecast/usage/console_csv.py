"""Reader of the Console usage export (CSV): one row per day, model, workspace and API key.

Headers are matched case-insensitively with spaces, dashes and brackets read as ``_``
(``Cache Write (5m) Tokens`` is ``cache_write_5m_tokens``); see :data:`CSV_COLUMNS` for the
accepted names. Thousands separators and empty token cells (zero) are accepted. A CSV lists
only days with usage, so the days between its first and last date count as covered, with no
usage where there is no row.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import ImportUsageError
from forecast.usage.records import (
    FIRST_DATE,
    LAST_DATE,
    MAX_TOKENS,
    ROW_COLUMNS,
    TOKEN_CLASSES,
    UsageFormat,
    UsageRecords,
    check_counts,
)

#: CSV columns: the documented name first, then the other accepted spellings (normalised:
#: lower case, runs of other characters as ``_``). ``service_tier`` and ``context_window``
#: are optional (an empty tier cell reads as ``standard``; without the column the tier is
#: unknown and priced as standard, with a warning).
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("date", "day", "usage_date", "date_utc", "starting_at"),
    "model": ("model", "model_id", "model_name", "model_version"),
    "workspace": ("workspace", "workspace_id", "workspace_name"),
    "api_key": ("api_key", "api_key_id", "api_key_name", "key", "key_name"),
    "service_tier": ("service_tier", "usage_type", "tier"),
    "context_window": ("context_window",),
    "uncached_input": ("input_tokens_uncached", "uncached_input_tokens", "uncached_input",
                       "input_uncached", "input_tokens_no_cache",
                       "usage_input_tokens_no_cache"),
    "cache_write_5m": ("cache_write_5m_tokens", "cache_write_5m", "cache_write_tokens_5m",
                       "cache_creation_5m_input_tokens", "ephemeral_5m_input_tokens",
                       "usage_input_tokens_cache_write_5m"),
    "cache_write_1h": ("cache_write_1h_tokens", "cache_write_1h", "cache_write_tokens_1h",
                       "cache_creation_1h_input_tokens", "ephemeral_1h_input_tokens",
                       "usage_input_tokens_cache_write_1h"),
    "cache_read": ("cache_read_tokens", "cache_read", "cache_read_input_tokens",
                   "input_tokens_cache_read", "usage_input_tokens_cache_read"),
    "output": ("output_tokens", "output", "usage_output_tokens"),
}
_OPTIONAL = ("service_tier", "context_window")
_DAY = np.timedelta64(1, "D")


def _normalise(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def _match_columns(headers: list[str], source: str) -> dict[str, str]:
    """Map each known column to the file's header for it; error naming the missing ones."""
    by_name = {_normalise(h): h for h in headers}
    found = {}
    for column, spellings in CSV_COLUMNS.items():
        match = next((by_name[s] for s in spellings if s in by_name), None)
        if match is not None:
            found[column] = match
    missing = [CSV_COLUMNS[c][0] for c in CSV_COLUMNS if c not in found and c not in _OPTIONAL]
    if missing:
        expected = ", ".join(CSV_COLUMNS[c][0] + (" (optional)" if c in _OPTIONAL else "")
                             for c in CSV_COLUMNS)
        shown = ", ".join(h[:40] for h in headers[:30])
        raise ImportUsageError(
            f"{source}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            f"expected a Console usage export with columns {expected} (found: {shown})"
        )
    return found


def read_console_csv(text: str, source: str) -> UsageRecords:
    """Read a Console usage CSV export."""
    try:
        with warnings.catch_warnings():
            # A row longer than the header would otherwise be cut, or shift the columns.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                                skipinitialspace=True, index_col=False)
    except pd.errors.ParserWarning:
        raise ImportUsageError(f"{source}: a row has more fields than the header; check the "
                               "separators (a comma inside a value must be quoted)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise ImportUsageError(f"{source}: not a readable CSV ({str(exc)[:200]})") from None
    columns = _match_columns([str(c) for c in frame.columns], source)
    if frame.empty:
        raise ImportUsageError(f"{source}: no data rows below the header")
    sheet_row = frame.index.to_numpy() + 2  # the header is row 1

    def fail(mask: Any, problem: Callable[[int], str]) -> None:
        bad = np.flatnonzero(np.asarray(mask))
        if bad.size:
            more = f" (and {bad.size - 1} more rows)" if bad.size > 1 else ""
            raise ImportUsageError(f"{source}: row {sheet_row[bad[0]]}: "
                                   f"{problem(bad[0])}{more}")

    raw_date = frame[columns["date"]].str.strip()
    day = pd.to_datetime(raw_date, format="ISO8601", errors="coerce", utc=True)
    fail(day.isna(), lambda i: f"{columns['date']} {raw_date.iloc[i][:40]!r} is not a date; "
                               f"expected YYYY-MM-DD between {FIRST_DATE.year} and "
                               f"{LAST_DATE.year - 1}")
    day = day.dt.tz_localize(None).dt.floor("D")
    outside = (day < pd.Timestamp(FIRST_DATE)) | (day >= pd.Timestamp(LAST_DATE))
    fail(outside, lambda i: f"{columns['date']} {raw_date.iloc[i][:40]!r} is outside "
                            f"{FIRST_DATE.year} to {LAST_DATE.year - 1}; a usage date must be "
                            "a real date")
    day = day.to_numpy().astype("datetime64[ns]")

    model = frame[columns["model"]].str.strip().str.slice(0, 200)
    fail(model == "", lambda i: f"{columns['model']} is empty; name the model of every row")
    out = pd.DataFrame({"model": model})
    if "service_tier" in columns:  # an empty cell is standard; no column: tier unknown
        tier = frame[columns["service_tier"]].str.strip().str.lower()
        out["service_tier"] = tier.replace("", "standard").str.slice(0, 200)
    else:
        out["service_tier"] = None
    for name in ("workspace", "api_key", "context_window"):
        values = frame[columns[name]].str.strip().str.slice(0, 200) if name in columns \
            else None
        out[name] = None if values is None else values.where(values != "", None)
    for name in ("inference_geo", "speed", "product"):
        out[name] = None
    for cls in TOKEN_CLASSES:
        header = columns[cls]
        raw = frame[header].str.strip().str.replace(",", "", regex=False)
        count = pd.to_numeric(raw.replace("", "0"), errors="coerce")
        fail(count.isna(), lambda i, h=header, r=raw: f"{h} is {r.iloc[i][:40]!r}; expected a "
                                                      "token count (a number, 0 or more)")
        values = count.to_numpy(dtype=float)
        check_counts(values, header, lambda k: f"{source}: row {sheet_row[k]}", MAX_TOKENS)
        out[cls] = values
    out["requests"] = np.nan

    first, last = day.min(), day.max()
    days = np.arange(first.astype("datetime64[D]"), last.astype("datetime64[D]") + 1
                     ).astype("datetime64[ns]")
    out.insert(0, "bucket", np.searchsorted(days, day))
    out.insert(1, "item", sheet_row)
    labels = [f"date {str(d)[:10]}" for d in days.astype("datetime64[D]")]
    buckets = pd.DataFrame({"source": source, "part": 0, "label": labels,
                            "start": days, "end": days + _DAY})
    return UsageRecords(out[ROW_COLUMNS], buckets, UsageFormat.CONSOLE_CSV)

"""Readers for Claude usage history: the Admin API usage report (JSON) and the Console CSV.

Both formats become one :class:`UsageRecords`: a row per usage line (model, service tier,
workspace, API key, tokens by class) tied to a time bucket, plus the time the files cover.
Nothing is priced or rolled up here (see :mod:`forecast.usage_import`).

Admin API messages usage report, one saved JSON page per file::

    {"data": [{"starting_at": "2026-05-01T00:00:00Z", "ending_at": "2026-05-02T00:00:00Z",
               "results": [{"uncached_input_tokens": 1200, "cache_read_input_tokens": 900,
                            "cache_creation": {"ephemeral_5m_input_tokens": 300,
                                               "ephemeral_1h_input_tokens": 0},
                            "output_tokens": 450, "model": "claude-sonnet-4-5-20250929",
                            "service_tier": "standard", "workspace_id": "wrkspc_01...",
                            "api_key_id": "apikey_01...", "context_window": "0-200k"}]}],
     "has_more": true, "next_page": "page_..."}

Buckets may be a day, an hour or a minute wide; a bucket with no usage has ``results: []``
and still counts as covered time. The grouping fields may be null or absent.

Console usage CSV, one row per day, model, workspace and API key; headers are matched
case-insensitively with spaces, dashes and brackets read as ``_`` (``Cache Write (5m)
Tokens`` is ``cache_write_5m_tokens``); see :data:`CSV_COLUMNS` for the accepted names.

Duplicates: the same usage line (same bucket, or for a CSV the same day, and the same
model, service tier, workspace, API key and context window) read from several files counts
once, taking the copy with the most tokens (a later export of a day still in progress holds
more); files that split one period by workspace or API key add up. Buckets that overlap
without being the same (a daily and an hourly export of one day) are an error: summing them
would double-count.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import ImportUsageError

#: Token classes, in the order used everywhere in the import.
TOKEN_CLASSES: tuple[str, ...] = (
    "uncached_input", "cache_write_5m", "cache_write_1h", "cache_read", "output",
)
#: Grouping fields of a usage row.
GROUP_FIELDS: tuple[str, ...] = (
    "model", "service_tier", "workspace", "api_key", "context_window",
)

#: Where each token class sits in an Admin API result.
JSON_TOKEN_FIELDS: dict[str, tuple[str, ...]] = {
    "uncached_input": ("uncached_input_tokens",),
    "cache_write_5m": ("cache_creation", "ephemeral_5m_input_tokens"),
    "cache_write_1h": ("cache_creation", "ephemeral_1h_input_tokens"),
    "cache_read": ("cache_read_input_tokens",),
    "output": ("output_tokens",),
}
_JSON_GROUP_FIELDS = {"model": "model", "service_tier": "service_tier",
                      "workspace": "workspace_id", "api_key": "api_key_id",
                      "context_window": "context_window"}

#: CSV columns: the documented name first, then the other accepted spellings (normalised:
#: lower case, runs of other characters as ``_``). ``service_tier`` and ``context_window``
#: are optional (a missing tier reads as ``standard``).
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
_CSV_OPTIONAL = ("service_tier", "context_window")

_ROW_COLUMNS = ["bucket", "item", *GROUP_FIELDS, *TOKEN_CLASSES]
_DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class UsageRecords:
    """Usage as read, before pricing and roll-up.

    Attributes
    ----------
    rows : pandas.DataFrame
        One row per usage line: ``bucket`` (index label into ``buckets``), ``item`` (result
        index in its JSON bucket, or spreadsheet row of a CSV, header = row 1), the
        :data:`GROUP_FIELDS` as text (``None`` where the file has none) and the
        :data:`TOKEN_CLASSES` as floats.
    buckets : pandas.DataFrame
        One row per time bucket: ``source`` (file name), ``kind`` (``json`` or ``csv``),
        ``label`` (``data[3] (starting_at ...)`` or ``date 2026-05-03``), ``start``, ``end``
        (UTC, naive ``datetime64``).
    spans : pandas.DataFrame
        ``start``, ``end`` of the time the files cover: every JSON bucket (empty ones too),
        and for a CSV its first to its last date (a CSV lists only days with usage).
    kind : str
        ``json`` or ``csv`` for one file's records, empty once merged.
    """

    rows: pd.DataFrame
    buckets: pd.DataFrame
    spans: pd.DataFrame
    kind: str = ""

    def locate(self, row: Any) -> str:
        """Where a row of ``rows`` came from: file and bucket, or file and CSV row."""
        item = self.rows.at[row, "item"]
        bucket = self.buckets.loc[self.rows.at[row, "bucket"]]
        if bucket["kind"] == "csv":
            return f"{bucket['source']}: row {item}"
        return f"{bucket['source']}: {bucket['label']}: results[{item}]"


# --------------------------------------------------------------------------- entry point
def read_usage(name: str, content: bytes | str) -> UsageRecords:
    """Read one file: JSON for ``.json`` (or text starting with ``{``), else CSV.

    Parameters
    ----------
    name : str
        The file's name, used in messages and to tell the format.
    content : bytes or str
        Its content (bytes are read as UTF-8, with or without a byte-order mark).

    Raises
    ------
    ImportUsageError
        Naming the file, the bucket or row, and the problem.
    """
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportUsageError(f"{name}: not UTF-8 text (byte {exc.start}); expected an "
                                   "Admin API usage report page (.json) or a Console usage "
                                   "export (.csv)") from None
    text = content.lstrip("\ufeff")
    if not text.strip():
        raise ImportUsageError(f"{name}: the file is empty; expected an Admin API usage "
                               "report page (.json) or a Console usage export (.csv)")
    suffix = PurePath(name).suffix.lower()
    is_json = suffix == ".json" or (suffix != ".csv" and text.lstrip()[:1] in ("{", "["))
    return read_usage_json(text, name) if is_json else read_usage_csv(text, name)


# --------------------------------------------------------------------------- Admin API JSON
def read_usage_json(text: str, source: str) -> UsageRecords:
    """Read one saved page of the Admin API messages usage report."""
    try:
        page = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportUsageError(f"{source}: not valid JSON (line {exc.lineno}, column "
                               f"{exc.colno}: {exc.msg})") from None
    if not isinstance(page, dict) or not isinstance(page.get("data"), list):
        raise ImportUsageError(f"{source}: expected an Admin API usage report page: an "
                               "object with a data[] list of buckets (starting_at, ending_at, "
                               "results[])")
    buckets, results, bucket_ids, items = [], [], [], []
    for i, bucket in enumerate(page["data"]):
        where = f"{source}: data[{i}]"
        if not isinstance(bucket, dict):
            raise ImportUsageError(f"{where}: expected a bucket object with starting_at, "
                                   "ending_at and results[]")
        start = _timestamp(bucket, "starting_at", where)
        end = _timestamp(bucket, "ending_at", where)
        label = f"data[{i}] (starting_at {bucket['starting_at']})"
        if end <= start:
            raise ImportUsageError(f"{source}: {label}: ending_at {bucket['ending_at']} is not "
                                   "after starting_at")
        if not isinstance(bucket.get("results"), list):
            raise ImportUsageError(f"{source}: {label}: results: missing; expected a list of "
                                   "usage results (empty when there was no usage)")
        buckets.append((source, "json", label, start, end))
        results += bucket["results"]
        bucket_ids += [i] * len(bucket["results"])
        items += range(len(bucket["results"]))

    def where(k: int) -> str:
        return f"{source}: {buckets[bucket_ids[k]][2]}: results[{items[k]}]"

    bucket_frame = _bucket_frame(buckets)
    rows = _json_rows(results, where).assign(bucket=bucket_ids, item=items)
    return UsageRecords(rows[_ROW_COLUMNS], bucket_frame, bucket_frame[["start", "end"]],
                        "json")


def _timestamp(bucket: dict, field: str, where: str) -> np.datetime64:
    value = bucket.get(field)
    if not isinstance(value, str):
        problem = "missing" if value is None else f"is {value!r}"
        raise ImportUsageError(f"{where}: {field} {problem}; expected an RFC 3339 time such "
                               "as 2026-05-01T00:00:00Z")
    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ImportUsageError(f"{where}: {field} {value!r} is not an RFC 3339 time such as "
                               "2026-05-01T00:00:00Z") from None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    return np.datetime64(stamp, "ns")


def _json_rows(results: list[Any], where: Callable[[int], str]) -> pd.DataFrame:
    """Validate the results of a page column by column; ``where(k)`` locates result k."""
    bad = next((k for k, r in enumerate(results) if not isinstance(r, dict)), None)
    if bad is not None:
        raise ImportUsageError(f"{where(bad)}: expected a usage result object")
    columns: dict[str, Any] = {}
    for name, field in _JSON_GROUP_FIELDS.items():
        values = [r.get(field) for r in results]
        bad = next((k for k, v in enumerate(values)
                    if v is not None and not isinstance(v, str)), None)
        if bad is not None:
            raise ImportUsageError(f"{where(bad)}: {field} is {values[bad]!r}; expected text "
                                   "or null")
        columns[name] = values
    bad = next((k for k, v in enumerate(columns["model"]) if not v), None)
    if bad is not None:
        raise ImportUsageError(f"{where(bad)}: model is null; export the report grouped by "
                               "model (group_by[]=model) so that its tokens can be priced")
    for cls, path in JSON_TOKEN_FIELDS.items():
        values = [r.get(path[0]) for r in results]
        for key in path[1:]:
            values = [v.get(key) if isinstance(v, dict) else None for v in values]
        columns[cls] = _counts(values, ".".join(path), where)
    return pd.DataFrame(columns, columns=[*GROUP_FIELDS, *TOKEN_CLASSES])


def _counts(values: list[Any], field: str, where: Callable[[int], str]) -> Any:
    """Token counts as floats: numbers, finite, not negative; else an error at the first."""
    bad = next((k for k, v in enumerate(values) if type(v) not in (int, float)), None)
    if bad is not None:
        value = values[bad]
        problem = ": missing; expected a token count" if value is None else (
            f" is {value!r}; expected a token count (a number of tokens, 0 or more)")
        raise ImportUsageError(f"{where(bad)}: {field}{problem}")
    counts = np.array(values, dtype=float)
    bad = np.flatnonzero(~np.isfinite(counts) | (counts < 0))
    if bad.size:
        k = bad[0]
        problem = "a token count cannot be negative" if counts[k] < 0 else \
            "expected a finite token count"
        raise ImportUsageError(f"{where(k)}: {field} is {counts[k]:g}; {problem}")
    return counts


# --------------------------------------------------------------------------- Console CSV
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
    missing = [CSV_COLUMNS[c][0] for c in CSV_COLUMNS if c not in found and c not in
               _CSV_OPTIONAL]
    if missing:
        expected = ", ".join(CSV_COLUMNS[c][0] + (" (optional)" if c in _CSV_OPTIONAL else "")
                             for c in CSV_COLUMNS)
        raise ImportUsageError(
            f"{source}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            f"expected a Console usage export with columns {expected} (found: "
            f"{', '.join(headers)})"
        )
    return found


def read_usage_csv(text: str, source: str) -> UsageRecords:
    """Read a Console usage CSV export (a row per day, model, workspace and API key)."""
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                            skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ImportUsageError(f"{source}: not a readable CSV ({exc})") from None
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
    fail(day.isna(), lambda i: f"{columns['date']} {raw_date.iloc[i]!r} is not a date; "
                               "expected YYYY-MM-DD")
    day = day.dt.tz_localize(None).dt.floor("D").to_numpy()

    model = frame[columns["model"]].str.strip()
    fail(model == "", lambda i: f"{columns['model']} is empty; name the model of every row")
    out = pd.DataFrame({"model": model})
    tier = frame[columns["service_tier"]].str.strip().str.lower() if "service_tier" in \
        columns else pd.Series("standard", index=frame.index)
    out["service_tier"] = tier.replace("", "standard")
    for field in ("workspace", "api_key", "context_window"):
        values = frame[columns[field]].str.strip() if field in columns else None
        out[field] = None if values is None else values.where(values != "", None)
    for cls in TOKEN_CLASSES:
        header = columns[cls]
        raw = frame[header].str.strip().str.replace(",", "", regex=False)
        count = pd.to_numeric(raw.replace("", "0"), errors="coerce")
        fail(count.isna() | ~np.isfinite(count.fillna(0)),
             lambda i, h=header, r=raw: f"{h} is {r.iloc[i]!r}; expected a token count "
                                        "(a number of tokens, 0 or more)")
        fail(count < 0, lambda i, h=header, c=count: f"{h} is {c.iloc[i]:g}; a token count "
                                                     "cannot be negative")
        out[cls] = count.astype(float)

    days, bucket = np.unique(day, return_inverse=True)
    out.insert(0, "bucket", bucket.ravel())
    out.insert(1, "item", sheet_row)
    labels = [f"date {str(d)[:10]}" for d in days.astype("datetime64[D]")]
    buckets = pd.DataFrame({"source": source, "kind": "csv", "label": labels,
                            "start": days, "end": days + _DAY})
    spans = pd.DataFrame({"start": [days.min()], "end": [days.max() + _DAY]})
    return UsageRecords(out[_ROW_COLUMNS], buckets, spans, "csv")


# --------------------------------------------------------------------------- merging
def _bucket_frame(buckets: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(buckets, columns=["source", "kind", "label", "start", "end"])
    for col in ("start", "end"):
        frame[col] = frame[col].astype("datetime64[ns]")
    return frame


def merge_records(parts: list[UsageRecords]) -> tuple[UsageRecords, int]:
    """Merge the records of several files, counting every usage line once.

    A usage line is a bucket's usage for one model, service tier, workspace, API key and
    context window. Read from more than one file (overlapping exports), it counts once: the
    copy with the most tokens, the first read on a tie. Files that split the same period by
    workspace or API key hold different lines, and add up. Buckets that overlap without being
    the same bucket are an error.

    Returns
    -------
    (UsageRecords, int)
        The merged records and the number of duplicate usage lines left out.
    """
    rows, buckets, offset = [], [], 0
    for part in parts:
        rows.append(part.rows.assign(bucket=part.rows["bucket"] + offset))
        buckets.append(part.buckets.set_axis(part.buckets.index + offset))
        offset += len(part.buckets)
    all_buckets = pd.concat(buckets)
    if all_buckets.empty:
        raise ImportUsageError("no usage buckets: every page has an empty data[]")
    _check_overlaps(all_buckets.drop_duplicates(["start", "end"]).sort_values(
        ["start", "end"], kind="stable"))
    keys = ["start", "end", *GROUP_FIELDS]
    lines = pd.concat(rows, ignore_index=True).join(
        all_buckets[["source", "start", "end"]], on="bucket")
    per_file = lines.groupby([*keys, "source"], dropna=False, sort=False).agg(
        bucket=("bucket", "first"), item=("item", "first"),
        **{c: (c, "sum") for c in TOKEN_CLASSES}).reset_index()
    total = per_file[list(TOKEN_CLASSES)].sum(axis=1)
    kept = per_file.loc[total.sort_values(ascending=False, kind="stable").index]
    kept = kept.drop_duplicates(keys).sort_values(["bucket", "item"], kind="stable")
    for field in GROUP_FIELDS:  # a key column of nulls only comes back from groupby as float
        column = kept[field].astype(object)
        kept[field] = column.where(column.notna(), None)
    merged = UsageRecords(
        kept[_ROW_COLUMNS].reset_index(drop=True),
        all_buckets,
        pd.concat([p.spans for p in parts], ignore_index=True),
    )
    return merged, len(per_file) - len(kept)


def _check_overlaps(buckets: pd.DataFrame) -> None:
    """Error on the first bucket that starts before an earlier one ends (sorted by start)."""
    starts, ends = buckets["start"].to_numpy(), buckets["end"].to_numpy()
    reach = np.maximum.accumulate(ends)
    clash = np.flatnonzero(starts[1:] < reach[:-1])
    if clash.size:
        later = clash[0] + 1
        earlier = np.flatnonzero(ends[:later] > starts[later])[0]
        a, b = buckets.iloc[earlier], buckets.iloc[later]
        raise ImportUsageError(
            f"{b['source']}: {b['label']} overlaps {a['source']}: {a['label']} without being "
            "the same bucket; summing both would count that usage twice (a daily and an "
            "hourly export of the same days?); import one width per period"
        )

"""Usage as read: one row per usage line tied to a time bucket, before pricing and roll-up.

Every reader (:mod:`forecast.usage.admin_report`, :mod:`~forecast.usage.analytics_report`,
:mod:`~forecast.usage.console_csv`) returns a :class:`UsageRecords`; the cost report reader
returns :class:`CostRecords`. Shared here: the token classes and grouping fields, the
bounds every number and date is checked against, and the JSON helpers that turn a bad
value into a message naming the file, the bucket and the field.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import ImportUsageError
from forecast.pricebook import TOKEN_CLASSES

__all__ = ["TOKEN_CLASSES"]

#: Grouping fields a usage line may carry (``None`` where its file does not say).
GROUP_FIELDS: tuple[str, ...] = (
    "model", "service_tier", "workspace", "api_key", "context_window", "inference_geo",
    "speed", "product",
)
#: Columns of :attr:`UsageRecords.rows`.
ROW_COLUMNS: list[str] = ["bucket", "item", *GROUP_FIELDS, *TOKEN_CLASSES, "requests"]

#: Largest token count accepted on one usage line: a quadrillion tokens is millions of
#: dollars on the cheapest model; a count beyond it is a corrupt file, not usage.
MAX_TOKENS = 1e15
#: Largest request count accepted on one usage line.
MAX_REQUESTS = 1e13
#: Usage dates are read between these (a bucket outside is a corrupt or mistyped date).
FIRST_DATE = dt.datetime(2000, 1, 1)
LAST_DATE = dt.datetime(2200, 1, 1)
#: Largest cost amount on one cost-report line, in USD.
MAX_AMOUNT_USD = 1e12


class UsageFormat(StrEnum):
    """A file format the importer reads; detected from the file's content."""

    ADMIN_JSON = "Admin API messages usage report (JSON, legacy)"
    ANALYTICS_JSON = "usage and cost analytics API usage report (JSON)"
    COST_JSON = "cost report (JSON)"
    CONSOLE_CSV = "Console usage export (CSV)"
    ANALYTICS_USAGE_ROWS = "usage and cost analytics API /analytics/usage page (JSON, beta)"
    ANALYTICS_COST_ROWS = "usage and cost analytics API /analytics/cost page (JSON, beta)"


@dataclass(frozen=True)
class UsageRecords:
    """Usage as read from one file (or several, once merged).

    Attributes
    ----------
    rows : pandas.DataFrame
        One row per usage line: ``bucket`` (index label into ``buckets``), ``item`` (result
        index in its JSON bucket, or spreadsheet row of a CSV, header = row 1), the
        :data:`GROUP_FIELDS` as text (``None`` where the file has none), the
        :data:`TOKEN_CLASSES` as floats and ``requests`` (NaN where the format has none).
    buckets : pandas.DataFrame
        One row per time bucket: ``source`` (file name), ``part`` (position of the file in
        the import), ``label`` (``data[3] (starting_at ...)`` or ``date 2026-05-03``),
        ``start``, ``end`` (UTC, naive ``datetime64``). A CSV has a bucket for every day from
        its first to its last date (a day without rows had no usage).
    fmt : UsageFormat or None
        The file's format (``None`` once merged).
    watermark : datetime64 or None
        ``data_refreshed_at`` of an analytics page: data past it is incomplete.
    incomplete : list of str
        Labels of buckets left out because they end past the watermark.
    version : str or None
        The API version the page was read as (the analytics pages' beta header value).
    bucket_width : str or None
        The page's ``time_bucket_width`` where it states one.
    """

    rows: pd.DataFrame
    buckets: pd.DataFrame
    fmt: UsageFormat | None = None
    watermark: np.datetime64 | None = None
    incomplete: list[str] = field(default_factory=list)
    version: str | None = None
    bucket_width: str | None = None

    def locate(self, row: Any) -> str:
        """Where a row of ``rows`` came from: file and bucket, or file and CSV row."""
        item = self.rows.at[row, "item"]
        bucket = self.buckets.loc[self.rows.at[row, "bucket"]]
        if str(bucket["label"]).startswith("date "):
            return f"{bucket['source']}: row {item}"
        return f"{bucket['source']}: {bucket['label']}: results[{item}]"

    @property
    def carried(self) -> frozenset[str]:
        """Grouping fields this file states (a non-null value somewhere)."""
        return frozenset(f for f in GROUP_FIELDS if self.rows[f].notna().any())


@dataclass(frozen=True)
class CostRecords:
    """A cost report as read: billed (post-discount, pre-credit) and list USD per bucket.

    Attributes
    ----------
    rows : pandas.DataFrame
        ``bucket``, ``item``, ``amount`` and ``list_amount`` in USD (``list_amount`` NaN
        where the report has none), ``cost_type`` (``None`` unless grouped by it) and
        ``model`` (``None`` unless grouped by model).
    buckets : pandas.DataFrame
        As in :class:`UsageRecords`.
    """

    rows: pd.DataFrame
    buckets: pd.DataFrame
    fmt: UsageFormat = UsageFormat.COST_JSON
    watermark: np.datetime64 | None = None
    incomplete: list[str] = field(default_factory=list)
    version: str | None = None
    bucket_width: str | None = None


# --------------------------------------------------------------------------- JSON helpers
def parse_json(text: str, source: str) -> Any:
    """Parse JSON text; bad syntax and deep nesting become messages naming the file."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportUsageError(f"{source}: not valid JSON (line {exc.lineno}, column "
                               f"{exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise ImportUsageError(f"{source}: nested too deeply to read; a usage report page is "
                               "an object with a data[] list of buckets") from None
    except ValueError as exc:  # e.g. an integer literal too long to convert
        raise ImportUsageError(f"{source}: not readable JSON ({exc})") from None


def timestamp(obj: dict, name: str, where: str) -> np.datetime64:
    """An RFC 3339 time of a JSON object as naive UTC ``datetime64[ns]``, within bounds."""
    value = obj.get(name)
    if not isinstance(value, str):
        problem = "missing" if value is None else f"is {value!r}"
        raise ImportUsageError(f"{where}: {name} {problem}; expected an RFC 3339 time such "
                               "as 2026-05-01T00:00:00Z")
    return parse_time(value, f"{where}: {name}")


def parse_time(value: str, where: str) -> np.datetime64:
    """Parse an RFC 3339 time (or a date) to naive UTC, refusing dates out of bounds."""
    try:
        stamp = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ImportUsageError(f"{where} {value[:40]!r} is not an RFC 3339 time such as "
                               "2026-05-01T00:00:00Z") from None
    if stamp.tzinfo is not None:
        try:
            stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:
            raise ImportUsageError(f"{where} {value[:40]!r} is out of range") from None
    if not FIRST_DATE <= stamp < LAST_DATE:
        raise ImportUsageError(f"{where} {value[:40]!r} is outside {FIRST_DATE.year} to "
                               f"{LAST_DATE.year - 1}; a usage date must be a real date")
    return np.datetime64(stamp, "ns")


def counts(values: list[Any], name: str, where: Callable[[int], str],
           limit: float = MAX_TOKENS, missing_ok: bool = False, what: str = "token count"
           ) -> Any:
    """Counts as floats: numbers, finite, not negative, at most ``limit``; else an error
    naming the first bad value. ``missing_ok``: a missing value reads as NaN."""
    def bad_type(v: Any) -> bool:
        if v is None:
            return not missing_ok
        return type(v) not in (int, float)

    bad = next((k for k, v in enumerate(values) if bad_type(v)), None)
    if bad is not None:
        value = values[bad]
        problem = f": missing; expected a {what}" if value is None else (
            f" is {_short(value)}; expected a {what} (a number, 0 or more)")
        raise ImportUsageError(f"{where(bad)}: {name}{problem}")
    try:
        out = np.array([np.nan if v is None else v for v in values], dtype=float)
    except OverflowError:  # a Python int past 1e308 cannot become a float: find it
        k, v = next((k, v) for k, v in enumerate(values)
                    if isinstance(v, int) and abs(v) > 1e308)
        digits = len(str(abs(v))) if abs(v) < 10**4000 else "several thousand"
        raise ImportUsageError(f"{where(k)}: {name} is a {digits}-digit number, too "
                               f"large to be a {what} (at most {limit:.0e})") from None
    given = np.array([v is not None for v in values], dtype=bool)
    bad = np.flatnonzero(given & ~np.isfinite(out))  # NaN or Infinity literals in JSON
    if bad.size:
        k = int(bad[0])
        raise ImportUsageError(f"{where(k)}: {name} is {values[k]}; expected a finite {what}")
    check_counts(out, name, where, limit, what)
    return out


def check_counts(values: Any, name: str, where: Callable[[int], str], limit: float,
                 what: str = "token count") -> None:
    """Refuse non-finite, negative and absurd counts, naming the first."""
    bad = np.flatnonzero(np.isinf(values) | (values < 0) | (values > limit))
    if bad.size:
        k = int(bad[0])
        v = values[k]
        if not np.isfinite(v):
            problem = f"expected a finite {what}"
        elif v < 0:
            problem = f"a {what} cannot be negative"
        else:
            problem = f"more than {limit:.0e} on one line is not plausible usage"
        raise ImportUsageError(f"{where(k)}: {name} is {v:g}; {problem}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def text_field(values: list[Any], name: str, where: Callable[[int], str]) -> list[str | None]:
    """Text or null values of a field; anything else is an error naming the first."""
    bad = next((k for k, v in enumerate(values) if v is not None and not isinstance(v, str)),
               None)
    if bad is not None:
        raise ImportUsageError(f"{where(bad)}: {name} is {_short(values[bad])}; expected text "
                               "or null")
    return [v if v is None else v[:200] for v in values]


def bucket_frame(buckets: list[tuple[str, str, Any, Any]]) -> pd.DataFrame:
    """Buckets (source, label, start, end) as a frame with ``part`` set to 0."""
    frame = pd.DataFrame(buckets, columns=["source", "label", "start", "end"])
    for col in ("start", "end"):
        frame[col] = frame[col].astype("datetime64[ns]")
    frame.insert(1, "part", 0)
    return frame


@dataclass(frozen=True)
class PageResults:
    """The buckets and flattened ``results[]`` of one saved report page (JSON)."""

    buckets: pd.DataFrame
    results: list[dict]
    bucket_ids: list[int]
    items: list[int]
    watermark: np.datetime64 | None
    incomplete: list[str]

    def where(self, k: int) -> str:
        """Location of result ``k``: file, bucket, ``results[i]``."""
        b = self.buckets.iloc[self.bucket_ids[k]]
        return f"{b['source']}: {b['label']}: results[{self.items[k]}]"


def page_results(page: Any, source: str, what: str) -> PageResults:
    """Validate a page's ``data[]`` buckets and flatten their results.

    Buckets ending past the page's ``data_refreshed_at`` (when it has one) are incomplete:
    they are left out and listed in ``incomplete``.
    """
    if not isinstance(page, dict) or not isinstance(page.get("data"), list):
        raise ImportUsageError(f"{source}: expected {what}: an object with a data[] list of "
                               "buckets (starting_at, ending_at, results[])")
    watermark = None
    if page.get("data_refreshed_at") is not None:
        watermark = timestamp(page, "data_refreshed_at", source)
    buckets, results, bucket_ids, items, incomplete = [], [], [], [], []
    for i, bucket in enumerate(page["data"]):
        where = f"{source}: data[{i}]"
        if not isinstance(bucket, dict):
            raise ImportUsageError(f"{where}: expected a bucket object with starting_at, "
                                   "ending_at and results[]")
        start = timestamp(bucket, "starting_at", where)
        end = timestamp(bucket, "ending_at", where)
        label = f"data[{i}] (starting_at {str(bucket['starting_at'])[:40]})"
        if end <= start:
            raise ImportUsageError(f"{source}: {label}: ending_at {bucket['ending_at']} is not "
                                   "after starting_at")
        if not isinstance(bucket.get("results"), list):
            raise ImportUsageError(f"{source}: {label}: results: missing; expected a list of "
                                   "results (empty when there was no usage)")
        if watermark is not None and end > watermark:
            incomplete.append(label)
            continue
        bucket_id = len(buckets)
        buckets.append((source, label, start, end))
        bad = next((k for k, r in enumerate(bucket["results"]) if not isinstance(r, dict)),
                   None)
        if bad is not None:
            raise ImportUsageError(f"{source}: {label}: results[{bad}]: expected a result "
                                   "object")
        results += bucket["results"]
        bucket_ids += [bucket_id] * len(bucket["results"])
        items += range(len(bucket["results"]))
    return PageResults(bucket_frame(buckets), results, bucket_ids, items, watermark, incomplete)


def first_result(page: Any) -> dict | None:
    """The first result object of a page, or None (anything malformed is the reader's to
    report): the format is told from it."""
    data = page.get("data") if isinstance(page, dict) else None
    for bucket in data if isinstance(data, list) else []:
        results = bucket.get("results") if isinstance(bucket, dict) else None
        for r in results if isinstance(results, list) else []:
            if isinstance(r, dict):
                return r
    return None


def nested(results: list[dict], path: tuple[str, ...]) -> list[Any]:
    """The value at ``path`` (``("cache_creation", "ephemeral_5m_input_tokens")``) of each
    result; ``None`` where a level is missing."""
    values: list[Any] = [r.get(path[0]) for r in results]
    for key in path[1:]:
        values = [v.get(key) if isinstance(v, dict) else None for v in values]
    return values

"""Which reader a file needs, told from its content; and bounded reads of usage files.

A JSON page of flat rows (``group`` with ``usage`` or ``cost``) is the analytics API's
``/analytics/usage`` or ``/analytics/cost`` (beta); a JSON file whose results carry ``amount``
is a cost report; one with ``data_refreshed_at``,
``organization_id``, ``requests`` or ``product`` is an analytics usage report; any other
page with ``data[]`` is the legacy Admin API report. Anything else that is not JSON is read
as a Console CSV. The file name's suffix is a hint only (an upload may be misnamed).

Usage files are read up to :data:`MAX_USAGE_FILE_BYTES` each, a larger cap than for
scenarios: a year of daily buckets for a few hundred groups is tens of megabytes. Reading
and parsing are linear in the size, so the cap also bounds the time.
"""

from __future__ import annotations

from pathlib import Path, PurePath

from forecast.errors import ImportUsageError
from forecast.usage.admin_report import read_admin_report
from forecast.usage.analytics_report import is_analytics_page, read_analytics_report
from forecast.usage.analytics_rows import read_analytics_rows, row_page_kind
from forecast.usage.console_csv import read_console_csv
from forecast.usage.cost_report import is_cost_page, read_cost_report
from forecast.usage.records import CostRecords, UsageRecords, parse_json

#: Largest usage file read, in bytes (100 MiB).
MAX_USAGE_FILE_BYTES = 100 * 2**20

_EXPECTED = ("expected a usage report page (.json: the usage and cost analytics API's "
             "/analytics/usage and /analytics/cost pages or its usage and cost reports, the "
             "legacy Admin API report, or a cost report) or a Console usage export (.csv)")


def read_usage_file(path: str | Path) -> bytes:
    """The bytes of a usage file, refusing one over :data:`MAX_USAGE_FILE_BYTES`.

    Raises
    ------
    ImportUsageError
        Naming the file: missing, unreadable, a directory, or too large.
    """
    from forecast.errors import UserFileError
    from forecast.files import read_bounded

    try:
        return read_bounded(path, MAX_USAGE_FILE_BYTES, "usage export")
    except UserFileError as exc:
        raise ImportUsageError(str(exc)) from None


def read_usage(name: str, content: bytes | str) -> UsageRecords | CostRecords:
    """Read one file in whichever format it is.

    Parameters
    ----------
    name : str
        The file's name, used in messages (and as a hint of the format).
    content : bytes or str
        Its content (bytes are read as UTF-8, with or without a byte-order mark), at most
        :data:`MAX_USAGE_FILE_BYTES`.

    Raises
    ------
    ImportUsageError
        Naming the file, the bucket or row, and the problem.
    """
    if len(content) > MAX_USAGE_FILE_BYTES:
        raise ImportUsageError(f"{name}: larger than {MAX_USAGE_FILE_BYTES // 2**20} MiB; "
                               "export a shorter period per file")
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportUsageError(f"{name}: not UTF-8 text (byte {exc.start}); "
                                   f"{_EXPECTED}") from None
    text = content.lstrip("\ufeff")
    if not text.strip():
        raise ImportUsageError(f"{name}: the file is empty; {_EXPECTED}")
    suffix = PurePath(name).suffix.lower()
    if suffix == ".csv" or (suffix != ".json" and text.lstrip()[:1] not in ("{", "[")):
        return read_console_csv(text, name)
    page = parse_json(text, name)
    if row_page_kind(page) is not None:
        return read_analytics_rows(page, name)
    if is_cost_page(page):
        return read_cost_report(page, name)
    if is_analytics_page(page):
        return read_analytics_report(page, name)
    return read_admin_report(page, name)

"""The book's refresh: every client mapped over a ``dask.distributed.Client``
(refresh_book), what moved since the previous refresh (describe_change), and the summary
written last (summary.csv, summary.json, index.html).
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.errors import PlannerError
from forecast.files import read_bounded, write_output
from forecast.portfolio.book import Book
from forecast.portfolio.client import (
    CLIENTS_FOLDER,
    COLUMNS,
    RefreshOptions,
    _complete,
    document_json,
    refresh_client,
)

if TYPE_CHECKING:
    from distributed import Client

SUMMARY_JSON, SUMMARY_CSV, INDEX_HTML = "summary.json", "summary.csv", "index.html"
#: The largest previous summary read back.
MAX_SUMMARY_BYTES = 256 * 1024 * 1024


# --------------------------------------------------------------------------- changes
def _amounts(per_year: Sequence[float]) -> str:
    from forecast.formatting import usd

    return "/".join(usd(c) for c in per_year) if per_year else "-"


def describe_change(previous: dict[str, Any] | None, row: dict[str, Any]) -> str:
    """What moved for one client since the previous refresh, in words (``unchanged`` when
    nothing did; ``new client`` when the previous refresh did not have it)."""
    if previous is None:
        return "new client"
    before, now = previous.get("status"), row.get("status")
    if before != now:
        return "now failing" if now == "failed" else "recovered (was failing)"
    if now == "failed":
        return "still failing"
    parts = []
    if previous.get("offer") != row.get("offer"):
        parts.append(f"offer {previous.get('offer')} -> {row.get('offer')}")
    old = [round(float(c)) for c in previous.get("commitment_per_year") or []]
    new = [round(float(c)) for c in row.get("commitment_per_year") or []]
    if old != new:
        parts.append(f"commitment {_amounts(old)} -> {_amounts(new)} a year")
    if previous.get("sign_after_months") != row.get("sign_after_months"):
        parts.append(f"sign after {previous.get('sign_after_months')} -> "
                     f"{row.get('sign_after_months')} months")
    if previous.get("colour") != row.get("colour"):
        parts.append(f"colour {previous.get('colour')} -> {row.get('colour')}")
    if previous.get("tracking_status") != row.get("tracking_status"):
        parts.append(f"tracking {previous.get('tracking_status') or 'none'} -> "
                     f"{row.get('tracking_status') or 'none'}")
    return "; ".join(parts) or "unchanged"


def read_summary(out_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The ``summary.json`` document of the refresh in ``out_dir`` (None when there is none,
    or it cannot be read as one)."""
    path = Path(out_dir) / SUMMARY_JSON
    if not path.is_file():
        return None
    try:
        document = json.loads(read_bounded(path, MAX_SUMMARY_BYTES, "summary"))
    except (PlannerError, ValueError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("clients"), list) \
            or not all(isinstance(r, dict) and isinstance(r.get("client"), str)
                       for r in document["clients"]):
        return None
    return document


def read_previous(out_dir: str | os.PathLike[str]) -> dict[str, dict[str, Any]] | None:
    """The previous refresh's rows by client, from ``OUTDIR/summary.json`` (None when there
    is none, or it cannot be read: a refresh never fails on its predecessor)."""
    document = read_summary(out_dir)
    return None if document is None else {r["client"]: r for r in document["clients"]}


# --------------------------------------------------------------------------- the book
@dataclass(frozen=True)
class BookRefresh:
    """A refreshed book: one row per client in the book's order.

    Attributes
    ----------
    rows : tuple of dict
        Each client's row (:data:`COLUMNS`).
    had_previous : bool
        OUTDIR held a previous refresh (``change`` compares with it).
    """

    book: str
    rows: tuple[dict[str, Any], ...]
    had_previous: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> list[str]:
        """The clients that failed, in the book's order."""
        return [r["client"] for r in self.rows if r["status"] == "failed"]

    def summary(self) -> Any:
        """One row per client (a pandas DataFrame, :data:`COLUMNS`)."""
        import pandas as pd

        return pd.DataFrame([{c: r[c] for c in COLUMNS} for r in self.rows],
                            columns=list(COLUMNS))

    def to_dict(self) -> dict[str, Any]:
        """The ``summary.json`` document."""
        return {"book": self.book, "clients_total": len(self.rows),
                "clients_failed": len(self.failed), "previous_refresh": self.had_previous,
                "options": self.options, "columns": list(COLUMNS),
                "clients": list(self.rows)}


Progress = Callable[[str], None]


def sweep_partial_files(out_dir: str | os.PathLike[str]) -> int:
    """Remove the temporary files a killed refresh left under ``OUTDIR/clients`` (a write
    in flight when its process was killed: ``.<name>.<hex>.tmp``; a FOCUS folder being
    staged: ``.focus.<hex>.tmp``). Returns how many were removed."""
    import shutil

    root = Path(out_dir) / CLIENTS_FOLDER
    if not root.is_dir():
        return 0
    removed = 0
    pattern = re.compile(r"^\..+\.[0-9a-f]{8}\.(tmp|old)$")
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*filenames, *dirnames]:
            if pattern.match(name):
                path = Path(dirpath) / name
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed += 1
    return removed


def refresh_book(book: Book, options: RefreshOptions, client: Client,
                 progress: Progress | None = None) -> BookRefresh:
    """Refresh every client of ``book`` on the Dask cluster behind ``client``.

    Parameters
    ----------
    client : distributed.Client
        Connected to the cluster; its workers see ``options.out_dir`` and the book's files
        at the same paths.
    progress : callable, optional
        Called with each client's name as its refresh completes (in completion order).

    Returns
    -------
    BookRefresh
        Rows in the book's order; a client whose task was lost (its worker died more
        times than the scheduler allows) is a failed row saying so.
    """
    from distributed import as_completed

    Path(options.out_dir).mkdir(exist_ok=True)
    previous = read_previous(options.out_dir)
    sweep_partial_files(options.out_dir)
    token = hashlib.sha256(os.urandom(8)).hexdigest()[:8]
    keys = [f"refresh-{c.folder}-{token}" for c in book.clients]
    futures = client.map(refresh_client, book.clients, options=options, key=keys, pure=False)
    index = {f.key: i for i, f in enumerate(futures)}
    rows: list[dict[str, Any] | None] = [None] * len(book.clients)
    for future in as_completed(futures):
        i = index[future.key]
        entry = book.clients[i]
        if future.status == "finished":
            rows[i] = future.result()
        else:
            try:
                exc = future.exception()
            except Exception as cancelled:  # a cancelled future has no exception to give
                exc = cancelled
            rows[i] = _complete({"client": entry.name, "status": "failed",
                                 "scenario": entry.scenario,
                                 "error": f"the task was lost ({type(exc).__name__}: {exc})"})
        future.release()
        if progress is not None:
            progress(entry.name)
    done = [r for r in rows if r is not None]
    for r in done:
        r["change"] = None if previous is None else describe_change(previous.get(r["client"]),
                                                                    r)
    shown = {"paths": options.paths, "seed": options.seed,
             "pdf": [str(a) for a in options.pdf], "focus": options.focus}
    return BookRefresh(book.source, tuple(done), previous is not None, shown)


# --------------------------------------------------------------------------- the summary
def _cell(column: str, value: Any) -> str:
    """A summary.csv cell: money to the cent, probabilities to 6 places, lists joined."""
    if value is None:
        return ""
    if column == "commitment_per_year":
        return "/".join(f"{float(c):.2f}" for c in value)
    if column == "reasons":
        return "; ".join(f"{r['risk']} {r['level']}" if isinstance(r, dict) else str(r)
                         for r in value)
    if column == "files":
        return " ".join(value)
    if column in ("expected_cost", "saving_vs_payg", "extra_cost_p90"):
        return f"{float(value):.2f}"
    if column.endswith("probability"):
        return f"{float(value):.6f}"
    return str(value)


def summary_csv(refresh: BookRefresh) -> str:
    """summary.csv: the header (:data:`COLUMNS`) and one row per client."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in refresh.rows:
        writer.writerow([_cell(c, r.get(c)) for c in COLUMNS])
    return buffer.getvalue()


def index_html(refresh: BookRefresh) -> str:
    """index.html: one table row per client, its decision, colour, tracking, change and
    links to its files; every name escaped."""
    from forecast.formatting import pct, usd

    def e(text: Any) -> str:
        return html.escape("" if text is None else str(text))

    head = ("<tr><th>client</th><th>decision</th><th>expected cost</th>"
            "<th>saving vs pay as you go</th><th>shortfall</th><th>extra cost P90</th>"
            "<th>colour</th><th>tracking</th><th>change</th><th>files</th></tr>")
    lines = []
    for r in refresh.rows:
        files = " ".join(f'<a href="{e(f)}">{e(Path(f).name)}</a>' for f in r["files"])
        if r["status"] == "failed":
            lines.append(f"<tr class='failed'><td>{e(r['client'])}</td>"
                         f"<td colspan='7'>failed: {e(r['error'])}</td>"
                         f"<td>{e(r['change'])}</td><td></td></tr>")
            continue
        months = r["sign_after_months"]
        when = "sign now" if not months else f"sign after {months} months"
        decision = f"{e(r['offer'])}: {e(_amounts(r['commitment_per_year']))} a year, {when}"
        p90 = "" if r["extra_cost_p90"] is None else usd(r["extra_cost_p90"])
        tracking = "" if r["tracking_status"] is None else \
            f"{r['tracking_status']} (as of {r['tracking_as_of']})"
        lines.append(
            f"<tr class='{e(r['colour'])}'><td>{e(r['client'])}</td><td>{decision}</td>"
            f"<td>{usd(r['expected_cost'])}</td><td>{usd(r['saving_vs_payg'])}</td>"
            f"<td>{pct(r['shortfall_probability'])}</td><td>{p90}</td>"
            f"<td>{e(r['colour'])}</td><td>{e(tracking)}</td><td>{e(r['change'])}</td>"
            f"<td>{files}</td></tr>")
    failed = len(refresh.failed)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<title>Book refresh</title><style>body{font-family:sans-serif}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;"
        "text-align:left}.red td{background:#fde2e2}.amber td{background:#fff3d6}"
        ".failed td{background:#eee}</style></head><body>\n"
        f"<h1>Book refresh: {len(refresh.rows)} clients, {failed} failed</h1>\n"
        f"<p>Book: {e(refresh.book)}. Money over each contract's term, USD.</p>\n"
        f"<table>\n{head}\n" + "\n".join(lines) + "\n</table>\n</body></html>\n")


def write_summary(refresh: BookRefresh, out_dir: str | os.PathLike[str],
                  inputs: Sequence[str] = ()) -> list[Path]:
    """Write index.html, summary.csv and summary.json, each whole or not at all, the JSON
    last (the next refresh compares with it)."""
    out = Path(out_dir)
    return [write_output(out / INDEX_HTML, index_html(refresh), inputs),
            write_output(out / SUMMARY_CSV, summary_csv(refresh), inputs),
            write_output(out / SUMMARY_JSON, document_json(refresh.to_dict()), inputs)]

"""``commitplan portfolio``: refresh an advisor's whole book of clients on Dask.

Thin: :mod:`forecast.portfolio` does the work; this module reads the flags, starts a
``LocalCluster`` or connects to a scheduler, draws the progress bar (tqdm, on standard
error) and writes the summary. Exit status 0 when every client succeeded, 3 when some failed
(named on standard error), 2 on bad input (the book, OUTDIR or a flag).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forecast import limits
from forecast.errors import PlannerError, UserFileError

#: Every client refreshed; bad input (the book, OUTDIR or a flag), as every command.
EXIT_OK, EXIT_BAD_INPUT = 0, 2
#: Some clients failed (each a row with its error); the others were refreshed.
EXIT_SOME_FAILED = 3
#: The most workers ``--workers`` starts on one machine.
MAX_LOCAL_WORKERS = 256
#: Seconds to wait for ``--scheduler`` to answer.
CONNECT_TIMEOUT = 10


def _pdf_copies(text: str) -> tuple[str, ...]:
    """argparse type for ``--pdf``: ``internal``, ``vendor`` or both, comma-separated."""
    from forecast.types import Audience

    allowed = [str(a) for a in Audience]
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in parts):
        raise argparse.ArgumentTypeError(f"{text!r}: give internal, vendor or internal,vendor")
    bad = [p for p in parts if p not in allowed]
    if bad:
        shown = bad[0] if len(bad[0]) <= 24 else bad[0][:23] + "…"
        raise argparse.ArgumentTypeError(f"{shown!r} is not a copy; give internal, vendor or "
                                         "internal,vendor")
    return tuple(dict.fromkeys(parts))


def _scheduler_address(text: str) -> str:
    """argparse type for ``--scheduler``: ``tcp://host:port`` (or ``host:port``)."""
    import re

    value = text.strip()
    if not re.fullmatch(r"([a-z]+://)?[A-Za-z0-9_.\-\[\]:]+:\d{1,5}", value):
        shown = value if len(value) <= 40 else value[:39] + "…"
        raise argparse.ArgumentTypeError(f"{shown!r} is not a scheduler address; give "
                                         "tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786")
    return value


def _check_out_dir(out_dir: str, book: Any) -> None:
    """OUTDIR: a folder (created when missing, inside an existing one), writable, and not
    the book's own folder (its summary would be read as a client next time)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UserFileError(out_dir, "is a file; give a folder to write the book's refresh "
                                     "into (it is created when missing)")
    parent = out.resolve().parent
    if not out.exists() and not parent.is_dir():
        raise UserFileError(out_dir, f"cannot write: {parent} is not an existing folder; "
                                     "create it or write elsewhere")
    probe = out if out.exists() else parent
    if not os.access(probe, os.W_OK):
        raise UserFileError(out_dir, "cannot write: the folder is read-only; make it "
                                     "writable or write elsewhere")
    source = Path(book.source)
    if source.is_dir() and out.resolve() in (source, source / "usage"):
        raise UserFileError(out_dir, "is the book's own folder; write the refresh into "
                                     "another folder (e.g. BOOK/refresh or beside BOOK)")


def _connect(args: argparse.Namespace) -> tuple[Any, Any]:
    """A Dask client: to ``--scheduler``, or to a new LocalCluster of ``--workers``."""
    import logging

    from distributed import Client, LocalCluster

    if args.scheduler:
        try:
            return Client(args.scheduler, timeout=CONNECT_TIMEOUT), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise PlannerError(f"--scheduler: cannot reach {args.scheduler} "
                               f"({type(exc).__name__}: {exc}); check the address and that "
                               "the scheduler is running") from None
    workers = args.workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.ERROR)
    return Client(cluster), cluster


def cmd_portfolio(args: argparse.Namespace) -> int:
    """``commitplan portfolio BOOK -o OUTDIR``."""
    from tqdm import tqdm

    from forecast.portfolio import RefreshOptions, read_book, refresh_book, write_summary
    from forecast.types import Audience

    book = read_book(args.book)
    _check_out_dir(args.output, book)
    options = RefreshOptions(out_dir=str(Path(args.output).resolve()), paths=args.paths,
                             seed=args.seed, pdf=tuple(Audience(p) for p in args.pdf or ()),
                             focus=args.focus)
    client, cluster = _connect(args)
    try:
        with tqdm(total=len(book.clients), desc="clients", unit="client", file=sys.stderr,
                  disable=None, dynamic_ncols=True) as bar:
            refresh = refresh_book(book, options, client, progress=lambda _name: bar.update())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    write_summary(refresh, args.output, book.inputs)
    n, failed = len(refresh.rows), refresh.failed
    print(f"refreshed {n} client{'s' * (n != 1)} into {args.output}: {n - len(failed)} ok, "
          f"{len(failed)} failed", file=sys.stderr)
    for row in refresh.rows:
        if row["status"] == "failed":
            first = str(row["error"]).splitlines()[0]
            print(f"failed: {row['client']}: {first}", file=sys.stderr)
    return EXIT_SOME_FAILED if failed else EXIT_OK


def register_portfolio(sub: Any, whole_number: Callable[[int, int | None], Any],
                       max_paths: int) -> None:
    """Add ``portfolio`` to the command line's sub-commands.

    Parameters
    ----------
    whole_number : callable
        The command line's argparse type for a whole number within bounds
        (``forecast.cli._whole_number``), handed in by forecast.cli, which imports this
        module: so that this one never imports it back.
    max_paths : int
        The cap on ``--paths`` every command shares.
    """
    p = sub.add_parser(
        "portfolio", help="refresh a whole book of clients on Dask: every plan, tracking, "
                          "PDF and export, one summary",
        description="Refresh every client of a book (a folder of scenarios with usage/<client>/ "
                    "beside them, or a YAML file listing clients) in parallel on Dask: each "
                    "client's plan and decision, its tracking when usage is given, the PDFs "
                    "and FOCUS files when asked; then summary.csv, summary.json and "
                    "index.html, which say whose decision moved since the previous refresh "
                    "and whose contract is off track. Exit 0: every client refreshed; 3: some "
                    "failed (each a row with its error); 2: bad input.")
    p.add_argument("book", metavar="BOOK", help="a folder of scenarios, or a book file (YAML)")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR",
                   help="folder to write into (created when missing; a previous refresh in "
                        "it is compared with)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=whole_number(1, MAX_LOCAL_WORKERS), metavar="N",
                       help="start a LocalCluster of N worker processes (default: the cores)")
    where.add_argument("--scheduler", type=_scheduler_address, metavar="ADDRESS",
                       help="use an existing Dask cluster (tcp://HOST:PORT); its workers "
                            "need this package and must see BOOK and OUTDIR at the same paths")
    p.add_argument("--pdf", type=_pdf_copies, metavar="COPIES",
                   help="write each client's PDF: internal, vendor or internal,vendor")
    p.add_argument("--focus", action="store_true",
                   help="write each client's FOCUS 1.3 files (contract and projection)")
    p.add_argument("--paths", type=whole_number(1, max_paths),
                   help="Monte Carlo paths per client (default: each scenario's)")
    p.add_argument("--seed", type=whole_number(0, limits.MAX_SEED), metavar="S",
                   help="derive each client's seed from S and its name (default: each "
                        "scenario's simulation.seed)")
    p.set_defaults(func=cmd_portfolio)


__all__ = ["EXIT_BAD_INPUT", "EXIT_SOME_FAILED", "cmd_portfolio", "register_portfolio"]

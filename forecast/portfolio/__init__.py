"""An advisor's book of clients, refreshed on Dask (docs/portfolio.md).

A book is a list of clients, each a scenario with optional usage to date. Refreshing it is
embarrassingly parallel: :func:`refresh_client` is one deterministic function per client
(the plan and its decision; the tracking when usage is given; the PDFs and the FOCUS files
when asked), and :func:`refresh_book` maps it over a ``dask.distributed.Client`` (a
``LocalCluster`` on one machine, the firm's cluster beyond it). A client's figures depend on
its own files and seed only, never on the worker count, the order or the other clients.

A failing client is a row with its error, never a failed run. Each task checks its memory
with the planner's own estimate (:func:`forecast.simulation.estimate_memory`) before it
simulates. Every file is written whole or not at all (:func:`forecast.files.write_output`);
the summary is written last, so an interrupted refresh leaves the previous summary in place.

Outputs under ``OUTDIR``::

    clients/<folder>/plan.json        the client's ``commitplan plan --json`` (no tornado)
    clients/<folder>/tracking.json    ``commitplan track --json``, when usage is given
    clients/<folder>/internal.pdf     ``--pdf internal`` (with the tracking page)
    clients/<folder>/vendor.pdf       ``--pdf vendor``
    clients/<folder>/focus/           ``--focus``: the FOCUS 1.3 pair
    index.html, summary.csv, summary.json   (summary.json last)
"""

from forecast.portfolio.book import (
    MAX_CLIENTS,
    SCENARIO_SUFFIXES,
    USAGE_FOLDER,
    Book,
    ClientEntry,
    client_folder,
    client_seed,
    read_book,
)
from forecast.portfolio.client import (
    CLIENTS_FOLDER,
    COLUMNS,
    OFF_TRACK_WARNINGS,
    RefreshOptions,
    check_client_memory,
    decision_summary,
    document_json,
    refresh_client,
    tracking_summary,
)
from forecast.portfolio.refresh import (
    INDEX_HTML,
    SUMMARY_CSV,
    SUMMARY_JSON,
    BookRefresh,
    describe_change,
    index_html,
    read_previous,
    read_summary,
    refresh_book,
    summary_csv,
    sweep_partial_files,
    write_summary,
)

__all__ = [
    "CLIENTS_FOLDER", "COLUMNS", "INDEX_HTML", "MAX_CLIENTS", "OFF_TRACK_WARNINGS",
    "SCENARIO_SUFFIXES", "SUMMARY_CSV", "SUMMARY_JSON", "USAGE_FOLDER", "Book", "BookRefresh",
    "ClientEntry", "RefreshOptions", "check_client_memory", "client_folder", "client_seed",
    "decision_summary", "describe_change", "document_json", "index_html", "read_book",
    "read_previous", "read_summary", "refresh_book", "refresh_client", "summary_csv",
    "sweep_partial_files", "tracking_summary", "write_summary",
]

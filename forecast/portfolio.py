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
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from forecast import limits
from forecast.errors import PlannerError, ScenarioError, UserFileError
from forecast.files import MAX_SCENARIO_BYTES, read_bounded, write_output
from forecast.scenario import Name
from forecast.types import Audience

if TYPE_CHECKING:
    from distributed import Client

    from forecast.plan import Plan
    from forecast.tracking import Tracking

#: What a book's scenario files end with (a folder book: every such file at its top level).
SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")
#: A folder book's usage to date: ``usage/<client>/`` beside the scenarios.
USAGE_FOLDER = "usage"
#: Under OUTDIR: one folder per client.
CLIENTS_FOLDER = "clients"
SUMMARY_JSON, SUMMARY_CSV, INDEX_HTML = "summary.json", "summary.csv", "index.html"
#: The most clients a book may list (a typo guard: a firm's book is thousands).
MAX_CLIENTS = 100_000
#: The longest client name (it names a folder and a row).
MAX_NAME = 120
#: The largest book file and the largest previous summary read back.
MAX_BOOK_BYTES = MAX_SCENARIO_BYTES
MAX_SUMMARY_BYTES = 256 * 1024 * 1024
#: Early-warning kinds of :mod:`forecast.tracking` that put a contract off track (the others
#: are notes on the data: usage matched to no workload, a lever the files cannot show).
OFF_TRACK_WARNINGS = frozenset({"shortfall", "closed_short", "overage", "below_plan",
                                "behind_plan", "reverted"})
#: The summary's columns, in order (summary.csv's header; summary.json's row keys).
COLUMNS = ("client", "status", "offer", "commitment_per_year", "sign_after_months",
           "expected_cost", "saving_vs_payg", "shortfall_probability", "extra_cost_p90",
           "colour", "reasons", "tracking_status", "tracking_as_of",
           "tracking_shortfall_probability", "change", "error", "seed", "paths", "files",
           "scenario")


# --------------------------------------------------------------------------- the book
@dataclass(frozen=True)
class ClientEntry:
    """One client of a book.

    Attributes
    ----------
    name : str
        The client's name (a row of the summary).
    scenario : str
        The scenario file (absolute).
    usage : tuple of str
        Usage files to date (absolute); empty: no tracking.
    as_of : str or None
        The last month of actuals for the tracking (``YYYY-MM``); default: the last full one.
    folder : str
        The client's folder under ``OUTDIR/clients`` (from the name, unique in the book).
    """

    name: str
    scenario: str
    usage: tuple[str, ...] = ()
    as_of: str | None = None
    folder: str = ""


@dataclass(frozen=True)
class Book:
    """A book of clients, in the order the summary lists them."""

    source: str
    clients: tuple[ClientEntry, ...]

    @property
    def inputs(self) -> list[str]:
        """Every file the refresh reads (no output may overwrite one)."""
        return [self.source] + [p for c in self.clients for p in (c.scenario, *c.usage)]


def client_folder(name: str) -> str:
    """A client's folder name: its name in lower-case letters, digits and dashes
    (``Acme Corp.`` -> ``acme-corp``); a name with none of them gets ``client-`` and the
    first 8 hex digits of its SHA-256."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].strip("-")
    return slug or "client-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]


def client_seed(seed: int, name: str) -> int:
    """The seed of one client under ``--seed``: the first 8 bytes of
    SHA-256(``"<seed>:<name>"``), as a whole number at most :data:`limits.MAX_SEED`. It
    depends on the seed and the name only (not the order, the workers or the others)."""
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & limits.MAX_SEED


def _as_of(value: str | None) -> str | None:
    if value is None:
        return None
    from forecast.tracking import parse_month

    try:
        return parse_month(value, "as_of")
    except PlannerError as exc:
        raise ValueError(str(exc).removeprefix("as_of: ")) from None


class _BookClient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[Name, Field(max_length=MAX_NAME)]
    scenario: Annotated[str, Field(min_length=1, max_length=4096)]
    usage: Annotated[list[Annotated[str, Field(min_length=1, max_length=4096)]],
                     Field(max_length=10_000)] = []
    as_of: Annotated[str | None, AfterValidator(_as_of)] = None


class _BookFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clients: Annotated[list[_BookClient], Field(min_length=1, max_length=MAX_CLIENTS)]


def _usage_files(paths: Sequence[Path]) -> tuple[str, ...]:
    """Usage files: each path as given, or every visible regular file of a folder (sorted)."""
    out: list[str] = []
    for p in paths:
        if p.is_dir():
            out += sorted(str(f) for f in p.iterdir()
                          if f.is_file() and not f.name.startswith("."))
        else:
            out.append(str(p))
    return tuple(out)


def _book_problems(exc: ValidationError) -> list[str]:
    from forecast.scenario import validation_problems

    return validation_problems(exc)


def read_book(path: str | os.PathLike[str]) -> Book:
    """Read a book: a folder of scenarios, or a YAML (or JSON) file listing clients.

    A folder: every ``.yaml``, ``.yml`` and ``.json`` file at its top level is a client
    named after the file (``acme.yaml`` is ``acme``), its usage to date every file in
    ``usage/<name>/`` when that folder exists. A file::

        clients:
          - name: Acme
            scenario: acme.yaml            # relative to the book file
            usage: [usage/acme/]           # files or folders (optional)
            as_of: 2027-06                 # optional

    Raises
    ------
    PlannerError
        A book that cannot be read, lists no client, repeats a client or names a field it
        does not know; the message names the field (``clients[2].name``). A client's own
        files are not read here: a missing scenario is that client's error row.
    """
    root = Path(path)
    shown = os.fspath(path)
    if root.is_dir():
        files = sorted(f for f in root.iterdir()
                       if f.is_file() and f.suffix.lower() in SCENARIO_SUFFIXES
                       and not f.name.startswith("."))
        if not files:
            raise UserFileError(shown, "holds no scenario (.yaml, .yml or .json) at its top "
                                       "level; give a folder of scenarios or a book file")
        if len(files) > MAX_CLIENTS:
            raise UserFileError(shown, f"holds {len(files):,} scenarios, more than "
                                       f"{MAX_CLIENTS:,}; split the book")
        clients = []
        for f in files:
            usage_dir = root / USAGE_FOLDER / f.stem
            clients.append(ClientEntry(f.stem, str(f.resolve()),
                                       _usage_files([usage_dir]) if usage_dir.is_dir() else ()))
        return Book(str(root.resolve()), _unique(clients, shown))
    raw = read_bounded(root, MAX_BOOK_BYTES, "book")
    data = _parse_book(raw, shown)
    try:
        parsed = _BookFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_book_problems(exc), shown) from None
    except (ValueError, PlannerError) as exc:
        raise ScenarioError([str(exc)], shown) from None
    base = root.resolve().parent
    clients = []
    for c in parsed.clients:
        scenario = (base / c.scenario).resolve()
        clients.append(ClientEntry(c.name, str(scenario),
                                   _usage_files([base / u for u in c.usage]),
                                   None if c.as_of is None else c.as_of.strip()))
    return Book(str(root.resolve()), _unique(clients, shown))


def _parse_book(raw: bytes, shown: str) -> Any:
    import yaml

    from forecast.scenario import _FileProblem, _parse_text, _too_many_values

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError([f"is not UTF-8 text (byte {exc.start + 1}); save it as UTF-8"],
                            shown) from None
    if not text.strip():
        raise ScenarioError(["the book is empty; list its clients under `clients:`"], shown)
    try:
        data = _parse_text(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ScenarioError([f"{where}not valid YAML/JSON "
                             f"({getattr(exc, 'problem', None) or exc})"], shown) from None
    except _FileProblem as exc:
        raise ScenarioError([str(exc)], shown) from None
    except (ValueError, OverflowError, RecursionError) as exc:
        raise ScenarioError([f"not valid YAML/JSON ({type(exc).__name__})"], shown) from None
    if _too_many_values(data, limits.MAX_VALUES):
        raise ScenarioError([f"holds more than {limits.MAX_VALUES:,} values"], shown)
    if not isinstance(data, dict) or "clients" not in data:
        raise ScenarioError(["clients: missing; a book file lists its clients under "
                             "`clients:`, each with a name and a scenario"], shown)
    return data


def _unique(clients: list[ClientEntry], shown: str) -> tuple[ClientEntry, ...]:
    """Each client with its folder; two clients of one name or one folder are refused."""
    seen: dict[str, str] = {}
    out = []
    for i, c in enumerate(clients):
        folder = client_folder(c.name)
        if folder in seen:
            raise ScenarioError([f"clients[{i}].name: {c.name!r} shares its folder "
                                 f"{folder!r} with {seen[folder]!r}; give every client a "
                                 "distinct name"], shown)
        seen[folder] = c.name
        out.append(ClientEntry(c.name, c.scenario, c.usage, c.as_of, folder))
    return tuple(out)


# --------------------------------------------------------------------------- one client
@dataclass(frozen=True)
class RefreshOptions:
    """What every client's refresh does (the command line's flags).

    Attributes
    ----------
    out_dir : str
        OUTDIR, a folder every worker sees at this path.
    paths : int or None
        Monte Carlo paths per client (default: each scenario's ``simulation.paths``).
    seed : int or None
        With it, each client's seed is :func:`client_seed` of it and the client's name;
        without it, the scenario's ``simulation.seed``.
    pdf : tuple of Audience
        The PDF copies to write.
    focus : bool
        Write the FOCUS 1.3 files.
    """

    out_dir: str
    paths: int | None = None
    seed: int | None = None
    pdf: tuple[Audience, ...] = ()
    focus: bool = False


def decision_summary(plan: Plan) -> dict[str, Any]:
    """The one place a client's decision is read from its plan, for the summary row.

    The plan's own ``decision`` when it has one; otherwise today's recommendation: the
    recommended commitment under the scenario's contract, signed now, with the extra cost
    over pay as you go at P90 computed path by path on the plan's paths.

    Returns
    -------
    dict
        ``offer``, ``commitment_per_year`` (list, one amount per contract year),
        ``sign_after_months``, ``expected_cost``, ``saving_vs_payg``,
        ``shortfall_probability``, ``extra_cost_p90`` (None when unknown), ``colour``,
        ``reasons`` (list of ``{risk, level, value}``).
    """
    decision = getattr(plan, "decision", None)
    if decision is not None:
        return _from_decision(decision)
    from forecast.contract import evaluate
    from forecast.negotiation import SCENARIO_OFFER

    r = plan.recommendation.recommended
    usage = plan.usage
    # Extra cost on each path: the commitment's cost minus pay as you go on the same path
    # (docs/model.md, "Risk in dollars"); shape (n_paths,).
    outcome = evaluate(plan.scenario.contract, usage.optimized, r.per_year, usage.price_level)
    extra = outcome.cost.sum(axis=-1) - usage.optimized.sum(axis=-1)
    return {
        "offer": SCENARIO_OFFER,
        "commitment_per_year": [float(c) for c in r.per_year],
        "sign_after_months": 0,
        "expected_cost": r.expected_cost,
        "saving_vs_payg": r.saving_vs_payg,
        "shortfall_probability": r.shortfall_probability,
        "extra_cost_p90": float(np.quantile(extra, 0.9)),
        "colour": str(r.colour),
        "reasons": [x.to_dict() for x in r.reasons],
    }


def _first(obj: Any, *names: str) -> Any:
    for n in names:
        value = getattr(obj, n, None)
        if value is not None:
            return value
    return None


def _from_decision(decision: Any) -> dict[str, Any]:
    """The summary fields from a plan's ``decision`` (the branch that adds it names its
    fields; this reads the likely names and its commitment result for the rest)."""
    result = _first(decision, "result", "commitment_result")
    src = result if result is not None else decision
    offer = _first(decision, "offer", "offer_name")
    offer = getattr(offer, "name", offer)
    per_year = _first(decision, "per_year", "commitment_per_year", "commitment")
    if per_year is None and result is not None:
        per_year = result.per_year
    per_year = [] if per_year is None else [float(c) for c in np.atleast_1d(per_year)]
    colour = _first(decision, "colour") or _first(src, "colour")
    reasons = _first(decision, "reasons") or _first(src, "reasons") or ()
    extra = _first(decision, "extra_cost_p90") or _first(src, "extra_cost_p90")
    return {
        "offer": None if offer is None else str(offer),
        "commitment_per_year": per_year,
        "sign_after_months": int(_first(decision, "sign_after_months") or 0),
        "expected_cost": _float(_first(decision, "expected_cost") or _first(src,
                                                                           "expected_cost")),
        "saving_vs_payg": _float(_first(decision, "saving_vs_payg")
                                 or _first(src, "saving_vs_payg")),
        "shortfall_probability": _float(_first(decision, "shortfall_probability")
                                        or _first(src, "shortfall_probability")),
        "extra_cost_p90": _float(extra),
        "colour": None if colour is None else str(colour),
        "reasons": [x.to_dict() if hasattr(x, "to_dict") else str(x) for x in reasons],
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def tracking_summary(tracking: Tracking) -> dict[str, Any]:
    """A client's tracking for the summary row: ``on track`` or ``off track`` (an early
    warning about money or levers: :data:`OFF_TRACK_WARNINGS`), the as-of month, and the
    shortfall probability of the year under way."""
    off = sorted({str(w.kind) for w in tracking.warnings} & OFF_TRACK_WARNINGS)
    year = next(y for y in tracking.years if y.year == tracking.current_year)
    return {"tracking_status": "off track" if off else "on track",
            "tracking_as_of": tracking.as_of,
            "tracking_shortfall_probability": year.shortfall_probability,
            "tracking_warnings": off}


def document_json(document: Any) -> str:
    """A JSON document as the command line prints it (``plan --json``, ``track --json``)."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _worker_memory_limit() -> int | None:
    """The memory limit of the Dask worker running this task, in bytes (None outside one,
    or unlimited)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None
    limit = getattr(getattr(worker, "memory_manager", None), "memory_limit", None)
    return int(limit) if limit else None


def check_client_memory(scenario: Any, n_paths: int) -> None:
    """The memory check before a client's plan: the planner's budget
    (:func:`forecast.simulation.check_memory`), and the worker's own memory limit."""
    from forecast.simulation import check_memory, estimate_memory

    check_memory(scenario, n_paths)
    limit = _worker_memory_limit()
    need = estimate_memory(scenario, n_paths)
    if limit is not None and need > limit:
        raise PlannerError(
            f"this plan needs about {need / 2**20:,.0f} MiB ({n_paths:,} paths x "
            f"{scenario.horizon_months} months x {len(scenario.workloads):,} workloads), more "
            f"than the worker's memory limit of {limit / 2**20:,.0f} MiB: use --paths, or "
            "workers with more memory")


def refresh_client(entry: ClientEntry, options: RefreshOptions) -> dict[str, Any]:
    """Refresh one client: plan, decision, tracking, files. Never raises for the client's
    own problems: they become the row's ``error``.

    Returns
    -------
    dict
        The client's summary row (:data:`COLUMNS`, less ``change``), plain JSON values.
    """
    row: dict[str, Any] = {"client": entry.name, "status": "ok", "scenario": entry.scenario}
    failed = {"client": entry.name, "status": "failed", "scenario": entry.scenario}
    try:
        row |= _refresh(entry, options)
    except PlannerError as exc:
        row = failed | {"error": str(exc)}
    except MemoryError:
        row = failed | {"error": "out of memory: lower --paths or give the workers more memory"}
    except Exception as exc:  # a bug or the system, on this client only: the others go on
        row = failed | {"error": f"internal error: {type(exc).__name__}: {exc}"}
    return _complete(row)


def _complete(row: dict[str, Any]) -> dict[str, Any]:
    """Every column present (None where it does not apply), in :data:`COLUMNS` order."""
    out = {c: row.get(c) for c in COLUMNS}
    out["reasons"] = out["reasons"] or []
    out["files"] = out["files"] or []
    out["commitment_per_year"] = out["commitment_per_year"] or []
    if "tracking_warnings" in row:
        out["tracking_warnings"] = row["tracking_warnings"]
    return out


def _refresh(entry: ClientEntry, options: RefreshOptions) -> dict[str, Any]:
    from forecast.plan import build_plan
    from forecast.pricebook import bundled_price_book_ids, load_price_book
    from forecast.scenario import load_scenario

    scenario_path = Path(entry.scenario)
    scenario = load_scenario(scenario_path)
    book = load_price_book(scenario.price_book, scenario_path.parent)
    inputs = [entry.scenario, *entry.usage]
    if scenario.price_book not in bundled_price_book_ids():
        ref = Path(scenario.price_book)
        inputs.append(str(ref if ref.is_absolute() else scenario_path.parent / ref))
    seed = scenario.simulation.seed if options.seed is None \
        else client_seed(options.seed, entry.name)
    n_paths = scenario.simulation.paths if options.paths is None else options.paths
    check_client_memory(scenario, n_paths)

    tracking = None
    if entry.usage:  # before the plan: bad usage fails fast
        from forecast.tracking import read_usage_to_date, require_signed_contract, track
        from forecast.usage import read_usage_file

        require_signed_contract(scenario)
        sources = [(p, read_usage_file(p)) for p in entry.usage]
        history = read_usage_to_date(sources, scenario, scenario_path.parent)
        tracking = track(scenario, book, history, entry.as_of, n_paths, seed)
    plan = build_plan(scenario, book, paths=n_paths, seed=seed, sensitivity=False)

    out = Path(options.out_dir)
    folder = out / CLIENTS_FOLDER / entry.folder
    folder.mkdir(parents=True, exist_ok=True)
    written = [write_output(folder / "plan.json", document_json(plan.to_dict()), inputs)]
    if tracking is not None:
        written.append(write_output(folder / "tracking.json",
                                    document_json(tracking.to_dict()), inputs))
    for audience in options.pdf:
        from forecast.report import render_pdf

        pdf = render_pdf(plan, audience=audience,
                         tracking=tracking if audience == Audience.INTERNAL else None)
        written.append(write_output(folder / f"{audience}.pdf", pdf, inputs, "the report"))
    if options.focus:
        from forecast.focus import focus_export, write_focus

        written += write_focus(focus_export(scenario, book, n_paths, seed), folder / "focus",
                               inputs)
    row = decision_summary(plan)
    if tracking is not None:
        row |= tracking_summary(tracking)
    row["seed"] = int(seed)
    row["paths"] = int(n_paths)
    row["files"] = sorted(Path(p).relative_to(out).as_posix() for p in written)
    return row


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
            exc = future.exception()
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

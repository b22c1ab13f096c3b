"""A book of clients: a folder of scenarios, or a YAML file listing them (read_book).

Only the book is read here; a client's own files (scenario, usage) are read by its task
(:mod:`forecast.portfolio.client`), so that a missing one is that client's error row.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from forecast import limits
from forecast.errors import PlannerError, ScenarioError, UserFileError
from forecast.files import MAX_SCENARIO_BYTES, read_bounded
from forecast.scenario import Name

#: What a book's scenario files end with (a folder book: every such file at its top level).
SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")
#: A folder book's usage to date: ``usage/<client>/`` beside the scenarios.
USAGE_FOLDER = "usage"
#: The most clients a book may list (a typo guard: a firm's book is thousands).
MAX_CLIENTS = 100_000
#: The longest client name (it names a folder and a row).
MAX_NAME = 120
#: The largest book file.
MAX_BOOK_BYTES = MAX_SCENARIO_BYTES


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
    from forecast.scenario_messages import validation_problems

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

    from forecast.scenario_io import _FileProblem, _parse_text, _too_many_values

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

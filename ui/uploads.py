"""Files a user uploads to the page: size limits, bundled price books only, and every
failure as a message naming the file, never a traceback.

The page's server may be shared (see the README): an uploaded scenario must not make it read
its own files, so a scenario may name a bundled price book only
(``read_scenario_text(..., allow_book_paths=False)``; :func:`refuse_book_paths` is the page's
own check, kept for a library without it: :data:`LIBRARY_REFUSES_BOOK_PATHS` switches).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import yaml

from forecast import PlannerError, Scenario, ScenarioError, read_scenario_text
from forecast.files import MAX_SCENARIO_BYTES
from forecast.pricebook import bundled_price_book_ids
from forecast.usage import MAX_USAGE_FILE_BYTES

if TYPE_CHECKING:
    from forecast import UsageImport

#: ``read_scenario_text`` takes ``allow_book_paths`` (forecast/scenario_io.py): the library
#: refuses book paths itself, with its own message; False makes the page check first.
LIBRARY_REFUSES_BOOK_PATHS = True

#: Largest scenario file accepted, in MB: the library's cap (a 1,000-workload scenario the
#: importer writes is about 1 MB).
SCENARIO_MAX_MB = MAX_SCENARIO_BYTES // 2**20
#: Largest usage export accepted, per file, in MB: the library's cap, also
#: ``server.maxUploadSize`` in ``.streamlit/config.toml``.
USAGE_MAX_MB = MAX_USAGE_FILE_BYTES // 2**20

log = logging.getLogger(__name__)


class UploadError(PlannerError):
    """An upload refused or not read: one line per problem, as ``ScenarioError``'s."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def _size_problem(name: str, size: int, limit_mb: int, what: str) -> str | None:
    if size > limit_mb * 2**20:
        return (f"the file is {size / 2**20:.1f} MB; {what} is at most {limit_mb} MB "
                "(is it the right file?)")
    return None


def refuse_book_paths(text: str, source: str) -> None:
    """Refuse a scenario that names a price book other than a bundled one.

    Raises
    ------
    ScenarioError
        Naming ``price_book`` and the bundled ids. Text that is not YAML passes: the parser
        reports it.
    """
    try:
        data = yaml.safe_load(text)
    except Exception:  # the parser that follows reports it, naming the line
        return
    if not isinstance(data, dict) or "price_book" not in data:
        return
    book = data["price_book"]
    ids = bundled_price_book_ids()
    if isinstance(book, str) and book in ids:
        return
    shown = repr(book) if len(repr(book)) <= 60 else repr(book)[:57] + "...'"
    raise ScenarioError([f"price_book: {shown} is not a bundled price book; a scenario "
                         f"uploaded to the page may use {', '.join(ids)} (a price book file is "
                         "read from the command line only)"], source)


def read_scenario_upload(name: str, content: bytes) -> Scenario:
    """The scenario in an uploaded file.

    Raises
    ------
    UploadError
        Too big, not UTF-8 text, not a valid scenario (the schema's problems, one per line),
        or failed in an unexpected way (named, without a traceback; logged for the server).
    """
    too_big = _size_problem(name, len(content), SCENARIO_MAX_MB, "a scenario file")
    if too_big:
        raise UploadError(name, [too_big])
    try:
        text = content.decode("utf-8")
        if LIBRARY_REFUSES_BOOK_PATHS:
            return read_scenario_text(text, name, allow_book_paths=False)
        refuse_book_paths(text, name)
        return read_scenario_text(text, name)
    except UnicodeDecodeError:
        raise UploadError(name, ["the file is not UTF-8 text; save it as YAML or JSON "
                                 "text"]) from None
    except ScenarioError as exc:
        raise UploadError(name, exc.problems) from None
    except Exception as exc:  # any other failure is shown, never a traceback
        log.exception("uploaded scenario %s", name)
        raise UploadError(name, [unexpected(exc)]) from None


def import_usage_uploads(files: Sequence[tuple[str, bytes]]) -> UsageImport:
    """Import uploaded usage exports.

    Raises
    ------
    UploadError
        A file too big, the importer's message (naming the file, bucket or row), or an
        unexpected failure (named, without a traceback).
    """
    from forecast import import_usage

    names = ", ".join(n for n, _ in files) or "usage files"
    if not files:
        raise UploadError(names, ["choose one or more usage exports first"])
    big = [p for n, c in files if (p := _size_problem(n, len(c), USAGE_MAX_MB,
                                                      "a usage export"))]
    if big:
        raise UploadError(names, big)
    try:
        return import_usage(list(files))
    except PlannerError as exc:
        raise UploadError(names, [str(exc)]) from None
    except Exception as exc:  # any other failure is shown, never a traceback
        log.exception("usage import of %s", names)
        raise UploadError(names, [unexpected(exc)]) from None


def check_usage_upload(name: str, content: bytes) -> None:
    """Check one uploaded usage export on its own: within the size limit, in a format the
    importer reads (a Console CSV export, a usage or cost report page). Whether the files
    together cover the months tracked is the tracker's to say.

    Raises
    ------
    UploadError
        Naming the file: too big, the importer's message, or an unexpected failure (named,
        without a traceback).
    """
    from forecast.usage import read_usage

    too_big = _size_problem(name, len(content), USAGE_MAX_MB, "a usage export")
    if too_big:
        raise UploadError(name, [too_big])
    try:
        read_usage(name, content)
    except PlannerError as exc:
        text = str(exc)
        raise UploadError(name, [text.removeprefix(f"{name}: ")]) from None
    except Exception as exc:  # any other failure is shown, never a traceback
        log.exception("usage upload %s", name)
        raise UploadError(name, [unexpected(exc)]) from None


def unexpected(exc: BaseException) -> str:
    """A failure nobody foresaw, in one line a user can act on."""
    kind = {RecursionError: "it is nested too deeply", MemoryError: "it is too large to read"}
    why = next((text for cls, text in kind.items() if isinstance(exc, cls)),
               f"{type(exc).__name__}")
    return (f"could not be read ({why}); check that it is the right file, and report it if "
            "it is")

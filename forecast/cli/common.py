"""What every command shares: exit statuses, loading a scenario with its book, the files
a command reads (its ``-o`` must be none of them), writing or printing the output, argument
types (whole numbers, amounts, shares, months) and the options ``plan`` and ``report`` share.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from forecast import PlannerError, limits

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2
#: A closed pipe: what a shell reports for a command ended by SIGPIPE (128 + 13).
EXIT_BROKEN_PIPE = 141
#: Same cap as the scenario schema's simulation.paths (memory grows with paths x months x
#: workloads: 100,000 x 60 x 50 float32 cells is 1.2 GB a buffer).
MAX_PATHS = 100_000


def _load(path: str) -> tuple[Any, Any]:
    from forecast import load_price_book, load_scenario

    scenario = load_scenario(path)
    book = load_price_book(scenario.price_book, Path(path).parent)
    return scenario, book


def _inputs(args: argparse.Namespace) -> list[str]:
    """Every file a command reads, which its ``-o`` must not overwrite: the scenario, the
    usage files, ``--price-book`` and ``--contract`` files, and the scenario's price book
    when that is a file beside it (a bundled id names no file)."""
    from forecast.pricebook import bundled_price_book_ids

    bundled = bundled_price_book_ids()
    inputs = [getattr(args, "file", None), *(getattr(args, "usage", None) or []),
              getattr(args, "contract", None)]
    book_flag = getattr(args, "price_book", None)
    if book_flag and book_flag not in bundled:
        inputs.append(book_flag)
    scenario = getattr(args, "scenario", None)
    if scenario is not None and scenario.price_book not in bundled:
        book = Path(scenario.price_book)
        inputs.append(str(book if book.is_absolute() else Path(args.file).parent / book))
    return [str(p) for p in inputs if p]


def _check_output(args: argparse.Namespace) -> None:
    """Refuse a bad ``-o`` before any work is done (it is checked again when written)."""
    if getattr(args, "output", None) is not None:
        from forecast.files import check_output

        check_output(args.output, _inputs(args))


def _emit(text: str, args: argparse.Namespace) -> None:
    """Print, or write to ``args.output`` (never over an input; see forecast.files)."""
    if args.output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    from forecast.files import write_output

    write_output(args.output, text if text.endswith("\n") else text + "\n", _inputs(args))
    print(f"wrote {args.output}", file=sys.stderr)


def _json(document: Any) -> str:
    """JSON text; NaN and Infinity are not JSON, so a non-finite number is a bug here."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)


class _Parser(argparse.ArgumentParser):
    """argparse with the usage error on one line and exit status 2 (argparse's default)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _report_usage_options(p: argparse.ArgumentParser) -> None:
    """``report --usage``: add the tracking page (see ``commitplan track``)."""
    p.add_argument("--usage", nargs="+", metavar="USAGE",
                   help="usage to date (the files `track` reads): adds the page that tracks "
                        "the signed contract against it (internal copy only)")
    p.add_argument("--as-of", type=_month_arg, metavar="YYYY-MM",
                   help="with --usage: the last month of actuals (default: the last month the "
                        "files cover in full)")


def _whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """argparse type: a whole number within bounds, with a message saying which."""

    def parse(text: str) -> int:
        shown = text if len(text) <= 24 else text[:23] + "…"
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{shown!r} is not a whole number") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum:,}" if maximum is not None \
                else f"{minimum} or more"
            raise argparse.ArgumentTypeError(f"{shown} must be {bound}")
        return value

    return parse


#: ``--seed`` of every command: one bound (:data:`forecast.limits.MAX_SEED`), as the scenario's
#: ``simulation.seed``.
SEED = _whole_number(0, limits.MAX_SEED)


def _amount(text: str) -> float | tuple[float, ...]:
    """argparse type for ``--commit``: one annual amount (``1200000``, ``1,200,000``,
    ``1.2M``, ``900k``) or a ramp, one amount per contract year (``900k/1.1M/1.3M``)."""
    from forecast.formatting import parse_amounts

    try:
        amounts = parse_amounts(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not amounts:
        raise argparse.ArgumentTypeError("give an amount, e.g. 1200000, 1.2M or 900k/1.1M/1.3M")
    return amounts[0] if len(amounts) == 1 else tuple(amounts)


def _plan_options(p: argparse.ArgumentParser) -> None:
    """Options shared by ``plan`` and ``report``."""
    p.add_argument("--paths", type=_whole_number(1, MAX_PATHS),
                   help="Monte Carlo paths (default: the scenario's simulation.paths)")
    p.add_argument("--seed", type=SEED,
                   help="random seed (default: the scenario's)")
    # extend: `--commit A B` and `--commit A --commit B` both keep every amount.
    p.add_argument("--commit", type=_amount, nargs="+", action="extend", metavar="AMOUNT",
                   help="annual commitment(s) to evaluate beside the recommendation: "
                        "1200000, 1.2M, 900k, or a ramp with one amount per contract year, "
                        "900k/1.1M/1.3M")
    p.add_argument("--no-sensitivity", action="store_true",
                   help="skip the sensitivity tornado (13 re-simulations)")
    p.add_argument("--asks-for", action="append", metavar="OFFER",
                   help="value the asks under this offer too (besides the best one); "
                        "repeat for more")


def _write_output(path: str, text: str, inputs: Sequence[str]) -> None:
    """Write a command's output file whole, never over one of its inputs (forecast.files)."""
    from forecast.files import write_output

    write_output(path, text, inputs, what="the scenario")


def _share_arg(text: str) -> float:
    """argparse type: a share between 0 and 1 (``0.3``, or ``30%``)."""
    raw = text.strip()
    try:
        value = float(raw.removesuffix("%")) / (100.0 if raw.endswith("%") else 1.0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share; give 0.3 or 30%") from None
    if not 0.0 <= value <= 1.0:
        hint = f" (did you mean {value / 100:g}?)" if 1.0 < value <= 100.0 else ""
        raise argparse.ArgumentTypeError(f"{text} is not a share between 0 and 1{hint}")
    return value


def _book_ref(ref: str | None) -> str | None:
    """A book file as an absolute path (the scenario may be saved in another folder)."""
    if ref and Path(ref).suffix.lower() in (".yaml", ".yml", ".json"):
        return str(Path(ref).resolve())
    return ref


def _usage_sources(paths: Sequence[str]) -> list[tuple[str, bytes]]:
    from forecast.usage import read_usage_file

    return [(path, read_usage_file(path)) for path in paths]


def _month_arg(text: str) -> str:
    """argparse type: a month ``YYYY-MM``."""
    from forecast.tracking import parse_month

    try:
        return parse_month(text, "month")
    except PlannerError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("month: ")) from None

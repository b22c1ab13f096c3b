"""``prices``: the price book as in force on a date.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from forecast import PlannerError
from forecast.cli.common import EXIT_OK


# --------------------------------------------------------------------------- prices
def _date_arg(text: str) -> Any:
    """argparse type: a day written ``YYYY-MM-DD`` (``20261001``, which Python's ISO reader
    would take, is refused: the dashes say which part is the month)."""
    import datetime as dt
    import re

    shown = text if len(text) <= 24 else text[:23] + "…"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"{shown!r} is not a date; give YYYY-MM-DD, e.g. "
                                     "2026-10-01")


def _model_arg(text: str) -> str:
    """argparse type: a model named by at least one visible character."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is blank; give a model id, alias or "
                                         "display name (e.g. claude-sonnet-4-5), or leave "
                                         "--model out for every model")
    return text


def cmd_prices(args: argparse.Namespace) -> int:
    """``commitplan prices``: the book as in force on a date."""
    from forecast import load_price_book
    from forecast.formatting import table
    from forecast.pricebook import LATEST_PRICE_BOOK

    book = load_price_book(args.price_book or LATEST_PRICE_BOOK)
    if args.unverified:
        return _prices_unverified(book, args)
    rows = book.as_of(args.on)
    if args.model is not None:
        model_id = book.resolve_model(args.model)
        if model_id is None:
            raise PlannerError(f"--model {args.model!r}: not in price book {book.id!r}; it "
                               f"prices {', '.join(book.model_ids)}")
        rows = [r for r in rows if r["model"] == model_id]
    if args.json:
        print(json.dumps({"price_book": book.id, "effective_date": str(book.effective_date),
                          "on": str(args.on) if args.on else None,
                          "currency": book.currency, "batch_discount": book.batch_discount,
                          "source": book.source, "models": rows,
                          "not_expressed": list(book.not_expressed)}, indent=2))
        return EXIT_OK

    def money(v: float | None) -> str:
        """Dollars with at least 2 and at most 4 decimals: $12.50, $0.125, $0.0125."""
        if v is None:
            return "-"
        whole, _, cents = f"{v:,.4f}".partition(".")
        return f"${whole}.{cents.rstrip('0').ljust(2, '0')}"

    when = f"in force on {args.on}" if args.on else "latest entries (the forecast's prices)"
    out = [f"Price book {book.id} (effective {book.effective_date}), {when}; USD per "
           "million tokens, before the batch discount "
           f"({book.batch_discount:.0%} off every token class)", f"Source: {book.source}", ""]
    table_rows = [[r["model"], money(r["uncached_input"]), money(r["cache_write_5m"]),
                   money(r["cache_write_1h"]), money(r["cache_read"]), money(r["output"]),
                   "-" if r["threshold"] is None else
                   f">{r['threshold'] // 1000:,}k: {money(r['long_input'])} / "
                   f"{money(r['long_output'])}",
                   "-" if r["us_multiplier"] is None else f"{r['us_multiplier']:g}x",
                   "-" if r["fast_multiplier"] is None else f"{r['fast_multiplier']:g}x"
                   + (f" to {r['fast_until']}" if r["fast_until"] else ""),
                   f"{r['tokenizer_factor']:g}", ", ".join(r["changes"]) or "-",
                   "-" if r["retires"] is None else f"{r['retires']} -> {r['successor']}",
                   "" if r["verified"] else "*"]
                  for r in rows]
    out.append(table(table_rows, ["model", "input", "5m write", "1h write", "cache read",
                                  "output", "long prompt (in / out)", "US only", "fast",
                                  "tokenizer", "changed on", "retires", ""],
                     right={1, 2, 3, 4, 5, 7, 9}))
    if any(not r["verified"] for r in rows):
        out += ["", "* some figures from secondary sources only: see --unverified"]
    if book.not_expressed and args.model is None:
        out += ["", "Not expressed by this book (priced at standard rates):",
                *(f"  - {line}" for line in book.not_expressed)]
    print("\n".join(out))
    return EXIT_OK


def _prices_unverified(book: Any, args: argparse.Namespace) -> int:
    """``commitplan prices --unverified``: the figures found only in secondary sources."""
    from forecast.formatting import table

    rows = book.unverified()
    if args.model:
        model_id = book.resolve_model(args.model)
        rows = [r for r in rows if r["model"] in (model_id, "*")]
    if args.json:
        print(json.dumps({"price_book": book.id, "unverified": rows}, indent=2))
        return EXIT_OK
    if not rows:
        print(f"Price book {book.id}: every figure is from the vendor's own pages.")
        return EXIT_OK
    print(f"Price book {book.id}: figures found only in secondary sources (not on the "
          "vendor's pages as read)\n")
    print(table([[r["model"], r["fields"], r["url"]] for r in rows],
                ["model", "fields", "source"]))
    return EXIT_OK


def register_prices(sub: Any) -> None:
    p = sub.add_parser("prices", help="print the price book as in force on a date",
                       description="Print every model's list prices (input, cache writes and "
                                   "reads, output, the long-prompt band, the US-only "
                                   "multiplier) as in force on a date.")
    p.add_argument("--model", type=_model_arg, metavar="M",
                   help="one model (an id, alias or display name)")
    p.add_argument("--on", type=_date_arg, metavar="DATE",
                   help="the day (YYYY-MM-DD); default: the latest entries")
    p.add_argument("--price-book", metavar="ID|FILE",
                   help="a bundled id or a book file; default: the newest bundled book")
    p.add_argument("--unverified", action="store_true",
                   help="list the figures found only in secondary sources, with their pages")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(func=cmd_prices)

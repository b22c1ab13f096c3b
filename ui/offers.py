"""The offers table: the proposals an advisor types during a call, one row per offer, read
into the scenario's ``offers:`` (``forecast.scenario.Offer``) without Streamlit.

A cell left blank takes the scenario contract's term (as ``Offer.to_contract`` does), except
the commitment: an offer without one leaves the amount to the buyer, and the planner picks
the best within the appetite. The discount is typed as the sidebar's tiers are
(``1M: 6% / 3M: 10%``, read by ``forecast.formatting.parse_tiers``), or as one rate (``8%``)
for the commitment given beside it. What the table writes goes back through the scenario
schema with the workloads (``ui.edits.validate``), so a bad cell is reported naming its row
and field, like the workloads table's.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from pydantic import ValidationError

from forecast import Contract, Scenario
from forecast.formatting import format_amounts, format_tiers, parse_amounts, parse_tiers, pct
from forecast.scenario import Offer
from forecast.scenario_messages import validation_problems
from forecast.types import Overage
from ui.edits import TableEdit

Data = dict[str, Any]
#: Where a problem of the offers table is said to be (``ui.text.problem_md`` knows it).
WHERE = "Offers table"


@dataclass(frozen=True)
class OfferColumn:
    """One column of the offers table: its key (the ``Offer`` field it edits), header and
    tooltip."""

    key: str
    label: str
    help: str


COLUMNS: tuple[OfferColumn, ...] = (
    OfferColumn("name", "Offer", "who proposes what, e.g. Vendor opening; names are unique"),
    OfferColumn("from", "From", "who proposed it: vendor (blank) or buyer (your counter); "
                "the asks package aims at the latest vendor offer"),
    OfferColumn("discount", "Discount or tiers",
                "tiers as commit at least: discount, e.g. 1M: 6% / 3M: 10%; or one rate "
                "(8%) for the commitment beside it; blank: the contract's tiers"),
    OfferColumn("commitments", "Commitment / yr",
                "one amount a year (4M), or one per year (3M / 3.5M / 4M); blank: the "
                "buyer chooses, and the planner picks the best within your appetite"),
    OfferColumn("overage", "Overage", "overage billed at the discounted rate or at list; "
                "blank: the contract's"),
    OfferColumn("rollover", "Rollover", "share of unused commitment carried to the next "
                "year (0-1); blank: the contract's"),
    OfferColumn("years", "Years", "term in years (1-5); blank: the contract's"),
    OfferColumn("shortfall_credit", "Shortfall credit",
                "share of unused commitment credited back (0-1); blank: the contract's"),
    OfferColumn("price_protection", "Price protection",
                "the commitment falls with list prices (worth something only when price "
                "cuts can happen)"),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
#: Each column's width on the page, in pixels: every header reads whole (its text and its
#: menu mark). The table is 1,058 pixels with its row marker: it scrolls sideways below
#: about 1,400 pixels of window, the offer's name pinned.
WIDTHS = {"name": 125, "from": 80, "discount": 138, "commitments": 136, "overage": 95,
          "rollover": 100, "years": 78, "shortfall_credit": 130, "price_protection": 138}


def discount_text(offer: Offer) -> str:
    """The discount cell of an offer: its tiers, or its one rate."""
    if offer.discount_tiers is not None:
        return format_tiers([t.model_dump() for t in offer.discount_tiers])
    if offer.discount is not None:
        return pct(offer.discount, 1).replace(".0%", "%")
    return ""


def offers_frame(data: Data) -> pd.DataFrame:
    """The scenario's offers as the table shows them (one row each, :data:`COLUMNS` in
    order); number columns nullable (blank: <NA>), price protection as the offer's terms
    have it."""
    scenario = Scenario.model_validate(data)
    rows = []
    for o in scenario.offers:
        rows.append({
            "name": o.name, "from": o.side, "discount": discount_text(o),
            "commitments": format_amounts(o.commitments),
            "overage": None if o.overage is None else str(o.overage),
            "rollover": o.rollover, "years": o.years, "shortfall_credit": o.shortfall_credit,
            "price_protection": o.to_contract(scenario.contract).price_protection,
        })
    # Nullable dtypes: a blank cell is <NA>, and a row the editor adds with blanks keeps the
    # column's type (a float64 column would turn to object, which pandas deprecates).
    dtypes = {"rollover": "Float64", "years": "Int64", "shortfall_credit": "Float64",
              "price_protection": "boolean"}
    return pd.DataFrame({c.key: pd.Series([r[c.key] for r in rows],
                                          dtype=dtypes.get(c.key, "object"))
                         for c in COLUMNS})


def _read_discount(text: str) -> Data:
    """``1M: 6% / 3M: 10%`` -> ``{"discount_tiers": [...]}``; ``8%`` or ``0.08`` ->
    ``{"discount": 0.08}``."""
    text = text.strip()
    if ":" in text:
        return {"discount_tiers": parse_tiers(text)}
    try:
        value = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"cannot read {text!r}; write tiers as commit: discount pairs "
                         "separated by /, e.g. 1M: 6% / 3M: 10%, or one rate such as 8%"
                         ) from None
    return {"discount": value}


def is_blank(value: Any) -> bool:
    """An empty cell: None, NaN, pandas' NA or blank text."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _write(offer: Data, key: str, value: Any) -> None:
    """One cell into an offer's data; a blank cell removes the field (the contract's term
    applies, or the buyer chooses the commitment)."""
    if key == "discount":
        offer.pop("discount", None)
        offer.pop("discount_tiers", None)
        if not is_blank(value):
            offer.update(_read_discount(str(value)))
        return
    offer.pop(key, None)
    if is_blank(value):
        return
    if key == "name":
        offer[key] = str(value).strip()
    elif key == "commitments":
        offer[key] = parse_amounts(str(value))
    elif key in ("overage", "from"):
        offer[key] = str(value)
    elif key == "price_protection":
        offer[key] = bool(value)
    else:
        offer[key] = _number(value)


def row_label(row: int, name: Any) -> str:
    """How an error names a row of the offers table: ``row 2 "Vendor opening"`` (``row``
    counts from 0 over the rows the table shows; the label from 1, as a reader does)."""
    shown = str(name).strip() if not is_blank(name) else "new offer"
    return f'row {row + 1} "{shown}"'


#: The cells that make an offer differ from the contract (the name and the price protection
#: box do not): a row with a name and one of these is whole.
TERMS = ("discount", "commitments", "overage", "rollover", "years", "shortfall_credit")


def _row_hint(offer: Data, typed: Mapping[str, Any], contract: Any) -> str | None:
    """What keeps a typed row from being an offer yet, in a few words; None when it is
    whole and reads."""
    if is_blank(offer.get("name")):
        return "name it (each offer's name is unique)"
    if not any(not is_blank(typed.get(k)) for k in TERMS) and not any(k in offer
                                                                      for k in TERMS):
        return ("type its discount or commitment (a blank cell takes the contract's term); "
                "it is ranked once it has one")
    try:
        checked = Offer.model_validate(offer)
        if contract is not None:
            checked.to_contract(contract)
    except ValidationError as exc:
        return "; ".join(validation_problems(exc))
    return None


def apply_offer_edits(edit: TableEdit, state: Mapping[str, Any] | None) -> TableEdit:
    """Apply the offers editor's state (``edited_rows``, ``added_rows``, ``deleted_rows``)
    to the offers of ``edit.data``.

    A row is evaluated when it is whole: named, with a term typed, every cell readable and
    the offer valid on its own. A row that is not (half-typed, or a cell that does not read)
    is left out of the scenario, and ``offer_hints`` says why, naming the row as the table
    shows it (row 1 the first row shown; deleted rows gone, blank added rows counted): the
    answer stays on the offers that are whole.

    Returns a new :class:`ui.edits.TableEdit` whose data holds the whole offers, whose
    ``offer_labels`` name each offer's table row, and whose ``offer_hints`` name the rows
    left out and why.
    """
    data = copy.deepcopy(edit.data)
    offers: list[Data] = list(data.get("offers") or [])
    state = state or {}
    try:
        contract = Contract.model_validate(data.get("contract") or {})
    except (ValidationError, ValueError):
        contract = None
    deleted = {int(r) for r in state.get("deleted_rows") or []}
    edited = {int(k): v for k, v in (state.get("edited_rows") or {}).items()}
    rows: list[tuple[Data, Mapping[str, Any]]] = []  # as the table shows them
    for i, offer in enumerate(offers):
        if i not in deleted:
            rows.append((offer, edited.get(i, {})))
    for changes in state.get("added_rows") or []:
        rows.append(({}, changes))
    kept: list[Data] = []
    labels: list[str] = []
    hints: list[str] = []
    names: dict[str, int] = {}
    for shown, (offer, changes) in enumerate(rows):
        if not offer and all(is_blank(v) for v in changes.values()):
            continue  # a row added and left empty is not an offer yet
        offer = copy.deepcopy(offer)
        problem = None
        for key, value in changes.items():
            if key not in COLUMN_BY_KEY:
                continue
            try:
                _write(offer, key, value)
            except ValueError as exc:
                problem = problem or f"{key}: {exc}"
        label = row_label(shown, offer.get("name"))
        problem = problem or _row_hint(offer, changes, contract)
        name = str(offer.get("name", "")).strip()
        if problem is None and name in names:
            problem = f"name: is the name of row {names[name] + 1} too; names are unique"
        if problem is not None:
            hints.append(f"{WHERE}, {label}: {problem}")
            continue
        names[name] = shown
        kept.append(offer)
        labels.append(label)
    data["offers"] = kept
    if not kept:
        del data["offers"]
    return replace(edit, data=data, offer_labels=labels, offer_hints=hints)


def side_options() -> list[str]:
    """The From column's choices."""
    return ["vendor", "buyer"]


def overage_options() -> list[str]:
    return [str(v) for v in Overage]

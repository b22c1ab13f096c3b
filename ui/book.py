"""The Files tab's book of clients: the last refresh of the workspace's book, and opening a
client's scenario in the planner.

The book is refreshed by ``commitplan portfolio BOOK -o WORKSPACE/book`` (docs/portfolio.md);
the page only reads its ``summary.json`` (:func:`forecast.portfolio.read_summary`) and the
time it was written, formats the rows, and loads a client's scenario into the store. The
functions above :func:`book_section` use no Streamlit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forecast.errors import PlannerError
from forecast.formatting import pct, usd
from forecast.portfolio import SUMMARY_JSON, read_summary

#: The workspace's book refresh: the OUTDIR of ``commitplan portfolio BOOK -o WORKSPACE/book``.
BOOK_FOLDER = "book"


@dataclass(frozen=True)
class BookListing:
    """The last refresh of the workspace's book.

    Attributes
    ----------
    folder : Path
        The refresh folder (``WORKSPACE/book``).
    refreshed : datetime
        When its summary was written (UTC).
    rows : list of dict
        One per client, as in ``summary.json``.
    """

    folder: Path
    refreshed: dt.datetime
    rows: list[dict[str, Any]]


def book_listing(workspace_folder: Path) -> BookListing | None:
    """The workspace book's last refresh, or None when it has none (or none readable, or
    ``book/`` or its ``summary.json`` is a link)."""
    folder = Path(workspace_folder) / BOOK_FOLDER
    from ui.workspace import Workspace

    # Only the workspace's own folder and file: a link planted as book/ or summary.json
    # (to a refresh elsewhere, to a file outside) is not followed.
    if not Workspace(Path(workspace_folder)).own(folder / SUMMARY_JSON):
        return None
    document = read_summary(folder)
    if document is None:
        return None
    written = (folder / SUMMARY_JSON).stat().st_mtime
    return BookListing(folder, dt.datetime.fromtimestamp(written, dt.UTC),
                       list(document["clients"]))


def decision_text(row: dict[str, Any]) -> str:
    """A client's decision in words: ``$900,000/$1,100,000 a year, sign now``."""
    if row.get("status") != "ok":
        return "-"
    per_year = row.get("commitment_per_year") or []
    amount = "/".join(usd(c) for c in per_year) if per_year else "-"
    months = row.get("sign_after_months") or 0
    when = "sign now" if not months else f"sign after {months} months"
    return f"{amount} a year, {when}"


def client_rows(listing: BookListing) -> list[dict[str, str]]:
    """The table the page shows: one row of text per client."""
    out = []
    for r in listing.rows:
        ok = r.get("status") == "ok"
        out.append({
            "client": str(r["client"]),
            "decision": decision_text(r),
            "expected cost": usd(r["expected_cost"]) if ok else "-",
            "saving vs pay as you go": usd(r["saving_vs_payg"]) if ok else "-",
            "shortfall": pct(r["shortfall_probability"]) if ok else "-",
            "colour": str(r.get("colour") or "-"),
            "tracking": str(r.get("tracking_status") or "-"),
            "change": str(r.get("change") or "-"),
            "error": str(r.get("error") or ""),
        })
    return out


def open_client(store: Any, row: dict[str, Any]) -> str:
    """Load a client's scenario (its file, from the row) into the store; returns its name.

    Raises
    ------
    PlannerError
        The scenario file is gone or no longer valid (the message names it).
    """
    from forecast.scenario_io import load_scenario
    from ui.state import scenario_data
    from ui.workspace import EntryKind

    path = row.get("scenario")
    if not path:
        raise PlannerError(f"{row.get('client')}: the refresh does not name its scenario file; "
                           "refresh the book again")
    scenario = load_scenario(path)
    name = store.add(scenario_data(scenario), EntryKind.UPLOAD, source=Path(path).name)
    store.activate(name)
    return name


# --------------------------------------------------------------------------- the page
def _on_open(listing: BookListing) -> None:
    import streamlit as st

    store = st.session_state["store"]
    client = st.session_state.get("book_client")
    row = next((r for r in listing.rows if r["client"] == client), None)
    if row is None:
        return
    try:
        name = open_client(store, row)
    except PlannerError as exc:
        store.errors.append((f"{client} was not opened", [str(exc)]))
        return
    st.session_state.picker = store.active
    store.notice = f"Opened {client}'s scenario as “{name}” (kept in the workspace)."


def book_section(store: Any) -> None:
    """The book's last refresh: its clients, their decision, colour, tracking and change,
    and a client to open."""
    import streamlit as st

    from ui.text import md

    st.markdown("**Book** · the last refresh of your clients (`commitplan portfolio`)")
    if store.workspace is None:
        st.caption("No workspace folder: the book's refresh is read from WORKSPACE/book.")
        return
    listing = book_listing(store.workspace.folder)
    if listing is None:
        st.caption("No refresh yet: run `commitplan portfolio BOOK -o WORKSPACE/book` "
                   f"(docs/portfolio.md), where WORKSPACE is {md(store.workspace.folder)}.")
        return
    failed = sum(1 for r in listing.rows if r.get("status") != "ok")
    st.caption(f"Refreshed {listing.refreshed:%Y-%m-%d %H:%M} UTC: {len(listing.rows)} "
               f"clients, {failed} failed.")
    st.dataframe(client_rows(listing), hide_index=True, width="stretch")
    names = [r["client"] for r in listing.rows if r.get("status") == "ok"]
    if names:
        with st.container(horizontal=True, gap="small"):
            st.selectbox("Client", names, key="book_client", label_visibility="collapsed")
            st.button("Open in the planner", on_click=_on_open, args=(listing,),
                      icon=":material/open_in_new:")

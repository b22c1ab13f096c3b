"""The Files tab's book of clients (ui/book.py): the workspace book's last refresh listed,
a client opened in the planner; the page through AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from forecast.errors import PlannerError
from forecast.portfolio import BookRefresh, RefreshOptions, read_book, refresh_client, write_summary
from tests.conftest import ROOT
from tests.test_portfolio import STEADY
from ui.book import BOOK_FOLDER, book_listing, client_rows, open_client
from ui.state import ScenarioStore
from ui.workspace import Workspace


def refreshed_workspace(folder: Path) -> Path:
    """A workspace whose book (the steady client and a broken one) was refreshed into
    WORKSPACE/book, one client at a time without Dask (the rows a cluster would return)."""
    book = folder / "clients"
    book.mkdir(parents=True)
    (book / "steady.yaml").write_text(STEADY)
    (book / "broken.yaml").write_text("name: Broken\nworkloads: []\n")
    out = folder / "workspace" / BOOK_FOLDER
    out.mkdir(parents=True)
    options = RefreshOptions(str(out), paths=200)
    rows = tuple(refresh_client(c, options) for c in read_book(book).clients)
    write_summary(BookRefresh(str(book), rows), out)
    return folder / "workspace"


def test_the_book_lists_each_client_with_its_decision(tmp_path: Path):
    listing = book_listing(refreshed_workspace(tmp_path))
    assert listing is not None
    rows = {r["client"]: r for r in client_rows(listing)}
    # The steady client (tests/test_portfolio.py): $3,240 a year at list, $2,916 committed
    # at 10% off covers it exactly, $324 saved, never short.
    assert rows["steady"] == {
        "client": "steady", "decision": "$2,916 a year, sign now",
        "expected cost": "$2,916", "saving vs pay as you go": "$324", "shortfall": "0%",
        "colour": "green", "tracking": "-", "change": "-", "error": ""}
    assert rows["broken"]["decision"] == "-" and "workloads" in rows["broken"]["error"]
    assert book_listing(tmp_path / "elsewhere") is None


def test_opening_a_client_loads_its_scenario_into_the_store(tmp_path: Path):
    workspace = refreshed_workspace(tmp_path)
    listing = book_listing(workspace)
    store = ScenarioStore(Workspace(workspace))
    steady = next(r for r in listing.rows if r["client"] == "steady")
    name = open_client(store, steady)
    assert name == "Steady chat" and store.active == name
    assert store.current.saved["workloads"][0]["requests_per_month"] == 10000
    broken = next(r for r in listing.rows if r["client"] == "broken")
    with pytest.raises(PlannerError, match="workloads"):
        open_client(store, broken)


def test_the_files_tab_lists_the_book_and_opens_a_client(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    workspace = refreshed_workspace(tmp_path)
    monkeypatch.setenv("COMMITPLAN_WORKSPACE", str(workspace))
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["paths"] = "200"
    at.run()
    at.session_state["view"] = "Files"
    at.run()
    assert not at.exception, at.exception
    assert any(c.value.startswith("Refreshed ") and "2 clients, 1 failed" in c.value
               for c in at.caption)
    table = next(d.value for d in at.dataframe if "decision" in d.value.columns)
    assert list(table["client"]) == ["broken", "steady"]
    assert next(b for b in at.button if b.label == "Open in the planner")
    at.selectbox(key="book_client").set_value("steady")
    next(b for b in at.button if b.label == "Open in the planner").click().run()
    assert not at.exception, at.exception
    assert at.session_state["picker"] == "Steady chat"
    st.cache_data.clear()

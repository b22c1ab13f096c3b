"""The Files tab: the scenario and both PDF copies to download, the workspace.
"""

from __future__ import annotations

import streamlit as st

from forecast import Plan, Scenario, dump_scenario, tornado
from forecast.sensitivity import SENSITIVITY_PATHS
from forecast.types import Audience
from ui import cache
from ui.state import ScenarioStore
from ui.text import md
from ui.views.import_guide import import_report
from ui.workspace import EntryKind


# --------------------------------------------------------------------------- files
def _on_delete(store: ScenarioStore, name: str) -> None:
    """Delete a kept scenario; one another tab deleted first is said so, not deleted
    "again"."""
    if store.delete(name):
        store.notice = f"Deleted “{name}”."
    st.session_state.picker = store.active


def files(store: ScenarioStore, scenario: Scenario, plan: Plan, scenario_json: str,
          paths: int, seed: int) -> None:
    """Downloads of the scenario, and the workspace: what it keeps, delete, archive."""
    stem = "".join(ch if ch.isalnum() else "-" for ch in scenario.name.lower()).strip("-")
    stem = stem[:60] or "scenario"
    entry = store.current
    with st.container(horizontal=True, gap="small"):
        st.download_button("Scenario (YAML)", dump_scenario(scenario),
                           file_name=f"{stem}.yaml", mime="application/x-yaml",
                           icon=":material/download:")
        st.download_button(
            "Monthly projection (CSV)",
            lambda: plan.projection.monthly_frame().to_csv(index=False, float_format="%.2f"),
            file_name=f"{stem}-monthly.csv", mime="text/csv", icon=":material/download:")
        done_json, done_rows = entry.tornado or (None, None)
        known_rows = done_rows if done_json == scenario_json else None

        def internal_pdf() -> bytes:
            """Built on click, on another thread: no Streamlit calls in here."""
            from forecast import render_pdf  # reportlab loads on the first export

            rows = known_rows if known_rows is not None else tornado(
                scenario, plan.book, paths=min(SENSITIVITY_PATHS, paths), seed=seed,
                anchor=plan.recommendation.risk_bounded.annual_commit)
            return render_pdf(cache.pdf_plan(plan, rows))

        def vendor_pdf() -> bytes:
            """The copy for the other side of the table: no tornado in it."""
            from forecast import render_pdf

            return render_pdf(cache.pdf_plan(plan, []), audience=Audience.VENDOR)

        st.download_button(
            "Negotiation PDF (internal)", internal_pdf, file_name=f"{stem}.pdf",
            mime="application/pdf", icon=":material/download:",
            help="Your copy: everything, the position and the sensitivity tornado (built on "
                 "click, a few seconds).")
        st.download_button(
            "Copy for the vendor (PDF)", vendor_pdf, file_name=f"{stem}-for-vendor.pdf",
            mime="application/pdf", icon=":material/download:",
            help="The ask and its evidence (usage, the optimization plan and its timeline); "
                 "nothing of your appetite, walk-away, alternative, cost curve or risk "
                 "tables.")

    workspace(store)
    if entry.record is not None:
        with st.expander("Import report"):
            import_report(entry.record)
    st.caption("The YAML holds every edit and portfolio lever on this page: load it again "
               "with the uploader, or run it with `commitplan`.")
    st.code(dump_scenario(scenario), language="yaml", height=420)


_KIND_WORDS = {EntryKind.UPLOAD: "uploaded", EntryKind.IMPORT: "imported",
               EntryKind.VARIANT: "variant"}


def workspace(store: ScenarioStore) -> None:
    st.markdown("**Workspace** · every upload, import and saved variant, kept on this "
                "machine and listed again after a reload")
    if store.workspace is None:
        st.caption("No workspace: scenarios are kept for this session only.")
        return
    st.caption(md(f"Folder: {store.workspace.folder}"))
    made = [e for e in store.entries.values() if e.kind is not None]
    if not made:
        st.caption("Nothing kept yet: upload a scenario, import usage or save a variant.")
    for e in made:
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            where = "kept" if e.kept else "this session only"
            source = f" from {e.source}" if e.source else ""
            st.markdown(f"{md(e.name)} · :gray[{md(_KIND_WORDS[e.kind] + source)}, "
                        f"{md(where)}]", width="stretch")
            st.button("Delete", key=f"delete|{e.name}", icon=":material/delete:",
                      on_click=_on_delete, args=(store, e.name), type="tertiary")
    for bad in store.unreadable:
        st.warning(md(f"{bad.file} in the workspace could not be read: {bad.problem}"))
    st.download_button("Download the workspace (zip)", store.workspace.archive,
                       file_name="commitplan-workspace.zip", mime="application/zip",
                       icon=":material/folder_zip:")

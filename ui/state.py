"""The page's scenarios in one object: what each was loaded as, what its widgets start from,
its last valid edit, its portfolio levers, and the workspace that keeps them.

Per scenario (:class:`Entry`): ``saved`` (as loaded, uploaded or saved), ``origin`` (what the
widgets start from), ``latest`` (origin plus the widgets' edits, last valid), ``effective``
(latest with the portfolio levers applied: what is planned), ``levers`` and ``gen`` (bumped
to re-create the widgets from ``origin``). Widgets keep their state per scenario under
:meth:`ScenarioStore.key`, so switching scenarios and back keeps every edit.

No Streamlit in here: the page keeps one :class:`ScenarioStore` in ``st.session_state`` and
its callbacks call these methods; the tests drive it directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from forecast.scenario import Scenario, scenario_to_dict
from ui.edits import PortfolioLevers, unique_name
from ui.importing import ImportRecord
from ui.workspace import EntryKind, Kept, Unreadable, Workspace

Data = dict[str, Any]
Variant = Callable[[Data], Data]


@dataclass
class Entry:
    """One scenario of the page (see the module docstring for the four data stages)."""

    name: str
    saved: Data
    origin: Data
    latest: Data
    effective: Data
    kind: EntryKind | None = None  # None: bundled with the app, not kept in the workspace
    levers: PortfolioLevers = field(default_factory=PortfolioLevers)
    gen: int = 0
    kept_id: str | None = None
    source: str | None = None
    record: ImportRecord | None = None
    tornado: tuple[str, Any] | None = None  # (scenario JSON it was computed for, rows)
    guide_closed: bool = False

    @property
    def kept(self) -> bool:
        return self.kept_id is not None


class ScenarioStore:
    """Every scenario of the page, the active one, and the workspace that keeps them.

    Parameters
    ----------
    workspace : Workspace, optional
        Where uploads, imports and variants are written as they are made; ``None`` keeps
        them for the session only.
    """

    def __init__(self, workspace: Workspace | None = None) -> None:
        self.entries: dict[str, Entry] = {}
        self.active = ""
        self.workspace = workspace
        #: Messages for the page: what was done, and what could not be kept or read.
        self.notice: str | None = None
        self.errors: list[tuple[str, list[str]]] = []  # (title, one line per problem)
        self.warnings: list[str] = []
        self.unreadable: list[Unreadable] = []

    # -- building --------------------------------------------------------------------------
    @classmethod
    def open(cls, bundled: Iterable[Scenario], opening: str,
             workspace: Workspace | None = None) -> ScenarioStore:
        """The bundled scenarios, then everything the workspace keeps; ``opening`` active."""
        store = cls(workspace)
        for scenario in bundled:
            store._put(scenario_data(scenario), None)
        store.active = opening if opening in store.entries else next(iter(store.entries))
        if workspace is not None:
            kept, store.unreadable = workspace.entries()
            for k in kept:
                store._put(k.data, k.kind, name=k.name, kept=k)
        return store

    def _put(self, data: Data, kind: EntryKind | None, name: str | None = None,
             replace: bool = False, kept: Kept | None = None, source: str | None = None,
             record: ImportRecord | None = None) -> str:
        name = " ".join((name or data["name"]).split())
        if not replace:
            name = unique_name(name, self.entries)
        data = {**data, "name": name}
        old = self.entries.get(name)
        entry = Entry(name, data, data, data, data, kind,
                      gen=old.gen + 1 if old else 0,
                      kept_id=kept.id if kept else (old.kept_id if old else None),
                      source=kept.source if kept else source,
                      record=ImportRecord.from_dict(kept.report) if kept and kept.report
                      else record)
        self.entries[name] = entry
        return name

    def add(self, data: Data, kind: EntryKind, name: str | None = None, replace: bool = False,
            source: str | None = None, record: ImportRecord | None = None) -> str:
        """Add a scenario made in this session (valid data) and keep it in the workspace.

        Returns its name (made unique unless ``replace``). A workspace that cannot be written
        adds a warning; the scenario is still added, for this session.
        """
        name = self._put(data, kind, name, replace, source=source, record=record)
        self._keep(self.entries[name])
        return name

    def _keep(self, entry: Entry) -> None:
        if self.workspace is None or entry.kind is None:
            return
        try:
            kept = self.workspace.keep(
                entry.name, entry.kind, Scenario.model_validate(entry.saved), entry.source,
                entry.record.to_dict() if entry.record else None, entry.kept_id)
        except OSError as exc:
            self.warnings.append(
                f"Could not keep “{entry.name}” in the workspace {self.workspace.folder} "
                f"({exc.strerror or exc}); it is kept for this session only.")
            return
        entry.kept_id = kept.id

    # -- reading ---------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self.entries)

    @property
    def current(self) -> Entry:
        return self.entries[self.active]

    def key(self, field_name: str) -> str:
        """Widget key of the active scenario: widgets keep their state per scenario, and
        start again from ``origin`` when ``gen`` moves on."""
        entry = self.current
        return f"{entry.name}|{entry.gen}|{field_name}"

    # -- moving between scenarios ------------------------------------------------------------
    def promote(self, name: str) -> None:
        """Fold the widgets' edits into the data they start from (before their state is
        dropped: widgets of a scenario not shown lose their state)."""
        entry = self.entries[name]
        entry.origin = entry.latest
        entry.gen += 1

    def activate(self, name: str) -> None:
        if name not in self.entries:
            return
        if self.active in self.entries and name != self.active:
            self.promote(self.active)
        self.active = name

    def record(self, name: str, latest: Data, effective: Data, levers: PortfolioLevers
               ) -> None:
        """The widgets' last valid edit of a scenario, and what is planned from it."""
        entry = self.entries[name]
        entry.latest, entry.effective, entry.levers = latest, effective, levers

    def reset(self, name: str) -> None:
        """Discard the edits and portfolio levers: back to how it was saved."""
        entry = self.entries[name]
        entry.origin = entry.latest = entry.effective = entry.saved
        entry.levers = PortfolioLevers()
        entry.gen += 1

    # -- making scenarios --------------------------------------------------------------------
    def save_variant(self, source: str, name: str | None = None) -> str:
        """Save As: the current settings of ``source`` (levers applied) become a new scenario,
        kept and made active; ``source`` goes back to how it was saved, so the two can be
        compared."""
        made = self.add(self.entries[source].effective, EntryKind.VARIANT,
                        (name or "").strip() or f"{source} variant")
        self.reset(source)
        self.active = made
        return made

    def add_variants(self, source: str, variants: dict[str, Variant]) -> list[str]:
        """Variants of ``source``'s current settings, named ``source · label`` (replacing
        earlier ones of that name), kept in the workspace."""
        effective = self.entries[source].effective
        return [self.add(make(effective), EntryKind.VARIANT, f"{source} · {label}",
                         replace=True) for label, make in variants.items()]

    def delete(self, name: str) -> None:
        """Delete a scenario made in a session, and its workspace files; a bundled one stays."""
        entry = self.entries.get(name)
        if entry is None or entry.kind is None:
            return
        if entry.kept_id and self.workspace is not None:
            try:
                self.workspace.delete(entry.kept_id)
            except OSError as exc:
                self.warnings.append(f"Could not delete “{name}” from the workspace "
                                     f"({exc.strerror or exc}).")
                return
        del self.entries[name]
        if self.active == name:
            self.active = next(iter(self.entries))


def scenario_data(scenario: Scenario) -> Data:
    """A validated scenario as the store keeps it (JSON-mode data)."""
    return scenario_to_dict(scenario)

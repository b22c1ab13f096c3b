"""The page's scenarios in one object: what each was loaded as, what its widgets start from,
its last valid edit, its portfolio levers, and the workspace that keeps them.

Per scenario (:class:`Entry`): ``saved`` (as loaded, uploaded or saved), ``origin`` (what the
widgets start from), ``latest`` (origin plus the widgets' edits, last valid), ``effective``
(latest with the portfolio levers applied: what is planned), ``levers`` and ``gen`` (bumped
to re-create the widgets from ``origin``). Widgets keep their state per scenario under
:meth:`ScenarioStore.key`, so switching scenarios and back keeps every edit.

The store also holds the usage to date each scenario is tracked against (the Tracking tab):
kept in the workspace beside the scenarios, per scenario name (:meth:`ScenarioStore.add_usage`),
so a reload tracks it again.

No Streamlit in here: the page keeps one :class:`ScenarioStore` in ``st.session_state`` and
its callbacks call these methods; the tests drive it directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from forecast import PlannerError, Scenario, scenario_to_dict
from forecast.scenario_values import name_problem
from ui.edits import unique_name
from ui.importing import ImportRecord
from ui.portfolio import PortfolioLevers
from ui.workspace import (
    EntryKind,
    Kept,
    Unreadable,
    UsageFile,
    Workspace,
    merge_usage,
    usage_file,
)

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
        #: Usage to date per scenario name, read from the workspace when first asked for;
        #: bytes held here only when the workspace could not keep them.
        self._usage: dict[str, list[UsageFile]] = {}
        self._usage_bytes: dict[str, dict[str, bytes]] = {}

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
        except (OSError, ValueError, PlannerError) as exc:  # ValueError: pydantic's
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
        compared.

        Raises
        ------
        PlannerError
            When ``name`` is no scenario name (control characters), saying why; nothing is
            saved then. Any other name is kept as typed: its workspace file is named from its
            letters and digits only (``../../etc/x`` is ``etc-x.yaml`` inside the folder).
        """
        problem = name_problem(name or "")
        if problem and (name or "").strip():
            raise PlannerError(f"variant name: {problem}")
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
        if self.usage_files(name):
            self.remove_usage(name)
        del self.entries[name]
        if self.active == name:
            self.active = next(iter(self.entries))

    # -- usage to date, per tracked scenario -------------------------------------------------
    def usage_files(self, name: str) -> list[UsageFile]:
        """The usage files kept to track scenario ``name``, in the order kept."""
        if name not in self._usage:
            files: list[UsageFile] = []
            if self.workspace is not None:
                try:
                    files = self.workspace.usage_files(name)
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    self.warnings.append(f"The usage kept for “{name}” could not be read "
                                         f"from the workspace ({exc}); upload it again.")
            self._usage[name] = files
        return self._usage[name]

    def add_usage(self, name: str, files: list[tuple[str, bytes]]) -> list[UsageFile]:
        """Keep usage files (name, bytes) for scenario ``name``: in the workspace, else for
        this session with a warning. A file of a name already kept replaces it. Returns
        every file kept for it."""
        kept = None
        if self.workspace is not None:
            try:
                kept = self.workspace.keep_usage(name, files)
            except (OSError, PlannerError) as exc:
                self.warnings.append(
                    f"Could not keep the usage files in the workspace {self.workspace.folder} "
                    f"({getattr(exc, 'strerror', None) or exc}); they are kept for this "
                    "session only.")
        if kept is None:
            added = [usage_file(n, c) for n, c in files]
            self._usage_bytes.setdefault(name, {}).update(
                {f.digest: c for f, (_n, c) in zip(added, files, strict=True)})
            kept = merge_usage(self.usage_files(name), added)
        self._usage[name] = kept
        return kept

    def usage_sources(self, name: str) -> list[tuple[str, bytes]]:
        """The kept usage of scenario ``name`` as (file name, bytes), as the tracker reads it.

        Raises
        ------
        OSError
            When a kept copy is gone from the workspace.
        """
        held = self._usage_bytes.get(name, {})
        return [(f.name, held[f.digest] if f.digest in held else
                 self.workspace.usage_content(name, f))  # type: ignore[union-attr]
                for f in self.usage_files(name)]

    def usage_in_workspace(self, name: str) -> bool:
        """Whether the usage of scenario ``name`` is kept in the workspace (else for this
        session only)."""
        return self.workspace is not None and not self._usage_bytes.get(name)

    def remove_usage(self, name: str, file_names: list[str] | None = None) -> None:
        """Forget usage files of scenario ``name`` (every one when ``file_names`` is None)."""
        keep = [] if file_names is None else [f for f in self.usage_files(name)
                                              if f.name not in file_names]
        if self.workspace is not None:
            try:
                self.workspace.delete_usage(name, file_names)
            except OSError as exc:
                self.warnings.append(f"Could not delete the usage files of “{name}” from the "
                                     f"workspace ({exc.strerror or exc}).")
                return
        self._usage[name] = keep


def scenario_data(scenario: Scenario) -> Data:
    """A validated scenario as the store keeps it (JSON-mode data)."""
    return scenario_to_dict(scenario)

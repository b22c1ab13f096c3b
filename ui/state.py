"""The page's scenarios in one object: what each was loaded as, what its widgets start from,
its last valid edit, its portfolio levers, and the workspace that keeps them.

Per scenario (:class:`Entry`): ``saved`` (as loaded, uploaded or saved), ``origin`` (what the
widgets start from), ``latest`` (origin plus the widgets' edits, last valid), ``effective``
(latest with the portfolio levers applied: what is planned), ``levers`` and ``gen`` (bumped
to re-create the widgets from ``origin``). Widgets keep their state per scenario under
:meth:`ScenarioStore.key`, so switching scenarios and back keeps every edit.

Each scenario's edits are also kept as it is edited, as its *working copy* in the workspace
(``ui.working``): :meth:`ScenarioStore.keep_working` writes it after every run that changed
something, :meth:`ScenarioStore.open` restores it (a reload, a server restart, a new tab), and
:meth:`ScenarioStore.check_working` takes up a copy another tab wrote since (the later write
wins). :meth:`ScenarioStore.sync` lists the workspace again on every run, so a scenario
deleted or saved in another tab is gone or listed here too.

The store also holds the usage to date each scenario is tracked against (the Tracking tab):
kept in the workspace beside the scenarios, per scenario name (:meth:`ScenarioStore.add_usage`),
so a reload tracks it again.

No Streamlit in here: the page keeps one :class:`ScenarioStore` in ``st.session_state`` and
its callbacks call these methods; the tests drive it directly.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from forecast import PlannerError, Scenario, parse_scenario, scenario_to_dict
from forecast.scenario_values import name_problem
from ui.edits import unique_name
from ui.importing import ImportRecord
from ui.portfolio import PortfolioLevers
from ui.working import WorkingCopies, WorkingCopy
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


class NameTaken(PlannerError):
    """A variant name another scenario has (in this tab or, listed since, another):
    ``suggestion`` is the name numbered (``Shared name (2)``)."""

    def __init__(self, name: str, suggestion: str) -> None:
        self.name = name
        self.suggestion = suggestion
        super().__init__(f"“{name}” is already a scenario's name")


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
    kept_at: str = ""  # when the workspace wrote it (another tab may write it again)
    as_of: str | None = None  # the Tracking tab's as-of month, None: the last full month
    working: WorkingCopy | None = None  # the working copy written or taken up last
    working_stamp: tuple[int, int, int] | None = None  # its file's, when last seen

    _origin_scenario: Any = field(default=None, repr=False, compare=False)
    _origin_for: Any = field(default=None, repr=False, compare=False)

    def origin_scenario(self) -> Scenario:
        """``origin`` validated, once per value of ``origin`` (the page asks on every run;
        validating the enterprise example costs about 25 ms). Read it, never change it."""
        if self._origin_for is not self.origin:
            self._origin_scenario = Scenario.model_validate(self.origin)
            self._origin_for = self.origin
        return self._origin_scenario

    def edited(self) -> bool:
        """Whether anything differs from how the scenario was saved."""
        return (self.latest != self.saved or bool(self.levers.describe())
                or self.as_of is not None)

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
        #: Working copies (``ui.working``), in the workspace.
        self.copies = WorkingCopies(workspace.folder) if workspace is not None else None
        #: The workspace's entry files as last listed (:meth:`sync`).
        self._listed: tuple[Any, ...] | None = None
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
            store._listed = store._listing()
            kept, store.unreadable = workspace.entries()
            for k in kept:
                store._put(k.data, k.kind, name=k.name, kept=k)
            for entry in store.entries.values():
                store._take_up(entry)
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
                      kept_at=kept.saved_at if kept else "",
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
        entry.kept_at = kept.saved_at

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
        """Discard the edits and portfolio levers, and the working copy: back to how it was
        saved ("Revert to the scenario")."""
        entry = self.entries[name]
        entry.origin = entry.latest = entry.effective = entry.saved
        entry.levers = PortfolioLevers()
        entry.as_of = None
        entry.gen += 1
        self._drop_working(entry)

    # -- working copies ------------------------------------------------------------------------
    def _apply_copy(self, entry: Entry, copy: WorkingCopy) -> bool:
        """Make ``copy`` what the widgets of ``entry`` start from; False (and a warning) when
        it no longer reads as a scenario (the schema moved on): it is then left as it is."""
        try:
            data = scenario_to_dict(parse_scenario({**copy.data, "name": entry.name}))
            levers = levers_from(copy.levers)
        except (PlannerError, TypeError, ValueError) as exc:
            self.warnings.append(f"The working copy of “{entry.name}” could not be read "
                                 f"back ({exc}); the scenario is shown as it was saved.")
            return False
        entry.origin = entry.latest = entry.effective = data
        entry.levers = levers
        entry.as_of = copy.as_of if isinstance(copy.as_of, str) else None
        entry.gen += 1
        return True

    def _read_copy(self, entry: Entry) -> WorkingCopy | None:
        try:
            return self.copies.read(entry.name) if self.copies is not None else None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.warnings.append(f"The working copy of “{entry.name}” in the workspace could "
                                 f"not be read ({exc}); the scenario is shown as it was "
                                 "saved.")
            return None

    def _take_up(self, entry: Entry) -> None:
        """A new session: the scenario's working copy, when there is one, is what it shows."""
        if self.copies is None:
            return
        entry.working_stamp = self.copies.stamp(entry.name)
        copy = self._read_copy(entry) if entry.working_stamp is not None else None
        if copy is not None and self._apply_copy(entry, copy):
            entry.working = copy

    def check_working(self, name: str) -> None:
        """At the start of a run: when another tab wrote (or dropped) the working copy of
        ``name`` since this one last did, the later write wins: take it up, and say so."""
        entry = self.entries.get(name)
        if entry is None or self.copies is None:
            return
        stamp = self.copies.stamp(name)
        if stamp == entry.working_stamp:
            return
        entry.working_stamp = stamp
        copy = self._read_copy(entry) if stamp is not None else None
        if copy is None:
            if entry.working is not None:  # reverted, or saved as a variant, over there
                entry.working = None
                entry.origin = entry.latest = entry.effective = entry.saved
                entry.levers, entry.as_of = PortfolioLevers(), None
                entry.gen += 1
                self.notice = (f"“{name}” was reverted to the scenario in another tab: this "
                               "tab shows it as saved now.")
            return
        if entry.working is not None and copy.revision == entry.working.revision:
            return
        mine = WorkingCopy(name, entry.latest, asdict(entry.levers), None, entry.as_of)
        if copy.content() == mine.content():
            entry.working = copy  # the same edit (another tab only opened another view)
            return
        if self._apply_copy(entry, copy):
            entry.working = copy
            self.notice = (f"“{name}” was changed in another tab at {copy.saved_hhmm()}: this "
                           "tab shows that working copy now (the later change wins).")

    def keep_working(self, name: str, view: str | None) -> None:
        """Write the working copy of ``name`` when its edits (or, with edits, the view open)
        differ from the copy written last; drop it when nothing is edited any more. A
        workspace that cannot be written adds a warning, once."""
        entry = self.entries.get(name)
        if entry is None or self.copies is None:
            return
        if not entry.edited():
            if entry.working is not None or entry.working_stamp is not None:
                self._drop_working(entry)
            return
        levers = asdict(entry.levers)
        last = entry.working
        if last is not None and last.view == view and last.content() == WorkingCopy(
                name, entry.latest, levers, view, entry.as_of).content():
            return
        try:
            entry.working = self.copies.write(name, entry.latest, levers, view, entry.as_of)
        except (OSError, PlannerError) as exc:
            if last is None or last.revision != "unwritten":
                self.warnings.append(
                    f"Could not keep the working copy of “{name}” in the workspace "
                    f"({getattr(exc, 'strerror', None) or exc}): a reload loses what is typed; "
                    "save it as a variant.")
            entry.working = WorkingCopy(name, entry.latest, levers, view, entry.as_of,
                                        "unwritten")
            return
        entry.working_stamp = self.copies.stamp(name)

    def _drop_working(self, entry: Entry) -> None:
        entry.working = None
        if self.copies is None:
            return
        try:
            self.copies.drop(entry.name)
        except OSError as exc:
            self.warnings.append(f"Could not remove the working copy of “{entry.name}” "
                                 f"({exc.strerror or exc}).")
        entry.working_stamp = self.copies.stamp(entry.name)

    # -- the workspace listed again ------------------------------------------------------------
    def _listing(self) -> tuple[Any, ...]:
        """The workspace's entry files and when each was written: what changes when any tab
        keeps or deletes a scenario (a stat per file, no read)."""
        folder = self.workspace.folder if self.workspace is not None else None
        try:
            with os.scandir(folder) as it:  # type: ignore[arg-type]
                return tuple(sorted((e.name, e.stat(follow_symlinks=False).st_mtime_ns)
                                    for e in it if e.name.endswith((".json", ".yaml"))))
        except (OSError, TypeError):
            return ()

    def sync(self) -> None:
        """List the workspace again (on every run): a scenario another tab kept is listed, one
        it deleted is gone (the active one too: the first scenario is shown instead, and the
        page says why), one it saved again is read again; usage lists are read again."""
        if self.workspace is None:
            return
        self._usage = {k: v for k, v in self._usage.items() if self._usage_bytes.get(k)}
        listed = self._listing()
        if listed == self._listed:
            return
        self._listed = listed
        kept, self.unreadable = self.workspace.entries()
        by_id = {k.id: k for k in kept}
        for name, entry in list(self.entries.items()):
            if entry.kind is None or entry.kept_id is None:
                continue
            k = by_id.get(entry.kept_id)
            if k is None:
                del self.entries[name]
                if self.active == name:
                    self.active = next(iter(self.entries))
                    self.entries[self.active].gen += 1
                    self.notice = (f"“{name}” was deleted in another tab; this tab shows "
                                   f"“{self.active}” now.")
            elif k.saved_at != entry.kept_at:  # saved again over there (a standard variant)
                entry.saved, entry.kept_at = k.data, k.saved_at
                if not entry.edited() or entry.working is None:
                    entry.origin = entry.latest = entry.effective = k.data
                    entry.gen += 1
        known = {e.kept_id for e in self.entries.values()}
        for k in kept:
            if k.id not in known:
                self._take_up(self.entries[self._put(k.data, k.kind, name=k.name, kept=k)])

    # -- making scenarios --------------------------------------------------------------------
    def save_variant(self, source: str, name: str | None = None, numbered: bool = False
                     ) -> str:
        """Save As: the current settings of ``source`` (levers applied) become a new scenario,
        kept and made active; ``source`` goes back to how it was saved (its working copy
        dropped), so the two can be compared.

        Raises
        ------
        PlannerError
            When ``name`` is no scenario name (control characters), saying why; nothing is
            saved then. Any other name is kept as typed: its workspace file is named from its
            letters and digits only (``../../etc/x`` is ``etc-x.yaml`` inside the folder).
        NameTaken
            When ``name`` is a scenario's already (here, or kept by another tab since) and
            ``numbered`` is False: nothing is saved; ``numbered`` saves it as
            ``name (2)``. A blank name is ``<source> variant``, numbered as needed.
        """
        problem = name_problem(name or "")
        if problem and (name or "").strip():
            raise PlannerError(f"variant name: {problem}")
        self.sync()
        typed = " ".join((name or "").split())
        chosen = typed or f"{source} variant"
        if typed and not numbered and typed in self.entries:
            raise NameTaken(typed, unique_name(typed, self.entries))
        made = self.add(self.entries[source].effective, EntryKind.VARIANT, chosen)
        self.reset(source)
        self.active = made
        return made

    def add_variants(self, source: str, variants: dict[str, Variant]) -> list[str]:
        """Variants of ``source``'s current settings, named ``source · label`` (replacing
        earlier ones of that name), kept in the workspace."""
        effective = self.entries[source].effective
        return [self.add(make(effective), EntryKind.VARIANT, f"{source} · {label}",
                         replace=True) for label, make in variants.items()]

    def delete(self, name: str) -> bool:
        """Delete a scenario made in a session, its workspace files and working copy; a
        bundled one stays. Returns False (and says why) when another tab deleted it first."""
        self.sync()
        entry = self.entries.get(name)
        if entry is None:
            self.errors.append((f"“{name}” was not deleted",
                                ["it is no longer in the workspace: another tab deleted it"]))
            return False
        if entry.kind is None:
            return False
        if entry.kept_id and self.workspace is not None:
            try:
                self.workspace.delete(entry.kept_id)
            except OSError as exc:
                self.warnings.append(f"Could not delete “{name}” from the workspace "
                                     f"({exc.strerror or exc}).")
                return False
        if self.usage_files(name):
            self.remove_usage(name)
        self._drop_working(entry)
        del self.entries[name]
        if self.active == name:
            self.active = next(iter(self.entries))
        return True

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


def levers_from(raw: dict[str, Any]) -> PortfolioLevers:
    """Portfolio levers as a working copy keeps them (their fields by name).

    Raises
    ------
    TypeError, ValueError
        A field that is not a lever's, or of the wrong kind (a share or month not a finite
        number, a model or TTL not text).
    """
    levers = PortfolioLevers(**raw)
    for name in ("batch_shift", "cache_shift", "route_share", "lands_shift", "ramp_shift"):
        value = getattr(levers, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                not math.isfinite(value):
            raise ValueError(f"levers.{name} is {value!r}, not a number")
    for name in ("lands_shift", "ramp_shift"):
        if not float(getattr(levers, name)).is_integer():
            raise ValueError(f"levers.{name} is not a whole number of months")
    for name in ("cache_ttl", "route_from", "route_to"):
        if getattr(levers, name) is not None and not isinstance(getattr(levers, name), str):
            raise ValueError(f"levers.{name} is not text")
    return PortfolioLevers(**{**raw, "lands_shift": int(levers.lands_shift),
                              "ramp_shift": int(levers.ramp_shift),
                              "batch_shift": float(levers.batch_shift),
                              "cache_shift": float(levers.cache_shift),
                              "route_share": float(levers.route_share)})


def scenario_data(scenario: Scenario) -> Data:
    """A validated scenario as the store keeps it (JSON-mode data)."""
    return scenario_to_dict(scenario)

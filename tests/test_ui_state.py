"""The page's scenario store and its workspace folder (``ui/state.py``, ``ui/workspace.py``),
driven directly: no Streamlit. A "reload" is a new store opened on the same folder, as the
page does for a new session; a "server restart" is the same (nothing else is kept)."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from forecast.scenario import scenario_to_dict
from forecast.scenario_io import load_scenario, parse_scenario
from tests.conftest import ROOT, SCENARIOS
from ui import edits, portfolio
from ui.importing import ImportRecord, next_steps, record_import
from ui.state import ScenarioStore
from ui.workspace import DEFAULT_FOLDER, ENV_VAR, EntryKind, Workspace, workspace_folder

BUNDLED = [load_scenario(p) for p in SCENARIOS]
ENTERPRISE = load_scenario(ROOT / "scenarios" / "enterprise-portfolio.yaml")
TEAM = load_scenario(ROOT / "scenarios" / "team-three-workloads.yaml")


def open_store(folder: Path) -> ScenarioStore:
    return ScenarioStore.open(BUNDLED, ENTERPRISE.name, Workspace(folder))


def renamed(name: str) -> dict:
    return {**scenario_to_dict(TEAM), "name": name}


# --------------------------------------------------------------------------- the folder
def test_the_folder_is_the_flag_then_the_variable_then_the_default(tmp_path):
    env = {ENV_VAR: str(tmp_path / "env")}
    assert workspace_folder(["--workspace", str(tmp_path / "flag")], env) == tmp_path / "flag"
    assert workspace_folder([f"--workspace={tmp_path / 'eq'}"], env) == tmp_path / "eq"
    assert workspace_folder([], env) == tmp_path / "env"
    assert workspace_folder([], {ENV_VAR: "  "}) == DEFAULT_FOLDER.expanduser()
    # Beside the user's data, never inside the package.
    assert DEFAULT_FOLDER.expanduser().is_relative_to(Path.home())
    assert not DEFAULT_FOLDER.expanduser().is_relative_to(ROOT)


def test_keep_writes_a_scenario_commitplan_reads_and_its_record(tmp_path):
    ws = Workspace(tmp_path / "ws")
    kept = ws.keep("Uploaded team", EntryKind.UPLOAD, parse_scenario(renamed("Uploaded team")),
                   source="team.yaml")
    assert sorted(p.name for p in (tmp_path / "ws").iterdir()) == [
        f"{kept.id}.json", f"{kept.id}.yaml"]  # no temporary file left behind
    assert load_scenario(tmp_path / "ws" / f"{kept.id}.yaml").name == "Uploaded team"
    meta = json.loads((tmp_path / "ws" / f"{kept.id}.json").read_text())
    assert (meta["name"], meta["kind"], meta["source"]) == ("Uploaded team", "upload",
                                                             "team.yaml")


def test_entries_come_back_in_a_new_workspace_object(tmp_path):
    Workspace(tmp_path).keep("A", EntryKind.UPLOAD, parse_scenario(renamed("A")))
    Workspace(tmp_path).keep("A/B", EntryKind.VARIANT, parse_scenario(renamed("A/B")))
    kept, unreadable = Workspace(tmp_path).entries()
    assert [(k.name, k.kind) for k in kept] == [("A", EntryKind.UPLOAD),
                                                 ("A/B", EntryKind.VARIANT)]
    assert unreadable == []
    assert len({k.id for k in kept}) == 2  # "a" and "a-b": file names stay distinct


def test_a_damaged_entry_is_listed_as_unreadable_not_raised(tmp_path):
    ws = Workspace(tmp_path)
    good = ws.keep("Good", EntryKind.UPLOAD, parse_scenario(renamed("Good")))
    bad = ws.keep("Bad", EntryKind.UPLOAD, parse_scenario(renamed("Bad")))
    (tmp_path / f"{bad.id}.yaml").write_text("name: Bad\nworkloads: []\n")
    (tmp_path / "stray.json").write_text("{not json")
    kept, unreadable = ws.entries()
    assert [k.id for k in kept] == [good.id]
    assert {u.file for u in unreadable} == {f"{bad.id}.yaml", "stray.json"}
    assert any("workloads" in u.problem for u in unreadable)


def test_delete_and_archive(tmp_path):
    ws = Workspace(tmp_path)
    a = ws.keep("A", EntryKind.UPLOAD, parse_scenario(renamed("A")))
    b = ws.keep("B", EntryKind.VARIANT, parse_scenario(renamed("B")))
    names = zipfile.ZipFile(BytesIO(ws.archive())).namelist()
    assert sorted(names) == sorted(f"commitplan-workspace/{i}{s}" for i in (a.id, b.id)
                                   for s in (".json", ".yaml"))
    ws.delete(a.id)
    assert [k.name for k in ws.entries()[0]] == ["B"]
    assert not (tmp_path / f"{a.id}.yaml").exists()


# --------------------------------------------------------------------------- the store
def test_a_new_store_opens_on_the_bundled_scenarios_and_the_kept_ones(tmp_path):
    store = open_store(tmp_path)
    assert store.names == [s.name for s in BUNDLED] and store.active == ENTERPRISE.name
    name = store.add(renamed("Uploaded team"), EntryKind.UPLOAD, source="team.yaml")
    store.activate(name)
    # A reload: a new session opens a new store on the same folder.
    again = open_store(tmp_path)
    assert again.names == [*(s.name for s in BUNDLED), "Uploaded team"]
    entry = again.entries["Uploaded team"]
    assert (entry.kind, entry.source, entry.kept) == (EntryKind.UPLOAD, "team.yaml", True)
    assert entry.saved == renamed("Uploaded team")


def test_names_stay_unique(tmp_path):
    store = open_store(tmp_path)
    first = store.add(scenario_to_dict(TEAM), EntryKind.UPLOAD)
    second = store.add(scenario_to_dict(TEAM), EntryKind.UPLOAD)
    assert (first, second) == (f"{TEAM.name} (2)", f"{TEAM.name} (3)")  # bundled one first
    assert store.entries[second].saved["name"] == second


def test_save_variant_keeps_both_and_resets_the_source(tmp_path):
    store = open_store(tmp_path)
    source = store.active
    edited = portfolio.apply_portfolio_levers(scenario_to_dict(ENTERPRISE),
                                          portfolio.PortfolioLevers(batch_shift=-1.0))
    store.record(source, scenario_to_dict(ENTERPRISE), edited,
                 portfolio.PortfolioLevers(batch_shift=-1.0))
    gen = store.entries[source].gen
    made = store.save_variant(source, "No batch")
    assert store.active == "No batch" and store.entries[made].saved == {**edited,
                                                                        "name": "No batch"}
    back = store.entries[source]
    assert back.effective == back.saved and back.levers == portfolio.PortfolioLevers()
    assert back.gen == gen + 1  # its widgets start again from how it was saved
    assert "No batch" in open_store(tmp_path).names


def test_standard_variants_replace_the_earlier_ones_of_their_name(tmp_path):
    store = open_store(tmp_path)
    variants = {name: edit for name, (edit, _why) in edits.STANDARD_VARIANTS.items()}
    made = store.add_variants(store.active, variants)
    again = store.add_variants(store.active, variants)
    assert made == again == [f"{ENTERPRISE.name} · {label}" for label in variants]
    assert len(Workspace(tmp_path).entries()[0]) == 3  # rewritten in place, not added


def test_widget_keys_belong_to_the_scenario_and_its_generation(tmp_path):
    store = open_store(tmp_path)
    assert store.key("lever_batch") == f"{ENTERPRISE.name}|0|lever_batch"
    # The widgets' last valid edit; leaving the scenario folds it into where they start
    # from, under new keys (the old widgets' state is dropped when they are not drawn).
    edited = {**scenario_to_dict(ENTERPRISE), "horizon_months": 24}
    store.record(ENTERPRISE.name, edited, edited, portfolio.PortfolioLevers())
    store.activate(TEAM.name)
    assert store.key("lever_batch") == f"{TEAM.name}|0|lever_batch"
    store.activate(ENTERPRISE.name)
    assert store.entries[ENTERPRISE.name].origin["horizon_months"] == 24
    assert store.key("lever_batch") == f"{ENTERPRISE.name}|1|lever_batch"


def test_delete_removes_a_kept_scenario_not_a_bundled_one(tmp_path):
    store = open_store(tmp_path)
    name = store.add(renamed("Gone soon"), EntryKind.UPLOAD)
    store.activate(name)
    store.delete(ENTERPRISE.name)  # bundled: stays
    store.delete(name)
    assert name not in store.names and ENTERPRISE.name in store.names
    assert store.active in store.names
    assert name not in open_store(tmp_path).names


def test_an_unwritable_workspace_keeps_the_scenario_for_the_session(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    store = ScenarioStore.open(BUNDLED, ENTERPRISE.name, Workspace(tmp_path / "file" / "ws"))
    name = store.add(renamed("Here for now"), EntryKind.UPLOAD)
    assert name in store.names and not store.entries[name].kept
    assert store.warnings and "for this session only" in store.warnings[0]


# --------------------------------------------------------------------------- usage to date
def test_usage_is_kept_per_scenario_by_content_and_listed_again(tmp_path):
    ws = Workspace(tmp_path)
    kept = ws.keep_usage("Acme signed", [("jan.csv", b"a"), ("../../feb.csv", b"bb")])
    assert [(f.name, f.size) for f in kept] == [("jan.csv", 1), ("../../feb.csv", 2)]
    # sha256 of b"a", the well-known test vector.
    assert kept[0].digest == ("ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72"
                              "b9807785afee48bb")
    folder = ws.tracking_folder("Acme signed")
    assert folder.parent == tmp_path / "tracking"  # the name reaches no other folder
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["files.json", *(f"{f.digest}.usage" for f in kept)])
    again = Workspace(tmp_path)
    assert again.usage_files("Acme signed") == kept
    assert [again.usage_content("Acme signed", f) for f in kept] == [b"a", b"bb"]
    assert again.usage_files("Another") == []
    # Two names that read alike as file names keep apart.
    assert ws.tracking_folder("a b") != ws.tracking_folder("a-b")
    # Scenarios are listed as before: the tracking folder is not an entry.
    assert ws.entries() == ([], [])


def test_a_file_of_the_same_name_replaces_the_one_kept(tmp_path):
    ws = Workspace(tmp_path)
    ws.keep_usage("S", [("jan.csv", b"old"), ("feb.csv", b"feb")])
    kept = ws.keep_usage("S", [("jan.csv", b"newer")])
    assert [(f.name, f.size) for f in kept] == [("feb.csv", 3), ("jan.csv", 5)]
    assert ws.usage_content("S", kept[1]) == b"newer"
    assert sorted(p.name for p in ws.tracking_folder("S").iterdir()) == sorted(
        ["files.json", *(f"{f.digest}.usage" for f in kept)])  # the old bytes are gone
    left = ws.delete_usage("S", ["feb.csv"])
    assert [f.name for f in left] == ["jan.csv"]
    assert sorted(p.name for p in ws.tracking_folder("S").iterdir()) == sorted(
        ["files.json", f"{kept[1].digest}.usage"])  # the bytes nobody lists are gone
    assert ws.delete_usage("S") == [] and not ws.tracking_folder("S").exists()


def test_the_archive_holds_the_usage_kept(tmp_path):
    ws = Workspace(tmp_path)
    kept = ws.keep_usage("S", [("jan.csv", b"a")])
    stem = ws.tracking_folder("S").name
    names = zipfile.ZipFile(BytesIO(ws.archive())).namelist()
    assert sorted(names) == sorted([
        f"commitplan-workspace/tracking/{stem}/files.json",
        f"commitplan-workspace/tracking/{stem}/{kept[0].digest}.usage"])


def test_the_store_keeps_usage_across_a_reload_and_forgets_it_with_the_scenario(tmp_path):
    store = open_store(tmp_path)
    store.add_usage(ENTERPRISE.name, [("jan.csv", b"a")])
    name = store.add(renamed("Uploaded team"), EntryKind.UPLOAD)
    store.add_usage(name, [("feb.csv", b"b")])
    assert store.usage_in_workspace(ENTERPRISE.name)
    again = open_store(tmp_path)
    assert again.usage_sources(ENTERPRISE.name) == [("jan.csv", b"a")]
    assert again.usage_sources(name) == [("feb.csv", b"b")]
    again.delete(name)
    assert open_store(tmp_path).usage_files(name) == []
    again.remove_usage(ENTERPRISE.name, ["jan.csv"])
    assert again.usage_files(ENTERPRISE.name) == []
    assert open_store(tmp_path).usage_files(ENTERPRISE.name) == []


def test_usage_the_workspace_cannot_keep_is_kept_for_the_session(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    store = ScenarioStore.open(BUNDLED, ENTERPRISE.name, Workspace(tmp_path / "file" / "ws"))
    store.add_usage(ENTERPRISE.name, [("jan.csv", b"a")])
    assert store.usage_sources(ENTERPRISE.name) == [("jan.csv", b"a")]
    assert store.warnings and "for this session only" in store.warnings[0]
    assert not store.usage_in_workspace(ENTERPRISE.name)
    no_workspace = ScenarioStore.open(BUNDLED, ENTERPRISE.name)
    no_workspace.add_usage(ENTERPRISE.name, [("jan.csv", b"a"), ("jan.csv", b"b")])
    assert no_workspace.usage_sources(ENTERPRISE.name) == [("jan.csv", b"b")]


# --------------------------------------------------------------------------- imports
USAGE = ROOT / "tests" / "fixtures" / "usage"


@pytest.fixture(scope="module")
def usage_import():
    from forecast.usage import import_usage

    pages = sorted(USAGE.glob("admin-2026-0?.json"))
    return import_usage([(p.name, p.read_bytes()) for p in pages])


def test_an_import_is_kept_with_its_report(tmp_path, usage_import):
    """tests/fixtures/usage (its README works the figures): three months, 2026-02 96%
    covered and scaled; the total list cost 84.50, 92.19, 104.30 a month."""
    record = record_import(usage_import)
    assert record.months.startswith("2026-01 to 2026-03 (3 months)")
    assert "2026-02 96% covered" in record.months
    assert record.files == ["admin-2026-01.json", "admin-2026-02.json", "admin-2026-03.json"]
    by_group = {g.group: g for g in record.groups}
    # wrkspc_chat: 61.50 + 69.38 + 72.30 = 203.18 over the months used (from the report).
    assert by_group["wrkspc_chat"].list_cost == pytest.approx(61.50 + 69.38 + 72.30, abs=0.01)
    assert by_group["Default workspace"].growth_low is None  # not fitted: one month of use
    assert record.total_low < record.total_growth < record.total_high
    store = open_store(tmp_path)
    name = store.add(scenario_to_dict(usage_import.scenario), EntryKind.IMPORT,
                     record=record)
    again = open_store(tmp_path).entries[name]
    assert again.record == record and again.kind == EntryKind.IMPORT
    assert ImportRecord.from_dict(record.to_dict()) == record


def test_the_next_step_after_an_import(usage_import):
    """An import is today's usage: no optimized lever, no tier; each step is done once set."""
    scenario = usage_import.scenario
    assert [s.done for s in next_steps(scenario, levers_moved=False)] == [False, False]
    assert [s.done for s in next_steps(scenario, levers_moved=True)] == [True, False]
    data = scenario_to_dict(scenario)
    data["contract"]["discount_tiers"] = [{"min_annual_commit": 1000, "discount": 0.05}]
    data["workloads"][0]["optimized"] = {"batch_share": 0.0, "cache_hit_rate": 0.5}
    assert [s.done for s in next_steps(parse_scenario(data), levers_moved=False)] == [
        True, True]

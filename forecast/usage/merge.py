"""Merging usage files so that every usage line counts once, keyed on the usage itself.

A *usage line* is a bucket's usage for one combination of grouping fields (model, service
tier, workspace, API key, context window, region, speed, product). Files are compared by
content, never by name: the same file given twice, or two uploads with one name, are two
copies of the same lines.

- Files of one format that state the same grouping fields (the same *grain*): a line found
  in several of them counts once, the copy with the most tokens (a later export of a day
  still in progress holds more); lines found in one file only add up (exports split by
  workspace or API key).
- Files of different formats or grains covering the same buckets (a Console CSV beside JSON
  pages, a page grouped by workspace beside one that is not): their usage is compared at the
  detail both carry, leaving out fields whose values never match (workspace names in a CSV,
  workspace ids in JSON). Equal within a token: the same usage, counted once (the finer
  file's lines are kept). Different: the set cannot be de-duplicated safely, and the import
  is refused, naming the files and the months.
- Buckets that overlap without being the same bucket (a daily and an hourly export of one
  day) are refused: summing them would double-count.

Models must be resolved to the price book's ids before merging, so that a display name in
a CSV (``Claude Sonnet 4.5``) matches a dated id in JSON (``claude-sonnet-4-5-20250929``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.errors import ImportUsageError
from forecast.usage.records import GROUP_FIELDS, ROW_COLUMNS, TOKEN_CLASSES, UsageRecords

_NULL = "\x00null"  # groupby drops NaN keys: nulls are spelled out while grouping
#: Two copies of a line are the same usage when each token class agrees within this.
TOKEN_TOLERANCE = 0.5


@dataclass
class _Class:
    """Files of one format and grain, merged among themselves."""

    grain: frozenset[str]
    lines: pd.DataFrame
    covered: set[tuple[np.datetime64, np.datetime64]]
    sources: list[str]
    #: The files of the class that hold each bucket (start, end), for the messages.
    holders: dict[tuple[pd.Timestamp, pd.Timestamp], list[str]]


def merge_records(parts: list[UsageRecords]) -> tuple[UsageRecords, int]:
    """Merge the records of several files, counting every usage line once.

    Returns
    -------
    (UsageRecords, int)
        The merged records and the number of duplicate usage lines left out.

    Raises
    ------
    ImportUsageError
        When buckets overlap without being the same, or files of different grains disagree
        on the same buckets (naming the files and the months).
    """
    buckets, lines = _combine(parts)
    if buckets.empty:
        raise ImportUsageError("no usage buckets: every page has an empty data[]")
    _check_overlaps(buckets.drop_duplicates(["start", "end"]).sort_values(
        ["start", "end"], kind="stable"))
    classes = _classes(parts, buckets, lines)
    duplicates = sum(c.lines.attrs.pop("dropped", 0) for c in classes)
    acc = classes[0]
    conflicts: list[str] = []
    for cls in classes[1:]:
        shared = acc.covered & cls.covered
        keep_new = cls.lines
        if shared:
            in_shared = _in_buckets(cls.lines, shared)
            problem = _compare(acc, cls, shared)
            if problem:
                conflicts.append(problem)
            duplicates += int(in_shared.sum())
            keep_new = cls.lines[~in_shared]
        holders = {key: list(names) for key, names in acc.holders.items()}
        for key, names in cls.holders.items():
            holders.setdefault(key, []).extend(n for n in names if n not in holders[key])
        acc = _Class(acc.grain & cls.grain, pd.concat([acc.lines, keep_new]),
                     acc.covered | cls.covered, acc.sources + cls.sources, holders)
    if conflicts:
        raise ImportUsageError(
            "these files cover the same days with different usage, so the set cannot be "
            "de-duplicated safely:\n" + "\n".join(f"  - {c}" for c in conflicts)
            + "\nimport one source per period (or files of one export split by workspace "
            "or API key)")
    kept = acc.lines.sort_values(["bucket", "item"], kind="stable")
    for name in GROUP_FIELDS:
        column = kept[name].astype(object)
        kept[name] = column.where((column != _NULL) & column.notna(), None)
    merged = UsageRecords(kept[ROW_COLUMNS].reset_index(drop=True), buckets)
    return merged, duplicates


def _combine(parts: list[UsageRecords]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All buckets (with their part) and all lines (with bucket times and part)."""
    rows, buckets, offset = [], [], 0
    for p, part in enumerate(parts):
        rows.append(part.rows.assign(bucket=part.rows["bucket"] + offset, part=p))
        buckets.append(part.buckets.set_axis(part.buckets.index + offset).assign(part=p))
        offset += len(part.buckets)
    all_buckets = pd.concat(buckets) if buckets else pd.DataFrame(
        columns=["source", "part", "label", "start", "end"])
    lines = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=[*ROW_COLUMNS, "part"])
    lines = lines.join(all_buckets[["start", "end"]], on="bucket")
    for name in GROUP_FIELDS:
        lines[name] = lines[name].astype(object).where(lines[name].notna(), _NULL)
    return all_buckets, lines


def _classes(parts: list[UsageRecords], buckets: pd.DataFrame, lines: pd.DataFrame
             ) -> list[_Class]:
    """Files grouped by (format, grain), each merged by the most-tokens rule; finest first."""
    groups: dict[tuple, list[int]] = {}
    for p, part in enumerate(parts):
        groups.setdefault((part.fmt, part.carried), []).append(p)
    out = []
    for (_, grain), members in groups.items():
        mine = lines[lines["part"].isin(members)]
        keys = ["start", "end", *GROUP_FIELDS]
        grouped = mine.groupby([*keys, "part"], sort=False, dropna=False)
        # min_count=1: requests stay NaN where a format has none (tokens are never NaN).
        per_file = grouped[[*TOKEN_CLASSES, "requests"]].sum(min_count=1).join(
            grouped[["bucket", "item"]].first()).reset_index()
        size = per_file[list(TOKEN_CLASSES)].sum(axis=1)
        kept = per_file.loc[size.sort_values(ascending=False, kind="stable").index]
        kept = kept.drop_duplicates(keys)
        kept.attrs["dropped"] = len(per_file) - len(kept)
        owned = buckets[buckets["part"].isin(members)]
        covered = set(zip(owned["start"].to_numpy(), owned["end"].to_numpy(), strict=True))
        sources = list(dict.fromkeys(parts[p].buckets["source"].iloc[0] if len(
            parts[p].buckets) else f"file {p + 1}" for p in members))
        holders: dict[tuple[pd.Timestamp, pd.Timestamp], list[str]] = {}
        for start, end, source in zip(owned["start"], owned["end"], owned["source"],
                                      strict=True):
            names = holders.setdefault((pd.Timestamp(start), pd.Timestamp(end)), [])
            if source not in names:
                names.append(source)
        out.append(_Class(grain, kept, covered, sources, holders))
    order = sorted(range(len(out)), key=lambda i: -len(out[i].grain))
    return [out[i] for i in order]


def _in_buckets(lines: pd.DataFrame, covered: set) -> np.ndarray:
    pairs = list(zip(lines["start"].to_numpy(), lines["end"].to_numpy(), strict=True))
    return np.array([pair in covered for pair in pairs], dtype=bool)


def _compare(acc: _Class, cls: _Class, shared: set) -> str | None:
    """Compare two sets of lines on their shared buckets at the detail both carry.

    Returns a line naming the files and the months where they differ, or None when they
    agree within :data:`TOKEN_TOLERANCE` per token class.
    """
    a = acc.lines[_in_buckets(acc.lines, shared)]
    b = cls.lines[_in_buckets(cls.lines, shared)]
    fields = []
    for name in sorted(acc.grain & cls.grain, key=GROUP_FIELDS.index):
        va, vb = set(a[name]) - {_NULL}, set(b[name]) - {_NULL}
        if va and vb and not va & vb:
            continue  # labels that never match (names against ids): not comparable
        fields.append(name)
    keys = ["start", "end", *fields]
    sa = a.groupby(keys, sort=True)[list(TOKEN_CLASSES)].sum()
    sb = b.groupby(keys, sort=True)[list(TOKEN_CLASSES)].sum()
    # Every shared bucket takes part, with zero usage where a side has no line in it.
    joined = sa.add_suffix("_a").join(sb.add_suffix("_b"), how="outer").fillna(0.0)
    diff = np.zeros(len(joined), dtype=bool)
    for c in TOKEN_CLASSES:
        diff |= np.abs(joined[f"{c}_a"] - joined[f"{c}_b"]).to_numpy() > TOKEN_TOLERANCE
    if not diff.any():
        return None
    bad = joined[diff]
    months = sorted({str(s)[:7] for s in bad.index.get_level_values("start")})
    first = bad.index[0]
    detail = ", ".join(f"{f} {v}" for f, v in zip(fields, first[2:], strict=True)
                       if v != _NULL)
    total_a = float(bad.iloc[0][[f"{c}_a" for c in TOKEN_CLASSES]].sum())
    total_b = float(bad.iloc[0][[f"{c}_b" for c in TOKEN_CLASSES]].sum())
    grain = ", ".join(fields) or "total usage"
    # The example's figures are quoted from the files that hold its bucket (a set of
    # monthly files holds a day in one of them only).
    bucket = (pd.Timestamp(first[0]), pd.Timestamp(first[1]))
    in_b = " and ".join(cls.holders.get(bucket) or cls.sources[:1])
    in_a = " and ".join(acc.holders.get(bucket) or acc.sources[:1])
    return (f"{', '.join(cls.sources)} and {', '.join(acc.sources)} both cover "
            f"{', '.join(months)}, compared by {grain}: e.g. {str(first[0])[:16]}"
            f"{' ' + detail if detail else ''}: {total_b:,.0f} tokens in "
            f"{in_b}, {total_a:,.0f} in {in_a}")


def _check_overlaps(buckets: pd.DataFrame) -> None:
    """Error on the first bucket that starts before an earlier one ends (sorted by start)."""
    starts, ends = buckets["start"].to_numpy(), buckets["end"].to_numpy()
    reach = np.maximum.accumulate(ends)
    clash = np.flatnonzero(starts[1:] < reach[:-1])
    if clash.size:
        later = clash[0] + 1
        earlier = np.flatnonzero(ends[:later] > starts[later])[0]
        a, b = buckets.iloc[earlier], buckets.iloc[later]
        raise ImportUsageError(
            f"{b['source']}: {b['label']} overlaps {a['source']}: {a['label']} without being "
            "the same bucket; summing both would count that usage twice (a daily and an "
            "hourly export of the same days?); import one width per period"
        )

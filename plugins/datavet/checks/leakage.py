"""The ``leakage`` check: the same data in two splits (or twice in one), exact and near.

A test image that is also in train (or a resized, recompressed copy of it) inflates every score;
copies of one group's images inflate that group. Compared, from the shared value counts of
(split, file_md5, image_phash, labels..., row columns...):

- **rows** by content: every column but the split (a tabular source), or the spec's ``key`` columns;
- **files** by content md5 (a tree of files);
- **near-duplicate images** by 64-bit pHash within ``near_duplicate_distance`` bits (default 4),
  found by multi-index hashing (datavet.figures.near_duplicates), never by comparing all pairs; a
  near-duplicate is a file with *other* content whose pHash is that close (equal pHash included).

With ``split_column`` (a column naming each row's split, e.g. a group of ``labels_from_path``) a row
or file is *shared* when its content (or a near copy) is also in another split; ``within`` gives the
duplicates inside each split. Without it, *shared* means repeated within the dataset. ``labels``:
groups of copies and near copies (joined transitively) whose label values differ are conflicts
(counted, never quoted).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import Field

from datavet.checks.base import CheckType, SuiteContext, expectation
from datavet.checks.limits import Count, Severity, Strict
from datavet.figures.near_duplicates import MAX_DISTANCE, clusters, distinct, near_pairs, parse_hashes
from datavet.figures.outcome import Outcome, check_max
from datavet.figures.tables import value_counts
from datavet.figures.values import is_missing, label
from datavet.privacy.declare import cell

NAME = "leakage"
MD5, PHASH = "file_md5", "image_phash"
COUNTS = ("shared_rows", "shared_files", "near_duplicate_files")
_CELL = "\x00leakage"  # a pseudo-column: the cells of this check's counts


class LeakageSpec(Strict):
    """Rows, files and near-duplicate images shared between splits (or repeated within the dataset)."""

    split_column: str | None = Field(
        default=None, description="Column naming each row's split (default: `split` for a source.splits spec); "
                                  "without one, copies within the dataset count.")
    key: list[str] | None = Field(
        default=None, description="Columns that identify a row (default: every column but the split; a tree "
                                  "of files compares rows only with a key).")
    labels: list[str] = Field(default_factory=list, description="Label columns whose conflicts among copies "
                                                                "and near copies are reported.")
    near_duplicate_distance: int = Field(default=4, ge=0, le=MAX_DISTANCE,
                                         description="Largest pHash Hamming distance (bits) of near-duplicates.")
    max_shared_rows: Count | None = Field(default=0, description="Rows whose content is in another split.")
    max_shared_files: Count | None = Field(default=0, description="Files whose md5 is in another split.")
    max_near_duplicate_files: Count | None = Field(
        default=0, description="Files with a near-duplicate image of other content in another split.")
    severity: Severity = "error"


def _shared(records: list[tuple[Any, Any, int]], by_split: bool) -> tuple[int, dict[Any, int]]:
    """(rows whose content is elsewhere, {split: rows whose content repeats inside it}) from
    (split, content, rows) records; without splits every record has split None."""
    splits: dict[Any, set] = defaultdict(set)
    totals: dict[tuple[Any, Any], int] = defaultdict(int)
    for s, content, n in records:
        splits[content].add(s)
        totals[(s, content)] += n
    shared = sum(n for (s, content), n in totals.items() if len(splits[content]) > 1) if by_split else \
        sum(n for n in totals.values() if n > 1)
    within = {s: 0 for s in {s for s, _, _ in records}}
    for (s, _content), n in totals.items():
        if n > 1:
            within[s] += n
    return shared, within


def leakage(table: dict[str, Any], tokens: list[str], *, split_column: str | None = None, files: bool = False,
            labels: list[str] | None = None, row_columns: list[str] | None = None, distance: int = 4,
            max_shared_rows: int | None = None, max_shared_files: int | None = None,
            max_near_duplicate_files: int | None = None) -> Outcome:
    """Figures from the value counts of ``table`` (columns: split?, file_md5 and image_phash if ``files``,
    ``labels``, ``row_columns``). A missing split value is its own split ``<missing>``."""
    cols = list(table["columns"])
    at = {c: i for i, c in enumerate(cols)}
    labels, row_columns = list(labels or []), list(row_columns or [])
    by_split = split_column is not None
    recs = []
    for key, n in value_counts(table).items():
        s = None if not by_split else ("<missing>" if is_missing(key[at[split_column]], tokens)
                                       else label(key[at[split_column]]))
        recs.append((s, key, n))
    o: dict[str, Any] = {"splits": sorted({s for s, _, _ in recs}) if by_split else None,
                         "shared_rows": None, "shared_files": None, "near_duplicate_files": None,
                         "label_conflicts": None, "label_conflict_files": None}
    within: dict[Any, dict[str, int]] = defaultdict(dict)
    out = Outcome(o)
    if row_columns:
        rows = [(s, tuple(key[at[c]] for c in row_columns), n) for s, key, n in recs]
        o["shared_rows"], w = _shared(rows, by_split)
        for s, v in w.items():
            within[s]["duplicate_rows"] = v
    else:
        out.notes.append("rows are not compared: a tree of files is compared by content (set key: to compare rows)")
    if files:
        file_recs = [(s, key[at[MD5]], key[at[PHASH]], tuple(key[at[c]] for c in labels), n) for s, key, n in recs]
        o["shared_files"], w = _shared([(s, m, n) for s, m, _, _, n in file_recs], by_split)
        for s, v in w.items():
            within[s]["duplicate_files"] = v
        near, near_within, conflicts, conflict_files = _near(file_recs, distance, by_split, tokens)
        o["near_duplicate_files"], o["label_conflicts"], o["label_conflict_files"] = near, conflicts, conflict_files
        for s in w:
            within[s]["near_duplicate_files"] = near_within.get(s, 0)
        if not labels:
            o["label_conflicts"] = o["label_conflict_files"] = None
    if by_split:
        o["within"] = {str(s): within[s] for s in sorted(within)}
    o["near_duplicate_distance"] = distance if files else None
    for name, limit in zip(COUNTS, (max_shared_rows, max_shared_files, max_near_duplicate_files), strict=True):
        check_max(out, name, o[name], f"max_{name}", limit if o[name] is not None else None, count=True)
    if o["label_conflicts"]:
        out.notes.append(f"{o['label_conflicts']} group(s) of copies or near copies carry different labels "
                         f"({o['label_conflict_files']} files): one image, two answers")
    return out


def _near(recs: list[tuple[Any, str, Any, tuple, int]], distance: int, by_split: bool, tokens: list[str]
          ) -> tuple[int, dict[Any, int], int, int]:
    """(files with a near copy of other content elsewhere, {split: such files inside it}, conflicting
    groups, files in them) from (split, md5, phash, labels, rows) records."""
    hashed = [r for r in recs if r[2] is not None]
    values = distinct(parse_hashes(r[2] for r in hashed)) if hashed else parse_hashes([])
    index = {int(v): i for i, v in enumerate(values.tolist())}
    i, j, _ = near_pairs(values, distance)
    neighbours: dict[int, list[int]] = defaultdict(list)
    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        neighbours[a].append(b)
        neighbours[b].append(a)
    members: dict[int, list[tuple[str, Any]]] = defaultdict(list)  # hash value -> (md5, split) present
    for s, m, h, _, _ in hashed:
        members[index[int(h, 16)]].append((m, s))
    near = 0
    near_within: dict[Any, int] = defaultdict(int)
    for s, m, h, _, n in hashed:
        v = index[int(h, 16)]
        others = [(m2, s2) for u in (v, *neighbours[v]) for m2, s2 in members[u] if m2 != m]
        if any(s2 != s for _, s2 in others) or (not by_split and others):
            near += n
        if by_split and any(s2 == s for _, s2 in others):
            near_within[s] += n
    # groups: md5s joined by equal content or near hashes; conflicting when a label has two values
    md5s = sorted({r[1] for r in recs})
    md5_at = {m: k for k, m in enumerate(md5s)}
    ei, ej = [], []
    for v, ms in members.items():
        for u in (v, *neighbours[v]):
            for m2, _ in members[u]:
                ei.append(md5_at[ms[0][0]])
                ej.append(md5_at[m2])
    import numpy as np

    group = clusters(len(md5s), np.array(ei, dtype=np.int64), np.array(ej, dtype=np.int64))
    seen: dict[int, list[set]] = {}
    size: dict[int, int] = defaultdict(int)
    for _s, m, _h, labs, n in recs:
        g = int(group[md5_at[m]])
        size[g] += n
        sets = seen.setdefault(g, [set() for _ in labs])
        for k, value in enumerate(labs):
            if not is_missing(value, tokens):
                sets[k].add(label(value))
    bad = [g for g, sets in seen.items() if any(len(x) > 1 for x in sets)]
    return near, dict(near_within), len(bad), sum(size[g] for g in bad)


class Leakage(CheckType):
    per_split = False  # it compares the splits itself
    name = NAME
    expectation_type = "expect_splits_to_not_leak"
    expectation_module = "datavet.gx.expectations.expect_splits_to_not_leak"
    limit_keys = tuple(f"max_{c}" for c in COUNTS)
    spec_key = NAME
    reads_image_content = True
    spec_annotation = LeakageSpec | None
    spec_is_list = False

    def configurations(self, checks: Any, ctx: SuiteContext) -> list[dict[str, Any]]:
        lk: LeakageSpec | None = checks.leakage
        if lk is None:
            return []
        from datavet.splits import default_split_column

        files = ctx.loaded.spec.source.has_files
        split_column = lk.split_column or default_split_column(ctx.loaded.spec)
        if lk.key is not None:
            row_columns = list(lk.key)
        elif files:
            row_columns = []
        else:
            row_columns = [c for c in ctx.columns if c != split_column]
        return [expectation(self, lk.severity, split_column=split_column, files=files, labels=lk.labels,
                            row_columns=row_columns, near_duplicate_distance=lk.near_duplicate_distance,
                            max_shared_rows=lk.max_shared_rows, max_shared_files=lk.max_shared_files,
                            max_near_duplicate_files=lk.max_near_duplicate_files)]

    def columns(self, checks: Any) -> set[str]:
        lk: LeakageSpec | None = checks.leakage
        if lk is None:
            return set()
        return {*([lk.split_column] if lk.split_column else []), *(lk.key or []), *lk.labels}

    def problems(self, spec: Any) -> list[str]:
        lk: LeakageSpec | None = spec.checks.leakage
        if lk is not None and lk.split_column in spec.private_columns:
            return [f"leakage.split_column {lk.split_column!r} is identifying or sensitive: its values (the split "
                    "names) would be published; use a column of split names"]
        return []

    def subject(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {"column": kwargs.get("split_column"), "columns": kwargs.get("row_columns") or None, "by": None}

    def declare(self, result: Any, t: Any) -> None:
        """Each count is a cell of its own (copies of a person's row or photo are rows of people)."""
        o = result.observed
        for name in (*COUNTS, "label_conflicts", "label_conflict_files"):
            t.count((name,), cell((_CELL, name)), o.get(name))
        for s, figures in (o.get("within") or {}).items():
            for name, n in figures.items():
                t.count(("within", s, name), cell((_CELL, f"{s}:{name}")), n)

    def metrics(self, result: Any, out: dict[str, Any]) -> None:
        out["leakage"] = {k: result.observed.get(k) for k in (*COUNTS, "label_conflicts")}

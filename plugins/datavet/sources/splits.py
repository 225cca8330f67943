"""Named splits (train, validation, test, ...), each read by its own source, kept as ONE version.

The version is a DVC directory output (one ``.dir`` md5, so one certificate and one tag cover every
split). It holds one member per split, written by that split's own source: ``<split>.parquet`` for a
table (a file, a Parquet folder or SQL), or the folder ``<split>/`` for a tree of files (its
``files/``, ``table.parquet`` and ``integrity.json``, as a tree version lays them out). Beside the
members: ``table.parquet``, the rows of every split with a ``split`` column naming each row's split
(what the checks read: one scan covers the whole and each split), ``splits.json`` (the members and
their rows) and, for trees, ``integrity.json`` (the splits' file counts added up, for the files
check). Every split must have the same columns, of the same types.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq

from datavet.errors import DataError, DatavetError
from datavet.registry import dvctree
from datavet.sources.base import TABLE_FILE
from datavet.splits import SPLIT_COLUMN

if TYPE_CHECKING:  # pragma: no cover
    from datavet.settings import Settings
    from datavet.sources.files import TreeMaterialised
    from datavet.spec import LoadedSpec

SPLITS_FILE = "splits.json"


def split_loaded(loaded: LoadedSpec, name: str) -> LoadedSpec:
    """The spec as one split's own source sees it: that split as its source, no checks (the checks run on
    the whole version, which has the ``split`` column a split's own table lacks)."""
    from datavet.spec import ChecksSpec

    split = loaded.spec.source.splits[name]  # type: ignore[index]
    spec = loaded.spec.model_copy(update={"source": split, "checks": ChecksSpec()})
    return loaded.model_copy(update={"spec": spec})


def member_of(name: str, tree: bool) -> str:
    """Where a split's data lies inside the version: a Parquet file, or a tree's folder."""
    return f"{name}/" if tree else f"{name}.parquet"


class SplitsSource:
    kind: ClassVar[str] = "splits"

    def __init__(self, loaded: LoadedSpec, settings: Settings) -> None:
        self.loaded = loaded
        self.settings = settings
        self.spec = loaded.spec
        self.names = list(loaded.spec.source.splits or {})
        self.tree = loaded.spec.source.has_files

    def _source(self, name: str):
        from datavet.checks.registry import reads_image_content
        from datavet.sources import source_for

        source = source_for(split_loaded(self.loaded, name), self.settings)
        if hasattr(source, "inside"):  # a tree: image content facts when the whole's checks read them
            source.inside = reads_image_content(self.spec.checks)
        return source

    def columns(self) -> list[str]:
        columns = self._source(self.names[0]).columns()
        return [*columns, SPLIT_COLUMN]

    def materialise(self, staging: Path) -> TreeMaterialised:
        from datavet.sources.files import INTEGRITY_FILE, TreeMaterialised
        from datavet.sources.table import check_columns_exist

        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        entries: list[dvctree.Entry] = []
        staged: set[str] = set()
        tables: dict[str, Path] = {}
        integrity: dict[str, dict] = {}
        try:
            for name in self.names:
                made = self._materialise_split(name, staging)
                if made.rows == 0:
                    raise DataError(f"split {name!r} has no rows; an empty split is never certified",
                                    dataset=self.spec.name, fix=f"check source.splits.{name} names the full data")
                if self.tree:
                    prefix = f"{name}/"
                    entries += [dvctree.Entry(prefix + e.relpath, e.md5) for e in made.entries]  # type: ignore[attr-defined]
                    staged |= {prefix + rel for rel in made.staged}  # type: ignore[attr-defined]
                    integrity[name] = made.integrity  # type: ignore[attr-defined]
                    tables[name] = staging / name / TABLE_FILE
                else:
                    member = staging / member_of(name, False)
                    made.table.rename(member)
                    shutil.rmtree(staging / f".{name}", ignore_errors=True)
                    entries.append(dvctree.Entry(member.name, made.md5))
                    staged.add(member.name)
                    tables[name] = member
            schema = self._same_columns(tables)
            rows = _write_whole(tables, schema, staging / TABLE_FILE)
            check_columns_exist(self.loaded, [*schema.names, SPLIT_COLUMN])
            listing = {"column": SPLIT_COLUMN, "splits": {
                name: {"member": member_of(name, self.tree), "rows": n} for name, n in rows.items()}}
            (staging / SPLITS_FILE).write_text(json.dumps(listing, indent=2, sort_keys=True) + "\n")
            written = [TABLE_FILE, SPLITS_FILE]
            merged: dict = {}
            if self.tree:
                merged = merge_integrity(integrity)
                (staging / INTEGRITY_FILE).write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
                written.append(INTEGRITY_FILE)
            entries += dvctree.entries_of_files(staging, written)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)  # nothing half-written
            raise
        return TreeMaterialised(path=staging, md5=dvctree.tree_md5(entries), rows=sum(rows.values()),
                                table=staging / TABLE_FILE, entries=entries, integrity=merged,
                                staged=frozenset(staged | set(written)))

    def _materialise_split(self, name: str, staging: Path):
        """One split through its own source; any bad input is named with the split it is in."""
        where = staging / (name if self.tree else f".{name}")
        try:
            return self._source(name).materialise(where)
        except DatavetError as exc:
            exc.message = f"split {name!r}: {exc.message}"
            exc.args = (f"split {name!r}: {exc.args[0]}",) if exc.args else exc.args
            raise

    def _same_columns(self, tables: dict[str, Path]) -> pa.Schema:
        """The first split's schema, which every other split must have (names, order and types)."""
        first = self.names[0]
        schema = pq.read_schema(tables[first]).remove_metadata()
        if SPLIT_COLUMN in schema.names:
            raise DataError(f"split {first!r} already has a column {SPLIT_COLUMN!r}; a splits version adds it",
                            dataset=self.spec.name, column=SPLIT_COLUMN,
                            fix=f"rename or drop that column in the source of split {first!r}")
        for name in self.names[1:]:
            other = pq.read_schema(tables[name]).remove_metadata()
            missing = [c for c in schema.names if c not in other.names]
            extra = [c for c in other.names if c not in schema.names]
            if missing or extra:
                column = (missing or extra)[0]
                raise DataError(f"split {name!r} {'lacks' if missing else 'has'} column {column!r} "
                                f"({'in' if missing else 'not in'} split {first!r}); every split must have the same "
                                "columns", dataset=self.spec.name, column=column,
                                fix=f"make source.splits.{name} give the columns of {first!r} ({schema.names})")
            for column in schema.names:
                if other.field(column).type != schema.field(column).type:
                    raise DataError(f"split {name!r} holds column {column!r} as {other.field(column).type}, split "
                                    f"{first!r} as {schema.field(column).type}; every split must have the same "
                                    "types", dataset=self.spec.name, column=column,
                                    fix="make the column hold the same kind of values in every split (e.g. a "
                                        "number in each, or text in each)")
            if other.names != schema.names:
                raise DataError(f"split {name!r} has the columns of {first!r} in another order ({other.names})",
                                dataset=self.spec.name, column=other.names[0],
                                fix=f"give source.splits.{name} its columns in the order {schema.names}")
        return schema


def _write_whole(tables: dict[str, Path], schema: pa.Schema, out: Path) -> dict[str, int]:
    """Every split's rows with a ``split`` column, streamed batch by batch (memory stays bounded),
    each batch one row group (datavet.sources.parts.write_groups); returns the rows per split. The
    same members always give the same bytes."""
    from datavet.sources.parts import ROW_GROUP_ROWS, write_groups

    whole = schema.append(pa.field(SPLIT_COLUMN, pa.string()))
    rows: dict[str, int] = {}

    def groups():
        for name, path in tables.items():
            rows[name] = 0
            for batch in pq.ParquetFile(path).iter_batches(batch_size=ROW_GROUP_ROWS):
                rows[name] += batch.num_rows
                yield pa.Table.from_batches([pa.RecordBatch.from_arrays(
                    [*batch.columns, pa.repeat(pa.scalar(name, pa.string()), batch.num_rows)], schema=whole)])

    tmp = out.with_name(f".{out.name}.tmp")
    try:
        write_groups(groups(), whole, tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return rows


def merge_integrity(per_split: dict[str, dict]) -> dict:
    """The splits' file counts added up (the files check and the datasheet read one integrity); each
    sample names its split (``train/...``)."""
    counts = ("files", "bytes", "missing_files", "unlisted_files", "unreadable_files", "duplicate_files",
              "label_conflicts")
    out: dict = {k: sum(i.get(k) or 0 for i in per_split.values()) for k in counts}
    for key in ("manifest_rows", "unmatched_files", "unmatched_path_labels"):
        values = [i.get(key) for i in per_split.values()]
        out[key] = None if all(v is None for v in values) else sum(v or 0 for v in values)
    for key in ("formats", "image_sizes"):
        total: Counter = Counter()
        for i in per_split.values():
            total.update(i.get(key) or {})
        out[key] = dict(sorted(total.items())) if key == "formats" else dict(
            sorted(total.items(), key=lambda kv: (-kv[1], kv[0])))
    withheld = any(i.get("samples_withheld") for i in per_split.values())
    samples: dict[str, list] = {}
    if not withheld:
        for name, i in per_split.items():
            for kind, items in (i.get("samples") or {}).items():
                samples.setdefault(kind, []).extend(_in_split(name, item) for item in items)
    out["samples"] = {k: v[:10] for k, v in samples.items()}
    out["samples_withheld"] = withheld
    out["splits"] = {name: {"files": i.get("files"), "bytes": i.get("bytes")} for name, i in per_split.items()}
    return out


def _in_split(name: str, item):
    if isinstance(item, str):
        return f"{name}/{item}"
    if isinstance(item, dict):
        return {k: f"{name}/{v}" if k in ("file", "same_as") and isinstance(v, str) else v for k, v in item.items()}
    return item


def read_listing(data: bytes) -> dict:
    """``splits.json`` of a version: {"column": "split", "splits": {name: {"member", "rows"}}}."""
    listing = json.loads(data)
    if not isinstance(listing, dict) or not isinstance(listing.get("splits"), dict):
        raise ValueError("not a splits listing")
    return listing

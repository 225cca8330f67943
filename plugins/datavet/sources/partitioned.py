"""A Hive-style Parquet directory versioned as one Parquet part per partition folder (``partitioned: true``).

The version is a DVC directory output whose files are the parts, ``part-<folder>.parquet`` with the
folder URL-quoted (``country=FR/day=2`` becomes ``part-country%3DFR%2Fday%3D2.parquet``): a flat
listing, so no reader takes the names for Hive partitions again. Each part holds every column of
the version, the partition columns as text exactly as the single-file reading gives them (DuckDB's
Hive reader, URL-decoded, ``__HIVE_DEFAULT_PARTITION__`` as null), in the types the whole directory
has (a column a partition lacks is null there), rows in the order of the partition's files. It is
written by :func:`datavet.sources.parts.write_part`, so its bytes depend on its rows alone.

A partition whose files (their paths and bytes), column types and writer are those of a part the
DVC cache already holds is not read again: the part's md5 is remembered under home
(``Settings.memo_dir``, ``<home>/cache/parts/``: not in the registry, which more people may write to)
keyed by that fingerprint, and its cached object is the part.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote as url_quote
from urllib.parse import unquote

from datavet.registry import dvctree
from datavet.sources.base import Materialised
from datavet.sources.parts import LAYOUT

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

    from datavet.sources.parts import Part

PART_PREFIX = "part-"
PARTS_DIR = "parts"  # inside staging: every part of the version (new ones written, others linked)


@dataclass(frozen=True)
class PartsMaterialised(Materialised):
    """A partitioned version: ``path``/``table`` is the folder of all its parts; ``entries`` lists
    them; ``staged`` names the parts written now (the others' objects are in the DVC cache)."""

    entries: list[dvctree.Entry] = field(default_factory=list)
    staged: frozenset[str] = frozenset()


MAX_NAME = 200  # bytes of a part's file name (file systems allow 255)


def part_name(folder: str) -> str:
    """The part's file name for a partition folder (posix, relative to the source; "" for the root).
    A name too long for a file system keeps its first characters and a hash of the whole."""
    quoted = url_quote(folder, safe="")
    if len(quoted) + len(PART_PREFIX) + 8 > MAX_NAME:
        quoted = f"{quoted[:MAX_NAME - 64]}~{hashlib.sha256(folder.encode()).hexdigest()[:32]}"
    return f"{PART_PREFIX}{quoted}.parquet"


def folder_of(name: str) -> str:
    """The partition folder a part's name stands for (the inverse of :func:`part_name`)."""
    return unquote(name.removeprefix(PART_PREFIX).removesuffix(".parquet"))


def is_parts_listing(entries: list[dvctree.Entry]) -> bool:
    """Whether a tree version's listing is a partitioned table (every file a part), not a tree of files."""
    return bool(entries) and all("/" not in e.relpath and e.relpath.startswith(PART_PREFIX)
                                 and e.relpath.endswith(".parquet") for e in entries)


def partitions(directory: Path, files: list[Path]) -> dict[str, list[Path]]:
    """The source's data files grouped by their folder (in the order :func:`parquet_files` gives)."""
    out: dict[str, list[Path]] = {}
    for path in files:
        out.setdefault(path.parent.relative_to(directory).as_posix().removeprefix("."), []).append(path)
    return out


def materialise_parts(con: duckdb.DuckDBPyConnection, directory: Path, files: list[Path],
                      types: dict[str, str], staging: Path, cache: Path, memo: Path, *,
                      write_elsewhere: WriteParts | None = None, dataset: str | None = None) -> PartsMaterialised:
    """Write (or find in ``cache``, the DVC cache) one part per partition of ``directory``; ``memo``:
    where parts are remembered by their sources' fingerprints (``Settings.memo_dir``).

    ``types``: every column of the whole directory and the type the version stores it as. The parts
    to write are written here through ``con``, or by ``write_elsewhere`` (Spark's executors,
    datavet.sources.spark_parts) from the same statements, so the bytes are the same. Each part
    written must hold the rows its files' footers count: a stream cut short (a file rewritten while
    read, a reader ended early) is refused, never certified as a smaller partition."""
    import pyarrow.parquet as pq

    from datavet.errors import DataError
    from datavet.fsutil import file_md5
    from datavet.sources.file_state import file_states
    from datavet.sources.parquet import parquet_scan_of
    from datavet.sources.table import quote

    parts = PartsFolder(staging, cache, memo)
    pending: list[tuple[PartTask, str, str, int]] = []  # to write: task, fingerprint, folder, rows in footers
    with file_states(memo) as states:
        for part, members in partitions(directory, files).items():
            name = part_name(part)
            key = _fingerprint(directory, members, types, lambda path: states.md5_of(path, file_md5))
            if not parts.reuse(name, key):
                scan = parquet_scan_of(members)
                present = {r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {scan}").fetchall()}
                cells = ", ".join((f"CAST({quote(c)} AS {t}) AS {quote(c)}" if c in present
                                   else f"CAST(NULL AS {t}) AS {quote(c)}") for c, t in types.items())
                footers = sum(pq.ParquetFile(m).metadata.num_rows for m in members)
                pending.append((PartTask(name, f"SELECT {cells} FROM {scan}"), key, part, footers))
    tasks = [task for task, *_ in pending]
    if write_elsewhere is not None:
        written = write_elsewhere(tasks, parts.path)
    else:
        written = {task.name: write_task(con, task, parts.path) for task in tasks}
    for task, key, part, footers in pending:
        got = written[task.name]
        if got.rows != footers:
            raise DataError(f"partition {part or '(the root)'} of {directory} gave {got.rows:,} rows where its files' "
                            f"footers count {footers:,}: it changed while it was read", dataset=dataset,
                            fix="re-run when nothing writes to the source directory")
        parts.written(task.name, key, got.md5, got.rows)
    return parts.done()


@dataclass(frozen=True)
class PartTask:
    """One part to write: its file name in the parts folder and the DuckDB statement giving its rows
    in order (the paths in it must be valid wherever the part is written)."""

    name: str
    select: str


# writes the parts of the tasks into the folder elsewhere (Spark's executors): part name -> Part
WriteParts = Callable[[Sequence[PartTask], Path], "dict[str, Part]"]


def write_task(con: duckdb.DuckDBPyConnection, task: PartTask, folder: Path) -> Part:
    """Write ``task``'s part into ``folder`` through ``con``, under a temporary name renamed into
    place (a failed or retried writer leaves no half-written part)."""
    from datavet.sources.parts import write_select
    from datavet.sources.table import scratch_file

    with scratch_file(folder, task.name) as tmp:
        written, _ = write_select(con, task.select, tmp)
        os.replace(tmp, folder / task.name)
    return written


def _fingerprint(directory: Path, members: list[Path], types: dict[str, str], file_md5) -> str:
    """What a part's bytes follow from: its files (paths and contents), the version's column types
    and the writer's versions."""
    import duckdb
    import pyarrow

    listing = [[p.relative_to(directory).as_posix(), file_md5(p)] for p in members]
    text = json.dumps({"files": listing, "types": list(types.items()), "duckdb": duckdb.__version__,
                       "pyarrow": pyarrow.__version__, "layout": LAYOUT}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


class PartsFolder:
    """The parts folder of a partitioned version being made, in partition order: a part whose source
    fingerprint is remembered (under ``Settings.memo_dir``) and whose object the DVC ``cache`` holds is
    linked, not written; a part written now is remembered by its fingerprint for the next version."""

    def __init__(self, staging: Path, cache: Path, memo: Path) -> None:
        self.path = staging / PARTS_DIR
        self.path.mkdir(parents=True, exist_ok=True)
        self.cache = cache
        self.remembered = memo / "parts"
        self.parts: dict[str, tuple[str, int]] = {}  # name -> (md5, rows), in partition order
        self.staged: set[str] = set()

    def reuse(self, name: str, key: str | None, rows: int | None = None) -> bool:
        """Link the part remembered for ``key`` (of ``rows`` rows, when the source says how many) as
        ``name``; False when there is none, and the part must be written (its place is kept)."""
        known = None if key is None else known_part(self.remembered, key, self.cache)
        if known is None or (rows is not None and known[1] != rows):
            self.parts[name] = ("", 0)
            return False
        link_part(dvctree.object_path(self.cache, known[0]), self.path / name)
        self.parts[name] = known
        return True

    def written(self, name: str, key: str | None, md5: str, rows: int) -> None:
        """Part ``name`` was written now (``md5``, ``rows``); remembered by ``key`` unless None."""
        self.parts[name] = (md5, rows)
        self.staged.add(name)
        if key is not None:
            remember(self.remembered, key, md5, rows)

    def rewritten(self, name: str, md5: str) -> None:
        """Part ``name`` was rewritten after it was placed (cast to another schema): new bytes, not
        remembered (the fingerprint stands for the part as first written)."""
        self.parts[name] = (md5, self.parts[name][1])
        self.staged.add(name)

    def done(self) -> PartsMaterialised:
        entries = [dvctree.Entry(name, md5) for name, (md5, _) in self.parts.items()]
        return PartsMaterialised(path=self.path, md5=dvctree.tree_md5(entries), table=self.path, entries=entries,
                                 rows=sum(rows for _, rows in self.parts.values()), staged=frozenset(self.staged))


def known_part(remembered: Path, key: str, cache: Path) -> tuple[str, int] | None:
    """The part md5 and rows remembered for ``key``, if its object is in the cache (else None)."""
    try:
        found = json.loads((remembered / key[:2] / key).read_text())
        md5, rows = str(found["md5"]), int(found["rows"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (md5, rows) if dvctree.object_path(cache, md5).is_file() else None


def remember(remembered: Path, key: str, md5: str, rows: int) -> None:
    from datavet.fsutil import atomic_write_text

    (remembered / key[:2]).mkdir(parents=True, exist_ok=True)
    atomic_write_text(remembered / key[:2] / key, json.dumps({"md5": md5, "rows": rows}))


def link_part(src: Path, dst: Path) -> None:
    """``dst`` as a hard link to a read-only cache object (a copy across file systems)."""
    import shutil

    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)

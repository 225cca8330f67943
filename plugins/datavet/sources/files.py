"""A tree of files (images, audio, text) with a label manifest and/or labels in the paths.

The version is a folder: the dataset's files under ``files/`` (at their paths relative to
``source.files.root``), the table the checks read (``table.parquet``: one row per present file with
the manifest's columns, the named groups of ``labels_from_path`` and the file facts) and
``integrity.json`` (what the ``files`` check and the datasheet report: missing, unlisted, unreadable
and duplicate files, label conflicts, names ``labels_from_path`` does not match, formats, image
sizes). Kept as one DVC directory output, its ``<md5>.dir`` is
the version's identity and every file is verified on its own.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import posixpath
import re
import shutil
import stat
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pandas as pd

from datavet.errors import DataError
from datavet.progress import Progress
from datavet.registry import Registry, dvctree
from datavet.sources.audio_facts import AUDIO_COLUMNS
from datavet.sources.base import TABLE_FILE, Materialised
from datavet.sources.file_facts import FACTS_DB, FileFacts, facts_cache
from datavet.sources.file_facts import compute_many as compute_facts_many
from datavet.sources.file_labels import cast_labels, label_conflicts
from datavet.sources.file_state import FileStates, Stamp, file_states, stamp
from datavet.sources.image_facts import IMAGE_COLUMNS
from datavet.sources.manifest import read_manifest
from datavet.sources.text_facts import TEXT_COLUMNS

log = logging.getLogger(__name__)
FILES_DIR = "files"  # inside the tree: the dataset's own files
INTEGRITY_FILE = "integrity.json"
FACT_COLUMNS = ["file", "file_bytes", "file_md5", "file_format", "image_width", "image_height", *IMAGE_COLUMNS]
BASIC_COLUMNS = FACT_COLUMNS[:6]  # without image content: the table of a tree no check reads content of
ALL_FACT_COLUMNS = [*FACT_COLUMNS, *AUDIO_COLUMNS, *TEXT_COLUMNS]  # audio, text content: only when a check reads it
_IMAGE_DTYPES = ["Float64", "Float64", "Float64", "Float64", "boolean", "boolean", "string"]
_AUDIO_DTYPES = ["Float64", "Int64", "Int64", "Float64"]
_TEXT_DTYPES = ["Int64", "string"]
SAMPLE = 10


@dataclass(frozen=True)
class TreeMaterialised(Materialised):
    """A tree version with the md5 of each of its files (so caching it re-reads nothing). Its
    ``path`` holds the table, ``integrity.json`` and the files whose content the DVC cache did not
    hold yet; ``entries`` lists every file."""

    entries: list[dvctree.Entry] = field(default_factory=list)
    integrity: dict = field(default_factory=dict)
    staged: frozenset[str] = frozenset()  # the entries whose bytes are in ``path`` (the rest are cached)


@dataclass
class _Counts:
    hashed: int = 0  # files whose bytes were read to hash them (not known by their state)
    decoded: int = 0  # files whose facts were computed (content not seen before)


class FilesSource:
    kind: ClassVar[str] = "files"

    def __init__(self, loaded, settings) -> None:
        self.loaded = loaded
        self.settings = settings
        self.spec = loaded.spec
        self.files = loaded.spec.source.files
        self.counts = _Counts()
        self._made: set[str] = set()
        self._stats: dict[str, os.stat_result] = {}  # by enumerate: each file's stat
        self._staged: set[str] = set()  # files copied into staging (content the cache lacked)
        self._cache_dir = Registry.of(settings).cache_dir
        from datavet.checks.registry import reads_audio_content, reads_image_content, reads_text_content

        self.inside = reads_image_content(loaded.spec.checks)  # image content facts: only when a check reads them
        self.audio = reads_audio_content(loaded.spec.checks)  # audio decoded for its facts: likewise
        self.text = reads_text_content(loaded.spec.checks)  # text files read whole for their facts: likewise

    # ---- the protocol -----------------------------------------------------------------------------
    def columns(self) -> list[str]:
        manifest = self.spec.source.manifest
        names: list[str] = ["file"]
        if manifest is not None:
            header = read_manifest(self.loaded, self.settings, header_only=True).columns
            names += [c for c in header if c != manifest.file_column]
        names += list(self._path_regex().groupindex) if self.spec.source.labels_from_path else []
        return list(dict.fromkeys([*names, *self._facts()]))

    def materialise(self, staging: Path) -> TreeMaterialised:
        root = self.root()
        present = self.enumerate(root)
        manifest = self._manifest()
        labels = self._path_labels(present)
        if staging.exists():
            shutil.rmtree(staging)
        self._made, self._staged = set(), set()
        try:
            return self._write(root, present, manifest, labels, staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)  # nothing half written
            raise

    def _facts(self) -> list[str]:
        """The fact columns of the table: the image content columns only when a check reads them, so a
        tree audited for its labels keeps its table (and its version) as before."""
        return [*(FACT_COLUMNS if self.inside else BASIC_COLUMNS), *(AUDIO_COLUMNS if self.audio else []),
                *(TEXT_COLUMNS if self.text else [])]

    # ---- what is in the tree ----------------------------------------------------------------------
    def root(self) -> Path:
        root = self.loaded.resolve(self.files.root)
        if not root.is_dir():
            raise DataError(f"source.files.root {root} is not an existing folder", dataset=self.spec.name,
                            fix="point source.files.root at the folder the file paths are relative to "
                                "(relative paths start at the project root)")
        return root.resolve()

    def enumerate(self, root: Path) -> list[str]:
        """Paths (posix, relative to root) of the dataset's files, sorted; refuses any that leave root.

        One ``lstat`` per file: a file that is not a link is where its folder really is (each folder
        is resolved once), so only links are resolved one by one; the ``stat`` of each file is kept
        for staging it."""
        def matches(pattern: str) -> set[str]:
            if posixpath.isabs(pattern) or ".." in Path(pattern).parts:
                raise DataError(f"the pattern {pattern!r} leaves source.files.root", dataset=self.spec.name,
                                fix="write include/exclude patterns relative to root, without '..'")
            return set(glob.glob(pattern, root_dir=root, recursive=True))  # posix paths already

        base = str(root)
        lstats: dict[str, os.stat_result] = {}

        def lstat(rel: str) -> os.stat_result | None:
            if rel not in lstats:
                try:
                    lstats[rel] = os.lstat(f"{base}/{rel}")
                except FileNotFoundError:  # gone since the glob listed it
                    return None
            return lstats[rel]

        chosen: set[str] = set()
        for pattern in self.files.include:
            found = {p for p in matches(pattern) if (st := lstat(p)) is not None and not stat.S_ISDIR(st.st_mode)}
            if not found:
                raise DataError(f"source.files.include pattern {pattern!r} matches no file under {root}",
                                dataset=self.spec.name, fix="check the pattern (relative to source.files.root; "
                                                            "'**' for subfolders) or the root")
            chosen |= found
        for pattern in self.files.exclude:
            chosen -= matches(pattern)
        if not chosen:
            raise DataError(f"source.files.exclude leaves no file under {root}", dataset=self.spec.name,
                            fix="narrow source.files.exclude")
        folders: dict[str, str] = {}
        self._stats = {}
        for rel in sorted(chosen):
            if not _is_utf8(rel):  # the table, the listing and git all hold names as UTF-8 text
                raise DataError(f"the file name {rel.encode('utf-8', 'surrogateescape')!r} under {root} is not "
                                "UTF-8", dataset=self.spec.name,
                                fix="rename it to UTF-8 (e.g. convmv -f latin1 -t utf8 --notest), or leave it out "
                                    "with a source.files.exclude pattern")
            info = lstat(rel)
            if info is not None and stat.S_ISREG(info.st_mode):
                folder = rel.rpartition("/")[0]
                if folder not in folders:
                    folders[folder] = os.path.realpath(f"{base}/{folder}") if folder else base
                real, target = f"{folders[folder]}/{rel.rpartition('/')[2]}", info
            else:
                try:
                    real = str((root / rel).resolve(strict=True))
                    target = os.stat(real)
                except (OSError, RuntimeError):
                    raise DataError(f"{rel} is a broken symbolic link or a loop", dataset=self.spec.name,
                                    fix="remove it or exclude it with source.files.exclude") from None
            if not real.startswith(base + "/"):
                raise DataError(f"{rel} is a symbolic link to {real}, outside source.files.root {root}",
                                dataset=self.spec.name, fix="copy the file into the root, or exclude the link")
            if not stat.S_ISREG(target.st_mode):
                raise DataError(f"{rel} is not a regular file", dataset=self.spec.name,
                                fix="exclude it with source.files.exclude")
            self._stats[rel] = target
        return sorted(chosen)

    def _manifest(self) -> pd.DataFrame | None:
        """The manifest, its file column normalised to paths inside root (one row per file)."""
        manifest = self.spec.source.manifest
        if manifest is None:
            return None
        df = read_manifest(self.loaded, self.settings)
        column = manifest.file_column
        if column not in df.columns:
            raise DataError(f"the manifest {self.loaded.resolve(manifest.path)} has no column {column!r} "
                            f"(columns: {list(df.columns)})", dataset=self.spec.name, column=column,
                            fix="set source.manifest.file_column to the column holding each file's path")
        if df[column].isna().any():
            raise DataError(f"{int(df[column].isna().sum())} manifest rows have no file path", dataset=self.spec.name,
                            column=column, fix="fill in the path of every row, or drop the rows")
        paths = df[column].astype(str).map(lambda p: posixpath.normpath(p.strip().replace("\\", "/")))
        escaping = paths[paths.map(lambda p: posixpath.isabs(p) or p == ".." or p.startswith("../"))]
        if len(escaping):
            raise DataError(f"{len(escaping)} manifest path(s) leave source.files.root, e.g. "
                            f"{df[column].loc[escaping.index[0]]!r}", dataset=self.spec.name, column=column,
                            fix="write every path relative to source.files.root, without '..' or a leading '/'")
        repeated = paths[paths.duplicated()]
        if len(repeated):
            raise DataError(f"{len(repeated)} manifest rows repeat a file, e.g. {repeated.iloc[0]!r}",
                            dataset=self.spec.name, column=column, fix="keep one row of labels per file")
        clashes = sorted(set(df.columns) - {column} & set(ALL_FACT_COLUMNS))
        if clashes:
            raise DataError(f"manifest column(s) {clashes} clash with the file facts datavet adds",
                            dataset=self.spec.name, column=clashes[0], fix="rename them with source.manifest.options")
        # nullable dtypes: a file without a manifest row gets nulls, not floats or mixed objects
        labels = df.drop(columns=[column]).convert_dtypes().assign(file=paths.to_numpy()).set_index("file")
        return cast_labels(labels, self._types(), self.spec.name, f"the manifest {manifest.path}",
                           self.spec.private_columns)

    def _types(self) -> dict[str, str]:
        """The spec's ``type:`` of each column that has one."""
        return {name: col.type for name, col in self.spec.columns.items() if col.type is not None}

    def _path_regex(self) -> re.Pattern:
        pattern = self.spec.source.labels_from_path or ""
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise DataError(f"source.labels_from_path {pattern!r} is not a regular expression: {exc}",
                            dataset=self.spec.name, fix="correct the regex") from None
        if not regex.groupindex:
            raise DataError(f"source.labels_from_path {pattern!r} has no named group, so it gives no column",
                            dataset=self.spec.name, fix="name each group: (?P<age>\\d+)")
        clashes = sorted(set(regex.groupindex) & set(ALL_FACT_COLUMNS))
        if clashes:
            raise DataError(f"labels_from_path group(s) {clashes} clash with the file facts datavet adds",
                            dataset=self.spec.name, column=clashes[0], fix="rename the group")
        return regex

    def _path_labels(self, present: list[str]) -> pd.DataFrame | None:
        if not self.spec.source.labels_from_path:
            return None
        regex = self._path_regex()
        rows = {rel: m.groupdict() for rel in present if (m := regex.search(rel))}
        if not rows:
            raise DataError(f"source.labels_from_path {regex.pattern!r} matches none of the {len(present)} files "
                            f"(e.g. {present[0]!r})", dataset=self.spec.name,
                            fix="the regex is matched against each path relative to source.files.root")
        labels = pd.DataFrame.from_dict(rows, orient="index", columns=list(regex.groupindex))
        return cast_labels(labels, self._types(), self.spec.name, "source.labels_from_path",
                           self.spec.private_columns)

    # ---- writing the version ----------------------------------------------------------------------
    def _write(self, root: Path, present: list[str], manifest: pd.DataFrame | None, labels: pd.DataFrame | None,
               staging: Path) -> TreeMaterialised:
        from datavet.ingest import write_parquet
        from datavet.sources.table import check_columns_exist

        staging.mkdir(parents=True, exist_ok=True)
        facts: dict[str, tuple[str, int, FileFacts]] = {}
        with facts_cache(self.settings.memo_dir / FACTS_DB) as cache, file_states(self.settings.memo_dir) as memo:
            states = memo.under(root)
            with Progress("hashing files", total=len(present), unit="files", dataset=self.spec.name) as progress:
                md5s = {}
                for rel in present:
                    md5s[rel] = self._stage_file(root, rel, staging / FILES_DIR / rel, memo, states)
                    progress.advance()
            suffixes = {rel: os.path.splitext(rel)[1].lower() for rel in present}
            known = cache.facts_of({(md5, suffixes[rel]) for rel, md5 in md5s.items()}, self.inside, self.audio,
                                   self.text)
            new: dict[tuple[str, str], Path] = {}  # each new content once, read where it is
            for rel in present:
                if (md5s[rel], suffixes[rel]) not in known and (md5s[rel], suffixes[rel]) not in new:
                    new[(md5s[rel], suffixes[rel])] = (staging / FILES_DIR / rel if rel in self._staged
                                                       else Path(self._cached(md5s[rel])))
            with Progress("decoding files", total=len(new), unit="files", dataset=self.spec.name) as decoding:
                jobs = [(where, key[1]) for key, where in new.items()]
                found = compute_facts_many(jobs, self.inside, self.settings.file_facts_workers, self.audio, self.text)
                for i, (key, computed) in enumerate(zip(new, found, strict=True), 1):
                    cache.remember_facts(*key, computed)
                    known[key] = computed
                    self.counts.decoded += 1
                    decoding.advance()
                    if i % 2000 == 0:  # short transactions: other datasets' runs share this cache
                        cache.commit()
            for rel in present:
                facts[rel] = (md5s[rel], self._stats[rel].st_size, known[(md5s[rel], suffixes[rel])])
        table = pd.DataFrame({
            "file": present,
            "file_bytes": pd.array([facts[r][1] for r in present], dtype="Int64"),
            "file_md5": [facts[r][0] for r in present],
            "file_format": [facts[r][2].file_format for r in present],
            "image_width": pd.array([facts[r][2].image_width for r in present], dtype="Int64"),
            "image_height": pd.array([facts[r][2].image_height for r in present], dtype="Int64"),
        })
        content = [facts[r][2].image for r in present]
        for i, (column, dtype) in enumerate(zip(IMAGE_COLUMNS, _IMAGE_DTYPES, strict=True)):
            table[column] = pd.array([None if f is None else f.row()[i] for f in content], dtype=dtype)
        for kind, columns, dtypes in (("audio", AUDIO_COLUMNS, _AUDIO_DTYPES), ("text", TEXT_COLUMNS, _TEXT_DTYPES)):
            inside = [getattr(facts[r][2], kind) for r in present]
            for i, (column, dtype) in enumerate(zip(columns, dtypes, strict=True)):
                table[column] = pd.array([None if f is None else f.row()[i] for f in inside], dtype=dtype)
        if manifest is not None:
            table = table.join(manifest, on="file")
        if labels is not None:
            table = table.join(labels, on="file")
        table = table[list(dict.fromkeys(["file", *table.columns.drop(ALL_FACT_COLUMNS), *self._facts()]))]
        check_columns_exist(self.loaded, table.columns)
        label_columns = [c for c in table.columns if c not in self._facts()]
        integrity = self._integrity(present, facts, manifest, labels, label_conflicts(table, label_columns))
        write_parquet(table, staging / TABLE_FILE)
        (staging / INTEGRITY_FILE).write_text(json.dumps(integrity, indent=2, sort_keys=True) + "\n")
        entries = [dvctree.Entry(f"{FILES_DIR}/{rel}", facts[rel][0]) for rel in present]
        entries += dvctree.entries_of_files(staging, [TABLE_FILE, INTEGRITY_FILE])
        log.info("%s: %d files (%d hashed, %d decoded; the rest known by state and content)", self.spec.name,
                 len(present), self.counts.hashed, self.counts.decoded)
        staged = frozenset(f"{FILES_DIR}/{rel}" for rel in self._staged) | {TABLE_FILE, INTEGRITY_FILE}
        return TreeMaterialised(path=staging, md5=dvctree.tree_md5(entries), rows=len(table),
                                table=staging / TABLE_FILE, entries=entries, integrity=integrity, staged=staged)

    def _cached(self, md5: str) -> str:
        return dvctree.object_file(self._cache_dir, md5)

    def _stage_file(self, root: Path, rel: str, dst: Path, memo: FileStates,
                    states: dict[str, tuple[Stamp, str]]) -> str:
        """The file's md5: known by its state (datavet.sources.file_state) when the DVC cache already
        holds that content (then nothing is read or written), else read once while it is copied into
        staging, for caching."""
        src = f"{root}/{rel}"  # string paths here: this runs once per file (100,000s)
        st = self._stats[rel]
        known = states.get(src)
        if known is not None and known[0] == stamp(st):
            try:
                if os.stat(self._cached(known[1])).st_size == st.st_size:
                    return known[1]
            except OSError:  # not cached (any more): stage it again
                pass
        parent = os.path.dirname(dst)
        if parent not in self._made:
            os.makedirs(parent, exist_ok=True)
            self._made.add(parent)
        digest = hashlib.md5()
        began = time.time_ns()
        try:
            fin = open(src, "rb")  # noqa: SIM115 - closed below, with the staged copy
        except PermissionError:
            raise DataError(f"{rel} under {root} cannot be read (permission denied)", dataset=self.spec.name,
                            fix="give the account datavet runs as read access to it, or leave it out with a "
                                "source.files.exclude pattern") from None
        with fin, open(dst, "wb") as fout:
            while block := fin.read(1 << 20):
                digest.update(block)
                fout.write(block)
        self.counts.hashed += 1
        self._staged.add(rel)
        md5 = digest.hexdigest()
        memo.remember(src, st, md5, began)
        return md5

    def _integrity(self, present: list[str], facts: dict[str, tuple[str, int, FileFacts]],
                   manifest: pd.DataFrame | None, labels: pd.DataFrame | None, conflicts: list[dict]) -> dict:
        """The figures of the ``files`` check and the datasheet's composition of the files."""
        listed = set(manifest.index) if manifest is not None else None
        here = set(present)
        missing = sorted(listed - here) if listed is not None else []
        unlisted = [r for r in present if r not in listed] if listed is not None else []
        unreadable = [{"file": r, "problem": facts[r][2].problem} for r in present if not facts[r][2].readable]
        first: dict[str, str] = {}
        duplicates = []
        for rel in present:
            md5 = facts[rel][0]
            if md5 in first:
                duplicates.append({"file": rel, "same_as": first[md5]})
            else:
                first[md5] = rel
        unmatched = [] if labels is None else [r for r in present if r not in labels.index]
        sizes = Counter(f"{f.image_width}x{f.image_height}" for _, _, f in facts.values() if f.image_width is not None)
        private = bool({"file", *([self.spec.source.manifest.file_column] if self.spec.source.manifest else [])}
                       & self.spec.private_columns)
        samples = {"missing": missing[:SAMPLE], "unlisted": unlisted[:SAMPLE], "unreadable": unreadable[:SAMPLE],
                   "duplicate": duplicates[:SAMPLE], "unmatched": unmatched[:SAMPLE],
                   "label_conflict": conflicts[:SAMPLE]}
        return {
            "files": len(present), "bytes": sum(size for _, size, _ in facts.values()),
            "manifest_rows": None if manifest is None else len(manifest),
            "missing_files": len(missing), "unlisted_files": len(unlisted), "unreadable_files": len(unreadable),
            "duplicate_files": len(duplicates), "label_conflicts": len(conflicts),
            "unmatched_files": None if labels is None else len(unmatched),
            "unmatched_path_labels": None if labels is None else len(unmatched),  # its older name
            "formats": dict(sorted(Counter(f.file_format for _, _, f in facts.values()).items())),
            "image_sizes": dict(sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))),
            "samples": {} if private else samples,
            "samples_withheld": private,
        }


def _is_utf8(name: str) -> bool:
    """Whether a name listed from the file system is UTF-8 (Python keeps other bytes as surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

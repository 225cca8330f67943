"""What ML teams call for a file dataset: a folder holding exactly the certified files, each one
checked against the certified listing, and the label table that goes with them."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from datavet.errors import DataError, NotCertifiedError, RegistryError
from datavet.fsutil import file_md5
from datavet.ingest import read_parquet
from datavet.registry import Registry, dvctree
from datavet.registry.store import committed_certificate, resolve_tag
from datavet.settings import Settings
from datavet.sources.base import TABLE_FILE
from datavet.sources.files import FILES_DIR


@dataclass(frozen=True)
class CertifiedFiles:
    """A checked-out tree version: ``root`` holds the files (at their paths relative to the spec's
    ``source.files.root``), ``table`` one row of labels and file facts per file."""

    dataset: str
    tag: str
    md5: str
    folder: Path
    table: pd.DataFrame = field(repr=False)

    @property
    def root(self) -> Path:
        return self.folder / FILES_DIR

    def __len__(self) -> int:
        return len(self.table)

    def __iter__(self) -> Iterator[tuple[Path, dict[str, Any]]]:
        """(path of the file, its labels and facts) for every file, in the table's order."""
        records = self.table.drop(columns=["file"]).to_dict(orient="records")
        for rel, labels in zip(self.table["file"], records, strict=True):
            yield self.root / rel, {k: (None if pd.api.types.is_scalar(v) and pd.isna(v) else v)
                                    for k, v in labels.items()}


def certified_tree(registry: Registry, name: str, version: str | int | None) -> tuple[str, str, list[dvctree.Entry]]:
    """(tag, md5, entries) of a certified tree version, its listing checked against the certificate."""
    tag = resolve_tag(registry, name, version)
    cert = committed_certificate(registry, name, tag)
    if not dvctree.is_tree(cert.md5):
        raise NotCertifiedError(f"{tag} is a table version, not a tree of files", dataset=name,
                                fix="use datavet.load_certified for table datasets")
    try:
        return tag, cert.md5, registry.tree_entries(cert.md5)
    except RegistryError as exc:
        raise NotCertifiedError(f"the listing of {tag} ({cert.md5}) is missing or altered", dataset=name,
                                fix="restore it with `dvc pull` in the registry") from exc


def open_certified(name: str, version: str | int | None = None, *, settings: Settings | None = None,
                   into: Path | None = None, recoded: bool = False, spec: Path | None = None,
                   split: str | None = None, split_column: str = "split") -> CertifiedFiles:
    """Check out a certified tree version (latest, tag number, tag or md5) into ``into`` (default
    ``<home>/checkouts/<name>/<md5>``), every file verified; refuses altered, missing or extra files.
    With ``recoded`` the labels carry the spec's ``values`` and ``bins`` (datavet.recoded).
    ``split``: iterate only the files whose ``split_column`` is that split (the whole tree is checked out); for a
    ``source.splits`` version, only that split's tree is checked out (into ``<default folder>/<split>``)."""
    settings = settings or Settings.from_env()
    registry = Registry.of(settings)
    tag, md5, entries = certified_tree(registry, name, version)
    where = settings.home / "checkouts" / name / md5
    prefix = _split_prefix(registry, entries, split, name, tag)
    if prefix is not None:  # a source.splits version: only that split's tree is checked out
        entries = [dvctree.Entry(e.relpath[len(prefix):], e.md5) for e in entries if e.relpath.startswith(prefix)]
        where, split = where / prefix.rstrip("/"), None
    folder = (into or where).resolve()
    if folder.exists():
        _check_folder(folder, entries, name, tag)
    else:
        _checkout(registry, folder, entries, name, tag)
    from datavet.splits import select_split

    table = select_split(read_parquet(folder / TABLE_FILE), split, name, tag, split_column)  # integers exact
    if recoded:
        from datavet.recoded import certified_rules, recode_frame

        table = recode_frame(table, certified_rules(committed_certificate(registry, name, tag), settings, spec))
    return CertifiedFiles(dataset=name, tag=tag, md5=md5, folder=folder, table=table)


def _split_prefix(registry: Registry, entries: list[dvctree.Entry], split: str | None, name: str, tag: str
                  ) -> str | None:
    """``train/`` for split ``train`` of a ``source.splits`` version of trees; None for any other tree.
    A splits version is opened one split at a time, and only a split that is a tree of files."""
    from datavet.sources.splits import SPLITS_FILE
    from datavet.splits import split_member

    if not any(e.relpath == SPLITS_FILE for e in entries):
        return None
    if split is None:
        raise DataError(f"{tag} is a version of named splits; open one split at a time", dataset=name,
                        fix="pass split=, e.g. open_certified(name, split='train')")
    member = split_member(registry, entries, split, name, tag) or ""
    if not member.endswith("/" + TABLE_FILE):
        raise NotCertifiedError(f"split {split!r} of {tag} is a table, not a tree of files", dataset=name,
                                fix=f"use datavet.load_certified({name!r}, split={split!r})")
    return member.removesuffix(TABLE_FILE)


def _checkout(registry: Registry, folder: Path, entries: list[dvctree.Entry], name: str, tag: str) -> None:
    """Copy each object out of the cache (or local remote) into a temporary folder, hashing as it
    goes, then rename the folder into place: a refused or interrupted checkout leaves nothing."""
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for entry in entries:
            try:
                src = registry.bytes_path(entry.md5)
            except RegistryError:
                raise NotCertifiedError(f"{entry.relpath} of {tag} is in neither the DVC cache nor the remote",
                                        dataset=name, fix="run `dvc pull` in the registry") from None
            dst = tmp / entry.relpath
            dst.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.md5()
            with open(src, "rb") as fin, open(dst, "wb") as fout:
                while block := fin.read(1 << 20):
                    digest.update(block)
                    fout.write(block)
            if digest.hexdigest() != entry.md5:
                raise NotCertifiedError(f"{entry.relpath} of {tag} hashes to {digest.hexdigest()} in {src}, "
                                        f"certified as {entry.md5}; refusing altered data", dataset=name,
                                        fix="restore it with `dvc fetch` in the registry, or certify a new version")
        folder.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _check_folder(folder: Path, entries: list[dvctree.Entry], name: str, tag: str) -> None:
    """An earlier checkout is reused only if it still holds exactly the certified bytes."""
    expected = {e.relpath: e.md5 for e in entries}
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()}
    fix = f"delete {folder} and open the version again"
    extra = sorted(present - set(expected))
    if extra:
        raise NotCertifiedError(f"{folder} holds {len(extra)} file(s) that {tag} does not, e.g. {extra[0]}",
                                dataset=name, fix=fix)
    gone = sorted(set(expected) - present)
    if gone:
        raise NotCertifiedError(f"{gone[0]} of {tag} is missing from {folder} ({len(gone)} missing)",
                                dataset=name, fix=fix)
    for rel, md5 in sorted(expected.items()):
        path = folder / rel
        actual = file_md5(path) if not path.is_symlink() else "a symbolic link"
        if actual != md5:
            raise NotCertifiedError(f"{rel} in {folder} hashes to {actual}, certified as {md5}; refusing "
                                    "altered data", dataset=name, fix=fix)

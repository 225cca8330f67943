"""Stage 1, version: the source becomes a version in the DVC cache; DVC's md5 is its identity."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from datavet.registry import Registry
from datavet.registry.fingerprint import rules_of, table_columns
from datavet.registry.store import certified_tag_for
from datavet.settings import Settings
from datavet.sources import source_for
from datavet.sources.roles import check_usable
from datavet.spec import LoadedSpec
from datavet.stages.common import log, registry_for, storage_errors


@dataclass(frozen=True)
class VersionInfo:
    dataset: str
    md5: str
    rows: int
    certified_tag: str | None  # set when this exact version is already certified: nothing to do


def version(loaded: LoadedSpec, settings: Settings) -> VersionInfo:
    """Stream the source into one Parquet file and put it in the DVC cache: DVC's md5 is the version id.

    The source is read once, by its ``datavet.sources`` module, into a scratch folder of its own
    (outside the registry lock, so a long read holds up no other dataset); the role columns are
    checked with queries on that file. Tracked files stay as they are: only a certification moves
    the ``.dvc`` pointer."""
    spec = loaded.spec
    if spec.source.kind == "files":
        from datavet.registry.tree_version import version_tree

        return VersionInfo(*version_tree(loaded, settings))
    registry = registry_for(settings)
    with registry.locked(), storage_errors(spec.name, "version"):
        registry.ensure()
    with storage_errors(spec.name, "version"), incoming(registry, spec.name) as scratch:
        made = source_for(loaded, settings).materialise(scratch)
        check_usable(loaded, made, settings)
        rules = rules_of(loaded, settings, table_columns(made.table))  # outside the lock: no other dataset waits
        with registry.locked():
            tag = certified_tag_for(registry, spec.name, made.md5, rules, loaded.path)
            if tag:
                if not registry.cache_path(made.md5).is_file():  # the cache was emptied: these bytes, just
                    _cache(registry, made)  # hashed, restore it (certify heals the remote)
                log.info("%s: version %s is already certified as %s; nothing to do", spec.name, made.md5, tag)
                return VersionInfo(spec.name, made.md5, made.rows, tag)
            _cache(registry, made)
    log.info("%s: version %s (%d rows) added to the DVC cache", spec.name, made.md5, made.rows)
    return VersionInfo(spec.name, made.md5, made.rows, None)


def _cache(registry: Registry, made) -> None:
    """A version into the DVC cache: one file, or a partitioned version's parts and ``.dir`` listing."""
    if made.is_tree:
        registry.cache_tree(made.path, made.entries, made.staged)
    else:
        registry.cache_version(made.path, made.md5)


@contextlib.contextmanager
def incoming(registry: Registry, name: str) -> Iterator[Path]:
    """A scratch folder for one version stage run (two runs of one DAG never share one), removed after.

    The run locks ``.incoming-<id>.lock`` before it creates ``incoming-<id>/`` and holds the lock
    while it works; a folder whose lock is free (or gone) was left by a run that was killed (SIGKILL,
    a lost worker) with a partial Parquet in it, and the next run removes it."""
    parent = registry.incoming_dir(name)
    parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(parent)
    while True:
        token = secrets.token_hex(6)
        try:
            fd = os.open(parent / f".incoming-{token}.lock", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            continue
    scratch = parent / f"incoming-{token}"
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        scratch.mkdir()
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.unlink(parent / f".incoming-{token}.lock")
        os.close(fd)


def _remove_abandoned(parent: Path) -> None:
    """Remove the scratch folders of version runs that no longer run: a live run locked its lock file
    before it made its folder, so a folder whose lock is free, or missing, is abandoned."""
    for folder in parent.glob("incoming-*"):
        if not folder.is_dir():
            continue
        lock = parent / f".{folder.name}.lock"
        try:
            fd = os.open(lock, os.O_WRONLY)
        except FileNotFoundError:  # no lock: from before locks, or its cleaner stopped half-way
            shutil.rmtree(folder, ignore_errors=True)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # a live run's folder
            os.close(fd)
            continue
        try:
            shutil.rmtree(folder, ignore_errors=True)  # the folder first, then its lock
            with contextlib.suppress(OSError):
                os.unlink(lock)
        finally:
            os.close(fd)
